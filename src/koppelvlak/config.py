"""Settings from the environment (prefix ``KOPPELVLAK_``) and the secrets key file.

Secrets are never in the repository: when not given in the environment they are generated
once into a key file with mode 0600 beside the database, so a restart keeps pseudonyms and
tokens valid.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from koppelvlak.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///./koppelvlak.db"
_SECRET_NAMES = ("pseudonym_key", "token_signing_key", "session_key")


class Settings(BaseSettings):
    """Every knob of the service; one instance per process."""

    model_config = SettingsConfigDict(env_prefix="KOPPELVLAK_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    key_file: Path = Path("koppelvlak-keys.json")
    pseudonym_key: SecretStr | None = None
    token_signing_key: SecretStr | None = None
    session_key: SecretStr | None = None
    redis_url: str | None = None
    base_url: str | None = Field(
        default=None, description="Public URL of the service, used in hrefs and the WSDL address"
    )
    digital_consent_age: int = Field(default=16, ge=0, le=18)
    access_token_seconds: int = Field(default=900, ge=30, le=86_400)
    max_request_bytes: int = Field(default=5_000_000, ge=1_000)
    rate_limit: str = "600/minute"
    failed_attempts_per_address: str = Field(
        default="30 per 10 minutes",
        description="Failed credential checks one client address may make before a lock-out",
    )
    failed_attempts_per_credential: str = Field(
        default="10 per 10 minutes",
        description="Failed checks of one client id or admin token before it is locked out",
    )
    applications_per_address: str = Field(
        default="5/hour", description="Onboarding applications one client address may send"
    )
    max_header_bytes: int = Field(
        default=32_768,
        ge=4_096,
        le=1_048_576,
        description="Largest request line plus headers; a larger request is refused unread",
    )
    client_assertion_max_seconds: int = Field(
        default=3600,
        ge=60,
        le=3600,
        description="Longest accepted private_key_jwt lifetime, from iat (or now) to exp",
    )
    release_cache_seconds: float = Field(
        default=0, ge=0, le=300, description="Reuse a resolved release this long (0: never)"
    )
    log_level: str = "info"
    uwlr_dir: Path | None = None

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+pysqlite:", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            raise ValueError("use the psycopg 3 driver: postgresql+psycopg://…")
        return value

    @field_validator(
        "rate_limit",
        "failed_attempts_per_address",
        "failed_attempts_per_credential",
        "applications_per_address",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("must be a rate such as '10 per 10 minutes' or '600/minute'") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in {"critical", "error", "warning", "info", "debug"}:
            raise ValueError("must be one of critical, error, warning, info, debug")
        return value.lower()


def describe_validation_error(error: ValidationError) -> str:
    """Name the offending variable in one line, the way an operator will look for it."""
    parts = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        parts.append(f"KOPPELVLAK_{field.upper()}: {item['msg']}")
    return "bad setting: " + "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; a bad value becomes a ConfigurationError with one line."""
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigurationError(describe_validation_error(error)) from None


@dataclass(frozen=True, repr=False)
class Secrets:
    """The three keys; ``repr`` hides them so they never reach a log."""

    pseudonym_key: bytes
    token_signing_key: bytes
    session_key: bytes

    def __repr__(self) -> str:
        return "Secrets(<hidden>)"


def load_secrets(settings: Settings) -> Secrets:
    """Environment first, then the key file; missing keys are generated into the file (0600)."""
    stored = _read_key_file(settings.key_file)
    values: dict[str, str] = {}
    missing = False
    for name in _SECRET_NAMES:
        given: SecretStr | None = getattr(settings, name)
        if given is not None:
            values[name] = given.get_secret_value()
        elif name in stored:
            values[name] = stored[name]
        else:
            values[name] = secrets.token_urlsafe(48)
            stored[name] = values[name]
            missing = True
    if missing:
        _write_key_file(settings.key_file, stored)
    return Secrets(**{name: values[name].encode() for name in _SECRET_NAMES})


def _read_key_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"key file {path} is unreadable: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigurationError(f"key file {path} is not a JSON object of strings")
    return {str(k): str(v) for k, v in data.items()}


def _write_key_file(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        descriptor = os.open(path, flags, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.chmod(path, 0o600)
    except OSError as error:
        raise ConfigurationError(f"cannot write key file {path}: {error.strerror}") from None
