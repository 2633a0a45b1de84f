"""The HTTP API under load, beside the same writes made in-process in the same run.

    python bench/api.py [--deals 1000] [--seconds 20] [--clients 1 8 32] [--workers 2]

Against a live ``salesflow serve --workers 2`` on PostgreSQL (a fresh schema
of ``SALESFLOW_BENCH_POSTGRES``), N clients (threads, one keep-alive
connection each) run 80 % reads (``GET /deals/{key}``, ``/diagnosis``,
``/pipeline?limit=100``, a third each) and 20 % writes (``activity``,
``customer-step``, half each) on random deals of 1,000 open ones. Prints,
for each N, every route's throughput and p50/p95/p99/p99.9 latency and the
errors (any answer but 200, or no answer); then the write mix alone, through
the API and in-process by N threads of one process (the application service
straight on the store, no HTTP), in the same run, and their ratio.

Client and server share this machine's cores: the figures include the
clients' own cost.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg

from adapters.settings import Settings
from adapters.stores import Store, open_process
from adapters.users import Users
from domain import commands as c
from domain.opportunity import Opportunity
from domain.vocabulary import ActivityKind, CustomerStep
from tests.live_server import free_port

PG = os.environ.get("SALESFLOW_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
STEPS = [s.value for s in CustomerStep]
READS = ("GET /deals/{key}", "GET /deals/{key}/diagnosis", "GET /pipeline?limit=100")
WRITES = ("POST activity", "POST customer-step")


def seed(settings: Settings, deals: int) -> list[str]:
    """``deals`` open deals, each with a few entries, saved in batches."""
    process = open_process(settings.store, settings.config)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    keys = [f"B-{n:05d}" for n in range(deals)]
    try:
        batch: list[Opportunity] = []
        for n, key in enumerate(keys):
            at = start + timedelta(hours=n % 500)
            deal = Opportunity.open(
                key, f"Customer {n}", "Gear oils", f"rep{n % 20}", None, at, "seed"
            )
            deal.hold_activity(ActivityKind.visit, "plant manager", "interested", at, "seed")
            deal.observe_customer_step(CustomerStep.need_initiation, at, "seed")
            batch.append(deal)
            if len(batch) == 200:
                process.save(*batch)
                batch = []
        if batch:
            process.save(*batch)
    finally:
        process.close()
    return keys


def in_process(settings: Settings, keys: list[str], clients: int, seconds: float) -> float:
    """Writes per second of the write mix, ``clients`` threads, no HTTP."""
    process = open_process(settings.store, settings.config)
    done = [0] * clients
    stop = time.monotonic() + seconds

    def work(n: int) -> None:
        rng = random.Random(n)
        while time.monotonic() < stop:
            key, now = rng.choice(keys), datetime.now(UTC)
            if rng.random() < 0.5:
                process.activity(
                    c.HoldActivity(key=key, kind=ActivityKind.call, at=now, by="bench")
                )
            else:
                step = CustomerStep(rng.choice(STEPS))
                process.observe_step(c.ObserveStep(key=key, step=step, at=now, by="bench"))
            done[n] += 1

    try:
        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(done) / (time.monotonic() - started)
    finally:
        process.close()


def load(
    url: str, token: str, keys: list[str], clients: int, seconds: float, reads: float = 0.8
) -> tuple[dict[str, list[float]], int, float]:
    """Run the mix (``reads`` of it reads) with ``clients`` threads; latencies
    by route, errors, seconds."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work(n: int) -> None:
        rng = random.Random(1000 + n)
        mine: dict[str, list[float]] = defaultdict(list)
        failed = 0
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            while time.monotonic() < stop:
                key, roll = rng.choice(keys), rng.random()
                if roll < reads:
                    route = READS[int(roll / reads * 3)]
                    path = {
                        READS[0]: f"/deals/{key}",
                        READS[1]: f"/deals/{key}/diagnosis",
                        READS[2]: "/pipeline?limit=100",
                    }[route]
                    began = time.perf_counter()
                    try:
                        ok = client.get(path).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                else:
                    route = WRITES[0] if rng.random() < 0.5 else WRITES[1]
                    body = {"kind": "call"} if route == WRITES[0] else {"step": rng.choice(STEPS)}
                    command = "activity" if route == WRITES[0] else "customer-step"
                    began = time.perf_counter()
                    try:
                        ok = client.post(f"/deals/{key}/{command}", json=body).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                mine[route].append(time.perf_counter() - began)
                failed += not ok
        with lock:
            for route, values in mine.items():
                latencies[route].extend(values)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], time.monotonic() - started


def writes_alone(
    base: str, token: str, keys: list[str], clients: int, seconds: float
) -> tuple[float, int]:
    """Writes per second of the write mix alone through the API, and its errors."""
    latencies, errors, took = load(base, token, keys, clients, seconds, reads=0.0)
    return sum(len(v) for v in latencies.values()) / took, errors


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000


def start(url: str, workers: int, logs: Path, *flags: str) -> tuple[subprocess.Popen[bytes], str]:
    """``salesflow serve`` on a free port, once it is ready."""
    salesflow = str(Path(sys.executable).with_name("salesflow"))
    port = free_port()
    with (logs / "serve.err").open("a") as err:
        server = subprocess.Popen(
            [
                salesflow,
                "--store",
                url,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                *flags,
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "SALESFLOW_TZ": "UTC"},
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    tag = uuid.uuid4().hex[:8]
    url = f"{PG}?schema=bench_api_ev_{tag}&reporting=bench_api_rp_{tag}"
    settings = Settings.build(store=url, environ={"SALESFLOW_TZ": "UTC"})
    logs = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        print(f"seeding {args.deals} deals ...", flush=True)
        keys = seed(settings, args.deals)
        token = Users(settings.store).add("bench.manager", "manager")
        server, base = start(url, args.workers, logs)
        # Warm both workers (imports, caches) before measuring.
        load(base, token, keys, 4, 3)
        print(
            f"\nsalesflow serve --workers {args.workers} on PostgreSQL, {args.deals} deals,"
            f" {args.seconds:g} s per run; latencies in ms\n"
        )
        print(
            f"{'N':>3} {'route':<28} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7}"
            f" {'p99.9':>7} {'errors':>6}"
        )
        for n in args.clients:
            latencies, errors, took = load(base, token, keys, n, args.seconds)
            for route in (*READS, *WRITES):
                values = latencies.get(route, [])
                if not values:
                    continue
                print(
                    f"{n:>3} {route:<28} {len(values) / took:>8.1f} {_ms(values, 0.5):>7.1f}"
                    f" {_ms(values, 0.95):>7.1f} {_ms(values, 0.99):>7.1f}"
                    f" {_ms(values, 0.999):>7.1f} {'':>6}"
                )
            total = sum(len(v) for v in latencies.values())
            print(
                f"{n:>3} {'all':<28} {total / took:>8.1f} {'':>7} {'':>7} {'':>7} {'':>7}"
                f" {errors:>6}"
            )
        server.terminate()
        server.wait(timeout=60)
        # The write mix alone, for each N: in-process (no server running, so
        # nothing else projects meanwhile), then through the API, then through
        # workers that do not follow the log (another process keeps the read
        # models live; in-process keeps none live either). Each run adds events
        # to the deals, so the later runs read slightly longer histories.
        local, api, quiet = {}, {}, {}
        for n in args.clients:
            local[n] = in_process(settings, keys, n, args.seconds / 2)
            for flags, into in (((), api), (("--no-follow",), quiet)):
                server, base = start(url, args.workers, logs, *flags)
                load(base, token, keys, 4, 2, reads=0.0)  # warm both workers
                into[n] = writes_alone(base, token, keys, n, args.seconds / 2)
                server.terminate()
                server.wait(timeout=60)
        print(
            "\nwrites alone (the write mix, no reads), per second: through the API (serve,"
            " and serve --no-follow), and in-process by N threads (no HTTP, nothing projected)"
        )
        print(f"{'N':>3} {'API':>9} {'ratio':>7} {'no-follow':>10} {'ratio':>7} {'in-process':>11}")
        for n in args.clients:
            (w, e), (q, f) = api[n], quiet[n]
            print(
                f"{n:>3} {w:>9.1f} {w / local[n]:>7.0%} {q:>10.1f} {q / local[n]:>7.0%}"
                f" {local[n]:>11.1f}" + (f"  ({e + f} errors)" if e + f else "")
            )
    finally:
        with psycopg.connect(Store.parse(PG).conninfo(), autocommit=True) as conn:
            for schema in (f"bench_api_ev_{tag}", f"bench_api_rp_{tag}"):
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        print(f"(server log: {logs / 'serve.err'})")


if __name__ == "__main__":
    main()
