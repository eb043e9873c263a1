"""Broken archives give precise reports: file, feature, what is wrong, how to fix."""

from __future__ import annotations

import re
from typing import Any

import pytest

from floorplans.report import Problem, Report
from floorplans.validate import load_and_validate
from tests.conftest import Archive


def _only(report: Report, code: str) -> Problem:
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, report.to_text()
    return found[0]


def test_invalid_json_names_the_file_and_the_line(archive: Archive) -> None:
    text = (archive.root / "unit.geojson").read_text(encoding="utf-8")
    (archive.root / "unit.geojson").write_text(text[: len(text) // 2], encoding="utf-8")
    result = load_and_validate(archive.root)
    p = _only(result.report, "json-invalid")
    assert p.severity == "error" and p.file == "unit.geojson"
    assert "line 1 column" in p.message
    assert not result.report.usable


def test_missing_required_property_names_the_feature(archive: Archive) -> None:
    victim: dict[str, Any] = {}

    def drop_level(features: list[dict[str, Any]]) -> None:
        victim.update(features[10])
        del features[10]["properties"]["level_id"]

    archive.edit("unit", drop_level)
    p = _only(load_and_validate(archive.root).report, "property-missing")
    assert p.feature_id == victim["id"] and p.file == "unit.geojson"
    assert "level_id" in p.message and "level_id" in p.fix


def test_reference_to_an_unknown_id(archive: Archive) -> None:
    def break_anchor(features: list[dict[str, Any]]) -> None:
        features[0]["properties"]["anchor_id"] = "no-such-anchor"

    archive.edit("occupant", break_anchor)
    report = load_and_validate(archive.root).report
    p = next(p for p in report.problems if p.code == "reference-unknown")
    assert p.file == "occupant.geojson"
    assert "unknown anchor 'no-such-anchor'" in p.message
    assert not report.usable


def test_self_intersecting_polygon_is_located(archive: Archive) -> None:
    chapel = archive.find("unit", "Chapelle")

    def bow_tie(features: list[dict[str, Any]]) -> None:
        f = next(f for f in features if f["id"] == chapel["id"])
        ring = f["geometry"]["coordinates"][0]
        ring[1], ring[2] = ring[2], ring[1]  # crossing edges

    archive.edit("unit", bow_tie)
    report = load_and_validate(archive.root).report
    p = _only(report, "polygon-invalid")
    assert p.feature_id == chapel["id"]
    assert "self-intersection at (" in p.message and "lon 4.8" in p.message
    assert "does not cross itself" in p.fix


def test_overlapping_units_are_named_with_the_area(archive: Archive) -> None:
    chapel = archive.find("unit", "Chapelle")

    def widen(features: list[dict[str, Any]]) -> None:
        f = next(f for f in features if f["id"] == chapel["id"])
        ring = f["geometry"]["coordinates"][0]
        xs = [x for x, _ in ring]
        right = max(xs)
        # Push the east wall 2 m (about 2 / 77,700 degrees of longitude at 45.76 N) into
        # the next room.
        f["geometry"]["coordinates"][0] = [[x + 2 / 77_700 if x > right - 1e-7 else x, y] for x, y in ring]

    archive.edit("unit", widen)
    report = load_and_validate(archive.root).report
    overlaps = [p for p in report.problems if p.code == "unit-overlap"]
    assert len(overlaps) == 1 and overlaps[0].severity == "error"
    assert "'Chapelle'" in overlaps[0].message
    assert "'Consultation de médecine générale'" in overlaps[0].message
    area = float(re.search(r"overlap by ([\d.]+) m²", overlaps[0].message).group(1))  # type: ignore[union-attr]
    assert area == pytest.approx(16.0, abs=0.2)  # 2 m x 8 m


def test_opening_far_from_any_wall_is_an_error(archive: Archive) -> None:
    def drift(features: list[dict[str, Any]]) -> None:
        f = features[5]
        f["geometry"]["coordinates"] = [[x, y + 1.5 / 111_320] for x, y in f["geometry"]["coordinates"]]

    archive.edit("opening", drift)
    moved = archive.features("opening")[5]
    report = load_and_validate(archive.root).report
    p = next(p for p in report.problems if p.code == "opening-dangling")
    assert p.feature_id == moved["id"]
    assert "shared boundary" in p.fix


def _without_doors(archive: Archive, room: str) -> dict[str, Any]:
    """Remove every opening of the unit named *room*; return the unit's feature."""
    from floorplans import read_imdf
    from floorplans.topology import topology

    venue = read_imdf(archive.root).venue
    assert venue is not None
    unit = archive.find("unit", room)
    doors = [o for o, sides in topology(venue).opening_units.items() if unit["id"] in sides]
    archive.edit("opening", lambda fs: fs.__setitem__(slice(None), [f for f in fs if f["id"] not in doors]))
    return unit


def test_a_room_without_its_door_gets_one_inferred(archive: Archive) -> None:
    _without_doors(archive, "Cardiologie")
    report = load_and_validate(archive.root).report
    assert report.usable, report.to_text()
    (p,) = [p for p in report.problems if p.code == "door-inferred"]
    assert p.severity == "warning" and "room 'Cardiologie' on floor 1 had no opening" in p.message
    assert "wall with walkway 'Couloir A, niveau 1'" in p.message
    assert "check where the door really is" in p.fix


def test_unreachable_destination_is_reported(archive: Archive) -> None:
    cardio = _without_doors(archive, "Cardiologie")

    def shrink(features: list[dict[str, Any]]) -> None:
        # Cardiology drawn 1 m short of every wall: no wall to put a door on.
        from shapely.geometry import mapping, shape

        f = next(f for f in features if f["id"] == cardio["id"])
        f["geometry"] = mapping(shape(f["geometry"]).buffer(-1.0 / 77_700, join_style="mitre"))

    archive.edit("unit", shrink)
    report = load_and_validate(archive.root).report
    p = next(p for p in report.problems if p.code == "destination-unreachable")
    assert "'Cardiologie'" in p.message and p.file == "occupant.geojson"
    assert "add the missing door" in p.fix
    assert not report.usable


def test_archive_without_manifest_or_venue(archive: Archive) -> None:
    (archive.root / "manifest.json").unlink()
    (archive.root / "venue.geojson").unlink()
    result = load_and_validate(archive.root)
    assert result.venue is None
    assert {"manifest-missing", "venue-missing"} <= set(result.report.codes())


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [4.8, 45.7]},
        {"type": "Polygon", "coordinates": "nonsense"},
    ],
)
def test_wrong_geometry_is_an_error_not_a_crash(archive: Archive, geometry: Any) -> None:
    def spoil(features: list[dict[str, Any]]) -> None:
        features[3]["geometry"] = geometry

    archive.edit("unit", spoil)
    report = load_and_validate(archive.root).report
    assert {p.code for p in report.errors} & {"geometry-type", "geometry-invalid"}
    assert not report.usable
