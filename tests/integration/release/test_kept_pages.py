"""Pages of a provider with two connections: a merge of both index reads, exact on every page.

The oracle is the in-memory path (``sort=sourcedId`` reads and merges every kept row), which
the index merge must equal page by page, for the total, deltas and tombstones of both schools.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from koppelvlak.api.oneroster.collections import ENDPOINTS, Endpoint
from koppelvlak.api.oneroster.pages import collection
from koppelvlak.api.oneroster.params import parse_collection
from koppelvlak.kit import changes
from koppelvlak.providers.schemas import DatasetSpec
from koppelvlak.release import kept, kept_reads, page_memo
from koppelvlak.release.oneroster_formatting import timestamp
from koppelvlak.roster.models import School, Staff, Student
from tests.factories.providers import T0, accredited_provider, board_with_school, connected
from tests.factories.roster import SchoolFactory, StudentFactory

KEY = b"kept-pages-integration-key-0123456"
USERS = next(e for e in ENDPOINTS if e.path == "/users")
STUDENTS = next(e for e in ENDPOINTS if e.path == "/students")
EVERYONE = DatasetSpec(
    attributes={"student.given_name": True, "staff.given_name": True},
    purpose_code="learning_materials",
    entity_types=frozenset({"students", "staff"}),
)


class _Provider:
    """Two schools of one board, a teacher at both, one provider connected to each."""

    def __init__(self, session: Session) -> None:
        self.session = session
        board, first = board_with_school(session)
        second = SchoolFactory(board_id=board.id)
        session.add(second)
        session.flush()
        self.board_id, self.schools = board.id, (first, second)
        self.students: list[Student] = []
        for school, count in ((first, 9), (second, 6)):
            for _ in range(count):
                student = StudentFactory(board_id=board.id, school_id=school.id)
                session.add(student)
                self.students.append(student)
        self.teachers = [
            Staff(board_id=board.id, school_id=school.id, source_key="T-42", given_name="Ans")
            for school in (first, second)
        ]
        session.add_all(self.teachers)
        session.flush()
        provider = accredited_provider(session, T0)
        self.connection_ids = [
            connected(session, EVERYONE, board=board, school=s, provider=provider).connection.id
            for s in (first, second)
        ]
        kept.settle(session, KEY)

    def read(
        self, endpoint: Endpoint, params: dict[str, str]
    ) -> tuple[int, list[dict[str, object]]]:
        heads = kept_reads.heads(self.session, self.connection_ids)
        query = parse_collection(
            params, endpoint.records.fields | frozenset(endpoint.records.aliases)
        )
        found = collection(self.session, heads, endpoint, {}, query)
        return found.total, [json.loads(r) for r in found.records]

    def changed(self, school: School, at: datetime) -> None:
        self.session.flush()
        changes.school_changed(self.session, school.id, at)
        kept.settle(self.session, KEY)


def _pages_equal(provider: _Provider, endpoint: Endpoint, extra: dict[str, str]) -> int:
    """Every page size and offset of the index merge equals the in-memory merge; the total."""
    total, everything = provider.read(endpoint, {"limit": "1000", "sort": "sourcedId", **extra})
    for limit in (1, 2, 5, 7):
        for offset in range(total + 2):
            params = {"limit": str(limit), "offset": str(offset), **extra}
            merged = provider.read(endpoint, params)
            oracle = provider.read(endpoint, {**params, "sort": "sourcedId"})
            assert merged == oracle
            assert merged[1] == everything[offset : offset + limit]
            assert merged[0] == total
    descending = provider.read(endpoint, {"limit": "4", "offset": "3", "orderBy": "desc", **extra})
    assert descending[1] == list(reversed(everything))[3:7]
    return total


@pytest.fixture
def provider(session: Session) -> _Provider:
    return _Provider(session)


class TestAProviderWithTwoConnectionsPages:
    def test_every_page_of_users_equals_the_in_memory_merge(self, provider: _Provider) -> None:
        total = _pages_equal(provider, USERS, {})
        assert total == 15 + 1  # the teacher at both schools is one user

    def test_a_role_filtered_collection_pages_the_same_way(self, provider: _Provider) -> None:
        assert _pages_equal(provider, STUDENTS, {}) == 15

    def test_the_teacher_at_both_schools_has_a_role_at_each(self, provider: _Provider) -> None:
        _total, users = provider.read(USERS, {"limit": "100"})
        (teacher,) = [u for u in users if u["givenName"] == "Ans"]
        schools = {role["org"]["sourcedId"] for role in teacher["roles"]}  # type: ignore[index, union-attr]
        assert schools == {f"{s.brin}{s.location_code}" for s in provider.schools}


class TestDeltasAcrossBothConnections:
    def test_report_changes_and_tombstones_of_both_schools_exactly(
        self, provider: _Provider
    ) -> None:
        later = T0 + timedelta(minutes=5)
        first, second = provider.schools
        provider.students[0].removed_at = later  # left the first school
        provider.students[-1].given_name = "Anders"  # renamed at the second
        provider.changed(first, later)
        provider.changed(second, later)
        since = {"filter": f"dateLastModified>'{timestamp(T0 + timedelta(minutes=1))}'"}

        assert _pages_equal(provider, USERS, since) == 2
        _total, delta = provider.read(USERS, {"limit": "100", **since})
        assert sorted(str(u["status"]) for u in delta) == ["active", "tobedeleted"]
        assert _pages_equal(provider, USERS, {}) == 15  # active only without a delta filter

    def test_a_teacher_leaving_both_schools_is_one_tombstone(self, provider: _Provider) -> None:
        later = T0 + timedelta(minutes=5)
        for teacher in provider.teachers:
            teacher.removed_at = later
        for school in provider.schools:
            provider.changed(school, later)
        since = {"filter": f"dateLastModified>'{timestamp(T0 + timedelta(minutes=1))}'"}

        assert _pages_equal(provider, USERS, since) == 1
        _total, (gone,) = provider.read(USERS, {"limit": "100", **since})
        assert gone["status"] == "tobedeleted"


@pytest.fixture(params=[2, 3], ids=["every 2", "every 3"])
def signposts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Signposts every two or three keys, so the pages of a small school pass several."""
    page_memo.forget()
    monkeypatch.setattr(page_memo, "SIGNPOST_EVERY", request.param)
    yield request.param
    page_memo.forget()


class TestPagesSeekPastSignposts:
    def test_every_page_of_both_connections_equals_the_in_memory_merge(
        self, provider: _Provider, signposts: int
    ) -> None:
        assert _pages_equal(provider, USERS, {}) == 16
        assert _pages_equal(provider, STUDENTS, {}) == 15
        assert page_memo.remembered() > 0

    def test_every_page_of_one_connection_equals_the_in_memory_read(
        self, provider: _Provider, signposts: int
    ) -> None:
        provider.connection_ids = provider.connection_ids[:1]
        assert _pages_equal(provider, USERS, {}) == 9 + 1

    def test_a_change_moves_the_signposts_with_the_version(
        self, provider: _Provider, signposts: int
    ) -> None:
        later = T0 + timedelta(minutes=5)
        _pages_equal(provider, USERS, {})
        first, second = provider.schools
        provider.students[1].removed_at = later
        for _ in range(3):
            provider.session.add(StudentFactory(board_id=provider.board_id, school_id=second.id))
        provider.changed(first, later)
        provider.changed(second, later)
        since = {"filter": f"dateLastModified>'{timestamp(T0 + timedelta(minutes=1))}'"}

        assert _pages_equal(provider, USERS, {}) == 16 - 1 + 3
        assert _pages_equal(provider, USERS, since) == 1 + 3


class TestTheMergedTotal:
    def test_follows_a_change_once_the_version_moves(self, provider: _Provider) -> None:
        before, _ = provider.read(USERS, {"limit": "1"})
        added = StudentFactory(board_id=provider.board_id, school_id=provider.schools[1].id)
        provider.session.add(added)
        provider.changed(provider.schools[1], T0 + timedelta(minutes=5))
        after, _ = provider.read(USERS, {"limit": "1"})
        assert after == before + 1

    def test_is_not_remembered_from_a_transaction_that_may_roll_back(
        self, provider: _Provider
    ) -> None:
        heads = kept_reads.heads(provider.session, provider.connection_ids)
        changes.connection_changed(provider.session, uuid.uuid4(), T0)  # a note not yet settled
        page_memo.forget()
        kept_reads.merged_page(
            provider.session, heads, "users", None, statuses=kept_reads.ACTIVE, since=None,
            inclusive=False, limit=1, offset=0, descending=False,
        )  # fmt: skip
        assert page_memo.remembered() == 0
        changes.take(provider.session)

    def test_nor_are_signposts_from_a_transaction_that_may_roll_back(
        self, provider: _Provider, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(page_memo, "SIGNPOST_EVERY", 2)
        heads = kept_reads.heads(provider.session, provider.connection_ids)
        changes.connection_changed(provider.session, uuid.uuid4(), T0)
        page_memo.forget()
        for one in (heads[:1], heads):
            _total, rows = kept_reads.page(
                provider.session, one, "users", None, statuses=kept_reads.ACTIVE, since=None,
                inclusive=False, limit=2, offset=5, descending=False,
            )  # fmt: skip
            assert len({row.key for row in rows}) == 2  # a teacher at both: two rows, one key
        assert page_memo.remembered() == 0
        changes.take(provider.session)
