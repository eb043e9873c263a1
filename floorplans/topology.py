"""Which places join which: openings, open passages and vertical links.

This is the plan's connectivity as a facilities manager reads it (a door
joins two rooms; a lift joins its stops), used by validation, by ``diff``
("no longer reachable from ...") and as the skeleton of the routing graph.
It is computed from geometry once per venue and cached on it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

from floorplans.model import OPEN_UNIT_CATEGORIES, Opening, Unit, Venue

#: Distance (m) within which an opening counts as lying on a unit's boundary.
ON_BOUNDARY_M = 0.02
#: Shortest shared boundary (m) through which two open spaces join without a door.
MIN_OPEN_PASSAGE_M = 0.8
#: Widest wall drawn as a gap between two units (m): a door on one unit's outline
#: joins the walkable unit this far across it (room and corridor drawn apart, the
#: wall left empty or drawn as its own unit).
WALL_GAP_M = 0.4
#: Probes across an opening, from its line outwards (m).
_PROBES_M = (0.03, 0.1, 0.2, 0.3, WALL_GAP_M)
#: Unit categories that are outdoors: an opening into one is a way in from outside.
OUTDOOR_UNIT_CATEGORIES = frozenset({"parking", "road", "terrace", "unenclosedarea", "fieldofplay"})

OUTSIDE = "outside"


@dataclass(slots=True, frozen=True)
class Passage:
    """A way from one unit to another on the same level."""

    a: str
    #: The other unit, or :data:`OUTSIDE` for an entrance.
    b: str
    level_id: str
    #: Where one crosses: the opening's line, or the shared boundary.
    geometry: LineString
    opening_id: str | None = None


@dataclass(slots=True)
class LevelIndex:
    """The units of one floor (all level features of one ordinal: several
    buildings' levels are one floor for a walker crossing a gallery)."""

    ordinal: int
    unit_ids: list[str]
    tree: STRtree


@dataclass(slots=True)
class Topology:
    venue: Venue
    #: ordinal -> units of that floor.
    floors: dict[int, LevelIndex] = field(default_factory=dict)
    #: opening id -> walkable units whose boundary carries it.
    opening_units: dict[str, list[str]] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    #: Openings marked ``closed`` (project extension): on the plan, no way through.
    closed_doors: list[str] = field(default_factory=list)
    #: Pairs of units joined by a vertical link, with the relationship.
    vertical: list[tuple[str, str, str]] = field(default_factory=list)

    def units_near(self, level_id: str, geom: BaseGeometry, distance: float) -> list[str]:
        level = self.venue.levels.get(level_id)
        index = self.floors.get(level.ordinal) if level is not None else None
        if index is None:
            return []
        hits = index.tree.query(geom, predicate="dwithin", distance=distance)
        return [index.unit_ids[i] for i in np.sort(hits)]

    def unit_at(self, level_id: str, point: Point) -> Unit | None:
        """The walkable unit containing *point* on the level (ties: the smallest)."""
        best: Unit | None = None
        for uid in self.units_near(level_id, point, 1e-6):
            unit = self.venue.units[uid]
            if (
                unit.walkable
                and unit.geometry.covers(point)
                and (best is None or unit.geometry.area < best.geometry.area)
            ):
                best = unit
        return best

    def entrances(self) -> list[Opening]:
        return [
            self.venue.openings[p.opening_id]
            for p in self.passages
            if p.b == OUTSIDE and p.opening_id is not None
        ]

    def unit_graph(self, *, public_only: bool) -> nx.Graph:
        """Units as nodes (plus :data:`OUTSIDE`), joined by passages and vertical links."""
        venue = self.venue
        graph = nx.Graph()
        graph.add_node(OUTSIDE)

        def allowed(uid: str) -> bool:
            unit = venue.units.get(uid)
            return unit is not None and unit.walkable and (unit.public or not public_only)

        graph.add_nodes_from(uid for uid in venue.units if allowed(uid))
        for uid in graph.nodes:
            unit = venue.units.get(uid)
            if unit is not None and (unit.category in OUTDOOR_UNIT_CATEGORIES or self._outdoor(unit)):
                graph.add_edge(uid, OUTSIDE)
        for p in self.passages:
            if allowed(p.a) and (p.b == OUTSIDE or allowed(p.b)):
                graph.add_edge(p.a, p.b, opening=p.opening_id)
        for a, b, rid in self.vertical:
            if allowed(a) and allowed(b):
                graph.add_edge(a, b, relationship=rid)
        return graph

    def _outdoor(self, unit: Unit) -> bool:
        level = self.venue.levels.get(unit.level_id)
        return level is not None and level.outdoor

    def has_entrance(self) -> bool:
        """Whether any way leads in from outside (an entrance, or an outdoor unit)."""
        return any(p.b == OUTSIDE for p in self.passages) or any(
            u.walkable and (u.category in OUTDOOR_UNIT_CATEGORIES or self._outdoor(u))
            for u in self.venue.units.values()
        )

    def reachable_from_outside(self, *, public_only: bool) -> set[str]:
        graph = self.unit_graph(public_only=public_only)
        return set(nx.node_connected_component(graph, OUTSIDE)) - {OUTSIDE}


_CACHE: dict[int, tuple[Venue, Topology]] = {}


def topology(venue: Venue) -> Topology:
    """The venue's topology, computed once per venue object and cached."""
    hit = _CACHE.get(id(venue))
    if hit is not None and hit[0] is venue:
        return hit[1]
    if len(_CACHE) > 8:
        _CACHE.clear()
    topo = compute_topology(venue)
    _CACHE[id(venue)] = (venue, topo)
    return topo


def forget_topology(venue: Venue) -> None:
    """Drop the cached topology after changing the venue's geometry."""
    _CACHE.pop(id(venue), None)


def build_floor_index(venue: Venue) -> dict[int, LevelIndex]:
    """Units grouped by floor ordinal, each floor with a spatial index."""
    by_floor: dict[int, list[str]] = defaultdict(list)
    for uid, unit in venue.units.items():
        level = venue.levels.get(unit.level_id)
        if level is not None:
            by_floor[level.ordinal].append(uid)
    out = {}
    for ordinal, uids in sorted(by_floor.items()):
        geoms = [venue.units[u].geometry for u in uids]
        out[ordinal] = LevelIndex(ordinal, uids, STRtree(geoms))
    return out


def compute_topology(venue: Venue) -> Topology:
    topo = Topology(venue, build_floor_index(venue))
    _openings(topo)
    _open_passages(topo)
    _vertical_links(topo)
    return topo


def _openings(topo: Topology) -> None:
    venue = topo.venue
    for oid, opening in venue.openings.items():
        closed = opening.extra.get("closed") is True
        mid = opening.geometry.interpolate(0.5, normalized=True)
        sides = []
        inside_other = False
        for uid in topo.units_near(opening.level_id, mid, ON_BOUNDARY_M):
            unit = venue.units[uid]
            if unit.geometry.boundary.distance(mid) <= ON_BOUNDARY_M:
                if unit.walkable:
                    sides.append(uid)
                else:
                    inside_other = True  # a wall or shaft on the other side
            elif unit.geometry.contains(mid):
                inside_other = True
        if len(sides) == 1:
            across, walled = _across(topo, opening, mid, sides[0])
            if across is not None:
                sides.append(across)
            inside_other = walled
        topo.opening_units[oid] = sides
        if closed:  # a door closed for good (project extension): no way through it
            topo.closed_doors.append(oid)
            continue
        if len(sides) >= 2:
            # A door joins its two closest units; more only at corners.
            for i, a in enumerate(sides):
                for b in sides[i + 1 :]:
                    topo.passages.append(Passage(a, b, opening.level_id, opening.geometry, oid))
        elif len(sides) == 1 and not inside_other:
            topo.passages.append(Passage(sides[0], OUTSIDE, opening.level_id, opening.geometry, oid))


def _across(topo: Topology, opening: Opening, mid: Point, side: str) -> tuple[str | None, bool]:
    """The walkable unit across a wall from *side*, if any within :data:`WALL_GAP_M`.

    Returns (unit id or None, whether the farthest probe still lies in a
    non-walkable unit: a door into a shaft, not an entrance through a thin outer
    wall drawn as a unit).
    """
    venue = topo.venue
    nx_, ny_ = _unit_normal(opening.geometry)
    own = venue.units[side].geometry
    # Which way is away from *side*: the probe that does not fall inside it.
    sign = -1.0 if own.contains(Point(mid.x + _PROBES_M[0] * nx_, mid.y + _PROBES_M[0] * ny_)) else 1.0
    walled = False
    for d in _PROBES_M:
        probe = Point(mid.x + sign * d * nx_, mid.y + sign * d * ny_)
        walled = False
        for uid in topo.units_near(opening.level_id, probe, 0.0):
            unit = venue.units[uid]
            if uid == side or not unit.geometry.covers(probe):
                continue
            if unit.walkable:
                return uid, False
            walled = True
    return None, walled


def _unit_normal(line: LineString) -> tuple[float, float]:
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    length = float(np.hypot(x1 - x0, y1 - y0)) or 1.0
    return -(y1 - y0) / length, (x1 - x0) / length


def _open_passages(topo: Topology) -> None:
    """Open spaces sharing a wall join without a door, unless a door is drawn there."""
    venue = topo.venue
    doored = {frozenset((p.a, p.b)) for p in topo.passages}
    doored |= {frozenset(topo.opening_units.get(oid, [])) for oid in topo.closed_doors}
    for index in topo.floors.values():
        open_ids = [u for u in index.unit_ids if venue.units[u].category in OPEN_UNIT_CATEGORIES]
        if len(open_ids) < 2:
            continue
        geoms = np.asarray([venue.units[u].geometry for u in open_ids], dtype=object)
        tree = STRtree(geoms)
        # Coordinates that went through WGS84 and back are off by ~1e-9 m, so
        # "touches" is unreliable: measure the boundary lying near the other unit.
        left, right = tree.query(geoms, predicate="dwithin", distance=ON_BOUNDARY_M)
        keep = left < right
        left, right = left[keep], right[keep]
        if len(left) == 0:
            continue
        shared = shapely.intersection(
            shapely.boundary(geoms[left]), shapely.buffer(geoms[right], ON_BOUNDARY_M)
        )
        for i, j, line in zip(left, right, shared, strict=True):
            if frozenset((open_ids[i], open_ids[j])) in doored:
                continue
            piece = _longest_line(line)
            if piece is not None and piece.length >= MIN_OPEN_PASSAGE_M:
                level_id = venue.units[open_ids[i]].level_id
                topo.passages.append(Passage(open_ids[i], open_ids[j], level_id, piece))


def _longest_line(geom: BaseGeometry) -> LineString | None:
    if geom.is_empty:
        return None
    if isinstance(geom, LineString):
        return geom
    lines = [g for g in getattr(geom, "geoms", []) if isinstance(g, LineString | MultiLineString)]
    if not lines:
        return None
    merged = linemerge(lines)  # type: ignore[arg-type]
    if isinstance(merged, LineString):
        return merged
    return max(merged.geoms, key=lambda g: g.length)


def _vertical_links(topo: Topology) -> None:
    for rid, rel in topo.venue.relationships.items():
        if rel.category not in ("elevator", "stairs", "escalator", "ramp", "movingwalkway"):
            continue
        chain = rel.unit_ids()
        for a, b in itertools.pairwise(chain):
            topo.vertical.append((a, b, rid))
