"""Versions, diff in words, atomic publishing, roll back, closures, audit log."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from database import utcnow
from floorplans import DEMO_PATH, FloorPlanError, FloorPlanStore, StoreError
from floorplans.store import parse_until
from tests.conftest import Archive


@pytest.fixture
def store(db_url: str) -> FloorPlanStore:
    """A store on SQLite, then on PostgreSQL (conftest.db_url)."""
    return FloorPlanStore(db_url)


@pytest.fixture
def published(store: FloorPlanStore) -> int:
    info = store.import_archive(DEMO_PATH, actor="facilities.anne", note="initial survey")
    store.publish(info.id, actor="facilities.anne")
    return info.id


def _rename(archive: Archive, old: str, new_fr: str) -> None:
    def fn(features: list[dict[str, Any]]) -> None:
        for f in features:
            if (f["properties"].get("name") or {}).get("fr") == old:
                f["properties"]["name"]["fr"] = new_fr

    archive.edit("unit", fn)


def test_diff_speaks_like_a_facilities_manager(
    store: FloorPlanStore, published: int, archive: Archive
) -> None:
    _rename(archive, "Radiologie", "Imagerie médicale")
    from floorplans import read_imdf
    from floorplans.topology import topology

    venue = read_imdf(archive.root).venue
    assert venue is not None
    cardio = archive.find("unit", "Cardiologie")
    door = next(o for o, sides in topology(venue).opening_units.items() if cardio["id"] in sides)
    archive.edit("opening", lambda fs: fs.__setitem__(slice(None), [f for f in fs if f["id"] != door]))
    draft = store.import_archive(archive.root, actor="facilities.anne", note="works on A1")
    texts = [c.text for c in store.diff(draft.id)]
    assert "unit 'Radiologie' renamed to 'Imagerie médicale'" in texts
    removal = next(t for t in texts if t.startswith("opening"))
    assert "(between 'Cardiologie' and 'Couloir A, niveau 1') removed" in removal
    assert (
        "'Cardiologie' no longer reachable from 'Entrée des urgences' or "
        "'Entrée du parking' or 'Entrée principale'" in removal
    )
    # Only the French name changed: an English reader sees no renaming.
    english = [c.text for c in store.diff(draft.id, lang="en")]
    assert not [t for t in english if "renamed" in t]
    assert any("'Cardiology' no longer reachable" in t for t in english)


def test_publish_switches_versions_and_rollback_restores(
    store: FloorPlanStore, published: int, archive: Archive
) -> None:
    _rename(archive, "Cafétéria", "Restaurant du personnel et des visiteurs")
    draft = store.import_archive(archive.root, actor="facilities.anne")
    assert store.published().id == published  # type: ignore[union-attr]
    store.publish(draft.id, actor="facilities.anne")
    assert store.published().id == draft.id  # type: ignore[union-attr]
    assert {v.id: v.status for v in store.versions()} == {published: "archived", draft.id: "published"}
    store.rollback(actor="facilities.bruno")
    assert store.published().id == published  # type: ignore[union-attr]
    actions = [(e["actor"], e["action"]) for e in store.audit_log()]
    assert ("facilities.bruno", "rollback") in actions
    assert actions.count(("facilities.anne", "publish")) == 2


def test_broken_import_leaves_the_published_version_in_service(
    store: FloorPlanStore, published: int, archive: Archive
) -> None:
    (archive.root / "unit.geojson").write_text("{ not json", encoding="utf-8")
    draft = store.import_archive(archive.root, actor="facilities.anne")
    assert draft.errors > 0
    with pytest.raises(StoreError, match="cannot be published"):
        store.publish(draft.id, actor="facilities.anne")
    assert store.published().id == published  # type: ignore[union-attr]
    (archive.root / "venue.geojson").unlink()
    with pytest.raises(FloorPlanError, match="not importable"):
        store.import_archive(archive.root, actor="facilities.anne")
    assert store.published().id == published  # type: ignore[union-attr]


def test_readers_never_see_two_or_zero_published_versions(store: FloorPlanStore, published: int) -> None:
    other = store.import_archive(DEMO_PATH, actor="t", note="same content, new version")
    seen: list[int | None] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            info = store.published()
            seen.append(info.id if info else None)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(30):
            store.publish(other.id if i % 2 == 0 else published, actor="t")
    finally:
        stop.set()
        thread.join()
    assert seen and None not in seen
    assert set(seen) <= {published, other.id}


def test_closures_expire_by_themselves_and_can_be_reopened(store: FloorPlanStore, published: int) -> None:
    venue = store.venue(published)
    lift = next(r for r in venue.relationships.values() if r.name and r.name.get("fr") == "Ascenseur B")
    now = utcnow()
    closure = store.close(
        lift.id, reason="maintenance", actor="facilities.anne", until=now + timedelta(hours=2)
    )
    assert closure.feature_type == "relationship" and closure.feature_name == "Ascenseur B"
    assert [c.id for c in store.closures()] == [closure.id]
    assert store.closures(at=now + timedelta(hours=3)) == []
    store.reopen(closure.id, actor="facilities.anne")
    assert store.closures() == []
    assert len(store.closures(include_inactive=True)) == 1
    with pytest.raises(StoreError, match="no unit, opening or relationship"):
        store.close("nope", reason="x", actor="a", until=now + timedelta(hours=1))
    with pytest.raises(StoreError, match="before it starts"):
        store.close(lift.id, reason="x", actor="a", until=now - timedelta(hours=1))


def test_parse_until() -> None:
    now = utcnow()
    assert parse_until("2h", now=now) == now + timedelta(hours=2)
    assert parse_until("30m", now=now) == now + timedelta(minutes=30)
    assert parse_until("2026-11-23T14:00+01:00").hour == 14
    with pytest.raises(StoreError, match="cannot read 'tomorrow'"):
        parse_until("tomorrow")
