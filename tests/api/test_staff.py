"""Staff accounts, the care desk and the companion's link, through HTTP (no broker here).

What a hospital relies on: no data without login, roles respected, forged forms
refused, password guessing slowed down, every staff action in the audit log,
typing errors at the desk caught with a message that says what to do, and a
companion link that stops at once at discharge.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from core.accounts import AccountStore
from core.service import WayfindingService
from core.settings import Settings
from database import connect
from floorplans import DEMO_PATH, FloorPlanStore
from simulators.patients import tag_of
from tests.api.conftest import published_demo
from tests.conftest import DATABASES, database_bytes, new_database
from tracker.store import TrackerStore

PATHWAY = "ambulatory-surgery"
PASSWORDS = {"claire": "care-password-1", "fabien": "facilities-pw-1", "alice": "admin-password-1"}


@pytest.fixture(scope="module", params=DATABASES)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo published, with accounts and wristbands: on SQLite, then on PostgreSQL."""
    url = published_demo(new_database(request, request.param, tmp_path_factory.mktemp("staff")))
    accounts = AccountStore(url)
    accounts.add("claire", ["care"], PASSWORDS["claire"], actor="test")
    accounts.add("fabien", ["facilities"], PASSWORDS["fabien"], actor="test")
    accounts.add("alice", ["admin"], PASSWORDS["alice"], actor="test")
    TrackerStore(url).register([tag_of(i) for i in range(1, 31)], actor="test")
    return url


@pytest.fixture(scope="module")
def app_settings(db: str) -> Settings:
    return Settings(database_url=db, public_url="https://wayfinding.example.org", companion_rate="20/minute")


@pytest.fixture(scope="module")
def staff_app(db: str, app_settings: Settings) -> Iterator[TestClient]:
    service = WayfindingService(database_url=db, venue_path=DEMO_PATH)
    with TestClient(create_app(app_settings, service, watch=False), base_url="https://testserver") as c:
        yield c
    service.close()


def fresh_client(client: TestClient) -> TestClient:
    """Another browser on the same server: no cookies. It shares the server's event loop
    (as every request does under uvicorn): a client of its own would run each request in a
    new loop, where the live hub's lock, held by its poll in the server's loop, cannot be
    awaited ("bound to a different event loop", seen once in CI)."""
    other = TestClient(client.app, base_url="https://testserver")
    other.portal = client.portal
    return other


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def login(client: TestClient, name: str, password: str | None = None) -> TestClient:
    token = csrf_of(client.get("/staff/login").text)
    r = client.post(
        "/staff/login",
        data={"name": name, "password": password or PASSWORDS[name], "csrf": token, "next": "/staff/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def alert_text(html: str) -> str:
    found = re.search(r'role="alert"><p>(.*?)</p>', html, re.S)
    assert found, "no error message on the page"
    return found.group(1).replace("&#39;", "'").replace("&amp;", "&")


def link_form(client: TestClient, tag: str, ref: str, lang: str = "fr") -> tuple[int, str]:
    page = client.get(f"/staff/care/{PATHWAY}")
    assert page.status_code == 200
    r = client.post(
        f"/staff/care/{PATHWAY}/link",
        data={"tag": tag, "patient_ref": ref, "lang": lang, "csrf": csrf_of(page.text)},
    )
    return r.status_code, r.text


# -- nothing without login --------------------------------------------------------------------------


def _routes(routes: list[object]) -> list[object]:
    """Every route, also those of included routers (FastAPI keeps them nested)."""
    out: list[object] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out += _routes(inner.routes) if inner is not None else [route]
    return out


def _staff_paths(client: TestClient) -> list[tuple[str, str]]:
    out = []
    for route in _routes(client.app.routes):  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if not path.startswith(("/staff", "/api/v1/staff")) or path == "/staff/login":
            continue
        concrete = path.replace("{pathway_id}", PATHWAY).replace("{link_id}", "1")
        for method in sorted(getattr(route, "methods", {"GET"}) - {"HEAD"}):
            out.append((method, concrete))
    return out


def test_anonymous_requests_get_the_login_page_or_401_never_data(staff_app: TestClient) -> None:
    c = fresh_client(staff_app)
    paths = _staff_paths(c)
    assert len(paths) >= 12, paths
    for method, path in paths:
        r = c.request(method, path, follow_redirects=False)
        if path.startswith("/api/") or path.endswith("/events"):
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json()["reason"] == "login"
        elif method == "GET":
            assert r.status_code == 303 and r.headers["location"].startswith("/staff/login"), (method, path)
        else:  # a form posted without a session: refused before anything else
            assert r.status_code in (303, 403), (method, path, r.status_code)
        assert "DEMO" not in r.text and "patient_ref" not in r.text


def test_login_sets_a_protected_cookie_and_the_right_password_only(staff_app: TestClient) -> None:
    c = fresh_client(staff_app)
    token = csrf_of(c.get("/staff/login").text)
    wrong = c.post("/staff/login", data={"name": "claire", "password": "nope-nope-nope", "csrf": token})
    assert wrong.status_code == 401 and "incorrect" in alert_text(wrong.text)
    r = c.post(
        "/staff/login",
        data={"name": "Claire ", "password": PASSWORDS["claire"], "csrf": token, "next": "/staff/care"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/staff/care"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert c.get("/api/v1/staff/me").json() == {"name": "claire", "roles": ["care"]}
    # An outside address as "next" is not followed (no open redirect).
    token = csrf_of(c.get("/staff/login").text)
    r = c.post(
        "/staff/login",
        data={"name": "claire", "password": PASSWORDS["claire"], "csrf": token, "next": "//evil.example"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/staff/"
    logout = c.post("/staff/logout", data={"csrf": csrf_of(c.get("/staff/").text)}, follow_redirects=False)
    assert logout.status_code == 303
    assert c.get("/api/v1/staff/me").status_code == 401


def test_the_eleventh_wrong_password_in_a_minute_is_slowed_down(staff_app: TestClient) -> None:
    c = fresh_client(staff_app)
    accounts: AccountStore = staff_app.app.state.accounts  # type: ignore[attr-defined]
    accounts.add("victim", ["care"], "victim-password-1", actor="test")
    token = csrf_of(c.get("/staff/login").text)
    codes = [
        c.post("/staff/login", data={"name": "victim", "password": f"guess-{i}", "csrf": token}).status_code
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]
    # Even the right password waits now, and the page says how long.
    r = c.post("/staff/login", data={"name": "victim", "password": "victim-password-1", "csrf": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "secondes" in alert_text(r.text) or "seconds" in alert_text(r.text)
    # Another account is not locked by it.
    login(fresh_client(staff_app), "alice")


def test_roles_a_facilities_account_cannot_link_a_wristband(staff_app: TestClient) -> None:
    c = login(fresh_client(staff_app), "fabien")
    refused = c.get(f"/staff/care/{PATHWAY}")
    assert refused.status_code == 403 and "administrateur" in refused.text
    home = c.get("/staff/")
    r = c.post(
        f"/staff/care/{PATHWAY}/link",
        data={"tag": tag_of(20), "patient_ref": "X-1", "lang": "fr", "csrf": csrf_of(home.text)},
    )
    assert r.status_code == 403
    api = c.post(
        "/api/v1/staff/links",
        json={"tag": tag_of(20), "patient_ref": "X-1", "pathway": PATHWAY},
        headers={"X-CSRF-Token": csrf_of(home.text)},
    )
    assert api.status_code == 403 and api.json()["reason"] == "role"
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    assert all(lk.tag != tag_of(20) for lk in store.active_links())
    # Only an administrator reads the audit log.
    assert c.get("/api/v1/staff/audit").status_code == 403


def test_a_forged_form_is_refused_and_changes_nothing(staff_app: TestClient) -> None:
    c = login(fresh_client(staff_app), "claire")
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    before = len(store.active_links())
    for forged in ({}, {"csrf": "not-the-token"}):
        r = c.post(f"/staff/care/{PATHWAY}/link", data={"tag": tag_of(21), "patient_ref": "F-1", **forged})
        assert r.status_code == 403 and "Formulaire expiré" in r.text and "Rechargez la page" in r.text
    # The staff API from a page needs the token in a header.
    r = c.post("/api/v1/staff/links", json={"tag": tag_of(21), "patient_ref": "F-1", "pathway": PATHWAY})
    assert r.status_code == 403 and r.json()["reason"] == "csrf"
    assert len(store.active_links()) == before


def test_care_desk_catches_typing_errors_with_what_to_do(staff_app: TestClient) -> None:
    c = login(fresh_client(staff_app), "claire")
    status, html = link_form(c, "e2c56db5-dffb-48d2-b060-d0f5a71096e0-1-999", "T-1")
    assert (
        status == 422
        and "n'est pas dans la liste" in alert_text(html)
        and "Vérifiez le numéro" in alert_text(html)
    )
    assert 'value="T-1"' in html, "what was typed stays in the form"
    # The language switch of a page that answered a form leads to the desk, not to the form's address.
    english = re.search(r'<a class="lang" href="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert english == f"/staff/care/{PATHWAY}?lang=en" and c.get(english).status_code == 200
    status, html = link_form(c, tag_of(5), "T-1")
    assert status == 200
    status, html = link_form(c, f"  {tag_of(5)}\n", "T-2")
    assert status == 422 and "déjà associé" in alert_text(html) and "Terminez d'abord" in alert_text(html)
    status, html = link_form(c, "", "T-3")
    assert status == 422 and alert_text(html) == "Renseignez le champ « Bracelet »."
    status, html = link_form(c, tag_of(6), "R" * 65)
    assert status == 422 and "trop long" in alert_text(html) and "Référence patient" in alert_text(html)
    status, html = link_form(c, tag_of(6), "T-3", lang="<script>")  # a forged form, not a crash
    assert status == 422 and "Langue de l'accompagnant" in alert_text(html)
    # A pathway that does not exist, through the API (the page only offers real ones).
    key = staff_app.app.state.accounts.new_api_key("claire", actor="test")  # type: ignore[attr-defined]
    r = c.post(
        "/api/v1/staff/links",
        json={"tag": tag_of(6), "patient_ref": "T-4", "pathway": "cardiology"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 422 and r.json()["reason"] == "unknown-pathway"
    assert "ambulatory-surgery" in r.json()["detail"]
    r = c.post(
        "/api/v1/staff/links",
        json={"tag": tag_of(5), "patient_ref": "T-4", "pathway": PATHWAY},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 409 and r.json()["reason"] == "already-linked"


def test_reloading_the_card_shows_it_again_and_a_lost_card_is_made_anew(staff_app: TestClient) -> None:
    """Post/redirect/get: a reload shows the card, never links the wristband twice; once the
    card can no longer be shown, a new one replaces it (the old link stops), audited."""
    c = login(fresh_client(staff_app), "claire")
    page = c.get(f"/staff/care/{PATHWAY}")
    r = c.post(
        f"/staff/care/{PATHWAY}/link",
        data={"tag": tag_of(18), "patient_ref": "PRG-18", "lang": "fr", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    card_url = r.headers["location"]
    first = c.get(card_url)
    again = c.get(card_url)  # the nurse presses reload
    assert first.status_code == again.status_code == 200
    link = re.search(r'class="link">([^<]+)<', first.text).group(1)  # type: ignore[union-attr]
    assert link in again.text and "déjà associé" not in again.text
    # Another browser (or after a quarter of an hour): the card cannot be shown, a new one can.
    other = login(fresh_client(staff_app), "claire")
    gone = other.get(card_url)
    assert gone.status_code == 200 and link not in gone.text and "Faire une nouvelle carte" in gone.text
    renewed = other.post(card_url, data={"csrf": csrf_of(gone.text)})
    assert renewed.status_code == 200
    new_link = re.search(r'class="link">([^<]+)<', renewed.text).group(1)  # type: ignore[union-attr]
    assert new_link != link
    token, new_token = link.rsplit("/", 1)[1], new_link.rsplit("/", 1)[1]
    companion = fresh_client(staff_app)
    assert companion.get(f"/c/{token}").status_code == 404
    assert companion.get(f"/c/{new_token}").status_code == 200
    audit = staff_app.app.state.audit  # type: ignore[attr-defined]
    assert any(e["action"] == "card-reissued" and e["actor"] == "claire" for e in audit.entries())
    # Discharged meanwhile at another desk: asking for a new card goes back to the list.
    link_id = int(card_url.split("/")[-2])
    staff_app.app.state.tracker_store.discharge(link_id, actor="t")  # type: ignore[attr-defined]
    late = other.post(card_url, data={"csrf": csrf_of(gone.text)}, follow_redirects=False)
    assert late.status_code == 303 and late.headers["location"] == f"/staff/care/{PATHWAY}"


def test_link_card_shows_qr_and_link_once_and_only_a_hash_is_stored(staff_app: TestClient, db: str) -> None:
    c = login(fresh_client(staff_app), "claire")
    status, html = link_form(c, tag_of(7), "CARD-7", lang="en")
    assert status == 200
    url = re.search(r'class="link">([^<]+)<', html).group(1)  # type: ignore[union-attr]
    assert url.startswith("https://wayfinding.example.org/c/")
    token = url.rsplit("/", 1)[1]
    assert len(token) * 6 >= 128
    assert 'src="data:image/svg+xml' in html and "Scan this code" in html  # the card in English
    code = re.search(r'class="code-big">([A-Z0-9]{4})<', html).group(1)  # type: ignore[union-attr]
    # The desk's list shows the card code, never the token.
    desk = c.get(f"/staff/care/{PATHWAY}").text
    assert code in desk and token not in desk
    # The database holds the hash only.
    assert token.encode() not in database_bytes(db)
    assert c.get(f"/c/{token}").status_code == 200


def test_companion_page_shows_stages_only_and_ends_at_discharge(staff_app: TestClient) -> None:
    c = login(fresh_client(staff_app), "claire")
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    link, token = store.link(
        tag_of(8), patient_ref="SECRET-REF-8", pathway_id=PATHWAY, companion_lang="en", actor="t"
    )
    store.record(
        [], {link.id: {"stage_id": "theatre", "stage_since": datetime.now(UTC) - timedelta(minutes=25)}}
    )
    companion = fresh_client(staff_app)
    page = companion.get(f"/c/{token}")
    assert page.status_code == 200
    html = page.text
    # 25 minutes ago when written; a loaded machine may render it a minute later.
    assert 'lang="en"' in html and "In theatre" in html and re.search(r"\b2[56] min", html), html[-2000:]
    current = re.findall(r'<li class="is-(\w+)"( aria-current="step")?>', html)
    assert current == [
        ("done", ""),
        ("done", ""),
        ("current", ' aria-current="step"'),
        ("todo", ""),
        ("todo", ""),
    ]
    assert "SECRET-REF-8" not in html and tag_of(8) not in html and "Salle d'opération" not in html
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in page.headers, "a companion's page leaves nothing in the browser"
    api = companion.get(f"/api/v1/companion/{token}").json()
    assert api["stage"] == "theatre" and api["label"] == "In theatre" and not api["ready"]
    assert set(api) == {
        "lang", "pathway", "pathway_name", "stage", "label", "since", "signal", "updates", "ready",
        "pickup_place", "stages",
    }  # fmt: skip
    # Discharge at the desk: the link stops at once, kindly, in the companion's language.
    confirm = c.get(f"/staff/care/links/{link.id}/discharge")
    assert "SECRET-REF-8" in confirm.text
    r = c.post(f"/staff/care/links/{link.id}/discharge", data={"csrf": csrf_of(confirm.text)})
    assert r.status_code == 200 and "ne fonctionne plus" in r.text
    ended = companion.get(f"/c/{token}")
    assert ended.status_code == 410 and 'lang="en"' in ended.text and "has ended" in ended.text
    assert companion.get(f"/api/v1/companion/{token}").status_code == 410


def test_a_page_open_at_discharge_says_the_follow_up_has_ended_in_its_big_box(staff_app: TestClient) -> None:
    c = login(fresh_client(staff_app), "claire")
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    link, token = store.link(
        tag_of(17), patient_ref="END-17", pathway_id=PATHWAY, companion_lang="en", actor="t"
    )
    events: list[tuple[str, dict[str, str]]] = []

    def read() -> None:
        with fresh_client(staff_app).stream("GET", f"/c/{token}/events") as r:
            event = ""
            for line in r.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    events.append((event, json.loads(line[6:])))
                    if event == "ended":
                        return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 20
    while not events and time.monotonic() < deadline:
        time.sleep(0.05)
    assert events and "No news yet" in events[0][1]["html"], "before: no stage seen yet"
    confirm = c.get(f"/staff/care/links/{link.id}/discharge")
    r = c.post(f"/staff/care/links/{link.id}/discharge", data={"csrf": csrf_of(confirm.text)})
    assert r.status_code == 200 and "ne fonctionne plus" in r.text, r.text[-500:]
    reader.join(timeout=30)
    assert events[-1][0] == "ended", [e for e, _ in events]
    html = events[-1][1]["html"]
    big = re.search(r'<p class="stage-now" id="stage-now">([^<]*)</p>', html)
    assert big is not None and big.group(1) == "The follow-up has ended", html
    assert "No news yet" not in html


def test_login_keeps_the_name_after_a_wrong_password_and_pages_say_skip_to_content(
    staff_app: TestClient,
) -> None:
    c = fresh_client(staff_app)
    first = c.get("/staff/login")
    assert re.search(r'<input id="name"[^>]* autofocus', first.text), "the focus starts in the first field"
    assert '<a class="skip" href="#main">Aller au contenu</a>' in first.text
    wrong = c.post(
        "/staff/login", data={"name": "claire", "password": "not-hers", "csrf": csrf_of(first.text)}
    )
    assert wrong.status_code == 401
    assert re.search(r'<input id="name"[^>]* value="claire"', wrong.text), "the name is kept"
    assert re.search(r'<input id="password"[^>]* autofocus', wrong.text), "the focus goes to the password"


def test_error_and_ended_pages_offer_the_other_languages(staff_app: TestClient) -> None:
    token = expired_link(staff_app, 19, "LANG-19", lang="en")
    c = fresh_client(staff_app)
    ended = c.get(f"/c/{token}")
    assert ended.status_code == 410 and 'lang="en"' in ended.text
    assert f'href="/c/{token}?lang=fr"' in ended.text and 'hreflang="es"' in ended.text
    french = c.get(f"/c/{token}?lang=fr")
    assert french.status_code == 410 and "Le suivi est terminé" in french.text
    broken = c.get("/c/nope?lang=fr")
    assert 'href="/c/nope?lang=en"' in broken.text


def test_unknown_tokens_all_get_the_same_404(staff_app: TestClient) -> None:
    c = fresh_client(staff_app)
    a = c.get("/c/AAAAAAAAAAAAAAAAAAAAAAAA")
    b = c.get("/c/x")
    assert a.status_code == b.status_code == 404
    # The same page (its language links lead back to the address asked, whatever it was).
    assert (
        a.text.replace("AAAAAAAAAAAAAAAAAAAAAAAA", "x") == b.text
        and "opens no follow-up" in c.get("/c/y", headers={"Accept-Language": "en"}).text
    )


def test_live_streams_of_unknown_or_ended_links_answer_before_they_start(
    staff_app: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An unknown or ended link's event stream is a 404 or 410, not a 200 broken off by an
    error in the log (the page's EventSource stops on it instead of retrying for ever)."""
    token = expired_link(staff_app, 16, "OLD-16")
    c = fresh_client(staff_app)
    with caplog.at_level("ERROR"):
        unknown = c.get("/c/AAAAAAAAAAAAAAAAAAAAAAAA/events")
        ended = c.get(f"/c/{token}/events")
        board = c.get("/board/no-such-pathway/events")
    assert (unknown.status_code, ended.status_code, board.status_code) == (404, 410, 404)
    assert unknown.headers["content-type"].startswith("application/json"), unknown.headers
    assert "This link is not known" in unknown.json()["detail"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


def expired_link(app: TestClient, n: int, ref: str, *, lang: str = "fr") -> str:
    """The token of a link made 25 hours ago: past its companion's 24 hours."""
    store: TrackerStore = app.app.state.tracker_store  # type: ignore[attr-defined]
    _link, token = store.link(
        tag_of(n),
        patient_ref=ref,
        pathway_id=PATHWAY,
        companion_lang=lang,
        actor="t",
        now=datetime.now(UTC) - timedelta(hours=25),
    )
    return token


def test_expired_link_answers_410(staff_app: TestClient) -> None:
    token = expired_link(staff_app, 9, "EXP-9")
    assert fresh_client(staff_app).get(f"/c/{token}").status_code == 410


def test_requests_per_companion_link_are_limited(staff_app: TestClient) -> None:
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    _link, token = store.link(tag_of(10), patient_ref="R-10", pathway_id=PATHWAY, actor="t")
    c = fresh_client(staff_app)
    codes = [c.get(f"/api/v1/companion/{token}").status_code for _ in range(21)]
    assert codes == [200] * 20 + [429]
    page = c.get(f"/c/{token}")
    assert page.status_code == 429 and int(page.headers["retry-after"]) > 0 and "<h1>" in page.text


def test_board_lists_card_codes_never_names(staff_app: TestClient) -> None:
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    link, _token = store.link(tag_of(11), patient_ref="BOARD-11", pathway_id=PATHWAY, actor="t")
    c = fresh_client(staff_app)
    staff_app.portal.call(staff_app.app.state.hub.refresh)  # type: ignore[attr-defined,union-attr]
    html = c.get(f"/board/{PATHWAY}").text
    assert link.short_code and link.short_code in html
    assert "BOARD-11" not in html and tag_of(11) not in html
    assert c.get("/board/nope").status_code == 404


def test_api_key_for_scripts_and_disabled_accounts_lose_access(staff_app: TestClient) -> None:
    accounts: AccountStore = staff_app.app.state.accounts  # type: ignore[attr-defined]
    accounts.add("script", ["care"], "script-password-1", actor="alice")
    key = accounts.new_api_key("script", actor="alice")
    c = fresh_client(staff_app)
    auth = {"Authorization": f"Bearer {key}"}
    r = c.post(
        "/api/v1/staff/links",
        json={"tag": tag_of(12), "patient_ref": "K-12", "pathway": PATHWAY},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["card_code"] and body["companion_url"].endswith(body["token"])
    patients = c.get(f"/api/v1/staff/pathways/{PATHWAY}/patients", headers={"X-API-Key": key}).json()
    assert any(p["id"] == body["id"] for p in patients)
    r = c.post(f"/api/v1/staff/links/{body['id']}/discharge", headers=auth)
    assert r.status_code == 200 and r.json()["discharged_at"]
    assert c.get(f"/c/{body['token']}").status_code == 410
    accounts.set_active("script", False, actor="alice")
    assert c.get("/api/v1/staff/me", headers=auth).status_code == 401
    assert c.get("/api/v1/staff/me", headers={"Authorization": "Bearer wf_1_forged"}).status_code == 401


def test_a_new_password_ends_every_session_and_key_of_the_account(staff_app: TestClient) -> None:
    """Issue 27: a password changed because it leaked must shut out whoever used it, at their
    next request, in every browser and script; the administrator who changed their own stays in."""
    accounts: AccountStore = staff_app.app.state.accounts  # type: ignore[attr-defined]
    accounts.add("night.nurse", ["care"], "night-password-1", actor="alice")
    key = accounts.new_api_key("night.nurse", actor="alice")
    desk = login(fresh_client(staff_app), "night.nurse", "night-password-1")
    phone_of_thief = login(fresh_client(staff_app), "night.nurse", "night-password-1")
    assert desk.get(f"/staff/care/{PATHWAY}").status_code == 200
    auth = {"Authorization": f"Bearer {key}"}
    assert desk.get("/api/v1/staff/me", headers=auth).status_code == 200

    alice = login(fresh_client(staff_app), "alice")
    page = alice.get("/staff/accounts")
    changed = alice.post("/staff/accounts/night.nurse", data={"csrf": csrf_of(page.text), "what": "password"})
    new_password = re.search(r'<p class="code">([^<]{12,})</p>', changed.text)
    assert changed.status_code == 200 and new_password, "the new password is shown once"

    for browser in (desk, phone_of_thief):
        r = browser.get(f"/staff/care/{PATHWAY}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    assert fresh_client(staff_app).get("/api/v1/staff/me", headers=auth).status_code == 401
    again = login(fresh_client(staff_app), "night.nurse", html.unescape(new_password.group(1)))
    assert again.get(f"/staff/care/{PATHWAY}").status_code == 200, "the new password works"
    # An administrator's own new password: this session goes on.
    accounts.add("night.admin", ["admin"], "night-admin-pass-1", actor="alice")
    boss = login(fresh_client(staff_app), "night.admin", "night-admin-pass-1")
    token = csrf_of(boss.get("/staff/accounts").text)
    assert (
        boss.post("/staff/accounts/night.admin", data={"csrf": token, "what": "password"}).status_code == 200
    )
    assert boss.get("/staff/accounts").status_code == 200
    entry = next(e for e in accounts_log(staff_app) if e["target"] == "account night.nurse")
    assert (entry["action"], entry["details"]) == (
        "set-password",
        {"sessions_ended": True, "keys_revoked": 1},
    )


def accounts_log(staff_app: TestClient) -> list[dict[str, object]]:
    from database import AuditLog

    return AuditLog(staff_app.app.state.accounts.engine).entries(20)  # type: ignore[attr-defined]


def test_every_staff_action_is_in_the_audit_log(staff_app: TestClient) -> None:
    stranger = fresh_client(staff_app)
    token = csrf_of(stranger.get("/staff/login").text)
    stranger.post("/staff/login", data={"name": "mallory", "password": "guess-guess", "csrf": token})
    c = login(fresh_client(staff_app), "claire")
    status, _html = link_form(c, tag_of(13), "AUDIT-13")
    assert status == 200
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    link = next(lk for lk in store.active_links() if lk.tag == tag_of(13))
    confirm = c.get(f"/staff/care/links/{link.id}/discharge")
    c.post(f"/staff/care/links/{link.id}/discharge", data={"csrf": csrf_of(confirm.text)})
    admin = login(fresh_client(staff_app), "alice")
    log = admin.get("/api/v1/staff/audit", params={"limit": 1000}).json()
    mine = [(e["actor"], e["action"], e["target"]) for e in log]
    assert ("claire", "link-wristband", f"link {link.id}") in mine
    assert ("claire", "discharge", f"link {link.id}") in mine
    assert ("claire", "login", "staff login") in mine
    assert ("mallory", "login-failed", "staff login") in mine
    assert all(e["at"] for e in log)


def test_an_older_store_gains_the_new_columns_and_keeps_its_links(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # the table as the first release created it
        conn.execute(
            text(
                "CREATE TABLE wristband_link (id INTEGER PRIMARY KEY, tag VARCHAR(64), "
                "patient_ref VARCHAR(64), pathway_id VARCHAR(64), companion_lang VARCHAR(8), "
                "token_sha256 VARCHAR(64), created_at DATETIME, created_by VARCHAR(100), "
                "discharged_at DATETIME, stage_id VARCHAR(64), stage_since DATETIME, "
                "last_seen FLOAT, battery_mv INTEGER)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO wristband_link (tag, patient_ref, pathway_id, companion_lang, "
                "token_sha256, created_at, created_by) VALUES ('wb-1', 'OLD-1', "
                "'ambulatory-surgery', 'fr', 'x', '2026-11-30 10:00:00', 'a')"
            )
        )
    store = TrackerStore(connect(url))  # as the process that opens it first: migrated
    (old,) = store.active_links()
    assert old.patient_ref == "OLD-1" and old.short_code is None and old.expires_at is None
    assert old.companion_open()
    store.register(["wb-2"], actor="t")
    new, _token = store.link("wb-2", patient_ref="NEW-2", pathway_id="ambulatory-surgery", actor="t")
    assert new.short_code and new.expires_at
    FloorPlanStore(url).audit_log()  # the audit table exists too


def test_ready_patient_guide_me_there_from_every_offered_start(staff_app: TestClient) -> None:
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    link, token = store.link(tag_of(14), patient_ref="READY-14", pathway_id=PATHWAY, actor="t")
    store.record([], {link.id: {"stage_id": "ready", "stage_since": datetime.now(UTC)}})
    html = fresh_client(staff_app).get(f"/c/{token}").text
    assert '<section class="guide" id="guide" aria-labelledby' in html, "the guide shows when ready"
    groups = re.findall(r'<optgroup label="([^"]+)">', html)
    assert groups == ["Salles d&#39;attente", "Entrées", "Bornes"]
    starts = re.findall(r'<option value="([^"]+)">([^<]+)</option>', html)
    assert starts[0][1] == "Salon d&#39;attente ambulatoire", "the pathway's own waiting room first"
    assert any(name == "Entrée principale" for _id, name in starts)
    assert len({name for _id, name in starts}) == len(starts), "every choice reads differently"
    pickup = re.search(r'name="to" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    for place_id, _name in starts:
        r = staff_app.get("/api/v1/route", params={"from": place_id, "to": pickup})
        assert r.status_code == 200, (place_id, r.text)
        assert r.json()["destination"]["name"] == "Salon de sortie"


def test_care_desk_list_streams_live_for_the_logged_in_desk(staff_app: TestClient) -> None:
    c = login(fresh_client(staff_app), "claire")
    store: TrackerStore = staff_app.app.state.tracker_store  # type: ignore[attr-defined]
    link, _token = store.link(tag_of(15), patient_ref="LIVE-15", pathway_id=PATHWAY, actor="t")
    store.record([], {link.id: {"battery_mv": 2400}})
    with c.stream("GET", f"/staff/care/{PATHWAY}/events") as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                rows = json.loads(line[6:])["html"]
                break
    assert "LIVE-15" in rows and link.short_code in rows and "batterie faible" in rows


def test_requests_per_address_are_limited_across_links(db: str) -> None:
    """Someone trying tokens one after another from one address is stopped, whatever the tokens."""
    settings = Settings(database_url=db, address_rate="5/minute")
    service = WayfindingService(database_url=db, venue_path=DEMO_PATH)
    with TestClient(create_app(settings, service, watch=False)) as c:
        codes = [c.get(f"/c/guess-{i}").status_code for i in range(6)]
        assert codes == [404] * 5 + [429]
        assert c.get("/api/v1/venue").status_code == 200, "the phone pages are not affected"
    service.close()
