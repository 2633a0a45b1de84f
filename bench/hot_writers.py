"""Part 5 of bench/commands.py: writers in separate processes on one deal,
then what was acknowledged, refused and stored, and verify of the store."""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
import traceback
from collections import Counter
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import TypedDict

from adapters.integrity import verify_store
from domain.application import SalesProcess
from tests.conftest import make_flow
from tests.support import do, open_deal


def activity(process: SalesProcess, key: str, with_whom: str) -> None:
    do(process, "activity", key, "2026-07-02", kind="call", with_whom=with_whom)


class WriterResult(TypedDict):
    acknowledged: list[str]
    refused: dict[str, int]
    messages: list[str]
    tracebacks: list[str]


def write(process: SalesProcess, n: int, key: str, commands: int) -> WriterResult:
    done: WriterResult = {"acknowledged": [], "refused": {}, "messages": [], "tracebacks": []}
    refused: Counter[str] = Counter()
    for i in range(commands):
        whom = f"p{n}-{i}"
        try:
            activity(process, key, whom)
        except Exception as exc:
            refused[type(exc).__name__] += 1
            done["messages"].append(f"{type(exc).__name__}: {exc}")
            done["tracebacks"].append(traceback.format_exc())
        else:
            done["acknowledged"].append(whom)
    done["refused"] = dict(refused)
    return done


def writer(
    n: int, url: str, key: str, commands: int, start: Barrier, out: Queue[WriterResult], log: str
) -> None:
    """One writer process: its own application, then the commands at the start signal.
    What it writes to stderr goes to ``log``."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 2)
    os.close(fd)
    flow = make_flow(url)
    process = flow.process
    start.wait(timeout=300)
    out.put(write(process, n, key, commands))
    flow.close()


def run_writers(
    url: str, key: str, tmp: Path, n_writers: int, commands: int
) -> tuple[list[WriterResult], float]:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(n_writers + 1)
    out: Queue[WriterResult] = ctx.Queue()
    logs = [str(tmp / f"writer-{n}.stderr") for n in range(n_writers)]
    procs = [
        ctx.Process(target=writer, args=(n, url, key, commands, start, out, logs[n]))
        for n in range(n_writers)
    ]
    for p in procs:
        p.start()
    start.wait(timeout=300)
    started = time.perf_counter()
    results = []
    for _ in procs:
        try:
            results.append(out.get(timeout=600))
        except queue.Empty:
            break
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    if len(results) < len(procs):
        print(
            f"    only {len(results)} of {len(procs)} writers reported (exit codes:"
            f" {[p.exitcode for p in procs]})"
        )
    stderr = "".join(Path(log).read_text(errors="replace") for log in logs)
    if stderr:
        results.append({"acknowledged": [], "refused": {}, "messages": [], "tracebacks": [stderr]})
    return results, elapsed


def writers(url: str, tmp: Path, n_writers: int, commands: int) -> None:
    flow = make_flow(url)
    key = "HOT-1"
    open_deal(flow.process, key)
    results, elapsed = run_writers(url, key, tmp, n_writers, commands)
    acked = {w for r in results for w in r["acknowledged"]}
    refused: Counter[str] = Counter()
    for r in results:
        refused.update(r["refused"])
    seen = "\n".join(m for r in results for m in (*r["messages"], *r["tracebacks"]))
    stored = [e.data.get("with_whom") for e in flow.process.deal(key).entries]
    lost = acked - set(stored)
    extra = {w for w in stored if w and w.startswith("p")} - acked
    total = n_writers * commands
    print(
        f"  {n_writers} writers x {commands} on one deal: {len(acked)} of {total}"
        f" acknowledged, {sum(refused.values())} refused"
        + (f" ({', '.join(f'{k} {v}' for k, v in refused.items())})" if refused else "")
    )
    print(
        f"    every acknowledged command in the store: {'yes' if not lost else 'NO'};"
        f" lost updates: {len(lost)}; stored but not acknowledged: {len(extra)}"
    )
    print(
        f"    traceback seen: {'yes' if 'Traceback' in seen else 'no'};"
        f" 'database is locked' seen: {'yes' if 'database is locked' in seen else 'no'};"
        f" {elapsed:.2f} s, {len(acked) / elapsed:,.0f} commands/s"
    )
    if seen:
        print("    last line seen: " + seen.strip().splitlines()[-1][:200])
    report = verify_store(flow.settings.store)
    print(
        f"  verify_store: {'intact' if report.intact else 'NOT intact'}"
        f" ({report.deals:,} deals, {report.events:,} events, {len(report.findings)} findings)",
        flush=True,
    )
    flow.close()
