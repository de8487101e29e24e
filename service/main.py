"""The FastAPI application: ``service.main:app``, or ``create_app(Settings(...))``."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.target import WorkerLost

from .api.deps import Auth
from .api.routes import (
    breakpoints,
    console,
    events,
    execution,
    health,
    images,
    memory,
    sessions,
    snapshots,
    vcpus,
)
from .forward import Forward
from .metrics import Metrics
from .middleware import BodyLimit, RequestContext
from .problems import PROBLEM_JSON, TYPES, Problem
from .replicas import Replicas
from .sessions import Manager
from .settings import Settings
from .store import FULL_ERRNOS, Store, StoreError

log = logging.getLogger("ppcdbg.service")
VERSION = "0.1.0"
HTTP_SLUGS = {
    400: "bad-json",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def problem_response(p: Problem, request: Request) -> JSONResponse:
    return p.response(request.url.path)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(x) for x in loc if x not in ("body", "query", "path", "header")]
    return ".".join(parts)


def create_app(
    settings: Settings | None = None, on_ready: Callable[[Manager], None] | None = None
) -> FastAPI:
    """The app; ``on_ready`` runs once the database is open and sessions are recovered."""
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await asyncio.to_thread(Store, settings.database)
        replicas = None
        if settings.redis:
            replicas = Replicas(settings)
            await replicas.start()
        manager = Manager(settings, store, metrics, asyncio.get_running_loop(), replicas=replicas)
        await manager.startup()
        app.state.manager = manager
        if settings.demo:
            await manager.preload_demo(settings.demo_owner())
        if on_ready is not None:
            on_ready(manager)
        log.info("ready", extra={"sessions": len(manager.sessions),
                                 "images": len(manager.images)})  # fmt: skip
        try:
            yield
        finally:
            await manager.shutdown()
            if replicas is not None:
                await replicas.close()
            store.close()

    app = FastAPI(
        title="ppcdbg", version=VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
        summary="A debug service for PowerPC64 (POWER9) machines: REST and WebSocket.",
        generate_unique_id_function=_operation_id,
    )  # fmt: skip
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.auth = Auth(settings)

    for module in (images, sessions, vcpus, memory, breakpoints, execution, console, snapshots,
                   health, events):  # fmt: skip
        app.include_router(module.router)

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        if exc.status >= 500:
            log.error("request failed", extra={"problem": exc.slug, "path": request.url.path})
        return problem_response(exc, request)

    @app.exception_handler(WorkerLost)
    async def on_lost(request: Request, exc: WorkerLost) -> JSONResponse:
        # A read that reached a session's dead worker outside Session's guards.
        return problem_response(Problem(409, "session-lost", str(exc)), request)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()]  # fmt: skip
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(Problem(400, "bad-json", "the body is not valid JSON"),
                                    request)  # fmt: skip
        first = exc.errors()[0] if exc.errors() else {}
        field = _field(first.get("loc", ())) or None
        detail = f"{field}: {first.get('msg')}" if field else str(first.get("msg", "invalid"))
        return problem_response(
            Problem(422, "validation-error", detail, field=field, errors=errors), request
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = HTTP_SLUGS.get(exc.status_code, "http-error")
        detail = exc.detail if isinstance(exc.detail, str) else TYPES[slug][1]
        resp = problem_response(Problem(exc.status_code, slug, detail), request)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    def storage_fault(request: Request, full: bool, error: str) -> JSONResponse:
        # An environment fault, not a bug: logged on one line, answered as a problem.
        log.error("storage fault", extra={"error": error, "path": request.url.path})
        if full:
            return problem_response(Problem(507, "insufficient-storage",
                                            "the server is out of storage; nothing was kept"),
                                    request)  # fmt: skip
        return problem_response(Problem(503, "storage-unavailable",
                                        "the server's database is unavailable; try later"),
                                request)  # fmt: skip

    def internal_error(request: Request, exc: BaseException) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        return problem_response(Problem(500, "internal-error", "an internal error; it is logged"),
                                request)  # fmt: skip

    @app.exception_handler(StoreError)
    async def on_store(request: Request, exc: StoreError) -> JSONResponse:
        return storage_fault(request, exc.full, str(exc))

    # OSError has its own handler (not on_error's): Starlette re-raises what reaches the
    # catch-all Exception handler, so the server would log a traceback for a full disk met
    # while an upload is spooled to a temporary file.
    @app.exception_handler(OSError)
    async def on_os_error(request: Request, exc: OSError) -> JSONResponse:
        if exc.errno in FULL_ERRNOS:
            return storage_fault(request, True, str(exc))
        return internal_error(request, exc)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        return internal_error(request, exc)

    _mount_dashboard(app)
    static = _swagger_dir()
    if static is not None:
        app.mount("/static/swagger-ui", StaticFiles(directory=static), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="ppcdbg API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )  # fmt: skip

    @app.get("/problems/{slug}", include_in_schema=False)
    async def problem_type(slug: str) -> JSONResponse:
        if slug not in TYPES:
            raise Problem(404, "not-found", f"no problem type {slug!r}")
        title, text = TYPES[slug]
        return JSONResponse({"type": f"/problems/{slug}", "title": title, "description": text})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _problem_schemas(
                get_openapi(
                    title=app.title, version=app.version, summary=app.summary, routes=app.routes
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # Outermost last: the request context sees every response, the body limit every body
    # (forwarded ones too).
    if settings.redis:
        app.add_middleware(Forward)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    origins = settings.origins()
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["X-Request-ID"])  # fmt: skip
    app.add_middleware(RequestContext, metrics=metrics)
    return app


def _mount_dashboard(app: FastAPI) -> None:
    """The browser dashboard (``service/dashboard``) at ``/``, and the bundled example images
    it offers to upload (through the public ``POST /v1/images``, like any client)."""
    here = Path(__file__).resolve().parent
    examples = here.parent / "examples"

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(here / "dashboard" / "index.html",
                            headers={"Cache-Control": "no-cache"})  # fmt: skip

    @app.get("/dashboard/examples/{name}", include_in_schema=False)
    async def example(name: str) -> FileResponse:
        path = examples / name
        if not re.fullmatch(r"[a-z0-9_]+\.(elf|bin)", name) or not path.is_file():
            raise Problem(404, "not-found", f"no example {name!r}")
        return FileResponse(path, media_type="application/octet-stream")

    app.mount("/dashboard", StaticFiles(directory=here / "dashboard"), name="dashboard")


def _swagger_dir() -> str | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # the docs page then has no assets; everything else works
        return None
    return str(swagger_ui_path)


def _problem_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses as ``application/problem+json`` ProblemPublic (FastAPI says JSON)."""
    ref = {"$ref": "#/components/schemas/ProblemPublic"}
    for path in schema.get("paths", {}).values():
        for op in path.values():
            # The route's one-line docstring is its summary (FastAPI would use the name).
            if op.get("description"):
                op["summary"] = op["description"].strip().splitlines()[0]
            for code, resp in op.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400 and int(code) != 503:
                    resp["content"] = {PROBLEM_JSON: {"schema": ref}}
                    if int(code) == 422:
                        resp["description"] = "Invalid request (validation or domain error)"
    comps = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        comps.pop(name, None)
    return schema


app = create_app()
