"""Queries over the operator's catalogue rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.catalogue.models import CatalogueAttribute, CataloguePurpose


def extra_attributes(session: Session) -> list[CatalogueAttribute]:
    return list(session.scalars(select(CatalogueAttribute).order_by(CatalogueAttribute.id)))


def extra_purposes(session: Session) -> list[CataloguePurpose]:
    return list(session.scalars(select(CataloguePurpose).order_by(CataloguePurpose.code)))
