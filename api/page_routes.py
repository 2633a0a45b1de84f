"""The pages themselves: the board, a deal, its replay, the losses, the
reports. Each gathers its documents and renders its template."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from adapters.users import User
from api.auth import runtime_of
from api.page_kit import day_of, end_of, render, router, viewer
from domain.errors import NotYet, UnknownDeal
from domain.process import STAGE_MILESTONES
from domain.times import now
from domain.vocabulary import KEY_PATTERN, STAGES, Grade, Outcome
from projections import documents as d

Viewer = Annotated[User, Depends(viewer)]


def _ms(text: Any) -> int | None:
    """A time (ISO text or datetime) as milliseconds since the epoch, for charts."""
    if text is None:
        return None
    from projections.store import as_moment

    return int(as_moment(text).timestamp() * 1000)


@router.get("/")
def board(
    request: Request,
    user: Viewer,
    owner: str | None = None,
    grade: str | None = None,
    outcome: str | None = None,
    closed: bool = False,
    after: Annotated[str | None, Query(pattern=KEY_PATTERN)] = None,
) -> Response:
    from projections import queries
    from projections.board import BoardFilter, cards, columns

    runtime = runtime_of(request)
    chosen = BoardFilter(
        owner or None,
        grade if grade in {g.value for g in Grade} else None,
        outcome if outcome in {o.value for o in Outcome} else None,
        closed,
    )
    with runtime.fresh() as read:
        cols = columns(read, chosen)
        page, next_after = cards(
            read, runtime.config, chosen, lambda keys: queries.histories(read, keys), now(), after
        )
        owners = sorted(
            {
                r["owner"]
                for r in read.query(f"SELECT DISTINCT owner FROM {read.table(_pipeline())}")
            }
        )
    by_stage: dict[str, list[dict[str, Any]]] = {s.value: [] for s in STAGES}
    for card in page:
        by_stage[card["stage"]].append(card)
    return render(
        request,
        "board.html",
        user=user,
        columns=cols,
        by_stage=by_stage,
        chosen=chosen,
        owners=owners,
        grades=[g.value for g in Grade],
        outcomes=[o.value for o in Outcome],
        next_after=next_after,
        after=after,
    )


def _pipeline() -> Any:
    from projections.schema import PIPELINE

    return PIPELINE


@router.get("/deals/{key}")
def deal(request: Request, user: Viewer, key: str, as_of: str | None = None) -> Response:
    from domain.diagnosis import diagnose
    from projections.documents import state_of

    runtime, config = runtime_of(request), runtime_of(request).config
    day = day_of(as_of)
    when = end_of(day, request) if day else None
    try:
        entries = runtime.process.entries(key)
        doc = d.deal_show(key, entries, config, when)
        state = state_of(key, entries, when, None)
    except (UnknownDeal, NotYet) as exc:
        return render(request, "error.html", status=404, user=user, message=str(exc))
    diagnosis = diagnose(state, config, when or now())
    with runtime.fresh() as read:
        audit = d.audit(read, config, key)
    stays = [
        {
            "stage": s.stage.value,
            "entered_at": s.entered_at.astimezone(config.tz),
            "left_at": s.left_at.astimezone(config.tz) if s.left_at else None,
            "left_how": s.left_how,
            "skipped": [m.value for m in s.skipped],
        }
        for s in state.stays
    ]
    end = when or now()
    timeline = {
        "stays": [
            {
                "stage": s["stage"],
                "from": _ms(s["entered_at"]),
                "to": _ms(s["left_at"] or end),
                "how": s["left_how"],
                "skipped": s["skipped"],
            }
            for s in stays
        ],
        "activities": [_ms(at) for at, _ in state.activities],
        "stages": [s.value for s in STAGES],
    }
    return render(
        request,
        "deal.html",
        user=user,
        deal=doc,
        diagnosis=diagnosis,
        stays=stays,
        activities=[(at.astimezone(config.tz), kind) for at, kind in state.activities],
        audit=audit,
        by_stage=[(s.value, [m.value for m in STAGE_MILESTONES[s]]) for s in STAGES],
        timeline=json.dumps(timeline),
        as_of=day.isoformat() if day else "",
    )


@router.get("/deals/{key}/replay")
def replay(request: Request, user: Viewer, key: str, step: int = 1) -> Response:
    from domain.diagnosis import replay as replay_of

    runtime = runtime_of(request)
    try:
        steps = replay_of(runtime.process.entries(key), runtime.config)
    except UnknownDeal as exc:
        return render(request, "error.html", status=404, user=user, message=str(exc))
    at = min(max(step, 1), len(steps))
    current = steps[at - 1]
    before = {r["code"] for r in steps[at - 2]["diagnosis"]["risks"]} if at > 1 else set()
    return render(
        request,
        "replay.html",
        user=user,
        key=key,
        step=current,
        at=at,
        total=len(steps),
        new_risks={r["code"] for r in current["diagnosis"]["risks"]} - before,
        steps=steps,
    )


@router.get("/losses")
def losses(request: Request, user: Viewer) -> Response:
    from projections import queries

    runtime = runtime_of(request)
    with runtime.fresh() as read:
        rows = queries.losses(read, runtime.config.tz)
    return render(request, "losses.html", user=user, rows=rows)


@router.get("/reports")
def reports(
    request: Request,
    user: Viewer,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    from projections.reports import REPORTS
    from projections.reports.build import ReportOptions, run
    from projections.reports.outcomes import reading

    runtime = runtime_of(request)
    first, last = day_of(start), day_of(end)
    docs: dict[str, dict[str, Any]] = {}
    with runtime.fresh() as read:
        for name in REPORTS:
            options = {"from": first, "to": last}
            if name == "waterfall":
                base = ReportOptions.model_validate(options)
                shown = run("funnel", read, runtime.config, base, now())
                options = {"from": shown["from"], "to": shown["to"]}
            docs[name] = run(
                name, read, runtime.config, ReportOptions.model_validate(options), now()
            )
        by_owner = run(
            "velocity",
            read,
            runtime.config,
            ReportOptions.model_validate({"from": first, "to": last, "by_owner": True}),
            now(),
        )
    readings = [reading(m, f) for m, f in docs["win-rates"]["by_milestone"].items()]
    return render(
        request,
        "reports.html",
        user=user,
        docs=docs,
        by_owner=by_owner,
        readings=readings,
        charts=json.dumps({**docs, "velocity_by_owner": by_owner}),
        window=(docs["funnel"]["from"], docs["funnel"]["to"]),
    )
