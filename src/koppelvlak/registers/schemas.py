"""What the registers say, as plain frozen values any interface can render."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipient:
    provider: str
    app: str
    school: str
    state: str


@dataclass(frozen=True)
class ProcessingActivity:
    """One purpose of the board, as article 30(1) asks it to be described."""

    purpose: str
    description_nl: str
    description_en: str
    lawful_bases: tuple[str, ...]
    retention: tuple[str, ...]
    people: tuple[str, ...]
    data_categories: tuple[str, ...]
    attributes: tuple[str, ...]
    recipients: tuple[Recipient, ...]
    safeguards: tuple[str, ...]


@dataclass(frozen=True)
class ProcessingRegister:
    board: str
    controller: str
    activities: tuple[ProcessingActivity, ...]


@dataclass(frozen=True)
class StoredTable:
    """One table and, per personal-data label, its columns that carry that label."""

    table: str
    why: str
    columns: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class StorageRegister:
    labels: tuple[str, ...]
    tables: tuple[StoredTable, ...]
