"""The mandate check for the receiving side and the admin API for mandates and the final test.

``GET /mandates/verify`` is public: it answers the mandate's terms or a plain no, the same no for
an unknown school as for one without a mandate, and 400 problem+json for malformed identifiers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from koppelvlak.app import create_app
from koppelvlak.config import Settings
from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.mandates import service as mandates
from koppelvlak.runtime import Runtime
from tests.api.conftest import Api
from tests.factories.providers import T0, Setup, board_with_school, connected

VERIFY = "/mandates/verify"
MANDATES = "/admin/api/v1/mandates"
EINDTOETS = "Logistiek Proces Eindtoets PO"
KVK = "87654321"
NO = "no valid mandate for this school, service and party"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _setup(api: Api) -> tuple[Setup, dict[AdminRole, str]]:
    with api.runtime.unit_of_work() as session:
        setup = connected(session)
        tokens = {
            role: create_token(session, setup.board.id, role, label=f"{role}-bot", at=T0).token
            for role in AdminRole
        }
    return setup, tokens


def _code(setup: Setup) -> str:
    return f"{setup.school.brin}{setup.school.location_code}"


def _granted(api: Api, setup: Setup, *, until: date | None = None) -> None:
    with api.runtime.unit_of_work() as session:
        mandates.grant(
            session,
            setup.board.id,
            school=setup.school.brin,
            service=EINDTOETS,
            party=KVK,
            valid_from=date(2025, 12, 1),
            valid_until=until,
            actor="admin:jan",
            at=T0,
        )


def _verify(api: Api, school: str, service: str = EINDTOETS, party: str = KVK) -> Any:
    return api.client.get(VERIFY, params={"school": school, "service": service, "party": party})


class TestTheMandateCheck:
    def test_a_valid_mandate_is_answered_with_its_terms(self, api: Api) -> None:
        setup, _ = _setup(api)
        _granted(api, setup)
        answer = _verify(api, setup.school.brin.lower())
        assert answer.status_code == 200
        assert answer.json() == {
            "valid": True,
            "school": _code(setup),
            "service": EINDTOETS,
            "party": KVK,
            "party_kind": "kvk",
            "valid_from": "2025-12-01",
            "valid_until": None,
        }

    def test_an_unknown_school_and_a_school_without_a_mandate_get_the_same_no(
        self, api: Api
    ) -> None:
        setup, _ = _setup(api)
        without = _verify(api, _code(setup))
        unknown = _verify(api, "00ZZ00")
        assert without.status_code == unknown.status_code == 200
        strip = {"school"}
        assert {k: v for k, v in without.json().items() if k not in strip} == {
            k: v for k, v in unknown.json().items() if k not in strip
        }
        assert without.json()["valid"] is False
        assert without.json()["detail"] == NO
        assert "valid_from" not in without.json()

    def test_an_expired_mandate_is_a_no(self, api: Api) -> None:
        setup, _ = _setup(api)
        _granted(api, setup, until=date(2026, 1, 1))
        assert _verify(api, _code(setup)).json()["valid"] is False

    @pytest.mark.parametrize(
        ("school", "party", "detail"),
        [
            (
                "99X",
                KVK,
                "school must be a BRIN code (e.g. 99XX) or a BRIN code with its "
                "location (e.g. 99XX01), not '99X'",
            ),
            (
                "99XX",
                "1234",
                "party must be an OIN (20 digits) or a KvK number (8 digits), not '1234'",
            ),
        ],
    )
    def test_malformed_identifiers_are_400_problem_json(
        self, api: Api, school: str, party: str, detail: str
    ) -> None:
        answer = _verify(api, school, party=party)
        assert answer.status_code == 400
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == detail

    def test_an_unknown_service_is_400_with_the_known_ones(self, api: Api) -> None:
        answer = _verify(api, "99XX", service="Eindtoets")
        assert answer.status_code == 400
        assert answer.json()["title"] == "Unknown service"
        assert EINDTOETS in answer.json()["detail"]

    def test_a_long_hostile_value_is_400_and_not_echoed_whole(self, api: Api) -> None:
        answer = _verify(api, "99XX", party="1" * 5000)
        assert answer.status_code == 400
        assert len(answer.json()["detail"]) < 120

    def test_a_missing_parameter_is_422(self, api: Api) -> None:
        assert api.client.get(VERIFY, params={"school": "99XX"}).status_code == 422


def test_the_check_is_rate_limited_per_address(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    runtime = Runtime.from_settings(
        Settings(
            database_url=fresh_database_url("sqlite"),
            key_file=tmp_path / "k.json",
            rate_limit="3/minute",
        )
    )
    try:
        client = TestClient(create_app(runtime), client=("192.0.2.77", 40000))
        params = {"school": "99XX", "service": EINDTOETS, "party": KVK}
        answers = [client.get(VERIFY, params=params) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert (
            answers[-1].json()["detail"] == "too many mandate checks from this address; slow down"
        )
        assert int(answers[-1].headers["Retry-After"]) >= 1
    finally:
        runtime.engine.dispose()


class TestTheAdminApi:
    def test_an_admin_grants_lists_and_revokes(self, api: Api) -> None:
        setup, tokens = _setup(api)
        body = {
            "school": _code(setup),
            "service": EINDTOETS,
            "party": KVK,
            "valid_from": "2025-12-01",
        }
        made = api.client.post(MANDATES, json=body, headers=_auth(tokens[AdminRole.ADMIN]))
        assert made.status_code == 201, made.text
        assert made.json()["decided_by"] == "admin:admin-bot"
        listed = api.client.get(MANDATES, headers=_auth(tokens[AdminRole.VIEWER])).json()
        assert [m["mandate_id"] for m in listed["mandates"]] == [made.json()["mandate_id"]]
        revoked = api.client.post(
            f"{MANDATES}/{made.json()['mandate_id']}/revoke",
            json={"reason": "wrong supplier"},
            headers=_auth(tokens[AdminRole.ADMIN]),
        )
        assert revoked.status_code == 200
        assert (revoked.json()["status"], revoked.json()["revocation_reason"]) == (
            "revoked",
            "wrong supplier",
        )
        assert _verify(api, _code(setup)).json()["valid"] is False

    def test_a_viewer_may_not_grant(self, api: Api) -> None:
        setup, tokens = _setup(api)
        body = {
            "school": _code(setup),
            "service": EINDTOETS,
            "party": KVK,
            "valid_from": "2026-01-01",
        }
        answer = api.client.post(MANDATES, json=body, headers=_auth(tokens[AdminRole.VIEWER]))
        assert answer.status_code == 403
        assert answer.json()["detail"] == "the viewer role may not decide"

    def test_a_malformed_party_is_400_and_nothing_is_stored(self, api: Api) -> None:
        setup, tokens = _setup(api)
        body = {
            "school": _code(setup),
            "service": EINDTOETS,
            "party": "KVK1",
            "valid_from": "2026-01-01",
        }
        answer = api.client.post(MANDATES, json=body, headers=_auth(tokens[AdminRole.ADMIN]))
        assert answer.status_code == 400
        listed = api.client.get(MANDATES, headers=_auth(tokens[AdminRole.ADMIN])).json()
        assert listed["mandates"] == []

    def test_another_boards_mandate_is_404_and_stays_valid(self, api: Api) -> None:
        setup, _ = _setup(api)
        _granted(api, setup)
        with api.runtime.unit_of_work() as session:
            (mine,) = mandates.mandates(session, setup.board.id, T0)
            other, _ = board_with_school(session)
            stranger = create_token(session, other.id, AdminRole.ADMIN, label="x", at=T0).token
        answer = api.client.post(
            f"{MANDATES}/{mine.mandate_id}/revoke", json={"reason": "x"}, headers=_auth(stranger)
        )
        assert answer.status_code == 404
        assert answer.json()["detail"] == f"no mandate with id {mine.mandate_id} in this board"
        assert _verify(api, _code(setup)).json()["valid"] is True

    def test_a_refusal_the_caller_commits_is_listed_for_the_school(self, api: Api) -> None:
        setup, tokens = _setup(api)
        with api.runtime.unit_of_work() as session, pytest.raises(mandates.MandateMissing):
            mandates.require_mandate(
                session, school_id=setup.school.id, service=EINDTOETS, party=KVK, at=T0
            )
        headers = _auth(tokens[AdminRole.VIEWER])
        listed = api.client.get("/admin/api/v1/mandate-refusals", headers=headers).json()
        (refusal,) = listed["refusals"]
        assert (refusal["school"], refusal["service"], refusal["party"]) == (
            _code(setup),
            EINDTOETS,
            KVK,
        )
        assert refusal["reason"] == (
            f"school {_code(setup)} has no valid mandate for '{EINDTOETS}' and party {KVK}"
        )

    def test_the_services_of_the_register_are_listed(self, api: Api) -> None:
        _, tokens = _setup(api)
        headers = _auth(tokens[AdminRole.VIEWER])
        services = api.client.get("/admin/api/v1/mandate-services", headers=headers).json()
        assert {EINDTOETS, "BRON PO", "Verzuim"} <= {s["name"] for s in services["services"]}


class TestTheFinalTestEndpoints:
    def test_a_connection_is_marked_and_the_school_sees_both_steps(self, api: Api) -> None:
        setup, tokens = _setup(api)
        marked = api.client.put(
            f"/admin/api/v1/final-test/{setup.connection.id}",
            json={"reference_date": "2026-01-15"},
            headers=_auth(tokens[AdminRole.ADMIN]),
        )
        assert marked.status_code == 200, marked.text
        assert marked.json()["year_group"] == "8"
        status = api.client.get(
            "/admin/api/v1/final-test",
            params={"school": _code(setup)},
            headers=_auth(tokens[AdminRole.VIEWER]),
        )
        assert status.status_code == 200
        (connection,) = status.json()["connections"]
        assert connection["connection_id"] == str(setup.connection.id)
        assert connection["reference_date"] == "2026-01-15"
        assert (
            connection["mandate_valid"],
            connection["participants_delivered"],
            connection["results_received"],
        ) == (False, 0, 0)

    def test_another_boards_connection_is_404(self, api: Api) -> None:
        setup, _ = _setup(api)
        with api.runtime.unit_of_work() as session:
            other, _ = board_with_school(session)
            stranger = create_token(session, other.id, AdminRole.ADMIN, label="x", at=T0).token
        answer = api.client.put(
            f"/admin/api/v1/final-test/{setup.connection.id}",
            json={"reference_date": "2026-01-15"},
            headers=_auth(stranger),
        )
        assert answer.status_code == 404
