"""The phone page in a real headless Chromium at 360 x 740, against ``wayfinding serve``.

Screenshots go to a temporary folder, or to ``$WAYFINDING_SCREENSHOTS`` (``docs/screenshots``
to refresh those of the documentation); look at them.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.api.conftest import LiveServer, phone, serious_violations


def whole_page(page: Page, path: Path) -> None:
    """A full-page screenshot with the lazily loaded QR code in it, as a visitor who scrolls
    down sees it."""
    qr = page.locator("section.qr img")
    if qr.count():
        qr.scroll_into_view_if_needed()
        page.wait_for_function(
            "() => { const i = document.querySelector('section.qr img');"
            " return i.complete && i.naturalWidth > 0; }"
        )
        page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)


def test_search_choose_step_free_listen_and_switch_to_english(
    browser: Browser, live: LiveServer, shots: Path
) -> None:
    page = phone(browser)
    transferred: list[int] = []
    page.goto(f"{live.url}/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert serious_violations(page) == []
    page.get_by_label("Vous êtes où ?").fill("borne du hall")
    page.locator("#from-suggest button").first.click()
    page.get_by_label("Où allez-vous ?").fill("radio")
    suggestion = page.locator("#to-suggest button", has_text="Radiologie").first
    suggestion.wait_for()
    page.screenshot(path=str(shots / "phone-search.png"))
    suggestion.click()
    assert page.get_by_label("Où allez-vous ?").input_value() == "Radiologie"
    page.get_by_role("button", name="Montrer le chemin").click()
    page.wait_for_selector("#current-text")
    assert page.locator("h1").inner_text() == "Vers Radiologie"
    # The first load of a route page: HTML, CSS, script, the map, the QR code.
    transferred = page.evaluate(
        "() => [performance.getEntriesByType('navigation')[0].transferSize,"
        " ...performance.getEntriesByType('resource').map(r => r.transferSize)]"
    )
    assert sum(transferred) < 200_000, transferred
    # Step-free: one tap on the switch, the route comes back without stairs.
    page.get_by_label("Sans marches (fauteuil, poussette, béquilles)").check()
    page.wait_for_url("**profile=step_free**")
    steps = page.locator("#steps li").all_inner_texts()
    assert steps and not any("escalier" in s.lower() for s in steps)
    assert page.locator("#steps li[aria-current=step]").count() == 1
    map_ok = page.evaluate("() => document.getElementById('map').naturalWidth > 100")
    assert map_ok, "the map of the current step did not load"
    # Next step without reloading: the highlight and the text move.
    first_text = page.locator("#current-text").inner_text()
    page.get_by_role("link", name="Étape suivante").click()
    assert page.locator("#current-text").inner_text() != first_text
    assert page.locator("#step-2").get_attribute("aria-current") == "step"
    assert "Étape 2 sur" in page.locator("#current-h").inner_text()
    whole_page(page, shots / "phone-route-step.png")
    assert serious_violations(page) == []
    # Listen to the step: the audio element loads a WAV.
    page.get_by_role("link", name="Écouter cette étape").click()
    page.wait_for_function("() => document.getElementById('player').readyState >= 2", timeout=30_000)
    audio = page.evaluate(
        "() => { const p = document.getElementById('player'); return [p.currentSrc, p.duration]; }"
    )
    assert "/steps/2/audio.wav" in audio[0] and audio[1] > 1.0
    # English: the same route, in English words.
    page.get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h1").inner_text() == "To Radiology"
    assert "Step 2 of" in page.locator("#current-h").inner_text()
    assert page.get_by_label("Step-free (wheelchair, pushchair, crutches)").is_checked()
    whole_page(page, shots / "phone-route-english.png")
    # Last step: "arrived".
    last = page.locator("#steps li a").last
    last.click()
    assert page.locator("#arrived").is_visible()
    assert "You have arrived" in page.locator("#arrived").inner_text()
    page.context.close()


def test_a_wall_poster_start_and_a_route_two_floors_up(
    browser: Browser, live: LiveServer, shots: Path
) -> None:
    page = phone(browser, locale="en-GB")
    page.goto(f"{live.url}/api/v1/places?q=cafeteria")
    cafe = page.evaluate("() => JSON.parse(document.body.innerText)[0].id")
    page.goto(f"{live.url}/?from={cafe}")
    assert page.locator("html").get_attribute("lang") == "en", "the browser's language by default"
    assert "You are at: Cafeteria" in page.locator(".start").inner_text()
    page.get_by_label("Where are you going?").fill("operating")
    page.locator("#to-suggest button").first.click()
    page.get_by_label("Step-free (wheelchair, pushchair, crutches)").check()
    page.get_by_role("button", name="Show me the way").click()
    page.wait_for_selector("#current-text")
    texts = page.locator("#steps li").all_inner_texts()
    assert any("lift" in t.lower() and "level 2" in t.lower() for t in texts), texts
    page.context.close()


def test_without_javascript_the_steps_and_the_map_still_show(browser: Browser, live: LiveServer) -> None:
    page = phone(browser, js=False)
    page.goto(f"{live.url}/route?from=Borne+du+parking&to=Cardiologie&step=2")
    assert page.locator("#steps li").count() >= 3
    assert page.locator("#step-2").get_attribute("aria-current") == "step"
    assert page.evaluate("() => document.getElementById('map').naturalWidth") > 100
    assert page.get_by_role("button", name="Mettre à jour le chemin").is_visible()
    page.context.close()


WIDEST = "() => document.documentElement.scrollWidth"


def test_larger_text_grows_the_page_and_is_remembered(
    browser: Browser, live: LiveServer, shots: Path
) -> None:
    page = phone(browser)
    page.goto(f"{live.url}/route?from=Borne+du+parking&to=Cardiologie&profile=step_free&step=3")
    assert page.evaluate(WIDEST) <= 360, "the page scrolls sideways at 360 px"
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    page.get_by_role("button", name="Texte plus grand").click()
    bigger = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert bigger >= size * 1.2
    assert page.evaluate(WIDEST) <= 360, "with larger text the page scrolls sideways at 360 px"
    page.reload()
    assert page.get_by_role("button", name="Texte plus grand").get_attribute("aria-pressed") == "true"
    page.screenshot(path=str(shots / "phone-route-larger-text.png"))
    page.goto(f"{live.url}/?lang=en")
    assert page.evaluate(WIDEST) <= 360, "the search page scrolls sideways with larger text"
    page.context.close()
