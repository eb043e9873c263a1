"""The web service (``wayfinding serve``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import CommandError
from core.settings import get_settings
from database import connect


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from api.app import create_app
    from core.service import ServiceError, WayfindingService

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
    connect(settings.database_url)  # this process's start: the schema brought up to date
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
    trusted = settings.trusted_proxies.strip()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        timeout_graceful_shutdown=2,
        log_level="info",
        # X-Forwarded-For only from the proxies named (WAYFINDING_TRUSTED_PROXIES), else ignored.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )
    return 0
