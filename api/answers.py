"""Answers as bytes: JSON as the command line writes it, CSV for
spreadsheets, and a write's answer that can be kept and given again."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fastapi.responses import Response

from projections.cells import plain, spreadsheet_cell
from projections.documents import deal_show, entry_row

JSON = "application/json"
CSV = "text/csv; charset=utf-8"


def _default(value: Any) -> Any:
    out = plain(value)
    if out is value:
        return str(value) if isinstance(value, Decimal) else repr(value)
    return out


def dumps(doc: Any) -> bytes:
    """JSON with the CLI's ``--json`` values (times in ISO 8601, decimals as text)."""
    return json.dumps(doc, ensure_ascii=False, default=_default).encode()


def csv_bytes(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """The CLI's ``--csv``: a header, then a row each, lists joined with ``;``."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([spreadsheet_cell(r.get(c)) for c in columns])
    return out.getvalue().encode()


def wants_csv(accept: str | None) -> bool:
    """Whether ``Accept`` asks for CSV before JSON."""
    if not accept:
        return False
    ranked = []
    for n, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        ranked.append((-q, n, media.lower()))
    for _, _, media in sorted(ranked):
        if media == "text/csv":
            return True
        if media in ("application/json", "application/*", "*/*"):
            return False
    return False


@dataclass(frozen=True)
class Answer:
    """A status, headers and body: what a write answers, and what an
    idempotency key keeps and gives again."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    media: str = JSON

    def response(self) -> Response:
        return Response(self.body, self.status, self.headers, media_type=self.media)

    def kept(self) -> str:
        return json.dumps(
            {
                "status": self.status,
                "headers": self.headers,
                "media": self.media,
                "body": self.body.decode(),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_kept(cls, text: str) -> Answer:
        doc = json.loads(text)
        return cls(doc["status"], doc["body"].encode(), doc["headers"], doc["media"])


def written(deal: Any, config: Any, status: int = 200) -> Answer:
    """A write's answer: the new entry as an audit row and the deal after it."""
    entries = deal.entries
    doc = {
        "entry": entry_row(entries, config, entries[-1].seq),
        "deal": deal_show(deal.key, entries, config),
    }
    headers = {"ETag": f'"{deal.version}"'}
    if status == 201:
        headers["Location"] = f"/deals/{deal.key}"
    return Answer(status, dumps(doc), headers)
