"""The school's choices on a connection: scope, switched-off attributes and licences.

The scope is an outer scope (whole school, groups or year groups) plus, optionally, *licensed
users only*. A licence — uploaded by the school or submitted by the provider — only counts for
someone inside the outer scope; one for someone outside it is refused, and the whole upload
with it. The engine checks the outer scope again on every release, so a roster change that
takes a licensed person out of scope takes them out of the release.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from koppelvlak.connections import repository
from koppelvlak.connections.errors import InvalidLicence, InvalidScope
from koppelvlak.connections.models import (
    Connection,
    ConnectionScopeGroup,
    ConnectionScopeYearGroup,
    ConnectionSwitchOff,
    Licence,
    LicenceSource,
    PersonKindColumn,
    ScopeKind,
)
from koppelvlak.connections.service import get, record
from koppelvlak.connections.states import TERMINAL, state_at
from koppelvlak.providers import service as providers
from koppelvlak.roster.models import Group, Staff, StaffMembership, Student, StudentMembership

_YEAR_GROUP = re.compile(r"^[0-9A-Za-z]{1,2}$")


def _open(connection: Connection, at: datetime) -> None:
    current = state_at(connection.state, connection.ends_at, at)
    if current in TERMINAL:
        raise InvalidScope(f"a connection that is {current} cannot change")


def set_scope(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    kind: ScopeKind,
    group_ids: frozenset[uuid.UUID] = frozenset(),
    year_groups: frozenset[str] = frozenset(),
    licensed_only: bool = False,
    actor: str,
    at: datetime,
) -> Connection:
    """Replace the connection's scope; groups must be groups of the connection's school."""
    connection = get(session, board_id, connection_id)
    _open(connection, at)
    if kind is ScopeKind.GROUPS and not group_ids:
        raise InvalidScope("a groups scope needs at least one group")
    if kind is ScopeKind.YEAR_GROUPS and not year_groups:
        raise InvalidScope("a year-groups scope needs at least one year group")
    if kind is not ScopeKind.GROUPS and group_ids:
        raise InvalidScope(f"a {kind} scope takes no groups")
    if kind is not ScopeKind.YEAR_GROUPS and year_groups:
        raise InvalidScope(f"a {kind} scope takes no year groups")
    bad_years = sorted(y for y in year_groups if not _YEAR_GROUP.match(y))
    if bad_years:
        raise InvalidScope(f"year group(s) not valid: {', '.join(bad_years)}")
    if group_ids:
        found = set(
            session.scalars(
                select(Group.id).where(
                    Group.board_id == board_id,
                    Group.school_id == connection.school_id,
                    Group.id.in_(group_ids),
                    Group.removed_at.is_(None),
                )
            )
        )
        missing = sorted(str(g) for g in group_ids - found)
        if missing:
            raise InvalidScope(
                f"not a current group of the connection's school: {', '.join(missing)}"
            )
    before = _scope_detail(session, connection)
    session.execute(
        delete(ConnectionScopeGroup).where(ConnectionScopeGroup.connection_id == connection.id)
    )
    session.execute(
        delete(ConnectionScopeYearGroup).where(
            ConnectionScopeYearGroup.connection_id == connection.id
        )
    )
    for group_id in sorted(group_ids):
        session.add(
            ConnectionScopeGroup(board_id=board_id, connection_id=connection.id, group_id=group_id)
        )
    for year in sorted(year_groups):
        session.add(
            ConnectionScopeYearGroup(
                board_id=board_id, connection_id=connection.id, year_group=year
            )
        )
    connection.scope_kind = kind
    connection.licensed_only = licensed_only
    connection.updated_at = at
    session.flush()
    record(
        session,
        connection,
        actor=actor,
        action="set_scope",
        at=at,
        detail={"before": before, "after": _scope_detail(session, connection)},
    )
    session.flush()
    return connection


def _scope_detail(session: Session, connection: Connection) -> dict[str, object]:
    return {
        "kind": connection.scope_kind.value,
        "licensed_only": connection.licensed_only,
        "groups": sorted(str(g) for g in repository.scope_groups(session, connection.id)),
        "year_groups": sorted(repository.scope_year_groups(session, connection.id)),
    }


def switch_attribute(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    attribute_id: str,
    *,
    on: bool,
    actor: str,
    at: datetime,
) -> Connection:
    """Switch an optional attribute of the approved dataset off (or back on)."""
    connection = get(session, board_id, connection_id)
    _open(connection, at)
    version = providers.dataset_version_view(session, connection.dataset_version_id)
    if attribute_id not in version.attributes:
        raise InvalidScope(f"attribute {attribute_id} is not in dataset version {version.version}")
    if version.attributes[attribute_id]:
        raise InvalidScope(
            f"attribute {attribute_id} is required by the dataset and cannot be switched off"
        )
    existing = session.scalar(
        select(ConnectionSwitchOff).where(
            ConnectionSwitchOff.connection_id == connection.id,
            ConnectionSwitchOff.attribute_id == attribute_id,
        )
    )
    if on and existing is not None:
        session.delete(existing)
    elif not on and existing is None:
        session.add(
            ConnectionSwitchOff(
                board_id=board_id, connection_id=connection.id, attribute_id=attribute_id
            )
        )
    else:
        return connection
    record(
        session,
        connection,
        actor=actor,
        action="switch_on" if on else "switch_off",
        at=at,
        detail={"attribute": attribute_id},
    )
    session.flush()
    return connection


def _outer_scope_people(
    session: Session, connection: Connection, kind: PersonKindColumn
) -> set[uuid.UUID]:
    """Current people of the connection's school inside its outer scope."""
    person = Student if kind is PersonKindColumn.STUDENT else Staff
    membership = StudentMembership if kind is PersonKindColumn.STUDENT else StaffMembership
    member_id = (
        StudentMembership.student_id
        if kind is PersonKindColumn.STUDENT
        else StaffMembership.staff_id
    )
    base = select(person.id).where(
        person.board_id == connection.board_id,
        person.school_id == connection.school_id,
        person.removed_at.is_(None),
    )
    if connection.scope_kind is ScopeKind.WHOLE_SCHOOL:
        return set(session.scalars(base))
    if connection.scope_kind is ScopeKind.YEAR_GROUPS and kind is PersonKindColumn.STUDENT:
        years = repository.scope_year_groups(session, connection.id)
        return set(session.scalars(base.where(Student.year_group.in_(years))))
    groups = select(Group.id).where(
        Group.board_id == connection.board_id,
        Group.school_id == connection.school_id,
        Group.removed_at.is_(None),
    )
    if connection.scope_kind is ScopeKind.GROUPS:
        groups = groups.where(Group.id.in_(repository.scope_groups(session, connection.id)))
    else:
        groups = groups.where(
            Group.year_group.in_(repository.scope_year_groups(session, connection.id))
        )
    members = select(member_id).where(
        membership.board_id == connection.board_id,
        membership.removed_at.is_(None),
        membership.group_id.in_(groups),
    )
    return set(session.scalars(base.where(person.id.in_(members))))


def add_licences(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    kind: PersonKindColumn,
    keys: list[str],
    source: LicenceSource,
    actor: str,
    at: datetime,
) -> int:
    """License people by key; all or nothing. Returns how many licences are new.

    The school names people by their LAS key (``source_key``); a provider by ECK iD, the only
    identifier it can know before anyone is released to it.
    """
    connection = get(session, board_id, connection_id)
    _open(connection, at)
    if not keys:
        raise InvalidLicence("the licence list is empty")
    person = Student if kind is PersonKindColumn.STUDENT else Staff
    column = person.source_key if source is LicenceSource.SCHOOL else person.eckid
    label = "key" if source is LicenceSource.SCHOOL else "ECK iD"
    rows = session.execute(
        select(column, person.id).where(
            person.board_id == board_id,
            person.school_id == connection.school_id,
            person.removed_at.is_(None),
            column.in_(set(keys)),
        )
    ).all()
    by_key = {str(k): pid for k, pid in rows}
    unknown = sorted(k for k in set(keys) if k not in by_key)
    if unknown:
        raise InvalidLicence(
            f"no current {kind} with {label} {', '.join(unknown)} at the connection's school"
        )
    inside = _outer_scope_people(session, connection, kind)
    outside = sorted(k for k in set(keys) if by_key[k] not in inside)
    if outside:
        raise InvalidLicence(f"outside the connection's scope, not licensed: {', '.join(outside)}")
    current = set(
        session.scalars(
            select(Licence.person_id).where(
                Licence.connection_id == connection.id, Licence.removed_at.is_(None)
            )
        )
    )
    new = sorted({by_key[k] for k in keys} - current)
    for person_id in new:
        session.add(
            Licence(
                board_id=board_id,
                connection_id=connection.id,
                person_kind=kind,
                person_id=person_id,
                source=source,
                created_at=at,
                created_by=actor,
            )
        )
    record(
        session,
        connection,
        actor=actor,
        action="add_licences",
        at=at,
        detail={"source": source.value, "kind": kind.value, "count": len(new)},
    )
    session.flush()
    return len(new)


def remove_licences(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    person_ids: frozenset[uuid.UUID],
    actor: str,
    at: datetime,
) -> int:
    connection = get(session, board_id, connection_id)
    licences = list(
        session.scalars(
            select(Licence).where(
                Licence.connection_id == connection.id,
                Licence.removed_at.is_(None),
                Licence.person_id.in_(person_ids),
            )
        )
    )
    for licence in licences:
        licence.removed_at = at
    record(
        session,
        connection,
        actor=actor,
        action="remove_licences",
        at=at,
        detail={"count": len(licences)},
    )
    session.flush()
    return len(licences)
