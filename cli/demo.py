"""``salesflow demo``: the article's case and a handful of sample deals."""

from __future__ import annotations

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_table, say
from cli.reads import PIPELINE_SHORT


@click.command()
@click.option(
    "--into-existing",
    is_flag=True,
    help="Load the sample deals even into a store that holds other deals.",
)
@pass_flow
def demo(flow: Salesflow, into_existing: bool) -> None:
    """Load the article's case and sample deals into the store, and show the pipeline.

    A store that holds deals other than the demo's is refused unless
    --into-existing is given; a second run in the same place loads nothing new."""
    from domain.demo_data import HISTORY_KEYS, load_demo, load_history, samples
    from domain.errors import StoreHoldsOtherDeals
    from domain.times import now
    from projections import queries

    if not into_existing and flow.exists():
        keys = [r["key"] for r in flow.fresh().query(f"SELECT key FROM {_pipeline(flow)}")]
        others = sorted(set(keys) - set(samples()) - set(HISTORY_KEYS))
        if others:
            raise StoreHoldsOtherDeals(flow.settings.store.url, others)
    loaded, present = load_demo(flow.process)
    past = load_history(flow.process)
    if loaded:
        click.echo(f"loaded {', '.join(loaded)}")
    if past:
        span = f"{HISTORY_KEYS[0]} .. {HISTORY_KEYS[-1]}"
        click.echo(f"and {past} deals of the team's past two years ({span})")
    if present:
        click.echo(f"already in the store: {', '.join(present)}")
    read = flow.fresh()
    tz = flow.settings.config.tz
    click.echo("")
    shown = [r for r in queries.pipeline(read, tz, now()) if r["key"] in samples()]
    emit_table(shown, PIPELINE_SHORT, f"the sample deals; times in {tz.key}")
    lost = [r for r in queries.losses(read, tz) if r["key"] in samples()]
    if lost:
        click.echo("\nwhy deals were lost:")
        for r in lost:
            say(f"  {r['key']}: {r['explanation']}")
    click.echo("\ntry: salesflow deal show NX-2026-031   salesflow audit NX-2026-031")
    click.echo("     salesflow pipeline   salesflow report win-rates   salesflow report funnel")


def _pipeline(flow: Salesflow) -> str:
    from projections.schema import PIPELINE

    return flow.read.table(PIPELINE)
