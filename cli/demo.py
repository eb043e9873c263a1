"""The demo (``wayfinding demo``): the demo hospital in service, its floors drawn, directions
given, the web service and simulated patients followed through a real broker.
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import accounts_of, actor_of, site_of, store_of, tracker_store_of
from core.settings import get_settings

if TYPE_CHECKING:
    from core.service import WayfindingService
    from floorplans.model import Venue
    from routing import Route
    from tracker.broker import EmbeddedBroker, LocalBroker


#: The demo's staff accounts: (name, roles, password). Demo only: change them in service.
DEMO_ACCOUNTS = (
    ("demo-care", ["care"], "demo-care-password"),
    ("demo-facilities", ["facilities"], "demo-facilities-password"),
    ("demo-admin", ["admin"], "demo-admin-password"),
)
DEMO_WRISTBANDS = 20
#: The demo's simulated patients walk this fast (m/s): faster than life, for a short demo.
DEMO_SPEED = 3.0
DEMO_SEED = 7


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="put the demo hospital in service and draw its floors")
    demo.add_argument("--out", default="out", help="folder for the floor drawings (default: out)")
    demo.add_argument("--lang", default="fr")
    demo.add_argument("--no-tracking", action="store_true", help="skip the live tracking part")
    demo.add_argument("--patients", type=int, default=3)
    demo.add_argument("--dwell", type=float, default=30.0, help="seconds at each stage (30)")
    demo.add_argument("--broker", help="an MQTT broker to use instead of starting Mosquitto")
    demo.add_argument("--no-serve", action="store_true", help="do not start the web service")
    demo.add_argument("--port", type=int, help="web service port (default: $WAYFINDING_PORT or 8000)")
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Put the demo hospital in service, draw its floors, give directions, and follow
    simulated patients through a real broker."""
    from floorplans import render_floor_svg

    settings = get_settings()
    made_here = _new_database(args.db or settings.database_url)
    store = store_of(args)
    if made_here:
        accounts_of(args).mark_demo_database()
    published = store.published(site_of(args))
    if published is None:
        info = store.import_archive(settings.venue, actor=actor_of(args), note="demo hospital")
        store.publish(info.id, actor=actor_of(args))
        published = store.version(info.id)
    venue = store.venue(published.id)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for ordinal in sorted({lv.ordinal for lv in venue.levels.values()}):
        target = out / f"level_{ordinal}.svg"
        target.write_text(render_floor_svg(venue, ordinal, lang=args.lang), encoding="utf-8")
    report = store.report(published.id)
    print(
        f"{published.venue_name}: version {published.id} in service "
        f"({len(venue.buildings)} buildings, {len(venue.levels)} levels, "
        f"{len(venue.units)} units, {len(venue.occupants)} services); {report.summary()}"
    )
    print(f"floor plans drawn in {out}/level_*.svg; store: {args.db or settings.database_url}")

    from core.service import WayfindingService

    service = WayfindingService(
        database_url=args.db or settings.database_url,
        venue_path=settings.venue,
        zone=settings.zone,
        stairs_penalty_s=settings.stairs_penalty_s,
    )
    route = service.route("Borne du hall d'accueil", "Bloc opératoire", profile="step_free", lang=args.lang)
    print(
        f"\nstep-free directions, main hall kiosk -> {route.destination.label(args.lang)} "
        f"({route.summary(args.lang)}):"
    )
    for i, step in enumerate(route.steps(args.lang), 1):
        print(f"{i:3}. {step.screen}")
    import signal

    # Ctrl-C and a service manager's SIGTERM ask the demo to stop; it stops at its next step.
    # (An exception raised by the signal in the middle of paho's publish could leave one of
    # its locks held, and the demo would then hang while stopping its MQTT clients.)
    stopping = threading.Event()

    def _stop(*_a: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    broker = None
    broker_url = args.broker
    if broker_url is None and not args.no_tracking:
        broker = _demo_broker()
        broker_url = broker.url if broker is not None else None
    tokens = _demo_patients(args) if broker_url else {}
    with_accounts = demo_accounts(args)
    web = None if args.no_serve else _demo_web(args, service, route, broker_url, tokens, with_accounts)
    try:
        status = 0
        if broker_url is not None:
            status = _demo_tracking(args, venue, broker_url, stopping)
        if web is not None and not stopping.is_set():
            print(f"\nthe web service keeps running at {web}/ ; Ctrl-C to stop", flush=True)
            while not stopping.wait(1.0):
                pass
    finally:
        if broker is not None:
            broker.stop()
    return status


def _demo_broker() -> LocalBroker | EmbeddedBroker | None:
    import tempfile

    from tracker.broker import BrokerUnavailable, start_broker

    try:
        broker = start_broker(Path(tempfile.mkdtemp(prefix="wayfinding-broker-")))
    except BrokerUnavailable as exc:
        print(f"\n{exc}: no live tracking in this demo; or give --broker mqtt://HOST:PORT")
        return None
    print(f"\nMQTT broker: {broker.name} on {broker.url}")
    return broker


def _new_database(url: str) -> bool:
    """Whether the database at *url* does not exist yet, or has no table (the demo makes it)."""
    import sqlalchemy as sa

    from database import sqlite_file_missing

    if sqlite_file_missing(url):
        return True
    engine = sa.create_engine(url)
    try:
        return not sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def demo_accounts(args: argparse.Namespace) -> bool:
    """Make (or reset) the demo's staff accounts, in a database the demo made itself only:
    in a hospital's database, an account called demo-admin is somebody's, and its password
    is not the README's. Returns whether the demo accounts are there to sign in with."""
    from core.accounts import AccountError

    accounts = accounts_of(args)
    if not accounts.is_demo_database():
        print(
            "this database was not made by 'wayfinding demo': its staff accounts are left as they "
            "are (sign in with your own; 'wayfinding user add NAME --role ...' makes one)"
        )
        return False
    for name, roles, password in DEMO_ACCOUNTS:
        try:
            accounts.add(name, roles, password, actor="demo")
        except AccountError:
            accounts.set_password(name, password, actor="demo")
            accounts.set_active(name, True, actor="demo")
    return True


def _demo_patients(args: argparse.Namespace) -> dict[int, tuple[str, str, str]]:
    """The wristbands, and fresh links for the simulated patients (their companion links are
    new on every run: only their hashes are kept). Returns patient index -> (token, card
    code, companion language)."""
    from simulators.patients import tag_of

    tstore = tracker_store_of(args)
    tstore.register([tag_of(i) for i in range(1, DEMO_WRISTBANDS + 1)], actor="demo")
    for link in tstore.active_links():
        if link.patient_ref.startswith("DEMO-"):
            tstore.discharge(link.id, actor="demo")
    out = {}
    for i in range(1, args.patients + 1):
        lang = "en" if i == 2 else args.lang
        link, token = tstore.link(
            tag_of(i),
            patient_ref=f"DEMO-{i:03d}",
            pathway_id="ambulatory-surgery",
            companion_lang=lang,
            actor="demo",
        )
        out[i] = (token, link.short_code or str(link.id), lang)
    return out


def _demo_web(
    args: argparse.Namespace,
    service: WayfindingService,
    route: Route,
    broker_url: str | None,
    tokens: dict[int, tuple[str, str, str]],
    with_accounts: bool,
) -> str | None:
    """Start the web service in a thread; print the pages to open. None if the port is taken."""
    import socket
    import time
    from urllib.parse import urlencode

    import uvicorn

    from api.app import create_app
    from simulators.patients import tag_of

    updates: dict[str, object] = {"mqtt_url": broker_url}
    if args.port:
        updates["port"] = args.port
    if args.db:
        updates["database_url"] = args.db
    settings = get_settings().model_copy(update=updates)
    with socket.socket() as probe:
        try:
            probe.bind((settings.host, settings.port))
        except OSError:
            print(
                f"\nport {settings.port} is taken: no web service in this demo "
                "(give --port, or stop what uses it)"
            )
            return None
    app = create_app(settings, service)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=2
        )
    )
    threading.Thread(target=server.run, name="wayfinding-web", daemon=True).start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    base = settings.base_url()
    q = {"from": route.origin.id, "to": route.destination.id, "profile": "step_free"}
    poster = service.place("Cafétéria").place
    print(f"\nweb service at {base}/ (API documented at {base}/api/docs). Open on a phone, or at 360 px:")
    print(
        f"  step-free route from the main hall kiosk, French: {base}/route?{urlencode({**q, 'lang': 'fr'})}"
    )
    print(f"  the same in English:                            {base}/route?{urlencode({**q, 'lang': 'en'})}")
    print(f"  a wall poster at the cafeteria ('you are here'): {base}/?{urlencode({'from': poster.id})}")
    if tokens:
        print("\ncompanions (each link advances by itself as the simulated patient walks the pathway):")
        for i, (token, code, lang) in tokens.items():
            print(f"  patient DEMO-{i:03d}, card {code}, companion in {lang}: {base}/c/{token}")
        print(f"waiting-room board (card codes, no names):       {base}/board/ambulatory-surgery")
    logins = {name: f"login {name} / {password}" for name, _roles, password in DEMO_ACCOUNTS}
    if not with_accounts:  # a hospital's database: its own accounts
        logins = dict.fromkeys(logins, "your own login")
    care, facilities, admin = (logins[name] for name, _r, _p in DEMO_ACCOUNTS)
    if tokens:
        print(
            f"care desk: {base}/staff/care/ambulatory-surgery  ({care}; "
            f"free wristbands to link: {tag_of(args.patients + 1)} ... {tag_of(DEMO_WRISTBANDS)})"
        )
    print(f"facilities (upload, publish, change and close plans): {base}/staff/plans  ({facilities})")
    print(
        f"accounts: {base}/staff/accounts  ({admin})"
        + ("  (demo passwords: change them before any real use)" if with_accounts else "")
    )
    return base


def _demo_tracking(args: argparse.Namespace, venue: Venue, broker_url: str, stopping: threading.Event) -> int:
    import time

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from simulators.patients import run_simulation
    from simulators.radio import Conditions
    from simulators.trial import calibration_walk
    from tracker.core import Tracker, TrackerConfig
    from tracker.mqtt import BrokerAddress, MqttTracker

    tstore = tracker_store_of(args)
    # What a hospital does before going live (wayfinding calibrate): someone stands in
    # every room with a wristband; here in the simulated building the patients walk in.
    # The realistic radio, without receivers falling silent: in a five-minute demo an
    # outage hides a stage from the companion (shown as passed); the benchmark and the
    # tests keep them (docs/benchmarks.md).
    conditions = Conditions(outages_per_hour=0.0)
    model, fits = calibration_walk(venue, seed=DEMO_SEED, conditions=conditions)
    print(
        f"radio calibrated from a simulated walk through {sum(f.offset_db is not None for f in fits)} "
        "rooms (wayfinding calibrate)"
    )
    # The demo's patients walk at 3 m/s, 2.5 times faster than life.
    tracker = Tracker(
        venue, tstore, config=TrackerConfig(site="demo", time_scale=DEMO_SPEED / 1.2), model=model
    )
    service = MqttTracker(tracker, broker_url, client_id="wayfinding-demo-tracker")
    stop = threading.Event()
    worker = threading.Thread(target=service.run, args=(stop,), daemon=True)
    worker.start()

    def reload_links() -> None:  # links made or ended at the care desk reach the tracker
        while not stop.wait(5.0):
            service.reload()

    threading.Thread(target=reload_links, daemon=True).start()
    names = {lk.tag: lk.patient_ref for lk in tstore.active_links()}

    def show(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        status = json.loads(msg.payload)
        who = names.get(status.get("tag"), "a patient linked at the care desk")
        if status.get("label"):
            print(
                f"  {time.strftime('%H:%M:%S')}  {who}: {status['label']}"
                + ("  (signal lost)" if status.get("signal") == "lost" else ""),
                flush=True,
            )

    watch = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="wayfinding-demo-companion")
    watch.on_message = show
    address = BrokerAddress.parse(broker_url)
    watch.connect(address.host, address.port)
    watch.subscribe("wayfinding/demo/status/#", qos=1)
    watch.loop_start()
    print(
        f"\nfollowing {args.patients} simulated patients through {broker_url} "
        "(what their companions see; Ctrl-C to stop):",
        flush=True,
    )
    try:
        run_simulation(
            broker_url,
            venue,
            patients=args.patients,
            fmt="mixed",
            speed=DEMO_SPEED,
            conditions=conditions,
            dwell_s=args.dwell,
            rate_hz=2.0,
            stagger_s=10.0,
            seed=DEMO_SEED,
            stop=stopping,
        )
        stopping.wait(8)
    finally:  # the simulation ended, or Ctrl-C or SIGTERM: stop the tracker, then the demo ends
        stop.set()
        worker.join(timeout=10)
        watch.loop_stop()
        watch.disconnect()
    counters = tracker.snapshot()["counters"]
    print(f"tracker: {counters.get('accepted', 0)} readings, {counters.get('event:stage', 0)} stage changes")
    return 0
