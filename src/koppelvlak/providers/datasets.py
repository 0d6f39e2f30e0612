"""Datasets: an app's versioned data request, validated against the catalogue.

A version is immutable once written. ``diff_versions`` says what changed and whether it widens
the request; the connections context uses that to apply a narrowing at once and to hold a
widening until the school approves it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from koppelvlak.catalogue import service as catalogue
from koppelvlak.catalogue.seed import ENTITY_TYPES
from koppelvlak.providers import repository
from koppelvlak.providers.errors import AppNotFound, DatasetNotFound, InvalidDataset
from koppelvlak.providers.models import Dataset, DatasetAttribute, DatasetVersion
from koppelvlak.providers.schemas import DatasetSpec, DatasetVersionView, VersionDiff

KNOWN_ENTITY_TYPES = frozenset(ENTITY_TYPES.values())


def _check_spec(session: Session, spec: DatasetSpec) -> tuple[bool, str]:
    """Validate; return (sensitive, retention)."""
    if not spec.attributes:
        raise InvalidDataset("a dataset must name at least one attribute")
    unknown_types = sorted(spec.entity_types - KNOWN_ENTITY_TYPES)
    if unknown_types:
        raise InvalidDataset(
            f"unknown entity type(s): {', '.join(unknown_types)}; use students, staff or groups"
        )
    if not spec.entity_types:
        raise InvalidDataset("a dataset must name at least one entity type")
    definitions = catalogue.shareable_attributes(session, sorted(spec.attributes))
    for definition in definitions:
        needed = ENTITY_TYPES[definition.entity]
        if needed not in spec.entity_types:
            raise InvalidDataset(f"attribute {definition.id} needs entity type {needed}")
        if definition.id.endswith(".groups") and "groups" not in spec.entity_types:
            raise InvalidDataset(f"attribute {definition.id} needs entity type groups")
    purpose = catalogue.purpose(session, spec.purpose_code)
    retention = catalogue.check_retention(spec.retention or purpose.retention)
    return any(d.sensitive for d in definitions), retention


def add_dataset_version(
    session: Session, app_id: uuid.UUID, spec: DatasetSpec, *, actor: str, at: datetime
) -> DatasetVersionView:
    """Write the next version of the app's dataset (version 1 when it has none)."""
    app = repository.app(session, app_id)
    if app is None:
        raise AppNotFound(f"no app with id {app_id}")
    sensitive, retention = _check_spec(session, spec)
    purpose = catalogue.purpose(session, spec.purpose_code)
    dataset = repository.dataset_of_app(session, app_id)
    if dataset is None:
        dataset = Dataset(provider_id=app.provider_id, app_id=app.id, latest_version=0)
        session.add(dataset)
        session.flush()
    else:
        latest = latest_version_view(session, dataset.id)
        if (
            latest.attributes == spec.attributes
            and latest.purpose_code == spec.purpose_code
            and latest.entity_types == spec.entity_types
            and latest.delivery_mode == spec.delivery_mode
            and latest.retention == retention
            and latest.purpose_statement == spec.purpose_statement
        ):
            raise InvalidDataset(f"version {latest.version} is the same; nothing changed")
    dataset.latest_version += 1
    version = DatasetVersion(
        dataset_id=dataset.id,
        version=dataset.latest_version,
        purpose_code=spec.purpose_code,
        purpose_statement=spec.purpose_statement,
        lawful_basis=purpose.lawful_basis,
        retention=retention,
        entity_types=",".join(sorted(spec.entity_types)),
        delivery_mode=spec.delivery_mode,
        sensitive=sensitive,
        created_at=at,
        created_by=actor,
    )
    session.add(version)
    session.flush()
    for attribute_id, required in sorted(spec.attributes.items()):
        session.add(
            DatasetAttribute(version_id=version.id, attribute_id=attribute_id, required=required)
        )
    session.flush()
    return dataset_version_view(session, version.id)


def dataset_version_view(session: Session, version_id: uuid.UUID) -> DatasetVersionView:
    version = repository.dataset_version(session, version_id)
    if version is None:
        raise DatasetNotFound(f"no dataset version with id {version_id}")
    dataset = repository.dataset(session, version.dataset_id)
    assert dataset is not None  # foreign key
    return DatasetVersionView(
        dataset_id=dataset.id,
        version_id=version.id,
        app_id=dataset.app_id,
        provider_id=dataset.provider_id,
        version=version.version,
        attributes=repository.dataset_attributes(session, version.id),
        purpose_code=version.purpose_code,
        purpose_statement=version.purpose_statement,
        lawful_basis=version.lawful_basis,
        retention=version.retention,
        entity_types=frozenset(t for t in version.entity_types.split(",") if t),
        delivery_mode=version.delivery_mode,
        sensitive=version.sensitive,
        created_at=version.created_at,
        created_by=version.created_by,
    )


def latest_version_view(session: Session, dataset_id: uuid.UUID) -> DatasetVersionView:
    dataset = repository.dataset(session, dataset_id)
    if dataset is None:
        raise DatasetNotFound(f"no dataset with id {dataset_id}")
    version = repository.dataset_version_number(session, dataset.id, dataset.latest_version)
    if version is None:
        raise DatasetNotFound(f"dataset {dataset_id} has no versions")
    return dataset_version_view(session, version.id)


def version_views(session: Session, dataset_id: uuid.UUID) -> list[DatasetVersionView]:
    return [
        dataset_version_view(session, v.id)
        for v in repository.dataset_versions(session, dataset_id)
    ]


def diff_versions(old: DatasetVersionView, new: DatasetVersionView) -> VersionDiff:
    """What changes from ``old`` to ``new``; ``widens`` when the school must approve."""
    both = old.attribute_ids & new.attribute_ids

    def changed(a: str, b: str) -> tuple[str, str] | None:
        return (a, b) if a != b else None

    return VersionDiff(
        from_version=old.version,
        to_version=new.version,
        added=tuple(sorted(new.attribute_ids - old.attribute_ids)),
        removed=tuple(sorted(old.attribute_ids - new.attribute_ids)),
        now_required=tuple(sorted(a for a in both if new.attributes[a] and not old.attributes[a])),
        now_optional=tuple(sorted(a for a in both if old.attributes[a] and not new.attributes[a])),
        entity_types_added=tuple(sorted(new.entity_types - old.entity_types)),
        entity_types_removed=tuple(sorted(old.entity_types - new.entity_types)),
        purpose_changed=changed(old.purpose_code, new.purpose_code),
        lawful_basis_changed=changed(old.lawful_basis.value, new.lawful_basis.value),
        retention_changed=changed(old.retention, new.retention),
        delivery_mode_changed=changed(old.delivery_mode.value, new.delivery_mode.value),
    )


def versions_of_app(session: Session, app_id: uuid.UUID) -> list[DatasetVersionView]:
    dataset = repository.dataset_of_app(session, app_id)
    return version_views(session, dataset.id) if dataset else []
