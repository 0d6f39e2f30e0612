"""The OneRoster API as a provider meets it: a real server, authlib, the official schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from sqlalchemy.orm import Session

from koppelvlak.api.oneroster.collections import ENDPOINTS
from koppelvlak.connections import service as connections
from koppelvlak.kit import changes
from koppelvlak.providers import service as providers
from koppelvlak.release import service as release
from koppelvlak.roster.models import Student
from tests.api.conftest import USERS, Deployment
from tests.support.oneroster_client import checked_client, response_hooks
from tests.support.oneroster_schema import body_errors

BASE = "/ims/oneroster/rostering/v1p2"
CORE = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
ROSTER = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"
DEMOGRAPHICS = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly"
# OneRoster user fields each released attribute may produce (besides the always-present ones).
USER_FIELDS = {
    "given_name": {"givenName"},
    "family_name": {"familyName"},
    "email": {"email"},
    "username": {"username"},
    "eckid": {"userIds"},
    "year_group": {"grades"},
    "source_key": {"identifier"},
}
ALWAYS = {
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "givenName",
    "familyName",
    "roles",
    "primaryOrg",
}


def authlib_client(deployment: Deployment, provider: dict[str, Any], method: str) -> OAuth2Client:
    return OAuth2Client(
        provider["client_id"],
        provider["client_secret"],
        token_endpoint_auth_method=method,
        event_hooks=response_hooks(),
        timeout=30,
    )


def imsx_minor(body: dict[str, Any]) -> str:
    return str(body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"])


class TestAnIndependentOAuthClientPagesThroughUsers:
    @pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
    def test_authlib_gets_a_token_and_follows_the_next_links(
        self, deployment: Deployment, method: str
    ) -> None:
        provider = deployment.providers[0]
        with authlib_client(deployment, provider, method) as client:
            token = client.fetch_token(
                deployment.base_url + "/oauth/token", grant_type="client_credentials"
            )
            assert set(token["scope"].split()) >= {CORE, ROSTER}
            url: str | None = f"{deployment.base_url}{USERS}?limit=7"
            seen: list[str] = []
            total = None
            while url:
                page = client.get(url)
                assert page.status_code == 200
                total = int(page.headers["X-Total-Count"])
                seen.extend(u["sourcedId"] for u in page.json()["users"])
                url = page.links.get("next", {}).get("url")
        assert total is not None
        assert total > 7
        assert len(seen) == total == len(set(seen))

    def test_a_fields_projection_keeps_the_identity_and_required_fields(
        self, deployment: Deployment
    ) -> None:
        with deployment.client(deployment.providers[0]) as client:
            page = client.get(USERS, params={"fields": "givenName", "limit": "3"})
        assert page.status_code == 200
        for user in page.json()["users"]:
            assert set(user) == {
                "sourcedId",
                "status",
                "dateLastModified",
                "enabledUser",
                "givenName",
                "familyName",
                "roles",
            }


class TestTheDemoProviders:
    def test_each_demo_provider_gets_a_token_and_reads_its_users(
        self, deployment: Deployment
    ) -> None:
        assert deployment.demo["providers"]
        for provider in deployment.demo["providers"]:
            with authlib_client(deployment, provider, "client_secret_basic") as client:
                client.fetch_token(
                    deployment.base_url + "/oauth/token", grant_type="client_credentials"
                )
                page = client.get(f"{deployment.base_url}{USERS}?limit=5")
            assert page.status_code == 200, provider["name"]
            assert int(page.headers["X-Total-Count"]) >= len(page.json()["users"])


COLLECTIONS = [e.path for e in ENDPOINTS if "{" not in e.path]


def read_everything(client: httpx.Client, params: dict[str, str]) -> dict[str, int]:
    """Follow ``next`` through every collection; the response hook is the strict client."""
    counts: dict[str, int] = {}
    for path in COLLECTIONS:
        url: str | None = f"{BASE}{path}"
        query: dict[str, str] | None = {"limit": "25", **params}
        counts[path] = 0
        while url:
            page = client.get(url, params=query)
            if path == "/demographics" and page.status_code == 403:
                break  # no dataset of this provider justifies the scope
            assert page.status_code == 200, (path, page.text)
            (records,) = page.json().values()
            counts[path] += len(records)
            url, query = page.links.get("next", {}).get("url"), None
    return counts


def tobedeleted(client: httpx.Client, since: str) -> list[dict[str, Any]]:
    delta = client.get(USERS, params={"limit": "1000", "filter": f"dateLastModified>'{since}'"})
    return [u for u in delta.json()["users"] if u["status"] == "tobedeleted"]


class TestAStrictClientReadsEveryPageOfEveryDemoProvider:
    """The schema plus the strict rule (no empty required string) on every page, deltas too."""

    def test_every_collection_page_is_accepted(self, deployment: Deployment) -> None:
        for provider in deployment.demo["providers"] + deployment.providers:
            with deployment.client(provider) as client:
                counts = read_everything(client, {})
            assert counts["/users"] > 0, provider["name"]

    def test_every_delta_page_is_accepted_including_the_people_who_left(
        self, own_deployment: Deployment
    ) -> None:
        since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        demo = own_deployment.demo["providers"]
        for provider in demo:
            own_deployment.change(lambda s, p=provider: remove_first_student(own_deployment, s, p))
        for provider in demo:
            with own_deployment.client(provider) as client:
                read_everything(client, {"filter": f"dateLastModified>'{since}'"})
                gone = tobedeleted(client, since)
            assert gone, provider["name"]
            assert {(u["givenName"], u["familyName"]) for u in gone} == {("-", "-")}


def remove_first_student(
    deployment: Deployment, session: Session, provider: dict[str, Any]
) -> None:
    """The LAS removes the first student this provider sees (a sync would do the same)."""
    at = datetime.now(UTC)
    principal = providers.client_principal(session, provider["client_id"], at)
    assert principal is not None
    keys = json.loads((Path(deployment.workdir) / "keys.json").read_text(encoding="utf-8"))
    for view in connections.connections_for_provider(session, principal.provider_id, at):
        current = release.resolve(session, view.connection_id, at, keys["pseudonym_key"].encode())
        student = session.get(Student, current.students[0].person_id)
        assert student is not None
        student.removed_at = at
        changes.school_changed(session, student.school_id, at)  # as a sync notes it
        return


class TestLinksAndHrefs:
    def test_a_forged_host_header_reaches_no_href_and_no_link(self, deployment: Deployment) -> None:
        with deployment.client(deployment.providers[0]) as client:
            page = client.get(
                USERS, params={"limit": "2", "offset": "1"}, headers={"Host": "evil.example"}
            )
        assert page.status_code == 200
        assert "evil.example" not in page.text
        assert "evil.example" not in page.headers["Link"]
        hrefs = [u["primaryOrg"]["href"] for u in page.json()["users"]]
        assert all(h.startswith(deployment.base_url + BASE + "/orgs/") for h in hrefs)
        assert {link["url"].split("?")[0] for link in page.links.values()} == {
            deployment.base_url + USERS
        }

    def test_unknown_query_parameters_are_not_echoed_into_link(
        self, deployment: Deployment
    ) -> None:
        with deployment.client(deployment.providers[0]) as client:
            page = client.get(USERS, params={"limit": "2", "junk": "x" * 500, "sort": "givenName"})
        assert page.status_code == 200
        assert "junk" not in page.headers["Link"]
        assert "sort=givenName" in page.links["next"]["url"]

    def test_prev_of_a_page_past_the_end_is_the_last_page(self, deployment: Deployment) -> None:
        with deployment.client(deployment.providers[0]) as client:
            page = client.get(USERS, params={"limit": "5", "offset": "100000"})
        assert page.status_code == 200
        assert page.json()["users"] == []
        assert page.links["prev"]["url"] == page.links["last"]["url"]

    def test_an_unknown_route_under_the_base_path_is_status_info(
        self, deployment: Deployment
    ) -> None:
        token = deployment.token(deployment.providers[0])
        # Not the checked client: the official document has no such path to check against.
        answer = httpx.get(
            f"{deployment.base_url}{BASE}/shoes/42", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 404
        assert body_errors("imsx_StatusInfoDType", answer.json()) == []
        assert imsx_minor(answer.json()) == "unknownobject"
        assert answer.json()["imsx_description"] == "no such OneRoster endpoint"


class TestFilters:
    def test_a_parenthesised_in_on_a_dotted_path_selects_those_schools(
        self, deployment: Deployment
    ) -> None:
        provider = deployment.provider("Toetsleverancier")
        schools = [s["brin"] + s["location"] for s in provider["schools"]]
        wanted = f"(school.sourcedId='{schools[0]}' OR school.sourcedId='nowhere')"
        with deployment.client(provider) as client:
            every = client.get(f"{BASE}/enrollments", params={"limit": "1000"}).json()
            some = client.get(
                f"{BASE}/enrollments", params={"limit": "1000", "filter": wanted}
            ).json()
        expected = [e for e in every["enrollments"] if e["school"]["sourcedId"] == schools[0]]
        assert some["enrollments"] == expected
        assert 0 < len(expected) < len(every["enrollments"])

    def test_lower_case_t_and_z_in_a_delta_are_accepted(self, deployment: Deployment) -> None:
        with deployment.client(deployment.providers[0]) as client:
            upper = client.get(USERS, params={"filter": "dateLastModified>'2000-01-01T00:00:00Z'"})
            lower = client.get(USERS, params={"filter": "dateLastModified>'2000-01-01t00:00:00z'"})
        assert lower.status_code == 200
        assert lower.json() == upper.json()


class TestTheFullRosteringDemoProvider:
    """Klaslokaal: what a conformance run's rostering checks need is there."""

    def test_teachers_with_e_mail_classes_with_a_kind_and_both_kinds_of_enrollment(
        self, deployment: Deployment
    ) -> None:
        provider = next(p for p in deployment.demo["providers"] if p["app"] == "Klaslokaal")
        with deployment.client(provider) as client:
            teachers = client.get(f"{BASE}/teachers", params={"limit": "1000"}).json()["users"]
            classes = client.get(f"{BASE}/classes", params={"limit": "1000"}).json()["classes"]
            enrollments = client.get(f"{BASE}/enrollments", params={"limit": "1000"}).json()
            first = classes[0]["sourcedId"]
            in_class = client.get(f"{BASE}/classes/{first}/teachers").json()["users"]
            periods = client.get(f"{BASE}/gradingPeriods").json()["academicSessions"]
        assert teachers
        assert all(t["email"].endswith("@demo.koppelvlak.nl") for t in teachers)
        assert all(t["familyName"] != "-" for t in teachers)
        assert {c["classType"] for c in classes} == {"homeroom", "scheduled"}
        assert {e["role"] for e in enrollments["enrollments"]} == {"student", "teacher"}
        assert in_class
        assert periods == []


class TestOnlyTheDatasetsAttributesAppear:
    def test_every_user_field_is_justified_by_a_released_attribute(
        self, deployment: Deployment
    ) -> None:
        for provider in deployment.providers:
            attributes = set(provider["dataset"]["attributes"])
            allowed = set(ALWAYS) | {"metadata"}
            for attribute in attributes:
                _, _, name = attribute.partition(".")
                allowed |= USER_FIELDS.get(name, set())
            with deployment.client(provider) as client:
                users = client.get(USERS, params={"limit": "1000"}).json()["users"]
            assert users, provider["name"]
            for user in users:
                assert set(user) <= allowed, (provider["name"], set(user) - allowed)
                if not any(a.endswith(".family_name") for a in attributes):
                    assert user["familyName"] == "-"
                    assert "familyName" in user["metadata"]["nl.withheld"]
                if not any(a.endswith(".email") for a in attributes):
                    assert "email" not in user

    def test_the_kind_of_a_class_goes_only_to_datasets_that_list_it(
        self, deployment: Deployment
    ) -> None:
        for provider in deployment.demo["providers"] + deployment.providers:
            listed = "group.kind" in provider["dataset"]["attributes"]
            with deployment.client(provider) as client:
                answer = client.get(f"{BASE}/classes", params={"limit": "1000"})
            for cls in answer.json()["classes"]:
                assert ("classType" in cls) is listed, provider["name"]
                assert ("nl.groupKind" in cls.get("metadata", {})) is listed, provider["name"]

    def test_demographics_need_a_dataset_with_birth_date_or_sex(
        self, deployment: Deployment
    ) -> None:
        for provider in deployment.providers:
            justified = bool(
                {"student.birth_date", "student.sex"} & set(provider["dataset"]["attributes"])
            )
            with checked_client(deployment.base_url) as client:
                answer = client.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials", "scope": f"{CORE} {DEMOGRAPHICS}"},
                    auth=(provider["client_id"], provider["client_secret"]),
                )
            assert (DEMOGRAPHICS in answer.json()["scope"].split()) is justified


class TestOtherSchoolsAndProvidersYieldNoData:
    def test_a_school_outside_the_connections_is_unknown(self, deployment: Deployment) -> None:
        provider = deployment.providers[0]
        with deployment.client(provider) as client:
            answer = client.get(f"{BASE}/schools/99ZZ00/students")
        assert answer.status_code == 404
        assert imsx_minor(answer.json()) == "unknownobject"
        assert "users" not in answer.json()

    def test_another_providers_people_are_unknown_to_this_provider(
        self, deployment: Deployment
    ) -> None:
        first, second = deployment.providers[:2]
        with deployment.client(second) as client:
            theirs = {
                u["sourcedId"] for u in client.get(USERS, params={"limit": "1000"}).json()["users"]
            }
        with deployment.client(first) as client:
            mine = {
                u["sourcedId"] for u in client.get(USERS, params={"limit": "1000"}).json()["users"]
            }
            probe = sorted(theirs)[0]
            answer = client.get(f"{USERS}/{probe}")
        assert not mine & theirs  # unlinkable pseudonyms
        assert answer.status_code == 404
        assert imsx_minor(answer.json()) == "unknownobject"


class TestBadRequests:
    def test_no_token_is_unauthorised(self, deployment: Deployment) -> None:
        with checked_client(deployment.base_url) as client:
            answer = client.get(USERS)
        assert answer.status_code == 401
        assert imsx_minor(answer.json()) == "unauthorisedrequest"
        assert answer.json()["imsx_description"] == "a bearer access token is required"

    def test_a_forged_token_is_unauthorised(self, deployment: Deployment) -> None:
        with checked_client(deployment.base_url, headers={"Authorization": "Bearer x.y.z"}) as c:
            answer = c.get(USERS)
        assert answer.status_code == 401
        assert answer.json()["imsx_description"] == "the access token is invalid"

    @pytest.mark.parametrize(
        ("params", "minor", "description"),
        [
            (
                {"filter": "shoeSize='42'"},
                "invalid_filter_field",
                "filter: unknown field 'shoeSize'",
            ),
            ({"fields": "shoeSize"}, "invalid_selection_field", "fields: unknown field 'shoeSize'"),
            ({"sort": "shoeSize"}, "invaliddata", "sort: unknown field 'shoeSize'"),
            ({"limit": "0"}, "invaliddata", "limit: must be at least 1"),
            (
                {"filter": " OR ".join(f"givenName='{n}'" for n in range(1000))},
                "invalid_filter_field",
                "filter: longer than 2000 characters",
            ),
            (
                {"filter": " OR ".join(f"role='{n}'" for n in range(60))},
                "invalid_filter_field",
                "filter: more than 50 comparisons",
            ),
            (
                {"filter": "dateLastModified>'2025-13-01'"},
                "invalid_filter_field",
                "filter: dateLastModified needs an RFC 3339 date or date-time, got '2025-13-01'",
            ),
        ],
    )
    def test_bad_parameters_get_the_spec_status_info(
        self, deployment: Deployment, params: dict[str, str], minor: str, description: str
    ) -> None:
        with deployment.client(deployment.providers[0]) as client:
            answer = client.get(USERS, params=params)
        assert answer.status_code == 400
        assert imsx_minor(answer.json()) == minor
        assert answer.json()["imsx_description"] == description

    def test_a_refused_filter_is_not_echoed_anywhere(self, deployment: Deployment) -> None:
        huge = " OR ".join(f"givenName='{n}'" for n in range(1000))
        with deployment.client(deployment.providers[0]) as client:
            answer = client.get(USERS, params={"filter": huge})
        assert "Link" not in answer.headers
        assert len(answer.content) < 1000

    def test_a_token_without_the_demographics_scope_is_forbidden_there(
        self, deployment: Deployment
    ) -> None:
        provider = deployment.providers[0]
        token = deployment.token(provider, scope=CORE)
        with checked_client(
            deployment.base_url, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            answer = client.get(f"{BASE}/demographics")
        assert answer.status_code == 403
        assert imsx_minor(answer.json()) == "forbidden"


class TestTokenEndpointErrors:
    def test_a_wrong_grant_type_is_unsupported_grant_type(self, deployment: Deployment) -> None:
        provider = deployment.providers[0]
        with checked_client(deployment.base_url) as client:
            answer = client.post(
                "/oauth/token",
                data={"grant_type": "password", "username": "a", "password": "b"},
                auth=(provider["client_id"], provider["client_secret"]),
            )
        assert answer.status_code == 400
        assert answer.json() == {
            "error": "unsupported_grant_type",
            "error_description": "grant type 'password' is not supported",
        }

    def test_only_unsupported_scopes_is_invalid_scope(self, deployment: Deployment) -> None:
        provider = deployment.providers[0]
        with checked_client(deployment.base_url) as client:
            answer = client.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "scope": "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly",
                },
                auth=(provider["client_id"], provider["client_secret"]),
            )
        assert answer.status_code == 400
        assert answer.json() == {
            "error": "invalid_scope",
            "error_description": "none of the requested scopes can be granted",
        }

    def test_unsupported_scopes_beside_supported_ones_are_dropped(
        self, deployment: Deployment
    ) -> None:
        provider = deployment.providers[0]
        gradebook = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly"
        with checked_client(deployment.base_url) as client:
            answer = client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials", "scope": f"{gradebook} {CORE}"},
                auth=(provider["client_id"], provider["client_secret"]),
            )
        assert answer.status_code == 200
        assert answer.json()["scope"] == CORE

    def test_a_wrong_secret_is_invalid_client(self, deployment: Deployment) -> None:
        provider = deployment.providers[0]
        with checked_client(deployment.base_url) as client:
            answer = client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(provider["client_id"], "not-the-secret"),
            )
        assert answer.status_code == 401
        assert answer.json() == {
            "error": "invalid_client",
            "error_description": "client authentication failed",
        }
        assert answer.headers["WWW-Authenticate"] == 'Basic realm="koppelvlak"'
