"""The arithmetic of the reports: rates with their Wilson intervals, days
and their percentiles, amounts."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from projections.cells import cents

#: The normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054


def fraction(part: int, whole: int) -> float | None:
    """part / whole to four decimals, or None when whole is 0."""
    return round(part / whole, 4) if whole else None


def wilson(won: int, n: int) -> tuple[float | None, float | None]:
    """The Wilson score 95 % interval of a proportion won/n (None, None for n = 0)."""
    if n == 0:
        return None, None
    p, z2 = won / n, Z95 * Z95
    centre = p + z2 / (2 * n)
    spread = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    scale = 1 + z2 / n
    return round(max(0.0, (centre - spread) / scale), 4), round(
        min(1.0, (centre + spread) / scale), 4
    )


def rate(won: int, closed: int) -> dict[str, Any]:
    """A win rate with its counts and its interval."""
    low, high = wilson(won, closed)
    return {"closed": closed, "won": won, "rate": fraction(won, closed), "low": low, "high": high}


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """The ``p`` quantile (0..1) of sorted values, interpolated between the
    closest ranks (as PostgreSQL's percentile_cont); None for no values."""
    if not ordered:
        return None
    at = (len(ordered) - 1) * p
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def days(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def total(values: Iterable[Any]) -> Decimal:
    """The sum of amounts, nulls as 0."""
    return sum((cents(v) or Decimal(0) for v in values), Decimal("0.00"))
