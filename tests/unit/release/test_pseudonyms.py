"""Pseudonyms: the fast path gives exactly the keyed HMAC of provider id and internal id."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from koppelvlak.release.keys import as_uuid, canonical
from koppelvlak.release.pseudonyms import Pseudonymiser, pseudonym


class TestPseudonymiser:
    @given(st.binary(min_size=16, max_size=64), st.uuids(), st.uuids())
    def test_it_equals_the_keyed_digest(
        self, key: bytes, provider: uuid.UUID, person: uuid.UUID
    ) -> None:
        assert Pseudonymiser(key, provider)(str(person)) == pseudonym(key, provider, person)

    @given(st.uuids(), st.uuids(), st.uuids())
    def test_two_providers_get_different_pseudonyms(
        self, a: uuid.UUID, b: uuid.UUID, person: uuid.UUID
    ) -> None:
        if a != b:
            assert pseudonym(b"k" * 32, a, person) != pseudonym(b"k" * 32, b, person)


class TestKeys:
    @given(st.uuids())
    def test_the_sqlite_hex_form_converts_like_the_uuid(self, value: uuid.UUID) -> None:
        assert canonical(value.hex) == str(value) == canonical(value)
        assert as_uuid(value.hex) == value == as_uuid(value)
