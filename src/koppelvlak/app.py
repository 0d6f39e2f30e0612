"""create_app(): assembles the ASGI application from the runtime and the routers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from koppelvlak import __version__
from koppelvlak.api.mount import mount_provider_api
from koppelvlak.api.ratelimit import Limits, TooManyAttempts
from koppelvlak.api.uwlr.routes import mount_uwlr
from koppelvlak.api.uwlr.schemas import verify as verify_uwlr_files
from koppelvlak.db import check_database, current_revision, head_revision
from koppelvlak.errors import DatabaseUnavailable, KoppelvlakError
from koppelvlak.kit.crypto import dummy_hash
from koppelvlak.kit.problems import problem_response
from koppelvlak.runtime import Runtime

log = logging.getLogger("koppelvlak")


def create_app(runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime.from_settings()
    app = FastAPI(
        title="Koppelvlak",
        version=__version__,
        summary="Privacy-first data-exchange gateway for schools",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    dummy_hash()  # before the first request: an unknown caller's first check is not slower
    _add_health(app)
    # The provider API first: a request is matched against the routes in order, and its pages
    # are what the service answers most (matching past every admin route first was ~7 % of a
    # page's time).
    mount_provider_api(app, runtime)
    mount_uwlr(app)
    _add_error_handlers(app)
    from koppelvlak.api.admin.history import router as history_router
    from koppelvlak.api.admin.holds import router as holds_router
    from koppelvlak.api.admin.incidents import router as admin_incidents_router
    from koppelvlak.api.admin.mandates import router as admin_mandates_router
    from koppelvlak.api.admin.policies import router as policies_router
    from koppelvlak.api.admin.purge import router as purge_router
    from koppelvlak.api.admin.registers import router as registers_router
    from koppelvlak.api.admin.rights import router as rights_router
    from koppelvlak.api.admin.routes import router as admin_router
    from koppelvlak.api.incidents import router as incidents_router
    from koppelvlak.api.mandates import router as mandates_router
    from koppelvlak.api.notices import admin_router as notices_admin_router
    from koppelvlak.api.notices import router as notices_router
    from koppelvlak.api.onboarding.routes import router as onboarding_router
    from koppelvlak.api.rights_links import router as rights_links_router
    from koppelvlak.web.register import router as public_register_router
    from koppelvlak.web.routes import router as web_router

    for router in (
        admin_router,
        registers_router,
        holds_router,
        history_router,
        purge_router,
        onboarding_router,
        policies_router,
        public_register_router,
        rights_router,
        rights_links_router,
        admin_mandates_router,
        admin_incidents_router,
        mandates_router,
        incidents_router,
        notices_router,
        notices_admin_router,
        web_router,
    ):
        app.include_router(router)
    return app


def _add_health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: the database, every mounted interface and the rate-limit store",
    )
    def readyz(request: Request) -> Response:
        checks = [check(request.app) for check in READINESS_CHECKS]
        body = {check.name: {"ok": check.ok, "detail": check.detail} for check in checks}
        failed = [c for c in checks if c.critical and not c.ok]
        if failed:
            return problem_response(
                503,
                failed[0].title if len(failed) == 1 else "Not ready",
                "; ".join(c.detail for c in failed),
                failed={c.name: c.detail for c in failed},
            )
        status = "ready" if all(c.ok for c in checks) else "degraded"
        return JSONResponse({"status": status, "schema": head_revision(), "checks": body})


@dataclass(frozen=True)
class Readiness:
    """One named readiness check. A failed critical check makes ``/readyz`` answer 503; a
    failed non-critical one answers 200 with status ``degraded`` (ADR 0065)."""

    name: str
    ok: bool
    detail: str
    critical: bool = True
    title: str = "Not ready"


def _database(app: FastAPI) -> Readiness:
    runtime: Runtime = app.state.runtime
    try:
        check_database(runtime.engine)
        revision = current_revision(runtime.engine)
    except DatabaseUnavailable as error:
        return Readiness("database", False, error.detail, title=error.title)
    if revision != head_revision():
        detail = (
            f"database schema at {revision or 'empty'}, expected {head_revision()}; "
            "run `koppelvlak db upgrade`"
        )
        return Readiness("database", False, detail, title="Database not migrated")
    return Readiness("database", True, f"schema {revision}")


def _rate_limit_store(app: FastAPI) -> Readiness:
    limits: Limits = app.state.limits
    health = limits.store.health()
    return Readiness("rate_limit_store", health.ok, health.detail, critical=False)


def _uwlr(app: FastAPI) -> Readiness:
    """The UWLR endpoints are always mounted: their official files must load and compile."""
    runtime: Runtime = app.state.runtime
    try:
        verify_uwlr_files(runtime.settings.uwlr_dir)
    except KoppelvlakError as error:
        return Readiness("uwlr", False, error.detail, title=error.title)
    return Readiness("uwlr", True, "official UWLR 2.2 files compile")


READINESS_CHECKS: list[Callable[[FastAPI], Readiness]] = [_database, _uwlr, _rate_limit_store]
"""Run in order by ``/readyz``; every failed critical check is named in its one 503 answer."""


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TooManyAttempts)
    async def too_many(_request: Request, error: TooManyAttempts) -> Response:
        return problem_response(
            429, error.title, error.detail, headers={"Retry-After": str(error.retry_after)}
        )

    @app.exception_handler(KoppelvlakError)
    async def domain_error(_request: Request, error: KoppelvlakError) -> Response:
        return problem_response(
            error.status, error.title, error.detail, problem_type=error.problem_type
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> Response:
        problems = [
            {"location": ".".join(str(p) for p in item["loc"]), "message": item["msg"]}
            for item in error.errors()
        ]
        return problem_response(
            422, "Invalid request", "the request does not match the API", errors=problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> Response:
        return problem_response(
            error.status_code, str(error.detail), str(error.detail), headers=error.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> Response:
        log.exception("unhandled error", exc_info=error)
        return problem_response(
            500, "Internal error", "an unexpected error occurred; it was logged"
        )
