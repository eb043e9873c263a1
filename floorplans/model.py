"""The `Venue`: an IMDF archive held in memory, in metres.

Every geometry here is in the venue's local metric plane (metres east and
north of the venue's display point, see :mod:`floorplans.projection`).
Properties that this project does not interpret are kept in ``extra`` so that
writing a venue back to IMDF loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from floorplans.projection import LocalProjection

Label = dict[str, str]
"""An IMDF LABELS object: language tag -> text, e.g. ``{"fr": "Radiologie"}``."""

#: Unit categories one cannot walk into (walls, shafts, holes in the floor).
NON_WALKABLE_UNIT_CATEGORIES = frozenset(
    {
        "brick",
        "column",
        "concrete",
        "drywall",
        "glass",
        "wood",
        "structure",
        "opentobelow",
        "vegetation",
        "road",
        "fieldofplay",
    }
)

#: Unit categories that are open space: two such units that share a boundary
#: are walkable into one another without an opening (a corridor split in
#: several units, a hall opening on a corridor).
OPEN_UNIT_CATEGORIES = frozenset(
    {
        "walkway",
        "walkway.island",
        "lobby",
        "footbridge",
        "unenclosedarea",
        "ramp",
        "movingwalkway",
        "platform",
        "terrace",
        "waitingroom",
        "steps",
    }
)

#: Unit categories of the IMDF 1.0 specification (OGC 20-094, Categories).
UNIT_CATEGORIES = frozenset(
    {
        "auditorium",
        "brick",
        "classroom",
        "column",
        "concrete",
        "conferenceroom",
        "drywall",
        "elevator",
        "escalator",
        "fieldofplay",
        "firstaid",
        "fitnessroom",
        "foodservice",
        "footbridge",
        "glass",
        "huddleroom",
        "kitchen",
        "laboratory",
        "library",
        "lobby",
        "lounge",
        "mailroom",
        "mothersroom",
        "movietheater",
        "movingwalkway",
        "nonpublic",
        "office",
        "opentobelow",
        "parking",
        "phoneroom",
        "platform",
        "privatelounge",
        "ramp",
        "recreation",
        "restroom",
        "restroom.family",
        "restroom.female",
        "restroom.female.wheelchair",
        "restroom.male",
        "restroom.male.wheelchair",
        "restroom.transgender",
        "restroom.transgender.wheelchair",
        "restroom.unisex",
        "restroom.unisex.wheelchair",
        "restroom.wheelchair",
        "road",
        "room",
        "serverroom",
        "shower",
        "smokingarea",
        "stairs",
        "steps",
        "storage",
        "structure",
        "terrace",
        "theater",
        "unenclosedarea",
        "unspecified",
        "vegetation",
        "waitingroom",
        "walkway",
        "walkway.island",
        "wood",
    }
)

OPENING_CATEGORIES = frozenset(
    {
        "automobile",
        "bicycle",
        "emergencyexit",
        "pedestrian",
        "pedestrian.principal",
        "pedestrian.transit",
        "service",
    }
)

RELATIONSHIP_CATEGORIES = frozenset(
    {"elevator", "escalator", "stairs", "ramp", "movingwalkway", "traversal", "traversal.path"}
)

#: Vertical link categories, and the unit categories that carry them.
VERTICAL_UNIT_CATEGORIES = frozenset({"elevator", "stairs", "escalator"})

RESTRICTIONS = frozenset({"employeesonly", "restricted"})


@dataclass(slots=True)
class Level:
    id: str
    ordinal: int
    name: Label | None
    short_name: Label | None
    geometry: Polygon | MultiPolygon
    building_ids: list[str] = field(default_factory=list)
    category: str = "unspecified"
    outdoor: bool = False
    restriction: str | None = None
    display_point: Point | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Building:
    id: str
    name: Label | None
    alt_name: Label | None = None
    category: str = "unspecified"
    restriction: str | None = None
    display_point: Point | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Footprint:
    id: str
    category: str
    building_ids: list[str]
    geometry: Polygon | MultiPolygon
    name: Label | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Unit:
    id: str
    level_id: str
    category: str
    geometry: Polygon | MultiPolygon
    name: Label | None = None
    alt_name: Label | None = None
    restriction: str | None = None
    accessibility: list[str] = field(default_factory=list)
    display_point: Point | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Put there by the importer (floorplans.repair: a corridor that was never drawn).
    inferred: bool = False

    @property
    def guessed(self) -> bool:
        """Inferred now, or written by ``floorplan repair`` and not yet confirmed."""
        return self.inferred or bool(self.extra.get("inferred"))

    @property
    def walkable(self) -> bool:
        return self.category not in NON_WALKABLE_UNIT_CATEGORIES

    @property
    def public(self) -> bool:
        return self.restriction is None and self.category != "nonpublic"

    def anchor_point(self) -> Point:
        """The display point, or a point surely inside the polygon."""
        if self.display_point is not None:
            return self.display_point
        return self.geometry.representative_point()


@dataclass(slots=True)
class Opening:
    id: str
    level_id: str
    category: str
    geometry: LineString
    name: Label | None = None
    alt_name: Label | None = None
    accessibility: list[str] = field(default_factory=list)
    access_control: list[str] = field(default_factory=list)
    door: dict[str, Any] | None = None
    display_point: Point | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Put there by the importer (floorplans.repair), not drawn in the archive.
    inferred: bool = False

    @property
    def guessed(self) -> bool:
        """Inferred now, or written by ``floorplan repair`` and not yet confirmed."""
        return self.inferred or bool(self.extra.get("inferred"))


@dataclass(slots=True, frozen=True)
class FeatureRef:
    id: str
    feature_type: str


@dataclass(slots=True)
class Relationship:
    id: str
    category: str
    direction: str
    origin: FeatureRef | None
    destination: FeatureRef | None
    intermediary: list[FeatureRef] = field(default_factory=list)
    name: Label | None = None
    hours: str | None = None
    geometry: BaseGeometry | None = None
    #: Put there by the importer (floorplans.repair), not in the archive.
    inferred: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def guessed(self) -> bool:
        """Inferred now, or written by ``floorplan repair`` and not yet confirmed."""
        return self.inferred or bool(self.extra.get("inferred"))

    def unit_ids(self) -> list[str]:
        """Every unit this relationship passes through, in order."""
        refs = [self.origin, *self.intermediary, self.destination]
        return [r.id for r in refs if r is not None and r.feature_type == "unit"]


@dataclass(slots=True)
class Amenity:
    id: str
    category: str
    geometry: Point
    unit_ids: list[str]
    name: Label | None = None
    alt_name: Label | None = None
    accessibility: list[str] = field(default_factory=list)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Anchor:
    id: str
    unit_id: str
    geometry: Point
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Occupant:
    id: str
    category: str
    anchor_id: str
    name: Label | None
    keywords: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Kiosk:
    id: str
    level_id: str
    geometry: Polygon
    name: Label | None = None
    alt_name: Label | None = None
    anchor_id: str | None = None
    display_point: Point | None = None
    #: Compass bearing (degrees clockwise from north) the screen faces; a
    #: person with the screen behind them looks this way. Project extension.
    facing: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def anchor_point(self) -> Point:
        if self.display_point is not None:
            return self.display_point
        return self.geometry.representative_point()


@dataclass(slots=True)
class Section:
    id: str
    level_id: str
    category: str
    geometry: Polygon | MultiPolygon
    name: Label | None = None
    alt_name: Label | None = None
    restriction: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Receiver:
    """A BLE receiver (project extension, ``receiver.geojson``)."""

    id: str
    level_id: str
    geometry: Point
    unit_id: str | None = None
    #: Height above the floor, metres.
    z: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Stage:
    id: str
    label: Label
    unit_ids: list[str] = field(default_factory=list)
    section_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Pathway:
    """A patient pathway: which places mean which journey stage (``pathways.json``)."""

    id: str
    name: Label
    stages: list[Stage]
    #: Where the companion picks the patient up (a unit id), if any.
    pickup_unit_id: str | None = None


@dataclass(slots=True)
class Venue:
    id: str
    name: Label | None
    category: str
    projection: LocalProjection
    language: str
    manifest: dict[str, Any] = field(default_factory=dict)
    venue_extra: dict[str, Any] = field(default_factory=dict)
    venue_geometry: Polygon | MultiPolygon | None = None
    address: dict[str, Any] | None = None
    levels: dict[str, Level] = field(default_factory=dict)
    buildings: dict[str, Building] = field(default_factory=dict)
    footprints: dict[str, Footprint] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    openings: dict[str, Opening] = field(default_factory=dict)
    relationships: dict[str, Relationship] = field(default_factory=dict)
    amenities: dict[str, Amenity] = field(default_factory=dict)
    anchors: dict[str, Anchor] = field(default_factory=dict)
    occupants: dict[str, Occupant] = field(default_factory=dict)
    kiosks: dict[str, Kiosk] = field(default_factory=dict)
    sections: dict[str, Section] = field(default_factory=dict)
    receivers: dict[str, Receiver] = field(default_factory=dict)
    pathways: dict[str, Pathway] = field(default_factory=dict)
    #: Feature files this project does not model (fixture, detail, geofence,
    #: ...), kept as read so that they are written back unchanged.
    passthrough: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        """The venue's languages: the manifest's, then those of the venue name."""
        langs = [_base_language(self.language)]
        for tag in self.name or {}:
            base = _base_language(tag)
            if base not in langs:
                langs.append(base)
        return langs

    def postal_address(self) -> str:
        """The venue's address as one line ("2 avenue Foch, 29200 Brest"), from the IMDF address
        feature its ``address_id`` names; empty when the plan has none."""
        wanted = self.venue_extra.get("address_id")
        data = self.passthrough.get("address.geojson") or {}
        for feature in data.get("features") or []:
            if not isinstance(feature, dict) or feature.get("id") != wanted:
                continue
            p = feature.get("properties") or {}
            town = " ".join(str(p[k]) for k in ("postal_code", "locality") if p.get(k))
            parts = [str(p[k]) for k in ("address", "unit") if p.get(k)]
            return ", ".join([*parts, *([town] if town else [])])
        return ""

    @property
    def access(self) -> Label | None:
        """How to get to the venue (public transport, car parks), per language: the project's
        extension property ``access`` of the IMDF venue feature (docs/floorplans.md)."""
        value = self.venue_extra.get("access")
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return value
        return None

    def levels_by_ordinal(self) -> dict[int, list[Level]]:
        out: dict[int, list[Level]] = {}
        for level in self.levels.values():
            out.setdefault(level.ordinal, []).append(level)
        return dict(sorted(out.items()))

    def units_on(self, level_id: str) -> Iterator[Unit]:
        return (u for u in self.units.values() if u.level_id == level_id)

    def occupant_unit(self, occupant: Occupant) -> Unit | None:
        anchor = self.anchors.get(occupant.anchor_id)
        return self.units.get(anchor.unit_id) if anchor else None

    def feature(self, feature_id: str) -> object | None:
        """Any feature of the venue by id, whatever its type."""
        for table in (
            self.units,
            self.openings,
            self.relationships,
            self.amenities,
            self.anchors,
            self.occupants,
            self.kiosks,
            self.sections,
            self.levels,
            self.buildings,
            self.footprints,
            self.receivers,
        ):
            if feature_id in table:
                return table[feature_id]  # type: ignore[no-any-return]
        return None


def _base_language(tag: str) -> str:
    return tag.split("-", maxsplit=1)[0].lower()


def label_text(label: Label | None, lang: str, *, fallback: str = "") -> str:
    """The text of *label* in *lang*, else in its base language, else any.

    ``label_text({"fr": "Radiologie"}, "en")`` gives ``"Radiologie"``: a
    name in another language beats no name at all.
    """
    if not label:
        return fallback
    if lang in label:
        return label[lang]
    base = _base_language(lang)
    for tag, text in label.items():
        if _base_language(tag) == base:
            return text
    return next(iter(label.values()))
