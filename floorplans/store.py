"""Floor plan versions and closures in a database (SQLAlchemy).

A SQLite file by default; any SQLAlchemy URL works (PostgreSQL beyond one
box). Each imported archive becomes a *draft*; publishing a draft archives
the version in service in the same transaction, so a reader sees the old
version or the new one, never a mix. Broken drafts cannot be published, and
an import that fails leaves the published version in service. Every change
is written to the audit log with who did it.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    String,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, defer, mapped_column, sessionmaker

from database import (
    AuditLog,
    AuditRow,
    Base,
    add_audit,
    from_db,
    from_db_or_none,
    make_engine,
    partial_unique,
    schema,
    sqlite_file_missing,
    to_db,
    utcnow,
)
from floorplans._errors import FloorPlanError, StoreError
from floorplans.diff import Change, diff_venues
from floorplans.imdf import read_imdf
from floorplans.model import Venue, label_text
from floorplans.report import Report
from floorplans.sites import (
    NewSite,
    SiteInfo,
    SiteRow,
    all_sites,
    find_site,
    free_slug,
    insert_site,
    site_info,
    slug_of,
)
from floorplans.text import T
from floorplans.text import Text as Sentence
from floorplans.upload import UploadLimits, check_archive
from floorplans.validate import validate_venue

#: Limits for archives read from this machine's disk (``floorplan import``); uploads get the
#: settings' (``WAYFINDING_UPLOAD_MAX_MB``, ``WAYFINDING_UPLOAD_MAX_POINTS``).
LOCAL_LIMITS = UploadLimits(
    max_bytes=2 * 1024**3, max_unpacked=8 * 1024**3, max_entries=10_000, max_points=50_000_000
)


class VersionRow(Base):
    __tablename__ = "floorplan_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[str] = mapped_column(String(64), index=True)
    venue_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)  # draft/published/archived/discarded
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64))
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    report: Mapped[str] = mapped_column(Text)
    errors: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    #: At most one version in service per venue.
    __table_args__ = (
        partial_unique("uq_floorplan_version_published", "venue_id", where="status = 'published'"),
    )


# The audit log (database/models.py) names the plan version an entry is about; the reference
# is declared here, by the table it points to (the migrations make it in every database).
Base.metadata.tables[AuditRow.__tablename__].append_constraint(
    ForeignKeyConstraint(["version_id"], ["floorplan_version.id"])
)


class ClosureRow(Base):
    __tablename__ = "closure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[str] = mapped_column(String(64), index=True)
    feature_type: Mapped[str] = mapped_column(String(32))
    feature_id: Mapped[str] = mapped_column(String(128), index=True)
    feature_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reopened_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


@dataclass(slots=True, frozen=True)
class VersionInfo:
    id: int
    venue_id: str
    venue_name: str
    status: str
    created_at: datetime
    created_by: str
    note: str
    source: str
    sha256: str
    errors: int
    warnings: int
    published_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {f: _iso(getattr(self, f)) for f in self.__slots__}


@dataclass(slots=True, frozen=True)
class Closure:
    id: int
    venue_id: str
    feature_type: str
    feature_id: str
    feature_name: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    reopened_at: datetime | None

    def active(self, at: datetime) -> bool:
        return self.reopened_at is None and self.starts_at <= at < self.ends_at

    def to_dict(self) -> dict[str, Any]:
        return {f: _iso(getattr(self, f)) for f in self.__slots__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Closure:
        """The closure :meth:`to_dict` wrote (``KeyError``/``ValueError`` when it is not one)."""

        def when(key: str) -> datetime:
            return datetime.fromisoformat(str(data[key]))

        return cls(
            int(data["id"]),
            str(data["venue_id"]),
            str(data["feature_type"]),
            str(data["feature_id"]),
            str(data["feature_name"]),
            str(data["reason"]),
            when("starts_at"),
            when("ends_at"),
            str(data["created_by"]),
            None if data.get("reopened_at") is None else when("reopened_at"),
        )


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _version(row: VersionRow) -> VersionInfo:
    return VersionInfo(
        row.id,
        row.venue_id,
        row.venue_name,
        row.status,
        from_db(row.created_at),
        row.created_by,
        row.note,  # type: ignore[arg-type]
        row.source,
        row.sha256,
        row.errors,
        row.warnings,
        from_db_or_none(row.published_at),
    )


def _closure(row: ClosureRow) -> Closure:
    return Closure(
        row.id,
        row.venue_id,
        row.feature_type,
        row.feature_id,
        row.feature_name,
        row.reason,
        from_db(row.starts_at),
        from_db(row.ends_at),  # type: ignore[arg-type]
        row.created_by,
        from_db_or_none(row.reopened_at),
    )


def archive_bytes(path: str | Path) -> bytes:
    """The archive at *path* as zip bytes (a folder is zipped)."""
    p = Path(path)
    if p.is_file():
        return p.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(p.iterdir()):
            if f.is_file():
                zf.write(f, f.name)
    return buf.getvalue()


class FloorPlanStore:
    """Versions, closures and audit log of floor plans in one database."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        schema.require_current(self.engine)  # migrated at process start (schema.connect)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._audit_log = AuditLog(self.engine)
        self._venues: dict[str, Venue] = {}

    # -- versions ---------------------------------------------------------------------------

    def import_archive(self, path: str | Path, *, actor: str, note: str = "") -> VersionInfo:
        """Store an archive as a draft, with its validation report.

        Raises :class:`FloorPlanError` (nothing stored) when the archive cannot
        be read at all; a readable archive with errors is stored as a draft
        that cannot be published, so that its report stays at hand.
        """
        data = archive_bytes(path)
        # A file the operator names on this machine: only absurd archives are refused.
        return self.import_bytes(data, actor=actor, note=note, source=str(path), limits=LOCAL_LIMITS)

    def import_bytes(
        self,
        data: bytes,
        *,
        actor: str,
        note: str = "",
        source: str = "upload",
        limits: UploadLimits | None = None,
    ) -> VersionInfo:
        """Store archive bytes as a draft (see :meth:`import_archive`). The bytes are first
        checked as an upload (:func:`floorplans.upload.check_archive`, within *limits*):
        :class:`~floorplans.upload.UploadRefused` and nothing stored when they are not a
        reasonable zip."""
        check_archive(data, limits, name=source)
        venue, report = self._load(data)
        if venue is None:
            raise FloorPlanError(
                T("{source}: not importable\n{report}", source=source, report=report.to_sentence(limit=20))
            )
        with self._session.begin() as s:
            row = VersionRow(
                venue_id=venue.id,
                venue_name=label_text(venue.name, venue.language) or venue.id,
                status="draft",
                created_at=to_db(utcnow()),
                created_by=actor,
                note=note,
                source=source,
                sha256=hashlib.sha256(data).hexdigest(),
                archive=data,
                report=report.to_json(),
                errors=len(report.errors),
                warnings=len(report.warnings),
            )
            s.add(row)
            s.flush()
            self._audit(
                s,
                actor,
                "import",
                f"version {row.id}",
                row.id,
                {"source": source, "errors": row.errors, "warnings": row.warnings},
            )
            return _version(row)

    def _load(self, data: bytes) -> tuple[Venue | None, Report]:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "archive.zip"
            path.write_bytes(data)
            try:
                result = read_imdf(path)
            except FloorPlanError as exc:
                report = Report()
                report.error(
                    "archive-unreadable",
                    "archive",
                    None,
                    str(exc),
                    T("upload a .zip holding manifest.json and the *.geojson files"),
                )
                return None, report
        if result.venue is not None:
            validate_venue(result.venue, result.report)
        return result.venue, result.report

    def versions(self, site: str | None = None) -> list[VersionInfo]:
        """Every version (of *site*, when given), oldest first (without their archives: those
        are read one by one)."""
        with self._session() as s:
            q = select(VersionRow).options(defer(VersionRow.archive), defer(VersionRow.report))
            q = q.order_by(VersionRow.id)
            if site:
                q = q.where(VersionRow.venue_id == self._venue_of(s, site))
            return [_version(r) for r in s.scalars(q)]

    # -- sites ------------------------------------------------------------------------------

    def sites(self) -> list[SiteInfo]:
        """The hospital's sites, oldest first (floorplans/sites.py)."""
        with self._session() as s:
            return all_sites(s)

    def site(self, ref: str | None = None) -> SiteInfo | None:
        """The site *ref* names (slug, venue id or name; :class:`StoreError` listing the sites
        when none is), or with no *ref* the only site (None when there is none yet; a
        :class:`StoreError` asking which when there are several)."""
        with self._session() as s:
            venue_id = self._venue_of(s, ref)
            return None if venue_id is None else _site_or_none(s, venue_id)

    def add_site(self, version_id: int, *, actor: str, slug: str | None = None) -> SiteInfo:
        """Confirm that the venue of version *version_id* is a new site of the hospital (after
        which its versions can be published), with the short name *slug* (from its name by default)."""
        with self._session.begin() as s:
            row = s.get(VersionRow, version_id)
            if row is None:
                raise StoreError(T("no floor plan version {id}", id=version_id))
            site = insert_site(
                s, row.venue_id, row.venue_name, slug or free_slug(s, slug_of(row.venue_name)), actor
            )
            self._audit(
                s, actor, "add-site", f"site {site.slug}", row.id, {"venue": row.venue_id, "name": site.name}
            )
            return site

    def _venue_of(self, s: Session, ref: str | None) -> str | None:
        """The venue id of the site *ref* names (a venue id with versions but no site yet is
        itself); with no *ref*, the only site's (None when there is none)."""
        sites = all_sites(s)
        if ref is None:
            if len(sites) > 1:
                raise StoreError(
                    T(
                        "the hospital has {count} sites: say which ({sites})",
                        count=len(sites),
                        sites=", ".join(x.slug for x in sites),
                    )
                )
            return sites[0].venue_id if sites else None
        try:
            return find_site(sites, ref).venue_id
        except StoreError:
            if s.scalars(select(VersionRow.id).where(VersionRow.venue_id == ref.strip()).limit(1)).first():
                return ref.strip()
            raise

    def version(self, version_id: int) -> VersionInfo:
        with self._session() as s:
            row = s.get(VersionRow, version_id)
            if row is None:
                raise StoreError(T("no floor plan version {id}", id=version_id))
            return _version(row)

    def report(self, version_id: int) -> Report:
        with self._session() as s:
            row = s.get(VersionRow, version_id)
            if row is None:
                raise StoreError(T("no floor plan version {id}", id=version_id))
            return Report.from_dict(json.loads(row.report))

    def published(self, site: str | None = None) -> VersionInfo | None:
        """The version in service on *site* (slug or venue id; see :meth:`site` without one)."""
        with self._session() as s:
            q = select(VersionRow).where(VersionRow.status == "published")
            venue_id = self._venue_of(s, site)
            if venue_id is not None:
                q = q.where(VersionRow.venue_id == venue_id)
            row = s.scalars(q.order_by(VersionRow.id.desc())).first()
            return _version(row) if row else None

    def in_service(self) -> list[tuple[SiteInfo, VersionInfo]]:
        """Each site with a version in service, and that version, the main site first."""
        with self._session() as s:
            sites = {x.venue_id: x for x in all_sites(s)}
            q = select(VersionRow).options(defer(VersionRow.archive), defer(VersionRow.report))
            rows = {r.venue_id: r for r in s.scalars(q.where(VersionRow.status == "published"))}
            # In the sites' order (the main one first), whichever was published last.
            return [(site, _version(rows[v])) for v, site in sites.items() if v in rows]

    def venue(self, version_id: int) -> Venue:
        """The venue of a version (read once, then cached by content)."""
        with self._session() as s:
            row = s.get(VersionRow, version_id)
            if row is None:
                raise StoreError(T("no floor plan version {id}", id=version_id))
            sha, data = row.sha256, row.archive
        if sha not in self._venues:
            venue, report = self._load(data)
            if venue is None:
                raise StoreError(T("version {id} cannot be read: {why}", id=version_id, why=report.summary()))
            if len(self._venues) > 8:
                self._venues.clear()
            self._venues[sha] = venue
        return self._venues[sha]

    def archive(self, version_id: int) -> bytes:
        with self._session() as s:
            row = s.get(VersionRow, version_id)
            if row is None:
                raise StoreError(T("no floor plan version {id}", id=version_id))
            return row.archive

    def publish(self, version_id: int, *, actor: str) -> VersionInfo:
        """Put a version in service; the one in service is archived in the same transaction.

        Publishes are serialised (one at a time, whichever process makes them): each one
        sees the one before it committed, archives it, and the database's unique index
        keeps a single version in service whatever happens."""
        try:
            with self._session.begin() as s:
                serialise(s, "publish")
                return self._publish(s, version_id, actor)
        except IntegrityError:
            raise StoreError(
                T(
                    "version {id} was not published: another version was published at the same moment; look "
                    "at the versions and publish again if needed",
                    id=version_id,
                )
            ) from None

    def _publish(self, s: Session, version_id: int, actor: str) -> VersionInfo:
        row = s.get(VersionRow, version_id)
        if row is None:
            raise StoreError(T("no floor plan version {id}", id=version_id))
        if row.status == "discarded":
            raise StoreError(T("version {id} was discarded; import or edit the plan again", id=version_id))
        if row.errors:
            raise StoreError(
                T(
                    "version {id} has {count} error(s) and cannot be published; see 'wayfinding floorplan "
                    "report {id}'",
                    id=version_id,
                    count=row.errors,
                )
            )
        if row.status == "published":
            return _version(row)
        if s.get(SiteRow, row.venue_id) is None:
            if all_sites(s):
                raise NewSite(row.id, row.venue_id, row.venue_name, free_slug(s, slug_of(row.venue_name)))
            # The first plan the store publishes: the hospital's first site.
            site = insert_site(s, row.venue_id, row.venue_name, slug_of(row.venue_name), actor)
            self._audit(
                s, actor, "add-site", f"site {site.slug}", row.id, {"venue": row.venue_id, "name": site.name}
            )
        previous = s.scalars(
            select(VersionRow.id).where(VersionRow.venue_id == row.venue_id, VersionRow.status == "published")
        ).all()
        s.execute(
            update(VersionRow)
            .where(VersionRow.venue_id == row.venue_id, VersionRow.status == "published")
            .values(status="archived")
        )
        row.status = "published"
        row.published_at = to_db(utcnow())
        self._audit(s, actor, "publish", f"version {row.id}", row.id, {"replaces": list(previous)})
        return _version(row)

    def rollback(self, *, actor: str, to: int | None = None, site: str | None = None) -> VersionInfo:
        """Publish again the version in service on *site* before the current one (or version
        *to*, of the same site as the one it replaces)."""
        if to is not None and site is None:
            site = self.version(to).venue_id
        current = self.published(site)
        if to is None:
            if current is None:
                raise StoreError(T("nothing is published, so there is nothing to roll back"))
            to = self.previous(current.venue_id)
            if to is None:
                raise StoreError(
                    T(
                        "version {id} is the first ever published; there is no earlier version to go back to",
                        id=current.id,
                    )
                )
        target = self.version(to)
        if current is not None and target.venue_id != current.venue_id:
            raise StoreError(
                T(
                    "version {id} is a plan of {other}, not of {site}: a rollback goes back to an earlier "
                    "version of the same site",
                    id=to,
                    other=target.venue_name,
                    site=current.venue_name,
                )
            )
        if target.status == "draft":
            raise StoreError(T("version {id} was never published; use 'publish' for a draft", id=to))
        info = self.publish(to, actor=actor)
        with self._session.begin() as s:
            self._audit(s, actor, "rollback", f"version {to}", to, {"from": current.id if current else None})
        return info

    def previous(self, site: str) -> int | None:
        """The version of *site* that was in service before the one in service now (what a
        rollback puts back), or None."""
        with self._session() as s:
            venue_id = self._venue_of(s, site)
            return s.scalars(
                select(VersionRow.id)
                .where(
                    VersionRow.venue_id == venue_id,
                    VersionRow.status == "archived",
                    VersionRow.published_at.is_not(None),
                )
                .order_by(VersionRow.published_at.desc(), VersionRow.id.desc())
                .limit(1)
            ).first()

    def discard(self, version_id: int, *, actor: str) -> VersionInfo:
        """Set a draft aside: it stays in the list (who imported what) but cannot be published."""
        with self._session.begin() as s:
            row = s.get(VersionRow, version_id)
            if row is None:
                raise StoreError(T("no floor plan version {id}", id=version_id))
            if row.status != "draft":
                raise StoreError(
                    T(
                        "version {id} is {status}, not a draft: only drafts are discarded",
                        id=version_id,
                        status=row.status,
                    )
                )
            row.status = "discarded"
            self._audit(s, actor, "discard", f"version {row.id}", row.id, {})
            return _version(row)

    def edit(
        self, base_id: int, action: str, feature_id: str, *, actor: str, note: str = "", **params: Any
    ) -> tuple[VersionInfo, Sentence]:
        """One everyday change (:func:`floorplans.edit.apply_edit`) on version *base_id*,
        stored as a new draft; returns the draft and what was done, in words."""
        from floorplans.edit import apply_edit
        from floorplans.imdf import imdf_zip_bytes

        venue, _report = self._load(self.archive(base_id))  # a fresh copy: the cached one is shared
        if venue is None:
            raise StoreError(T("version {id} cannot be read", id=base_id))
        done = apply_edit(venue, action, feature_id, **params)
        data = imdf_zip_bytes(venue)
        info = self.import_bytes(
            data, actor=actor, note=note or str(done), source=f"edit of version {base_id}"
        )
        with self._session.begin() as s:
            self._audit(
                s,
                actor,
                "edit",
                f"version {info.id}",
                info.id,
                {"base": base_id, "edit": action, "done": str(done)},
            )
        return info, done

    def diff(self, version_id: int, against: int | None = None, *, lang: str = "fr") -> list[Change]:
        """Changes from the published version (or *against*) to *version_id*."""
        if against is None:
            pub = self.published(self.version(version_id).venue_id)
            if pub is None:
                raise StoreError(T("nothing is published to compare with; give --against"))
            against = pub.id
        return diff_venues(self.venue(against), self.venue(version_id), lang=lang)

    # -- closures ---------------------------------------------------------------------------

    def close(
        self,
        feature_id: str,
        *,
        reason: str,
        actor: str,
        until: datetime,
        starts: datetime | None = None,
        site: str | None = None,
    ) -> Closure:
        """Close a unit, opening or vertical relationship of *site*'s published plan for a while."""
        pub = self.published(site)
        if pub is None:
            raise StoreError(T("publish a floor plan before closing parts of it"))
        venue = self.venue(pub.id)
        starts = starts or utcnow()
        if until <= starts:
            raise StoreError(
                T(
                    "closure ends ({until}) before it starts ({starts})",
                    until=until.isoformat(),
                    starts=starts.isoformat(),
                )
            )
        if not reason.strip():
            raise StoreError(T("give a reason: staff and visitors are told why"))
        ftype, name = _closable(venue, feature_id)
        with self._session.begin() as s:
            row = ClosureRow(
                venue_id=venue.id,
                feature_type=ftype,
                feature_id=feature_id,
                feature_name=name,
                reason=reason.strip(),
                starts_at=to_db(starts),
                ends_at=to_db(until),
                created_by=actor,
                created_at=to_db(utcnow()),
            )
            s.add(row)
            s.flush()
            self._audit(
                s,
                actor,
                "close",
                f"{ftype} {feature_id}",
                None,
                {"closure": row.id, "reason": reason, "until": until.isoformat()},
            )
            return _closure(row)

    def closures(
        self, *, at: datetime | None = None, include_inactive: bool = False, site: str | None = None
    ) -> list[Closure]:
        """Closures (of *site*: slug or venue id) in force at *at* (now by default); all of
        them with *include_inactive*."""
        at = at or utcnow()
        with self._session() as s:
            q = select(ClosureRow).order_by(ClosureRow.ends_at)
            venue_id = None
            if site:
                try:
                    venue_id = self._venue_of(s, site)
                except StoreError:  # a venue served from a file, not (yet) a site
                    venue_id = site.strip()
            if venue_id:
                q = q.where(ClosureRow.venue_id == venue_id)
            if not include_inactive:
                q = q.where(
                    ClosureRow.reopened_at.is_(None),
                    ClosureRow.starts_at <= to_db(at),
                    ClosureRow.ends_at > to_db(at),
                )
            return [_closure(r) for r in s.scalars(q)]

    def reopen(self, closure_id: int, *, actor: str) -> Closure:
        with self._session.begin() as s:
            row = s.get(ClosureRow, closure_id)
            if row is None:
                raise StoreError(T("no closure {id}", id=closure_id))
            if row.reopened_at is None:
                row.reopened_at = to_db(utcnow())
                row.reopened_by = actor
                self._audit(
                    s, actor, "reopen", f"{row.feature_type} {row.feature_id}", None, {"closure": closure_id}
                )
            return _closure(row)

    # -- audit ------------------------------------------------------------------------------

    def _audit(
        self,
        s: Session,
        actor: str,
        action: str,
        target: str,
        version_id: int | None,
        details: dict[str, Any],
    ) -> None:
        add_audit(s, actor, action, target, details, version_id=version_id)

    def audit(self, actor: str, action: str, target: str, details: dict[str, Any] | None = None) -> None:
        """Record an action that changed nothing in the plans (a staff login, a wristband
        linked...): the audit log is the one place that says who did what, when."""
        self._audit_log.write(actor, action, target, details)

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        return self._audit_log.entries(limit)


#: PostgreSQL advisory lock keys of the operations :func:`serialise` runs one at a time.
_SERIAL_KEYS = {"publish": 0x57410001}


def serialise(s: Session, what: str) -> None:
    """Make the session's transaction wait for any other doing *what* (call it first):
    a PostgreSQL advisory lock held until commit; on SQLite, the database's write lock
    (taken by a write that changes nothing), which also serialises every writer."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SERIAL_KEYS[what]})
    elif dialect == "sqlite":
        s.execute(text("UPDATE floorplan_version SET id = id WHERE 0 = 1"))


def _site_or_none(s: Session, venue_id: str) -> SiteInfo | None:
    row = s.get(SiteRow, venue_id)
    return None if row is None else site_info(row)


def _closable(venue: Venue, feature_id: str) -> tuple[str, str]:
    lang = venue.language
    if feature_id in venue.units:
        u = venue.units[feature_id]
        return "unit", label_text(u.name, lang) or feature_id
    if feature_id in venue.openings:
        o = venue.openings[feature_id]
        return "opening", label_text(o.name, lang) or feature_id
    if feature_id in venue.relationships:
        r = venue.relationships[feature_id]
        return "relationship", label_text(r.name, lang) or f"{r.category} {feature_id}"
    raise StoreError(
        T(
            "no unit, opening or relationship {id!r} in the published venue; close one of those by id",
            id=feature_id,
        )
    )


def venue_in_service(
    *, database_url: str | None, venue_path: Path | None, prefer_file: bool = False, site: str | None = None
) -> tuple[Venue, str]:
    """The venue a command works on, and where it came from: the store's published
    version (of *site*, which a hospital with several must give), unless *prefer_file* or
    nothing is published (then the file *venue_path*).

    Creates no SQLite file; raises :class:`FloorPlanError` when no venue can be read.
    """
    if database_url is not None and not prefer_file and not sqlite_file_missing(database_url):
        store = FloorPlanStore(database_url)
        published = store.published(site)
        if published is not None:
            return store.venue(published.id), f"store version {published.id}"
    if venue_path is None:
        raise StoreError("nothing is published in the store and no venue file was given")
    result = read_imdf(venue_path)
    if result.venue is None:
        raise FloorPlanError(f"cannot read {venue_path}:\n{result.report.to_text(limit=20)}")
    return result.venue, str(venue_path)


def parse_until(text: str, *, now: datetime | None = None) -> datetime:
    """An end time: ISO 8601 (``2026-11-23T14:00+01:00``) or a duration (``2h``, ``30m``, ``3d``)."""
    now = now or utcnow()
    t = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if t and t[-1] in units and t[:-1].replace(".", "", 1).isdigit():
        try:
            return now + timedelta(**{units[t[-1]]: float(t[:-1])})
        except OverflowError:
            raise StoreError(
                T("{text!r} ends after the calendar does; give an end within a few years", text=text)
            ) from None
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        raise StoreError(
            T(
                "cannot read {text!r} as an end time; write 2h, 30m, 3d or an ISO date such as "
                "2026-11-23T14:00+01:00",
                text=text,
            )
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
