"""Mandate use cases: the register's services, granting and revoking, the check before an exchange.

``require_mandate`` is the one check the delivery path calls before anything leaves for a
service; a refusal is written to ``mandate_refusal`` in the caller's transaction and then raised
as ``MandateMissing``, so a caller that catches the error and commits keeps the record (the
delivery path does: nothing enqueued, refusal recorded). Validity is by calendar day in UTC:
``valid_from`` and ``valid_until`` are both inclusive.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from koppelvlak.kit.clock import as_utc
from koppelvlak.mandates import repository
from koppelvlak.mandates.errors import (
    InvalidMandate,
    MandateAlreadyRevoked,
    MandateMissing,
    MandateNotFound,
    UnknownService,
)
from koppelvlak.mandates.identifiers import parse_party, parse_school
from koppelvlak.mandates.models import Mandate, MandateRefusal, MandateService
from koppelvlak.mandates.schemas import MandateView, RefusalView, ServiceView, VerifyAnswer
from koppelvlak.roster.models import School

SEEDED_SERVICES = ("Logistiek Proces Eindtoets PO", "BRON PO", "Verzuim")
FINAL_TEST_SERVICE = "Logistiek Proces Eindtoets PO"
_MAX_NAME = 120


def services(session: Session) -> list[ServiceView]:
    return [ServiceView(s.name, s.description) for s in repository.services(session)]


def add_service(
    session: Session, name: str, *, description: str | None, actor: str, at: datetime
) -> ServiceView:
    """Add a service to the register (the seeded three are in the first migration)."""
    clean = " ".join(name.split())
    if not clean or len(clean) > _MAX_NAME:
        raise InvalidMandate(f"a service name has 1 to {_MAX_NAME} characters")
    if repository.service_named(session, clean) is not None:
        raise InvalidMandate(f"the service {clean!r} is already in the register")
    session.add(
        MandateService(name=clean, description=description, created_at=at, created_by=actor)
    )
    session.flush()
    return ServiceView(clean, description)


def service_named(session: Session, name: str) -> MandateService:
    found = repository.service_named(session, name)
    if found is None:
        known = ", ".join(s.name for s in repository.services(session))
        raise UnknownService(f"unknown service {name[:120]!r}; the register holds: {known}")
    return found


def school_in_board(session: Session, board_id: uuid.UUID, code: str) -> School:
    parsed = parse_school(code)
    school = repository.school_in_board(session, board_id, parsed.brin, parsed.location_code)
    if school is None:
        raise MandateNotFound(f"no school {parsed} in this board")
    return school


def grant(
    session: Session,
    board_id: uuid.UUID,
    *,
    school: str,
    service: str,
    party: str,
    valid_from: date,
    valid_until: date | None,
    actor: str,
    at: datetime,
) -> MandateView:
    """Mandate ``party`` for ``service`` at the board's ``school`` (BRIN or BRIN+location)."""
    parsed = parse_party(party)
    found_service = service_named(session, service)
    found_school = school_in_board(session, board_id, school)
    if valid_until is not None and valid_until < valid_from:
        raise InvalidMandate(
            f"valid until {valid_until.isoformat()} is before valid from {valid_from.isoformat()}"
        )
    clash = repository.overlapping(
        session,
        school_id=found_school.id,
        service_id=found_service.id,
        party=parsed.number,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if clash is not None:
        raise InvalidMandate(
            f"mandate {clash.id} already covers part of this period; revoke it first"
        )
    mandate = Mandate(
        board_id=board_id,
        school_id=found_school.id,
        service_id=found_service.id,
        party_kind=parsed.kind,
        party=parsed.number,
        valid_from=valid_from,
        valid_until=valid_until,
        decided_by=actor,
        decided_at=at,
    )
    session.add(mandate)
    session.flush()
    return _view(mandate, found_service.name, found_school, at)


def revoke(
    session: Session,
    board_id: uuid.UUID,
    mandate_id: uuid.UUID,
    *,
    reason: str,
    actor: str,
    at: datetime,
) -> MandateView:
    mandate = repository.mandate_in_board(session, board_id, mandate_id)
    if mandate is None:
        raise MandateNotFound(f"no mandate with id {mandate_id} in this board")
    if mandate.revoked_at is not None:
        raise MandateAlreadyRevoked(
            f"mandate {mandate_id} was revoked at {as_utc(mandate.revoked_at).isoformat()}"
        )
    if not reason.strip():
        raise InvalidMandate("a revocation needs a reason")
    mandate.revoked_at, mandate.revoked_by, mandate.revocation_reason = at, actor, reason.strip()
    session.flush()
    service = session.get(MandateService, mandate.service_id)
    school = repository.school(session, mandate.school_id)
    assert service is not None  # foreign key
    assert school is not None  # foreign key
    return _view(mandate, service.name, school, at)


def mandates(
    session: Session, board_id: uuid.UUID, at: datetime, school: str | None = None
) -> list[MandateView]:
    school_id = None if school is None else school_in_board(session, board_id, school).id
    return [
        _view(m, name, s, at)
        for m, name, s in repository.mandates_of_board(session, board_id, school_id)
    ]


def refusals(session: Session, board_id: uuid.UUID, school: str | None = None) -> list[RefusalView]:
    school_id = None if school is None else school_in_board(session, board_id, school).id
    codes: dict[uuid.UUID, str] = {}
    found: list[RefusalView] = []
    for r in repository.refusals_of_board(session, board_id, school_id):
        if r.school_id not in codes:
            s = repository.school(session, r.school_id)
            codes[r.school_id] = f"{s.brin}{s.location_code}" if s else "?"
        found.append(
            RefusalView(
                codes[r.school_id], r.service, r.party, as_utc(r.at), r.reason, r.connection_id
            )
        )
    return found


def require_mandate(
    session: Session,
    *,
    school_id: uuid.UUID,
    service: str,
    party: str,
    at: datetime,
    connection_id: uuid.UUID | None = None,
) -> Mandate:
    """The valid mandate of this school for ``service`` and ``party`` at ``at``, or a refusal.

    A refusal is recorded (``mandate_refusal``) before ``MandateMissing`` is raised.
    """
    school = repository.school(session, school_id)
    if school is None:
        raise MandateNotFound(f"no school with id {school_id}")
    reason = _missing(session, school, service, party, at)
    if isinstance(reason, Mandate):
        return reason
    session.add(
        MandateRefusal(
            board_id=school.board_id,
            school_id=school.id,
            service=service[:_MAX_NAME],
            party=party[:20],
            at=at,
            reason=reason,
            connection_id=connection_id,
        )
    )
    session.flush()
    raise MandateMissing(f"{reason}: nothing is sent")


def _missing(
    session: Session, school: School, service: str, party: str, at: datetime
) -> Mandate | str:
    """The valid mandate, or the sentence that says why there is none."""
    code = f"{school.brin}{school.location_code}"
    found_service = repository.service_named(session, service)
    if found_service is None:
        return f"the service {service[:_MAX_NAME]!r} is not in the register"
    valid = repository.valid_mandates(
        session,
        school_ids=[school.id],
        service_id=found_service.id,
        party=party,
        day=as_utc(at).date(),
        at=at,
    )
    if not valid:
        return f"school {code} has no valid mandate for {service!r} and party {party[:20]}"
    return valid[0]


def valid_mandate(
    session: Session, *, school_id: uuid.UUID, service: str, party: str, at: datetime
) -> Mandate | None:
    """The valid mandate, if any, without recording anything (for views)."""
    school = repository.school(session, school_id)
    if school is None:
        return None
    found = _missing(session, school, service, party, at)
    return found if isinstance(found, Mandate) else None


def verify(
    session: Session, *, school: str, service: str, party: str, at: datetime
) -> VerifyAnswer:
    """The public check: the same "no" for an unknown school as for a school without a mandate."""
    code = parse_school(school)
    parsed = parse_party(party)
    found_service = service_named(session, service)
    schools = repository.schools_with_code(session, code.brin, code.location_code)
    valid = repository.valid_mandates(
        session,
        school_ids=[s.id for s in schools],
        service_id=found_service.id,
        party=parsed.number,
        day=as_utc(at).date(),
        at=at,
    )
    answer = VerifyAnswer(False, str(code), found_service.name, parsed.number, parsed.kind.value)
    if not valid:
        return answer
    mandate = valid[0]
    return VerifyAnswer(
        True,
        str(code),
        found_service.name,
        parsed.number,
        parsed.kind.value,
        mandate.valid_from,
        mandate.valid_until,
    )


def _status(mandate: Mandate, at: datetime) -> str:
    if mandate.revoked_at is not None and as_utc(mandate.revoked_at) <= as_utc(at):
        return "revoked"
    day = as_utc(at).date()
    if day < mandate.valid_from:
        return "not_yet_valid"
    if mandate.valid_until is not None and day > mandate.valid_until:
        return "expired"
    return "valid"


def _view(mandate: Mandate, service: str, school: School, at: datetime) -> MandateView:
    return MandateView(
        mandate_id=mandate.id,
        school=f"{school.brin}{school.location_code}",
        service=service,
        party_kind=mandate.party_kind.value,
        party=mandate.party,
        valid_from=mandate.valid_from,
        valid_until=mandate.valid_until,
        decided_by=mandate.decided_by,
        decided_at=as_utc(mandate.decided_at),
        revoked_by=mandate.revoked_by,
        revoked_at=None if mandate.revoked_at is None else as_utc(mandate.revoked_at),
        revocation_reason=mandate.revocation_reason,
        status=_status(mandate, at),
    )


def check_connection(
    session: Session, *, connection_id: uuid.UUID, school_id: uuid.UUID, at: datetime
) -> bool:
    """Whether anything may be pushed for this connection now (the delivery path asks this).

    A connection without a service needs no mandate. One with a service (its final-test rule,
    ADR 0108) needs the school's valid mandate of the rule's party; without it the refusal is
    recorded (kept when the caller commits) and the answer is False.
    """
    rule = repository.final_test_rule(session, connection_id)
    if rule is None:
        return True
    try:
        require_mandate(
            session,
            school_id=school_id,
            service=rule.service,
            party=rule.party,
            at=at,
            connection_id=connection_id,
        )
    except MandateMissing:
        return False
    return True
