"""Registers generated from what the code and the database already know, never typed by hand.

The processing register is built per purpose from the board's connections, their dataset
versions and the catalogue, so it cannot drift from what Koppelvlak really shares; the storage
register is built from the personal-data label every column carries (``pd`` in the column
info), so a new column that stores personal data appears in it the day it is added.
"""

from __future__ import annotations

import inspect
import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

import koppelvlak.all_models  # noqa: F401  # every table, for the storage register
from koppelvlak.catalogue import service as catalogue
from koppelvlak.catalogue.seed import PurposeDefinition
from koppelvlak.connections import service as connections
from koppelvlak.connections.schemas import ConnectionView
from koppelvlak.db import Base
from koppelvlak.providers import repository as providers
from koppelvlak.registers import repository
from koppelvlak.registers.schemas import (
    ProcessingActivity,
    ProcessingRegister,
    Recipient,
    StorageRegister,
    StoredTable,
)

# Connections through which data flows, or may flow once a DPO signs off or a pause ends.
_RECIPIENT_STATES = frozenset({"approved", "active", "suspended"})

SAFEGUARDS = (
    "data minimisation: only the attributes of the approved dataset version are released",
    "per-provider pseudonyms (keyed HMAC) instead of internal keys",
    "objections and parental consent checked on every release",
    "every disclosure recorded first in a hash-chained ledger per board",
    "secrets hashed with argon2; short-lived signed access tokens",
)

# Group attributes (a class's name, its year group) are about no person.
_ENTITY_PEOPLE = {"student": "students", "staff": "staff"}


def processing_register(session: Session, board_id: uuid.UUID, at: datetime) -> ProcessingRegister:
    board_code, board_name = repository.board_code_and_name(session, board_id)
    found = connections.connections_for_board(session, board_id, at)
    by_purpose: dict[str, list[ConnectionView]] = defaultdict(list)
    for connection in found:
        by_purpose[connection.purpose].append(connection)
    purposes = catalogue.purposes(session)
    activities = tuple(
        _activity(session, code, by_purpose.get(code, []), purposes)
        for code in sorted(set(purposes) | set(by_purpose))
    )
    return ProcessingRegister(board=board_code, controller=board_name, activities=activities)


def _activity(
    session: Session,
    code: str,
    found: list[ConnectionView],
    purposes: dict[str, PurposeDefinition],
) -> ProcessingActivity:
    definition = purposes.get(code)
    attributes = catalogue.attributes(session)
    attribute_ids = sorted({a for c in found for a in c.attribute_ids})
    known = [attributes[a] for a in attribute_ids if a in attributes]
    bases = {c.lawful_basis for c in found} or (
        {definition.lawful_basis.value} if definition else set()
    )
    retention = {_retention(session, c) for c in found} or (
        {definition.retention} if definition else set()
    )
    recipients = sorted(
        (_recipient(session, c) for c in found if c.state in _RECIPIENT_STATES),
        key=lambda r: (r.provider, r.app, r.school),
    )
    return ProcessingActivity(
        purpose=code,
        description_nl=definition.description_nl if definition else "",
        description_en=definition.description_en if definition else "",
        lawful_bases=tuple(sorted(bases)),
        retention=tuple(sorted(retention)),
        people=tuple(
            sorted({_ENTITY_PEOPLE[e] for a in known if (e := a.entity.value) in _ENTITY_PEOPLE})
        ),
        data_categories=tuple(sorted({a.category for a in known} - {"none"})),
        attributes=tuple(attribute_ids),
        recipients=tuple(recipients),
        safeguards=SAFEGUARDS,
    )


def _retention(session: Session, connection: ConnectionView) -> str:
    row = connections.get(session, connection.board_id, connection.connection_id)
    version = providers.dataset_version(session, row.dataset_version_id)
    return version.retention if version else ""


def _recipient(session: Session, connection: ConnectionView) -> Recipient:
    provider = providers.provider(session, connection.provider_id)
    school = connection.school
    return Recipient(
        provider=provider.name if provider else str(connection.provider_id),
        app=connection.app_name,
        school=f"{school.brin}{school.location_code}",
        state=connection.state,
    )


def storage_register() -> StorageRegister:
    tables: list[StoredTable] = []
    labels: set[str] = set()
    for table in Base.metadata.sorted_tables:
        columns: dict[str, list[str]] = defaultdict(list)
        for column in table.columns:
            label = str(column.info.get("pd", "none"))
            if label != "none":
                columns[label].append(column.name)
        if columns:
            labels.update(columns)
            tables.append(
                StoredTable(
                    table=table.name,
                    why=_why(table.name),
                    columns={k: tuple(v) for k, v in sorted(columns.items())},
                )
            )
    return StorageRegister(labels=tuple(sorted(labels)), tables=tuple(tables))


def _why(table_name: str) -> str:
    """The first line of the model's docstring: each model says why it exists."""
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == table_name:
            doc = inspect.cleandoc(mapper.class_.__doc__ or "")  # its own, not a base's
            return doc.splitlines()[0] if doc else ""
    return ""
