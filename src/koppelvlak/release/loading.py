"""Builds the engine's frozen facts from one set-based read of a school.

``load`` reads a connection's school once (people not removed before the cutoff, memberships,
licences, objections, consent events); ``people_at`` turns that read into ``PersonFacts`` as
they stood at one moment, so a delta compares two moments without reading twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from koppelvlak.catalogue.models import LawfulBasis
from koppelvlak.connections import history
from koppelvlak.connections import repository as connection_repository
from koppelvlak.connections.models import Connection
from koppelvlak.connections.states import state_at
from koppelvlak.kit.clock import as_utc
from koppelvlak.mandates import repository as mandate_repository
from koppelvlak.providers import repository as provider_repository
from koppelvlak.providers import service as providers
from koppelvlak.providers.models import AccreditationState
from koppelvlak.release import repository
from koppelvlak.release.errors import ConnectionUnknown
from koppelvlak.release.facts import ConnectionFacts, PersonFacts
from koppelvlak.release.keys import Key, day, raw_of, stamp
from koppelvlak.release.values import PersonKind
from koppelvlak.roster.models import School


def _alive(value: datetime | str | None, moment: datetime) -> bool:
    """Not removed by ``moment``; people's removal stamps come raw (SQLite text), most are None."""
    return value is None or stamp(value) > moment


def connection_facts(
    session: Session, connection_id: uuid.UUID, at: datetime, consent_age: int
) -> tuple[Connection, ConnectionFacts]:
    connection = connection_repository.connection(session, connection_id)
    if connection is None:
        raise ConnectionUnknown(f"no connection with id {connection_id}")
    version = providers.dataset_version_view(session, connection.dataset_version_id)
    provider = provider_repository.provider(session, connection.provider_id)
    assert provider is not None  # foreign key
    native = session.get_bind().dialect.name == "postgresql"
    facts = ConnectionFacts(
        connection_id=connection.id,
        board_id=connection.board_id,
        provider_id=connection.provider_id,
        school_id=raw_of(connection.school_id, native),
        state=state_at(connection.state, connection.ends_at, at).value,
        provider_accredited=provider.accreditation_state is AccreditationState.ACCREDITED,
        dataset_attributes=dict(version.attributes),
        switched_off=connection_repository.switched_off(session, connection.id),
        entity_types=version.entity_types,
        consent_based=version.lawful_basis is LawfulBasis.CONSENT,
        digital_consent_age=consent_age,
        scope_kind=connection.scope_kind.value,
        licensed_only=connection.licensed_only,
        scope_groups=frozenset(
            raw_of(g, native) for g in connection_repository.scope_groups(session, connection.id)
        ),
        scope_year_groups=connection_repository.scope_year_groups(session, connection.id),
        **_participants(session, connection.id),
    )
    return connection, facts


def _participants(session: Session, connection_id: uuid.UUID) -> dict[str, Any]:
    """The connection's final-test rule (ADR 0108) as engine facts; none for most connections."""
    rule = mandate_repository.final_test_rule(session, connection_id)
    if rule is None:
        return {}
    return {"participants_year_group": rule.year_group, "participants_on": rule.reference_date}


def facts_at(
    session: Session, connection: Connection, facts: ConnectionFacts, at: datetime
) -> ConnectionFacts:
    """``facts`` as recorded at ``at`` (explain at a past moment): the connection's state, scope
    and switch-offs replayed from its history, the dataset version then in force, and the
    provider's accreditation then. Refuses a moment before the connection's request."""
    then = history.as_of(session, connection, at)
    accredited = providers.accredited_at(session, connection.provider_id, at)
    if accredited is not None:
        facts = replace(facts, provider_accredited=accredited)
    if then is None:
        return facts
    version = providers.dataset_version_view(session, connection.dataset_version_id)
    if then.dataset_version is not None and then.dataset_version != version.version:
        found = provider_repository.dataset_version_number(
            session, version.dataset_id, then.dataset_version
        )
        if found is not None:
            version = providers.dataset_version_view(session, found.id)
    native = session.get_bind().dialect.name == "postgresql"
    return replace(
        facts,
        state=then.state.value,
        dataset_attributes=dict(version.attributes),
        switched_off=then.switched_off,
        entity_types=version.entity_types,
        consent_based=version.lawful_basis is LawfulBasis.CONSENT,
        scope_kind=then.scope_kind.value,
        licensed_only=then.licensed_only,
        scope_groups=frozenset(raw_of(g, native) for g in then.scope_groups),
        scope_year_groups=then.scope_year_groups,
    )


@dataclass
class SchoolRead:
    """One read of a connection's school, valid for any moment after the cutoff."""

    connection: ConnectionFacts
    school: School
    brin: str
    location_code: str
    students: Sequence[tuple[Any, ...]] = ()
    staff: Sequence[tuple[Any, ...]] = ()
    groups: Sequence[tuple[Any, ...]] = ()
    student_groups: dict[Key, list[tuple[Key, datetime | None]]] = field(default_factory=dict)
    staff_groups: dict[Key, list[tuple[Key, datetime | None, str | None]]] = field(
        default_factory=dict
    )
    licences: dict[Key, list[tuple[datetime, datetime | None]]] = field(default_factory=dict)
    objections: dict[Key, list[tuple[datetime, datetime | None]]] = field(default_factory=dict)
    consents: dict[Key, list[tuple[str, datetime]]] = field(default_factory=dict)
    group_year: dict[Key, str | None] = field(default_factory=dict)
    timed_memberships: set[Key] = field(default_factory=set)  # students with a removal stamp
    # Group ids of each student without a timed membership: the same set at every moment.
    group_sets: dict[Key, frozenset[Key]] = field(default_factory=dict)


def read_school(
    session: Session,
    connection: Connection,
    facts: ConnectionFacts,
    cutoff: datetime,
    *,
    person_ids: frozenset[uuid.UUID] | None = None,
    everyone: bool = False,
) -> SchoolRead:
    """Read what the connection may concern; ``everyone`` reads the whole board (explain)."""
    school = repository.school(session, facts.board_id, connection.school_id)
    assert school is not None  # foreign key
    read = SchoolRead(
        connection=facts, school=school, brin=school.brin, location_code=school.location_code
    )
    board, school_id = facts.board_id, connection.school_id
    wanted = facts.released_attribute_ids
    person_school = None if everyone else school_id
    memberships = facts.needs_memberships or everyone
    if "students" in facts.entity_types or everyone:
        read.students = repository.students(
            session, board, person_school, cutoff, wanted, person_ids=person_ids
        )
        rows = (
            repository.student_memberships(session, board, school_id, cutoff, person_ids=person_ids)
            if memberships
            else ()
        )
        ids_of: dict[Key, list[Key]] = defaultdict(list)
        timed = read.timed_memberships
        for student_id, group_id, removed_at in rows:
            ids_of[student_id].append(group_id)
            if removed_at is not None:
                timed.add(student_id)
        # Only students with a removal stamp need their memberships one by one, with the stamp.
        groups_of: dict[Key, list[tuple[Key, datetime | None]]] = defaultdict(list)
        for student_id, group_id, removed_at in rows if timed else ():
            if student_id in timed:
                removed = stamp(removed_at) if removed_at is not None else None
                groups_of[student_id].append((group_id, removed))
        read.student_groups = groups_of
        read.group_sets = {s: frozenset(g) for s, g in ids_of.items() if s not in timed}
    if "staff" in facts.entity_types or everyone:
        read.staff = repository.staff(
            session, board, person_school, cutoff, wanted, person_ids=person_ids
        )
        staff_of: dict[Key, list[tuple[Key, datetime | None, str | None]]] = defaultdict(list)
        for staff_id, group_id, removed_at, role in (
            repository.staff_memberships(session, board, school_id, cutoff, person_ids=person_ids)
            if memberships
            else ()
        ):
            removed = stamp(removed_at) if removed_at is not None else None
            staff_of[staff_id].append((group_id, removed, role))
        read.staff_groups = staff_of
    read.groups = repository.groups(session, board, school_id, cutoff)
    read.group_year = {row[0]: row[2] for row in read.groups}
    if facts.licensed_only:
        licences: dict[Key, list[tuple[datetime, datetime | None]]] = defaultdict(list)
        for person_id, created_at, removed_at in repository.licences(
            session, board, facts.connection_id, cutoff
        ):
            licences[person_id].append((created_at, removed_at))
        read.licences = licences
    objections: dict[Key, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for person_id, recorded_at, lifted_at in repository.objections(
        session, board, facts.provider_id, cutoff
    ):
        objections[person_id].append((recorded_at, lifted_at))
    read.objections = objections
    if facts.consent_based:
        consents: dict[Key, list[tuple[str, datetime]]] = defaultdict(list)
        for student_id, state, decided_at in repository.consents(session, board, facts.provider_id):
            consents[student_id].append((str(state), decided_at))
        read.consents = consents
    return read


def _licensed(read: SchoolRead, person_id: Key, moment: datetime) -> bool:
    return any(
        as_utc(created) <= moment and _alive(removed, moment)
        for created, removed in read.licences.get(person_id, ())
    )


def _objection(read: SchoolRead, person_id: Key, moment: datetime) -> bool:
    return any(
        as_utc(recorded) <= moment and _alive(lifted, moment)
        for recorded, lifted in read.objections.get(person_id, ())
    )


def _consent(read: SchoolRead, person_id: Key, moment: datetime) -> str | None:
    latest = None
    for state, decided_at in read.consents.get(person_id, ()):
        if as_utc(decided_at) <= moment:
            latest = state
    return latest


_NO_GROUPS: frozenset[Key] = frozenset()


def _groups_at(read: SchoolRead, person_id: Key, moment: datetime) -> frozenset[Key]:
    """The person's groups at ``moment``; most memberships have no removal stamp at all."""
    untimed = read.group_sets.get(person_id)
    if untimed is not None:
        return untimed
    memberships = read.student_groups.get(person_id)
    if not memberships:
        return _NO_GROUPS
    return frozenset(g for g, removed in memberships if _alive(removed, moment))


def people_at(read: SchoolRead, moment: datetime) -> list[tuple[PersonFacts, tuple[Any, ...]]]:
    """Every read person present at ``moment``, as engine facts beside their row."""
    moment = as_utc(moment)
    found: list[tuple[PersonFacts, tuple[Any, ...]]] = []
    licensed_only = read.connection.licensed_only
    consent = read.connection.consent_based
    participants = read.connection.participants_on is not None
    for row in read.students:
        if not _alive(row[2], moment):
            continue
        groups = _groups_at(read, row[0], moment)
        found.append(
            (
                PersonFacts(
                    person_id=row[0],
                    kind=PersonKind.STUDENT,
                    school_id=row[1],
                    year_group=row[4],
                    birth_date=day(row[5]) if consent else None,
                    group_ids=groups,
                    licensed=licensed_only and _licensed(read, row[0], moment),
                    objection=bool(read.objections) and _objection(read, row[0], moment),
                    consent=_consent(read, row[0], moment) if consent else None,
                    enrolled_from=day(row[6]) if participants else None,
                    enrolled_until=day(row[7]) if participants else None,
                ),
                row,
            )
        )
    for row in read.staff:
        if not _alive(row[2], moment):
            continue
        groups = frozenset(
            g for g, removed, _role in read.staff_groups.get(row[0], ()) if _alive(removed, moment)
        )
        found.append(
            (
                PersonFacts(
                    person_id=row[0],
                    kind=PersonKind.STAFF,
                    school_id=row[1],
                    group_ids=groups,
                    group_year_groups=frozenset(
                        y for g in groups if (y := read.group_year.get(g)) is not None
                    ),
                    licensed=licensed_only and _licensed(read, row[0], moment),
                    objection=_objection(read, row[0], moment),
                ),
                row,
            )
        )
    return found


def left_at(
    read: SchoolRead, facts: PersonFacts, row: tuple[Any, ...], since: datetime, at: datetime
) -> datetime:
    """The latest change in (since, at] that can explain why this person left, else ``at``."""
    since, at = as_utc(since), as_utc(at)
    stamps: list[datetime] = []
    candidates: list[datetime | None] = [stamp(row[2]) if row[2] is not None else None]
    memberships = (
        read.student_groups.get(facts.person_id, [])
        if facts.kind is PersonKind.STUDENT
        else [(g, r) for g, r, _ in read.staff_groups.get(facts.person_id, [])]
    )
    candidates += [removed for _g, removed in memberships]
    candidates += [removed for _c, removed in read.licences.get(facts.person_id, ())]
    candidates += [recorded for recorded, _l in read.objections.get(facts.person_id, ())]
    candidates += [decided for _s, decided in read.consents.get(facts.person_id, ())]
    candidates.append(stamp(row[3]))
    for moment in candidates:
        if moment is not None and since < as_utc(moment) <= at:
            stamps.append(as_utc(moment))
    return max(stamps) if stamps else at
