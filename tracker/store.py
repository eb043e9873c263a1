"""What the tracker must never lose: wristband links, journey state, events.

Same database as the floor plans (SQLAlchemy; SQLite file by default). A
wristband carries no name: the link holds a pseudonymous patient reference
(the hospital's own identifier stays in the hospital's systems), the
pathway, the companion's language and the companion link token (only its
SHA-256 is stored; the token itself is given once, at linking). Discharge
ends the companion link; so does its expiry (``expires_at``, 24 h after linking by
default). The companion's card also carries a short code (four letters and
digits, unique among patients being followed) that the waiting-room board
shows instead of any name. A discharged patient's events are purged after the
retention delay.

Wristbands are registered before use (``wristband`` table, ``wayfinding
wristband add``): the care desk refuses a number that is not on the list, which
catches typing errors before a companion is given a link that will never move.
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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from beacons.payloads import canonical_tag
from database import Base, add_audit, from_db, from_db_or_none, make_engine, partial_unique, schema, to_db


class LinkRow(Base):
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
    short_code: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    #: One active link per wristband, one card code among active links.
    __table_args__ = (
        partial_unique("uq_wristband_link_active_tag", "tag", where="discharged_at IS NULL"),
        partial_unique(
            "uq_wristband_link_active_code",
            "short_code",
            where="discharged_at IS NULL AND short_code IS NOT NULL",
        ),
    )


class WristbandRow(Base):
    """The wristbands the hospital owns (the numbers printed or encoded on them)."""

    __tablename__ = "wristband"
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)
    added_by: Mapped[str] = mapped_column(String(100))


class EventRow(Base):
    __tablename__ = "tracker_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(Integer, index=True)
    tag: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")
    #: The time stamp of the reading that decided a stage (the receiver's clock).
    reading_ts: Mapped[float | None] = mapped_column(Float, nullable=True)

    #: A stage decided twice from the same reading (a replay) is stored once.
    __table_args__ = (
        partial_unique(
            "uq_tracker_event_stage_reading",
            "link_id",
            "reading_ts",
            where="kind = 'stage' AND reading_ts IS NOT NULL",
        ),
    )


class LeaseRow(Base):
    """Which estimator worker owns a partition of a site's wristbands, until when
    (seconds since the epoch; tracker.partitions)."""

    __tablename__ = "tracker_lease"
    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    expires: Mapped[float] = mapped_column(Float)
    #: Incremented at every change of owner: a worker's old lease cannot be renewed.
    generation: Mapped[int] = mapped_column(Integer)


class WorkerRow(Base):
    """An estimator worker alive (it wrote *seen* less than a lease ago)."""

    __tablename__ = "tracker_worker"
    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen: Mapped[float] = mapped_column(Float)


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
    short_code: str | None = None
    expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.discharged_at is None

    def companion_open(self, now: datetime | None = None) -> bool:
        """Whether the companion's link still shows the patient's stage."""
        now = now or datetime.now(UTC)
        return self.discharged_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(slots=True, frozen=True)
class TrackerEvent:
    link_id: int
    tag: str
    kind: str  # stage, signal-lost, back-in-range, battery-low, left-area, back-in-area, linked, discharged
    at: datetime
    details: dict[str, Any]
    #: For a stage: the time stamp of the reading that decided it.
    reading_ts: float | None = None


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
        row.short_code,
        from_db_or_none(row.expires_at),
    )


def _short_code(taken: set[str]) -> str:
    for _ in range(1000):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
        if code not in taken:
            return code
    raise LinkError("no free card code: too many patients followed at once", "codes-exhausted")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: Letters and digits that cannot be mistaken for one another when read on a card or a screen.
CODE_ALPHABET = "ACDEFHJKLMNPRTUVWXY3479"
#: Random bytes of a companion token: 144 bits (24 URL-safe characters).
TOKEN_BYTES = 18


class LinkError(ValueError):
    """A link operation that cannot be done. ``code`` names the case for translated
    messages (``unknown-wristband``, ``already-linked``, ``unknown-pathway``,
    ``unknown-link``); ``params`` fill them."""

    def __init__(self, message: str, code: str = "link", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class TrackerStore:
    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        schema.require_current(self.engine)  # migrated at process start (schema.connect)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    # -- wristbands ---------------------------------------------------------------------------

    def register(self, tags: list[str], *, actor: str, now: datetime | None = None) -> int:
        """Add wristbands to the hospital's list; returns how many were new."""
        now = now or datetime.now(UTC)
        tags = [canonical_tag(t) for t in tags]
        with self._session.begin() as s:
            known = set(s.scalars(select(WristbandRow.tag).where(WristbandRow.tag.in_(tags))))
            new = [t for t in dict.fromkeys(tags) if t not in known]
            for tag in new:
                s.add(WristbandRow(tag=tag, added_at=to_db(now), added_by=actor))
            if new:
                add_audit(s, actor, "register-wristbands", f"{len(new)} wristband(s)", {"tags": new[:50]})
            return len(new)

    def registered(self, tag: str) -> bool:
        with self._session() as s:
            return s.get(WristbandRow, canonical_tag(tag)) is not None

    def wristbands(self) -> list[str]:
        with self._session() as s:
            return list(s.scalars(select(WristbandRow.tag).order_by(WristbandRow.tag)))

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
        companion_hours: float = 24.0,
        registered_only: bool = False,
    ) -> tuple[Link, str]:
        """Link a wristband to a patient; returns the link and the companion token (once).

        With *registered_only*, a wristband missing from the hospital's list is refused
        (what the care desk does: it catches a mistyped number)."""
        now = now or datetime.now(UTC)
        tag = canonical_tag(tag)
        for attempt in range(3):
            try:
                return self._link(
                    tag, patient_ref, pathway_id, companion_lang, actor, now, companion_hours, registered_only
                )
            except IntegrityError:
                # Another desk linked the same wristband at the same moment (the next try
                # says so), or drew the same card code (the next try draws another).
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _link(
        self,
        tag: str,
        patient_ref: str,
        pathway_id: str,
        companion_lang: str,
        actor: str,
        now: datetime,
        companion_hours: float,
        registered_only: bool,
    ) -> tuple[Link, str]:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._session.begin() as s:
            if registered_only and s.get(WristbandRow, tag) is None:
                raise LinkError(
                    f"wristband {tag!r} is not on the hospital's list of wristbands: check the "
                    "number on the band (or scan it again); a new band must be registered first",
                    "unknown-wristband",
                    tag=tag,
                )
            busy = s.scalars(
                select(LinkRow).where(LinkRow.tag == tag, LinkRow.discharged_at.is_(None))
            ).first()
            if busy is not None:
                raise LinkError(
                    f"wristband {tag!r} is already linked (link {busy.id}, card {busy.short_code}); "
                    "discharge that patient first, or take another wristband",
                    "already-linked",
                    tag=tag,
                    card=busy.short_code or str(busy.id),
                )
            taken: set[str] = set(
                s.scalars(
                    select(LinkRow.short_code).where(
                        LinkRow.discharged_at.is_(None), LinkRow.short_code.is_not(None)
                    )
                )
            )
            code = _short_code({c for c in taken if c})
            row = LinkRow(
                tag=tag,
                patient_ref=patient_ref,
                pathway_id=pathway_id,
                companion_lang=companion_lang,
                token_sha256=token_hash(token),
                created_at=to_db(now),
                created_by=actor,
                short_code=code,
                expires_at=to_db(now + timedelta(hours=companion_hours)),
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
            add_audit(
                s,
                actor,
                "link-wristband",
                f"link {row.id}",
                {"tag": tag, "patient_ref": patient_ref, "pathway": pathway_id, "card": code},
            )
            return _link(row), token

    def discharge(self, link_id: int, *, actor: str, now: datetime | None = None) -> Link:
        now = now or datetime.now(UTC)
        with self._session.begin() as s:
            row = s.get(LinkRow, link_id)
            if row is None:
                raise LinkError(f"no wristband link {link_id}", "unknown-link", link=link_id)
            if row.discharged_at is None:
                row.discharged_at = to_db(now)
                _staff_event(s, row, "discharged", "discharge", actor, now, {"tag": row.tag})
            return _link(row)

    def reissue(self, link_id: int, *, actor: str, now: datetime | None = None) -> tuple[Link, str]:
        """A new companion token for an active link (a card lost, or never printed): the old
        link stops working at once; the card's code and the expiry stay. Audited."""
        now = now or datetime.now(UTC)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._session.begin() as s:
            row = s.get(LinkRow, link_id)
            if row is None:
                raise LinkError(f"no wristband link {link_id}", "unknown-link", link=link_id)
            if row.discharged_at is not None:
                raise LinkError(f"wristband link {link_id} has ended", "ended", link=link_id)
            row.token_sha256 = token_hash(token)
            _staff_event(s, row, "card-reissued", "card-reissued", actor, now, {"card": row.short_code})
            return _link(row), token

    def active_links(self) -> list[Link]:
        with self._session() as s:
            return [_link(r) for r in s.scalars(select(LinkRow).where(LinkRow.discharged_at.is_(None)))]

    def get(self, link_id: int) -> Link | None:
        with self._session() as s:
            row = s.get(LinkRow, link_id)
            return _link(row) if row else None

    def by_token(self, token: str) -> Link | None:
        """The active link of a companion token (None once discharged)."""
        link = self.token_link(token)
        return link if link is not None and link.active else None

    def token_link(self, token: str) -> Link | None:
        """The link a companion token was given for, whatever its state (None if unknown).
        Only the token's hash is looked up: the store never holds the token."""
        with self._session() as s:
            row = s.scalars(select(LinkRow).where(LinkRow.token_sha256 == token_hash(token))).first()
            return _link(row) if row else None

    def links(self, link_ids: list[int]) -> list[Link]:
        with self._session() as s:
            return [_link(r) for r in s.scalars(select(LinkRow).where(LinkRow.id.in_(link_ids)))]

    def latest_alerts(self, link_ids: list[int]) -> dict[int, set[str]]:
        """Alerts in force per link, from its events: ``signal-lost`` until ``back-in-range``,
        ``left-area`` until ``back-in-area``. (A low battery is read from ``battery_mv``.)"""
        pairs = {"signal-lost": "back-in-range", "left-area": "back-in-area"}
        kinds = [*pairs, *pairs.values()]
        out: dict[int, set[str]] = {i: set() for i in link_ids}
        if not link_ids:
            return out
        with self._session() as s:
            rows = s.execute(
                select(EventRow.link_id, EventRow.kind)
                .where(EventRow.link_id.in_(link_ids), EventRow.kind.in_(kinds))
                .order_by(EventRow.id)
            )
            for link_id, kind in rows:
                alerts = out[link_id]
                if kind in pairs:
                    alerts.add(kind)
                else:
                    alerts.discard(next(k for k, v in pairs.items() if v == kind))
        return out

    # -- state and events -----------------------------------------------------------------------

    def record(self, events: list[TrackerEvent], states: dict[int, dict[str, Any]]) -> set[int]:
        """Write events and state changes of many links in one transaction (bulk statements).

        A stage event (details ``stage`` and ``from``) moves its link's stage only if the
        link is still at the stage it comes from (compare and set, in the same
        transaction): a change decided twice (readings replayed after a crash, two workers
        owning a wristband for a moment during a takeover) is written once; the refused
        one and its ``stage-passed`` events are not written. Returns the links with a
        refused change (what the caller holds of them is not what the database has)."""
        if not events and not states:
            return set()
        refused: set[int] = set()
        with self._session.begin() as s:
            moved: set[tuple[int, str]] = set()
            for e in events:
                if e.kind != "stage":
                    continue
                done = s.execute(
                    update(LinkRow)
                    .where(
                        LinkRow.id == e.link_id,
                        LinkRow.stage_id.is_not_distinct_from(e.details.get("from")),
                    )
                    .values(stage_id=e.details["stage"], stage_since=to_db(e.at))
                )
                if getattr(done, "rowcount", 1) == 1:
                    moved.add((e.link_id, e.details["stage"]))
                else:
                    refused.add(e.link_id)
            kept = [
                e
                for e in events
                if (e.kind == "stage" and (e.link_id, e.details["stage"]) in moved)
                or (e.kind == "stage-passed" and (e.link_id, e.details.get("to")) in moved)
                or e.kind not in ("stage", "stage-passed")
            ]
            if kept:
                s.execute(
                    insert(EventRow),
                    [
                        {
                            "link_id": e.link_id,
                            "tag": e.tag,
                            "kind": e.kind,
                            "at": to_db(e.at),
                            "details": json.dumps(e.details, ensure_ascii=False),
                            "reading_ts": e.reading_ts,
                        }
                        for e in kept
                    ],
                )
            # Group by the set of columns changed: one executemany per shape.
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for link_id, values in states.items():
                row = {k: to_db(v) if isinstance(v, datetime) else v for k, v in values.items()}
                if row:
                    shapes.setdefault(tuple(sorted(row)), []).append({"id": link_id, **row})
            for rows in shapes.values():
                s.execute(update(LinkRow), rows)
        return refused

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
                    r.reading_ts,
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


def _staff_event(
    s: Session, row: LinkRow, kind: str, action: str, actor: str, now: datetime, audited: dict[str, Any]
) -> None:
    """What a member of staff did to a link: in the link's events and in the audit log."""
    s.add(EventRow(link_id=row.id, tag=row.tag, kind=kind, at=to_db(now), details=json.dumps({"by": actor})))
    add_audit(s, actor, action, f"link {row.id}", audited)
