"""Migration 0008 keeps entries recorded in the old form verifiable, viewable and erasable."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from koppelvlak.audit import ledger, legacy, service
from koppelvlak.audit.models import Entry
from koppelvlak.db import make_engine, upgrade
from tests.conftest import _create_postgres_database, _drop_postgres_database, _need_postgres
from tests.factories.audit import DisclosureFactory
from tests.factories.roster import BoardFactory

MOMENT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
NOOR, SEM = uuid.UUID(int=101), uuid.UUID(int=102)

OLD_ENTRY = sa.table(
    "audit_entry",
    *(sa.column(name, sa.Uuid()) for name in ("id", "board_id", "provider_id", "connection_id")),
    sa.column("sequence", sa.Integer()),
    sa.column("recorded_at", sa.DateTime(timezone=True)),
    *(
        sa.column(name, sa.String())
        for name in (
            "channel",
            "endpoint",
            "response_digest",
            "previous_hash",
            "entry_hash",
            "payload_commitment",
        )
    ),
)
OLD_PAYLOAD = sa.table(
    "audit_payload",
    sa.column("entry_id", sa.Uuid()),
    sa.column("board_id", sa.Uuid()),
    *(
        sa.column(name, sa.String())
        for name in ("details_commitment", "salt", "query", "attribute_ids")
    ),
)
OLD_SUBJECT = sa.table(
    "audit_subject",
    sa.column("board_id", sa.Uuid()),
    sa.column("sequence", sa.Integer()),
    sa.column("commitment", sa.String()),
    sa.column("entry_id", sa.Uuid()),
    sa.column("person_id", sa.Uuid()),
    sa.column("salt", sa.String()),
)


def _record_old(
    connection: sa.Connection, board_id: uuid.UUID, people: list[set[uuid.UUID]]
) -> str:
    """Entries sealed as the ledger sealed them before 0008; returns the last hash."""
    previous = ledger.GENESIS
    for sequence, persons in enumerate(people, start=1):
        disclosure = DisclosureFactory.build(board_id=board_id, person_ids=frozenset(persons))
        entry_id = uuid.uuid4()
        salt = secrets.token_hex(16)
        attributes = legacy.canonical_attributes(disclosure.attribute_ids)
        details = legacy.details_commitment(salt, disclosure.query, attributes)
        subjects = []
        for person in persons:
            person_salt = secrets.token_hex(16)
            subjects.append(
                {
                    "board_id": board_id,
                    "sequence": sequence,
                    "commitment": legacy.subject_commitment(person_salt, person.hex),
                    "entry_id": entry_id,
                    "person_id": person,
                    "salt": person_salt,
                }
            )
        commitment = legacy.payload_commitment(details, [s["commitment"] for s in subjects])
        recorded_at = MOMENT + timedelta(minutes=sequence)
        header = ledger.Header(
            entry_id.hex,
            board_id.hex,
            sequence,
            ledger.timestamp(recorded_at),
            disclosure.provider_id.hex,
            disclosure.connection_id.hex,
            disclosure.channel.value,
            disclosure.endpoint,
            disclosure.response_digest,
            previous,
            commitment,
        )
        previous_hash, previous = previous, ledger.entry_hash(header)
        connection.execute(
            OLD_ENTRY.insert().values(
                id=entry_id,
                board_id=board_id,
                provider_id=disclosure.provider_id,
                connection_id=disclosure.connection_id,
                sequence=sequence,
                recorded_at=recorded_at,
                channel=disclosure.channel.value,
                endpoint=disclosure.endpoint,
                response_digest=disclosure.response_digest,
                previous_hash=previous_hash,
                entry_hash=previous,
                payload_commitment=commitment,
            )
        )
        connection.execute(
            OLD_PAYLOAD.insert().values(
                entry_id=entry_id,
                board_id=board_id,
                details_commitment=details,
                salt=salt,
                query=disclosure.query,
                attribute_ids=attributes,
            )
        )
        if subjects:
            connection.execute(OLD_SUBJECT.insert(), subjects)
    return previous


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_ledger(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Engine, uuid.UUID]]:
    """A database at the revision before 0008 with three old-form entries, then upgraded."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        _need_postgres()
        name = f"kv_old_ledger_{uuid.uuid4().hex[:8]}"
        url = _create_postgres_database(name)
    engine = make_engine(url)
    upgrade(engine, "0002_import")
    board = BoardFactory.build()
    with Session(engine, expire_on_commit=False) as session:
        session.add(board)
        session.commit()
    with engine.begin() as connection:
        last = _record_old(connection, board.id, [{NOOR, SEM}, {SEM}, set()])
        connection.execute(
            sa.text(
                "INSERT INTO audit_chain (board_id, last_sequence, last_hash, updated_at) "
                "VALUES (:board, 3, :last, :now)"
            ).bindparams(sa.bindparam("board", type_=sa.Uuid())),
            {"board": board.id, "last": last, "now": MOMENT},
        )
    upgrade(engine)
    yield engine, board.id
    engine.dispose()
    if name is not None:
        _drop_postgres_database(name)


class TestOldEntriesAfterMigration:
    def test_they_still_verify(self, old_ledger: tuple[Engine, uuid.UUID]) -> None:
        engine, board_id = old_ledger
        with Session(engine) as session:
            (chain,) = service.verify(session, board_id).chains
        assert (chain.ok, chain.entries) == (True, 3)

    def test_the_person_view_still_finds_them(self, old_ledger: tuple[Engine, uuid.UUID]) -> None:
        engine, board_id = old_ledger
        with Session(engine) as session:
            seen = service.disclosures_for_person(session, board_id, SEM)
        assert [d.sequence for d in seen] == [1, 2]

    def test_erasure_and_retention_reach_them_and_the_chain_still_verifies(
        self, old_ledger: tuple[Engine, uuid.UUID]
    ) -> None:
        engine, board_id = old_ledger
        with Session(engine) as session:
            assert service.erase_person(session, board_id, NOOR) == 1
            (chain,) = service.verify(session, board_id).chains
            assert (chain.ok, chain.erased_subjects) == (True, 1)
            assert service.disclosures_for_person(session, board_id, NOOR) == ()
            (first, *_) = service.disclosures_for_provider(
                session,
                board_id,
                session.scalar(sa.select(Entry.provider_id).where(Entry.sequence == 1)),
            )
            assert (first.person_ids, first.erased_people) == (frozenset({SEM}), 1)
            service.erase_payloads(session, board_id, MOMENT + timedelta(days=1))
            (chain,) = service.verify(session, board_id).chains
            # Old-form entries keep each person's commitment, so retention's erasures count.
            assert (chain.ok, chain.erased_payloads, chain.erased_subjects) == (True, 3, 3)

    def test_a_changed_old_person_is_still_named(
        self, old_ledger: tuple[Engine, uuid.UUID]
    ) -> None:
        engine, board_id = old_ledger
        with Session(engine) as session:
            session.execute(
                sa.text(
                    "UPDATE audit_payload SET v1_subjects = replace(v1_subjects, :sem, :other)"
                ),
                {"sem": SEM.hex, "other": uuid.uuid4().hex},
            )
            (chain,) = service.verify(session, board_id).chains
        assert chain.broken is not None
        assert (chain.broken.sequence, chain.broken.detail) == (
            1,
            "a person in it differs from who was recorded",
        )
