"""Plain values the providers context hands out: principals, issued secrets, dataset specs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from koppelvlak.catalogue.models import LawfulBasis
from koppelvlak.providers.models import AccreditationState, DeliveryMode


@dataclass(frozen=True)
class ClientPrincipal:
    credential_id: uuid.UUID
    client_id: str
    provider_id: uuid.UUID


@dataclass(frozen=True)
class UwlrPrincipal:
    provider_id: uuid.UUID
    schools: tuple[tuple[uuid.UUID, str, str], ...]  # (board_id, brin, location_code)


@dataclass(frozen=True, repr=False)
class IssuedCredential:
    """A new client credential; the secret is shown once and never stored in the clear."""

    credential_id: uuid.UUID
    client_id: str
    client_secret: str
    expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"IssuedCredential(client_id={self.client_id!r}, client_secret=<hidden>)"


@dataclass(frozen=True, repr=False)
class IssuedUwlrKey:
    key_id: uuid.UUID
    klantcode: str
    autorisatiesleutel: str

    def __repr__(self) -> str:
        return f"IssuedUwlrKey(klantcode={self.klantcode!r}, autorisatiesleutel=<hidden>)"


@dataclass(frozen=True)
class Application:
    """What a provider states when it applies for accreditation."""

    name: str
    kvk_number: str
    contact_email: str
    security_contact_email: str
    privacy_statement_url: str
    oin: str | None = None
    covenant_signed_on: date | None = None
    processing_agreement_on: date | None = None
    processing_agreement_version: str | None = None


@dataclass(frozen=True)
class ProviderView:
    provider_id: uuid.UUID
    name: str
    kvk_number: str
    oin: str | None
    accreditation_state: AccreditationState
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    privacy_statement_url: str
    apps: tuple[str, ...] = ()
    covenant_signed_on: date | None = None
    processing_agreement_on: date | None = None
    processing_agreement_version: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset version as a provider proposes it: attribute id -> required?"""

    attributes: dict[str, bool]
    purpose_code: str
    entity_types: frozenset[str]  # subset of {"students", "staff", "groups"}
    delivery_mode: DeliveryMode = DeliveryMode.PULL
    retention: str | None = None  # default: the purpose's retention
    purpose_statement: str | None = None


@dataclass(frozen=True)
class DatasetVersionView:
    dataset_id: uuid.UUID
    version_id: uuid.UUID
    app_id: uuid.UUID
    provider_id: uuid.UUID
    version: int
    attributes: dict[str, bool]  # id -> required
    purpose_code: str
    purpose_statement: str | None
    lawful_basis: LawfulBasis
    retention: str
    entity_types: frozenset[str]
    delivery_mode: DeliveryMode
    sensitive: bool
    created_at: datetime
    created_by: str

    @property
    def attribute_ids(self) -> frozenset[str]:
        return frozenset(self.attributes)

    @property
    def optional_ids(self) -> frozenset[str]:
        return frozenset(a for a, required in self.attributes.items() if not required)


@dataclass(frozen=True)
class VersionDiff:
    """What changes from one dataset version to another, and whether it widens the request."""

    from_version: int
    to_version: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    now_required: tuple[str, ...] = ()
    now_optional: tuple[str, ...] = ()
    entity_types_added: tuple[str, ...] = ()
    entity_types_removed: tuple[str, ...] = ()
    purpose_changed: tuple[str, str] | None = None
    lawful_basis_changed: tuple[str, str] | None = None
    retention_changed: tuple[str, str] | None = None
    delivery_mode_changed: tuple[str, str] | None = None

    @property
    def widens(self) -> bool:
        """True when the school must approve before the new version applies."""
        return bool(
            self.added
            or self.now_required
            or self.entity_types_added
            or self.purpose_changed
            or self.lawful_basis_changed
            or self.retention_changed
            or self.delivery_mode_changed
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "from_version": self.from_version,
            "to_version": self.to_version,
            "added": list(self.added),
            "removed": list(self.removed),
            "now_required": list(self.now_required),
            "now_optional": list(self.now_optional),
            "entity_types_added": list(self.entity_types_added),
            "entity_types_removed": list(self.entity_types_removed),
            "purpose_changed": list(self.purpose_changed) if self.purpose_changed else None,
            "lawful_basis_changed": (
                list(self.lawful_basis_changed) if self.lawful_basis_changed else None
            ),
            "retention_changed": list(self.retention_changed) if self.retention_changed else None,
            "delivery_mode_changed": (
                list(self.delivery_mode_changed) if self.delivery_mode_changed else None
            ),
            "widens": self.widens,
        }
