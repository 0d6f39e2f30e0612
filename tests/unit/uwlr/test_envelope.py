"""Incoming SOAP: liberal about harmless quirks of real clients, strict about the rest."""

from __future__ import annotations

import pytest

from koppelvlak.api.uwlr.envelope import GroupRef, Operation, parse_request, read_verzoek
from koppelvlak.api.uwlr.faults import FaultCode, UwlrFault
from tests.support.uwlr import FILES, leerresultaten_verzoek

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
LG = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
AUT = "http://www.edustandaard.nl/leerresultaten/2/autorisatie"
LIMIT = 100_000
KEY_88 = "k" * 88


DEFAULT_PREFIXES = ("soapenv", "aut", "leer")


def envelope(
    body: str, *, header: str | None = None, prefixes: tuple[str, str, str] = DEFAULT_PREFIXES
) -> bytes:
    env, aut, leer = prefixes
    if header is None:
        header = (
            f"<{aut}:autorisatie><{aut}:autorisatiesleutel>{KEY_88}</{aut}:autorisatiesleutel>"
            f"<{aut}:klantcode>DEMO-EA</{aut}:klantcode><{aut}:klantnaam>Demo</{aut}:klantnaam>"
            f"</{aut}:autorisatie>"
        )
    return (
        f'<{env}:Envelope xmlns:{env}="{SOAP}" xmlns:{aut}="{AUT}" xmlns:{leer}="{LG}">'
        f"<{env}:Header>{header}</{env}:Header><{env}:Body>{body}</{env}:Body></{env}:Envelope>"
    ).encode()


def verzoek(children: str, prefix: str = "leer") -> str:
    inner = children.replace("<", f"<{prefix}:").replace(f"<{prefix}:/", f"</{prefix}:")
    return f"<{prefix}:leerlinggegevens_verzoek>{inner}</{prefix}:leerlinggegevens_verzoek>"


PLAIN = (
    "<schooljaar>2024-2025</schooljaar><brincode>99XX</brincode>"
    "<dependancecode>00</dependancecode><xsdversie>2.2</xsdversie>"
)


GROEPEN = '<groepen><groep key="G-1"></groep><samengestelde_groep></samengestelde_groep></groepen>'


def fault_of(data: bytes) -> UwlrFault:
    def read() -> None:
        read_verzoek(parse_request(data, max_bytes=LIMIT).payload, FILES)

    with pytest.raises(UwlrFault) as caught:
        read()
    return caught.value


class TestDispatch:
    @pytest.mark.parametrize(
        "prefixes", [("soapenv", "aut", "leer"), ("SOAP-ENV", "au", "le"), ("s", "a", "b")]
    )
    def test_any_prefixes_are_understood(self, prefixes: tuple[str, str, str]) -> None:
        request = parse_request(
            envelope(verzoek(PLAIN, prefixes[2]), prefixes=prefixes), max_bytes=LIMIT
        )
        assert request.operation is Operation.HAAL_LEERLINGGEGEVENS
        assert request.autorisatie is not None
        assert request.autorisatie.klantcode == "DEMO-EA"

    def test_a_default_namespace_payload_is_understood(self) -> None:
        body = f'<leerlinggegevens_verzoek xmlns="{LG}">{PLAIN}</leerlinggegevens_verzoek>'
        request = parse_request(envelope(body), max_bytes=LIMIT)
        assert read_verzoek(request.payload, FILES).brin == "99XX"

    def test_a_results_message_is_dispatched_by_its_root_element(self) -> None:
        body = leerresultaten_verzoek([("p-1", "R1", 1)]).decode()
        assert parse_request(envelope(body), max_bytes=LIMIT).operation is (
            Operation.BRENG_LEERRESULTATEN
        )

    def test_a_long_key_is_accepted_and_hidden_from_repr(self) -> None:
        request = parse_request(envelope(verzoek(PLAIN)), max_bytes=LIMIT)
        assert request.autorisatie is not None
        assert request.autorisatie.key == KEY_88
        assert KEY_88 not in repr(request.autorisatie)


class TestTolerance:
    def test_children_out_of_order_are_put_straight(self) -> None:
        children = (
            "<schooljaar>2024-2025</schooljaar><brincode>99XX</brincode>"
            "<xsdversie>2.2</xsdversie><dependancecode>01</dependancecode>"
        )
        request = parse_request(envelope(verzoek(children)), max_bytes=LIMIT)
        assert read_verzoek(request.payload, FILES).location_code == "01"

    def test_an_empty_school_year_means_the_current_one(self) -> None:
        children = PLAIN.replace("2024-2025", "")
        request = parse_request(envelope(verzoek(children)), max_bytes=LIMIT)
        assert read_verzoek(request.payload, FILES).school_year is None

    def test_brincode_and_schoolkey_together_are_accepted(self) -> None:
        children = PLAIN + "<schoolkey>99XX</schoolkey>"
        request = parse_request(envelope(verzoek(children)), max_bytes=LIMIT)
        read = read_verzoek(request.payload, FILES)
        assert (read.brin, read.schoolkey) == ("99XX", "99XX")

    @pytest.mark.parametrize(
        ("message", "operation"),
        [
            ("structuur_verzoek", Operation.HAAL_STRUCTUUR),
            ("leerlingen_verzoek", Operation.HAAL_LEERLINGEN),
            ("leerkrachten_verzoek", Operation.HAAL_LEERKRACHTEN),
        ],
    )
    def test_stepwise_requests_are_dispatched_by_their_root_element(
        self, message: str, operation: Operation
    ) -> None:
        children = PLAIN if message == "structuur_verzoek" else PLAIN + GROEPEN
        body = verzoek(children).replace("leerlinggegevens_verzoek", message)
        request = parse_request(envelope(body), max_bytes=LIMIT)
        assert request.operation is operation
        read = read_verzoek(request.payload, FILES)
        assert read.groups == (
            ()
            if message == "structuur_verzoek"
            else (GroupRef("groep", "G-1"), GroupRef("samengestelde_groep", None))
        )

    def test_a_stepwise_student_request_without_groepen_fails_the_schema(self) -> None:
        body = verzoek(PLAIN).replace("leerlinggegevens_verzoek", "leerlingen_verzoek")
        fault = fault_of(envelope(body))
        assert fault.code is FaultCode.ONGELDIG_BERICHT
        assert fault.detail.startswith(
            "the message does not follow the UWLR 2.2 schema: Element 'leerlingen_verzoek': "
        )

    def test_groepen_in_an_all_in_one_request_fails_the_schema(self) -> None:
        fault = fault_of(envelope(verzoek(PLAIN + GROEPEN)))
        assert fault.detail.startswith(
            "the message does not follow the UWLR 2.2 schema: Element 'groepen': "
        )

    def test_a_2_3_request_with_a_dataset_id_is_accepted(self) -> None:
        children = PLAIN.replace("2.2", "2.3") + "<gegevenssetid>Smalle-set-VO</gegevenssetid>"
        request = parse_request(envelope(verzoek(children)), max_bytes=LIMIT)
        read = read_verzoek(request.payload, FILES)
        assert (read.xsd_version, read.dataset_id) == ("2.3", "Smalle-set-VO")


class TestRefusal:
    def test_an_unsupported_schema_version_is_xsdversieongeldig(self) -> None:
        fault = fault_of(envelope(verzoek(PLAIN.replace("2.2", "9.9"))))
        assert fault.code is FaultCode.XSD_VERSIE_ONGELDIG
        assert fault.detail == (
            "xsdversie 9.9 is not supported; Koppelvlak accepts 2.1, 2.2, 2.2.1, 2.3 "
            "and answers in the UWLR 2.2 form"
        )

    def test_a_doctype_is_refused(self) -> None:
        data = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        fault = fault_of(data + envelope(verzoek(PLAIN)))
        assert fault.code is FaultCode.ONGELDIG_BERICHT
        assert fault.detail == "a DOCTYPE or entity declaration is not allowed in this document"

    def test_a_doctype_after_70000_spaces_is_refused(self) -> None:
        data = b'<?xml version="1.0"?>' + b" " * 70_000 + b'<!DOCTYPE r [<!ENTITY k "99XX">]>'
        fault = fault_of(data + envelope(verzoek(PLAIN)))
        assert fault.code is FaultCode.ONGELDIG_BERICHT
        assert fault.detail == "a DOCTYPE or entity declaration is not allowed in this document"

    @pytest.mark.parametrize("codec", ["utf-32", "utf-32-be", "utf-32-le"])
    def test_a_doctype_in_utf32_is_refused(self, codec: str) -> None:
        data = ('<!DOCTYPE r [<!ENTITY k "99XX">]>' + envelope(verzoek(PLAIN)).decode()).encode(
            codec
        )
        fault = fault_of(data)
        assert fault.code is FaultCode.ONGELDIG_BERICHT
        assert fault.detail == "a DOCTYPE or entity declaration is not allowed in this document"

    @pytest.mark.parametrize(
        ("codec", "named"), [("utf-32", "UTF-32LE"), ("utf-32-be", "UTF-32BE")]
    )
    def test_a_utf32_request_is_refused(self, codec: str, named: str) -> None:
        fault = fault_of(envelope(verzoek(PLAIN)).decode().encode(codec))
        assert fault.code is FaultCode.ONGELDIG_BERICHT
        assert fault.detail == (
            f"the request is encoded in {named}; a SOAP message must be UTF-8 or UTF-16 "
            "(WS-I Basic Profile R1012)"
        )

    def test_a_utf16_request_is_read(self) -> None:
        data = envelope(verzoek(PLAIN)).decode().encode("utf-16")
        assert read_verzoek(parse_request(data, max_bytes=LIMIT).payload, FILES).brin == "99XX"

    def test_an_oversized_body_is_refused(self) -> None:
        fault = fault_of(envelope(verzoek(PLAIN) + " " * LIMIT))
        assert fault.code is FaultCode.ONGELDIG_BERICHT
        assert fault.detail.startswith("the document is ")

    def test_soap_1_2_is_a_version_mismatch(self) -> None:
        data = envelope(verzoek(PLAIN)).replace(
            SOAP.encode(), b"http://www.w3.org/2003/05/soap-envelope"
        )
        fault = fault_of(data)
        assert fault.code is FaultCode.VERSION_MISMATCH
        assert fault.detail == "UWLR uses SOAP 1.1; a SOAP 1.2 envelope is not accepted"

    def test_the_uwlr_1_0_namespace_is_an_unknown_message(self) -> None:
        data = envelope(verzoek(PLAIN)).replace(b"/2/leerlinggegevens", b"/1/leerlinggegevens")
        fault = fault_of(data)
        assert fault.code is FaultCode.ONGELDIG_BERICHT
        assert fault.detail.startswith(
            "unknown message leerlinggegevens_verzoek in namespace "
            "http://www.edustandaard.nl/leerresultaten/1/leerlinggegevens; expected"
        )

    def test_a_header_without_a_key_is_autorisatieongeldig(self) -> None:
        header = (
            "<aut:autorisatie><aut:klantcode>X</aut:klantcode>"
            "<aut:klantnaam>Y</aut:klantnaam></aut:autorisatie>"
        )
        fault = fault_of(envelope(verzoek(PLAIN), header=header))
        assert fault.code is FaultCode.AUTORISATIE_ONGELDIG
        assert fault.detail == "the autorisatie header lacks autorisatiesleutel"

    def test_an_unknown_child_fails_schema_validation(self) -> None:
        fault = fault_of(envelope(verzoek(PLAIN + "<geheim>x</geheim>")))
        assert fault.code is FaultCode.ONGELDIG_BERICHT
        assert fault.detail.startswith("the message does not follow the UWLR 2.2 schema: ")

    def test_a_bad_brin_fails_schema_validation_with_the_pattern_intact(self) -> None:
        fault = fault_of(envelope(verzoek(PLAIN.replace("99XX", "99xx"))))
        assert fault.detail == (
            "the message does not follow the UWLR 2.2 schema: Element 'brincode': "
            "[facet 'pattern'] The value '99xx' is not accepted by the pattern "
            "'\\p{Nd}{2}\\p{Lu}{2}'."
        )

    def test_two_messages_in_one_body_are_refused(self) -> None:
        fault = fault_of(envelope(verzoek(PLAIN) + verzoek(PLAIN)))
        assert fault.detail == "the SOAP Body must hold exactly one message, not 2"


WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def with_extra_header(entry: str) -> bytes:
    header = (
        "<aut:autorisatie><aut:autorisatiesleutel>k</aut:autorisatiesleutel>"
        "<aut:klantcode>DEMO-EA</aut:klantcode><aut:klantnaam>Demo</aut:klantnaam>"
        f"</aut:autorisatie>{entry}"
    )
    return envelope(verzoek(PLAIN), header=header)


class TestMandatoryHeaders:
    """SOAP 1.1 §4.2.3: a header for us marked mustUnderstand="1" that we do not know."""

    def test_an_unknown_mandatory_header_is_a_mustunderstand_fault(self) -> None:
        entry = f'<wsse:Security xmlns:wsse="{WSSE}" soapenv:mustUnderstand="1"/>'
        with pytest.raises(UwlrFault) as caught:
            parse_request(with_extra_header(entry), max_bytes=LIMIT)
        assert caught.value.code is FaultCode.MUST_UNDERSTAND
        assert caught.value.detail == (
            f"the SOAP header Security (namespace {WSSE}) must be understood and is not; "
            "Koppelvlak understands only the UWLR autorisatie header"
        )

    def test_an_unknown_optional_header_is_ignored(self) -> None:
        entry = (
            f'<wsse:Security xmlns:wsse="{WSSE}" soapenv:mustUnderstand="0"/>'
            '<x:trace xmlns:x="urn:x"/>'
        )
        assert parse_request(with_extra_header(entry), max_bytes=LIMIT).autorisatie is not None

    def test_a_mandatory_header_for_another_actor_is_not_ours_to_understand(self) -> None:
        entry = (
            f'<wsse:Security xmlns:wsse="{WSSE}" soapenv:mustUnderstand="1" '
            'soapenv:actor="urn:some-proxy"/>'
        )
        assert parse_request(with_extra_header(entry), max_bytes=LIMIT).autorisatie is not None

    def test_the_autorisatie_header_may_be_marked_mandatory(self) -> None:
        header = (
            '<aut:autorisatie soapenv:mustUnderstand="1"><aut:autorisatiesleutel>k'
            "</aut:autorisatiesleutel><aut:klantcode>DEMO-EA</aut:klantcode>"
            "<aut:klantnaam>Demo</aut:klantnaam></aut:autorisatie>"
        )
        request = parse_request(envelope(verzoek(PLAIN), header=header), max_bytes=LIMIT)
        assert request.autorisatie is not None


class TestResultsValidation:
    def _read(self, body: bytes) -> None:
        from koppelvlak.api.uwlr.envelope import read_leerresultaten

        read_leerresultaten(parse_request(envelope(body.decode()), max_bytes=LIMIT).payload, FILES)

    def test_a_valid_results_message_passes(self) -> None:
        self._read(leerresultaten_verzoek([("p-1", "R1", 1)]))

    def test_a_score_that_is_not_a_number_is_scoreongeldig(self) -> None:
        with pytest.raises(UwlrFault) as caught:
            self._read(leerresultaten_verzoek([("p-1", "R1", 1)]).replace(b">1<", b">X<"))
        assert caught.value.code is FaultCode.SCORE_ONGELDIG

    def test_a_result_for_an_undefined_test_is_refused(self) -> None:
        data = leerresultaten_verzoek([("p-1", "R1", 1)]).replace(
            b"<toetscode>REK-M5</toetscode><score>", b"<toetscode>TAAL</toetscode><score>"
        )
        with pytest.raises(UwlrFault) as caught:
            self._read(data)
        assert caught.value.code is FaultCode.ONGELDIG_BERICHT
        assert "TAAL" in caught.value.detail

    def test_a_result_key_used_twice_is_refused(self) -> None:
        with pytest.raises(UwlrFault) as caught:
            self._read(leerresultaten_verzoek([("p-1", "R1", 1), ("p-2", "R1", 2)]))
        assert caught.value.code is FaultCode.ONGELDIG_BERICHT
