"""The database's schema: its revision, and the migrations it lacks (``wayfinding db``)."""

from __future__ import annotations

import argparse

from cli.common import CommandError
from core.settings import get_settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dbp = sub.add_parser("db", help="the database's schema: where it is, bring it up to date")
    dbs = dbp.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = dbs.add_parser("upgrade", help="apply the migrations a database lacks (keeps every row)")
    p.set_defaults(func=cmd_db_upgrade)
    p = dbs.add_parser("current", help="the database's schema revision, and the newest")
    p.set_defaults(func=cmd_db_current)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from database import make_engine, schema

    url = args.db or get_settings().database_url
    engine = make_engine(url)
    before = schema.upgrade(engine)
    if before == schema.HEAD:
        print(f"the database is up to date (revision {schema.HEAD})")
    else:
        print(f"database migrated from revision {before or 'none'} to {schema.HEAD}")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    from database import make_engine, schema, sqlite_file_missing

    url = args.db or get_settings().database_url
    if sqlite_file_missing(url):
        raise CommandError(f"no database at {url}")
    with make_engine(url).connect() as conn:
        current = schema.revision(conn)
    state = "up to date" if current == schema.HEAD else "needs 'wayfinding db upgrade'"
    print(f"revision {current or 'none'} (newest {schema.HEAD}): {state}")
    return 0 if current == schema.HEAD else 1
