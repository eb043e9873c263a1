"""Reading and writing IMDF: the demo hospital, round trips, messy archives."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floorplans import Venue, diff_venues, read_imdf, write_imdf
from floorplans.model import label_text
from floorplans.topology import OUTSIDE, topology
from floorplans.validate import load_and_validate
from simulators.generate import generate_hospital
from tests.conftest import Archive


def _names(venue: Venue, lang: str = "fr") -> set[str]:
    return {label_text(u.name, lang) for u in venue.units.values() if u.name}


def test_demo_hospital_is_a_realistic_hospital(demo_venue: Venue) -> None:
    v = demo_venue
    assert len(v.buildings) >= 3
    ordinals = {lv.ordinal for lv in v.levels.values()}
    assert len(ordinals) >= 4 and min(ordinals) < 0, "four floors including a basement"
    assert len(v.units) >= 150
    entrances = {label_text(o.name, "fr") for o in topology(v).entrances()}
    assert {"Entrée principale", "Entrée des urgences", "Entrée du parking"} <= entrances
    lifts = {u.name["fr"] for u in v.units.values() if u.category == "elevator" and u.name}
    assert len(lifts) >= 4
    assert any(u.category == "elevator" and not u.public for u in v.units.values()), "bed lift"
    for level in v.levels.values():
        assert any(u.category == "stairs" for u in v.units_on(level.id)), level.name
    assert any(u.category == "ramp" for u in v.units.values())
    bloc = {u.name["fr"] for u in v.units.values() if not u.public and u.name}
    assert {"Salle d'opération 1", "Salle de réveil", "Couloir du bloc opératoire"} <= bloc
    services = {label_text(o.name, "fr") for o in v.occupants.values()}
    assert {
        "Accueil — Admissions",
        "Urgences",
        "Radiologie",
        "Cardiologie",
        "Laboratoire de prélèvements",
        "Pharmacie",
        "Bloc opératoire",
        "Salle de réveil",
        "Unité de chirurgie ambulatoire",
        "Cafétéria",
        "Chapelle",
    } <= services
    assert all(
        o.name and "en" in o.name and o.keywords.get("en")
        for o in v.occupants.values()
        if label_text(o.name, "fr") in {"Radiologie", "Urgences", "Cardiologie"}
    )
    assert any(
        a.category.startswith("restroom") and "wheelchair" in a.accessibility for a in v.amenities.values()
    )
    kiosk_units = {v.anchors[k.anchor_id].unit_id for k in v.kiosks.values() if k.anchor_id}
    entrance_units = {p.a for p in topology(v).passages if p.b == OUTSIDE}
    assert entrance_units <= kiosk_units, "a kiosk at each entrance"
    assert all(k.facing is not None for k in v.kiosks.values())
    assert len(v.receivers) >= 100
    stages = [s.id for s in v.pathways["ambulatory-surgery"].stages]
    assert stages == ["admission", "preop", "theatre", "recovery", "ready"]


def test_demo_hospital_validates_clean() -> None:
    from floorplans import DEMO_PATH

    result = load_and_validate(DEMO_PATH)
    assert result.report.problems == []


def test_coordinates_are_metres_around_the_venue(demo_venue: Venue) -> None:
    # The demo's building A is 72 m long: check the corridor's length in metres.
    corridor = next(u for u in demo_venue.units.values() if label_text(u.name, "fr") == "Couloir A, niveau 0")
    minx, miny, maxx, maxy = corridor.geometry.bounds
    assert abs((maxx - minx) - 72.0) < 0.01
    assert abs((maxy - miny) - 3.0) < 0.01


def _assert_same(a: Venue, b: Venue) -> None:
    assert diff_venues(a, b) == []
    assert a.units.keys() == b.units.keys()
    for uid, u in a.units.items():
        w = b.units[uid]
        assert (u.category, u.name, u.restriction, u.level_id, u.extra) == (
            w.category,
            w.name,
            w.restriction,
            w.level_id,
            w.extra,
        )
        assert u.geometry.equals_exact(w.geometry, tolerance=1e-6)
    for oid, o in a.openings.items():
        assert o.geometry.equals_exact(b.openings[oid].geometry, tolerance=1e-6)
    for table in (
        "levels",
        "buildings",
        "relationships",
        "amenities",
        "anchors",
        "occupants",
        "kiosks",
        "sections",
        "receivers",
        "pathways",
    ):
        assert getattr(a, table).keys() == getattr(b, table).keys(), table
    assert a.pathways == b.pathways
    assert {k: v.facing for k, v in a.kiosks.items()} == {k: v.facing for k, v in b.kiosks.items()}


def test_write_then_read_gives_the_same_venue(demo_venue: Venue, tmp_path: Path) -> None:
    for target in (tmp_path / "folder", tmp_path / "venue.zip"):
        write_imdf(demo_venue, target)
        again = read_imdf(target)
        assert again.venue is not None and again.report.problems == []
        _assert_same(demo_venue, again.venue)


def test_zip_with_everything_in_a_subfolder_is_read(demo_venue: Venue, tmp_path: Path) -> None:
    write_imdf(demo_venue, tmp_path / "flat")
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as zf:
        for f in (tmp_path / "flat").iterdir():
            zf.write(f, f"export-2026/{f.name}")
    result = read_imdf(nested)
    assert result.venue is not None
    assert len(result.venue.units) == len(demo_venue.units)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    buildings=st.integers(1, 3),
    levels=st.integers(1, 3),
    rooms=st.integers(2, 24),
    seed=st.integers(0, 10_000),
)
def test_generated_hospitals_round_trip_and_validate(
    buildings: int, levels: int, rooms: int, seed: int
) -> None:
    import tempfile

    venue = generate_hospital(buildings=buildings, levels=levels, rooms_per_level=rooms, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        write_imdf(venue, Path(tmp) / "v.zip")
        result = load_and_validate(Path(tmp) / "v.zip")
    assert result.venue is not None
    assert result.report.problems == [], result.report.to_text()
    _assert_same(venue, result.venue)


# ------------------------------------------------------------------ a messy archive


def _make_messy(archive: Archive) -> dict[str, object]:
    """What another tool might export: no relationships, English-only names, a door
    20 cm off its wall, an unknown category, a null name, a name as a plain string."""
    (archive.root / "relationship.geojson").unlink()
    (archive.root / "pathways.json").unlink()
    (archive.root / "receiver.geojson").unlink()
    manifest = archive.load("manifest.json")
    manifest["language"] = "en-US"
    archive.save("manifest.json", manifest)
    for name in archive.root.glob("*.geojson"):
        data = json.loads(name.read_text(encoding="utf-8"))
        for f in data["features"]:
            for key in ("name", "alt_name", "short_name"):
                label = f["properties"].get(key)
                if isinstance(label, dict):
                    f["properties"][key] = {"en": label["en"]} if "en" in label else None
        name.write_text(json.dumps(data), encoding="utf-8")
    cardio_door: dict[str, object] = {}

    def nudge(features: list[dict[str, object]]) -> None:
        door = next(f for f in features if f["id"] == cardio_id)
        coords = door["geometry"]["coordinates"]  # type: ignore[index]
        # 20 cm north: 0.2 m / 111,320 m per degree of latitude.
        door["geometry"]["coordinates"] = [[x, y + 0.2 / 111_320] for x, y in coords]  # type: ignore[index]
        cardio_door["id"] = door["id"]

    units = archive.features("unit")
    cardio = next(u for u in units if (u["properties"]["name"] or {}).get("en") == "Cardiology")
    from floorplans.imdf import read_imdf as _read

    venue = _read(archive.root).venue
    assert venue is not None
    cardio_id = next(
        o for o in venue.openings.values() if cardio["id"] in topology(venue).opening_units[o.id]
    )
    cardio_id = cardio_id.id  # type: ignore[assignment]
    archive.edit("opening", nudge)

    def odd_units(features: list[dict[str, object]]) -> None:
        ecg = next(
            f
            for f in features
            if (f["properties"]["name"] or {}).get("en")  # type: ignore[index,union-attr]
            == "Stress tests and ECG"
        )
        ecg["properties"]["category"] = "cardiacroom"  # type: ignore[index]
        shop = next(
            f
            for f in features
            if (f["properties"]["name"] or {}).get("en")  # type: ignore[index,union-attr]
            == "Newsagent"
        )
        shop["properties"]["name"] = "Newsagent"  # type: ignore[index]

    archive.edit("unit", odd_units)
    return {"door": cardio_door["id"], "cardio": cardio["id"]}


def test_messy_archive_loads_with_warnings_that_say_what_was_done(archive: Archive) -> None:
    ids = _make_messy(archive)
    result = load_and_validate(archive.root)
    report = result.report
    assert result.venue is not None
    assert report.usable, report.to_text()
    codes = report.codes()
    # 8 shafts in the demo, each linked by one relationship through its stops: A1, A2,
    # stairs A, lift B, bed lift, stairs B (4 floors, 3 links each), lift C and stairs C
    # (3 floors): 22 links.
    assert codes["relationship-inferred"] == 8
    inferred = [r for r in result.venue.relationships.values() if r.inferred]
    assert sum(len(r.unit_ids()) - 1 for r in inferred) == 22
    snapped = [p for p in report.problems if p.code == "opening-snapped"]
    assert [p.feature_id for p in snapped] == [ids["door"]]
    assert (
        "0.20 m off the wall between the walkway 'Corridor A, level 1' and the room 'Cardiology'"
        in snapped[0].message
    )
    assert codes["category-unknown"] == 1 and codes["label-plain-string"] == 1
    assert codes["translation-missing"] == 0, "English is the manifest language: nothing missing"
    # The repaired plan is connected: Cardiology's door joins it to the corridor again,
    # and lifts join the floors.
    topo = topology(result.venue)
    assert len(topo.opening_units[str(ids["door"])]) == 2
    assert str(ids["cardio"]) in topo.reachable_from_outside(public_only=True)


def test_names_missing_in_a_venue_language_are_reported(archive: Archive) -> None:
    def drop_english(features: list[dict[str, object]]) -> None:
        for f in features:
            name = f["properties"]["name"]  # type: ignore[index]
            if name and name.get("fr") == "Radiologie":  # type: ignore[union-attr]
                del name["en"]  # type: ignore[union-attr]

    archive.edit("occupant", drop_english)
    report = load_and_validate(archive.root).report
    missing = [p for p in report.problems if p.code == "translation-missing"]
    assert len(missing) == 1 and missing[0].severity == "warning"
    assert missing[0].file == "occupant.geojson"
    assert "'Radiologie' has no en version" in missing[0].message
    assert report.usable


def test_each_feature_types_rules_are_what_reading_reports(archive: Archive) -> None:
    """Every codec's declared rules hold when read: a required property removed from one of
    the demo's features is supplied by its documented rule, or the feature is refused
    with an error naming that property; a geometry of the wrong type is refused naming the
    types allowed. The codec table is the specification readers and writers share."""
    from floorplans.imdf.feature_types import CODECS

    checked = 0
    for codec in CODECS:
        features = archive.features(codec.ftype)
        if not features:
            continue
        fid = str(features[0]["id"])
        derived = {d.prop for d in codec.derivable}
        for prop in codec.required:
            saved = archive.load(f"{codec.ftype}.geojson")

            def drop(feats: list[dict[str, object]], prop: str = prop) -> None:
                feats[0]["properties"].pop(prop, None)  # type: ignore[attr-defined]

            archive.edit(codec.ftype, drop)
            problems = [
                p for p in read_imdf(archive.root, repair=False).report.problems if p.feature_id == fid
            ]
            archive.save(f"{codec.ftype}.geojson", saved)
            said = " ".join(p.message for p in problems)
            if prop in derived:  # said what the rule did, or why it could not apply here
                assert any(prop in p.message for p in problems), (codec.ftype, prop, said)
                assert "lacks required" not in said, (codec.ftype, prop, said)
            else:
                assert any("lacks required" in p.message and prop in p.message for p in problems), (
                    codec.ftype,
                    prop,
                    said,
                )
            checked += 1
        if codec.geometry is not None:
            saved = archive.load(f"{codec.ftype}.geojson")
            wrong = (
                {"type": "MultiPoint", "coordinates": [[0, 0]]}
                if "Point" not in codec.geometry
                else {"type": "LineString", "coordinates": [[0, 0], [0, 1e-5]]}
            )

            def redraw(feats: list[dict[str, object]], wrong: dict[str, object] = wrong) -> None:
                feats[0]["geometry"] = wrong

            archive.edit(codec.ftype, redraw)
            problems = [
                p for p in read_imdf(archive.root, repair=False).report.problems if p.feature_id == fid
            ]
            archive.save(f"{codec.ftype}.geojson", saved)
            assert any(
                p.code == "geometry-type" and all(g in p.message for g in codec.geometry) for p in problems
            ), (codec.ftype, problems)
            checked += 1
    assert checked >= 25
