"""Values as JSON and CSV want them: the one place both the exports and the
command line's output take their cell format from (cheap to import)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def cents(value: Any) -> Decimal | None:
    """An amount as a decimal with its two decimals, or None: the same from a
    fold's decimal and from either dialect's numeric column."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(_CENTS)


def money(value: Any) -> str | None:
    """An amount as text with its two decimals ("1250000.00"), or None."""
    amount = cents(value)
    return None if amount is None else str(amount)


_CENTS = Decimal("0.01")


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
