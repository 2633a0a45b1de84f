"""A generated Salesforce export in Data Loader's shape, written row by row
(``tests.crm_support.write_export``: seeded, nothing held in memory).

    python bench/sf_export.py OUT_DIR --opportunities 10000 --rows 100000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crm_support import write_export


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    write_export(args.out, args.opportunities, args.rows)


if __name__ == "__main__":
    main()
