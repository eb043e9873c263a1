"""Fixtures for the web service: a store with the demo hospital published, the app, a live server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from core.service import WayfindingService
from core.settings import Settings
from tests.conftest import published_demo
from tracker.broker import free_port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """schemathesis names its items by operation but gives them all one node id, and
    pytest-xdist tells tests apart by node id (it ran one operation in all): each item's id
    gets its operation."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if not label or item.nodeid.endswith("]"):
            continue
        nodeid = f"{item.nodeid}[{label}]"
        try:  # pytest 9 keeps a structured id; before, the string
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(nodeid)  # type: ignore[attr-defined]
        except ImportError:
            item._nodeid = nodeid


@pytest.fixture(scope="module")
def settings(store_url: str) -> Settings:
    return Settings(database_url=store_url, public_url="https://wayfinding.example.org")


@pytest.fixture(scope="module")
def client(settings: Settings, service: WayfindingService) -> Iterator[TestClient]:
    with TestClient(create_app(settings, service, watch=False)) as c:
        yield c


class LiveServer:
    """``wayfinding serve`` in a child process, as IT runs it."""

    def __init__(self, db: Path, *, refresh_s: float = 0.5, env: dict[str, str] | None = None) -> None:
        self.db_url = published_demo(db) if not db.exists() else f"sqlite:///{db}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "WAYFINDING_DATABASE_URL": self.db_url,
            "WAYFINDING_REFRESH_S": str(refresh_s),
            "WAYFINDING_PORT": str(self.port),
            **(env or {}),
        }
        self.log = db.with_suffix(".log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/venue", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"wayfinding serve did not start: {db.with_suffix('.log').read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("live") / "w.db")
    yield server
    server.stop()


# -- the browser: Debian's Chromium, as phones and desks see the pages ---------------------------------

#: Debian's Chromium (``make test`` installs it); Playwright downloads no browser of its own.
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$WAYFINDING_SCREENSHOTS`` (``docs/screenshots`` to refresh those
    of the documentation), else a temporary folder. Look at them."""
    target = os.environ.get("WAYFINDING_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def phone(browser: Browser, *, locale: str = "fr-FR", js: bool = True) -> Page:
    """A page in a 360 x 740 phone-sized window."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale=locale, java_script_enabled=js, device_scale_factor=1
    )
    return context.new_page()


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical accessibility violations on the page."""
    results = Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
