"""The ``wayfinding`` command: one entry point, one subcommand per job.

Errors in what the user gave (a broken archive, an unknown version, a bad
date) end with a one-line message on stderr and exit status 1, never a
traceback. Usage errors exit with status 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, OperationalError

from api.settings import get_settings
from floorplans import (
    FloorPlanError,
    FloorPlanStore,
    generate_hospital,
    load_and_validate,
    read_imdf,
    render_floor_svg,
    write_imdf,
)
from floorplans.model import Venue
from floorplans.store import parse_until

if TYPE_CHECKING:
    from api.accounts import AccountStore
    from api.service import WayfindingService
    from routing import Route
    from tracker.broker import EmbeddedBroker, LocalBroker
    from tracker.store import TrackerStore

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def _store(args: argparse.Namespace) -> FloorPlanStore:
    return FloorPlanStore(args.db or get_settings().database_url)


def _actor(args: argparse.Namespace) -> str:
    return str(args.actor or get_settings().actor)


def _venue_path(path: str | None) -> Path:
    return Path(path) if path else get_settings().venue


# ------------------------------------------------------------------------------ floorplan


def cmd_validate(args: argparse.Namespace) -> int:
    result = load_and_validate(args.path)
    if args.json:
        print(result.report.to_json())
    else:
        print(result.report.to_text(limit=None if args.all else 200))
    return 0 if result.venue is not None and result.report.usable else 1


def cmd_render(args: argparse.Namespace) -> int:
    from floorplans.render import numbered_problems

    path = _venue_path(args.path)
    result = load_and_validate(path) if args.problems else read_imdf(path)
    if result.venue is None:
        raise CommandError(f"cannot read the venue:\n{result.report.to_text(limit=20)}")
    venue = result.venue
    problems = numbered_problems(venue, result.report) if args.problems else None
    if not venue.levels:
        raise CommandError(f"no level to draw:\n{result.report.to_text(limit=20)}")
    levels = (
        [str(o) for o in sorted({lv.ordinal for lv in venue.levels.values()})]
        if args.level == "all"
        else [args.level]
    )
    out = Path(args.out)
    for level in levels:
        svg = render_floor_svg(venue, level, lang=args.lang, receivers=args.receivers, problems=problems)
        target = out if len(levels) == 1 else out.with_name(f"{out.stem}_{level}{out.suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(svg, encoding="utf-8")
        marked = ""
        if problems is not None:
            floor = int(level) if level.lstrip("-").isdigit() else None
            count = sum(1 for _, _, at in problems if floor is None or at[0] == floor)
            marked = f" ({count} problem(s) marked)"
        print(f"wrote {target}{marked}")
    if problems is not None:
        print(result.report.summary())
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    from floorplans.repair import write_repaired

    source, out = Path(args.path), Path(args.out)
    if out.resolve() == source.resolve():
        raise CommandError(f"{out}: write the repaired archive elsewhere, not over the original")
    result = load_and_validate(source)
    if result.venue is None:
        raise CommandError(f"cannot read the venue:\n{result.report.to_text(limit=20)}")
    report = result.report
    write_repaired(result.venue, out)
    guesses = report.inferences
    print(f"wrote {out}: {len(guesses)} inference(s) made explicit")
    for code, count in sorted(Counter(p.code for p in guesses).items()):
        print(f"  {count:4} {code}")
    if guesses:
        print(
            "check each one (floorplan render --problems shows them on the plans); doors and links "
            "that were guessed carry an 'inferred' property saying why: remove it once checked"
        )
    if report.errors:
        print(f"still NOT usable, {len(report.errors)} error(s) that no rule can settle:")
        for p in report.errors[:20]:
            print("  " + p.line())
        return 1
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    try:
        venue = generate_hospital(
            buildings=args.buildings, levels=args.levels, rooms_per_level=args.rooms_per_level, seed=args.seed
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    write_imdf(venue, args.out)
    rooms = sum(
        1
        for u in venue.units.values()
        if u.category in ("room", "office") or u.category.startswith("restroom")
    )
    print(
        f"wrote {args.out}: {len(venue.buildings)} buildings, {len(venue.levels)} levels, "
        f"{rooms} rooms, {len(venue.units)} units, {len(venue.openings)} openings"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    store = _store(args)
    info = store.import_archive(args.path, actor=_actor(args), note=args.note or "")
    print(
        f"imported as draft version {info.id} ({info.venue_name}): "
        f"{info.errors} error(s), {info.warnings} warning(s)"
    )
    if info.errors:
        print(store.report(info.id).to_text(limit=30))
        print("this draft cannot be published until the errors are fixed")
        return 1
    if args.publish:
        store.publish(info.id, actor=_actor(args))
        print(f"version {info.id} published")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    versions = _store(args).versions()
    if args.json:
        print(json.dumps([v.to_dict() for v in versions], ensure_ascii=False, indent=2))
        return 0
    if not versions:
        print("no floor plan versions yet: 'wayfinding floorplan import PATH'")
    for v in versions:
        when = v.created_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{v.id:4}  {v.status:9}  {when}  {v.created_by:12}  {v.venue_name}  "
            f"({v.errors} errors, {v.warnings} warnings)  {v.note}"
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    report = _store(args).report(args.version)
    print(report.to_json() if args.json else report.to_text())
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    changes = _store(args).diff(args.version, args.against, lang=args.lang)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "kind": c.kind,
                        "feature_type": c.feature_type,
                        "feature_id": c.feature_id,
                        "text": c.text,
                    }
                    for c in changes
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not changes:
        print("no differences")
    for c in changes:
        print(f"- {c.text}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    info = _store(args).publish(args.version, actor=_actor(args))
    print(f"version {info.id} ({info.venue_name}) is now in service")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    info = _store(args).rollback(actor=_actor(args), to=args.to)
    print(f"rolled back: version {info.id} ({info.venue_name}) is in service again")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = _store(args)
    version = args.version
    if version is None:
        published = store.published()
        if published is None:
            raise CommandError("nothing is published; give --version")
        version = published.id
    data = store.archive(version)
    Path(args.out).write_bytes(data)
    print(f"wrote version {version} to {args.out}")
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    closure = _store(args).close(
        args.feature_id, reason=args.reason, actor=_actor(args), until=parse_until(args.until)
    )
    print(
        f"closure {closure.id}: {closure.feature_type} {closure.feature_name!r} closed until "
        f"{closure.ends_at.isoformat(timespec='minutes')} ({closure.reason})"
    )
    return 0


def cmd_closures(args: argparse.Namespace) -> int:
    closures = _store(args).closures(include_inactive=args.all)
    if args.json:
        print(json.dumps([c.to_dict() for c in closures], ensure_ascii=False, indent=2))
        return 0
    if not closures:
        print("no closures in force")
    for c in closures:
        state = "reopened" if c.reopened_at else "in force"
        print(
            f"{c.id:4}  {c.feature_type:12} {c.feature_name!r:40} until "
            f"{c.ends_at.isoformat(timespec='minutes')}  {state}  — {c.reason}"
        )
    return 0


def cmd_reopen(args: argparse.Namespace) -> int:
    c = _store(args).reopen(args.closure_id, actor=_actor(args))
    print(f"closure {c.id}: {c.feature_type} {c.feature_name!r} reopened")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    for entry in _store(args).audit_log(args.limit):
        print(
            f"{entry['at']}  {entry['actor']:12} {entry['action']:10} {entry['target']}  "
            f"{json.dumps(entry['details'], ensure_ascii=False)}"
        )
    return 0


def _service(args: argparse.Namespace) -> WayfindingService:
    """The service on ``--venue PATH`` if given, else the store's published version, else the demo."""
    from api.service import ServiceError, WayfindingService

    try:
        return WayfindingService(
            database_url=args.db or get_settings().database_url,
            venue_path=_venue_path(args.venue),
            prefer_file=args.venue is not None,
            zone=get_settings().zone,
            stairs_penalty_s=get_settings().stairs_penalty_s,
        )
    except ServiceError as exc:
        raise CommandError(str(exc)) from None


# ------------------------------------------------------------------------------ route


def cmd_route(args: argparse.Namespace) -> int:
    from api.service import UnknownLanguage, check_lang
    from routing import NoRoute, PlaceNotFound
    from routing.speech import SpeechUnavailable, speak_route

    try:
        check_lang(args.lang)
    except UnknownLanguage as exc:
        raise CommandError(f"--lang: {exc}") from None
    if args.audio is not None:
        audio = Path(args.audio)
        if not args.audio.strip():
            raise CommandError("--audio needs a file name, e.g. --audio route.wav")
        if audio.is_dir():
            raise CommandError(
                f"--audio {args.audio}: is a folder; give a file name, e.g. {audio / 'route.wav'}"
            )
        if not audio.parent.is_dir():
            raise CommandError(f"--audio {args.audio}: the folder {audio.parent} does not exist")
    service = _service(args)
    try:
        route = service.route(
            args.origin, args.destination, profile=args.profile, slow=args.slow, lang=args.lang
        )
    except PlaceNotFound as exc:
        raise CommandError(str(exc)) from None
    except NoRoute as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (UnknownLanguage, ValueError) as exc:
        raise CommandError(str(exc)) from None
    steps = route.steps(args.lang)
    if args.json:
        print(json.dumps(route.to_dict(args.lang), ensure_ascii=False, indent=2))
    else:
        print(
            f"{route.origin.label(args.lang)} -> {route.destination.label(args.lang)}: "
            f"{route.summary(args.lang)}"
        )
        for i, step in enumerate(steps, 1):
            print(f"{i:2}. {step.screen}")
    if args.audio:
        try:
            out, parts = speak_route([s.speech for s in steps], args.lang, Path(args.audio))
        except SpeechUnavailable as exc:
            print(f"no audio: {exc} (the written directions above still hold)", file=sys.stderr)
            return 1
        print(f"audio: {out} ({len(parts)} steps)", file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------ signs


def cmd_signs(args: argparse.Namespace) -> int:
    """Print the plan's "you are here" signs: a PDF per sign and size, all of them in one
    PDF per size, and ``signs.csv`` (code, kind, name, floor, position, heading, address)."""
    import csv

    from api.service import UnknownLanguage, check_lang
    from signage import SIZES, sign_url, signs_pdf

    sizes = [s.strip().upper() for s in args.size.split(",") if s.strip()]
    bad = [s for s in sizes if s not in SIZES]
    if bad or not sizes:
        raise CommandError(f"--size {args.size}: choose among {', '.join(SIZES)} (e.g. --size A4,A3)")
    base = args.base_url or get_settings().base_url()
    if not base.startswith(("http://", "https://")):
        raise CommandError(
            f"--base-url {base}: give the address phones reach, e.g. https://wayfinding.example.org"
        )
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {args.out}: is a file; give a folder")
    service = _service(args)
    snap = service.snapshot
    signs = list(snap.router.places.signs.values())
    if args.only:
        wanted = {c.strip().upper() for c in args.only.split(",") if c.strip()}
        unknown = wanted - {s.code for s in signs}
        if unknown:
            raise CommandError(f"--only: no sign {', '.join(sorted(unknown))} in this plan")
        signs = [s for s in signs if s.code in wanted]
    if not signs:
        raise CommandError("this plan calls for no sign (no public entrance, lift, stairs or waiting room)")
    out.mkdir(parents=True, exist_ok=True)
    langs = [x.strip() for x in args.lang.split(",") if x.strip()] if args.lang else []
    for lang in langs:
        try:
            check_lang(lang)
        except UnknownLanguage as exc:
            raise CommandError(f"--lang: {exc}") from None
    venue = snap.venue
    for size in sizes:
        for sign in signs:
            (out / f"{sign.code}-{size}.pdf").write_bytes(
                signs_pdf(venue, [sign], base_url=base, size=size, langs=langs)
            )
        (out / f"signs-{size}.pdf").write_bytes(
            signs_pdf(venue, signs, base_url=base, size=size, langs=langs)
        )
    lang = langs[0] if langs else venue.language
    with (out / "signs.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "kind", "name", "level", "x_m", "y_m", "heading_deg", "url", "source"])
        for s in signs:
            level = venue.levels[s.level_id]
            w.writerow(
                [
                    s.code,
                    s.kind,
                    s.label(lang),
                    level.ordinal,
                    f"{s.x:.2f}",
                    f"{s.y:.2f}",
                    f"{s.heading:.0f}",
                    sign_url(base, s),
                    s.source,
                ]
            )
    print(
        f"{len(signs)} signs, {', '.join(sizes)}: {out}/ (signs.csv lists them; signs-SIZE.pdf has them all)"
    )
    return 0


# ------------------------------------------------------------------------------ kiosk


def cmd_kiosk(args: argparse.Namespace) -> int:
    from api.service import ServiceError
    from kiosk_app.main import KioskOptions, KioskSetupError, parse_size, run, screenshot
    from kiosk_app.session import KioskError

    settings = get_settings()
    try:
        size = parse_size(args.size) if args.size else (1080, 1920)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.screenshot is None and (
        args.destination or args.lang or args.profile != "default" or args.step != 1
    ):
        raise CommandError("--destination, --lang, --profile and --step go with --screenshot FILE.png")
    opts = KioskOptions(
        database_url=args.db or settings.database_url,
        venue_path=_venue_path(args.venue),
        prefer_file=args.venue is not None,
        kiosk_id=args.kiosk_id or settings.kiosk_id,
        languages=settings.language_list,
        base_url=settings.base_url(),
        saved_copy=settings.kiosk_dir,
        refresh_s=min(settings.refresh_s * 5, 20.0),
        size=size,
        fullscreen=args.fullscreen,
        zone=settings.zone,
        stairs_penalty_s=settings.stairs_penalty_s,
        usage_days=settings.usage_days,
        ask_arrival=settings.kiosk_ask_arrival,
    )
    try:
        if args.screenshot:
            out = screenshot(
                opts,
                Path(args.screenshot),
                destination=args.destination,
                lang=args.lang,
                profile=args.profile,
                step=args.step,
            )
            print(f"wrote {out} ({size[0]}x{size[1]})")
            return 0
        return run(opts)
    except (KioskError, KioskSetupError, ServiceError, ValueError) as exc:
        raise CommandError(str(exc)) from None


# ------------------------------------------------------------------------------ serve


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from api.app import create_app
    from api.service import ServiceError, WayfindingService

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    overrides: dict[str, object] = {}
    if args.db:
        overrides["database_url"] = args.db
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if args.venue:
        overrides["venue"] = Path(args.venue)
    if args.broker:
        overrides["mqtt_url"] = args.broker
    settings = get_settings().model_copy(update=overrides)
    if settings.mqtt_url:
        from tracker.mqtt import BrokerAddress

        try:
            BrokerAddress.parse(settings.mqtt_url)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    try:
        service = WayfindingService(
            database_url=settings.database_url,
            venue_path=settings.venue,
            prefer_file=bool(args.venue),
            zone=settings.zone,
            stairs_penalty_s=settings.stairs_penalty_s,
        )
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    snap = service.snapshot
    print(
        f"serving {snap.source} ({len(snap.closures)} closure(s) in force) on "
        f"http://{settings.host}:{settings.port}/ (phones reach {settings.base_url()}/); "
        + (
            f"patient statuses from {settings.mqtt_url}"
            if settings.mqtt_url
            else "no broker: companion pages refresh from the database"
        ),
        flush=True,
    )
    app = create_app(settings, service)
    uvicorn.run(app, host=settings.host, port=settings.port, timeout_graceful_shutdown=2, log_level="info")
    return 0


# ------------------------------------------------------------------------------ locate


def cmd_locate(args: argparse.Namespace) -> int:
    from beacons.estimator import PathLoss
    from beacons.replay import (
        ReplayError,
        ReplayStats,
        read_readings,
        read_receivers,
        replay,
        write_estimates,
    )

    try:
        receivers = read_receivers(args.receivers)
        model = PathLoss.load(args.model) if args.model else None
    except (ReplayError, ValueError, KeyError) as exc:
        raise CommandError(str(exc)) from None
    venue = _venue(args) if args.venue else None
    stats = ReplayStats()
    try:
        n = write_estimates(
            replay(
                receivers,
                read_readings(args.readings, stats),
                model=model,
                venue=venue,
                tag_height=args.tag_height,
                stats=stats,
            ),
            args.out,
        )
    except ReplayError as exc:
        raise CommandError(str(exc)) from None
    rejected = (
        ", ".join(f"{k}: {v} (first: {stats.examples[k]})" for k, v in stats.rejected.items()) or "none"
    )
    print(f"{stats.readings} readings -> {n} estimates in {args.out}; rejected: {rejected}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from beacons.calibration import CalibrationError, calibrate_files
    from beacons.replay import ReplayError, read_receivers
    from tracker.core import receivers_of

    venue = _venue(args) if (args.venue or not args.receivers) else None
    try:
        receivers = read_receivers(args.receivers) if args.receivers else receivers_of(venue)  # type: ignore[arg-type]
        if venue is not None and args.receivers:
            raise CommandError("give --venue (the plan's receivers) or --receivers (a CSV), not both")
        model, report, stats = calibrate_files(
            receivers, args.walk, args.readings, venue=venue, tag_height=args.tag_height
        )
    except (CalibrationError, ReplayError, OSError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    out = Path(args.out)
    out.write_text(model.to_json(), encoding="utf-8")
    fitted = [r for r in report if r.offset_db is not None]
    print(f"{stats.readings} readings, {len(fitted)} of {len(report)} receivers fitted -> {out}")
    print(f"{'receiver':24} {'readings':>8} {'offset dB':>9} {'spread dB':>9}  note")
    for r in sorted(report, key=lambda r: (r.note == "ok", r.id)):
        offset = f"{r.offset_db:+.1f}" if r.offset_db is not None else "-"
        spread = f"{r.spread_db:.1f}" if r.spread_db is not None else "-"
        print(f"{r.id[:24]:24} {r.readings:>8} {offset:>9} {spread:>9}  {r.note}")
    if stats.rejected:
        print(
            "rejected readings: "
            + ", ".join(f"{k}: {v} (first: {stats.examples[k]})" for k, v in stats.rejected.items())
        )
    print(f"use it: wayfinding tracker --model {out}  (or locate --model)")
    return 0


# ------------------------------------------------------------------------------ tracking


def _venue(args: argparse.Namespace) -> Venue:
    """The venue to work on: ``--venue PATH`` if given, else the store's published version,
    else the configured file (the demo hospital)."""
    from floorplans.store import venue_in_service  # no router: the tracker starts fast

    path = getattr(args, "venue", None)
    venue, _source = venue_in_service(
        database_url=args.db or get_settings().database_url,
        venue_path=_venue_path(path),
        prefer_file=path is not None,
    )
    return venue


def _tracker_store(args: argparse.Namespace) -> TrackerStore:
    from tracker.store import TrackerStore

    return TrackerStore(args.db or get_settings().database_url)


def cmd_tracker(args: argparse.Namespace) -> int:
    import logging
    import signal
    import threading

    from beacons.estimator import PathLoss
    from tracker.core import Tracker, TrackerConfig
    from tracker.mqtt import MqttTracker, PartitionedTracker
    from tracker.partitions import Leases, default_worker_id

    if args.partitions is not None and args.partitions < 1:
        raise CommandError("--partitions: give a number of partitions (1 or more, e.g. 12)")
    if args.lease < 1:
        raise CommandError(f"--lease {args.lease:g}: give at least 1 second (10 by default)")
    if args.worker_id is not None and not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", args.worker_id):
        raise CommandError(
            f"--worker-id {args.worker_id!r}: use 1 to 64 letters, digits, '.', '_' or '-' "
            "(it names the worker's MQTT client)"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    venue = _venue(args)
    config = TrackerConfig(
        site=args.site,
        signal_lost_s=args.signal_lost,
        zone_dwell_s=args.zone_dwell,
        backward_dwell_s=args.backward_dwell,
        time_scale=args.time_scale,
    )
    model = PathLoss.load(args.model) if args.model else None
    store = _tracker_store(args)
    tracker = Tracker(venue, store, config=config, model=model)
    service: MqttTracker
    if args.partitions is not None:
        leases = Leases(
            store.engine,
            args.site,
            args.worker_id or default_worker_id(),
            partitions=args.partitions,
            lease_s=args.lease,
        )
        service = PartitionedTracker(tracker, args.broker, leases)
    else:
        service = MqttTracker(tracker, args.broker, client_id=args.client_id)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    reload_every = 5.0
    worker = threading.Thread(target=service.run, args=(stop,), daemon=True)
    worker.start()
    which = f"worker {service.leases.worker} of " if isinstance(service, PartitionedTracker) else ""
    print(
        f"tracker {which}for site {args.site!r} on {args.broker}: {len(tracker.tags)} wristband(s) "
        f"linked, {len(tracker.receivers)} receivers",
        flush=True,
    )
    while not stop.wait(reload_every):
        service.reload()  # picked up by the worker
    worker.join(timeout=10)
    print(json.dumps(tracker.snapshot()), flush=True)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from floorplans import schema
    from floorplans.store import make_engine

    url = args.db or get_settings().database_url
    engine = make_engine(url)
    before = schema.upgrade(engine)
    if before == schema.HEAD:
        print(f"the database is up to date (revision {schema.HEAD})")
    else:
        print(f"database migrated from revision {before or 'none'} to {schema.HEAD}")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    from floorplans import schema
    from floorplans.store import make_engine, sqlite_file_missing

    url = args.db or get_settings().database_url
    if sqlite_file_missing(url):
        raise CommandError(f"no database at {url}")
    with make_engine(url).connect() as conn:
        current = schema.revision(conn)
    state = "up to date" if current == schema.HEAD else "needs 'wayfinding db upgrade'"
    print(f"revision {current or 'none'} (newest {schema.HEAD}): {state}")
    return 0 if current == schema.HEAD else 1


def cmd_ingest(args: argparse.Namespace) -> int:
    import logging
    import signal
    import threading

    from tracker.ingest import IngestWorker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.partitions < 1:
        raise CommandError("--partitions: give a number of partitions (1 or more, e.g. 12)")
    try:
        worker = IngestWorker(
            args.broker,
            site=args.site,
            partitions=args.partitions,
            client_id=args.client_id,
            group=args.group,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    shared = f", group {args.group!r}" if args.group else ""
    print(
        f"ingest {args.client_id!r} for site {args.site!r} on {args.broker}: "
        f"{args.partitions} partitions{shared}",
        flush=True,
    )
    worker.run(stop)
    print(json.dumps({"messages": worker.stats.messages, "readings": worker.stats.readings}), flush=True)
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from tracker.store import LinkError

    venue = _venue(args)
    if args.pathway not in venue.pathways:
        raise CommandError(
            f"no pathway {args.pathway!r}; the venue has {', '.join(venue.pathways) or 'none'}"
        )
    try:
        link, token = _tracker_store(args).link(
            args.tag,
            patient_ref=args.patient,
            pathway_id=args.pathway,
            companion_lang=args.lang,
            actor=_actor(args),
            companion_hours=get_settings().companion_hours,
            registered_only=True,
        )
    except LinkError as exc:
        hint = " (register it: wayfinding wristband add TAG)" if exc.code == "unknown-wristband" else ""
        raise CommandError(f"{exc}{hint}") from None
    print(
        f"link {link.id}: wristband {link.tag} -> patient {link.patient_ref} "
        f"({link.pathway_id}, companion in {link.companion_lang}), card code {link.short_code}"
    )
    print(f"companion link (give it once, it is not stored): {get_settings().base_url()}/c/{token}")
    return 0


def cmd_discharge(args: argparse.Namespace) -> int:
    from beacons.payloads import canonical_tag
    from tracker.store import LinkError

    store = _tracker_store(args)
    tag = canonical_tag(args.tag)  # as linked, however it is typed
    link = next((lk for lk in store.active_links() if lk.tag == tag), None)
    if link is None:
        raise CommandError(f"wristband {args.tag!r} is not linked to anyone")
    try:
        store.discharge(link.id, actor=_actor(args))
    except LinkError as exc:
        raise CommandError(str(exc)) from None
    print(f"link {link.id} ended: the companion link no longer works")
    return 0


def _accounts(args: argparse.Namespace) -> AccountStore:
    from api.accounts import AccountStore

    return AccountStore(args.db or get_settings().database_url)


def cmd_user(args: argparse.Namespace) -> int:
    """Staff accounts: add, list, key, password, disable, enable."""
    from api.accounts import AccountError, new_password

    accounts = _accounts(args)
    try:
        if args.action == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else new_password()
            user = accounts.add(args.name, args.role, password, actor=_actor(args))
            print(f"account {user.name} ({', '.join(sorted(user.roles))}) added")
            if not args.password_stdin:
                print(f"password (shown once, give it to {user.name} in person): {password}")
        elif args.action == "list":
            for u in accounts.users():
                state = "active" if u.active else "disabled"
                print(f"{u.name:24} {','.join(sorted(u.roles)):28} {state}")
        elif args.action == "key":
            key = accounts.new_api_key(args.name, actor=_actor(args))
            print(f"API key for {args.name} (shown once; send it as 'Authorization: Bearer KEY'): {key}")
        elif args.action == "password":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else new_password()
            accounts.set_password(args.name, password, actor=_actor(args))
            print(f"password of {args.name} changed" + ("" if args.password_stdin else f": {password}"))
        elif args.action in ("disable", "enable"):
            accounts.set_active(args.name, args.action == "enable", actor=_actor(args))
            print(
                f"account {args.name} {args.action}d"
                + (" (its API keys revoked)" if args.action == "disable" else "")
            )
    except AccountError as exc:
        raise CommandError(str(exc)) from None
    return 0


def cmd_wristband(args: argparse.Namespace) -> int:
    """The hospital's list of wristbands: the care desk refuses a number not on it."""
    store = _tracker_store(args)
    if args.action == "add":
        tags = [t.strip() for t in args.tags if t.strip()]
        if args.file:
            text = Path(args.file).read_text(encoding="utf-8")
            tags += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        bad = [t for t in tags if len(t) > 64]
        if bad:
            raise CommandError(f"wristband number too long (64 characters at most): {bad[0]!r}")
        if not tags:
            raise CommandError("no wristband given: write the numbers, or --file FILE (one per line)")
        new = store.register(tags, actor=_actor(args))
        print(f"{new} wristband(s) added, {len(tags) - new} already registered")
    else:
        for tag in store.wristbands():
            print(tag)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from tracker.simulator import run_simulation, tag_of

    venue = _venue(args)
    if args.link:
        store = _tracker_store(args)
        store.register([tag_of(i) for i in range(1, args.patients + 1)], actor="simulator")
        active = {lk.tag for lk in store.active_links()}
        for i in range(1, args.patients + 1):
            if tag_of(i) not in active:
                store.link(
                    tag_of(i), patient_ref=f"SIM-{i:04d}", pathway_id="ambulatory-surgery", actor="simulator"
                )
    people = run_simulation(
        args.broker,
        venue,
        patients=args.patients,
        site=args.site,
        fmt=args.format,
        speed=args.speed,
        dwell_s=args.dwell,
        ride_s=args.ride,
        rate_hz=args.rate,
        stagger_s=args.stagger,
        seed=args.seed,
        radio=args.radio,
        linger_s=args.linger,
    )
    for p in people:
        print(f"{p.tag}: " + ", ".join(f"{s}@{t:.0f}s" for s, t in p.truth))
    return 0


# ------------------------------------------------------------------------------ demo


def cmd_demo(args: argparse.Namespace) -> int:
    """Put the demo hospital in service, draw its floors, give directions, and follow
    simulated patients through a real broker."""
    store = _store(args)
    settings = get_settings()
    published = store.published()
    if published is None:
        info = store.import_archive(settings.venue, actor=_actor(args), note="demo hospital")
        store.publish(info.id, actor=_actor(args))
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

    from api.service import WayfindingService

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

    def _stop(*_a: object) -> None:
        raise KeyboardInterrupt  # a service manager's SIGTERM ends the demo like Ctrl-C

    signal.signal(signal.SIGTERM, _stop)
    broker = None
    broker_url = args.broker
    if broker_url is None and not args.no_tracking:
        broker = _demo_broker()
        broker_url = broker.url if broker is not None else None
    tokens = _demo_patients(args) if broker_url else {}
    web = None if args.no_serve else _demo_web(args, service, route, broker_url, tokens)
    try:
        status = 0
        if broker_url is not None:
            status = _demo_tracking(args, venue, broker_url)
        if web is not None:
            print(f"\nthe web service keeps running at {web}/ ; Ctrl-C to stop", flush=True)
            threading.Event().wait()
    except KeyboardInterrupt:
        status = 0
    finally:
        if broker is not None:
            broker.stop()
    return status


#: The demo's staff accounts: (name, roles, password). Demo only: change them in service.
DEMO_ACCOUNTS = (
    ("demo-care", ["care"], "demo-care-password"),
    ("demo-facilities", ["facilities"], "demo-facilities-password"),
    ("demo-admin", ["admin"], "demo-admin-password"),
)
DEMO_WRISTBANDS = 20


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


def _demo_patients(args: argparse.Namespace) -> dict[int, tuple[str, str, str]]:
    """Staff accounts, the wristbands, and fresh links for the simulated patients (their
    companion links are new on every run: only their hashes are kept). Returns
    patient index -> (token, card code, companion language)."""
    from api.accounts import AccountError
    from tracker.simulator import tag_of

    accounts = _accounts(args)
    for name, roles, password in DEMO_ACCOUNTS:
        try:
            accounts.add(name, roles, password, actor="demo")
        except AccountError:
            accounts.set_password(name, password, actor="demo")
            accounts.set_active(name, True, actor="demo")
    tstore = _tracker_store(args)
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
) -> str | None:
    """Start the web service in a thread; print the pages to open. None if the port is taken."""
    import socket
    import time
    from urllib.parse import urlencode

    import uvicorn

    from api.app import create_app
    from tracker.simulator import tag_of

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
        name, _roles, password = DEMO_ACCOUNTS[0]
        print(
            f"care desk: {base}/staff/care/ambulatory-surgery  (login {name} / {password}; "
            f"free wristbands to link: {tag_of(args.patients + 1)} ... {tag_of(DEMO_WRISTBANDS)})"
        )
        fname, _roles, fpassword = DEMO_ACCOUNTS[1]
        print(
            f"facilities (upload, publish, change and close plans): {base}/staff/plans  "
            f"(login {fname} / {fpassword})"
        )
        aname, _roles, apassword = DEMO_ACCOUNTS[2]
        print(
            f"accounts: {base}/staff/accounts  (login {aname} / {apassword})"
            "  (demo passwords: change them before any real use)"
        )
    return base


#: The demo's simulated patients walk this fast (m/s): faster than life, for a short demo.
DEMO_SPEED = 3.0
DEMO_SEED = 7


def _demo_tracking(args: argparse.Namespace, venue: Venue, broker_url: str) -> int:
    import time

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from tracker.core import Tracker, TrackerConfig
    from tracker.mqtt import BrokerAddress, MqttTracker
    from tracker.radio import Conditions
    from tracker.simulator import run_simulation
    from tracker.trial import calibration_walk

    tstore = _tracker_store(args)
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
        )
        time.sleep(8)
    finally:  # Ctrl-C or SIGTERM: stop the tracker, then let the demo end
        stop.set()
        worker.join(timeout=10)
        watch.loop_stop()
        watch.disconnect()
    counters = tracker.snapshot()["counters"]
    print(f"tracker: {counters.get('accepted', 0)} readings, {counters.get('event:stage', 0)} stage changes")
    return 0


# ------------------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wayfinding", description="Hospital wayfinding and patient tracking."
    )
    parser.add_argument(
        "--db",
        help="SQLAlchemy URL of the store (default: $WAYFINDING_DATABASE_URL or sqlite:///wayfinding.db)",
    )
    parser.add_argument("--actor", help="name recorded in the audit log (default: login name)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = sub.add_parser("route", help="directions from one place to another")
    p.add_argument(
        "--venue", help="IMDF folder or .zip (default: the store's published version, else the demo)"
    )
    p.add_argument(
        "--from",
        dest="origin",
        required=True,
        help="kiosk, occupant, amenity, unit or opening id, FLOOR:X,Y, or a name",
    )
    p.add_argument("--to", dest="destination", required=True, help="same forms as --from")
    p.add_argument("--profile", default="default", choices=["default", "step_free", "avoid_stairs", "staff"])
    p.add_argument("--slow", action="store_true", help="a slower walking pace")
    p.add_argument(
        "--lang",
        default="fr",
        help="language of the directions: fr, en, es (a file per language in routing/locales)",
    )
    p.add_argument("--json", action="store_true", help="the whole route as JSON")
    p.add_argument("--audio", metavar="FILE.wav", help="also speak the directions into a WAV")
    p.add_argument(
        "--with-closures",
        action="store_true",
        help="kept for scripts: the store's closures in force always apply",
    )
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("signs", help='printable "you are here" signs of the plan (PDF, A4 or A3)')
    p.add_argument("--out", required=True, help="folder for the PDFs and signs.csv")
    p.add_argument(
        "--venue", help="IMDF folder or .zip (default: the store's published version, else the demo)"
    )
    p.add_argument("--size", default="A4", help="A4, A3 or both (A4,A3); default A4")
    p.add_argument(
        "--base-url",
        help="address the QR codes open (default: $WAYFINDING_PUBLIC_URL, else http://HOST:PORT)",
    )
    p.add_argument(
        "--lang", help="languages written on the signs, first in large type (default: the venue's)"
    )
    p.add_argument("--only", help="these sign codes only (comma-separated)")
    p.set_defaults(func=cmd_signs)

    p = sub.add_parser("kiosk", help="the touch kiosk (Kivy) at an entrance, or one of its screens as a PNG")
    p.add_argument("--kiosk-id", help="the kiosk feature's id or name (default: the venue's first kiosk)")
    p.add_argument(
        "--venue", help="IMDF folder or .zip (default: the store's published version, else the demo)"
    )
    p.add_argument("--fullscreen", action="store_true", help="fill the screen (a real kiosk)")
    p.add_argument("--size", help="window size WIDTHxHEIGHT (default 1080x1920, portrait)")
    p.add_argument("--screenshot", metavar="FILE.png", help="render one screen to a PNG and exit")
    p.add_argument("--destination", help="with --screenshot: the route screen to this place (id or name)")
    p.add_argument("--lang", help="with --screenshot: the language (default: the first offered)")
    p.add_argument("--profile", choices=["default", "step_free"], default="default")
    p.add_argument("--step", type=int, default=1, help="with --screenshot: the step shown as current")
    p.set_defaults(func=cmd_kiosk)

    p = sub.add_parser("serve", help="the web service: API under /api/v1/ and the phone pages")
    p.add_argument("--host", help="address to listen on (default: $WAYFINDING_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: $WAYFINDING_PORT or 8000)")
    p.add_argument("--venue", help="serve this IMDF folder or .zip instead of the store's published version")
    p.add_argument(
        "--broker",
        help="MQTT broker whose patient statuses the companion pages show live, mqtt://HOST:PORT "
        "(default: $WAYFINDING_MQTT_URL; none: pages refresh from the database)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("locate", help="replay a recorded BLE log through the live estimator")
    p.add_argument("--receivers", required=True, help="CSV id,level,x,y[,z]")
    p.add_argument("--readings", required=True, help="CSV ts,receiver,tag,rssi")
    p.add_argument("--out", required=True, help="CSV ts,tag,level,x,y,zone,confidence")
    p.add_argument("--model", help="path-loss model JSON (from 'wayfinding calibrate')")
    p.add_argument("--venue", help="IMDF archive: keep positions in walkable units, name zones")
    p.add_argument("--tag-height", type=float, default=None, help="wristband height, m (1.0)")
    p.set_defaults(func=cmd_locate)

    p = sub.add_parser("tracker", help="follow wristbands over MQTT and publish patient stages")
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    p.add_argument("--site", default="demo")
    p.add_argument("--venue", help="IMDF archive (default: the demo hospital)")
    p.add_argument("--model", help="path-loss model JSON")
    p.add_argument("--signal-lost", type=float, default=60.0, help="seconds of silence (60)")
    p.add_argument(
        "--zone-dwell",
        type=float,
        default=0.0,
        help="seconds a new zone must hold before it counts (0: the room filter is the hysteresis)",
    )
    p.add_argument(
        "--backward-dwell",
        type=float,
        default=120.0,
        help="seconds an earlier stage must hold before the patient goes back to it (120)",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="patients move this many times faster than life (simulations only; 1)",
    )
    p.add_argument("--client-id", default="wayfinding-tracker", help="MQTT client id (one process)")
    p.add_argument(
        "--partitions",
        type=int,
        help="run as one of several estimator workers, on the partitions of the wristbands that "
        "'wayfinding ingest' fills (the same number everywhere, e.g. 12); without it, one "
        "process reads the receivers itself",
    )
    p.add_argument("--worker-id", help="this worker's name (default: host-pid)")
    p.add_argument(
        "--lease", type=float, default=10.0, help="seconds before a silent worker's partitions move (10)"
    )
    p.set_defaults(func=cmd_tracker)

    p = sub.add_parser(
        "ingest", help="check the receivers' messages and republish readings by wristband partition"
    )
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    p.add_argument("--site", default="demo")
    p.add_argument("--partitions", type=int, default=12, help="partitions of the wristbands (12)")
    p.add_argument(
        "--group",
        help="MQTT 5 shared subscription group: several ingest workers share the receivers' messages",
    )
    p.add_argument("--client-id", default="wayfinding-ingest", help="MQTT client id (one per worker)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("link", help="link a wristband to a (pseudonymous) patient")
    p.add_argument("tag")
    p.add_argument("--patient", required=True, help="pseudonymous patient reference, no name")
    p.add_argument("--pathway", default="ambulatory-surgery")
    p.add_argument("--lang", default="fr", help="the companion's language")
    p.add_argument("--venue")
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("discharge", help="end a wristband's link (and its companion link)")
    p.add_argument("tag")
    p.set_defaults(func=cmd_discharge)

    p = sub.add_parser("user", help="staff accounts (roles care, facilities, admin)")
    us = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = us.add_parser("add", help="add an account (a password is made and shown once)")
    q.add_argument("name")
    q.add_argument(
        "--role", action="append", required=True, choices=["care", "facilities", "admin"], help="repeatable"
    )
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    q = us.add_parser("list", help="list accounts")
    q = us.add_parser("key", help="a new API key for scripts (shown once)")
    q.add_argument("name")
    q = us.add_parser("password", help="set a new password (made and shown, or from standard input)")
    q.add_argument("name")
    q.add_argument("--password-stdin", action="store_true")
    for action in ("disable", "enable"):
        q = us.add_parser(
            action, help=f"{action} an account" + (" and revoke its keys" if action == "disable" else "")
        )
        q.add_argument("name")
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("wristband", help="the hospital's list of wristbands")
    ws = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = ws.add_parser("add", help="register wristbands (numbers, or --file with one per line)")
    q.add_argument("tags", nargs="*")
    q.add_argument("--file")
    q = ws.add_parser("list", help="list registered wristbands")
    p.set_defaults(func=cmd_wristband)

    p = sub.add_parser(
        "calibrate",
        help="fit the radio model to the receivers from a walk with known positions",
        description="Someone walks the wards with a wristband, standing a while in each room; "
        "the walk file says where they were from when (time,place with a room's name or id, or "
        "time,level,x,y), the readings file is what the receivers heard (ts,receiver,tag,rssi). "
        "Writes the model for 'tracker --model' and prints how well each receiver fits.",
    )
    p.add_argument("--venue", help="IMDF archive with the receivers (default: the demo hospital)")
    p.add_argument("--receivers", help="receivers CSV id,level,x,y[,z] instead of a venue")
    p.add_argument("--walk", required=True, help="CSV time,place or time,level,x,y")
    p.add_argument("--readings", required=True, help="CSV ts,receiver,tag,rssi")
    p.add_argument("--out", required=True, help="model JSON to write")
    p.add_argument("--tag-height", type=float, default=1.0, help="wristband height during the walk, m")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("simulate", help="simulated patients walking their pathway over MQTT")
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    p.add_argument("--patients", type=int, default=5)
    p.add_argument("--site", default="demo")
    p.add_argument("--venue")
    p.add_argument("--format", default="native", choices=["native", "espresense", "theengs", "mixed"])
    p.add_argument("--speed", type=float, default=1.2, help="walking speed, m/s")
    p.add_argument("--dwell", type=float, default=60.0, help="seconds spent at each stage")
    p.add_argument("--ride", type=float, default=10.0, help="seconds a lift ride takes (10)")
    p.add_argument(
        "--linger", type=float, default=15.0, help="seconds heard at the pick-up place after the last arrival"
    )
    p.add_argument("--rate", type=float, default=1.0, help="readings per second per wristband")
    p.add_argument("--stagger", type=float, default=5.0, help="seconds between two patients")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--radio",
        default="realistic",
        choices=["realistic", "mirror"],
        help="realistic: a radio channel that shares nothing with the estimator (walls, "
        "floors, body, fading, receivers that fall silent); mirror: the estimator's own law",
    )
    p.add_argument("--link", action="store_true", help="link the simulated wristbands first")
    p.set_defaults(func=cmd_simulate)

    dbp = sub.add_parser("db", help="the database's schema: where it is, bring it up to date")
    dbs = dbp.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = dbs.add_parser("upgrade", help="apply the migrations a database lacks (keeps every row)")
    p.set_defaults(func=cmd_db_upgrade)
    p = dbs.add_parser("current", help="the database's schema revision, and the newest")
    p.set_defaults(func=cmd_db_current)

    fp = sub.add_parser("floorplan", help="check, version and draw IMDF floor plans")
    fps = fp.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = fps.add_parser("validate", help="check an IMDF archive (exit 0 usable, 1 not)")
    p.add_argument("path", help="IMDF folder or .zip")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.add_argument("--all", action="store_true", help="print every problem (default: first 200)")
    p.set_defaults(func=cmd_validate)

    p = fps.add_parser("render", help="draw floors as SVG")
    p.add_argument("path", nargs="?", help="IMDF folder or .zip (default: the demo hospital)")
    p.add_argument(
        "--level", required=True, help="floor ordinal (-1, 0, 1...), level short name or id, or 'all'"
    )
    p.add_argument("--out", required=True, help="SVG file (with 'all': one file per floor)")
    p.add_argument("--lang", default="fr")
    p.add_argument("--receivers", action="store_true", help="draw BLE receivers too")
    p.add_argument(
        "--problems",
        action="store_true",
        help="check the archive and mark its problems on the plans as numbered markers, listed below",
    )
    p.set_defaults(func=cmd_render)

    p = fps.add_parser(
        "repair",
        help="write the archive with every inference made explicit (doors, links, derived properties)",
    )
    p.add_argument("path", help="IMDF folder or .zip")
    p.add_argument("--out", required=True, help="folder or .zip for the repaired archive")
    p.set_defaults(func=cmd_repair)

    p = fps.add_parser("generate", help="write a synthetic hospital of a given size")
    p.add_argument("--buildings", type=int, required=True)
    p.add_argument("--levels", type=int, required=True)
    p.add_argument("--rooms-per-level", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("out", help="output folder, or a .zip")
    p.set_defaults(func=cmd_generate)

    p = fps.add_parser("import", help="store an archive as a draft version")
    p.add_argument("path")
    p.add_argument("--note", help="what changed, for the version list")
    p.add_argument("--publish", action="store_true", help="publish it if it has no error")
    p.set_defaults(func=cmd_import)

    p = fps.add_parser("list", help="list versions")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = fps.add_parser("report", help="the validation report of a version")
    p.add_argument("version", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report)

    p = fps.add_parser("diff", help="what a version changes against the published one")
    p.add_argument("version", type=int)
    p.add_argument("--against", type=int, help="compare with this version instead")
    p.add_argument("--lang", default="fr")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)

    p = fps.add_parser("publish", help="put a draft in service (atomically)")
    p.add_argument("version", type=int)
    p.set_defaults(func=cmd_publish)

    p = fps.add_parser("rollback", help="put the previously published version back in service")
    p.add_argument("--to", type=int, help="a given earlier version")
    p.set_defaults(func=cmd_rollback)

    p = fps.add_parser("export", help="write a version's archive to a .zip")
    p.add_argument("out")
    p.add_argument("--version", type=int, help="default: the published one")
    p.set_defaults(func=cmd_export)

    p = fps.add_parser("close", help="close a unit, door or lift/stairs for a while")
    p.add_argument("feature_id")
    p.add_argument("--until", required=True, help="2h, 30m, 3d or an ISO date")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_close)

    p = fps.add_parser("closures", help="list closures in force")
    p.add_argument("--all", action="store_true", help="include ended and reopened ones")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_closures)

    p = fps.add_parser("reopen", help="end a closure now")
    p.add_argument("closure_id", type=int)
    p.set_defaults(func=cmd_reopen)

    p = fps.add_parser("audit", help="who changed what")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_audit)
    return parser


#: Options whose value may start with a minus sign: a point on floor -1 ("-1:3,5").
_POINT_OPTIONS = ("--from", "--to")
_NEGATIVE_POINT = re.compile(r"^-\d+\s*:")


def _glue_negative_points(argv: Sequence[str]) -> list[str]:
    """``--from -1:3,5`` as ``--from=-1:3,5``: argparse takes a value that starts with a
    minus sign for an option."""
    out: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg in _POINT_OPTIONS:
            value = next(it, None)
            if value is not None and _NEGATIVE_POINT.match(value):
                out.append(f"{arg}={value}")
                continue
            out.append(arg)
            if value is not None:
                out.append(value)
            continue
        out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_glue_negative_points(sys.argv[1:] if argv is None else argv))
    handler: Handler = args.func
    try:
        return handler(args)
    except (FloorPlanError, CommandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except ValidationError as exc:  # a WAYFINDING_* variable that cannot be read
        where = "; ".join(
            f"WAYFINDING_{'_'.join(str(x) for x in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        print(f"error: configuration: {where}", file=sys.stderr)
        return 1
    except ArgumentError as exc:  # --db or WAYFINDING_DATABASE_URL that is not a URL
        print(
            f"error: database URL: {exc}; write sqlite:////path/to/file.db or "
            "postgresql+psycopg://USER@HOST:5432/NAME",
            file=sys.stderr,
        )
        return 1
    except OperationalError as exc:  # the database cannot be reached
        print(f"error: database: {str(exc.orig or exc).strip().splitlines()[0]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
