"""The coach's commands: diagnose, replay and pipeline movement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_csv, emit_json, emit_table
from cli.types import KEY, UNTIL, WHEN
from domain.errors import InputError


def _print_diagnosis(doc: dict[str, Any], indent: str = "") -> None:
    click.echo(
        f"{indent}customer at {doc['customer_step'] or 'unknown step'}, expected stage"
        f" {doc['expected_stage'] or '-'}, our stage {doc['stage']}: {doc['alignment']}"
    )
    for action in doc["next_actions"]:
        click.echo(f"{indent}  {action['milestone']} ({action['stage']}):")
        for item in action["work_items"]:
            click.echo(f"{indent}    - {item}")
    for risk in doc["risks"]:
        click.echo(f"{indent}  ! {risk['code']}: {risk['message']}")


@click.command()
@click.argument("key", type=KEY)
@click.option("--as-of", type=UNTIL, default=None, help="Judge the deal as it stood then.")
@click.option("--known-at", type=UNTIL, default=None, help="Only what was recorded by then.")
@click.option("--json", "as_json", is_flag=True)
@pass_flow
def diagnose(
    flow: Salesflow,
    key: str,
    as_of: datetime | None,
    known_at: datetime | None,
    as_json: bool,
) -> None:
    """The coach's reading: alignment, missing milestones, next work, risks."""
    from domain.diagnosis import diagnose as diagnosis_of
    from domain.errors import UnknownDeal
    from domain.fold import fold
    from domain.times import now

    flow.fresh()
    state = fold(flow.process.entries(key), as_of=as_of, known_at=known_at)
    if state.opened_at is None:
        raise UnknownDeal(key)
    doc = diagnosis_of(state, flow.settings.config, as_of or now())
    if as_json:
        emit_json(doc)
        return
    click.echo(f"{key}  {state.customer}: {state.title}")
    _print_diagnosis(doc)


@click.command()
@click.argument("key", type=KEY)
@click.option("--json", "as_json", is_flag=True)
@click.option("--step", is_flag=True, help="Wait for a key between entries.")
@pass_flow
def replay(flow: Salesflow, key: str, as_json: bool, step: bool) -> None:
    """The deal's history step by step, with the diagnosis after each entry."""
    from domain.diagnosis import replay as replay_of

    flow.fresh()
    steps = replay_of(flow.process.entries(key), flow.settings.config)
    if as_json:
        emit_json(
            [
                {
                    k: s[k]
                    for k in (
                        "seq",
                        "event",
                        "occurred_at",
                        "stage",
                        "retracted",
                        "outcome",
                        "milestones_met",
                        "diagnosis",
                    )
                }
                for s in steps
            ]
        )
        return
    tz = flow.settings.config.tz
    previous: set[str] = set()
    for n, s in enumerate(steps):
        when = s["occurred_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
        mark = "  (retracted: no effect)" if s["retracted"] else ""
        click.echo(f"{when}  #{s['seq']} {s['event']}{mark}")
        click.echo(
            f"    stage {s['stage']}, {s['outcome']}, {s['diagnosis']['alignment']};"
            f" met: {', '.join(s['milestones_met']) or 'nothing yet'}"
        )
        risks = {r["code"] for r in s["diagnosis"]["risks"]}
        for code in sorted(risks - previous):
            click.echo(f"    ! new risk {code}")
        previous = risks
        if step and n < len(steps) - 1:
            click.pause("    (press a key for the next entry)")


@click.command()
@click.option("--from", "start", type=WHEN, required=True, help="From the start of this day.")
@click.option("--to", "end", type=UNTIL, required=True, help="To the end of this day.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
@pass_flow
def movement(flow: Salesflow, start: datetime, end: datetime, as_json: bool, as_csv: bool) -> None:
    """Pipeline movement between two dates, deal by deal and totalled."""
    from projections import queries
    from projections.movement import TOTALS
    from projections.movement import movement as movement_of

    if as_json and as_csv:
        raise InputError("choose one of --json and --csv")
    if end < start:
        raise InputError("--to is before --from")
    histories = queries.entries(flow.fresh()).values()
    doc = movement_of(histories, flow.settings.config, start, end)
    columns = (
        "key",
        "movements",
        "stage_at_start",
        "stage_at_end",
        "outcome_at_start",
        "outcome_at_end",
    )
    if as_json:
        emit_json(doc)
    elif as_csv:
        emit_csv(doc["deals"], columns)
    else:
        t = doc["totals"]
        click.echo(
            f"{doc['from']:%Y-%m-%d} .. {doc['to']:%Y-%m-%d}: open"
            f" {doc['open_at_start']} -> {doc['open_at_end']}"
        )
        click.echo("  " + ", ".join(f"{name} {t[name]}" for name in TOTALS))
        if doc["deals"]:
            emit_table(doc["deals"], columns)


COMMANDS = (diagnose, replay, movement)
