"""The web app under ``/app/``: server-rendered pages for the sales manager
and the coach, read-only, every role. A page reads the same documents as
the API and the command line (``projections.documents`` and the reports),
so what it shows cannot differ from them."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.page_kit import HERE, SignIn, router


def install(app: FastAPI) -> None:
    """The app's pages, its assets and its sign-in redirect."""
    from api import page_routes

    del page_routes  # its routes join ``router`` as it is imported

    async def to_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignIn)
        return RedirectResponse(f"/app/login?next={quote(exc.path)}", status_code=303)

    app.add_exception_handler(SignIn, to_sign_in)
    app.include_router(router)
    app.mount("/app/static", StaticFiles(directory=HERE / "static"), name="static")
