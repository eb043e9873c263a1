"""The public HTTP API on the demo hospital, as a phone page or another client uses it."""

from __future__ import annotations

import io
import wave
from typing import Any
from urllib.parse import parse_qs, urlparse

import segno
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KIOSK = "Borne du hall d'accueil"


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def route(client: TestClient, **params: Any) -> Any:
    r = client.get("/api/v1/route", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_venue_lists_floors_buildings_languages_and_kiosks(client: TestClient) -> None:
    v = client.get("/api/v1/venue").json()
    assert v["name"]["fr"] == "CHU Sainte-Lumière"
    assert {"fr", "en"} <= set(v["languages"])
    assert sorted({lv["ordinal"] for lv in v["levels"]}) == [-1, 0, 1, 2]
    ground = next(lv for lv in v["levels"] if lv["ordinal"] == 0)
    assert ground["name"]["fr"] and ground["name"]["en"]
    assert {k["name"]["en"] for k in v["kiosks"]} == {"Main hall kiosk", "Car park kiosk", "Emergency kiosk"}
    assert v["version"] == 1


def test_search_forgives_accents_case_typos_and_speaks_both_languages(client: TestClient) -> None:
    def first(q: str, lang: str = "fr") -> dict[str, Any]:
        hits = client.get("/api/v1/places", params={"q": q, "lang": lang}).json()
        assert hits, q
        return hits[0]  # type: ignore[no-any-return]

    assert first("CAFETERIA")["name"] == "Cafétéria"
    assert first("radiolgie")["name"] == "Radiologie"
    assert first("cardio", "en")["name"] == "Cardiology"
    radio = first("x-ray", "en")
    assert radio["name"] == "Radiology" and radio["level"] == "Ground floor" and radio["building"]
    hits = client.get("/api/v1/places", params={"q": "radio", "limit": 3}).json()
    assert len(hits) <= 3
    assert len({(h["name"], h["level"]) for h in hits}) == len(hits), "the same place twice"


def test_route_has_steps_legs_levels_and_links(client: TestClient) -> None:
    data = route(client, **{"from": KIOSK, "to": "Bloc opératoire", "profile": "step_free", "lang": "en"})
    assert data["origin"]["name"] == "Main hall kiosk" and data["destination"]["name"] == "Operating theatres"
    assert data["levels"] == [0, 2]
    assert data["steps"][0]["screen"].startswith("With the screen behind you")
    assert any("Lift B" in s["screen"] and "level 2" in s["screen"] for s in data["steps"])
    assert all(s["speech"] and s["n"] == i for i, s in enumerate(data["steps"], 1))
    assert not set(data["stairs"])
    leg = data["legs"][0]
    lon, lat = leg["wgs84"][0]
    assert -180 <= lon <= 180 and -90 <= lat <= 90 and len(leg["points"]) == len(leg["wgs84"])
    assert data["distance_m"] > 50 and data["duration_s"] > 30
    assert set(data["links"]["maps"]) == {"0", "2"}
    # The links name the route by resolved ids: they give the same route back.
    again = client.get(data["links"]["page"].replace("/route", "/api/v1/route")).json()
    assert again["steps"] == data["steps"]


def test_step_free_route_differs_from_the_default_where_stairs_are_shorter(client: TestClient) -> None:
    default = route(client, **{"from": "Borne du parking", "to": "Radiologie"})
    step_free = route(client, **{"from": "Borne du parking", "to": "Radiologie", "profile": "step_free"})
    assert default["stairs"] and not step_free["stairs"] and step_free["lifts"]


def test_unknown_place_is_404_with_suggestions(client: TestClient) -> None:
    r = client.get("/api/v1/route", params={"from": KIOSK, "to": "cardiolgy"})
    assert r.status_code == 200  # a typo is forgiven
    r = client.get("/api/v1/route", params={"from": KIOSK, "to": "boulangerie"})
    assert r.status_code == 404
    body = r.json()
    assert "boulangerie" in body["detail"] and isinstance(body["suggestions"], list)


def test_generic_words_lead_to_the_nearest_and_a_shared_origin_asks_which(client: TestClient) -> None:
    lift = route(client, **{"from": "Cardiologie", "to": "lift", "profile": "step_free", "lang": "en"})
    assert lift["destination"]["name"] == "Lift A1" and lift["distance_m"] < 50
    r = client.get("/api/v1/route", params={"from": "toilettes", "to": "Radiologie", "lang": "en"})
    assert r.status_code == 404 and "names 14 places; say which one" in r.json()["detail"]
    ids = r.json()["suggestions"]
    first = client.get("/api/v1/route", params={"from": ids[0], "to": "Radiologie"})
    assert len(ids) == 14 and first.is_success
    page = client.get("/route", params={"from": "toilettes", "to": "Radiologie"})
    assert page.status_code == 404 and "Plusieurs lieux s&#39;appellent « toilettes » : lequel ?" in page.text
    assert "Toilettes — Rez-de-chaussée, Bâtiment B" in page.text and f"from={ids[0]}" in page.text


def test_no_route_is_422_with_the_reason_in_the_asked_language(client: TestClient) -> None:
    r = client.get("/api/v1/route", params={"from": KIOSK, "to": "Salle de réveil", "lang": "en"})
    assert r.status_code == 422
    body = r.json()
    assert body["reason"] == "staff-only" and "staff" in body["detail"].lower()
    fr = client.get("/api/v1/route", params={"from": KIOSK, "to": "Salle de réveil", "lang": "fr"}).json()
    assert fr["detail"] != body["detail"] and "personnel" in fr["detail"]


def test_bad_parameters_say_what_to_fix(client: TestClient) -> None:
    r = client.get("/api/v1/route", params={"to": "radio"})
    assert r.status_code == 422 and "'from'" in r.json()["detail"]
    r = client.get("/api/v1/route", params={"from": KIOSK, "to": "radio", "lang": "de"})
    assert r.status_code == 422 and "available: en, es, fr" in r.json()["detail"]
    r = client.get("/api/v1/route", params={"from": KIOSK, "to": "radio", "lang": "../../api/locales/fr"})
    assert r.status_code == 422, "a language is never a path to another file"
    r = client.get("/api/v1/route", params={"from": KIOSK, "to": "radio", "profile": "staff"})
    assert r.status_code == 422, "the staff profile (through staff-only places) is not public"
    r = client.get("/api/v1/levels/7/map.svg")
    assert r.status_code == 404 and "floors are -1, 0, 1, 2" in r.json()["detail"]


def test_audio_of_the_whole_route_and_of_one_step(client: TestClient) -> None:
    params = {"from": KIOSK, "to": "Bloc opératoire", "profile": "step_free", "lang": "fr"}
    data = route(client, **params)
    whole = client.get("/api/v1/route/audio.wav", params=params)
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
    step = client.get(data["steps"][0]["audio"])
    assert step.status_code == 200 and step.headers["content-type"] == "audio/wav"
    words = len(data["steps"][0]["speech"].split())
    assert words / 4.5 < wav_seconds(step.content) < words / 1.2 + 1
    assert wav_seconds(whole.content) > wav_seconds(step.content) * 2
    en = client.get("/api/v1/route/steps/1/audio.wav", params={**params, "lang": "en"})
    assert en.content != step.content
    missing = client.get("/api/v1/route/steps/99/audio.wav", params=params)
    assert missing.status_code == 404 and "has" in missing.json()["detail"]
    ranged = client.get("/api/v1/route/audio.wav", params=params, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100


def test_floor_map_draws_the_route_start_end_and_level_change(client: TestClient) -> None:
    params = {"from": KIOSK, "to": "Bloc opératoire", "profile": "step_free", "lang": "en"}
    ground = client.get("/api/v1/levels/0/map.svg", params=params)
    assert ground.status_code == 200 and ground.headers["content-type"].startswith("image/svg+xml")
    svg = ground.text
    assert 'data-route="1"' in svg and 'data-mark="start"' in svg and 'data-mark="change"' in svg
    assert "You are here" in svg and "To Level 2" in svg and 'data-mark="end"' not in svg
    top = client.get("/api/v1/levels/2/map.svg", params=params).text
    assert 'data-mark="end"' in top and "Operating theatres" in top
    plain = client.get("/api/v1/levels/1/map.svg", params={"lang": "en"}).text
    assert "data-route" not in plain and "Level 1" in plain
    cropped = client.get("/api/v1/levels/0/map.svg", params={**params, "crop": "true"}).text
    assert len(cropped) <= len(svg) and 'viewBox="0 0' not in cropped.split(">", 1)[0]


def test_qr_code_opens_the_same_route_on_the_public_address(client: TestClient) -> None:
    params = {"from": KIOSK, "to": "radio", "profile": "step_free", "lang": "en"}
    data = route(client, **params)
    svg = client.get("/api/v1/route/qr.svg", params=params)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    url = "https://wayfinding.example.org" + data["links"]["page"]
    expected = io.BytesIO()
    segno.make(url, error="m").save(expected, kind="svg", scale=6, border=4, title="x", xmldecl=False)
    assert svg.text.split("</title>")[-1] == expected.getvalue().decode().split("</title>")[-1]
    query = parse_qs(urlparse(url).query)
    assert query["profile"] == ["step_free"] and query["lang"] == ["en"]
    png = client.get("/api/v1/route/qr.png", params=params)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_pages_answer_in_the_browser_language_and_work_without_script(client: TestClient) -> None:
    home = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert home.status_code == 200 and '<html lang="en">' in home.text and "Where are you going?" in home.text
    params = {"from": KIOSK, "to": "Bloc opératoire", "profile": "step_free", "step": "4"}
    page = client.get("/route", params=params)
    assert '<html lang="fr">' in page.text
    assert page.text.count('<li id="step-') == 6
    assert 'id="step-4" class="is-current" aria-current="step"' in page.text
    assert "/api/v1/levels/2/map.svg" in page.text  # step 4 takes the lift: its map
    wrong = client.get("/route", params={"from": KIOSK, "to": "boulangerie"})
    assert wrong.status_code == 404 and "boulangerie" in wrong.text and "Vous êtes ici" in wrong.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    origin=st.one_of(st.none(), st.text(max_size=40), st.sampled_from([KIOSK, "radio", "0:1,1", "9:0,0"])),
    to=st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["Cafétéria", "Salle de réveil", ""])),
    lang=st.one_of(st.none(), st.sampled_from(["fr", "en", "de", "en-GB", "", "x" * 300])),
    step=st.one_of(st.none(), st.integers(-5, 5000).map(str), st.text(max_size=5)),
    profile=st.one_of(st.none(), st.sampled_from(["default", "step_free", "staff", "nope"])),
)
def test_no_page_request_ends_in_a_server_error(
    client: TestClient,
    origin: str | None,
    to: str | None,
    lang: str | None,
    step: str | None,
    profile: str | None,
) -> None:
    """The pages are not in the OpenAPI schema (schemathesis does not see them): fuzz them here."""
    params = {
        k: v
        for k, v in {"from": origin, "to": to, "lang": lang, "step": step, "profile": profile}.items()
        if v is not None
    }
    for path in ("/", "/route"):
        r = client.get(path, params=params)
        assert r.status_code < 500, (path, params, r.text[:300])
        if r.status_code < 300:
            assert r.headers["content-type"].startswith("text/html")


def test_a_broken_page_link_gets_a_page_in_the_visitors_language(client: TestClient) -> None:
    r = client.get(
        "/route", params={"from": KIOSK, "to": "radio", "step": "x"}, headers={"Accept-Language": "en"}
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "This link leads nowhere" in r.text and 'href="/?lang=en"' in r.text
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "Ce lien ne mène nulle part" in r.text
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_api_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert "cdn" not in page.text.lower() and "http" not in page.text.replace("http-equiv", "").lower()
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
