"""The phone page following its walker, in Debian's Chromium against ``wayfinding serve``.

The phone's sensors are Chromium's own: DevTools overrides make it fire real ``devicemotion``
and ``deviceorientationabsolute`` events, fed in real time from a walk of
``simulators/phone_walk.py`` (its own gait and heading errors; it shares nothing with the page's
follower). Speech is caught where the page hands it to the browser.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, CDPSession, Page

from floorplans import load_demo_venue
from routing import Router
from simulators.phone_walk import Person, Walk, simulate_walk
from tests.api.conftest import LiveServer, serious_violations

ROUTER = Router(load_demo_venue())
SIGN = next(s for s in ROUTER.places.signs.values() if s.label("fr") == "Entrée principale")
#: From the main entrance's sign: 10 m ahead, then right into corridor A for 25 m.
ROUTE = ROUTER.route(SIGN.code, "Boutique presse", lang="fr")
#: The same start, but left into corridor A: a wrong turn for a visitor going to the shop.
WRONG = ROUTER.route(SIGN.code, "Laboratoire de prélèvements", lang="fr")
WALKER = Person(
    cadence=1.8, step_m=0.68, pocket=False, carry_offset=3.0, jolt=2.0, pause_every_m=500, miss_turn=False
)
SENSORS = ("accelerometer", "linear-acceleration", "gravity", "gyroscope", "absolute-orientation")


def phone_with_sensors(browser: Browser, url: str) -> tuple[Page, CDPSession]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="fr-FR", device_scale_factor=1
    )
    page = context.new_page()
    page.add_init_script(
        "window.__said = []; if (window.speechSynthesis) {"
        " window.speechSynthesis.speak = function (u) { window.__said.push(u.text); }; }"
    )
    page.goto(url)
    cdp = context.new_cdp_session(page)
    for kind in SENSORS:
        cdp.send("Emulation.setSensorOverrideEnabled", {"enabled": True, "type": kind})
    still = {"x": 0.0, "y": 0.0, "z": 0.0}
    cdp.send(
        "Emulation.setSensorOverrideReadings", {"type": "linear-acceleration", "reading": {"xyz": still}}
    )
    cdp.send("Emulation.setSensorOverrideReadings", {"type": "gyroscope", "reading": {"xyz": still}})
    cdp.send(
        "Emulation.setSensorOverrideReadings", {"type": "gravity", "reading": {"xyz": {**still, "z": 9.81}}}
    )
    return page, cdp


def walk_in_real_time(cdp: CDPSession, walk: Walk, *, until_s: float | None = None) -> None:
    """Feed the walk's readings to Chromium as they happen (orientation at 10 Hz)."""
    start = time.perf_counter()
    for i, (t, ax, ay, az, _compass, alpha) in enumerate(walk.samples):
        if until_s is not None and t > until_s:
            return
        while time.perf_counter() - start < t:
            time.sleep(0.002)
        cdp.send(
            "Emulation.setSensorOverrideReadings",
            {"type": "accelerometer", "reading": {"xyz": {"x": ax, "y": ay, "z": az}}},
        )
        if i % 5 == 0:
            half = math.radians(alpha) / 2  # a turn about the vertical: alpha, as the page reads it
            quat = {"x": 0.0, "y": 0.0, "z": math.sin(half), "w": math.cos(half)}
            cdp.send(
                "Emulation.setSensorOverrideReadings",
                {"type": "absolute-orientation", "reading": {"quaternion": quat}},
            )


@pytest.mark.slow(seconds=35)
def test_the_steps_advance_and_speak_by_themselves_as_the_visitor_walks(
    browser: Browser, live: LiveServer, shots: Path
) -> None:
    page, cdp = phone_with_sensors(browser, f"{live.url}/route?from={SIGN.code}&to=boutique%20presse&lang=fr")
    assert page.locator("#step-1").get_attribute("aria-current") == "step"
    page.wait_for_selector("#step-map .map-label", state="attached")
    page.get_by_role("button", name="Suivre mes pas").click()
    page.wait_for_selector("#follow-on:not([hidden])")
    walk = simulate_walk(ROUTER, ROUTE, random.Random(3), WALKER)
    walk_in_real_time(cdp, walk)
    time.sleep(0.5)
    last = len(ROUTE.maneuvers)
    assert page.locator(f"#step-{last}").get_attribute("aria-current") == "step"
    assert page.locator("#arrived").is_visible()
    said = page.evaluate("() => window.__said")
    assert said[0].startswith("Dans ") and "tournez à droite dans le couloir A" in said[0], said
    assert said[-1].startswith("Boutique presse : la porte est sur votre droite"), said
    assert page.locator("#follow-off").is_hidden()
    # The step map shows the walker, confidently, at the shop they walked into (its name within
    # a few metres of the dot on the screen), the map turned the way they walk.
    dot = page.locator("#step-map .here-dot").bounding_box()
    assert dot is not None and page.locator("#step-map").get_attribute("data-lost") == "false"
    assert "le haut du plan est devant vous" in page.locator("#map-caption").inner_text()
    shop = page.locator("#step-map .map-label span", has_text="Boutique presse").bounding_box()
    assert shop is not None
    gap = math.hypot(shop["x"] + shop["width"] / 2 - dot["x"] - dot["width"] / 2, shop["y"] - dot["y"])
    assert gap < 60, (shop, dot)
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "phone-follow-fr.png"), full_page=True)
    page.context.close()


def test_a_wrong_turn_is_noticed_and_a_new_route_offered(
    browser: Browser, live: LiveServer, shots: Path
) -> None:
    page, cdp = phone_with_sensors(browser, f"{live.url}/route?from={SIGN.code}&to=boutique%20presse&lang=fr")
    page.get_by_role("button", name="Suivre mes pas").click()
    page.wait_for_selector("#follow-on:not([hidden])")
    walk = simulate_walk(ROUTER, WRONG, random.Random(4), WALKER)
    # Ten metres to the junction, then left instead of right: 15 m the wrong way at most.
    walk_in_real_time(cdp, walk, until_s=(10 + 15) / (WALKER.cadence * WALKER.step_m))
    offer = page.locator("#follow-off")
    offer.wait_for(state="visible", timeout=5_000)
    assert "écarté du chemin" in offer.inner_text() or "autre sens" in offer.inner_text()
    page.screenshot(path=str(shots / "phone-follow-off-route-fr.png"), full_page=True)
    page.get_by_role("link", name="Nouvel itinéraire depuis ici").click()
    page.wait_for_selector("#current-text")
    assert page.locator("h1").inner_text() == "Vers Boutique presse"
    first = page.locator("#current-text").inner_text()
    # From where the page believes the visitor is: in corridor A (not in a room beside it).
    assert first.startswith("Depuis le couloir A, niveau 0, ") and "boutique presse" in first, first
    page.context.close()


@pytest.mark.slow(seconds=15)
def test_a_spanish_visitor_hears_the_turn_cue_and_reads_the_map_in_spanish(
    browser: Browser, live: LiveServer
) -> None:
    page, cdp = phone_with_sensors(browser, f"{live.url}/route?from={SIGN.code}&to=boutique%20presse&lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    page.wait_for_selector("#step-map .map-label", state="attached")
    assert page.get_by_role("button", name="Acercar").count() == 1
    page.get_by_role("button", name="Seguir mis pasos").click()
    page.wait_for_selector("#follow-on:not([hidden])")
    assert "el paso avanza a medida que camina" in page.locator("#follow-on").inner_text()
    walk = simulate_walk(ROUTER, ROUTE, random.Random(3), WALKER)
    # The ten metres to the junction and a few steps into corridor A.
    walk_in_real_time(cdp, walk, until_s=14 / (WALKER.cadence * WALKER.step_m))
    time.sleep(0.3)
    said = page.evaluate("() => window.__said")
    assert said and said[0].startswith("Dentro de ") and " metros, " in said[0], said
    # The words are Spanish; the corridor keeps the name written on its signs.
    assert "gire a la derecha hacia Couloir A" in said[0], said
    assert page.locator("#step-2").get_attribute("aria-current") == "step"
    assert "la parte de arriba del mapa está delante de usted" in page.locator("#map-caption").inner_text()
    assert serious_violations(page) == []
    page.context.close()


def test_the_ride_panel_names_the_floor_as_the_steps_do(browser: Browser, live: LiveServer) -> None:
    # The page boards the route's stairs at the first step the walker takes (the boarding itself
    # is the follower's, tested on simulated walks in tests/api/test_follow.py): what the panel says.
    board_now = (
        "() => { const P = window.WFFollow.Follower.prototype, step = P.step;"
        " P.step = function (t, h) { if (!this.ride && this.rideIndex === 0) {"
        " this._board(this.d.vertical[0], false); return this.estimate; } return step.call(this, t, h); }; }"
    )
    walk = simulate_walk(ROUTER, ROUTE, random.Random(3), WALKER)
    for lang, start, ride, button in (
        ("fr", "Suivre mes pas", "Quand vous êtes au niveau 1,", "Je suis au niveau 1"),
        ("es", "Seguir mis pasos", "Cuando esté en la planta 1,", "Estoy en la planta 1"),
    ):
        page, cdp = phone_with_sensors(
            browser, f"{live.url}/route?from={SIGN.code}&to=Cardiologie&lang={lang}"
        )
        page.get_by_role("button", name=start).click()
        page.wait_for_selector("#follow-on:not([hidden])")
        page.evaluate(board_now)
        walk_in_real_time(cdp, walk, until_s=3)
        panel = page.locator("#follow-ride")
        panel.wait_for(state="visible", timeout=5_000)
        assert page.locator("#follow-ride-text").inner_text().startswith(ride)
        assert page.locator("#follow-level").inner_text() == button
        page.context.close()
