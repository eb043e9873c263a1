"""The database's schema, brought up to date by Alembic migrations.

One database holds floor plans, closures, the audit log, wristband links and events,
staff accounts and usage counts (SQLite file on one box, PostgreSQL beyond). Its tables are
made and changed only by the migrations in ``database/migrations/versions`` (plain DDL:
they import no package's models, so this lowest package can hold them all). A process
migrates once, when it starts (:func:`connect`, which the command line, the web application,
the kiosk and the workers call), or ``wayfinding db upgrade`` does: a new database gets the
whole schema, an older one is migrated keeping every row, one already at the head costs one
query. Stores do not migrate: given a database that is not at the head, they refuse with
:class:`OutdatedSchemaError`, which says what to run.

Several processes may open the same database at once (API replicas, tracker workers): on
PostgreSQL the migration runs under an advisory lock, on SQLite under the database's write
lock, so that one process migrates and the others find it done.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest migration: a database at this revision needs nothing.
HEAD = "0004"
#: The advisory lock key under which PostgreSQL databases are migrated.
_PG_LOCK = 0x57415946  # "WAYF"

_lock = threading.Lock()
_current: weakref.WeakSet[Engine] = weakref.WeakSet()


class OutdatedSchemaError(RuntimeError):
    """A store was given a database whose schema is not the one this release uses."""


def revision(conn: Connection) -> str | None:
    """The database's revision (None for a new database or one made before migrations)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _config(conn: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(engine: Engine) -> str | None:
    """Migrate the database to :data:`HEAD`; returns the revision it was at (None: new or
    made before migrations), or :data:`HEAD` when nothing was done."""
    with _lock:
        if engine in _current:
            return HEAD
        with engine.connect() as conn:
            if revision(conn) == HEAD:
                _current.add(engine)
                return HEAD
            conn.rollback()
            dialect = engine.dialect.name
            if dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
                conn.commit()
            elif dialect == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, held until commit
            try:
                before = revision(conn)
                if before != HEAD:
                    from alembic import command

                    command.upgrade(_config(conn), "head")
                conn.commit()
            finally:
                if dialect == "postgresql":
                    conn.rollback()
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                    conn.commit()
        _current.add(engine)
        return before


def connect(url_or_engine: str | Engine) -> Engine:
    """The engine of *url_or_engine*, its database migrated to :data:`HEAD`: what a process
    calls once at start (creates a SQLite file that does not exist)."""
    from database.engine import make_engine

    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    upgrade(engine)
    return engine


def require_current(engine: Engine) -> None:
    """Raise :class:`OutdatedSchemaError` unless the database is at :data:`HEAD` (one query per
    engine and process; none after :func:`connect` or :func:`upgrade`)."""
    with _lock:
        if engine in _current:
            return
    with engine.connect() as conn:
        at = revision(conn)
    if at != HEAD:
        url = engine.url.render_as_string(hide_password=True)
        state = "has no schema yet" if at is None else f"is at schema revision {at}"
        raise OutdatedSchemaError(
            f"the database {url} {state}, this release uses {HEAD}: "
            "run 'wayfinding db upgrade' (keeps every row)"
        )
    with _lock:
        _current.add(engine)
