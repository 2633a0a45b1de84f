"""What every page of the web app shares: its router, who reads it (the
session cookie or a bearer token), rendering, signing in and out.

Signing in takes a token (``salesflow users``) and keeps it in an HttpOnly,
SameSite=Strict cookie; a page also takes ``Authorization: Bearer``. A page
asked for without a valid token redirects to the sign-in page.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from adapters.users import User
from api.auth import runtime_of

HERE = Path(__file__).resolve().parent
COOKIE = "salesflow_session"
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/app", include_in_schema=False)


class SignIn(Exception):
    """No valid token: the page sends its reader to the sign-in page."""

    def __init__(self, path: str) -> None:
        self.path = path


async def viewer(request: Request) -> User:
    """Who reads the page: by the session cookie or a bearer token."""
    token = request.cookies.get(COOKIE)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    runtime = runtime_of(request)
    user = None
    if token:
        user = runtime.remembered(token) or await run_in_threadpool(runtime.user, token)
    if user is None:
        raise SignIn(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    request.scope.setdefault("state", {})["user"] = user.name
    return user


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    runtime = runtime_of(request)
    context.setdefault("user", None)
    context["currency"] = runtime.config.currency
    context["zone"] = runtime.config.tz.key
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(target: str | None) -> str:
    """Only a page of the app: never another site."""
    if target and target.startswith("/app") and not target.startswith("//"):
        return target
    return "/app/"


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    target = _safe_next((form.get("next") or [""])[0])
    runtime = runtime_of(request)
    user = await run_in_threadpool(runtime.user, token) if token else None
    if user is None:
        return render(
            request,
            "login.html",
            status=401,
            next=target,
            error="That token is unknown or revoked ('salesflow users token NAME' issues one).",
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/app",
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(COOKIE, path="/app")
    return response


def day_of(text: str | None) -> date | None:
    """A day from a form field (YYYY-MM-DD); None when empty or not a day."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def end_of(day: date, request: Request) -> datetime:
    return datetime.combine(day, time.max, runtime_of(request).config.tz)
