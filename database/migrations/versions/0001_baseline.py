"""The schema as the last release before migrations made it (tables created at start-up).

A new database gets every table. A database made by that release (no ``alembic_version``
table) keeps every row: missing tables are created (the usage and account tables were made
on first use) and the columns added to ``wristband_link`` since its first release (both
nullable) are added.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# A frozen copy of the tables as they were: the models may change, this must not.
meta = sa.MetaData()
sa.Table(
    "floorplan_version",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("venue_id", sa.String(64), nullable=False, index=True),
    sa.Column("venue_name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("source", sa.Text(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("archive", sa.LargeBinary(), nullable=False),
    sa.Column("report", sa.Text(), nullable=False),
    sa.Column("errors", sa.Integer(), nullable=False),
    sa.Column("warnings", sa.Integer(), nullable=False),
    sa.Column("published_at", sa.DateTime(), nullable=True),
)
sa.Table(
    "closure",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("venue_id", sa.String(64), nullable=False, index=True),
    sa.Column("feature_type", sa.String(32), nullable=False),
    sa.Column("feature_id", sa.String(128), nullable=False, index=True),
    sa.Column("feature_name", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("starts_at", sa.DateTime(), nullable=False),
    sa.Column("ends_at", sa.DateTime(), nullable=False, index=True),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("reopened_at", sa.DateTime(), nullable=True),
    sa.Column("reopened_by", sa.String(100), nullable=True),
)
sa.Table(
    "audit_log",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("at", sa.DateTime(), nullable=False, index=True),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("details", sa.Text(), nullable=False),
    sa.Column("version_id", sa.Integer(), sa.ForeignKey("floorplan_version.id"), nullable=True),
)
sa.Table(
    "tracker_event",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("link_id", sa.Integer(), nullable=False, index=True),
    sa.Column("tag", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False, index=True),
    sa.Column("at", sa.DateTime(), nullable=False, index=True),
    sa.Column("details", sa.Text(), nullable=False),
)
sa.Table(
    "wristband",
    meta,
    sa.Column("tag", sa.String(64), primary_key=True),
    sa.Column("added_at", sa.DateTime(), nullable=False),
    sa.Column("added_by", sa.String(100), nullable=False),
)
sa.Table(
    "wristband_link",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("tag", sa.String(64), nullable=False, index=True),
    sa.Column("patient_ref", sa.String(64), nullable=False),
    sa.Column("pathway_id", sa.String(64), nullable=False),
    sa.Column("companion_lang", sa.String(8), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("discharged_at", sa.DateTime(), nullable=True, index=True),
    sa.Column("stage_id", sa.String(64), nullable=True),
    sa.Column("stage_since", sa.DateTime(), nullable=True),
    sa.Column("last_seen", sa.Float(), nullable=True),
    sa.Column("battery_mv", sa.Integer(), nullable=True),
    sa.Column("short_code", sa.String(8), nullable=True, index=True),
    sa.Column("expires_at", sa.DateTime(), nullable=True),
)
sa.Table(
    "app_secret",
    meta,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
sa.Table(
    "staff_user",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("roles", sa.String(64), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
)
sa.Table(
    "staff_api_key",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=False, index=True),
    sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("revoked_at", sa.DateTime(), nullable=True),
)
sa.Table(
    "usage_count",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("day", sa.Date(), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.UniqueConstraint("day", "kind", "key", name="usage_count_day_kind_key"),
)
sa.Table(
    "usage_salt",
    meta,
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("value", sa.String(64), nullable=False),
)
sa.Table(
    "usage_seen",
    meta,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("day", sa.Date(), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("token", sa.String(128), nullable=False),
    sa.UniqueConstraint("day", "kind", "token", name="usage_seen_day_kind_token"),
)


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    meta.create_all(bind, checkfirst=True)
    for table in meta.sorted_tables:
        if table.name not in present:
            continue
        have = {c["name"] for c in sa.inspect(bind).get_columns(table.name)}
        for column in table.columns:
            if column.name not in have and column.nullable:
                op.add_column(table.name, sa.Column(column.name, column.type, nullable=True))
