"""``salesflow verify`` and ``salesflow checkpoint``: is the history the one
salesflow wrote, and a hash of the log to keep elsewhere to prove it later."""

from __future__ import annotations

import click

from cli.context import Salesflow, pass_flow
from cli.output import emit_json, say


@click.command()
@click.option(
    "--checkpoint",
    "given",
    multiple=True,
    metavar="JSON|FILE",
    help="A checkpoint printed by `salesflow checkpoint` (its JSON, or a file holding it)"
    " that the log must still match; may be given more than once.",
)
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.option(
    "--read-models",
    is_flag=True,
    help="Also rebuild the read models aside and report every row that differs from the live ones.",
)
@pass_flow
def verify(flow: Salesflow, given: tuple[str, ...], as_json: bool, read_models: bool) -> None:
    """Walk every deal's chain and the whole log and report what was edited,
    deleted, inserted or reordered behind salesflow's back.

    Exit 0 when intact, 1 when anything is found, 2 for a bad argument."""
    from adapters.integrity import read_checkpoint, verify_store

    checkpoints = [read_checkpoint(g) for g in given]
    flow.process  # noqa: B018 - the store's tables, as this salesflow keeps them
    report = verify_store(flow.settings.store, checkpoints)
    doc = report.document()
    if read_models:
        from projections.compare import compare_read_models

        differences = compare_read_models(flow)
        doc["read_models"] = {"intact": not differences, "differences": differences}
    intact = doc["intact"] and (not read_models or doc["read_models"]["intact"])
    doc["intact"] = intact
    if as_json:
        emit_json(doc)
    else:
        _say(doc)
    if not intact:
        raise click.exceptions.Exit(1)


def _say(doc: dict[str, object]) -> None:
    findings = doc["findings"]
    assert isinstance(findings, list)
    for f in findings:
        where = " ".join(
            part
            for part in (
                f"deal {f['deal']}" if f["deal"] else "",
                f"seq {f['seq']}" if f["seq"] is not None else "",
                f"(notification {f['id']})" if f["id"] is not None and f["deal"] else "",
            )
            if part
        )
        say(f"{f['kind']}: {where + ': ' if where else ''}{f['detail']}")
    rm = doc.get("read_models")
    if isinstance(rm, dict):
        for d in rm["differences"]:
            say(f"read model {d['table']}: {d['what']}: {d['row']}")
    for note in doc["notes"]:  # type: ignore[attr-defined]
        say(f"note: {note}")
    verdict = "intact" if doc["intact"] else "NOT intact"
    say(
        f"{doc['deals']} deals, {doc['events']} events ({doc['chained']} chained),"
        f" {doc['checkpoints_checked']} checkpoint(s) checked: {verdict}"
    )
    say(f"log root at notification {doc['position']}: {doc['root']}")


@click.command()
@pass_flow
def checkpoint(flow: Salesflow) -> None:
    """Record and print a checkpoint of the log: {"position", "root", "at"},
    the Merkle tree hash (RFC 9162) of every event up to ``position``. Keep
    a copy elsewhere: `salesflow verify --checkpoint` proves later that the
    log was only appended to since."""
    from adapters.integrity import take_checkpoint

    flow.process  # noqa: B018 - the store's tables, as this salesflow keeps them
    emit_json(take_checkpoint(flow.settings.store).document())


COMMANDS = (verify, checkpoint)
