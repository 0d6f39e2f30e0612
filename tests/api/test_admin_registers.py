"""The registers through the admin API: generated from the board's connections and the schema."""

from __future__ import annotations

import csv
import io
from typing import Any

import koppelvlak.all_models  # noqa: F401  # the whole schema, to compare with the register
from koppelvlak.connections.admin_tokens import create_token
from koppelvlak.connections.models import AdminRole
from koppelvlak.db import Base
from tests.api.conftest import Api
from tests.factories.providers import T0, Setup, connected

PROCESSING = "/admin/api/v1/register/processing"
STORAGE = "/admin/api/v1/register/storage"


def _setup(api: Api, *, activate: bool = True, name: str | None = None) -> tuple[Setup, str]:
    with api.runtime.unit_of_work() as session:
        setup = connected(session, activate=activate)
        if name is not None:
            setup.provider.name = name
        token = create_token(session, setup.board.id, AdminRole.VIEWER, label="v", at=T0).token
    return setup, token


def _get(api: Api, url: str, token: str, form: str = "json") -> Any:
    response = api.client.get(
        url, params={"format": form}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.json() if form == "json" else response.text


def _activity(register: dict[str, Any], purpose: str) -> dict[str, Any]:
    return next(a for a in register["activities"] if a["purpose"] == purpose)


class TestTheProcessingRegister:
    def test_an_active_connection_makes_its_provider_a_recipient_of_its_purpose(
        self, api: Api
    ) -> None:
        setup, token = _setup(api)
        register = _get(api, PROCESSING, token)
        activity = _activity(register, setup.version.purpose_code)
        assert register["board"] == setup.board.code
        assert register["controller"] == setup.board.name
        assert [r["provider"] for r in activity["recipients"]] == [setup.provider.name]
        assert activity["recipients"][0]["state"] == "active"
        assert activity["attributes"] == sorted(setup.version.attributes)
        assert activity["lawful_bases"] == [setup.version.lawful_basis.value]
        assert activity["retention"] == [setup.version.retention]
        assert "students" in activity["people"]

    def test_a_purpose_no_connection_uses_has_no_recipients(self, api: Api) -> None:
        setup, token = _setup(api)
        register = _get(api, PROCESSING, token)
        unused = [a for a in register["activities"] if a["purpose"] != setup.version.purpose_code]
        assert unused
        assert all(a["recipients"] == [] and a["attributes"] == [] for a in unused)

    def test_a_requested_connection_is_not_yet_a_recipient(self, api: Api) -> None:
        setup, token = _setup(api, activate=False)
        activity = _activity(_get(api, PROCESSING, token), setup.version.purpose_code)
        assert activity["recipients"] == []

    def test_another_boards_connections_are_not_in_it(self, api: Api) -> None:
        mine, token = _setup(api)
        other, _ = _setup(api, name="Someone Else BV")
        register = _get(api, PROCESSING, token)
        names = {r["provider"] for a in register["activities"] for r in a["recipients"]}
        assert names == {mine.provider.name}
        assert other.provider.name not in names

    def test_the_csv_reads_back_one_row_per_purpose(self, api: Api) -> None:
        setup, token = _setup(api)
        rows = list(csv.DictReader(io.StringIO(_get(api, PROCESSING, token, "csv"))))
        purposes = [r["purpose"] for r in rows]
        assert setup.version.purpose_code in purposes
        mine = next(r for r in rows if r["purpose"] == setup.version.purpose_code)
        assert setup.provider.name in mine["recipients"]

    def test_the_html_escapes_a_provider_name(self, api: Api) -> None:
        _, token = _setup(api, name="<script>alert(1)</script> BV")
        page = _get(api, PROCESSING, token, "html")
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; BV" in page

    def test_an_unknown_format_is_refused(self, api: Api) -> None:
        _, token = _setup(api)
        response = api.client.get(
            PROCESSING, params={"format": "xml"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 422

    def test_without_a_token_there_is_no_register(self, api: Api) -> None:
        assert api.client.get(PROCESSING).status_code == 401


class TestTheStorageRegister:
    def test_every_column_labelled_as_personal_data_is_listed_under_its_label(
        self, api: Api
    ) -> None:
        _, token = _setup(api)
        register = _get(api, STORAGE, token)
        listed = {
            (t["table"], label, column)
            for t in register["tables"]
            for label, columns in t["columns"].items()
            for column in columns
        }
        expected = {
            (table.name, column.info["pd"], column.name)
            for table in Base.metadata.sorted_tables
            for column in table.columns
            if column.info.get("pd") != "none"
        }
        assert listed == expected
        assert "name" in register["labels"]

    def test_each_table_says_why_it_exists(self, api: Api) -> None:
        _, token = _setup(api)
        student = next(t for t in _get(api, STORAGE, token)["tables"] if t["table"] == "student")
        assert student["why"].startswith("A student")

    def test_the_csv_has_a_column_per_label(self, api: Api) -> None:
        _, token = _setup(api)
        labels = _get(api, STORAGE, token)["labels"]
        reader = csv.reader(io.StringIO(_get(api, STORAGE, token, "csv")))
        assert next(reader) == ["table", "why", *labels]
