"""What every command group parses the same way: ids, enum values, actors, named connections.

A module of its own so command modules import it rather than each other.
"""

from __future__ import annotations

import enum
import uuid
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

E = TypeVar("E", bound=enum.Enum)


def parse_id(value: str, what: str) -> uuid.UUID:
    from koppelvlak.errors import KoppelvlakError

    try:
        return uuid.UUID(value)
    except ValueError:
        raise KoppelvlakError(f"{value!r} is not a {what} id") from None


def parse_enum(kind: type[E], value: str, what: str) -> E:
    from koppelvlak.errors import KoppelvlakError

    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in kind)
        raise KoppelvlakError(f"{what} {value!r} is not one of {choices}") from None


def connection_of(session: Session, board_id: uuid.UUID, value: str) -> uuid.UUID:
    """The connection an admin names by id or by its app's name."""
    from koppelvlak.connections.lookup import find_connection

    return find_connection(session, board_id, value)


def actor_of(actor: str | None, role: str = "admin") -> str:
    import getpass

    return actor or f"{role}:{getpass.getuser()}"
