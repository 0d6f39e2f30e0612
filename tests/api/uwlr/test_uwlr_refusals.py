"""UWLR end to end, refusals: wrong keys, other schools, revoked connections, hostile XML.

Every refusal is a SOAP fault that names no student and leaves the ledger and results as they were.
"""

from __future__ import annotations

import httpx
import pytest

from tests.api.uwlr.conftest import KEY, REVOKED_KEY, Deployment
from tests.api.uwlr.soap_calls import assert_fault, haal, ledger_entries, raw_request
from tests.support.uwlr import fault_string


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

    @pytest.mark.parametrize(
        "hidden", ["after 70,000 spaces", "in UTF-32", "in UTF-32 without a byte-order mark"]
    )
    def test_a_doctype_is_refused_wherever_it_stands_and_in_any_encoding(
        self, deployment: Deployment, hidden: str
    ) -> None:
        doctype = '<!DOCTYPE x [<!ENTITY k "99XX">]>'
        request = raw_request(deployment).decode()
        data = {
            "after 70,000 spaces": (
                '<?xml version="1.0"?>' + " " * 70_000 + doctype + request
            ).encode(),
            "in UTF-32": (doctype + request).encode("utf-32"),
            "in UTF-32 without a byte-order mark": (doctype + request).encode("utf-32-be"),
        }[hidden]
        message = self._unchanged(deployment, data, "Client.OngeldigBericht")
        assert message == "a DOCTYPE or entity declaration is not allowed in this document"

    def test_a_utf32_request_is_refused(self, deployment: Deployment) -> None:
        data = raw_request(deployment).decode().encode("utf-32-be")
        message = self._unchanged(deployment, data, "Client.OngeldigBericht")
        assert message == (
            "the request is encoded in UTF-32BE; a SOAP message must be UTF-8 or UTF-16 "
            "(WS-I Basic Profile R1012)"
        )

    def test_the_uwlr_1_0_namespace_is_refused(self, deployment: Deployment) -> None:
        data = raw_request(deployment).replace(b"/2/leerlinggegevens", b"/1/leerlinggegevens")
        self._unchanged(deployment, data, "Client.OngeldigBericht")

    def test_a_missing_header_is_autorisatieongeldig(self, deployment: Deployment) -> None:
        message = self._unchanged(
            deployment, raw_request(deployment, header=""), "Client.AutorisatieOngeldig"
        )
        assert message == "the autorisatie header is missing from the SOAP Header"

    def test_an_unknown_mandatory_header_is_a_mustunderstand_fault(
        self, deployment: Deployment
    ) -> None:
        header = (
            f"<au:autorisatie><au:autorisatiesleutel>{KEY}</au:autorisatiesleutel>"
            "<au:klantcode>DEMO-EA</au:klantcode><au:klantnaam>Demo</au:klantnaam>"
            '</au:autorisatie><t:trace xmlns:t="urn:example:trace" SOAP-ENV:mustUnderstand="1"/>'
        )
        message = self._unchanged(
            deployment, raw_request(deployment, header=header), "MustUnderstand"
        )
        assert message == (
            "the SOAP header trace (namespace urn:example:trace) must be understood and is not; "
            "Koppelvlak understands only the UWLR autorisatie header"
        )

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
