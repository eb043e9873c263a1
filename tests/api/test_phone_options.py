"""The route page's options as a visitor uses them (issue 26, item 5), in Chromium at 360 px."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.api.conftest import LiveServer, phone

ROUTE = "/route?from=Entr%C3%A9e%20principale&to=Cardiologie&lang=fr"


@pytest.fixture(scope="module")
def quickest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A hospital that sends its visitors the quickest way, stairs or not."""
    server = LiveServer(
        tmp_path_factory.mktemp("quickest") / "w.db", env={"WAYFINDING_STAIRS_PENALTY_S": "0"}
    )
    yield server
    server.stop()


def test_the_default_walker_takes_the_lift_unless_the_hospital_says_otherwise(
    browser: Browser, live: LiveServer, quickest: LiveServer
) -> None:
    page = phone(browser)
    # The hospital's default (a minute's walk is worth a lift): to Cardiologie by the lift.
    page.goto(live.url + ROUTE)
    steps = page.locator("#steps li").all_inner_texts()
    assert any("ascenseur A1" in s for s in steps) and not any("escalier" in s for s in steps), steps
    assert page.locator("p.step-free-note").count() == 0
    # The quickest way: 20 m more by the stairs; the page says a step-free way exists, and how long.
    page.goto(quickest.url + ROUTE)
    steps = page.locator("#steps li").all_inner_texts()
    assert any("escalier A" in s for s in steps), steps
    note = page.locator("p.step-free-note a")
    assert note.inner_text() == "Sans marches : 70 m, environ 2 min, par Ascenseur A1."
    note.click()
    page.wait_for_url("**profile=step_free**")
    assert page.get_by_label("Sans marches (fauteuil, poussette, béquilles)").is_checked()
    page.context.close()


def test_step_free_on_step_three_keeps_the_visitor_there_and_back_shows_the_stairs_unticked(
    browser: Browser, quickest: LiveServer
) -> None:
    page = phone(browser)
    page.goto(quickest.url + ROUTE)
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
