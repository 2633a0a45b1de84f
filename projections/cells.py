"""Values as JSON and CSV want them: the one place both the exports and the
command line's output take their cell format from (cheap to import)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any


def plain(value: Any) -> Any:
    """A value as JSON or CSV wants it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


#: What a spreadsheet would run as a formula at the start of a cell (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as typed: a text starting like a formula
    (``=HYPERLINK(...)``) gets a leading ``'``; numbers stay numbers."""
    cell = csv_cell(value)
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def csv_cell(value: Any) -> Any:
    """Lists joined with ``;``, JSON as text, times in ISO 8601."""
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return ";".join(value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return plain(value)
