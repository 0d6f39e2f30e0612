"""Data-subject requests through the admin API and the public link pages."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from tests.api.conftest import Api
from tests.factories.providers import T0
from tests.factories.rights import Family, family

BASE = "/admin/api/v1/rights"


@dataclass
class Desk:
    people: Family
    admin: dict[str, str]
    dpo: dict[str, str]
    viewer: dict[str, str]


def _desk(api: Api) -> Desk:
    with api.runtime.unit_of_work() as session:
        people = family(session)
        tokens = {
            role: {
                "Authorization": "Bearer "
                + create_token(session, people.board_id, role, label=role.value, at=T0).token
            }
            for role in AdminRole
        }
    return Desk(people, tokens[AdminRole.ADMIN], tokens[AdminRole.DPO], tokens[AdminRole.VIEWER])


def _file(api: Api, desk: Desk, kind: str = "access", **fields: Any) -> Any:
    body = {"kind": kind, "person_id": str(desk.people.child.id), **fields}
    return api.client.post(f"{BASE}/requests", json=body, headers=desk.admin)


def _requests(api: Api, desk: Desk) -> list[dict[str, Any]]:
    answer = api.client.get(f"{BASE}/requests", headers=desk.dpo)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["requests"]
    return found


class TestTheWorkflowThroughTheApi:
    def test_an_access_request_goes_from_filing_to_its_export(self, api: Api) -> None:
        desk = _desk(api)
        filed = _file(api, desk)
        assert filed.status_code == 201, filed.text
        request_id = filed.json()["id"]
        assert filed.json()["state"] == "received"
        assert filed.json()["steps"][0]["actor"] == "admin:admin"
        url = f"{BASE}/requests/{request_id}"
        assert api.client.post(f"{url}/identity-check", json={}, headers=desk.admin).is_success
        approved = api.client.post(f"{url}/approve", headers=desk.dpo)
        assert approved.json()["state"] == "approved"
        download = api.client.get(f"{url}/export", headers=desk.dpo)
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            person = json.loads(archive.read("person.json"))
        assert person["id"] == str(desk.people.child.id)
        done = api.client.post(f"{url}/carry-out", json={}, headers=desk.dpo)
        assert done.json()["state"] == "carried_out"
        steps = api.client.get(url, headers=desk.dpo).json()["steps"]
        assert [(s["action"], s["actor"]) for s in steps] == [
            ("filed", "admin:admin"),
            ("check_identity", "admin:admin"),
            ("approve", "dpo:dpo"),
            ("carry_out", "dpo:dpo"),
        ]

    def test_only_the_dpo_decides_and_a_viewer_sees_nothing(self, api: Api) -> None:
        desk = _desk(api)
        request_id = _file(api, desk).json()["id"]
        refused = api.client.post(f"{BASE}/requests/{request_id}/approve", headers=desk.admin)
        assert refused.status_code == 403
        assert api.client.get(f"{BASE}/requests", headers=desk.viewer).status_code == 403

    def test_an_export_waits_for_approval(self, api: Api) -> None:
        desk = _desk(api)
        request_id = _file(api, desk).json()["id"]
        answer = api.client.get(f"{BASE}/requests/{request_id}/export", headers=desk.dpo)
        assert answer.status_code == 409
        assert answer.json()["detail"] == "the request is received; it must be approved first"


class TestBadInput:
    def test_an_unknown_person_is_404_and_nothing_is_filed(self, api: Api) -> None:
        desk = _desk(api)
        nobody = uuid.uuid4()
        answer = _file(api, desk, person_id=str(nobody))
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == (
            f"no student or staff member with id {nobody} in this board"
        )
        assert _requests(api, desk) == []

    def test_another_boards_person_and_request_are_404(self, api: Api) -> None:
        desk, other = _desk(api), _desk(api)
        assert _file(api, desk, person_id=str(other.people.child.id)).status_code == 404
        theirs = _file(api, other).json()["id"]
        assert api.client.get(f"{BASE}/requests/{theirs}", headers=desk.dpo).status_code == 404
        step = api.client.post(f"{BASE}/requests/{theirs}/approve", headers=desk.dpo)
        assert step.status_code == 404
        assert _requests(api, desk) == []

    def test_a_duplicate_open_request_is_409(self, api: Api) -> None:
        desk = _desk(api)
        assert _file(api, desk).status_code == 201
        again = _file(api, desk)
        assert again.status_code == 409
        assert again.json()["title"] == "Request already open"
        assert len(_requests(api, desk)) == 1

    def test_a_refusal_without_a_reason_is_422_and_changes_nothing(self, api: Api) -> None:
        desk = _desk(api)
        request_id = _file(api, desk).json()["id"]
        for body in ({}, {"reason": ""}, {"reason": "  "}):
            answer = api.client.post(
                f"{BASE}/requests/{request_id}/refuse", json=body, headers=desk.dpo
            )
            assert answer.status_code == 422
            assert answer.json()["detail"] == "a refusal needs a reason; the requester is told it"
        shown = api.client.get(f"{BASE}/requests/{request_id}", headers=desk.dpo).json()
        assert (shown["state"], len(shown["steps"])) == ("received", 1)

    def test_an_unknown_kind_is_422(self, api: Api) -> None:
        desk = _desk(api)
        assert _file(api, desk, kind="deletion").status_code == 422


def _link(api: Api, desk: Desk, kind: str = "access") -> str:
    body = {
        "kind": kind,
        "person_id": str(desk.people.child.id),
        "guardian_id": str(desk.people.guardian.id),
    }
    answer = api.client.post(f"{BASE}/links", json=body, headers=desk.dpo)
    assert answer.status_code == 201, answer.text
    return urlsplit(answer.json()["url"]).path


JSON = {"Accept": "application/json"}


class TestTheLinkPages:
    def test_a_guardian_fills_in_the_form_once(self, api: Api) -> None:
        desk = _desk(api)
        path = _link(api, desk)
        page = api.client.get(path)
        assert page.status_code == 200
        assert "Inzage vragen" in page.text
        assert "Sanne" not in page.text  # the page shows no personal data
        match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert match is not None
        form = {"csrf_token": match.group(1), "email": "petra@home.example"}
        sent = api.client.post(path, data=form)
        assert sent.status_code == 201
        assert "Verzoek ontvangen" in sent.text
        [filed] = _requests(api, desk)
        assert (filed["channel"], filed["filed_by"]) == (
            "link",
            f"guardian:{desk.people.guardian.id}",
        )
        again = api.client.post(path, data=form)
        assert again.status_code == 410
        assert "This link does not work" in again.text
        assert api.client.get(path).status_code == 410
        assert len(_requests(api, desk)) == 1

    def test_an_app_uses_the_same_link_as_json(self, api: Api) -> None:
        desk = _desk(api)
        path = _link(api, desk, "objection")
        shown = api.client.get(path, headers=JSON).json()
        assert (shown["kind"], shown["for"]) == ("objection", f"guardian:{desk.people.guardian.id}")
        sent = api.client.post(path, data={"csrf_token": shown["csrf_token"]}, headers=JSON)
        assert sent.status_code == 201
        assert sent.json()["kind"] == "objection"
        assert sent.json()["state"] == "received"

    def test_a_form_without_the_links_token_is_refused(self, api: Api) -> None:
        desk = _desk(api)
        answer = api.client.post(_link(api, desk), data={"csrf_token": "0" * 64}, headers=JSON)
        assert answer.status_code == 403
        assert _requests(api, desk) == []

    def test_an_altered_link_is_400(self, api: Api) -> None:
        desk = _desk(api)
        path = _link(api, desk)
        altered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        answer = api.client.get(altered, headers=JSON)
        assert answer.status_code == 400
        assert answer.json()["title"] == "Invalid link"
