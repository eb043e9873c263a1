"""Usage counts: what the page for those who run the hospital shows, and what is never kept.

The phone page and the kiosk count routes, refusals, typed searches (the text only when
it found nothing), routes followed to the end and the answer on arrival; the page and
its CSV add them up per day and week. Nothing stored names a visitor: no address, no
browser, no time of day. Counting from several threads gives the same totals as from one.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from core.accounts import AccountStore
from core.service import WayfindingService
from core.settings import Settings
from core.usage import CountRow, Period, UsageRecorder
from database import connect
from kiosk_app.session import KioskSession
from tests.api.conftest import published_demo
from tests.api.test_facilities import signed_in, text_of
from tests.api.test_staff import fresh_client
from tests.conftest import DATABASES, new_database

PASSWORDS = {"claire": "care-password-1", "fabien": "facilities-pw-1", "alice": "admin-password-1"}


@pytest.fixture(scope="module", params=DATABASES)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """This module's own database (its counts start from nothing), with one account per
    role; conftest's ``service`` runs on it. SQLite, then PostgreSQL (their upserts differ)."""
    url = published_demo(new_database(request, request.param, tmp_path_factory.mktemp("usage")))
    accounts = AccountStore(url)
    for name, role in (("claire", "care"), ("fabien", "facilities"), ("alice", "admin")):
        accounts.add(name, [role], PASSWORDS[name], actor="test")
    return url


@pytest.fixture(scope="module")
def app(store_url: str, service: WayfindingService) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, public_url="https://wayfinding.example.org")
    with TestClient(create_app(settings, service, watch=False), base_url="https://testserver") as c:
        yield c


def visitor(app: TestClient, browser: str) -> TestClient:
    client = fresh_client(app)
    client.headers["user-agent"] = browser
    return client


def test_a_phone_visit_is_counted_and_shown(
    app: TestClient, service: WayfindingService, store_url: str
) -> None:
    anne = visitor(app, "Mozilla/5.0 (Linux; Android 14) AnneBrowser/1")
    bob = visitor(app, "Mozilla/5.0 (iPhone; iOS 18) BobBrowser/2")
    page = anne.get("/route", params={"from": "Entrée principale", "to": "radiologie"})
    assert page.status_code == 200
    total = len(re.findall(r'<li id="step-\d+"', page.text))
    # Walked to the last step (without the script: one page per step), then answered.
    for n in range(2, total + 1):
        anne.get("/route", params={"from": "Entrée principale", "to": "radiologie", "step": n})
    origin = re.search(r'name="from" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    dest = re.search(r'name="to" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answered = anne.post(
        "/arrival",
        data={"answer": "yes", "from": origin, "to": dest, "lang": "fr", "step": str(total)},
        follow_redirects=True,
    )
    assert "Merci pour votre réponse" in text_of(answered.text)
    assert "Avez-vous trouvé votre chemin" not in text_of(answered.text)
    bob.get("/route", params={"from": "Entrée principale", "to": "Bloc opératoire", "profile": "step_free"})
    bob.get("/route", params={"from": "Entrée principale", "to": "xyzzy plugh"})  # found nothing
    bad = bob.post("/arrival", data={"answer": "maybe", "from": origin, "to": dest})
    assert bad.status_code == 422
    fabien = signed_in(app, "fabien")
    seen = text_of(fabien.get("/staff/usage").text)
    assert re.search(r"Itinéraires demandés 2\b", seen), seen[:1500]
    assert "Part sans marche 50 %" in seen
    assert "Destinations tapées 3 (1 sans résultat)" in seen
    assert "xyzzy plugh" in seen
    assert "1 oui, 0 non (100 % de oui)" in seen
    assert "Itinéraires suivis jusqu'à la dernière étape (téléphone) 50 %" in seen
    # Codes in the page's words, not the counters' (issue 26, item 14).
    assert "Itinéraires refusés, par motif lieu introuvable 1" in seen, seen
    assert "Téléphone ou borne téléphone 2" in seen
    assert "not-found" not in seen and " phone " not in seen
    today = service.usage.today().isoformat()  # the hospital's day, not the machine's
    assert re.search(rf"{today} 2 2 0 2 0 50 % 1 / 0", seen), "per day: routes, phones, distinct phones"
    # The CSV: the same counters, one per line.
    rows = list(csv.reader(io.StringIO(fabien.get("/staff/usage.csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["day", "kind", "key", "count"]
    counts = {(k, key): int(n) for _d, k, key, n in rows[1:]}
    assert counts[("route", "")] == 2 and counts[("distinct.phone", "")] == 2
    assert counts[("arrival", "yes")] == 1 and counts[("search.miss", "xyzzy plugh")] == 1
    assert counts[("route.dest", "Radiologie")] == 1 and counts[("route.origin", "Entrée principale")] == 2


def test_nothing_stored_identifies_a_visitor(
    app: TestClient, service: WayfindingService, store_url: str
) -> None:
    visitor(app, "Mozilla/5.0 SecretBrowser/9").get(
        "/route", params={"from": "Entrée principale", "to": "ORL"}
    )
    assert service.usage is not None
    service.usage.flush()
    engine = create_engine(store_url)
    with engine.connect() as c:
        dump = " ".join(
            str(row)
            for table in ("usage_count", "usage_seen", "usage_salt")
            for row in c.execute(text(f"SELECT * FROM {table}"))
        )
    for secret in ("SecretBrowser", "testclient", "127.0.0.1", "Mozilla"):
        assert secret not in dump
    assert re.search(r"\d\d:\d\d:\d\d", dump) is None, "no time of day"


def test_roles_for_the_usage_page(app: TestClient) -> None:
    assert signed_in(app, "claire").get("/staff/usage").status_code == 403
    assert signed_in(app, "alice").get("/staff/usage").status_code == 200
    assert (
        signed_in(app, "fabien")
        .get("/staff/usage", params={"start": "2026-12-31", "end": "2026-01-01"})
        .status_code
        == 422
    )


def test_counts_from_several_threads_equal_a_single_threaded_run(tmp_path: object) -> None:
    def run(threads: int, url: str) -> dict[str, Counter[str]]:
        rec = UsageRecorder(connect(url))
        per = 4000 // threads

        def work(i: int) -> None:
            for n in range(per):
                rec.route(
                    "phone", destination=f"d{(i * per + n) % 7}", origin="o", profile="default", lang="fr"
                )
                rec.seen("phone", f"p{(i * per + n) % 50}")
                if n % 100 == 0:
                    rec.flush()  # flushing while others count

        ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        rec.flush()
        today = rec.today()
        out = rec.totals(Period(today, today))
        out["phones"] = Counter({"": rec.daily(Period(today, today))[today]["phones"]})
        return out

    single = run(1, f"sqlite:///{tmp_path}/one.db")
    several = run(4, f"sqlite:///{tmp_path}/four.db")
    assert single == several
    assert single["route"][""] == 4000 and single["phones"][""] == 50


def test_old_counts_are_deleted_after_the_retention(tmp_path: object) -> None:
    rec = UsageRecorder(connect(f"sqlite:///{tmp_path}/r.db"), keep_days=30)
    rec.add("route")
    rec.flush()
    with rec._session.begin() as s:
        s.add(CountRow(day=rec.today() - timedelta(days=31), kind="route", key="", count=5))
    rec._purged = None  # a new day
    rec.flush()
    today = rec.today()
    assert rec.totals(Period(today - timedelta(days=60), today))["route"][""] == 1


def test_a_kiosk_counts_what_it_is_asked_once(service: WayfindingService) -> None:
    assert service.usage is not None
    service.usage.flush()
    today = service.usage.today()
    before = service.usage.totals(Period(today, today)).get("route.source", Counter())["kiosk"]
    session = KioskSession(service)
    session.choose("Cardiologie")
    session.set_language("en")  # the same route worded again: not another route
    session.set_step_free(True)  # another profile: another route asked
    service.usage.flush()
    after = service.usage.totals(Period(today, today))
    assert after["route.source"]["kiosk"] - before == 2
    assert service.usage.daily(Period(today, today))[today]["kiosks"] == 1
