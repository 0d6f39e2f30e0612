"""Apply one school's snapshot to the roster and record exactly what changed.

Existing rows are loaded into dicts, compared as tuples, and written back with a few bulk
statements (executemany), so a 50,000-student school syncs in seconds and a re-sync with no
changes writes nothing at all. Internal ids are stable: a row found by (school, source key) keeps
its id; a new row gets a name-based UUID derived from board, school and source key, so a person
who leaves and comes back, or a board that is rebuilt, keeps the id that pseudonyms hang on.
"""

from __future__ import annotations

import hashlib
import operator
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Table
from sqlalchemy.orm import Session

from koppelvlak.roster.bulk import Writer, as_json, raw
from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.snapshot import Mode, Part
from koppelvlak.roster.models import ChangeKind, EntityKind, RosterChange
from koppelvlak.roster.repository import Existing, ExistingLinks, RowId, table_of

_IDS = uuid.UUID("6b1f0c8e-5d0e-4a5e-9a57-3c1f4b7e0a11")
_MASK = (1 << 128) - 1


def stable_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(_IDS, "\x1f".join(str(part) for part in parts))


class StableIds:
    """``stable_id(*parts, key)`` for many keys, with the common prefix hashed in once."""

    def __init__(self, *parts: object) -> None:
        prefix = "".join(f"{part}\x1f" for part in parts)
        self.hash = hashlib.sha1(_IDS.bytes + prefix.encode(), usedforsecurity=False)

    def __call__(self, key: str) -> RowId:
        digest = self.hash.copy()
        digest.update(key.encode())
        value = bytearray(digest.digest()[:16])
        value[6] = (value[6] & 0x0F) | 0x50  # version 5, as uuid.uuid5 sets it
        value[8] = (value[8] & 0x3F) | 0x80  # RFC 4122 variant
        return value.hex()


def link_key(left: str, right: str) -> str:
    """The ``removed`` key of a link in a merge part (keys never hold NUL)."""
    return f"{left}\x00{right}"


@dataclass
class Changes:
    """Added/changed/removed per kind, and the change-log rows to write (raw values)."""

    board_id: RowId
    run_id: RowId
    now: datetime
    stamp: Any  # ``now`` as the driver stores it (Writer.stamp), for the bulk rows
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    # Change rows need unique ids, not unguessable ones: the run's id plus a counter.
    next_id: int = field(default_factory=lambda: uuid.uuid4().int)
    # Ids of the people, groups and schools that changed since the last ``take`` (a link's
    # change touches both ends): what a kept release must refresh.
    touched: dict[EntityKind, set[RowId]] = field(default_factory=dict)

    def add(
        self,
        kind: EntityKind,
        entity_id: RowId | uuid.UUID,
        change: ChangeKind,
        fields: list[str] | None,
        *,
        logged: bool = True,
    ) -> None:
        """Count and touch one change; ``logged=False``: no change-log row of its own, because
        the school's ``added`` row of this run already says it (ADR 0150)."""
        entity = entity_id if type(entity_id) is str else raw(entity_id)
        touched = self.touched.get(kind)
        if touched is None:
            touched = self.touched[kind] = set()
        touched.add(entity)
        bucket = _COUNTED[kind]
        if bucket is not None:
            per_kind = self.counts.get(bucket)
            if per_kind is None:
                per_kind = self.counts[bucket] = {"added": 0, "changed": 0, "removed": 0}
            per_kind[_CHANGE[change]] += 1
        if not logged:
            return
        self.next_id = (self.next_id + 1) & _MASK
        self.rows.append(
            (
                f"{self.next_id:032x}",
                self.board_id,
                self.run_id,
                _KIND[kind],
                entity,
                _CHANGE[change],
                None if fields is None else as_json(fields),
                self.stamp,
            )
        )

    def touch_link(self, kind: EntityKind, pair: tuple[RowId, RowId]) -> None:
        """A link changed: both of its ends changed for whoever sees them."""
        left, right = _ENDS[kind]
        self.touched.setdefault(left, set()).add(pair[0])
        self.touched.setdefault(right, set()).add(pair[1])

    def take(self) -> dict[EntityKind, set[RowId]]:
        """The touched ids since the last call, by kind; starts a new collection."""
        touched, self.touched = self.touched, {}
        return touched

    def flush(self, session: Session) -> None:
        Writer(session).insert_tuples(table_of(RosterChange), _CHANGE_COLUMNS, self.rows)
        self.rows = []


_CHANGE_COLUMNS = (
    "id",
    "board_id",
    "import_run_id",
    "entity_kind",
    "entity_id",
    "change_kind",
    "changed_fields",
    "at",
)
# Enum attribute access is slow in a 100,000-row loop; look the values up once.
_KIND = {kind: kind.value for kind in EntityKind}
_CHANGE = {change: change.value for change in ChangeKind}
_ENDS = {
    EntityKind.STUDENT_MEMBERSHIP: (EntityKind.STUDENT, EntityKind.GROUP),
    EntityKind.STAFF_MEMBERSHIP: (EntityKind.STAFF, EntityKind.GROUP),
    EntityKind.GUARDIANSHIP: (EntityKind.GUARDIAN, EntityKind.STUDENT),
}
_COUNTED: dict[EntityKind, str | None] = {
    EntityKind.GUARDIANSHIP: None,
    EntityKind.SCHOOL: "school",
    EntityKind.GROUP: "group",
    EntityKind.STUDENT: "student",
    EntityKind.STAFF: "staff",
    EntityKind.GUARDIAN: "guardian",
    EntityKind.STUDENT_MEMBERSHIP: "membership",
    EntityKind.STAFF_MEMBERSHIP: "membership",
}


def write_inserts(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    Writer(session).insert(table, rows)


def write_updates(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows carry ``row_id`` plus the columns to set."""
    Writer(session).update(table, rows)


@dataclass
class EntitySpec:
    table: Table
    kind: EntityKind
    fields: tuple[str, ...]  # compared and written columns, named as on the records
    scope: dict[str, Any]  # columns every new row carries (board_id, school_id), raw
    id_parts: tuple[object, ...]  # what, with the source key, makes the stable id
    on_remove: Callable[[tuple[Any, ...]], dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # fields not on the record (school year)
    log_added: bool = True  # False in a school this run adds: its ``added`` row says it all


def sync_entities(
    session: Session, spec: EntitySpec, part: Part[Any], existing: Existing, changes: Changes
) -> dict[str, RowId]:
    """Apply one part; return source key → id of every live row of this kind afterwards."""
    live = {key: row[0] for key, row in existing.items() if row[1] is None}
    if part.mode is Mode.KEEP:
        return live
    values_of = _values_of(spec)
    new_id = StableIds(*spec.id_parts)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    seen: set[str] = set()
    now = changes.stamp
    for record in part.records:
        key = record.key
        seen.add(key)
        values = values_of(record)
        old = existing.get(key)
        if old is None:
            row_id = new_id(key)
            row = dict(zip(spec.fields, values, strict=True))
            row.update(spec.scope, id=row_id, source_key=key, created_at=now, updated_at=now)
            row["removed_at"] = None
            inserts.append(row)
            changes.add(spec.kind, row_id, ChangeKind.ADDED, None, logged=spec.log_added)
            live[key] = row_id
            continue
        row_id, removed_at, old_values = old
        if removed_at is None and old_values == values:
            continue
        changed = [n for n, a, b in zip(spec.fields, old_values, values, strict=True) if a != b]
        update = dict(zip(spec.fields, values, strict=True))
        update.update(row_id=row_id, removed_at=None, updated_at=now)
        updates.append(update)
        kind = ChangeKind.ADDED if removed_at is not None else ChangeKind.CHANGED
        changes.add(spec.kind, row_id, kind, changed)
        live[key] = row_id
    gone = (
        [key for key in live if key not in seen]
        if part.mode is Mode.REPLACE
        else [key for key in part.removed if key in live and key not in seen]
    )
    removals = []
    for key in gone:
        row_id = live.pop(key)
        removal = {"row_id": row_id, "removed_at": now, "updated_at": now}
        if spec.on_remove is not None:
            removal.update(spec.on_remove(existing[key][2]))
        removals.append(removal)
        changes.add(spec.kind, row_id, ChangeKind.REMOVED, None)
    write_inserts(session, spec.table, inserts)
    write_updates(session, spec.table, updates + removals)
    return live


def _values_of(spec: EntitySpec) -> Callable[[Any], tuple[Any, ...]]:
    """A function from a record to its raw values in the order of ``spec.fields``."""
    record_fields = tuple(name for name in spec.fields if name not in spec.extra)
    getter = operator.attrgetter(*record_fields)
    extra_values = tuple(raw(spec.extra[name]) for name in spec.fields if name in spec.extra)
    # Only date fields need converting to raw values; the other record fields are text.
    dates = [i for i, name in enumerate(record_fields) if isinstance(spec.table.c[name].type, Date)]
    if len(record_fields) == 1:
        return lambda record: (raw(getter(record)), *extra_values)

    def values_of(record: Any) -> tuple[Any, ...]:
        if not dates:
            return getter(record) + extra_values
        found = list(getter(record))
        for index in dates:
            day = found[index]
            if day is not None:
                found[index] = day.isoformat()
        return (*found, *extra_values)

    return values_of


def student_removal(
    today: date, end_index: int | None
) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """A student who disappears gets an end-of-enrolment date (retention counts from it)."""

    day = today.isoformat()

    def on_remove(values: tuple[Any, ...]) -> dict[str, Any]:
        end = values[end_index] if end_index is not None else None
        return {"enrolment_end": end if end is not None and end <= day else day}

    return on_remove


@dataclass
class LinkSpec:
    table: Table
    kind: EntityKind
    columns: tuple[str, str]  # (left id column, right id column)
    field: str | None  # one compared column (role, relation) or none
    log_added: bool = True  # as EntitySpec.log_added


def sync_links(
    session: Session,
    spec: LinkSpec,
    part: Part[Any],
    *,
    pairs: Iterable[tuple[str, str, Any]],
    resolve: tuple[dict[str, RowId], dict[str, RowId]],
    existing: ExistingLinks,
    changes: Changes,
    board_id: uuid.UUID,
) -> None:
    """Links (memberships, guardianships) keyed by the ids of both ends.

    ``pairs`` are (left key, right key, value) from the snapshot. Besides what the part says, a
    live link whose end is no longer live is removed: a removed student leaves its groups.
    """
    left_ids, right_ids = resolve
    target, removed_pairs = _link_targets(spec, part, pairs, resolve)
    live_left, live_right = set(left_ids.values()), set(right_ids.values())
    now = changes.stamp
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    new_id = StableIds(spec.kind.value)
    for pair, value in target.items():
        old = existing.get(pair)
        if old is None:
            row_id = new_id(pair[0] + pair[1])
            row: dict[str, Any] = {spec.columns[0]: pair[0], spec.columns[1]: pair[1], "id": row_id}
            row.update(board_id=raw(board_id), removed_at=None, created_at=now, updated_at=now)
            if spec.field is not None:
                row[spec.field] = value
            inserts.append(row)
            changes.add(spec.kind, row_id, ChangeKind.ADDED, None, logged=spec.log_added)
            changes.touch_link(spec.kind, pair)
            continue
        row_id, removed_at, old_values = old
        same = spec.field is None or old_values[0] == value
        if removed_at is None and same:
            continue
        update: dict[str, Any] = {"row_id": row_id, "removed_at": None, "updated_at": now}
        if spec.field is not None:
            update[spec.field] = value
        updates.append(update)
        kind = ChangeKind.ADDED if removed_at is not None else ChangeKind.CHANGED
        changes.add(spec.kind, row_id, kind, None if same else [spec.field or ""])
        changes.touch_link(spec.kind, pair)
    for pair, (row_id, removed_at, _values) in existing.items():
        if removed_at is not None or pair in target:
            continue
        orphan = pair[0] not in live_left or pair[1] not in live_right
        if orphan or part.mode is Mode.REPLACE or pair in removed_pairs:
            updates.append({"row_id": row_id, "removed_at": now, "updated_at": now})
            changes.add(spec.kind, row_id, ChangeKind.REMOVED, None)
            changes.touch_link(spec.kind, pair)
    write_inserts(session, spec.table, inserts)
    write_updates(session, spec.table, updates)


def _link_targets(
    spec: LinkSpec,
    part: Part[Any],
    pairs: Iterable[tuple[str, str, Any]],
    resolve: tuple[dict[str, RowId], dict[str, RowId]],
) -> tuple[dict[tuple[RowId, RowId], Any], set[tuple[RowId, RowId]]]:
    """The links the snapshot wants (by id pair, with their value) and those it removes."""
    left_ids, right_ids = resolve
    target: dict[tuple[RowId, RowId], Any] = {}
    removed_pairs: set[tuple[RowId, RowId]] = set()
    if part.mode is Mode.KEEP:
        return target, removed_pairs
    for left, right, value in pairs:
        if left not in left_ids or right not in right_ids:
            missing = left if left not in left_ids else right
            raise ImportFailed(
                f"a {spec.kind.value.replace('_', ' ')} refers to {missing!r}, which is not "
                "a live record of this school; expected a known key"
            )
        target[(left_ids[left], right_ids[right])] = value
    for key in part.removed:
        left, _, right = key.partition("\x00")
        if left in left_ids and right in right_ids:
            removed_pairs.add((left_ids[left], right_ids[right]))
    return target, removed_pairs
