"""Every error as problem details (RFC 9457): ``application/problem+json``
with ``type``, ``title``, ``status``, ``detail`` and a stable ``code``.

A domain refusal keeps the command line's message as its ``detail`` and its
error class's ``code``; nothing a client sent can make a 500, and no body ever
carries a traceback (a fault of ours is logged, and answered in one line).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from domain import errors
from projections.errors import ProjectionError

log = logging.getLogger("salesflow.api")
MEDIA = "application/problem+json"


class Problem(Exception):
    """An error to answer with: status, code, detail and extra members."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = headers or {}
        self.extra = extra

    def document(self) -> dict[str, Any]:
        return {
            "type": f"/problems/{self.code}",
            "title": _title(self.code),
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extra,
        }

    def response(self) -> Response:
        body = json.dumps(self.document(), ensure_ascii=False).encode()
        return Response(body, self.status, self.headers, media_type=MEDIA)


def _title(code: str) -> str:
    return code.replace("_", " ").capitalize()


#: HTTP statuses of the domain's refusals, most specific first; any other
#: ``SalesProcessError`` is a refusal by a rule of the process: 409.
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (errors.UnknownDeal, 404),
    (errors.VersionMismatch, 412),
    (errors.StoreError, 503),
    (errors.DamagedDeal, 500),
    (errors.StoreMissing, 503),
    (errors.SalesProcessError, 409),
)


def of_domain(exc: errors.SalesProcessError) -> Problem:
    """The problem of a domain refusal (its class's code, the CLI's message)."""
    status = next(s for cls, s in _STATUS if isinstance(exc, cls))
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.MilestonesUnmet):
        extra["unmet"] = list(exc.unmet)
    if isinstance(exc, errors.VersionMismatch):
        extra["current_version"] = exc.current
    headers = {"Retry-After": "1"} if status == 503 else None
    return Problem(status, exc.code, str(exc), headers, **extra)


def invalid(errors_: list[dict[str, Any]], detail: str | None = None) -> Problem:
    """422: input refused before the domain, field by field."""
    text = detail or "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors_)
    return Problem(422, "invalid_input", text, errors=errors_)


def unavailable(exc: Exception) -> Problem:
    return Problem(
        503, "store_unavailable", f"the store cannot be reached: {exc}", {"Retry-After": "1"}
    )


def fault(exc: Exception) -> Problem:
    """A fault of salesflow's: logged with its traceback, answered in one line."""
    log.exception("fault while serving a request")
    return Problem(
        500,
        "internal_error",
        f"salesflow could not do that ({type(exc).__name__}); this is a fault of"
        " salesflow's, please report it",
    )


def problem_of(exc: BaseException) -> Problem:
    """The problem to answer any exception with."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, errors.SalesProcessError):
        return of_domain(exc)
    if isinstance(exc, errors.InputError):
        return invalid([{"field": None, "message": str(exc)}])
    if isinstance(exc, ProjectionError):
        return Problem(409, "projection_refused", str(exc))
    import sqlite3

    import psycopg

    if isinstance(exc, psycopg.OperationalError | sqlite3.OperationalError):
        return unavailable(exc)
    return fault(exc)  # type: ignore[arg-type]


def _validation(exc: RequestValidationError) -> Problem:
    """A query, a header or a path refused by FastAPI's own checks."""
    found = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if p not in ("query", "path", "header", "body")]
        found.append({"field": ".".join(loc) or None, "message": str(e.get("msg", ""))})
    return invalid(found)


def _http(exc: HTTPException) -> Problem:
    phrase = HTTPStatus(exc.status_code).phrase
    code = {404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, phrase.lower().replace(" ", "_").replace("-", "_")
    )
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else phrase
    return Problem(exc.status_code, code, detail, dict(exc.headers or {}))


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem document."""

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _validation(exc).response()

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _http(exc).response()

    async def on_any(request: Request, exc: Exception) -> Response:
        return problem_of(exc).response()

    for known in (Problem, errors.SalesProcessError, errors.InputError, ProjectionError):
        app.add_exception_handler(known, on_any)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_any)
