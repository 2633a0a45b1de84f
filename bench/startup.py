"""How fast the command line answers, against the interpreter starting at all.

    python bench/startup.py [--runs 21]

Times, as whole processes taking turns ``--runs`` times, ``python -c pass``
(the baseline, with the same interpreter), ``salesflow --help``, a write
command (``deal activity``) and ``deal show`` on a SQLite store of the demo's
deals, and prints each median and its ratio to the baseline's median beside
the targets (8x, 15x, 15x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: What is timed, its target ratio, and its arguments (None: the baseline).
CASES: tuple[tuple[str, float | None, list[str] | None], ...] = (
    ("python -c pass", None, None),
    ("salesflow --help", 8.0, ["--help"]),
    ("deal activity (SQLite)", 15.0, ["deal", "activity", "NX-2026-031", "call"]),
    ("deal show (SQLite)", 15.0, ["deal", "show", "NX-2026-031"]),
)


def _command(args: list[str] | None) -> list[str]:
    if args is None:
        return [sys.executable, "-c", "pass"]
    return [str(Path(sys.executable).with_name("salesflow")), *args]


def _once(command: list[str], env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SALESFLOW_STORE": f"sqlite:///{tmp}/bench.db"}
        env.pop("SALESFLOW_CONFIG", None)
        subprocess.run(_command(["demo"]), env=env, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        times: dict[str, list[float]] = {name: [] for name, _, _ in CASES}
        for _ in range(runs):
            for name, _, args in CASES:
                times[name].append(_once(_command(args), env, tmp))
    base = statistics.median(times[CASES[0][0]])
    print(f"medians of {runs} runs taking turns, {sys.platform}, Python {sys.version.split()[0]}")
    for name, target, _ in CASES:
        median = statistics.median(times[name])
        ratio = median / base
        verdict = (
            ""
            if target is None
            else f"  target <= {target:g}x: " + ("met" if ratio <= target else "MISSED")
        )
        print(f"  {name:24} {median * 1000:7.1f} ms  {ratio:5.1f}x{verdict}")


if __name__ == "__main__":
    main()
