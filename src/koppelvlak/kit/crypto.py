"""Hashing and keyed digests: argon2 for secrets, HMAC-SHA256 for pseudonyms and signatures."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


@functools.cache
def dummy_hash() -> str:
    """A hash of a random secret, to verify against when there is no stored one to compare.

    An unknown client, klantcode or account then costs the same argon2 run as a known one, so
    the answer's timing says nothing about which exist. Made on first use (a quarter of a
    CPU-second and 64 MiB that every command paid at import); ``create_app`` makes it before
    the first request, so the first unknown caller is not slower either.
    """
    return hash_secret(secrets.token_urlsafe(16))


def verify_secret(secret_hash: str, secret: str) -> bool:
    """Constant-time check; any malformed hash counts as a mismatch, never an error."""
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


class VerifiedSecretMemo:
    """Remembers for a short while which (hash, secret) pairs already passed argon2.

    argon2 is slow on purpose (tens of milliseconds), which is right for a login but dominates
    a machine-to-machine call that presents the same key on every request (UWLR, HTTP Basic).
    Only successes are remembered, under a keyed digest with a per-process random key, so the
    memo never holds a secret; the caller still reads the credential's row (revocation, expiry)
    on every request, so a revoked key stops working at once.
    """

    def __init__(
        self,
        ttl_seconds: float = 300.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._capacity = capacity
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def token(self, secret_hash: str, secret: str) -> str:
        """This process's keyed name for the pair: what may be held in memory instead of it."""
        return keyed_digest(self._key, secret_hash, secret)

    def remembers(self, secret_hash: str, secret: str) -> bool:
        """Whether this pair passed argon2 recently: one HMAC, no argon2, nothing recorded."""
        token = self.token(secret_hash, secret)
        with self._lock:
            expires = self._entries.get(token)
        return expires is not None and expires > self._clock()

    def verify(self, secret_hash: str, secret: str) -> bool:
        token = keyed_digest(self._key, secret_hash, secret)
        now = self._clock()
        with self._lock:
            expires = self._entries.get(token)
            if expires is not None and expires > now:
                self._entries.move_to_end(token)
                return True
        if not verify_secret(secret_hash, secret):
            return False
        with self._lock:
            self._entries[token] = now + self._ttl
            self._entries.move_to_end(token)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return True


verified_secrets = VerifiedSecretMemo()


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def keyed_digest(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 over length-prefixed parts, so ('ab','c') and ('a','bc') never collide."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        encoded = part.encode("utf-8")
        mac.update(len(encoded).to_bytes(4, "big"))
        mac.update(encoded)
    return mac.hexdigest()
