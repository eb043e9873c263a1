"""Build venues in metres, feature by feature: the demo hospital and the
synthetic hospitals are written with it.

Ids are UUIDs derived from readable keys (``uuid5``), so that a venue built
twice from the same recipe has the same ids, and a diff between two builds
only shows what the recipe changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from shapely import box
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.ops import substring, unary_union

from floorplans.model import (
    Amenity,
    Anchor,
    Building,
    FeatureRef,
    Footprint,
    Kiosk,
    Label,
    Level,
    Occupant,
    Opening,
    Pathway,
    Receiver,
    Relationship,
    Section,
    Stage,
    Unit,
    Venue,
)
from floorplans.projection import LocalProjection
from floorplans.topology import _longest_line


@dataclass(slots=True)
class Room:
    """One slot of a wing: a unit of *width* metres along the corridor."""

    key: str
    width: float
    category: str = "room"
    name: Label | None = None
    alt_name: Label | None = None
    restriction: str | None = None
    keywords: dict[str, list[str]] = field(default_factory=dict)
    #: Give the room a door to the corridor (open spaces join without one).
    door: bool = True
    accessibility: list[str] = field(default_factory=list)
    #: Depth of the room if shallower than the wing (a lift car), metres.
    depth: float | None = None


class VenueBuilder:
    def __init__(
        self,
        seed: str,
        *,
        name: Label,
        lon0: float,
        lat0: float,
        language: str = "fr-FR",
        category: str = "healthcarefacility",
        address: dict[str, Any] | None = None,
    ) -> None:
        self.seed = seed
        self.venue = Venue(
            id=self.uid("venue"),
            name=name,
            category=category,
            projection=LocalProjection(lon0, lat0),
            language=language,
            manifest={
                "version": "1.0.0",
                "language": language,
                "generated_by": {"name": "hospital-wayfinding", "recipe": seed},
            },
            venue_extra={
                "restriction": None,
                "hours": None,
                "phone": None,
                "website": None,
                "address_id": None,
                "alt_name": None,
            },
        )
        self._keys: dict[str, str] = {}

    def uid(self, key: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"wayfinding:{self.seed}:{key}"))

    def id_of(self, key: str) -> str:
        return self._keys[key]

    def _new(self, key: str) -> str:
        if key in self._keys:
            raise ValueError(f"builder key {key!r} used twice")
        fid = self.uid(key)
        self._keys[key] = fid
        return fid

    # -- structure ------------------------------------------------------------------------

    def building(
        self, key: str, name: Label, *, alt_name: Label | None = None, category: str = "unspecified"
    ) -> str:
        fid = self._new(key)
        self.venue.buildings[fid] = Building(fid, name, alt_name, category=category)
        return fid

    def level(self, key: str, building_id: str, ordinal: int, name: Label, short_name: Label) -> str:
        fid = self._new(key)
        self.venue.levels[fid] = Level(fid, ordinal, name, short_name, Polygon(), building_ids=[building_id])
        return fid

    def unit(
        self,
        key: str,
        level_id: str,
        category: str,
        geometry: Polygon,
        *,
        name: Label | None = None,
        alt_name: Label | None = None,
        restriction: str | None = None,
        keywords: dict[str, list[str]] | None = None,
        accessibility: list[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        fid = self._new(key)
        extra = dict(extra or {})
        if keywords:
            extra["keywords"] = keywords
        self.venue.units[fid] = Unit(
            fid,
            level_id,
            category,
            geometry,
            name,
            alt_name,
            restriction,
            list(accessibility or []),
            geometry.representative_point() if name else None,
            extra,
        )
        return fid

    def door(
        self,
        key: str,
        a: str,
        b: str,
        *,
        width: float = 1.4,
        near: Point | None = None,
        category: str = "pedestrian",
        name: Label | None = None,
    ) -> str:
        """An opening on the shared wall of units *a* and *b* (centred, or nearest *near*)."""
        ua, ub = self.venue.units[a], self.venue.units[b]
        shared = _longest_line(ua.geometry.boundary.intersection(ub.geometry.boundary))
        if shared is None:
            raise ValueError(f"door {key!r}: units do not share a wall")
        return self._opening(key, ua.level_id, shared, width, near, category, name)

    def entrance(
        self,
        key: str,
        unit_id: str,
        wall_point: Point,
        *,
        width: float = 2.4,
        category: str = "pedestrian",
        name: Label | None = None,
    ) -> str:
        """An opening on the outer wall of a unit, on the edge nearest *wall_point*."""
        unit = self.venue.units[unit_id]
        coords = list(unit.geometry.exterior.coords)  # type: ignore[union-attr]
        edges = [LineString(coords[i : i + 2]) for i in range(len(coords) - 1)]
        edge = min(edges, key=lambda e: e.distance(wall_point))
        return self._opening(key, unit.level_id, edge, width, wall_point, category, name)

    def _opening(
        self,
        key: str,
        level_id: str,
        wall: LineString,
        width: float,
        near: Point | None,
        category: str,
        name: Label | None,
    ) -> str:
        centre = wall.project(near) if near is not None else wall.length / 2
        half = min(width, wall.length - 0.2) / 2
        centre = min(max(centre, half + 0.1), wall.length - half - 0.1)
        line = substring(wall, centre - half, centre + half)
        assert isinstance(line, LineString)
        fid = self._new(key)
        self.venue.openings[fid] = Opening(
            fid,
            level_id,
            category,
            line,
            name,
            door={
                "type": "hinged",
                "automatic": category.startswith("pedestrian.principal"),
                "material": "glass" if name else "wood",
            },
        )
        return fid

    def relationship(self, key: str, category: str, unit_ids: list[str], *, name: Label | None = None) -> str:
        fid = self._new(key)
        refs = [FeatureRef(u, "unit") for u in unit_ids]
        self.venue.relationships[fid] = Relationship(
            fid,
            category,
            "undirected",
            refs[0],
            refs[-1],
            refs[1:-1],
            name,
        )
        return fid

    def anchor(self, key: str, unit_id: str, point: Point | None = None) -> str:
        fid = self._new(key)
        p = point or self.venue.units[unit_id].anchor_point()
        self.venue.anchors[fid] = Anchor(fid, unit_id, p)
        return fid

    def occupant(
        self,
        key: str,
        unit_id: str,
        name: Label,
        *,
        category: str = "medicalservice",
        keywords: dict[str, list[str]] | None = None,
    ) -> str:
        anchor = self.anchor(key + "/anchor", unit_id)
        fid = self._new(key)
        self.venue.occupants[fid] = Occupant(fid, category, anchor, name, keywords or {})
        return fid

    def amenity(
        self,
        key: str,
        unit_id: str,
        category: str,
        *,
        name: Label | None = None,
        keywords: dict[str, list[str]] | None = None,
        point: Point | None = None,
        accessibility: list[str] | None = None,
    ) -> str:
        fid = self._new(key)
        p = point or self.venue.units[unit_id].anchor_point()
        self.venue.amenities[fid] = Amenity(
            fid,
            category,
            p,
            [unit_id],
            name,
            accessibility=list(accessibility or []),
            keywords=keywords or {},
        )
        return fid

    def kiosk(self, key: str, unit_id: str, at: Point, *, facing: float, name: Label) -> str:
        unit = self.venue.units[unit_id]
        anchor = self.anchor(key + "/anchor", unit_id, at)
        fid = self._new(key)
        self.venue.kiosks[fid] = Kiosk(
            fid,
            unit.level_id,
            box(at.x - 0.4, at.y - 0.3, at.x + 0.4, at.y + 0.3),
            name,
            anchor_id=anchor,
            display_point=at,
            facing=facing,
        )
        return fid

    def section(
        self,
        key: str,
        level_id: str,
        category: str,
        geometry: Polygon,
        *,
        name: Label,
        restriction: str | None = None,
    ) -> str:
        fid = self._new(key)
        self.venue.sections[fid] = Section(fid, level_id, category, geometry, name, restriction=restriction)
        return fid

    def receiver(self, key: str, unit_id: str, at: Point | None = None, *, z: float = 2.5) -> str:
        unit = self.venue.units[unit_id]
        # Receiver ids are MQTT topic levels: no '/', '+' or '#'.
        fid = "rx-" + "".join(c if c.isalnum() or c in "-_." else "-" for c in key)
        self.venue.receivers[fid] = Receiver(
            fid, unit.level_id, at or unit.geometry.representative_point(), unit_id, z
        )
        return fid

    def pathway(
        self,
        pid: str,
        name: Label,
        stages: list[tuple[str, Label, list[str]]],
        *,
        pickup_unit_id: str | None = None,
    ) -> None:
        self.venue.pathways[pid] = Pathway(
            pid,
            name,
            [Stage(sid, label, uids) for sid, label, uids in stages],
            pickup_unit_id,
        )

    # -- layout helpers ---------------------------------------------------------------------

    def wing(
        self,
        prefix: str,
        level_id: str,
        *,
        x0: float,
        y0: float,
        south: list[Room],
        north: list[Room],
        room_depth: float = 8.0,
        corridor_width: float = 3.0,
        corridor_name: Label | None = None,
        corridor_restriction: str | None = None,
    ) -> dict[str, str]:
        """A corridor along x with rooms on both sides; returns room key -> unit id.

        The corridor is as long as the longer row; rooms are laid west to east.
        """
        length = max(sum(r.width for r in south), sum(r.width for r in north))
        ids: dict[str, str] = {}
        cy0, cy1 = y0 + room_depth, y0 + room_depth + corridor_width
        corridor = self.unit(
            f"{prefix}/corridor",
            level_id,
            "walkway",
            box(x0, cy0, x0 + length, cy1),
            name=corridor_name,
            restriction=corridor_restriction,
        )
        ids["corridor"] = corridor
        for row, rooms in (("S", south), ("N", north)):
            x = x0
            for room in rooms:
                depth = room.depth or room_depth
                if row == "S":
                    poly = box(x, cy0 - depth, x + room.width, cy0)
                else:
                    poly = box(x, cy1, x + room.width, cy1 + depth)
                uid = self.unit(
                    f"{prefix}/{room.key}",
                    level_id,
                    room.category,
                    poly,
                    name=room.name,
                    alt_name=room.alt_name,
                    restriction=room.restriction,
                    keywords=room.keywords,
                    accessibility=room.accessibility,
                )
                ids[room.key] = uid
                if room.door and room.category not in ("structure", "opentobelow"):
                    self.door(
                        f"{prefix}/{room.key}/door",
                        uid,
                        corridor,
                        width=1.6 if room.category == "elevator" else 1.2,
                    )
                if room.depth and room.depth < room_depth:
                    # Fill behind a shallow unit (lift machinery, shafts).
                    if row == "S":
                        back = box(x, cy0 - room_depth, x + room.width, cy0 - depth)
                    else:
                        back = box(x, cy1 + depth, x + room.width, cy1 + room_depth)
                    self.unit(f"{prefix}/{room.key}/back", level_id, "structure", back)
                x += room.width
        return ids

    # -- finishing -----------------------------------------------------------------------

    def finish(self) -> Venue:
        """Derive level outlines, footprints and the venue outline from the units."""
        venue = self.venue
        for level in venue.levels.values():
            polys = [u.geometry for u in venue.units.values() if u.level_id == level.id]
            outline = unary_union(polys).buffer(0.05, join_style="mitre").buffer(-0.05, join_style="mitre")
            level.geometry = outline if isinstance(outline, Polygon | MultiPolygon) else Polygon()
            level.display_point = outline.representative_point()
        for bid in venue.buildings:
            levels = [lv for lv in venue.levels.values() if bid in lv.building_ids]
            ground = [lv for lv in levels if lv.ordinal >= 0] or levels
            shape = unary_union([lv.geometry for lv in ground]).convex_hull
            fid = self.uid(f"footprint/{bid}")
            venue.footprints[fid] = Footprint(fid, "ground", [bid], shape)  # type: ignore[arg-type]
            venue.buildings[bid].display_point = shape.representative_point()
        hull = unary_union([f.geometry for f in venue.footprints.values()]).convex_hull
        venue.venue_geometry = hull.buffer(5.0, join_style="mitre")
        return venue
