"""The process-wide runtime: settings, secrets, engine and session factory, built once.

The ASGI app, the CLI and the tests all assemble the service through ``Runtime`` so there is
one way to reach the database and the keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from koppelvlak.config import Secrets, Settings, get_settings, load_secrets
from koppelvlak.db import make_engine, session_factory, unit_of_work
from koppelvlak.kit import changes, mail


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    writer_sessions: sessionmaker[Session]
    _secrets: Secrets | None = field(default=None, repr=False)
    _mailer: mail.Mailer | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Every unit of work settles the kept releases its changes touched before it commits,
        # and sends the mail it queued only once it has committed.
        for sessions in (self.sessions, self.writer_sessions):
            event.listen(sessions, "before_commit", self._settle_kept_releases)
            event.listen(sessions, "before_commit", self._follow_kept_releases)
            event.listen(sessions, "after_commit", self._send_queued_mail)
            event.listen(sessions, "after_rollback", mail.drop_queued)

    def _send_queued_mail(self, session: Session) -> None:
        queued = mail.take_queued(session)
        if queued:
            mail.deliver(self.mailer, queued)

    @property
    def mailer(self) -> mail.Mailer:
        if self._mailer is None:
            self._mailer = mail.mailer_from_url(self.settings.mail_url, self.settings.mail_from)
        return self._mailer

    def _settle_kept_releases(self, session: Session) -> None:
        if not changes.pending(session):
            return
        from koppelvlak.release import kept

        kept.settle(session, self.secrets.pseudonym_key)

    def _follow_kept_releases(self, session: Session) -> None:
        """Deletion notices and pushes for what the kept releases just changed, same commit."""
        if not changes.refreshed_pending(session):
            return  # the flows (a fifth of a CPU-second to import) only follow a moved release
        from koppelvlak.delivery import flows

        flows.after_refresh(session)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Runtime:
        settings = settings or get_settings()
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            writer_sessions=session_factory(engine, write=True),
        )

    @property
    def secrets(self) -> Secrets:
        if self._secrets is None:
            self._secrets = load_secrets(self.settings)
        return self._secrets

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def unit_of_work(self, *, write: bool = False) -> Iterator[Session]:
        """One transaction; ``write=True`` when it will write, so it queues for the lock first.

        Keep writers short: on SQLite one writer at a time holds the lock (ADR 0004). A unit
        that only reads never waits for a writer and never makes one wait.
        """
        factory = self.writer_sessions if write else self.sessions
        with unit_of_work(factory) as session:
            yield session
