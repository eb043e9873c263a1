"""The route page's options as a visitor uses them (issue 26, item 5), in Chromium at 360 px."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.api.conftest import LiveServer, phone

ROUTE = "/route?from=Entr%C3%A9e%20principale&to=Cardiologie&lang=fr"


def test_step_free_on_step_three_keeps_the_visitor_there_and_back_shows_the_stairs_unticked(
    browser: Browser, live: LiveServer
) -> None:
    page = phone(browser)
    page.goto(live.url + ROUTE)
    page.get_by_role("link", name="Étape suivante").click()
    page.get_by_role("link", name="Étape suivante").click()
    assert page.locator("#current-text").inner_text().startswith("Montez par l'escalier A")
    box = page.get_by_label("Sans marches (fauteuil, poussette, béquilles)")
    box.check()
    page.wait_for_url("**profile=step_free**")
    # At the foot of the stairs, the step-free route's step is the lift, not the first step.
    assert page.locator("#current-text").inner_text().startswith("Prenez l'ascenseur A1")
    assert "Étape 3 sur" in page.locator("#current-h").inner_text()
    # Back: the stairs route again, and the box says so (a browser restores the last ticks).
    page.go_back()
    page.wait_for_selector("#current-text")
    assert page.locator("#current-text").inner_text().startswith("Montez par l'escalier A")
    assert not page.get_by_label("Sans marches (fauteuil, poussette, béquilles)").is_checked()
    page.context.close()
