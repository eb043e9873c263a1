"""The waiting-room board on a 1920 x 1080 screen with a day unit's thirty patients (issue 26,
item 9), in Chromium against ``wayfinding serve``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Browser

from simulators.patients import tag_of
from tests.api.conftest import LiveServer
from tracker.store import TrackerStore

PATHWAY = "ambulatory-surgery"


def test_thirty_patients_are_all_shown_on_pages_that_turn_by_themselves(
    browser: Browser, live: LiveServer, shots: Path
) -> None:
    store = TrackerStore(live.db_url)
    store.register([tag_of(i) for i in range(101, 131)], actor="test")
    codes = []
    for i in range(101, 131):
        link, _token = store.link(tag_of(i), patient_ref=f"B-{i}", pathway_id=PATHWAY, actor="test")
        codes.append(link.short_code)
        if i % 3 == 0:  # some have news, the others not yet
            store.record(
                [],
                {
                    link.id: {
                        "stage_id": "theatre",
                        "stage_since": datetime.now(UTC) - timedelta(minutes=i % 50),
                    }
                },
            )
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    page.clock.install()
    page.goto(f"{live.url}/board/{PATHWAY}?lang=fr")
    page.wait_for_function(
        "() => document.querySelectorAll('.board-table tbody tr').length === 30", timeout=15_000
    )
    assert "30 patient(s) suivi(s)" in page.locator(".board-count").inner_text()
    label = page.locator("#board-page").inner_text()
    assert label.startswith("Page 1 sur "), label
    pages = int(label.rsplit(" ", 1)[1])
    seen: set[str] = set()
    for p in range(pages):
        visible = page.locator(".board-table tbody tr:not([hidden])")
        boxes = [visible.nth(k).bounding_box() for k in range(visible.count())]
        # Each row on one line, all of them on the screen.
        assert all(b is not None and b["y"] + b["height"] <= 1080 and b["height"] < 80 for b in boxes), boxes
        seen |= {visible.nth(k).locator("th").inner_text() for k in range(visible.count())}
        if p == 0:
            page.screenshot(path=str(shots / "board-30-patients.png"))
        page.clock.run_for(8_000)
    assert seen == set(codes), sorted(set(codes) - seen)
    assert page.locator("#board-page").inner_text() == label, "back to the first page after a turn"
    page.close()
