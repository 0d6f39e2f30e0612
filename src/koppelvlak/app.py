"""create_app(): assembles the ASGI application from the runtime and the routers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from koppelvlak import __version__
from koppelvlak.api.mount import mount_provider_api
from koppelvlak.api.uwlr.routes import mount_uwlr
from koppelvlak.db import check_database, current_revision, head_revision
from koppelvlak.errors import DatabaseUnavailable, KoppelvlakError
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
        "/readyz", tags=["operations"], summary="Readiness: the database answers and is migrated"
    )
    def readyz(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        try:
            check_database(runtime.engine)
            revision = current_revision(runtime.engine)
        except DatabaseUnavailable as error:
            return problem_response(503, error.title, error.detail)
        if revision != head_revision():
            detail = (
                f"database schema at {revision or 'empty'}, expected {head_revision()}; "
                "run `koppelvlak db upgrade`"
            )
            return problem_response(503, "Database not migrated", detail)
        return JSONResponse({"status": "ready", "schema": revision})


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
