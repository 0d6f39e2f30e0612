"""Catalogue errors: unknown or never-shareable attributes, bad purposes."""

from __future__ import annotations

from koppelvlak.errors import Conflict, KoppelvlakError, NotFound


class UnknownAttribute(KoppelvlakError):
    title = "Unknown attribute"


class NeverShareable(KoppelvlakError):
    title = "Attribute is never shareable"


class UnknownPurpose(NotFound):
    title = "Unknown purpose"


class InvalidCatalogueEntry(KoppelvlakError):
    title = "Invalid catalogue entry"


class DuplicateCatalogueEntry(Conflict):
    title = "Catalogue entry exists"
