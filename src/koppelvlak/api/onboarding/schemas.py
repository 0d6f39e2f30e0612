"""Request bodies of the onboarding API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from koppelvlak.providers.models import DeliveryMode


class ApplicationBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kvk_number: str = Field(min_length=1, max_length=16)
    contact_email: str = Field(max_length=256)
    security_contact_email: str = Field(max_length=256)
    privacy_statement_url: str = Field(max_length=512)
    oin: str | None = Field(default=None, max_length=32)
    covenant_signed_on: date | None = None
    processing_agreement_on: date | None = None
    processing_agreement_version: str | None = Field(default=None, max_length=32)


class AgreementsBody(BaseModel):
    """Agreement dates added (or corrected) after applying; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    covenant_signed_on: date | None = None
    processing_agreement_on: date | None = None
    processing_agreement_version: str | None = Field(default=None, max_length=32)


class AppBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class DatasetBody(BaseModel):
    attributes: dict[str, bool] = Field(
        description="attribute id -> required (false: the school may switch it off)",
        max_length=200,
    )
    purpose: str = Field(min_length=1, max_length=64)
    entity_types: list[str] = Field(min_length=1, max_length=3)
    delivery_mode: DeliveryMode = DeliveryMode.PULL
    retention: str | None = Field(default=None, max_length=32)
    purpose_statement: str | None = Field(default=None, max_length=2000)


class LicenceBody(BaseModel):
    eckids: list[str] = Field(min_length=1, max_length=50_000)
    staff: bool = False
