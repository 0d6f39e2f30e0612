"""HTTP for the UWLR services: two SOAP endpoints, their WSDLs and the schemas they import.

Routes stay thin: read the body (capped), run the operation in one unit of work, and send the
bytes only after the commit. Every failure becomes a SOAP 1.1 fault with HTTP 500.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from koppelvlak.api.uwlr import endpoint
from koppelvlak.api.uwlr.envelope import parse_request
from koppelvlak.api.uwlr.faults import CONTENT_TYPE, FaultCode, UwlrFault, fault_envelope, fault_for
from koppelvlak.api.uwlr.guard import KeyGuard
from koppelvlak.api.uwlr.schemas import (
    LEERLINGGEGEVENS_WSDL,
    LEERRESULTATEN_WSDL,
    locate,
    wsdl_text,
)
from koppelvlak.audit import service as audit
from koppelvlak.kit.clock import utcnow
from koppelvlak.runtime import Runtime

log = logging.getLogger("koppelvlak.uwlr")

LEERLINGGEGEVENS_PATH = "/uwlr/v2/leerlinggegevens"
LEERRESULTATEN_PATH = "/uwlr/v2/leerresultaten"
SCHEMAS_PATH = "/uwlr/v2/schemas"
_WSDL = {LEERLINGGEGEVENS_PATH: LEERLINGGEGEVENS_WSDL, LEERRESULTATEN_PATH: LEERRESULTATEN_WSDL}

router = APIRouter(tags=["UWLR"])


def mount_uwlr(app: FastAPI) -> None:
    runtime: Runtime = app.state.runtime
    app.state.uwlr_guard = KeyGuard.from_settings(runtime.settings)
    app.include_router(router)


async def _read_capped(request: Request, limit: int) -> bytes:
    too_big = UwlrFault(
        FaultCode.ONGELDIG_BERICHT, f"the request is larger than {limit} bytes; refused"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _handle(runtime: Runtime, guard: KeyGuard, client_address: str, data: bytes) -> bytes:
    files = locate(runtime.settings.uwlr_dir)
    request = parse_request(data, max_bytes=runtime.settings.max_request_bytes)
    context = endpoint.Context(
        files=files,
        pseudonym_key=runtime.secrets.pseudonym_key,
        digital_consent_age=runtime.settings.digital_consent_age,
        at=utcnow(),
        guard=guard,
        client_address=client_address,
    )
    # Reading and writing apart (ADR 0004): the answer is built in a unit that only reads, which
    # also readies its ledger entry (ADR 0032); the entry is committed by the ledger's group
    # commit, in a short transaction that takes the write lock up front.
    with runtime.unit_of_work(write=endpoint.writes(request)) as session:
        outcome = endpoint.dispatch(session, request, context)
        found = outcome.disclosure
        entries = audit.prepare(session, [found]) if found is not None else []
    audit.commit(runtime.engine, entries)
    return outcome.envelope  # committed: the ledger entry exists before a byte is sent


async def _soap(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        data = await _read_capped(request, runtime.settings.max_request_bytes)
        address = request.client.host if request.client else "unknown"
        guard: KeyGuard = request.app.state.uwlr_guard
        answer = await run_in_threadpool(_handle, runtime, guard, address, data)
    except Exception as error:
        fault = fault_for(error)
        log.info("UWLR fault %s: %s", fault.code.value, fault.detail)
        return Response(fault_envelope(fault), status_code=500, media_type=CONTENT_TYPE)
    return Response(answer, media_type=CONTENT_TYPE)


@router.post(LEERLINGGEGEVENS_PATH, summary="UWLR HaalLeerlinggegevens (SOAP 1.1)")
async def leerlinggegevens(request: Request) -> Response:
    return await _soap(request)


@router.post(LEERRESULTATEN_PATH, summary="UWLR BrengLeerresultaten (SOAP 1.1)")
async def leerresultaten(request: Request) -> Response:
    return await _soap(request)


def _public_base(request: Request, runtime: Runtime) -> str:
    """The configured public URL: the WSDL's address never comes from the ``Host`` header."""
    return runtime.settings.public_url


@router.get(LEERLINGGEGEVENS_PATH, summary="The UWLR Leerlinggegevens WSDL (?wsdl)")
@router.get(LEERRESULTATEN_PATH, summary="The UWLR Leerresultaten WSDL (?wsdl)")
async def wsdl(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if "wsdl" not in {key.lower() for key in request.query_params}:
        text = "UWLR SOAP 1.1 endpoint: POST a SOAP envelope, or GET ?wsdl for its description\n"
        return Response(text, media_type="text/plain; charset=utf-8")
    base = _public_base(request, runtime)
    try:
        document = wsdl_text(
            locate(runtime.settings.uwlr_dir),
            _WSDL[request.url.path],
            address=base + request.url.path,
            schema_base=base + SCHEMAS_PATH + "/",
        )
    except Exception as error:
        fault = fault_for(error)
        return Response(fault_envelope(fault), status_code=500, media_type=CONTENT_TYPE)
    return Response(document, media_type=CONTENT_TYPE)


@router.get(SCHEMAS_PATH + "/{name}", summary="An official UWLR schema the WSDL imports")
async def schema(name: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    files = locate(runtime.settings.uwlr_dir)
    try:
        path = files.schema_file(name)
    except OSError:  # e.g. a name longer than the file system allows: no such schema either
        path = None
    if path is None:
        return Response("no such schema\n", status_code=404, media_type="text/plain")
    return Response(path.read_bytes(), media_type=CONTENT_TYPE)
