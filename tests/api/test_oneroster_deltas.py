"""Deltas from the kept release: whoever leaves a release is reported on every route, and an
unchanged release answers 304 without sending (or recording) personal data.

The three defects real clients found: a removed enrollment never reached the provider; nested
routes with a ``dateLastModified>`` filter returned nothing; an ``OR`` beside the delta clause
dropped the ``tobedeleted`` record.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from koppelvlak.connections import exceptions
from koppelvlak.connections import service as connections
from koppelvlak.providers import service as providers
from koppelvlak.release import service as release
from koppelvlak.release.oneroster_formatting import timestamp
from tests.api.conftest import USERS, Deployment

BASE = "/ims/oneroster/rostering/v1p2"


def _key(deployment: Deployment) -> bytes:
    keys = json.loads((Path(deployment.workdir) / "keys.json").read_text(encoding="utf-8"))
    return str(keys["pseudonym_key"]).encode()


def _object_to_a_student(deployment: Deployment, provider: dict[str, Any]) -> dict[str, Any]:
    """The first released student with a class objects to the provider (a real service call)."""
    found: dict[str, Any] = {}

    def objection(session: Session) -> None:
        at = datetime.now(UTC)
        principal = providers.client_principal(session, provider["client_id"], at)
        assert principal is not None
        (view,) = connections.connections_for_provider(session, principal.provider_id, at)
        current = release.resolve(session, view.connection_id, at, _key(deployment))
        person = next(p for p in current.students if p.group_pseudonyms)
        exceptions.record_objection(
            session, current.board_id, principal.provider_id, person.person_id, actor="dpo", at=at
        )
        school = current.schools[0]
        found.update(
            pseudonym=person.pseudonym,
            group=person.group_pseudonyms[0],
            school=f"{school.brin}{school.location_code}",
        )

    deployment.change(objection)
    return found


def _delta(client: httpx.Client, path: str, since: datetime, extra: str = "") -> dict[str, Any]:
    answer = client.get(
        BASE + path,
        params={"limit": "1000", "filter": f"dateLastModified>'{timestamp(since)}'{extra}"},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


class TestWhoeverLeavesAReleaseIsReportedOnEveryRoute:
    def test_objection_reaches_users_enrollments_nested_routes_and_or_filters(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.provider("Leesapp")
        since = datetime.now(UTC)
        with own_deployment.client(provider) as client:
            gone = _object_to_a_student(own_deployment, provider)
            pseudonym, group, school = gone["pseudonym"], gone["group"], gone["school"]
            enrollment = f"{group}-{pseudonym}"

            def tobedeleted(document: dict[str, Any], key: str, wanted: str) -> bool:
                return any(
                    r["sourcedId"] == wanted and r["status"] == "tobedeleted" for r in document[key]
                )

            assert tobedeleted(_delta(client, "/users", since), "users", pseudonym)
            assert tobedeleted(_delta(client, "/enrollments", since), "enrollments", enrollment)
            assert tobedeleted(
                _delta(client, f"/schools/{school}/enrollments", since), "enrollments", enrollment
            )
            assert tobedeleted(
                _delta(client, f"/schools/{school}/students", since), "users", pseudonym
            )
            assert tobedeleted(
                _delta(client, f"/classes/{group}/students", since), "users", pseudonym
            )
            either = _delta(client, "/users", since, " OR givenName='Nobody'")
            assert tobedeleted(either, "users", pseudonym)
            plain = client.get(BASE + "/users", params={"limit": "1000"}).json()
        assert pseudonym not in {u["sourcedId"] for u in plain["users"]}

    def test_a_tobedeleted_user_carries_no_personal_values(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.provider("Leesapp")
        since = datetime.now(UTC)
        with own_deployment.client(provider) as client:
            gone = _object_to_a_student(own_deployment, provider)
            users = _delta(client, "/users", since)["users"]
        (record,) = [u for u in users if u["sourcedId"] == gone["pseudonym"]]
        assert record["status"] == "tobedeleted"
        assert record["enabledUser"] == "false"
        assert (record["givenName"], record["familyName"]) == ("-", "-")
        assert record["metadata"] == {"nl.withheld": ["givenName", "familyName"]}
        assert set(record) <= {
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "givenName",
            "familyName",
            "roles",
            "metadata",
        }


def _ledger_entries(deployment: Deployment) -> int:
    from koppelvlak.db import make_engine

    engine = make_engine(deployment.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM audit_entry")).scalar_one())
    finally:
        engine.dispose()


class TestAnUnchangedReleaseAnswers304:
    def test_if_none_match_with_the_etag_sends_nothing_and_records_nothing(
        self, own_deployment: Deployment
    ) -> None:
        provider = own_deployment.provider("Leesapp")
        with own_deployment.client(provider) as client:
            first = client.get(USERS, params={"limit": "10"})
            etag = first.headers["ETag"]
            before = _ledger_entries(own_deployment)
            again = client.get(USERS, params={"limit": "10"}, headers={"If-None-Match": etag})
            assert again.status_code == 304
            assert again.content == b""
            assert _ledger_entries(own_deployment) == before
            _object_to_a_student(own_deployment, provider)
            changed = client.get(USERS, params={"limit": "10"}, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["ETag"] != etag
