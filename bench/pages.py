"""The web app's pages against the API's JSON for the same data, on the
1M-event generated store, over HTTP to ``salesflow serve``.

    python bench/pages.py [--events 1000000] [--stores sqlite postgresql] [--repeat 5]

For each store: make (or reuse) the generated store of bench/generate.py,
add a user, start ``salesflow serve`` (one worker), then, taking turns, time
each page and its JSON: the board (``/app/``) beside ``GET /pipeline`` of
the same deals (the open and nurtured ones, a page of 60); a deal's page
beside ``GET /deals/KEY`` with its diagnosis and audit; the reports page
beside the seven ``GET /reports/...`` it shows. Prints the medians and the
ratios (target: each page <= 3x its JSON). Printed, never asserted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import make
from bench.rebuild import each_store, store_url
from projections.reports import REPORTS
from tests.live_server import salesflow, serving

WINDOW = "from=2024-11-01&to=2026-10-31"
REPEAT = 5


def _time(client: httpx.Client, paths: list[str]) -> float:
    started = time.perf_counter()
    for path in paths:
        got = client.get(path)
        got.raise_for_status()
    return time.perf_counter() - started


def measure(kind: str, events: int) -> None:
    url = store_url(kind, events)
    make(kind, events)
    try:
        token = salesflow(url, "users", "add", "bench.pages", "--role", "coach").splitlines()[-1]
    except AssertionError:
        token = salesflow(url, "users", "token", "bench.pages").splitlines()[-1]
    with tempfile.TemporaryDirectory() as logs, serving(url, Path(logs)) as server:
        client = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )
        rows = client.get("/pipeline?limit=5000&outcome=open").json()
        key = max(rows, key=lambda r: r["forced_count"])["key"]  # a deal with a story
        reports = [f"/reports/{n}?{WINDOW}" for n in REPORTS]
        reports.append(f"/reports/velocity?{WINDOW}&by_owner=true")
        pairs = {
            "board": (
                ["/app/"],
                ["/pipeline?limit=60&outcome=open", "/pipeline?limit=60&outcome=nurture"],
            ),
            "deal page": (
                [f"/app/deals/{key}"],
                [f"/deals/{key}", f"/deals/{key}/diagnosis", f"/deals/{key}/audit"],
            ),
            "reports page": ([f"/app/reports?{WINDOW}"], reports),
        }
        times: dict[str, list[float]] = {
            f"{n} {side}": [] for n in pairs for side in ("page", "json")
        }
        for _ in range(REPEAT):
            for name, (page, json_paths) in pairs.items():
                times[f"{name} page"].append(_time(client, page))
                times[f"{name} json"].append(_time(client, json_paths))
    print(f"{kind}, ~{events} events (median of {REPEAT}, over HTTP, one worker):")
    for name in pairs:
        page, data = (statistics.median(times[f"{name} {s}"]) for s in ("page", "json"))
        verdict = "ok" if page <= 3 * data else "over 3x"
        print(
            f"  {name:<13} page {page * 1000:7.0f} ms   JSON {data * 1000:7.0f} ms"
            f"   {page / data:4.2f}x  {verdict}",
            flush=True,
        )


def main() -> None:
    each_store(__doc__, measure, events=(1_000_000,))


if __name__ == "__main__":
    main()
