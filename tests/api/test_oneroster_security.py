"""Revocation works at once, and nothing leaves when the ledger cannot be written."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jwt
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text
from sqlalchemy.orm import Session

from koppelvlak.connections import service as connections
from koppelvlak.kit import changes
from koppelvlak.providers import service as providers
from koppelvlak.release import service as release
from koppelvlak.roster.models import Student
from tests.api.conftest import USERS, Deployment
from tests.support.oneroster_client import checked_client, response_hooks

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def now() -> datetime:
    return datetime.now(UTC)


def imsx_minor(body: dict[str, object]) -> object:
    return body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]  # type: ignore[index]


def entries(deployment: Deployment) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def read(session: Session) -> None:
        rows = session.execute(text("SELECT endpoint, response_digest FROM audit_entry"))
        found.extend((str(r[0]), str(r[1])) for r in rows)

    deployment.change(read)
    return found


class TestRevocationTakesEffectAtOnce:
    def test_a_revoked_credential_stops_its_live_token_and_gets_no_new_one(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.providers[0]
        with own_deployment.client(provider) as client:
            assert client.get(USERS).status_code == 200
            own_deployment.change(
                lambda s: providers.revoke_credential(s, provider["client_id"], now())
            )
            answer = client.get(USERS)
        assert answer.status_code == 401
        assert imsx_minor(answer.json()) == "unauthorisedrequest"
        assert answer.json()["imsx_description"] == "the credential was revoked or has expired"
        with checked_client(own_deployment.base_url) as fresh:
            again = fresh.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(provider["client_id"], provider["client_secret"]),
            )
        assert again.status_code == 401
        assert again.json()["error"] == "invalid_client"

    def test_a_revoked_connection_answers_403_with_no_data(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.providers[0]

        def revoke_all(session: Session) -> None:
            principal = providers.client_principal(session, provider["client_id"], now())
            assert principal is not None
            for view in connections.connections_for_provider(session, principal.provider_id, now()):
                connections.revoke(
                    session,
                    view.board_id,
                    view.connection_id,
                    actor="test",
                    at=now(),
                    reason="contract ended",
                )

        with own_deployment.client(provider) as client:
            assert client.get(USERS).status_code == 200
            own_deployment.change(revoke_all)
            answer = client.get(USERS)
        assert answer.status_code == 403
        assert imsx_minor(answer.json()) == "forbidden"
        assert "users" not in answer.json()


class TestTheLedger:
    def test_each_personal_response_is_recorded_with_the_digest_of_its_bytes(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.providers[0]
        before = entries(own_deployment)
        with own_deployment.client(provider) as client:
            answer = client.get(USERS, params={"limit": "5"})
        after = entries(own_deployment)
        new = [entry for entry in after if entry not in before]
        assert answer.status_code == 200
        assert new == [
            (
                "GET /ims/oneroster/rostering/v1p2/users",
                hashlib.sha256(answer.content).hexdigest(),
            )
        ]

    def test_an_unwritable_ledger_gives_503_and_sends_nothing(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.providers[0]

        def freeze(session: Session) -> None:
            if session.get_bind().dialect.name == "sqlite":
                session.execute(
                    text(
                        "CREATE TRIGGER audit_frozen BEFORE INSERT ON audit_entry "
                        "BEGIN SELECT RAISE(ABORT, 'ledger frozen'); END"
                    )
                )
            else:
                session.execute(
                    text(
                        "CREATE FUNCTION audit_frozen() RETURNS trigger LANGUAGE plpgsql AS "
                        "$$ BEGIN RAISE EXCEPTION 'ledger frozen'; END $$"
                    )
                )
                session.execute(
                    text(
                        "CREATE TRIGGER audit_frozen BEFORE INSERT ON audit_entry "
                        "FOR EACH ROW EXECUTE FUNCTION audit_frozen()"
                    )
                )

        with own_deployment.client(provider) as client:
            assert client.get(USERS).status_code == 200
            before = entries(own_deployment)
            own_deployment.change(freeze)
            answer = client.get(USERS)
        assert answer.status_code == 503
        assert imsx_minor(answer.json()) == "server_busy"
        assert set(answer.json()) == {
            "imsx_codeMajor",
            "imsx_severity",
            "imsx_description",
            "imsx_CodeMinor",
        }
        assert entries(own_deployment) == before


class TestPrivateKeyJwt:
    def test_authlib_authenticates_with_a_signed_assertion(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.providers[0]
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        own_deployment.change(
            lambda s: providers.set_public_key(s, provider["client_id"], public.decode(), now())
        )
        token_url = own_deployment.base_url + "/oauth/token"
        with OAuth2Client(
            provider["client_id"],
            private.decode(),
            token_endpoint_auth_method=PrivateKeyJWT(token_url),
            event_hooks=response_hooks(),
        ) as client:
            token = client.fetch_token(token_url, grant_type="client_credentials")
            assert client.get(own_deployment.base_url + USERS).status_code == 200
        assert token["token_type"] == "Bearer"

    def test_an_assertion_signed_with_another_key_is_invalid_client(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.providers[0]
        registered, other = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)
        )
        public = registered.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        own_deployment.change(
            lambda s: providers.set_public_key(s, provider["client_id"], public.decode(), now())
        )
        token_url = own_deployment.base_url + "/oauth/token"
        assertion = jwt.encode(
            {
                "iss": provider["client_id"],
                "sub": provider["client_id"],
                "aud": token_url,
                "exp": int(now().timestamp()) + 60,
                "jti": str(uuid.uuid4()),
            },
            other,
            algorithm="RS256",
        )
        with checked_client(own_deployment.base_url) as client:
            answer = client.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": assertion,
                },
            )
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_client"


class TestDeltas:
    def test_a_person_who_left_appears_as_tobedeleted_with_the_time_they_left(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.provider("Leesapp")
        since = now()
        with own_deployment.client(provider) as client:
            before = client.get(USERS, params={"limit": "1000", "filter": "role='student'"})
            leaver = before.json()["users"][0]["sourcedId"]
            left_at = now()

            def remove_one_student(session: Session) -> None:
                # The roster changes (a LAS sync would do this): the first released student leaves.
                principal = providers.client_principal(session, provider["client_id"], now())
                assert principal is not None
                (view,) = connections.connections_for_provider(
                    session, principal.provider_id, now()
                )
                key = own_deployment_key(own_deployment)
                current = release.resolve(session, view.connection_id, now(), key)
                person = next(p for p in current.people if p.pseudonym == leaver)
                student = session.get(Student, person.person_id)
                assert student is not None
                student.removed_at = left_at
                changes.school_changed(session, student.school_id, left_at)  # as a sync notes it

            own_deployment.change(remove_one_student)
            changed = now()
            stamp = since.isoformat().replace("+00:00", "Z")
            delta = client.get(
                USERS, params={"limit": "1000", "filter": f"dateLastModified>'{stamp}'"}
            )
            plain = client.get(USERS, params={"limit": "1000"})
        assert delta.status_code == 200
        gone = [u for u in delta.json()["users"] if u["sourcedId"] == leaver]
        assert len(gone) == 1
        assert gone[0]["status"] == "tobedeleted"
        # The moment the release engine saw them leave: the removal (or its write), never before.
        seen_leaving = datetime.fromisoformat(gone[0]["dateLastModified"].replace("Z", "+00:00"))
        assert left_at.replace(microsecond=0) <= seen_leaving <= changed
        assert leaver not in {u["sourcedId"] for u in plain.json()["users"]}


def own_deployment_key(deployment: Deployment) -> bytes:
    """The server's pseudonym key, from its key file (to find the leaver's internal id)."""
    keys = json.loads((Path(deployment.workdir) / "keys.json").read_text(encoding="utf-8"))
    return str(keys["pseudonym_key"]).encode()
