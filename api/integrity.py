"""``GET /verify``: the integrity report of ``salesflow verify --json``, for
the ``manager`` role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from api.answers import JSON, dumps
from api.auth import Caller, forbidden, runtime_of
from api.problems import Problem
from api.writes import _problems
from domain.errors import InputError

router = APIRouter(tags=["integrity"])


class FindingDoc(BaseModel):
    """One thing found wrong: its kind, the deal and entry, the notification."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    detail: str
    deal: str | None
    seq: int | None
    id: int | None


class VerifyReport(BaseModel):
    """Every deal's chain and the log, checked (``intact`` when nothing was found)."""

    model_config = ConfigDict(extra="forbid")
    intact: bool
    deals: int
    events: int
    chained: int
    not_chained: int
    position: int
    root: str
    checkpoints_checked: int
    findings: list[FindingDoc]
    notes: list[str]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The report, intact or not (each finding names the deal and seq)."},
    **_problems(401, 403, 422),
}


@router.get(
    "/verify",
    response_model=VerifyReport,
    responses=_RESPONSES,
    summary="Verify the event store: every deal's hash chain, the log, the checkpoints.",
)
async def verify(
    request: Request,
    user: Caller,
    checkpoint: Annotated[
        list[str] | None,
        Query(description="A checkpoint's JSON, as `salesflow checkpoint` printed it."),
    ] = None,
) -> Response:
    from adapters.integrity import read_checkpoint, verify_store

    if user.role != "manager":
        raise forbidden(f"only a manager verifies the store; a {user.role} may not")
    store = runtime_of(request).settings.store
    try:
        given = [read_checkpoint(c) for c in checkpoint or [] if c.lstrip().startswith("{")]
        if len(given) != len(checkpoint or []):
            raise InputError("checkpoint must be a checkpoint's JSON (files are for the CLI)")
    except InputError as exc:
        raise Problem(422, "invalid_input", str(exc)) from None
    report = await run_in_threadpool(verify_store, store, given)
    return Response(dumps(report.document()), media_type=JSON)
