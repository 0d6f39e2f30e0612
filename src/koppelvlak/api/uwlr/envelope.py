"""Reading an incoming SOAP 1.1 request: hardened parsing, dispatch, header, schema validation.

Liberal where real clients are sloppy in harmless ways (ADR 0050): any namespace prefixes, any
SOAPAction, authorisation keys longer than the schema's 64 characters, ``brincode`` *and*
``schoolkey`` together, children of the request in another order, an empty ``schooljaar``.
Strict about everything else: no DOCTYPE (wherever it stands), UTF-8 or UTF-16 only, a size
limit, SOAP 1.1 only, and the payload must validate against the official UWLR 2.2 schema once
those quirks are put straight.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import cast

from lxml import etree

from koppelvlak.api.uwlr.faults import FaultCode, UwlrFault
from koppelvlak.api.uwlr.schemas import (
    AUT_NS,
    LEERLINGGEGEVENS_XSD,
    LEERRESULTATEN_XSD,
    LG_NS,
    LR_NS,
    SOAP12_NS,
    SOAP_NS,
    UwlrFiles,
)
from koppelvlak.kit.safe_xml import MalformedXml, UnsafeXml, parse_bytes
from koppelvlak.kit.xsd_time import parse_datetime

SUPPORTED_XSD_VERSIONS = ("2.1", "2.2", "2.2.1", "2.3")
MAX_KEY_LENGTH = 1024  # the schema says 64; real keys are 88-character base64 strings
MAX_CLIENT_FIELD = 64
# An empty schooljaar is tolerated as "the current one"; this stand-in only lets the rest of the
# request be validated against the schema, whose pattern needs a value.
_SCHOOLJAAR_STAND_IN = "2000-2001"
_VERZOEK_ORDER = (
    "schooljaar",
    "brincode",
    "dependancecode",
    "schoolkey",
    "xsdversie",
    "gegevenssetid",
    "laatstontvangengegevens",
    "groepen",  # stepwise leerlingen_verzoek / leerkrachten_verzoek only; the schema decides
)
# lxml writes qualified names as "{uri}local"; only a URI in braces is dropped, so schema
# patterns such as \p{Nd}{2}\p{Lu}{2} reach the client intact.
_NAMESPACE_IN_MESSAGE = re.compile(r"\{[A-Za-z][A-Za-z0-9+.-]*:[^{}\s]*\}")
# SOAP 1.1 §4.2.2: a header entry without an actor, or for the "next" one, is meant for us.
_NEXT_ACTOR = "http://schemas.xmlsoap.org/soap/actor/next"
_UNDERSTOOD_HEADERS = frozenset({f"{{{AUT_NS}}}autorisatie"})
_SCORE_ERROR = re.compile(r"Element '(\{[^}]*\})?score'")


class Operation(StrEnum):
    HAAL_LEERLINGGEGEVENS = "HaalLeerlinggegevens"
    HAAL_STRUCTUUR = "HaalStructuur"  # stepwise ("getrapt"): school and groups
    HAAL_LEERLINGEN = "HaalLeerlingen"  # stepwise: the students of the groups asked for
    HAAL_LEERKRACHTEN = "HaalLeerkrachten"  # stepwise: the teachers of the groups asked for
    BRENG_LEERRESULTATEN = "BrengLeerresultaten"


_OPERATIONS = {
    f"{{{LG_NS}}}leerlinggegevens_verzoek": Operation.HAAL_LEERLINGGEGEVENS,
    f"{{{LG_NS}}}structuur_verzoek": Operation.HAAL_STRUCTUUR,
    f"{{{LG_NS}}}leerlingen_verzoek": Operation.HAAL_LEERLINGEN,
    f"{{{LG_NS}}}leerkrachten_verzoek": Operation.HAAL_LEERKRACHTEN,
    f"{{{LR_NS}}}leerresultaten_verzoek": Operation.BRENG_LEERRESULTATEN,
}


@dataclass(frozen=True)
class GroupRef:
    """One entry of a stepwise request's ``groepen``: a group by key, or (no key) "no group"."""

    kind: str  # groep | samengestelde_groep
    key: str | None


@dataclass(frozen=True)
class Autorisatie:
    """The ``autorisatie`` header; ``repr`` hides the key so it never reaches a log."""

    klantcode: str
    klantnaam: str
    key: str = field(repr=False)


@dataclass(frozen=True)
class SoapRequest:
    operation: Operation
    payload: etree._Element
    autorisatie: Autorisatie | None


@dataclass(frozen=True)
class LeerlinggegevensVerzoek:
    """A ``leerlinggegevens_verzoek`` after validation; ``school_year`` None means current."""

    school_year: str | None
    brin: str | None
    location_code: str
    schoolkey: str | None
    xsd_version: str
    dataset_id: str | None
    last_received: datetime | None
    groups: tuple[GroupRef, ...] = ()  # stepwise leerlingen/leerkrachten requests only

    def describe(self) -> str:
        """A one-line summary for the ledger: no credentials, no personal data."""
        school = f"{self.brin}-{self.location_code}" if self.brin else f"schoolkey {self.schoolkey}"
        parts = [f"school={school}", f"schooljaar={self.school_year or ''}"]
        parts.append(f"xsdversie={self.xsd_version}")
        if self.dataset_id:
            parts.append(f"gegevenssetid={self.dataset_id}")
        if self.last_received:
            parts.append(f"laatstontvangengegevens={self.last_received.isoformat()}")
        if self.groups:
            asked = ",".join(f"{g.kind}:{g.key or '(none)'}" for g in self.groups)
            parts.append(f"groepen={asked}")
        return " ".join(parts)


def invalid(detail: str) -> UwlrFault:
    return UwlrFault(FaultCode.ONGELDIG_BERICHT, detail)


def parse_request(data: bytes, *, max_bytes: int) -> SoapRequest:
    """The operation (from the body's root element), its payload and the header."""
    try:
        envelope = parse_bytes(data, max_bytes=max_bytes)
    except (UnsafeXml, MalformedXml) as error:
        raise invalid(str(error)) from None
    encoding = (envelope.getroottree().docinfo.encoding or "").upper()
    if encoding.startswith(("UTF-32", "UCS-4", "ISO-10646-UCS-4")):
        raise invalid(
            f"the request is encoded in {encoding}; a SOAP message must be UTF-8 or UTF-16 "
            "(WS-I Basic Profile R1012)"
        )
    if envelope.tag == f"{{{SOAP12_NS}}}Envelope":
        raise UwlrFault(
            FaultCode.VERSION_MISMATCH, "UWLR uses SOAP 1.1; a SOAP 1.2 envelope is not accepted"
        )
    if envelope.tag != f"{{{SOAP_NS}}}Envelope":
        raise invalid(f"expected a SOAP 1.1 Envelope, got {_local(envelope.tag)}")
    header = envelope.find(f"{{{SOAP_NS}}}Header")
    if header is not None:
        refuse_unknown_mandatory_headers(header)
    body = envelope.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        raise invalid("the SOAP Envelope has no Body")
    children = [child for child in body if isinstance(child.tag, str)]
    if len(children) != 1:
        raise invalid(f"the SOAP Body must hold exactly one message, not {len(children)}")
    payload = children[0]
    operation = _OPERATIONS.get(payload.tag)
    if operation is None:
        raise invalid(_unknown_message(payload.tag))
    return SoapRequest(operation=operation, payload=payload, autorisatie=_autorisatie(header))


def refuse_unknown_mandatory_headers(header: etree._Element) -> None:
    """SOAP 1.1 §4.2.3: a header entry for us with ``mustUnderstand="1"`` we do not know."""
    for entry in header:
        if not isinstance(entry.tag, str) or entry.tag in _UNDERSTOOD_HEADERS:
            continue
        actor = entry.get(f"{{{SOAP_NS}}}actor")
        if actor not in (None, _NEXT_ACTOR):
            continue  # meant for another node on the path
        if (entry.get(f"{{{SOAP_NS}}}mustUnderstand") or "").strip() in ("1", "true"):
            namespace, local = _split(entry.tag)
            raise UwlrFault(
                FaultCode.MUST_UNDERSTAND,
                f"the SOAP header {local} (namespace {namespace or '(none)'}) must be understood "
                "and is not; Koppelvlak understands only the UWLR autorisatie header",
            )


def _unknown_message(tag: str) -> str:
    namespace, local = _split(tag)
    return (
        f"unknown message {local} in namespace {namespace or '(none)'}; expected "
        f"leerlinggegevens_verzoek, structuur_verzoek, leerlingen_verzoek or "
        f"leerkrachten_verzoek ({LG_NS}), or leerresultaten_verzoek ({LR_NS})"
    )


def _autorisatie(header: etree._Element | None) -> Autorisatie | None:
    element = None if header is None else header.find(f"{{{AUT_NS}}}autorisatie")
    if element is None:
        return None
    values: dict[str, str] = {}
    for name in ("autorisatiesleutel", "klantcode", "klantnaam"):
        child = element.find(f"{{{AUT_NS}}}{name}")
        text = (child.text or "").strip() if child is not None else ""
        if not text:
            raise UwlrFault(FaultCode.AUTORISATIE_ONGELDIG, f"the autorisatie header lacks {name}")
        limit = MAX_KEY_LENGTH if name == "autorisatiesleutel" else MAX_CLIENT_FIELD
        if len(text) > limit:
            raise UwlrFault(
                FaultCode.AUTORISATIE_ONGELDIG, f"{name} is longer than {limit} characters"
            )
        values[name] = text
    return Autorisatie(
        klantcode=values["klantcode"],
        klantnaam=values["klantnaam"],
        key=values["autorisatiesleutel"],
    )


def require_autorisatie(request: SoapRequest) -> Autorisatie:
    if request.autorisatie is None:
        raise UwlrFault(
            FaultCode.AUTORISATIE_ONGELDIG, "the autorisatie header is missing from the SOAP Header"
        )
    return request.autorisatie


def read_verzoek(payload: etree._Element, files: UwlrFiles) -> LeerlinggegevensVerzoek:
    """Put the tolerated quirks straight, validate against the official schema, then read.

    Serves ``leerlinggegevens_verzoek`` and the three stepwise requests alike: they share the
    basic group of elements, and ``leerlingen_verzoek``/``leerkrachten_verzoek`` add ``groepen``.
    """
    by_name: dict[str, list[etree._Element]] = {}
    strays: list[etree._Element] = []
    for child in payload:
        if not isinstance(child.tag, str):
            continue
        namespace, local = _split(child.tag)
        if namespace == LG_NS and local in _VERZOEK_ORDER:
            by_name.setdefault(local, []).append(child)
        else:
            strays.append(child)
    texts = {name: (elements[0].text or "").strip() for name, elements in by_name.items()}
    school_year = texts.get("schooljaar") or None
    schoolkey = texts.get("schoolkey") or None
    canonical = etree.Element(payload.tag, nsmap={None: LG_NS})  # type: ignore[dict-item]  # None = default namespace
    for name in _VERZOEK_ORDER:
        if name == "schoolkey" and "brincode" in by_name:
            continue  # both given: the BRIN decides; the key is checked against it later
        for element in by_name.get(name, []):
            placed = copy.deepcopy(element)
            if name == "schooljaar" and school_year is None:
                placed.text = _SCHOOLJAAR_STAND_IN
            canonical.append(placed)
    canonical.extend(copy.deepcopy(stray) for stray in strays)
    validate(canonical, files, LEERLINGGEGEVENS_XSD)
    version = texts["xsdversie"]
    if version not in SUPPORTED_XSD_VERSIONS:
        raise UwlrFault(
            FaultCode.XSD_VERSIE_ONGELDIG,
            f"xsdversie {version} is not supported; Koppelvlak accepts "
            f"{', '.join(SUPPORTED_XSD_VERSIONS)} and answers in the UWLR 2.2 form",
        )
    last = texts.get("laatstontvangengegevens")
    return LeerlinggegevensVerzoek(
        school_year=school_year,
        brin=texts.get("brincode"),
        location_code=texts.get("dependancecode") or "00",
        schoolkey=schoolkey,
        xsd_version=version,
        dataset_id=texts.get("gegevenssetid"),
        last_received=parse_datetime(last, "laatstontvangengegevens") if last else None,
        groups=tuple(_group_refs(by_name.get("groepen", []))),
    )


def _group_refs(groepen: list[etree._Element]) -> Iterable[GroupRef]:
    for container in groepen:
        for child in container:
            if isinstance(child.tag, str):
                key = (child.get("key") or "").strip() or None
                yield GroupRef(kind=_local(child.tag), key=key)


def read_leerresultaten(payload: etree._Element, files: UwlrFiles) -> etree._Element:
    """A results message, validated as it is (its identity constraints work, NOTES §9)."""
    validate(payload, files, LEERRESULTATEN_XSD)
    return payload


def validate(element: etree._Element, files: UwlrFiles, schema_name: str) -> None:
    schema = files.schema(schema_name)
    if schema.validate(element):
        return
    errors = list(cast(Iterable[etree._LogEntry], schema.error_log))
    first = errors[0]
    message = _NAMESPACE_IN_MESSAGE.sub("", first.message)
    code = FaultCode.ONGELDIG_BERICHT
    if any(_SCORE_ERROR.search(error.message) for error in errors):
        code = FaultCode.SCORE_ONGELDIG
    raise UwlrFault(code, f"the message does not follow the UWLR 2.2 schema: {message}")


def _split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return namespace, local
    return None, tag


def _local(tag: str) -> str:
    return _split(tag)[1]
