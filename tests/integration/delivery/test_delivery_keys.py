"""Signing key versions on a real database: a rotation overlaps, then the old key retires."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from koppelvlak.delivery import signing
from tests.factories.providers import T0

SECRET = b"token-signing-key-for-key-tests-0123"


def _versions(session: Session, provider_id: uuid.UUID, days: float) -> list[int]:
    at = T0 + timedelta(days=days)
    return [k.version for k in signing.live_keys(session, SECRET, provider_id, at)]


class TestRotation:
    def test_the_first_use_creates_version_one(self, session: Session) -> None:
        assert _versions(session, uuid.uuid4(), 0) == [1]

    def test_both_keys_sign_during_the_overlap_and_only_the_new_one_after(
        self, session: Session
    ) -> None:
        provider_id = uuid.uuid4()
        signing.ensure_key(session, provider_id, T0)
        signing.rotate(session, provider_id, T0 + timedelta(days=1), timedelta(days=7))

        assert _versions(session, provider_id, 2) == [2, 1]
        assert _versions(session, provider_id, 9) == [2]

    def test_keys_are_derived_so_the_same_version_gives_the_same_key(
        self, session: Session
    ) -> None:
        provider_id = uuid.uuid4()
        (first,) = signing.live_keys(session, SECRET, provider_id, T0)
        (again,) = signing.live_keys(session, SECRET, provider_id, T0 + timedelta(days=1))
        assert first.key == again.key == signing.derive(SECRET, provider_id, 1)
