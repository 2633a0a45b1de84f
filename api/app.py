"""``salesflow serve``'s application: ``create_app`` builds it (uvicorn calls
it in each worker), the lifespan opens the worker's ``Runtime`` and closes it
when uvicorn stops (SIGTERM: requests in flight finish first).

Nothing here reads settings or connects at import time.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from adapters.settings import Settings
from api import problems
from api.answers import dumps
from api.models import Health, Problem, Ready
from api.schemas import Gate

access = logging.getLogger("salesflow.access")
Scope = MutableMapping[str, Any]
ASGI = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


class AccessLog:
    """One JSON line per request on stderr: method, route (the path's
    template, never a token or a query), status, duration, user."""

    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or scope["path"]
            access.info(
                json.dumps(
                    {
                        "method": scope["method"],
                        "route": route,
                        "status": status[0],
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "user": scope.get("state", {}).get("user"),
                    }
                )
            )


def _log_to_stderr() -> None:
    if not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False


def create_app(settings: Settings | None = None, follow: bool | None = None) -> FastAPI:
    """The API over ``settings`` (default: from ``SALESFLOW_*`` as the CLI reads
    them); ``follow`` runs the thread that keeps the read models caught up
    (default: the settings'). The table routes catch up on demand either way."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from api.runtime import Runtime

        chosen = settings or Settings.build()
        following = chosen.follow if follow is None else follow
        app.state.runtime = await run_in_threadpool(Runtime, chosen, following)
        try:
            yield
        finally:
            await run_in_threadpool(app.state.runtime.close)

    _log_to_stderr()
    app = FastAPI(
        title="salesflow",
        summary="The key-account sales process, event-sourced: its HTTP API.",
        version=_version(),
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    problems.install(app)
    from api import imports, integrity, reads, reports, writes

    app.include_router(writes.router)
    app.include_router(reads.router)
    app.include_router(reports.router)
    app.include_router(imports.router)
    app.include_router(integrity.router)
    _service_routes(app)
    from api import pages

    pages.install(app)
    from fastapi_swagger import patch_fastapi

    patch_fastapi(app, docs_url="/docs", redirect_from_root_to_docs=False)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(AccessLog)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("salesflow")
    except PackageNotFoundError:
        return "0"


def _service_routes(app: FastAPI) -> None:
    @app.get("/health", response_model=Health, tags=["service"], summary="The process runs.")
    async def health() -> Response:
        return Response(dumps({"status": "ok"}), media_type="application/json")

    @app.get(
        "/ready",
        response_model=Ready,
        tags=["service"],
        summary="The store answers; how far the read models are behind the log.",
        responses={
            503: {
                "model": Problem,
                "description": "The store cannot be reached.",
                "content": {"application/problem+json": {}},
            }
        },
    )
    def ready(request: Request) -> Response:
        runtime = request.app.state.runtime
        try:
            with runtime.reader() as read:
                s = runtime.projector(read).status()
        except Exception as exc:
            return problems.unavailable(exc).response()
        doc = {"status": "ready", "position": s.position, "head": s.head, "lag": s.lag}
        return Response(dumps(doc), media_type="application/json")


_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI 3.1 document, with the write bodies derived from the
    command models and every error as ``application/problem+json``."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    runtime = getattr(app.state, "runtime", None)
    gate = runtime.gate if runtime is not None else Gate(Settings.build().config)
    schemas.update(gate.components)
    for path in doc["paths"].values():
        for operation in path.values():
            for status, answer in operation.get("responses", {}).items():
                if status[0] in "45":
                    answer["content"] = {"application/problem+json": {"schema": _PROBLEM}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = doc
    return doc
