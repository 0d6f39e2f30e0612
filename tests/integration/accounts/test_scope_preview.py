"""The live scope count: who a scope would share, before it is saved."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from koppelvlak.accounts import scope_preview
from koppelvlak.connections.errors import ConnectionNotFound
from koppelvlak.connections.models import ScopeKind
from tests.factories.providers import connected
from tests.factories.roster import GroupFactory, StudentFactory, StudentMembershipFactory


def test_year_groups_and_groups_narrow_the_count_and_another_boards_id_is_not_found(
    session: Session,
) -> None:
    setup = connected(session)
    board, school = setup.board.id, setup.school.id
    group = GroupFactory(board_id=board, school_id=school, year_group="7")
    students = [
        StudentFactory(board_id=board, school_id=school, year_group=y) for y in ("7", "7", "8")
    ]
    session.add_all([group, *students])
    session.flush()
    session.add(
        StudentMembershipFactory(board_id=board, student_id=students[0].id, group_id=group.id)
    )
    session.flush()

    def count(
        kind: ScopeKind,
        group_ids: frozenset[uuid.UUID] = frozenset(),
        year_groups: frozenset[str] = frozenset(),
        licensed_only: bool = False,
    ) -> tuple[int, int]:
        return scope_preview.count(
            session,
            board,
            setup.connection.id,
            kind=kind,
            group_ids=group_ids,
            year_groups=year_groups,
            licensed_only=licensed_only,
        )

    assert count(ScopeKind.WHOLE_SCHOOL) == (3, 0)
    assert count(ScopeKind.YEAR_GROUPS, year_groups=frozenset({"7"})) == (2, 0)
    assert count(ScopeKind.GROUPS, group_ids=frozenset({group.id})) == (1, 0)
    assert count(ScopeKind.WHOLE_SCHOOL, licensed_only=True) == (0, 0)
    assert scope_preview.choices(session, board, setup.connection.id).year_groups == ("7", "8")

    other = connected(session)
    with pytest.raises(ConnectionNotFound):
        scope_preview.count(
            session,
            board,
            other.connection.id,
            kind=ScopeKind.WHOLE_SCHOOL,
            group_ids=frozenset(),
            year_groups=frozenset(),
            licensed_only=False,
        )
