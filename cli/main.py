"""The ``wayfinding`` command: one entry point, one subcommand per job.

Errors in what the user gave (a broken archive, an unknown version, a bad
date) end with a one-line message on stderr and exit status 1, never a
traceback. Usage errors exit with status 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, OperationalError

from cli import db, demo, floorplan, kiosk, people, route, serve, tracking
from cli.common import CommandError, Handler
from database import OutdatedSchemaError
from floorplans import FloorPlanError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wayfinding", description="Hospital wayfinding and patient tracking."
    )
    parser.add_argument(
        "--db",
        help="SQLAlchemy URL of the store (default: $WAYFINDING_DATABASE_URL or sqlite:///wayfinding.db)",
    )
    parser.add_argument("--actor", help="name recorded in the audit log (default: login name)")
    parser.add_argument(
        "--site",
        dest="plan_site",
        help="the site a command works on, for a hospital with several (its short name, venue id "
        "or name: 'wayfinding floorplan sites' lists them); default: the only one, or the main one",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for module in (demo, route, kiosk, serve, tracking, people, db, floorplan):
        module.add_parsers(sub)
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
    except (FloorPlanError, CommandError, OutdatedSchemaError) as exc:
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
