"""Stable pseudonyms per provider: a keyed HMAC over the provider id and the internal id.

The same person gets the same pseudonym from one provider's every request, and pseudonyms of
two providers cannot be linked without the key (DESIGN invariant 3). ``Pseudonymiser`` gives
the same values as ``pseudonym`` but keys the HMAC with the provider part once per release.
"""

from __future__ import annotations

import hmac
import uuid

from koppelvlak.kit.crypto import keyed_digest


def pseudonym(key: bytes, provider_id: uuid.UUID, internal_id: uuid.UUID) -> str:
    return keyed_digest(key, str(provider_id), str(internal_id))


def _framed(part: str) -> bytes:
    encoded = part.encode("utf-8")
    return len(encoded).to_bytes(4, "big") + encoded


class Pseudonymiser:
    """``pseudonym(key, provider_id, x)`` for many x: the provider's prefix is hashed once."""

    def __init__(self, key: bytes, provider_id: uuid.UUID) -> None:
        self._prefix = hmac.new(key, _framed(str(provider_id)), "sha256")

    def __call__(self, internal_id: str) -> str:
        mac = self._prefix.copy()
        mac.update(_framed(internal_id))
        return mac.hexdigest()
