"""A generated hospital floor whose walkable spaces are concave: an L-shaped corridor,
a U-shaped hall with places in both of its arms, rooms on every side, two floors
joined by a lift and stairs. Directions there must follow the bends the way a
person walks them; ``generate_hospital`` only makes straight corridors."""

from __future__ import annotations

import random

from shapely.geometry import Point, Polygon, box

from floorplans import Venue
from floorplans.model import Label
from simulators.builder import VenueBuilder

SERVICES: list[tuple[str, str]] = [
    ("Cardiologie", "Cardiology"),
    ("Radiologie", "Radiology"),
    ("Pneumologie", "Respiratory medicine"),
    ("Neurologie", "Neurology"),
    ("Dermatologie", "Dermatology"),
    ("Endoscopie", "Endoscopy"),
    ("Ophtalmologie", "Ophthalmology"),
    ("Hôpital de jour", "Day hospital"),
    ("Accueil des consultations", "Outpatient reception"),
    ("Imagerie", "Imaging"),
    ("Orthopédie", "Orthopaedics"),
    ("Urologie", "Urology"),
    ("Salle d'attente", "Waiting room"),
    ("Laboratoire", "Laboratory"),
    ("Pharmacie", "Pharmacy"),
    ("Oncologie", "Oncology"),
]


def _l(fr: str, en: str) -> Label:
    return {"fr": fr, "en": en}


def concave_hospital(seed: int = 0) -> Venue:
    rng = random.Random(seed)
    b = VenueBuilder(
        f"concave-{seed}",
        name=_l("Hôpital aux couloirs coudés", "Hospital with bent corridors"),
        lon0=4.8,
        lat0=45.7,
    )
    bid = b.building("b", _l("Bâtiment principal", "Main building"))
    names = iter(rng.sample(SERVICES, len(SERVICES)) * 4)
    lifts, stairs = [], []
    for lv in (0, 1):
        lid = b.level(f"l{lv}", bid, lv, _l(f"Niveau {lv}", f"Level {lv}"), _l(str(lv), str(lv)))
        corridor = b.unit(
            f"l{lv}/corridor",
            lid,
            "walkway",
            Polygon([(0, 10), (60, 10), (60, 50), (57, 50), (57, 13), (0, 13)]),
            name=_l(f"Couloir coudé, niveau {lv}", f"Bent corridor, level {lv}"),
        )
        hall = b.unit(
            f"l{lv}/hall",
            lid,
            "lobby",
            Polygon([(-20, 0), (0, 0), (0, 30), (-6, 30), (-6, 8), (-14, 8), (-14, 30), (-20, 30)]),
            name=_l(
                "Hall d'accueil" if lv == 0 else "Hall des consultations",
                "Main hall" if lv == 0 else "Clinic hall",
            ),
        )
        b.door(f"l{lv}/hall-corridor", hall, corridor, width=2.8)
        notch = b.unit(f"l{lv}/notch", lid, "room", box(-14, 8, -6, 14), name=_l(*next(names)))
        b.door(f"l{lv}/notch/door", notch, hall, near=Point(-10, 8))
        rooms: list[tuple[str, Polygon]] = []
        x = 0.0
        while x < 54:
            w = rng.choice((5.0, 6.0, 7.0))
            rooms.append((f"s{x:g}", box(x, 4, min(x + w, 57), 10)))
            if x + w <= 54:
                rooms.append((f"n{x:g}", box(x, 13, x + w, 19)))
            x += w
        y = 10.0
        while y < 44:
            h = rng.choice((5.0, 6.0))
            rooms.append((f"e{y:g}", box(60, y, 66, min(y + h, 46))))
            if y >= 19:
                rooms.append((f"w{y:g}", box(51, y, 57, min(y + h, 50))))
            y += h
        for key, geom in rooms:
            fr, en = next(names)
            uid = b.unit(f"l{lv}/{key}", lid, "room", geom, name=_l(fr, en))
            b.door(f"l{lv}/{key}/door", uid, corridor, width=1.2)
            if rng.random() < 0.5:
                b.occupant(f"l{lv}/{key}/occupant", uid, _l(fr, en))
        lift = b.unit(f"l{lv}/lift", lid, "elevator", box(57, 50, 60, 54), name=_l("Ascenseur", "Lift"))
        b.door(f"l{lv}/lift/door", lift, corridor, width=1.0)
        stair = b.unit(f"l{lv}/stairs", lid, "stairs", box(60, 46, 66, 52), name=_l("Escalier", "Stairs"))
        b.door(f"l{lv}/stairs/door", stair, corridor, width=1.4)
        lifts.append(lift)
        stairs.append(stair)
        for key, category, name, at in (
            ("aed", "defibrillator", _l("Défibrillateur", "Defibrillator"), Point(-17, 27)),
            ("water", "drinkingwater", _l("Fontaine à eau", "Water fountain"), Point(-3, 27)),
        ):
            # One in each arm of the U: the way between them goes round the notch.
            b.amenity(f"l{lv}/{key}", hall, category, name=name, point=at)
        if lv == 0:
            b.entrance("entrance", hall, Point(-10, 0), name=_l("Entrée principale", "Main entrance"))
            b.kiosk("kiosk", hall, Point(-10, 3), facing=0.0, name=_l("Borne du hall", "Hall kiosk"))
    b.relationship("lift", "elevator", lifts, name=_l("Ascenseur", "Lift"))
    b.relationship("stairs", "stairs", stairs, name=_l("Escalier", "Stairs"))
    return b.finish()
