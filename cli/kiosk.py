"""The touch kiosk, in a window or one screen as a PNG (``wayfinding kiosk``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import CommandError, migrate_if_there, site_of, venue_path
from core.settings import get_settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def cmd_kiosk(args: argparse.Namespace) -> int:
    from core.service import ServiceError
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
        database_url=migrate_if_there(args),
        venue_path=venue_path(args.venue),
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
        site=site_of(args),
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
    except (KioskError, KioskSetupError, ServiceError, ValueError, LookupError) as exc:
        raise CommandError(str(exc)) from None
