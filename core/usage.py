"""What kiosks and phones are asked, counted per day without keeping anything about a person.

For the people who run the hospital (and judge a pilot on its first months): routes
asked by destination, by entrance, by profile and by language, where they came from
(phone or kiosk), routes refused and why, typed searches and those that found nothing
(the synonyms missing from the plan), routes followed to the end on the phone page,
and the answers to one question on arrival ("Did you find your way easily?").

Privacy, by construction:

- only **daily counters** are stored: ``(day, site, kind, key) -> count`` (the site's short
  name: a hospital with several reads each site's figures, or the hospital's). Keys are place
  names, profiles, languages, reasons, and the text of searches that found nothing
  (normalised, cut at 60 characters): never an address, a time of day, a session;
- **distinct phones** are counted per day from a hash of the client address and the
  browser's User-Agent with a salt made for that day and deleted the day after
  (the approach of cookie-free web analytics): a phone cannot be followed from one
  day to the next, and the address cannot be recovered. A week's figure is the sum
  of its days (a phone back on Tuesday counts twice);
- kiosks are hospital devices: a kiosk's id is counted as itself;
- everything is deleted after ``WAYFINDING_USAGE_DAYS`` days (400 by default).

Counting never slows a visitor down nor fails a request: counts are added in memory
(:class:`UsageRecorder`) and written in one transaction every few seconds by the
service's refresh thread; a database that cannot be written keeps them (up to a
bound) for the next try. A process killed between two writes loses those seconds.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import Date, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from database import Base, schema
from routing.places import normalize

log = logging.getLogger(__name__)

#: Counts kept in memory while the database cannot be written, at most.
MAX_PENDING = 50_000
MISS_CHARS = 60
ANSWERS = ("yes", "no")
#: Counters the per-day table reads.
DAILY_KINDS = ["route", "route.source", "route.profile", "followed", "arrival", "refused"]


class CountRow(Base):
    __tablename__ = "usage_count"
    __table_args__ = (UniqueConstraint("day", "site", "kind", "key", name="usage_count_day_site_kind_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    #: The site's short name ("" while a plan file was served, before any site existed).
    site: Mapped[str] = mapped_column(String(40), server_default="")
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer)


class SeenRow(Base):
    """One distinct phone (a salted hash of the day) or kiosk (its id) on one day."""

    __tablename__ = "usage_seen"
    __table_args__ = (
        UniqueConstraint("day", "site", "kind", "token", name="usage_seen_day_site_kind_token"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    site: Mapped[str] = mapped_column(String(40), server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(128))


class SaltRow(Base):
    __tablename__ = "usage_salt"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


class Counts:
    """What is counted, in words (a route shown, a search, an answer on arrival...), on
    :meth:`add` and :meth:`seen`: the recorder's for the hospital, a :class:`SiteUsage`'s
    for one site."""

    def add(self, kind: str, key: str = "", n: int = 1) -> None:
        raise NotImplementedError

    def seen(self, kind: str, token: str) -> None:
        raise NotImplementedError

    def today(self) -> date:
        raise NotImplementedError

    def _salt(self, day: date) -> str | None:
        raise NotImplementedError

    def phone(self, address: str, user_agent: str) -> None:
        """Count a distinct phone today: a hash of its address and browser with today's salt."""
        day = self.today()
        salt = self._salt(day)
        if salt is None:
            return
        digest = hashlib.sha256(f"{salt}|{address}|{user_agent}".encode()).hexdigest()[:24]
        self.seen("phone", digest)

    def route(
        self,
        source: str,
        *,
        destination: str,
        origin: str,
        profile: str,
        lang: str,
        kiosk: str | None = None,
    ) -> None:
        """A route shown (first view): by destination, entrance, profile, language, source."""
        for kind, key in (
            ("route", ""),
            ("route.source", source),
            ("route.dest", destination),
            ("route.origin", origin),
            ("route.profile", profile),
            ("route.lang", lang),
        ):
            self.add(kind, key)
        if kiosk:
            self.seen("kiosk", kiosk)

    def refused(self, reason: str, *, destination: str = "") -> None:
        self.add("refused", reason)
        if destination:
            self.add("refused.dest", f"{reason}|{destination}")

    def search(self, text: str, *, found: bool) -> None:
        """A typed destination; the text is kept (normalised) only when it found nothing."""
        self.add("search")
        if not found:
            words = normalize(text)[:MISS_CHARS].strip()
            if words:
                self.add("search.miss", words)

    def sign_scan(self, sign: str) -> None:
        """A "you are here" sign scanned (its QR code opened a page, or its code was typed)."""
        self.add("sign.scan", sign)

    def reanchored(self, *, on_route: bool) -> None:
        """A sign scanned while following a route: on it, or off it (a new route from the sign)."""
        self.add("sign.reanchor", "on" if on_route else "off")

    def followed(self, source: str) -> None:
        self.add("followed", source)

    def arrival(self, answer: str, *, destination: str, origin: str) -> None:
        if answer not in ANSWERS:
            raise ValueError(f"answer {answer!r}: yes or no")
        self.add("arrival", answer)
        self.add("arrival.dest", f"{answer}|{destination}")
        self.add("arrival.origin", f"{answer}|{origin}")


class UsageRecorder(Counts):
    """Counts in memory, written to the database by :meth:`flush` (thread-safe)."""

    def __init__(self, engine: Engine, *, zone: tzinfo = UTC, keep_days: int = 400) -> None:
        self.engine = engine
        self._tables = False  # made on the first write or read, not at start (a kiosk may start offline)
        self._session = sessionmaker(engine, expire_on_commit=False)
        self.zone = zone
        self.keep_days = keep_days
        self._lock = threading.Lock()
        self._counts: Counter[tuple[date, str, str, str]] = Counter()
        self._seen: set[tuple[date, str, str, str]] = set()
        self._salts: dict[date, str] = {}
        self._purged: date | None = None

    def _ensure_tables(self) -> None:
        if not self._tables:
            schema.require_current(self.engine)
            self._tables = True

    def today(self) -> date:
        return datetime.now(self.zone).date()

    # -- counting ----------------------------------------------------------------------------------

    def add(self, kind: str, key: str = "", n: int = 1, *, site: str = "") -> None:
        day = self.today()
        with self._lock:
            if len(self._counts) < MAX_PENDING:
                self._counts[(day, site[:40], kind[:32], key[:200])] += n

    def seen(self, kind: str, token: str, *, site: str = "") -> None:
        day = self.today()
        with self._lock:
            if len(self._seen) < MAX_PENDING:
                self._seen.add((day, site[:40], kind[:16], token[:128]))

    def at(self, site: str | None) -> SiteUsage:
        """The counts of one site (its short name; None: a plan file served, no site)."""
        return SiteUsage(self, site or "")

    # -- writing -------------------------------------------------------------------------------------

    def _salt(self, day: date) -> str | None:
        salt = self._salts.get(day)
        if salt is not None:
            return salt
        try:
            self._ensure_tables()
            with self._session.begin() as s:
                self._insert_ignore(s, SaltRow, [{"day": day, "value": secrets.token_hex(16)}], ["day"])
            with self._session() as s:
                row = s.get(SaltRow, day)
                if row is None:
                    return None
                self._salts = {day: row.value}  # yesterday's is forgotten here too
                return row.value
        except Exception:
            log.exception("usage: no salt for %s (distinct phones not counted)", day)
            return None

    def _insert_ignore(
        self, s: Session, table: type[Base], rows: list[dict[str, object]], keys: list[str]
    ) -> None:
        dialect = self.engine.dialect.name
        ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
        s.execute(ins(table).values(rows).on_conflict_do_nothing(index_elements=keys))  # type: ignore[attr-defined]

    def flush(self) -> int:
        """Write what was counted; returns how many counters were written."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            seen, self._seen = self._seen, set()
        if not counts and not seen:
            self._purge()
            return 0
        try:
            self._ensure_tables()
            with self._session.begin() as s:
                dialect = self.engine.dialect.name
                ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
                rows = [
                    {"day": d, "site": site, "kind": k, "key": key, "count": n}
                    for (d, site, k, key), n in counts.items()
                ]
                for i in range(0, len(rows), 500):
                    stmt = ins(CountRow).values(rows[i : i + 500])
                    stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
                        index_elements=["day", "site", "kind", "key"],
                        set_={"count": CountRow.count + stmt.excluded.count},  # type: ignore[attr-defined]
                    )
                    s.execute(stmt)
                seen_rows = [{"day": d, "site": site, "kind": k, "token": t} for d, site, k, t in seen]
                keys = ["day", "site", "kind", "token"]
                for i in range(0, len(seen_rows), 500):
                    self._insert_ignore(s, SeenRow, seen_rows[i : i + 500], keys)
        except Exception:
            log.exception("usage: counts not written; kept for the next try")
            with self._lock:
                for k, n in counts.items():
                    if len(self._counts) < MAX_PENDING or k in self._counts:
                        self._counts[k] += n
                self._seen |= set(list(seen)[: max(0, MAX_PENDING - len(self._seen))])
            return 0
        self._purge()
        return len(counts) + len(seen)

    def _purge(self) -> None:
        """Once a day: counts older than the retention, and salts of days gone."""
        today = self.today()
        if self._purged == today:
            return
        oldest = today - timedelta(days=self.keep_days)
        try:
            self._ensure_tables()
            with self._session.begin() as s:
                s.execute(delete(CountRow).where(CountRow.day < oldest))
                s.execute(delete(SeenRow).where(SeenRow.day < oldest))
                s.execute(delete(SaltRow).where(SaltRow.day < today))
            self._purged = today
        except Exception:
            log.exception("usage: purge failed")

    # -- reading -------------------------------------------------------------------------------------

    def totals(
        self, period: Period, kinds: Iterable[str] | None = None, *, sites: Collection[str] | None = None
    ) -> dict[str, Counter[str]]:
        """kind -> key -> count over the period (of the *sites* named, when given)."""
        self._ensure_tables()
        with self._session() as s:
            q = (
                select(CountRow.kind, CountRow.key, func.sum(CountRow.count))
                .where(CountRow.day >= period.start, CountRow.day <= period.end)
                .group_by(CountRow.kind, CountRow.key)
            )
            if sites is not None:
                q = q.where(CountRow.site.in_(list(sites)))
            if kinds is not None:
                q = q.where(CountRow.kind.in_(list(kinds)))
            out: dict[str, Counter[str]] = {}
            for kind, key, n in s.execute(q):
                out.setdefault(kind, Counter())[key] += int(n)
            return out

    def daily(self, period: Period, *, sites: Collection[str] | None = None) -> dict[date, Counter[str]]:
        """day -> {"route", "phone", "kiosk-route", "followed", "arrival.yes", "arrival.no",
        "phones", "kiosks", "step_free"} for each day of the period (of the *sites* named)."""
        self._ensure_tables()
        out: dict[date, Counter[str]] = {d: Counter() for d in period.days()}
        with self._session() as s:
            q = select(CountRow.day, CountRow.kind, CountRow.key, CountRow.count).where(
                CountRow.day >= period.start,
                CountRow.day <= period.end,
                CountRow.kind.in_(
                    ["route", "route.source", "route.profile", "followed", "arrival", "refused"]
                ),
            )
            if sites is not None:
                q = q.where(CountRow.site.in_(list(sites)))
            for day, kind, key, n in s.execute(q):
                c = out.setdefault(day, Counter())
                if kind == "route":
                    c["route"] += n
                elif kind == "route.source":
                    c[f"route.{key}"] += n
                elif kind == "route.profile" and key == "step_free":
                    c["step_free"] += n
                elif kind == "followed":
                    c["followed"] += n
                elif kind == "arrival":
                    c[f"arrival.{key}"] += n
                elif kind == "refused":
                    c["refused"] += n
            q2 = (
                select(SeenRow.day, SeenRow.kind, func.count(func.distinct(SeenRow.token)))
                .where(SeenRow.day >= period.start, SeenRow.day <= period.end)
                .group_by(SeenRow.day, SeenRow.kind)
            )
            if sites is not None:
                q2 = q2.where(SeenRow.site.in_(list(sites)))
            for day, kind, n in s.execute(q2):
                out.setdefault(day, Counter())[f"{kind}s"] += int(n)
        return out

    def rows(
        self, period: Period, *, sites: Collection[str] | None = None
    ) -> list[tuple[date, str, str, int]]:
        """Every counter of the period (of the *sites* named, summed over them), for the CSV
        (distinct phones and kiosks as counts)."""
        self._ensure_tables()
        with self._session() as s:
            q = (
                select(CountRow.day, CountRow.kind, CountRow.key, func.sum(CountRow.count))
                .where(CountRow.day >= period.start, CountRow.day <= period.end)
                .group_by(CountRow.day, CountRow.kind, CountRow.key)
            )
            if sites is not None:
                q = q.where(CountRow.site.in_(list(sites)))
            out = [(d, k, key, int(n)) for d, k, key, n in s.execute(q)]
            q2 = (
                select(SeenRow.day, SeenRow.kind, func.count(func.distinct(SeenRow.token)))
                .where(SeenRow.day >= period.start, SeenRow.day <= period.end)
                .group_by(SeenRow.day, SeenRow.kind)
            )
            if sites is not None:
                q2 = q2.where(SeenRow.site.in_(list(sites)))
            out += [(d, f"distinct.{k}", "", int(n)) for d, k, n in s.execute(q2)]
        return sorted(out)


class SiteUsage(Counts):
    """Counting for one site: what :class:`UsageRecorder` counts, with the site's name."""

    def __init__(self, recorder: UsageRecorder, site: str) -> None:
        self.recorder = recorder
        self.site = site

    def add(self, kind: str, key: str = "", n: int = 1) -> None:
        self.recorder.add(kind, key, n, site=self.site)

    def seen(self, kind: str, token: str) -> None:
        self.recorder.seen(kind, token, site=self.site)

    def today(self) -> date:
        return self.recorder.today()

    def _salt(self, day: date) -> str | None:
        return self.recorder._salt(day)
