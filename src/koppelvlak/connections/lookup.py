"""Find what a school admin names by the school's own keys, not only by Koppelvlak's ids.

An admin knows a student by the LAS key (``100001``), a school by its BRIN and location
(``99XX``, ``99XX00``, ``99XX:00``) or name, a group by its key or name, and a connection by the
app it connects (``Leesland``, optionally ``99XX/Leesland``). Every finder also takes the id,
looks only inside one board, and refuses a value that fits several records with each candidate
and its id listed.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.connections import repository
from koppelvlak.connections.errors import ConnectionNotFound, InvalidException, SchoolNotFound
from koppelvlak.connections.models import Connection, PersonKindColumn
from koppelvlak.errors import Ambiguous, NotFound
from koppelvlak.providers.lookup import slug
from koppelvlak.providers.models import App
from koppelvlak.roster.models import Group, School, Staff, Student

_SCHOOL_CODE = re.compile(r"^(\d{2}[A-Za-z]{2})(?::?(\d{2}))?$")


class GroupNotFound(NotFound):
    title = "Group not found"


def _as_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _one(value: str, what: str, found: list[tuple[str, uuid.UUID]]) -> uuid.UUID:
    if len(found) > 1:
        listed = ", ".join(f"{label} ({found_id})" for label, found_id in sorted(found))
        raise Ambiguous(f"{value!r} fits {len(found)} {what}: {listed}; give the id")
    return found[0][1]


def _code(school: School) -> str:
    return f"{school.brin}{school.location_code}"


def find_person(
    session: Session, board_id: uuid.UUID, value: str, kind: PersonKindColumn | None = None
) -> uuid.UUID:
    """A current student or staff member of the board by id or LAS key."""
    value = value.strip()
    wanted = _as_id(value)
    if wanted is not None:
        return wanted
    found: list[tuple[str, uuid.UUID]] = []
    models: list[tuple[str, type[Student] | type[Staff]]] = []
    if kind in (None, PersonKindColumn.STUDENT):
        models.append(("student", Student))
    if kind in (None, PersonKindColumn.STAFF):
        models.append(("staff member", Staff))
    for label, model in models:
        rows = session.execute(
            select(model.id, School)
            .join(School, School.id == model.school_id)
            .where(
                model.board_id == board_id,
                model.source_key == value,
                model.removed_at.is_(None),
            )
            .order_by(School.brin, School.location_code)
        ).all()
        found += [(f"{label} at {_code(school)}", person_id) for person_id, school in rows]
    if not found:
        who = {None: "student or staff member", PersonKindColumn.STUDENT: "student"}.get(
            kind, "staff member"
        )
        raise InvalidException(
            f"{value!r} is neither an id nor the LAS key of a current {who} of this board"
        )
    return _one(value, "people", found)


def find_school(session: Session, board_id: uuid.UUID, value: str) -> uuid.UUID:
    """A school of the board by id, BRIN (``99XX``), BRIN and location, or name."""
    value = value.strip()
    wanted = _as_id(value)
    schools = list(session.scalars(select(School).where(School.board_id == board_id)))
    if wanted is not None:
        found = [(_code(s), s.id) for s in schools if s.id == wanted]
    else:
        code = _SCHOOL_CODE.match(value)
        brin, location = (code.group(1).upper(), code.group(2)) if code else ("", None)
        found = [
            (f"{_code(s)} {s.name}", s.id)
            for s in schools
            if (s.brin == brin and location in (None, s.location_code))
            or s.name.casefold() == value.casefold()
        ]
    if not found:
        raise SchoolNotFound(
            f"no school {value!r} in this board; expected an id, a BRIN such as 99XX, "
            "BRIN and location such as 99XX00, or the school's name"
        )
    return _one(value, "schools", found)


def brin_and_location(session: Session, school_id: uuid.UUID) -> tuple[str, str]:
    """The BRIN code and location code of a school found with ``find_school``."""
    school = session.get(School, school_id)
    if school is None:
        raise SchoolNotFound(f"no school with id {school_id}")
    return school.brin, school.location_code


def find_group(
    session: Session, board_id: uuid.UUID, school_id: uuid.UUID, value: str
) -> uuid.UUID:
    """A current group of the school by id, LAS key or name."""
    value = value.strip()
    wanted = _as_id(value)
    if wanted is not None:
        return wanted
    rows = session.execute(
        select(Group.id, Group.source_key, Group.name).where(
            Group.board_id == board_id,
            Group.school_id == school_id,
            Group.removed_at.is_(None),
        )
    ).all()
    by_key = [(f"group {key}", group_id) for group_id, key, _name in rows if key == value]
    found = by_key or [
        (f"group {key} ({name})", group_id)
        for group_id, key, name in rows
        if name.casefold() == value.casefold()
    ]
    if not found:
        raise GroupNotFound(
            f"{value!r} is neither an id nor the key or name of a current group of the "
            "connection's school"
        )
    return _one(value, "groups", found)


def find_connection(session: Session, board_id: uuid.UUID, value: str) -> uuid.UUID:
    """A connection of the board by id, or by its app's name or slug (``99XX/Leesland``)."""
    value = value.strip()
    wanted = _as_id(value)
    if wanted is not None:
        return wanted
    school_part, _, app_part = value.rpartition("/")
    school_id = find_school(session, board_id, school_part) if school_part else None
    found: list[tuple[str, uuid.UUID]] = []
    for connection in repository.connections_of_board(session, board_id):
        app = session.get(App, connection.app_id)
        if app is None or not _fits(app_part, app.name):
            continue
        if school_id is not None and connection.school_id != school_id:
            continue
        found.append((_label(session, connection, app), connection.id))
    if not found:
        raise ConnectionNotFound(
            f"no connection {value!r} in this board; expected an id or the app's name "
            "('koppelvlak connection list' shows them)"
        )
    return _one(value, "connections", found)


def _fits(value: str, name: str) -> bool:
    return value.casefold() == name.casefold() or (bool(slug(value)) and slug(value) == slug(name))


def _label(session: Session, connection: Connection, app: App) -> str:
    school = session.get(School, connection.school_id)
    return f"{app.name} at {_code(school) if school else '?'}"
