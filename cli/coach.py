"""The coach's commands: diagnose, replay and pipeline movement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.context import Salesflow
from cli.deal import _check_key, parse_moment, pass_flow
from cli.output import emit_csv, emit_json, emit_table
from domain.diagnosis import diagnose as diagnosis_of
from domain.diagnosis import replay as replay_of
from domain.errors import InputError, UnknownDeal
from domain.state import fold
from domain.times import now, parse_when
from projections import queries
from projections.movement import TOTALS
from projections.movement import movement as movement_of


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
@click.argument("key")
@click.option("--as-of", default=None, metavar="WHEN", help="Judge the deal as it stood then.")
@click.option("--known-at", default=None, metavar="WHEN", help="Only what was recorded by then.")
@click.option("--json", "as_json", is_flag=True)
@pass_flow
def diagnose(
    flow: Salesflow, key: str, as_of: str | None, known_at: str | None, as_json: bool
) -> None:
    """The coach's reading: alignment, missing milestones, next work, risks."""
    _check_key(key)
    as_of_t = parse_moment(flow, as_of, "--as-of")
    known_t = parse_moment(flow, known_at, "--known-at")
    flow.fresh()
    state = fold(flow.process.entries(key), as_of=as_of_t, known_at=known_t)
    if state.opened_at is None:
        raise UnknownDeal(key)
    doc = diagnosis_of(state, flow.settings.config, as_of_t or now())
    if as_json:
        emit_json(doc)
        return
    click.echo(f"{key}  {state.customer}: {state.title}")
    _print_diagnosis(doc)


@click.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True)
@click.option("--step", is_flag=True, help="Wait for a key between entries.")
@pass_flow
def replay(flow: Salesflow, key: str, as_json: bool, step: bool) -> None:
    """The deal's history step by step, with the diagnosis after each entry."""
    _check_key(key)
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


def _window(flow: Salesflow, start: str, end: str) -> tuple[datetime, datetime]:
    tz = flow.settings.config.tz
    try:
        window = parse_when(start, tz), parse_when(end, tz, end_of_day=True)
    except InputError as exc:
        raise InputError(f"--from/--to: {exc}") from exc
    if window[1] < window[0]:
        raise InputError("--to is before --from")
    return window


@click.command()
@click.option("--from", "start", required=True, metavar="DATE")
@click.option("--to", "end", required=True, metavar="DATE")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
@pass_flow
def movement(flow: Salesflow, start: str, end: str, as_json: bool, as_csv: bool) -> None:
    """Pipeline movement between two dates, deal by deal and totalled."""
    if as_json and as_csv:
        raise InputError("choose one of --json and --csv")
    window = _window(flow, start, end)
    histories = queries.entries(flow.fresh()).values()
    doc = movement_of(histories, flow.settings.config, *window)
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
