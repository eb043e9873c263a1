"""The service layer: what is in service follows the store, and many threads get the right answers."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest

from core.service import ServiceError, WayfindingService
from floorplans import DEMO_PATH, FloorPlanStore
from floorplans.store import parse_until
from routing import NoRoute
from tests.conftest import published_demo

THREADS = 8
KIOSKS = ["Borne du hall d'accueil", "Borne du parking", "Borne des urgences"]


def _gallery_id(store: FloorPlanStore) -> str:
    venue = store.venue(store.published().id)  # type: ignore[union-attr]
    ground = {lv.id for lv in venue.levels.values() if lv.ordinal == 0}
    return next(
        u.id
        for u in venue.units.values()
        if u.name and u.name["fr"] == "Galerie A–B" and u.level_id in ground
    )


def _answer(service: WayfindingService, a: str, b: str, profile: str) -> tuple[int, Any]:
    """(closures in force in the snapshot used, what a visitor reads)."""
    snap = service.snapshot
    try:
        route = service.route(a, b, profile=profile, snap=snap)
    except NoRoute as exc:
        return len(snap.closures), ("no route", str(exc))
    return len(snap.closures), (route.destination.id, [s.screen for s in route.steps("fr")])


def test_eight_threads_while_closures_start_and_end_give_single_threaded_answers(tmp_path: Path) -> None:
    url = published_demo(tmp_path / "w.db")
    store = FloorPlanStore(url)
    gallery = _gallery_id(store)
    service = WayfindingService(database_url=url, venue_path=DEMO_PATH)
    venue = service.snapshot.venue
    services = sorted({label for o in venue.occupants.values() if (label := (o.name or {}).get("fr"))})
    rng = random.Random(5)
    queries = [
        (rng.choice(KIOSKS), rng.choice(services), rng.choice(["default", "step_free"])) for _ in range(60)
    ]
    # Single-threaded answers, open and with the gallery closed.
    expected: dict[int, dict[tuple[str, str, str], Any]] = {0: {}, 1: {}}
    for state in (0, 1):
        if state:
            closure = store.close(gallery, reason="travaux", actor="test", until=parse_until("1h"))
        service.refresh()
        for q in set(queries):
            n, answer = _answer(service, *q)
            assert n == state
            expected[state][q] = answer
    store.reopen(closure.id, actor="test")
    service.refresh()
    changed = sum(expected[0][q] != expected[1][q] for q in expected[0])
    assert changed >= 5, f"the closure changes only {changed} answers: the test would prove little"

    stop = threading.Event()
    wrong: list[Any] = []

    def flip() -> None:  # closures start and end, as facilities staff would make them
        while not stop.is_set():
            c = store.close(gallery, reason="travaux", actor="test", until=parse_until("1h"))
            service.refresh()
            store.reopen(c.id, actor="test")
            service.refresh()

    def work(seed: int) -> None:
        mine = random.Random(seed)
        for _ in range(40):
            q = mine.choice(queries)
            try:
                state, got = _answer(service, *q)
            except Exception as exc:
                wrong.append((q, repr(exc)))
                continue
            if got != expected[state][q]:
                wrong.append((q, state, got, expected[state][q]))

    flipper = threading.Thread(target=flip)
    flipper.start()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    flipper.join()
    assert not wrong, f"{len(wrong)} wrong answers of {THREADS * 40}; first: {wrong[0]}"
    assert service.snapshot.generation > 10, "closures did not start and end during the run"


def test_publish_and_rollback_reach_the_service_and_in_flight_snapshots_keep_theirs(
    tmp_path: Path,
) -> None:
    url = published_demo(tmp_path / "w.db")
    service = WayfindingService(database_url=url, venue_path=DEMO_PATH)
    before = service.snapshot
    assert before.version_id == 1 and not service.refresh()
    store = FloorPlanStore(url)
    info = store.import_archive(DEMO_PATH, actor="test", note="same plan again")
    store.publish(info.id, actor="test")
    assert service.refresh()
    assert service.snapshot.version_id == info.id
    # A request that took the old snapshot finishes on it.
    assert service.route(KIOSKS[0], "Radiologie", snap=before).destination.label("fr") == "Radiologie"
    store.rollback(actor="test")
    service.refresh()
    assert service.snapshot.version_id == 1


def test_unreadable_store_keeps_the_plan_in_service(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    service = WayfindingService(database_url=published_demo(db), venue_path=DEMO_PATH)
    db.write_bytes(b"this is no database")
    assert not service.refresh()
    assert service.last_error and service.snapshot.version_id == 1
    assert service.route(KIOSKS[0], "Cafétéria").steps("fr")


def test_nothing_published_serves_the_file_and_creates_no_database(tmp_path: Path) -> None:
    service = WayfindingService(database_url=f"sqlite:///{tmp_path / 'none.db'}", venue_path=DEMO_PATH)
    assert service.snapshot.version_id is None and service.snapshot.source == str(DEMO_PATH)
    assert not (tmp_path / "none.db").exists()
    with pytest.raises(ServiceError, match="no such file"):
        WayfindingService(database_url=None, venue_path=tmp_path / "missing")


def test_closure_times_in_the_directions_are_on_the_hospitals_clock(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    url = published_demo(tmp_path / "w.db")
    store = FloorPlanStore(url)
    until = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    store.close(_gallery_id(store), reason="travaux", actor="test", until=until)
    # A zone far from the machine's (UTC here): the time said is the hospital's, as on staff pages.
    zone = ZoneInfo("Pacific/Auckland")
    service = WayfindingService(database_url=url, venue_path=DEMO_PATH, zone=zone)
    said = ""
    for kiosk in KIOSKS:
        for place in ("Radiologie", "Urgences", "Maternité", "Cafétéria", "Pharmacie"):
            try:
                said = service.route(kiosk, place).detour_text("fr")
            except NoRoute as exc:
                said = str(exc)
            if said:
                break
        if said:
            break
    assert said, "no route goes round the gallery: the test would prove nothing"
    here = until.astimezone(zone)
    clock = here.strftime("%H:%M") if here.date() == datetime.now(UTC).astimezone(zone).date() else ""
    assert f"jusqu'à {clock or here.strftime('%d/%m %H:%M')}" in said, said
    assert until.strftime("%H:%M") not in said, "the time in UTC"
