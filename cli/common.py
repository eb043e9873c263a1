"""What every subcommand shares: the user-facing error, and the database, store, service,
venue and accounts that ``--db``, ``--venue`` and the settings name. The database is migrated
here, once per process, when a command first opens it (stores only check its schema).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from core.settings import get_settings
from database import connect, sqlite_file_missing

if TYPE_CHECKING:
    from core.accounts import AccountStore
    from core.service import WayfindingService
    from floorplans import FloorPlanStore
    from floorplans.model import Venue
    from tracker.store import TrackerStore


Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def database_url(args: argparse.Namespace) -> str:
    return str(args.db or get_settings().database_url)


@cache
def _engine(url: str) -> Engine:
    return connect(url)


def engine_of(args: argparse.Namespace) -> Engine:
    """The database of ``--db`` (else the settings'), migrated to this release's schema the
    first time a command of this process opens it (a new SQLite file is created)."""
    return _engine(database_url(args))


def migrate_if_there(args: argparse.Namespace) -> str:
    """The database's URL, migrated if it exists: commands that fall back on the plan file
    (route, kiosk, serve's service, the tracker's venue) create no SQLite file."""
    url = database_url(args)
    if not sqlite_file_missing(url):
        _engine(url)
    return url


def store_of(args: argparse.Namespace) -> FloorPlanStore:
    from floorplans import FloorPlanStore

    return FloorPlanStore(engine_of(args))


def actor_of(args: argparse.Namespace) -> str:
    return str(args.actor or get_settings().actor)


def venue_path(path: str | None) -> Path:
    return Path(path) if path else get_settings().venue


def service_of(args: argparse.Namespace) -> WayfindingService:
    """The service on ``--venue PATH`` if given, else the store's published version, else the demo."""
    from core.service import ServiceError, WayfindingService

    try:
        return WayfindingService(
            database_url=migrate_if_there(args),
            venue_path=venue_path(args.venue),
            prefer_file=args.venue is not None,
            zone=get_settings().zone,
            stairs_penalty_s=get_settings().stairs_penalty_s,
            site=site_of(args),
        )
    except (ServiceError, LookupError) as exc:
        raise CommandError(str(exc)) from None


def venue_of(args: argparse.Namespace) -> Venue:
    """The venue to work on: ``--venue PATH`` if given, else the store's published version,
    else the configured file (the demo hospital)."""
    from floorplans.store import venue_in_service  # no router: the tracker starts fast

    path = getattr(args, "venue", None)
    url = migrate_if_there(args)
    site = site_of(args)
    mqtt_site = getattr(args, "site", None)  # tracker, ingest, simulate: the site of the MQTT topics
    if site is None and mqtt_site and not sqlite_file_missing(url):
        from floorplans import FloorPlanStore
        from floorplans.sites import names

        if any(names(s, mqtt_site) for s in FloorPlanStore(url).sites()):
            site = mqtt_site  # the topics' site is a site of the store: its plan
    venue, _source = venue_in_service(
        database_url=url, venue_path=venue_path(path), prefer_file=path is not None, site=site
    )
    return venue


def site_of(args: argparse.Namespace) -> str | None:
    """The site ``wayfinding --site`` names (None: the hospital's only or main site)."""
    site = getattr(args, "plan_site", None)
    return str(site) if site else None


def tracker_store_of(args: argparse.Namespace) -> TrackerStore:
    from tracker.store import TrackerStore

    return TrackerStore(engine_of(args))


def accounts_of(args: argparse.Namespace) -> AccountStore:
    from core.accounts import AccountStore

    return AccountStore(engine_of(args))
