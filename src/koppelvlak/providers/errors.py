"""Provider errors: unknown parties, bad applications, refused states."""

from __future__ import annotations

from koppelvlak.errors import Conflict, KoppelvlakError, NotFound


class ProviderNotFound(NotFound):
    title = "Provider not found"


class AppNotFound(NotFound):
    title = "App not found"


class DatasetNotFound(NotFound):
    title = "Dataset not found"


class CredentialNotFound(NotFound):
    title = "Credential not found"


class InvalidApplication(KoppelvlakError):
    title = "Invalid provider application"


class InvalidDataset(KoppelvlakError):
    title = "Invalid dataset"


class DuplicateProvider(Conflict):
    title = "Provider exists"


class InvalidAccreditation(Conflict):
    title = "Accreditation change refused"
