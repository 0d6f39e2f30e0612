"""Release use cases: ``resolve`` (what a connection may see now) and ``explain`` (why).

Both read the facts the same way and ask the same pure engine, so an explanation always agrees
with what was released. This is the only code that turns roster rows into provider-facing values
(DESIGN invariant 1; the interfaces record a disclosure before sending).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from koppelvlak.kit.clock import as_utc
from koppelvlak.release import engine, loading
from koppelvlak.release.engine import Reason
from koppelvlak.release.errors import ConnectionInactive, PersonUnknown
from koppelvlak.release.facts import MEMBERSHIP_ATTRIBUTE, ConnectionFacts, GroupFacts, PersonFacts
from koppelvlak.release.gc_pause import collector_paused
from koppelvlak.release.keys import Key, day, stamp
from koppelvlak.release.pseudonyms import CachedPseudonyms, staff_identity
from koppelvlak.release.repository import GROUP_COLUMNS, STAFF_COLUMNS, STUDENT_COLUMNS
from koppelvlak.release.values import (
    AttributeValue,
    DepartedPerson,
    PersonKind,
    Release,
    ReleasedGroup,
    ReleasedPerson,
    ReleasedSchool,
)

# Where the value columns start in a person row (see release.repository).
_VALUES_AT = {PersonKind.STUDENT: 8, PersonKind.STAFF: 5}
_STAFF_KEY_AT = 4
_COLUMNS: dict[PersonKind, dict[str, Any]] = {
    PersonKind.STUDENT: STUDENT_COLUMNS,
    PersonKind.STAFF: STAFF_COLUMNS,
}
_GROUP_VALUES_AT = 5


def _consent_age(given: int | None) -> int:
    if given is not None:
        return given
    from koppelvlak.config import get_settings

    return get_settings().digital_consent_age


def _plain(value: Any) -> AttributeValue:
    """Enums become their string value; dates stay dates."""
    if hasattr(value, "value") and isinstance(value.value, str):
        return str(value.value)
    return value  # type: ignore[no-any-return]  # str, date, int or None from the roster columns


def _layout(kind: PersonKind, attribute_ids: frozenset[str]) -> list[tuple[str, int]]:
    columns = _COLUMNS[kind]
    start = _VALUES_AT[kind]
    present = [a for a in sorted(attribute_ids) if a in columns]
    return [(a, start + i) for i, a in enumerate(present)]


@dataclass(frozen=True)
class AttributeExplanation:
    attribute_id: str
    reason: Reason


@dataclass(frozen=True)
class Explanation:
    connection_id: uuid.UUID
    person_id: uuid.UUID
    kind: PersonKind
    at: datetime
    connection_state: str
    released: bool
    reason: Reason
    detail: str
    attributes: tuple[AttributeExplanation, ...]


def resolve(
    session: Session,
    connection_id: uuid.UUID,
    at: datetime,
    pseudonym_key: bytes,
    since: datetime | None = None,
    *,
    digital_consent_age: int | None = None,
    person_ids: frozenset[uuid.UUID] | None = None,
) -> Release:
    """Exactly what the connection may see at ``at``; 403 when it is not active then.

    ``person_ids`` narrows the people (and their memberships) to those; groups stay whole. The
    kept release refreshes only the people a roster sync changed this way.
    """
    with collector_paused():
        return _resolve(
            session,
            connection_id,
            at,
            pseudonym_key,
            since=since,
            consent_age=_consent_age(digital_consent_age),
            person_ids=person_ids,
        )


def _resolve(
    session: Session,
    connection_id: uuid.UUID,
    at: datetime,
    pseudonym_key: bytes,
    *,
    since: datetime | None,
    consent_age: int,
    person_ids: frozenset[uuid.UUID] | None = None,
) -> Release:
    at = as_utc(at)
    connection, facts = loading.connection_facts(session, connection_id, at, consent_age)
    if not facts.active:
        detail = (
            "the provider is not accredited"
            if not facts.provider_accredited
            else f"connection {connection_id} is {facts.state}"
        )
        raise ConnectionInactive(detail)
    cutoff = min(at, as_utc(since)) if since is not None else at
    read = loading.read_school(session, connection, facts, cutoff, person_ids=person_ids)
    on = at.date()
    provider = facts.provider_id
    school = read.school
    pseudonyms = CachedPseudonyms(pseudonym_key, provider)

    released_people = [
        (p, row) for p, row in loading.people_at(read, at) if engine.is_released(facts, p, on)
    ]

    groups = _released_groups(
        facts, read, at, {gid for p, _r in released_people for gid in p.group_ids}
    )
    updated = {row[0]: as_utc(row[4]) for row in read.groups}
    group_ids = {g.group_id: pseudonyms(g.group_id) for g in groups}
    group_pseudonym = {g: pseudonym for g, (_id, pseudonym) in group_ids.items()}
    group_values = engine.group_attributes(facts)
    released_groups = tuple(
        ReleasedGroup(
            group_id=group_ids[g.group_id][0],
            pseudonym=group_pseudonym[g.group_id],
            kind=g.kind,
            school_brin=school.brin,
            school_location_code=school.location_code,
            attributes={a: v for a, v in g.values.items() if a in group_values},
            updated_at=updated[g.group_id],
        )
        for g in groups
    )

    people = _released_people(read, facts, released_people, group_pseudonym, pseudonyms)
    departed: tuple[DepartedPerson, ...] = ()
    activated = connection.activated_at
    if since is not None and activated is not None and as_utc(activated) <= as_utc(since):
        departed = _departed(
            read,
            facts,
            since=since,
            at=at,
            released_now={p.person_id for p, _r in released_people},
            pseudonyms=pseudonyms,
        )
    return Release(
        board_id=facts.board_id,
        provider_id=provider,
        connection_id=facts.connection_id,
        at=at,
        attribute_ids=facts.released_attribute_ids,
        schools=(
            ReleasedSchool(
                school_id=school.id,
                brin=school.brin,
                location_code=school.location_code,
                name=school.name,
                sector=school.sector.value,
                school_year=_school_year(session, facts, at),
            ),
        ),
        groups=released_groups,
        people=people,
        departed=departed,
    )


def _school_year(session: Session, facts: ConnectionFacts, at: datetime) -> str:
    from koppelvlak.release import repository

    name = repository.school_year_name(session, facts.board_id, at.date())
    if name is not None:
        return name
    start = at.year if at.month >= 8 else at.year - 1
    return f"{start}-{start + 1}"


def _group_facts(read: loading.SchoolRead, moment: datetime) -> list[GroupFacts]:
    names = list(GROUP_COLUMNS)
    return [
        GroupFacts(
            group_id=row[0],
            school_id=read.connection.school_id,
            kind=str(_plain(row[1])),
            year_group=row[2],
            values={a: _plain(row[_GROUP_VALUES_AT + i]) for i, a in enumerate(names)},
        )
        for row in read.groups
        if row[3] is None or as_utc(row[3]) > moment
    ]


def _released_groups(
    facts: ConnectionFacts,
    read: loading.SchoolRead,
    at: datetime,
    member_groups: set[Key],
) -> list[GroupFacts]:
    candidates = [g for g in _group_facts(read, at) if engine.group_in_scope(facts, g)]
    if facts.licensed_only:
        candidates = [g for g in candidates if g.group_id in member_groups]
    return candidates


def _released_people(
    read: loading.SchoolRead,
    facts: ConnectionFacts,
    released: list[tuple[PersonFacts, tuple[Any, ...]]],
    group_pseudonym: dict[Key, str],
    pseudonyms: CachedPseudonyms,
) -> tuple[ReleasedPerson, ...]:
    """The released values of each released person, in the order of ``released``.

    Rows are raw (``release.repository.raw``): text stays text, the sex enum is its stored
    string value, and only dates and the update stamp need parsing. Many people share a birth
    date, an update stamp (one roster sync) and a set of groups (one class), so each distinct
    one is converted once.
    """
    plain = {kind: _release_layout(facts, kind) for kind in PersonKind}
    dates = {kind: [(a, i) for a, i, is_date in plain[kind] if is_date] for kind in PersonKind}
    extras = {kind: _without_column(facts, kind) for kind in PersonKind}
    with_groups = {
        kind: MEMBERSHIP_ATTRIBUTE[kind] in facts.released_attribute_ids for kind in PersonKind
    }
    days: dict[Any, AttributeValue] = {}
    stamps: dict[Any, datetime] = {}
    memberships_of: dict[frozenset[Key], tuple[str, ...]] = {}
    brin, location_code = read.brin, read.location_code
    found = []
    for person, row in released:
        kind = person.kind
        attributes: dict[str, AttributeValue] = {a: row[i] for a, i, _d in plain[kind]}
        for a, i in dates[kind]:
            value = row[i]
            if value is not None:
                parsed = days.get(value)
                if parsed is None:
                    parsed = days[value] = day(value)
                attributes[a] = parsed
        if extras[kind]:
            attributes.update(extras[kind])
        memberships: tuple[str, ...] = ()
        roles: dict[str, str] = {}
        if with_groups[kind]:
            memberships = memberships_of.get(person.group_ids)  # type: ignore[assignment]  # None until seen
            if memberships is None:
                memberships = memberships_of[person.group_ids] = tuple(
                    sorted(group_pseudonym[g] for g in person.group_ids if g in group_pseudonym)
                )
            if kind is PersonKind.STAFF:
                for g, _removed, role in read.staff_groups.get(person.person_id, ()):
                    if g in group_pseudonym and role:
                        roles[group_pseudonym[g]] = role
        updated_at = stamps.get(row[3])
        if updated_at is None:
            updated_at = stamps[row[3]] = stamp(row[3])
        person_id, pseudonym = _pseudonym(pseudonyms, facts.board_id, person, row)
        found.append(
            ReleasedPerson(
                person_id=person_id,
                kind=kind,
                pseudonym=pseudonym,
                school_brin=brin,
                school_location_code=location_code,
                attributes=attributes,
                group_pseudonyms=memberships,
                group_roles=roles,
                updated_at=updated_at,
            )
        )
    return tuple(found)


def _pseudonym(
    pseudonyms: CachedPseudonyms, board_id: uuid.UUID, person: PersonFacts, row: tuple[Any, ...]
) -> tuple[uuid.UUID, str]:
    """A teacher at two schools of a board is one person to a provider: one pseudonym.

    Staff rows are per school; their LAS key is the board's, so the pseudonym of staff is
    derived from (board, key). Students are per school in the LAS too, and stay per row.
    """
    if person.kind is PersonKind.STAFF and row[_STAFF_KEY_AT]:
        return pseudonyms.of_identity(
            person.person_id, staff_identity(board_id, row[_STAFF_KEY_AT])
        )
    return pseudonyms(person.person_id)


def _release_layout(facts: ConnectionFacts, kind: PersonKind) -> list[tuple[str, int, bool]]:
    """(attribute, row index, is a date) for each released attribute with a roster column.

    Value columns come raw (``release.repository.raw``): text stays text, the sex enum is its
    stored string value, and only dates need parsing.
    """
    released = {a for a, off in facts.plan[kind] if not off} - {MEMBERSHIP_ATTRIBUTE[kind]}
    by_column = dict(_layout(kind, facts.released_attribute_ids))
    return [(a, by_column[a], a.endswith("birth_date")) for a in sorted(released) if a in by_column]


def _without_column(facts: ConnectionFacts, kind: PersonKind) -> dict[str, AttributeValue]:
    """Released attributes with no roster column yet (operator-added): released as None."""
    released = {a for a, off in facts.plan[kind] if not off} - {MEMBERSHIP_ATTRIBUTE[kind]}
    return dict.fromkeys(sorted(released - set(_COLUMNS[kind])))


def _departed(
    read: loading.SchoolRead,
    facts: ConnectionFacts,
    *,
    since: datetime,
    at: datetime,
    released_now: set[Key],
    pseudonyms: CachedPseudonyms,
) -> tuple[DepartedPerson, ...]:
    """People released at ``since`` (as far as the data tells) who are not released at ``at``."""
    since = as_utc(since)
    then = dataclasses.replace(facts, state="active")
    found = []
    for p, row in loading.people_at(read, since):
        if p.person_id in released_now:
            continue
        if engine.is_released(then, p, since.date()):
            person_id, pseudonym = _pseudonym(pseudonyms, facts.board_id, p, row)
            found.append(
                DepartedPerson(
                    person_id=person_id,
                    kind=p.kind,
                    pseudonym=pseudonym,
                    left_at=loading.left_at(read, p, row, since, at),
                )
            )
    return tuple(sorted(found, key=lambda d: (d.left_at, d.pseudonym)))


def explain(
    session: Session,
    connection_id: uuid.UUID,
    person_id: uuid.UUID,
    at: datetime,
    *,
    digital_consent_age: int | None = None,
) -> Explanation:
    """Why this person is or is not released by the connection at ``at``, attribute by attribute.

    The connection, its dataset version and the provider's accreditation are taken as they were
    recorded at ``at`` (a moment before the connection's request is refused); objections,
    consents, licences and memberships carry their own times.
    """
    at = as_utc(at)
    connection, facts = loading.connection_facts(
        session, connection_id, at, _consent_age(digital_consent_age)
    )
    facts = loading.facts_at(session, connection, facts, at)  # as recorded then, not now
    read = loading.read_school(
        session, connection, facts, at, person_ids=frozenset({person_id}), everyone=True
    )
    people = loading.people_at(read, at)
    if not people:
        raise PersonUnknown(f"no current student or staff member with id {person_id} in this board")
    person, _row = people[0]
    decision = engine.decide_person(facts, person, at.date())
    return Explanation(
        connection_id=facts.connection_id,
        person_id=person_id,
        kind=person.kind,
        at=at,
        connection_state=facts.state,
        released=decision.released,
        reason=decision.reason,
        detail=decision.detail,
        attributes=tuple(AttributeExplanation(a, r) for a, r in decision.attributes.items()),
    )
