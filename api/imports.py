"""``POST /imports/salesforce`` and ``POST /imports/hubspot``: a CRM's export
as multipart form fields, for the ``manager`` role (shared/import.md); the
answer is the summary and the bad rows of ``salesflow import ... --json``."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from api.answers import JSON, dumps
from api.auth import Caller, forbidden, runtime_of
from api.problems import Problem
from api.writes import _problems
from domain.errors import InputError

router = APIRouter(tags=["imports"])


class BadRowDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    where: str
    key: str | None
    reason: str


class ImportSummary(BaseModel):
    """What the import wrote (or, dry, would write)."""

    model_config = ConfigDict(extra="forbid")
    dry_run: bool
    deals: int
    entries: int
    skipped: int
    refused: int
    bad_rows: list[BadRowDoc]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The summary: deals, entries, skipped rows, refused deals and why."},
    **_problems(400, 401, 403, 422),
}
_RESPONSES[400] = {**_RESPONSES[400], "description": "The body is not multipart form data."}
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def _check_manager(user: Any) -> None:
    if user.role != "manager":
        raise forbidden(f"only a manager imports a CRM's history; a {user.role} may not")


async def _save(upload: UploadFile, folder: Path, default: str) -> Path:
    """An uploaded file on disk, under its own name (the bad rows name it)."""
    name = _SAFE.sub("_", Path(upload.filename or default).name) or default
    path = folder / name
    if path.exists():
        path = folder / f"{path.stem}-{len(list(folder.iterdir()))}{path.suffix}"
    with path.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            out.write(chunk)
    return path


async def _import(
    request: Request,
    user: Any,
    source: str,
    files: list[tuple[UploadFile, str]],
    stage_map: UploadFile | None,
    dry_run: bool,
) -> Response:
    """Save the uploads, run the import off the event loop, answer its summary."""
    from crm import run

    _check_manager(user)
    runtime = runtime_of(request)
    with tempfile.TemporaryDirectory(prefix="salesflow-upload-") as tmp:
        folder = Path(tmp)
        first, second = [await _save(upload, folder, name) for upload, name in files]
        mapped = await _save(stage_map, folder, "map.toml") if stage_map else None
        go = run.import_salesforce if source == "salesforce" else run.import_hubspot
        try:
            summary = await run_in_threadpool(
                go, runtime.process, first, second, mapped, runtime.config.tz, dry_run=dry_run
            )
        except InputError as exc:
            raise Problem(422, "invalid_input", str(exc)) from None
    return Response(dumps(summary.as_dict()), media_type=JSON)


_MAP = File(alias="map", description="A TOML stage map over the shipped one.")
_DRY = Query(description="Read and check all; write nothing.")


@router.post(
    "/imports/salesforce",
    response_model=ImportSummary,
    responses=_RESPONSES,
    summary="Import a Salesforce export: Opportunity.csv and OpportunityHistory.csv.",
)
async def import_salesforce(
    request: Request,
    user: Caller,
    opportunities: Annotated[UploadFile, File(description="Opportunity.csv")],
    history: Annotated[UploadFile, File(description="OpportunityHistory.csv")],
    stage_map: Annotated[UploadFile | None, _MAP] = None,
    dry_run: Annotated[bool, _DRY] = False,
) -> Response:
    files = [(opportunities, "Opportunity.csv"), (history, "OpportunityHistory.csv")]
    return await _import(request, user, "salesforce", files, stage_map, dry_run)


@router.post(
    "/imports/hubspot",
    response_model=ImportSummary,
    responses=_RESPONSES,
    summary="Import a HubSpot export: deals.json and pipelines.json.",
)
async def import_hubspot(
    request: Request,
    user: Caller,
    deals: Annotated[UploadFile, File(description="deals.json")],
    pipelines: Annotated[UploadFile, File(description="pipelines.json")],
    stage_map: Annotated[UploadFile | None, _MAP] = None,
    dry_run: Annotated[bool, _DRY] = False,
) -> Response:
    files = [(deals, "deals.json"), (pipelines, "pipelines.json")]
    return await _import(request, user, "hubspot", files, stage_map, dry_run)
