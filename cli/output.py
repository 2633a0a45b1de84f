"""Printing: JSON for machines, CSV for spreadsheets, tables for people.

Human tables are drawn by ``rich``: columns padded by display width (a
Chinese name takes two cells a character), fitted to a terminal by wrapping
the long text columns, a newline inside a value kept inside its cell, and
control characters shown escaped, never sent to the terminal raw. Piped
elsewhere, a table keeps its natural width.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from collections.abc import Sequence
from typing import Any

import click

from projections.cells import csv_cell, plain, spreadsheet_cell


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
        w.writerow([spreadsheet_cell(r.get(c)) for c in columns])


#: Columns of free text: these wrap to fit a terminal; the rest never do.
_WRAPPING = {
    "customer",
    "title",
    "summary",
    "note",
    "missing_milestones",
    "explanation",
    "movements",
    "win_probability_explained",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(value: Any) -> str:
    """A value as people read it: control characters escaped (a newline stays)."""
    text = str(csv_cell(value))
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def say(text: str) -> None:
    """A line for people, its control characters shown escaped."""
    click.echo(shown(text))


def emit_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], caption: str | None = None
) -> None:
    """Rows as a table for people; ``caption`` (say, the time zone) heads it."""
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style=None)
    for c in columns:
        table.add_column(c, overflow="fold", no_wrap=c not in _WRAPPING)
    for r in rows:
        table.add_row(*(shown(r.get(c)) for c in columns))
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 100_000
    out = io.StringIO()
    Console(file=out, width=width, markup=False, highlight=False, emoji=False).print(table)
    if caption:
        click.echo(caption)
    for line in out.getvalue().splitlines():
        click.echo(line.rstrip())
