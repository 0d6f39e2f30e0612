"""Attach the provider API (token endpoint, OneRoster routes, limits, logs, OpenAPI) to the app."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from koppelvlak.api import oauth, openapi
from koppelvlak.api.middleware import AccessLog, RequestLimits, access_log
from koppelvlak.api.oneroster import routes
from koppelvlak.api.ratelimit import FailedAttempts, Limits, LimitStore, RateLimiter
from koppelvlak.runtime import Runtime


def mount_provider_api(app: FastAPI, runtime: Runtime) -> None:
    settings = runtime.settings
    _configure_access_log(settings.log_level)
    store = LimitStore(settings.redis_url)
    app.state.limits = Limits(
        store=store,
        requests=RateLimiter(settings.rate_limit, store),
        failed_attempts=FailedAttempts(
            settings.failed_attempts_per_address, settings.failed_attempts_per_credential, store
        ),
        applications=RateLimiter(settings.applications_per_address, store),
    )
    app.state.rate_limiter = app.state.limits.requests
    app.include_router(oauth.router)
    app.include_router(routes.router)
    app.add_middleware(
        RequestLimits,
        max_bytes=settings.max_request_bytes,
        prefixes=(
            "/oauth/",
            "/ims/",
            "/onboarding/",
            "/admin/api/",
            "/notices",
            "/incidents",
            "/mandates/",
        ),
    )
    app.add_middleware(AccessLog)
    openapi.install(app)


def _configure_access_log(level: str) -> None:
    """One JSON line per request on stderr, at ``info`` (silenced by a higher log level)."""
    access_log.setLevel(level.upper())
    if not access_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
