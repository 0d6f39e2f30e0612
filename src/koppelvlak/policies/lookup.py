"""How an admin names policies and people on the command line: by id, code or LAS key."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from koppelvlak.errors import Ambiguous
from koppelvlak.policies import repository, service
from koppelvlak.policies.errors import PersonNotFound
from koppelvlak.policies.models import Audience, Policy, SubjectKind

_KIND = {
    Audience.STAFF: SubjectKind.STAFF,
    Audience.STUDENTS: SubjectKind.STUDENT,
    Audience.GUARDIANS: SubjectKind.GUARDIAN,
}


def _as_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def find_policy(session: Session, board_id: uuid.UUID, value: str) -> Policy:
    """A policy of the board by id or by its code."""
    wanted = _as_id(value)
    if wanted is not None:
        return service.get(session, board_id, wanted)
    return service.by_code(session, board_id, value.strip())


def find_person(session: Session, board_id: uuid.UUID, policy: Policy, value: str) -> uuid.UUID:
    """Someone of the policy's audience by id or LAS key (the service checks an id's board)."""
    return _find(session, board_id, _KIND[policy.audience], value)


def find_guardian(session: Session, board_id: uuid.UUID, value: str) -> uuid.UUID:
    return _find(session, board_id, SubjectKind.GUARDIAN, value)


def _find(session: Session, board_id: uuid.UUID, kind: SubjectKind, value: str) -> uuid.UUID:
    wanted = _as_id(value)
    if wanted is not None:
        return wanted
    found = [p.id for p in repository.people(session, board_id, kind) if p.source_key == value]
    if not found:
        raise PersonNotFound(f"no {kind.value} with id or LAS key {value!r} in this board")
    if len(found) > 1:
        ids = ", ".join(str(i) for i in found)
        raise Ambiguous(f"LAS key {value!r} names {len(found)} people ({ids}); give the id")
    return found[0]
