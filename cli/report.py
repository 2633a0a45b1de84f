"""``salesflow report NAME``: the reports of shared/reports.md."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_csv, emit_json, emit_table, say
from cli.types import DATE
from domain.errors import InputError
from projections.reports import REPORTS


@click.command()
@click.argument("name", type=click.Choice(REPORTS))
@click.option("--from", "start", type=DATE, default=None, help="From the start of this day.")
@click.option(
    "--to", "end", type=DATE, default=None, help="To the end of this day (default today)."
)
@click.option(
    "--owner", default=None, help="Only this salesperson's deals (where the report takes it)."
)
@click.option(
    "--grade",
    type=click.Choice(["A", "B", "C", "D"]),
    default=None,
    help="Only deals of this grade.",
)
@click.option("--by-owner", is_flag=True, help="velocity: one row per owner.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")
@pass_flow
def report(
    flow: Salesflow,
    name: str,
    start: date | None,
    end: date | None,
    owner: str | None,
    grade: str | None,
    by_owner: bool,
    as_json: bool,
    as_csv: bool,
) -> None:
    """A report over the window --from .. --to (default: the last 365 days):
    funnel, win-rates, time-in-stage, velocity, losses-by-stage, waterfall."""
    from domain.times import now
    from projections.reports.build import ReportOptions, run
    from projections.reports.tables import table

    if as_json and as_csv:
        raise InputError("choose one of --json and --csv")
    options = ReportOptions.model_validate(
        {"from": start, "to": end, "owner": owner, "grade": grade, "by_owner": by_owner}
    )
    doc = run(name, flow.fresh(), flow.settings.config, options, now())
    if as_json:
        emit_json(doc)
        return
    rows, columns = table(name, doc)
    if as_csv:
        emit_csv(rows, columns)
        return
    _human(name, doc, rows, columns)


def _human(
    name: str, doc: dict[str, Any], rows: list[dict[str, Any]], columns: tuple[str, ...]
) -> None:
    filters = "".join(f", {k} {doc[k]}" for k in ("owner", "grade") if doc[k])
    say(f"{name}: {doc['from']} .. {doc['to']}{filters}; amounts in {doc['currency']}")
    if name == "win-rates":
        from projections.reports.outcomes import reading

        o = doc["overall"]
        say(f"overall: {_pct(o)}")
        emit_table(rows[1:], columns)
        for m, figures in doc["by_milestone"].items():
            say(reading(m, figures))
        return
    if not rows:
        click.echo("(none)")
        return
    emit_table(rows, columns)
    if name == "losses-by-stage" and doc["totals"]:
        emit_table(doc["totals"], ("stage", "deals", "price_fights"), "totals by stage")
    if name == "waterfall":
        from projections.reports.money import balance

        for part in ("deals", "value"):
            end, side = balance(doc, part)
            verdict = "balanced" if end == side else "DOES NOT BALANCE"
            say(f"balance in {part}: end {end} = {side} ({verdict})")


def _pct(r: dict[str, Any]) -> str:
    if r["rate"] is None:
        return "no deal closed"
    return (
        f"won {r['won']} of {r['closed']} ({round(100 * r['rate'])} %,"
        f" 95 % interval {round(100 * r['low'])}-{round(100 * r['high'])} %)"
    )


COMMANDS = (report,)
