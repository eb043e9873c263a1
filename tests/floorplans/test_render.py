"""Floors drawn as SVG show every unit, names, doors and entrances."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from floorplans import FloorPlanError, Venue, render_floor_svg
from floorplans.model import label_text

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_ground_floor_shows_every_unit_and_the_entrances(demo_venue: Venue) -> None:
    svg = render_floor_svg(demo_venue, "0", lang="fr")
    root = ET.fromstring(svg)
    drawn = {p.get("data-unit") for p in root.iterfind(".//svg:path", NS) if p.get("data-unit")}
    ground = {lv.id for lv in demo_venue.levels.values() if lv.ordinal == 0}
    expected = {u.id for u in demo_venue.units.values() if u.level_id in ground}
    assert drawn == expected
    text = " ".join("".join(t.itertext()) for t in root.iterfind(".//svg:text", NS))
    for name in (
        "Hall d'accueil",
        "Cafétéria",
        "Radiologie",
        "Entrée principale",
        "Entrée des urgences",
        "Couloir A, niveau 0",
    ):
        assert name in text, name
    assert "Entrée du parking" not in text, "the car park entrance is on level -1"


def test_english_labels_and_level_by_name(demo_venue: Venue) -> None:
    svg = render_floor_svg(demo_venue, "-1", lang="en")
    assert "Car park entrance" in svg and "Basement" in svg


def test_unknown_level_names_the_floors(demo_venue: Venue) -> None:
    with pytest.raises(FloorPlanError, match="floors are -1, 0, 1, 2"):
        render_floor_svg(demo_venue, "7")


def test_staff_only_units_are_hatched(demo_venue: Venue) -> None:
    root = ET.fromstring(render_floor_svg(demo_venue, 2))
    hatched = sum(1 for p in root.iterfind(".//svg:path", NS) if p.get("fill") == "url(#staff)")
    floor2 = {lv.id for lv in demo_venue.levels.values() if lv.ordinal == 2}
    staff = [u for u in demo_venue.units.values() if u.level_id in floor2 and not u.public]
    assert hatched == len(staff) > 5
    assert all(label_text(u.name, "fr") for u in staff)
