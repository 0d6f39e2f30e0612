"""The demo board's web logins: an admin, a DPO and a viewer with seed-derived passwords.

Like every demo credential (``connections/demo.py``) the passwords derive from the seed, so
``make run`` can print the admin's login on every start; they are predictable by design and
only fit for the demo board.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.accounts.service import create_account
from koppelvlak.connections.models import AdminRole
from koppelvlak.kit.crypto import keyed_digest

ROLES = (AdminRole.ADMIN, AdminRole.DPO, AdminRole.VIEWER)


@dataclass(frozen=True)
class DemoLogin:
    board: str
    email: str
    password: str
    role: str

    def as_dict(self) -> dict[str, str]:
        return {
            "board": self.board,
            "email": self.email,
            "password": self.password,
            "role": self.role,
        }


def demo_logins(board_code: str, seed: int) -> list[DemoLogin]:
    return [
        DemoLogin(
            board_code,
            f"{role.value}@demo.example",
            keyed_digest(f"koppelvlak-demo-{seed}".encode(), "web", role.value)[:20],
            role.value,
        )
        for role in ROLES
    ]


def create_demo_accounts(
    session: Session, board_id: uuid.UUID, board_code: str, *, seed: int, at: datetime
) -> list[DemoLogin]:
    logins = demo_logins(board_code, seed)
    for login in logins:
        create_account(
            session, board_id, login.email, AdminRole(login.role), at=at, password=login.password
        )
    return logins
