"""Who calls, and what their role lets them write (shared/api.md).

- ``coach`` and ``analyst`` read everything and write nothing;
- ``rep`` writes only on deals they own, opens only deals they own, retracts
  only their own entries, never forces, never gives a deal away;
- ``manager`` writes on every deal, and forces only on someone else's: no
  one approves their own exception.

The owner is checked on the deal as read inside its turn
(``Conditions.permit``), so a write cannot slip past a change of owner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from adapters.users import User
from api.problems import Problem

if TYPE_CHECKING:
    from api.runtime import Runtime
    from domain.commands import Command
    from domain.opportunity import Opportunity

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `salesflow users add NAME --role ROLE` (or `users token NAME`).",
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="salesflow"'}


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The authenticated user (401 without a valid bearer token)."""
    if credentials is None:
        raise Problem(401, "unauthenticated", "send Authorization: Bearer TOKEN", _CHALLENGE)
    runtime = runtime_of(request)
    user = runtime.remembered(credentials.credentials)
    if user is None:  # not checked lately: the slow hash, off the event loop
        user = await run_in_threadpool(runtime.user, credentials.credentials)
    if user is None:
        raise Problem(
            401,
            "unauthenticated",
            "the token is unknown or revoked ('salesflow users token NAME' issues a new one)",
            {"WWW-Authenticate": 'Bearer realm="salesflow", error="invalid_token"'},
        )
    request.scope.setdefault("state", {})["user"] = user.name
    return user


Caller = Annotated[User, Depends(caller)]


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", detail)


def check_writer(user: User) -> None:
    """Coaches and analysts write nothing."""
    if user.role not in ("rep", "manager"):
        raise forbidden(f"a {user.role} reads everything and writes nothing")


def check_opening(user: User, owner: str | None) -> None:
    """A rep opens only deals they own."""
    check_writer(user)
    if user.role == "rep" and owner not in (None, user.name):
        raise forbidden(f"a rep opens only their own deals, not {owner!r}'s")


def permit(user: User, command: str, cmd: Command) -> Callable[[Opportunity], None]:
    """The check of the deal, as read in its turn, that lets ``user`` run
    ``command`` on it (raises ``Problem`` 403 to refuse)."""
    check_writer(user)
    if command == "force" and user.role != "manager":
        raise forbidden("only a manager approves a force")

    def check(deal: Opportunity) -> None:
        owner = deal.state.owner
        if command == "force" and owner == user.name:
            raise forbidden("a manager cannot approve a force on their own deal")
        if user.role != "rep":
            return
        if owner != user.name:
            raise forbidden(f"a rep writes only on their own deals; {deal.key} is {owner}'s")
        seq = getattr(cmd, "seq", None)
        if command == "retract" and seq is not None and 1 <= seq <= len(deal.entries):
            actor = deal.entries[seq - 1].actor
            if actor != user.name:
                raise forbidden(f"a rep retracts only their own entries; entry {seq} is {actor}'s")
        new_owner = getattr(cmd, "owner", None)
        if command == "correct" and new_owner not in (None, user.name):
            raise forbidden("a rep cannot give their deal to someone else; ask a manager")

    return check
