"""``wayfinding serve`` as IT runs it: a publish or a closure from the command line (another
process) changes the next answer of the running server, without a restart."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.api.conftest import LiveServer
from tests.conftest import Archive

KIOSK = "Borne du hall d'accueil"


def cli(db_url: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "--db", db_url, "--actor", "facilities.test", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"not seen within {timeout} s")


def test_closure_and_publish_from_the_cli_reach_the_running_server(tmp_path: Path, archive: Archive) -> None:
    server = LiveServer(tmp_path / "w.db", refresh_s=0.5)
    try:
        params = {"from": KIOSK, "to": "Radiologie"}

        def corridors() -> list[str]:
            data = httpx.get(f"{server.url}/api/v1/route", params=params, timeout=10).json()
            return [s["screen"] for s in data["steps"]]

        before = corridors()
        assert any("bâtiment B" in s for s in before)
        venue = httpx.get(f"{server.url}/api/v1/venue").json()
        assert venue["version"] == 1
        # Close the ground-floor A-B gallery from the command line.
        gallery = next(
            f["id"]
            for f in archive.features("unit")
            if (f["properties"]["name"] or {}).get("fr") == "Galerie A–B"
            and f["properties"]["level_id"]
            in {lv["id"] for lv in archive.features("level") if lv["properties"]["ordinal"] == 0}
        )
        cli(server.db_url, "floorplan", "close", gallery, "--until", "2h", "--reason", "travaux")
        waited = wait_for(lambda: corridors() != before)
        detour = httpx.get(f"{server.url}/api/v1/route", params=params).json()
        assert len(detour["levels"]) > 1, "the detour goes through another floor"
        print(f"closure seen by the server after {waited:.1f} s")
        # Publish a new version with Radiologie renamed: search finds the new name.
        radio = archive.find("occupant", "Radiologie")
        archive.edit(
            "occupant",
            lambda fs: next(f for f in fs if f["id"] == radio["id"])["properties"].update(
                name={"fr": "Imagerie médicale", "en": "Medical imaging"}
            ),
        )
        cli(server.db_url, "floorplan", "import", str(archive.root), "--publish")
        waited = wait_for(lambda: httpx.get(f"{server.url}/api/v1/venue").json()["version"] == 2)
        hits = httpx.get(f"{server.url}/api/v1/places", params={"q": "imagerie"}).json()
        assert hits[0]["name"] == "Imagerie médicale"
        print(f"publish seen by the server after {waited:.1f} s")
        # The route command uses the same published version and closures.
        out = cli(server.db_url, "route", "--from", KIOSK, "--to", "imagerie")
        assert "Imagerie médicale" in out
    finally:
        server.stop()
