"""``salesflow deal ...``: the stage-bound facts, the stage moves, the outcomes
and the corrections (the commands that change where a deal stands, or say
what was recorded wrong)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import click

from cli.context import Salesflow, pass_flow
from cli.deal import NAME, TEXT, build, choice, deal, recorded, write_options
from cli.types import AMOUNT, DATE, KEY, NUMBER, WHOLE
from domain.vocabulary import LossReason


@deal.command()
@click.argument("key", type=KEY)
@click.option("--price", type=AMOUNT, required=True, help="Above 0, at most 2 decimals.")
@click.option(
    "--margin",
    type=NUMBER,
    default=None,
    metavar="FRACTION",
    help="The target margin, between -1 and 1 (0.18 for 18 %).",
)
@click.option("--negotiated", is_flag=True, help="A negotiated bid (议标), no tender.")
@write_options
@pass_flow
def bid(
    flow: Salesflow,
    /,
    key: str,
    price: Decimal,
    margin: float | None,
    negotiated: bool,
    **when: Any,
) -> None:
    """Record a bid submitted (only in bidding)."""
    from domain import commands as c

    cmd = build(
        flow, c.SubmitBid, key=key, price=price, margin=margin, negotiated=negotiated, **when
    )
    recorded(flow.process.bid(cmd))


@deal.command("approve-contract")
@click.argument("key", type=KEY)
@write_options
@pass_flow
def approve_contract(flow: Salesflow, /, key: str, **when: Any) -> None:
    """Record the contract approved (only in negotiation)."""
    from domain import commands as c

    recorded(flow.process.approve_contract(build(flow, c.Plain, key=key, **when)))


@deal.command()
@click.argument("key", type=KEY)
@click.option("--value", type=AMOUNT, required=True, help="Above 0, at most 2 decimals.")
@write_options
@pass_flow
def estimate(flow: Salesflow, /, key: str, value: Decimal, **when: Any) -> None:
    """Record an estimate of what the deal is worth (while open or nurtured)."""
    from domain import commands as c

    done = flow.process.estimate(build(flow, c.EstimateValue, key=key, value=value, **when))
    recorded(done, f"{done.summary} {flow.settings.config.currency}")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--value", type=AMOUNT, default=None, help="Above 0, at most 2 decimals.")
@write_options
@pass_flow
def sign(flow: Salesflow, /, key: str, value: Decimal | None, **when: Any) -> None:
    """Record the contract signed: the deal is won, the stage stays negotiation."""
    from domain import commands as c

    done = flow.process.sign(build(flow, c.Sign, key=key, value=value, **when))
    recorded(done, f"{done.summary} (advance to move into implementation)")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--result", required=True, help=f"What came of it ({TEXT}).")
@write_options
@pass_flow
def trial(flow: Salesflow, /, key: str, result: str, **when: Any) -> None:
    """Record the trial evaluated (only in implementation)."""
    from domain import commands as c

    recorded(flow.process.trial(build(flow, c.Result, key=key, result=result, **when)))


@deal.command("oil-analysis")
@click.argument("key", type=KEY)
@click.option("--result", required=True, help=f"What came of it ({TEXT}).")
@write_options
@pass_flow
def oil_analysis(flow: Salesflow, /, key: str, result: str, **when: Any) -> None:
    """Record usage and oil-analysis follow-up (only in implementation)."""
    from domain import commands as c

    recorded(flow.process.oil_analysis(build(flow, c.Result, key=key, result=result, **when)))


@deal.command()
@click.argument("key", type=KEY)
@write_options
@pass_flow
def advance(flow: Salesflow, /, key: str, **when: Any) -> None:
    """Move to the next stage; refused unless this stage's milestones are met."""
    from domain import commands as c

    done = flow.process.advance(build(flow, c.Plain, key=key, **when))
    recorded(done, f"advanced to {done.value.value}")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--reason", required=True, help=f"Why the milestones are skipped ({TEXT}).")
@click.option("--approved-by", required=True, help=f"Who approved the exception ({NAME}).")
@write_options
@pass_flow
def force(flow: Salesflow, /, key: str, reason: str, approved_by: str, **when: Any) -> None:
    """Move to the next stage without its milestones: a recorded exception."""
    from domain import commands as c

    cmd = build(flow, c.Force, key=key, reason=reason, approved_by=approved_by, **when)
    done = flow.process.force(cmd)
    recorded(done, f"forced past {', '.join(m.value for m in done.value)}")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--reason", required=True, type=choice(LossReason))
@click.option("--competitor", default=None, help=f"Who won it ({NAME}).")
@write_options
@pass_flow
def lose(flow: Salesflow, /, key: str, reason: str, competitor: str | None, **when: Any) -> None:
    """Record the deal lost."""
    from domain import commands as c

    cmd = build(flow, c.Lose, key=key, reason=reason, competitor=competitor, **when)
    recorded(flow.process.lose(cmd))


def _reasoned(name: str, doc: str) -> click.Command:
    """An outcome command that takes a reason: withdraw, abandon, nurture, reopen."""

    @click.argument("key", type=KEY)
    @click.option("--reason", required=True, help=f"Why ({TEXT}).")
    @write_options
    @pass_flow
    def command(flow: Salesflow, /, key: str, reason: str, **when: Any) -> None:
        from domain import commands as c

        recorded(
            getattr(flow.process, name)(build(flow, c.Reasoned, key=key, reason=reason, **when))
        )

    command.__doc__ = doc
    return deal.command(name)(command)


withdraw = _reasoned("withdraw", "Record that we left the competition.")
abandon = _reasoned("abandon", "Record that the deal is not worth following.")
nurture = _reasoned("nurture", "Lower the contact level: keep the customer for maintenance.")
reopen = _reasoned("reopen", "Bring a nurtured deal back to open.")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--customer", default=None, help=f"The customer's right name ({NAME}).")
@click.option("--title", default=None, help=f"The deal's right title ({TEXT}).")
@click.option("--owner", default=None, help=f"The right salesperson ({NAME}).")
@click.option("--tender-expected", type=DATE, default=None, help="The right expected tender date.")
@click.option("--reason", required=True, help=f"What was wrong ({TEXT}).")
@write_options
@pass_flow
def correct(
    flow: Salesflow,
    /,
    key: str,
    customer: str | None,
    title: str | None,
    owner: str | None,
    tender_expected: date | None,
    reason: str,
    **when: Any,
) -> None:
    """Put the deal's own details right (every view shows them; the audit keeps both)."""
    from domain import commands as c

    cmd = build(
        flow,
        c.CorrectDetails,
        key=key,
        customer=customer,
        title=title,
        owner=owner,
        tender_expected=tender_expected,
        reason=reason,
        **when,
    )
    recorded(flow.process.correct(cmd))


@deal.command()
@click.argument("key", type=KEY)
@click.argument("seq", type=WHOLE)
@click.option("--reason", required=True, help=f"What was wrong ({TEXT}).")
@write_options
@pass_flow
def retract(flow: Salesflow, /, key: str, seq: int, reason: str, **when: Any) -> None:
    """Say that entry SEQ was wrong: it no longer counts (it stays in the audit).

    SEQ: the entry's number in the deal's history (audit shows it; 1 is Opened)."""
    from domain import commands as c

    done = flow.process.retract(build(flow, c.Retract, key=key, seq=seq, reason=reason, **when))
    recorded(done, f"entry {seq} ({done.value}) retracted: {reason}")
