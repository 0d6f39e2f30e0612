"""UWLR end to end, fetching: zeep with the official WSDL sends, lxml with the official XSD judges.

What a provider gets (and what clients send in practice), the WSDL we serve, and failing closed
when the ledger cannot record the answer.
"""

from __future__ import annotations

import httpx
import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.roster.models import Staff, Student
from tests.api.uwlr.conftest import Deployment
from tests.api.uwlr.soap_calls import (
    assert_fault,
    haal,
    ledger_entries,
    raw_request,
    soap_header,
    student_keys,
)
from tests.support.uwlr import NS, UWLR_DIR, assert_valid_answer, soap_payload

RANGE = "Koppelvlak holds dates from 0001-01-01 to 9999-12-31 (in UTC)"


class TestFetchingTheRelease:
    def test_a_demo_provider_gets_a_valid_smalle_set_answer(self, deployment: Deployment) -> None:
        response = haal(deployment)
        assert response.status_code == 200
        antwoord = assert_valid_answer(response.content, profile="smalle_set")
        leerlingen = antwoord.findall(".//lg:leerling", NS)
        assert leerlingen
        assert antwoord.find(".//lg:groepen/lg:groep/lg:jaargroep", NS) is not None
        assert antwoord.find(".//lg:leerling/lg:geboortedatum", NS) is None  # not in the dataset

    def test_students_are_keyed_by_pseudonym_never_by_the_las_key(
        self, deployment: Deployment
    ) -> None:
        keys = set(student_keys(haal(deployment)))
        with Session(deployment.engine) as session:
            las_keys = set(session.scalars(select(Student.source_key)))
            staff_keys = set(session.scalars(select(Staff.source_key)))
        assert keys
        assert not keys & (las_keys | staff_keys)

    def test_the_answer_is_in_the_ledger_with_everyone_it_names(
        self, deployment: Deployment
    ) -> None:
        before = ledger_entries(deployment)
        response = haal(deployment)
        assert ledger_entries(deployment) == before + 1
        with Session(deployment.engine) as session:
            last = audit.disclosures_for_provider(
                session, deployment.board_id, deployment.provider_id
            )[-1]
        named = soap_payload(response.content).xpath(
            ".//lg:leerling/@key | .//lg:leerkracht/@key", namespaces=NS
        )
        assert last.channel == "uwlr"
        assert last.endpoint == "HaalLeerlinggegevens"
        assert len(last.person_ids) == len(named)

    def test_a_2_3_request_is_answered_in_the_2_2_form(self, deployment: Deployment) -> None:
        response = haal(deployment, xsdversie="2.3")
        antwoord = assert_valid_answer(response.content, profile="smalle_set")
        assert antwoord.findtext(".//lg:school/lg:xsdversie", namespaces=NS) == "2.2"

    def test_another_school_year_is_geengegevens(self, deployment: Deployment) -> None:
        antwoord = assert_valid_answer(haal(deployment, schooljaar="2019-2020").content)
        assert antwoord.find("lg:geengegevens", NS) is not None

    @pytest.mark.parametrize(
        ("moment", "reason"),
        [
            ("2025-01-15T24:00:00", "24:00:00 is not accepted; send 00:00:00 of the next day"),
            ("10000-01-01T00:00:00", "the year is outside 1-9999; " + RANGE),
            ("0001-01-01T00:00:00+14:00", "in UTC it falls outside the range; " + RANGE),
        ],
    )
    def test_a_schema_valid_moment_python_cannot_hold_is_a_client_fault(
        self, deployment: Deployment, moment: str, reason: str
    ) -> None:
        body = (
            f"<le:schooljaar>{deployment.school_year}</le:schooljaar>"
            "<le:brincode>99XX</le:brincode><le:xsdversie>2.2</le:xsdversie>"
            f"<le:laatstontvangengegevens>{moment}</le:laatstontvangengegevens>"
        )
        before = ledger_entries(deployment)
        response = httpx.post(
            deployment.base + "/uwlr/v2/leerlinggegevens", content=raw_request(deployment, body)
        )
        assert_fault(
            response,
            "Client.OngeldigBericht",
            f"laatstontvangengegevens {moment} cannot be used: {reason}",
        )
        assert ledger_entries(deployment) == before

    def test_nothing_changed_since_the_last_fetch_is_geenwijzigingen(
        self, deployment: Deployment
    ) -> None:
        response = haal(deployment, laatstontvangengegevens="2099-01-01T00:00:00Z")
        antwoord = assert_valid_answer(response.content)
        assert antwoord.find("lg:geenwijzigingen", NS) is not None


class TestWhatClientsSendInPractice:
    @pytest.mark.parametrize(
        "action", ["HaalLeerlinggegevens", '"HaalLeerlinggegevens"', "", "leer:whatever"]
    )
    def test_any_soapaction_is_accepted(self, deployment: Deployment, action: str) -> None:
        response = httpx.post(
            deployment.base + "/uwlr/v2/leerlinggegevens",
            content=raw_request(deployment),
            headers={"content-type": "text/xml; charset=utf-8", "SOAPAction": action},
        )
        assert response.status_code == 200
        assert_valid_answer(response.content, profile="smalle_set")

    def test_sloppy_requests_real_las_servers_accept_are_answered(
        self, deployment: Deployment
    ) -> None:
        body = (
            "<le:schooljaar></le:schooljaar><le:brincode>99XX</le:brincode>"
            "<le:xsdversie>2.2</le:xsdversie><le:dependancecode>00</le:dependancecode>"
            "<le:schoolkey>99XX</le:schoolkey>"
        )
        response = httpx.post(
            deployment.base + "/uwlr/v2/leerlinggegevens", content=raw_request(deployment, body)
        )
        assert response.status_code == 200
        assert student_keys(response)


class TestWsdl:
    def test_a_forged_host_header_does_not_reach_the_soap_address(
        self, deployment: Deployment
    ) -> None:
        response = httpx.get(
            deployment.base + "/uwlr/v2/leerlinggegevens?wsdl", headers={"Host": "evil.example"}
        )
        assert response.status_code == 200
        assert b"evil.example" not in response.content
        addresses = etree.fromstring(response.content).xpath(
            "//soap:address/@location", namespaces={"soap": "http://schemas.xmlsoap.org/wsdl/soap/"}
        )
        assert set(addresses) == {deployment.base + "/uwlr/v2/leerlinggegevens"}

    def test_the_official_wsdl_is_served_with_our_address(self, deployment: Deployment) -> None:
        response = httpx.get(deployment.base + "/uwlr/v2/leerlinggegevens?wsdl")
        assert response.status_code == 200
        wsdl = etree.fromstring(response.content)
        addresses = wsdl.xpath(
            "//soap:address/@location", namespaces={"soap": "http://schemas.xmlsoap.org/wsdl/soap/"}
        )
        assert set(addresses) == {deployment.base + "/uwlr/v2/leerlinggegevens"}
        imports = wsdl.xpath(
            "//xs:import/@schemaLocation", namespaces={"xs": "http://www.w3.org/2001/XMLSchema"}
        )
        for location in imports:
            schema = httpx.get(str(location))
            assert schema.status_code == 200
            assert (
                schema.content
                == (UWLR_DIR / "Schemas" / str(location).rsplit("/", 1)[1]).read_bytes()
            )

    def test_a_client_generated_from_our_wsdl_reaches_us_unchanged(
        self, deployment: Deployment
    ) -> None:
        from zeep import Client

        client = Client(deployment.base + "/uwlr/v2/leerlinggegevens?wsdl")  # loopback only
        with client.settings(raw_response=True):
            response = client.service.HaalLeerlinggegevens(
                schooljaar=deployment.school_year,
                brincode="99XX",
                dependancecode="00",
                xsdversie="2.2",
                _soapheaders=[soap_header(client)],
            )
        assert response.status_code == 200
        assert_valid_answer(response.content, profile="smalle_set")

    def test_the_results_wsdl_names_the_results_endpoint(self, deployment: Deployment) -> None:
        response = httpx.get(deployment.base + "/uwlr/v2/leerresultaten?WSDL")
        assert (deployment.base + "/uwlr/v2/leerresultaten").encode() in response.content

    def test_a_path_outside_the_schemas_is_not_served(self, deployment: Deployment) -> None:
        response = httpx.get(deployment.base + "/uwlr/v2/schemas/..%2F..%2FNOTES.md")
        assert response.status_code == 404

    def test_a_schema_name_longer_than_the_file_system_allows_is_not_found(
        self, deployment: Deployment
    ) -> None:
        response = httpx.get(deployment.base + "/uwlr/v2/schemas/" + "a" * 300 + ".xsd")
        assert (response.status_code, response.text) == (404, "no such schema\n")


class TestLedgerDown:
    """Fail closed: when the ledger cannot be written, the answer is a fault and no data."""

    def test_no_data_leaves_when_the_ledger_refuses_the_entry(self, deployment: Deployment) -> None:
        sqlite = deployment.engine.dialect.name == "sqlite"
        with deployment.engine.begin() as connection:
            if sqlite:
                connection.exec_driver_sql(
                    "CREATE TRIGGER ledger_down BEFORE INSERT ON audit_entry "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            else:
                connection.exec_driver_sql(
                    "CREATE FUNCTION ledger_down() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
                )
                connection.exec_driver_sql(
                    "CREATE TRIGGER ledger_down BEFORE INSERT ON audit_entry "
                    "FOR EACH ROW EXECUTE FUNCTION ledger_down()"
                )
        try:
            before = ledger_entries(deployment)
            response = haal(deployment)
            assert_fault(response, "Server.TijdelijkNietBeschikbaar")
            assert ledger_entries(deployment) == before
        finally:
            with deployment.engine.begin() as connection:
                if sqlite:
                    connection.exec_driver_sql("DROP TRIGGER ledger_down")
                else:
                    connection.exec_driver_sql("DROP TRIGGER ledger_down ON audit_entry")
                    connection.exec_driver_sql("DROP FUNCTION ledger_down()")
        assert haal(deployment).status_code == 200
