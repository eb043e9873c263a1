"""IMDF archives as other tools and people draw them: one campus, each fault switchable.

The campus: building H (a hall with the entrance, a corridor with rooms on
both sides, a lift, stairs, and an escalator from the hall up to the first
floor's landing), three floors; annex A (corridor, rooms, stairs, a lift),
two floors, joined to H's ground floor by a gallery. Every fault of issue 10
can be switched on alone (:data:`FAULTS`), so each fixture differs from the
tidy campus by exactly one thing, and ``all`` has every fault at once.

Written with ``python -m tests.floorplans.untidy`` into
``tests/floorplans/fixtures/untidy/<case>/`` (committed; a test checks that
the files match this recipe). Coordinates in metres are projected to WGS84
around a point in Lyon, as any IMDF archive is.
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

from shapely import box
from shapely.geometry import LineString, Point, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from floorplans.projection import LocalProjection

ROOT = Path(__file__).parent / "fixtures" / "untidy"
LON0, LAT0 = 4.8712, 45.7421

#: Each fault, as seen in public IMDF archives (issue 10).
FAULTS = {
    "doorless": "rooms drawn with no opening at all, their walls touching a corridor",
    "wall_gaps": "rooms drawn 15 cm from the corridor (the wall left as a gap), doors on the room's side",
    "no_entrance": "no opening on any outer wall",
    "skipped_ordinal": "building H's floors are ordinals 0, 2 and 3 (a floor not mapped)",
    "no_relationships": "no relationship features: lifts, stairs and the escalator are only stacked units",
    "missing_properties": "no venue display_point, levels without short_name or name, a unit and an "
    "opening without category, a footprint without building_ids",
    "overlaps": "first-floor rooms drawn 30 cm into the corridor, doors inside the overlap or inside the "
    "room, one room with no door at all",
    "one_language": "names in English only in a French venue, two in a non-Latin script",
    "outside_footprints": "the gallery belongs to no building footprint and its level to no building",
}


def case_names() -> list[str]:
    return ["tidy", *FAULTS, "all"]


def faults_of(case: str) -> set[str]:
    if case == "tidy":
        return set()
    if case == "all":
        return set(FAULTS)
    if case not in FAULTS:
        raise ValueError(f"no case {case!r}; cases: {', '.join(case_names())}")
    return {case}


class _Sketch:
    def __init__(self, case: str) -> None:
        self.case = case
        self.features: dict[str, list[dict[str, Any]]] = {}
        self.proj = LocalProjection(LON0, LAT0)

    def uid(self, key: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"untidy:{key}"))

    def add(self, ftype: str, key: str, props: dict[str, Any], geom: BaseGeometry | None = None) -> str:
        fid = self.uid(key)
        self.features.setdefault(ftype, []).append(
            {
                "id": fid,
                "type": "Feature",
                "feature_type": ftype,
                "geometry": None if geom is None else self.wgs(geom),
                "properties": props,
            }
        )
        return fid

    def wgs(self, geom: BaseGeometry) -> dict[str, Any]:
        rounded = self.proj.to_wgs84(geom)
        out: dict[str, Any] = json.loads(json.dumps(mapping(rounded)))
        return _round(out)

    def point(self, x: float, y: float) -> dict[str, Any]:
        return self.wgs(Point(x, y))

    def files(self, manifest: dict[str, Any]) -> dict[str, bytes]:
        out = {"manifest.json": _dumps(manifest)}
        for ftype, feats in sorted(self.features.items()):
            out[f"{ftype}.geojson"] = _dumps({"type": "FeatureCollection", "features": feats})
        return out


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)  # about 0.1 mm: what export tools write
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def _dumps(data: Any) -> bytes:
    if isinstance(data, dict) and isinstance(data.get("features"), list):  # one feature per line
        lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in data["features"]]
        body = ",\n".join(lines)
        return f'{{"type":"FeatureCollection","features":[\n{body}\n]}}\n'.encode()
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


#: Services: building, floor index (0, 1, 2), side, slot -> French, English, non-Latin name.
SERVICES: list[tuple[str, int, str, int, str, str, str | None]] = [
    ("H", 0, "S", 0, "Accueil des urgences", "Emergency reception", None),
    ("H", 0, "S", 2, "Radiologie", "Radiology", "放射科"),
    ("H", 0, "N", 1, "Pharmacie", "Pharmacy", "صيدلية"),
    ("H", 0, "N", 4, "Prélèvements", "Blood tests", None),
    ("H", 1, "S", 1, "Cardiologie", "Cardiology", None),
    ("H", 1, "S", 3, "Pneumologie", "Respiratory medicine", None),
    ("H", 1, "N", 2, "Dermatologie", "Dermatology", None),
    ("H", 2, "S", 2, "Pédiatrie", "Paediatrics", None),
    ("H", 2, "N", 5, "Ophtalmologie", "Ophthalmology", None),
    ("A", 0, "S", 1, "Rééducation", "Rehabilitation", None),
    ("A", 1, "N", 2, "Diabétologie", "Diabetes clinic", None),
]


def build(case: str) -> dict[str, bytes]:
    """The archive of *case* as file name -> bytes."""
    faults = faults_of(case)
    s = _Sketch(case)
    english = "one_language" in faults

    def label(fr: str, en: str, other: str | None = None) -> dict[str, str]:
        if not english:
            return {"fr": fr, "en": en}
        if other:
            return {"ar" if "\u0600" <= other[0] <= "\u06ff" else "zh": other}
        return {"en": en}

    venue_name = (
        {"en": "Lakeside Hospital"} if english else {"fr": "Hôpital du Lac", "en": "Lakeside Hospital"}
    )
    venue_props: dict[str, Any] = {"category": "healthcarefacility", "name": venue_name}
    if "missing_properties" not in faults:
        venue_props["display_point"] = s.point(20.0, 2.0)
    venue_props["address_id"] = None
    s.add("venue", "venue", venue_props, box(-20, -14, 66, 22))

    buildings = {
        "H": s.add(
            "building", "building/H", {"name": label("Bâtiment H", "Building H"), "category": "unspecified"}
        ),
        "A": s.add("building", "building/A", {"name": label("Annexe", "Annex"), "category": "unspecified"}),
    }
    h_ordinals = [0, 2, 3] if "skipped_ordinal" in faults else [0, 1, 2]
    floor_names = [
        ("Rez-de-chaussée", "Ground floor"),
        ("Premier étage", "First floor"),
        ("Deuxième étage", "Second floor"),
    ]
    levels: dict[tuple[str, int], str] = {}
    level_outline = {"H": box(-14, -6, 30, 13), "A": box(34, -6, 58, 9)}
    for b, ordinals in (("H", h_ordinals), ("A", [0, 1])):
        for i, ordinal in enumerate(ordinals):
            fr, en = floor_names[i]
            props: dict[str, Any] = {
                "category": "unspecified",
                "restriction": None,
                "outdoor": False,
                "ordinal": ordinal,
                "name": label(f"{fr} {b}", f"{en} {b}"),
                "short_name": {"fr": f"{b}{i}"} if not english else {"en": f"{b}{i}"},
                "display_point": s.point(*level_outline[b].representative_point().coords[0]),
                "building_ids": [buildings[b]],
            }
            if "missing_properties" in faults:
                del props["short_name"]
                if b == "A":
                    props["name"] = None
            levels[b, i] = s.add("level", f"level/{b}{i}", props, level_outline[b])
    gallery_level = levels["H", 0]
    if "outside_footprints" in faults:
        gallery_level = s.add(
            "level",
            "level/gallery",
            {"category": "unspecified", "outdoor": False, "ordinal": 0, "name": label("Galerie", "Gallery")}
            | ({} if "missing_properties" in faults else {"short_name": {"fr": "G"}}),
            box(30, 0, 34, 3),
        )
    for b, outline in (("H", box(-14, -6, 30, 13)), ("A", box(34, -6, 58, 9))):
        if b == "H" and "outside_footprints" not in faults:  # else the gallery is in neither
            outline = unary_union([outline, box(30, 0, 34, 3)]).envelope
        props = {"category": "ground", "name": None, "building_ids": [buildings[b]]}
        if "missing_properties" in faults and b == "A":
            del props["building_ids"]
        s.add("footprint", f"footprint/{b}", props, outline)

    units: dict[str, str] = {}
    openings: list[tuple[str, LineString, str, dict[str, Any]]] = []

    def unit(
        key: str, level: str, category: str, geom: BaseGeometry, name: dict[str, str] | None = None
    ) -> str:
        props: dict[str, Any] = {
            "category": category,
            "restriction": None,
            "accessibility": None,
            "name": name,
            "alt_name": None,
            "level_id": level,
            "display_point": s.point(*geom.representative_point().coords[0]) if name else None,
        }
        if "missing_properties" in faults and key == "A1/room-N3":
            del props["category"]
        uid = s.add("unit", key, props, geom)
        units[key] = uid
        return uid

    def opening(key: str, level: str, line: LineString, category: str = "pedestrian") -> None:
        props: dict[str, Any] = {
            "category": category,
            "accessibility": None,
            "access_control": None,
            "door": {"type": "hinged", "automatic": False, "material": "wood"},
            "name": None,
            "alt_name": None,
            "display_point": None,
            "level_id": level,
        }
        if "missing_properties" in faults and key == "H0/room-S1/door":
            del props["category"]
        s.add("opening", key, props, line)

    services = {(b, f, side, slot): (fr, en, other) for b, f, side, slot, fr, en, other in SERVICES}
    vertical: dict[str, list[str]] = {}

    def wing(b: str, f: int, x0: float, rooms: int, tail: float = 0.0) -> None:
        level = levels[b, f]
        prefix = f"{b}{f}"
        length = rooms * 5.0 + tail
        unit(f"{prefix}/corridor", level, "walkway", box(x0, 0, x0 + length, 3))
        for side in ("S", "N"):
            for slot in range(rooms):
                x = x0 + 5.0 * slot
                key = f"{prefix}/room-{side}{slot}"
                gap = 0.15 if ("wall_gaps" in faults and b == "H" and f == 0 and side == "N") else 0.0
                into = 0.3 if ("overlaps" in faults and b == "H" and f == 1 and side == "S") else 0.0
                if side == "S":
                    geom = box(x, -6, x + 5, 0 + into)
                    wall = LineString([(x + 1.9, 0.0), (x + 3.1, 0.0)])
                else:
                    geom = box(x, 3 + gap, x + 5, 9)
                    wall = LineString([(x + 1.9, 3.0 + gap), (x + 3.1, 3.0 + gap)])
                service = services.get((b, f, side, slot))
                category = "restroom" if slot == rooms - 1 and side == "S" else "room"
                name = label(*service) if service else None
                if category == "restroom":
                    name = label("Toilettes", "Toilets")
                unit(key, level, category, geom, name)
                doorless = (
                    "doorless" in faults and ((b == "H" and f == 0) or (b == "A" and f == 1)) and slot != 0
                )
                if into:
                    if slot == 1:
                        continue  # reachable only through the overlap
                    # Drawn by hand: inside the overlap, or 30 cm inside the room.
                    shift = -0.3 if slot == 2 else 0.15
                    wall = LineString([(x + 1.9, shift), (x + 3.1, shift)])
                if not doorless:
                    openings.append((f"{key}/door", wall, level, {}))
        # An inner office behind the first north room, entered through it.
        key = f"{prefix}/office"
        unit(key, level, "office", box(x0, 9, x0 + 5, 13))
        if not ("doorless" in faults and b == "H" and f == 0):
            openings.append((f"{key}/door", LineString([(x0 + 1.9, 9.0), (x0 + 3.1, 9.0)]), level, {}))

    for f in range(3):
        level = levels["H", f]
        wing("H", f, 0.0, 6)
        # Hall (ground floor) or landing (upper floors) west of the corridor.
        hall_name = label("Hall d'accueil", "Main hall") if f == 0 else label("Palier", "Landing")
        unit(f"H{f}/hall", level, "lobby", box(-14, -6, 0, 9), hall_name)
        # Lift and stairs north of the hall, stacked; drawn a little differently on each floor.
        shift = 0.3 * f
        lift = unit(
            f"H{f}/lift",
            level,
            "elevator",
            box(-13 + shift, 9, -10.2 + shift, 12),
            label("Ascenseur H", "Lift H"),
        )
        openings.append(
            (f"H{f}/lift/door", LineString([(-12.2 + shift, 9.0), (-11.0 + shift, 9.0)]), level, {})
        )
        stairs = unit(
            f"H{f}/stairs", level, "stairs", box(-8 - shift / 2, 9, -4, 13), label("Escalier H", "Stairs H")
        )
        openings.append((f"H{f}/stairs/door", LineString([(-6.6, 9.0), (-5.4, 9.0)]), level, {}))
        vertical.setdefault("elevator:H", []).append(lift)
        vertical.setdefault("stairs:H", []).append(stairs)
    # The escalator: drawn on the ground floor inside the hall's south-west corner, it
    # lands on the first floor's landing above it.
    esc = unit(
        "H0/escalator", levels["H", 0], "escalator", box(-14, -6, -11, 0), label("Escalator", "Escalator")
    )
    s_hall = units["H0/hall"]
    # The hall surrounds the escalator on two sides: cut it out of the hall.
    for feat in s.features["unit"]:
        if feat["id"] == s_hall:
            feat["geometry"] = s.wgs(box(-14, -6, 0, 9).difference(box(-14, -6, -11, 0)))
    openings.append(("H0/escalator/foot", LineString([(-11.0, -1.5), (-11.0, -0.3)]), levels["H", 0], {}))
    if "no_entrance" not in faults:
        openings.append(
            ("H0/entrance", LineString([(-14.0, 3.0), (-14.0, 6.0)]), levels["H", 0], {"principal": True})
        )

    for f in range(2):
        level = levels["A", f]
        wing("A", f, 34.0, 4, tail=4.0)  # the corridor goes on past the rooms to the lift and stairs
        lift = unit(f"A{f}/lift", level, "elevator", box(54, -4, 57, 0), label("Ascenseur A", "Lift A"))
        openings.append((f"A{f}/lift/door", LineString([(54.9, 0.0), (56.1, 0.0)]), level, {}))
        stairs = unit(f"A{f}/stairs", level, "stairs", box(54, 3, 58, 8), label("Escalier A", "Stairs A"))
        openings.append((f"A{f}/stairs/door", LineString([(55.4, 3.0), (56.6, 3.0)]), level, {}))
        vertical.setdefault("elevator:A", []).append(lift)
        vertical.setdefault("stairs:A", []).append(stairs)
    unit("gallery", gallery_level, "walkway", box(30, 0, 34, 3), label("Galerie H-A", "H-A gallery"))

    for key, line, level, extra in openings:
        opening(key, level, line, "pedestrian.principal" if extra.get("principal") else "pedestrian")

    if "no_relationships" not in faults:
        for key, chain in vertical.items():
            category = key.split(":")[0]
            s.add(
                "relationship",
                f"relationship/{key}",
                {
                    "category": category,
                    "direction": "undirected",
                    "origin": {"id": chain[0], "feature_type": "unit"},
                    "intermediary": [{"id": u, "feature_type": "unit"} for u in chain[1:-1]] or None,
                    "destination": {"id": chain[-1], "feature_type": "unit"},
                    "hours": None,
                    "name": None,
                },
            )
        s.add(
            "relationship",
            "relationship/escalator:H",
            {
                "category": "escalator",
                "direction": "undirected",
                "origin": {"id": esc, "feature_type": "unit"},
                "intermediary": None,
                "destination": {"id": units["H1/hall"], "feature_type": "unit"},
                "hours": None,
                "name": None,
            },
        )

    # Occupants and amenities.
    for b, f, side, slot, fr, en, other in SERVICES:
        key = f"{b}{f}/room-{side}{slot}"
        room = _room_box(b, slot, side)
        anchor = s.add("anchor", f"anchor/{key}", {"unit_id": units[key], "address_id": None}, room.centroid)
        s.add(
            "occupant",
            f"occupant/{key}",
            {"category": "medicalservice", "name": label(fr, en, other), "anchor_id": anchor},
        )
    for b, f, rooms in (("H", 0, 6), ("H", 1, 6), ("H", 2, 6), ("A", 0, 4), ("A", 1, 4)):
        key = f"{b}{f}/room-S{rooms - 1}"
        room = _room_box(b, rooms - 1, "S")
        s.add(
            "amenity",
            f"amenity/{key}",
            {"category": "restroom", "name": label("Toilettes", "Toilets"), "unit_ids": [units[key]]},
            room.centroid,
        )
    manifest = {
        "version": "1.0.0",
        "created": "2026-11-30T12:00:00Z",
        "generated_by": {"name": f"tests/floorplans/untidy.py ({case})"},
        "language": "fr-FR",
    }
    return s.files(manifest)


def _room_box(b: str, slot: int, side: str) -> BaseGeometry:
    """The part of a room that every case has in common (for anchors and amenities)."""
    x0 = 0.0 if b == "H" else 34.0
    x = x0 + 5.0 * slot
    return box(x, -6, x + 5, 0) if side == "S" else box(x, 3.2, x + 5, 9)


def write_all(root: Path = ROOT) -> list[Path]:
    written = []
    for case in case_names():
        folder = root / case
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for name, data in build(case).items():
            (folder / name).write_bytes(data)
        written.append(folder)
    return written


if __name__ == "__main__":
    for folder in write_all():
        print(folder, file=sys.stderr)
