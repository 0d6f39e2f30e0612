"""Stable pseudonyms per provider: a keyed HMAC over the provider id and the internal id.

The same person gets the same pseudonym from one provider's every request, and pseudonyms of
two providers cannot be linked without the key (DESIGN invariant 3).
"""

from __future__ import annotations

import uuid

from koppelvlak.kit.crypto import keyed_digest


def pseudonym(key: bytes, provider_id: uuid.UUID, internal_id: uuid.UUID) -> str:
    return keyed_digest(key, str(provider_id), str(internal_id))
