"""The walk graph built from a `Venue`.

Nodes (metres, on a floor):

- a *side* node on each side of every door and open passage, 0.4 m from it,
  and an *outside* node in front of every entrance;
- a node at each unit's display point (rooms, lifts, stairs), at each anchor,
  amenity and kiosk (in front of the screen);
- *corner* nodes at the reflex corners of concave units, 0.4 m inside, so
  that a straight walk never cuts through a wall.

Edges (directed; cost in seconds, computed per profile by the router):

- ``walk`` (``ramp``, ``steps`` inside such units) between nodes of one unit
  whose straight segment stays inside it: every visible pair in small or
  concave units; in a large convex unit (a long corridor), the edges of a
  Delaunay triangulation of its nodes plus every pair less than
  :data:`SPANNER_RADIUS_M` apart, a spanner whose paths stay within 4 % of the
  straight line (Delaunay alone: up to 32 % across a corridor whose doors face
  each other), so that the graph stays linear in size; in a large concave
  unit, every node joined to every corner it sees, and every pair of other
  nodes that see each other (up to :data:`VISIBLE_PAIRS_MAX` such nodes), so
  that a way bends only at corners, as the shortest one does;
- ``door`` across an opening, ``passage`` across an open boundary,
  ``entrance`` between the inside and the outside of an entrance;
- ``elevator`` between every pair of stops of a lift, ``stairs``,
  ``escalator``, ``ramp`` between consecutive floors (up slower than down).

Each edge remembers the features that close it: its unit (walks), opening
(doors) or relationship (vertical links).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import Delaunay, QhullError, cKDTree
from shapely.geometry import LineString, Point, Polygon
from shapely.prepared import prep

from floorplans import Venue
from floorplans.model import Unit
from floorplans.topology import OUTSIDE, WALL_GAP_M, topology

SIDE_OFFSET_M = 0.4
CORNER_INSET_M = 0.4
#: Units with more nodes than this and convex are joined by a Delaunay spanner.
CLIQUE_MAX = 12
#: In such units, nodes closer than this (m) are joined directly as well: measured on the
#: demo hospital, the longest way between two nodes of a corridor is then 3.7 % longer
#: than the straight line (32 % with Delaunay alone), for 57 % more edges on the
#: 10 x 10 x 100 generated venue (docs/routing.md).
SPANNER_RADIUS_M = 15.0
#: In a concave unit with at most this many nodes besides its corners, every pair that
#: sees each other is joined (beyond: Delaunay and SPANNER_RADIUS_M pairs, then corners).
VISIBLE_PAIRS_MAX = 120

WALK_KINDS = ("walk", "ramp", "steps")
CROSS_KINDS = ("door", "passage", "entrance")
VERTICAL_KINDS = ("elevator", "stairs", "escalator", "ramp-link")


@dataclass(slots=True)
class Node:
    key: str
    x: float
    y: float
    level_id: str
    ordinal: int
    unit_id: str | None
    kind: str  # side, outside, unit, anchor, amenity, kiosk, corner


@dataclass(slots=True)
class WalkGraph:
    venue: Venue
    nodes: list[Node] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    src: list[int] = field(default_factory=list)
    dst: list[int] = field(default_factory=list)
    length: list[float] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    #: Fixed seconds of a vertical edge (lifts, stairs at walking speed).
    fixed_s: list[float] = field(default_factory=list)
    restricted: list[bool] = field(default_factory=list)
    steps: list[bool] = field(default_factory=list)
    #: Feature ids that close the edge (unit, opening or relationship).
    closers: list[tuple[str, ...]] = field(default_factory=list)
    #: Extra per edge: opening id, relationship id, unit id.
    via: list[str | None] = field(default_factory=list)
    by_feature: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    unit_nodes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add_node(self, node: Node) -> int:
        if node.key in self.index:
            return self.index[node.key]
        i = len(self.nodes)
        self.nodes.append(node)
        self.index[node.key] = i
        if node.unit_id is not None:
            self.unit_nodes[node.unit_id].append(i)
        return i

    def add_edge(
        self,
        a: int,
        b: int,
        kind: str,
        *,
        length: float = 0.0,
        fixed_s: float = 0.0,
        restricted: bool = False,
        steps: bool = False,
        closers: tuple[str, ...] = (),
        via: str | None = None,
    ) -> None:
        e = len(self.src)
        self.src.append(a)
        self.dst.append(b)
        self.length.append(length)
        self.kind.append(kind)
        self.fixed_s.append(fixed_s)
        self.restricted.append(restricted)
        self.steps.append(steps)
        self.closers.append(closers)
        self.via.append(via)
        for fid in closers:
            self.by_feature[fid].append(e)

    def add_both(self, a: int, b: int, kind: str, **kw: object) -> None:
        self.add_edge(a, b, kind, **kw)  # type: ignore[arg-type]
        self.add_edge(b, a, kind, **kw)  # type: ignore[arg-type]

    def arrays(self) -> dict[str, NDArray[Any]]:
        return {
            "src": np.asarray(self.src, dtype=np.int64),
            "dst": np.asarray(self.dst, dtype=np.int64),
            "length": np.asarray(self.length, dtype=np.float64),
            "fixed_s": np.asarray(self.fixed_s, dtype=np.float64),
            "restricted": np.asarray(self.restricted, dtype=bool),
            "steps": np.asarray(self.steps, dtype=bool),
        }


def build_walk_graph(venue: Venue) -> WalkGraph:
    from routing.profiles import (
        ESCALATOR_PER_LEVEL_S,
        LIFT_DOORS_S,
        LIFT_PER_LEVEL_S,
        LIFT_WAIT_S,
        RAMP_PER_LEVEL_S,
        STAIRS_DOWN_S,
        STAIRS_UP_S,
    )

    topo = topology(venue)
    g = WalkGraph(venue)
    units = venue.units
    ordinal = {lid: lv.ordinal for lid, lv in venue.levels.items()}

    def unit_ok(uid: str) -> bool:
        u = units.get(uid)
        return u is not None and u.walkable and u.level_id in ordinal

    # Unit point nodes.
    for uid, u in units.items():
        if unit_ok(uid):
            p = u.anchor_point()
            if not u.geometry.covers(p):
                p = u.geometry.representative_point()
            g.add_node(Node(f"unit:{uid}", p.x, p.y, u.level_id, ordinal[u.level_id], uid, "unit"))

    # Doors, open passages and entrances.
    for n, passage in enumerate(topo.passages):
        a = passage.a
        if not unit_ok(a):
            continue
        line = passage.geometry
        mid = line.interpolate(0.5, normalized=True)
        normal = _normal(line)
        ua = units[a]
        pa = _side_point(ua, mid, normal)
        key = passage.opening_id or f"passage{n}"
        na = g.add_node(Node(f"side:{key}:{a}", pa.x, pa.y, ua.level_id, ordinal[ua.level_id], a, "side"))
        if passage.b == OUTSIDE:
            out = Point(2 * mid.x - pa.x, 2 * mid.y - pa.y)
            nb = g.add_node(
                Node(f"entrance:{key}", out.x, out.y, ua.level_id, ordinal[ua.level_id], None, "outside")
            )
            restricted = not ua.public
            g.add_both(
                na, nb, "entrance", length=pa.distance(out), restricted=restricted, closers=(key,), via=key
            )
            continue
        b = passage.b
        if not unit_ok(b):
            continue
        ub = units[b]
        pb = _side_point(ub, mid, normal)
        nb = g.add_node(Node(f"side:{key}:{b}", pb.x, pb.y, ub.level_id, ordinal[ub.level_id], b, "side"))
        kind = "door" if passage.opening_id else "passage"
        closers = (passage.opening_id,) if passage.opening_id else ()
        g.add_both(
            na,
            nb,
            kind,
            length=max(pa.distance(pb), 0.1),
            restricted=not (ua.public and ub.public),
            closers=closers,
            via=key,
        )

    # Points of interest inside units.
    for anchor in venue.anchors.values():
        _poi(g, venue, topo, f"anchor:{anchor.id}", anchor.unit_id, anchor.geometry, "anchor", ordinal)
    for am in venue.amenities.values():
        am_unit = next((u for u in am.unit_ids if unit_ok(u)), None)
        if am_unit is not None:
            _poi(g, venue, topo, f"amenity:{am.id}", am_unit, am.geometry, "amenity", ordinal)
    for k in venue.kiosks.values():
        k_anchor = venue.anchors.get(k.anchor_id or "")
        k_unit: str | None = k_anchor.unit_id if k_anchor else None
        if k_unit is None:
            found = topo.unit_at(k.level_id, k.anchor_point())
            k_unit = found.id if found else None
        if k_unit is None or not unit_ok(k_unit):
            continue
        p = k.anchor_point()
        if k.facing is not None:  # the visitor stands in front of the screen
            rad = math.radians(k.facing)
            front = Point(p.x + 0.8 * math.sin(rad), p.y + 0.8 * math.cos(rad))
            if units[k_unit].geometry.covers(front):
                p = front
        _poi(g, venue, topo, f"kiosk:{k.id}", k_unit, p, "kiosk", ordinal)

    # Walks inside units.
    for uid, node_ids in list(g.unit_nodes.items()):
        _walks(g, units[uid], node_ids, ordinal)

    # Vertical links.
    for rid, rel in venue.relationships.items():
        cat = rel.category
        if cat not in ("elevator", "stairs", "escalator", "ramp"):
            continue
        chain = [u for u in rel.unit_ids() if unit_ok(u) and f"unit:{u}" in g.index]
        stops = [(g.index[f"unit:{u}"], ordinal[units[u].level_id], units[u]) for u in chain]
        restricted = any(not u.public for _, _, u in stops)
        closers = (rid,)
        if cat == "elevator":
            for i, (na, oa, _) in enumerate(stops):
                for nb, ob, _ in stops[i + 1 :]:
                    t = LIFT_WAIT_S + LIFT_DOORS_S + LIFT_PER_LEVEL_S * abs(ob - oa)
                    g.add_both(na, nb, "elevator", fixed_s=t, restricted=restricted, closers=closers, via=rid)
            continue
        for (na, oa, _), (nb, ob, _) in itertools.pairwise(stops):
            levels = abs(ob - oa) or 1
            if cat == "stairs":
                up, down = STAIRS_UP_S * levels, STAIRS_DOWN_S * levels
            elif cat == "escalator":
                up = down = ESCALATOR_PER_LEVEL_S * levels
            else:
                up = down = RAMP_PER_LEVEL_S * levels
            kind = "ramp-link" if cat == "ramp" else cat
            steps = cat in ("stairs", "escalator")
            lo, hi = (na, nb) if oa <= ob else (nb, na)
            g.add_edge(lo, hi, kind, fixed_s=up, restricted=restricted, steps=steps, closers=closers, via=rid)
            g.add_edge(
                hi, lo, kind, fixed_s=down, restricted=restricted, steps=steps, closers=closers, via=rid
            )
    return g


def _normal(line: LineString) -> tuple[float, float]:
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    dx, dy = x1 - x0, y1 - y0
    n = math.hypot(dx, dy) or 1.0
    return -dy / n, dx / n


def _side_point(unit: Unit, mid: Point, normal: tuple[float, float]) -> Point:
    # Farther than SIDE_OFFSET_M only for a door across a wall drawn as a gap.
    for offset in (SIDE_OFFSET_M, SIDE_OFFSET_M + WALL_GAP_M):
        for sign in (1.0, -1.0):
            p = Point(mid.x + sign * offset * normal[0], mid.y + sign * offset * normal[1])
            if unit.geometry.contains(p):
                return p
    return mid


def _poi(
    g: WalkGraph,
    venue: Venue,
    topo: object,
    key: str,
    uid: str,
    point: Point,
    kind: str,
    ordinal: dict[str, int],
) -> None:
    unit = venue.units.get(uid)
    if unit is None or not unit.walkable or unit.level_id not in ordinal:
        return
    p = point if unit.geometry.covers(point) else unit.anchor_point()
    base = g.index.get(f"unit:{uid}")
    if base is not None:
        n = g.nodes[base]
        if math.hypot(n.x - p.x, n.y - p.y) < 0.5:
            g.index[key] = base  # same place as the unit's point: share the node
            return
    g.add_node(Node(key, p.x, p.y, unit.level_id, ordinal[unit.level_id], uid, kind))


def _corners(poly: Polygon) -> list[Point]:
    """Points just inside the reflex (inward-pointing) corners of a polygon."""
    out = []
    rings = [poly.exterior, *poly.interiors]
    for ring in rings:
        coords = list(ring.coords)[:-1]
        n = len(coords)
        if n < 4:
            continue
        ccw = ring.is_ccw
        for i in range(n):
            (ax, ay), (bx, by), (cx, cy) = coords[i - 1], coords[i], coords[(i + 1) % n]
            cross = (bx - ax) * (cy - by) - (by - ay) * (cx - bx)
            reflex = cross < -1e-9 if ccw else cross > 1e-9
            if ring is not poly.exterior:
                reflex = not reflex and abs(cross) > 1e-9
            if not reflex:
                continue
            # Step inside along the bisector of the two edges' inward normals.
            v1 = np.array([bx - ax, by - ay])
            v2 = np.array([cx - bx, cy - by])
            v1 /= np.linalg.norm(v1) or 1.0
            v2 /= np.linalg.norm(v2) or 1.0
            bis = v2 - v1
            norm = np.linalg.norm(bis)
            if norm < 1e-9:
                continue
            bis /= norm
            for sign in (1.0, -1.0):
                p = Point(bx + sign * CORNER_INSET_M * bis[0], by + sign * CORNER_INSET_M * bis[1])
                if poly.contains(p):
                    out.append(p)
                    break
    return out


def _walks(g: WalkGraph, unit: Unit, node_ids: list[int], ordinal: dict[str, int]) -> None:
    geom = unit.geometry
    polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    convex = geom.area >= geom.convex_hull.area - 1e-6 and len(polys) == 1
    if not convex:
        for poly in polys:
            for k, p in enumerate(_corners(poly)):  # type: ignore[arg-type]
                g.add_node(
                    Node(
                        f"corner:{unit.id}:{k}:{poly.area:.3f}",
                        p.x,
                        p.y,
                        unit.level_id,
                        ordinal[unit.level_id],
                        unit.id,
                        "corner",
                    )
                )
        node_ids = g.unit_nodes[unit.id]
    ids = sorted(set(node_ids))
    if len(ids) < 2:
        return
    xy = np.array([(g.nodes[i].x, g.nodes[i].y) for i in ids])
    if len(ids) <= CLIQUE_MAX:
        pairs = [(i, j) for i in range(len(ids)) for j in range(i + 1, len(ids))]
    else:
        # Rounded to the millimetre: the same plan read twice (or written and read back)
        # triangulates the same way, whatever the last bits of its coordinates.
        rounded = np.round(xy, 3)
        pair_set = set(_delaunay_pairs(rounded))
        pair_set |= {(min(a, b), max(a, b)) for a, b in cKDTree(rounded).query_pairs(SPANNER_RADIUS_M)}
        if not convex:  # corners see around bends: join every node to every corner
            corner = [k for k, i in enumerate(ids) if g.nodes[i].kind == "corner"]
            pair_set |= {(min(a, c), max(a, c)) for c in corner for a in range(len(ids)) if a != c}
            others = [k for k, i in enumerate(ids) if g.nodes[i].kind != "corner"]
            if len(others) <= VISIBLE_PAIRS_MAX:  # and the others to each other, where they see
                pair_set |= set(itertools.combinations(others, 2))
        pairs = sorted(pair_set)
    if not pairs:
        return
    a_idx = np.array([p[0] for p in pairs])
    b_idx = np.array([p[1] for p in pairs])
    if convex:
        visible = np.ones(len(pairs), dtype=bool)
    else:
        lines = shapely.linestrings(np.stack([xy[a_idx], xy[b_idx]], axis=1))
        zone = prep(geom.buffer(0.02))
        visible = np.array([zone.covers(line) for line in np.asarray(lines, dtype=object)])
    lengths = np.hypot(*(xy[a_idx] - xy[b_idx]).T)
    kind = "ramp" if unit.category == "ramp" else "steps" if unit.category == "steps" else "walk"
    for a, b, ok, length in zip(a_idx, b_idx, visible, lengths, strict=True):
        if ok:
            g.add_both(
                ids[a],
                ids[b],
                kind,
                length=float(length),
                restricted=not unit.public,
                steps=kind == "steps",
                closers=(unit.id,),
                via=unit.id,
            )


def _delaunay_pairs(xy: NDArray[np.float64]) -> list[tuple[int, int]]:
    try:
        tri = Delaunay(xy)
    except (QhullError, ValueError):
        # All nodes on one line: chain them in order along it.
        axis = xy - xy.mean(axis=0)
        direction = np.linalg.svd(axis, full_matrices=False)[2][0]
        order = np.argsort(axis @ direction)
        return [(int(min(a, b)), int(max(a, b))) for a, b in itertools.pairwise(order)]
    pairs = set()
    for simplex in tri.simplices:
        for i in range(3):
            a, b = int(simplex[i]), int(simplex[(i + 1) % 3])
            pairs.add((min(a, b), max(a, b)))
    # Points Qhull left out (duplicates) still need an edge.
    used = {i for p in pairs for i in p}
    for i in range(len(xy)):
        if i not in used:
            j = int(np.argmin(np.hypot(*(xy - xy[i]).T) + np.where(np.arange(len(xy)) == i, np.inf, 0)))
            pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)
