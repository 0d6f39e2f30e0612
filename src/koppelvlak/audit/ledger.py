"""Pure hashing for the disclosure ledger: canonical encoding, commitments, chain verification.

No I/O here: the service reads rows and hands them over as plain tuples, so the rules that
decide whether a chain is intact can be read, tested and reused on their own (ADR 0030).

Every hashed value is framed as a netstring (``<length>:<text>,``) so that no choice of field
contents can make two different entries encode to the same bytes.

* subject commitment = sha256("kv-subject-v1" | salt | person id)
* details commitment = sha256("kv-details-v1" | salt | query | attribute ids as JSON)
* payload commitment = sha256("kv-payload-v1" | details commitment | sorted subject commitments)
* entry hash         = sha256("kv-entry-v1" | id | board | sequence | time | provider |
                              connection | channel | endpoint | response digest |
                              previous hash | payload commitment)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from hashlib import sha256
from itertools import groupby
from typing import NamedTuple

from koppelvlak.kit.clock import as_utc

GENESIS = "0" * 64  # the previous hash of every chain's first entry


def _frame(*fields: str) -> bytes:
    return "".join(f"{len(field)}:{field}," for field in fields).encode()


def timestamp(moment: datetime) -> str:
    """The canonical text of a recording time: UTC, microseconds, as PostgreSQL stores it."""
    return as_utc(moment).isoformat(timespec="microseconds")


def canonical_attributes(attribute_ids: Iterable[str]) -> str:
    return json.dumps(sorted(attribute_ids), separators=(",", ":"), ensure_ascii=False)


def subject_commitment(salt: str, person_id: uuid.UUID) -> str:
    return sha256(_frame("kv-subject-v1", salt, person_id.hex)).hexdigest()


def details_commitment(salt: str, query: str, attribute_ids_json: str) -> str:
    return sha256(_frame("kv-details-v1", salt, query, attribute_ids_json)).hexdigest()


def payload_commitment(details: str, subjects: Iterable[str]) -> str:
    return sha256(_frame("kv-payload-v1", details, *sorted(subjects))).hexdigest()


class Header(NamedTuple):
    """The hashed fields of one entry, in hashing order (``entry_hash`` is not among them)."""

    entry_id: uuid.UUID
    board_id: uuid.UUID
    sequence: int
    recorded_at: datetime
    provider_id: uuid.UUID
    connection_id: uuid.UUID
    channel: str
    endpoint: str
    response_digest: str
    previous_hash: str
    payload_commitment: str


def entry_hash(header: Header) -> str:
    return sha256(
        _frame(
            "kv-entry-v1",
            header.entry_id.hex,
            header.board_id.hex,
            str(header.sequence),
            timestamp(header.recorded_at),
            header.provider_id.hex,
            header.connection_id.hex,
            str(header.channel),
            header.endpoint,
            header.response_digest,
            header.previous_hash,
            header.payload_commitment,
        )
    ).hexdigest()


class SubjectRow(NamedTuple):
    """A stored subject; ``person_id`` and ``salt`` are None once the person is erased."""

    sequence: int
    commitment: str
    person_id: uuid.UUID | None
    salt: str | None


class PayloadRow(NamedTuple):
    """A stored payload; ``salt``, ``query`` and ``attribute_ids`` are None once erased."""

    details_commitment: str
    salt: str | None
    query: str | None
    attribute_ids: str | None


class ChainRow(NamedTuple):
    header: Header
    entry_hash: str
    payload: PayloadRow | None  # None: the payload row is missing
    subjects: tuple[SubjectRow, ...]


class BreakKind(StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    REORDERED = "reordered"
    PAYLOAD_ALTERED = "payload altered"


@dataclass(frozen=True)
class Break:
    """The first place a chain fails to verify, and what is wrong there."""

    board_id: uuid.UUID
    sequence: int
    entry_id: uuid.UUID | None  # None when the entry itself is gone
    kind: BreakKind
    detail: str


@dataclass(frozen=True)
class ChainCheck:
    board_id: uuid.UUID
    entries: int
    erased_subjects: int
    erased_payloads: int
    broken: Break | None


def attach_subjects(
    entries: Iterable[tuple[Header, str, PayloadRow | None]], subjects: Iterable[SubjectRow]
) -> Iterator[ChainRow]:
    """Merge two streams ordered by sequence into rows that carry their subjects."""
    grouped = groupby(subjects, key=lambda subject: subject.sequence)
    pending = next(grouped, None)
    for header, stored_hash, payload in entries:
        while pending is not None and pending[0] < header.sequence:
            pending = next(grouped, None)  # subjects of no entry: their entry's gap is reported
        mine: tuple[SubjectRow, ...] = ()
        if pending is not None and pending[0] == header.sequence:
            mine = tuple(pending[1])
            pending = next(grouped, None)
        yield ChainRow(header, stored_hash, payload, mine)


def _payload_problem(row: ChainRow) -> str | None:
    payload = row.payload
    if payload is None:
        return "its payload row is missing"
    if payload.salt is not None and (
        payload.query is None
        or payload.attribute_ids is None
        or details_commitment(payload.salt, payload.query, payload.attribute_ids)
        != payload.details_commitment
    ):
        return "its query or attributes differ from what was recorded"
    problem = _subjects_problem(row.subjects)
    if problem is not None:
        return problem
    commitments = [subject.commitment for subject in row.subjects]
    if payload_commitment(payload.details_commitment, commitments) != row.header.payload_commitment:
        return "its people or payload do not match the commitment in the chain"
    return None


def _subjects_problem(subjects: Iterable[SubjectRow]) -> str | None:
    for subject in subjects:
        if subject.salt is not None and subject.person_id is not None:
            if subject_commitment(subject.salt, subject.person_id) != subject.commitment:
                return "a person in it differs from who was recorded"
        elif subject.salt is not None or subject.person_id is not None:
            return "a person in it is half erased"
    return None


def verify_chain(
    board_id: uuid.UUID,
    rows: Iterable[ChainRow],
    *,
    head_sequence: int | None,
    head_hash: str | None,
    locate: Callable[[str], int | None],
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
) -> ChainCheck:
    """Walk one board's chain in sequence order and report the first entry that breaks it.

    ``locate(entry_hash)`` returns the current sequence of the entry with that hash, if any;
    it is only asked after a break, to tell reordering from removal.
    """
    expected, previous = 1, GENESIS
    erased_subjects = erased_payloads = 0
    counted = 0

    def result(broken: Break | None) -> ChainCheck:
        return ChainCheck(board_id, counted, erased_subjects, erased_payloads, broken)

    for row in rows:
        header = row.header
        if header.sequence != expected:
            return result(
                Break(
                    board_id,
                    expected,
                    None,
                    BreakKind.REMOVED,
                    f"entries {expected}..{header.sequence - 1} are missing"
                    if header.sequence - 1 > expected
                    else f"entry {expected} is missing",
                )
            )
        intact = entry_hash(header) == row.entry_hash
        linked = header.previous_hash == previous
        if not intact or not linked:
            return result(_diagnose(row, intact=intact, linked=linked, locate=locate))
        problem = _payload_problem(row)
        if problem is not None:
            return result(
                Break(board_id, expected, header.entry_id, BreakKind.PAYLOAD_ALTERED, problem)
            )
        if row.payload is not None and row.payload.salt is None:
            erased_payloads += 1
        erased_subjects += sum(1 for subject in row.subjects if subject.salt is None)
        previous = row.entry_hash
        expected += 1
        counted += 1
        if progress is not None and counted % progress_every == 0:
            progress(progress_every)
    if progress is not None:
        progress(counted % progress_every)
    return result(_check_head(board_id, expected - 1, previous, head_sequence, head_hash))


def _diagnose(
    row: ChainRow, *, intact: bool, linked: bool, locate: Callable[[str], int | None]
) -> Break:
    header = row.header
    where = (header.board_id, header.sequence, header.entry_id)
    if not linked:
        predecessor = locate(header.previous_hash)
        if predecessor is not None and predecessor != header.sequence - 1:
            return Break(
                *where,
                BreakKind.REORDERED,
                f"it follows the entry now at sequence {predecessor}, not {header.sequence - 1}",
            )
        if intact:
            return Break(
                *where,
                BreakKind.CHANGED,
                f"it does not follow from entry {header.sequence - 1}: "
                "that entry or this link was changed",
            )
        return Break(
            *where,
            BreakKind.REMOVED,
            "it and its link do not match: an entry before it was removed or replaced",
        )
    return Break(*where, BreakKind.CHANGED, "its content does not match its hash")


def _check_head(
    board_id: uuid.UUID,
    last_sequence: int,
    last_hash: str,
    head_sequence: int | None,
    head_hash: str | None,
) -> Break | None:
    if head_sequence is None:
        if last_sequence == 0:
            return None
        return Break(
            board_id, last_sequence, None, BreakKind.REMOVED, "the chain head row is missing"
        )
    if head_sequence > last_sequence:
        missing = last_sequence + 1
        return Break(
            board_id,
            missing,
            None,
            BreakKind.REMOVED,
            f"the chain head records {head_sequence} entries, only {last_sequence} remain",
        )
    if head_sequence < last_sequence or head_hash != last_hash:
        return Break(
            board_id,
            last_sequence,
            None,
            BreakKind.CHANGED,
            "the chain head does not match the last entry",
        )
    return None
