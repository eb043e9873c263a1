"""People walking a route with a phone: what its motion sensors read, and where they really are.

Used to test and measure the phone page's follower (``api/static/follow.js``). It shares
nothing with it: its own gait, its own way of holding the phone, its own heading errors,
and the ground truth that the follower never sees. What a walk does:

- a person: cadence 1.4 to 2.1 steps a second, step length 0.5 to 0.8 m (their own,
  with 5 % jitter a step), the phone in the hand (screen up, swaying with each step)
  or in a trouser pocket (upright, a larger jolt, pointing up to 35 degrees off the
  walking direction);
- heading errors: a compass bias that drifts (a random walk), sway, and magnetic
  disturbance near lifts and entrance doors (up to 25 degrees, fading within 3 m);
- behaviour: turns taken at a human rate, a pause every 25 to 80 m (1.5 to 4 s, one in
  five a stop of 8 to 15 s), and in one walk in four a missed turn (up to 15 m straight
  on, a stop, back to the turn);
- lifts (a wait, then the ride) and stairs (steps on the spot, slower).

A walk gives samples at :data:`RATE` Hz: time, acceleration with gravity in the phone's
frame (m/s²), the compass heading the phone reports (degrees) and its ``alpha`` (as
``deviceorientationabsolute`` gives it), and the truth: floor, x, y, distance along the
route, whether the walker is off the route.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import Point

from routing import Route, Router
from routing.graph import VERTICAL_KINDS

RATE = 50.0
G = 9.81


@dataclass(slots=True)
class Person:
    cadence: float
    step_m: float
    pocket: bool
    carry_offset: float
    jolt: float
    pause_every_m: float
    miss_turn: bool

    @staticmethod
    def draw(rnd: random.Random, *, miss_turn: bool | None = None) -> Person:
        pocket = rnd.random() < 0.4
        return Person(
            cadence=rnd.uniform(1.4, 2.1),
            step_m=rnd.uniform(0.5, 0.8),
            pocket=pocket,
            carry_offset=rnd.uniform(-35, 35) if pocket else rnd.gauss(0, 5),
            jolt=rnd.uniform(2.5, 5.0) if pocket else rnd.uniform(1.2, 2.6),
            pause_every_m=rnd.uniform(25, 80),
            miss_turn=(rnd.random() < 0.25) if miss_turn is None else miss_turn,
        )


@dataclass(slots=True)
class Walk:
    person: Person
    #: Samples: t, ax, ay, az, compass heading, alpha.
    samples: list[tuple[float, float, float, float, float, float]] = field(default_factory=list)
    #: Truth per sample: ordinal, x, y, along the route, off the route.
    truth: list[tuple[int, float, float, float, bool]] = field(default_factory=list)
    #: Distance along the route of each missed turn, where the walker went straight on.
    missed_at: list[float] = field(default_factory=list)


def _walkable(router: Router, ordinal: int) -> list[Any]:
    """The public walkable places of a floor, each on its own (their walls kept)."""
    venue = router.venue
    return [
        u.geometry
        for u in venue.units.values()
        if u.walkable and u.public and venue.levels[u.level_id].ordinal == ordinal
    ]


def _disturbers(router: Router) -> list[tuple[int, float, float, float]]:
    """Lifts and entrance doors bend the compass: (ordinal, x, y, strength in degrees)."""
    venue, rnd = router.venue, random.Random(7)
    out = []
    for u in venue.units.values():
        if u.category == "elevator":
            c = u.geometry.centroid
            out.append(
                (venue.levels[u.level_id].ordinal, c.x, c.y, rnd.choice([-1, 1]) * rnd.uniform(10, 25))
            )
    g = router.walk
    for e, kind in enumerate(g.kind):
        if kind == "entrance":
            n = g.nodes[g.src[e]]
            out.append((n.ordinal, n.x, n.y, rnd.choice([-1, 1]) * rnd.uniform(10, 25)))
    return out


def simulate_walk(router: Router, route: Route, rnd: random.Random, person: Person | None = None) -> Walk:
    """One person walking *route* with a phone."""
    p = person or Person.draw(rnd)
    g = router.walk
    nodes = [g.nodes[i] for i in route.nodes]
    disturb = _disturbers(router)
    walk = Walk(p)
    # Legs on foot between vertical rides: (ordinal, [(x, y, along)], ride after or None).
    along = 0.0
    plan: list[tuple[int, list[tuple[float, float, float]], tuple[str, int] | None]] = []
    pts = [(nodes[0].x, nodes[0].y, 0.0)]
    for i, e in enumerate(route.edges):
        a, b = nodes[i], nodes[i + 1]
        if g.kind[e] in VERTICAL_KINDS:
            levels = abs(b.ordinal - a.ordinal)
            before = plan[-1][2] if plan else None
            if len(pts) == 1 and before is not None:  # on down the same stairs: one ride
                plan[-1] = (plan[-1][0], plan[-1][1], (before[0], before[1] + levels))
            else:
                plan.append((a.ordinal, pts, (g.kind[e], levels)))
            pts = [(b.x, b.y, along)]
        else:
            along += math.hypot(b.x - a.x, b.y - a.y)
            pts.append((b.x, b.y, along))
    plan.append((nodes[-1].ordinal, pts, None))
    turns = [
        m
        for m in route.maneuvers
        if m.type == "turn" and m.modifier in ("left", "right", "sharp left", "sharp right")
    ]
    miss = rnd.choice(turns) if (p.miss_turn and turns) else None

    t = 0.0
    bias = rnd.uniform(-8, 8)
    heading = None  # the walker's real heading, turning at a human rate
    phase = 0.0
    next_pause = p.pause_every_m
    walked = 0.0

    def emit(
        ordinal: int, x: float, y: float, along_true: float, moving: bool, off: bool, target_h: float
    ) -> None:
        nonlocal t, bias, heading, phase
        dt = 1.0 / RATE
        heading = target_h if heading is None else heading
        turn = ((target_h - heading + 540) % 360) - 180
        heading = (heading + max(-120 * dt, min(120 * dt, turn))) % 360
        bias += rnd.gauss(0, 0.3 * math.sqrt(dt))
        mag = sum(
            s * math.exp(-math.hypot(x - dx, y - dy) / 1.5)
            for o, dx, dy, s in disturb
            if o == ordinal and abs(x - dx) < 6 and abs(y - dy) < 6
        )
        if moving:
            phase += 2 * math.pi * p.cadence * dt
        sway = (4 if not p.pocket else 2) * math.sin(phase / 2) if moving else 0
        compass = (heading + p.carry_offset + bias + mag + sway + rnd.gauss(0, 2)) % 360
        jolt = (p.jolt * (math.sin(phase) + 0.35 * math.sin(2 * phase + 0.8)) if moving else 0.0) + rnd.gauss(
            0, 0.15
        )
        side = rnd.gauss(0, 0.3 if moving else 0.05)
        if p.pocket:
            acc = (side, G + jolt, rnd.gauss(0, 0.4) + 0.6 * jolt)
        else:
            acc = (side, rnd.gauss(0, 0.2) + 0.3 * jolt, G + jolt)
        walk.samples.append(
            (
                round(t, 3),
                round(acc[0], 3),
                round(acc[1], 3),
                round(acc[2], 3),
                round(compass, 2),
                round((360 - compass) % 360, 2),
            )
        )
        walk.truth.append((ordinal, round(x, 2), round(y, 2), round(along_true, 2), off))
        t += dt

    def stand(
        ordinal: int, x: float, y: float, along_true: float, seconds: float, h: float, off: bool = False
    ) -> None:
        for _ in range(int(seconds * RATE)):
            emit(ordinal, x, y, along_true, False, off, h)

    def go(
        ordinal: int,
        a: tuple[float, float],
        b: tuple[float, float],
        a_along: float,
        off: bool,
        slow: float = 1.0,
        count: bool = True,
    ) -> None:
        """Walk a straight line at the person's gait; *count*: it advances along the route."""
        nonlocal walked, next_pause
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        if length < 1e-6:
            return
        h = math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360
        speed = p.cadence * p.step_m / slow
        steps = int(length / speed * RATE)
        for k in range(steps):
            f = k / max(1, steps)
            x, y = a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
            emit(ordinal, x, y, a_along + (length * f if count else 0.0), True, off, h)
            walked += speed / RATE
            if walked > next_pause:
                next_pause = walked + p.pause_every_m
                # Mostly a short pause (reading, letting someone by); now and then a long stop.
                pause = rnd.uniform(8, 15) if rnd.random() < 0.2 else rnd.uniform(1.5, 4)
                stand(ordinal, x, y, a_along + (length * f if count else 0.0), pause, h, off)

    for ordinal, legpts, ride in plan:
        walkable = _walkable(router, ordinal)
        for (ax, ay, aal), (bx, by, bal) in itertools.pairwise(legpts):
            go(ordinal, (ax, ay), (bx, by), aal, False)
            if (
                miss is not None
                and miss.ordinal == ordinal
                and abs(bal - _along_of(route, g, miss.at_node)) < 0.05
            ):
                # Straight on past the turn for up to 15 m, a stop, and back.
                # Only where the place they are in goes on straight (a corridor that continues):
                # nobody walks through the wall in front of a T-junction.
                h = math.atan2(bx - ax, by - ay)
                here = next((u for u in walkable if u.covers(Point(bx, by))), None)
                far = (bx, by)
                for d in range(1, 16):
                    q = (bx + d * math.sin(h), by + d * math.cos(h))
                    if here is None or not here.covers(Point(q)):
                        break
                    far = q
                if math.hypot(far[0] - bx, far[1] - by) >= 8:
                    walk.missed_at.append(bal)
                    go(ordinal, (bx, by), far, bal, True, count=False)
                    stand(ordinal, far[0], far[1], bal, 2.5, math.degrees(h) % 360, True)
                    go(ordinal, far, (bx, by), bal, True, count=False)
                miss = None
        if ride is not None:
            kind, levels = ride
            x, y, al = legpts[-1]
            h = heading or 0.0
            if kind == "elevator":
                stand(ordinal, x, y, al, rnd.uniform(10, 30) + 6 * levels, h)
            else:  # about 20 steps a floor (two flights), slower, on the spot as seen from above
                cadence = p.cadence
                p.cadence = rnd.uniform(1.0, 1.4)
                for _ in range(int(rnd.uniform(17, 24) * levels / p.cadence * RATE)):
                    emit(ordinal, x, y, al, True, False, h)
                p.cadence = cadence
    return walk


def _along_of(route: Route, g: Any, index: int) -> float:
    along = 0.0
    for i, e in enumerate(route.edges[:index]):
        if g.kind[e] not in VERTICAL_KINDS:
            a, b = g.nodes[route.nodes[i]], g.nodes[route.nodes[i + 1]]
            along += math.hypot(b.x - a.x, b.y - a.y)
    return along
