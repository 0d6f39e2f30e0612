"""The public register: every accredited provider, its apps and what each app's dataset asks.

Built from providers and the catalogue only, never from the roster, connections or the ledger,
so it cannot say anything about a school's people (nor which schools use an app). Each dataset
is shown at its current (latest) version, attribute by attribute, with its purpose, lawful
basis and retention. ``document`` is the JSON contract ``/register.json`` serves: its field
names are stable and versioned by ``schema`` (ADR 0123); ``SCHEMA_FILE`` is its JSON Schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from koppelvlak.catalogue import service as catalogue
from koppelvlak.catalogue.seed import AttributeDefinition
from koppelvlak.kit.clock import as_utc
from koppelvlak.providers import repository as providers
from koppelvlak.providers.models import AccreditationState, App, Provider

SCHEMA = "koppelvlak-register/1"
SCHEMA_FILE = Path(__file__).with_name("public-register.schema.json")


@dataclass(frozen=True)
class PublicAttribute:
    id: str
    entity: str
    category: str
    sensitivity: str
    required: bool
    description_nl: str
    description_en: str


@dataclass(frozen=True)
class PublicDataset:
    version: int
    since: datetime
    purpose: str
    purpose_nl: str
    purpose_en: str
    purpose_statement: str | None
    lawful_basis: str
    retention: str
    entity_types: tuple[str, ...]
    delivery_mode: str
    attributes: tuple[PublicAttribute, ...]


@dataclass(frozen=True)
class PublicApp:
    name: str
    description: str | None
    dataset: PublicDataset | None


@dataclass(frozen=True)
class PublicProvider:
    name: str
    kvk_number: str
    privacy_statement_url: str
    accredited_since: datetime | None
    covenant_signed_on: date | None
    processing_agreement_on: date | None
    processing_agreement_version: str | None
    apps: tuple[PublicApp, ...]


@dataclass(frozen=True)
class PublicRegister:
    generated_at: datetime
    providers: tuple[PublicProvider, ...]


def public_register(session: Session, at: datetime) -> PublicRegister:
    """Every accredited provider, by name; applied, suspended and withdrawn ones are not listed."""
    known = catalogue.attributes(session)
    listed = tuple(
        _provider(session, p, known)
        for p in providers.providers(session)
        if p.accreditation_state is AccreditationState.ACCREDITED
    )
    return PublicRegister(generated_at=as_utc(at), providers=listed)


def _provider(
    session: Session, provider: Provider, known: dict[str, AttributeDefinition]
) -> PublicProvider:
    return PublicProvider(
        name=provider.name,
        kvk_number=provider.kvk_number,
        privacy_statement_url=provider.privacy_statement_url,
        accredited_since=as_utc(provider.decided_at) if provider.decided_at else None,
        covenant_signed_on=provider.covenant_signed_on,
        processing_agreement_on=provider.processing_agreement_on,
        processing_agreement_version=provider.processing_agreement_version,
        apps=tuple(_app(session, a, known) for a in providers.apps_of(session, provider.id)),
    )


def _app(session: Session, app: App, known: dict[str, AttributeDefinition]) -> PublicApp:
    dataset = providers.dataset_of_app(session, app.id)
    version = (
        providers.dataset_version_number(session, dataset.id, dataset.latest_version)
        if dataset
        else None
    )
    if version is None:
        return PublicApp(app.name, app.description, None)
    purpose = catalogue.purposes(session).get(version.purpose_code)
    wanted = providers.dataset_attributes(session, version.id)
    return PublicApp(
        name=app.name,
        description=app.description,
        dataset=PublicDataset(
            version=version.version,
            since=as_utc(version.created_at),
            purpose=version.purpose_code,
            purpose_nl=purpose.description_nl if purpose else "",
            purpose_en=purpose.description_en if purpose else "",
            purpose_statement=version.purpose_statement,
            lawful_basis=version.lawful_basis.value,
            retention=version.retention,
            entity_types=tuple(sorted(e for e in version.entity_types.split(",") if e)),
            delivery_mode=version.delivery_mode.value,
            attributes=tuple(
                _attribute(attribute_id, required, known.get(attribute_id))
                for attribute_id, required in wanted.items()
            ),
        ),
    )


def _attribute(
    attribute_id: str, required: bool, definition: AttributeDefinition | None
) -> PublicAttribute:
    return PublicAttribute(
        id=attribute_id,
        entity=definition.entity.value if definition else attribute_id.split(".", 1)[0],
        category=definition.category if definition else "",
        sensitivity=definition.sensitivity.value if definition else "",
        required=required,
        description_nl=definition.description_nl if definition else "",
        description_en=definition.description_en if definition else "",
    )


def document(register: PublicRegister) -> dict[str, Any]:
    """The register as the versioned JSON document ``koppelvlak-register/1``."""
    return {
        "schema": SCHEMA,
        "generated_at": register.generated_at.isoformat(),
        "providers": [_provider_document(p) for p in register.providers],
    }


def _provider_document(provider: PublicProvider) -> dict[str, Any]:
    return {
        "name": provider.name,
        "kvk_number": provider.kvk_number,
        "privacy_statement_url": provider.privacy_statement_url,
        "accredited_since": _iso(provider.accredited_since),
        "covenant_signed_on": _iso(provider.covenant_signed_on),
        "processing_agreement": {
            "signed_on": _iso(provider.processing_agreement_on),
            "version": provider.processing_agreement_version,
        },
        "apps": [
            {
                "name": app.name,
                "description": app.description,
                "dataset": _dataset_document(app.dataset) if app.dataset else None,
            }
            for app in provider.apps
        ],
    }


def _dataset_document(dataset: PublicDataset) -> dict[str, Any]:
    return {
        "version": dataset.version,
        "since": dataset.since.isoformat(),
        "purpose": {
            "code": dataset.purpose,
            "description_nl": dataset.purpose_nl,
            "description_en": dataset.purpose_en,
            "statement": dataset.purpose_statement,
        },
        "lawful_basis": dataset.lawful_basis,
        "retention": dataset.retention,
        "entity_types": list(dataset.entity_types),
        "delivery_mode": dataset.delivery_mode,
        "attributes": [
            {
                "id": a.id,
                "entity": a.entity,
                "category": a.category,
                "sensitivity": a.sensitivity,
                "required": a.required,
                "description_nl": a.description_nl,
                "description_en": a.description_en,
            }
            for a in dataset.attributes
        ],
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``document``, as shipped in the package and printed in the docs."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded
