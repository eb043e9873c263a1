"""Signs in the web service and on the command line: a scanned sign's page, a scan on the way,
the facilities page that prints them, the usage counts, and ``wayfinding signs``.

In Chromium with a fake camera: ``test_signs_browser.py``."""

from __future__ import annotations

import csv
import html
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cli.main import main
from core.accounts import AccountStore
from core.service import WayfindingService
from core.settings import Settings
from core.usage import Period
from floorplans import DEMO_PATH
from tests.api.test_facilities import PASSWORDS, signed_in
from tests.conftest import published_demo

KIOSK = "115f6b13-f26a-51a8-a8c3-bafc2bb9411c"  # main hall kiosk


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = published_demo(tmp_path_factory.mktemp("signs") / "w.db")
    accounts = AccountStore(url)
    accounts.add("fabien", ["facilities"], PASSWORDS["fabien"], actor="test")
    accounts.add("claire", ["care"], PASSWORDS["claire"], actor="test")
    return url


@pytest.fixture(scope="module")
def service(db: str) -> Iterator[WayfindingService]:
    svc = WayfindingService(database_url=db, venue_path=DEMO_PATH)
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def app(db: str, service: WayfindingService) -> Iterator[TestClient]:
    settings = Settings(database_url=db, public_url="https://wayfinding.example.org")
    with TestClient(create_app(settings, service, watch=False), base_url="https://testserver") as c:
        yield c


def seen(page: str, css_class: str) -> list[str]:
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", m)).split())
        for m in re.findall(rf'class="{css_class}"[^>]*>(.*?)</', page, re.S)
    ]


def sign_of(service: WayfindingService, kind: str, words: str) -> str:
    signs = service.snapshot.router.places.signs.values()
    return next(s.code for s in signs if s.kind == kind and words in s.label("fr"))


def test_a_scanned_sign_opens_the_page_with_the_visitor_there(
    app: TestClient, service: WayfindingService
) -> None:
    code = sign_of(service, "entrance", "Entrée principale")
    r = app.get(f"/?at={code.lower()}")
    assert r.status_code == 200
    assert seen(r.text, "start") == [f"Vous êtes ici : le panneau {code} — Entrée principale"]
    assert f'name="from" value="{code}"' in r.text
    # The link to the page in English keeps the start, and is not counted as another scan.
    link = html.unescape(re.search(r'class="lang" href="([^"]+)"', r.text).group(1))  # type: ignore[union-attr]
    assert f"from={code}".lower() in link.lower() and "at=" not in link
    english = app.get(f"/?at={code}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert seen(english.text, "start") == [f"You are at: sign {code} — Main entrance"]
    route = app.get("/route", params={"from": code, "to": "radiologie"})
    assert seen(route.text, "current-text")[0].startswith("Face au panneau, ")


def test_an_unknown_code_says_so_and_keeps_the_page(app: TestClient) -> None:
    r = app.get("/?at=QQQQ")
    assert r.status_code == 404
    assert "Aucun panneau « QQQQ » sur le plan" in r.text
    assert 'id="from"' in r.text  # the visitor can still say where they are
    r = app.get("/route", params={"at": "QQQQ", "to": "radiologie", "was": KIOSK})
    assert r.status_code == 404 and "Aucun panneau « QQQQ »" in r.text


def test_a_scan_on_the_way_says_on_or_off_the_route_and_starts_from_the_sign(
    app: TestClient, service: WayfindingService
) -> None:
    on_way = sign_of(service, "junction", "Couloir A, niveau 0 — vers Galerie A–B")
    off_way = sign_of(service, "lift", "Ascenseur B, Niveau 1")
    r = app.get("/route", params={"at": on_way, "to_id": "radiologie", "was": KIOSK, "lang": "fr"})
    assert r.status_code == 200
    assert seen(r.text, "anchor-note") == [
        f"Vous êtes sur le bon chemin : la suite depuis le panneau {on_way}."
    ]
    assert seen(r.text, "current-text")[0].startswith("Face au panneau, ")
    r = app.get("/route", params={"at": off_way, "to": "radiologie", "was": KIOSK, "lang": "en"})
    assert seen(r.text, "anchor-note") == [f"You had left the route: here is the way from sign {off_way}."]
    assert seen(r.text, "current-text")[0].startswith("Facing the sign, ")
    # A code given with no route being followed: a start like any other, no on/off sentence.
    r = app.get("/route", params={"at": off_way, "to": "radiologie"})
    assert r.status_code == 200 and seen(r.text, "anchor-note") == []
    # The sign form on that page carries the way on: destination, profile, where it came from.
    assert 'name="was" value="' + off_way + '"' in r.text


def test_scans_are_counted_per_sign_with_nothing_about_the_phone(
    app: TestClient, service: WayfindingService
) -> None:
    usage = service.usage
    assert usage is not None
    today = usage.today()
    usage.flush()
    before = usage.totals(Period(today, today)).get("sign.scan", {})
    code = sign_of(service, "waiting", "radiologie")
    for _ in range(3):
        app.get(f"/?at={code}")
    app.get("/route", params={"at": code, "to": "cardiologie", "was": KIOSK})
    usage.flush()
    after = usage.totals(Period(today, today))
    key = f"{code} — Salle d'attente radiologie"
    assert after["sign.scan"][key] - before.get(key, 0) == 4
    assert sum(after["sign.reanchor"].values()) >= 1
    fabien = signed_in(app, "fabien")
    page = fabien.get("/staff/usage").text
    assert key in html.unescape(page)
    signs_page = fabien.get("/staff/signs").text
    row = re.search(rf'<tr id="sign-{code}">(.*?)</tr>', signs_page, re.S)
    assert row and re.search(r"<td>(\d+)</td>\s*<td><a", row.group(1)).group(1) == str(
        after["sign.scan"][key]
    )  # type: ignore[union-attr]


def test_facilities_print_the_signs_and_care_staff_cannot(
    app: TestClient, service: WayfindingService
) -> None:
    fabien = signed_in(app, "fabien")
    page = fabien.get("/staff/signs")
    assert page.status_code == 200
    codes = set(service.snapshot.router.places.signs)
    assert set(re.findall(r'<tr id="sign-([A-Z0-9]+)">', page.text)) == codes
    code = sorted(codes)[0]
    for size, width in (("A4", "595"), ("A3", "841")):
        pdf = fabien.get(f"/staff/signs/{code}.pdf", params={"size": size})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and f"/MediaBox [ 0 0 {width}.".encode() in pdf.content
    assert fabien.get("/staff/signs/all.pdf").content.count(b"/Type /Page\n") == len(codes)
    assert fabien.get("/staff/signs/ZZZZ.pdf").status_code == 404
    assert fabien.get(f"/staff/signs/{code}.pdf", params={"size": "A5"}).status_code == 422
    claire = signed_in(app, "claire")
    assert claire.get("/staff/signs").status_code == 403
    assert claire.get(f"/staff/signs/{code}.pdf").status_code == 403


def test_the_command_prints_a_pdf_per_sign_and_a_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "signs"
    db = ["--db", f"sqlite:///{tmp_path / 'none.db'}"]
    assert (
        main([*db, "signs", "--out", str(out), "--size", "A4,A3", "--base-url", "https://h.example.org"]) == 0
    )
    rows = list(csv.DictReader((out / "signs.csv").open(encoding="utf-8")))
    assert len(rows) >= 40
    for row in rows:
        assert row["url"] == f"https://h.example.org/?at={row['code']}"
        for size in ("A4", "A3"):
            assert (out / f"{row['code']}-{size}.pdf").read_bytes().startswith(b"%PDF")
    info = subprocess.run(
        ["pdfinfo", str(out / "signs-A3.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(rf"^Pages:\s+{len(rows)}$", info, re.M) and "(A3)" in info
    # What the sign says, as text a reader (or a screen reader) gets from the PDF.
    first = rows[0]
    text = subprocess.run(
        ["pdftotext", str(out / f"{first['code']}-A4.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for words in ("Vous êtes ici", "You are here", f"Code du panneau : {first['code']}", first["name"]):
        assert words in text, words


@pytest.mark.parametrize(
    "args,message",
    [
        (["--size", "A5"], "error: --size A5: choose among A4, A3"),
        (["--only", "ZZZZ"], "error: --only: no sign ZZZZ in this plan"),
        (["--lang", "xx"], "error: --lang: no catalogue for language 'xx'"),
        (
            ["--base-url", "wayfinding.local"],
            "error: --base-url wayfinding.local: give the address phones reach",
        ),
    ],
)
def test_the_command_refuses_bad_options_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'none.db'}"]
    assert main([*db, "signs", "--out", str(tmp_path / "o"), *args]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err, err


def test_facilities_turn_remove_and_add_signs_through_a_draft(
    app: TestClient, service: WayfindingService
) -> None:
    fabien = signed_in(app, "fabien")
    page = fabien.get("/staff/signs").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    base = int(re.search(r'name="base" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    signs = service.snapshot.router.places.signs
    turned = sign_of(service, "lift", "Ascenseur B, Niveau 1")
    removed = sign_of(service, "waiting", "radiologie")
    hall = next(
        u.id for u in service.snapshot.venue.units.values() if (u.name or {}).get("fr") == "Hall d'accueil"
    )

    def edit(base: int, action: str, feature: str, value: str = "") -> int:
        form = {"csrf": token, "base": str(base), "action": action, "feature": feature, "value": value}
        r = fabien.post("/staff/plans-edit", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text
        found = re.match(r"/staff/plans/(\d+)$", r.headers["location"])
        assert found, (action, r.headers["location"], fabien.get(r.headers["location"]).text[:300])
        return int(found.group(1))

    draft = edit(base, "sign-heading", turned, "45")
    draft = edit(draft, "sign-remove", removed)
    draft = edit(draft, "sign-add", hall, "90")
    # Bad input: a heading that is not a number, a code the plan does not have, on the sign page.
    for action, feature, value in (("sign-heading", turned, "north"), ("sign-remove", "ZZZZ", "")):
        form = {"csrf": token, "base": str(draft), "action": action, "feature": feature, "value": value}
        r = fabien.post("/staff/plans-edit", data=form, follow_redirects=False)
        assert r.headers["location"] == "/staff/signs"
        alert = re.search(r'role="alert"><p>([^<]+)', fabien.get("/staff/signs").text)
        assert alert and ("north" in html.unescape(alert.group(1)) or "ZZZZ" in html.unescape(alert.group(1)))
    # Nothing changes for visitors until the draft is published.
    assert signs[turned].heading != 45 and removed in signs
    store = service.store
    assert store is not None
    store.publish(draft, actor="test")
    service.refresh()
    now = service.snapshot.router.places.signs
    assert now[turned].heading == 45.0
    assert removed not in now
    added = [s for s in now.values() if s.kind == "added"]
    assert [(s.label("fr"), s.heading) for s in added] == [("Hall d'accueil", 90.0)]
    # The other signs keep their codes: printed signs stay right.
    assert set(now) == (set(signs) - {removed}) | {added[0].code}
    page = fabien.get("/staff/signs").text
    assert f'value="{removed}"' in page  # listed as removed, to put back
    assert app.get(f"/?at={added[0].code}").status_code == 200
    store.publish(base, actor="test")  # the demo as it was, for the other tests
    service.refresh()
