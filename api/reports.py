"""``GET /reports/NAME``: the reports of shared/reports.md, with the keys of
``salesflow report NAME --json``. Every role may read them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.answers import CSV, JSON, csv_bytes, dumps, wants_csv
from api.auth import Caller, runtime_of
from api.problems import Problem
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
            str | None,
            Query(
                alias="from", pattern=DAY, description="From the start of this day (YYYY-MM-DD)."
            ),
        ] = None,
        end: Annotated[
            str | None,
            Query(alias="to", pattern=DAY, description="To the end of this day (default today)."),
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

        given: dict[str, Any] = {"from": _day("from", start), "to": _day("to", end)}
        for option, value in (("owner", owner), ("grade", grade), ("by_owner", by_owner)):
            if option in takes:
                given[option] = value
        try:
            options = ReportOptions.model_validate(given)
        except ValidationError as exc:
            field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "query"
            message = exc.errors()[0]["msg"] if exc.errors() else str(exc)
            raise Problem(
                422,
                "invalid_input",
                f"{field}: {message}",
                errors=[{"field": field, "message": message}],
            ) from None
        runtime = runtime_of(request)
        with runtime.fresh() as store:
            doc = run(name, store, runtime.config, options, now())
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


#: A day as the query takes it: YYYY-MM-DD, from 1900 to 8999.
DAY = "^(19|[2-8][0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"


def _day(name: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"{text!r} is not a day (YYYY-MM-DD)"
        raise Problem(
            422, "invalid_input", f"{name}: {message}", errors=[{"field": name, "message": message}]
        ) from None


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
            required = Annotated[
                str, Query(alias=alias, pattern=DAY, description=f"The window's {alias} day.")
            ]
            p = p.replace(default=inspect.Parameter.empty, annotation=required)
        kept.append(p)
    return sig.replace(parameters=kept)


for _name in REPORTS:
    _route(_name)
