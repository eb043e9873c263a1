"""Directions read as pinned in the fixtures, one file per situation, every language."""

from __future__ import annotations

import json

import pytest

from floorplans import Venue
from routing.language import catalogue
from tests.routing.situations import FIXTURES, SITUATIONS, run


@pytest.mark.parametrize("name", sorted(SITUATIONS))
def test_situation_reads_as_pinned(name: str, demo_venue: Venue) -> None:
    expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert run(demo_venue, SITUATIONS[name]) == expected


def test_every_situation_is_covered_in_every_language() -> None:
    for path in FIXTURES.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        texts = data.get("screen") or data.get("no_route") or data.get("not_found")
        assert set(texts) == {"fr", "en", "es"}, path.name


def test_a_place_without_a_name_is_never_an_empty_name() -> None:
    from routing.instructions import Maneuver, render_step

    here = Maneuver("arrive", name={}, side="ahead")
    door = Maneuver("arrive", name={}, side="left")
    leave = Maneuver(
        "depart", "right", context="room", origin={}, name={"fr": "Couloir B", "en": "Corridor B"}
    )
    assert render_step(here, "fr") == "Vous êtes arrivé : c'est devant vous."
    assert render_step(door, "en") == "You have arrived: the door is on your left."
    assert render_step(leave, "fr") == "Sortez de la pièce, tournez à droite dans le couloir B."
    assert render_step(leave, "es") == "Salga de la sala, gire a la derecha hacia Couloir B."


def test_french_names_take_their_article_elided_and_english_specialities_none() -> None:
    fr, en = catalogue("fr"), catalogue("en")
    assert fr.definite("Endoscopie") == "l'endoscopie"
    assert fr.definite("Hall d'accueil") == "le hall d'accueil"
    assert fr.definite("ORL") == "l'ORL"
    assert fr.with_preposition("de", fr.definite("Hall du parking")) == "du hall du parking"
    assert en.definite("Respiratory medicine") == "Respiratory medicine"
    assert en.definite("Information point") == "the information point"
    assert en.definite("Lift B") == "Lift B"


def test_speech_spells_levels_and_numbers() -> None:
    fr, en = catalogue("fr"), catalogue("en")
    assert (
        fr.speakable("Prenez l'ascenseur B jusqu'au niveau -1.")
        == "Prenez l'ascenseur B jusqu'au niveau moins un."
    )
    assert en.speakable("Take Lift B to level 2 and walk 40 m").startswith(
        "Take Lift B to level two and walk forty"
    )
    assert fr.speakable("Consultation ORL, IRM") == "Consultation O R L, I R M"


def test_distances_are_rounded_as_people_say_them() -> None:
    en = catalogue("en")
    assert en.distance(3) == "a few metres"
    assert en.distance(23) == "25 m"
    assert en.distance(137) == "140 m"
    assert en.distance(333) == "350 m"
    assert catalogue("fr").distance(42, speech=True) == "40 mètres"


def test_a_language_is_never_a_path() -> None:
    for lang in ("../../api/locales/fr", "../locales/fr", "fr/../en", ".."):
        with pytest.raises(ValueError, match="no catalogue for language"):
            catalogue(lang)
    assert catalogue("FR-ca").lang == "fr"


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no catalogue for language 'xx'; available: en, es, fr"):
        catalogue("xx")
