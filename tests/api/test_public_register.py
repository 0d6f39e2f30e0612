"""The public register at /register and /register.json: no login, accredited providers only,
every dataset attribute by attribute, nothing about schools' people, names escaped."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from koppelvlak.providers import service as providers
from koppelvlak.providers.models import AccreditationState
from koppelvlak.registers import public
from tests.api.conftest import Api
from tests.factories.policies import family
from tests.factories.providers import T0, ApplicationFactory, connected, spec

DOCS = Path(__file__).resolve().parents[2] / "docs" / "provider" / "public-register.md"
VALIDATOR = Draft202012Validator(
    public.json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
)


def _provider(api: Api, name: str | None = None, **dataset: Any) -> dict[str, Any]:
    """An accredited provider with an active connection (and a family at its school)."""
    with api.runtime.unit_of_work() as session:
        setup = connected(session, spec(**dataset) if dataset else None)
        setup.provider.name = name or f"Leermiddel {uuid.uuid4().hex[:8]} B.V."
        kids = family(session, setup.school, name=f"Uniek{uuid.uuid4().hex[:6]}")
        return {
            "name": setup.provider.name,
            "provider_id": setup.provider.id,
            "app_id": setup.app_id,
            "student": f"{kids.student.given_name} {kids.student.family_name}",
            "family_name": kids.student.family_name,
            "school": setup.school.name,
            "board": setup.board.name,
        }


def _document(api: Api) -> dict[str, Any]:
    answer = api.client.get("/register.json")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def _listed(document: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in document["providers"] if p["name"] == name), None)


class TestTheJsonRegister:
    def test_an_accredited_provider_is_listed_with_its_dataset_attribute_by_attribute(
        self, api: Api
    ) -> None:
        made = _provider(
            api,
            attributes={"student.given_name": True, "student.year_group": False},
            purpose="homework_support",
        )
        listed = _listed(_document(api), made["name"])
        assert listed is not None
        (app,) = listed["apps"]
        dataset = app["dataset"]
        assert (dataset["version"], dataset["lawful_basis"], dataset["retention"]) == (
            1,
            "consent",
            "P1Y",
        )
        assert dataset["purpose"]["code"] == "homework_support"
        assert dataset["entity_types"] == ["students"]
        assert [(a["id"], a["required"], a["description_en"]) for a in dataset["attributes"]] == [
            ("student.given_name", True, "Given (call) name"),
            ("student.year_group", False, "Year group"),
        ]

    def test_the_document_validates_against_its_published_schema(self, api: Api) -> None:
        _provider(api)
        document = _document(api)
        assert document["schema"] == "koppelvlak-register/1"
        errors = [e.message for e in VALIDATOR.iter_errors(document)]
        assert errors == []

    def test_the_schema_rejects_a_document_with_an_unknown_field(self) -> None:
        document = {"schema": "koppelvlak-register/1", "generated_at": "x", "providers": []}
        assert not VALIDATOR.is_valid(
            {**document, "generated_at": "2026-01-05T09:00:00+00:00", "people": []}
        )
        assert not VALIDATOR.is_valid({**document, "schema": "koppelvlak-register/2"})

    def test_a_provider_that_is_not_accredited_is_not_listed(self, api: Api) -> None:
        made = _provider(api)
        with api.runtime.unit_of_work(write=True) as session:
            providers.accredit(
                session,
                made["provider_id"],
                AccreditationState.SUSPENDED,
                actor="operator",
                at=T0,
                reason="audit",
            )
            applied = providers.apply(session, ApplicationFactory(), T0)
            applied_name = applied.name
        document = _document(api)
        assert _listed(document, made["name"]) is None
        assert _listed(document, applied_name) is None

    def test_the_current_version_of_a_dataset_is_shown(self, api: Api) -> None:
        made = _provider(api)
        with api.runtime.unit_of_work(write=True) as session:
            providers.add_dataset_version(
                session,
                made["app_id"],
                spec({"student.given_name": True, "student.family_name": True}),
                actor="provider",
                at=T0,
            )
        listed = _listed(_document(api), made["name"])
        assert listed is not None
        dataset = listed["apps"][0]["dataset"]
        assert dataset["version"] == 2
        assert [a["id"] for a in dataset["attributes"]] == [
            "student.family_name",
            "student.given_name",
        ]

    def test_nothing_about_a_schools_people_or_the_school_is_in_it(self, api: Api) -> None:
        made = _provider(api)
        body = api.client.get("/register.json").text
        page = api.client.get("/register").text
        for value in (made["family_name"], made["school"], made["board"]):
            assert value not in body
            assert value not in page

    def test_no_login_is_needed_and_it_says_how_long_it_may_be_cached(self, api: Api) -> None:
        answer = api.client.get("/register.json")
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=300"


class TestTheHtmlRegister:
    def test_is_dutch_by_default_and_english_on_request(self, api: Api) -> None:
        made = _provider(api, purpose="homework_support")
        dutch = api.client.get("/register")
        english = api.client.get("/register", params={"lang": "en"})
        assert dutch.status_code == english.status_code == 200
        assert '<html lang="nl">' in dutch.text
        assert "Openbaar register van koppelpartners" in dutch.text
        assert "toestemming" in dutch.text
        assert "1 jaar" in dutch.text
        assert '<html lang="en">' in english.text
        assert "Public register of connected providers" in english.text
        assert "1 year" in english.text
        assert made["name"] in dutch.text
        assert made["name"] in english.text

    def test_a_provider_named_like_a_script_renders_as_text(self, api: Api) -> None:
        _provider(api, name="<script>alert('x')</script> B.V.")
        page = api.client.get("/register").text
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; B.V." in page
        assert _listed(_document(api), "<script>alert('x')</script> B.V.") is not None

    def test_the_page_loads_nothing_from_elsewhere_and_runs_no_script(self, api: Api) -> None:
        answer = api.client.get("/register")
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert re.search(r"<(script|link)\b", answer.text) is None
        assert "http://" not in answer.text.replace("https://example.nl/privacy", "")

    def test_an_unknown_language_is_a_clear_error(self, api: Api) -> None:
        answer = api.client.get("/register", params={"lang": "fr"})
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["location"] == "query.lang"


class TestTheDocumentedSchema:
    def test_the_docs_print_exactly_the_schema_the_package_ships(self) -> None:
        text = DOCS.read_text(encoding="utf-8")
        block = re.search(r"<!-- schema -->\n```json\n(.*?)\n```", text, re.DOTALL)
        assert block is not None, "docs/provider/public-register.md lost its schema block"
        assert json.loads(block.group(1)) == public.json_schema()

    def test_the_docs_example_is_a_valid_document(self) -> None:
        text = DOCS.read_text(encoding="utf-8")
        example = re.search(r"## Example.*?```json\n(.*?)\n```", text, re.DOTALL)
        assert example is not None
        assert [e.message for e in VALIDATOR.iter_errors(json.loads(example.group(1)))] == []


class TestDuration:
    def test_reads_iso_durations_in_words(self) -> None:
        from koppelvlak.web.register import duration

        assert duration("P1Y", "nl") == "1 jaar"
        assert duration("P2Y6M", "en") == "2 years and 6 months"
        assert duration("P1Y2M3D", "nl") == "1 jaar, 2 maanden en 3 dagen"
        assert duration("odd", "en") == "odd"
