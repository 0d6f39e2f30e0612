"""Attach the provider API (token endpoint, OneRoster routes, limits, logs, OpenAPI) to the app."""

from __future__ import annotations

from fastapi import FastAPI

from koppelvlak.api import oauth, openapi
from koppelvlak.api.middleware import AccessLog, RequestLimits
from koppelvlak.api.oneroster import routes
from koppelvlak.api.ratelimit import RateLimiter
from koppelvlak.runtime import Runtime


def mount_provider_api(app: FastAPI, runtime: Runtime) -> None:
    settings = runtime.settings
    app.state.rate_limiter = RateLimiter(settings.rate_limit, settings.redis_url)
    app.include_router(oauth.router)
    app.include_router(routes.router)
    app.add_middleware(RequestLimits, max_bytes=settings.max_request_bytes)
    app.add_middleware(AccessLog)
    openapi.install(app)
