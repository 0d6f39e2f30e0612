"""Policies through the admin API: admins and DPOs write, viewers read, one board only,
bad input answered with a problem and nothing changed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.kit import changes
from koppelvlak.kit.clock import utcnow
from koppelvlak.release import kept, kept_repository
from tests.api.conftest import Api
from tests.factories.policies import TEEN_BORN, Family, family
from tests.factories.providers import T0, Setup, connected, spec

BASE = "/admin/api/v1/policies"
CONSENT = spec({"student.given_name": True}, purpose="homework_support")


@dataclass
class Board:
    setup: Setup
    kids: Family
    other: Family  # a second family at the same school
    teen: Family
    tokens: dict[AdminRole, str]

    def auth(self, role: AdminRole = AdminRole.DPO) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def _board(api: Api, *roles: AdminRole) -> Board:
    """A board with a consent-based connection, three families and a token per role asked for.

    Each token costs an argon2 hash, so a test asks only for the roles it uses (default DPO).
    """
    with api.runtime.unit_of_work() as session:
        setup = connected(session, CONSENT)
        kids, other = family(session, setup.school), family(session, setup.school, name="Bakker")
        teen = family(session, setup.school, born=TEEN_BORN, name="Visser")
        changes.school_changed(session, setup.school.id, T0)  # the roster import would note it
        tokens = {
            role: create_token(session, setup.board.id, role, label=f"{role}-bot", at=T0).token
            for role in roles or (AdminRole.DPO,)
        }
    return Board(setup, kids, other, teen, tokens)


def _policy(api: Api, board: Board, **fields: Any) -> dict[str, Any]:
    body = {
        "code": f"p-{uuid.uuid4().hex[:8]}",
        "name": "Privacyverklaring leerlingen",
        "audience": "students",
        "required": False,
        "text_nl": "Tekst",
        "text_en": "Text",
        **fields,
    }
    created = api.client.post(BASE, json=body, headers=board.auth())
    assert created.status_code == 201, created.text
    policy: dict[str, Any] = created.json()
    published = api.client.post(f"{BASE}/{policy['id']}/versions/1/publish", headers=board.auth())
    assert published.status_code == 200, published.text
    return policy


def _pending_ids(api: Api, board: Board, policy: dict[str, Any], number: int = 1) -> set[str]:
    url = f"{BASE}/{policy['id']}/versions/{number}/pending"
    answer = api.client.get(url, headers=board.auth())
    assert answer.status_code == 200, answer.text
    return {p["id"] for p in answer.json()["pending"]}


class TestRoles:
    @pytest.mark.parametrize("role", [AdminRole.ADMIN, AdminRole.DPO])
    def test_admins_and_dpos_create_and_publish(self, api: Api, role: AdminRole) -> None:
        board = _board(api, role)
        body = {"code": "terms", "name": "T", "audience": "staff", "text_nl": "a", "text_en": "b"}
        created = api.client.post(BASE, json=body, headers=board.auth(role))
        assert created.status_code == 201
        assert created.json()["versions"][0]["created_by"] == f"{role}:{role}-bot"

    def test_a_viewer_reads_but_may_not_write(self, api: Api) -> None:
        board = _board(api, AdminRole.DPO, AdminRole.VIEWER)
        policy = _policy(api, board)
        viewer = board.auth(AdminRole.VIEWER)
        assert api.client.get(BASE, headers=viewer).json()["policies"][0]["id"] == policy["id"]
        refused = api.client.post(
            f"{BASE}/{policy['id']}/versions",
            json={"text_nl": "x", "text_en": "y"},
            headers=viewer,
        )
        assert refused.status_code == 403
        assert refused.json()["detail"] == "the viewer role may not policies"
        versions = api.client.get(f"{BASE}/{policy['id']}", headers=viewer).json()["versions"]
        assert len(versions) == 1

    def test_without_a_token_there_is_nothing(self, api: Api) -> None:
        assert api.client.get(BASE).status_code == 401


class TestVersions:
    def test_publishing_an_already_active_version_is_409_and_changes_nothing(
        self, api: Api
    ) -> None:
        board = _board(api)
        policy = _policy(api, board)
        again = api.client.post(f"{BASE}/{policy['id']}/versions/1/publish", headers=board.auth())
        assert again.status_code == 409
        assert again.json()["detail"] == (
            f"version 1 of policy '{policy['code']}' is already active"
        )
        after = api.client.get(f"{BASE}/{policy['id']}", headers=board.auth()).json()
        assert [(v["number"], v["state"]) for v in after["versions"]] == [(1, "active")]

    def test_a_minor_version_asks_no_new_acceptance_but_a_major_one_does(self, api: Api) -> None:
        board = _board(api)
        policy = _policy(api, board)
        url = f"{BASE}/{policy['id']}"
        person = {"person_id": str(board.teen.student.id)}
        assert api.client.post(f"{url}/acceptances", json=person, headers=board.auth()).is_success
        for number, minor in ((2, True), (3, False)):
            body = {"text_nl": "n", "text_en": "e", "minor_change": minor}
            assert api.client.post(f"{url}/versions", json=body, headers=board.auth()).is_success
            assert api.client.post(f"{url}/versions/{number}/publish", headers=board.auth())
            pending = _pending_ids(api, board, policy, number)
            assert (str(board.teen.student.id) in pending) is (not minor)

    @pytest.mark.parametrize(
        "url",
        [
            f"{BASE}/00000000-0000-4000-8000-00000000d1e5",  # fixed, so xdist workers agree
            f"{BASE}/{{policy}}/versions/9/publish",
            f"{BASE}/{{policy}}/versions/9/pending",
        ],
    )
    def test_an_unknown_policy_or_version_is_404(self, api: Api, url: str) -> None:
        board = _board(api)
        policy = _policy(api, board)
        target = url.replace("{policy}", policy["id"])
        method = api.client.post if target.endswith("publish") else api.client.get
        answer = method(target, headers=board.auth())
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"


class TestAcceptances:
    def test_a_guardian_accepts_for_their_child_and_the_child_is_no_longer_pending(
        self, api: Api
    ) -> None:
        board = _board(api)
        policy = _policy(api, board)
        body = {"person_id": str(board.kids.student.id), "guardian_id": str(board.kids.guardian.id)}
        answer = api.client.post(
            f"{BASE}/{policy['id']}/acceptances", json=body, headers=board.auth()
        )
        assert answer.status_code == 201
        assert answer.json()["guardian_id"] == str(board.kids.guardian.id)
        pending = _pending_ids(api, board, policy)
        assert str(board.kids.student.id) not in pending
        assert str(board.other.student.id) in pending

    def test_a_guardian_of_another_child_is_403_and_nothing_is_recorded(self, api: Api) -> None:
        board = _board(api)
        policy = _policy(api, board)
        body = {
            "person_id": str(board.kids.student.id),
            "guardian_id": str(board.other.guardian.id),
        }
        answer = api.client.post(
            f"{BASE}/{policy['id']}/acceptances", json=body, headers=board.auth()
        )
        assert answer.status_code == 403
        assert answer.json()["title"] == "Not the guardian of this student"
        assert str(board.kids.student.id) in _pending_ids(api, board, policy)

    def test_another_boards_person_is_404(self, api: Api) -> None:
        mine, theirs = _board(api), _board(api)
        policy = _policy(api, mine)
        body = {"person_id": str(theirs.teen.student.id)}
        answer = api.client.post(
            f"{BASE}/{policy['id']}/acceptances", json=body, headers=mine.auth()
        )
        assert answer.status_code == 404
        assert (
            answer.json()["detail"] == f"no student with id {theirs.teen.student.id} in this board"
        )

    def test_another_boards_policy_is_404(self, api: Api) -> None:
        mine, theirs = _board(api), _board(api)
        policy = _policy(api, theirs)
        answer = api.client.get(f"{BASE}/{policy['id']}", headers=mine.auth())
        assert answer.status_code == 404

    def test_a_child_under_16_alone_is_422(self, api: Api) -> None:
        board = _board(api)
        policy = _policy(api, board)
        body = {"person_id": str(board.kids.student.id)}
        answer = api.client.post(
            f"{BASE}/{policy['id']}/acceptances", json=body, headers=board.auth()
        )
        assert answer.status_code == 422
        assert "one of their guardians decides for them" in answer.json()["detail"]


class TestWithdrawals:
    def test_withdrawing_a_required_policy_is_422_and_the_acceptance_stands(self, api: Api) -> None:
        board = _board(api)
        policy = _policy(api, board, required=True)
        person = {"person_id": str(board.teen.student.id)}
        url = f"{BASE}/{policy['id']}"
        assert api.client.post(f"{url}/acceptances", json=person, headers=board.auth()).is_success
        answer = api.client.post(f"{url}/withdrawals", json=person, headers=board.auth())
        assert answer.status_code == 422
        assert answer.json()["title"] == "Required policy"
        history = api.client.get(
            f"{url}/acceptances/{board.teen.student.id}", headers=board.auth()
        ).json()["acceptances"]
        assert [(a["withdrawn_at"], a["counts"]) for a in history] == [(None, True)]

    def test_withdrawing_a_linked_policy_stops_the_release_at_once(self, api: Api) -> None:
        board = _board(api)
        connection = str(board.setup.connection.id)
        policy = _policy(api, board, connection_id=connection)
        body = {"person_id": str(board.kids.student.id), "guardian_id": str(board.kids.guardian.id)}
        url = f"{BASE}/{policy['id']}"
        explain = f"/admin/api/v1/connections/{connection}/explain/{board.kids.student.id}"
        answer = api.client.post(f"{url}/acceptances", json=body, headers=board.auth())
        assert answer.json()["consent_recorded"] is True
        assert api.client.get(explain, headers=board.auth()).json()["reason"] == "released"
        assert _kept_has(api, board, released=True)
        withdrawn = api.client.post(f"{url}/withdrawals", json=body, headers=board.auth())
        assert withdrawn.status_code == 200
        assert api.client.get(explain, headers=board.auth()).json()["reason"] == (
            "no_parental_consent"
        )
        assert _kept_has(api, board, released=False)


def _kept_has(api: Api, board: Board, *, released: bool) -> bool:
    """The committed kept release (what providers are served from) agrees, and has no drift."""
    with api.runtime.unit_of_work() as session:
        key = api.runtime.secrets.pseudonym_key
        assert kept.check(session, utcnow(), key, board.setup.board.id) == []
        counts = kept_repository.active_counts(session, board.setup.connection.id)
    students = sum(n for key, n in counts.items() if key.endswith(" student"))
    # The teen (17) is released without parental consent; the other child never consented.
    return students == (2 if released else 1)
