"""The kept release on a real database: one person across schools, drift found and repaired."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from koppelvlak.api.oneroster.collections import ENDPOINTS
from koppelvlak.api.oneroster.pages import collection
from koppelvlak.api.oneroster.params import parse_collection
from koppelvlak.kit import changes
from koppelvlak.providers.schemas import DatasetSpec
from koppelvlak.release import kept, kept_reads
from koppelvlak.release.models import KeptObject
from koppelvlak.roster.models import Staff
from tests.factories.providers import T0, accredited_provider, board_with_school, connected
from tests.factories.roster import SchoolFactory

KEY = b"kept-release-integration-key-01234"
TEACHERS = next(e for e in ENDPOINTS if e.path == "/teachers")
STAFF_DATASET = DatasetSpec(
    attributes={"staff.given_name": True},
    purpose_code="learning_materials",
    entity_types=frozenset({"staff"}),
)


def _teachers(session: Session, connection_ids: list[object]) -> list[dict[str, object]]:
    heads = kept_reads.heads(session, connection_ids)  # type: ignore[arg-type]
    query = parse_collection({"limit": "100"}, TEACHERS.records.fields)
    found = collection(session, heads, TEACHERS, {}, query)
    return [json.loads(r) for r in found.records]


class TestATeacherAtTwoSchoolsOfOneBoard:
    def test_is_one_user_with_a_role_at_each_school(self, session: Session) -> None:
        board, first = board_with_school(session)
        second = SchoolFactory(board_id=board.id)
        session.add(second)
        session.flush()
        for school in (first, second):  # the LAS sends her with each school: one row each
            session.add(
                Staff(board_id=board.id, school_id=school.id, source_key="T-42", given_name="Ans")
            )
        session.flush()
        provider = accredited_provider(session, T0)
        one = connected(session, STAFF_DATASET, board=board, school=first, provider=provider)
        two = connected(session, STAFF_DATASET, board=board, school=second, provider=provider)
        kept.settle(session, KEY)

        (teacher,) = _teachers(session, [one.connection.id, two.connection.id])

        schools = {role["org"]["sourcedId"] for role in teacher["roles"]}  # type: ignore[index, union-attr]
        assert schools == {f"{s.brin}{s.location_code}" for s in (first, second)}
        assert teacher["givenName"] == "Ans"


class TestTheDriftCheck:
    def test_finds_nothing_after_changes_were_settled(self, session: Session) -> None:
        setup = connected(session)
        kept.settle(session, KEY)
        assert kept.check(session, T0, KEY, setup.board.id) == []

    def test_names_an_object_whose_kept_form_was_changed_and_rebuild_repairs_it(
        self, session: Session
    ) -> None:
        board, school = board_with_school(session)
        session.add(Staff(board_id=board.id, school_id=school.id, source_key="T1", given_name="Bo"))
        session.flush()
        setup = connected(session, STAFF_DATASET, board=board, school=school)
        kept.settle(session, KEY)
        session.execute(
            update(KeptObject)
            .where(KeptObject.connection_id == setup.connection.id)
            .where(KeptObject.collection == "users")
            .values(digest="0" * 32)
        )
        (drift,) = kept.check(session, T0, KEY, board.id)
        assert (drift.collection, drift.problem) == ("users", "differs")
        stamp = session.scalar(select(KeptObject.modified_at).where(KeptObject.key == drift.key))

        kept.refresh_all(session, T0 + timedelta(minutes=1), KEY, board.id, rewrite=True)

        assert kept.check(session, T0, KEY, board.id) == []
        assert (
            session.scalar(select(KeptObject.modified_at).where(KeptObject.key == drift.key))
            != stamp
        )  # the digest differed, so what the provider sees is stamped anew

    def test_a_change_nobody_noted_is_drift(self, session: Session) -> None:
        board, school = board_with_school(session)
        member = Staff(board_id=board.id, school_id=school.id, source_key="T2", given_name="Cor")
        session.add(member)
        session.flush()
        setup = connected(session, STAFF_DATASET, board=board, school=school)
        kept.settle(session, KEY)
        member.given_name = "Corrie"  # written past the services: no note
        session.flush()
        assert [d.problem for d in kept.check(session, T0, KEY, board.id)] == ["differs"]
        changes.school_changed(session, school.id, T0 + timedelta(minutes=1))
        kept.settle(session, KEY)
        assert kept.check(session, T0, KEY, setup.board.id) == []
