"""Printing: JSON for machines, CSV for spreadsheets, aligned text for people."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from projections.cells import csv_cell, plain


def _default(value: Any) -> Any:
    out = plain(value)
    if out is value:
        return str(value)
    return out


def emit_json(doc: Any) -> None:
    """The document on stdout, and nothing else there."""
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=_default))


def emit_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Rows as CSV on stdout, list cells joined with ``;``."""
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([csv_cell(r.get(c)) for c in columns])


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Rows as an aligned text table."""
    cells = [[str(csv_cell(r.get(c))) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
