"""Outgoing mail: one small message type, an SMTP sender and a folder sender, sent after commit.

A mail about a change (a rights request received, a deletion notice overdue) must never leave
for a change that was rolled back, so services queue mail in their session with
``send_after_commit``; the runtime hands the queue to its mailer once the unit of work has
committed, and drops it on rollback. The embedded default writes each mail as an ``.eml`` file
to a folder, so a fresh clone needs no mail server; production names an SMTP server.
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.orm import Session

from koppelvlak.errors import ConfigurationError

log = logging.getLogger("koppelvlak.mail")

_QUEUE = "koppelvlak.mail"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


def message(mail: Mail, sender: str) -> EmailMessage:
    """The RFC 5322 message for ``mail``: plain text, with an HTML alternative when given."""
    built = EmailMessage()
    built["From"] = sender
    built["To"] = mail.to
    built["Subject"] = mail.subject
    built["Date"] = formatdate(localtime=False)
    built["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    built.set_content(mail.text)
    if mail.html is not None:
        built.add_alternative(mail.html, subtype="html")
    return built


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    def send(self, mail: Mail) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username is not None:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message(mail, self.sender))


@dataclass(frozen=True)
class FolderMailer:
    """Writes each mail to ``folder`` as ``<time>-<id>.eml``: the embedded default."""

    folder: Path
    sender: str

    def send(self, mail: Mail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        built = message(mail, self.sender)
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(built.as_bytes())
        temporary.replace(self.folder / name)


def mailer_from_url(url: str, sender: str) -> Mailer:
    """``smtp://[user:pass@]host:port[?starttls=1]``, ``folder:///abs/path`` or ``folder:rel``."""
    parts = urlsplit(url)
    if parts.scheme == "smtp":
        if not parts.hostname:
            raise ConfigurationError(f"mail URL {_shown(url)} names no host")
        query = parse_qs(parts.query)
        return SmtpMailer(
            host=parts.hostname,
            port=parts.port or 25,
            sender=sender,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            starttls=query.get("starttls", ["0"])[0] in {"1", "true", "yes"},
        )
    if parts.scheme == "folder":
        path = parts.path if parts.path else parts.netloc
        if not path:
            raise ConfigurationError(f"mail URL {_shown(url)} names no folder")
        return FolderMailer(Path(path), sender)
    raise ConfigurationError(f"mail URL {_shown(url)} is neither smtp://host:port nor folder:PATH")


def _shown(url: str) -> str:
    """The URL without its password, for error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def send_after_commit(session: Session, mail: Mail) -> None:
    """Queue ``mail``; the runtime sends it once this session's transaction has committed."""
    session.info.setdefault(_QUEUE, []).append(mail)


def take_queued(session: Session) -> list[Mail]:
    """The mails queued in ``session``, removed from it (the runtime calls this)."""
    queued: list[Mail] = session.info.pop(_QUEUE, [])
    return queued


def drop_queued(session: Session) -> None:
    session.info.pop(_QUEUE, None)


def deliver(mailer: Mailer, mails: list[Mail]) -> int:
    """Send each mail; a failure is logged (never raised: the change it reports is committed)."""
    sent = 0
    for mail in mails:
        try:
            mailer.send(mail)
            sent += 1
        except (OSError, smtplib.SMTPException) as error:
            log.error("mail to a recipient failed: %s", type(error).__name__)
    return sent
