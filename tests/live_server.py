"""``salesflow serve`` started as a user starts it: the console script in a
subprocess, on a real socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SALESFLOW = str(Path(sys.executable).with_name("salesflow"))


def salesflow(store: str, *args: str) -> str:
    """Run the console script; its stdout."""
    env = {**os.environ, "SALESFLOW_TZ": "UTC", "SALESFLOW_USER": "setup"}
    done = subprocess.run(
        [SALESFLOW, "--store", store, *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    logs: Path

    def stop(self) -> tuple[int, str, str]:
        """SIGTERM, as a service manager stops it; its exit code and output."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        out = (self.logs / "serve.out").read_text()
        return self.process.returncode, out, (self.logs / "serve.err").read_text()


@contextmanager
def serving(store: str, logs: Path, workers: int = 1) -> Iterator[Served]:
    """``salesflow serve`` on a free port until the block ends (then SIGTERM);
    its output goes to files in ``logs`` (a pipe nobody reads would fill up
    and stop the server)."""
    port = free_port()
    env = {**os.environ, "SALESFLOW_TZ": "UTC"}
    with (logs / "serve.out").open("w") as out, (logs / "serve.err").open("w") as err:
        process = subprocess.Popen(
            [SALESFLOW, "--store", store, "serve", "--port", str(port), "--workers", str(workers)],
            stdout=out,
            stderr=err,
            text=True,
            env=env,
        )
    served = Served(f"http://127.0.0.1:{port}", process, logs)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (logs / "serve.err").read_text()
            try:
                if httpx.get(f"{served.url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
