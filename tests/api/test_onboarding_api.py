"""The onboarding API: a provider applies, proposes datasets and sees its schools' decisions."""

from __future__ import annotations

import uuid
from typing import Any

from koppelvlak.providers import service as providers
from koppelvlak.providers.models import AccreditationState
from tests.api.conftest import Api
from tests.factories.providers import T0, connected

APPLICATION = {
    "name": "Rekenmeester B.V.",
    "kvk_number": "12345678",
    "contact_email": "info@rekenmeester.example",
    "security_contact_email": "security@rekenmeester.example",
    "privacy_statement_url": "https://rekenmeester.example/privacy",
    "covenant_signed_on": "2025-05-01",
    "processing_agreement_on": "2025-05-02",
}


def _apply(api: Api) -> dict[str, Any]:
    kvk = f"{uuid.uuid4().int % 10**8:08d}"
    response = api.client.post(
        "/onboarding/v1/applications", json={**APPLICATION, "kvk_number": kvk}
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def _basic(body: dict[str, Any]) -> tuple[str, str]:
    return (body["client_id"], body["client_secret"])


class TestApplication:
    def test_a_provider_applies_and_sees_its_state(self, api: Api) -> None:
        applied = _apply(api)
        assert applied["accreditation_state"] == "applied"
        me = api.client.get("/onboarding/v1/provider", auth=_basic(applied)).json()
        assert me["accreditation"]["state"] == "applied"
        assert me["name"] == "Rekenmeester B.V."

    def test_a_bad_kvk_number_is_refused(self, api: Api) -> None:
        response = api.client.post(
            "/onboarding/v1/applications", json={**APPLICATION, "kvk_number": "12"}
        )
        assert response.status_code == 400
        assert response.json()["detail"] == "KvK number '12' must be 8 digits"

    def test_a_wrong_secret_is_401(self, api: Api) -> None:
        applied = _apply(api)
        response = api.client.get(
            "/onboarding/v1/provider", auth=(applied["client_id"], "not-the-secret")
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "unknown client id, or wrong, expired or revoked secret"


class TestDatasets:
    def test_a_never_shareable_attribute_is_refused(self, api: Api) -> None:
        applied = _apply(api)
        app = api.client.post("/onboarding/v1/apps", json={"name": "Sommen"}, auth=_basic(applied))
        response = api.client.post(
            f"/onboarding/v1/apps/{app.json()['app_id']}/datasets",
            json={
                "attributes": {"student.given_name": True, "student.bsn": True},
                "purpose": "learning_materials",
                "entity_types": ["students"],
            },
            auth=_basic(applied),
        )
        assert response.status_code == 400
        assert response.json()["detail"] == "attribute(s) never shareable: student.bsn"

    def test_a_widening_is_pending_at_the_schools(self, api: Api) -> None:
        with api.runtime.unit_of_work() as session:
            setup = connected(session)
            issued = providers.create_credential(session, setup.provider.id, T0)
            app_id = setup.app_id
        auth = (issued.client_id, issued.client_secret)
        response = api.client.post(
            f"/onboarding/v1/apps/{app_id}/datasets",
            json={
                "attributes": {"student.given_name": True, "student.family_name": True},
                "purpose": "learning_materials",
                "entity_types": ["students"],
            },
            auth=auth,
        )
        assert response.status_code == 201
        assert response.json()["connections"] == {"pending": 1}
        listed = api.client.get("/onboarding/v1/connections", auth=auth).json()["connections"]
        assert [(c["state"], c["dataset_version"], c["pending_version"]) for c in listed] == [
            ("active", 1, 2)
        ]

    def test_another_provider_s_app_is_not_found(self, api: Api) -> None:
        with api.runtime.unit_of_work() as session:
            setup = connected(session)
            app_id = setup.app_id
            assert setup.provider.accreditation_state is AccreditationState.ACCREDITED
        applied = _apply(api)
        response = api.client.get(f"/onboarding/v1/apps/{app_id}/datasets", auth=_basic(applied))
        assert response.status_code == 404
        assert response.json()["detail"] == f"no app with id {app_id}"


def _apply_without_agreements(api: Api) -> dict[str, Any]:
    kvk = f"{uuid.uuid4().int % 10**8:08d}"
    body = {k: v for k, v in APPLICATION.items() if k not in ("covenant_signed_on",)}
    body = {**body, "kvk_number": kvk, "processing_agreement_on": None}
    response = api.client.post("/onboarding/v1/applications", json=body)
    assert response.status_code == 201
    applied: dict[str, Any] = response.json()
    return {**applied, "kvk_number": kvk}


class TestCompletingAnApplication:
    def test_agreement_dates_added_later_let_the_operator_accredit(self, api: Api) -> None:
        applied = _apply_without_agreements(api)
        me = api.client.get("/onboarding/v1/provider", auth=_basic(applied)).json()
        assert me["agreements"] == {
            "covenant_signed_on": None,
            "processing_agreement_on": None,
            "processing_agreement_version": None,
        }
        response = api.client.patch(
            "/onboarding/v1/provider",
            json={"covenant_signed_on": "2025-05-01", "processing_agreement_on": "2025-05-02"},
            auth=_basic(applied),
        )
        assert response.status_code == 200, response.text
        assert response.json()["agreements"] == {
            "covenant_signed_on": "2025-05-01",
            "processing_agreement_on": "2025-05-02",
            "processing_agreement_version": None,
        }
        with api.runtime.unit_of_work() as session:
            provider = providers.accredit(
                session,
                uuid.UUID(applied["provider_id"]),
                AccreditationState.ACCREDITED,
                actor="operator",
                at=T0,
            )
            assert provider.accreditation_state is AccreditationState.ACCREDITED

    def test_a_signing_date_in_the_future_is_refused_and_nothing_changes(self, api: Api) -> None:
        applied = _apply_without_agreements(api)
        response = api.client.patch(
            "/onboarding/v1/provider",
            json={"covenant_signed_on": "2025-05-01", "processing_agreement_on": "2999-01-01"},
            auth=_basic(applied),
        )
        assert response.status_code == 400
        assert response.json()["detail"] == (
            "processing_agreement_on 2999-01-01 lies in the future; expected the date it was signed"
        )
        me = api.client.get("/onboarding/v1/provider", auth=_basic(applied)).json()
        assert me["agreements"]["covenant_signed_on"] is None

    def test_an_empty_change_is_refused(self, api: Api) -> None:
        applied = _apply_without_agreements(api)
        response = api.client.patch("/onboarding/v1/provider", json={}, auth=_basic(applied))
        assert response.status_code == 400
        assert response.json()["detail"] == (
            "nothing to change; expected covenant_signed_on, processing_agreement_on or "
            "processing_agreement_version"
        )

    def test_the_name_cannot_be_changed_this_way(self, api: Api) -> None:
        applied = _apply_without_agreements(api)
        response = api.client.patch(
            "/onboarding/v1/provider", json={"name": "Other B.V."}, auth=_basic(applied)
        )
        assert response.status_code == 422

    def test_without_the_credential_nothing_changes(self, api: Api) -> None:
        response = api.client.patch(
            "/onboarding/v1/provider", json={"covenant_signed_on": "2025-05-01"}
        )
        assert response.status_code == 401

    def test_applying_again_says_how_to_complete_the_application(self, api: Api) -> None:
        applied = _apply_without_agreements(api)
        again = api.client.post(
            "/onboarding/v1/applications", json={**APPLICATION, "kvk_number": applied["kvk_number"]}
        )
        assert again.status_code == 409
        assert again.json()["detail"] == (
            f"a provider with KvK number {applied['kvk_number']} has applied already; it "
            "completes its application (such as the agreement dates) with its credential instead "
            "of applying again"
        )


class TestTheCatalogue:
    def test_purposes_are_listed_with_lawful_basis_and_retention(self, api: Api) -> None:
        response = api.client.get("/onboarding/v1/purposes")
        assert response.status_code == 200
        listed = {p["code"]: p for p in response.json()["purposes"]}
        assert listed["learning_materials"]["lawful_basis"] == "public_task"
        assert listed["learning_materials"]["retention"].startswith("P")
        assert {"code", "lawful_basis", "retention", "description_en", "description_nl"} == set(
            listed["learning_materials"]
        )

    def test_attributes_are_listed_with_category_and_sensitivity(self, api: Api) -> None:
        response = api.client.get("/onboarding/v1/attributes")
        assert response.status_code == 200
        listed = {a["id"]: a for a in response.json()["attributes"]}
        assert (
            listed["student.given_name"]["category"],
            listed["student.given_name"]["sensitivity"],
            listed["student.given_name"]["shareable"],
        ) == ("name", "normal", True)
        assert listed["student.bsn"]["shareable"] is False

    def test_a_dataset_built_from_the_lists_is_accepted(self, api: Api) -> None:
        purpose = api.client.get("/onboarding/v1/purposes").json()["purposes"][0]["code"]
        shareable = [
            a["id"]
            for a in api.client.get("/onboarding/v1/attributes").json()["attributes"]
            if a["shareable"] and a["sensitivity"] == "normal" and a["entity"] == "student"
        ]
        applied = _apply(api)
        app = api.client.post("/onboarding/v1/apps", json={"name": "Lijst"}, auth=_basic(applied))
        response = api.client.post(
            f"/onboarding/v1/apps/{app.json()['app_id']}/datasets",
            json={
                "attributes": {shareable[0]: True},
                "purpose": purpose,
                "entity_types": ["students"],
            },
            auth=_basic(applied),
        )
        assert response.status_code == 201, response.text
