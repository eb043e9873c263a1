"""Everyday changes: whatever a form sends, one clear refusal or a plan that reads back as changed.

Each edit is applied to a fresh copy of the demo, written as IMDF and read again: the
change must survive the round trip and the diff against the original must say it, in
words, and nothing else. Anything typed into the form's fields (hypothesis) gives
either a description of the change or an :class:`EditError`, never another exception.
"""

from __future__ import annotations

import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floorplans import DEMO_PATH, diff_venues, read_imdf
from floorplans.edit import EDITS, EditError, apply_edit
from floorplans.imdf import imdf_zip_bytes
from floorplans.model import Venue
from floorplans.topology import topology
from routing import Router


def fresh() -> Venue:
    venue = read_imdf(DEMO_PATH).venue
    assert venue is not None
    return venue


def round_trip(venue: Venue, tmp: object) -> Venue:
    data = imdf_zip_bytes(venue)
    path = f"{tmp}/edited.zip"
    with open(path, "wb") as f:
        f.write(data)
    assert zipfile.is_zipfile(io.BytesIO(data))
    again = read_imdf(path)
    assert again.venue is not None and not again.report.errors, again.report.to_text()
    return again.venue


def _by_name(venue: Venue, table: str, fr: str) -> str:
    return next(fid for fid, f in getattr(venue, table).items() if (f.name or {}).get("fr") == fr)


def test_each_edit_survives_the_round_trip_and_the_diff_says_only_it(tmp_path: object) -> None:
    base = fresh()
    cardio = _by_name(base, "occupants", "Cardiologie")
    kiosk = next(iter(base.kiosks))
    lingerie = _by_name(base, "units", "Lingerie")
    cases = [
        ("rename", cardio, {"lang": "en", "text": "Heart centre"}, "named 'Heart centre' in en"),
        ("synonyms", cardio, {"lang": "fr", "words": ["rythmologie"]}, "also found as 'rythmologie'"),
        ("move", cardio, {"unit_id": lingerie}, "moved from 'Cardiologie' to 'Lingerie'"),
        ("access", lingerie, {"staff_only": False}, "is now open to the public"),
        ("facing", kiosk, {"degrees": 123}, "now faces 123°"),
    ]
    for action, fid, params, said in cases:
        venue = fresh()
        apply_edit(venue, action, fid, **params)
        texts = [c.text for c in diff_venues(base, round_trip(venue, tmp_path), lang="fr")]
        assert any(said in t for t in texts), (action, texts)
        assert len(texts) <= 2, (action, texts)  # the change (and its synonyms line at most)


def test_a_door_closed_for_good_takes_no_route_and_no_door_is_guessed_instead(tmp_path: object) -> None:
    base = fresh()
    topo = topology(base)
    cardio_unit = base.anchors[base.occupants[_by_name(base, "occupants", "Cardiologie")].anchor_id].unit_id
    doors = [oid for oid, sides in topo.opening_units.items() if cardio_unit in sides]
    venue = fresh()
    for oid in doors:
        apply_edit(venue, "door", oid, closed=True)
    edited = round_trip(venue, tmp_path)
    assert not any(
        o.inferred
        for o in edited.openings.values()
        if cardio_unit in topology(edited).opening_units.get(o.id, [])
    )
    texts = [c.text for c in diff_venues(base, edited, lang="fr")]
    assert any("closed for good" in t for t in texts)
    assert any("Cardiologie" in t and "no longer reachable" in t for t in texts), texts
    from routing import NoRoute

    try:
        Router(edited).route("Entrée principale", "Cardiologie")
    except NoRoute as exc:
        assert exc.reason == "unreachable"
    else:
        raise AssertionError("a route went through a door closed for good")


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    action=st.sampled_from([*EDITS, "explode", ""]),
    which=st.sampled_from(["occupant", "unit", "kiosk", "opening", "amenity", "none"]),
    lang=st.one_of(st.sampled_from(["fr", "en", "de", "fr-CA"]), TEXT),
    text=TEXT,
    words=st.lists(TEXT, max_size=40),
    number=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), TEXT),
    flag=st.booleans(),
)
def test_anything_from_the_form_is_a_change_or_a_clear_refusal(
    action: str, which: str, lang: str, text: str, words: list[str], number: object, flag: bool
) -> None:
    venue = fresh()
    table = {"occupant": venue.occupants, "unit": venue.units, "kiosk": venue.kiosks,
             "opening": venue.openings, "amenity": venue.amenities}.get(which, {})  # fmt: skip
    fid = next(iter(table), "no-such-place")
    params = {
        "lang": lang,
        "text": text,
        "words": words,
        "unit_id": text or next(iter(venue.units)),
        "staff_only": flag,
        "degrees": number,
        "closed": flag,
    }
    try:
        done = apply_edit(venue, action, fid, **params)
    except EditError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert done
    imdf_zip_bytes(venue)  # whatever was accepted can be written as IMDF
