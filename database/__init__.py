"""The database every package shares (a SQLite file on one box, PostgreSQL beyond): engines
(:mod:`database.engine`), the one declarative base, the audit log and stored datetimes
(:mod:`database.models`), and the schema's Alembic migrations (:mod:`database.schema`,
``database/migrations/``). The stores of floor plans, tracker, accounts and usage declare
their tables on :class:`Base` and receive engines made here.
"""

from __future__ import annotations

from database.engine import make_engine, sqlite_file_missing
from database.models import (
    AuditLog,
    AuditRow,
    Base,
    add_audit,
    from_db,
    from_db_or_none,
    partial_unique,
    to_db,
    utcnow,
)
from database.schema import OutdatedSchemaError, connect, require_current

__all__ = [
    "AuditLog",
    "AuditRow",
    "Base",
    "OutdatedSchemaError",
    "add_audit",
    "connect",
    "from_db",
    "from_db_or_none",
    "make_engine",
    "partial_unique",
    "require_current",
    "sqlite_file_missing",
    "to_db",
    "utcnow",
]
