"""A hospital with two sites, through the web service: facilities add the second site after
confirming it, visitors choose their site, routes stay within it, a service asked on the wrong
site is answered with the right one; a single-site hospital's links stay as they were."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from api.app import create_app
from core.accounts import AccountStore
from core.service import WayfindingService
from core.settings import Settings
from floorplans import DEMO_PATH, FloorPlanStore
from tests.api.conftest import LiveServer, phone, published_demo, serious_violations
from tests.api.test_facilities import text_of, upload
from tests.api.test_staff import csrf_of, fresh_client
from tests.conftest import SECOND_ACCESS, SECOND_ADDRESS, SECOND_SERVICE, second_site_archive

PASSWORD = "facilities-pw-1"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = published_demo(tmp_path_factory.mktemp("sites") / "w.db")
    AccountStore(url).add("fabien", ["facilities"], PASSWORD, actor="test")
    return url


@pytest.fixture(scope="module")
def app(db: str) -> Iterator[TestClient]:
    settings = Settings(database_url=db, public_url="https://wayfinding.example.org")
    service = WayfindingService(database_url=db, venue_path=DEMO_PATH)
    with TestClient(create_app(settings, service, watch=False), base_url="https://testserver") as c:
        yield c
    service.close()


@pytest.fixture(scope="module")
def fabien(app: TestClient) -> TestClient:
    client = fresh_client(app)
    token = csrf_of(client.get("/staff/login").text)
    form = {"name": "fabien", "password": PASSWORD, "csrf": token, "next": "/staff/"}
    assert client.post("/staff/login", data=form, follow_redirects=False).status_code == 303
    return client


@pytest.fixture(scope="module")
def morvan(fabien: TestClient, db: str, tmp_path_factory: pytest.TempPathFactory) -> int:
    """Item 1 of issue 26: the second site's plan uploaded while the demo is in service. It is
    not published by accident; once confirmed as a new site, it is, and the demo stays."""
    folder = tmp_path_factory.mktemp("morvan")
    demo = FloorPlanStore(db).published()
    assert demo is not None
    r = upload(fabien, second_site_archive(folder / "m.zip").read_bytes(), name="morvan.zip")
    assert r.status_code == 303, text_of(r.text)  # type: ignore[attr-defined]
    page = fabien.get(r.headers["location"])  # type: ignore[attr-defined]
    seen = text_of(page.text)
    assert "Un nouveau site ?" in seen and "n'est aucun des sites de l'hôpital (CHU Sainte-Lumière)" in seen
    assert 'id="publish"' not in page.text, "no publish button before the site is confirmed"
    assert "Rien n'est en service" not in seen and "aucun autre site ne change" in seen
    version = int(r.headers["location"].rsplit("/", 1)[1])  # type: ignore[attr-defined]
    forced = fabien.post(f"/staff/plans/{version}/publish", data={"csrf": csrf_of(page.text)})
    assert "n'est aucun des sites de l'hôpital" in text_of(forced.text), "refused, in the page's French"
    assert FloorPlanStore(db).published("chu-sainte-lumiere") == demo, "the hospital's plan is untouched"
    assert FloorPlanStore(db).version(version).status == "draft"

    bad = fabien.post(
        f"/staff/plans/{version}/add-site", data={"csrf": csrf_of(page.text), "slug": "Morvan !"}
    )
    assert "ne peut pas nommer un site" in text_of(bad.text)
    added = fabien.post(
        f"/staff/plans/{version}/add-site", data={"csrf": csrf_of(page.text), "slug": "morvan"}
    )
    assert "« Hôpital Morvan » est maintenant un site (morvan)" in text_of(added.text)
    assert 'id="publish"' in added.text
    done = fabien.post(f"/staff/plans/{version}/publish", data={"csrf": csrf_of(added.text)})
    assert done.status_code == 200
    store = FloorPlanStore(db)
    assert store.published("morvan").id == version  # type: ignore[union-attr]
    assert store.published("chu-sainte-lumiere") == demo
    listing = text_of(fabien.get("/staff/plans").text)
    assert "Hôpital Morvan" in listing and "CHU Sainte-Lumière" in listing, "each version names its site"
    return version


def test_visitors_choose_their_site_when_the_link_does_not_say(app: TestClient, morvan: int) -> None:
    visitor = fresh_client(app)
    chooser = visitor.get("/", params={"lang": "fr"})
    seen = text_of(chooser.text)
    assert "Sur quel site êtes-vous ?" in seen and SECOND_ADDRESS in seen
    links = re.findall(r'href="(/\?site=[^"]+)"', chooser.text)
    assert [parse_qs(urlsplit(h.replace("&amp;", "&")).query)["site"] for h in links] == [
        ["chu-sainte-lumiere"],
        ["morvan"],
    ]
    home = visitor.get("/", params={"site": "morvan", "lang": "fr"})
    seen = text_of(home.text)
    assert "Site : Hôpital Morvan" in seen and SECOND_SERVICE["fr"] in seen
    assert "Radiologie" not in seen, "the other site's services are not listed"
    assert '<input type="hidden" name="site" value="morvan">' in home.text, "the form keeps the site"
    demo_home = text_of(visitor.get("/", params={"site": "chu-sainte-lumiere"}).text)
    assert SECOND_SERVICE["fr"] not in demo_home


def test_routes_stay_within_their_site_and_their_links_say_it(app: TestClient, morvan: int) -> None:
    visitor = fresh_client(app)
    place = visitor.get("/api/v1/places", params={"q": SECOND_SERVICE["fr"], "site": "morvan"}).json()[0]
    entrance = visitor.get("/api/v1/places", params={"q": "entrée", "site": "morvan"}).json()
    start = next(p for p in entrance if p["kind"] == "opening")
    route = visitor.get("/api/v1/route", params={"from": start["id"], "to": place["id"], "site": "morvan"})
    assert route.status_code == 200, route.text
    links = route.json()["links"]
    for name in ("page", "audio", "follow", "map"):
        assert "site=morvan" in links[name], name
    assert visitor.get(links["map"]).status_code == 200
    page = visitor.get(links["page"])
    assert page.status_code == 200 and SECOND_SERVICE["fr"] in text_of(page.text)
    assert 'name="site" value="morvan"' in page.text
    # The same ids on the main site: no such places there.
    wrong = visitor.get("/api/v1/route", params={"from": start["id"], "to": place["id"]})
    assert wrong.status_code == 404
    unknown = visitor.get("/api/v1/venue", params={"site": "brest-nord"})
    assert unknown.status_code == 422 and unknown.json()["reason"] == "unknown-site"
    assert "chu-sainte-lumiere (CHU Sainte-Lumière), morvan (Hôpital Morvan)" in unknown.json()["detail"]
    sites = visitor.get("/api/v1/sites").json()
    assert [(s["slug"], s["address"]) for s in sites] == [
        ("chu-sainte-lumiere", ""),
        ("morvan", SECOND_ADDRESS),
    ]


def test_a_service_of_another_site_is_answered_with_that_site(app: TestClient, morvan: int) -> None:
    visitor = fresh_client(app)
    page = visitor.get(
        "/route", params={"from": "Entrée principale", "to": SECOND_SERVICE["fr"], "lang": "fr"}
    )
    assert page.status_code == 404
    seen = text_of(page.text)
    assert "Centre de la douleur n'est pas sur ce site : c'est sur le site Hôpital Morvan." in seen
    assert f"Adresse : {SECOND_ADDRESS}" in seen and SECOND_ACCESS["fr"] in seen
    go = re.search(r'id="elsewhere-go" href="([^"]+)"', page.text)
    assert go
    there = visitor.get(go.group(1).replace("&amp;", "&"))
    assert "Site : Hôpital Morvan" in text_of(there.text)
    assert f'value="{SECOND_SERVICE["fr"]}"' in there.text, "the service is chosen as destination"

    api = visitor.get(
        "/api/v1/route", params={"from": "Entrée principale", "to": "pain clinic", "lang": "en"}
    )
    assert api.status_code == 404 and api.json()["reason"] == "other-site"
    where = api.json()["elsewhere"]
    assert (where["site"], where["site_name"], where["name"]) == ("morvan", "Morvan Hospital", "Pain clinic")
    assert where["access"] == SECOND_ACCESS["en"]


def test_a_site_taken_out_of_service_goes_back_to_its_own_previous_version(
    app: TestClient, fabien: TestClient, db: str, morvan: int, tmp_path: Path
) -> None:
    demo = FloorPlanStore(db).published("chu-sainte-lumiere")
    later = second_site_archive(tmp_path / "m2.zip", rename="Centre d'étude de la douleur")
    r = upload(fabien, later.read_bytes(), name="morvan-2.zip")
    version = int(r.headers["location"].rsplit("/", 1)[1])  # type: ignore[attr-defined]
    page = fabien.get(f"/staff/plans/{version}")
    assert "Un nouveau site ?" not in text_of(page.text), "a known site's next version is just a draft"
    published = fabien.post(f"/staff/plans/{version}/publish", data={"csrf": csrf_of(page.text)})
    take_out = re.search(r'id="take-out" href="([^"]+)"', published.text)
    assert take_out and take_out.group(1) == f"/staff/plans/{morvan}/rollback"
    confirm = fabien.get(take_out.group(1))
    fabien.post(take_out.group(1), data={"csrf": csrf_of(confirm.text)})
    store = FloorPlanStore(db)
    assert store.published("morvan").id == morvan  # type: ignore[union-attr]
    assert store.published("chu-sainte-lumiere") == demo, "the other site is untouched"


def test_closures_are_made_on_the_site_the_page_is_about(fabien: TestClient, db: str, morvan: int) -> None:
    store = FloorPlanStore(db)
    venue = store.venue(store.published("morvan").id)  # type: ignore[union-attr]
    room = next(u for u in venue.units.values() if u.public and u.category == "room")
    page = fabien.get("/staff/closures", params={"site": "morvan"})
    assert 'action="/staff/closures?site=morvan"' in page.text
    assert "Hôpital Morvan" in text_of(page.text), "the site switcher names the sites"
    form = {
        "csrf": csrf_of(page.text),
        "feature": room.id,
        "reason": "travaux",
        "until": "2h",
        "confirm": "yes",
    }
    fabien.post("/staff/closures?site=morvan", data=form)
    (closure,) = store.closures(site="morvan")
    assert closure.feature_id == room.id and store.closures(site="chu-sainte-lumiere") == []
    listing = fabien.get("/staff/closures", params={"site": "morvan"})
    fabien.post(f"/staff/closures/{closure.id}/reopen?site=morvan", data={"csrf": csrf_of(listing.text)})
    assert store.closures(site="morvan") == []


def test_usage_is_counted_per_site(app: TestClient, fabien: TestClient, morvan: int) -> None:
    visitor = fresh_client(app)
    place = visitor.get("/api/v1/places", params={"q": SECOND_SERVICE["fr"], "site": "morvan"}).json()[0]
    start = next(
        p
        for p in visitor.get("/api/v1/places", params={"q": "entrée", "site": "morvan"}).json()
        if p["kind"] == "opening"
    )
    assert (
        visitor.get("/route", params={"from": start["id"], "to": place["id"], "site": "morvan"}).status_code
        == 200
    )
    main = visitor.get("/route", params={"from": "Entrée principale", "to": "Radiologie"})
    assert main.status_code == 200
    morvan_page = text_of(fabien.get("/staff/usage", params={"site": "morvan"}).text)
    main_page = text_of(fabien.get("/staff/usage", params={"site": "chu-sainte-lumiere"}).text)
    assert SECOND_SERVICE["fr"] in morvan_page and "Radiologie" not in morvan_page
    assert "Radiologie" in main_page and SECOND_SERVICE["fr"] not in main_page
    csv = fabien.get("/staff/usage.csv", params={"site": "morvan"})
    assert "usage-morvan-" in csv.headers["content-disposition"] and "Radiologie" not in csv.text


def test_a_kiosk_of_the_second_site_guides_there_and_its_qr_code_says_which(db: str, morvan: int) -> None:
    from kiosk_app.session import KioskSession

    service = WayfindingService(database_url=db, venue_path=DEMO_PATH, site="morvan")
    try:
        kiosk = KioskSession(service, base_url="https://wayfinding.example.org")
        assert kiosk.venue_name == "Hôpital Morvan"
        assert kiosk.choose(SECOND_SERVICE["fr"]) is not None
        link = kiosk.phone_link()
        assert link is not None and "site=morvan" in link
        with pytest.raises(LookupError, match="the sites are: chu-sainte-lumiere"):
            WayfindingService(database_url=db, venue_path=DEMO_PATH, site="brest-nord")
    finally:
        service.close()


def test_a_single_site_hospitals_links_are_unchanged(client: TestClient) -> None:
    route = client.get("/api/v1/route", params={"from": "Entrée principale", "to": "Radiologie"}).json()
    assert not any("site=" in link for link in route["links"].values() if isinstance(link, str))
    home = client.get("/", params={"lang": "fr"})
    assert "Sur quel site" not in home.text and 'name="site"' not in home.text


def test_two_sites_in_a_phone_browser(browser: Browser, db: str, morvan: int, shots: Path) -> None:
    """Chromium at 360 px on ``wayfinding serve``: choose the site, ask the main site for the
    other's service, follow the answer there."""
    server = LiveServer(Path(db.removeprefix("sqlite:///")))
    try:
        page = phone(browser)
        page.goto(f"{server.url}/?lang=fr")
        page.screenshot(path=str(shots / "phone-sites-chooser-fr.png"), full_page=True)
        assert serious_violations(page) == []
        page.get_by_role("link", name="CHU Sainte-Lumière", exact=True).click()
        page.fill("#from", "Entrée principale")
        page.fill("#to", SECOND_SERVICE["fr"])
        page.locator("form.ask button[type=submit]").click()
        assert "c'est sur le site Hôpital Morvan" in page.locator(".alert").inner_text()
        page.screenshot(path=str(shots / "phone-other-site-fr.png"), full_page=True)
        page.locator("#elsewhere-go").click()
        assert "Site : Hôpital Morvan" in page.locator(".site-here").inner_text()
        assert page.input_value("#to") == SECOND_SERVICE["fr"]
    finally:
        server.stop()
