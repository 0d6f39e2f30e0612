"""SOAP 1.1 faults with the UWLR fault codes, and how domain errors become one.

UWLR 2.2.1 ("structuur voor SOAP-foutafhandeling"): a plain SOAP 1.1 fault, HTTP 500, whose
``faultcode`` is a dotted code qualified by the envelope namespace and whose ``faultstring`` is
human-readable. Faults never carry personal data.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from lxml import etree

from koppelvlak.api.uwlr.schemas import SOAP_NS
from koppelvlak.errors import KoppelvlakError

log = logging.getLogger("koppelvlak.uwlr")

ENVELOPE_PREFIX = "s"
CONTENT_TYPE = "text/xml; charset=utf-8"


class FaultCode(StrEnum):
    ONGELDIG_BERICHT = "Client.OngeldigBericht"
    ONGELDIGE_KLANT = "Client.OngeldigeKlantIdentificatie"
    AUTORISATIE_ONGELDIG = "Client.AutorisatieOngeldig"
    XSD_VERSIE_ONGELDIG = "Client.XsdVersieOngeldig"
    LEERLING_ONGELDIG = "Client.LeerlingOngeldig"
    SCORE_ONGELDIG = "Client.ScoreOngeldig"
    INTERNE_FOUT = "Server.InterneFout"
    TIJDELIJK_NIET_BESCHIKBAAR = "Server.TijdelijkNietBeschikbaar"
    VERSION_MISMATCH = "VersionMismatch"  # SOAP 1.1 §4.4.1: not a SOAP 1.1 envelope
    MUST_UNDERSTAND = "MustUnderstand"  # SOAP 1.1 §4.4.1: a mandatory header we do not know


class UwlrFault(KoppelvlakError):
    """A failure to be answered as a SOAP fault; ``detail`` becomes the ``faultstring``."""

    status = 500
    title = "UWLR fault"

    def __init__(self, code: FaultCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def fault_for(error: BaseException) -> UwlrFault:
    """The fault a client sees for any failure; unexpected ones are logged, never detailed."""
    if isinstance(error, UwlrFault):
        return error
    if isinstance(error, KoppelvlakError):
        if error.status == 503:
            return UwlrFault(FaultCode.TIJDELIJK_NIET_BESCHIKBAAR, error.detail)
        if error.status == 403:
            return UwlrFault(FaultCode.AUTORISATIE_ONGELDIG, error.detail)
        if error.status < 500:
            return UwlrFault(FaultCode.ONGELDIG_BERICHT, error.detail)
        log.error("UWLR request failed: %s", error)
        return UwlrFault(FaultCode.INTERNE_FOUT, error.detail)
    log.error("UWLR request failed unexpectedly", exc_info=error)
    return UwlrFault(FaultCode.INTERNE_FOUT, "an internal error occurred; it was logged")


def fault_envelope(fault: UwlrFault) -> bytes:
    """``<s:Envelope><s:Body><s:Fault>`` with the code qualified by the envelope prefix."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={ENVELOPE_PREFIX: SOAP_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    element = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    # faultcode and faultstring are unqualified children of Fault (SOAP 1.1 schema).
    etree.SubElement(element, "faultcode").text = f"{ENVELOPE_PREFIX}:{fault.code.value}"
    etree.SubElement(element, "faultstring").text = fault.detail
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
