"""The phone page's follower (api/static/follow.js, run in Node as the page runs it) on walks it
has never seen: simulated walkers with phones (simulators/phone_walk.py, nothing shared with
the follower). Floors under the figures of docs/benchmarks.md, so that a change that breaks
the follower fails here; the figures themselves come from bench/bench_follow.py."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

from floorplans import load_demo_venue
from routing import Router
from routing.follow import follow_data
from simulators.phone_walk import Person, simulate_walk

ROOT = Path(__file__).resolve().parents[2]
ROUTER = Router(load_demo_venue())


def replay(tmp_path: Path, walks: list[tuple[dict[str, object], object]]) -> list[dict[str, object]]:
    src, dst = tmp_path / "walks.json", tmp_path / "shown.json"
    body = {"walks": [{"data": d, "samples": w.samples, "seed": i + 1} for i, (d, w) in enumerate(walks)]}  # type: ignore[attr-defined]
    src.write_text(json.dumps(body))
    subprocess.run(["node", str(ROOT / "bench" / "follow_walks.js"), str(src), str(dst)], check=True)
    return json.loads(dst.read_text())  # type: ignore[no-any-return]


def true_step(data: dict[str, object], ordinal: int, along: float) -> int:
    cur = 0
    for i, (s, f) in enumerate(zip(data["steps"], data["step_floors"], strict=True)):  # type: ignore[call-overload]
        if s <= along + 0.01 and f == ordinal:
            cur = i
    return cur


def test_the_page_shows_the_step_the_walker_is_on_far_better_than_counting(tmp_path: Path) -> None:
    rnd = random.Random(11)
    places = [p.id for p in ROUTER.places.places if p.kind == "occupant"]
    walks = []
    while len(walks) < 12:
        route = ROUTER.route(rnd.choice(list(ROUTER.places.signs)), rnd.choice(places), lang="fr")
        if 30 <= route.distance_m <= 150:
            walks.append(
                (
                    follow_data(ROUTER, route),
                    simulate_walk(ROUTER, route, rnd, Person.draw(rnd, miss_turn=False)),
                )
            )
    shown = replay(tmp_path, walks)
    right = counted = total = 0
    for (data, walk), s in zip(walks, shown, strict=True):
        for i, step, *_rest in s["shown"]:  # type: ignore[attr-defined]
            ordinal, _x, _y, along, off = walk.truth[i]
            if off:
                continue
            want = true_step(data, ordinal, along)
            right += step == want
            counted += _rest[5] == want
            total += 1
    assert right / total >= 0.75, right / total
    assert right / total >= counted / total + 0.15, (right / total, counted / total)


def test_steps_are_counted_whatever_the_gait_and_wherever_the_phone(tmp_path: Path) -> None:
    route = ROUTER.route("R6M9", "Boutique presse", lang="fr")  # 36 m on one floor, no stairs
    walks = []
    for cadence, step_m, pocket in (
        (1.4, 0.8, False),
        (2.1, 0.5, False),
        (1.6, 0.6, True),
        (2.0, 0.75, True),
    ):
        person = Person(
            cadence, step_m, pocket, 20.0 if pocket else 0.0, 3.5 if pocket else 1.5, 500.0, False
        )
        walks.append((follow_data(ROUTER, route), simulate_walk(ROUTER, route, random.Random(1), person)))
    shown = replay(tmp_path, walks)
    for (_data, walk), s in zip(walks, shown, strict=True):
        moving = sum(1 for a, b in zip(walk.truth, walk.truth[1:], strict=False) if a[1:3] != b[1:3]) / 50
        true_steps = moving * walk.person.cadence
        assert abs(s["steps"] - true_steps) <= 0.1 * true_steps + 2, (walk.person, s["steps"], true_steps)  # type: ignore[index]


def test_a_wrong_turn_is_noticed(tmp_path: Path) -> None:
    page_route = ROUTER.route("R6M9", "Boutique presse", lang="fr")  # right into corridor A
    walked = ROUTER.route("R6M9", "Laboratoire de prélèvements", lang="fr")  # left into it
    person = Person(1.7, 0.68, False, 3.0, 2.0, 500.0, False)
    walk = simulate_walk(ROUTER, walked, random.Random(2), person)
    shown = replay(tmp_path, [(follow_data(ROUTER, page_route), walk)])[0]
    first_off = next((walk.truth[i][3] for i, _s, _p, off, *_ in shown["shown"] if off), None)  # type: ignore[attr-defined]
    assert first_off is not None and 10 < first_off < 10 + 12, first_off  # the junction is 10 m from the sign
