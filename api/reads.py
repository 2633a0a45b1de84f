"""The read routes: the command line's reads, with the keys of its ``--json``.

Read your writes, from every worker: a deal's routes fold the deal's own
events, which hold every write already answered; the table routes first
bring the read models up to the head of the log as it is when they start.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from api.answers import CSV, JSON, csv_bytes, dumps, wants_csv
from api.auth import Caller, runtime_of
from api.bodies import VIEW_SHAPE
from api.models import (
    AuditRow,
    Deal,
    Diagnosis,
    LossRow,
    Movement,
    PipelineRow,
    ProjectionStatus,
    ReplayStep,
)
from api.problems import Problem
from api.writes import DealKey, _problems
from domain.errors import InputError
from domain.times import now, parse_when
from domain.vocabulary import KEY_PATTERN, Outcome, Stage
from projections import documents as d

router = APIRouter(tags=["reads"])
MOST = 5000
_TIME = "ISO 8601; a date alone is the end of that day; without an offset, the server's zone."
AsOf = Annotated[
    str | None,
    Query(pattern=VIEW_SHAPE, description=f"The deal as it stood then ({_TIME})"),
]
KnownAt = Annotated[
    str | None,
    Query(pattern=VIEW_SHAPE, description=f"Only what was recorded by then ({_TIME})"),
]
Owner = Annotated[str | None, Query(description="Only this salesperson's deals.")]
StageIs = Annotated[Stage | None, Query(description="Only deals in this stage.")]
OutcomeIs = Annotated[Outcome | None, Query(description="Only deals with this outcome.")]
READ_PROBLEMS = _problems(401, 404, 422, 503)
TABLE_PROBLEMS = _problems(401, 404, 409, 422, 503)


def _csv_or_json(model: Any) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "JSON by default; `Accept: text/csv` for the CLI's --csv.",
        }
    }


def _when(name: str, text: str | None, request: Request, end_of_day: bool) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_when(text, runtime_of(request).config.tz, end_of_day=end_of_day)
    except InputError as exc:
        raise Problem(
            422, "invalid_input", f"{name}: {exc}", errors=[{"field": name, "message": str(exc)}]
        ) from None


def _table(
    request: Request, rows: list[dict[str, Any]], columns: Sequence[str], headers: dict[str, str]
) -> Response:
    if wants_csv(request.headers.get("accept")):
        return Response(csv_bytes(rows, columns), headers=headers, media_type=CSV)
    return Response(dumps(rows), headers=headers, media_type=JSON)


@router.get(
    "/deals/{key}",
    response_model=Deal,
    responses={
        **_problems(401, 404, 422, 503),
        200: {
            "headers": {
                "ETag": {"description": 'The deal\'s version, "V".', "schema": {"type": "string"}}
            }
        },
        304: {"description": "If-None-Match names the deal's current version."},
    },
    summary="Where the deal stands (deal show).",
)
def show(
    request: Request,
    user: Caller,
    key: DealKey,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    runtime = runtime_of(request)
    entries = runtime.process.entries(key)
    etag = f'"{entries[-1].seq}"'
    if if_none_match is not None:
        offered = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if etag in offered or "*" in offered:
            return Response(status_code=304, headers={"ETag": etag})
    doc = d.deal_show(
        key,
        entries,
        runtime.config,
        _when("as_of", as_of, request, True),
        _when("known_at", known_at, request, True),
    )
    return Response(dumps(doc), headers={"ETag": etag}, media_type=JSON)


@router.get(
    "/deals/{key}/audit",
    response_model=list[AuditRow],
    responses={**TABLE_PROBLEMS, **_csv_or_json(AuditRow)},
    summary="The deal's history, one row per entry (audit).",
)
def audit(request: Request, user: Caller, key: DealKey) -> Response:
    from projections.documents import AUDIT_COLUMNS

    runtime = runtime_of(request)
    with runtime.fresh() as read:
        rows = d.audit(read, runtime.config, key)
    return _table(request, rows, AUDIT_COLUMNS, {})


@router.get(
    "/deals/{key}/diagnosis",
    response_model=Diagnosis,
    responses=READ_PROBLEMS,
    summary="The coach's reading: alignment, next work, risks (diagnose).",
)
def diagnosis(
    request: Request, user: Caller, key: DealKey, as_of: AsOf = None, known_at: KnownAt = None
) -> Response:
    from domain.diagnosis import diagnose

    runtime = runtime_of(request)
    when = _when("as_of", as_of, request, True)
    state = d.state_of(
        key, runtime.process.entries(key), when, _when("known_at", known_at, request, True)
    )
    return Response(dumps(diagnose(state, runtime.config, when or now())), media_type=JSON)


@router.get(
    "/deals/{key}/replay",
    response_model=list[ReplayStep],
    responses=READ_PROBLEMS,
    summary="The history step by step, the diagnosis after each entry (replay).",
)
def replay(request: Request, user: Caller, key: DealKey) -> Response:
    from domain.diagnosis import replay as replay_of

    runtime = runtime_of(request)
    steps = replay_of(runtime.process.entries(key), runtime.config)
    return Response(dumps([{k: s[k] for k in d.STEP_KEYS} for s in steps]), media_type=JSON)


@router.get(
    "/pipeline",
    response_model=list[PipelineRow],
    responses={
        **TABLE_PROBLEMS,
        **_csv_or_json(PipelineRow),
        200: {
            "headers": {
                "Link": {
                    "description": 'rel="next" while more deals remain.',
                    "schema": {"type": "string"},
                }
            },
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "JSON by default; `Accept: text/csv` for the CLI's --csv.",
        },
    },
    summary="Every deal, one row each, in key order, a page at a time (pipeline).",
)
def pipeline(
    request: Request,
    user: Caller,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    stage: StageIs = None,
    outcome: OutcomeIs = None,
    owner: Owner = None,
    limit: Annotated[int, Query(ge=1, le=MOST, description="Deals per page.")] = 500,
    after: Annotated[
        str | None, Query(pattern=KEY_PATTERN, description="Only deals after this key.")
    ] = None,
) -> Response:
    runtime = runtime_of(request)
    when, known = _when("as_of", as_of, request, True), _when("known_at", known_at, request, True)
    with runtime.fresh() as read:
        rows = d.pipeline(
            read,
            runtime.config,
            now(),
            when,
            known,
            after,
            limit + 1,  # one more: whether another page follows
            stage=stage.value if stage else None,
            outcome=outcome.value if outcome else None,
            owner=owner,
        )
    page, more = rows[:limit], len(rows) > limit
    headers = {}
    if more:
        query = {k: v for k, v in request.query_params.items() if k != "after"}
        query["after"] = page[-1]["key"]
        headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return _table(request, page, d.PIPELINE_COLUMNS, headers)


@router.get(
    "/losses",
    response_model=list[LossRow],
    responses={**TABLE_PROBLEMS, **_csv_or_json(LossRow)},
    summary="Lost, withdrawn and abandoned deals, with what explains them (losses).",
)
def losses(
    request: Request,
    user: Caller,
    stage: StageIs = None,
    outcome: OutcomeIs = None,
    owner: Owner = None,
) -> Response:
    runtime = runtime_of(request)
    with runtime.fresh() as read:
        rows = d.losses(
            read,
            runtime.config,
            owner,
            stage=stage.value if stage else None,
            outcome=outcome.value if outcome else None,
        )
    return _table(request, rows, d.LOSS_COLUMNS, {})


@router.get(
    "/movement",
    response_model=Movement,
    responses=TABLE_PROBLEMS,
    summary="Pipeline movement between two dates, deal by deal and totalled.",
)
def movement(
    request: Request,
    user: Caller,
    start: Annotated[
        str,
        Query(
            alias="from",
            pattern=VIEW_SHAPE,
            description=f"From this time ({_TIME}; a date alone is the start of that day).",
        ),
    ],
    end: Annotated[
        str, Query(alias="to", pattern=VIEW_SHAPE, description=f"To this time ({_TIME}).")
    ],
) -> Response:
    from projections import queries
    from projections.movement import movement as movement_of

    runtime = runtime_of(request)
    begin, until = _when("from", start, request, False), _when("to", end, request, True)
    assert begin is not None and until is not None
    if until < begin:
        raise Problem(
            422,
            "invalid_input",
            "to is before from",
            errors=[{"field": "to", "message": "to is before from"}],
        )
    with runtime.fresh() as read:
        histories = queries.entries(read).values()
        doc = movement_of(histories, runtime.config, begin, until)
    return Response(dumps(doc), media_type=JSON)


@router.get(
    "/projections/status",
    response_model=list[ProjectionStatus],
    responses=_problems(401, 503),
    summary="Each projection's position, the head, the lag, the quarantined deals.",
)
def status(request: Request, user: Caller) -> Response:
    runtime = runtime_of(request)
    with runtime.reader() as read:
        s = runtime.projector(read).status()
        doc = d.status(read, s.name, s.position, s.head)
    return Response(dumps(doc), media_type=JSON)
