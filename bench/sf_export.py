"""A generated Salesforce export in Data Loader's shape, written row by row
(nothing held in memory, however many rows): ``opportunities`` deals with
``rows`` history rows in all, stage by stage along the standard picklist,
some won, some lost, some still open, amounts changing on the way. Seeded:
the same arguments give the same files.

    python bench/sf_export.py OUT_DIR --opportunities 10000 --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crm_support import HISTORY_HEADER, OPPORTUNITY_HEADER

_OPEN = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Id. Decision Makers",
    "Value Proposition",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
_OWNERS = ("王磊", "Li Wei", "Zhang Min", "陈静")
_REASONS = ("Price", "Features", "No Decision", "Incumbent", "")
_START = datetime(2023, 1, 2, tzinfo=UTC)


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def write_export(folder: Path, opportunities: int, rows: int, seed: int = 14) -> tuple[Path, Path]:
    """Opportunity.csv and OpportunityHistory.csv in ``folder``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    opp_path, hist_path = folder / "Opportunity.csv", folder / "OpportunityHistory.csv"
    per_deal = max(1, rows // opportunities)
    extra = rows - per_deal * opportunities
    with (
        opp_path.open("w", encoding="utf-8-sig", newline="") as o,
        hist_path.open("w", encoding="utf-8-sig", newline="") as h,
    ):
        opp = csv.writer(o, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        hist = csv.writer(h, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        opp.writerow(OPPORTUNITY_HEADER)
        hist.writerow(HISTORY_HEADER)
        row_id = 0
        for n in range(opportunities):
            oid = f"006G{n:011d}"
            count = per_deal + (1 if n < extra else 0)
            at = _START + timedelta(minutes=rng.randrange(0, 900 * 24 * 60))
            created = at
            amount = rng.randrange(10, 500) * 1000
            ending = rng.random()
            closing = "Closed Won" if ending < 0.3 else "Closed Lost" if ending < 0.6 else None
            stage_index = 0
            label = _OPEN[0]
            for r in range(count):
                last = r == count - 1
                if r and rng.random() < 0.35:
                    amount = max(1000, amount + rng.randrange(-40, 60) * 1000)
                elif r:
                    step = 1 if rng.random() < 0.85 or stage_index == 0 else -1
                    stage_index = min(len(_OPEN) - 1, max(0, stage_index + step))
                    label = _OPEN[stage_index]
                if last and closing:
                    label = closing
                hist.writerow(
                    (
                        f"008G{row_id:011d}",
                        oid,
                        label,
                        amount,
                        "50",
                        (at + timedelta(days=30)).date().isoformat(),
                        _time(at),
                        "005G0000000USR1",
                        "false",
                    )
                )
                row_id += 1
                at += timedelta(hours=rng.randrange(1, 24 * 20))
            opp.writerow(
                (
                    oid,
                    f"Lubricants contract {n}",
                    f"Customer {n % 997} 有限公司",
                    label,
                    amount,
                    at.date().isoformat(),
                    _time(created),
                    rng.choice(_OWNERS),
                    "true" if closing else "false",
                    "true" if closing == "Closed Won" else "false",
                    rng.choice(_REASONS) if closing == "Closed Lost" else "",
                )
            )
    return opp_path, hist_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    write_export(args.out, args.opportunities, args.rows)


if __name__ == "__main__":
    main()
