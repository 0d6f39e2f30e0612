"""The SOAP calls the UWLR end-to-end tests make: zeep with the official WSDL, or raw bytes.

zeep never parses an answer (NOTES §15.6): every call uses ``raw_response=True`` and the bytes
go to ``tests.support.uwlr``. The raw requests are the prefix styles real LAS clients send.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.uwlr.conftest import KEY, Deployment
from tests.support.uwlr import (
    AUT_NS,
    LG_NS,
    LR_NS,
    NS,
    fault_code,
    fault_string,
    soap_payload,
    zeep_clients,
)

LG_CLIENT, LR_CLIENT = zeep_clients()


def soap_header(client: Any, key: str = KEY, klantcode: str = "DEMO-EA") -> Any:
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
            **fields, _soapheaders=[soap_header(LG_CLIENT, key, klantcode)]
        )
    return response


def getrapt(
    deployment: Deployment,
    operation: str,
    groepen: list[tuple[str, str | None]] | None = None,
    **overrides: Any,
) -> httpx.Response:
    """A stepwise call (HaalStructuur/HaalLeerlingen/HaalLeerkrachten) through zeep, using the
    official WSDL's getrapt binding; ``groepen`` is (groep|samengestelde_groep, key or None)."""
    key = overrides.pop("key", KEY)
    fields: dict[str, Any] = {
        "schooljaar": deployment.school_year,
        "brincode": "99XX",
        "dependancecode": "00",
        "xsdversie": "2.2",
    }
    fields.update(overrides)
    if groepen is not None:
        fields["groepen"] = {"_value_1": [{kind: {"key": k} if k else {}} for kind, k in groepen]}
    service = LG_CLIENT.create_service(
        f"{{{LG_NS}}}bndLeerlinggegevens-getrapt", f"{deployment.base}/uwlr/v2/leerlinggegevens"
    )
    with LG_CLIENT.settings(raw_response=True):
        response: httpx.Response = getattr(service, operation)(
            **fields, _soapheaders=[soap_header(LG_CLIENT, key)]
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
            _soapheaders=[soap_header(LR_CLIENT, key, klantcode)],
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
