"""The scheduled refresh resolves only whom the calendar changed, and still equals ``resolve``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.kit import changes
from koppelvlak.providers.schemas import DatasetSpec
from koppelvlak.release import kept
from koppelvlak.release.models import KeptObject, KeptRelease
from koppelvlak.roster.models import School, Student
from tests.factories.providers import T0, board_with_school, connected
from tests.factories.roster import StudentFactory

KEY = b"kept-calendar-integration-key-0123"
CONSENT = DatasetSpec(
    attributes={"student.given_name": True},
    purpose_code="homework_support",  # consent-based: under 16 needs a parent's consent
    entity_types=frozenset({"students"}),
)


def _released(session: Session, connection_id: object) -> set[str]:
    rows = session.execute(
        select(KeptObject.body).where(
            KeptObject.connection_id == connection_id,
            KeptObject.collection == "users",
            KeptObject.status == "active",
        )
    )
    return {body for (body,) in rows}


class _School:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.board, self.school = board_with_school(session)
        self.turning = self._student(date(T0.year - 16, T0.month, T0.day) + timedelta(days=3))
        self.leaving = self._student(date(2000, 1, 1))
        self.staying = self._student(date(2000, 1, 1))
        self.setup = connected(session, CONSENT, board=self.board, school=self.school)
        kept.settle(session, KEY)

    def _student(self, born: date) -> Student:
        student = StudentFactory(board_id=self.board.id, school_id=self.school.id, birth_date=born)
        self.session.add(student)
        self.session.flush()
        return student

    def head(self) -> KeptRelease:
        found = self.session.get(KeptRelease, self.setup.connection.id, populate_existing=True)
        assert found is not None
        return found

    def synced(self, school: School, student: Student, at: datetime) -> None:
        """A sync that changed one student: a partial refresh of that student only."""
        self.session.flush()
        changes.school_changed(self.session, school.id, at, {student.id})
        kept.settle(self.session, KEY)


class TestTheScheduledRefresh:
    def test_with_nothing_due_changes_no_version_and_follows_the_calendar(
        self, session: Session
    ) -> None:
        school = _School(session)
        kept.refresh_all(session, T0 + timedelta(hours=1), KEY, school.board.id)
        version = school.head().version

        (done,) = kept.refresh_all(session, T0 + timedelta(hours=2), KEY, school.board.id)

        assert (done.touched, done.version) == (0, version)
        assert school.head().calendar_at is not None
        assert kept.check(session, T0 + timedelta(hours=2), KEY, school.board.id) == []

    def test_releases_a_student_who_turned_16_though_a_sync_refreshed_since(
        self, session: Session
    ) -> None:
        school = _School(session)
        kept.refresh_all(session, T0 + timedelta(hours=1), KEY, school.board.id)
        before = _released(session, school.setup.connection.id)
        school.staying.given_name = "Renamed"  # a sync on day 5 refreshes only this student
        school.synced(school.school, school.staying, T0 + timedelta(days=5))

        later = T0 + timedelta(days=6)
        (done,) = kept.refresh_all(session, later, KEY, school.board.id)

        assert done.added == 1  # the birthday on day 3 was not the sync's to see
        assert len(_released(session, school.setup.connection.id)) == len(before) + 1
        assert kept.check(session, later, KEY, school.board.id) == []

    def test_follows_a_removal_stamped_for_a_later_moment(self, session: Session) -> None:
        school = _School(session)
        school.leaving.removed_at = T0 + timedelta(days=2)
        school.synced(school.school, school.leaving, T0 + timedelta(hours=1))
        assert kept.check(session, T0 + timedelta(hours=1), KEY, school.board.id) == []

        later = T0 + timedelta(days=3)
        (done,) = kept.refresh_all(session, later, KEY, school.board.id)

        assert done.removed == 1
        assert kept.check(session, later, KEY, school.board.id) == []

    def test_purges_a_tombstone_past_its_window(self, session: Session) -> None:
        school = _School(session)
        school.leaving.removed_at = T0 + timedelta(hours=1)
        school.synced(school.school, school.leaving, T0 + timedelta(hours=1))

        much_later = T0 + timedelta(days=400)
        (done,) = kept.refresh_all(session, much_later, KEY, school.board.id)

        assert done.purged >= 1
        assert kept.check(session, much_later, KEY, school.board.id) == []
