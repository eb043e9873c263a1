"""The kiosk keeps up with facilities: closures and new versions between two uses, and a
saved copy of the last published plan when the store cannot be reached."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.service import WayfindingService
from floorplans import DEMO_PATH, FloorPlanStore
from kiosk_app.session import KioskError, KioskSession
from tests.conftest import published_demo

pytestmark = pytest.mark.slow


def _unit(store: FloorPlanStore, name: str) -> str:
    venue = store.venue(store.published().id)  # type: ignore[union-attr]
    return next(u.id for u in venue.units.values() if u.name and u.name.get("fr") == name)


def _close_paediatrics_step_free(store: FloorPlanStore) -> None:
    until = datetime.now(UTC) + timedelta(hours=2)
    for name in ("Rampe entre les bâtiments A et C", "Ascenseur C"):
        store.close(_unit(store, name), reason="maintenance", actor="test", until=until)


def test_a_closure_reaches_the_kiosk_between_two_uses_never_during_one(make_kiosk, tmp_path) -> None:
    url = published_demo(tmp_path / "plans.db")
    service = WayfindingService(database_url=url, saved_copy=tmp_path / "copy")
    kiosk = make_kiosk(service)
    s = kiosk.session
    kiosk.tap("Sans marches : non")
    kiosk.tap("Chercher un autre lieu")
    for letter in "PEDIA":
        kiosk.tap(letter)
    kiosk.tap(kiosk.button("Pédiatrie\n"))
    assert s.route is not None and s.route.profile == "step_free"
    shown = s.route

    store = FloorPlanStore(url)
    _close_paediatrics_step_free(store)
    assert service.refresh()  # what the service's watcher does every few seconds
    # In the middle of a use: nothing moves under the visitor's eyes.
    kiosk.clock.now += 30
    kiosk.screen.tick()
    assert s.route is shown and kiosk.screen.shown == "route"
    kiosk.tap("Précédente")
    assert s.route is shown

    # The next use sees the closure, and the kiosk says why in plain words.
    kiosk.tap("Nouvelle recherche")
    assert s.snap is service.snapshot
    assert kiosk.button("Sans marches : oui")  # a new search by the same visitor keeps the profile
    kiosk.tap("Chercher un autre lieu")
    for letter in "PEDIA":
        kiosk.tap(letter)
    kiosk.tap(kiosk.button("Pédiatrie\n"))
    assert s.route is None and kiosk.screen.shown == "route"
    texts = kiosk.texts()
    assert "Pas de chemin vers Pédiatrie" in texts
    why = next(t for t in texts if t.startswith("Pas d'itinéraire sans marche vers la pédiatrie"))
    assert "Ascenseur C" in why and "maintenance" in why
    kiosk.tap("Voir le chemin avec marches")
    assert s.route is not None and s.route.profile == "default" and "steps" in s.route.edge_kinds

    # Reopened while the welcome screen waits for the next visitor: taken once it has been
    # left alone for the quiet time, not before.
    kiosk.tap("Nouvelle recherche")
    before = s.snap
    for c in store.closures():
        store.reopen(c.id, actor="test")
    assert service.refresh()
    kiosk.clock.now += 10
    kiosk.screen.tick()
    assert s.snap is before
    kiosk.clock.now += 6
    kiosk.screen.tick()
    kiosk.frames(3)
    assert s.snap is service.snapshot and s.snap is not before
    kiosk.tap("Sans marches : non")  # "with steps" was chosen above
    kiosk.tap("Chercher un autre lieu")
    for letter in "PEDIA":
        kiosk.tap(letter)
    kiosk.tap(kiosk.button("Pédiatrie\n"))
    assert s.route is not None and s.route.profile == "step_free"
    store.engine.dispose()
    service.close()


def test_store_out_of_reach_the_kiosk_guides_from_its_saved_copy(make_kiosk, tmp_path) -> None:
    db = tmp_path / "plans.db"
    url = published_demo(db)
    store = FloorPlanStore(url)
    _close_paediatrics_step_free(store)
    store.engine.dispose()
    copy = tmp_path / "copy"
    first = WayfindingService(database_url=url, saved_copy=copy)
    assert (copy / "plan.zip").exists() and (copy / "plan.json").exists()
    first.close()

    db.write_bytes(b"this is not a database any more")  # the store is gone
    service = WayfindingService(database_url=url, saved_copy=copy)
    assert service.snapshot.source.startswith("saved copy of store version 1")
    assert service.last_error is not None
    kiosk = make_kiosk(service)
    texts = " ".join(kiosk.texts()).lower()
    assert not any(w in texts for w in ("erreur", "error", "store", "base", "hors ligne"))
    kiosk.tap("Radiologie")
    assert kiosk.session.route is not None
    # The closures saved with the plan still hold.
    kiosk.tap("Nouvelle recherche")
    kiosk.session.set_step_free(True)
    kiosk.session.choose("Pédiatrie")
    assert kiosk.session.route is None and "Ascenseur C" in (kiosk.session.no_route or "")
    service.close()

    # Without a copy, the kiosk cannot start and says why.
    with pytest.raises(Exception, match="cannot load a venue"):
        WayfindingService(database_url=url, saved_copy=tmp_path / "none")


def test_unknown_kiosk_names_the_kiosks_there_are() -> None:
    service = WayfindingService(database_url=None, venue_path=DEMO_PATH)
    with pytest.raises(KioskError, match=r"no kiosk 'borne 7'.*Borne des urgences"):
        KioskSession(service, kiosk_id="borne 7")
    assert KioskSession(service, kiosk_id="BORNE DES URGENCES").kiosk.name["fr"] == "Borne des urgences"


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "kiosk", "--venue", str(DEMO_PATH), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


@pytest.mark.parametrize("size", ["1080x1920", "1920x1080"])
def test_screenshot_command(window, tmp_path, size) -> None:
    out = tmp_path / f"route-{size}.png"
    proc = _cli(
        "--screenshot",
        str(out),
        "--destination",
        "Cardiologie",
        "--lang",
        "en",
        "--profile",
        "step_free",
        "--size",
        size,
    )
    assert proc.returncode == 0, proc.stderr
    head = out.read_bytes()[:24]
    w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert f"{w}x{h}" == size


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "big"], "--size 'big': give WIDTHxHEIGHT"),
        (["--kiosk-id", "nowhere", "--screenshot", "x.png"], "no kiosk 'nowhere'"),
        (["--screenshot", "x.png", "--destination", "Zzzyx"], "--destination 'Zzzyx'"),
        (["--destination", "Radiologie"], "--destination, --lang, --profile and --step go with --screenshot"),
    ],
)
def test_kiosk_command_bad_input(window, tmp_path, args, message) -> None:
    proc = _cli(*args, cwd=tmp_path)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_kiosk_destinations_come_from_the_venue_and_bad_ones_are_reported(archive) -> None:
    from floorplans.imdf import read_imdf

    def edit(features: list[dict]) -> None:
        main, parking, emergency = features
        main["properties"]["destinations"] = 5  # not a list
        parking["properties"]["destinations"] = ["nowhere at all", "Radiologie"]
        emergency["properties"].pop("destinations")

    archive.edit("kiosk", edit)
    result = read_imdf(archive.root)
    assert result.venue is not None  # still usable
    warned = [i for i in result.report.problems if i.code == "kiosk-destinations"]
    assert len(warned) == 1 and "5" in warned[0].message
    service = WayfindingService(database_url=None, venue_path=archive.root)
    main = KioskSession(service, kiosk_id="Borne du hall d'accueil").shortcuts()
    parking = KioskSession(service, kiosk_id="Borne du parking").shortcuts()
    emergency = KioskSession(service, kiosk_id="Borne des urgences").shortcuts()
    # No list: the venue's public services by name; a reference that matches nothing: left out.
    assert [x.label for x in parking] == ["Radiologie"]
    labels = [x.label for x in main]
    assert labels == sorted(labels, key=str.casefold) and len(labels) == 9
    assert [x.label for x in emergency] == labels
