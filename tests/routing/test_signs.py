"""The plan's "you are here" signs: where they stand, which way their readers look, their codes,
and the first step of a route from one ("Facing the sign, turn left")."""

from __future__ import annotations

import copy
import math

import pytest
from shapely.geometry import Point

from floorplans import load_demo_venue
from routing import Router
from routing.signs import CODE_ALPHABET, KINDS

DEMO = load_demo_venue()
ROUTER = Router(DEMO)
SIGNS = ROUTER.places.signs


def ahead(sign: object, metres: float) -> Point:
    rad = math.radians(sign.heading)  # type: ignore[attr-defined]
    return Point(sign.x + metres * math.sin(rad), sign.y + metres * math.cos(rad))  # type: ignore[attr-defined]


def unit_at(level_id: str, p: Point) -> str | None:
    ordinal = DEMO.levels[level_id].ordinal
    for u in DEMO.units.values():
        if DEMO.levels[u.level_id].ordinal == ordinal and u.geometry.covers(p):
            return u.id
    return None


def test_the_demo_calls_for_every_kind_of_sign_in_public_places() -> None:
    kinds = {s.kind for s in SIGNS.values()}
    assert kinds == set(KINDS) - {"added"}  # "added": only those facilities add (test_signs in tests/api)
    for s in SIGNS.values():
        unit = DEMO.units[s.unit_id]
        assert unit.public and unit.walkable, s
        assert unit.geometry.covers(Point(s.x, s.y)), s
    # Three public entrances, and a lift landing on each floor each public lift serves.
    assert sum(s.kind == "entrance" for s in SIGNS.values()) == 3
    lift_floors = {(s.label("fr").split(",")[0], s.ordinal) for s in SIGNS.values() if s.kind == "lift"}
    assert {("Ascenseur B", o) for o in (-1, 0, 1, 2)} <= lift_floors
    # Staff-only places get none: the bed lift is for staff.
    assert not any("Monte-malades" in s.label("fr") for s in SIGNS.values())


def test_readers_look_into_the_building_and_away_from_lifts_and_stairs() -> None:
    for s in SIGNS.values():
        there = unit_at(s.level_id, ahead(s, 2.0))
        if s.kind == "entrance":
            assert there is not None, f"{s.code}: a reader walking in looks at the outside"
        if s.kind in ("lift", "stairs"):
            assert there is None or DEMO.units[there].category not in ("elevator", "stairs"), s.code
            behind = unit_at(s.level_id, ahead(s, -1.5))
            assert behind is not None and DEMO.units[behind].category in ("elevator", "stairs"), s.code


def test_codes_are_short_unambiguous_and_stable_across_versions() -> None:
    codes = list(SIGNS)
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) in (4, 5) and set(code) <= set(CODE_ALPHABET), code
    # A new version: every place renamed, one room redrawn. Printed signs must stay right.
    changed = copy.deepcopy(DEMO)
    for u in changed.units.values():
        if u.name:
            u.name = {k: v + " (nouveau)" for k, v in u.name.items()}
    again = Router(changed).places.signs
    assert set(again) == set(codes)
    assert all(again[c].kind == SIGNS[c].kind and again[c].node == SIGNS[c].node for c in codes)


@pytest.mark.parametrize("typed", ["{c}", "{l}", " {l} ", "{a}-{b}", "{a} {b}"])
def test_a_typed_code_finds_its_sign(typed: str) -> None:
    code = next(iter(SIGNS))
    text = typed.format(c=code, l=code.lower(), a=code[:2], b=code[2:])
    place = ROUTER.resolve(text)
    assert place.kind == "sign" and place.id == code


def _side(heading_deg: float, dx: float, dy: float) -> float:
    """Signed angle (degrees, right positive) from the heading to (dx, dy)."""
    h = math.radians(heading_deg)
    ang = math.degrees(math.atan2(dx, dy) - h)
    return (ang + 180) % 360 - 180


@pytest.mark.parametrize("lang,left,right", [("fr", "gauche", "droite"), ("en", "left", "right")])
def test_the_first_step_from_a_sign_turns_the_way_the_plan_says(lang: str, left: str, right: str) -> None:
    facing = {"fr": "Face au panneau", "en": "Facing the sign"}[lang]
    checked = 0
    for s in SIGNS.values():
        for dest in ("Radiologie", "Cardiologie", "Cafétéria", "Pédiatrie"):
            route = ROUTER.route(s.code, dest, lang=lang)
            first = route.steps(lang)[0].screen
            assert first.startswith(facing), (s.code, first)
            pts = route.legs[0].points
            x0, y0 = pts[0]
            far = next(((x, y) for x, y in pts[1:] if math.hypot(x - x0, y - y0) > 2.0), None)
            if far is None:
                continue
            angle = _side(s.heading, far[0] - x0, far[1] - y0)
            head = first.split(",")[1]
            if 55 <= angle <= 125:
                assert right in head and left not in head, (s.code, dest, angle, first)
                checked += 1
            elif -125 <= angle <= -55:
                assert left in head and right not in head, (s.code, dest, angle, first)
                checked += 1
    assert checked >= 50
