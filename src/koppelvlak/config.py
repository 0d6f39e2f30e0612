"""Settings from the environment (prefix ``KOPPELVLAK_``) and the secrets key file.

Secrets are never in the repository: when not given in the environment they are generated
once into a key file with mode 0600 beside the database, so a restart keeps pseudonyms and
tokens valid. Several processes may start at once (``serve --workers N``, or several ``serve``
on one host): the first to find a key missing generates it under a lock file, the others then
read what it wrote, so every process holds the same keys.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from filelock import FileLock, Timeout
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
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public URL of the service: every href, Link and the WSDL address use it, "
        "never the request's Host header",
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
    tobedeleted_days: int = Field(
        default=30,
        ge=1,
        le=3_650,
        description="How long an object that left a release is still reported as tobedeleted",
    )
    refresh_minutes: int = Field(
        default=60,
        ge=0,
        le=1_440,
        description="How often an embedded `serve` refreshes every kept release (0: never)",
    )
    mail_url: str = Field(
        default="folder:mail",
        description="Where mail goes: smtp://[user:pass@]host:port[?starttls=1], or folder:PATH "
        "(one .eml file per mail; the embedded default)",
    )
    mail_from: str = Field(default="koppelvlak@localhost", description="Sender of every mail")
    notice_deadline_days: int = Field(
        default=14, ge=1, le=365, description="Days a provider has to acknowledge a deletion notice"
    )
    notice_escalation_to: str | None = Field(
        default=None, description="Mail address for overdue deletion notices (unset: logged)"
    )
    delivery_max_attempts: int = Field(
        default=8, ge=1, le=100, description="Push attempts before a delivery is dead-lettered"
    )
    delivery_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="How long one push request may take"
    )
    delivery_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3_600,
        description="How long a worker's claim lasts; a killed worker's claims are retaken after",
    )
    delivery_backoff_seconds: float = Field(
        default=2.0, gt=0, le=3_600, description="First retry delay; doubles per attempt"
    )
    delivery_allow_loopback_http: bool = Field(
        default=False, description="Allow plain-HTTP push endpoints on loopback (tests only)"
    )
    log_level: str = "info"
    uwlr_dir: Path | None = None
    uwlr_key_checks: int = Field(
        default=2, ge=1, le=64, description="UWLR keys verified at once per process (argon2)"
    )
    uwlr_failures_per_address: str = Field(
        default="20/10 minutes", description="Failed UWLR key checks per client address"
    )
    uwlr_failures_per_klantcode: str = Field(
        default="10/10 minutes", description="Failed UWLR key checks per klantcode"
    )

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+pysqlite:", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            raise ValueError("use the psycopg 3 driver: postgresql+psycopg://…")
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value.rstrip("/")

    @field_validator(
        "rate_limit",
        "failed_attempts_per_address",
        "failed_attempts_per_credential",
        "applications_per_address",
        "uwlr_failures_per_address",
        "uwlr_failures_per_klantcode",
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


KEY_FILE_LOCK_SECONDS = 30


def load_secrets(settings: Settings) -> Secrets:
    """Environment first, then the key file; missing keys are generated into the file (0600)."""
    given = {
        name: value.get_secret_value()
        for name in _SECRET_NAMES
        if (value := getattr(settings, name)) is not None
    }
    stored = _read_key_file(settings.key_file)
    if any(name not in given and name not in stored for name in _SECRET_NAMES):
        stored = _complete_key_file(settings.key_file, set(_SECRET_NAMES) - set(given))
    values = {**stored, **given}
    return Secrets(**{name: values[name].encode() for name in _SECRET_NAMES})


def _complete_key_file(path: Path, needed: set[str]) -> dict[str, str]:
    """Under the key file's lock: read it again, generate what is still missing, write it whole.

    Another process may have written the keys between our first read and taking the lock; the
    second read sees them, so no process ever generates a key another one already holds.
    """
    lock = FileLock(path.with_name(path.name + ".lock"), timeout=KEY_FILE_LOCK_SECONDS)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with lock:
            stored = _read_key_file(path)
            missing = needed - set(stored)
            if missing:
                stored.update({name: secrets.token_urlsafe(48) for name in sorted(missing)})
                _write_key_file(path, stored)
            return stored
    except Timeout:
        raise ConfigurationError(
            f"key file {path} is locked by another process for more than "
            f"{KEY_FILE_LOCK_SECONDS} s; remove {lock.lock_file} if no Koppelvlak is starting"
        ) from None
    except OSError as error:
        raise ConfigurationError(f"cannot write key file {path}: {error.strerror}") from None


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
    """Write a whole new file and rename it into place: a reader sees no file or all of it."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:  # mkstemp: mode 0600
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
