"""Stable pseudonyms per provider: a keyed HMAC over the provider id and the internal id.

The same person gets the same pseudonym from one provider's every request, and pseudonyms of
two providers cannot be linked without the key (DESIGN invariant 3). ``Pseudonymiser`` gives
the same values as ``pseudonym`` but keys the HMAC with the provider part once per release.
"""

from __future__ import annotations

import hashlib
import uuid

from koppelvlak.kit.crypto import keyed_digest


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
