"""The UWLR operations, from a parsed SOAP request to the bytes to send.

HaalLeerlinggegevens and the stepwise HaalStructuur / HaalLeerlingen / HaalLeerkrachten:
validate → identify the client (``guard``: bounded key checks, lock-out) → the key must open
the requested school → the provider's connection with that school must be active → the
connection's kept release (``_release``, the one place every operation gets it from) → render
→ the disclosure to record (channel ``uwlr``, the operation as endpoint). All of it only reads;
the route appends the disclosure to the ledger in a second, short writing unit of work, commits,
and only then sends: if the ledger cannot be written nothing leaves (DESIGN invariant 1, ADR
0004).

BrengLeerresultaten: the same gate, then the results are stored under that connection, naming
only students in its current release; the route runs it as one writing unit of work, so the
release it checks against is the one current when the results are stored.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy.orm import Session

from koppelvlak.api.uwlr import stepwise
from koppelvlak.api.uwlr.envelope import (
    Autorisatie,
    LeerlinggegevensVerzoek,
    Operation,
    SoapRequest,
    invalid,
    read_leerresultaten,
    read_verzoek,
    require_autorisatie,
)
from koppelvlak.api.uwlr.faults import ENVELOPE_PREFIX, FaultCode, UwlrFault
from koppelvlak.api.uwlr.guard import KeyGuard
from koppelvlak.api.uwlr.mapping import Answer, render_answer
from koppelvlak.api.uwlr.schemas import LR_NS, SOAP_NS, UwlrFiles
from koppelvlak.audit.values import Channel, Disclosure
from koppelvlak.connections import service as connections
from koppelvlak.connections.schemas import ConnectionView
from koppelvlak.providers import service as providers
from koppelvlak.providers.schemas import UwlrPrincipal
from koppelvlak.release import kept, kept_reads
from koppelvlak.release.values import Release, ReleasedSchool
from koppelvlak.results import service as results
from koppelvlak.results.errors import ScoreOutOfRange, UnknownStudent
from koppelvlak.results.uwlr_xml import read_message

log = logging.getLogger("koppelvlak.uwlr")
ACTIVE = "active"


@dataclass(frozen=True)
class Context:
    """What an operation needs besides the session: the schemas, the keys, the clock."""

    files: UwlrFiles
    pseudonym_key: bytes
    digital_consent_age: int
    at: datetime
    guard: KeyGuard | None = None  # None: key checks unbounded (in-process tests, scripts)
    client_address: str = "unknown"


@dataclass(frozen=True)
class SchoolRequest:
    brin: str
    location_code: str

    def __str__(self) -> str:
        return f"{self.brin}-{self.location_code}"


@dataclass(frozen=True)
class Outcome:
    """The bytes to send and, when they carry personal data, the disclosure to record first."""

    envelope: bytes
    disclosure: Disclosure | None = None


def writes(request: SoapRequest) -> bool:
    """Whether the operation itself writes (the ledger entry of an answer is written apart)."""
    return request.operation is Operation.BRENG_LEERRESULTATEN


def dispatch(session: Session, request: SoapRequest, context: Context) -> Outcome:
    if request.operation is Operation.BRENG_LEERRESULTATEN:
        return Outcome(breng_leerresultaten(session, request, context))
    return haal(session, request, context)


def haal(session: Session, request: SoapRequest, context: Context) -> Outcome:
    """HaalLeerlinggegevens and the three stepwise operations: one gate, one release, one
    ledger entry per answer."""
    verzoek = read_verzoek(request.payload, context.files)
    school = _requested_school(verzoek.brin, verzoek.location_code, verzoek.schoolkey)
    connection = _open_connection(
        session, require_autorisatie(request), school, verzoek.dataset_id, context
    )
    release = _release(session, connection, context)
    answer = _render(
        request.operation, release, _released_school(release, school), verzoek, connection
    )
    disclosure = Disclosure(
        board_id=release.board_id,
        provider_id=release.provider_id,
        connection_id=release.connection_id,
        channel=Channel.UWLR,
        endpoint=request.operation.value,
        query=verzoek.describe(),
        attribute_ids=answer.attribute_ids,
        person_ids=answer.person_ids,
        response_digest=hashlib.sha256(answer.envelope).hexdigest(),
    )
    log.info(
        "UWLR %s for connection %s: %s, %d people",
        request.operation.value,
        release.connection_id,
        answer.outcome,
        len(answer.person_ids),
    )
    return Outcome(answer.envelope, disclosure)


def _render(
    operation: Operation,
    release: Release,
    school: ReleasedSchool,
    verzoek: LeerlinggegevensVerzoek,
    connection: ConnectionView,
) -> Answer:
    profile = connection.uwlr_profile
    version, since, year = verzoek.xsd_version, verzoek.last_received, verzoek.school_year
    if operation is Operation.HAAL_STRUCTUUR:
        return stepwise.render_structuur(
            release,
            school,
            profile=profile,
            xsd_version=version,
            last_received=since,
            school_year=year,
        )
    if operation in (Operation.HAAL_LEERLINGEN, Operation.HAAL_LEERKRACHTEN):
        render = (
            stepwise.render_leerlingen
            if operation is Operation.HAAL_LEERLINGEN
            else stepwise.render_leerkrachten
        )
        return render(
            release,
            school,
            verzoek.groups,
            profile=profile,
            xsd_version=version,
            last_received=since,
            school_year=year,
        )
    return render_answer(
        release,
        school,
        profile=profile,
        xsd_version=version,
        last_received=since,
        school_year=year,
    )


def breng_leerresultaten(session: Session, request: SoapRequest, context: Context) -> bytes:
    payload = read_leerresultaten(request.payload, context.files)
    try:
        message = read_message(payload)
    except ScoreOutOfRange as error:
        raise UwlrFault(FaultCode.SCORE_ONGELDIG, error.detail) from None
    school = _requested_school(
        message.school.brin, message.school.location_code, message.school.schoolkey
    )
    connection = _open_connection(session, require_autorisatie(request), school, None, context)
    release = _release(session, connection, context)
    try:
        stored = results.store_results(
            session,
            release,
            brin=school.brin,
            location_code=school.location_code,
            message=message,
            received_at=context.at,
        )
    except UnknownStudent as error:
        raise UwlrFault(FaultCode.LEERLING_ONGELDIG, error.detail) from None
    log.info(
        "UWLR %s for connection %s: %d results for %d students (%d replaced)",
        Operation.BRENG_LEERRESULTATEN.value,
        release.connection_id,
        stored.results,
        stored.students,
        stored.replaced,
    )
    return bevestiging()


def bevestiging() -> bytes:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={ENVELOPE_PREFIX: SOAP_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    etree.SubElement(body, f"{{{LR_NS}}}leerresultaten_bevestiging", nsmap={None: LR_NS})  # type: ignore[dict-item]  # None = default namespace
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _requested_school(brin: str | None, location_code: str, schoolkey: str | None) -> SchoolRequest:
    """BRIN + dependancecode, or a schoolkey "99XX" / "99XX00"; both must then agree."""
    from_key = _school_from_key(schoolkey) if schoolkey else None
    if brin is None:
        if from_key is None:
            raise invalid(
                f"schoolkey {schoolkey} is not a school Koppelvlak knows; "
                "use the BRIN code, optionally followed by the dependancecode (99XX or 99XX00)"
            )
        return from_key
    school = SchoolRequest(brin, location_code or "00")
    if schoolkey and from_key != school:
        raise invalid(f"brincode {school} and schoolkey {schoolkey} name different schools")
    return school


def _school_from_key(schoolkey: str) -> SchoolRequest | None:
    key = schoolkey.strip().upper().replace("-", "")
    if len(key) == 4 and key[:2].isdigit() and key[2:].isalpha():
        return SchoolRequest(key, "00")
    if len(key) == 6 and key[:2].isdigit() and key[2:4].isalpha() and key[4:].isdigit():
        return SchoolRequest(key[:4], key[4:])
    return None


def _open_connection(
    session: Session,
    autorisatie: Autorisatie,
    school: SchoolRequest,
    dataset_id: str | None,
    context: Context,
) -> ConnectionView:
    principal = _authenticate(session, autorisatie, context)
    at = context.at
    if principal is None:
        raise UwlrFault(
            FaultCode.AUTORISATIE_ONGELDIG,
            f"the autorisatiesleutel is not valid for klantcode {autorisatie.klantcode}",
        )
    boards = [
        board_id
        for board_id, brin, location in principal.schools
        if (brin, location) == (school.brin, school.location_code)
    ]
    if not boards:
        raise UwlrFault(
            FaultCode.AUTORISATIE_ONGELDIG,
            f"the autorisatiesleutel gives no access to school {school}",
        )
    views = [
        view
        for view in connections.connections_for_provider(session, principal.provider_id, at)
        if view.board_id in boards
        and (view.school.brin, view.school.location_code) == (school.brin, school.location_code)
    ]
    active = [view for view in views if view.state == ACTIVE]
    if len(active) > 1:
        named = [v for v in active if dataset_id in (v.app_name, str(v.connection_id))]
        if len(named) == 1:
            return named[0]
        names = ", ".join(sorted(v.app_name for v in active))
        raise invalid(
            f"several connections with school {school} are active ({names}); "
            "name the app in gegevenssetid"
        )
    if active:
        return active[0]
    if views:
        states = ", ".join(sorted({v.state for v in views}))
        raise UwlrFault(
            FaultCode.AUTORISATIE_ONGELDIG,
            f"the connection with school {school} is not active ({states}); no data is sent",
        )
    raise UwlrFault(FaultCode.AUTORISATIE_ONGELDIG, f"there is no connection with school {school}")


def _authenticate(
    session: Session, autorisatie: Autorisatie, context: Context
) -> UwlrPrincipal | None:
    """The key check, through the guard when there is one; a failure counts against the caller."""
    if context.guard is None:
        return providers.authenticate_uwlr(
            session, autorisatie.klantcode, autorisatie.key, context.at
        )
    verifier = context.guard.verifier(context.client_address, autorisatie.klantcode)
    principal = providers.authenticate_uwlr(
        session, autorisatie.klantcode, autorisatie.key, context.at, verifier=verifier
    )
    if principal is None:
        context.guard.record_failure(context.client_address, autorisatie.klantcode)
    return principal


def _release(session: Session, connection: ConnectionView, context: Context) -> Release:
    """The one place every operation obtains the connection's release from: its kept release."""
    heads = kept_reads.heads(session, [connection.connection_id])
    if not heads:  # built before the kept release existed: build it now, in this transaction
        kept.ensure(session, [connection.connection_id], context.at, context.pseudonym_key)
        heads = kept_reads.heads(session, [connection.connection_id])
    return kept_reads.release_of(session, heads[0], context.at)


def _released_school(release: Release, school: SchoolRequest) -> ReleasedSchool:
    for candidate in release.schools:
        if (candidate.brin, candidate.location_code) == (school.brin, school.location_code):
            return candidate
    raise UwlrFault(FaultCode.INTERNE_FOUT, f"the release holds no school {school}")
