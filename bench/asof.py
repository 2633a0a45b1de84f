"""``pipeline --as-of`` (SQL over the read models' two clocks) against
``pipeline`` (the current table), on the same generated data.

    python bench/asof.py [--events 100000 1000000] [--stores sqlite postgresql]

Reuses (or generates) the stores of bench/rebuild.py, catches the read models
up, then times each query several times and prints the medians and the ratio.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rebuild import each_store, ensure_generated, flow_for, store_url
from domain.times import now
from projections import queries
from projections.asof import pipeline_as_of
from tests.support import t


def _median(run: Callable[[], list[dict[str, Any]]], times: int = 3) -> tuple[float, int]:
    seconds, rows = [], 0
    for _ in range(times):
        started = time.perf_counter()
        rows = len(run())
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), rows


def measure(kind: str, events: int) -> None:
    """Time both queries on one generated store and print the ratio."""
    url = store_url(kind, events)
    ensure_generated(url, events)
    flow = flow_for(url)
    read, config = flow.fresh(), flow.settings.config
    current, n = _median(lambda: queries.pipeline(read, config.tz, now()))
    as_of, m = _median(lambda: pipeline_as_of(read, config, t("2025-06-30"), None))
    known, _ = _median(lambda: pipeline_as_of(read, config, t("2025-06-30"), now()))
    print(
        f"{kind}, {flow.projector().head()} events: pipeline {current * 1000:.0f} ms"
        f" ({n} deals); --as-of {as_of * 1000:.0f} ms ({m} deals),"
        f" ratio {as_of / current:.1f}x; --as-of --known-at {known * 1000:.0f} ms,"
        f" ratio {known / current:.1f}x",
        flush=True,
    )
    flow.close()


def main() -> None:
    each_store(__doc__, measure)


if __name__ == "__main__":
    main()
