"""Pure hashing for the disclosure ledger: canonical encoding, commitments, chain verification.

No I/O here: the service reads rows and hands them over, so the rules that decide whether a
chain is intact can be read, tested and reused on their own (ADRs 0030, 0031).

Every hashed text is framed as netstrings (``<length>:<text>,``, length in characters), so no
choice of field contents can make two different entries encode to the same bytes. Ids are 32
lowercase hex digits, times are UTC ISO 8601 with microseconds
(``2026-01-05T08:00:00.250000+00:00``).

* person commitment  = BLAKE2s-128 keyed with the person's key, personalised "kv-subj2",
                       over entry id and person id (hex)
* payload commitment = sha256("kv-payload-v2" | salt | query | attribute ids as JSON,
                              then the sorted 16-byte person commitments)
* entry hash         = sha256("kv-entry-v1" | id | board | sequence | time | provider |
                              connection | channel | endpoint | response digest |
                              previous hash | payload commitment)

Each person has one random key per board (``audit_person_key``); erasing them destroys it,
and the commitments they leave behind (kept in the entry's ``erased``) cannot be linked to
anyone. The database builds each entry's frame (and on PostgreSQL hashes it too), so the hot
path of verification is one hash per entry and one HMAC per person. Entries recorded before
migration 0008 are checked by the rules in ``legacy``.
"""

from __future__ import annotations

import struct
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from hashlib import blake2s, sha256
from typing import NamedTuple

from koppelvlak.audit import legacy
from koppelvlak.kit.clock import as_utc

GENESIS = "0" * 64  # the previous hash of every chain's first entry
COMMITMENT_BYTES = 16
SUBJECT_PERSONAL = b"kv-subj2"  # BLAKE2s domain separation (at most 8 bytes)
_LITTLE_ENDIAN = sys.byteorder == "little"

# One person's key as verification holds it: (person id as 32 hex digits in ASCII, the keyed
# BLAKE2s state ``prepared`` makes, copied per commitment).
PersonKey = tuple[bytes, "blake2s"]
canonical_attributes = legacy.canonical_attributes


def timestamp(moment: datetime) -> str:
    """The canonical text of a recording time: UTC, microseconds, as PostgreSQL stores it."""
    return as_utc(moment).isoformat(timespec="microseconds")


def person_commitment(key: bytes, entry_hex: bytes, person_hex: bytes) -> bytes:
    """One person's commitment in one entry; without the key it names nobody.

    Keyed BLAKE2s is a pseudo-random function by design (RFC 7693), so it plays the part of
    an HMAC in one call, about three times cheaper per person in verification (ADR 0031).
    """
    return blake2s(
        entry_hex + person_hex,
        key=key,
        digest_size=COMMITMENT_BYTES,
        person=SUBJECT_PERSONAL,
    ).digest()


def prepared(key: bytes) -> blake2s:
    """A person's keyed hash state, so each commitment costs a copy rather than a keying."""
    return blake2s(key=key, digest_size=COMMITMENT_BYTES, person=SUBJECT_PERSONAL)


def people_numbers(people: Sequence[int] | bytes) -> Sequence[int]:
    """Person numbers as stored: a list (PostgreSQL) or 4-byte little-endian integers (SQLite)."""
    if not isinstance(people, bytes):
        return people
    if _LITTLE_ENDIAN:
        return memoryview(people).cast("i")
    return struct.unpack(f"<{len(people) // 4}i", people)


def payload_frame(salt: str, query: str, attribute_ids_json: str) -> bytes:
    return (
        f"13:kv-payload-v2,{len(salt)}:{salt},{len(query)}:{query},"
        f"{len(attribute_ids_json)}:{attribute_ids_json},".encode()
    )


def payload_commitment(
    salt: str, query: str, attribute_ids_json: str, commitments: Iterable[bytes]
) -> str:
    return sha256(
        payload_frame(salt, query, attribute_ids_json) + b"".join(sorted(commitments))
    ).hexdigest()


def split_commitments(erased: bytes | None) -> list[bytes]:
    if not erased:
        return []
    return [erased[i : i + COMMITMENT_BYTES] for i in range(0, len(erased), COMMITMENT_BYTES)]


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


def entry_frame(h: Header) -> str:
    """The canonical text an entry hash is taken over (the database builds the same text)."""
    sequence = str(h.sequence)
    return (
        f"11:kv-entry-v1,{len(h.entry_id)}:{h.entry_id},{len(h.board_id)}:{h.board_id},"
        f"{len(sequence)}:{sequence},{len(h.recorded_at)}:{h.recorded_at},"
        f"{len(h.provider_id)}:{h.provider_id},{len(h.connection_id)}:{h.connection_id},"
        f"{len(h.channel)}:{h.channel},{len(h.endpoint)}:{h.endpoint},"
        f"{len(h.response_digest)}:{h.response_digest},{len(h.previous_hash)}:{h.previous_hash},"
        f"{len(h.payload_commitment)}:{h.payload_commitment},"
    )


def entry_hash(h: Header) -> str:
    return sha256(entry_frame(h).encode()).hexdigest()


class ChainRow(NamedTuple):
    """One stored entry as verification reads it.

    ``entry_check`` is the entry's canonical frame, or (when the database hashed it) the
    frame's sha256. ``payload_sequence`` is None when the payload row is missing; ``salt``,
    ``query``, ``attribute_ids`` and ``people`` are None once retention erased the payload.
    ``payload_text`` is the text part of the payload frame as the database built it (None
    when any of its parts is). ``people`` are person numbers as stored (see
    ``people_numbers``); ``erased`` holds the 16-byte commitments of people erased from the
    entry. ``v1_details`` is set only for entries recorded before migration 0008.
    """

    entry_id: str
    sequence: int
    entry_check: str
    previous_hash: str
    payload_commitment: str
    entry_hash: str
    payload_sequence: int | None
    salt: str | None
    query: str | None
    attribute_ids: str | None
    payload_text: str | None
    people: Sequence[int] | bytes | None
    erased: bytes | None
    v1_details: str | None
    v1_subjects: str | None


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


PAYLOAD_MISMATCH = "its people, query or attributes do not match the commitment in the chain"


def payload_problem(
    row: ChainRow,
    keys: Mapping[int, PersonKey],
    missing_key: Callable[[int], PersonKey | None],
) -> tuple[str | None, int]:
    """What is wrong with the entry's payload, if anything, and how many people were erased.

    ``keys`` maps person numbers to keys; ``missing_key`` is asked for a number it lacks (a
    person first disclosed after the keys were read).
    """
    if row.payload_sequence is None:
        return "its payload row is missing", 0
    if row.v1_details is not None:
        return legacy.payload_problem(
            details=row.v1_details,
            salt=row.salt,
            query=row.query,
            attribute_ids=row.attribute_ids,
            subjects=row.v1_subjects,
            commitment=row.payload_commitment,
        )
    if row.salt is None:  # retention forgot the whole payload; nothing personal is left to check
        return None, 0
    return _compact_payload_problem(row, keys, missing_key)


def _compact_payload_problem(
    row: ChainRow,
    keys: Mapping[int, PersonKey],
    missing_key: Callable[[int], PersonKey | None],
) -> tuple[str | None, int]:
    """``payload_problem`` for an entry in the compact form (migration 0008 onwards)."""
    text = row.payload_text
    if text is None:
        return PAYLOAD_MISMATCH, 0
    erased = row.erased
    commitments = split_commitments(erased)
    people = row.people
    if people:
        entry = row.entry_id.encode()
        for number in people_numbers(people):
            key = keys.get(number) or missing_key(number)
            if key is None:
                return "a person in it has no key in the ledger", 0
            state = key[1].copy()
            state.update(entry + key[0])
            commitments.append(state.digest())
    commitments.sort()
    if sha256(text.encode() + b"".join(commitments)).hexdigest() != row.payload_commitment:
        return PAYLOAD_MISMATCH, 0
    return None, len(erased) // COMMITMENT_BYTES if erased else 0


def verify_chain(
    board_id: uuid.UUID,
    rows: Iterable[ChainRow],
    *,
    head_sequence: int | None,
    head_hash: str | None,
    locate: Callable[[str], int | None],
    keys: Mapping[int, PersonKey] | None = None,
    missing_key: Callable[[int], PersonKey | None] = lambda _: None,
    hashed: bool = False,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
    start: int = 1,
    previous: str | None = GENESIS,
    final: bool = True,
) -> ChainCheck:
    """Walk a board's chain in sequence order and report the first entry that breaks it.

    ``locate(entry_hash)`` returns the current sequence of the entry with that hash, if any;
    it is only asked after a break, to tell reordering from removal. ``hashed`` says the
    rows' ``entry_check`` is already the hash of the frame (PostgreSQL computes it).

    A stretch of a long chain can be walked on its own (``start`` > 1): with ``previous``
    None the first entry's link is taken as given and returned as ``first_previous``, for
    the caller to join to the stretch before; ``final`` False skips the chain-head check.
    """
    keys = keys or {}
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
        check = row.entry_check
        intact = (check if hashed else sha256(check.encode()).hexdigest()) == stored
        linked = row.previous_hash == previous
        if not intact or not linked:
            return result(_diagnose(board_id, row, intact=intact, linked=linked, locate=locate))
        problem, erased = payload_problem(row, keys, missing_key)
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
