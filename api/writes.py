"""The write routes: ``POST /deals`` and ``POST /deals/{key}/{command}``.

A write runs the application's command with the caller as its actor, inside
the deal's turn, under the caller's conditions: the role's check of the deal
(``api.auth``), ``If-Match``, and an ``Idempotency-Key`` whose first answer is
saved in the transaction of the events it produced: a crash keeps both or
neither, and a retry, after a restart or on another worker, gets the first
answer and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, cast

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from adapters.idempotency import Finished, Keys
from adapters.users import User
from api import bodies
from api.answers import Answer, written
from api.auth import Caller, check_opening, permit, runtime_of
from api.models import Problem as ProblemModel
from api.models import Written
from api.problems import Problem, problem_of
from domain.application import CONDITIONS, Conditions
from domain.vocabulary import KEY_PATTERN

if TYPE_CHECKING:
    from api.runtime import Runtime
    from domain.opportunity import Opportunity

router = APIRouter()
#: Given a status, what saves a write's answer with its events.
Keep = Callable[[int], Callable[["Opportunity"], dict[str, Any]]]
_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')
DealKey = Annotated[
    str, Path(pattern=KEY_PATTERN, description="The deal's key.", examples=["NX-2026-031"])
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=r'^\s*(\*|(W/)?"[0-9]{1,18}")\s*$',
        description='Write only if the deal is still at this version: its ETag, "V".',
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry safely: a repeat with this key gets the first answer, writes nothing.",
    ),
]


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    about = {
        400: "The body is not JSON.",
        401: "No token, or an unknown or revoked one.",
        403: "The caller's role may not do this.",
        404: "No deal has this key.",
        409: "Refused by a rule of the sales process (or the idempotency key is in flight).",
        412: "If-Match names another version of the deal: nothing was written.",
        415: "The body is not application/json.",
        422: "Input refused before the domain.",
        503: "The store cannot be reached.",
    }
    media = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {s: {"description": about[s], "content": media, "model": ProblemModel} for s in statuses}


WRITE_PROBLEMS = _problems(400, 401, 403, 404, 409, 412, 415, 422, 503)
_ETAG_HEADER = {"ETag": {"description": 'The deal\'s version, "V".', "schema": {"type": "string"}}}


async def _body(request: Request) -> dict[str, Any]:
    """The body as parsed JSON (415, 400 or 422 if it is not an object)."""
    raw = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw.strip() and not media:
        return {}
    if media != "application/json" and not media.endswith("+json"):
        raise Problem(
            415, "unsupported_media_type", f"send the body as application/json, not {media!r}"
        )
    try:
        data = bodies.parse(raw)
    except (ValueError, RecursionError) as exc:
        raise Problem(400, "malformed_body", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Problem(
            422,
            "invalid_input",
            "the body must be a JSON object",
            errors=[{"field": None, "message": "the body must be a JSON object"}],
        )
    return data


def _version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ETAG.match(if_match)
    return int(found.group(1)) if found else -1


def _fingerprint(route: str, data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"POST {route}\n{canonical}".encode()).hexdigest()


def _run(
    runtime: Runtime,
    user: User,
    route: str,
    data: dict[str, Any],
    key: str | None,
    decide: Callable[[Keep], None],
) -> Answer:
    """Run a write once per idempotency key (``decide`` gets the function that
    keeps its answer with its events)."""
    answer: dict[str, Answer] = {}
    keys = cast(Keys, runtime.process.recorder)

    def keep(status: int) -> Callable[[Opportunity], dict[str, Any]]:
        def save_with(deal: Opportunity) -> dict[str, Any]:
            answer["first"] = written(deal, runtime.config, status)
            if key is None:
                return {}
            kept = Finished(user.token_id, key, status, answer["first"].kept())
            return {"idempotency": kept}

        return save_with

    if key is None:
        decide(keep)
        return answer["first"]
    claim = keys.claim_key(user.token_id, key, _fingerprint(route, data))
    if claim.outcome == "replay":
        assert claim.response is not None
        return Answer.from_kept(claim.response)
    if claim.outcome == "reused":
        raise Problem(
            422,
            "idempotency_key_reused",
            f"the Idempotency-Key {key!r} was used for another request; use a new key",
        )
    if claim.outcome == "in_flight":
        raise Problem(
            409,
            "idempotency_key_in_flight",
            f"the first request with Idempotency-Key {key!r} is still running; retry later",
            {"Retry-After": "1"},
        )
    try:
        decide(keep)
    except Exception as exc:
        problem = problem_of(exc)
        if problem.status >= 500:
            keys.release_key(user.token_id, key)  # a fault of ours: let a retry run it
            raise problem from exc
        media = "application/problem+json"
        refused = Answer(problem.status, bytes(problem.response().body), problem.headers, media)
        keys.finish_key(Finished(user.token_id, key, problem.status, refused.kept()))
        return refused
    return answer["first"]


@router.post(
    "/deals",
    status_code=201,
    response_model=Written,
    responses={
        **WRITE_PROBLEMS,
        201: {
            "headers": {
                **_ETAG_HEADER,
                "Location": {
                    "description": "The new deal's address.",
                    "schema": {"type": "string"},
                },
            }
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OpenBody"}}},
        }
    },
    summary="Open a deal in development (the caller records it).",
    tags=["writes"],
)
async def open_deal(
    request: Request, user: Caller, idempotency_key: IdempotencyKey = None
) -> Response:
    data = await _body(request)
    runtime = runtime_of(request)

    def decide(keep: Keep) -> None:
        cmd = _command(bodies.OPEN, data, runtime, by=user.name)
        check_opening(user, getattr(cmd, "owner", None))
        token = CONDITIONS.set(Conditions(save_with=keep(201)))
        try:
            runtime.process.open_deal(cmd)
        finally:
            CONDITIONS.reset(token)

    answer = await run_in_threadpool(_run, runtime, user, "/deals", data, idempotency_key, decide)
    return answer.response()


def _command(write: bodies.Write, data: dict[str, Any], runtime: Runtime, **given: Any) -> Any:
    try:
        return bodies.command_of(runtime.gate, write, data, runtime.config.tz, **given)
    except bodies.BodyError as exc:
        raise Problem(422, "invalid_input", str(exc), errors=exc.errors) from None


def _route(write: bodies.Write) -> None:
    """The route of one write command."""

    async def run_command(
        request: Request,
        user: Caller,
        key: DealKey,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        data = await _body(request)
        runtime = runtime_of(request)
        given: dict[str, Any] = {"key": key, "by": user.name}
        if write.name == "force":
            given["approved_by"] = user.name

        def decide(keep: Keep) -> None:
            cmd = _command(write, data, runtime, **given)
            check = permit(user, write.name, cmd)
            asked = Conditions(permit=check, version=_version(if_match), save_with=keep(200))
            token = CONDITIONS.set(asked)
            try:
                getattr(runtime.process, write.method)(cmd)
            finally:
                CONDITIONS.reset(token)

        route = f"/deals/{key}/{write.name}"
        answer = await run_in_threadpool(_run, runtime, user, route, data, idempotency_key, decide)
        return answer.response()

    router.add_api_route(
        f"/deals/{{key}}/{write.name}",
        run_command,
        methods=["POST"],
        response_model=Written,
        responses={**WRITE_PROBLEMS, 200: {"headers": _ETAG_HEADER}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{write.body.__name__}"}
                    }
                },
            }
        },
        summary=write.about,
        name=write.name,
        operation_id=f"write_{write.name.replace('-', '_')}",
        tags=["writes"],
    )


for _write in bodies.WRITES.values():
    _route(_write)
