"""The gateway as a UWLR client: fetch a school's ``leerlinggegevens`` from a LAS over SOAP 1.1.

The request follows the UWLR 2.2 WSDL (``HaalLeerlinggegevens`` with the ``autorisatie`` header);
the answer streams to a temporary file under a size limit and goes through the same hardened
reader as an uploaded file, so a pulled answer and an exported file are judged alike.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
from lxml import etree

from koppelvlak.roster.importers.errors import ImportFailed
from koppelvlak.roster.importers.snapshot import Snapshot
from koppelvlak.roster.importers.uwlr import MAX_BYTES, parse_uwlr_stream

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
LG = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
AUT = "http://www.edustandaard.nl/leerresultaten/2/autorisatie"


@dataclass(frozen=True)
class PullRequest:
    url: str
    key: str
    client_code: str  # klantcode
    client_name: str  # klantnaam
    brin: str
    location_code: str
    school_year: str
    xsd_version: str = "2.2"
    # laatstontvangengegevens: the LAS may then answer <geenwijzigingen/> when nothing changed.
    since: datetime | None = None


def request_body(request: PullRequest) -> bytes:
    """The SOAP envelope of a ``leerlinggegevens_verzoek`` (values escaped by lxml)."""
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soapenv": SOAP, "aut": AUT, "le": LG})
    header = etree.SubElement(envelope, f"{{{SOAP}}}Header")
    autorisatie = etree.SubElement(header, f"{{{AUT}}}autorisatie")
    for name, value in (
        ("autorisatiesleutel", request.key),
        ("klantcode", request.client_code),
        ("klantnaam", request.client_name),
    ):
        etree.SubElement(autorisatie, f"{{{AUT}}}{name}").text = value
    body = etree.SubElement(envelope, f"{{{SOAP}}}Body")
    verzoek = etree.SubElement(body, f"{{{LG}}}leerlinggegevens_verzoek")
    for name, value in (
        ("schooljaar", request.school_year),
        ("brincode", request.brin),
        ("dependancecode", request.location_code),
        ("xsdversie", request.xsd_version),
    ):
        etree.SubElement(verzoek, f"{{{LG}}}{name}").text = value
    if request.since is not None:
        stamp = request.since.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        etree.SubElement(verzoek, f"{{{LG}}}laatstontvangengegevens").text = stamp + "Z"
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def pull(
    request: PullRequest,
    *,
    today: date,
    timeout: float = 120.0,
    progress: Callable[[int], None] | None = None,
) -> Snapshot:
    """Ask the LAS for the school's data and read the answer, or raise ImportFailed."""
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"HaalLeerlinggegevens"'}
    with tempfile.TemporaryFile() as answer:
        try:
            with httpx.stream(
                "POST",
                request.url,
                content=request_body(request),
                headers=headers,
                timeout=timeout,
                follow_redirects=False,
            ) as response:
                received = 0
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > MAX_BYTES:
                        raise ImportFailed(
                            f"the answer exceeds {MAX_BYTES} bytes; expected a smaller answer",
                            location=request.url,
                        )
                    answer.write(chunk)
                    if progress is not None:
                        progress(received)
                status = response.status_code
        except httpx.HTTPError as error:
            raise ImportFailed(
                f"cannot reach the LAS ({type(error).__name__}: {error}); expected "
                "a UWLR leerlinggegevens service at this URL",
                location=request.url,
            ) from None
        if status not in (200, 500) or received == 0:
            raise ImportFailed(
                f"the LAS answered HTTP {status}; expected 200 with a UWLR answer",
                location=request.url,
            )
        answer.seek(0)
        return parse_uwlr_stream(answer, request.url, today=today)
