"""Staff sessions end when the account's password changes or it is disabled; login attempts
are counted in the database, for every replica.

``staff_user.session_epoch``: raised by a new password and by disabling the account; a
session signed in at another epoch is no longer accepted (api/security.py). Existing
accounts start at 0, as do the sessions signed in before this migration: nobody is signed
out by the upgrade.

``rate_window``: attempts per (limit, key, fixed window), taken atomically before the
password is checked (core/attempts.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "rate_window",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window", sa.Integer(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_window")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("session_epoch")
