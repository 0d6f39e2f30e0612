"""Pure hashing for the disclosure ledger: canonical encoding, commitments, chain verification.

No I/O here: the service reads rows and hands them over, so the rules that decide whether a
chain is intact can be read, tested and reused on their own (ADR 0030).

Every hashed value is text framed as a netstring (``<length>:<text>,``), so no choice of field
contents can make two different entries encode to the same bytes. Ids are 32 lowercase hex
digits, times are UTC ISO 8601 with microseconds (``2026-01-05T08:00:00.250000+00:00``).

* subject commitment = sha256("kv-subject-v1" | salt | person id)
* details commitment = sha256("kv-details-v1" | salt | query | attribute ids as JSON)
* payload commitment = sha256("kv-payload-v1" | details commitment | sorted subject commitments)
* entry hash         = sha256("kv-entry-v1" | id | board | sequence | time | provider |
                              connection | channel | endpoint | response digest |
                              previous hash | payload commitment)

Verification is the hot path (a million entries in seconds), hence the hand-written frames.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from hashlib import sha256
from typing import NamedTuple

from koppelvlak.kit.clock import as_utc

GENESIS = "0" * 64  # the previous hash of every chain's first entry


def timestamp(moment: datetime) -> str:
    """The canonical text of a recording time: UTC, microseconds, as PostgreSQL stores it."""
    return as_utc(moment).isoformat(timespec="microseconds")


def canonical_attributes(attribute_ids: Iterable[str]) -> str:
    return json.dumps(sorted(attribute_ids), separators=(",", ":"), ensure_ascii=False)


def subject_commitment(salt: str, person_hex: str) -> str:
    return sha256(
        f"13:kv-subject-v1,{len(salt)}:{salt},{len(person_hex)}:{person_hex},".encode()
    ).hexdigest()


def details_commitment(salt: str, query: str, attribute_ids_json: str) -> str:
    return sha256(
        f"13:kv-details-v1,{len(salt)}:{salt},{len(query)}:{query},"
        f"{len(attribute_ids_json)}:{attribute_ids_json},".encode()
    ).hexdigest()


def payload_commitment(details: str, subjects: Iterable[str]) -> str:
    framed = "".join([f"{len(c)}:{c}," for c in sorted(subjects)])
    return sha256(f"13:kv-payload-v1,{len(details)}:{details},{framed}".encode()).hexdigest()


class Header(NamedTuple):
    """The hashed fields of one entry in canonical text (``entry_hash`` is not among them)."""

    entry_id: str
    board_id: str
    sequence: int
    recorded_at: str
    provider_id: str
    connection_id: str
    channel: str
    endpoint: str
    response_digest: str
    previous_hash: str
    payload_commitment: str


class ChainRow(NamedTuple):
    """One stored entry as verification reads it: the header, its hash and its payload.

    ``details_commitment`` is None when the payload row is missing; ``salt``, ``query`` and
    ``attribute_ids`` are None once retention erased the payload. ``subjects`` is one
    ``commitment:person:salt`` item per person, space-separated, with person and salt empty
    once that person was erased (None when the entry names nobody).
    """

    entry_id: str
    board_id: str
    sequence: int
    recorded_at: str
    provider_id: str
    connection_id: str
    channel: str
    endpoint: str
    response_digest: str
    previous_hash: str
    payload_commitment: str
    entry_hash: str
    details_commitment: str | None
    salt: str | None
    query: str | None
    attribute_ids: str | None
    subjects: str | None


def entry_hash(h: Header | ChainRow) -> str:
    sequence = str(h.sequence)
    endpoint = h.endpoint
    channel = h.channel
    return sha256(
        f"11:kv-entry-v1,{len(h.entry_id)}:{h.entry_id},{len(h.board_id)}:{h.board_id},"
        f"{len(sequence)}:{sequence},{len(h.recorded_at)}:{h.recorded_at},"
        f"{len(h.provider_id)}:{h.provider_id},{len(h.connection_id)}:{h.connection_id},"
        f"{len(channel)}:{channel},{len(endpoint)}:{endpoint},"
        f"{len(h.response_digest)}:{h.response_digest},{len(h.previous_hash)}:{h.previous_hash},"
        f"{len(h.payload_commitment)}:{h.payload_commitment},".encode()
    ).hexdigest()


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
    """The outcome of walking a chain (or a stretch of it, see ``verify_chain``)."""

    board_id: uuid.UUID
    entries: int
    erased_subjects: int
    erased_payloads: int
    broken: Break | None
    first_previous: str | None = None  # the previous hash the stretch started from
    last_hash: str = GENESIS  # the hash of the last entry that verified


def _payload_problem(row: ChainRow) -> tuple[str | None, int]:
    """What is wrong with the entry's payload, if anything, and how many people were erased."""
    details = row.details_commitment
    if details is None:
        return "its payload row is missing", 0
    salt = row.salt
    if salt is not None:
        query, attribute_ids = row.query, row.attribute_ids
        if (
            query is None
            or attribute_ids is None
            or details_commitment(salt, query, attribute_ids) != details
        ):
            return "its query or attributes differ from what was recorded", 0
    problem, commitments, erased = _subjects(row.subjects)
    if problem is None and payload_commitment(details, commitments) != row.payload_commitment:
        problem = "its people or payload do not match the commitment in the chain"
    return problem, erased


def _subjects(subjects: str | None) -> tuple[str | None, list[str], int]:
    """Check each person against their commitment; returns (problem, commitments, erased)."""
    commitments: list[str] = []
    erased = 0
    if not subjects:
        return None, commitments, 0
    for item in subjects.split(" "):
        parts = item.split(":")
        if len(parts) != 3:
            return "a person in it is malformed", commitments, 0
        commitment, person, salt = parts
        if person and salt:
            if subject_commitment(salt, person) != commitment:
                return "a person in it differs from who was recorded", commitments, 0
        elif person or salt:
            return "a person in it is half erased", commitments, 0
        else:
            erased += 1
        commitments.append(commitment)
    return None, commitments, erased


def verify_chain(
    board_id: uuid.UUID,
    rows: Iterable[ChainRow],
    *,
    head_sequence: int | None,
    head_hash: str | None,
    locate: Callable[[str], int | None],
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
    start: int = 1,
    previous: str | None = GENESIS,
    final: bool = True,
) -> ChainCheck:
    """Walk a board's chain in sequence order and report the first entry that breaks it.

    ``locate(entry_hash)`` returns the current sequence of the entry with that hash, if any;
    it is only asked after a break, to tell reordering from removal.

    A stretch of a long chain can be walked on its own (``start`` > 1): with ``previous``
    None the first entry's link is taken as given and returned as ``first_previous``, for
    the caller to join to the stretch before; ``final`` False skips the chain-head check.
    """
    expected = start
    erased_subjects = erased_payloads = 0
    first_previous = previous

    def result(broken: Break | None) -> ChainCheck:
        return ChainCheck(
            board_id,
            expected - start,
            erased_subjects,
            erased_payloads,
            broken,
            first_previous,
            previous or GENESIS,
        )

    for row in rows:
        sequence = row.sequence
        if sequence != expected:
            missing = (
                f"entries {expected}..{sequence - 1} are missing"
                if sequence - 1 > expected
                else f"entry {expected} is missing"
            )
            return result(Break(board_id, expected, None, BreakKind.REMOVED, missing))
        if previous is None:
            previous = first_previous = row.previous_hash
        stored = row.entry_hash
        intact = entry_hash(row) == stored
        linked = row.previous_hash == previous
        if not intact or not linked:
            return result(_diagnose(board_id, row, intact=intact, linked=linked, locate=locate))
        problem, erased = _payload_problem(row)
        if problem is not None:
            entry_id = uuid.UUID(row.entry_id)
            return result(Break(board_id, sequence, entry_id, BreakKind.PAYLOAD_ALTERED, problem))
        erased_subjects += erased
        if row.salt is None:
            erased_payloads += 1
        previous = stored
        expected += 1
        if progress is not None and (expected - start) % progress_every == 0:
            progress(progress_every)
    if progress is not None:
        progress((expected - start) % progress_every)
    if not final:
        return result(None)
    return result(
        _check_head(board_id, expected - 1, previous or GENESIS, head_sequence, head_hash)
    )


def _diagnose(
    board_id: uuid.UUID,
    row: ChainRow,
    *,
    intact: bool,
    linked: bool,
    locate: Callable[[str], int | None],
) -> Break:
    sequence = row.sequence
    where = (board_id, sequence, uuid.UUID(row.entry_id))
    before = f"entry {sequence - 1}" if sequence > 1 else "the start of the chain"
    if not linked:
        predecessor = locate(row.previous_hash)
        if predecessor is not None and predecessor != sequence - 1:
            return Break(
                *where,
                BreakKind.REORDERED,
                f"it follows the entry now at sequence {predecessor}, not {before}",
            )
        if intact:
            return Break(
                *where,
                BreakKind.CHANGED,
                f"it does not follow from {before}: that entry or this link was changed",
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
        return Break(
            board_id,
            last_sequence + 1,
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
