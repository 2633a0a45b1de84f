"""``salesflow deal show``: where a deal stands, as of a business time and as
known at a recorded time, with its recent entries and their notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.context import Salesflow, pass_flow
from cli.deal import deal
from cli.output import say
from cli.types import KEY, UNTIL


@deal.command()
@click.argument("key", type=KEY)
@click.option("--as-of", type=UNTIL, default=None, help="The deal as it stood then.")
@click.option("--known-at", type=UNTIL, default=None, help="Only what was recorded by then.")
@click.option("--json", "as_json", is_flag=True)
@pass_flow
def show(
    flow: Salesflow,
    /,
    key: str,
    as_of: datetime | None,
    known_at: datetime | None,
    as_json: bool,
) -> None:
    """Show the deal: stage, outcome, milestones, alignment, win probability."""
    from cli.output import emit_json
    from projections.documents import deal_show

    flow.fresh()
    doc = deal_show(key, flow.process.entries(key), flow.settings.config, as_of, known_at)
    if as_json:
        emit_json(doc)
        return
    _print_deal(doc)


def _print_deal(doc: dict[str, Any]) -> None:
    say(f"{doc['key']}  {doc['customer']}: {doc['title']}  (owner {doc['owner']})")
    say(
        f"  stage {doc['stage']}, outcome {doc['outcome']}, grade {doc['grade'] or '-'}"
        f" ({doc['engagement'] or 'not graded'})"
    )
    say(
        f"  customer step {doc['customer_step'] or 'unknown'}, expected stage"
        f" {doc['expected_stage'] or '-'}, alignment {doc['alignment']}"
    )
    value = f"{doc['value']} {doc['currency']}" if doc["value"] else "not estimated"
    say(f"  value {value}")
    say(f"  win probability {doc['win_probability']:.3f}: {doc['win_probability_explained']}")
    click.echo("  milestones:")
    for m, st in doc["milestones"].items():
        mark = "x" if st["met"] else " "
        forced = "  (forced past)" if st["forced_past"] else ""
        forced += "  (unverified: imported)" if not st["verified"] else ""
        say(f"    [{mark}] {m}{forced}")
    missing = ", ".join(doc["missing_milestones"]) or "none"
    say(f"  missing: {missing}")
    for f in doc["forced_advances"]:
        say(
            f"  forced {f['from']} -> {f['to']} past {', '.join(f['missing'])}"
            f" (approved by {f['approved_by']}: {f['reason']})"
        )
    for s in doc["stakeholders"]:
        tags = [t for t in ("insider", "key_person", "left") if s[t]]
        say(f"  person {s['name']} ({s['role']}) {' '.join(tags)}".rstrip())
    say(f"  recent entries (times in {doc['time_zone']}):")
    for e in doc["recent_entries"]:
        mark = "  RETRACTED" if e["retracted"] else ""
        say(f"    #{e['seq']} {e['occurred_at'][:16]} {e['event']}: {e['summary']}{mark}")
        if e["note"]:
            say(f"        note: {e['note']}")
