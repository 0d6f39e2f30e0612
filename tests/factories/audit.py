"""Ledger factories: disclosures as the interfaces hand them to ``audit.service.record``."""

from __future__ import annotations

import hashlib
import uuid

import factory

from koppelvlak.audit.values import Channel, Disclosure


class DisclosureFactory(factory.Factory):
    class Meta:
        model = Disclosure

    class Params:
        uwlr = factory.Trait(
            channel=Channel.UWLR, endpoint="HaalLeerlinggegevens", query="schooljaar=2025-2026"
        )
        anonymous = factory.Trait(person_ids=frozenset())

    board_id = factory.LazyFunction(uuid.uuid4)
    provider_id = factory.LazyFunction(uuid.uuid4)
    connection_id = factory.LazyFunction(uuid.uuid4)
    channel = Channel.ONEROSTER
    endpoint = "GET /ims/oneroster/rostering/v1p2/users"
    query = factory.Sequence(lambda n: f"limit=100&offset={100 * n}")
    attribute_ids = frozenset({"student.given_name", "student.family_name"})
    person_ids = factory.LazyFunction(lambda: frozenset(uuid.uuid4() for _ in range(3)))
    response_digest = factory.Sequence(
        lambda n: hashlib.sha256(f"response {n}".encode()).hexdigest()
    )
