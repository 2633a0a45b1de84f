"""``salesflow deal ...``: opening a deal, the facts of any stage, and ``deal show``.

Each command parses its options with the types of ``cli.types``, builds the
command's model (``domain.commands``), runs it through the application and
prints what it recorded. The domain is imported when a command runs, never
for ``--help``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli.context import Salesflow, pass_flow
from cli.output import say
from cli.types import AMOUNT, DATE, KEY, NUMBER, SCORE, WHEN, explain
from domain.vocabulary import (
    NAME_MAX,
    TEXT_MAX,
    ActivityKind,
    AssessmentElement,
    CustomerStep,
    Grade,
    Role,
)

if TYPE_CHECKING:
    from domain.application import Recorded
    from domain.commands import Command

F = TypeVar("F", bound=Callable[..., Any])
#: The limits every option's help states.
NAME = f"at most {NAME_MAX} characters"
TEXT = f"at most {TEXT_MAX:,} characters"
M = TypeVar("M", bound="Command")


def choice(enum: type[StrEnum]) -> click.Choice[str]:
    """The ids of a vocabulary as a choice."""
    return click.Choice([e.value for e in enum])


def write_options(f: F) -> F:
    """--at, --by and --note, shared by every write command."""
    f = click.option(
        "--note", default=None, help=f"A free-text note kept with the entry ({TEXT})."
    )(f)
    f = click.option(
        "--by", default=None, help=f"Who records it (default SALESFLOW_USER; {NAME})."
    )(f)
    f = click.option(
        "--at",
        type=WHEN,
        default=None,
        help="When it happened in the world, ISO 8601 (default now).",
    )(f)
    return f


def build(
    flow: Salesflow, /, model: type[M], at: datetime | None, by: str | None, **fields: Any
) -> M:
    """Validate a command (a refusal is exit 2)."""
    from pydantic import ValidationError

    from domain.errors import InputError
    from domain.times import now

    when = at or now().astimezone(flow.settings.config.tz)
    try:
        return model.model_validate(
            {"at": when, "by": by if by is not None else flow.settings.user, **fields}
        )
    except ValidationError as exc:
        command = click.get_current_context(silent=True)
        raise InputError(explain(exc, command.command if command else None)) from exc


def recorded(done: Recorded[Any], what: str | None = None) -> None:
    """What a write recorded: the entry's seq (what ``retract`` takes) and event,
    and what it means (the entry's summary unless the command says more)."""
    say(f"{done.key}: entry {done.seq} ({done.event}) recorded: {what or done.summary}")


@click.group()
def deal() -> None:
    """Record what happens in a deal, or show one."""


@deal.command("open")
@click.argument("key", type=KEY)
@click.option("--customer", required=True, help=f"The customer ({NAME}).")
@click.option("--title", required=True, help=f"What the deal is for ({TEXT}).")
@click.option("--owner", default=None, help=f"The salesperson (default: --by; {NAME}).")
@click.option(
    "--tender-expected",
    type=DATE,
    default=None,
    help="When the tender is expected (not before --at).",
)
@click.option("--value", type=AMOUNT, default=None, help="A first estimate of its value (above 0).")
@write_options
@pass_flow
def open_(
    flow: Salesflow,
    /,
    key: str,
    customer: str,
    title: str,
    owner: str | None,
    tender_expected: date | None,
    value: Decimal | None,
    **when: Any,
) -> None:
    """Open a deal in development."""
    from domain import commands as c

    cmd = build(
        flow,
        c.OpenDeal,
        key=key,
        customer=customer,
        title=title,
        owner=owner,
        tender_expected=tender_expected,
        value=value,
        **when,
    )
    valued = f", valued {cmd.value} {flow.settings.config.currency}" if cmd.value else ""
    recorded(flow.process.open_deal(cmd), f"opened in development for {cmd.customer}{valued}")


@deal.command("customer-step")
@click.argument("key", type=KEY)
@click.argument("step", type=choice(CustomerStep))
@write_options
@pass_flow
def customer_step(flow: Salesflow, /, key: str, step: str, **when: Any) -> None:
    """Record the customer's procurement step as observed."""
    from domain import commands as c

    cmd = build(flow, c.ObserveStep, key=key, step=step, **when)
    done = flow.process.observe_step(cmd)
    recorded(done, f"customer at {step} (mirrored by our stage {cmd.step.mirrored_stage.value})")


@deal.command()
@click.argument("key", type=KEY)
@click.argument("element", type=choice(AssessmentElement))
@click.argument("text")
@write_options
@pass_flow
def collect(flow: Salesflow, /, key: str, element: str, text: str, **when: Any) -> None:
    """Record one of the six assessment elements (TEXT: at most 2,000 characters)."""
    from domain import commands as c

    recorded(
        flow.process.collect(build(flow, c.Collect, key=key, element=element, text=text, **when))
    )


@deal.command()
@click.argument("key", type=KEY)
@click.option(
    "--score",
    "scores",
    type=SCORE,
    multiple=True,
    help="A factor's score, a whole number 1-5; give every factor of the evaluation model.",
)
@write_options
@pass_flow
def assess(flow: Salesflow, /, key: str, scores: tuple[tuple[str, int], ...], **when: Any) -> None:
    """Assess the opportunity in the evaluation model (a failure still exits 0)."""
    from domain import commands as c
    from domain.errors import InputError

    given: dict[str, int] = {}
    for factor, score in scores:
        if factor in given:
            raise InputError(f"--score: {factor} given twice")
        given[factor] = score
    required = [f.value for f in flow.settings.config.evaluation.required_factors]
    missing = [f for f in required if f not in given]
    if missing:
        raise InputError(f"--score: the evaluation model requires {', '.join(missing)}")
    extra = [f for f in given if f not in required]
    if extra:
        raise InputError(f"--score: the evaluation model does not score {', '.join(extra)}")
    done = flow.process.assess(build(flow, c.Assess, key=key, scores=given, **when))
    result = done.value
    verdict = "passed" if result["passed"] else "failed"
    why = ""
    if not result["passed"]:
        why = (
            f": knocked out by {', '.join(result['knocked_out'])}"
            if result["knocked_out"]
            else f": below the pass mark {result['pass_mean']:g}"
        )
    recorded(done, f"assessed, weighted mean {result['weighted_mean']:.2f}, {verdict}{why}")


@deal.command()
@click.argument("key", type=KEY)
@click.option(
    "--likelihood", type=NUMBER, default=None, help="Likelihood of closing, 0..1 (0.65 for 65 %)."
)
@click.option("--close-by", type=DATE, default=None, help="Expected close date (not before --at).")
@click.option("--grade", "grade_", type=choice(Grade), default=None, help="A grade by hand.")
@click.option("--reason", default=None, help=f"Why, for a grade by hand ({TEXT}).")
@write_options
@pass_flow
def grade(
    flow: Salesflow,
    /,
    key: str,
    likelihood: float | None,
    close_by: date | None,
    grade_: str | None,
    reason: str | None,
    **when: Any,
) -> None:
    """Grade the customer A/B/C/D, by the grading rule or by hand."""
    from domain import commands as c

    cmd = build(
        flow,
        c.GradeDeal,
        key=key,
        likelihood=likelihood,
        close_by=close_by,
        grade=grade_,
        reason=reason,
        **when,
    )
    done = flow.process.grade(cmd)
    g, why = done.value
    recorded(done, f"graded {g.value} ({g.engagement.value}), {why}")


@deal.command()
@click.argument("key", type=KEY)
@click.argument("name")
@click.option("--role", type=choice(Role), default="other")
@click.option(
    "--weight", type=NUMBER, default=None, help="Share of the decision, 0..1 (0.3 for 30 %)."
)
@write_options
@pass_flow
def stakeholder(
    flow: Salesflow, /, key: str, name: str, role: str, weight: float | None, **when: Any
) -> None:
    """Record a person in the buying organisation (NAME: at most 200 characters)."""
    from domain import commands as c

    cmd = build(flow, c.IdentifyStakeholder, key=key, name=name, role=role, weight=weight, **when)
    recorded(flow.process.identify_stakeholder(cmd))


@deal.command("stakeholder-left")
@click.argument("key", type=KEY)
@click.argument("name")
@click.option("--reason", default=None, help=f"Why ({TEXT}).")
@write_options
@pass_flow
def stakeholder_left(
    flow: Salesflow, /, key: str, name: str, reason: str | None, **when: Any
) -> None:
    """Record that a person left the buying organisation or turned against us.

    NAME: a present stakeholder (at most 200 characters)."""
    from domain import commands as c

    cmd = build(flow, c.StakeholderLeaves, key=key, name=name, reason=reason, **when)
    recorded(flow.process.stakeholder_left(cmd))


@deal.command()
@click.argument("key", type=KEY)
@click.argument("name")
@write_options
@pass_flow
def insider(flow: Salesflow, /, key: str, name: str, **when: Any) -> None:
    """Record an insider (内线) found (NAME: at most 200 characters)."""
    from domain import commands as c

    recorded(flow.process.find_insider(build(flow, c.NamePerson, key=key, name=name, **when)))


@deal.command()
@click.argument("key", type=KEY)
@click.argument("name")
@write_options
@pass_flow
def engage(flow: Salesflow, /, key: str, name: str, **when: Any) -> None:
    """Record a key person (关键人) engaged (NAME: at most 200 characters)."""
    from domain import commands as c

    recorded(flow.process.engage(build(flow, c.NamePerson, key=key, name=name, **when)))


@deal.command()
@click.argument("key", type=KEY)
@click.argument("kind", type=choice(ActivityKind))
@click.option("--with", "with_whom", default=None, help=f"Who it was with (free text, {TEXT}).")
@click.option("--outcome", default=None, help=f"What came of it ({TEXT}).")
@write_options
@pass_flow
def activity(
    flow: Salesflow,
    /,
    key: str,
    kind: str,
    with_whom: str | None,
    outcome: str | None,
    **when: Any,
) -> None:
    """Record work done: a visit, a call, a demo, ..."""
    from domain import commands as c

    cmd = build(
        flow, c.HoldActivity, key=key, kind=kind, with_whom=with_whom, outcome=outcome, **when
    )
    recorded(flow.process.activity(cmd))


@deal.command()
@click.argument("key", type=KEY)
@write_options
@pass_flow
def shortlist(flow: Salesflow, /, key: str, **when: Any) -> None:
    """Record that we were short-listed as a candidate supplier."""
    from domain import commands as c

    recorded(flow.process.shortlist(build(flow, c.Shortlist, key=key, **when)))


@deal.command()
@click.argument("key", type=KEY)
@click.argument("criteria", nargs=-1, required=True)
@write_options
@pass_flow
def influence(flow: Salesflow, /, key: str, criteria: tuple[str, ...], **when: Any) -> None:
    """Record the procurement standard influenced in our favour.

    CRITERIA: the criteria now in our favour, each at most 2,000 characters."""
    from domain import commands as c

    cmd = build(flow, c.Influence, key=key, criteria=list(criteria), **when)
    recorded(flow.process.influence(cmd))


@deal.command()
@click.argument("key", type=KEY)
@click.option("--due", type=DATE, default=None, help="When bids are due (not before --at).")
@write_options
@pass_flow
def tender(flow: Salesflow, /, key: str, due: date | None, **when: Any) -> None:
    """Record the tender document received."""
    from domain import commands as c

    recorded(flow.process.tender(build(flow, c.ReceiveTender, key=key, due=due, **when)))
