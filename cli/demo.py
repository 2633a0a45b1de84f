"""``salesflow demo``: the article's case and a handful of sample deals."""

from __future__ import annotations

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_table
from cli.reads import PIPELINE_SHORT


@click.command()
@pass_flow
def demo(flow: Salesflow) -> None:
    """Load the article's case and sample deals into the store, and show the pipeline."""
    from domain.demo_data import load_demo
    from domain.times import now
    from projections import queries

    loaded, present = load_demo(flow.process)
    if loaded:
        click.echo(f"loaded {', '.join(loaded)}")
    if present:
        click.echo(f"already in the store: {', '.join(present)}")
    read = flow.fresh()
    tz = flow.settings.config.tz
    click.echo("")
    emit_table(queries.pipeline(read, tz, now()), PIPELINE_SHORT)
    lost = queries.losses(read, tz)
    if lost:
        click.echo("\nwhy deals were lost:")
        for r in lost:
            click.echo(f"  {r['key']}: {r['explanation']}")
    click.echo("\ntry: salesflow deal show NX-2026-031   salesflow audit NX-2026-031")
