"""Onboarding API routes: a provider applies, proposes datasets and follows its schools.

The application itself is open (it only creates an organisation in state ``applied`` and
returns its first credential, shown once), and so is the catalogue of purposes and attributes a
dataset may name; everything else needs that credential. A provider sees only its own
organisation, apps and connections, and completes its application (the agreement dates) with
``PATCH /provider`` rather than by applying again.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends

from koppelvlak.api.admin.auth import SessionDep
from koppelvlak.api.onboarding.auth import ProviderDep, application_allowance
from koppelvlak.api.onboarding.schemas import (
    AgreementsBody,
    AppBody,
    ApplicationBody,
    DatasetBody,
    LicenceBody,
)
from koppelvlak.catalogue import service as catalogue
from koppelvlak.connections import flows, scope
from koppelvlak.connections import service as connections
from koppelvlak.connections.errors import ConnectionNotFound
from koppelvlak.connections.models import LicenceSource, PersonKindColumn
from koppelvlak.kit.clock import utcnow
from koppelvlak.providers import service as providers
from koppelvlak.providers.errors import AppNotFound
from koppelvlak.providers.schemas import (
    Application,
    DatasetSpec,
    DatasetVersionView,
    ProviderView,
)

router = APIRouter(prefix="/onboarding/v1", tags=["onboarding"])


def _version(v: DatasetVersionView) -> dict[str, Any]:
    return {
        "version": v.version,
        "attributes": v.attributes,
        "purpose": v.purpose_code,
        "purpose_statement": v.purpose_statement,
        "lawful_basis": v.lawful_basis.value,
        "retention": v.retention,
        "entity_types": sorted(v.entity_types),
        "delivery_mode": v.delivery_mode.value,
        "sensitive": v.sensitive,
        "created_at": v.created_at.isoformat(),
    }


def _own_app(work: SessionDep, who: ProviderDep, app_id: uuid.UUID) -> None:
    app = providers.app_of(work, app_id)
    if app.provider_id != who.provider_id:
        raise AppNotFound(f"no app with id {app_id}")


@router.post(
    "/applications",
    status_code=201,
    summary="Apply for accreditation",
    dependencies=[Depends(application_allowance)],
)
def apply(body: ApplicationBody, work: SessionDep) -> dict[str, Any]:
    now = utcnow()
    provider = providers.apply(work, Application(**body.model_dump()), now)
    issued = providers.create_credential(work, provider.id, now, label="onboarding")
    return {
        "provider_id": str(provider.id),
        "accreditation_state": provider.accreditation_state.value,
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
    }


def _organisation(view: ProviderView) -> dict[str, Any]:
    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "provider_id": str(view.provider_id),
        "name": view.name,
        "kvk_number": view.kvk_number,
        "accreditation": {
            "state": view.accreditation_state.value,
            "decided_at": view.decided_at.isoformat() if view.decided_at else None,
            "reason": view.decision_reason,
        },
        "agreements": {
            "covenant_signed_on": day(view.covenant_signed_on),
            "processing_agreement_on": day(view.processing_agreement_on),
            "processing_agreement_version": view.processing_agreement_version,
        },
        "apps": list(view.apps),
    }


@router.get("/provider", summary="The organisation, its agreements and accreditation state")
def me(work: SessionDep, who: ProviderDep) -> dict[str, Any]:
    return _organisation(providers.get_provider(work, who.provider_id))


@router.patch("/provider", summary="Add or correct the agreement dates after applying")
def complete(body: AgreementsBody, work: SessionDep, who: ProviderDep) -> dict[str, Any]:
    providers.complete_agreements(work, who.provider_id, at=utcnow(), **body.model_dump())
    return _organisation(providers.get_provider(work, who.provider_id))


@router.get("/purposes", summary="The purposes a dataset may name (open)")
def purposes(work: SessionDep) -> dict[str, Any]:
    return {
        "purposes": [
            {
                "code": p.code,
                "lawful_basis": p.lawful_basis.value,
                "retention": p.retention,
                "description_en": p.description_en,
                "description_nl": p.description_nl,
            }
            for p in sorted(catalogue.purposes(work).values(), key=lambda p: p.code)
        ]
    }


@router.get("/attributes", summary="The attributes a dataset may name (open)")
def attributes(work: SessionDep) -> dict[str, Any]:
    return {
        "attributes": [
            {
                "id": a.id,
                "entity": a.entity.value,
                "category": a.category,
                "sensitivity": a.sensitivity.value,
                "shareable": a.shareable,
                "identifier": a.identifier,
                "description_en": a.description_en,
                "description_nl": a.description_nl,
            }
            for a in sorted(catalogue.attributes(work).values(), key=lambda a: a.id)
        ]
    }


@router.post("/apps", status_code=201, summary="Add an app")
def add_app(body: AppBody, work: SessionDep, who: ProviderDep) -> dict[str, Any]:
    app = providers.add_app(work, who.provider_id, body.name, body.description)
    return {"app_id": str(app.id), "name": app.name}


@router.post("/apps/{app_id}/datasets", status_code=201, summary="Propose a dataset version")
def propose(
    app_id: uuid.UUID, body: DatasetBody, work: SessionDep, who: ProviderDep
) -> dict[str, Any]:
    _own_app(work, who, app_id)
    spec = DatasetSpec(
        attributes=body.attributes,
        purpose_code=body.purpose,
        entity_types=frozenset(body.entity_types),
        delivery_mode=body.delivery_mode,
        retention=body.retention,
        purpose_statement=body.purpose_statement,
    )
    version, outcomes = flows.propose_dataset_version(
        work, app_id, spec, actor=f"provider:{who.client_id}", at=utcnow()
    )
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    return {"dataset": _version(version), "connections": counts}


@router.get("/apps/{app_id}/datasets", summary="Every version of the app's dataset")
def versions(app_id: uuid.UUID, work: SessionDep, who: ProviderDep) -> dict[str, Any]:
    _own_app(work, who, app_id)
    from koppelvlak.providers.datasets import versions_of_app

    return {"versions": [_version(v) for v in versions_of_app(work, app_id)]}


@router.get("/connections", summary="Per school: the state of each connection")
def my_connections(work: SessionDep, who: ProviderDep) -> dict[str, Any]:
    found = connections.connections_for_provider(work, who.provider_id, utcnow())
    return {
        "connections": [
            {
                "id": str(v.connection_id),
                "app": v.app_name,
                "school": {
                    "brin": v.school.brin,
                    "location_code": v.school.location_code,
                    "name": v.school.name,
                },
                "state": v.state,
                "dataset_version": v.dataset_version,
                "pending_version": v.pending_version,
                "scope": {"kind": v.scope_kind, "licensed_only": v.licensed_only},
            }
            for v in found
        ]
    }


@router.post("/connections/{connection_id}/licences", summary="Submit licences by ECK iD")
def submit_licences(
    connection_id: uuid.UUID, body: LicenceBody, work: SessionDep, who: ProviderDep
) -> dict[str, Any]:
    mine = {
        v.connection_id: v
        for v in connections.connections_for_provider(work, who.provider_id, utcnow())
    }
    if connection_id not in mine:
        raise ConnectionNotFound(f"no connection with id {connection_id}")
    added = scope.add_licences(
        work,
        mine[connection_id].board_id,
        connection_id,
        kind=PersonKindColumn.STAFF if body.staff else PersonKindColumn.STUDENT,
        keys=body.eckids,
        source=LicenceSource.PROVIDER,
        actor=f"provider:{who.client_id}",
        at=utcnow(),
    )
    return {"added": added}
