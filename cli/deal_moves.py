"""``salesflow deal ...``: the stage-bound facts, the stage moves, the outcomes
and corrections (the commands that change where a deal stands)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click

from cli.context import Salesflow, pass_flow
from cli.deal import build, choice, deal, recorded, write_options
from cli.types import AMOUNT, KEY
from domain.vocabulary import LossReason


@deal.command()
@click.argument("key", type=KEY)
@click.option("--price", type=AMOUNT, required=True)
@click.option("--margin", type=float, default=None, metavar="FRACTION")
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
    flow.process.bid(cmd)
    recorded(key, "bid submitted")


@deal.command("approve-contract")
@click.argument("key", type=KEY)
@write_options
@pass_flow
def approve_contract(flow: Salesflow, /, key: str, **when: Any) -> None:
    """Record the contract approved (only in negotiation)."""
    from domain import commands as c

    flow.process.approve_contract(build(flow, c.Plain, key=key, **when))
    recorded(key, "contract approved")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--value", type=AMOUNT, default=None)
@write_options
@pass_flow
def sign(flow: Salesflow, /, key: str, value: Decimal | None, **when: Any) -> None:
    """Record the contract signed: the deal is won, the stage stays negotiation."""
    from domain import commands as c

    flow.process.sign(build(flow, c.Sign, key=key, value=value, **when))
    recorded(key, "contract signed: won (advance to move into implementation)")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--result", required=True)
@write_options
@pass_flow
def trial(flow: Salesflow, /, key: str, result: str, **when: Any) -> None:
    """Record the trial evaluated (only in implementation)."""
    from domain import commands as c

    flow.process.trial(build(flow, c.Result, key=key, result=result, **when))
    recorded(key, "trial evaluated")


@deal.command("oil-analysis")
@click.argument("key", type=KEY)
@click.option("--result", required=True)
@write_options
@pass_flow
def oil_analysis(flow: Salesflow, /, key: str, result: str, **when: Any) -> None:
    """Record usage and oil-analysis follow-up (only in implementation)."""
    from domain import commands as c

    flow.process.oil_analysis(build(flow, c.Result, key=key, result=result, **when))
    recorded(key, "oil analysis followed up")


@deal.command()
@click.argument("key", type=KEY)
@write_options
@pass_flow
def advance(flow: Salesflow, /, key: str, **when: Any) -> None:
    """Move to the next stage; refused unless this stage's milestones are met."""
    from domain import commands as c

    stage = flow.process.advance(build(flow, c.Plain, key=key, **when))
    recorded(key, f"advanced to {stage.value}")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--reason", required=True)
@click.option("--approved-by", required=True)
@write_options
@pass_flow
def force(flow: Salesflow, /, key: str, reason: str, approved_by: str, **when: Any) -> None:
    """Move to the next stage without its milestones: a recorded exception."""
    from domain import commands as c

    cmd = build(flow, c.Force, key=key, reason=reason, approved_by=approved_by, **when)
    skipped = flow.process.force(cmd)
    recorded(key, f"forced past {', '.join(m.value for m in skipped)}")


@deal.command()
@click.argument("key", type=KEY)
@click.option("--reason", required=True, type=choice(LossReason))
@click.option("--competitor", default=None)
@write_options
@pass_flow
def lose(flow: Salesflow, /, key: str, reason: str, competitor: str | None, **when: Any) -> None:
    """Record the deal lost."""
    from domain import commands as c

    flow.process.lose(build(flow, c.Lose, key=key, reason=reason, competitor=competitor, **when))
    recorded(key, f"lost ({reason})")


def _reasoned(name: str, doc: str, past: str) -> click.Command:
    """An outcome command that takes a reason: withdraw, abandon, nurture, reopen."""

    @click.argument("key", type=KEY)
    @click.option("--reason", required=True)
    @write_options
    @pass_flow
    def command(flow: Salesflow, /, key: str, reason: str, **when: Any) -> None:
        from domain import commands as c

        getattr(flow.process, name)(build(flow, c.Reasoned, key=key, reason=reason, **when))
        recorded(key, past)

    command.__doc__ = doc
    return deal.command(name)(command)


withdraw = _reasoned("withdraw", "Record that we left the competition.", "withdrawn")
abandon = _reasoned("abandon", "Record that the deal is not worth following.", "abandoned")
nurture = _reasoned(
    "nurture", "Lower the contact level: keep the customer for maintenance.", "nurtured"
)
reopen = _reasoned("reopen", "Bring a nurtured deal back to open.", "reopened")


@deal.command()
@click.argument("key", type=KEY)
@click.argument("seq", type=int)
@click.option("--reason", required=True)
@write_options
@pass_flow
def retract(flow: Salesflow, /, key: str, seq: int, reason: str, **when: Any) -> None:
    """Say that entry SEQ was wrong: it no longer counts (it stays in the audit)."""
    from domain import commands as c

    event = flow.process.retract(build(flow, c.Retract, key=key, seq=seq, reason=reason, **when))
    recorded(key, f"entry {seq} ({event}) retracted")
