"""What a phone needs to follow its walker along a route, with nothing sent back.

The phone page estimates where its walker is from the phone's own motion sensors
(``api/static/follow.js``: steps, heading, a particle filter that never crosses a wall).
This module gives it, once with the route, the walls around the route (so that
the estimate never goes through one) and the route itself, measured the way the
page's steps are cut:

- ``path``: the route's nodes ``[ordinal, x, y, along]`` (metres east/north of
  the venue's point; *along* is the distance walked from the start, vertical
  rides counting 0);
- ``vertical``: ``[i, kind, levels, j]``: from node *i* to node *j*, a ride by
  lift, stairs, escalator or ramp between floors (several flights in one);
- ``steps``: the distance along the route at which each step begins (a step is
  shown from its own start until the next one's), ``step_floors`` its floor (a
  lift's step and the step out of it begin at the same distance, on two floors);
- ``walls``: per floor on the route, the walls within :data:`MARGIN_M` of it as
  segments ``[x1, y1, x2, y2]``: the outlines of public walkable places, less their
  doors and open passages (a step that crosses one went through a wall);
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from shapely.geometry import LineString, MultiPoint
from shapely.ops import unary_union

from floorplans.topology import OUTSIDE, topology
from routing.graph import VERTICAL_KINDS
from routing.router import Route, Router

#: Walls farther than this from the route are left out (metres).
MARGIN_M = 40.0


def route_line(router: Router, route: Route) -> dict[str, Any]:
    """The route measured the way the page's steps are cut: ``path``, ``vertical``,
    ``steps``, ``step_floors``, ``step_kinds`` and ``length`` (see the module's text).
    Shared by the follower and the step map (:mod:`routing.route_map`)."""
    g = router.walk
    path = route.nodes
    along = [0.0]
    vertical: list[list[Any]] = []
    for i, e in enumerate(route.edges):
        a, b = g.nodes[path[i]], g.nodes[path[i + 1]]
        if g.kind[e] in VERTICAL_KINDS:
            along.append(along[-1])
            if vertical and vertical[-1][3] == i:  # the same stairs on down: one ride
                vertical[-1][2] += abs(b.ordinal - a.ordinal)
                vertical[-1][3] = i + 1
            else:
                vertical.append([i, g.kind[e], abs(b.ordinal - a.ordinal), i + 1])
        else:
            along.append(along[-1] + math.hypot(b.x - a.x, b.y - a.y))
    return {
        "path": [
            [g.nodes[n].ordinal, round(g.nodes[n].x, 2), round(g.nodes[n].y, 2), round(d, 2)]
            for n, d in zip(path, along, strict=True)
        ],
        "vertical": vertical,
        "steps": [round(along[min(m.at_node, len(along) - 1)], 2) for m in route.maneuvers],
        "step_floors": [m.ordinal for m in route.maneuvers],
        "step_kinds": [m.type for m in route.maneuvers],
        "length": round(along[-1], 2),
    }


def follow_data(router: Router, route: Route) -> dict[str, Any]:
    """The route and the walls around it, for the phone page's follower."""
    out = route_line(router, route)
    points = out["path"]
    staff = route.profile == "staff"
    walls: dict[str, list[list[float]]] = {}
    for ordinal in sorted({p[0] for p in points}):
        near = np.asarray([[p[1], p[2]] for p in points if p[0] == ordinal], dtype=float)
        walls[str(ordinal)] = _walls(router, int(ordinal), near, staff)
    return {**out, "walls": walls}


def _walls(router: Router, ordinal: int, near: np.ndarray, staff: bool) -> list[list[float]]:
    """Wall segments on *ordinal* within :data:`MARGIN_M` of the *near* points."""
    venue = router.venue
    topo = topology(venue)
    levels = {lid for lid, lv in venue.levels.items() if lv.ordinal == ordinal}
    area = MultiPoint([tuple(p) for p in near]).buffer(MARGIN_M)
    route_line = LineString([tuple(p) for p in near]) if len(near) > 1 else None
    gaps = unary_union(
        [
            p.geometry.buffer(0.25)
            for p in topo.passages
            if p.level_id in levels
            and p.geometry.intersects(area)
            # an entrance only if the route takes it: a walker followed indoors does not walk out
            and (p.b != OUTSIDE or (route_line is not None and route_line.distance(p.geometry) < 2.0))
        ]
    )
    out: list[list[float]] = []
    for unit in venue.units.values():
        if unit.level_id not in levels or not unit.walkable or not (unit.public or staff):
            continue
        if not unit.geometry.intersects(area):
            continue
        outline = unit.geometry.boundary.intersection(area).difference(gaps)
        for line in getattr(outline, "geoms", [outline]):
            coords = list(getattr(line, "coords", []))
            out.extend(
                [round(a[0], 2), round(a[1], 2), round(b[0], 2), round(b[1], 2)]
                for a, b in itertools.pairwise(coords)
            )
    return out
