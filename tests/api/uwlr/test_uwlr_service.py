"""UWLR end to end: zeep with the *official* WSDL sends, lxml with the official XSD judges.

zeep never parses an answer (NOTES §15.6): every call uses ``raw_response=True`` and the bytes
go to ``tests.support.uwlr``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from koppelvlak.audit import service as audit
from koppelvlak.results.service import list_results, read_csv
from koppelvlak.roster.models import Staff, Student
from tests.api.uwlr.conftest import KEY, REVOKED_KEY, Deployment
from tests.support.server import koppelvlak_env, run_cli
from tests.support.uwlr import (
    AUT_NS,
    LG_NS,
    LR_NS,
    NS,
    UWLR_DIR,
    assert_valid,
    assert_valid_answer,
    fault_code,
    fault_string,
    soap_payload,
    uwlr_schema,
    zeep_clients,
)

LG_CLIENT, LR_CLIENT = zeep_clients()


def _header(client: Any, key: str = KEY, klantcode: str = "DEMO-EA") -> Any:
    element = client.get_element(f"{{{AUT_NS}}}autorisatie")
    return element(autorisatiesleutel=key, klantcode=klantcode, klantnaam="Demo provider")


def haal(deployment: Deployment, **overrides: Any) -> httpx.Response:
    """HaalLeerlinggegevens through zeep (official WSDL), answer left unparsed."""
    key = overrides.pop("key", KEY)
    klantcode = overrides.pop("klantcode", "DEMO-EA")
    fields = {
        "schooljaar": deployment.school_year,
        "brincode": "99XX",
        "dependancecode": "00",
        "xsdversie": "2.2",
    }
    fields.update(overrides)
    service = LG_CLIENT.create_service(
        f"{{{LG_NS}}}bndLeerlinggegevens", f"{deployment.base}/uwlr/v2/leerlinggegevens"
    )
    with LG_CLIENT.settings(raw_response=True):
        response: httpx.Response = service.HaalLeerlinggegevens(
            **fields, _soapheaders=[_header(LG_CLIENT, key, klantcode)]
        )
    return response


def breng(
    deployment: Deployment,
    results: list[tuple[str, str, int]],
    *,
    key: str = KEY,
    klantcode: str = "DEMO-EA",
) -> httpx.Response:
    """BrengLeerresultaten through zeep (official WSDL), answer left unparsed."""
    sittings: dict[str, list[dict[str, Any]]] = {}
    for student, result_key, score in results:
        sittings.setdefault(student, []).append(
            {"key": result_key, "afnamedatum": "2026-11-20", "toetscode": "REK-M5", "score": score}
        )
    service = LR_CLIENT.create_service(
        f"{{{LR_NS}}}bndLeerresultaten", f"{deployment.base}/uwlr/v2/leerresultaten"
    )
    with LR_CLIENT.settings(raw_response=True):
        response: httpx.Response = service.BrengLeerresultaten(
            school={
                "schooljaar": deployment.school_year,
                "brincode": "99XX",
                "dependancecode": "00",
                "aanmaakdatum": "2026-11-20T10:00:00",
                "xsdversie": "2.2",
            },
            toetsafnames={
                "toetsafname": [
                    {"leerlingid": student, "resultaten": {"resultaat": rows}}
                    for student, rows in sittings.items()
                ]
            },
            toetsen={"toets": [{"toetscode": {"_value_1": "REK-M5"}, "toetsnaam": "Rekenen M5"}]},
            _soapheaders=[_header(LR_CLIENT, key, klantcode)],
        )
    return response


def student_keys(response: httpx.Response) -> list[str]:
    return [
        str(k) for k in soap_payload(response.content).xpath(".//lg:leerling/@key", namespaces=NS)
    ]


def assert_fault(response: httpx.Response, code: str, message: str | None = None) -> None:
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/xml")
    assert fault_code(response.content) == code
    assert b"<leerling" not in response.content
    if message is not None:
        assert fault_string(response.content) == message


def ledger_entries(deployment: Deployment) -> int:
    return deployment.count("audit_entry")


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


def raw_request(
    deployment: Deployment, verzoek: str | None = None, *, header: str | None = None
) -> bytes:
    """SOAP-ENV/au/le prefixes, as the ESIS-style PowerShell clients send."""
    if verzoek is None:
        verzoek = (
            f"<le:schooljaar>{deployment.school_year}</le:schooljaar>"
            "<le:brincode>99XX</le:brincode><le:dependancecode>00</le:dependancecode>"
            "<le:xsdversie>2.2</le:xsdversie>"
        )
    if header is None:
        header = (
            f"<au:autorisatie><au:autorisatiesleutel>{KEY}</au:autorisatiesleutel>"
            "<au:klantcode>DEMO-EA</au:klantcode><au:klantnaam>Demo</au:klantnaam>"
            "</au:autorisatie>"
        )
    return (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:au="{AUT_NS}" xmlns:le="{LG_NS}"><SOAP-ENV:Header>{header}</SOAP-ENV:Header>'
        f"<SOAP-ENV:Body><le:leerlinggegevens_verzoek>{verzoek}</le:leerlinggegevens_verzoek>"
        "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()


class TestRefusals:
    def test_a_wrong_key_gets_autorisatieongeldig_and_no_data(self, deployment: Deployment) -> None:
        before = ledger_entries(deployment)
        assert_fault(
            haal(deployment, key="wrong"),
            "Client.AutorisatieOngeldig",
            "the autorisatiesleutel is not valid for klantcode DEMO-EA",
        )
        assert ledger_entries(deployment) == before

    def test_another_school_gets_autorisatieongeldig(self, deployment: Deployment) -> None:
        assert_fault(
            haal(deployment, brincode="99YY"),
            "Client.AutorisatieOngeldig",
            "the autorisatiesleutel gives no access to school 99YY-00",
        )

    def test_a_revoked_connection_gets_autorisatieongeldig(self, deployment: Deployment) -> None:
        before = ledger_entries(deployment)
        assert_fault(
            haal(deployment, key=REVOKED_KEY, klantcode="OLD-EA"),
            "Client.AutorisatieOngeldig",
            "the connection with school 99XX-00 is not active (revoked); no data is sent",
        )
        assert ledger_entries(deployment) == before

    def test_an_unsupported_schema_version_gets_xsdversieongeldig(
        self, deployment: Deployment
    ) -> None:
        assert_fault(haal(deployment, xsdversie="9.9"), "Client.XsdVersieOngeldig")


HOSTILE = {
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>'
    ),
    "external entity": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    "not xml": b"HaalLeerlinggegevens please",
}


class TestHostileInput:
    def _send(self, deployment: Deployment, data: bytes) -> httpx.Response:
        return httpx.post(
            deployment.base + "/uwlr/v2/leerlinggegevens",
            content=data,
            headers={"content-type": "text/xml"},
            timeout=30,
        )

    def _unchanged(self, deployment: Deployment, data: bytes, code: str) -> str:
        before = (ledger_entries(deployment), deployment.count("result_score"))
        response = self._send(deployment, data)
        assert_fault(response, code)
        assert (ledger_entries(deployment), deployment.count("result_score")) == before
        return fault_string(response.content)

    @pytest.mark.parametrize("name", sorted(HOSTILE))
    def test_hostile_documents_get_a_fault(self, deployment: Deployment, name: str) -> None:
        self._unchanged(deployment, HOSTILE[name], "Client.OngeldigBericht")

    def test_an_entity_inside_a_real_request_is_refused(self, deployment: Deployment) -> None:
        data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY k "99XX">]>' + raw_request(deployment)
        message = self._unchanged(deployment, data, "Client.OngeldigBericht")
        assert message == "a DOCTYPE or entity declaration is not allowed in this document"

    def test_the_uwlr_1_0_namespace_is_refused(self, deployment: Deployment) -> None:
        data = raw_request(deployment).replace(b"/2/leerlinggegevens", b"/1/leerlinggegevens")
        self._unchanged(deployment, data, "Client.OngeldigBericht")

    def test_a_missing_header_is_autorisatieongeldig(self, deployment: Deployment) -> None:
        message = self._unchanged(
            deployment, raw_request(deployment, header=""), "Client.AutorisatieOngeldig"
        )
        assert message == "the autorisatie header is missing from the SOAP Header"

    def test_a_header_without_klantcode_is_autorisatieongeldig(
        self, deployment: Deployment
    ) -> None:
        header = (
            f"<au:autorisatie><au:autorisatiesleutel>{KEY}</au:autorisatiesleutel>"
            "<au:klantnaam>Demo</au:klantnaam></au:autorisatie>"
        )
        data = raw_request(deployment, header=header)
        assert self._unchanged(deployment, data, "Client.AutorisatieOngeldig") == (
            "the autorisatie header lacks klantcode"
        )

    def test_an_oversized_body_is_refused(self, deployment: Deployment) -> None:
        data = raw_request(deployment).replace(
            b"</SOAP-ENV:Body>", b" " * 6_000_000 + b"</SOAP-ENV:Body>"
        )
        message = self._unchanged(deployment, data, "Client.OngeldigBericht")
        assert message == "the request is larger than 5000000 bytes; refused"

    def test_a_soap_1_2_envelope_is_a_version_mismatch(self, deployment: Deployment) -> None:
        data = raw_request(deployment).replace(
            b"http://schemas.xmlsoap.org/soap/envelope/", b"http://www.w3.org/2003/05/soap-envelope"
        )
        self._unchanged(deployment, data, "VersionMismatch")

    def test_brincode_and_a_different_schoolkey_are_refused(self, deployment: Deployment) -> None:
        body = (
            f"<le:schooljaar>{deployment.school_year}</le:schooljaar><le:brincode>99XX</le:brincode>"
            "<le:schoolkey>99YY</le:schoolkey><le:xsdversie>2.2</le:xsdversie>"
        )
        message = self._unchanged(
            deployment, raw_request(deployment, body), "Client.OngeldigBericht"
        )
        assert message == "brincode 99XX-00 and schoolkey 99YY name different schools"


class TestWsdl:
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
                _soapheaders=[_header(client)],
            )
        assert response.status_code == 200
        assert_valid_answer(response.content, profile="smalle_set")

    def test_the_results_wsdl_names_the_results_endpoint(self, deployment: Deployment) -> None:
        response = httpx.get(deployment.base + "/uwlr/v2/leerresultaten?WSDL")
        assert (deployment.base + "/uwlr/v2/leerresultaten").encode() in response.content

    def test_a_path_outside_the_schemas_is_not_served(self, deployment: Deployment) -> None:
        response = httpx.get(deployment.base + "/uwlr/v2/schemas/..%2F..%2FNOTES.md")
        assert response.status_code == 404


class TestTheDemoFinalTestProvider:
    """Toetsbureau Doorstroom from `koppelvlak demo`: Smalle set, group 8, LAS keys released."""

    def test_it_fetches_its_release_and_sends_results_back(self, deployment: Deployment) -> None:
        demo = deployment.demo_providers["Doorstroomtoets"]["uwlr"]
        credentials = {"key": demo["autorisatiesleutel"], "klantcode": demo["klantcode"]}
        response = haal(deployment, **credentials)
        antwoord = assert_valid_answer(response.content, profile="smalle_set")
        years = {y.text for y in antwoord.iterfind(".//lg:leerling/lg:jaargroep", NS)}
        assert years == {"8"}
        assert antwoord.find(".//lg:leerling[@eckid]", NS) is not None
        keys = student_keys(response)
        with Session(deployment.engine) as session:
            assert set(keys) <= set(session.scalars(select(Student.source_key)))
        pushed = breng(deployment, [(keys[0], "DOORSTROOM-1", 88)], **credentials)
        assert pushed.status_code == 200, pushed.content
        with Session(deployment.engine) as session:
            rows = list_results(session, "99XX")
        assert ("DOORSTROOM-1", keys[0], 88) in {
            (r.result_key, r.student_key, r.score) for r in rows
        }


class TestResultsWriteBack:
    def test_results_sent_back_appear_for_the_school_and_round_trip_through_the_export(
        self, deployment: Deployment, tmp_path: Any
    ) -> None:
        keys = student_keys(haal(deployment))[:2]
        response = breng(deployment, [(keys[0], "E2E-1", 41), (keys[1], "E2E-2", 37)])
        assert response.status_code == 200, response.content
        assert soap_payload(response.content).tag == f"{{{LR_NS}}}leerresultaten_bevestiging"
        env = koppelvlak_env(
            str(deployment.engine.url.render_as_string(hide_password=False)), tmp_path
        )
        listed = run_cli("results", "list", "--brin", "99XX", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        rows = {r["result_key"]: r for r in json.loads(listed.stdout)}
        assert (rows["E2E-1"]["score"], rows["E2E-2"]["score"]) == (41, 37)
        with Session(deployment.engine) as session:
            las_keys = set(session.scalars(select(Student.source_key)))
        assert {rows["E2E-1"]["student_key"], rows["E2E-2"]["student_key"]} <= las_keys
        exported = run_cli("results", "export", "--brin", "99XX", "--format", "uwlr", env=env)
        assert exported.returncode == 0, exported.stderr
        document = etree.fromstring(exported.stdout.encode())
        assert_valid(document, uwlr_schema("UWLR_Leerresultaten_v2p2.xsd"))
        scores = {
            r.get("key"): (
                r.getparent().getparent().findtext("lr:leerlingid", namespaces=NS),
                r.findtext("lr:score", namespaces=NS),
            )  # type: ignore[union-attr]
            for r in document.iterfind(".//lr:resultaat", NS)
        }
        assert scores["E2E-1"] == (rows["E2E-1"]["student_key"], "41")
        assert scores["E2E-2"] == (rows["E2E-2"]["student_key"], "37")
        as_csv = run_cli("results", "export", "--brin", "99XX", "--format", "csv", env=env)
        assert as_csv.returncode == 0, as_csv.stderr
        csv_rows = {r["result_key"]: r for r in read_csv(as_csv.stdout)}
        assert (csv_rows["E2E-1"]["student_key"], csv_rows["E2E-1"]["score"]) == (
            rows["E2E-1"]["student_key"],
            "41",
        )

    def test_a_result_for_a_student_the_provider_cannot_see_is_leerlingongeldig(
        self, deployment: Deployment
    ) -> None:
        before = deployment.count("result_score")
        response = breng(deployment, [("not-a-pseudonym", "E2E-X", 1)])
        assert_fault(
            response,
            "Client.LeerlingOngeldig",
            "leerlingid not-a-pseudonym is not a student this connection may see (toetsafname 1)",
        )
        assert deployment.count("result_score") == before

    def test_a_score_that_is_not_a_number_is_scoreongeldig(self, deployment: Deployment) -> None:
        keys = student_keys(haal(deployment))[:1]
        body = breng_raw(deployment, keys[0]).replace(
            b"<lr:score>5</lr:score>", b"<lr:score>X</lr:score>"
        )
        before = deployment.count("result_score")
        response = httpx.post(deployment.base + "/uwlr/v2/leerresultaten", content=body)
        assert_fault(response, "Client.ScoreOngeldig")
        assert deployment.count("result_score") == before


def breng_raw(deployment: Deployment, student: str) -> bytes:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:a="{AUT_NS}" xmlns:lr="{LR_NS}"><s:Header><a:autorisatie>'
        f"<a:autorisatiesleutel>{KEY}</a:autorisatiesleutel><a:klantcode>DEMO-EA</a:klantcode>"
        "<a:klantnaam>Demo</a:klantnaam></a:autorisatie></s:Header><s:Body>"
        f"<lr:leerresultaten_verzoek><lr:school><lr:schooljaar>{deployment.school_year}</lr:schooljaar>"
        "<lr:brincode>99XX</lr:brincode><lr:aanmaakdatum>2026-11-20T10:00:00</lr:aanmaakdatum>"
        "<lr:xsdversie>2.2</lr:xsdversie></lr:school><lr:toetsafnames><lr:toetsafname>"
        f'<lr:leerlingid>{student}</lr:leerlingid><lr:resultaten><lr:resultaat key="RAW-1">'
        "<lr:afnamedatum>2026-11-20</lr:afnamedatum><lr:toetscode>REK-M5</lr:toetscode>"
        "<lr:score>5</lr:score></lr:resultaat></lr:resultaten></lr:toetsafname></lr:toetsafnames>"
        "<lr:toetsen><lr:toets><lr:toetscode>REK-M5</lr:toetscode></lr:toets></lr:toetsen>"
        "</lr:leerresultaten_verzoek></s:Body></s:Envelope>"
    ).encode()


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
