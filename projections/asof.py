"""The pipeline as it stood at a business time, from what was known at a
recorded time: answered by SQL over the read models' two clocks (audit trail,
stage history), never by replaying aggregates.

Everything comes from the visible entries of the audit trail, where visible
means occurred by ``as_of``, recorded by ``known_at`` and not retracted as
known then: the stage from the stage moves (a retracted move leaves the stage
history, but not the audit trail), the rest from the latest entry of each
kind; the deal's details from its opening and the corrections recorded by
``known_at``, whatever their business time.
Which entry meets which milestone, and which sets which outcome, is read from
the process table, as the fold reads it: the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from domain import events as ev
from domain.config import ProcessConfig
from domain.process import (
    CONTRACT_VALUES,
    EVIDENCE,
    OUTCOME_MEMBER,
    OUTCOME_OF,
    STEPS,
    VALUES,
    VERDICTS,
    WHILE_PRESENT,
    Kind,
    Person,
)
from domain.state import DealState, Standing
from domain.vocabulary import CustomerStep, Grade, Milestone, Outcome, Stage
from projections.cells import money
from projections.queries import days_between
from projections.schema import AUDIT_TRAIL, PIPELINE, SEGMENTS
from projections.store import ReadStore, as_json, as_moment, as_param
from projections.views import standing

T = TypeVar("T")


def _named(table: Mapping[type[ev.DealEvent], T]) -> dict[str, T]:
    return {cls.__name__: value for cls, value in table.items()}


_OUTCOMES = _named(OUTCOME_OF)
#: Outcomes that name their own (an imported one), and the member naming it.
_OUTCOME_MEMBERS = _named(OUTCOME_MEMBER)
_EVIDENCE = _named(EVIDENCE)
_VERDICTS = _named(VERDICTS)
_BRINGS = _named(WHILE_PRESENT)
_PEOPLE = tuple(s.event.__name__ for s in STEPS if s.person is not None)
_LEAVES = {s.event.__name__ for s in STEPS if s.person is Person.leaves}
_MOVE_EVENTS = tuple(s.event.__name__ for s in STEPS if s.kind is Kind.move)
_DETAILS = (ev.Opened.__name__, ev.DetailsCorrected.__name__)
#: The details a deal is opened with, and a correction may put right.
_DETAIL_NAMES = ("key", "customer", "title", "owner", "tender_expected")
#: Facts of their own that a row shows: the latest of each counts.
_FACTS = (ev.Opened, ev.CustomerStepObserved, ev.Graded, ev.ActivityHeld)
#: The facts that value a deal (and the member holding the amount), the
#: contract's standing over the others.
_VALUES = _named(VALUES)
_CONTRACTS = {c.__name__ for c in CONTRACT_VALUES}
_LATEST = sorted(
    {*_OUTCOMES, *_OUTCOME_MEMBERS, *_EVIDENCE, *_VERDICTS, *_VALUES, *(c.__name__ for c in _FACTS)}
)
_ACTIVITY = ev.ActivityHeld.__name__


def _visible(read: ReadStore) -> str:
    return (
        f"FROM {read.table(AUDIT_TRAIL)} WHERE occurred_at <= %s AND recorded_at <= %s"
        " AND (retracted_recorded_at IS NULL OR retracted_recorded_at > %s)"
    )


def _in(events: Any) -> str:
    return "(" + ", ".join(f"'{e}'" for e in events) + ")"


def _latest(read: ReadStore, params: list[Any]) -> dict[str, dict[str, Any]]:
    """Per deal, the latest visible entry of each event class that matters."""
    rows = read.query(
        "SELECT deal_id, event, occurred_at, seq, data FROM ("
        " SELECT deal_id, event, occurred_at, seq, data, ROW_NUMBER() OVER"
        " (PARTITION BY deal_id, event ORDER BY occurred_at DESC, seq DESC) AS rn"
        f" {_visible(read)} AND event IN {_in(_LATEST)}) latest WHERE rn = 1",
        params,
    )
    deals: dict[str, dict[str, Any]] = {}
    for r in rows:
        deals.setdefault(r["deal_id"], {})[r["event"]] = (
            as_moment(r["occurred_at"]),
            r["seq"],
            as_json(r["data"]),
        )
    return deals


def _people(read: ReadStore, params: list[Any]) -> dict[str, set[Milestone]]:
    """Per deal, the milestones met while a person remains (insider_found,
    key_person_engaged) that such a person brings."""
    name = "data->>'name'" if read.dialect == "postgresql" else "json_extract(data, '$.name')"
    rows = read.query(
        "SELECT deal_id, name, event, rn FROM ("
        f" SELECT deal_id, {name} AS name, event, ROW_NUMBER() OVER"
        f" (PARTITION BY deal_id, {name} ORDER BY occurred_at DESC, seq DESC) AS rn"
        f" {_visible(read)} AND event IN {_in(_PEOPLE)}) people",
        params,
    )
    left: set[tuple[str, str]] = set()
    roles: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        who = (r["deal_id"], r["name"])
        if r["rn"] == 1 and r["event"] in _LEAVES:
            left.add(who)
        roles.setdefault(who, set()).add(r["event"])
    met: dict[str, set[Milestone]] = {}
    for (deal, person), events in roles.items():
        if (deal, person) not in left:
            met.setdefault(deal, set()).update(_BRINGS[e] for e in events if e in _BRINGS)
    return met


def _stays(read: ReadStore, params: list[Any]) -> dict[str, dict[str, Any]]:
    """Per deal, the stage it was in, since when, and the milestones forced
    past by then: from its visible stage moves, in business-time order."""
    rows = read.query(
        f"SELECT deal_id, occurred_at, data {_visible(read)}"
        f" AND event IN {_in(_MOVE_EVENTS)} ORDER BY deal_id, occurred_at, seq",
        params,
    )
    deals: dict[str, dict[str, Any]] = {}
    for r in rows:
        d = deals.setdefault(r["deal_id"], {"forced": []})
        data = as_json(r["data"])
        d["stage"], d["entered_at"] = Stage(data["to_stage"]), as_moment(r["occurred_at"])
        if data.get("missing"):
            d["forced"].append([Milestone(m) for m in data["missing"]])
    return deals


def _details(read: ReadStore, known: datetime) -> dict[str, dict[str, Any]]:
    """Per deal, its details as known at ``known``: those it was opened with,
    put right by the corrections recorded by then (in every view of business
    time, as the fold puts them)."""
    k = as_param(read.dialect, known)
    rows = read.query(
        f"SELECT deal_id, event, data FROM {read.table(AUDIT_TRAIL)}"
        f" WHERE event IN {_in(_DETAILS)} AND recorded_at <= %s"
        " AND (retracted_recorded_at IS NULL OR retracted_recorded_at > %s)"
        " ORDER BY deal_id, seq",
        [k, k],
    )
    deals: dict[str, dict[str, Any]] = {}
    for r in rows:
        data = as_json(r["data"])
        if r["event"] == ev.Opened.__name__:
            deals[r["deal_id"]] = {name: data.get(name) for name in _DETAIL_NAMES}
        elif r["deal_id"] in deals:
            deals[r["deal_id"]].update(
                {name: data[name] for name in _DETAIL_NAMES if data.get(name) is not None}
            )
    return deals


def pipeline_as_of(
    read: ReadStore, config: ProcessConfig, as_of: datetime, known_at: datetime | None
) -> list[dict[str, Any]]:
    """Every deal opened by ``as_of`` (and recorded by ``known_at``), as it stood.

    With everything known now, each deal's stretch of business time in
    effect at ``as_of`` (``deal_segments``, kept by the projection from the
    fold) holds its standing then; known at an earlier time, the standing is
    worked out from the audit trail's two clocks."""
    if known_at is None:
        return _from_segments(read, config, as_of)
    known = known_at
    params = [
        as_param(read.dialect, as_of),
        as_param(read.dialect, known),
        as_param(read.dialect, known),
    ]
    latest, people, stays = _latest(read, params), _people(read, params), _stays(read, params)
    static = _details(read, known)
    opened = ev.Opened.__name__
    rows = [
        _row(
            static[deal],
            facts,
            people.get(deal, set()),
            stays.get(deal)
            or {"stage": Stage.development, "entered_at": facts[opened][0], "forced": []},
            config,
            as_of,
        )
        for deal, facts in latest.items()
        if opened in facts and deal in static
    ]
    return sorted(rows, key=lambda r: r["key"])


def _row(
    static: dict[str, Any],
    facts: dict[str, Any],
    people: set[Milestone],
    stay: dict[str, Any],
    config: ProcessConfig,
    as_of: datetime,
) -> dict[str, Any]:
    state = _state(facts, people, stay)
    outcomes = [(facts[e][0], facts[e][1]) for e in (*_OUTCOMES, *_OUTCOME_MEMBERS) if e in facts]
    closed_at = max(outcomes)[0] if outcomes and state.outcome.is_closed else None
    tz = config.tz
    return {
        "key": static["key"],
        "customer": static["customer"],
        "title": static["title"],
        "owner": static["owner"],
        **standing(state, config),
        "forced_count": len(stay["forced"]),
        "value": _value(facts),
        "days_in_stage": days_between(stay["entered_at"], closed_at or as_of, tz),
        "stage_entered_at": stay["entered_at"].astimezone(tz),
        "tender_expected": static["tender_expected"],
        "last_activity_at": facts[_ACTIVITY][0].astimezone(tz) if _ACTIVITY in facts else None,
    }


def _value(facts: dict[str, Any]) -> str | None:
    """The deal's value from its latest valuing facts, as the fold reads them:
    the contract's if it has one, else the latest estimate or bid price."""
    given = [
        (facts[e][0], facts[e][1], e, facts[e][2].get(member))
        for e, member in _VALUES.items()
        if e in facts and facts[e][2].get(member) is not None
    ]
    contract = [g for g in given if g[2] in _CONTRACTS]
    chosen = max(contract or [g for g in given if g[2] not in _CONTRACTS], default=None)
    return money(chosen[3]) if chosen else None


def _state(facts: dict[str, Any], people: set[Milestone], stay: dict[str, Any]) -> DealState:
    """Just enough of a ``DealState`` for its derived readings (alignment,
    missing milestones, win probability) to apply unchanged."""
    met = set(people) | {m for event, m in _EVIDENCE.items() if event in facts}
    # A verdict's field is ``passed`` (``domain.events.Verdict``).
    met |= {m for event, m in _VERDICTS.items() if event in facts and facts[event][2]["passed"]}
    outcomes = [(facts[e][0], facts[e][1], o) for e, o in _OUTCOMES.items() if e in facts]
    outcomes += [
        (facts[e][0], facts[e][1], Outcome(facts[e][2][member]))
        for e, member in _OUTCOME_MEMBERS.items()
        if e in facts
    ]
    step, graded = ev.CustomerStepObserved.__name__, ev.Graded.__name__
    return Standing(
        max(outcomes)[2] if outcomes else Outcome.open,
        stay["stage"],
        None,
        Grade(facts[graded][2]["grade"]) if graded in facts else None,
        CustomerStep(facts[step][2]["step"]) if step in facts else None,
        frozenset(met),
        frozenset(m for skipped in stay["forced"] for m in skipped),
        len(stay["forced"]),
        None,
        None,
    ).state()


def _from_segments(read: ReadStore, config: ProcessConfig, as_of: datetime) -> list[dict[str, Any]]:
    """The pipeline as of a business time, from the stretches in effect then."""
    tz, at = config.tz, as_param(read.dialect, as_of)
    rows = read.query(
        "SELECT p.key, p.customer, p.title, p.owner, p.tender_expected, g.outcome, g.stage,"
        " g.value, g.grade, g.customer_step, g.met_milestones, g.forced_past, g.forced_count,"
        " g.stage_entered_at, g.closed_at, a.last_activity_at"
        f" FROM {read.table(SEGMENTS)} g JOIN {read.table(PIPELINE)} p ON p.deal_id = g.deal_id"
        # The latest activity by then: activities change no stretch (they would
        # make one of most entries), so they are read from the audit trail.
        f" LEFT JOIN (SELECT deal_id, max(occurred_at) AS last_activity_at"
        f" FROM {read.table(AUDIT_TRAIL)} WHERE event = '{_ACTIVITY}' AND occurred_at <= %s"
        " AND NOT retracted GROUP BY deal_id) a ON a.deal_id = g.deal_id"
        " WHERE g.since <= %s AND (g.until IS NULL OR g.until > %s) ORDER BY p.key",
        [at, at, at],
    )
    out = []
    for r in rows:
        standing_then = Standing(
            Outcome(r["outcome"]),
            Stage(r["stage"]),
            None,
            Grade(r["grade"]) if r["grade"] else None,
            CustomerStep(r["customer_step"]) if r["customer_step"] else None,
            _milestones(r["met_milestones"]),
            _milestones(r["forced_past"]),
            r["forced_count"],
            None,
            None,
        )
        entered = as_moment(r["stage_entered_at"]).astimezone(tz)
        closed = as_moment(r["closed_at"]) if r["closed_at"] is not None else None
        activity = r["last_activity_at"]
        out.append(
            {
                "key": r["key"],
                "customer": r["customer"],
                "title": r["title"],
                "owner": r["owner"],
                **standing(standing_then.state(), config),
                "forced_count": r["forced_count"],
                "value": money(r["value"]),
                "days_in_stage": days_between(entered, closed or as_of, tz),
                "stage_entered_at": entered,
                "tender_expected": r["tender_expected"],
                "last_activity_at": as_moment(activity).astimezone(tz) if activity else None,
            }
        )
    return out


_MILESTONE_OF = {m.value: m for m in Milestone}


def _milestones(text: str | None) -> frozenset[Milestone]:
    return frozenset(_MILESTONE_OF[m] for m in (text or "").split(";") if m)
