"""Every query of the providers context."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.kit.driver import Reader
from koppelvlak.providers.models import (
    App,
    ClientCredential,
    ClientSecret,
    Dataset,
    DatasetAttribute,
    DatasetVersion,
    Provider,
    UwlrKey,
    UwlrKeySchool,
)


def provider(session: Session, provider_id: uuid.UUID) -> Provider | None:
    return session.get(Provider, provider_id)


def provider_by_kvk(session: Session, kvk_number: str) -> Provider | None:
    return session.scalar(select(Provider).where(Provider.kvk_number == kvk_number))


def providers(session: Session) -> list[Provider]:
    return list(session.scalars(select(Provider).order_by(Provider.name)))


def apps_of(session: Session, provider_id: uuid.UUID) -> list[App]:
    return list(
        session.scalars(select(App).where(App.provider_id == provider_id).order_by(App.name))
    )


def app(session: Session, app_id: uuid.UUID) -> App | None:
    return session.get(App, app_id)


def app_by_name(session: Session, provider_id: uuid.UUID, name: str) -> App | None:
    return session.scalar(select(App).where(App.provider_id == provider_id, App.name == name))


def credential(session: Session, client_id: str) -> ClientCredential | None:
    return session.scalar(select(ClientCredential).where(ClientCredential.client_id == client_id))


_REVOKED_AT = "SELECT revoked_at FROM client_credential WHERE id = %s"


def credential_revoked_at(
    session: Session, credential_id: uuid.UUID
) -> tuple[bool, datetime | None]:
    """(exists, revoked at) of one credential: the per-request check, one primary-key read.

    On the DBAPI cursor of the session's transaction (``kit.driver``): read on every
    provider request, where the ORM's ``session.get`` cost more than everything else in it.
    """
    reader = Reader(session)
    found = reader.rows(_REVOKED_AT, [reader.id(credential_id)])
    if not found:
        return False, None
    return True, reader.stamp(found[0][0])


def credentials_of(session: Session, provider_id: uuid.UUID) -> list[ClientCredential]:
    return list(
        session.scalars(
            select(ClientCredential)
            .where(ClientCredential.provider_id == provider_id)
            .order_by(ClientCredential.created_at)
        )
    )


def secrets_of(session: Session, credential_id: uuid.UUID) -> list[ClientSecret]:
    return list(
        session.scalars(
            select(ClientSecret)
            .where(ClientSecret.credential_id == credential_id)
            .order_by(ClientSecret.created_at)
        )
    )


def uwlr_keys(session: Session, klantcode: str) -> list[UwlrKey]:
    return list(session.scalars(select(UwlrKey).where(UwlrKey.klantcode == klantcode)))


def uwlr_key_schools(session: Session, key_id: uuid.UUID) -> list[UwlrKeySchool]:
    return list(
        session.scalars(
            select(UwlrKeySchool)
            .where(UwlrKeySchool.key_id == key_id)
            .order_by(UwlrKeySchool.brin, UwlrKeySchool.location_code)
        )
    )


def dataset_of_app(session: Session, app_id: uuid.UUID) -> Dataset | None:
    return session.scalar(select(Dataset).where(Dataset.app_id == app_id))


def dataset(session: Session, dataset_id: uuid.UUID) -> Dataset | None:
    return session.get(Dataset, dataset_id)


def dataset_version(session: Session, version_id: uuid.UUID) -> DatasetVersion | None:
    return session.get(DatasetVersion, version_id)


def dataset_version_number(
    session: Session, dataset_id: uuid.UUID, version: int
) -> DatasetVersion | None:
    return session.scalar(
        select(DatasetVersion).where(
            DatasetVersion.dataset_id == dataset_id, DatasetVersion.version == version
        )
    )


def dataset_versions(session: Session, dataset_id: uuid.UUID) -> list[DatasetVersion]:
    return list(
        session.scalars(
            select(DatasetVersion)
            .where(DatasetVersion.dataset_id == dataset_id)
            .order_by(DatasetVersion.version)
        )
    )


def dataset_attributes(session: Session, version_id: uuid.UUID) -> dict[str, bool]:
    rows = session.execute(
        select(DatasetAttribute.attribute_id, DatasetAttribute.required)
        .where(DatasetAttribute.version_id == version_id)
        .order_by(DatasetAttribute.attribute_id)
    )
    return {str(attribute_id): bool(required) for attribute_id, required in rows}
