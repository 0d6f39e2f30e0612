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
from koppelvlak.api.uwlr.routes import mount_uwlr
from koppelvlak.api.uwlr.schemas import verify as verify_uwlr_files
from koppelvlak.db import check_database, current_revision, head_revision
from koppelvlak.errors import KoppelvlakError
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
    _add_health(app)
    mount_uwlr(app)
    _add_error_handlers(app)
    from koppelvlak.api.admin.routes import router as admin_router
    from koppelvlak.api.onboarding.routes import router as onboarding_router

    app.include_router(admin_router)
    app.include_router(onboarding_router)
    mount_provider_api(app, runtime)
    return app


def _add_health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: the database and every mounted interface can work",
    )
    def readyz(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        failures: dict[str, KoppelvlakError] = {}
        for check in READINESS_CHECKS:
            try:
                check.run(runtime)
            except KoppelvlakError as error:
                failures[check.name] = error
        if not failures:
            names = [check.name for check in READINESS_CHECKS]
            return JSONResponse({"status": "ready", "schema": head_revision(), "checks": names})
        errors = list(failures.values())
        return problem_response(
            503,
            errors[0].title if len(errors) == 1 else "Not ready",
            "; ".join(error.detail for error in errors),
            failed={name: error.detail for name, error in failures.items()},
        )


class DatabaseNotMigrated(KoppelvlakError):
    status = 503
    title = "Database not migrated"


@dataclass(frozen=True)
class ReadinessCheck:
    """One thing the service needs to answer its clients; ``run`` raises what is wrong."""

    name: str
    run: Callable[[Runtime], None]


def _database_is_migrated(runtime: Runtime) -> None:
    check_database(runtime.engine)
    revision = current_revision(runtime.engine)
    if revision != head_revision():
        raise DatabaseNotMigrated(
            f"database schema at {revision or 'empty'}, expected {head_revision()}; "
            "run `koppelvlak db upgrade`"
        )


def _uwlr_files_compile(runtime: Runtime) -> None:
    verify_uwlr_files(runtime.settings.uwlr_dir)


READINESS_CHECKS: tuple[ReadinessCheck, ...] = (
    ReadinessCheck("database", _database_is_migrated),
    ReadinessCheck("uwlr", _uwlr_files_compile),  # the UWLR endpoints are always mounted
)
"""Run in order by ``/readyz``; every failure is named in its one 503 answer."""


def _add_error_handlers(app: FastAPI) -> None:
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
