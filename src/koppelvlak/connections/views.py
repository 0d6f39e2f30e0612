"""Build the read models of connections: ``ConnectionView`` and ``ConnectionEventView``.

The service decides which connections a caller may see; this module only turns rows into
views, fetching each school, app and dataset version once per batch.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.connections import repository
from koppelvlak.connections.models import Connection, ConnectionEvent
from koppelvlak.connections.schemas import ConnectionEventView, ConnectionView, SchoolRef
from koppelvlak.connections.states import state_at
from koppelvlak.kit.clock import as_utc
from koppelvlak.providers import service as providers
from koppelvlak.providers.schemas import DatasetVersionView


def event_view(e: ConnectionEvent) -> ConnectionEventView:
    return ConnectionEventView(
        as_utc(e.at), e.actor, e.action, e.from_state, e.to_state, e.reason, dict(e.detail)
    )


def connection_views(
    session: Session, connections: list[Connection], at: datetime
) -> list[ConnectionView]:
    schools = repository.schools_by_id(session, {c.school_id for c in connections})
    off = repository.switched_off_many(session, [c.id for c in connections])
    versions: dict[uuid.UUID, DatasetVersionView] = {}
    apps: dict[uuid.UUID, str] = {}
    found = []
    for c in connections:
        if c.dataset_version_id not in versions:
            versions[c.dataset_version_id] = providers.dataset_version_view(
                session, c.dataset_version_id
            )
        if c.app_id not in apps:
            apps[c.app_id] = providers.app_of(session, c.app_id).name
        version = versions[c.dataset_version_id]
        school = schools[c.school_id]
        pending = (
            providers.dataset_version_view(session, c.pending_version_id).version
            if c.pending_version_id
            else None
        )
        found.append(
            ConnectionView(
                connection_id=c.id,
                board_id=c.board_id,
                provider_id=c.provider_id,
                app_name=apps[c.app_id],
                state=state_at(c.state, c.ends_at, at).value,
                school=SchoolRef(school.brin, school.location_code, school.name),
                dataset_version=version.version,
                attribute_ids=version.attribute_ids - (off[c.id] & version.optional_ids),
                entity_types=version.entity_types,
                purpose=version.purpose_code,
                lawful_basis=version.lawful_basis.value,
                uwlr_profile=c.uwlr_profile.value if c.uwlr_profile else None,
                delivery_mode=version.delivery_mode.value,
                school_id=c.school_id,
                app_id=c.app_id,
                scope_kind=c.scope_kind.value,
                licensed_only=c.licensed_only,
                pending_version=pending,
                ends_at=as_utc(c.ends_at) if c.ends_at else None,
            )
        )
    return found
