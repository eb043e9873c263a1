"""A facilities manager in a real Chromium against ``wayfinding serve``, and a visitor's phone beside.

Upload a changed demo archive, read the diff and a problem marked on the plan, publish,
and the next phone route follows; close a lift by clicking it on the plan, read what it
does, confirm, and the step-free route refuses with the reason; rename a service and find
it by its new name on the phone page. Screenshots go to ``$WAYFINDING_SCREENSHOTS``
(``docs/screenshots``) or a temporary folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from core.accounts import AccountStore
from floorplans import FloorPlanStore
from tests.api.conftest import LiveServer, phone, serious_violations
from tests.api.test_facilities import demo_files, renamed_radiology, zip_of

PASSWORD = "facilities-pw-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("fac-live") / "w.db", refresh_s=0.5)
    AccountStore(srv.db_url).add("fabien", ["facilities"], PASSWORD, actor="test")
    yield srv
    srv.stop()


def desk(browser: Browser, server: LiveServer) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{server.url}/staff/plans")
    page.fill("#name", "fabien")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/plans")
    return page


def changed_archive(tmp: Path) -> Path:
    """Radiologie renamed, and a door drawn 0.28 m off its wall (a warning with a place)."""
    files = renamed_radiology(demo_files())
    ops = json.loads(files["opening.geojson"])
    door = ops["features"][5]
    door["geometry"]["coordinates"] = [[x, y + 2.5e-6] for x, y in door["geometry"]["coordinates"]]
    files["opening.geojson"] = json.dumps(ops).encode()
    path = tmp / "plan-imagerie.zip"
    path.write_bytes(zip_of(files))
    return path


def phone_route(browser: Browser, server: LiveServer, origin: str, to: str, profile: str = "") -> str:
    page = phone(browser)
    params = f"from={origin}&to={to}" + (f"&profile={profile}" if profile else "")
    page.goto(f"{server.url}/route?{params}")
    text = page.inner_text("main")
    page.context.close()
    return text


def test_upload_read_publish_close_rename_and_the_phone_follows(
    browser: Browser, server: LiveServer, tmp_path: Path, shots: Path
) -> None:
    page = desk(browser, server)
    # 1. Upload a changed plan: the report marks the misplaced door, the diff names the change.
    page.set_input_files("#archive", str(changed_archive(tmp_path)))
    page.fill("#note", "Radiologie devient Imagerie médicale")
    page.click("form[action='/staff/plans/upload'] button[type=submit]")
    page.wait_for_url("**/staff/plans/*")
    expect(page.locator("ul.changes")).to_contain_text("renommé en 'Imagerie médicale'")
    marker = page.locator("a.marker[data-problem='1']")
    expect(marker).to_be_visible()
    marker.click()
    expect(page.locator("figure.plan g.focus[data-problem='1']")).to_have_count(1)
    page.screenshot(path=str(shots / "facilities-version-fr.png"), full_page=False)
    page.locator("details.sev-warning").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "facilities-report-fr.png"), full_page=False)
    assert "Imagerie médicale" not in phone_route(browser, server, "Entrée principale", "Imagerie")
    page.click("#publish")
    expect(page.locator("p.ok")).to_contain_text("en service")
    # The phone's next route is on the new plan (the server refreshes every 0.5 s; this one
    # published in-process, so at once).
    assert "Imagerie médicale" in phone_route(browser, server, "Entrée principale", "Imagerie médicale")

    # 2. Close lift B by clicking it on the plan: the preview says what it does, then confirm.
    store = FloorPlanStore(server.db_url)
    venue = store.venue(store.published().id)  # type: ignore[union-attr]
    lift = next(r for r in venue.relationships.values() if (r.name or {}).get("fr") == "Ascenseur B")
    cabin = lift.unit_ids()[-1]
    page.goto(f"{server.url}/staff/closures")
    page.locator(f"figure.plan [data-unit='{cabin}']").click(force=True)
    page.wait_for_url("**/staff/closures?feature=*")
    expect(page.locator("#preview")).to_contain_text("Bloc opératoire")
    expect(page.locator("#feature")).to_have_value(lift.id)  # the whole lift, not one floor's cabin
    page.fill("#reason", "panne")
    page.click("form[action='/staff/closures'] button[type=submit]")
    expect(page.locator("#confirm")).to_be_visible()
    page.screenshot(path=str(shots / "facilities-closure-preview-fr.png"), full_page=False)
    page.click("#confirm")
    expect(page.locator("p.ok")).to_contain_text("Ascenseur B")
    refused = phone_route(browser, server, "Entrée principale", "Bloc opératoire", "step_free")
    assert "panne" in refused and "Ascenseur B" in refused, refused[:500]
    detour = phone(browser)
    detour.goto(f"{server.url}/route?from=Entrée des urgences&to=Endoscopie&profile=step_free")
    expect(detour.locator("p.detour")).to_contain_text("Détour : Ascenseur B : fermeture jusqu'à")
    expect(detour.locator("p.detour")).to_contain_text("(panne)")
    detour.screenshot(path=str(shots / "phone-route-detour-fr.png"))
    detour.context.close()

    # 3. Rename a service from the plan: a draft with its diff, published, found on the phone.
    page.goto(f"{server.url}/staff/plans-edit")
    cardio = next(o for o in venue.occupants.values() if (o.name or {}).get("fr") == "Cardiologie")
    page.locator(f"figure.plan [data-unit='{venue.anchors[cardio.anchor_id].unit_id}']").click(force=True)
    page.wait_for_url("**/staff/plans-edit?*")
    field = page.locator(f"[id='name-{cardio.id}-fr']")
    field.fill("Cardiologie et rythmologie")
    page.locator(f"[id='item-{cardio.id}']").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "facilities-edit-fr.png"), full_page=False)
    field.press("Enter")
    page.wait_for_url("**/staff/plans/*")
    expect(page.locator("ul.changes")).to_contain_text("'Cardiologie et rythmologie'")
    page.click("#publish")
    expect(page.locator("p.ok")).to_contain_text("en service")
    search = phone(browser)
    search.goto(f"{server.url}/")
    search.fill("#to", "rythmologie")
    expect(search.locator("#to-suggest")).to_contain_text("Cardiologie et rythmologie")
    search.context.close()
    page.context.close()


def test_the_arrival_question_and_the_usage_page(browser: Browser, server: LiveServer, shots: Path) -> None:
    visitor = phone(browser)
    visitor.goto(f"{server.url}/route?from=Entrée principale&to=Cardiologie")
    while visitor.locator("#next").is_visible():
        visitor.click("#next")  # the script moves from step to step without reloading
    question = visitor.locator("form.arrival")
    expect(question).to_be_visible()
    expect(question).to_contain_text("Avez-vous trouvé votre chemin facilement")
    question.scroll_into_view_if_needed()
    visitor.screenshot(path=str(shots / "phone-arrival-question-fr.png"))
    visitor.click("form.arrival button[value=yes]")
    expect(visitor.locator(".thanks")).to_contain_text("Merci")
    visitor.context.close()
    page = desk(browser, server)
    page.goto(f"{server.url}/staff/usage")
    expect(page.locator("#u-arrival")).to_contain_text("1 oui")
    # Followed to the last step: the script's report, sent without reloading, was counted.
    csv_text = page.request.get(f"{server.url}/staff/usage.csv").text()
    assert ",followed,phone,1" in csv_text, csv_text
    expect(page.locator("section[aria-labelledby=u-dest]")).to_contain_text("Cardiologie")
    page.screenshot(path=str(shots / "facilities-usage-fr.png"), full_page=False)
    page.context.close()


def test_facilities_pages_have_no_serious_accessibility_violation(
    browser: Browser, server: LiveServer
) -> None:
    """axe-core on each facilities page as a desk sees it, and on the phone's last step with
    the arrival question."""
    page = desk(browser, server)
    store = FloorPlanStore(server.db_url)
    published = store.published()
    assert published is not None
    found = {}
    for path in (
        "/staff/",
        "/staff/plans",
        f"/staff/plans/{published.id}",
        "/staff/plans-edit",
        "/staff/closures",
        "/staff/usage",
    ):
        page.goto(f"{server.url}{path}")
        found[path] = serious_violations(page)
    page.context.close()
    visitor = phone(browser)
    visitor.goto(f"{server.url}/route?from=Entrée principale&to=Cardiologie&step=99")
    found["phone last step"] = serious_violations(visitor)
    visitor.context.close()
    assert all(v == [] for v in found.values()), {k: v for k, v in found.items() if v}
