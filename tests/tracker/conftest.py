"""A real Mosquitto broker per test session, on a free port, with persistence."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

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
