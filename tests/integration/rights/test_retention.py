"""The retention purge: a dry run lists exactly what goes, the approved run removes exactly
that, a second purge finds nothing, holds keep what they cover, a stale plan is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.connections.models import AdminRole
from koppelvlak.db import Base
from koppelvlak.release import kept
from koppelvlak.results.models import ResultScore
from koppelvlak.rights import holds, purge_plans, retention
from koppelvlak.rights.applicable import retention_ends, retention_starts
from koppelvlak.rights.holds_models import ErasureKind, ErasureRecord
from koppelvlak.roster.models import Board, Guardian, Guardianship, School, Staff, Student
from tests.factories.audit import DisclosureFactory
from tests.factories.providers import T0, Setup, board_with_school, connected
from tests.integration.rights.cast import KEY, PUPILS, TEACHERS, _result

AS_OF = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


@dataclass
class World:
    board: Board
    school: School
    gone: Student  # left 2023-07-31: past the longest retention (final_test, P2Y)
    recent: Student  # left 2025-07-31: still within it
    current: Student
    parent: Guardian  # of ``gone`` only
    teacher: Staff  # removed 2024-01-01
    pupils: Setup


def _pupil(session: Session, board: Board, school: School, key: str, end: date | None) -> Student:
    student = Student(
        board_id=board.id, school_id=school.id, source_key=key, given_name=key, enrolment_end=end
    )
    session.add(student)
    session.flush()
    return student


def _board(session: Session) -> World:
    board, school = board_with_school(session)
    gone = _pupil(session, board, school, "gone", date(2023, 7, 31))
    recent = _pupil(session, board, school, "recent", date(2025, 7, 31))
    current = _pupil(session, board, school, "current", None)
    parent = Guardian(board_id=board.id, source_key="parent-of-gone", given_name="Ouder")
    teacher = Staff(
        board_id=board.id,
        school_id=school.id,
        source_key="T-1",
        given_name="Juf",
        removed_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    session.add_all([parent, teacher])
    session.flush()
    session.add(
        Guardianship(
            board_id=board.id, guardian_id=parent.id, student_id=gone.id, relation="parent"
        )
    )
    pupils = connected(session, PUPILS, board=board, school=school)  # final_test: P2Y
    connected(session, TEACHERS, board=board, school=school)  # learning_materials: P1Y
    old, new = _result(session, pupils, current), _result(session, pupils, current)
    old.taken_on, new.taken_on = date(2023, 5, 1), date(2026, 5, 1)
    for recorded in (datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC)):
        audit.record(
            session,
            DisclosureFactory(
                board_id=board.id,
                provider_id=pupils.provider.id,
                connection_id=pupils.connection.id,
                person_ids=frozenset({gone.id, current.id}),
            ),
            at=recorded,
        )
    session.flush()
    kept.settle(session, KEY)
    return World(board, school, gone, recent, current, parent, teacher, pupils)


def _rows(session: Session) -> dict[str, int]:
    return {
        t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
        for t in Base.metadata.sorted_tables
    }


def _purge(session: Session, board: Board) -> retention.Findings:
    plan, _ = purge_plans.make_plan(
        session, board_id=board.id, as_of=AS_OF, actor="admin:Piet", role=AdminRole.ADMIN, at=AS_OF
    )
    purge_plans.approve(
        session, board_id=board.id, plan_id=plan.id, actor="dpo:Els", role=AdminRole.DPO, at=AS_OF
    )
    _, done = purge_plans.run(
        session,
        board_id=board.id,
        plan_id=plan.id,
        actor="admin:Piet",
        role=AdminRole.ADMIN,
        at=AS_OF,
    )
    return done


class TestRetentionPeriods:
    def test_add_and_subtract_years_months_weeks_and_days(self) -> None:
        assert retention_ends(date(2023, 7, 31), "P2Y") == date(2025, 7, 31)
        assert retention_ends(date(2024, 1, 31), "P1M") == date(2024, 2, 29)
        assert retention_ends(date(2024, 1, 1), "P1Y2M1W3D") == date(2025, 3, 11)
        assert retention_starts(date(2026, 9, 1), "P2Y") == date(2024, 9, 1)
        with pytest.raises(ValueError, match="not an ISO 8601 duration"):
            retention_ends(date(2024, 1, 1), "P")


class TestTheDryRun:
    def test_lists_exactly_who_and_what_is_past_retention(self, session: Session) -> None:
        world = _board(session)
        before = _rows(session)

        found = retention.find(session, world.board.id, AS_OF)

        assert {p.person_id for p in found.people} == {
            world.gone.id,
            world.parent.id,
            world.teacher.id,
        }
        gone = next(p for p in found.people if p.person_id == world.gone.id)
        assert (gone.ended_on, gone.kept_until) == (date(2023, 7, 31), date(2025, 7, 31))
        assert gone.purposes == ("final_test",)  # the staff dataset does not process students
        assert [r.taken_on for r in found.results] == [date(2023, 5, 1)]
        assert found.ledger_before == datetime(2024, 9, 1, tzinfo=UTC)
        assert found.ledger_entries == 1
        assert _rows(session) == before  # a dry run changes nothing


class TestTheRealPurge:
    def test_removes_exactly_what_the_dry_run_listed_and_a_second_finds_nothing(
        self, session: Session
    ) -> None:
        world = _board(session)
        dry = retention.find(session, world.board.id, AS_OF)

        done = _purge(session, world.board)
        kept.settle(session, KEY)

        assert done == dry
        for person in (world.gone, world.teacher, world.parent):
            assert session.get(type(person), person.id) is None
        for person in (world.recent, world.current):
            assert session.get(Student, person.id) is not None
        assert session.scalar(select(func.count()).select_from(ResultScore)) == 1
        again = retention.find(session, world.board.id, AS_OF)
        assert again.empty
        assert again.people == ()
        (chain,) = audit.verify(session, world.board.id).chains
        assert chain.broken is None
        assert chain.erased_payloads == 1
        assert kept.check(session, AS_OF, KEY, world.board.id) == []
        records = session.scalars(select(ErasureRecord)).all()
        assert sorted(r.person_kind for r in records) == ["guardian", "staff", "student"]
        assert {r.kind for r in records} == {ErasureKind.RETENTION}

    def test_a_held_person_survives_the_dry_run_and_the_purge(self, session: Session) -> None:
        world = _board(session)
        hold = holds.place_hold(
            session,
            board_id=world.board.id,
            person_id=world.gone.id,
            reason="claim by the parents, case 2026/88",
            actor="dpo:Els",
            at=T0,
        )

        dry = retention.find(session, world.board.id, AS_OF)
        assert world.gone.id not in {p.person_id for p in dry.people}
        assert world.parent.id not in {p.person_id for p in dry.people}  # their child stays
        assert [(h.person_id, h.hold_id) for h in dry.held] == [(world.gone.id, hold.id)]
        assert dry.ledger_entries == 0  # while a hold stands the ledger is left whole

        _purge(session, world.board)

        assert session.get(Student, world.gone.id) is not None
        assert session.get(Guardian, world.parent.id) is not None
        assert world.gone.id not in {
            p.person_id for p in retention.find(session, world.board.id, AS_OF).people
        }

    def test_a_purpose_hold_keeps_everyone_and_every_result_under_it(
        self, session: Session
    ) -> None:
        world = _board(session)
        holds.place_hold(
            session,
            board_id=world.board.id,
            purpose_code="final_test",
            reason="final test audit",
            actor="dpo:Els",
            at=T0,
        )
        found = retention.find(session, world.board.id, AS_OF)
        assert {p.person_id for p in found.people} == {world.teacher.id}  # not under it
        assert found.results == ()


class TestThePlan:
    def test_is_refused_when_the_data_changed_since_it_was_made(self, session: Session) -> None:
        world = _board(session)
        plan, _ = purge_plans.make_plan(
            session, board_id=world.board.id, as_of=AS_OF, actor="a", role=AdminRole.ADMIN, at=AS_OF
        )
        purge_plans.approve(
            session,
            board_id=world.board.id,
            plan_id=plan.id,
            actor="d",
            role=AdminRole.DPO,
            at=AS_OF,
        )
        world.recent.enrolment_end = date(2020, 7, 31)  # now past retention too: not approved
        session.flush()
        before = _rows(session)

        with pytest.raises(purge_plans.PlanStale) as raised:
            purge_plans.run(
                session,
                board_id=world.board.id,
                plan_id=plan.id,
                actor="a",
                role=AdminRole.ADMIN,
                at=AS_OF,
            )

        assert raised.value.detail == (
            f"the data changed since purge plan {plan.id} was made; make and approve a new plan"
        )
        assert _rows(session) == before

    def test_needs_a_dpo_once_and_runs_once(self, session: Session) -> None:
        world = _board(session)
        other, _ = board_with_school(session)
        plan, _ = purge_plans.make_plan(
            session, board_id=world.board.id, as_of=AS_OF, actor="a", role=AdminRole.ADMIN, at=AS_OF
        )
        args = {"board_id": world.board.id, "plan_id": plan.id, "actor": "x", "at": AS_OF}
        with pytest.raises(purge_plans.WrongPlanState, match="only an approved plan runs"):
            purge_plans.run(session, role=AdminRole.ADMIN, **args)  # type: ignore[arg-type]
        for role in (AdminRole.ADMIN, AdminRole.VIEWER):
            with pytest.raises(purge_plans.PlanNotPermitted) as refused:
                purge_plans.approve(session, role=role, **args)  # type: ignore[arg-type]
            assert refused.value.detail == f"the {role} role may not approve a purge plan"
        with pytest.raises(purge_plans.UnknownPlan):
            purge_plans.approve(
                session, board_id=other.id, plan_id=plan.id, actor="d", role=AdminRole.DPO, at=AS_OF
            )
        purge_plans.approve(session, role=AdminRole.DPO, **args)  # type: ignore[arg-type]
        with pytest.raises(purge_plans.WrongPlanState, match="is already approved"):
            purge_plans.approve(session, role=AdminRole.DPO, **args)  # type: ignore[arg-type]
        purge_plans.run(session, role=AdminRole.DPO, **args)  # type: ignore[arg-type]
        with pytest.raises(purge_plans.WrongPlanState, match="has already run"):
            purge_plans.run(session, role=AdminRole.DPO, **args)  # type: ignore[arg-type]
        with pytest.raises(purge_plans.PlanNotPermitted):
            purge_plans.make_plan(
                session,
                board_id=world.board.id,
                as_of=AS_OF,
                actor="v",
                role=AdminRole.VIEWER,
                at=AS_OF,
            )
