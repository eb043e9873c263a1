"""Repairs for what real-world IMDF archives get wrong, each one reported.

Every rule here settles something a person looking at the drawing would
settle at once, and says so in the report as a warning that names the
feature, what was inferred and what to check (docs/floorplans.md lists the
rules and their tolerances). :func:`repair_venue` applies them in order:

1. small overlaps between units are trimmed: the overlap goes to the more
   walkable unit (a corridor keeps it, the room drawn over it shrinks);
2. the part of a level's outline that no unit covers, when doors open onto
   it, becomes a corridor (archives that draw only the rooms);
3. openings drawn a little off a wall are moved onto it;
4. walkable units with no way in get a door on the middle of their longest
   wall with a corridor (or, failing one, with a room that has a way in);
5. stacked lift, stairs and escalator units of consecutive levels of one
   building are linked whatever the gap between ordinals, and a stairs,
   escalator or ramp unit drawn on one level only is linked to the open space
   above (or below) it.

Inferred units, openings and relationships are marked ``inferred``: they are
drawn in their own colour on staff plans, and written to an archive only by
``floorplan repair`` (``write_imdf(venue, out, explicit=True)``), with an ``inferred`` property
saying why.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict

import networkx as nx
import numpy as np
import shapely
from shapely import STRtree, affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, substring

from floorplans.model import (
    OPEN_UNIT_CATEGORIES,
    VERTICAL_UNIT_CATEGORIES,
    FeatureRef,
    Level,
    Opening,
    Relationship,
    Unit,
    Venue,
    label_text,
)
from floorplans.report import Report
from floorplans.text import T, Text
from floorplans.topology import (
    WALL_GAP_M,
    LevelIndex,
    _longest_line,
    build_floor_index,
    forget_topology,
    topology,
)

#: Share of the smaller shaft that two stacked units must have in common to be linked.
STACK_OVERLAP = 0.5
#: Share of a stairs / escalator / ramp unit drawn on one level that the open space
#: above must cover for the two to be linked (the unit leads up to it).
LANDING_OVERLAP = 0.3
#: Overlaps up to this area (m²) and this share of the smaller unit are drawing slop,
#: trimmed with a warning; larger ones are errors (see floorplans.validate).
OVERLAP_TRIM_M2 = 4.0
OVERLAP_TRIM_SHARE = 0.15
#: Smallest overlap worth a word (m²): below, coordinates rounding.
OVERLAP_NOISE_M2 = 0.01
#: Shortest shared wall (m) that an inferred door may be put on, and its width.
MIN_DOOR_WALL_M = 0.9
DOOR_WIDTH_M = 1.2
#: Smallest part of a level covered by no unit that is taken as an undrawn corridor (m²),
#: and the narrowest (m): narrower strips are walls drawn as gaps.
MIN_IMPLIED_M2 = 4.0
MIN_IMPLIED_WIDTH_M = 0.8
#: Unit categories that lead from one level to another on their own.
SPANNING_CATEGORIES = frozenset({"stairs", "escalator", "ramp"})


def repair_venue(venue: Venue, report: Report, *, snap_silent_m: float, snap_tolerance_m: float) -> None:
    """Apply every repair rule, in order, each reported.

    Units whose outline is invalid (validation reports them as errors) take no part:
    no rule guesses from a polygon that crosses itself.
    """
    trim_overlaps(venue, report)
    infer_walkways(venue, report)
    snap_openings(venue, report, silent_m=snap_silent_m, tolerance_m=snap_tolerance_m)
    infer_doors(venue, report)
    infer_relationships(venue, report)


def inferred_id(kind: str, *keys: str) -> str:
    """A stable UUID for an inferred feature: the same archive gives the same ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"wayfinding:inferred:{kind}:{':'.join(keys)}"))


# --------------------------------------------------------------------------- overlaps


def _keeps(a: Unit, b: Unit) -> bool:
    """Whether *a* keeps the area it shares with *b* (walkable, open, public, larger first)."""

    def rank(u: Unit) -> tuple[bool, bool, bool, float]:
        return (u.walkable, u.category in OPEN_UNIT_CATEGORIES, u.public, u.geometry.area)

    return rank(a) >= rank(b)


def trim_overlaps(venue: Venue, report: Report) -> int:
    """Give each small overlap to the more walkable unit; return how many were trimmed."""
    trimmed = 0
    for ordinal, index in build_floor_index(venue).items():
        geoms = np.asarray([venue.units[u].geometry for u in index.unit_ids], dtype=object)
        valid = shapely.is_valid(geoms)
        left, right = index.tree.query(geoms, predicate="intersects")
        keep = (left < right) & valid[left] & valid[right]
        # Units sharing a wall "intersect" too. An overlap is at most the overlap of the
        # two bounding boxes: only pairs whose boxes overlap by more than noise are measured.
        bounds = shapely.bounds(geoms)
        dx = np.minimum(bounds[left, 2], bounds[right, 2]) - np.maximum(bounds[left, 0], bounds[right, 0])
        dy = np.minimum(bounds[left, 3], bounds[right, 3]) - np.maximum(bounds[left, 1], bounds[right, 1])
        keep &= (dx > 0) & (dy > 0) & (dx * dy > OVERLAP_NOISE_M2)
        left, right = left[keep], right[keep]
        areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
        for i, j in zip(left[areas > OVERLAP_NOISE_M2], right[areas > OVERLAP_NOISE_M2], strict=True):
            a, b = venue.units[index.unit_ids[i]], venue.units[index.unit_ids[j]]
            common = a.geometry.intersection(b.geometry)
            area = common.area
            smaller = min(a.geometry.area, b.geometry.area)
            if area <= OVERLAP_NOISE_M2 or area > OVERLAP_TRIM_M2 or area > OVERLAP_TRIM_SHARE * smaller:
                continue
            keeper, loser = (a, b) if _keeps(a, b) else (b, a)
            # The cut leaves hair-thin spikes where two outlines almost coincide (coordinates
            # come through WGS84): simplifying by 1 cm removes them before they turn into
            # self-intersections when written back.
            cut = loser.geometry.difference(keeper.geometry).simplify(0.01, preserve_topology=True)
            rest = _polygonal(shapely.make_valid(cut))
            if rest is None:
                continue
            loser.geometry = rest
            if loser.display_point is not None and not rest.covers(loser.display_point):
                loser.display_point = rest.representative_point()
            trimmed += 1
            spot = common.representative_point()
            report.warning(
                "unit-overlap-trimmed",
                "unit.geojson",
                loser.id,
                T(
                    "{loser} and {keeper} overlapped by {area:.2f} m² on floor {ordinal}; the overlap "
                    "was given to the {kind}, so the {category} now ends at its wall",
                    loser=describe(venue, loser),
                    keeper=describe(venue, keeper),
                    area=area,
                    ordinal=ordinal,
                    kind=_kind(keeper),
                    category=loser.category,
                ),
                T("check the wall between them and redraw it so that each place belongs to one unit"),
                at=(ordinal, spot.x, spot.y),
            )
    if trimmed:
        forget_topology(venue)
    return trimmed


def _sound(venue: Venue) -> list[Unit]:
    """The units whose outline is a valid polygon (the only ones the rules may reason about)."""
    units = list(venue.units.values())
    valid = shapely.is_valid(np.asarray([u.geometry for u in units], dtype=object))
    return [u for u, ok in zip(units, valid, strict=True) if ok]


def _kind(unit: Unit) -> Text:
    if unit.category in OPEN_UNIT_CATEGORIES:
        return T("open space")
    return T("walkable unit") if unit.walkable else T("wall")


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon | None:
    """The polygon(s) left by a difference, without the slivers a cut leaves."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area >= 0.05]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


# --------------------------------------------------------------------------- undrawn corridors


def infer_walkways(venue: Venue, report: Report) -> int:
    """Make a corridor of each part of a level's outline that no unit covers and doors open onto.

    Some archives draw only the rooms: the corridor is whatever of the level is
    left. A part counts if it is at least :data:`MIN_IMPLIED_M2` and, once the
    strips narrower than :data:`MIN_IMPLIED_WIDTH_M` are shaved off (walls drawn as
    gaps), at least one opening lies on its edge.
    """
    units_of: dict[str, list[BaseGeometry]] = defaultdict(list)
    for u in _sound(venue):
        units_of[u.level_id].append(u.geometry)
    openings_of: dict[str, list[Opening]] = defaultdict(list)
    for o in venue.openings.values():
        openings_of[o.level_id].append(o)
    added = 0
    half = MIN_IMPLIED_WIDTH_M / 2
    for lid, level in venue.levels.items():
        doors = openings_of.get(lid)
        if not doors or level.geometry.is_empty or not level.geometry.is_valid or not units_of.get(lid):
            continue  # an invalid outline is an error of its own: nothing is guessed from it
        if not _opens_onto_nothing(level.geometry, units_of[lid], doors):
            continue  # every door has a unit on both sides, or the outside: nothing to infer
        left = level.geometry.difference(shapely.union_all(units_of[lid]))
        left = left.buffer(-half, join_style="mitre").buffer(half, join_style="mitre")
        parts = [
            g for g in getattr(left, "geoms", [left]) if isinstance(g, Polygon) and g.area >= MIN_IMPLIED_M2
        ]
        mids = [o.geometry.interpolate(0.5, normalized=True) for o in doors]
        for k, part in enumerate(sorted(parts, key=lambda g: -g.area)):
            edge = part.boundary
            onto = [o for o, m in zip(doors, mids, strict=True) if edge.distance(m) <= WALL_GAP_M]
            if not onto:
                continue
            uid = inferred_id("walkway", lid, str(k))
            name = label_text(level.short_name, venue.language) or label_text(level.name, venue.language)
            why = T(
                "{area:.0f} m² of level {level} (floor {ordinal}) lie inside the level's outline but in no "
                "unit, and {count} opening(s) lead onto them: taken as a corridor",
                area=part.area,
                level=name or level.ordinal,
                ordinal=level.ordinal,
                count=len(onto),
            )
            geom = shapely.simplify(part, 0.01)
            venue.units[uid] = Unit(uid, lid, "walkway", geom, inferred=True, extra={"inferred": str(why)})
            added += 1
            spot = geom.representative_point()
            report.warning(
                "walkway-implied",
                "unit.geojson",
                uid,
                why,
                T("draw the corridors as units of category 'walkway' (or check the level's outline)"),
                at=(level.ordinal, spot.x, spot.y),
            )
    if added:
        forget_topology(venue)
    return added


def _off_every_wall(venue: Venue, index: dict[int, LevelIndex], silent_m: float) -> list[str]:
    """Openings whose middle lies on no unit's outline (within *silent_m*): those to look at."""
    by_floor: dict[int, list[str]] = defaultdict(list)
    for oid, o in venue.openings.items():
        level = venue.levels.get(o.level_id)
        if level is not None and level.ordinal in index:
            by_floor[level.ordinal].append(oid)
    out = []
    for ordinal, oids in by_floor.items():
        lvl = index[ordinal]
        mids = shapely.line_interpolate_point(
            np.asarray([venue.openings[o].geometry for o in oids], dtype=object), 0.5, normalized=True
        )
        points, units = lvl.tree.query(mids, predicate="dwithin", distance=silent_m)
        floor_units = [venue.units[u] for u in lvl.unit_ids]
        boundaries = shapely.boundary(np.asarray([u.geometry for u in floor_units], dtype=object))
        walkable = np.asarray([u.walkable for u in floor_units], dtype=bool)
        near = walkable[units] & (shapely.distance(boundaries[units], mids[points]) <= silent_m)
        on_wall = set(points[near].tolist())
        out += [oid for k, oid in enumerate(oids) if k not in on_wall]
    return out


def _opens_onto_nothing(outline: BaseGeometry, units: list[BaseGeometry], doors: list[Opening]) -> bool:
    """Whether a door has, on one side, a place inside the level's outline that no unit covers."""
    probes = []
    for o in doors:
        (x0, y0), (x1, y1) = o.geometry.coords[0], o.geometry.coords[-1]
        length = float(np.hypot(x1 - x0, y1 - y0)) or 1.0
        nx_, ny_ = -(y1 - y0) / length, (x1 - x0) / length
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        probes += [(mx + 0.1 * nx_, my + 0.1 * ny_), (mx - 0.1 * nx_, my - 0.1 * ny_)]
    xy = np.asarray(probes)
    inside = shapely.contains_xy(outline, xy[:, 0], xy[:, 1])
    if not inside.any():
        return False
    points = np.asarray(shapely.points(xy[inside]), dtype=object)
    covered = np.zeros(points.shape[0], dtype=np.bool_)
    hit = STRtree(units).query(points, predicate="intersects")[0]
    covered[hit] = True
    return not covered.all()


# --------------------------------------------------------------------------- openings


def snap_openings(venue: Venue, report: Report, *, silent_m: float, tolerance_m: float) -> int:
    """Move openings lying up to *tolerance_m* off a wall onto it; return how many moved."""
    index = build_floor_index(venue)
    moved = 0
    for oid in _off_every_wall(venue, index, silent_m):
        opening = venue.openings[oid]
        lvl = index[venue.levels[opening.level_id].ordinal]
        mid = opening.geometry.interpolate(0.5, normalized=True)
        hits = lvl.tree.query(mid, predicate="dwithin", distance=tolerance_m)
        near = []
        for i in hits:
            unit = venue.units[lvl.unit_ids[i]]
            if not unit.walkable:
                continue
            near.append((unit.geometry.boundary.distance(mid), unit.id))
        near.sort()
        on_wall = [uid for d, uid in near if d <= silent_m]
        inside = [uid for _, uid in near if venue.units[uid].geometry.contains(mid)]
        if not near or on_wall:
            continue  # on a wall already (a door, maybe across a wall drawn as a gap), or nothing near
        if len(inside) == 1 and len(near) >= 2:
            a = venue.units[inside[0]]
            b = venue.units[next(uid for _, uid in near if uid != a.id)]
            # The door sits inside *a*: the wall it belongs on is *b*'s outline.
            target = nearest_points(b.geometry.boundary, mid)[0]
            between = T("the wall between the {a} and the {b}", a=describe(venue, a), b=describe(venue, b))
        elif not inside:
            a = venue.units[near[0][1]]
            target = nearest_points(a.geometry.boundary, mid)[0]
            between = T("the outer wall of the {a}", a=describe(venue, a))
        else:
            continue
        offset = mid.distance(target)
        if offset <= silent_m or offset > tolerance_m:
            continue
        opening.geometry = affinity.translate(opening.geometry, target.x - mid.x, target.y - mid.y)
        if opening.display_point is not None:
            opening.display_point = Point(
                opening.display_point.x + target.x - mid.x, opening.display_point.y + target.y - mid.y
            )
        moved += 1
        report.warning(
            "opening-snapped",
            "opening.geojson",
            oid,
            T(
                "opening {id!r} lay {offset:.2f} m off {between}; moved onto it (snapping tolerance "
                "{tolerance:.2f} m)",
                id=oid,
                offset=offset,
                between=between,
                tolerance=tolerance_m,
            ),
            T("redraw the opening on the shared boundary of the two units"),
            at=(lvl.ordinal, target.x, target.y),
        )
    if moved:
        forget_topology(venue)
    return moved


# --------------------------------------------------------------------------- doors


def infer_doors(venue: Venue, report: Report) -> int:
    """Give a door to each walkable unit that has no way in; return how many were added.

    The door goes on the middle of the longest straight wall the unit shares
    (within :data:`~floorplans.topology.WALL_GAP_M`) with an open space
    (corridor, hall, ...), else with a walkable unit that already has a way in.
    Units reached that way may in turn give a way to their neighbours.
    """
    topo = topology(venue)
    ordinal_of = {lid: lv.ordinal for lid, lv in venue.levels.items()}
    joined = {p.a for p in topo.passages} | {p.b for p in topo.passages}
    # A room behind a door closed for good is walled in on purpose: no door is guessed for it.
    joined |= {u for oid in topo.closed_doors for u in topo.opening_units.get(oid, [])}
    sound = _sound(venue)
    lonely = [
        u
        for u in sound
        if u.walkable
        and u.level_id in ordinal_of
        and u.id not in joined
        and u.category not in OPEN_UNIT_CATEGORIES
    ]
    # Open spaces join by sharing a boundary: one with no passage at all is lonely too.
    lonely += [
        u
        for u in sound
        if u.walkable
        and u.level_id in ordinal_of
        and u.id not in joined
        and u.category in OPEN_UNIT_CATEGORIES
    ]
    if not lonely:
        return 0
    floors = topo.floors
    added = 0
    waiting = lonely
    for _ in range(4):  # rooms behind rooms: a few rounds
        still = []
        for unit in waiting:
            ordinal = ordinal_of[unit.level_id]
            index = floors[ordinal]
            best: tuple[tuple[bool, bool, float], Unit, LineString] | None = None
            for k in index.tree.query(unit.geometry, predicate="dwithin", distance=WALL_GAP_M):
                other = venue.units[index.unit_ids[k]]
                if other.id == unit.id or not other.walkable or not other.geometry.is_valid:
                    continue
                is_open = other.category in OPEN_UNIT_CATEGORIES
                if not is_open and other.id not in joined:
                    continue
                wall = _straight_wall(unit, other)
                if wall is None:
                    continue
                rank = (is_open, other.public or not unit.public, wall.length)
                if best is None or rank > best[0]:
                    best = (rank, other, wall)
            if best is None:
                still.append(unit)
                continue
            _, other, wall = best
            door = _door_on(wall)
            oid = inferred_id("door", unit.id)
            mid = door.interpolate(0.5, normalized=True)
            why = T(
                "{unit} on floor {ordinal} had no opening; a door was put in the middle of its "
                "{length:.1f} m wall with {other}",
                unit=describe(venue, unit),
                ordinal=ordinal,
                length=wall.length,
                other=describe(venue, other),
            )
            venue.openings[oid] = Opening(
                oid, unit.level_id, "pedestrian", door, inferred=True, extra={"inferred": str(why)}
            )
            joined.update((unit.id, other.id))
            added += 1
            report.warning(
                "door-inferred",
                "opening.geojson",
                oid,
                why,
                T(
                    "check where the door really is and draw it as an opening on that wall (or mark the "
                    "room non-walkable if there is none)"
                ),
                at=(ordinal, mid.x, mid.y),
            )
        if len(still) == len(waiting):
            break
        waiting = still
    if added:
        forget_topology(venue)
    return added


def _straight_wall(unit: Unit, other: Unit) -> LineString | None:
    """The longest straight stretch of *unit*'s outline lying along *other* (or across a thin wall)."""
    near = unit.geometry.boundary.intersection(other.geometry.buffer(WALL_GAP_M + 0.01, join_style="mitre"))
    line = _longest_line(near) if not near.is_empty else None
    if line is None:
        return None
    pieces = [line] if isinstance(line, LineString) else list(getattr(line, "geoms", []))
    best: LineString | None = None
    for piece in pieces:
        coords = list(shapely.simplify(piece, 0.01).coords)
        for a, b in itertools.pairwise(coords):
            seg = LineString([a, b])
            if best is None or seg.length > best.length:
                best = seg
    # Only where the other unit is really across: not a corner touching at a point.
    if best is None or best.length < MIN_DOOR_WALL_M:
        return None
    return best


def _door_on(wall: LineString) -> LineString:
    width = min(DOOR_WIDTH_M, wall.length - 0.2)
    centre = wall.length / 2
    door = substring(wall, centre - width / 2, centre + width / 2)
    assert isinstance(door, LineString)
    return door


# --------------------------------------------------------------------------- vertical links


def _next_levels(venue: Venue) -> dict[str, list[Level]]:
    """For each level, the levels just above it in the same building (any ordinal gap).

    Levels of one building share a building id; a level without one belongs with
    the levels whose outline it overlaps.
    """
    levels = list(venue.levels.values())
    out: dict[str, list[Level]] = {}
    for lv in levels:

        def same_building(other: Level, lv: Level = lv) -> bool:
            if lv.building_ids and other.building_ids:
                return bool(set(lv.building_ids) & set(other.building_ids))
            if not (shapely.is_valid(lv.geometry) and shapely.is_valid(other.geometry)):
                return True  # an invalid outline (an error of its own) says nothing either way
            if lv.geometry.is_empty or other.geometry.is_empty:
                return True
            return bool(lv.geometry.intersection(other.geometry).area > 1.0)

        above = [o for o in levels if o.ordinal > lv.ordinal and same_building(o)]
        if above:
            first = min(o.ordinal for o in above)
            out[lv.id] = [o for o in above if o.ordinal == first]
        else:
            out[lv.id] = []
    return out


def infer_relationships(venue: Venue, report: Report) -> int:
    """Link stacked vertical units that no relationship joins; return how many links were made."""
    in_relationship = {uid for rel in venue.relationships.values() for uid in rel.unit_ids()}
    linked: set[frozenset[str]] = set()
    for rel in venue.relationships.values():
        chain = rel.unit_ids()
        linked.update(frozenset(p) for p in itertools.pairwise(chain))
    by_level: dict[str, list[Unit]] = defaultdict(list)
    for unit in venue.units.values():
        if unit.level_id in venue.levels and unit.walkable and unit.geometry.is_valid:
            by_level[unit.level_id].append(unit)
    trees = {lid: STRtree([u.geometry for u in us]) for lid, us in by_level.items()}
    next_levels = _next_levels(venue)
    prev_levels: dict[str, list[Level]] = defaultdict(list)
    for lid, uppers in next_levels.items():
        for upper in uppers:
            prev_levels[upper.id].append(venue.levels[lid])
    stacked: dict[str, nx.Graph] = defaultdict(nx.Graph)
    has_counterpart: set[str] = set()
    landings: list[tuple[Unit, Unit]] = []

    for lid, units in by_level.items():
        for low in units:
            if low.category not in VERTICAL_UNIT_CATEGORIES | SPANNING_CATEGORIES:
                continue
            best_landing: tuple[float, Unit] | None = None
            for upper in next_levels.get(lid, []):
                if upper.id not in trees:
                    continue
                ups = by_level[upper.id]
                for k in trees[upper.id].query(low.geometry, predicate="intersects"):
                    up = ups[k]
                    common = low.geometry.intersection(up.geometry).area
                    if up.category == low.category:
                        if common < STACK_OVERLAP * min(low.geometry.area, up.geometry.area):
                            continue
                        has_counterpart.update((low.id, up.id))
                        if frozenset((low.id, up.id)) in linked:
                            continue
                        if low.id in in_relationship and up.id in in_relationship:
                            continue  # both served by explicit relationships: trust them
                        stacked[low.category].add_edge(low.id, up.id)
                    elif (
                        low.category in SPANNING_CATEGORIES
                        and up.category in OPEN_UNIT_CATEGORIES
                        and common >= LANDING_OVERLAP * low.geometry.area
                        and (best_landing is None or common > best_landing[0])
                    ):
                        best_landing = (common, up)
            if best_landing is not None:
                landings.append((low, best_landing[1]))
            elif low.category in SPANNING_CATEGORIES:
                # Drawn on the upper level only: the open space below it, if any.
                below = _landing(low, prev_levels.get(lid, []), by_level, trees)
                if below is not None:
                    landings.append((low, below))

    added = 0
    ordinal = {lid: lv.ordinal for lid, lv in venue.levels.items()}
    for category, graph in sorted(stacked.items()):
        for component in sorted(nx.connected_components(graph), key=sorted):
            chain = sorted(component, key=lambda u: (ordinal[venue.units[u].level_id], u))
            floors = [ordinal[venue.units[u].level_id] for u in chain]
            if len(set(floors)) == len(floors) and all(
                graph.has_edge(a, b) for a, b in itertools.pairwise(chain)
            ):
                chains = [chain]  # one shaft: one relationship through every stop
            else:
                chains = [
                    sorted(e, key=lambda u: ordinal[venue.units[u].level_id])
                    for e in graph.subgraph(component).edges
                ]
            for c in chains:
                added += _link(venue, report, category, c, ordinal, "stacked")
    topo_passages: dict[str, int] | None = None
    for low, landing in landings:
        if low.id in has_counterpart or low.id in in_relationship:
            continue
        if low.category == "ramp":
            # A ramp joined to its floor at both ends is a ramp on that floor.
            if topo_passages is None:
                topo = topology(venue)
                topo_passages = defaultdict(int)
                for p in topo.passages:
                    topo_passages[p.a] += 1
                    topo_passages[p.b] += 1
            if topo_passages[low.id] >= 2:
                continue
        added += _link(venue, report, low.category, [low.id, landing.id], ordinal, "landing")
    if added:
        forget_topology(venue)
    return added


def _landing(
    unit: Unit, levels: list[Level], by_level: dict[str, list[Unit]], trees: dict[str, STRtree]
) -> Unit | None:
    """The open space on *levels* that covers most of *unit* (at least LANDING_OVERLAP of it)."""
    best: tuple[float, Unit] | None = None
    for level in levels:
        if level.id not in trees:
            continue
        for k in trees[level.id].query(unit.geometry, predicate="intersects"):
            other = by_level[level.id][k]
            if other.category not in OPEN_UNIT_CATEGORIES:
                continue
            common = unit.geometry.intersection(other.geometry).area
            if common >= LANDING_OVERLAP * unit.geometry.area and (best is None or common > best[0]):
                best = (common, other)
    return best[1] if best else None


def _link(
    venue: Venue, report: Report, category: str, chain: list[str], ordinal: dict[str, int], why: str
) -> int:
    units = [venue.units[u] for u in chain]
    rid = inferred_id("relationship", *chain)
    refs = [FeatureRef(u, "unit") for u in chain]
    floors = [ordinal[u.level_id] for u in units]
    if why == "stacked":
        what = T(
            "no relationship links the {unit} on floors {floors}; its units are stacked (their outlines "
            "overlap), so they were linked",
            unit=describe(venue, units[0]),
            floors=_floors(floors),
        )
    else:
        what = T(
            "the {unit} is drawn on floor {floor} only; it was linked to the {other} on floor {other_floor}, "
            "the open space above it"
            if floors[1] > floors[0]
            else "the {unit} is drawn on floor {floor} only; it was linked to the {other} on floor "
            "{other_floor}, the open space below it",
            unit=describe(venue, units[0]),
            floor=floors[0],
            other=describe(venue, units[1]),
            other_floor=floors[1],
        )
    venue.relationships[rid] = Relationship(
        rid,
        "elevator" if category == "elevator" else category,
        "undirected",
        refs[0],
        refs[-1],
        refs[1:-1],
        inferred=True,
        extra={"inferred": str(what)},
    )
    spot = units[0].geometry.representative_point()
    report.warning(
        "relationship-inferred",
        "relationship.geojson",
        rid,
        what,
        T(
            "check it and add a relationship of category '{category}' with origin {origin}, "
            "intermediaries {between} and destination {destination}"
            if len(chain) > 2
            else "check it and add a relationship of category '{category}' with origin {origin} and "
            "destination {destination}",
            category=category,
            origin=chain[0],
            between=", ".join(chain[1:-1]),
            destination=chain[-1],
        ),
        at=(floors[0], spot.x, spot.y),
    )
    return len(chain) - 1


def _floors(floors: list[int]) -> Text | str:
    words = [str(f) for f in floors]
    return (
        words[0] if len(words) == 1 else T("{first} and {last}", first=", ".join(words[:-1]), last=words[-1])
    )


def describe(venue: Venue, unit: Unit) -> Text:
    """A unit in words a facilities manager can find on the plan: its name, else its kind and place."""
    name = label_text(unit.name, venue.language)
    if name:
        return T("{category} {name!r}", category=unit.category, name=name)
    p = unit.geometry.representative_point()
    return T("unnamed {category} around ({x:.0f} m E, {y:.0f} m N)", category=unit.category, x=p.x, y=p.y)
