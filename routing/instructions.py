"""From a path to the steps a stressed visitor can follow.

Steps are made at decision points only: where the way turns (headings from
the path simplified to 1 m, so that a corridor walked along its doors is one
straight line), where it enters another building, takes a ramp or steps,
changes floor, and where it arrives, with the side of the door. Turns are
relative to the walker's heading; the first one from a kiosk is relative to
the screen ("with the screen behind you"), from a room to its door ("leave
Cardiology and turn left"), on a new floor to the lift or stairs one leaves.
Two turns a few metres apart are one step ("turn right, then immediately
left"). Each name said is true where it is said: a turn is "into" the
corridor entered within a few metres of it; a landmark is a room whose door
is at the turn, ahead or beside the walker, never a place already walked
through, the origin or the destination. Each step is a :class:`Maneuver` (structured, language-free); its
words come from the language catalogues (:mod:`routing.language`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import shapely

from floorplans.model import Label, Venue, label_text
from routing.graph import WalkGraph
from routing.language import Catalogue, catalogue


class Router(Protocol):
    """What directions need from the router (:class:`routing.router.Router`): the walk
    graph, the venue and the names of the rooms whose doors are near a point."""

    walk: WalkGraph
    venue: Venue

    def landmark_near(
        self,
        ordinal: int,
        x: float,
        y: float,
        *,
        radius: float = 3.5,
        exclude: set[str | None] | set[str] | None = None,
        only_notable: bool = False,
        ahead: tuple[float, float] | None = None,
        avoid_names: list[Label] | None = None,
    ) -> Label | None: ...


#: Turns smaller than this (degrees) are "straight on".
STRAIGHT_DEG = 30.0
#: Decision points closer than this (metres along the way) are merged.
MERGE_M = 3.0
SIMPLIFY_M = 1.5
#: A turn is "into" a corridor entered between 1 m before and this far after it.
INTO_AHEAD_M = 4.0
#: Two turns closer than this are said as one step ("right, then immediately left").
CLOSE_TURNS_M = 5.0
#: Two opposite bends closer than this are a jog across a doorway, not turns.
JOG_M = 2.0
#: A place said "past" has its door this close to the point halfway along the stretch.
PAST_M = 5.0
#: Units one walks along or through, as opposed to rooms one leaves by a door.
CIRCULATION = ("walkway", "lobby", "footbridge", "ramp", "steps", "elevator", "stairs", "escalator")


@dataclass(slots=True)
class Maneuver:
    type: str  # depart, turn, continue, enter_building, ramp, steps, elevator, stairs, escalator, arrive
    modifier: str | None = None
    name: Label | None = None
    landmark: Label | None = None
    past: Label | None = None
    level: Label | None = None
    side: str | None = None
    context: str | None = None  # depart: kiosk, sign, lift, room, place
    angle: float | None = None  # turns: degrees, positive = left
    #: A second turn a few metres after this one, said in the same step.
    then: str | None = None
    then_node: int | None = None
    origin: Label | None = None
    distance_m: float = 0.0
    ordinal: int = 0
    x: float = 0.0
    y: float = 0.0
    #: Index in the route's node path where the step happens.
    at_node: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


@dataclass(slots=True)
class Step:
    maneuver: Maneuver
    screen: str
    speech: str


def modifier(angle_deg: float) -> str:
    """A signed turn (positive = left, counter-clockwise) in words."""
    a = abs(angle_deg)
    side = "left" if angle_deg > 0 else "right"
    if a < STRAIGHT_DEG:
        return "straight"
    if a < 60:
        return f"slight {side}"
    if a < 140:
        return side
    if a < 165:
        return f"sharp {side}"
    return "uturn"


def _angle(h1: tuple[float, float], h2: tuple[float, float]) -> float:
    a = math.degrees(math.atan2(h2[1], h2[0]) - math.atan2(h1[1], h1[0]))
    return (a + 180.0) % 360.0 - 180.0


def _heading(p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = math.hypot(dx, dy) or 1.0
    return dx / n, dy / n


@dataclass(slots=True)
class _Run:
    """A stretch of the path on one floor: node indices into the path."""

    start: int
    end: int  # inclusive
    vertical_unit: Label | None = None
    steps: list[Maneuver] = field(default_factory=list)


def build_maneuvers(
    router: Router,
    path: list[int],
    edges: list[int],
    *,
    origin_kind: str,
    origin_name: Label,
    facing: float | None,
    destination_name: Label,
    destination_unit: str | None,
    origin_unit: str | None = None,
) -> list[Maneuver]:
    g = router.walk
    venue = router.venue
    nodes = [g.nodes[i] for i in path]
    xy = [(n.x, n.y) for n in nodes]
    cum = [0.0]
    for e in edges:
        cum.append(cum[-1] + g.length[e])
    out: list[Maneuver] = []

    def unit_of(k: int) -> str | None:
        return nodes[k].unit_id

    # Never a landmark: where the walk starts and ends.
    terminal_units = {u for u in (origin_unit, destination_unit) if u is not None}
    terminal_names = [
        n for n in (origin_name, destination_name, *(venue.units[u].name for u in terminal_units)) if n
    ]

    def building_of(uid: str | None) -> str | None:
        if uid is None:
            return None
        level = venue.levels.get(venue.units[uid].level_id)
        return level.building_ids[0] if level and level.building_ids else None

    # Split into floor runs at vertical edges; merge consecutive vertical edges.
    runs: list[_Run] = []
    k = 0
    start = 0
    while k < len(edges):
        kind = g.kind[edges[k]]
        if kind in ("elevator", "stairs", "escalator", "ramp-link"):
            runs.append(_Run(start, k))
            j = k
            while (
                j + 1 < len(edges) and g.kind[edges[j + 1]] == kind and g.via[edges[j + 1]] == g.via[edges[k]]
            ):
                j += 1
            rel = venue.relationships.get(g.via[edges[k]] or "")
            # Named after the lift or stairs unit at either end: a flight drawn on one level
            # only is linked to the corridor at its other end, which has no such name.
            ends = [venue.units.get(unit_of(i) or "") for i in (k, j + 1)]
            named = [u for u in ends if u is not None and u.name]
            own = [u for u in named if u.category == ("ramp" if kind == "ramp-link" else kind)]
            lift_unit = (own or named)[0] if (own or named) else None
            name = (rel.name if rel and rel.name else None) or (lift_unit.name if lift_unit else None)
            target = venue.levels[nodes[j + 1].level_id]
            up = target.ordinal > nodes[k].ordinal
            vtype = "stairs" if kind == "ramp-link" else kind
            out_step = Maneuver(
                vtype,
                "up" if up else "down",
                name=name or {},
                level=target.short_name or {"fr": str(target.ordinal)},
                ordinal=nodes[k].ordinal,
                x=xy[k][0],
                y=xy[k][1],
                at_node=k,
            )
            runs[-1].steps.append(out_step)
            start = j + 1
            k = j + 1
            continue
        k += 1
    runs.append(_Run(start, len(path) - 1))
    # Re-attach the "after vertical" context to each run that follows one.
    for prev, run in itertools.pairwise(runs):
        vertical = next((s for s in prev.steps if s.type in ("elevator", "stairs", "escalator")), None)
        if vertical is not None:
            run.vertical_unit = vertical.name

    for r_index, run in enumerate(runs):
        first_run = r_index == 0
        last_run = r_index == len(runs) - 1
        idx = list(range(run.start, run.end + 1))
        walk: list[Maneuver] = []
        if len(idx) >= 2:
            walk = _floor_maneuvers(
                router, idx, xy, cum, edges, nodes, unit_of, building_of, terminal_units, terminal_names
            )
        depart_ctx = (
            origin_kind  # "with the screen behind you" / "facing the sign": the place gives the heading
            if first_run and origin_kind in ("kiosk", "sign") and facing is not None
            else "place"
            if first_run
            else "lift"
        )
        first_heading = None
        pts = [xy[i] for i in idx]
        far = next(
            (p for p in pts[1:] if math.hypot(p[0] - pts[0][0], p[1] - pts[0][1]) > SIMPLIFY_M),
            pts[-1] if len(pts) > 1 else None,
        )
        if far is not None:
            first_heading = _heading(pts[0], far)
        dep = Maneuver(
            "depart",
            context=depart_ctx,
            origin=origin_name if first_run else None,
            name=run.vertical_unit if depart_ctx == "lift" else None,
            ordinal=nodes[idx[0]].ordinal,
            x=xy[idx[0]][0],
            y=xy[idx[0]][1],
            at_node=idx[0],
        )
        exit_at = _room_exit(g, idx, edges, unit_of, venue) if depart_ctx == "place" else None
        if exit_at is not None:
            # Leaving a room: its door gives the facing ("leave X and turn left").
            d = exit_at
            after = next(
                (
                    xy[i]
                    for i in idx
                    if i > d + 1 and math.hypot(xy[i][0] - xy[d + 1][0], xy[i][1] - xy[d + 1][1]) > SIMPLIFY_M
                ),
                None,
            )
            dep.context = "room"
            dep.at_node = d + 1
            dep.x, dep.y = xy[d + 1]
            dep.modifier = (
                modifier(_angle(_heading(xy[d], xy[d + 1]), _heading(xy[d + 1], after)))
                if after
                else "straight"
            )
            entered = venue.units.get(unit_of(d + 1) or "")
            if entered is not None and entered.name and entered.category in CIRCULATION:
                dep.name = entered.name
            walk = [m for m in walk if m.at_node > d + 1 and cum[m.at_node] - cum[d + 1] >= INTO_AHEAD_M]
        elif depart_ctx in ("kiosk", "sign") and first_heading is not None and facing is not None:
            rad = math.radians(facing)
            dep.modifier = modifier(_angle((math.sin(rad), math.cos(rad)), first_heading))
        elif (
            depart_ctx == "lift"
            and walk
            and walk[0].type == "turn"
            and cum[walk[0].at_node] - cum[idx[0]] < 6.0
        ):
            dep.modifier = walk[0].modifier
            dep.landmark = walk[0].name
            walk = walk[1:]
        else:
            dep.modifier = "straight"
        if len(idx) >= 2 and (first_run or dep.modifier):
            walk.insert(0, dep)
        elif not first_run and len(idx) < 2:
            walk = []
        # Towards: the first named corridor or room entered after departure.
        if walk and walk[0].type == "depart" and walk[0].context != "room":
            for i in idx[1:]:
                uid = unit_of(i)
                if uid and uid != unit_of(idx[0]) and venue.units[uid].name:
                    walk[0].name = walk[0].name or None
                    walk[0].landmark = walk[0].landmark or venue.units[uid].name
                    break
        if walk and walk[0].type == "depart" and len(walk) > 1 and walk[1].name == walk[0].landmark:
            walk[0].landmark = None
        out_run = walk
        if last_run:
            out_run = _arrival(
                router,
                idx,
                xy,
                cum,
                edges,
                nodes,
                out_run,
                destination_name,
                destination_unit,
            )
        # Distances: from each step to the next one on this floor.
        marks = [m.at_node for m in out_run]
        end_at = out_run[-1].at_node if last_run and out_run else idx[-1]
        for m, nxt in zip(out_run, [*marks[1:], end_at][: len(out_run)], strict=True):
            m.distance_m = max(0.0, cum[nxt] - cum[m.at_node])
        out.extend(out_run)
        out.extend(run.steps)
    return _merge(out)


def _simplified(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(pts) < 2:
        return list(pts)
    arr = np.asarray(pts, dtype=float)
    keep = np.concatenate([[True], np.hypot(*np.diff(arr, axis=0).T) > 1e-6])
    arr = arr[keep]
    if len(arr) < 3:
        return [(float(x), float(y)) for x, y in arr]
    simple = shapely.simplify(shapely.linestrings(arr), SIMPLIFY_M, preserve_topology=False)
    return [(float(x), float(y)) for x, y in shapely.get_coordinates(simple)]


def _floor_maneuvers(
    router: Router,
    idx: list[int],
    xy: list[tuple[float, float]],
    cum: list[float],
    edges: list[int],
    nodes: list[Any],
    unit_of: Any,
    building_of: Any,
    ends: set[str],
    end_names: list[Label],
) -> list[Maneuver]:
    g = router.walk
    venue = router.venue
    pts = [xy[i] for i in idx]
    # Where the walk first enters each unit: a unit walked through is never a landmark after.
    first_seen: dict[str, int] = {}
    for i in idx:
        u = unit_of(i)
        if u and u not in first_seen:
            first_seen[u] = i
    simple = _simplified(pts)
    # Map simplified vertices back to path positions (simplify keeps a subset of points).
    positions = []
    j = 0
    for v in simple:
        while j < len(idx) and (abs(pts[j][0] - v[0]) > 1e-9 or abs(pts[j][1] - v[1]) > 1e-9):
            j += 1
        positions.append(idx[min(j, len(idx) - 1)])
    out: list[Maneuver] = []
    for a in range(1, len(simple) - 1):
        angle = _angle(_heading(simple[a - 1], simple[a]), _heading(simple[a], simple[a + 1]))
        mod = modifier(angle)
        if mod == "straight":
            continue
        k = positions[a]
        into = None
        # What the walker enters right at the turn (from 1 m before it, a turn made on the
        # threshold of a corridor, to a few metres after): a corridor reached later is not
        # named here.
        for i in idx[1:]:
            if cum[i] < cum[k] - 1.0 or unit_of(i) == unit_of(i - 1) or unit_of(i) is None:
                continue
            if cum[i] > cum[k] + INTO_AHEAD_M:
                break
            unit = venue.units[unit_of(i)]
            if unit.name and unit.category in ("walkway", "lobby", "footbridge"):
                into = unit.name
            break
        node = nodes[k]
        # Something the walker sees at the turn, ahead or beside: never a place already
        # walked through, nor where the walk starts or ends.
        landmark = (
            None
            if into
            else router.landmark_near(
                node.ordinal,
                node.x,
                node.y,
                exclude={u for u, i in first_seen.items() if i <= k} | ends,
                ahead=_heading(simple[a - 1], simple[a]),
                avoid_names=end_names,
            )
        )
        out.append(
            Maneuver(
                "turn",
                mod,
                name=into,
                landmark=landmark,
                ordinal=node.ordinal,
                x=node.x,
                y=node.y,
                at_node=k,
                angle=angle,
            )
        )
    # Buildings entered, ramps and steps taken.
    seen_units: set[str] = set()
    for i in idx[:-1]:
        e = edges[i]
        kind = g.kind[e]
        ua, ub = unit_of(i), unit_of(i + 1)
        if (
            kind in ("door", "passage")
            and building_of(ua)
            and building_of(ub)
            and building_of(ua) != building_of(ub)
        ):
            building = venue.buildings[building_of(ub)]
            out.append(
                Maneuver(
                    "enter_building",
                    name=building.name,
                    ordinal=nodes[i].ordinal,
                    x=nodes[i].x,
                    y=nodes[i].y,
                    at_node=i,
                )
            )
        if ub and ub not in seen_units and venue.units[ub].category in ("ramp", "steps") and ub != ua:
            seen_units.add(ub)
            out.append(
                Maneuver(
                    venue.units[ub].category,
                    _up_or_down(venue.units[ub], xy, idx, i + 1, unit_of),
                    name=venue.units[ub].name,
                    ordinal=nodes[i].ordinal,
                    x=nodes[i].x,
                    y=nodes[i].y,
                    at_node=i + 1,
                )
            )
    out.sort(key=lambda m: m.at_node)
    # Landmarks passed on long straight stretches (not the places walked through).
    walked = {unit_of(i) for i in idx} | ends
    marks = [m.at_node for m in out]
    bounds = list(zip([idx[0], *marks], [*marks, idx[-1]], strict=True))
    for m, (a, b) in zip([None, *out], bounds, strict=True):
        if m is None or cum[b] - cum[a] < 15:
            continue
        # The point halfway along the stretch (not the path node nearest it: which nodes a
        # corridor's path goes through is a tie between equally short ways).
        mid = (cum[a] + cum[b]) / 2
        k = max(i for i in range(a, b) if cum[i] <= mid)
        share = (mid - cum[k]) / (cum[k + 1] - cum[k]) if cum[k + 1] > cum[k] else 0.0
        (x0, y0), (x1, y1) = xy[k], xy[k + 1]
        node = nodes[k]
        m.past = router.landmark_near(
            node.ordinal,
            x0 + share * (x1 - x0),
            y0 + share * (y1 - y0),
            radius=PAST_M,
            exclude=walked,
            only_notable=True,
            avoid_names=end_names,
        )
    return out


def _up_or_down(unit: Any, xy: list[tuple[float, float]], idx: list[int], i: int, unit_of: Any) -> str | None:
    """Up or down a ramp or steps, from the plan's ``uphill`` bearing (degrees clockwise
    from the plan's north, +y) and the way the walker crosses the unit."""
    uphill = unit.extra.get("uphill")
    if not isinstance(uphill, (int, float)) or isinstance(uphill, bool) or not math.isfinite(uphill):
        return None  # absent or not a bearing: "take the ramp", never a guessed up or down
    out = next((j for j in idx if j > i and unit_of(j) != unit.id), idx[-1])
    dx, dy = xy[out][0] - xy[i][0], xy[out][1] - xy[i][1]
    along = dx * math.sin(math.radians(uphill)) + dy * math.cos(math.radians(uphill))
    if abs(along) < 1.0:
        return None  # crossed sideways
    return "up" if along > 0 else "down"


def _room_exit(g: Any, idx: list[int], edges: list[int], unit_of: Any, venue: Any) -> int | None:
    """Where a walk that starts in a room goes out of its door (path index), if it does."""
    start = venue.units.get(unit_of(idx[0]) or "")
    if start is None or start.category in CIRCULATION:
        return None
    for i in idx[:-1]:
        if unit_of(i) != start.id:
            return None
        if g.kind[edges[i]] in ("door", "passage") and unit_of(i + 1) != start.id:
            return i
    return None


def _arrival(
    router: Router,
    idx: list[int],
    xy: list[tuple[float, float]],
    cum: list[float],
    edges: list[int],
    nodes: list[Any],
    steps: list[Maneuver],
    name: Label,
    dest_unit: str | None,
) -> list[Maneuver]:
    g = router.walk
    last = idx[-1]
    door_at = None
    unit = router.venue.units.get(dest_unit or "")
    # A room ends at its door ("the door is on your left"); a point in a hall or a corridor
    # (a defibrillator, a cash machine, a kiosk) ends at the point itself.
    by_door = unit is not None and unit.category not in ("walkway", "lobby", "footbridge", "ramp", "steps")
    for i in reversed(idx[:-1]) if by_door else ():
        if (
            g.kind[edges[i]] in ("door", "passage")
            and nodes[i + 1].unit_id == dest_unit
            and nodes[i].unit_id != dest_unit
        ):
            door_at = i
            break
    side = "ahead"
    at = last
    if door_at is not None and door_at > idx[0]:
        back = door_at - 1
        while back > idx[0] and math.hypot(xy[door_at][0] - xy[back][0], xy[door_at][1] - xy[back][1]) < 1.0:
            back -= 1
        heading = _heading(xy[back], xy[door_at])
        into = _heading(xy[door_at], xy[door_at + 1])
        angle = _angle(heading, into)
        side = "left" if angle > 45 else "right" if angle < -45 else "ahead"
        at = door_at
        steps = [s for s in steps if s.at_node <= door_at or s.type == "depart"]
        # A turn right at the door is the arrival itself.
        while steps and steps[-1].type == "turn" and cum[door_at] - cum[steps[-1].at_node] < 2.5:
            steps.pop()
    node = nodes[at]
    steps.append(
        Maneuver("arrive", name=name, side=side, ordinal=node.ordinal, x=node.x, y=node.y, at_node=at)
    )
    return steps


def _merge(steps: list[Maneuver]) -> list[Maneuver]:
    """Drop turns that come right after another step (a door then its corner), and the
    turn into a lift or stairs a few metres ahead ("take lift B, on your left")."""
    out: list[Maneuver] = []
    for m in steps:
        if (
            out
            and m.type in ("elevator", "stairs", "escalator")
            and out[-1].type == "turn"
            and out[-1].distance_m < 8.0
            and not out[-1].name
            and out[-1].modifier
            and out[-1].modifier.endswith(("left", "right"))
        ):
            turn = out.pop()
            m.side = "left" if turn.modifier.endswith("left") else "right"  # type: ignore[union-attr]
            if out:
                out[-1].distance_m += turn.distance_m
        prev = out[-1] if out else None
        if prev is not None and m.type == "turn" and prev.ordinal == m.ordinal:
            if prev.type == "turn" and prev.then is None and prev.distance_m < CLOSE_TURNS_M:
                total = (prev.angle or 0.0) + (m.angle or 0.0)
                slight = (prev.modifier or "").startswith("slight") and (m.modifier or "").startswith(
                    "slight"
                )
                if (
                    abs(total) < STRAIGHT_DEG
                    and (prev.distance_m < JOG_M or slight)
                    and not (prev.name or m.name)
                ):
                    # A jog (across a doorway, round a pillar): no turn at all. One that leads
                    # into a corridor is said ("bear left, then immediately bear right into").
                    out.pop()
                    if out:
                        out[-1].distance_m += prev.distance_m + m.distance_m
                        out[-1].past = out[-1].past or m.past
                    continue
                # Two turns a few metres apart: one step that says both, never their sum
                # (left, 4 m, left is not a U-turn; right then left is not straight on).
                prev.then, prev.then_node = m.modifier, m.at_node
                prev.name = m.name or prev.name
                prev.landmark = None if prev.name else prev.landmark
                prev.distance_m += m.distance_m
                prev.past = prev.past or m.past
                continue
            if prev.type in ("enter_building", "depart") and prev.distance_m < MERGE_M:
                prev.distance_m += m.distance_m
                prev.past = prev.past or m.past
                continue
        if prev is not None and m.type == "turn" and m.name and m.name == prev.name:
            m.name = None  # already in that corridor: do not say "into" it again
        out.append(m)
    return out


# --------------------------------------------------------------------------- wording


def render_step(m: Maneuver, lang: str, *, speech: bool = False) -> str:
    cat = catalogue(lang)
    text = _render(m, cat, speech=speech)
    return cat.speakable(text) if speech else text


def _name(label: Label | None, lang: str) -> str:
    return label_text(label, lang)


def _render(m: Maneuver, cat: Catalogue, *, speech: bool) -> str:
    lang = cat.lang
    dist = cat.distance(m.distance_m, speech=speech)
    walk = cat.render("walk", distance=dist) if m.distance_m >= 1.0 else ""
    past = cat.render("past", name=_name(m.past, lang)) if m.past else ""
    past = past[:1].lower() + past[1:] if past else ""
    walk = walk[:1].lower() + walk[1:] if walk else ""
    level = label_text(m.level, lang) if m.level else ""
    if m.type == "depart":
        turn = cat.turn(m.modifier or "straight")
        towards = cat.render("towards", name=_name(m.landmark, lang)) if m.landmark else ""
        towards = towards[:1].lower() + towards[1:]
        if m.context in ("kiosk", "sign"):
            head = cat.render(f"depart_{m.context}", turn=turn)
        elif m.context == "lift":
            head = cat.render("depart_lift", lift=_name(m.name, lang), turn=turn)
        elif m.context == "room":
            origin = _name(m.origin, lang)
            key = "depart_room_into" if m.name else "depart_room"
            head = cat.render(_unnamed(cat, key, origin), origin=origin, turn=turn, name=_name(m.name, lang))
            towards = ""
        else:
            origin = _name(m.origin, lang)
            head = cat.render(_unnamed(cat, "depart", origin), origin=origin, turn=turn)
        return f"{head}{towards}{walk}{past}."
    if m.type == "turn":
        turn = cat.turn(m.modifier or "straight")
        then = cat.then(m.then) if m.then else ""
        key = "turn_then" if m.then else "turn"
        if m.name:
            head = cat.render(f"{key}_into", turn=turn, then=then, name=_name(m.name, lang))
        elif m.landmark:
            head = cat.render(f"{key}_at", landmark=_name(m.landmark, lang), turn=turn, then=then)
        else:
            head = cat.render(key, turn=turn, then=then)
        return f"{head}{walk}{past}."
    if m.type == "continue":
        return f"{cat.render('continue', distance=dist)}{past}."
    if m.type == "enter_building":
        return f"{cat.render('enter_building', building=_name(m.name, lang))}{walk}{past}."
    if m.type in ("ramp", "steps"):
        key = f"{m.type}_{m.modifier}" if m.modifier else m.type
        return f"{cat.render(key, name=_name(m.name, lang))}{walk}{past}."
    if m.type in ("elevator", "stairs", "escalator"):
        key = "elevator" if m.type == "elevator" else f"{m.type}_{m.modifier or 'up'}"
        if m.side in ("left", "right"):
            return (
                cat.render(f"{key}_side", name=_name(m.name, lang), level=level, side=cat.side(m.side)) + "."
            )
        return cat.render(key, name=_name(m.name, lang), level=level) + "."
    if m.type == "arrive":
        name = _name(m.name, lang)
        key = "arrive_here" if m.side in (None, "ahead", "here") else "arrive"
        return cat.render(_unnamed(cat, key, name), name=name, side=cat.side(m.side or "ahead"))
    return ""


def _unnamed(cat: Catalogue, key: str, name: str) -> str:
    """The template for a place without a name ("You have arrived, straight ahead")."""
    return f"{key}_unnamed" if not name.strip() and f"{key}_unnamed" in cat.data["templates"] else key
