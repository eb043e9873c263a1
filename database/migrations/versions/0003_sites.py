"""Sites: the venues a hospital serves, each with its own plan versions and closures.

``site`` names each venue the hospital serves (its IMDF venue id) with a short name for links,
commands and topics. Every venue that had a version in service before this migration becomes
a site, named as its newest version names it; the oldest one first published is the main site.
A venue that was only ever imported (drafts) stays without one: publishing it asks whether it
is a new site (floorplans/sites.py). Each site made here is written to the audit log.

Usage counts (``usage_count``, ``usage_seen``) gain the site they were counted on; those
counted before are the main site's (a hospital had one until now).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

import json
import re
import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ACTOR = "migration 0003"


def _slug(name: str, taken: set[str]) -> str:
    # A frozen copy of floorplans.sites.slug_of: the migration must not change with the code.
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40].strip("-") or "site"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base[:36]}-{n}", n + 1
    return slug


def upgrade() -> None:
    op.create_table(
        "site",
        sa.Column("venue_id", sa.String(64), primary_key=True),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    first_published: dict[str, datetime] = {}
    names: dict[str, str] = {}
    for venue_id, name, published_at, created_at in bind.execute(
        sa.text(
            "SELECT venue_id, venue_name, published_at, created_at FROM floorplan_version "
            "WHERE published_at IS NOT NULL OR status = 'published' ORDER BY id"
        )
    ):
        when = published_at or created_at
        if venue_id not in first_published or when < first_published[venue_id]:
            first_published[venue_id] = when
        names[venue_id] = name
    taken: set[str] = set()
    for venue_id in sorted(first_published, key=lambda v: first_published[v]):
        slug = _slug(names[venue_id], taken)
        taken.add(slug)
        bind.execute(
            sa.text(
                "INSERT INTO site (venue_id, slug, name, created_at, created_by) "
                "VALUES (:venue_id, :slug, :name, :at, :actor)"
            ),
            {
                "venue_id": venue_id,
                "slug": slug,
                "name": names[venue_id],
                "at": first_published[venue_id],
                "actor": ACTOR,
            },
        )
        bind.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor, action, target, details) "
                "VALUES (:at, :actor, 'add-site', :target, :details)"
            ),
            {
                "at": now,
                "actor": ACTOR,
                "target": f"site {slug}",
                "details": json.dumps({"venue": venue_id, "name": names[venue_id]}),
            },
        )

    main = _main_site(bind)
    for table, old, new, columns in (
        (
            "usage_count",
            "usage_count_day_kind_key",
            "usage_count_day_site_kind_key",
            ["day", "site", "kind", "key"],
        ),
        (
            "usage_seen",
            "usage_seen_day_kind_token",
            "usage_seen_day_site_kind_token",
            ["day", "site", "kind", "token"],
        ),
    ):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("site", sa.String(40), nullable=False, server_default=""))
            batch.drop_constraint(old, type_="unique")
            batch.create_unique_constraint(new, columns)
        if main:
            bind.execute(sa.text(f"UPDATE {table} SET site = :site"), {"site": main})


def _main_site(bind: sa.Connection) -> str | None:
    return bind.execute(sa.text("SELECT slug FROM site ORDER BY created_at, slug LIMIT 1")).scalar()


def downgrade() -> None:
    for table, old, new, columns in (
        ("usage_count", "usage_count_day_kind_key", "usage_count_day_site_kind_key", ["day", "kind", "key"]),
        (
            "usage_seen",
            "usage_seen_day_kind_token",
            "usage_seen_day_site_kind_token",
            ["day", "kind", "token"],
        ),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(new, type_="unique")
            batch.drop_column("site")
            batch.create_unique_constraint(old, columns)
    op.drop_table("site")
