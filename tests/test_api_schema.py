"""The whole API tried from its own OpenAPI document with schemathesis (its
default checks, authenticated as a manager), against a live ``salesflow
serve`` on SQLite holding the demo's deals: no server error, no answer that
breaks the schema. ``SALESFLOW_SCHEMATHESIS_SECONDS`` bounds it (default 60)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.live_server import salesflow, serving

CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_the_api_holds_to_its_openapi_document(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'schema.db'}"
    salesflow(store, "demo")
    token = salesflow(store, "users", "add", "api.fuzz", "--role", "manager").splitlines()[-1]
    seconds = os.environ.get("SALESFLOW_SCHEMATHESIS_SECONDS", "60")
    with serving(store, tmp_path) as served:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(CONFIG),
                "run",
                f"{served.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--max-time",
                seconds,
                # One worker: with two, CPython 3.11's ast.parse (which
                # hypothesis calls from both threads) can fail with
                # "AST constructor recursion depth mismatch" (cpython#106905).
                "--workers",
                "1",
                "--seed",
                os.environ.get("SALESFLOW_SCHEMATHESIS_SEED", "20261201"),
            ],
            capture_output=True,
            text=True,
            timeout=int(seconds) + 300,
            cwd=tmp_path,
        )
        code, _, err = served.stop()
    out = run.stdout
    (tmp_path / "schemathesis.out").write_text(out)
    print(f"schemathesis's report: {tmp_path / 'schemathesis.out'}")
    start = min(
        (i for i in (out.find("= ERRORS ="), out.find("= FAILURES =")) if i >= 0),
        default=max(len(out) - 4000, 0),
    )
    report = out[start : start + 12000]
    assert run.returncode == 0, report
    assert "passed" in report and "failed" not in report.split("SUMMARY")[-1], report
    assert code == 0, err
    assert "Traceback" not in err, err[-3000:]
