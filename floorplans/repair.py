"""Repairs for what real-world IMDF archives get wrong, each one reported.

- Openings drawn a little off the wall are moved onto it.
- Missing vertical relationships are inferred from stacked lift, stairs and
  escalator units on adjacent levels.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import shapely
from shapely import affinity
from shapely.geometry import Point
from shapely.ops import nearest_points

from floorplans.model import VERTICAL_UNIT_CATEGORIES, FeatureRef, Relationship, Venue
from floorplans.report import Report
from floorplans.topology import build_floor_index, forget_topology

#: Share of the smaller shaft that two stacked units must have in common to be linked.
STACK_OVERLAP = 0.5


def snap_openings(venue: Venue, report: Report, *, silent_m: float, tolerance_m: float) -> int:
    """Move openings lying up to *tolerance_m* off a wall onto it; return how many moved."""
    index = build_floor_index(venue)
    moved = 0
    for oid, opening in venue.openings.items():
        level = venue.levels.get(opening.level_id)
        lvl = index.get(level.ordinal) if level is not None else None
        if lvl is None:
            continue
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
        if not near or len(on_wall) >= 2 or (len(on_wall) == 1 and not inside):
            continue  # on a wall already (an inner door, or an entrance), or nothing near
        if len(inside) == 1 and len(near) >= 2:
            a = venue.units[inside[0]]
            b = venue.units[next(uid for _, uid in near if uid != a.id)]
            # The door sits inside *a*: the wall it belongs on is *b*'s outline.
            target = nearest_points(b.geometry.boundary, mid)[0]
            between = f"the wall between units {_n(a.name, a.id)} and {_n(b.name, b.id)}"
        elif not inside:
            a = venue.units[near[0][1]]
            target = nearest_points(a.geometry.boundary, mid)[0]
            between = f"the outer wall of unit {_n(a.name, a.id)}"
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
            f"opening {oid!r} lay {offset:.2f} m off {between}; moved onto it "
            f"(snapping tolerance {tolerance_m:.2f} m)",
            "redraw the opening on the shared boundary of the two units",
        )
    if moved:
        forget_topology(venue)
    return moved


def _n(label: dict[str, str] | None, fid: str) -> str:
    if label:
        return repr(next(iter(label.values())))
    return repr(fid)


def infer_relationships(venue: Venue, report: Report) -> int:
    """Link stacked lift/stairs/escalator units of adjacent levels that no relationship joins."""
    linked: set[frozenset[str]] = set()
    for rel in venue.relationships.values():
        chain = rel.unit_ids()
        linked.update(frozenset(p) for p in itertools.pairwise(chain))
    in_relationship = {uid for rel in venue.relationships.values() for uid in rel.unit_ids()}

    by_ordinal: dict[int, list[str]] = defaultdict(list)
    for uid, unit in venue.units.items():
        level = venue.levels.get(unit.level_id)
        if level is not None and unit.category in VERTICAL_UNIT_CATEGORIES:
            by_ordinal[level.ordinal].append(uid)
    added = 0
    for ordinal, lower_ids in sorted(by_ordinal.items()):
        upper_ids = by_ordinal.get(ordinal + 1, [])
        if not upper_ids:
            continue
        uppers = [venue.units[u] for u in upper_ids]
        tree = shapely.STRtree([u.geometry for u in uppers])
        for lid in lower_ids:
            low = venue.units[lid]
            for i in tree.query(low.geometry, predicate="intersects"):
                up = uppers[i]
                if up.category != low.category or frozenset((lid, up.id)) in linked:
                    continue
                if lid in in_relationship and up.id in in_relationship:
                    continue  # both served by explicit relationships: trust them
                common = low.geometry.intersection(up.geometry).area
                if common < STACK_OVERLAP * min(low.geometry.area, up.geometry.area):
                    continue
                rid = f"inferred-{lid}-{up.id}"
                venue.relationships[rid] = Relationship(
                    rid,
                    low.category,
                    "undirected",
                    FeatureRef(lid, "unit"),
                    FeatureRef(up.id, "unit"),
                    inferred=True,
                )
                linked.add(frozenset((lid, up.id)))
                added += 1
                report.warning(
                    "relationship-inferred",
                    "relationship.geojson",
                    rid,
                    f"no relationship links {low.category} units {_n(low.name, lid)} "
                    f"(level {ordinal}) and {_n(up.name, up.id)} (level {ordinal + 1}); "
                    "they are stacked, so they were linked",
                    f"add a '{low.category}' relationship with origin {lid} and destination "
                    f"{up.id} (or one for the whole shaft with intermediaries)",
                )
    if added:
        forget_topology(venue)
    return added
