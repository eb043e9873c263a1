"""The kiosk as a visitor uses it: real Kivy window under Xvfb, touches through Kivy's input."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from routing.speech import synthesize_many, wav_seconds
from tests.kiosk.conftest import Kiosk

pytestmark = pytest.mark.slow

#: Touch targets: 15 mm on a 1080 x 1920 screen as dense as 120 pixels an inch (an 18.5-inch
#: kiosk; larger screens have fewer pixels per millimetre, so the same buttons are larger).
MIN_TARGET_PX = 15 / 25.4 * 120
MIN_TEXT_PX = 32


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _route_points_drawn(kiosk: Kiosk) -> list[list[tuple[float, float]]]:
    plan = kiosk.screen.plan
    assert plan is not None and plan.view is not None
    return [
        [(line.points[i], line.points[i + 1]) for i in range(0, len(line.points), 2)]
        for line in plan.route_lines
    ]


def test_welcome_screen_offers_the_entrance_places_in_large_type(make_kiosk, shots) -> None:
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    kiosk = make_kiosk()
    texts = kiosk.texts()
    assert "Où allez-vous ?" in texts
    assert "Vous êtes ici : Hall d'accueil" in texts
    # The kiosk's own destinations from the venue data, most asked first, each with its floor.
    buttons = [t for t in texts if "\n" in t]
    assert buttons[:3] == [
        "Accueil — Admissions\nRez-de-chaussée",
        "Urgences\nRez-de-chaussée",
        "Radiologie\nRez-de-chaussée",
    ]
    # "Toilettes" means any of fourteen toilets: the button gives the floor of the nearest.
    assert "Toilettes\nRez-de-chaussée" in buttons
    for name in ("Français", "English", "Chercher un autre lieu"):
        assert kiosk.button(name)
    assert kiosk.button("Sans marches : non")  # visible without looking for it
    for w in kiosk.widgets(Label):
        if w.text:
            assert w.font_size >= MIN_TEXT_PX, (w.text, w.font_size)
    for b in kiosk.widgets(Button):
        assert b.height >= MIN_TARGET_PX and b.width >= MIN_TARGET_PX, (b.text, b.size)
    kiosk.screen.export_to_png(str(shots / "kiosk-welcome-test.png"))
    assert _png_size(shots / "kiosk-welcome-test.png") == (1080, 1920)


def test_search_choose_step_free_english_and_listen(make_kiosk) -> None:
    kiosk = make_kiosk()
    s = kiosk.session
    kiosk.tap("Chercher un autre lieu")
    for letter in "RADIO":
        kiosk.tap(letter)
    assert kiosk.button("RADIO_")  # what was typed, in the field
    suggestion = kiosk.button("Radiologie\n")
    assert "Rez-de-chaussée" in suggestion.text
    kiosk.tap(suggestion)

    assert kiosk.screen.shown == "route"
    assert "Radiologie" in kiosk.texts()
    route = s.route
    assert route is not None and route.destination.label("fr") == "Radiologie"
    # The plan shows the kiosk's floor, and the route drawn is the route's line on that floor.
    assert kiosk.screen.plan.shown_ordinal == 0
    view = kiosk.screen.plan.view
    legs = [leg for leg in route.legs if leg.ordinal == 0]
    drawn = _route_points_drawn(kiosk)
    assert len(drawn) == len(legs) >= 1
    for line, leg in zip(drawn, legs, strict=True):
        expected = [c for x, y in leg.points for c in view.to_screen(x, y)]
        assert [c for p in line for c in p] == pytest.approx(expected, abs=0.01)
        plan = kiosk.screen.plan
        assert all(plan.x <= x <= plan.right and plan.y <= y <= plan.top for x, y in line)
    first_steps = [b for b in kiosk.widgets() if getattr(b, "text", "").startswith("[b]1.[/b]")]
    assert len(first_steps) == 1 and "Dos à l'écran" in first_steps[0].text

    kiosk.tap("Sans marches : non")
    assert s.route is not None and s.route.profile == "step_free"
    assert not s.route.stairs and not {"stairs", "steps", "escalator"} & set(s.route.edge_kinds)
    assert any("sans marches" in t for t in kiosk.texts())

    kiosk.tap("English")
    texts = kiosk.texts()
    assert "Radiology" in texts and "Radiologie" not in texts
    assert any(t.startswith("1. With the screen behind you") for t in texts)
    assert kiosk.button("Step-free: on")

    kiosk.tap("Listen to the directions")
    assert kiosk.button("Stop")  # the button says how to stop it
    played = kiosk.wait_for(lambda: kiosk.screen.player.played)
    path, lang = played[0]
    assert lang == "en"
    first_speech = s.steps()[0][1]
    assert first_speech.startswith("With the screen behind you")
    # The file is the English text spoken with an English voice (the cache is keyed by both).
    assert path == synthesize_many([first_speech], "en")[0]
    assert path != synthesize_many([first_speech], "fr")[0]
    assert wav_seconds(path) > 1.0
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1 and w.getframerate() > 8000
    # The whole route follows, step after step, while the screen stays usable.
    n = len(s.steps())
    kiosk.wait_for(lambda: len(kiosk.screen.player.played) == n, timeout=60)
    kiosk.wait_for(lambda: not kiosk.screen.player.busy, timeout=30)
    assert kiosk.button("Listen to the directions")


def test_a_step_is_spoken_alone_and_becomes_current(make_kiosk) -> None:
    kiosk = make_kiosk()
    kiosk.tap("Cardiologie")
    s = kiosk.session
    assert s.levels == [0, 1]
    listens = [b for b in kiosk.widgets() if getattr(b, "text", "") == "Écouter"]
    assert len(listens) == len(s.steps())
    kiosk.tap(listens[3])
    assert s.step == 3 and s.ordinal == s.steps()[3][2] == 1
    assert kiosk.screen.plan.shown_ordinal == 1
    played = kiosk.wait_for(lambda: kiosk.screen.player.played)
    assert played == [(synthesize_many([s.steps()[3][1]], "fr")[0], "fr")]


def test_two_level_route_has_a_tab_per_level(make_kiosk) -> None:
    kiosk = make_kiosk()
    kiosk.tap("Cardiologie")
    s = kiosk.session
    assert kiosk.button("Rez-de-chaussée") and kiosk.button("Niveau 1")
    ground = _route_points_drawn(kiosk)
    kiosk.tap("Niveau 1")
    assert kiosk.screen.plan.shown_ordinal == 1 == s.ordinal
    upstairs = _route_points_drawn(kiosk)
    assert upstairs and upstairs != ground
    # The destination is marked on its floor, with its name.
    marks = kiosk.screen.plan.marks
    assert [m.label for m in marks.points if m.kind == "end"] == ["Cardiologie"]


def test_idle_visitor_leaves_and_everything_is_forgotten(make_kiosk) -> None:
    kiosk = make_kiosk()
    s = kiosk.session
    kiosk.tap("English")
    kiosk.tap("Step-free: off")
    kiosk.tap("Larger, higher contrast")
    kiosk.tap("Look for another place")
    kiosk.tap("C")
    kiosk.tap("A")
    kiosk.tap("R")
    kiosk.tap(kiosk.button("Cardiology\n"))
    assert kiosk.screen.shown == "route" and s.lang == "en" and s.step_free and s.easy_reading
    kiosk.clock.now += 59
    kiosk.screen.tick()
    assert kiosk.screen.shown == "route"  # not yet
    kiosk.clock.now += 2
    kiosk.screen.tick()
    kiosk.frames(2)
    assert kiosk.screen.shown == "welcome"
    assert (s.lang, s.step_free, s.easy_reading, s.query, s.route) == ("fr", False, False, "", None)
    texts = kiosk.texts()
    assert "Où allez-vous ?" in texts
    assert not any("CAR" in t or "Cardiology" in t or "min à pied" in t for t in texts)
    assert kiosk.button("Sans marches : non")


def test_larger_text_and_contrast(make_kiosk) -> None:
    kiosk = make_kiosk()
    before = kiosk.button("Radiologie").font_size
    kiosk.tap("Plus grand, plus contrasté")
    assert kiosk.button("Radiologie").font_size >= before * 1.15
    assert kiosk.screen.theme.bg == "#000000"
    assert kiosk.button("Plus grand, plus contrasté : oui")


def test_landscape_kiosk(make_kiosk, shots) -> None:
    from kivy.uix.button import Button

    kiosk = make_kiosk(size=(1920, 1080), kiosk_id="Borne des urgences")
    assert "Vous êtes ici : Accueil des urgences" in kiosk.texts()
    first = next(t for t in kiosk.texts() if "\n" in t)
    assert first.startswith("Urgences")  # the emergency entrance's own list
    for b in kiosk.widgets(Button):
        assert b.height >= MIN_TARGET_PX, (b.text, b.size)
    kiosk.tap("Radiologie")
    assert kiosk.screen.shown == "route"
    assert _route_points_drawn(kiosk)
    kiosk.screen.export_to_png(str(shots / "kiosk-landscape-test.png"))
    assert _png_size(shots / "kiosk-landscape-test.png") == (1920, 1080)


def test_a_kiosk_where_visitors_arrive_asks_whether_they_found_their_way(
    make_kiosk, shots, tmp_path: Path
) -> None:
    from datetime import timedelta

    from core.service import WayfindingService
    from core.usage import Period
    from floorplans import DEMO_PATH
    from tests.conftest import published_demo

    service = WayfindingService(database_url=published_demo(tmp_path / "w.db"), venue_path=DEMO_PATH)
    kiosk = make_kiosk(service, ask_arrival=True)
    question = "Vous venez d'arriver ? Avez-vous trouvé votre chemin facilement ?"
    assert question in kiosk.texts()
    for answer in ("Oui", "Non"):
        b = kiosk.button(answer)
        assert b.height >= MIN_TARGET_PX and b.width >= MIN_TARGET_PX
    kiosk.screen.export_to_png(str(shots / "kiosk-arrival-question.png"))
    kiosk.tap("Oui")
    assert "Merci pour votre réponse." in kiosk.texts()
    assert question not in kiosk.texts()
    with pytest.raises(AssertionError):
        kiosk.button("Non")  # one answer per visitor
    assert service.usage is not None
    service.usage.flush()
    today = service.usage.today()
    counts = service.usage.totals(Period(today - timedelta(days=1), today))
    assert counts["arrival"]["yes"] == 1
    assert counts["arrival.dest"]["yes|Hall d'accueil"] == 1
    kiosk.clock.now += 3600  # the visitor left: the next one is asked again
    kiosk.session.reset()
    kiosk.screen.show()
    kiosk.frames(3)
    assert question in kiosk.texts()
    service.close()


def test_a_route_round_a_closure_says_why(make_kiosk, shots, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from core.service import WayfindingService
    from floorplans import DEMO_PATH, FloorPlanStore
    from tests.conftest import published_demo

    url = published_demo(tmp_path / "w.db")
    store = FloorPlanStore(url)
    venue = store.venue(store.published().id)  # type: ignore[union-attr]
    lift = next(r for r in venue.relationships.values() if (r.name or {}).get("fr") == "Ascenseur B")
    store.close(lift.id, reason="panne", actor="facilities", until=datetime.now(UTC) + timedelta(hours=2))
    service = WayfindingService(database_url=url, venue_path=DEMO_PATH)
    kiosk = make_kiosk(service, kiosk_id="Borne des urgences")
    kiosk.tap("Sans marches : non")
    kiosk.session.choose("Endoscopie")
    kiosk.screen.show()
    kiosk.frames(3)
    said = [t for t in kiosk.texts() if t.startswith("Détour")]
    assert said and "Ascenseur B : fermeture jusqu'à" in said[0] and "(panne)" in said[0], kiosk.texts()[:8]
    kiosk.screen.export_to_png(str(shots / "kiosk-route-detour-fr.png"))
    kiosk.session.set_step_free(False)  # the usual route does not need the lift: no detour said
    kiosk.screen.show()
    kiosk.frames(3)
    assert not [t for t in kiosk.texts() if t.startswith("Détour")]
    service.close()
