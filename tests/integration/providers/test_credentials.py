"""Client credentials and UWLR keys: hashed, rotatable with overlap, revocable at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.kit import crypto
from koppelvlak.providers import service as providers
from koppelvlak.providers.errors import CredentialNotFound, InvalidApplication
from koppelvlak.providers.models import ClientSecret, UwlrKey
from tests.factories.providers import T0, accredited_provider, board_with_school


class TestClientCredentials:
    def test_the_issued_secret_authenticates_and_is_stored_only_as_an_argon2_hash(
        self, session: Session
    ) -> None:
        provider = accredited_provider(session)
        issued = providers.create_credential(session, provider.id, T0)
        principal = providers.authenticate_client(
            session, issued.client_id, issued.client_secret, T0
        )
        assert principal is not None
        assert (principal.client_id, principal.provider_id) == (issued.client_id, provider.id)
        stored = session.scalars(
            select(ClientSecret.secret_hash).where(
                ClientSecret.credential_id == issued.credential_id
            )
        ).all()
        assert len(stored) == 1
        assert stored[0].startswith("$argon2")
        assert issued.client_secret not in stored[0]

    def test_a_wrong_secret_or_unknown_client_gets_nothing(self, session: Session) -> None:
        provider = accredited_provider(session)
        issued = providers.create_credential(session, provider.id, T0)
        assert providers.authenticate_client(session, issued.client_id, "wrong", T0) is None
        assert providers.authenticate_client(session, "kv-nobody", issued.client_secret, T0) is None

    def test_after_rotation_both_secrets_work_until_the_overlap_ends(
        self, session: Session
    ) -> None:
        provider = accredited_provider(session)
        first = providers.create_credential(session, provider.id, T0)
        second = providers.rotate_secret(session, first.client_id, T0, overlap=timedelta(days=2))
        during = T0 + timedelta(days=1)
        after = T0 + timedelta(days=3)
        auth = providers.authenticate_client
        assert auth(session, first.client_id, first.client_secret, during) is not None
        assert auth(session, first.client_id, second.client_secret, during) is not None
        assert auth(session, first.client_id, first.client_secret, after) is None
        assert auth(session, first.client_id, second.client_secret, after) is not None

    def test_revocation_stops_the_credential_at_once(self, session: Session) -> None:
        provider = accredited_provider(session)
        issued = providers.create_credential(session, provider.id, T0)
        principal = providers.authenticate_client(
            session, issued.client_id, issued.client_secret, T0
        )
        assert principal is not None
        assert providers.credential_is_usable(session, principal.credential_id, T0)
        providers.revoke_credential(session, issued.client_id, T0 + timedelta(minutes=1))
        later = T0 + timedelta(minutes=2)
        assert not providers.credential_is_usable(session, principal.credential_id, later)
        assert (
            providers.authenticate_client(session, issued.client_id, issued.client_secret, later)
            is None
        )
        assert providers.client_public_key(session, issued.client_id) is None

    def test_a_registered_public_key_is_returned_for_private_key_jwt(
        self, session: Session
    ) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        provider = accredited_provider(session)
        issued = providers.create_credential(session, provider.id, T0, public_key_pem=pem)
        assert providers.client_public_key(session, issued.client_id) == pem

    def test_a_public_key_that_is_not_pem_is_refused(self, session: Session) -> None:
        provider = accredited_provider(session)
        with pytest.raises(InvalidApplication) as raised:
            providers.create_credential(session, provider.id, T0, public_key_pem="hello")
        assert str(raised.value) == "public key is not a PEM-encoded public key"

    def test_rotating_an_unknown_client_is_refused(self, session: Session) -> None:
        with pytest.raises(CredentialNotFound) as raised:
            providers.rotate_secret(session, "kv-none", T0)
        assert str(raised.value) == "no usable credential with client id 'kv-none'"


class TestUwlrKeys:
    def test_a_key_opens_exactly_its_schools(self, session: Session) -> None:
        board, school = board_with_school(session)
        provider = accredited_provider(session)
        issued = providers.create_uwlr_key(
            session, provider.id, board.id, [(school.brin, school.location_code)], T0
        )
        principal = providers.authenticate_uwlr(
            session, issued.klantcode, issued.autorisatiesleutel, T0
        )
        assert principal is not None
        assert principal.provider_id == provider.id
        assert principal.schools == ((board.id, school.brin, school.location_code),)

    def test_a_wrong_or_revoked_key_gets_nothing(self, session: Session) -> None:
        board, school = board_with_school(session)
        provider = accredited_provider(session)
        issued = providers.create_uwlr_key(
            session, provider.id, board.id, [(school.brin, "00")], T0
        )
        assert providers.authenticate_uwlr(session, issued.klantcode, "wrong", T0) is None
        # A key that worked a moment ago (and is remembered as verified) stops at revocation.
        assert providers.authenticate_uwlr(session, issued.klantcode, issued.autorisatiesleutel, T0)
        providers.revoke_uwlr_key(session, issued.key_id, T0)
        assert (
            providers.authenticate_uwlr(
                session, issued.klantcode, issued.autorisatiesleutel, T0 + timedelta(seconds=1)
            )
            is None
        )


@pytest.fixture
def argon2_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every real argon2 verification, wherever it is called from (the check still runs)."""
    runs: list[str] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, secret_hash: str | bytes, secret: str | bytes) -> bool:
        runs.append(str(secret_hash)[:40])
        return real(self, secret_hash, secret)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return runs


class TestNoTimingOracle:
    """A wrong key for a known klantcode and an unknown klantcode must cost the same (ADR 0050)."""

    def test_a_wrong_key_and_an_unknown_klantcode_each_run_argon2_exactly_once(
        self, session: Session, argon2_runs: list[str]
    ) -> None:
        board, school = board_with_school(session)
        provider = accredited_provider(session)
        issued = providers.create_uwlr_key(
            session, provider.id, board.id, [(school.brin, "00")], T0
        )
        assert providers.authenticate_uwlr(session, issued.klantcode, "wrong", T0) is None
        assert len(argon2_runs) == 1
        assert providers.authenticate_uwlr(session, "NO-SUCH-KLANT", "wrong", T0) is None
        assert len(argon2_runs) == 2

    def test_the_dummy_hash_has_the_parameters_of_a_real_key(self, session: Session) -> None:
        board, school = board_with_school(session)
        provider = accredited_provider(session)
        issued = providers.create_uwlr_key(
            session, provider.id, board.id, [(school.brin, "00")], T0
        )
        stored = session.scalars(select(UwlrKey.key_hash).where(UwlrKey.id == issued.key_id)).one()
        assert extract_parameters(crypto.dummy_hash()) == extract_parameters(stored)

    def test_both_refusals_call_the_given_verifier_once(self, session: Session) -> None:
        board, school = board_with_school(session)
        provider = accredited_provider(session)
        issued = providers.create_uwlr_key(
            session, provider.id, board.id, [(school.brin, "00")], T0
        )
        calls: list[str] = []

        class Counting:
            def verify(self, secret_hash: str, secret: str) -> bool:
                calls.append(secret_hash)
                return crypto.verified_secrets.verify(secret_hash, secret)

        for klantcode in (issued.klantcode, "NO-SUCH-KLANT"):
            calls.clear()
            found = providers.authenticate_uwlr(
                session, klantcode, "wrong", T0, verifier=Counting()
            )
            assert (found, len(calls)) == (None, 1)
