"""A batch of prepared entries lands in its boards' chains as if appended one by one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.audit import appends, service
from koppelvlak.audit.models import ChainHead, Entry, Payload, PersonKey
from koppelvlak.audit.reports import ChainReport
from koppelvlak.audit.sealing import Prepared
from koppelvlak.audit.values import LedgerReceipt
from koppelvlak.roster.models import Board
from tests.factories.audit import DisclosureFactory
from tests.integration.audit.conftest import RecordMany


def _chain(session: Session, board_id: uuid.UUID) -> ChainReport:
    (chain,) = service.verify(session, board_id).chains
    return chain


def _driver(session: Session) -> appends.Driver:
    return appends.Driver.of(session.connection())


def _write(session: Session, *prepared: Prepared) -> list[LedgerReceipt]:
    return appends.write(_driver(session), list(prepared))


class TestABatch:
    def test_entries_of_one_board_follow_each_other_and_move_the_head_once(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        record_many(board.id, 2)
        driver = _driver(session)
        batch = [
            appends.prepare(driver, DisclosureFactory.build(board_id=board.id)) for _ in range(3)
        ]
        receipts = _write(session, *batch)
        assert [r.sequence for r in receipts] == [3, 4, 5]
        assert [r.entry_id for r in receipts] == [p.entry_id for p in batch]
        assert len({r.recorded_at for r in receipts}) == 1  # one time, taken under the lock
        head = session.execute(
            select(ChainHead.last_sequence, ChainHead.last_hash).where(
                ChainHead.board_id == board.id
            )
        ).one()
        assert tuple(head) == (5, receipts[-1].entry_hash)
        assert _chain(session, board.id).ok
        assert _chain(session, board.id).entries == 5

    def test_entries_of_two_boards_go_to_their_own_chains(
        self, session: Session, make_board: Callable[[], Board]
    ) -> None:
        first, second = make_board(), make_board()
        driver = _driver(session)
        batch = [
            appends.prepare(driver, DisclosureFactory.build(board_id=board.id))
            for board in (first, second, first)
        ]
        receipts = _write(session, *batch)
        assert [(r.board_id, r.sequence) for r in receipts] == [
            (first.id, 1),
            (second.id, 1),
            (first.id, 2),
        ]
        assert service.verify(session).ok

    def test_the_payload_keeps_the_people_as_numbers_and_the_query(
        self, session: Session, board: Board
    ) -> None:
        disclosure = DisclosureFactory.build(board_id=board.id)
        (receipt,) = _write(session, appends.prepare(_driver(session), disclosure))
        people, query = session.execute(
            select(Payload.people, Payload.query).where(
                Payload.board_id == board.id, Payload.sequence == receipt.sequence
            )
        ).one()
        numbers = session.scalars(
            select(PersonKey.number).where(PersonKey.person_id.in_(disclosure.person_ids))
        ).all()
        assert people == tuple(sorted(numbers))
        assert query == disclosure.query
        views = service.disclosures_for_provider(session, board.id, disclosure.provider_id)
        assert [v.person_ids for v in views] == [disclosure.person_ids]


class TestPreparedBeforeTheLock:
    def test_people_without_a_key_get_one_under_the_lock(
        self, session: Session, board: Board
    ) -> None:
        prepared = appends.prepare(_driver(session), DisclosureFactory.build(board_id=board.id))
        assert prepared.draft is None  # nobody had a key yet
        _write(session, prepared)
        assert session.scalar(select(func.count()).select_from(PersonKey)) == 3
        assert _chain(session, board.id).ok

    def test_everyone_keyed_means_the_commitments_are_computed_before_the_lock(
        self, session: Session, board: Board
    ) -> None:
        disclosure = DisclosureFactory.build(board_id=board.id)
        service.record(session, disclosure)
        again = DisclosureFactory.build(board_id=board.id, person_ids=disclosure.person_ids)
        prepared = appends.prepare(_driver(session), again)
        assert prepared.draft is not None
        assert prepared.epoch == 0
        (receipt,) = _write(session, prepared)
        assert receipt.entry_id == prepared.entry_id
        assert _chain(session, board.id).ok

    def test_an_erasure_between_prepare_and_write_is_noticed_under_the_lock(
        self, session: Session, board: Board
    ) -> None:
        # Without the erasure count the entry would be sealed with the destroyed key, and
        # the chain would name a person with no key.
        first = DisclosureFactory.build(board_id=board.id)
        service.record(session, first)
        erased = sorted(first.person_ids)[0]
        again = DisclosureFactory.build(board_id=board.id, person_ids=first.person_ids)
        prepared = appends.prepare(_driver(session), again)
        service.erase_person(session, board.id, erased)
        _write(session, prepared)
        chain = _chain(session, board.id)
        assert chain.ok, chain.broken
        assert chain.erased_subjects == 1
        assert [d.entry_id for d in service.disclosures_for_person(session, board.id, erased)] == [
            prepared.entry_id
        ]


class TestRecordInTheCallersTransaction:
    def test_record_writes_the_same_entry_a_batch_does(
        self, session: Session, board: Board
    ) -> None:
        receipt = service.record(session, DisclosureFactory.build(board_id=board.id))
        stored = session.execute(
            select(Entry.sequence, Entry.entry_hash).where(Entry.id == receipt.entry_id)
        ).one()
        assert tuple(stored) == (1, receipt.entry_hash)
        assert _chain(session, board.id).ok


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


class TestTheEpochRead:
    """Read on every request with personal data: one index probe, however long the chain."""

    def test_postgresqls_cached_plan_reads_the_first_entry_by_its_sequence(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("a PostgreSQL plan")
        record_many(board.id, 3)
        connection = session.connection()
        # What a driver's prepared statement ends up with: a plan made without the values,
        # here on statistics of a ledger that was empty (this database is never analysed).
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        connection.exec_driver_sql(
            "PREPARE kv_epoch(uuid) AS " + appends._EPOCH.replace("%s", "$1")
        )
        (plan,) = connection.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) EXECUTE kv_epoch('{board.id}')"
        ).scalar_one()
        connection.exec_driver_sql("DEALLOCATE kv_epoch")
        entries = [n for n in _plan_nodes(plan["Plan"]) if n.get("Relation Name") == "audit_entry"]
        assert [n.get("Index Name") for n in entries] == ["uq_audit_entry_board_id_sequence"]
        assert all("Filter" not in n for n in entries)

    def test_sqlite_reads_the_first_entry_from_the_sequence_index_without_sorting(
        self, session: Session, board: Board, record_many: RecordMany
    ) -> None:
        if session.get_bind().dialect.name != "sqlite":
            pytest.skip("a SQLite plan")
        record_many(board.id, 3)
        plan = [
            str(row[3])
            for row in session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + appends._EPOCH.replace("%s", "?"), (board.id.hex,)
            )
        ]
        reads = [step for step in plan if " e " in f" {step} "]
        assert reads, plan
        assert all(step.startswith("SEARCH e USING") for step in reads), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan
        assert appends.epoch(appends.Driver.of(session.connection()), board.id)[1] is not None
