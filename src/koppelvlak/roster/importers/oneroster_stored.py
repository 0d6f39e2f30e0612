"""What the roster already holds, as a delta package's references need it (frozen, no DB here).

A real OneRoster delta carries only what changed: its manifest marks ``orgs`` (and often
``classes`` and ``users``) absent, yet its classes name a school and its enrollments a class and
a user. Those references resolve against the board's stored schools, groups and people, which
``roster.repository.stored_references`` reads once into this value. The reader never asks for it
on a package that carries every referenced record itself, so a bulk import never reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StoredSchool:
    """A school as stored, keyed by its OneRoster org sourcedId."""

    key: str
    brin: str
    location: str
    name: str
    sector: str


@dataclass(frozen=True, slots=True)
class StoredPerson:
    """Where a stored person is: a student or staff member (with the job) at a school."""

    school: str  # the school's source key
    kind: str  # "student" | "staff"
    role: str | None = None  # staff only: the stored job description


@dataclass(frozen=True, slots=True)
class Stored:
    """The board's live schools, groups, people and guardians by source key (ambiguous group
    keys left out)."""

    board: str | None = None  # the board code the references were read from
    schools: Mapping[str, StoredSchool] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)  # group key → school key
    people: Mapping[str, tuple[StoredPerson, ...]] = field(default_factory=dict)
    guardians: frozenset[str] = frozenset()  # board-wide guardian keys


Lookup = Callable[[], Stored]


def nothing_stored() -> Stored:
    """The lookup for a caller without a database (a parse on its own): nothing is stored."""
    return Stored()
