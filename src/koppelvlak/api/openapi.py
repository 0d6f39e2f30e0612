"""The OpenAPI document of the provider API: ours, with the official OneRoster operations.

For every OneRoster path the operation is the 1EdTech one (parameters, scopes, response schemas),
completed with what we add (404 for unknown parents, 503 when the ledger cannot be written,
``Retry-After`` on 429, the ``Link`` header), so a client generator sees exactly the standard.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from koppelvlak.api.tokens import SUPPORTED_SCOPES
from koppelvlak.release.oneroster import BASE_PATH

OFFICIAL = (
    Path(__file__).parent / "oneroster" / "spec" / "onerosterv1p2rostersservice_openapi3_v1p0.json"
)
_IMSX = {"application/json": {"schema": {"$ref": "#/components/schemas/imsx_StatusInfoDType"}}}
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@cache
def official() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OFFICIAL.read_text(encoding="utf-8"))
    return document


OWN_SCHEMAS: dict[str, Any] = {
    "TokenRequest": {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "scope": {"type": "string", "description": "Space-separated OneRoster scopes"},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
            "client_assertion_type": {
                "type": "string",
                "enum": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
            },
            "client_assertion": {"type": "string"},
        },
    },
    "TokenResponse": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "scope"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
        },
    },
    "OAuthError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "string",
                "enum": [
                    "invalid_request",
                    "invalid_client",
                    "invalid_grant",
                    "unauthorized_client",
                    "unsupported_grant_type",
                    "invalid_scope",
                ],
            },
            "error_description": {"type": "string"},
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
        },
        "additionalProperties": True,
    },
}


def _oneroster_operation(path: str) -> dict[str, Any]:
    operation: dict[str, Any] = copy.deepcopy(official()["paths"][path]["get"])
    responses = operation["responses"]
    responses.setdefault("404", {"description": "Unknown object", "content": _IMSX})
    responses["503"] = {
        "description": "The disclosure could not be recorded in the ledger; nothing was sent",
        "content": _IMSX,
    }
    responses["429"].setdefault("headers", {})["Retry-After"] = {
        "description": "Seconds to wait",
        "schema": {"type": "integer"},
    }
    if "headers" in responses["200"]:
        responses["200"]["headers"]["Link"] = {
            "description": "RFC 8288 first, last, next and prev pages",
            "schema": {"type": "string"},
        }
    return operation


def build(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description="Provider API: OAuth 2.0 token endpoint and OneRoster 1.2 rostering.",
        routes=app.routes,
    )
    for path, item in document["paths"].items():
        if path.startswith(BASE_PATH):
            item["get"] = _oneroster_operation(path.removeprefix(BASE_PATH))
        for operation in item.values():
            if path == "/oauth/token":
                operation["responses"]["413"] = {
                    "description": "Body too large",
                    "content": _PROBLEM,
                }
                operation["responses"]["429"] = {
                    "description": "Too many requests",
                    "content": _PROBLEM,
                }
            if path.startswith(("/onboarding/", "/admin/api/")):
                operation["responses"]["413"] = {
                    "description": "Body too large",
                    "content": _PROBLEM,
                }
                operation["responses"]["429"] = {
                    "description": "Too many failed attempts or applications",
                    "content": _PROBLEM,
                }
            if path == "/readyz":
                operation["responses"]["503"] = {"description": "Not ready", "content": _PROBLEM}
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(copy.deepcopy(official()["components"]["schemas"]))
    schemas.update(copy.deepcopy(OWN_SCHEMAS))
    scheme = copy.deepcopy(official()["components"]["securitySchemes"]["OAuth2CC"])
    scheme["flows"]["clientCredentials"]["tokenUrl"] = "/oauth/token"
    assert set(scheme["flows"]["clientCredentials"]["scopes"]) == set(SUPPORTED_SCOPES)
    components["securitySchemes"] = {"OAuth2CC": scheme}
    return document


def install(app: FastAPI) -> None:
    """Serve ``build(app)`` at ``/openapi.json`` (computed once)."""
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not cached:
            cached.update(build(app))
        return cached

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override hook
