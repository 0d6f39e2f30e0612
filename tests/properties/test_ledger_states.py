"""Stateful property: any mix of appends, erasures and retention leaves every chain verifiable,
the views agree with a plain model, and a tampered entry is always the one named."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from koppelvlak.audit import service
from koppelvlak.audit.models import Entry
from koppelvlak.audit.reports import BreakKind
from koppelvlak.kit.clock import utcnow
from tests.factories.audit import DisclosureFactory
from tests.factories.roster import BoardFactory

PEOPLE = [uuid.UUID(int=n + 1) for n in range(4)]
BOARDS = 2

# Deterministic in CI and locally: the same examples every run, no deadline on a busy machine.
LEDGER_SETTINGS = settings(
    derandomize=True,
    max_examples=12,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class LedgerMachine(RuleBasedStateMachine):
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.session = Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        self.boards = [BoardFactory.build() for _ in range(BOARDS)]
        self.session.add_all(self.boards)
        self.session.flush()
        # The model: per board, the people each entry still names, in sequence order.
        self.model: list[list[set[uuid.UUID]]] = [[] for _ in range(BOARDS)]

    def teardown(self) -> None:
        self.session.close()
        self.transaction.rollback()
        self.connection.close()

    @initialize()
    def start(self) -> None:
        assert service.verify(self.session).ok

    @rule(board=st.integers(0, BOARDS - 1), people=st.sets(st.sampled_from(PEOPLE)))
    def append(self, board: int, people: set[uuid.UUID]) -> None:
        disclosure = DisclosureFactory.build(
            board_id=self.boards[board].id, person_ids=frozenset(people)
        )
        receipt = service.record(self.session, disclosure)
        self.model[board].append(set(people))
        assert receipt.sequence == len(self.model[board])

    @rule(board=st.integers(0, BOARDS - 1), person=st.sampled_from(PEOPLE))
    def erase(self, board: int, person: uuid.UUID) -> None:
        named = sum(person in entry for entry in self.model[board])
        assert service.erase_person(self.session, self.boards[board].id, person) == named
        for entry in self.model[board]:
            entry.discard(person)

    @rule(board=st.integers(0, BOARDS - 1))
    def retention(self, board: int) -> None:
        service.erase_payloads(self.session, self.boards[board].id, utcnow() + timedelta(days=1))
        for entry in self.model[board]:
            entry.clear()

    @precondition(lambda self: any(self.model))
    @rule(data=st.data())
    def tamper_and_restore(self, data: st.DataObject) -> None:
        board = data.draw(st.sampled_from([b for b in range(BOARDS) if self.model[b]]))
        sequence = data.draw(st.integers(1, len(self.model[board])))
        board_id = self.boards[board].id
        entry_id, endpoint = self.session.execute(
            select(Entry.id, Entry.endpoint).where(
                Entry.board_id == board_id, Entry.sequence == sequence
            )
        ).one()
        self.session.execute(update(Entry).where(Entry.id == entry_id).values(endpoint="GET /x"))
        (chain,) = service.verify(self.session, board_id).chains
        assert chain.broken is not None
        assert (chain.broken.sequence, chain.broken.entry_id, chain.broken.kind) == (
            sequence,
            entry_id,
            BreakKind.CHANGED,
        )
        self.session.execute(update(Entry).where(Entry.id == entry_id).values(endpoint=endpoint))

    @invariant()
    def every_chain_verifies_with_the_model_s_counts(self) -> None:
        report = service.verify(self.session)
        assert report.ok, report.broken
        counts = {chain.board_id: chain.entries for chain in report.chains}
        for board, entries in zip(self.boards, self.model, strict=True):
            assert counts.get(board.id, 0) == len(entries)

    @invariant()
    def the_person_view_matches_the_model(self) -> None:
        for board, entries in zip(self.boards, self.model, strict=True):
            for person in PEOPLE:
                seen = service.disclosures_for_person(self.session, board.id, person)
                expected = [n + 1 for n, entry in enumerate(entries) if person in entry]
                assert [d.sequence for d in seen] == expected


class TestLedgerStates:
    def test_appends_erasures_and_retention_keep_the_ledger_verifiable(
        self, engine: Engine
    ) -> None:
        machine = type("BoundLedgerMachine", (LedgerMachine,), {"engine": engine})
        run_state_machine_as_test(machine, settings=LEDGER_SETTINGS)
