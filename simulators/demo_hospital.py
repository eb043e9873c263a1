"""The demo hospital: a fictional French university hospital, "CHU Sainte-Lumière".

This script is the recipe; its output is shipped with the package as IMDF in
``floorplans/data/demo-hospital/`` and is the default venue everywhere. To
change the hospital, change this file and run::

    python -m simulators.demo_hospital            # rewrites floorplans/data/demo-hospital/

Three buildings on four floors (-1 to 2):

- A, "Bâtiment A" (alt_name "Accueil et consultations"): main entrance and hall,
  admissions, cafeteria, chapel, laboratory, pharmacy; car-park entrance in
  the basement; consultations upstairs; lifts A1 and A2, stairs A.
- B, "Bâtiment B" (alt_name "Plateau technique"): emergency entrance and department,
  radiology, intensive care, operating suite (staff only) and recovery room
  on level 2; public lift B, stairs B and the staff-only bed lift.
- C, "Bâtiment C" (alt_name "Femme-enfant et ambulatoire", levels 0 to 2): reached from
  A by a gallery with a ramp and a flight of steps (level 0, rising towards C:
  their ``uphill`` bearing) and by a footbridge (level 1); the ambulatory
  surgery unit (UCA) on level 1. Directions name a building by its name, the
  short one said aloud; ``alt_name`` says what is in it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from shapely import box
from shapely.geometry import Point

from floorplans.data import DEMO_PATH
from floorplans.model import Label, Venue
from simulators.builder import Room, VenueBuilder

EMPLOYEES = "employeesonly"


def L(fr: str, en: str) -> Label:  # noqa: N802 - reads like a label literal
    return {"fr": fr, "en": en}


def K(fr: list[str], en: list[str]) -> dict[str, list[str]]:  # noqa: N802
    return {"fr": fr, "en": en}


def staff(key: str, width: float, fr: str, en: str, category: str = "room") -> Room:
    return Room(key, width, category, L(fr, en), restriction=EMPLOYEES)


def room(key: str, width: float, fr: str, en: str, category: str = "room", **kw: object) -> Room:
    return Room(key, width, category, L(fr, en), **kw)  # type: ignore[arg-type]


def toilets(key: str, width: float = 6.0) -> Room:
    return Room(
        key, width, "restroom.unisex.wheelchair", L("Toilettes", "Toilets"), accessibility=["wheelchair"]
    )


def passage(key: str, fr: str, en: str) -> Room:
    return Room(key, 6.0, "walkway", L(fr, en), door=False)


LIFT_A1 = Room("lift-a1", 3.0, "elevator", L("Ascenseur A1", "Lift A1"), depth=4.0)
LIFT_A2 = Room("lift-a2", 3.0, "elevator", L("Ascenseur A2", "Lift A2"), depth=4.0)
STAIRS_A = Room("stairs-a", 6.0, "stairs", L("Escalier A", "Stairs A"))
LIFT_B = Room("lift-b", 3.0, "elevator", L("Ascenseur B", "Lift B"), depth=4.0)
STAIRS_B = Room("stairs-b", 6.0, "stairs", L("Escalier B", "Stairs B"))
BED_LIFT = Room("bed-lift", 3.0, "elevator", L("Monte-malades", "Bed lift"), restriction=EMPLOYEES, depth=6.0)
LIFT_C = Room("lift-c", 3.0, "elevator", L("Ascenseur C", "Lift C"), depth=4.0)
STAIRS_C = Room("stairs-c", 6.0, "stairs", L("Escalier C", "Stairs C"))

LEVEL_NAMES = {
    -1: (L("Niveau -1 — Sous-sol", "Level -1 — Basement"), L("-1", "-1")),
    0: (L("Rez-de-chaussée", "Ground floor"), L("0", "0")),
    1: (L("Niveau 1", "Level 1"), L("1", "1")),
    2: (L("Niveau 2", "Level 2"), L("2", "2")),
}


def build_demo_hospital() -> Venue:
    b = VenueBuilder(
        "demo-hospital-v1",
        name=L("CHU Sainte-Lumière", "Sainte-Lumière University Hospital"),
        lon0=4.8357,
        lat0=45.7640,
        language="fr-FR",
    )
    bldg = {
        "A": b.building(
            "A",
            L("Bâtiment A", "Building A"),
            alt_name=L("Accueil et consultations", "Main hall and outpatient clinics"),
        ),
        "B": b.building(
            "B",
            L("Bâtiment B", "Building B"),
            alt_name=L("Plateau technique", "Diagnostics, emergency and surgery"),
        ),
        "C": b.building(
            "C",
            L("Bâtiment C", "Building C"),
            alt_name=L("Femme-enfant et ambulatoire", "Women, children and day surgery"),
        ),
    }
    lv: dict[str, str] = {}
    for name, ordinals in (("A", (-1, 0, 1, 2)), ("B", (-1, 0, 1, 2)), ("C", (0, 1, 2))):
        for o in ordinals:
            full, short = LEVEL_NAMES[o]
            lv[f"{name}{o}"] = b.level(f"level/{name}{o}", bldg[name], o, full, short)

    u: dict[str, dict[str, str]] = {}  # level key -> room key -> unit id

    # ---------------------------------------------------------------- building A (x 0..72)
    def a_wing(
        o: int, south: list[Room], north_west: list[Room], north_east: list[Room], link: Room | None = None
    ) -> None:
        north = [
            *north_west,
            link or room(f"a{o}-n30", 6, "Réserve", "Store", "storage", restriction=EMPLOYEES),
            room(f"a{o}-n36", 6, "Point information", "Information point")
            if o == 0
            else staff(f"a{o}-n36", 6, "Bureau", "Office", "office"),
            LIFT_A1,
            LIFT_A2,
            STAIRS_A,
            *north_east,
        ]
        u[f"A{o}"] = b.wing(
            f"A{o}",
            lv[f"A{o}"],
            x0=0,
            y0=0,
            south=south,
            north=north,
            corridor_name=L(f"Couloir A, niveau {o}", f"Corridor A, level {o}"),
        )

    a_wing(
        -1,
        [
            room("hall-parking", 12, "Hall du parking", "Car park hall", "lobby", door=False),
            staff("lockers", 6, "Vestiaires du personnel", "Staff changing rooms"),
            staff("kitchen", 12, "Cuisine centrale", "Central kitchen", "kitchen"),
            staff("archives", 6, "Archives médicales", "Medical records", "storage"),
            toilets("wc-a-1"),
            staff("tech-a", 6, "Local technique", "Plant room"),
            staff("rest-staff", 6, "Salle de repos du personnel", "Staff room"),
            staff("laundry", 12, "Lingerie", "Linen room"),
        ],
        [
            staff("pui", 12, "Pharmacie à usage intérieur", "Hospital pharmacy stores"),
            staff("pui-stock", 6, "Stock pharmacie", "Pharmacy stock", "storage"),
            staff("depot", 12, "Magasin général", "General stores", "storage"),
        ],
        [
            staff("security", 6, "Poste de sécurité", "Security office", "office"),
            staff("it", 12, "Informatique", "IT department", "serverroom"),
        ],
    )
    a_wing(
        0,
        [
            room("lab", 12, "Laboratoire de prélèvements", "Blood sampling laboratory", "laboratory"),
            toilets("wc-a0"),
            room("social", 6, "Service social", "Social services", "office"),
            room("hall", 18, "Hall d'accueil", "Main hall", "lobby", door=False),
            room("cafeteria", 12, "Cafétéria", "Cafeteria", "foodservice"),
            room("shop", 6, "Boutique presse", "Newsagent", "room"),
            room("pharmacy", 12, "Pharmacie", "Pharmacy", "room"),
        ],
        [
            room("admissions", 12, "Accueil — Admissions", "Reception — Admissions", "office"),
            room("users-house", 6, "Maison des usagers", "Patients' association office", "office"),
            room("chapel", 6, "Chapelle", "Chapel", "room"),
            room("consult-a0", 6, "Consultation de médecine générale", "General practice", "room"),
        ],
        [
            room("consult-a0-1", 6, "Consultation 1", "Consulting room 1"),
            room("consult-a0-2", 6, "Consultation 2", "Consulting room 2"),
            room("consult-a0-3", 6, "Consultation 3", "Consulting room 3"),
        ],
        link=passage("to-c", "Galerie A–C", "Gallery A–C"),
    )
    a_wing(
        1,
        [
            room("cardio", 12, "Cardiologie", "Cardiology"),
            room("cardio-wait", 6, "Salle d'attente cardiologie", "Cardiology waiting room", "waitingroom"),
            room("ecg", 6, "Épreuves d'effort et ECG", "Stress tests and ECG"),
            room("pneumo", 12, "Pneumologie", "Respiratory medicine"),
            toilets("wc-a1"),
            room("neuro", 12, "Neurologie", "Neurology"),
            room("rhumato", 12, "Rhumatologie", "Rheumatology"),
            room("wait-a1", 6, "Salle d'attente", "Waiting room", "waitingroom"),
        ],
        [
            room("gastro", 12, "Gastro-entérologie", "Gastroenterology"),
            room("endoc", 12, "Endocrinologie — Diabétologie", "Endocrinology — Diabetes"),
            staff("nurses-a1", 6, "Bureau infirmier", "Nurses' office", "office"),
        ],
        [room("day-hospital", 18, "Hôpital de jour de médecine", "Medical day hospital")],
        link=passage("to-bridge", "Accès à la passerelle", "Way to the footbridge"),
    )
    a_wing(
        2,
        [room(f"ch-{200 + i}", 6, f"Chambre {200 + i}", f"Room {200 + i}") for i in range(1, 13)],
        [room(f"ch-{212 + i}", 6, f"Chambre {212 + i}", f"Room {212 + i}") for i in range(1, 6)],
        [
            staff("care-a2", 6, "Salle de soins", "Treatment room"),
            room("families-a2", 6, "Salon des familles", "Family lounge", "lounge"),
            room("ch-218", 6, "Chambre 218", "Room 218"),
        ],
    )

    # ---------------------------------------------------------------- building B (x 86..146)
    def b_wing(
        o: int,
        south: list[Room],
        north_west: list[Room],
        north_east: list[Room],
        split_at: float | None = None,
    ) -> None:
        north = [*north_west, LIFT_B, STAIRS_B, BED_LIFT, *north_east]
        u[f"B{o}"] = b.wing(
            f"B{o}",
            lv[f"B{o}"],
            x0=86,
            y0=0,
            south=south,
            north=north,
            corridor_name=L(f"Couloir B, niveau {o}", f"Corridor B, level {o}"),
        )

    b_wing(
        -1,
        [
            staff("steril", 12, "Stérilisation", "Sterile services"),
            staff("mortuary", 12, "Chambre mortuaire", "Mortuary"),
            staff("tech-b", 12, "Local technique", "Plant room"),
            staff("stores-b", 12, "Magasin", "Stores", "storage"),
            staff("lockers-b", 12, "Vestiaires", "Changing rooms"),
        ],
        [
            staff("central-lab", 12, "Laboratoire central", "Central laboratory", "laboratory"),
            staff("biobank", 12, "Biobanque", "Biobank", "laboratory"),
        ],
        [
            staff("archives-b", 12, "Archives", "Archives", "storage"),
            staff("ambulance-garage", 12, "Garage des ambulances", "Ambulance garage"),
        ],
    )
    b_wing(
        0,
        [
            room("radio", 12, "Radiologie", "Radiology"),
            room("radio-wait", 6, "Salle d'attente radiologie", "Radiology waiting room", "waitingroom"),
            room("ct", 6, "Scanner", "CT scanner"),
            room("mri", 6, "IRM", "MRI"),
            room("echo", 6, "Échographie", "Ultrasound"),
            room("er-wait", 12, "Salle d'attente des urgences", "Emergency waiting room", "waitingroom"),
            room("er", 12, "Accueil des urgences", "Emergency reception"),
        ],
        [
            room("xray", 6, "Radiographie", "X-ray"),
            room("radio-changing", 6, "Cabines de déshabillage", "Changing cubicles"),
            toilets("wc-b0"),
            room("mammo", 6, "Mammographie", "Mammography"),
        ],
        [staff(f"er-box-{i}", 6, f"Box d'urgences {i}", f"Emergency cubicle {i}") for i in range(1, 5)],
    )
    b_wing(
        1,
        [
            room("endoscopy", 12, "Endoscopie", "Endoscopy"),
            room("cath-lab", 12, "Cardiologie interventionnelle", "Cardiac catheter laboratory"),
            room("wait-b1", 6, "Salle d'attente", "Waiting room", "waitingroom"),
            staff("icu", 18, "Réanimation", "Intensive care unit"),
            staff("icu-2", 12, "Soins intensifs", "High dependency unit"),
        ],
        [
            room("day-hospital-b", 12, "Hôpital de jour de chirurgie", "Surgical day hospital"),
            room("anaesthesia", 12, "Consultation d'anesthésie", "Anaesthesia clinic"),
        ],
        [staff("icu-3", 12, "Réanimation — chambres", "Intensive care — rooms"), toilets("wc-b1", 12)],
    )
    # Level 2: the operating suite behind a badge door at x = 119.
    u["B2"] = b.wing(
        "B2",
        lv["B2"],
        x0=86,
        y0=0,
        south=[
            room("families-bloc", 12, "Salon des familles du bloc", "Theatre family lounge", "waitingroom"),
            room("bloc-reception", 12, "Accueil du bloc opératoire", "Operating theatres reception"),
            staff("bloc-office", 9, "Bureau du cadre de bloc", "Theatre manager's office", "office"),
            staff("or-1", 6, "Salle d'opération 1", "Operating theatre 1"),
            staff("or-2", 6, "Salle d'opération 2", "Operating theatre 2"),
            staff("or-3", 6, "Salle d'opération 3", "Operating theatre 3"),
            staff("sterile-store", 9, "Arsenal stérile", "Sterile store", "storage"),
        ],
        north=[
            staff("bloc-changing", 12, "Vestiaires du bloc", "Theatre changing rooms"),
            staff("induction", 12, "Salle de préparation", "Anaesthetic room"),
            LIFT_B,
            STAIRS_B,
            BED_LIFT,
            staff("or-4", 12, "Salle d'opération 4", "Operating theatre 4"),
            staff("pacu", 12, "Salle de réveil", "Recovery room"),
        ],
        corridor_name=L("Couloir B, niveau 2", "Corridor B, level 2"),
    )
    _split_corridor(
        b, "B2", u["B2"], at_x=119.0, name=L("Couloir du bloc opératoire", "Operating suite corridor")
    )

    # ---------------------------------------------------------------- building C (x 0..60, y 40..59)
    def c_wing(o: int, south: list[Room], north_west: list[Room], north_east: list[Room]) -> None:
        north = [*north_west, LIFT_C, STAIRS_C, *north_east]
        u[f"C{o}"] = b.wing(
            f"C{o}",
            lv[f"C{o}"],
            x0=0,
            y0=40,
            south=south,
            north=north,
            corridor_name=L(f"Couloir C, niveau {o}", f"Corridor C, level {o}"),
        )

    c_wing(
        0,
        [
            room("paeds-consult", 12, "Consultations de pédiatrie", "Paediatric clinic"),
            room("paeds-wait", 6, "Salle d'attente pédiatrie", "Paediatric waiting room", "waitingroom"),
            toilets("wc-c0"),
            room("orl", 6, "ORL", "Ear, nose and throat"),
            passage("from-a", "Galerie A–C", "Gallery A–C"),
            room("maternity", 12, "Maternité — accueil", "Maternity reception"),
            room("gyneco", 12, "Gynécologie", "Gynaecology"),
        ],
        [
            room("ophtalmo", 12, "Ophtalmologie", "Ophthalmology"),
            room("dermato", 12, "Dermatologie", "Dermatology"),
        ],
        [
            room("physio", 12, "Kinésithérapie", "Physiotherapy"),
            room("consult-c0", 15, "Consultations", "Consulting rooms"),
        ],
    )
    c_wing(
        1,
        [
            room("uca-reception", 6, "Accueil de l'unité de chirurgie ambulatoire", "Day surgery reception"),
            room("uca-wait", 12, "Salon d'attente ambulatoire", "Day surgery waiting room", "waitingroom"),
            toilets("wc-c1"),
            room("prep-1", 6, "Box de préparation 1", "Preparation bay 1"),
            passage("from-bridge", "Accès à la passerelle", "Way to the footbridge"),
            room("prep-2", 6, "Box de préparation 2", "Preparation bay 2"),
            room("prep-3", 6, "Box de préparation 3", "Preparation bay 3"),
            room("discharge", 12, "Salon de sortie", "Discharge lounge", "lounge"),
        ],
        [
            room("uca-changing", 12, "Vestiaires patients", "Patients' changing room"),
            room("uca-rest", 12, "Box de repos", "Rest bays"),
        ],
        [
            staff("nurses-c1", 12, "Bureau infirmier", "Nurses' office", "office"),
            room("uca-consult", 15, "Consultations de chirurgie", "Surgical clinic"),
        ],
    )
    c_wing(
        2,
        [room(f"paeds-{i}", 6, f"Pédiatrie — chambre {i}", f"Paediatrics — room {i}") for i in range(1, 5)]
        + [
            room("c2-play", 6, "Salle de jeux", "Playroom", "recreation"),
            room("c2-wait", 6, "Salon des familles", "Family lounge", "lounge"),
        ]
        + [room(f"mat-{i}", 6, f"Maternité — chambre {i}", f"Maternity — room {i}") for i in range(1, 5)],
        [
            room("paeds-office", 12, "Pédiatrie — accueil", "Paediatrics reception"),
            staff("c2-care", 12, "Salle de soins", "Treatment room"),
        ],
        [
            room("neonat", 12, "Néonatalogie", "Neonatal unit", restriction=EMPLOYEES),
            room("mat-office", 15, "Maternité — accueil des familles", "Maternity family desk"),
        ],
    )

    # ---------------------------------------------------------------- links between buildings
    for o in (-1, 0, 1):
        gal = b.unit(
            f"gallery-ab-{o}",
            lv[f"A{o}"],
            "walkway",
            box(72, 8, 86, 11),
            name=L("Galerie A–B", "Gallery A–B"),
        )
        b.door(
            f"gallery-ab-{o}/door-b",
            gal,
            u[f"B{o}"]["corridor"],
            width=2.4,
            name=L("Portes du bâtiment B", "Building B doors"),
        )
        u[f"A{o}"]["gallery-ab"] = gal
    ramp = b.unit(
        "gallery-ac-ramp",
        lv["A0"],
        "ramp",
        box(30, 19, 32.8, 40),
        name=L("Rampe entre les bâtiments A et C", "Ramp between buildings A and C"),
        accessibility=["wheelchair"],
        extra={"uphill": 0.0},  # rises towards building C (north): "go up" from A, "go down" from C
    )
    b.unit("gallery-ac-wall", lv["A0"], "structure", box(32.8, 19, 33.2, 40))
    steps = b.unit(
        "gallery-ac-steps",
        lv["A0"],
        "steps",
        box(33.2, 19, 36, 40),
        name=L("Marches entre les bâtiments A et C", "Steps between buildings A and C"),
        extra={"uphill": 0.0},
    )
    for key, uid in (("ramp", ramp), ("steps", steps)):
        b.door(
            f"gallery-ac-{key}/door-c",
            uid,
            u["C0"]["from-a"],
            width=2.2,
            name=L("Entrée du bâtiment C", "Building C entrance"),
        )
    bridge = b.unit(
        "footbridge",
        lv["A1"],
        "footbridge",
        box(30, 19, 36, 40),
        name=L("Passerelle entre les bâtiments A et C", "Footbridge between buildings A and C"),
    )
    b.door(
        "footbridge/door-c",
        bridge,
        u["C1"]["from-bridge"],
        width=2.4,
        name=L("Entrée du bâtiment C", "Building C entrance"),
    )

    # ---------------------------------------------------------------- entrances and kiosks
    hall, hall_p, er = u["A0"]["hall"], u["A-1"]["hall-parking"], u["B0"]["er"]
    b.entrance(
        "entrance-main",
        hall,
        Point(33, 0),
        width=3.0,
        category="pedestrian.principal",
        name=L("Entrée principale", "Main entrance"),
    )
    b.entrance(
        "entrance-parking", hall_p, Point(0, 4), width=2.0, name=L("Entrée du parking", "Car park entrance")
    )
    b.entrance(
        "entrance-emergency",
        er,
        Point(146, 4),
        width=2.4,
        name=L("Entrée des urgences", "Emergency entrance"),
    )
    b.kiosk(
        "kiosk-main", hall, Point(41, 4.5), facing=270.0, name=L("Borne du hall d'accueil", "Main hall kiosk")
    )
    b.kiosk(
        "kiosk-parking", hall_p, Point(3.0, 5.5), facing=90.0, name=L("Borne du parking", "Car park kiosk")
    )
    b.kiosk(
        "kiosk-emergency", er, Point(143, 6.5), facing=270.0, name=L("Borne des urgences", "Emergency kiosk")
    )

    # ---------------------------------------------------------------- vertical links
    for bname, ordinals in (("A", (-1, 0, 1, 2)), ("B", (-1, 0, 1, 2)), ("C", (0, 1, 2))):
        keys = {
            "A": ("lift-a1", "lift-a2", "stairs-a"),
            "B": ("lift-b", "bed-lift", "stairs-b"),
            "C": ("lift-c", "stairs-c"),
        }[bname]
        for key in keys:
            chain = [u[f"{bname}{o}"][key] for o in ordinals]
            unit = b.venue.units[chain[0]]
            b.relationship(f"vertical/{key}", unit.category, chain, name=unit.name)
            for o in ordinals:
                uid = u[f"{bname}{o}"][key]
                if unit.category == "elevator" and b.venue.units[uid].restriction is None:
                    b.amenity(f"amenity/{key}/{o}", uid, "elevator", name=unit.name)

    # ---------------------------------------------------------------- destinations
    occ = b.occupant
    occ(
        "occ/admissions",
        u["A0"]["admissions"],
        L("Accueil — Admissions", "Reception — Admissions"),
        keywords=K(
            ["accueil", "admission", "bureau des entrées", "enregistrement", "secrétariat"],
            ["reception", "admissions", "check-in", "registration", "front desk"],
        ),
    )
    occ(
        "occ/er",
        u["B0"]["er"],
        L("Urgences", "Emergency department"),
        keywords=K(
            ["urgence", "urgences", "SAU", "accueil des urgences"],
            ["emergency", "A&E", "ER", "casualty", "accident and emergency"],
        ),
    )
    occ(
        "occ/radio",
        u["B0"]["radio"],
        L("Radiologie", "Radiology"),
        keywords=K(
            ["radio", "imagerie médicale", "scanner", "IRM", "échographie", "radiographie"],
            ["imaging", "x-ray", "CT scan", "MRI", "ultrasound", "scan"],
        ),
    )
    occ(
        "occ/cardio",
        u["A1"]["cardio"],
        L("Cardiologie", "Cardiology"),
        keywords=K(["cardio", "cœur", "coeur", "ECG"], ["heart", "cardio", "ECG"]),
    )
    occ(
        "occ/lab",
        u["A0"]["lab"],
        L("Laboratoire de prélèvements", "Blood sampling laboratory"),
        keywords=K(
            ["prise de sang", "labo", "laboratoire", "analyses", "prélèvement"],
            ["blood test", "lab", "laboratory", "blood sample", "pathology"],
        ),
    )
    occ(
        "occ/pharmacy",
        u["A0"]["pharmacy"],
        L("Pharmacie", "Pharmacy"),
        category="pharmacy",
        keywords=K(
            ["médicaments", "rétrocession", "ordonnance"], ["chemist", "medicines", "prescription", "drugs"]
        ),
    )
    occ(
        "occ/bloc",
        u["B2"]["bloc-reception"],
        L("Bloc opératoire", "Operating theatres"),
        keywords=K(
            ["bloc", "chirurgie", "opération", "salle d'opération"],
            ["theatre", "surgery", "operating room", "OR", "theater"],
        ),
    )
    occ(
        "occ/pacu",
        u["B2"]["pacu"],
        L("Salle de réveil", "Recovery room"),
        keywords=K(
            ["réveil", "SSPI", "salle de surveillance post-interventionnelle"],
            ["recovery", "PACU", "post-anaesthesia care unit"],
        ),
    )
    occ(
        "occ/uca",
        u["C1"]["uca-reception"],
        L("Unité de chirurgie ambulatoire", "Day surgery unit"),
        keywords=K(
            ["UCA", "ambulatoire", "chirurgie ambulatoire", "chirurgie de jour"],
            ["day surgery", "ambulatory surgery", "outpatient surgery", "day case"],
        ),
    )
    occ(
        "occ/cafeteria",
        u["A0"]["cafeteria"],
        L("Cafétéria", "Cafeteria"),
        category="cafe",
        keywords=K(
            ["café", "restaurant", "manger", "boire", "snack"],
            ["coffee", "food", "restaurant", "canteen", "snack"],
        ),
    )
    occ(
        "occ/chapel",
        u["A0"]["chapel"],
        L("Chapelle", "Chapel"),
        category="placeofworship",
        keywords=K(
            ["culte", "aumônerie", "prière", "recueillement", "lieu de culte"],
            ["prayer room", "chaplaincy", "multi-faith room", "worship"],
        ),
    )
    simple = [
        (
            "pneumo",
            "A1",
            "Pneumologie",
            "Respiratory medicine",
            ["poumon", "pneumo", "asthme"],
            ["lungs", "chest clinic", "pulmonology"],
        ),
        ("neuro", "A1", "Neurologie", "Neurology", ["neuro", "cerveau"], ["brain", "nerves"]),
        (
            "rhumato",
            "A1",
            "Rhumatologie",
            "Rheumatology",
            ["rhumato", "articulations"],
            ["joints", "arthritis"],
        ),
        (
            "gastro",
            "A1",
            "Gastro-entérologie",
            "Gastroenterology",
            ["gastro", "digestif"],
            ["digestive", "stomach", "gut"],
        ),
        (
            "endoc",
            "A1",
            "Endocrinologie — Diabétologie",
            "Endocrinology — Diabetes",
            ["diabète", "endocrino"],
            ["diabetes", "hormones"],
        ),
        (
            "day-hospital",
            "A1",
            "Hôpital de jour de médecine",
            "Medical day hospital",
            ["hôpital de jour", "HDJ"],
            ["day hospital", "day unit"],
        ),
        (
            "social",
            "A0",
            "Service social",
            "Social services",
            ["assistante sociale"],
            ["social worker", "welfare"],
        ),
        (
            "shop",
            "A0",
            "Boutique presse",
            "Newsagent",
            ["journaux", "magasin", "cadeaux"],
            ["newspapers", "shop", "gifts"],
        ),
        (
            "users-house",
            "A0",
            "Maison des usagers",
            "Patients' association office",
            ["associations", "représentants des usagers"],
            ["patient advocacy", "associations"],
        ),
        (
            "endoscopy",
            "B1",
            "Endoscopie",
            "Endoscopy",
            ["fibroscopie", "coloscopie"],
            ["colonoscopy", "gastroscopy"],
        ),
        (
            "anaesthesia",
            "B1",
            "Consultation d'anesthésie",
            "Anaesthesia clinic",
            ["anesthésie", "anesthésiste"],
            ["anaesthetist", "anesthesia", "pre-op assessment"],
        ),
        (
            "paeds-consult",
            "C0",
            "Pédiatrie",
            "Paediatrics",
            ["enfant", "pédiatre", "bébé"],
            ["children", "child", "paediatrician", "pediatrics"],
        ),
        (
            "maternity",
            "C0",
            "Maternité",
            "Maternity",
            ["accouchement", "naissance", "sage-femme"],
            ["birth", "midwife", "delivery", "obstetrics"],
        ),
        (
            "gyneco",
            "C0",
            "Gynécologie",
            "Gynaecology",
            ["gynéco", "gynécologue"],
            ["gynecology", "women's health"],
        ),
        (
            "ophtalmo",
            "C0",
            "Ophtalmologie",
            "Ophthalmology",
            ["yeux", "ophtalmo", "vue"],
            ["eyes", "eye clinic"],
        ),
        ("dermato", "C0", "Dermatologie", "Dermatology", ["peau", "dermato"], ["skin"]),
        (
            "orl",
            "C0",
            "ORL",
            "Ear, nose and throat",
            ["oto-rhino-laryngologie", "oreilles"],
            ["ENT", "ears", "hearing"],
        ),
        (
            "physio",
            "C0",
            "Kinésithérapie",
            "Physiotherapy",
            ["kiné", "rééducation"],
            ["physio", "rehabilitation"],
        ),
    ]
    for key, lvl, fr, en, kfr, ken in simple:
        occ(f"occ/{key}", u[lvl][key], L(fr, en), keywords=K(kfr, ken))

    toilets_kw = K(
        ["toilettes", "WC", "sanitaires", "toilettes handicapés"],
        ["toilets", "restroom", "bathroom", "WC", "loo", "accessible toilet"],
    )
    for lvl, key in (
        ("A-1", "wc-a-1"),
        ("A0", "wc-a0"),
        ("A1", "wc-a1"),
        ("B0", "wc-b0"),
        ("B1", "wc-b1"),
        ("C0", "wc-c0"),
        ("C1", "wc-c1"),
    ):
        b.amenity(
            f"amenity/{key}",
            u[lvl][key],
            "restroom.unisex.wheelchair",
            name=L("Toilettes accessibles", "Accessible toilets"),
            keywords=toilets_kw,
            accessibility=["wheelchair"],
        )
    b.amenity(
        "amenity/info",
        u["A0"]["a0-n36"],
        "information",
        name=L("Point information", "Information point"),
        keywords=K(["renseignements", "information", "aide"], ["help", "information desk"]),
    )
    b.amenity(
        "amenity/atm",
        hall,
        "atm",
        name=L("Distributeur de billets", "Cash machine"),
        point=Point(26, 2),
        keywords=K(["DAB", "retrait", "argent"], ["ATM", "cash"]),
    )
    b.amenity("amenity/cafe", u["A0"]["cafeteria"], "foodservice", name=L("Cafétéria", "Cafeteria"))
    b.amenity(
        "amenity/chapel",
        u["A0"]["chapel"],
        "prayerroom",
        name=L("Chapelle — espace de recueillement", "Chapel — multi-faith room"),
    )
    b.amenity(
        "amenity/defib", hall, "defibrillator", name=L("Défibrillateur", "Defibrillator"), point=Point(40, 7)
    )

    # The large buttons of each entrance's kiosk, most asked first (project
    # extension "destinations": feature ids, or a name for the nearest place so named).
    asked = {
        "kiosk-main": ["admissions", "er", "radio", "lab", "cardio", "uca", "pharmacy", "cafeteria"],
        "kiosk-parking": ["admissions", "radio", "lab", "uca", "cardio", "er", "cafeteria"],
        "kiosk-emergency": ["er", "radio", "admissions", "lab", "pharmacy", "cafeteria"],
    }
    for kiosk_key, wanted in asked.items():
        kiosk = b.venue.kiosks[b.id_of(kiosk_key)]
        kiosk.extra["destinations"] = [b.id_of(f"occ/{k}") for k in wanted] + ["Toilettes"]

    # ---------------------------------------------------------------- sections, pathway
    b.section(
        "section/bloc",
        lv["B2"],
        "unspecified",
        box(119, 0, 146, 19),
        name=L("Bloc opératoire", "Operating suite"),
        restriction=EMPLOYEES,
    )
    b.section(
        "section/uca",
        lv["C1"],
        "unspecified",
        box(0, 40, 60, 59),
        name=L("Unité de chirurgie ambulatoire", "Day surgery unit"),
    )
    c1, b2 = u["C1"], u["B2"]
    b.pathway(
        "ambulatory-surgery",
        L("Chirurgie ambulatoire", "Day surgery"),
        [
            (
                "admission",
                L("Admission en cours", "Being admitted"),
                [u["A0"]["admissions"], c1["uca-reception"], c1["uca-wait"]],
            ),
            (
                "preop",
                L("En préparation pour l'intervention", "Being prepared for surgery"),
                [c1["uca-changing"], c1["prep-1"], c1["prep-2"], c1["prep-3"]],
            ),
            (
                "theatre",
                L("Au bloc opératoire", "In theatre"),
                [b2["induction"], b2["or-1"], b2["or-2"], b2["or-3"], b2["or-4"]],
            ),
            ("recovery", L("En salle de réveil", "In recovery"), [b2["pacu"], c1["uca-rest"]]),
            (
                "ready",
                L(
                    "Prêt à partir : Salon de sortie, bâtiment C, niveau 1",
                    "Ready to be picked up: discharge lounge, building C, level 1",
                ),
                [c1["discharge"]],
            ),
        ],
        pickup_unit_id=c1["discharge"],
    )

    # ---------------------------------------------------------------- BLE receivers
    venue = b.venue
    for key, uid in sorted(b._keys.items()):
        if uid not in venue.units:
            continue
        unit = venue.units[uid]
        if not unit.walkable or unit.category in ("elevator", "stairs"):
            continue
        g = unit.geometry
        minx, miny, maxx, maxy = g.bounds
        if unit.category in ("walkway", "footbridge", "ramp") and maxx - minx > 14:
            n = int((maxx - minx) // 12)
            for i in range(n):
                x = minx + (i + 0.5) * (maxx - minx) / n
                b.receiver(f"{key}/{i}", uid, Point(x, (miny + maxy) / 2))
        elif unit.category in ("walkway", "footbridge", "ramp") and maxy - miny > 14:
            n = int((maxy - miny) // 10)
            for i in range(n):
                b.receiver(f"{key}/{i}", uid, Point((minx + maxx) / 2, miny + (i + 0.5) * (maxy - miny) / n))
        elif g.area >= 20:
            b.receiver(key, uid, g.centroid)
    return b.finish()


def _split_corridor(b: VenueBuilder, prefix: str, rooms: dict[str, str], *, at_x: float, name: Label) -> None:
    """Cut a wing's corridor at *at_x* into a public part and a staff-only part.

    Doors are lines on walls, so the rooms east of the cut open onto the
    staff-only part by geometry alone; a badge-controlled door joins the parts.
    """
    venue = b.venue
    corridor = venue.units[rooms["corridor"]]
    minx, miny, maxx, maxy = corridor.geometry.bounds
    corridor.geometry = box(minx, miny, at_x, maxy)
    corridor.display_point = corridor.geometry.representative_point()
    staff_part = b.unit(
        f"{prefix}/corridor-staff",
        corridor.level_id,
        "walkway",
        box(at_x, miny, maxx, maxy),
        name=name,
        restriction=EMPLOYEES,
    )
    door = b.door(
        f"{prefix}/bloc-door",
        rooms["corridor"],
        staff_part,
        width=1.8,
        name=L("Porte du bloc opératoire", "Operating suite door"),
    )
    venue.openings[door].access_control = ["badgereader"]


def main(argv: list[str] | None = None) -> int:
    from floorplans.imdf import write_imdf

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEMO_PATH
    venue = build_demo_hospital()
    write_imdf(venue, out)
    print(
        f"wrote {out} ({len(venue.units)} units, {len(venue.openings)} openings, "
        f"{len(venue.receivers)} receivers)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
