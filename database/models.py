"""The one declarative base every package's tables are declared on, the audit log that
every package writes to in the same transaction as its change, and datetimes as stored
(naive UTC: SQLite keeps no time zone)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, Text, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    """The tables of floor plans, tracker, accounts and usage: one metadata, which the
    migrations (``database/migrations``) must match (``tests/floorplans/test_schema.py``)."""


def partial_unique(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows where *where* holds (SQLite and PostgreSQL alike): the
    database, not a check in Python, keeps them unique (migration 0002 makes them)."""
    return Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="{}")
    #: The plan version an entry is about. Its foreign key to ``floorplan_version`` is made
    #: by the migrations and declared by floorplans/store.py, the owner of that table: a
    #: process that never loads the plans (a tracker worker, ``wayfinding discharge``)
    #: writes entries without it.
    version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db(dt: datetime) -> datetime:
    """Aware datetime -> naive UTC for storage (SQLite keeps no time zone)."""
    if dt.tzinfo is None:
        raise ValueError(f"datetime {dt.isoformat()} has no time zone")
    return dt.astimezone(UTC).replace(tzinfo=None)


def from_db(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC)


def from_db_or_none(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.replace(tzinfo=UTC)


def add_audit(
    s: Session,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any],
    *,
    version_id: int | None = None,
) -> None:
    """Add an audit entry in the session's transaction: it is saved with the change or not at all."""
    s.add(
        AuditRow(
            at=to_db(utcnow()),
            actor=actor,
            action=action,
            target=target,
            version_id=version_id,
            details=json.dumps(details, ensure_ascii=False),
        )
    )


class AuditLog:
    """The audit log on its own: for what changes nothing in a store (a staff login, a card
    printed again); stores write their entries with :func:`add_audit` in their transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    def write(self, actor: str, action: str, target: str, details: dict[str, Any] | None = None) -> None:
        with self._session.begin() as s:
            add_audit(s, actor, action, target, details or {})

    def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest *limit* entries, newest first."""
        with self._session() as s:
            rows = s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
            return [
                {
                    "at": from_db(r.at).isoformat(),
                    "actor": r.actor,
                    "action": r.action,
                    "target": r.target,
                    "details": json.loads(r.details),
                }
                for r in rows
            ]
