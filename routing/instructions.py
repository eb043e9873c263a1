"""From a path to the steps a stressed visitor can follow.

Steps are made at decision points only: where the way turns (headings from
the path simplified to 1 m, so that a corridor walked along its doors is one
straight line), where it enters another building, takes a ramp or steps,
changes floor, and where it arrives, with the side of the door. Turns are
relative to the walker's heading; the first one from a kiosk is relative to
the screen ("with the screen behind you"), the first one on a new floor
relative to the lift or stairs one leaves. Steps closer than a few metres are
merged. Each step is a :class:`Maneuver` (structured, language-free); its
words come from the language catalogues (:mod:`routing.language`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from floorplans.model import Label, label_text
from routing.language import Catalogue, catalogue

if TYPE_CHECKING:
    from routing.router import Router

#: Turns smaller than this (degrees) are "straight on".
STRAIGHT_DEG = 30.0
#: Decision points closer than this (metres along the way) are merged.
MERGE_M = 3.0
SIMPLIFY_M = 1.5


@dataclass(slots=True)
class Maneuver:
    type: str  # depart, turn, continue, enter_building, ramp, steps, elevator, stairs, escalator, arrive
    modifier: str | None = None
    name: Label | None = None
    landmark: Label | None = None
    past: Label | None = None
    level: Label | None = None
    side: str | None = None
    context: str | None = None  # depart: kiosk, lift, place
    angle: float | None = None  # turns: degrees, positive = left
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
            walk = _floor_maneuvers(router, idx, xy, cum, edges, nodes, unit_of, building_of)
        depart_ctx = (
            "kiosk"
            if first_run and origin_kind == "kiosk" and facing is not None
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
        if depart_ctx == "kiosk" and first_heading is not None and facing is not None:
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
        if walk and walk[0].type == "depart":
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
                router, idx, xy, cum, edges, nodes, out_run, destination_name, destination_unit
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
) -> list[Maneuver]:
    g = router.walk
    venue = router.venue
    pts = [xy[i] for i in idx]
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
        # What the walker enters at or right after the turn, from where they come: a turn
        # made on the threshold of a corridor is a turn into that corridor.
        before, after = unit_of(k - 1) if k > 0 else None, None
        for i in range(k, min(k + 4, idx[-1] + 1)):
            if unit_of(i) != before:
                after = unit_of(i)
                break
        if after is None and k + 1 <= idx[-1]:
            after = unit_of(k + 1)
        if (
            after
            and after != before
            and venue.units[after].name
            and venue.units[after].category in ("walkway", "lobby", "footbridge", "ramp")
        ):
            into = venue.units[after].name
        node = nodes[k]
        # Never the place the walker is in or has just left.
        landmark = (
            None if into else router.landmark_near(node.ordinal, node.x, node.y, exclude={unit_of(k), before})
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
                    name=venue.units[ub].name,
                    ordinal=nodes[i].ordinal,
                    x=nodes[i].x,
                    y=nodes[i].y,
                    at_node=i + 1,
                )
            )
    out.sort(key=lambda m: m.at_node)
    # Landmarks passed on long straight stretches (not the places walked through).
    walked = {unit_of(i) for i in idx}
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
            radius=min(20.0, (cum[b] - cum[a]) / 2),
            exclude=walked,
            only_notable=True,
        )
    return out


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
    for i in reversed(idx[:-1]):
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
            if prev.type == "turn" and prev.distance_m < 5.0:
                # Two bends a few metres apart: one turn of their sum (a jog cancels out).
                total = (prev.angle or 0.0) + (m.angle or 0.0)
                prev.angle, prev.modifier = total, modifier(total)
                prev.name = m.name or prev.name
                prev.distance_m += m.distance_m
                prev.past = prev.past or m.past
                if prev.modifier == "straight" and not prev.name:
                    out.pop()
                    if out:
                        out[-1].distance_m += prev.distance_m
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
        if m.context == "kiosk":
            head = cat.render("depart_kiosk", turn=turn)
        elif m.context == "lift":
            head = cat.render("depart_lift", lift=_name(m.name, lang), turn=turn)
        else:
            head = cat.render("depart", origin=_name(m.origin, lang), turn=turn)
        return f"{head}{towards}{walk}{past}."
    if m.type == "turn":
        turn = cat.turn(m.modifier or "straight")
        if m.name:
            head = cat.render("turn_into", turn=turn, name=_name(m.name, lang))
        elif m.landmark:
            head = cat.render("turn_at", landmark=_name(m.landmark, lang), turn=turn)
        else:
            head = cat.render("turn", turn=turn)
        return f"{head}{walk}{past}."
    if m.type == "continue":
        return f"{cat.render('continue', distance=dist)}{past}."
    if m.type == "enter_building":
        return f"{cat.render('enter_building', building=_name(m.name, lang))}{walk}{past}."
    if m.type in ("ramp", "steps"):
        return f"{cat.render(m.type, name=_name(m.name, lang))}{walk}{past}."
    if m.type in ("elevator", "stairs", "escalator"):
        key = "elevator" if m.type == "elevator" else f"{m.type}_{m.modifier or 'up'}"
        if m.side in ("left", "right"):
            return (
                cat.render(f"{key}_side", name=_name(m.name, lang), level=level, side=cat.side(m.side)) + "."
            )
        return cat.render(key, name=_name(m.name, lang), level=level) + "."
    if m.type == "arrive":
        if m.side in (None, "ahead", "here"):
            return cat.render("arrive_here", name=_name(m.name, lang), side=cat.side("ahead"))
        return cat.render("arrive", name=_name(m.name, lang), side=cat.side(m.side))
    return ""
