"""``salesflow deal ...``: every write command, and ``deal show``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import click

from cli.context import Salesflow
from cli.output import emit_json
from domain import commands as c
from domain.errors import InputError, UnknownDeal
from domain.state import fold
from domain.times import now, parse_date, parse_when
from domain.vocabulary import (
    ActivityKind,
    AssessmentElement,
    AssessmentFactor,
    CustomerStep,
    Grade,
    LossReason,
    Role,
)
from projections.views import deal_document

pass_flow = click.make_pass_decorator(Salesflow)
F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=c.Command)


def _choice(enum: Any) -> click.Choice[str]:
    return click.Choice([e.value for e in enum])


def write_options(f: F) -> F:
    """--at, --by and --note, shared by every write command."""
    f = click.option("--note", default=None, help="A free-text note kept with the entry.")(f)
    f = click.option("--by", default=None, help="Who records it (default SALESFLOW_USER).")(f)
    f = click.option(
        "--at",
        "at",
        default=None,
        metavar="WHEN",
        help="When it happened in the world, ISO 8601 (default now).",
    )(f)
    return f


def build(flow: Salesflow, model: type[M], at: str | None, by: str | None, **fields: Any) -> M:
    """Validate a command (InputError or ValidationError: exit 2)."""
    tz = flow.settings.config.tz
    when = _option("--at", parse_when, at, tz) if at else now().astimezone(tz)
    dated = {
        k: _option(f"--{k.replace('_', '-')}", parse_date, v)
        if isinstance(v, str) and k in _DATES
        else v
        for k, v in fields.items()
    }
    return model.model_validate(
        {"at": when, "by": by if by is not None else flow.settings.user, **dated}
    )


def _option(option: str, parse: Callable[..., Any], *args: Any) -> Any:
    """Parse an option's value; a refusal names the option."""
    try:
        return parse(*args)
    except InputError as exc:
        raise InputError(f"{option}: {exc}") from exc


_DATES = {"close_by", "due", "tender_expected"}


def _amount(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise InputError(f"{option}: {text!r} is not an amount") from exc


def recorded(key: str, what: str) -> None:
    click.echo(f"{key}: {what}")


@click.group()
def deal() -> None:
    """Record what happens in a deal, or show one."""


@deal.command("open")
@click.argument("key")
@click.option("--customer", required=True)
@click.option("--title", required=True)
@click.option("--owner", default=None, help="The salesperson (default: --by).")
@click.option("--tender-expected", default=None, metavar="DATE")
@write_options
@pass_flow
def open_(
    flow: Salesflow,
    key: str,
    customer: str,
    title: str,
    owner: str | None,
    tender_expected: str | None,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Open a deal in development."""
    cmd = build(
        flow,
        c.OpenDeal,
        at,
        by,
        key=key,
        customer=customer,
        title=title,
        owner=owner,
        tender_expected=tender_expected,
        note=note,
    )
    flow.process.open_deal(cmd)
    recorded(key, f"opened in development for {cmd.customer}")


@deal.command("customer-step")
@click.argument("key")
@click.argument("step", type=_choice(CustomerStep))
@write_options
@pass_flow
def customer_step(
    flow: Salesflow, key: str, step: str, at: str | None, by: str | None, note: str | None
) -> None:
    """Record the customer's procurement step as observed."""
    cmd = build(flow, c.ObserveStep, at, by, key=key, step=step, note=note)
    flow.process.observe_step(cmd)
    expected = cmd.step.mirrored_stage.value
    recorded(key, f"customer at {step} (mirrored by our stage {expected})")


@deal.command()
@click.argument("key")
@click.argument("element", type=_choice(AssessmentElement))
@click.argument("text")
@write_options
@pass_flow
def collect(
    flow: Salesflow,
    key: str,
    element: str,
    text: str,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Record one of the six assessment elements."""
    flow.process.collect(
        build(flow, c.Collect, at, by, key=key, element=element, text=text, note=note)
    )
    recorded(key, f"{element} collected")


def _scores(pairs: tuple[str, ...]) -> dict[str, Any]:
    scores: dict[str, Any] = {}
    for pair in pairs:
        factor, sep, value = pair.partition("=")
        if not sep:
            raise InputError(f"--score {pair!r}: write FACTOR=N")
        if factor not in AssessmentFactor.__members__:
            known = ", ".join(f.value for f in AssessmentFactor)
            raise InputError(f"--score: unknown factor {factor!r} (known: {known})")
        if factor in scores:
            raise InputError(f"--score: {factor} given twice")
        try:
            scores[factor] = int(value)
        except ValueError as exc:
            raise InputError(f"--score {pair!r}: the score must be an integer 1-5") from exc
    return scores


@deal.command()
@click.argument("key")
@click.option(
    "--score",
    "scores",
    multiple=True,
    metavar="FACTOR=N",
    help="A factor's score 1-5; give every factor of the evaluation model.",
)
@write_options
@pass_flow
def assess(
    flow: Salesflow,
    key: str,
    scores: tuple[str, ...],
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Assess the opportunity in the evaluation model (a failure still exits 0)."""
    given = _scores(scores)
    required = flow.settings.config.evaluation.required_factors
    missing = [f.value for f in required if f.value not in given]
    if missing:
        raise InputError(f"--score: the evaluation model requires {', '.join(missing)}")
    extra = [f for f in given if AssessmentFactor(f) not in required]
    if extra:
        raise InputError(f"--score: the evaluation model does not score {', '.join(extra)}")
    result = flow.process.assess(build(flow, c.Assess, at, by, key=key, scores=given, note=note))
    verdict = "passed" if result["passed"] else "failed"
    why = ""
    if not result["passed"]:
        why = (
            f": knocked out by {', '.join(result['knocked_out'])}"
            if result["knocked_out"]
            else f": below the pass mark {result['pass_mean']:g}"
        )
    recorded(key, f"assessed, weighted mean {result['weighted_mean']:.2f}, {verdict}{why}")


@deal.command()
@click.argument("key")
@click.option("--likelihood", type=float, default=None, help="Likelihood of closing, 0..1.")
@click.option("--close-by", default=None, metavar="DATE", help="Expected close date.")
@click.option("--grade", "grade_", type=_choice(Grade), default=None, help="A grade by hand.")
@click.option("--reason", default=None, help="Why, for a grade by hand.")
@write_options
@pass_flow
def grade(
    flow: Salesflow,
    key: str,
    likelihood: float | None,
    close_by: str | None,
    grade_: str | None,
    reason: str | None,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Grade the customer A/B/C/D, by the grading rule or by hand."""
    cmd = build(
        flow,
        c.GradeDeal,
        at,
        by,
        key=key,
        likelihood=likelihood,
        close_by=close_by,
        grade=grade_,
        reason=reason,
        note=note,
    )
    g = flow.process.grade(cmd)
    recorded(key, f"graded {g.value} ({g.engagement.value})")


@deal.command()
@click.argument("key")
@click.argument("name")
@click.option("--role", type=_choice(Role), default="other")
@click.option("--weight", type=float, default=None, help="Share of the decision, 0..1.")
@write_options
@pass_flow
def stakeholder(
    flow: Salesflow,
    key: str,
    name: str,
    role: str,
    weight: float | None,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Record a person in the buying organisation."""
    flow.process.identify_stakeholder(
        build(
            flow,
            c.IdentifyStakeholder,
            at,
            by,
            key=key,
            name=name,
            role=role,
            weight=weight,
            note=note,
        )
    )
    recorded(key, f"stakeholder {name} ({role})")


@deal.command("stakeholder-left")
@click.argument("key")
@click.argument("name")
@click.option("--reason", default=None)
@write_options
@pass_flow
def stakeholder_left(
    flow: Salesflow,
    key: str,
    name: str,
    reason: str | None,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Record that a person left the buying organisation or turned against us."""
    flow.process.stakeholder_left(
        build(flow, c.StakeholderLeaves, at, by, key=key, name=name, reason=reason, note=note)
    )
    recorded(key, f"{name} left")


@deal.command()
@click.argument("key")
@click.argument("name")
@write_options
@pass_flow
def insider(
    flow: Salesflow, key: str, name: str, at: str | None, by: str | None, note: str | None
) -> None:
    """Record an insider (内线) found."""
    flow.process.find_insider(build(flow, c.NamePerson, at, by, key=key, name=name, note=note))
    recorded(key, f"insider {name} found")


@deal.command()
@click.argument("key")
@click.argument("name")
@write_options
@pass_flow
def engage(
    flow: Salesflow, key: str, name: str, at: str | None, by: str | None, note: str | None
) -> None:
    """Record a key person (关键人) engaged."""
    flow.process.engage(build(flow, c.NamePerson, at, by, key=key, name=name, note=note))
    recorded(key, f"key person {name} engaged")


@deal.command()
@click.argument("key")
@click.argument("kind", type=_choice(ActivityKind))
@click.option("--with", "with_whom", default=None, help="Who it was with (free text).")
@click.option("--outcome", default=None, help="What came of it.")
@write_options
@pass_flow
def activity(
    flow: Salesflow,
    key: str,
    kind: str,
    with_whom: str | None,
    outcome: str | None,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Record work done: a visit, a call, a demo, ..."""
    flow.process.activity(
        build(
            flow,
            c.HoldActivity,
            at,
            by,
            key=key,
            kind=kind,
            with_whom=with_whom,
            outcome=outcome,
            note=note,
        )
    )
    recorded(key, f"{kind} recorded")


@deal.command()
@click.argument("key")
@write_options
@pass_flow
def shortlist(flow: Salesflow, key: str, at: str | None, by: str | None, note: str | None) -> None:
    """Record that we were short-listed as a candidate supplier."""
    flow.process.shortlist(build(flow, c.Shortlist, at, by, key=key, note=note))
    recorded(key, "short-listed")


@deal.command()
@click.argument("key")
@click.argument("criteria", nargs=-1, required=True)
@write_options
@pass_flow
def influence(
    flow: Salesflow,
    key: str,
    criteria: tuple[str, ...],
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Record the procurement standard influenced in our favour."""
    flow.process.influence(
        build(flow, c.Influence, at, by, key=key, criteria=list(criteria), note=note)
    )
    recorded(key, "standard influenced")


@deal.command()
@click.argument("key")
@click.option("--due", default=None, metavar="DATE", help="When bids are due.")
@write_options
@pass_flow
def tender(
    flow: Salesflow, key: str, due: str | None, at: str | None, by: str | None, note: str | None
) -> None:
    """Record the tender document received."""
    flow.process.tender(build(flow, c.ReceiveTender, at, by, key=key, due=due, note=note))
    recorded(key, "tender received")


@deal.command()
@click.argument("key")
@click.option("--price", required=True, metavar="AMOUNT")
@click.option("--margin", type=float, default=None, metavar="FRACTION")
@click.option("--negotiated", is_flag=True, help="A negotiated bid (议标), no tender.")
@write_options
@pass_flow
def bid(
    flow: Salesflow,
    key: str,
    price: str,
    margin: float | None,
    negotiated: bool,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Record a bid submitted (only in bidding)."""
    flow.process.bid(
        build(
            flow,
            c.SubmitBid,
            at,
            by,
            key=key,
            price=_amount(price, "--price"),
            margin=margin,
            negotiated=negotiated,
            note=note,
        )
    )
    recorded(key, "bid submitted")


@deal.command("approve-contract")
@click.argument("key")
@write_options
@pass_flow
def approve_contract(
    flow: Salesflow, key: str, at: str | None, by: str | None, note: str | None
) -> None:
    """Record the contract approved (only in negotiation)."""
    flow.process.approve_contract(build(flow, c.Plain, at, by, key=key, note=note))
    recorded(key, "contract approved")


@deal.command()
@click.argument("key")
@click.option("--value", default=None, metavar="AMOUNT")
@write_options
@pass_flow
def sign(
    flow: Salesflow, key: str, value: str | None, at: str | None, by: str | None, note: str | None
) -> None:
    """Record the contract signed: the deal is won, the stage stays negotiation."""
    flow.process.sign(
        build(flow, c.Sign, at, by, key=key, value=_amount(value, "--value"), note=note)
    )
    recorded(key, "contract signed: won (advance to move into implementation)")


@deal.command()
@click.argument("key")
@click.option("--result", required=True)
@write_options
@pass_flow
def trial(
    flow: Salesflow, key: str, result: str, at: str | None, by: str | None, note: str | None
) -> None:
    """Record the trial evaluated (only in implementation)."""
    flow.process.trial(build(flow, c.Result, at, by, key=key, result=result, note=note))
    recorded(key, "trial evaluated")


@deal.command("oil-analysis")
@click.argument("key")
@click.option("--result", required=True)
@write_options
@pass_flow
def oil_analysis(
    flow: Salesflow, key: str, result: str, at: str | None, by: str | None, note: str | None
) -> None:
    """Record usage and oil-analysis follow-up (only in implementation)."""
    flow.process.oil_analysis(build(flow, c.Result, at, by, key=key, result=result, note=note))
    recorded(key, "oil analysis followed up")


@deal.command()
@click.argument("key")
@write_options
@pass_flow
def advance(flow: Salesflow, key: str, at: str | None, by: str | None, note: str | None) -> None:
    """Move to the next stage; refused unless this stage's milestones are met."""
    stage = flow.process.advance(build(flow, c.Plain, at, by, key=key, note=note))
    recorded(key, f"advanced to {stage.value}")


@deal.command()
@click.argument("key")
@click.option("--reason", required=True)
@click.option("--approved-by", required=True)
@write_options
@pass_flow
def force(
    flow: Salesflow,
    key: str,
    reason: str,
    approved_by: str,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Move to the next stage without its milestones: a recorded exception."""
    skipped = flow.process.force(
        build(flow, c.Force, at, by, key=key, reason=reason, approved_by=approved_by, note=note)
    )
    recorded(key, f"forced past {', '.join(m.value for m in skipped)}")


@deal.command()
@click.argument("key")
@click.option("--reason", required=True, type=_choice(LossReason))
@click.option("--competitor", default=None)
@write_options
@pass_flow
def lose(
    flow: Salesflow,
    key: str,
    reason: str,
    competitor: str | None,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Record the deal lost."""
    flow.process.lose(
        build(flow, c.Lose, at, by, key=key, reason=reason, competitor=competitor, note=note)
    )
    recorded(key, f"lost ({reason})")


def _reasoned(name: str, verb: str, past: str) -> click.Command:
    @click.argument("key")
    @click.option("--reason", required=True)
    @write_options
    @pass_flow
    def command(
        flow: Salesflow, key: str, reason: str, at: str | None, by: str | None, note: str | None
    ) -> None:
        cmd = build(flow, c.Reasoned, at, by, key=key, reason=reason, note=note)
        getattr(flow.process, name)(cmd)
        recorded(key, past)

    command.__doc__ = verb
    return deal.command(name)(command)


_reasoned("withdraw", "Record that we left the competition.", "withdrawn")
_reasoned("abandon", "Record that the deal is not worth following.", "abandoned")
_reasoned("nurture", "Lower the contact level: keep the customer for maintenance.", "nurtured")
_reasoned("reopen", "Bring a nurtured deal back to open.", "reopened")


@deal.command()
@click.argument("key")
@click.argument("seq", type=int)
@click.option("--reason", required=True)
@write_options
@pass_flow
def retract(
    flow: Salesflow,
    key: str,
    seq: int,
    reason: str,
    at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Say that entry SEQ was wrong: it no longer counts (it stays in the audit)."""
    event = flow.process.retract(
        build(flow, c.Retract, at, by, key=key, seq=seq, reason=reason, note=note)
    )
    recorded(key, f"entry {seq} ({event}) retracted")


def parse_moment(flow: Salesflow, text: str | None, option: str) -> datetime | None:
    """An --as-of or --known-at: a date alone means the end of that day."""
    if text is None:
        return None
    try:
        return parse_when(text, flow.settings.config.tz, end_of_day=True)
    except InputError as exc:
        raise InputError(f"{option}: {exc}") from exc


@deal.command()
@click.argument("key")
@click.option("--as-of", default=None, metavar="WHEN", help="The deal as it stood then.")
@click.option("--known-at", default=None, metavar="WHEN", help="Only what was recorded by then.")
@click.option("--json", "as_json", is_flag=True)
@pass_flow
def show(flow: Salesflow, key: str, as_of: str | None, known_at: str | None, as_json: bool) -> None:
    """Show the deal: stage, outcome, milestones, alignment, win probability."""
    _check_key(key)
    as_of_t, known_t = (
        parse_moment(flow, as_of, "--as-of"),
        parse_moment(flow, known_at, "--known-at"),
    )
    flow.fresh()
    entries = flow.process.entries(key)
    state = fold(entries, as_of=as_of_t, known_at=known_t)
    if state.opened_at is None:
        raise UnknownDeal(key)
    doc = deal_document(state, flow.settings.config)
    if as_json:
        emit_json(doc)
        return
    _print_deal(doc)


def _check_key(key: str) -> None:
    c.Plain.model_validate({"key": key, "at": now(), "by": "check"})


def _print_deal(doc: dict[str, Any]) -> None:
    click.echo(f"{doc['key']}  {doc['customer']}: {doc['title']}  (owner {doc['owner']})")
    click.echo(
        f"  stage {doc['stage']}, outcome {doc['outcome']}, grade {doc['grade'] or '-'}"
        f" ({doc['engagement'] or 'not graded'})"
    )
    click.echo(
        f"  customer step {doc['customer_step'] or 'unknown'}, expected stage"
        f" {doc['expected_stage'] or '-'}, alignment {doc['alignment']}"
    )
    click.echo(
        f"  win probability {doc['win_probability']:.3f}: {doc['win_probability_explained']}"
    )
    click.echo("  milestones:")
    for m, st in doc["milestones"].items():
        mark = "x" if st["met"] else " "
        forced = "  (forced past)" if st["forced_past"] else ""
        click.echo(f"    [{mark}] {m}{forced}")
    missing = ", ".join(doc["missing_milestones"]) or "none"
    click.echo(f"  missing: {missing}")
    for f in doc["forced_advances"]:
        click.echo(
            f"  forced {f['from']} -> {f['to']} past {', '.join(f['missing'])}"
            f" (approved by {f['approved_by']}: {f['reason']})"
        )
    for s in doc["stakeholders"]:
        tags = [t for t in ("insider", "key_person", "left") if s[t]]
        click.echo(f"  person {s['name']} ({s['role']}) {' '.join(tags)}".rstrip())
