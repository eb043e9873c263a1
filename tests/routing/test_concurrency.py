"""One router shared by many threads gives the answers it gives to one thread.

A web server asks the same router from its whole threadpool while closures
start and end; nothing a query does may leak into another one.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from floorplans import Venue
from routing import NoRoute, Router
from tests.routing.conftest import FakeClosure, closure

THREADS = 8


def _gallery(venue: Venue, *, start: datetime, end: datetime) -> FakeClosure:
    """The ground-floor A-B gallery, the way most routes from the main hall take."""
    ground = {lv.id for lv in venue.levels.values() if lv.ordinal == 0}
    unit = next(
        u for u in venue.units.values() if u.name and u.name["fr"] == "Galerie A–B" and u.level_id in ground
    )
    return FakeClosure(unit.id, "Galerie A–B", "nettoyage", start, end)


def _answer(router: Router, a: str, b: str, profile: str, at: datetime) -> Any:
    try:
        route = router.route(a, b, profile=profile, at=at)
    except NoRoute as exc:
        return ("no route", str(exc))
    return (round(route.duration_s, 6), route.nodes, [s.screen for s in route.steps("fr")])


def test_eight_threads_agree_with_one_while_closures_start_and_end(demo_venue: Venue) -> None:
    router = Router(demo_venue)
    now = datetime.now(UTC)
    # The A-B gallery and the ramp to building C are closed from now + 1 h to now + 2 h:
    # queries "at" different times see them start and end.
    ramp = closure(demo_venue, "Rampe entre les bâtiments A et C")
    window = [
        _gallery(demo_venue, start=now + timedelta(hours=1), end=now + timedelta(hours=2)),
        FakeClosure(
            ramp.feature_id, ramp.feature_name, "travaux", now + timedelta(hours=1), now + timedelta(hours=2)
        ),
    ]
    router.set_closures(window)
    times = [now, now + timedelta(minutes=90), now + timedelta(hours=3)]
    places = [
        p.id
        for p in router.places.places
        if p.kind in ("occupant", "kiosk", "amenity") and demo_venue.units[p.unit_id or ""].public
    ]
    rng = random.Random(3)
    queries = [
        (rng.choice(places), rng.choice(places), rng.choice(["default", "step_free"]), rng.choice(times))
        for _ in range(240)
    ]
    alone = Router(demo_venue, closures=window)  # its own metrics: the threads build theirs
    expected = {q: _answer(alone, *q) for q in set(queries)}
    # The closures change the answers for some queries: otherwise this test proves nothing.
    changed = sum(
        1
        for a, b, p, t in expected
        if t == times[1] and expected[(a, b, p, t)] != _answer(router, a, b, p, times[0])
    )
    assert changed >= 5, f"only {changed} queries are changed by the closures"

    wrong: list[tuple[Any, Any, Any]] = []
    crashes: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(seed: int) -> None:
        mine = random.Random(seed)
        start.wait()
        for _ in range(75):
            q = mine.choice(queries)
            try:
                got = _answer(router, *q)
            except BaseException as exc:
                crashes.append(exc)
                continue
            if got != expected[q]:
                wrong.append((q, got, expected[q]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not crashes, crashes[:3]
    assert not wrong, f"{len(wrong)} of {THREADS * 75} answers differ, first: {wrong[0]}"


def test_swapping_closures_under_load_never_mixes_two_closure_sets(demo_venue: Venue) -> None:
    """set_closures from one thread while 7 others route: each answer is one of the two
    single-threaded answers, never a blend and never a crash."""
    router = Router(demo_venue)
    now = datetime.now(UTC)
    closed = [_gallery(demo_venue, start=now - timedelta(hours=1), end=now + timedelta(hours=1))]
    pairs = [
        ("Borne du hall d'accueil", "Radiologie"),
        ("Borne du parking", "Cardiologie"),
        ("Borne des urgences", "Pédiatrie"),
        ("Borne du hall d'accueil", "Laboratoire"),
    ]
    open_answers = {p: _answer(Router(demo_venue), *p, "default", now) for p in pairs}
    closed_answers = {p: _answer(Router(demo_venue, closures=closed), *p, "default", now) for p in pairs}
    assert open_answers != closed_answers
    stop = threading.Event()
    bad: list[Any] = []

    def swap() -> None:
        while not stop.is_set():
            router.set_closures(closed)
            router.set_closures([])

    def work(seed: int) -> None:
        mine = random.Random(seed)
        for _ in range(60):
            p = mine.choice(pairs)
            try:
                got = _answer(router, *p, "default", datetime.now(UTC))
            except BaseException as exc:
                bad.append(exc)
                continue
            if got not in (open_answers[p], closed_answers[p]):
                bad.append((p, got))

    swapper = threading.Thread(target=swap)
    swapper.start()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(THREADS - 1)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    swapper.join()
    assert not bad, bad[:3]
