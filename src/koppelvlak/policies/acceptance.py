"""Acceptances: who accepted which version, a guardian for a child, withdrawal, who is pending.

For a students' policy a student under the age of digital consent (16 in the Netherlands,
``KOPPELVLAK_DIGITAL_CONSENT_AGE``) does not accept for themselves: one of their guardians does.
Age is taken from the birth date on the day of the acceptance; an unknown birth date counts as
under age, as the release engine counts it (fail closed). A policy linked to a consent-based
connection records the guardian's parental consent through ``connections``, and withdrawing the
policy withdraws that consent, so the kept release follows in the same transaction (ADR 0122).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from koppelvlak.connections import exceptions
from koppelvlak.connections import service as connections
from koppelvlak.connections.models import ConsentState
from koppelvlak.kit.clock import age_on, as_utc
from koppelvlak.policies import repository, service
from koppelvlak.policies.errors import (
    InvalidAcceptance,
    NothingToWithdraw,
    NotTheirChild,
    PersonNotFound,
    RequiredPolicy,
    VersionStateConflict,
)
from koppelvlak.policies.models import Audience, Policy, PolicyAcceptance, SubjectKind
from koppelvlak.policies.schemas import AcceptanceView, Pending, PendingPerson

_KIND = {
    Audience.STAFF: SubjectKind.STAFF,
    Audience.STUDENTS: SubjectKind.STUDENT,
    Audience.GUARDIANS: SubjectKind.GUARDIAN,
}
_LABEL = {
    SubjectKind.STAFF: "staff member",
    SubjectKind.STUDENT: "student",
    SubjectKind.GUARDIAN: "guardian",
}


@dataclass(frozen=True)
class _Subject:
    """Whom an acceptance is about and who decided: the person, or a guardian for a child."""

    kind: SubjectKind
    person_id: uuid.UUID
    guardian_id: uuid.UUID | None
    decided_by: str


def _consent_age(given: int | None) -> int:
    if given is not None:
        return given
    from koppelvlak.config import get_settings

    return get_settings().digital_consent_age


def _subject(
    session: Session,
    board_id: uuid.UUID,
    policy: Policy,
    person_id: uuid.UUID,
    *,
    guardian_id: uuid.UUID | None,
    on: date,
    consent_age: int,
) -> _Subject:
    kind = _KIND[policy.audience]
    found = repository.person(session, board_id, kind, person_id)
    if found is None:
        raise PersonNotFound(f"no {_LABEL[kind]} with id {person_id} in this board")
    if kind is not SubjectKind.STUDENT:
        if guardian_id is not None:
            raise InvalidAcceptance("only a policy for students is accepted by a guardian")
        return _Subject(kind, person_id, None, f"{kind.value}:{person_id}")
    birth = getattr(found, "birth_date", None)
    minor = birth is None or age_on(birth, on) < consent_age
    if guardian_id is None:
        if minor:
            raise InvalidAcceptance(
                f"the student is under {consent_age} (or the birth date is unknown): "
                "one of their guardians decides for them"
            )
        return _Subject(kind, person_id, None, f"student:{person_id}")
    if not minor:
        raise InvalidAcceptance(f"the student is {consent_age} or older and decides for themselves")
    if repository.person(session, board_id, SubjectKind.GUARDIAN, guardian_id) is None:
        raise PersonNotFound(f"no guardian with id {guardian_id} in this board")
    if not repository.is_guardian_of(session, board_id, guardian_id, person_id):
        raise NotTheirChild(f"guardian {guardian_id} is not a guardian of student {person_id}")
    return _Subject(kind, person_id, guardian_id, f"guardian:{guardian_id}")


def accept(
    session: Session,
    board_id: uuid.UUID,
    policy_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    guardian_id: uuid.UUID | None = None,
    consent_age: int | None = None,
) -> AcceptanceView:
    """Record that the person (or their guardian) accepted the policy's active version.

    Accepting again while an earlier acceptance still covers the active version changes nothing
    and answers that acceptance.
    """
    policy = service.get(session, board_id, policy_id)
    active = repository.active_version(session, policy.id)
    if active is None:
        raise VersionStateConflict(f"policy {policy.code!r} has no active version to accept")
    subject = _subject(
        session,
        board_id,
        policy,
        person_id,
        guardian_id=guardian_id,
        on=at.date(),
        consent_age=_consent_age(consent_age),
    )
    base = service.acceptance_base(repository.versions_of(session, policy.id), active.number)
    for row, number in repository.open_acceptances(session, policy.id, person_id):
        if number >= base:
            return _view(row, number, counts=True)
    row = PolicyAcceptance(
        board_id=board_id,
        policy_id=policy.id,
        version_id=active.id,
        subject_kind=subject.kind,
        subject_id=person_id,
        guardian_id=subject.guardian_id,
        accepted_at=at,
        recorded_by=actor,
        consent_id=_give_consent(session, policy, subject, at),
    )
    session.add(row)
    session.flush()
    return _view(row, active.number, counts=True)


def _give_consent(
    session: Session, policy: Policy, subject: _Subject, at: datetime
) -> uuid.UUID | None:
    """A guardian's acceptance of a linked policy is their parental consent for its provider."""
    if policy.connection_id is None or subject.guardian_id is None:
        return None
    connection = connections.get(session, policy.board_id, policy.connection_id)
    consent = exceptions.record_consent(
        session,
        policy.board_id,
        connection.provider_id,
        subject.person_id,
        ConsentState.GIVEN,
        decided_by=subject.decided_by,
        at=at,
    )
    return consent.id


def withdraw(
    session: Session,
    board_id: uuid.UUID,
    policy_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    actor: str,
    at: datetime,
    guardian_id: uuid.UUID | None = None,
    consent_age: int | None = None,
) -> list[AcceptanceView]:
    """Withdraw every open acceptance of an optional policy by this person.

    The parental consent an acceptance recorded is withdrawn too, as long as it is still the
    decision that counts; a later decision the guardian made elsewhere stands (ADR 0122).
    """
    policy = service.get(session, board_id, policy_id)
    if policy.required:
        raise RequiredPolicy(
            f"policy {policy.code!r} is required and cannot be withdrawn; "
            "an objection or an erasure request is the way out"
        )
    subject = _subject(
        session,
        board_id,
        policy,
        person_id,
        guardian_id=guardian_id,
        on=at.date(),
        consent_age=_consent_age(consent_age),
    )
    found = repository.open_acceptances(session, policy.id, person_id)
    if not found:
        raise NothingToWithdraw(f"there is no acceptance of policy {policy.code!r} to withdraw")
    for row, _number in found:
        row.withdrawn_at, row.withdrawn_by = at, actor
    session.flush()
    _withdraw_consent(session, policy, subject, {r.consent_id for r, _ in found}, at)
    return [_view(row, number, counts=False) for row, number in found]


def _withdraw_consent(
    session: Session,
    policy: Policy,
    subject: _Subject,
    recorded: set[uuid.UUID | None],
    at: datetime,
) -> None:
    if policy.connection_id is None or not recorded - {None}:
        return
    connection = connections.get(session, policy.board_id, policy.connection_id)
    latest = repository.latest_consent_id(
        session, policy.board_id, connection.provider_id, subject.person_id
    )
    if latest is None or latest not in recorded:
        return  # a later decision, made elsewhere, counts now and stands
    exceptions.record_consent(
        session,
        policy.board_id,
        connection.provider_id,
        subject.person_id,
        ConsentState.WITHDRAWN,
        decided_by=subject.decided_by,
        at=at,
    )


def acceptances(
    session: Session, board_id: uuid.UUID, policy_id: uuid.UUID, person_id: uuid.UUID
) -> list[AcceptanceView]:
    """The person's acceptances of this policy, withdrawn ones too, oldest first."""
    policy = service.get(session, board_id, policy_id)
    kind = _KIND[policy.audience]
    if repository.person(session, board_id, kind, person_id) is None:
        raise PersonNotFound(f"no {_LABEL[kind]} with id {person_id} in this board")
    active = repository.active_version(session, policy.id)
    versions = repository.versions_of(session, policy.id)
    base = service.acceptance_base(versions, active.number) if active else None
    return [
        _view(row, number, counts=base is not None and row.withdrawn_at is None and number >= base)
        for row, number in repository.acceptances_of(session, policy.id, person_id)
    ]


def pending(
    session: Session, board_id: uuid.UUID, policy_id: uuid.UUID, number: int | None = None
) -> Pending:
    """Everyone of the audience whose acceptance does not cover this version (default: active)."""
    policy = service.get(session, board_id, policy_id)
    if number is None:
        active = repository.active_version(session, policy.id)
        if active is None:
            raise VersionStateConflict(
                f"policy {policy.code!r} has no active version; name the version to check"
            )
        number = active.number
    service.version_of(session, policy, number)  # an unknown version: 404
    base = service.acceptance_base(repository.versions_of(session, policy.id), number)
    covered = {
        row.subject_id for row, n in repository.open_acceptances(session, policy.id) if n >= base
    }
    kind = _KIND[policy.audience]
    everyone = repository.people(session, board_id, kind)
    people = tuple(
        PendingPerson(kind.value, p.id, p.source_key, _name(p))
        for p in everyone
        if p.id not in covered
    )
    return Pending(policy.id, number, len(everyone) - len(people), people)


def _name(person: repository.Person) -> str:
    parts = (person.given_name, person.name_prefix, person.family_name)
    return " ".join(p for p in parts if p) or person.source_key


def _view(row: PolicyAcceptance, number: int, *, counts: bool) -> AcceptanceView:
    return AcceptanceView(
        policy_id=row.policy_id,
        version=number,
        subject_kind=row.subject_kind.value,
        subject_id=row.subject_id,
        guardian_id=row.guardian_id,
        accepted_at=as_utc(row.accepted_at),
        recorded_by=row.recorded_by,
        consent_recorded=row.consent_id is not None,
        withdrawn_at=as_utc(row.withdrawn_at) if row.withdrawn_at else None,
        counts=counts,
    )
