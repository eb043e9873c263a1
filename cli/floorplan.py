"""Floor plans: check, repair, draw, generate, version, publish, close and audit (``wayfinding
floorplan ...``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from cli.common import CommandError, actor_of, site_of, store_of, venue_path


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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

    p = fps.add_parser("sites", help="list the hospital's sites and the version each has in service")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sites)

    p = fps.add_parser(
        "add-site", help="confirm that a draft is the plan of a new site (then it can be published)"
    )
    p.add_argument("version", type=int)
    p.add_argument("--slug", help="the site's short name in links and commands (default: from its name)")
    p.set_defaults(func=cmd_add_site)

    p = fps.add_parser("list", help="list versions (of --site, when given)")
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


def cmd_validate(args: argparse.Namespace) -> int:
    from floorplans import load_and_validate

    result = load_and_validate(args.path)
    if args.json:
        print(result.report.to_json())
    else:
        print(result.report.to_text(limit=None if args.all else 200))
    return 0 if result.venue is not None and result.report.usable else 1


def cmd_render(args: argparse.Namespace) -> int:
    from floorplans import load_and_validate, read_imdf, render_floor_svg
    from floorplans.render import numbered_problems

    path = venue_path(args.path)
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
    from floorplans import load_and_validate, write_imdf

    source, out = Path(args.path), Path(args.out)
    if out.resolve() == source.resolve():
        raise CommandError(f"{out}: write the repaired archive elsewhere, not over the original")
    result = load_and_validate(source)
    if result.venue is None:
        raise CommandError(f"cannot read the venue:\n{result.report.to_text(limit=20)}")
    report = result.report
    write_imdf(result.venue, out, explicit=True)  # every inference written, with its reason
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
    from floorplans import write_imdf
    from simulators.generate import generate_hospital

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
    store = store_of(args)
    info = store.import_archive(args.path, actor=actor_of(args), note=args.note or "")
    print(
        f"imported as draft version {info.id} ({info.venue_name}): "
        f"{info.errors} error(s), {info.warnings} warning(s)"
    )
    if info.errors:
        print(store.report(info.id).to_text(limit=30))
        print("this draft cannot be published until the errors are fixed")
        return 1
    if args.publish:
        store.publish(info.id, actor=actor_of(args))
        print(f"version {info.id} published")
    return 0


def cmd_sites(args: argparse.Namespace) -> int:
    store = store_of(args)
    serving = {site.venue_id: version for site, version in store.in_service()}
    sites = store.sites()
    if args.json:
        out = [
            {**s.to_dict(), "published": serving[s.venue_id].id if s.venue_id in serving else None}
            for s in sites
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if not sites:
        print("no site yet: the first plan published becomes the hospital's first site")
    for s in sites:
        version = serving.get(s.venue_id)
        where = f"version {version.id} in service" if version else "nothing in service"
        print(f"{s.slug:24} {s.name}  ({where}; venue {s.venue_id})")
    return 0


def cmd_add_site(args: argparse.Namespace) -> int:
    site = store_of(args).add_site(args.version, actor=actor_of(args), slug=args.slug)
    print(f"{site.name} is now a site ({site.slug}): publish version {args.version} to put it in service")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    versions = store_of(args).versions(site_of(args))
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
    report = store_of(args).report(args.version)
    print(report.to_json() if args.json else report.to_text())
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    changes = store_of(args).diff(args.version, args.against, lang=args.lang)
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
    info = store_of(args).publish(args.version, actor=actor_of(args))
    print(f"version {info.id} ({info.venue_name}) is now in service")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    info = store_of(args).rollback(actor=actor_of(args), to=args.to, site=site_of(args))
    print(f"rolled back: version {info.id} ({info.venue_name}) is in service again")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = store_of(args)
    version = args.version
    if version is None:
        published = store.published(site_of(args))
        if published is None:
            raise CommandError("nothing is published; give --version")
        version = published.id
    data = store.archive(version)
    Path(args.out).write_bytes(data)
    print(f"wrote version {version} to {args.out}")
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    from floorplans.store import parse_until

    closure = store_of(args).close(
        args.feature_id,
        reason=args.reason,
        actor=actor_of(args),
        until=parse_until(args.until),
        site=site_of(args),
    )
    print(
        f"closure {closure.id}: {closure.feature_type} {closure.feature_name!r} closed until "
        f"{closure.ends_at.isoformat(timespec='minutes')} ({closure.reason})"
    )
    return 0


def cmd_closures(args: argparse.Namespace) -> int:
    closures = store_of(args).closures(include_inactive=args.all, site=site_of(args))
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
    c = store_of(args).reopen(args.closure_id, actor=actor_of(args))
    print(f"closure {c.id}: {c.feature_type} {c.feature_name!r} reopened")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    for entry in store_of(args).audit_log(args.limit):
        print(
            f"{entry['at']}  {entry['actor']:12} {entry['action']:10} {entry['target']}  "
            f"{json.dumps(entry['details'], ensure_ascii=False)}"
        )
    return 0
