"""A real Mosquitto broker per test session, on a free port, with persistence; the
``wayfinding tracker`` command as a child process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.broker import LocalBroker

Broker = LocalBroker


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    if shutil.which("mosquitto") is None:
        pytest.fail("mosquitto is not installed: run 'make test' (it installs it)")
    b = LocalBroker(tmp_path_factory.mktemp("mosquitto"), persistence=True).start()
    yield b
    b.stop()


def start_tracker(
    db: str, broker: Broker, log: Path, *, client_id: str = "tracker-test"
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "--db",
            db,
            "tracker",
            "--broker",
            broker.url,
            "--site",
            "demo",
            "--client-id",
            client_id,
            "--zone-dwell",
            "2",
            "--signal-lost",
            "300",
            # The simulated patients walk ten times faster than life (12 m/s).
            "--time-scale",
            "10",
        ],
        stdout=subprocess.PIPE,
        stderr=log.open("a"),
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "tracker for site 'demo'" in line, line
    return proc
