"""An import is written once whatever happens to it, on both stores: two
imports of one export at once write each row once, and an import killed
mid-way (kill -9) leaves only whole deals and completes when run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import make_flow
from tests.crm_support import write_export
from tests.live_server import SALESFLOW

OPPORTUNITIES, ROWS = 240, 2400


def _command(store: str, folder: Path, *extra: str) -> list[str]:
    return [
        SALESFLOW, "--store", store, "import", "salesforce",
        "--opportunities", str(folder / "Opportunity.csv"),
        "--history", str(folder / "OpportunityHistory.csv"), *extra,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    return {**os.environ, "SALESFLOW_TZ": "UTC", "SALESFLOW_USER": "importer"}


def _deals(store: str) -> dict[str, list[str | None]]:
    """Each deal's source row ids, entry by entry (from the event store)."""
    flow = make_flow(store)
    try:
        process = flow.process
        keys = [f"SF-006G{n:011d}" for n in range(OPPORTUNITIES)]
        found: dict[str, list[str | None]] = {}
        for key in keys:
            try:
                entries = process.entries(key)
            except Exception:
                continue
            found[key] = [e.data.get("source_id") for e in entries]
        return found
    finally:
        flow.close()


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    write_export(folder, OPPORTUNITIES, ROWS)
    return folder


@pytest.fixture(scope="module")
def reference(
    export: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[str | None]]:
    """The export imported once, alone, into a store of its own."""
    store = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.db'}"
    done = subprocess.run(_command(store, export), env=_env(), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    deals = _deals(store)
    assert len(deals) == OPPORTUNITIES
    return deals


def _no_duplicate(deals: dict[str, list[str | None]]) -> None:
    """Each source row written once: the entries one row made (an amount, a
    move and a closing may share it) stand together, and no row comes back."""
    for key, rows in deals.items():
        runs = [r for i, r in enumerate(rows) if r is not None and (i == 0 or rows[i - 1] != r)]
        assert len(runs) == len(set(runs)), key


def test_two_imports_of_one_export_at_once_write_each_row_once(
    store_url: str, export: Path, reference: dict[str, list[str | None]]
) -> None:
    runs = [
        subprocess.Popen(
            _command(store_url, export, "--batch", "7", "--json"),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in runs]
    results = [(p.returncode, err) for p, (_, err) in zip(runs, outputs, strict=True)]

    assert [code for code, _ in results] == [0, 0], results
    assert all(b"Traceback" not in err for _, err in results)
    deals = _deals(store_url)
    assert deals == reference
    _no_duplicate(deals)
    # Between them the two wrote every entry once (whichever wrote which deal).
    written = sum(json.loads(out)["entries"] for out, _ in outputs)
    assert written == sum(len(rows) for rows in reference.values())


def test_an_import_killed_mid_way_completes_when_run_again(
    store_url: str, export: Path, reference: dict[str, list[str | None]]
) -> None:
    run = subprocess.Popen(
        _command(store_url, export, "--batch", "3"),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.05)
        written = _deals(store_url)
        if len(written) >= OPPORTUNITIES // 8:
            break
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)

    halfway = _deals(store_url)
    assert 0 < len(halfway) < OPPORTUNITIES, "killed mid-way"
    assert all(halfway[key] == reference[key] for key in halfway), "only whole deals"

    done = subprocess.run(_command(store_url, export), env=_env(), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _deals(store_url) == reference
