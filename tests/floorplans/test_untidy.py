"""Archives as other tools and people draw them (issue 10): routed after import, every
guess reported, repaired into an archive that validates clean and routes the same.

The fixtures are one campus with each fault switched on alone, and all together
(tests/floorplans/untidy.py says what each fault is).
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import affinity

from floorplans import ImdfResult, Venue, load_demo_venue, read_imdf, write_imdf
from floorplans.render import numbered_problems, render_floor_svg
from floorplans.repair import infer_doors, infer_relationships
from floorplans.report import Report
from floorplans.topology import OUTSIDE, forget_topology, topology
from floorplans.validate import load_and_validate, validate_venue
from routing import Router
from simulators.generate import generate_hospital
from tests.floorplans.untidy import FAULTS, ROOT, build, case_names

CASES = case_names()
ROOMS = ("room", "office", "restroom", "unspecified")


@cache
def loaded(case: str) -> ImdfResult:
    return load_and_validate(ROOT / case)


@cache
def router(case: str) -> Router:
    venue = loaded(case).venue
    assert venue is not None
    return Router(venue)


def rooms(case: str) -> list[str]:
    venue = loaded(case).venue
    assert venue is not None
    return sorted(u.id for u in venue.units.values() if u.category in ROOMS)


def test_committed_fixtures_are_what_the_recipe_writes() -> None:
    for case in CASES:
        files = build(case)
        on_disk = {p.name: p.read_bytes() for p in (ROOT / case).iterdir()}
        assert on_disk == files, f"run python -m tests.floorplans.untidy ({case} differs)"


def test_the_tidy_campus_has_nothing_to_report() -> None:
    report = loaded("tidy").report
    assert report.problems == []


@pytest.mark.parametrize("case", [*FAULTS, "all"])
def test_every_untidy_archive_is_usable_and_says_what_it_guessed(case: str) -> None:
    report = loaded(case).report
    assert report.usable, report.to_text()
    assert not report.errors
    for p in report.inferences:
        assert p.severity == "warning"
        assert p.message and p.fix and p.feature_id
    # Each guess names no bare UUID where a name or a place can be given.
    for p in report.problems:
        if p.code in ("door-inferred", "unit-overlap-trimmed"):
            assert "unnamed" in p.message or "'" in p.message


@pytest.mark.parametrize("case", CASES)
def test_any_room_reaches_any_room_across_floors_and_buildings(case: str) -> None:
    r = router(case)
    ids = rooms(case)
    venue = r.venue
    floors = {venue.levels[venue.units[u].level_id].ordinal for u in ids}
    assert len(floors) >= 3
    routed = 0
    for a, b in itertools.product(ids[::3], ids[1::2]):
        if a != b:
            route = r.route(a, b)
            assert route.distance_m > 0
            routed += 1
    assert routed > 400
    # Step-free too: every floor by lift.
    for a, b in itertools.product(ids[::9], ids[4::9]):
        if a != b:
            assert r.route(a, b, profile="step_free").distance_m > 0


def _doors_of(venue_case: str) -> dict[str, list[tuple[float, float]]]:
    """Unit id -> midpoints (WGS84) of the openings on its outline."""
    result = loaded(venue_case)
    venue = result.venue
    assert venue is not None
    topo = topology(venue)
    out: dict[str, list[tuple[float, float]]] = {}
    for oid, sides in topo.opening_units.items():
        mid = venue.projection.to_wgs84(venue.openings[oid].geometry.interpolate(0.5, normalized=True))
        for uid in sides:
            out.setdefault(uid, []).append((mid.x, mid.y))
    return out


def test_an_archive_can_be_read_as_drawn_then_repaired() -> None:
    """read -> repair -> validate: read as drawn, the doorless campus has the openings
    facilities drew (none to its rooms) and a report with no guess in it; repaired, the
    same archive has its seventeen doors, each reported."""
    drawn = read_imdf(ROOT / "doorless", repair=False)
    repaired = read_imdf(ROOT / "doorless")
    assert drawn.venue is not None and repaired.venue is not None
    assert not [o for o in drawn.venue.openings.values() if o.inferred]
    assert drawn.report.inferences == []
    added = set(repaired.venue.openings) - set(drawn.venue.openings)
    assert len(added) == 17 and all(repaired.venue.openings[o].inferred for o in added)
    assert {p.code for p in repaired.report.inferences} >= {"door-inferred"}


def test_inferred_doors_are_where_a_person_would_look_for_them() -> None:
    tidy, doorless = _doors_of("tidy"), _doors_of("doorless")
    report = loaded("doorless").report
    venue = loaded("doorless").venue
    assert venue is not None
    inferred = [p for p in report.problems if p.code == "door-inferred"]
    # Ten rooms and an office on H's ground floor, six rooms on the annex's first floor.
    assert len(inferred) == 17
    for p in inferred:
        opening = venue.openings[str(p.feature_id)]
        assert opening.inferred and opening.guessed
        sides = topology(venue).opening_units[opening.id]
        assert len(sides) == 2
        room = next(u for u in sides if venue.units[u].category != "walkway")
        # The tidy campus has its door in the middle of the same wall: within a few cm.
        (tx, ty), (dx, dy) = tidy[room][0], doorless[room][0]
        assert abs(tx - dx) * 77_700 < 0.05 and abs(ty - dy) * 111_200 < 0.05, p.message
        assert "had no opening; a door was put in the middle of its 5.0 m wall" in p.message


def test_rooms_drawn_apart_from_the_corridor_have_doors_not_entrances() -> None:
    topo = topology(loaded("wall_gaps").venue)  # type: ignore[arg-type]
    assert len(topo.entrances()) == 1  # the hall's, as on the tidy campus
    assert loaded("wall_gaps").report.problems == []


def test_no_entrance_is_a_warning_and_places_still_reach_each_other() -> None:
    report = loaded("no_entrance").report
    assert [p.code for p in report.problems] == ["no-entrance"]
    assert "routes between places inside work" in report.problems[0].message


def test_a_place_that_cannot_be_reached_is_still_an_error(tmp_path: Path) -> None:
    venue = read_imdf(ROOT / "no_entrance").venue
    assert venue is not None
    # Derm moves 3 m away from everything: no wall to put a door on.
    derm = next(u for u in venue.units.values() if (u.name or {}).get("fr") == "Dermatologie")
    for oid in [o for o, sides in topology(venue).opening_units.items() if derm.id in sides]:
        del venue.openings[oid]
    derm.geometry = affinity.translate(derm.geometry, 0, 9)
    derm.display_point = None
    write_imdf(venue, tmp_path / "cut")
    report = load_and_validate(tmp_path / "cut").report
    assert not report.usable
    (p,) = [p for p in report.problems if p.code == "places-disconnected"]
    assert "'Dermatologie'" in p.message and "cannot reach the other" in p.message
    assert p.ordinal == 1 and p.x is not None


@pytest.mark.parametrize("case", ["no_relationships", "all"])
def test_stacked_shafts_are_linked_floor_to_floor_whatever_the_ordinals(case: str) -> None:
    result = loaded(case)
    venue = result.venue
    assert venue is not None
    inferred = [r for r in venue.relationships.values() if r.inferred]
    by_name = {(r.category, len(r.unit_ids())) for r in inferred}
    # Lift and stairs of H: one relationship each through three floors; A's: two floors;
    # the escalator drawn on the ground floor only, linked to the landing above it.
    assert by_name == {("elevator", 3), ("stairs", 3), ("elevator", 2), ("stairs", 2), ("escalator", 2)}
    ordinals = sorted({lv.ordinal for lv in venue.levels.values()})
    assert ordinals == ([0, 1, 2, 3] if case == "all" else [0, 1, 2])
    lift_h = next(r for r in inferred if r.category == "elevator" and len(r.unit_ids()) == 3)
    stops = [venue.levels[venue.units[u].level_id].ordinal for u in lift_h.unit_ids()]
    assert stops == ([0, 2, 3] if case == "all" else [0, 1, 2])
    escalator = next(r for r in inferred if r.category == "escalator")
    landing = venue.units[escalator.unit_ids()[1]]
    assert landing.category == "lobby"
    messages = [p.message for p in result.report.problems if p.code == "relationship-inferred"]
    assert any("drawn on floor 0 only" in m and "the open space above it" in m for m in messages)


def test_a_ramp_between_two_buildings_of_one_floor_is_not_linked_upwards() -> None:
    demo = load_demo_venue()
    assert not [rel for rel in demo.relationships.values() if rel.inferred]
    explicit = Counter(rel.category for rel in demo.relationships.values())
    demo.relationships.clear()
    forget_topology(demo)
    infer_relationships(demo, Report())
    inferred = Counter(rel.category for rel in demo.relationships.values())
    # The ramp beside the steps (A to C) joins two corridors of one floor: not a link upwards.
    assert "ramp" not in inferred
    assert inferred.keys() == explicit.keys() - {"ramp"}


def test_missing_properties_are_derived_and_said() -> None:
    result = loaded("missing_properties")
    venue = result.venue
    assert venue is not None
    derived = [p for p in result.report.problems if p.code == "property-derived"]
    text = "\n".join(p.message for p in derived)
    assert text.count("has no short_name") == 5
    assert "has no category; it is treated as a pedestrian door" in text
    assert "has no category; the unit is treated as an ordinary room" in text
    assert "has no building_ids; it is the outline of building 'Annexe'" in text
    assert any(p.code == "display-point-invalid" for p in result.report.problems)
    for level in venue.levels.values():
        assert level.short_name and level.name
        assert set(level.short_name) >= {"fr", "en"}


def test_small_overlaps_are_trimmed_and_their_doors_moved_onto_the_wall() -> None:
    result = loaded("overlaps")
    venue = result.venue
    assert venue is not None
    codes = Counter(p.code for p in result.report.problems)
    assert codes["unit-overlap-trimmed"] == 6
    assert codes["opening-snapped"] == 5
    assert codes["door-inferred"] == 1  # the room reachable only through its overlap
    assert codes["unit-overlap"] == 0
    trimmed = [p for p in result.report.problems if p.code == "unit-overlap-trimmed"]
    assert all(
        "overlapped by 1.50 m²" in p.message and "given to the open space" in p.message for p in trimmed
    )
    # The corridor keeps its full width: rooms end at its wall.
    corridor = next(
        u for u in venue.units.values() if u.category == "walkway" and venue.levels[u.level_id].ordinal == 1
    )
    assert corridor.geometry.area == pytest.approx(90.0, abs=0.05)
    for p in trimmed:
        assert venue.units[str(p.feature_id)].geometry.area == pytest.approx(30.0, abs=0.05)


def test_names_in_one_language_or_another_script_are_searched_and_spoken() -> None:
    r = router("one_language")
    assert r.resolve("صيدلية").label("fr") == "صيدلية"
    assert r.resolve("放射科").label("en") == "放射科"
    route = r.route("Blood tests", "放射科")
    steps = route.steps("fr")
    assert steps and all(s.screen.strip() for s in steps)
    assert "放射科" in steps[-1].screen
    report = loaded("one_language").report
    grouped = [p for p in report.problems if p.code == "translation-missing" and p.feature_id is None]
    assert grouped and "29 names in unit.geojson have no fr version" in grouped[0].message


def test_units_outside_every_footprint_still_join_the_buildings() -> None:
    r = router("outside_footprints")
    route = r.route("Radiologie", "Rééducation")
    assert route.distance_m < 80
    assert loaded("outside_footprints").report.problems == []


@pytest.mark.parametrize("case", [*FAULTS, "all"])
def test_repaired_archive_validates_clean_and_routes_the_same(case: str, tmp_path: Path) -> None:
    venue = read_imdf(ROOT / case).venue
    assert venue is not None
    write_imdf(venue, tmp_path / "repaired.zip", explicit=True)
    again = load_and_validate(tmp_path / "repaired.zip")
    assert again.venue is not None and again.report.usable
    assert [p.line() for p in again.report.inferences] == []
    assert {p.code for p in again.report.problems} <= {"no-entrance", "translation-missing"}
    before, after = router(case), Router(again.venue)
    ids = rooms(case)
    for a, b in itertools.product(ids[::5], ids[2::4]):
        if a == b:
            continue
        r1, r2 = before.route(a, b), after.route(a, b)
        assert r2.distance_m == pytest.approx(r1.distance_m, abs=0.02)
        assert [leg.ordinal for leg in r2.legs] == [leg.ordinal for leg in r1.legs]
        # The same places walked through, the same doors: the same way. (Which path nodes
        # a corridor's way goes through is a tie that 1e-9 m can break either way, and
        # the wording of landmarks still depends on it: issue 11.)
        assert _units_walked(after, r2) == _units_walked(before, r1)
        assert len(r2.steps("en")) == len(r1.steps("en"))


def _units_walked(router: Router, route: object) -> list[str | None]:
    units = [router.walk.nodes[n].unit_id for n in route.nodes]  # type: ignore[attr-defined]
    return [u for i, u in enumerate(units) if i == 0 or u != units[i - 1]]


def test_the_plan_shows_guesses_in_their_colour_and_problems_as_numbers() -> None:
    result = loaded("all")
    venue = result.venue
    assert venue is not None
    numbered = numbered_problems(venue, result.report)
    located = [p for _, p, _ in numbered]
    assert {p.code for p in located} >= {"door-inferred", "relationship-inferred", "unit-overlap-trimmed"}
    assert [n for n, _, _ in numbered] == list(range(1, len(numbered) + 1))
    svg = render_floor_svg(venue, 0, lang="en", problems=numbered)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    inferred_doors = [e for e in root.iter(f"{ns}polyline") if e.get("data-inferred")]
    on_ground = [p for _, p, at in numbered if at[0] == 0 and p.code == "door-inferred"]
    assert len(inferred_doors) == len(on_ground) == 11
    markers = [e for e in root.iter(f"{ns}g") if e.get("data-problem")]
    assert len(markers) == sum(1 for _, _, at in numbered if at[0] == 0)
    links = [e for e in root.iter(f"{ns}path") if e.get("data-inferred-link")]
    assert len(links) == 5  # lifts and stairs of H and A, and the escalator, on the ground floor
    assert "problems on this floor" in svg
    # The maps visitors see show a door as a door.
    public = ET.fromstring(render_floor_svg(venue, 0, lang="en", guesses=False))
    assert not [e for e in public.iter(f"{ns}polyline") if e.get("data-inferred")]
    assert not [e for e in public.iter(f"{ns}path") if e.get("data-inferred-link")]
    assert "inferred on import" not in ET.tostring(public, encoding="unicode")


def _bow_tie(feature: dict[str, Any]) -> None:
    ring = feature["geometry"]["coordinates"][0]
    ring[1], ring[2] = ring[2], ring[1]


@pytest.mark.parametrize(
    ("what", "ftype", "spoil", "code"),
    [
        ("every unit crosses itself", "unit", _bow_tie, "polygon-invalid"),
        ("every level crosses itself", "level", _bow_tie, "polygon-invalid"),
        ("no level has a geometry", "level", lambda f: f.update(geometry=None), "geometry-missing"),
    ],
)
def test_broken_outlines_get_a_report_not_a_crash(
    what: str, ftype: str, spoil: Callable[[dict[str, Any]], None], code: str, tmp_path: Path
) -> None:
    # The repair rules reason from outlines: from broken ones they guess nothing.
    folder = tmp_path / "broken"
    shutil.copytree(ROOT / "all", folder)
    path = folder / f"{ftype}.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        spoil(feature)
    path.write_text(json.dumps(data), encoding="utf-8")
    report = load_and_validate(folder).report
    assert not report.usable, what
    assert code in {p.code for p in report.errors}


def test_cli_repair_then_validate_then_render(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "cli"]
    out = tmp_path / "fixed"
    run = subprocess.run(
        [*exe, "floorplan", "repair", str(ROOT / "all"), "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "18 door-inferred" in run.stdout and "5 relationship-inferred" in run.stdout
    assert "remove it once checked" in run.stdout
    ok = subprocess.run(
        [*exe, "floorplan", "validate", str(out)], check=False, capture_output=True, text=True
    )
    assert ok.returncode == 0 and "usable: 0 error(s)" in ok.stdout
    same = subprocess.run(
        [*exe, "floorplan", "repair", str(out), "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert same.returncode != 0 and "not over the original" in same.stderr
    drawn = subprocess.run(
        [
            *exe,
            "floorplan",
            "render",
            str(ROOT / "all"),
            "--level",
            "all",
            "--problems",
            "--out",
            str(tmp_path / "p.svg"),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert drawn.returncode == 0, drawn.stderr
    assert "problem(s) marked" in drawn.stdout and (tmp_path / "p_0.svg").exists()


# --------------------------------------------------------------------------- properties

hospitals = st.builds(
    dict,
    buildings=st.integers(1, 2),
    levels=st.integers(1, 3),
    rooms_per_level=st.integers(4, 14),
    seed=st.integers(0, 10_000),
)


def _stripped(
    params: dict[str, int], table: str, infer: Callable[[Venue, Report], int]
) -> tuple[Venue, Report]:
    """A generated hospital without its openings or relationships, then the inference rule."""
    venue = generate_hospital(**params)
    getattr(venue, table).clear()
    forget_topology(venue)
    report = Report()
    infer(venue, report)
    return venue, report


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=hospitals)
def test_without_any_opening_every_room_is_still_reached(params: dict[str, int]) -> None:
    venue, report = _stripped(params, "openings", infer_doors)
    graph = topology(venue).unit_graph(public_only=False)
    graph.remove_node(OUTSIDE)
    walkable = [u.id for u in venue.units.values() if u.walkable]
    component = nx.node_connected_component(graph, walkable[0])
    assert set(walkable) <= component
    assert all(p.code == "door-inferred" for p in report.problems)
    assert validate_venue(venue).usable


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=hospitals)
def test_without_relationships_every_floor_is_still_linked(params: dict[str, int]) -> None:
    venue, _ = _stripped(params, "relationships", infer_relationships)
    graph = topology(venue).unit_graph(public_only=False)
    reached = nx.node_connected_component(graph, OUTSIDE)
    assert {u.id for u in venue.units.values() if u.walkable} <= reached
