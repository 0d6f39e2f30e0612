"""The stored form of entries recorded before migration 0008, and the rules that verify it.

Those entries committed to their people with one random salt per person per entry
(``sha256("kv-subject-v1" | salt | person id)``) and to the query with a details commitment.
Their chain hashes cannot change, so migration 0008 moved their commitments as they were
into ``audit_payload.v1_details`` and ``v1_subjects`` (``commitment:person:salt`` items,
person and salt empty once erased) and verification keeps checking them by these rules
(ADR 0031). New entries never use this form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from hashlib import sha256


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


def payload_problem(
    *,
    details: str,
    salt: str | None,
    query: str | None,
    attribute_ids: str | None,
    subjects: str | None,
    commitment: str,
) -> tuple[str | None, int]:
    """What is wrong with an old-form payload, if anything, and how many people were erased."""
    if salt is not None and (
        query is None
        or attribute_ids is None
        or details_commitment(salt, query, attribute_ids) != details
    ):
        return "its query or attributes differ from what was recorded", 0
    problem, commitments, erased = _subjects(subjects)
    if problem is None and payload_commitment(details, commitments) != commitment:
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


def without_person(subjects: str, person_hex: str) -> tuple[str, int]:
    """The subjects with one person's id and salt removed (their commitment stays)."""
    items, removed = [], 0
    for item in subjects.split(" "):
        commitment, person, _salt = item.split(":")
        removed += person == person_hex
        items.append(f"{commitment}::" if person == person_hex else item)
    return " ".join(items), removed


def forgotten(subjects: str) -> str:
    """The subjects with every person's id and salt removed, for retention."""
    return " ".join(f"{item.split(':')[0]}::" for item in subjects.split(" "))


def erased_count(subjects: str | None) -> int:
    if not subjects:
        return 0
    return sum(item.endswith("::") for item in subjects.split(" "))
