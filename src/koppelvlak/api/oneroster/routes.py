"""The OneRoster 1.2 rostering routes under ``/ims/oneroster/rostering/v1p2/`` (thin)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from koppelvlak.api.oneroster.collections import ENDPOINTS, Endpoint
from koppelvlak.api.oneroster.disclosure import BASE_PATH, Read, answer, bearer_claims
from koppelvlak.api.oneroster.errors import CodeMinor, OneRosterError, render, status_response
from koppelvlak.api.ratelimit import RateLimiter
from koppelvlak.kit.clock import utcnow
from koppelvlak.runtime import Runtime

router = APIRouter(tags=["OneRoster rostering"])


def base_url(request: Request) -> str:
    """The configured public URL: a forged ``Host`` header never reaches an href."""
    runtime: Runtime = request.app.state.runtime
    return runtime.settings.public_url


def _params(request: Request) -> dict[str, str]:
    """One value per parameter; ``fields`` may be repeated (form style) or comma-separated."""
    params = dict(request.query_params)
    if len(request.query_params.getlist("fields")) > 1:
        params["fields"] = ",".join(request.query_params.getlist("fields"))
    return params


def _handler(endpoint: Endpoint) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        limiter: RateLimiter = request.app.state.rate_limiter
        read = Read(
            endpoint=endpoint,
            path=request.url.path,
            path_params={k: str(v) for k, v in request.path_params.items()},
            params=_params(request),
            query_string=request.url.query,
            base_url=base_url(request),
            authorization=request.headers.get("authorization"),
            if_none_match=request.headers.get("if-none-match"),
        )
        headers: dict[str, str] = {}
        try:
            claims = bearer_claims(runtime, read.authorization, utcnow())
            request.state.client_id = claims.client_id
            wait = limiter.retry_after(f"client:{claims.client_id}")
            if wait is not None:
                headers["Retry-After"] = str(wait)
                raise OneRosterError(429, CodeMinor.SERVER_BUSY, "too many requests; slow down")
            result = answer(runtime, read, claims)
        except OneRosterError as error:
            if error.status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="koppelvlak"'
            return render(error, headers)
        if result.status == 304:
            return Response(status_code=304, headers=result.headers)
        return Response(result.body, media_type="application/json", headers=result.headers)

    handle.__name__ = endpoint.operation_id
    return handle


for _endpoint in ENDPOINTS:
    router.add_api_route(
        BASE_PATH + _endpoint.path,
        _handler(_endpoint),
        methods=["GET"],
        operation_id=_endpoint.operation_id,
        response_class=Response,
    )


@router.get(BASE_PATH + "/{unknown:path}", include_in_schema=False)
def unknown_route(unknown: str) -> Response:
    """Any other path under the base path: the spec's status info, not a generic problem."""
    del unknown  # not echoed: the description stays fixed whatever the client sent
    return status_response(404, CodeMinor.UNKNOWN_OBJECT, "no such OneRoster endpoint")
