"""Account use cases: create a login, log in (with lock-out), log out, and the audit trail.

A failed login is *returned*, never raised: the failure counter must be committed with the
answer, and a raised error would roll it back. After ``MAX_FAILURES`` wrong passwords in a row the
account is locked for ``LOCK_MINUTES``; while locked, the password is not even checked, so a
guesser learns nothing and costs no argon2 time. A success resets the counter.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from koppelvlak.accounts import repository
from koppelvlak.accounts.errors import AccountExists, InvalidAccount
from koppelvlak.accounts.models import Account, AccountEvent
from koppelvlak.connections.admin_tokens import PERMISSIONS
from koppelvlak.connections.errors import NotPermitted
from koppelvlak.connections.models import AdminRole
from koppelvlak.kit.clock import as_utc
from koppelvlak.kit.crypto import dummy_hash, hash_secret, verify_secret

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_CHARS = 12


# A hash to check when the e-mail is unknown, so an unknown e-mail takes as long as a known one.
@dataclass(frozen=True)
class Principal:
    """Who is logged in: one account, one board, one role (the same roles as admin tokens)."""

    account_id: uuid.UUID
    board_id: uuid.UUID
    role: AdminRole
    email: str

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.email}"

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


class Refusal(enum.StrEnum):
    WRONG = "wrong"  # unknown board, unknown e-mail or wrong password: one answer for all
    LOCKED = "locked"


@dataclass(frozen=True, repr=False)
class IssuedAccount:
    account_id: uuid.UUID
    email: str
    password: str

    def __repr__(self) -> str:
        return f"IssuedAccount(account_id={self.account_id}, email={self.email}, password=<hidden>)"


def normalised_email(email: str) -> str:
    cleaned = email.strip().lower()
    local, at, domain = cleaned.partition("@")
    if not at or not local or "." not in domain or len(cleaned) > 256 or " " in cleaned:
        raise InvalidAccount(f"{email.strip()[:80]!r} is not an e-mail address")
    return cleaned


def create_account(
    session: Session,
    board_id: uuid.UUID,
    email: str,
    role: AdminRole,
    *,
    at: datetime,
    password: str | None = None,
) -> IssuedAccount:
    """A new login; without ``password`` one is generated (shown once, stored as a hash)."""
    address = normalised_email(email)
    if repository.account_by_email(session, board_id, address) is not None:
        raise AccountExists(f"an account for {address} exists already on this board")
    password = password or secrets.token_urlsafe(15)
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidAccount(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    account = Account(
        board_id=board_id,
        email=address,
        role=role,
        password_hash=hash_secret(password),
        failed_logins=0,
        sessions_valid_after=at,
        created_at=at,
    )
    session.add(account)
    session.flush()
    _event(session, account, "account_created", at, subject=address, detail={"role": role.value})
    return IssuedAccount(account.id, address, password)


def log_in(
    session: Session, board_code: str, email: str, password: str, at: datetime
) -> Principal | Refusal:
    board_id = repository.board_id(session, board_code.strip().upper())
    account = None
    if board_id is not None:
        try:
            account = repository.account_by_email(session, board_id, normalised_email(email))
        except InvalidAccount:
            account = None
    if account is None:
        verify_secret(dummy_hash(), password)
        return Refusal.WRONG
    if account.locked_until is not None and as_utc(account.locked_until) > as_utc(at):
        return Refusal.LOCKED
    if not verify_secret(account.password_hash, password):
        return _failed(session, account, at)
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, at
    _event(session, account, "logged_in", at)
    return _principal(account)


def _failed(session: Session, account: Account, at: datetime) -> Refusal:
    account.failed_logins += 1
    if account.failed_logins < MAX_FAILURES:
        _event(session, account, "login_failed", at)
        return Refusal.WRONG
    account.failed_logins = 0
    account.locked_until = at + timedelta(minutes=LOCK_MINUTES)
    _event(session, account, "locked_out", at, detail={"minutes": LOCK_MINUTES})
    return Refusal.LOCKED


def principal_of_session(
    session: Session, account_id: uuid.UUID, issued_at: datetime
) -> Principal | None:
    """The account behind a session cookie, unless it logged out (or was reset) since."""
    account = session.get(Account, account_id)
    if account is None or as_utc(account.sessions_valid_after) > as_utc(issued_at):
        return None
    return _principal(account)


def log_out(session: Session, who: Principal, at: datetime) -> None:
    """End every session of this account: cookies issued before now stop working."""
    account = session.get(Account, who.account_id)
    if account is not None:
        account.sessions_valid_after = at
        _event(session, account, "logged_out", at)


def require(who: Principal, permission: str) -> None:
    """403 when the role may not do this (the admin API's permission table, one place)."""
    if not who.may(permission):
        raise NotPermitted(f"the {who.role} role may not {permission.replace('_', ' ')}")


def record_action(
    session: Session,
    who: Principal,
    action: str,
    at: datetime,
    *,
    subject: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """The audit trail of admin actions: written in the action's own transaction."""
    session.add(
        AccountEvent(
            board_id=who.board_id,
            account_id=who.account_id,
            at=at,
            action=action,
            subject=subject,
            detail=detail or {},
        )
    )


@dataclass(frozen=True)
class ActionView:
    at: datetime
    action: str
    subject: str | None
    detail: dict[str, object]


def recent_actions(session: Session, board_id: uuid.UUID, limit: int = 20) -> list[ActionView]:
    return [
        ActionView(as_utc(e.at), e.action, e.subject, dict(e.detail))
        for e in repository.recent_events(session, board_id, limit)
    ]


def board_name(session: Session, board_id: uuid.UUID) -> str:
    return repository.board_name(session, board_id)


def _principal(account: Account) -> Principal:
    return Principal(account.id, account.board_id, account.role, account.email)


def _event(
    session: Session,
    account: Account,
    action: str,
    at: datetime,
    *,
    subject: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    session.add(
        AccountEvent(
            board_id=account.board_id,
            account_id=account.id,
            at=at,
            action=action,
            subject=subject,
            detail=detail or {},
        )
    )


def person_school(session: Session, board_id: uuid.UUID, person_id: uuid.UUID) -> uuid.UUID | None:
    """Which school's connections can explain this person (the person page asks only those)."""
    return repository.person_school(session, board_id, person_id)
