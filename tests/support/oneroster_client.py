"""httpx clients whose every response is validated against the API documents.

OneRoster paths are checked against the official 1EdTech document (its ``servers`` replaced by
the test server) and then as a strict client reads them: a required string field such as
``familyName`` must not be empty. Every other path is checked against our committed
``docs/provider/openapi.json``. A test cannot forget the check: it runs as an httpx response hook.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.support.oneroster_schema import BASE_PATH, openapi_for, response_schema, strict_errors

OWN_DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "provider" / "openapi.json"


class _Request:
    def __init__(self, request: httpx.Request) -> None:
        url = urlparse(str(request.url))
        self._url = url
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict({}),
        )
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = str(request.headers.get("Content-Type", ""))

    @property
    def host_url(self) -> str:
        return f"{self._url.scheme}://{self._url.netloc}"

    @property
    def path(self) -> str:
        return self._url.path


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.data = response.content
        self.status_code = response.status_code
        self.content_type = str(response.headers.get("Content-Type", ""))
        self.headers = Headers(dict(response.headers))


@cache
def _official(base_url: str) -> OpenAPI:
    return OpenAPI.from_dict(openapi_for(base_url))


@cache
def _own(base_url: str) -> OpenAPI:
    document: dict[str, Any] = json.loads(OWN_DOCUMENT.read_text(encoding="utf-8"))
    document["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(document)


def validate(response: httpx.Response) -> None:
    """Raise when ``response`` does not match the document that describes its path.

    A 304 Not Modified has no body by definition (RFC 9110 §15.4.5), so there is nothing to
    validate; the official document lists no 304 because it has no ETags.
    """
    response.read()
    if response.status_code == 304:
        assert response.content == b""
        return
    url = response.request.url
    base = f"{url.scheme}://{url.host}:{url.port}"
    official = url.path.startswith(BASE_PATH)
    spec = _official(base) if official else _own(base)
    spec.validate_response(_Request(response.request), _Response(response))
    if official and response.status_code == 200:
        schema = response_schema(url.path.removeprefix(BASE_PATH))
        if schema is not None:
            errors = strict_errors(schema, response.json())
            if errors:
                raise StrictClientRejected(f"{url.path}: " + "; ".join(errors[:5]))


class StrictClientRejected(AssertionError):
    """A body the official schema accepts but a strict OneRoster client refuses."""


def checked_client(base_url: str, **kwargs: Any) -> httpx.Client:
    hooks = kwargs.pop("event_hooks", {})
    hooks.setdefault("response", []).append(validate)
    return httpx.Client(base_url=base_url, event_hooks=hooks, timeout=30, **kwargs)


def response_hooks() -> dict[str, list[Any]]:
    """For other httpx-based clients (authlib's OAuth2Client takes httpx keyword arguments)."""
    return {"response": [validate]}
