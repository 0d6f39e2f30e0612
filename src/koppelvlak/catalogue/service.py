"""The catalogue as one lookup: built-in defaults plus the operator's additions."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from koppelvlak.catalogue import repository
from koppelvlak.catalogue.errors import (
    DuplicateCatalogueEntry,
    InvalidCatalogueEntry,
    NeverShareable,
    UnknownAttribute,
    UnknownPurpose,
)
from koppelvlak.catalogue.models import (
    CatalogueAttribute,
    CataloguePurpose,
    Entity,
    LawfulBasis,
    Sensitivity,
)
from koppelvlak.catalogue.seed import ATTRIBUTES, PURPOSES, AttributeDefinition, PurposeDefinition

_DURATION = re.compile(r"^P(?=\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")
_ATTRIBUTE_ID = re.compile(r"^(student|staff|group)\.[a-z][a-z0-9_]{0,40}$")
_BUILT_IN_ATTRIBUTES = {a.id: a for a in ATTRIBUTES}
_BUILT_IN_PURPOSES = {p.code: p for p in PURPOSES}


def attributes(session: Session) -> dict[str, AttributeDefinition]:
    """Every attribute by id: the built-ins, then the operator's additions."""
    found = dict(_BUILT_IN_ATTRIBUTES)
    for row in repository.extra_attributes(session):
        found.setdefault(
            row.id,
            AttributeDefinition(
                id=row.id,
                entity=row.entity,
                category=row.category,
                sensitivity=row.sensitivity,
                description_nl=row.description_nl,
                description_en=row.description_en,
                shareable=row.shareable and row.sensitivity is not Sensitivity.SPECIAL,
                identifier=row.identifier,
            ),
        )
    return found


def purposes(session: Session) -> dict[str, PurposeDefinition]:
    found = dict(_BUILT_IN_PURPOSES)
    for row in repository.extra_purposes(session):
        found.setdefault(
            row.code,
            PurposeDefinition(
                row.code, row.lawful_basis, row.retention, row.description_nl, row.description_en
            ),
        )
    return found


def purpose(session: Session, code: str) -> PurposeDefinition:
    found = purposes(session).get(code)
    if found is None:
        raise UnknownPurpose(f"unknown purpose {code!r}")
    return found


def shareable_attributes(
    session: Session, attribute_ids: list[str] | tuple[str, ...] | frozenset[str]
) -> list[AttributeDefinition]:
    """The definitions of these ids; refuses unknown and never-shareable ones by name."""
    known = attributes(session)
    unknown = sorted(a for a in attribute_ids if a not in known)
    if unknown:
        raise UnknownAttribute(f"unknown attribute(s): {', '.join(unknown)}")
    never = sorted(a for a in attribute_ids if not known[a].shareable)
    if never:
        raise NeverShareable(f"attribute(s) never shareable: {', '.join(never)}")
    return [known[a] for a in attribute_ids]


def check_retention(value: str) -> str:
    if not _DURATION.match(value):
        raise InvalidCatalogueEntry(
            f"retention {value!r} is not an ISO 8601 duration such as P1Y or P6M"
        )
    return value


def add_attribute(
    session: Session,
    *,
    attribute_id: str,
    category: str,
    sensitivity: Sensitivity,
    description_nl: str,
    description_en: str,
    identifier: bool = False,
) -> AttributeDefinition:
    """Extend the catalogue; the entity follows from the id's prefix."""
    if not _ATTRIBUTE_ID.match(attribute_id):
        raise InvalidCatalogueEntry(
            f"attribute id {attribute_id!r} must look like student.x, staff.x or group.x"
        )
    if attribute_id in attributes(session):
        raise DuplicateCatalogueEntry(f"attribute {attribute_id} exists already")
    row = CatalogueAttribute(
        id=attribute_id,
        entity=Entity(attribute_id.split(".", 1)[0]),
        category=category,
        sensitivity=sensitivity,
        shareable=sensitivity is not Sensitivity.SPECIAL,
        identifier=identifier,
        description_nl=description_nl,
        description_en=description_en,
    )
    session.add(row)
    session.flush()
    return attributes(session)[attribute_id]


def add_purpose(
    session: Session,
    *,
    code: str,
    lawful_basis: LawfulBasis,
    retention: str,
    description_nl: str,
    description_en: str,
) -> PurposeDefinition:
    if code in purposes(session):
        raise DuplicateCatalogueEntry(f"purpose {code} exists already")
    session.add(
        CataloguePurpose(
            code=code,
            lawful_basis=lawful_basis,
            retention=check_retention(retention),
            description_nl=description_nl,
            description_en=description_en,
        )
    )
    session.flush()
    return purposes(session)[code]
