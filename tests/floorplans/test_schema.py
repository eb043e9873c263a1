"""The database's integrity by constraints, its migrations, and concurrent writers: each
test runs on SQLite and on PostgreSQL (conftest.db_url)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

import core.accounts
import core.usage  # noqa: F401
from cli.main import main
from database import Base, OutdatedSchemaError, connect, schema
from floorplans import DEMO_PATH, FloorPlanStore, StoreError
from floorplans.store import VersionRow
from tracker.store import LinkError, LinkRow, TrackerStore

PATHWAY = "ambulatory-surgery"


def test_the_migrations_make_exactly_what_the_models_say(db_url: str) -> None:
    store = FloorPlanStore(db_url)
    with store.engine.connect() as conn:
        assert schema.revision(conn) == schema.HEAD
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_one_published_version_per_venue_is_a_constraint(db_url: str) -> None:
    store = FloorPlanStore(db_url)
    a = store.import_archive(DEMO_PATH, actor="t")
    b = store.import_archive(DEMO_PATH, actor="t")
    store.publish(a.id, actor="t")
    with store.engine.begin() as conn, pytest.raises(IntegrityError):  # behind the store's back
        conn.execute(sa.update(VersionRow).where(VersionRow.id == b.id).values(status="published"))
    assert store.published() == store.version(a.id)


def test_concurrent_publishes_are_serialised(db_url: str) -> None:
    """Eight desks publish eight versions at the same moment: each publish archives the one
    before it; one version is in service at the end, and the audit log tells the story."""
    first = FloorPlanStore(db_url)
    ids = [first.import_archive(DEMO_PATH, actor="t").id for _ in range(8)]
    first.publish(ids[0], actor="t")
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def publish(vid: int) -> None:
        store = FloorPlanStore(db_url)  # each desk its own connection pool, as replicas have
        start.wait()
        try:
            store.publish(vid, actor=f"desk-{vid}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(vid,)) for vid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    statuses = Counter(v.status for v in first.versions())
    assert statuses == {"published": 1, "archived": 7}
    # Serialised: each publish archived exactly the one published just before it (a desk
    # whose version was already archived by then published it again, which is its due).
    publishes = [e for e in reversed(first.audit_log(100)) if e["action"] == "publish"]
    chain = [int(e["target"].split()[1]) for e in publishes]
    assert len(publishes) >= 8
    for before, e in zip(chain, publishes[1:], strict=False):
        assert e["details"]["replaces"] == [before], publishes


def test_one_active_link_per_wristband_even_from_two_desks_at_once(db_url: str) -> None:
    TrackerStore(db_url).register(["wb-1"], actor="t")
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def link(i: int) -> None:
        store = TrackerStore(db_url)
        start.wait()
        try:
            store.link("wb-1", patient_ref=f"P-{i}", pathway_id=PATHWAY, actor=f"desk-{i}")
            outcomes.append("linked")
        except LinkError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=link, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already-linked"] * 5 + ["linked"]
    assert len(TrackerStore(db_url).active_links()) == 1


def test_a_database_from_before_migrations_is_mended_keeping_every_row(tmp_path: Path) -> None:
    """A store made by the release before migrations (tables created at start-up, nothing
    stopping a second active link or a second published version) is migrated: the newest
    link and version stay, the others are discharged / archived with a line in the audit
    log, and from then on the database refuses what it let in."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # as create_all made them, without the new indexes
        for table in Base.metadata.sorted_tables:
            if table.name in (
                "tracker_lease",
                "tracker_worker",
                "site",
                "rate_window",
            ) or table.name.startswith(
                ("staff_", "app_", "usage_")  # accounts and usage came with the migrations
            ):
                continue
            columns = [
                sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                for c in table.columns
                if c.name != "reading_ts"
            ]
            sa.Table(table.name, sa.MetaData(), *columns).create(conn)
        for i in (1, 2):
            conn.execute(
                sa.text(
                    "INSERT INTO floorplan_version (venue_id, venue_name, status, created_at, "
                    "created_by, note, source, sha256, archive, report, errors, warnings) VALUES "
                    "('v', 'V', 'published', '2026-11-01', 'a', '', '', '', x'00', '{}', 0, 0)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO wristband_link (tag, patient_ref, pathway_id, companion_lang, "
                    "token_sha256, created_at, created_by) VALUES "
                    f"('wb-1', 'OLD-{i}', '{PATHWAY}', 'fr', 'x{i}', '2026-11-30 10:00:00', 'a')"
                )
            )
    engine.dispose()
    store = TrackerStore(connect(url))  # as a process opening it at start: migrated
    (active,) = store.active_links()
    assert active.patient_ref == "OLD-2"
    assert [e.kind for e in store.events(1)] == ["discharged"]
    plans = FloorPlanStore(url)
    assert [(v.id, v.status) for v in plans.versions()] == [(1, "archived"), (2, "published")]
    assert [(s.venue_id, s.slug, s.name) for s in plans.sites()] == [("v", "v", "V")], (
        "a venue in service is a site"
    )
    mended = {(e["action"], e["target"]) for e in plans.audit_log() if e["actor"] == "migration 0002"}
    assert mended == {("archive", "version 1"), ("discharge", "link 1")}
    with pytest.raises(LinkError) as refused:
        store.link("wb-1", patient_ref="NEW", pathway_id=PATHWAY, actor="t")
    assert refused.value.code == "already-linked"
    with store.engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(sa.update(LinkRow).where(LinkRow.id == 1).values(discharged_at=None))


def test_publishing_a_discarded_version_still_says_why(db_url: str) -> None:
    store = FloorPlanStore(db_url)
    info = store.import_archive(DEMO_PATH, actor="t")
    store.discard(info.id, actor="t")
    with pytest.raises(StoreError, match="discarded"):
        store.publish(info.id, actor="t")


def test_processes_starting_at_once_on_a_new_database_migrate_it_once(empty_db_url: str) -> None:
    """Replicas and workers started together on an empty database: one migrates (under
    the database's lock), the others wait and find it done; none fails."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", "--db", empty_db_url, "db", "upgrade"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [0] * 4, outs
    said = sorted(out.strip() for out, _err in outs)
    assert [x.startswith("database migrated from revision none") for x in said] == [True, False, False, False]
    with FloorPlanStore(empty_db_url).engine.connect() as conn:
        assert schema.revision(conn) == schema.HEAD


def test_stores_do_not_migrate_a_process_does_at_its_start(
    empty_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store handed a database without this release's schema refuses and says what to run;
    a command opening it migrates it first (its process's start), keeping it usable."""
    with pytest.raises(OutdatedSchemaError, match=r"no schema yet.*run 'wayfinding db upgrade'"):
        FloorPlanStore(empty_db_url)
    with pytest.raises(OutdatedSchemaError):
        TrackerStore(empty_db_url)
    assert main(["--db", empty_db_url, "floorplan", "list"]) == 0
    assert FloorPlanStore(empty_db_url).versions() == []
    assert TrackerStore(empty_db_url).active_links() == []
