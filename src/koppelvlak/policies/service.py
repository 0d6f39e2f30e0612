"""Policies and their versions: create, draft a new version, publish, archive, read.

A policy belongs to one board and speaks to one audience. Its versions move one way, draft →
active → archived, and publishing a draft archives the version that was active, so a policy has
at most one active version at any moment. A minor change (a typo, a new address) says so on its
version and asks nobody to accept again (ADR 0121).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.catalogue.models import LawfulBasis
from koppelvlak.connections import service as connections
from koppelvlak.kit.clock import as_utc
from koppelvlak.policies import repository
from koppelvlak.policies.errors import (
    InvalidPolicy,
    PolicyNotFound,
    VersionNotFound,
    VersionStateConflict,
)
from koppelvlak.policies.models import Audience, Policy, PolicyVersion, VersionState
from koppelvlak.policies.schemas import PolicyView, VersionView
from koppelvlak.providers import repository as providers

_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_TEXT_LIMIT = 200_000


def create_policy(
    session: Session,
    board_id: uuid.UUID,
    *,
    code: str,
    name: str,
    audience: Audience,
    required: bool,
    text_nl: str,
    text_en: str,
    actor: str,
    at: datetime,
    summary: str | None = None,
    connection_id: uuid.UUID | None = None,
) -> PolicyView:
    """A new policy with its first version as a draft; nobody is asked anything until published."""
    if not _CODE.match(code):
        raise InvalidPolicy(
            f"policy code {code!r} must start with a letter and hold only a-z, 0-9, _ and -"
        )
    if not name.strip():
        raise InvalidPolicy("a policy needs a name")
    if repository.policy_by_code(session, board_id, code) is not None:
        raise VersionStateConflict(f"policy {code!r} exists already in this board")
    if connection_id is not None:
        _check_consent_link(session, board_id, connection_id, audience=audience, required=required)
    policy = Policy(
        board_id=board_id,
        code=code,
        name=name.strip(),
        audience=audience,
        required=required,
        connection_id=connection_id,
        created_by=actor,
    )
    session.add(policy)
    session.flush()
    _add_version(
        session,
        policy,
        1,
        text_nl=text_nl,
        text_en=text_en,
        summary=summary,
        minor=False,
        actor=actor,
        at=at,
    )
    return view(session, policy)


def _check_consent_link(
    session: Session,
    board_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    audience: Audience,
    required: bool,
) -> None:
    """Only an optional students' policy may carry a consent-based connection's consent."""
    connection = connections.get(session, board_id, connection_id)  # another board's: 404
    if required:
        raise InvalidPolicy(
            "a required policy cannot record consent: consent must be freely given, so only an "
            "optional policy may be linked to a connection"
        )
    if audience is not Audience.STUDENTS:
        raise InvalidPolicy("only a policy for students may record parental consent")
    version = providers.dataset_version(session, connection.dataset_version_id)
    if version is None or version.lawful_basis is not LawfulBasis.CONSENT:
        raise InvalidPolicy("the connection's purpose is not consent-based; there is no consent")


def draft_version(
    session: Session,
    board_id: uuid.UUID,
    policy_id: uuid.UUID,
    *,
    text_nl: str,
    text_en: str,
    minor_change: bool,
    actor: str,
    at: datetime,
    summary: str | None = None,
) -> VersionView:
    """The next version of a policy, as a draft; a minor change keeps earlier acceptances valid."""
    policy = get(session, board_id, policy_id)
    versions = repository.versions_of(session, policy.id)
    number = (versions[-1].number if versions else 0) + 1
    row = _add_version(
        session,
        policy,
        number,
        text_nl=text_nl,
        text_en=text_en,
        summary=summary,
        minor=minor_change,
        actor=actor,
        at=at,
    )
    return _version_view(row)


def _add_version(
    session: Session,
    policy: Policy,
    number: int,
    *,
    text_nl: str,
    text_en: str,
    summary: str | None,
    minor: bool,
    actor: str,
    at: datetime,
) -> PolicyVersion:
    for language, text in (("Dutch", text_nl), ("English", text_en)):
        if not text.strip():
            raise InvalidPolicy(f"the {language} text of the policy is empty")
        if len(text) > _TEXT_LIMIT:
            raise InvalidPolicy(f"the {language} text is longer than {_TEXT_LIMIT} characters")
    row = PolicyVersion(
        board_id=policy.board_id,
        policy_id=policy.id,
        number=number,
        state=VersionState.DRAFT,
        minor_change=minor,
        summary=summary.strip() if summary and summary.strip() else None,
        text_nl=text_nl,
        text_en=text_en,
        created_at=at,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def publish(
    session: Session,
    board_id: uuid.UUID,
    policy_id: uuid.UUID,
    number: int,
    *,
    actor: str,
    at: datetime,
) -> PolicyView:
    """Make a draft the active version; the version active until now is archived."""
    policy = get(session, board_id, policy_id)
    target = version_of(session, policy, number)
    if target.state is VersionState.ACTIVE:
        raise VersionStateConflict(f"version {number} of policy {policy.code!r} is already active")
    if target.state is VersionState.ARCHIVED:
        raise VersionStateConflict(
            f"version {number} of policy {policy.code!r} is archived; draft a new version"
        )
    current = repository.active_version(session, policy.id)
    if current is not None:
        _archive(current, actor, at)
        session.flush()  # before the new active one, so two are never active together
    target.state, target.published_at, target.published_by = VersionState.ACTIVE, at, actor
    session.flush()
    return view(session, policy)


def archive(
    session: Session,
    board_id: uuid.UUID,
    policy_id: uuid.UUID,
    number: int,
    *,
    actor: str,
    at: datetime,
) -> PolicyView:
    """Retire a version (a draft never published, or the active one: the policy then rests)."""
    policy = get(session, board_id, policy_id)
    target = version_of(session, policy, number)
    if target.state is VersionState.ARCHIVED:
        raise VersionStateConflict(
            f"version {number} of policy {policy.code!r} is already archived"
        )
    _archive(target, actor, at)
    session.flush()
    return view(session, policy)


def _archive(row: PolicyVersion, actor: str, at: datetime) -> None:
    row.state, row.archived_at, row.archived_by = VersionState.ARCHIVED, at, actor


def get(session: Session, board_id: uuid.UUID, policy_id: uuid.UUID) -> Policy:
    """A policy of this board; another board's policy is not found."""
    policy = repository.policy_in_board(session, board_id, policy_id)
    if policy is None:
        raise PolicyNotFound(f"no policy with id {policy_id} in this board")
    return policy


def by_code(session: Session, board_id: uuid.UUID, code: str) -> Policy:
    policy = repository.policy_by_code(session, board_id, code)
    if policy is None:
        raise PolicyNotFound(f"no policy {code!r} in this board")
    return policy


def version_of(session: Session, policy: Policy, number: int) -> PolicyVersion:
    """A version of this policy by number; an unknown one answers 404."""
    found = repository.version(session, policy.id, number)
    if found is None:
        raise VersionNotFound(f"policy {policy.code!r} has no version {number}")
    return found


def policies(session: Session, board_id: uuid.UUID) -> list[PolicyView]:
    return [view(session, p) for p in repository.policies_of_board(session, board_id)]


def view(session: Session, policy: Policy) -> PolicyView:
    versions = repository.versions_of(session, policy.id)
    active = next((v.number for v in versions if v.state is VersionState.ACTIVE), None)
    return PolicyView(
        policy_id=policy.id,
        code=policy.code,
        name=policy.name,
        audience=policy.audience.value,
        required=policy.required,
        connection_id=policy.connection_id,
        active_version=active,
        versions=tuple(_version_view(v) for v in versions),
    )


def _version_view(row: PolicyVersion) -> VersionView:
    return VersionView(
        number=row.number,
        state=row.state.value,
        minor_change=row.minor_change,
        summary=row.summary,
        text_nl=row.text_nl,
        text_en=row.text_en,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        published_at=_utc(row.published_at),
        published_by=row.published_by,
        archived_at=_utc(row.archived_at),
        archived_by=row.archived_by,
    )


def _utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def acceptance_base(versions: list[PolicyVersion], number: int) -> int:
    """The oldest version whose acceptance still covers version ``number``.

    That is the latest version up to ``number`` that was not a minor change: an acceptance of it
    or of any later version counts (ADR 0121).
    """
    majors = [v.number for v in versions if v.number <= number and not v.minor_change]
    return max(majors, default=1)
