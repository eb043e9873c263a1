"""Integrity by constraints, idempotent stage events, partition leases.

- At most one published version per venue, and at most one active link per wristband
  (with its card code): partial unique indexes, on SQLite and PostgreSQL alike. A database
  that already breaks them is mended first, as the application read it: the newest
  published version stays in service (the others are archived), the newest link of a
  wristband stays active (the others are discharged, with an event); each mend is written
  to the audit log.
- ``tracker_event.reading_ts``: the time stamp of the reading that decided a stage; a stage
  decided twice from the same reading (a replay after a crash) cannot be stored twice.
- ``tracker_lease``: which estimator worker owns which partition of the wristbands, until
  when; ``tracker_worker``: the workers alive (docs/tracking.md, "Partitioned tracking").

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTOR = "migration 0002"


def _where(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def _audit(bind: sa.Connection, now: datetime, action: str, target: str, details: dict[str, object]) -> None:
    bind.execute(
        sa.text(
            "INSERT INTO audit_log (at, actor, action, target, details) "
            "VALUES (:at, :actor, :action, :target, :details)"
        ),
        {"at": now, "actor": ACTOR, "action": action, "target": target, "details": json.dumps(details)},
    )


def upgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)

    published: dict[str, list[int]] = {}
    for venue_id, version_id in bind.execute(
        sa.text("SELECT venue_id, id FROM floorplan_version WHERE status = 'published' ORDER BY id")
    ):
        published.setdefault(venue_id, []).append(version_id)
    for venue_id, ids in published.items():
        for old in ids[:-1]:
            bind.execute(
                sa.text("UPDATE floorplan_version SET status = 'archived' WHERE id = :id"), {"id": old}
            )
            _audit(
                bind,
                now,
                "archive",
                f"version {old}",
                {"reason": "two versions were published at once", "venue": venue_id, "kept": ids[-1]},
            )
    op.create_index(
        "uq_floorplan_version_published",
        "floorplan_version",
        ["venue_id"],
        unique=True,
        **_where("status = 'published'"),
    )

    active: dict[str, list[int]] = {}
    for tag, link_id in bind.execute(
        sa.text("SELECT tag, id FROM wristband_link WHERE discharged_at IS NULL ORDER BY id")
    ):
        active.setdefault(tag, []).append(link_id)
    for tag, ids in active.items():
        for old in ids[:-1]:
            bind.execute(
                sa.text("UPDATE wristband_link SET discharged_at = :now WHERE id = :id"),
                {"now": now, "id": old},
            )
            reason = {"by": ACTOR, "reason": "the wristband was linked again", "kept": ids[-1]}
            bind.execute(
                sa.text(
                    "INSERT INTO tracker_event (link_id, tag, kind, at, details) "
                    "VALUES (:id, :tag, 'discharged', :now, :details)"
                ),
                {"id": old, "tag": tag, "now": now, "details": json.dumps(reason)},
            )
            _audit(bind, now, "discharge", f"link {old}", {"tag": tag, **reason})
    codes: dict[str, list[int]] = {}
    for code, link_id in bind.execute(
        sa.text(
            "SELECT short_code, id FROM wristband_link "
            "WHERE discharged_at IS NULL AND short_code IS NOT NULL ORDER BY id"
        )
    ):
        codes.setdefault(code, []).append(link_id)
    for code, ids in codes.items():
        for old in ids[:-1]:  # the newer card is the one just handed out: clear the older's
            bind.execute(sa.text("UPDATE wristband_link SET short_code = NULL WHERE id = :id"), {"id": old})
            _audit(bind, now, "clear-card-code", f"link {old}", {"code": code, "kept": ids[-1]})
    op.create_index(
        "uq_wristband_link_active_tag",
        "wristband_link",
        ["tag"],
        unique=True,
        **_where("discharged_at IS NULL"),
    )
    op.create_index(
        "uq_wristband_link_active_code",
        "wristband_link",
        ["short_code"],
        unique=True,
        **_where("discharged_at IS NULL AND short_code IS NOT NULL"),
    )

    op.add_column("tracker_event", sa.Column("reading_ts", sa.Float(), nullable=True))
    op.create_index(
        "uq_tracker_event_stage_reading",
        "tracker_event",
        ["link_id", "reading_ts"],
        unique=True,
        **_where("kind = 'stage' AND reading_ts IS NOT NULL"),
    )

    op.create_table(
        "tracker_lease",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("part", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
    )
    op.create_table(
        "tracker_worker",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("worker", sa.String(100), primary_key=True),
        sa.Column("seen", sa.Float(), nullable=False),
    )
