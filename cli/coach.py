"""The coach's commands: diagnose, replay and pipeline movement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_csv, emit_json, emit_table, say
from cli.types import KEY, UNTIL, WHEN
from domain.errors import InputError


def print_diagnosis(doc: dict[str, Any], indent: str = "", new: set[str] | None = None) -> None:
    """The diagnosis for people: alignment, next work by missing milestone, risks
    (those in ``new`` marked as new)."""
    click.echo(
        f"{indent}customer at {doc['customer_step'] or 'unknown step'}, expected stage"
        f" {doc['expected_stage'] or '-'}, our stage {doc['stage']}: {doc['alignment']}"
    )
    for action in doc["next_actions"]:
        say(f"{indent}  {action['milestone']} ({action['stage']}):")
        for item in action["work_items"]:
            say(f"{indent}    - {item}")
    for risk in doc["risks"]:
        mark = "new risk " if new is not None and risk["code"] in new else ""
        say(f"{indent}  ! {mark}{risk['code']}: {risk['message']}")


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
    from domain.times import now
    from projections.documents import state_of

    flow.fresh()
    state = state_of(key, flow.process.entries(key), as_of, known_at)
    doc = diagnosis_of(state, flow.settings.config, as_of or now())
    if as_json:
        emit_json(doc)
        return
    say(f"{key}  {state.customer}: {state.title}")
    print_diagnosis(doc)


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
        # Two sections: the deals, then (after a blank line) the totals.
        emit_csv(doc["deals"], columns)
        click.echo("")
        counts = {"open_at_start": doc["open_at_start"], "open_at_end": doc["open_at_end"]}
        totals = [{"total": k, "count": v} for k, v in {**counts, **doc["totals"]}.items()]
        emit_csv(totals, ("total", "count"))
    else:
        t = doc["totals"]
        click.echo(
            f"{doc['from']:%Y-%m-%d} .. {doc['to']:%Y-%m-%d}: open"
            f" {doc['open_at_start']} -> {doc['open_at_end']}"
        )
        click.echo("  " + ", ".join(f"{name} {t[name]}" for name in TOTALS))
        if doc["deals"]:
            emit_table(doc["deals"], columns, f"times in {flow.settings.config.tz.key}")


COMMANDS = (diagnose, movement)
