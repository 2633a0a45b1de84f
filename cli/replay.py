"""``salesflow replay``: a deal's history entry by entry, with the coach's
reading after each, to walk through in a meeting (``--step``)."""

from __future__ import annotations

import sys
from typing import Any

import click

from cli.coach import print_diagnosis
from cli.context import Salesflow, pass_flow
from cli.output import emit_json, say
from cli.types import KEY

#: Keys read at a ``--step`` prompt, and what each does.
_BACK = {"b", "B", "\x1b[D", "\x1bOD"}  # b, or the left arrow
_QUIT = {"q", "Q", "\x03", "\x04", ""}  # q, Ctrl-C, Ctrl-D, end of input


@click.command()
@click.argument("key", type=KEY)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--step",
    is_flag=True,
    help="One entry at a time: any key for the next, b (or the left arrow) for the"
    " one before, q, Ctrl-C or the end of input to stop.",
)
@pass_flow
def replay(flow: Salesflow, key: str, as_json: bool, step: bool) -> None:
    """The deal's history step by step, with the diagnosis after each entry."""
    from domain.diagnosis import replay as replay_of
    from projections.documents import STEP_KEYS

    flow.fresh()
    steps = replay_of(flow.process.entries(key), flow.settings.config)
    if as_json:
        emit_json([{k: s[k] for k in STEP_KEYS} for s in steps])
        return
    tz = flow.settings.config.tz
    say(f"{key}: {len(steps)} entries, times in {tz.key}")
    if not step:
        for n in range(len(steps)):
            _show(steps, n, tz)
        return
    n = 0
    while True:
        _show(steps, n, tz)
        if n == len(steps) - 1:
            return
        answer = _key(f"    [{n + 1}/{len(steps)}] any key: next, b: back, q: quit ")
        if answer in _QUIT:
            return
        n = max(n - 1, 0) if answer in _BACK else n + 1


def _key(prompt: str) -> str:
    """One key press from the terminal, or one from the input when it is not
    a terminal ('' at the end of input, on Ctrl-C or with no terminal)."""
    click.echo(prompt, nl=False)
    try:
        if sys.stdin.isatty():
            answer = click.getchar()
        else:
            answer = sys.stdin.read(1)
            if answer == "\x1b":
                answer += sys.stdin.read(2)
    except (EOFError, KeyboardInterrupt, click.Abort, OSError):
        answer = ""
    click.echo("")
    return answer


def _show(steps: list[dict[str, Any]], n: int, tz: Any) -> None:
    s = steps[n]
    before = {r["code"] for r in steps[n - 1]["diagnosis"]["risks"]} if n else set()
    when = s["occurred_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
    mark = "  (retracted: no effect)" if s["retracted"] else ""
    say(f"{when}  #{s['seq']} {s['event']} by {s['actor']}: {s['summary']}{mark}")
    if s["note"]:
        say(f"    note: {s['note']}")
    click.echo(
        f"    stage {s['stage']}, {s['outcome']};"
        f" met: {', '.join(s['milestones_met']) or 'nothing yet'}"
    )
    risks = {r["code"] for r in s["diagnosis"]["risks"]}
    print_diagnosis(s["diagnosis"], "    ", new=risks - before)
