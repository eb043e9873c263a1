"""What the phone page's step map draws: the places around a route, named, floor by floor.

The route page shows the current step on a map a phone can read (``api/static/stepmap.js``,
Leaflet with a plain metric CRS): zoomed to the stretch of that step, the next turn marked,
the landmark the step names outlined, the names written at a size read without zooming.
This module gives it, once per route:

- the route measured as the follower measures it (:func:`routing.follow.route_line`:
  ``path``, ``vertical``, ``steps``, ``step_floors``, ``step_kinds``, ``length``);
- ``landmarks``: for each step, the id of the place its words name (the landmark or the
  place passed, on the step's floor, the nearest of that name), or ``None``;
- ``destination``: the id of the place the route ends in (its name is always written);
- ``floors``: for each floor of the route, its name and the places within
  :data:`MARGIN_M` of the route there: ``[id, name, category, public, rings, label point, fill]`` (rings
  of ``[x, y]`` in metres, simplified to a few centimetres; where its name is written; its
  colour, as on every plan: :func:`floorplans.render.unit_fill`), and its doors as
  ``[x1, y1, x2, y2, entrance]``.

Coordinates are metres east and north of the venue's display point, as everywhere.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from floorplans.model import Label, Venue, label_text
from floorplans.render import unit_fill
from floorplans.topology import OUTSIDE, topology
from routing.follow import route_line
from routing.router import Route, Router

#: Places farther than this from the route are left off the step map (metres).
MARGIN_M = 40.0
#: Outlines are simplified to this (metres): invisible at any zoom a phone shows.
SIMPLIFY_M = 0.05


def route_map(router: Router, route: Route, lang: str) -> dict[str, Any]:
    """The step map's data for *route*, with names in *lang*."""
    venue = router.venue
    out = route_line(router, route)
    floors: dict[str, Any] = {}
    for ordinal in sorted({p[0] for p in out["path"]}):
        pts = [(p[1], p[2]) for p in out["path"] if p[0] == ordinal]
        floors[str(ordinal)] = _floor(venue, int(ordinal), pts, lang, staff=route.profile == "staff")
    landmarks: list[str | None] = []
    for m in route.maneuvers:
        named = m.landmark or m.past
        landmarks.append(_named_unit(venue, named, m.ordinal, m.x, m.y) if named else None)
    return {**out, "landmarks": landmarks, "destination": route.destination.unit_id, "floors": floors}


def _level_ids(venue: Venue, ordinal: int) -> set[str]:
    return {lid for lid, lv in venue.levels.items() if lv.ordinal == ordinal}


def _floor(
    venue: Venue, ordinal: int, pts: list[tuple[float, float]], lang: str, *, staff: bool
) -> dict[str, Any]:
    levels = _level_ids(venue, ordinal)
    area = MultiPoint(pts).buffer(MARGIN_M)
    # A floor shared by several buildings is named after the one with most places.
    counts = {lid: sum(1 for u in venue.units.values() if u.level_id == lid) for lid in levels}
    main = max(sorted(levels), key=lambda lid: counts[lid])
    units: list[list[Any]] = []
    for u in sorted(venue.units.values(), key=lambda u: (-u.geometry.area, u.id)):
        if u.level_id not in levels or not u.geometry.intersects(area):
            continue
        name = label_text(u.name, lang) if u.category != "structure" else ""
        at = u.anchor_point()
        units.append(
            [
                u.id,
                name,
                u.category,
                bool(u.public or staff),
                _rings(u.geometry),
                [round(at.x, 2), round(at.y, 2)],
                unit_fill(u.category),
            ]
        )
    topo = topology(venue)
    entrances = {p.opening_id for p in topo.passages if p.b == OUTSIDE}
    doors: list[list[Any]] = []
    for o in sorted(venue.openings.values(), key=lambda o: o.id):
        if o.level_id not in levels or not o.geometry.intersects(area):
            continue
        (x1, y1), (x2, y2) = o.geometry.coords[0], o.geometry.coords[-1]
        doors.append([round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2), o.id in entrances])
    return {
        "name": label_text(venue.levels[main].name, lang, fallback=str(ordinal)),
        "units": units,
        "doors": doors,
    }


def _rings(geom: BaseGeometry) -> list[list[list[float]]]:
    simple = geom.simplify(SIMPLIFY_M, preserve_topology=True)
    polys = simple.geoms if isinstance(simple, MultiPolygon) else [simple]
    rings: list[list[list[float]]] = []
    for poly in polys:
        if not isinstance(poly, Polygon) or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            rings.append([[round(x, 2), round(y, 2)] for x, y in ring.coords[:-1]])
    return rings


def _named_unit(venue: Venue, name: Label, ordinal: int, x: float, y: float) -> str | None:
    """The place called *name* on *ordinal* nearest (x, y): the one the step's words name."""
    texts = set(name.values())
    levels = _level_ids(venue, ordinal)
    here = Point(x, y)
    best: tuple[float, str] | None = None
    for u in venue.units.values():
        if u.level_id in levels and u.name and texts & set(u.name.values()):
            d = u.geometry.distance(here)
            if best is None or d < best[0]:
                best = (d, u.id)
    return best[1] if best is not None and best[0] < MARGIN_M else None
