"""ASGI middleware of the provider API: request size limit and structured access logs.

The access log carries no personal data: the route *template* (never the path with its
pseudonyms), the names of the query parameters (never their values), status, size, duration and
the client id of the provider's credential.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from koppelvlak.kit.problems import problem_response

access_log = logging.getLogger("koppelvlak.access")


class RequestLimits:
    """Refuse bodies over ``max_bytes`` with 413 problem+json, by header or while streaming.

    Only under ``prefixes`` (the REST API): the SOAP endpoints answer their own size fault.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, prefixes: tuple[str, ...]) -> None:
        self.app, self.max_bytes, self.prefixes = app, max_bytes, prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            # Over the limit we answer 413 ourselves and tell the app the client has gone, so
            # no parser (FastAPI's JSON, Starlette's form) ever holds the oversized body.
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise
            # The app saw a disconnect after our 413; whatever it raised about that is moot.

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "Request too large",
            f"the request body exceeds {self.max_bytes} bytes",
        )
        await response(scope, receive, send)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, size = 500, 0

        async def observing_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            access_log.info(json.dumps(_entry(scope, status, size, started)))


def _entry(scope: Scope, status: int, size: int, started: float) -> dict[str, Any]:
    route = scope.get("route")
    query = scope.get("query_string", b"").decode("latin-1")
    names = sorted({part.split("=", 1)[0] for part in query.split("&") if part})
    state = scope.get("state") or {}
    return {
        "event": "request",
        "method": scope.get("method"),
        "route": getattr(route, "path", None) or "unmatched",
        "params": names,
        "status": status,
        "bytes": size,
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "client_id": state.get("client_id"),
    }
