"""The web service in a process of its own, as the benchmarks that time it start it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def serving(env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``wayfinding serve`` with *env*, answering on *port* (its output in *log_path*); stopped after.

    Raises SystemExit with the service's log when it does not answer within a minute.
    """
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/venue", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise SystemExit(f"the web service did not answer on port {port}:\n{log_path.read_text()}")
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
