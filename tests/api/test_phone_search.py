"""Searching on the phone page as a visitor does (issue 26, items 3 and 4): in Chromium at
360 px against ``wayfinding serve``, and through the places API the suggestions come from."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from tests.api.conftest import LiveServer, phone, serious_violations


def names(client: TestClient, **params: str) -> list[str]:
    r = client.get("/api/v1/places", params={"limit": "6", **params})
    assert r.status_code == 200, r.text
    return [p["name"] for p in r.json()]


def test_entrances_are_suggested_as_the_page_says_to_type_them(client: TestClient) -> None:
    # The page's own example ("entrée principale"), in both languages of the plan.
    assert names(client, q="entrée principale", lang="fr")[0] == "Entrée principale"
    assert names(client, q="main entrance", lang="en")[0] == "Main entrance"
    # The three doors of one entrance are one suggestion.
    building_c = names(client, q="entrée du bâtiment C", lang="fr")
    assert building_c.count("Entrée du bâtiment C") == 1, building_c


def test_generic_words_list_the_nearest_first_from_where_the_visitor_starts(client: TestClient) -> None:
    near = client.get(
        "/api/v1/places", params={"q": "toilettes", "lang": "fr", "near": "Entrée principale", "limit": "6"}
    ).json()
    route = client.get("/api/v1/route", params={"from": "Entrée principale", "to": "toilettes"}).json()
    # The first suggestion is where the route takes the visitor, with the route's distance.
    assert near[0]["name"] == route["destination"]["name"]
    assert near[0]["distance_m"] == round(route["distance_m"])
    assert all(p["distance_m"] is not None for p in near)
    # Step-free: the distances are walked without stairs.
    free = client.get(
        "/api/v1/places",
        params={"q": "toilettes", "near": "Entrée principale", "profile": "step_free", "limit": "6"},
    ).json()
    free_route = client.get(
        "/api/v1/route", params={"from": "Entrée principale", "to": "toilettes", "profile": "step_free"}
    ).json()
    assert free[0]["distance_m"] == round(free_route["distance_m"])
    # Without an origin, no distances; an origin the plan does not know changes nothing.
    plain = client.get("/api/v1/places", params={"q": "toilettes"}).json()
    assert all(p["distance_m"] is None for p in plain)
    unknown = client.get("/api/v1/places", params={"q": "toilettes", "near": "nulle part"})
    assert unknown.status_code == 200 and all(p["distance_m"] is None for p in unknown.json())


def test_a_visitor_picks_the_entrance_then_the_nearest_toilets_and_the_route_goes_there(
    browser: Browser, live: LiveServer, shots: Path
) -> None:
    page = phone(browser)
    page.goto(f"{live.url}/")
    page.get_by_label("Vous êtes où ?").fill("entrée principale")
    first = page.locator("#from-suggest button").first
    first.wait_for()
    assert first.inner_text().startswith("Entrée principale")
    first.click()
    # Moving on to the next field closes the origin's suggestions.
    page.get_by_label("Où allez-vous ?").fill("toilettes")
    assert page.locator("#from-suggest button").count() == 0
    nearest = page.locator("#to-suggest button").first
    nearest.wait_for()
    assert nearest.inner_text().endswith(" m") and "Rez-de-chaussée" in nearest.inner_text()
    page.screenshot(path=str(shots / "phone-search-nearest-toilets.png"))
    assert serious_violations(page) == []
    nearest_text = nearest.inner_text()
    nearest.click()
    page.get_by_role("button", name="Montrer le chemin").click()
    page.wait_for_selector("#current-text")
    assert page.locator("#current-text").inner_text().startswith("Depuis l'entrée principale")
    # The route goes to the toilets the suggestion named, as far as it said.
    distance = nearest_text.rsplit("·", 1)[1].strip()
    assert page.locator("p.summary strong").inner_text().startswith(distance + ","), distance
    page.context.close()


def test_a_search_that_finds_nothing_keeps_the_text_and_offers_the_list(
    browser: Browser, live: LiveServer
) -> None:
    page = phone(browser)
    page.goto(f"{live.url}/")
    page.get_by_label("Vous êtes où ?").fill("entrée principale")
    page.get_by_label("Où allez-vous ?").fill("xyzzy qwerty")
    # Sent with the keyboard: the suggestions appearing under the field move the button, and a
    # click aimed at it a moment before may land on a suggestion.
    page.get_by_label("Où allez-vous ?").press("Enter")
    alert = page.get_by_role("alert")
    assert "Nous ne trouvons pas « xyzzy qwerty »" in alert.inner_text()
    assert page.get_by_label("Où allez-vous ?").input_value() == "xyzzy qwerty"
    page.get_by_role("link", name="Ou choisissez dans la liste de tous les services, plus bas.").click()
    assert page.evaluate("() => location.hash") == "#services-h"
    # A pasted text of 5,000 characters: the field keeps 200, and the answer is about the search,
    # not a broken link.
    page.get_by_label("Où allez-vous ?").fill("")
    page.get_by_label("Où allez-vous ?").focus()
    page.keyboard.insert_text("radiologie " * 455)
    assert len(page.get_by_label("Où allez-vous ?").input_value()) == 200
    page.get_by_label("Où allez-vous ?").press("Enter")
    page.wait_for_load_state()
    assert "ne mène nulle part" not in page.content()
    page.context.close()


def test_a_synonym_says_what_the_place_found_is_and_where(browser: Browser, live: LiveServer) -> None:
    page = phone(browser)
    page.goto(f"{live.url}/route?from=Entr%C3%A9e%20principale&to=IRM&lang=fr")
    assert page.locator("h1").inner_text() == "Vers Radiologie"
    assert (
        page.locator("p.asked").inner_text()
        == "Vous avez demandé « IRM » : c'est Radiologie, Rez-de-chaussée."
    )
    # A name typed as it is written says nothing more.
    page.goto(f"{live.url}/route?from=Entr%C3%A9e%20principale&to=radiologie&lang=fr")
    assert page.locator("p.asked").count() == 0
    page.context.close()
