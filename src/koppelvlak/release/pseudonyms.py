"""Stable pseudonyms per provider: a keyed HMAC over the provider id and the internal id.

The same person gets the same pseudonym from one provider's every request, and pseudonyms of
two providers cannot be linked without the key (DESIGN invariant 3). ``Pseudonymiser`` gives
the same values as ``pseudonym`` but keys the HMAC with the provider part once per release.
"""

from __future__ import annotations

import hashlib
import threading
import uuid

from koppelvlak.kit.crypto import keyed_digest
from koppelvlak.release.keys import Key, as_uuid, canonical


def pseudonym(key: bytes, provider_id: uuid.UUID, internal_id: uuid.UUID) -> str:
    return keyed_digest(key, str(provider_id), str(internal_id))


def _framed(part: str) -> bytes:
    encoded = part.encode("utf-8")
    return len(encoded).to_bytes(4, "big") + encoded


class Pseudonymiser:
    """``pseudonym(key, provider_id, x)`` for many x: the provider's prefix is hashed once.

    HMAC-SHA256 spelled out (RFC 2104) on hashlib objects, whose ``copy`` is far cheaper than
    ``hmac.HMAC.copy``: inner = H(K ^ ipad || prefix || x), outer = H(K ^ opad || inner).
    """

    _BLOCK = 64

    def __init__(self, key: bytes, provider_id: uuid.UUID) -> None:
        if len(key) > self._BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(self._BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._inner.update(_framed(str(provider_id)))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __call__(self, internal_id: str) -> str:
        inner = self._inner.copy()
        inner.update(_framed(internal_id))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


# Pseudonyms already computed in this process, per (key fingerprint, provider): raw internal id
# -> (UUID, pseudonym). A pseudonym never changes for a given key, provider and id, so a paged
# or repeated release reuses it instead of hashing again. Bounded: a provider's map is dropped
# whole when the cache holds more than _CACHE_LIMIT ids (a board has at most some 100,000).
_CACHE_LIMIT = 500_000
_cache: dict[tuple[bytes, uuid.UUID], dict[Key, tuple[uuid.UUID, str]]] = {}
_cache_lock = threading.Lock()


class CachedPseudonyms:
    """``Pseudonymiser`` over raw ids that remembers each id's UUID and pseudonym."""

    def __init__(self, key: bytes, provider_id: uuid.UUID) -> None:
        self._hash = Pseudonymiser(key, provider_id)
        fingerprint = hashlib.sha256(b"koppelvlak-pseudonym-cache\0" + key).digest()
        with _cache_lock:
            if sum(len(known) for known in _cache.values()) > _CACHE_LIMIT:
                _cache.clear()
            self._known = _cache.setdefault((fingerprint, provider_id), {})

    def __call__(self, raw: Key) -> tuple[uuid.UUID, str]:
        """The id as a UUID and its pseudonym."""
        found = self._known.get(raw)
        if found is None:
            found = self._known[raw] = (as_uuid(raw), self._hash(canonical(raw)))
        return found

    def of_identity(self, raw: Key, identity: uuid.UUID) -> tuple[uuid.UUID, str]:
        """The id as a UUID and the pseudonym of the person ``identity`` names."""
        found = self._known.get(raw)
        if found is None:
            found = self._known[raw] = (as_uuid(raw), self._hash(str(identity)))
        return found


_STAFF = uuid.UUID("5d0b6a52-3c1e-4e5f-9a57-6b1f0c2d7e11")  # namespace of staff identities


def staff_identity(board_id: uuid.UUID, source_key: str) -> uuid.UUID:
    """One staff member of a board, whichever of its schools a row belongs to."""
    return uuid.uuid5(_STAFF, f"{board_id.hex}:{source_key}")


def forget() -> None:
    """Empty the process's pseudonym cache (benchmarks measure a first release with it)."""
    with _cache_lock:
        _cache.clear()
