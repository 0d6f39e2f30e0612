"""Admin API tokens: one board, one role (admin, DPO, viewer), argon2-hashed, revocable.

A token reads ``kva_<token id hex>_<secret>``: the id finds the row, the secret is checked
against its argon2 hash, so a lookup costs one hash check and the database never holds the
secret. A token presented again within minutes skips argon2 (``kit.crypto.verified_secrets``,
as UWLR keys do); its row is read every time, so revocation and expiry still act at once.
``PERMISSIONS`` says which role may do what; routes ask ``require``.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.connections.errors import NotPermitted
from koppelvlak.connections.models import AdminRole, AdminToken
from koppelvlak.kit.clock import as_utc
from koppelvlak.kit.crypto import hash_secret, verified_secrets
from koppelvlak.roster.models import Board

# What each role may do through the admin API and CLI.
PERMISSIONS: dict[str, frozenset[AdminRole]] = {
    "read": frozenset({AdminRole.ADMIN, AdminRole.DPO, AdminRole.VIEWER}),
    "decide": frozenset({AdminRole.ADMIN}),  # approve, refuse, suspend, resume, revoke, scope
    "sign_off": frozenset({AdminRole.DPO}),
    "exceptions": frozenset({AdminRole.ADMIN, AdminRole.DPO}),  # objections, consent
    "policies": frozenset({AdminRole.ADMIN, AdminRole.DPO}),  # write policies, acceptances
}


@dataclass(frozen=True)
class AdminPrincipal:
    token_id: uuid.UUID
    board_id: uuid.UUID
    role: AdminRole
    label: str

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.label}"


@dataclass(frozen=True, repr=False)
class IssuedAdminToken:
    token_id: uuid.UUID
    token: str

    def __repr__(self) -> str:
        return f"IssuedAdminToken(token_id={self.token_id}, token=<hidden>)"


def board_by_code(session: Session, code: str) -> uuid.UUID:
    board_id = session.scalar(select(Board.id).where(Board.code == code))
    if board_id is None:
        raise NotPermitted(f"no board with code {code!r}")
    return board_id


def create_token(
    session: Session,
    board_id: uuid.UUID,
    role: AdminRole,
    *,
    label: str,
    at: datetime,
    expires_at: datetime | None = None,
    secret: str | None = None,
) -> IssuedAdminToken:
    """Issue a token; ``secret`` only for reproducible demo tokens."""
    token_id = uuid.uuid4() if secret is None else uuid.uuid5(uuid.NAMESPACE_URL, secret)
    secret = secret or secrets.token_urlsafe(32)
    session.add(
        AdminToken(
            id=token_id,
            board_id=board_id,
            role=role,
            label=label,
            token_hash=hash_secret(secret),
            created_at=at,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedAdminToken(token_id, f"kva_{token_id.hex}_{secret}")


def authenticate(session: Session, token: str, at: datetime) -> AdminPrincipal | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "kva":
        return None
    try:
        token_id = uuid.UUID(hex=parts[1])
    except ValueError:
        return None
    row = session.get(AdminToken, token_id)
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and as_utc(row.expires_at) <= as_utc(at):
        return None
    if not verified_secrets.verify(row.token_hash, parts[2]):  # the row is still read above
        return None
    return AdminPrincipal(row.id, row.board_id, row.role, row.label)


def revoke_token(session: Session, token_id: uuid.UUID, at: datetime) -> None:
    row = session.get(AdminToken, token_id)
    if row is None:
        raise NotPermitted(f"no admin token with id {token_id}")
    row.revoked_at = row.revoked_at or at
    session.flush()


def require(principal: AdminPrincipal, permission: str) -> None:
    """Refuse with 403 when the principal's role may not do this."""
    if principal.role not in PERMISSIONS[permission]:
        raise NotPermitted(f"the {principal.role} role may not {permission.replace('_', ' ')}")
