"""Each report of shared/reports.md against ``pipeline --json`` on the same
generated store, as a user runs them: whole commands, output to /dev/null.

    python bench/reports.py [--events 1000000] [--stores sqlite postgresql] [--repeat 3]

For each store: make (or reuse) the generated store of bench/generate.py with
its read models at the head, then run ``salesflow pipeline --json`` and
``salesflow report NAME --json`` over the generated data's last two years,
taking turns ``--repeat`` times; print each command's median wall time and
its ratio to ``pipeline --json`` (target: each report <= 2x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import make
from bench.rebuild import store_url
from projections.reports import REPORTS

WINDOW = ("--from", "2024-11-01", "--to", "2026-10-31")


def _run(url: str, args: list[str]) -> float:
    env = {**os.environ, "SALESFLOW_STORE": url, "SALESFLOW_TZ": "UTC"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def measure(kind: str, events: int, repeat: int) -> None:
    url = store_url(kind, events)
    make(kind, events)
    commands = {"pipeline --json": ["pipeline", "--json"]}
    commands |= {f"report {n}": ["report", n, *WINDOW, "--json"] for n in REPORTS}
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, args in commands.items():
            seconds[name].append(_run(url, args))
    base = statistics.median(seconds["pipeline --json"])
    print(f"{kind}, ~{events} events (median of {repeat}, whole commands):")
    for name, runs in seconds.items():
        mid = statistics.median(runs)
        verdict = (
            "" if name.startswith("pipeline") else ("  ok" if mid <= 2 * base else "  over 2x")
        )
        print(f"  {name:<24} {mid * 1000:7.0f} ms   {mid / base:4.2f}x{verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for kind in args.stores:
        for events in args.events:
            measure(kind, events, args.repeat)


if __name__ == "__main__":
    main()
