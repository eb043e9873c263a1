"""The route page's step map (issue 24, part 3): what it is given (``/api/v1/route/map``) and what
a visitor sees at 360 px in Debian's Chromium against ``wayfinding serve``: the current step
zoomed, the place it names written, names that can be read without zooming and never pile up,
pan and zoom; without JavaScript, the floor's SVG as before (``test_phone_page.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page
from shapely.geometry import LineString, Point, Polygon

from api.schemas import RouteMapOut
from tests.api.conftest import LiveServer, phone, serious_violations

ROUTE = {"from": "Entrée principale", "to": "Radiologie"}


def test_the_map_gets_the_places_around_the_route_named_in_the_visitors_language(client: TestClient) -> None:
    route = client.get("/api/v1/route", params={**ROUTE, "lang": "en"}).json()
    r = client.get(route["links"]["map"])
    assert r.status_code == 200
    data = r.json()
    RouteMapOut.model_validate(data)
    assert len(data["steps"]) == len(route["steps"]) == len(data["landmarks"])
    assert set(data["floors"]) == {str(o) for o in route["levels"]}
    floor = data["floors"]["0"]
    assert floor["name"] == "Ground floor"
    names = {u[0]: u[1] for u in floor["units"]}
    # The destination is among the places, named in English, its name written inside it.
    dest = next(u for u in floor["units"] if u[0] == data["destination"])
    assert dest[1] == "Radiology"
    assert Polygon(dest[4][0]).buffer(0.01).contains(Point(dest[5]))
    # The place a step names is the one outlined: "past the newsagent".
    said = [(s["screen"], lm) for s, lm in zip(route["steps"], data["landmarks"], strict=True) if lm]
    assert said and all(names[lm].lower() in text.lower() for text, lm in said), said
    assert any("newsagent" in text for text, _lm in said)
    # Only the route's surroundings: every place within 40 m of it.
    line = LineString([(p[1], p[2]) for p in data["path"] if p[0] == 0])
    assert all(line.distance(Polygon(u[4][0])) <= 40.5 for u in floor["units"])
    assert 20 < len(floor["units"]) < 120 and floor["doors"]


def test_bad_requests_for_the_map_say_what_is_wrong(client: TestClient) -> None:
    r = client.get("/api/v1/route/map", params={"from": "nowhere at all xyz", "to": "radiologie"})
    assert r.status_code == 404 and "nowhere at all xyz" in r.json()["detail"]
    r = client.get("/api/v1/route/map", params={**ROUTE, "lang": "xx-nope"})
    assert r.status_code == 422 and "lang" in r.text


def labels(page: Page) -> list[dict[str, Any]]:
    """The names the map shows: text, box on screen, font size."""
    return page.evaluate(
        """() => {
          const frame = document.getElementById('step-map').getBoundingClientRect();
          return Array.from(document.querySelectorAll('#step-map .map-label')).filter(
            (el) => el.style.visibility !== 'hidden').map((el) => {
              const span = el.firstChild, r = span.getBoundingClientRect();
              return {text: span.textContent, box: [r.left, r.top, r.right, r.bottom],
                      frame: [frame.left, frame.top, frame.right, frame.bottom],
                      size: parseFloat(getComputedStyle(span).fontSize),
                      landmark: el.classList.contains('is-landmark')};
          });
        }"""
    )


def readable(shown: list[dict[str, Any]]) -> None:
    """Every name shown is at least 13 px, inside the map and over no other name."""
    for i, a in enumerate(shown):
        assert a["size"] >= 13, a
        f = a["frame"]
        assert f[0] <= a["box"][0] and a["box"][2] <= f[2] and f[1] <= a["box"][1] and a["box"][3] <= f[3], a
        for b in shown[i + 1 :]:
            apart = (
                a["box"][2] <= b["box"][0]
                or b["box"][2] <= a["box"][0]
                or a["box"][3] <= b["box"][1]
                or b["box"][3] <= a["box"][1]
            )
            assert apart, (a["text"], b["text"])


def end_point(page: Page) -> tuple[float, float]:
    box = page.locator("#step-map .map-end").bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_each_step_is_shown_zoomed_with_the_place_it_names_and_the_map_moves_under_the_finger(
    browser: Browser, live: LiveServer, shots: Path
) -> None:
    page = phone(browser)
    page.goto(f"{live.url}/route?from=Entr%C3%A9e%20principale&to=Radiologie&lang=fr")
    page.wait_for_selector("#step-map .map-label", state="attached")
    assert page.locator("#map").is_hidden()  # the floor's SVG gives way to the step map
    page.wait_for_timeout(200)
    first = labels(page)
    readable(first)
    assert "Hall d'accueil" in [a["text"] for a in first]
    assert page.locator("#step-map .map-next").inner_text() == "2"
    assert page.locator("#step-map .map-stretch").count() == 1
    # Step 2 names the shop it passes: outlined, its name written in the landmark's colour.
    page.get_by_role("link", name="Étape suivante").click()
    page.wait_for_timeout(200)
    second = labels(page)
    readable(second)
    assert [a["text"] for a in second if a["landmark"]] == ["Boutique presse"]
    assert page.locator("#step-map .map-landmark").count() == 1
    assert page.locator("#step-map .map-next").inner_text() == "3"
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "phone-step-map-fr.png"), full_page=True, clip=_map_clip(page))
    # The last step: the destination named, the end marked.
    page.get_by_role("link", name="Étape suivante").click()
    page.get_by_role("link", name="Étape suivante").click()
    page.wait_for_timeout(200)
    last = labels(page)
    readable(last)
    assert "Radiologie" in [a["text"] for a in last]
    # Its name beside the end's red dot, not over it (the dot sits in the destination).
    dest = next(a["box"] for a in last if a["text"] == "Radiologie")
    end = page.locator("#step-map .map-end").bounding_box()
    assert end is not None
    apart = (
        dest[2] <= end["x"]
        or end["x"] + end["width"] <= dest[0]
        or dest[3] <= end["y"]
        or end["y"] + end["height"] <= dest[1]
    )
    assert apart, (dest, end)
    # Zoom and pan are the map's own (Leaflet): the end mark moves under a drag, names stay readable.
    x0, y0 = end_point(page)
    page.get_by_role("button", name="Agrandir le plan").click()
    page.wait_for_timeout(400)
    readable(labels(page))
    x1, y1 = end_point(page)
    box = page.locator("#step-map").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 40, cy + 30, steps=8)
    page.mouse.up()
    page.wait_for_timeout(300)
    x2, y2 = end_point(page)
    assert (x1, y1) != (x0, y0)
    # With the finger, and a little more (Leaflet's inertia, as a phone's maps do).
    assert -52 <= x2 - x1 <= -37 and 27 <= y2 - y1 <= 42, (x1, y1, x2, y2)
    readable(labels(page))
    page.context.close()


def test_english_names_on_the_map_of_an_english_page(browser: Browser, live: LiveServer) -> None:
    page = phone(browser, locale="en-GB")
    page.goto(f"{live.url}/route?from=Entr%C3%A9e%20principale&to=Radiologie&lang=en&step=2")
    page.wait_for_selector("#step-map .map-label", state="attached")
    page.wait_for_timeout(200)
    shown = labels(page)
    readable(shown)
    assert [a["text"] for a in shown if a["landmark"]] == ["Newsagent"]
    assert page.get_by_role("button", name="Zoom in").count() == 1
    page.context.close()


def _map_clip(page: Page) -> dict[str, float]:
    """From the current step's words to the bottom of its map."""
    top, fig = page.locator("#current-h").bounding_box(), page.locator("figure.map").bounding_box()
    assert top is not None and fig is not None
    return {"x": 0, "y": top["y"] - 12, "width": 360, "height": fig["y"] + fig["height"] + 12 - top["y"]}
