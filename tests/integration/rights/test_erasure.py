"""Erasure of one person: no trace left in any table, the namesake untouched, notices made,
the ledger still verifies and the kept release still equals a fresh resolve.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.delivery import notices
from koppelvlak.release import kept
from koppelvlak.rights import holds
from koppelvlak.rights.applicable import UnknownPerson
from koppelvlak.rights.erasure import InvalidErasure, erase_person_data
from koppelvlak.rights.holds_models import ErasureRecord
from koppelvlak.roster.models import Student
from tests.factories.providers import T0, board_with_school
from tests.integration.rights import cast
from tests.integration.rights.scan import traces

LATER = T0 + timedelta(days=30)


def _values_of(session: Session, student: Student) -> set[str]:
    """What singles the student out: ids, keys, contact, birth date, pseudonyms."""
    return {
        str(student.id),
        student.id.hex,
        student.source_key,
        student.eckid or "",
        student.email or "",
        student.username or "",
        student.birth_date.isoformat() if student.birth_date else "",
        *cast.pseudonyms(session, student.id),
    }


def _everything(session: Session) -> dict[str, int]:
    from koppelvlak.db import Base

    return {
        t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
        for t in Base.metadata.sorted_tables
    }


class TestErasingAStudent:
    def test_leaves_no_trace_of_them_in_any_table(self, session: Session) -> None:
        people = cast.build(session)
        needles = _values_of(session, people.fenna)
        assert traces(session, needles)  # the scan does find them before

        erase_person_data(
            session,
            board_id=people.board.id,
            person_id=people.fenna.id,
            at=LATER,
            request_ref="AVG-2026-014",
        )
        kept.settle(session, cast.KEY)

        left = traces(session, needles)
        # Only the deletion notice still names them — by id and the pseudonym the provider
        # knows — so the notice can be sent, acknowledged and chased (ADR 0116).
        assert {(t.table, t.column) for t in left} <= {
            ("deletion_notice", "person_id"),
            ("deletion_notice", "pseudonym"),
        }
        assert len({t.row for t in left}) == 1  # one notice row, nothing else

    def test_the_name_remains_only_with_the_namesake(self, session: Session) -> None:
        people = cast.build(session)
        namesake = _values_of(session, people.namesake)
        before = traces(session, namesake)

        erase_person_data(session, board_id=people.board.id, person_id=people.fenna.id, at=LATER)
        kept.settle(session, cast.KEY)

        for trace in traces(session, {"Wijnbergen-Oudshoorn"}):
            assert any(n.lower() in trace.row for n in namesake), trace
        assert session.get(Student, people.namesake.id) is not None
        after = traces(session, namesake)
        assert {(t.table, t.column, t.needle) for t in after} == {
            (t.table, t.column, t.needle) for t in before
        }

    def test_makes_a_notice_for_each_provider_that_received_their_data(
        self, session: Session
    ) -> None:
        people = cast.build(session)  # the staff-only provider never received her
        pseudonyms_before = cast.pseudonyms(session, people.fenna.id)

        report = erase_person_data(
            session, board_id=people.board.id, person_id=people.fenna.id, at=LATER
        )

        assert {n.provider_id for n in report.notices} == {people.pupils.provider.id}
        assert [n.connection_id for n in report.notices] == [people.pupils.connection.id]
        assert report.awaiting == report.notices  # nobody acknowledged yet
        (notice,) = notices.notices_for_person(
            session, board_id=people.board.id, person_id=people.fenna.id
        )
        assert (notice.id, notice.reason) == (report.notices[0].notice_id, "erasure")
        assert notice.pseudonym in pseudonyms_before

    def test_keeps_the_ledger_verifiable_and_the_kept_release_equal_to_a_fresh_resolve(
        self, session: Session
    ) -> None:
        people = cast.build(session)

        report = erase_person_data(
            session, board_id=people.board.id, person_id=people.fenna.id, at=LATER
        )
        kept.settle(session, cast.KEY)

        assert report.removed["ledger_entries"] == 2
        (chain,) = audit.verify(session, people.board.id).chains
        assert chain.broken is None
        assert chain.erased_subjects == 2
        assert kept.check(session, LATER, cast.KEY, people.board.id) == []

    def test_keeps_only_a_record_that_it_happened_when_and_under_which_request(
        self, session: Session
    ) -> None:
        people = cast.build(session)

        report = erase_person_data(
            session,
            board_id=people.board.id,
            person_id=people.fenna.id,
            at=LATER,
            request_ref="AVG-2026-014",
            actor="dpo:Els",
        )

        record = session.get(ErasureRecord, report.record_id)
        assert record is not None
        assert (record.request_ref, record.person_kind, record.erased_by) == (
            "AVG-2026-014",
            "student",
            "dpo:Els",
        )
        assert record.counts["student"] == 1
        assert record.counts["result_score"] == 1
        assert record.counts["notices"] == 1


class TestErasingAGuardian:
    def test_leaves_no_trace_of_them_and_keeps_the_child(self, session: Session) -> None:
        people = cast.build(session)
        guardian = people.guardian
        needles = {
            str(guardian.id),
            guardian.id.hex,
            guardian.source_key,
            guardian.email or "",
            guardian.phone or "",
            "Oudshoorn-Klaassens",
        }

        erase_person_data(session, board_id=people.board.id, person_id=guardian.id, at=LATER)

        assert traces(session, needles) == []
        assert session.get(Student, people.fenna.id) is not None


class TestRefusedErasures:
    def test_a_held_person_is_not_erased_and_nothing_changes(self, session: Session) -> None:
        people = cast.build(session)
        holds.place_hold(
            session,
            board_id=people.board.id,
            person_id=people.fenna.id,
            reason="court case 2026/311",
            actor="dpo:Els",
            at=T0,
        )
        before = _everything(session)

        with pytest.raises(holds.HeldError) as raised:
            erase_person_data(
                session, board_id=people.board.id, person_id=people.fenna.id, at=LATER
            )

        assert "court case 2026/311" in raised.value.detail
        assert raised.value.status == 409
        assert _everything(session) == before

    def test_a_purpose_hold_that_applies_to_them_also_refuses(self, session: Session) -> None:
        people = cast.build(session)
        holds.place_hold(
            session,
            board_id=people.board.id,
            purpose_code="final_test",
            reason="final test results disputed",
            actor="dpo:Els",
            at=T0,
        )
        with pytest.raises(holds.HeldError):
            erase_person_data(
                session, board_id=people.board.id, person_id=people.fenna.id, at=LATER
            )

    def test_a_lifted_hold_no_longer_refuses_and_its_row_goes_with_the_person(
        self, session: Session
    ) -> None:
        people = cast.build(session)
        hold = holds.place_hold(
            session,
            board_id=people.board.id,
            person_id=people.fenna.id,
            reason="complaint",
            actor="dpo:Els",
            at=T0,
        )
        holds.lift_hold(
            session,
            board_id=people.board.id,
            hold_id=hold.id,
            reason="complaint closed",
            actor="dpo:Els",
            at=T0 + timedelta(days=1),
        )
        report = erase_person_data(
            session, board_id=people.board.id, person_id=people.fenna.id, at=LATER
        )
        assert report.removed["legal_hold"] == 1

    def test_an_unknown_person_or_another_boards_is_not_found_and_nothing_changes(
        self, session: Session
    ) -> None:
        people = cast.build(session)
        other_board, _ = board_with_school(session)
        before = _everything(session)
        for board_id, person_id in (
            (people.board.id, uuid.uuid4()),
            (other_board.id, people.fenna.id),
        ):
            with pytest.raises(UnknownPerson) as raised:
                erase_person_data(session, board_id=board_id, person_id=person_id, at=LATER)
            assert raised.value.status == 404
            assert raised.value.detail == (
                f"no student, staff member or guardian with id {person_id} here"
            )
        assert _everything(session) == before

    def test_a_blank_request_reference_is_refused(self, session: Session) -> None:
        people = cast.build(session)
        with pytest.raises(InvalidErasure):
            erase_person_data(
                session,
                board_id=people.board.id,
                person_id=people.fenna.id,
                at=LATER,
                request_ref="  ",
            )
