"""How the admin API renders connections, histories and explanations as JSON."""

from __future__ import annotations

from typing import Any

from koppelvlak.connections.schemas import ConnectionEventView, ConnectionView
from koppelvlak.providers.schemas import VersionDiff
from koppelvlak.release.service import Explanation


def connection(view: ConnectionView, pending: VersionDiff | None = None) -> dict[str, Any]:
    return {
        "id": str(view.connection_id),
        "state": view.state,
        "app": view.app_name,
        "provider_id": str(view.provider_id),
        "school": {
            "brin": view.school.brin,
            "location_code": view.school.location_code,
            "name": view.school.name,
        },
        "dataset_version": view.dataset_version,
        "pending_version": view.pending_version,
        "pending_change": pending.as_dict() if pending else None,
        "attributes": sorted(view.attribute_ids),
        "entity_types": sorted(view.entity_types),
        "purpose": view.purpose,
        "lawful_basis": view.lawful_basis,
        "delivery_mode": view.delivery_mode,
        "uwlr_profile": view.uwlr_profile,
        "scope": {"kind": view.scope_kind, "licensed_only": view.licensed_only},
        "ends_at": view.ends_at.isoformat() if view.ends_at else None,
    }


def event(item: ConnectionEventView) -> dict[str, Any]:
    return {
        "at": item.at.isoformat(),
        "actor": item.actor,
        "action": item.action,
        "from_state": item.from_state,
        "to_state": item.to_state,
        "reason": item.reason,
        "detail": item.detail,
    }


def explanation(result: Explanation) -> dict[str, Any]:
    return {
        "connection": str(result.connection_id),
        "person": str(result.person_id),
        "kind": result.kind.value,
        "at": result.at.isoformat(),
        "connection_state": result.connection_state,
        "released": result.released,
        "reason": result.reason.value,
        "detail": result.detail,
        "attributes": {a.attribute_id: a.reason.value for a in result.attributes},
    }
