"""Signing a push: HMAC-SHA256 over the timestamp, the delivery id and the exact body.

A provider's key is never stored: it is derived from the runtime's token signing key, the
provider id and a version number (``SigningKey`` rows hold only versions and retirement
times), so a database dump signs nothing. Rotation adds a version; until the previous one
retires, every request carries a signature by each live key, so a receiver can switch keys at
its own pace. The header, in the manner of common webhook schemes::

    Koppelvlak-Signature: t=1767603600,v1=<hex by newest key>,v1=<hex by older key>

The signed bytes are ``f"{t}.{delivery_id}.".encode() + body``. See ADR 0100 and
docs/provider/deliveries.md for how to verify and reject replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.delivery.models import SigningKey
from koppelvlak.kit.clock import as_utc

HEADER = "Koppelvlak-Signature"
_LABEL = b"koppelvlak push signing key v1"


@dataclass(frozen=True, repr=False)
class LiveKey:
    version: int
    key: bytes

    def __repr__(self) -> str:
        return f"LiveKey(version={self.version}, <hidden>)"


def derive(secret: bytes, provider_id: uuid.UUID, version: int) -> bytes:
    message = b"|".join((_LABEL, str(provider_id).encode(), str(version).encode()))
    return hmac.new(secret, message, hashlib.sha256).digest()


def encoded(key: bytes) -> str:
    """The key as the provider configures it: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def signed_bytes(timestamp: int, delivery_id: uuid.UUID, body: bytes) -> bytes:
    return f"{timestamp}.{delivery_id}.".encode() + body


def signature(key: bytes, timestamp: int, delivery_id: uuid.UUID, body: bytes) -> str:
    return hmac.new(key, signed_bytes(timestamp, delivery_id, body), hashlib.sha256).hexdigest()


def header(keys: list[LiveKey], timestamp: int, delivery_id: uuid.UUID, body: bytes) -> str:
    parts = [f"t={timestamp}"]
    parts += [f"v1={signature(k.key, timestamp, delivery_id, body)}" for k in keys]
    return ",".join(parts)


def verify(
    key: bytes,
    value: str,
    delivery_id: uuid.UUID,
    body: bytes,
    *,
    now: int,
    tolerance: int = 300,
) -> bool:
    """What a receiver does (our tests use it): a fresh timestamp and one matching signature."""
    fields = [p.partition("=") for p in value.split(",")]
    stamps = [v for k, _, v in fields if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(key, int(stamps[0]), delivery_id, body)
    return any(hmac.compare_digest(expected, v) for k, _, v in fields if k == "v1")


def _versions(session: Session, provider_id: uuid.UUID) -> list[SigningKey]:
    statement = (
        select(SigningKey)
        .where(SigningKey.provider_id == provider_id)
        .order_by(SigningKey.version.desc())
    )
    return list(session.scalars(statement))


def ensure_key(session: Session, provider_id: uuid.UUID, at: datetime) -> SigningKey:
    """The provider's newest key version, creating version 1 on first use."""
    versions = _versions(session, provider_id)
    if versions:
        return versions[0]
    first = SigningKey(provider_id=provider_id, version=1, created_at=as_utc(at))
    session.add(first)
    session.flush()
    return first


def rotate(
    session: Session, provider_id: uuid.UUID, at: datetime, overlap: timedelta
) -> SigningKey:
    """A new version; the previous live ones keep signing until ``at + overlap``."""
    at = as_utc(at)
    versions = _versions(session, provider_id)
    for old in versions:
        if old.retires_at is None or as_utc(old.retires_at) > at + overlap:
            old.retires_at = at + overlap
    newest = SigningKey(
        provider_id=provider_id,
        version=(versions[0].version + 1) if versions else 1,
        created_at=at,
    )
    session.add(newest)
    session.flush()
    return newest


def live_keys(
    session: Session, secret: bytes, provider_id: uuid.UUID, at: datetime
) -> list[LiveKey]:
    """Every version that still signs at ``at``, newest first (version 1 if none yet)."""
    at = as_utc(at)
    versions = [
        v
        for v in _versions(session, provider_id)
        if v.retires_at is None or as_utc(v.retires_at) > at
    ]
    if not versions:
        versions = [ensure_key(session, provider_id, at)]
    return [LiveKey(v.version, derive(secret, provider_id, v.version)) for v in versions]
