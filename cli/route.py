"""Directions from the command line, written, as JSON or spoken (``wayfinding route``), and the
printable signs (``wayfinding signs``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.common import CommandError, service_of
from core.settings import get_settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def cmd_route(args: argparse.Namespace) -> int:
    from core.service import UnknownLanguage, check_lang
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
    service = service_of(args)
    try:
        route = service.route(
            args.origin, args.destination, profile=args.profile, slow=args.slow, lang=args.lang
        )
    except PlaceNotFound as exc:
        other = service.elsewhere(args.destination, service.snapshot) if exc.ref != args.origin else None
        if other is not None:
            said = other.said(args.lang)
            raise CommandError(
                f"{said['name']} is not at this site but at {said['site']}: --site {other.site.slug}"
            ) from None
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


def cmd_signs(args: argparse.Namespace) -> int:
    """Print the plan's "you are here" signs: a PDF per sign and size, all of them in one
    PDF per size, and ``signs.csv`` (code, kind, name, floor, position, heading, address)."""
    import csv

    from core.service import UnknownLanguage, check_lang
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
    service = service_of(args)
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
    site = service.site_key(snap)
    for size in sizes:
        for sign in signs:
            (out / f"{sign.code}-{size}.pdf").write_bytes(
                signs_pdf(venue, [sign], base_url=base, size=size, langs=langs, site=site)
            )
        (out / f"signs-{size}.pdf").write_bytes(
            signs_pdf(venue, signs, base_url=base, size=size, langs=langs, site=site)
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
                    sign_url(base, s, site),
                    s.source,
                ]
            )
    print(
        f"{len(signs)} signs, {', '.join(sizes)}: {out}/ (signs.csv lists them; signs-SIZE.pdf has them all)"
    )
    return 0
