"""The companion page, the board and the care desk with every real part running.

A real Mosquitto, the real tracker (``wayfinding tracker``), the simulator walking
two patients, the real web service (``wayfinding serve --broker``), and a headless
Chromium (Debian's) holding the pages open: the stages change on screen without a
reload, one companion reads French and the other English, "Guide me there" leads to
the pick-up place, discharge ends the page, the board lists both cards. Then the
care desk as a nurse uses it, and the broker going away and coming back.

Screenshots go to ``$WAYFINDING_SCREENSHOTS`` (``docs/screenshots``) or a temporary folder.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from api.app import create_app
from core.accounts import AccountStore
from core.settings import Settings
from database import connect
from floorplans import Venue
from simulators.patients import run_simulation, tag_of
from tests.api.conftest import LiveServer, phone, published_demo, serious_violations
from tests.tracker.conftest import start_tracker
from tracker.broker import EmbeddedBroker, LocalBroker
from tracker.core import Tracker, TrackerConfig
from tracker.mqtt import MqttTracker
from tracker.store import TrackerStore

PATHWAY = "ambulatory-surgery"


WATCH_STAGE = """() => {
  window.__kept = "same document";
  window.__seen = [];
  const note = () => {
    const el = document.getElementById("stage-now");
    const text = el ? el.textContent.trim() : null;
    if (text && window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
  };
  note();
  setInterval(note, 200);
}"""


def stage_labels(venue: Venue, lang: str) -> list[str]:
    return [s.label[lang] for s in venue.pathways[PATHWAY].stages]


@pytest.mark.slow(seconds=140)
def test_companions_follow_two_patients_live_in_their_languages(
    browser: Browser, demo_venue: Venue, tmp_path: Path, shots: Path
) -> None:
    broker = LocalBroker(tmp_path).start()
    db = published_demo(tmp_path / "w.db")
    store = TrackerStore(db)
    store.register([tag_of(1), tag_of(2)], actor="test")
    links = {}
    for i, lang in ((1, "fr"), (2, "en")):
        links[lang] = store.link(
            tag_of(i), patient_ref=f"E2E-{i}", pathway_id=PATHWAY, companion_lang=lang, actor="t"
        )
    AccountStore(db).add("desk", ["care"], "desk-password-1", actor="test")
    key = AccountStore(db).new_api_key("desk", actor="test")
    tracker = start_tracker(db, broker, tmp_path / "tracker.log")
    server = LiveServer(tmp_path / "w.db", env={"WAYFINDING_MQTT_URL": broker.url})
    pages: dict[str, Page] = {}
    try:
        for lang, locale in (("fr", "fr-FR"), ("en", "en-GB")):
            page = phone(browser, locale=locale)
            page.goto(f"{server.url}/c/{links[lang][1]}")
            page.evaluate(WATCH_STAGE)
            pages[lang] = page
        board = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        board.goto(f"{server.url}/board/{PATHWAY}?lang=fr")

        gc.collect()
        gc.freeze()  # the simulator publishes in real time: no collector pauses in its readings
        walk = threading.Thread(
            target=run_simulation,
            args=(broker.url, demo_venue),
            kwargs={
                "patients": 2, "fmt": "mixed", "speed": 12.0, "dwell_s": 8.0, "rate_hz": 3.0,
                "stagger_s": 3.0, "ride_s": 4.0, "linger_s": 3.0, "seed": 11,
                # About the pages following live, not estimation (tests/tracker/test_stage_accuracy):
                # the estimator's own radio law.
                "radio": "mirror",
            },
        )  # fmt: skip
        walk.start()
        try:
            # Mid-way, as a companion sees it: "In theatre", since when, what is done and to come.
            theatre = stage_labels(demo_venue, "en")[2]
            pages["en"].wait_for_function(
                "t => document.getElementById('stage-now').textContent.trim() === t",
                arg=theatre,
                timeout=150_000,
            )
            pages["en"].screenshot(path=str(shots / "companion-theatre-en.png"), full_page=True)
            pages["fr"].screenshot(path=str(shots / "companion-fr.png"), full_page=True)
        finally:
            walk.join()
            gc.unfreeze()
        for lang, page in pages.items():
            ready = stage_labels(demo_venue, lang)[-1]
            page.wait_for_function(
                "t => document.getElementById('stage-now').textContent.trim() === t",
                arg=ready,
                timeout=30_000,
            )
        for lang, page in pages.items():
            seen = page.evaluate("window.__seen")
            labels = stage_labels(demo_venue, lang)
            steps = [labels.index(s) for s in seen if s in labels]
            # Seen live, in the pathway's order, in the companion's language, to the end.
            assert len(steps) >= 3 and steps == sorted(steps) and steps[-1] == len(labels) - 1, seen
            assert page.evaluate("window.__kept") == "same document", "the page was reloaded"
            assert labels[-1] in page.locator("[aria-current=step]").inner_text()
            assert page.locator("#guide").is_visible()
        pages["fr"].screenshot(path=str(shots / "companion-ready-fr.png"), full_page=True)
        pages["en"].screenshot(path=str(shots / "companion-ready-en.png"), full_page=True)
        board_text = board.locator("#live").inner_text()
        assert links["fr"][0].short_code in board_text and links["en"][0].short_code in board_text
        assert "E2E-1" not in board.content()
        board.screenshot(path=str(shots / "board.png"))

        # "Guide me there": from the waiting room to the pick-up place, on the phone page.
        en = pages["en"]
        en.get_by_role("button", name="Guide me there").click()
        en.wait_for_selector("#current-text")
        assert "Discharge lounge" in en.locator("h1").inner_text()

        # Discharge at the desk (a script with an API key): the French page ends, no reload.
        r = httpx.post(
            f"{server.url}/api/v1/staff/links/{links['fr'][0].id}/discharge",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200, r.text
        fr = pages["fr"]
        fr.wait_for_function(
            "t => document.getElementById('live').textContent.includes(t)",
            arg="Le suivi de votre proche est terminé",
            timeout=10_000,
        )
        assert fr.evaluate("window.__kept") == "same document"
        assert not fr.locator("#guide").is_visible()
        fr.reload()
        assert "Le suivi est terminé" in fr.locator("h1").inner_text()
    finally:
        for p in pages.values():
            p.context.close()
        server.stop()
        tracker.terminate()
        tracker.wait(timeout=20)
        broker.stop()


def test_care_desk_in_chromium_link_card_and_discharge(browser: Browser, tmp_path: Path, shots: Path) -> None:
    db = published_demo(tmp_path / "w.db")
    AccountStore(db).add("nurse.anne", ["care"], "anne-password-1", actor="test")
    TrackerStore(db).register([tag_of(i) for i in range(1, 4)], actor="test")
    server = LiveServer(tmp_path / "w.db")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(f"{server.url}/staff/care/{PATHWAY}")
        assert "/staff/login" in page.url
        assert serious_violations(page) == []
        page.get_by_label("Identifiant").fill("nurse.anne")
        page.get_by_label("Mot de passe").fill("anne-password-1")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"**/staff/care/{PATHWAY}")
        assert serious_violations(page) == []
        page.get_by_role("textbox", name="Bracelet").fill(tag_of(2))
        page.get_by_label("Référence patient").fill("AMB-2026-0042")
        page.get_by_label("Langue de l'accompagnant").select_option("en")
        page.get_by_role("button", name="Associer et préparer la carte").click()
        qr = page.locator(".card img")
        qr.wait_for()
        assert qr.evaluate("img => img.naturalWidth") > 100, "the QR code is drawn"
        link = page.locator(".card .link").inner_text()
        code = page.locator(".card .code-big").inner_text()
        page.screenshot(path=str(shots / "care-desk-card.png"), full_page=True)
        assert serious_violations(page) == []
        companion = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
        companion.goto(link.replace("http://127.0.0.1:8000", server.url))
        assert companion.locator("html").get_attribute("lang") == "en"
        assert serious_violations(companion) == []
        companion.get_by_role("button", name="Larger text").click()
        assert companion.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
        companion.screenshot(path=str(shots / "companion-larger-text-en.png"), full_page=True)
        board = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        board.goto(f"{server.url}/board/{PATHWAY}")
        assert code in board.locator("#live").inner_text() and "AMB-2026-0042" not in board.content()
        assert serious_violations(board) == []
        board.context.close()
        page.get_by_role("link", name="Retour à l'accueil ambulatoire").click()
        row = page.locator("tr", has_text=code)
        assert "AMB-2026-0042" in row.inner_text()
        page.screenshot(path=str(shots / "care-desk.png"), full_page=True)
        row.get_by_role("link", name="Fin du suivi").click()
        page.get_by_role("button", name="Terminer le suivi").click()
        assert f"Suivi terminé pour la carte {code}" in page.locator(".ok").inner_text()
        assert page.locator("tr", has_text=code).count() == 0
        companion.reload()
        assert "The follow-up has ended" in companion.locator("h1").inner_text()
        companion.context.close()
        server.stop()
        log = (tmp_path / "w.log").read_text()
        token = link.rsplit("/", 1)[1]
        assert '"GET /c/… HTTP/1.1" 200' in log and token not in log, "the access log keeps no token"
    finally:
        context.close()
        server.stop()


def _sse_events(client: TestClient, url: str, out: list[dict[str, object]], stop: threading.Event) -> None:
    with client.stream("GET", url) as r:
        event = None
        for line in r.iter_lines():
            if stop.is_set():
                return
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append({"event": event, **json.loads(line[6:])})


def wait_for(pred, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_broker_away_pages_say_paused_and_catch_up_by_themselves(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path).start()
    db = published_demo(tmp_path / "w.db")
    store = TrackerStore(db)
    store.register([tag_of(1)], actor="t")
    link, token = store.link(tag_of(1), patient_ref="P-1", pathway_id=PATHWAY, companion_lang="en", actor="t")
    settings = Settings(database_url=db, mqtt_url=broker.url, refresh_s=0.5)
    events: list[dict[str, object]] = []
    stop = threading.Event()
    with TestClient(create_app(settings, watch=False)) as client:
        hub = client.app.state.hub  # type: ignore[attr-defined]
        assert wait_for(lambda: hub.connected)
        reader = threading.Thread(
            target=_sse_events, args=(client, f"/c/{token}/events", events, stop), daemon=True
        )
        reader.start()
        assert wait_for(lambda: events and events[-1]["state"] == "live")
        publisher = __import__("paho.mqtt.client", fromlist=["Client"])
        from paho.mqtt.enums import CallbackAPIVersion

        def publish(stage: str) -> None:
            c = publisher.Client(CallbackAPIVersion.VERSION2)
            c.connect("127.0.0.1", broker.port)
            c.loop_start()
            payload = {
                "tag": tag_of(1),
                "link": link.id,
                "stage": stage,
                "since": "2026-12-01T09:00:00+00:00",
                "signal": "ok",
            }
            c.publish(
                f"wayfinding/demo/status/{tag_of(1)}", json.dumps(payload), qos=1, retain=True
            ).wait_for_publish(5)
            c.loop_stop()
            c.disconnect()

        t0 = time.monotonic()
        publish("preop")
        assert wait_for(lambda: events[-1].get("stage") == "preop"), events[-3:]
        assert time.monotonic() - t0 < 2.0
        assert "Being prepared for surgery" in str(events[-1]["html"])
        broker.stop()
        assert wait_for(lambda: events[-1]["state"] == "paused"), events[-2:]
        assert "Updates are paused" in str(events[-1]["html"]) and "Being prepared" in str(events[-1]["html"])
        # The page itself still answers, calmly.
        page = client.get(f"/c/{token}")
        assert page.status_code == 200 and "Updates are paused" in page.text
        # Garbage on the status topic is counted, not fatal; the hub reconnects by itself.
        broker = LocalBroker(tmp_path, port=broker.port).start()
        assert wait_for(lambda: hub.connected, timeout=40), "no reconnection"
        junk = __import__("paho.mqtt.client", fromlist=["Client"]).Client(CallbackAPIVersion.VERSION2)
        junk.connect("127.0.0.1", broker.port)
        junk.loop_start()
        for bad in (b"{", b"[]", b'{"tag": 5, "link": "x", "since": "yesterday"}'):
            junk.publish(f"wayfinding/demo/status/{tag_of(1)}", bad, qos=1).wait_for_publish(5)
        junk.loop_stop()
        junk.disconnect()
        publish("theatre")
        assert wait_for(lambda: events[-1].get("stage") == "theatre" and events[-1]["state"] == "live"), (
            events[-2:]
        )
        assert hub.counters["bad_status"] >= 2
        stop.set()
    broker.stop()


def test_tracker_and_simulator_work_on_the_embedded_broker(demo_venue: Venue, tmp_path: Path) -> None:
    """Where Mosquitto is not installed the demo runs on amqtt (MQTT 3.1.1)."""
    broker = EmbeddedBroker().start()
    store = TrackerStore(connect(f"sqlite:///{tmp_path / 'w.db'}"))
    store.register([tag_of(1)], actor="t")
    link, _token = store.link(tag_of(1), patient_ref="P-1", pathway_id=PATHWAY, actor="t")
    tracker = Tracker(demo_venue, store, config=TrackerConfig(site="demo", zone_dwell_s=2))
    service = MqttTracker(tracker, broker.url, client_id="tracker-amqtt")
    stop = threading.Event()
    worker = threading.Thread(target=service.run, args=(stop,), daemon=True)
    worker.start()
    sim_stop = threading.Event()
    try:
        assert wait_for(service.subscribed.is_set)

        def first_stage() -> None:  # the first stage needs readings from many receivers: enough
            wait_for(lambda: len(store.events(link.id, kind="stage")) >= 1, timeout=120)
            time.sleep(1.0)  # its status published
            sim_stop.set()

        threading.Thread(target=first_stage, daemon=True).start()
        run_simulation(broker.url, demo_venue, patients=1, fmt="mixed", speed=12.0, dwell_s=10.0, rate_hz=3.0,
                       ride_s=4.0, seed=3, stop=sim_stop, radio="mirror")  # fmt: skip
        stages = [e.details["stage"] for e in store.events(link.id, kind="stage")]
        assert stages[:1] == ["admission"], stages
        assert service.published >= 2  # the status at linking, then "admission"
        assert tracker.counters["accepted"] > 50, tracker.counters
    finally:
        sim_stop.set()
        stop.set()
        worker.join(timeout=10)
        broker.stop()


def test_two_replicas_share_only_the_database_and_the_broker(tmp_path: Path) -> None:
    """A companion's page on one replica; the desk discharges through another: the page ends."""
    broker = LocalBroker(tmp_path).start()
    db = published_demo(tmp_path / "w.db")
    TrackerStore(db).register([tag_of(1)], actor="t")
    accounts = AccountStore(db)
    accounts.add("desk", ["care"], "desk-password-1", actor="t")
    auth = {"Authorization": f"Bearer {accounts.new_api_key('desk', actor='t')}"}
    settings = Settings(database_url=db, mqtt_url=broker.url, refresh_s=0.5)
    events: dict[str, list[dict[str, object]]] = {"a": [], "b": []}
    stop = threading.Event()
    try:
        with (
            TestClient(create_app(settings, watch=False)) as a,
            TestClient(create_app(settings, watch=False)) as b,
        ):
            made = a.post(
                "/api/v1/staff/links",
                json={"tag": tag_of(1), "patient_ref": "R-1", "pathway": PATHWAY},
                headers=auth,
            )
            assert made.status_code == 201, made.text
            token, link_id = made.json()["token"], made.json()["id"]
            for name, client in (("a", a), ("b", b)):
                threading.Thread(
                    target=_sse_events, args=(client, f"/c/{token}/events", events[name], stop), daemon=True
                ).start()
            assert wait_for(lambda: all(ev and ev[-1]["state"] == "live" for ev in events.values()))
            # The tracker's status reaches both replicas.
            from paho.mqtt.client import Client
            from paho.mqtt.enums import CallbackAPIVersion

            c = Client(CallbackAPIVersion.VERSION2)
            c.connect("127.0.0.1", broker.port)
            c.loop_start()
            status = {
                "tag": tag_of(1),
                "link": link_id,
                "stage": "theatre",
                "since": "2026-12-01T09:00:00+00:00",
            }
            c.publish(
                f"wayfinding/demo/status/{tag_of(1)}", json.dumps(status), qos=1, retain=True
            ).wait_for_publish(5)
            c.loop_stop()
            c.disconnect()
            assert wait_for(lambda: all(ev[-1].get("stage") == "theatre" for ev in events.values())), events
            # Discharged through replica B: replica A's page ends within its refresh period.
            t0 = time.monotonic()
            assert b.post(f"/api/v1/staff/links/{link_id}/discharge", headers=auth).status_code == 200
            assert wait_for(lambda: events["a"][-1]["event"] == "ended", timeout=5), events["a"][-2:]
            assert time.monotonic() - t0 < 3.0
            assert a.get(f"/c/{token}").status_code == 410
            stop.set()
    finally:
        broker.stop()


def test_demo_broker_falls_back_to_the_embedded_one_without_mosquitto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.broker import start_broker

    monkeypatch.setenv("PATH", str(tmp_path))  # no mosquitto on this PATH
    broker = start_broker(tmp_path)
    try:
        assert isinstance(broker, EmbeddedBroker) and "amqtt" in broker.name
        got: list[bytes] = []
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion

        sub = Client(CallbackAPIVersion.VERSION2)
        sub.on_message = lambda _c, _u, msg: got.append(msg.payload)
        sub.connect("127.0.0.1", broker.port)
        sub.subscribe("wayfinding/demo/status/+", qos=1)
        sub.loop_start()
        time.sleep(0.3)
        pub = Client(CallbackAPIVersion.VERSION2)
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        pub.publish(
            "wayfinding/demo/status/wb-1", b'{"stage": "preop"}', qos=1, retain=True
        ).wait_for_publish(5)
        assert wait_for(lambda: got == [b'{"stage": "preop"}'], timeout=5), got
        for c in (sub, pub):
            c.loop_stop()
            c.disconnect()
    finally:
        broker.stop()
