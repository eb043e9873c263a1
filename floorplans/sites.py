"""The hospital's sites: each is one IMDF venue, with its own versions, closures and kiosks.

A site is known by its venue id (the IMDF ``venue`` feature's id, the same in every version of
its plan) and by a short name, its *slug* (``sainte-lumiere``), which links, posters, commands
and the MQTT topics use. A venue becomes a site in one of two ways:

- the first plan a store ever publishes is the hospital's first site (a single-site hospital
  never hears of sites);
- after that, a plan of a venue no site has is stored as a draft like any other, but it cannot
  be published until a facilities manager confirms it is a new site (:meth:`FloorPlanStore.add_site`):
  a wrong file uploaded on one site's page can never replace another site's plan.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from database import Base, from_db, to_db, utcnow
from floorplans._errors import StoreError
from floorplans.text import T

#: What a site's short name may be: it goes into links, file names and MQTT topics.
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class SiteRow(Base):
    __tablename__ = "site"
    venue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))


@dataclass(slots=True, frozen=True)
class SiteInfo:
    venue_id: str
    slug: str
    name: str
    created_at: datetime
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "venue_id": self.venue_id,
            "slug": self.slug,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteInfo:
        """The site :meth:`to_dict` wrote (``KeyError``/``ValueError`` when it is not one)."""
        return cls(
            str(data["venue_id"]),
            str(data["slug"]),
            str(data["name"]),
            datetime.fromisoformat(str(data["created_at"])),
            str(data["created_by"]),
        )


def site_info(row: SiteRow) -> SiteInfo:
    return SiteInfo(row.venue_id, row.slug, row.name, from_db(row.created_at), row.created_by)


def slug_of(name: str) -> str:
    """A short name for a site from its venue's name: ``"CHU Sainte-Lumière"`` -> ``"chu-sainte-lumiere"``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40].strip("-")
    return slug or "site"


def check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise StoreError(
            T(
                "{slug!r} cannot name a site: use 1 to 40 lowercase letters, digits and dashes, "
                "starting with a letter or digit (it goes into links and topics)",
                slug=slug,
            )
        )
    return slug


def all_sites(s: Session) -> list[SiteInfo]:
    """Every site, oldest first (the first is the hospital's main site)."""
    return [site_info(r) for r in s.scalars(select(SiteRow).order_by(SiteRow.created_at, SiteRow.slug))]


def unique_slug(wanted: str, taken: set[str]) -> str:
    """*wanted*, or *wanted* with a number when it is *taken*."""
    slug, n = wanted, 2
    while slug in taken:
        suffix = f"-{n}"
        slug, n = wanted[: 40 - len(suffix)] + suffix, n + 1
    return slug


def free_slug(s: Session, wanted: str) -> str:
    """*wanted*, or *wanted* with a number when another site has it."""
    return unique_slug(wanted, set(s.scalars(select(SiteRow.slug))))


def insert_site(s: Session, venue_id: str, name: str, slug: str, actor: str) -> SiteInfo:
    """Add the site (in the caller's transaction); :class:`StoreError` when its venue or slug
    is taken."""
    slug = check_slug(slug)
    if s.get(SiteRow, venue_id) is not None:
        raise StoreError(T("the venue {venue} is already a site", venue=venue_id))
    other = s.scalars(select(SiteRow).where(SiteRow.slug == slug)).first()
    if other is not None:
        raise StoreError(
            T(
                "the short name {slug!r} is the site {name}'s already; choose another",
                slug=slug,
                name=other.name,
            )
        )
    row = SiteRow(venue_id=venue_id, slug=slug, name=name, created_at=to_db(utcnow()), created_by=actor)
    s.add(row)
    s.flush()
    return site_info(row)


def names(site: SiteInfo, ref: str) -> bool:
    """Whether *ref* names *site*: its slug, its venue id, or its name in any case."""
    key = ref.strip()
    return key in (site.slug, site.venue_id) or key.casefold() == site.name.casefold()


def find_site(sites: list[SiteInfo], ref: str) -> SiteInfo:
    """The site *ref* names (:func:`names`), or a :class:`StoreError` that lists the sites
    there are."""
    key = ref.strip()
    for site in sites:
        if names(site, key):
            return site
    if not sites:
        raise StoreError(T("no site {ref!r}: nothing has been published yet", ref=key))
    raise StoreError(
        T(
            "no site {ref!r}; the sites are: {sites}",
            ref=key,
            sites=", ".join(f"{s.slug} ({s.name})" for s in sites),
        )
    )


class NewSite(StoreError):  # noqa: N818 - reads as what the page must ask
    """A plan whose venue no site has: it is published only once someone confirms it is a
    new site (:meth:`FloorPlanStore.add_site`)."""

    def __init__(self, version_id: int, venue_id: str, venue_name: str, slug: str) -> None:
        super().__init__(
            T(
                "version {id} is the plan of {name}, a venue that is not one of the hospital's sites: "
                "if it is a new site, add it as one first (wayfinding floorplan add-site {id}); if it "
                "is the wrong file, discard it",
                id=version_id,
                name=venue_name,
            )
        )
        self.version_id = version_id
        self.venue_id = venue_id
        self.venue_name = venue_name
        self.slug = slug
