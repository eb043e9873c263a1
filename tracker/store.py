"""What the tracker must never lose: wristband links, journey state, events.

Same database as the floor plans (SQLAlchemy; SQLite file by default). A
wristband carries no name: the link holds a pseudonymous patient reference
(the hospital's own identifier stays in the hospital's systems), the
pathway, the companion's language and the companion link token (only its
SHA-256 is stored; the token itself is given once, at linking). Discharge
ends the companion link; a discharged patient's events are purged after the
retention delay.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    String,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from floorplans.store import from_db, from_db_or_none, make_engine, to_db


class TrackerBase(DeclarativeBase):
    pass


class LinkRow(TrackerBase):
    __tablename__ = "wristband_link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), index=True)
    patient_ref: Mapped[str] = mapped_column(String(64))
    pathway_id: Mapped[str] = mapped_column(String(64))
    companion_lang: Mapped[str] = mapped_column(String(8), default="fr")
    token_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    discharged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    # Journey state, written as it changes: survives any restart.
    stage_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stage_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_seen: Mapped[float | None] = mapped_column(Float, nullable=True)
    battery_mv: Mapped[int | None] = mapped_column(Integer, nullable=True)


class EventRow(TrackerBase):
    __tablename__ = "tracker_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(Integer, index=True)
    tag: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")


@dataclass(slots=True)
class Link:
    id: int
    tag: str
    patient_ref: str
    pathway_id: str
    companion_lang: str
    created_at: datetime
    discharged_at: datetime | None
    stage_id: str | None
    stage_since: datetime | None
    last_seen: float | None
    battery_mv: int | None

    @property
    def active(self) -> bool:
        return self.discharged_at is None


@dataclass(slots=True, frozen=True)
class TrackerEvent:
    link_id: int
    tag: str
    kind: str  # stage, signal-lost, back-in-range, battery-low, left-area, back-in-area, linked, discharged
    at: datetime
    details: dict[str, Any]


def _link(row: LinkRow) -> Link:
    return Link(
        row.id,
        row.tag,
        row.patient_ref,
        row.pathway_id,
        row.companion_lang,
        from_db(row.created_at),
        from_db_or_none(row.discharged_at),
        row.stage_id,
        from_db_or_none(row.stage_since),
        row.last_seen,
        row.battery_mv,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkError(ValueError):
    """A link operation that cannot be done (tag in use, unknown link...)."""


class TrackerStore:
    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        TrackerBase.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    # -- links --------------------------------------------------------------------------------

    def link(
        self,
        tag: str,
        *,
        patient_ref: str,
        pathway_id: str,
        companion_lang: str = "fr",
        actor: str,
        now: datetime | None = None,
    ) -> tuple[Link, str]:
        """Link a wristband to a patient; returns the link and the companion token (once)."""
        now = now or datetime.now(UTC)
        token = secrets.token_urlsafe(24)
        with self._session.begin() as s:
            busy = s.scalars(
                select(LinkRow).where(LinkRow.tag == tag, LinkRow.discharged_at.is_(None))
            ).first()
            if busy is not None:
                raise LinkError(
                    f"wristband {tag!r} is already linked (link {busy.id}); discharge that patient first"
                )
            row = LinkRow(
                tag=tag,
                patient_ref=patient_ref,
                pathway_id=pathway_id,
                companion_lang=companion_lang,
                token_sha256=token_hash(token),
                created_at=to_db(now),
                created_by=actor,
            )
            s.add(row)
            s.flush()
            s.add(
                EventRow(
                    link_id=row.id,
                    tag=tag,
                    kind="linked",
                    at=to_db(now),
                    details=json.dumps({"by": actor, "pathway": pathway_id}),
                )
            )
            return _link(row), token

    def discharge(self, link_id: int, *, actor: str, now: datetime | None = None) -> Link:
        now = now or datetime.now(UTC)
        with self._session.begin() as s:
            row = s.get(LinkRow, link_id)
            if row is None:
                raise LinkError(f"no wristband link {link_id}")
            if row.discharged_at is None:
                row.discharged_at = to_db(now)
                s.add(
                    EventRow(
                        link_id=row.id,
                        tag=row.tag,
                        kind="discharged",
                        at=to_db(now),
                        details=json.dumps({"by": actor}),
                    )
                )
            return _link(row)

    def active_links(self) -> list[Link]:
        with self._session() as s:
            return [_link(r) for r in s.scalars(select(LinkRow).where(LinkRow.discharged_at.is_(None)))]

    def get(self, link_id: int) -> Link | None:
        with self._session() as s:
            row = s.get(LinkRow, link_id)
            return _link(row) if row else None

    def by_token(self, token: str) -> Link | None:
        """The active link of a companion token (None once discharged)."""
        with self._session() as s:
            row = s.scalars(
                select(LinkRow).where(
                    LinkRow.token_sha256 == token_hash(token), LinkRow.discharged_at.is_(None)
                )
            ).first()
            return _link(row) if row else None

    # -- state and events -----------------------------------------------------------------------

    def record(self, events: list[TrackerEvent], states: dict[int, dict[str, Any]]) -> None:
        """Write events and state changes of many links in one transaction (bulk statements)."""
        if not events and not states:
            return
        with self._session.begin() as s:
            if events:
                s.execute(
                    insert(EventRow),
                    [
                        {
                            "link_id": e.link_id,
                            "tag": e.tag,
                            "kind": e.kind,
                            "at": to_db(e.at),
                            "details": json.dumps(e.details, ensure_ascii=False),
                        }
                        for e in events
                    ],
                )
            # Group by the set of columns changed: one executemany per shape.
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for link_id, values in states.items():
                row = {k: to_db(v) if isinstance(v, datetime) else v for k, v in values.items()}
                shapes.setdefault(tuple(sorted(row)), []).append({"id": link_id, **row})
            for rows in shapes.values():
                s.execute(update(LinkRow), rows)

    def events(self, link_id: int | None = None, *, kind: str | None = None) -> list[TrackerEvent]:
        with self._session() as s:
            q = select(EventRow).order_by(EventRow.id)
            if link_id is not None:
                q = q.where(EventRow.link_id == link_id)
            if kind is not None:
                q = q.where(EventRow.kind == kind)
            return [
                TrackerEvent(
                    r.link_id,
                    r.tag,
                    r.kind,
                    from_db(r.at),  # type: ignore[arg-type]
                    json.loads(r.details),
                )
                for r in s.scalars(q)
            ]

    def purge(self, *, retention: timedelta, now: datetime | None = None) -> int:
        """Delete the events of patients discharged more than *retention* ago; the link
        keeps no patient reference after that. Returns how many events went."""
        now = now or datetime.now(UTC)
        limit = to_db(now - retention)
        with self._session.begin() as s:
            old = s.scalars(
                select(LinkRow).where(LinkRow.discharged_at.is_not(None), LinkRow.discharged_at < limit)
            ).all()
            ids = [r.id for r in old]
            if not ids:
                return 0
            result = s.execute(delete(EventRow).where(EventRow.link_id.in_(ids)))
            count = getattr(result, "rowcount", 0)
            for r in old:
                r.patient_ref = "purged"
            return int(count or 0)
