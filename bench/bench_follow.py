"""Following the walker on the phone page: simulated walks through the page's own follower.

Walks come from ``simulators/phone_walk.py`` (its own gait, phone carriage, heading errors,
missed turns; nothing shared with the follower); the page's script (``api/static/follow.js``)
runs them in Node exactly as in the browser (``bench/follow_walks.js``). Figures, over
every walk, against the simulator's truth:

- share of walking time (on the route) the page shows the step the walker is really on,
  beside the simple alternative (steps counted times 0.7 m, no map matching);
- turn cues: how far before the turn the cue came (target 2 to 8 m, 95 % of turns);
- missed turns: noticed within 10 m of going straight on (95 %);
- position error (median, p95) while walking on the route; the error at the start from a sign.

    python bench/bench_follow.py [--walks 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point

from floorplans import load_demo_venue
from routing import NoRoute, Router
from routing.follow import follow_data
from simulators.generate import generate_hospital
from simulators.phone_walk import Person, Walk, simulate_walk

ROOT = Path(__file__).resolve().parent.parent


def routes(router: Router, n: int, rnd: random.Random) -> list[Any]:
    """*n* routes a visitor would ask: from a sign (most) or a kiosk, to a public place."""
    places = router.places
    starts = list(places.signs) + [p.id for p in places.places if p.kind == "kiosk"]
    ends = [
        p.id
        for p in places.places
        if p.kind in ("occupant", "amenity")
        and router.venue.units.get(p.unit_id or "") is not None
        and router.venue.units[p.unit_id or ""].public
    ]
    out: list[Any] = []
    while len(out) < n:
        try:
            r = router.route(rnd.choice(starts), rnd.choice(ends), lang="fr")
        except (NoRoute, LookupError):
            continue
        if 20 <= r.distance_m <= 250:
            out.append(r)
    return out


def true_step(data: dict[str, Any], ordinal: int, along: float) -> int:
    cur = 0
    for i, (s, f) in enumerate(zip(data["steps"], data["step_floors"], strict=True)):
        if s <= along + 0.01 and f == ordinal:
            cur = i
    return cur


def wrong_turns(
    router: Router, count: int, rnd: random.Random
) -> list[tuple[Any, dict[str, Any], Walk, float]]:
    """Walkers who take another way than the page's route: they follow a route from the same
    start to another place, 15 m past where it leaves the page's route, and stop there."""
    out: list[tuple[Any, dict[str, Any], Walk, float]] = []
    while len(out) < count:
        a, b = routes(router, 2, rnd)
        try:
            b = router.route(a.origin.id, b.destination.id, lang="fr")
        except (NoRoute, LookupError):
            continue
        g = router.walk
        same = 0
        while same < min(len(a.nodes), len(b.nodes)) and a.nodes[same] == b.nodes[same]:
            same += 1
        if same == 0 or same >= len(b.nodes) - 1:
            continue
        walk = simulate_walk(router, b, rnd, Person.draw(rnd, miss_turn=False))
        # Where the two ways part: along b, the last node they share.
        part = next(
            t[3]
            for t in walk.truth
            if abs(t[1] - g.nodes[b.nodes[same - 1]].x) < 0.05
            and abs(t[2] - g.nodes[b.nodes[same - 1]].y) < 0.05
        )
        if (
            part < 5
            or b.distance_m < part + 15
            or any(g.kind[e] in ("elevator", "stairs", "escalator") for e in b.edges[: same + 5])
        ):
            continue
        keep = next(i for i, t in enumerate(walk.truth) if t[3] > part + 15)
        walk.samples, walk.truth = walk.samples[:keep], walk.truth[:keep]
        # A wrong turn, not a way beside the route: 15 m on, the walker is 10 m or more from it.
        end = walk.truth[-1]
        line = LineString(
            [(g.nodes[n].x, g.nodes[n].y) for n in a.nodes if g.nodes[n].ordinal == end[0]]
            or [(0, 0), (0, 0)]
        )
        if line.distance(Point(end[1], end[2])) < 10:
            continue
        out.append((a, follow_data(router, a), walk, part))
    return out


def replay(walks: list[tuple[dict[str, Any], Walk]]) -> tuple[list[dict[str, Any]], float]:
    """What the page shows for each walk (through Node), and how long Node took."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "walks.json", Path(tmp) / "shown.json"
        body = {"walks": [{"data": d, "samples": w.samples, "seed": i + 1} for i, (d, w) in enumerate(walks)]}
        src.write_text(json.dumps(body))
        t0 = time.perf_counter()
        subprocess.run(["node", str(ROOT / "bench" / "follow_walks.js"), str(src), str(dst)], check=True)
        return json.loads(dst.read_text()), time.perf_counter() - t0


def measure(name: str, router: Router, count: int, seed: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    walks: list[tuple[Any, dict[str, Any], Walk]] = []
    for i, r in enumerate(routes(router, count, rnd)):
        data = follow_data(router, r)
        # One walker in three means to miss a turn (where the corridor goes on straight).
        person = Person.draw(rnd, miss_turn=i % 3 == 0)
        walks.append((r, data, simulate_walk(router, r, rnd, person)))
    shown, node_s = replay([(d, w) for _r, d, w in walks])
    wrong = wrong_turns(router, max(10, count // 4), rnd)
    wrong_shown, wrong_s = replay([(d, w) for _a, d, w, _p in wrong])
    noticed: list[float] = []
    for (_a, _d, w, part), s in zip(wrong, wrong_shown, strict=True):
        said = next(
            (w.truth[i][3] - part for i, _n, _p, off, *_ in s["shown"] if off and w.truth[i][3] > part), None
        )
        noticed.append(said if said is not None else math.inf)
    right = base_right = total = 0
    errors: list[float] = []
    start_errors: list[float] = []
    cue_ok = cue_all = 0
    cue_d: list[float] = []
    miss_ok = miss_all = 0
    false_off = on_samples = 0
    for (r, data, w), s in zip(walks, shown, strict=True):
        truth = w.truth
        first = s["shown"][0]
        if r.origin.kind == "sign":
            t = truth[first[0]]
            start_errors.append(math.hypot(first[4] - t[1], first[5] - t[2]))
        for i, step, _prog, off, x, y, o, base, _riding in s["shown"]:
            tord, tx, ty, talong, toff = truth[i]
            if toff:
                continue
            total += 1
            want = true_step(data, tord, talong)
            right += step == want
            base_right += base == want
            on_samples += 1
            false_off += off
            if o == tord:
                errors.append(math.hypot(x - tx, y - ty))
        # Cues: for each turn, the walker's true distance to it when the cue came.
        for k, kind in enumerate(data["step_kinds"]):
            if kind != "turn" or k == 0:
                continue
            cue_all += 1
            hit = next((i for i, n in s["cues"] if n == k), None)
            if hit is None:
                continue
            d = data["steps"][k] - truth[hit][3]
            cue_d.append(d)
            cue_ok += 2.0 <= d <= 8.0
        # Missed turns: how far past the turn the page said "off the route".
        for at in w.missed_at:
            miss_all += 1
            leave = next(i for i, t in enumerate(truth) if t[4] and abs(t[3] - at) < 0.05)
            turn_xy = truth[leave][1:3]
            for i, _n, _p, off, *_ in s["shown"]:
                if i < leave or not truth[i][4]:
                    continue
                if off:
                    miss_ok += math.hypot(truth[i][1] - turn_xy[0], truth[i][2] - turn_xy[1]) <= 10.0
                    break
    errors.sort()
    return {
        "venue": name,
        "walks": len(walks),
        "pocket": sum(w.person.pocket for _r, _d, w in walks),
        "missed turns": miss_all,
        "step shown right": right / total,
        "simple alternative": base_right / total,
        "cues 2-8 m": cue_ok / max(1, cue_all),
        "cue distance median": statistics.median(cue_d) if cue_d else None,
        "turns": cue_all,
        "missed turn noticed within 10 m": miss_ok / max(1, miss_all),
        "wrong turns": len(wrong),
        "wrong turn noticed within 10 m": sum(d <= 10 for d in noticed) / len(noticed),
        "wrong turn noticed after, median m": statistics.median(noticed),
        "off-route said while on it": false_off / max(1, on_samples),
        "error median m": errors[len(errors) // 2],
        "error p95 m": errors[int(len(errors) * 0.95)],
        "start error from a sign max m": max(start_errors) if start_errors else None,
        "node seconds": round(node_s + wrong_s, 1),
        "walked minutes": round(sum(len(w.samples) for _r, _d, w in walks) / 50 / 60, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--walks", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    demo = Router(load_demo_venue())
    generated = Router(generate_hospital(buildings=2, levels=3, rooms_per_level=40, seed=args.seed))
    for name, router in (("demo hospital", demo), ("generated 2 x 3 x 40", generated)):
        res = measure(name, router, args.walks, args.seed)
        print(json.dumps(res, ensure_ascii=False, indent=1, default=lambda v: round(v, 3)))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
