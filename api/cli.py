"""The ``wayfinding`` command: one entry point, one subcommand per job.

Errors in what the user gave (a broken archive, an unknown version, a bad
date) end with a one-line message on stderr and exit status 1, never a
traceback. Usage errors exit with status 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

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
from floorplans.store import parse_until

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
    result = read_imdf(_venue_path(args.path))
    if result.venue is None:
        raise CommandError(f"cannot read the venue:\n{result.report.to_text(limit=20)}")
    venue = result.venue
    levels = (
        [str(o) for o in sorted({lv.ordinal for lv in venue.levels.values()})]
        if args.level == "all"
        else [args.level]
    )
    out = Path(args.out)
    for level in levels:
        svg = render_floor_svg(venue, level, lang=args.lang, receivers=args.receivers)
        target = out if len(levels) == 1 else out.with_name(f"{out.stem}_{level}{out.suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(svg, encoding="utf-8")
        print(f"wrote {target}")
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


# ------------------------------------------------------------------------------ route


def cmd_route(args: argparse.Namespace) -> int:
    from routing import NoRoute, PlaceNotFound, Router
    from routing.speech import SpeechUnavailable, speak_route

    result = read_imdf(_venue_path(args.venue))
    if result.venue is None:
        raise CommandError(f"cannot read the venue:\n{result.report.to_text(limit=20)}")
    router = Router(result.venue)
    if args.db or args.with_closures:
        store = _store(args)
        router.set_closures(store.closures(venue_id=result.venue.id))
    try:
        route = router.route(
            args.origin, args.destination, profile=args.profile, slow=args.slow, lang=args.lang
        )
    except PlaceNotFound as exc:
        raise CommandError(str(exc)) from None
    except NoRoute as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except ValueError as exc:
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
    venue = None
    if args.venue:
        result = read_imdf(args.venue)
        venue = result.venue
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


# ------------------------------------------------------------------------------ demo


def cmd_demo(args: argparse.Namespace) -> int:
    """Put the demo hospital in service in a local store and draw its floors."""
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
    demo.set_defaults(func=cmd_demo)

    p = sub.add_parser("route", help="directions from one place to another")
    p.add_argument("--venue", help="IMDF folder or .zip (default: the demo hospital)")
    p.add_argument(
        "--from",
        dest="origin",
        required=True,
        help="kiosk, occupant, amenity, unit or opening id, FLOOR:X,Y, or a name",
    )
    p.add_argument("--to", dest="destination", required=True, help="same forms as --from")
    p.add_argument("--profile", default="default", choices=["default", "step_free", "avoid_stairs", "staff"])
    p.add_argument("--slow", action="store_true", help="a slower walking pace")
    p.add_argument("--lang", default="fr", help="language of the directions (fr, en, ...)")
    p.add_argument("--json", action="store_true", help="the whole route as JSON")
    p.add_argument("--audio", metavar="FILE.wav", help="also speak the directions into a WAV")
    p.add_argument(
        "--with-closures",
        action="store_true",
        help="apply the closures in force from the store (implied by --db)",
    )
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("locate", help="replay a recorded BLE log through the live estimator")
    p.add_argument("--receivers", required=True, help="CSV id,level,x,y[,z]")
    p.add_argument("--readings", required=True, help="CSV ts,receiver,tag,rssi")
    p.add_argument("--out", required=True, help="CSV ts,tag,level,x,y,zone,confidence")
    p.add_argument("--model", help="path-loss model JSON (see beacons.estimator.calibrate)")
    p.add_argument("--venue", help="IMDF archive: keep positions in walkable units, name zones")
    p.add_argument("--tag-height", type=float, default=None, help="wristband height, m (1.0)")
    p.set_defaults(func=cmd_locate)

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
    p.set_defaults(func=cmd_render)

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.func
    try:
        return handler(args)
    except (FloorPlanError, CommandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
