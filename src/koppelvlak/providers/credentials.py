"""Client credentials and UWLR keys: issue, rotate, revoke, authenticate.

Secrets are argon2 hashes. A credential may hold several secrets at once so a rotation has an
overlap window: the new secret works at once, the old ones until their expiry. Revoking a
credential stops it immediately, including tokens already issued (``credential_is_usable``).
"""

from __future__ import annotations

import secrets as _secrets
import uuid
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from koppelvlak.kit.clock import as_utc
from koppelvlak.kit.crypto import (
    dummy_hash,
    hash_secret,
    new_secret,
    verified_secrets,
    verify_secret,
)
from koppelvlak.providers import repository
from koppelvlak.providers.errors import CredentialNotFound, InvalidApplication, ProviderNotFound
from koppelvlak.providers.models import ClientCredential, ClientSecret, UwlrKey, UwlrKeySchool
from koppelvlak.providers.schemas import (
    ClientPrincipal,
    IssuedCredential,
    IssuedUwlrKey,
    UwlrPrincipal,
)


def _usable_until(moment: datetime | None, at: datetime) -> bool:
    return moment is None or as_utc(moment) > as_utc(at)


def create_credential(
    session: Session,
    provider_id: uuid.UUID,
    at: datetime,
    *,
    label: str | None = None,
    public_key_pem: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedCredential:
    """A new client id with one secret; pass id and secret only for reproducible demos."""
    if repository.provider(session, provider_id) is None:
        raise ProviderNotFound(f"no provider with id {provider_id}")
    if public_key_pem is not None:
        check_public_key(public_key_pem)
    credential = ClientCredential(
        provider_id=provider_id,
        client_id=client_id or f"kv-{_secrets.token_hex(12)}",
        label=label,
        public_key_pem=public_key_pem,
        created_at=at,
        updated_at=at,
    )
    session.add(credential)
    session.flush()
    secret = client_secret or new_secret()
    session.add(
        ClientSecret(
            credential_id=credential.id,
            secret_hash=hash_secret(secret),
            created_at=at,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedCredential(credential.id, credential.client_id, secret, expires_at)


def rotate_secret(
    session: Session,
    client_id: str,
    at: datetime,
    *,
    overlap: timedelta = timedelta(days=7),
    expires_at: datetime | None = None,
) -> IssuedCredential:
    """Add a new secret; the older ones keep working for ``overlap`` and then expire."""
    credential = _live_credential(session, client_id, at)
    for old in repository.secrets_of(session, credential.id):
        if old.revoked_at is None and _usable_until(old.expires_at, at + overlap):
            old.expires_at = at + overlap
    secret = new_secret()
    session.add(
        ClientSecret(
            credential_id=credential.id,
            secret_hash=hash_secret(secret),
            created_at=at,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedCredential(credential.id, client_id, secret, expires_at)


def revoke_credential(session: Session, client_id: str, at: datetime) -> None:
    """Stop the credential now: no new tokens, and tokens issued before stop working."""
    credential = repository.credential(session, client_id)
    if credential is None:
        raise CredentialNotFound(f"no credential with client id {client_id!r}")
    if credential.revoked_at is None:
        credential.revoked_at = at
        for secret in repository.secrets_of(session, credential.id):
            secret.revoked_at = secret.revoked_at or at
    session.flush()


def set_public_key(
    session: Session, client_id: str, public_key_pem: str | None, at: datetime
) -> None:
    """Register (or clear) the public key used to check ``private_key_jwt`` assertions."""
    credential = _live_credential(session, client_id, at)
    if public_key_pem is not None:
        check_public_key(public_key_pem)
    credential.public_key_pem = public_key_pem
    session.flush()


def check_public_key(pem: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError):
        raise InvalidApplication("public key is not a PEM-encoded public key") from None
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise InvalidApplication("public key must be an RSA or EC key")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise InvalidApplication("an RSA public key must have at least 2048 bits")


def _live_credential(session: Session, client_id: str, at: datetime) -> ClientCredential:
    credential = repository.credential(session, client_id)
    if credential is None or not _usable_until(credential.revoked_at, at):
        raise CredentialNotFound(f"no usable credential with client id {client_id!r}")
    return credential


def authenticate_client(
    session: Session, client_id: str, client_secret: str, at: datetime
) -> ClientPrincipal | None:
    """The principal when the id is known, not revoked and one unexpired secret matches."""
    credential = repository.credential(session, client_id)
    if credential is None or not _usable_until(credential.revoked_at, at):
        verify_secret(dummy_hash(), client_secret)
        return None
    for secret in reversed(repository.secrets_of(session, credential.id)):
        if not (_usable_until(secret.revoked_at, at) and _usable_until(secret.expires_at, at)):
            continue
        if verified_secrets.verify(secret.secret_hash, client_secret):
            return ClientPrincipal(credential.id, credential.client_id, credential.provider_id)
    return None


def client_public_key(session: Session, client_id: str) -> str | None:
    credential = repository.credential(session, client_id)
    if credential is None or credential.revoked_at is not None:
        return None
    return credential.public_key_pem


def client_principal(session: Session, client_id: str, at: datetime) -> ClientPrincipal | None:
    """The principal of a usable credential without a secret (after a private_key_jwt check)."""
    credential = repository.credential(session, client_id)
    if credential is None or not _usable_until(credential.revoked_at, at):
        return None
    return ClientPrincipal(credential.id, credential.client_id, credential.provider_id)


def credential_is_usable(session: Session, credential_id: uuid.UUID, at: datetime) -> bool:
    """Read on every request (not memoised): a revocation stops the very next one."""
    exists, revoked_at = repository.credential_revoked_at(session, credential_id)
    return exists and _usable_until(revoked_at, at)


def create_uwlr_key(
    session: Session,
    provider_id: uuid.UUID,
    board_id: uuid.UUID,
    schools: list[tuple[str, str]],
    at: datetime,
    *,
    klantcode: str | None = None,
    autorisatiesleutel: str | None = None,
) -> IssuedUwlrKey:
    """A klantcode + autorisatiesleutel for this provider opening these schools of one board."""
    if repository.provider(session, provider_id) is None:
        raise ProviderNotFound(f"no provider with id {provider_id}")
    if not schools:
        raise InvalidApplication("a UWLR key must open at least one school")
    key_text = autorisatiesleutel or new_secret(24)
    key = UwlrKey(
        provider_id=provider_id,
        board_id=board_id,
        klantcode=klantcode or _secrets.token_hex(6).upper(),
        key_hash=hash_secret(key_text),
        created_at=at,
        updated_at=at,
    )
    session.add(key)
    session.flush()
    for brin, location in sorted(set(schools)):
        session.add(
            UwlrKeySchool(key_id=key.id, board_id=board_id, brin=brin, location_code=location)
        )
    session.flush()
    return IssuedUwlrKey(key.id, key.klantcode, key_text)


def revoke_uwlr_key(session: Session, key_id: uuid.UUID, at: datetime) -> None:
    key = session.get(UwlrKey, key_id)
    if key is None:
        raise CredentialNotFound(f"no UWLR key with id {key_id}")
    key.revoked_at = key.revoked_at or at
    session.flush()


class SecretVerifier(Protocol):
    """What checks a presented secret against a stored hash (the memo, or a gated wrapper)."""

    def verify(self, secret_hash: str, secret: str) -> bool: ...


def authenticate_uwlr(
    session: Session,
    klantcode: str,
    autorisatiesleutel: str,
    at: datetime,
    *,
    verifier: SecretVerifier = verified_secrets,
) -> UwlrPrincipal | None:
    """The provider and the schools the key opens, or None for an unknown or wrong key.

    An unknown (or revoked) klantcode verifies the key against a dummy hash made with the same
    argon2 parameters, once, exactly as a wrong key for a known klantcode is verified once
    against the real hash: both refusals do the same work, so their timing tells nothing.
    """
    usable = [
        key for key in repository.uwlr_keys(session, klantcode) if _usable_until(key.revoked_at, at)
    ]
    if not usable:
        verifier.verify(dummy_hash(), autorisatiesleutel)
        return None
    for key in usable:
        if verifier.verify(key.key_hash, autorisatiesleutel):
            schools = tuple(
                (row.board_id, row.brin, row.location_code)
                for row in repository.uwlr_key_schools(session, key.id)
            )
            return UwlrPrincipal(key.provider_id, schools)
    return None
