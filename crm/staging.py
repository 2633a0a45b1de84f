"""Reading an export's files into a temporary SQLite database on disk, so
that rows are grouped by deal and ordered by time whatever order the CRM
wrote them in, with memory that stays flat however large the export is, and
so that every file is read whole (and refused whole if it cannot be read)
before anything is written."""

from __future__ import annotations

import csv
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from domain.errors import InputError

#: Rows inserted per statement batch while staging.
CHUNK = 2000


@contextmanager
def staging_db() -> Iterator[sqlite3.Connection]:
    """A throwaway database in the temporary directory, gone when done."""
    with tempfile.TemporaryDirectory(prefix="salesflow-import-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "staging.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -16000")
        try:
            yield conn
        finally:
            conn.close()


def csv_rows(
    path: Path, required: Sequence[Sequence[str]]
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header of a CSV file (UTF-8, a BOM allowed, RFC 4180 quoting) and
    its rows with the line each starts on. ``required``: the columns the
    header must hold, each given as alternatives."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        raise InputError(f"{path}: the file is empty (a header row is required)") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        handle.close()
        raise InputError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    header = [h.strip() for h in header]
    missing = [" or ".join(alts) for alts in required if not any(a in header for a in alts)]
    if missing:
        handle.close()
        raise InputError(f"{path}: the header lacks the column(s) {', '.join(missing)}")

    def rows() -> Iterator[tuple[int, list[str]]]:
        with handle:
            while True:
                line = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except (csv.Error, UnicodeDecodeError) as exc:
                    raise InputError(f"{path}:{line}: cannot be read ({exc})") from None
                if row:
                    yield line, row

    return header, rows()
