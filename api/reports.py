"""``GET /reports/NAME``: the reports of shared/reports.md, with the keys of
``salesflow report NAME --json``. Every role may read them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.answers import CSV, JSON, csv_bytes, dumps, wants_csv
from api.auth import Caller, runtime_of
from api.report_models import MODELS
from api.writes import _problems
from domain.times import now
from domain.vocabulary import NAME_MAX, Grade
from projections.reports import REPORTS, TAKES, WINDOW_REQUIRED

router = APIRouter(tags=["reports"])

_ABOUT = {
    "funnel": "Deals opened in the window, stage by stage: how many entered, how each left.",
    "win-rates": "Deals closed in the window: win rates overall, by grade, by owner and"
    " by milestone discipline (met or forced past), each with its Wilson 95 % interval.",
    "time-in-stage": "Stays that ended in the window, stage by stage, and those still open"
    " at its end.",
    "velocity": "How fast the open pipeline turns into money at the window's end.",
    "losses-by-stage": "Deals lost, withdrawn or abandoned in the window, by stage and reason.",
    "waterfall": "The open pipeline from the window's start to its end, and every movement"
    " between.",
}


def _route(name: str) -> None:
    takes = TAKES[name]

    def read(
        request: Request,
        user: Caller,
        start: Annotated[
            date | None, Query(alias="from", description="From the start of this day (YYYY-MM-DD).")
        ] = None,
        end: Annotated[
            date | None, Query(alias="to", description="To the end of this day (default today).")
        ] = None,
        owner: Annotated[
            str | None,
            Query(min_length=1, max_length=NAME_MAX, description="Only this owner's deals."),
        ] = None,
        grade: Annotated[Grade | None, Query(description="Only deals of this grade.")] = None,
        by_owner: Annotated[bool, Query(description="velocity: one row per owner.")] = False,
    ) -> Response:
        from projections.reports.build import ReportOptions, run
        from projections.reports.tables import table

        given: dict[str, Any] = {"from": start, "to": end}
        for option, value in (("owner", owner), ("grade", grade), ("by_owner", by_owner)):
            if option in takes:
                given[option] = value
        runtime = runtime_of(request)
        with runtime.fresh() as store:
            doc = run(name, store, runtime.config, ReportOptions.model_validate(given), now())
        if wants_csv(request.headers.get("accept")):
            rows, columns = table(name, doc)
            return Response(csv_bytes(rows, columns), media_type=CSV)
        return Response(dumps(doc), media_type=JSON)

    # Each report documents only the options it takes.
    params = ["request", "user", "start", "end", *takes]
    read.__signature__ = _narrowed(read, params, name in WINDOW_REQUIRED)  # type: ignore[attr-defined]
    router.add_api_route(
        f"/reports/{name}",
        read,
        methods=["GET"],
        response_model=MODELS[name],
        responses={
            **_problems(401, 409, 422, 503),
            200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        },
        summary=_ABOUT[name],
        name=f"report_{name.replace('-', '_')}",
    )


def _narrowed(fn: Any, names: list[str], window_required: bool) -> Any:
    """The route's signature with only the options it takes (and its window
    required where the report needs it), for FastAPI and the OpenAPI document."""
    import inspect

    sig = inspect.signature(fn)
    kept = []
    for n, p in sig.parameters.items():
        if n not in names:
            continue
        if window_required and n in ("start", "end"):
            alias = "from" if n == "start" else "to"
            required = Annotated[date, Query(alias=alias, description=f"The window's {alias} day.")]
            p = p.replace(default=inspect.Parameter.empty, annotation=required)
        kept.append(p)
    return sig.replace(parameters=kept)


for _name in REPORTS:
    _route(_name)
