"""Synthetic hospitals of any size, for benchmarks and property tests.

``generate_hospital(buildings=10, levels=10, rooms_per_level=100, seed=1)``
gives a valid venue of 10,000 rooms: each building is a long double-loaded
corridor per floor with a lift-and-stairs core every ten rooms (one lift of
each core is a staff-only bed lift), an entrance hall with a kiosk on the
ground floor, ground-floor galleries between neighbouring buildings and a
footbridge on the second floor, staff-only rooms, departments (occupants),
accessible toilets on every floor and BLE receivers. The same seed gives
the same venue, ids included.
"""

from __future__ import annotations

import random

from shapely import box
from shapely.geometry import Point

from floorplans.model import Venue
from simulators.builder import Room, VenueBuilder

SPECIALTIES = [
    ("Cardiologie", "Cardiology"),
    ("Radiologie", "Radiology"),
    ("Neurologie", "Neurology"),
    ("Pneumologie", "Respiratory medicine"),
    ("Oncologie", "Oncology"),
    ("Néphrologie", "Nephrology"),
    ("Dermatologie", "Dermatology"),
    ("Ophtalmologie", "Ophthalmology"),
    ("Pédiatrie", "Paediatrics"),
    ("Gériatrie", "Geriatrics"),
    ("Rhumatologie", "Rheumatology"),
    ("Hématologie", "Haematology"),
    ("Urologie", "Urology"),
    ("Orthopédie", "Orthopaedics"),
    ("Gastro-entérologie", "Gastroenterology"),
    ("Endocrinologie", "Endocrinology"),
]

ROOMS_PER_CORE = 10
GAP_M = 20.0
CORRIDOR_Y = 8.0


def generate_hospital(*, buildings: int, levels: int, rooms_per_level: int, seed: int = 0) -> Venue:
    if not (1 <= buildings <= 50 and 1 <= levels <= 50 and 2 <= rooms_per_level <= 500):
        raise ValueError("buildings and levels must be within 1..50, rooms per level 2..500")
    rng = random.Random(seed)
    b = VenueBuilder(
        f"synthetic-{buildings}x{levels}x{rooms_per_level}-seed{seed}",
        name={"fr": f"Hôpital synthétique {seed}", "en": f"Synthetic hospital {seed}"},
        lon0=2.35 + seed % 100 * 0.001,
        lat0=48.85,
    )
    x0 = 0.0
    previous: dict[int, str] | None = None  # floor -> corridor unit id of previous building
    for bi in range(buildings):
        bid = b.building(f"b{bi}", {"fr": f"Bâtiment {bi + 1}", "en": f"Building {bi + 1}"})
        south_n = rooms_per_level // 2
        north_n = rooms_per_level - south_n
        widths_s = [rng.choice((5.0, 6.0, 6.0, 7.0)) for _ in range(south_n)]
        widths_n = [rng.choice((5.0, 6.0, 6.0, 7.0)) for _ in range(north_n)]
        cores = max(1, north_n // ROOMS_PER_CORE)
        core_every = max(1, north_n // cores)
        corridors: dict[int, str] = {}
        core_units: dict[str, list[str]] = {}
        for lv in range(levels):
            lid = b.level(
                f"b{bi}/l{lv}",
                bid,
                lv,
                {"fr": f"Niveau {lv}", "en": f"Level {lv}"},
                {"fr": str(lv), "en": str(lv)},
            )
            south: list[Room] = []
            if lv == 0:
                south.append(
                    Room("hall", 12.0, "lobby", {"fr": f"Hall {bi + 1}", "en": f"Hall {bi + 1}"}, door=False)
                )
            for i, w in enumerate(widths_s):
                south.append(_room(rng, f"s{i}", w, bi, lv, i))
            north: list[Room] = []
            for i, w in enumerate(widths_n):
                if i % core_every == 0 and i // core_every < cores:
                    c = i // core_every
                    north += [
                        Room(
                            f"core{c}-lift",
                            3.0,
                            "elevator",
                            {"fr": f"Ascenseur {bi + 1}.{c + 1}", "en": f"Lift {bi + 1}.{c + 1}"},
                            depth=4.0,
                        ),
                        Room(
                            f"core{c}-bedlift",
                            3.0,
                            "elevator",
                            {"fr": f"Monte-malades {bi + 1}.{c + 1}", "en": f"Bed lift {bi + 1}.{c + 1}"},
                            restriction="employeesonly",
                            depth=5.0,
                        ),
                        Room(
                            f"core{c}-stairs",
                            6.0,
                            "stairs",
                            {"fr": f"Escalier {bi + 1}.{c + 1}", "en": f"Stairs {bi + 1}.{c + 1}"},
                        ),
                    ]
                north.append(_room(rng, f"n{i}", w, bi, lv, rooms_per_level // 2 + i))
            if lv == 0:
                north[-1] = Room(
                    north[-1].key,
                    north[-1].width,
                    "restroom.unisex.wheelchair",
                    {"fr": "Toilettes", "en": "Toilets"},
                    accessibility=["wheelchair"],
                )
            else:
                south[-1] = Room(
                    south[-1].key,
                    south[-1].width,
                    "restroom.unisex.wheelchair",
                    {"fr": "Toilettes", "en": "Toilets"},
                    accessibility=["wheelchair"],
                )
            ids = b.wing(
                f"b{bi}/l{lv}",
                lid,
                x0=x0,
                y0=0.0,
                south=south,
                north=north,
                corridor_name={"fr": f"Couloir {bi + 1}.{lv}", "en": f"Corridor {bi + 1}.{lv}"},
            )
            corridors[lv] = ids["corridor"]
            for key, uid in ids.items():
                unit = b.venue.units[uid]
                if key.startswith("core"):
                    core_units.setdefault(key, []).append(uid)
                    if unit.category == "elevator" and unit.public:
                        b.amenity(f"b{bi}/l{lv}/{key}/amenity", uid, "elevator", name=unit.name)
                elif unit.category.startswith("restroom"):
                    b.amenity(
                        f"b{bi}/l{lv}/{key}/amenity",
                        uid,
                        "restroom.unisex.wheelchair",
                        name={"fr": "Toilettes accessibles", "en": "Accessible toilets"},
                        accessibility=["wheelchair"],
                    )
                elif unit.category == "room" and unit.public and unit.name and key.endswith(("0", "4", "8")):
                    b.occupant(f"b{bi}/l{lv}/{key}/occ", uid, unit.name)
                if unit.category == "walkway":
                    minx, miny, maxx, maxy = unit.geometry.bounds
                    for k in range(int((maxx - minx) // 15)):
                        b.receiver(f"b{bi}/l{lv}/c{k}", uid, Point(minx + 7.5 + 15 * k, (miny + maxy) / 2))
            if lv == 0:
                hall = ids["hall"]
                b.entrance(
                    f"b{bi}/entrance",
                    hall,
                    Point(x0 + 6.0, 0.0),
                    width=2.4,
                    category="pedestrian.principal",
                    name={"fr": f"Entrée du bâtiment {bi + 1}", "en": f"Building {bi + 1} entrance"},
                )
                b.kiosk(
                    f"b{bi}/kiosk",
                    hall,
                    Point(x0 + 9.0, 3.0),
                    facing=0.0,
                    name={"fr": f"Borne du hall {bi + 1}", "en": f"Hall {bi + 1} kiosk"},
                )
        for key, chain in core_units.items():
            cat = b.venue.units[chain[0]].category
            if len(chain) > 1:
                b.relationship(f"b{bi}/{key}/rel", cat, chain, name=b.venue.units[chain[0]].name)
        length = max(b.venue.units[c].geometry.bounds[2] for c in corridors.values()) - x0
        if previous is not None:
            for lv in sorted({0, min(2, levels - 1)}):
                px = b.venue.units[previous[lv]].geometry.bounds[2]
                lid = b.venue.units[corridors[lv]].level_id
                category = "walkway" if lv == 0 else "footbridge"
                link = b.unit(
                    f"b{bi}/link{lv}",
                    lid,
                    category,
                    box(px, CORRIDOR_Y, x0, CORRIDOR_Y + 3.0),
                    name={"fr": f"Galerie vers le bâtiment {bi + 1}", "en": f"Gallery to building {bi + 1}"},
                )
                b.door(
                    f"b{bi}/link{lv}/door",
                    link,
                    corridors[lv],
                    width=2.4,
                    name={"fr": f"Portes du bâtiment {bi + 1}", "en": f"Building {bi + 1} doors"},
                )
        previous = corridors
        x0 += length + GAP_M
    return b.finish()


def _room(rng: random.Random, key: str, width: float, bi: int, lv: int, i: int) -> Room:
    fr, en = SPECIALTIES[(bi * 7 + lv * 3 + i // 6) % len(SPECIALTIES)]
    code = f"{bi + 1}.{lv}.{i + 1:03d}"
    if rng.random() < 0.15:
        return Room(
            key,
            width,
            "office",
            {"fr": f"Bureau {code}", "en": f"Office {code}"},
            restriction="employeesonly",
        )
    return Room(key, width, "room", {"fr": f"{fr} {code}", "en": f"{en} {code}"})
