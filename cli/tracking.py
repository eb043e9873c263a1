"""Positions and stages: replay a BLE log (``locate``), fit the radio model (``calibrate``),
the tracker and ingest workers, and simulated patients over MQTT (``simulate``).
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from pathlib import Path

from cli.common import CommandError, tracker_store_of, venue_of


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    venue = venue_of(args) if args.venue else None
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

    venue = venue_of(args) if (args.venue or not args.receivers) else None
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


def cmd_tracker(args: argparse.Namespace) -> int:
    import logging
    import signal

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
    venue = venue_of(args)
    config = TrackerConfig(
        site=args.site,
        signal_lost_s=args.signal_lost,
        zone_dwell_s=args.zone_dwell,
        backward_dwell_s=args.backward_dwell,
        time_scale=args.time_scale,
    )
    model = PathLoss.load(args.model) if args.model else None
    store = tracker_store_of(args)
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


def cmd_ingest(args: argparse.Namespace) -> int:
    import logging
    import signal

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


def cmd_simulate(args: argparse.Namespace) -> int:
    from simulators.patients import run_simulation, tag_of

    venue = venue_of(args)
    if args.link:
        store = tracker_store_of(args)
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
