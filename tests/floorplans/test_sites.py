"""Several sites in one store: a venue new to the store is published only once confirmed as a
new site; publishes, rollbacks and closures of one site never touch another, whichever replica
makes them and in whatever order; databases from before sites keep every plan."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.service import WayfindingService
from database import connect, utcnow
from floorplans import DEMO_PATH, FloorPlanStore, StoreError
from floorplans.sites import NewSite
from tests.conftest import SECOND_ADDRESS, second_site_archive


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sites")
    return {
        "morvan": second_site_archive(folder / "morvan.zip"),
        "morvan-2": second_site_archive(folder / "morvan-2.zip", rename="Centre d'étude de la douleur"),
    }


def two_sites(url: str, archives: dict[str, Path]) -> tuple[FloorPlanStore, int, int]:
    """The demo published (the first site), then Morvan confirmed and published."""
    store = FloorPlanStore(connect(url))
    demo = store.import_archive(DEMO_PATH, actor="test")
    store.publish(demo.id, actor="test")
    morvan = store.import_archive(archives["morvan"], actor="test")
    store.add_site(morvan.id, actor="test", slug="morvan")
    store.publish(morvan.id, actor="test")
    return store, demo.id, morvan.id


def test_a_second_venue_is_published_only_once_confirmed_as_a_new_site(
    db_url: str, archives: dict[str, Path]
) -> None:
    store = FloorPlanStore(connect(db_url))
    demo = store.import_archive(DEMO_PATH, actor="test")
    store.publish(demo.id, actor="facilities")
    (first,) = store.sites()
    assert (first.slug, first.name) == ("chu-sainte-lumiere", "CHU Sainte-Lumière"), (
        "the first plan is the first site"
    )

    other = store.import_archive(archives["morvan"], actor="facilities", note="wrong file?")
    assert other.status == "draft" and other.errors == 0
    with pytest.raises(NewSite) as refused:
        store.publish(other.id, actor="facilities")
    assert refused.value.slug == "hopital-morvan"
    assert "not one of the hospital's sites" in str(refused.value)
    assert store.published().id == demo.id, "the hospital's plan stays in service"  # type: ignore[union-attr]
    assert store.version(other.id).status == "draft" and len(store.sites()) == 1

    with pytest.raises(StoreError, match="cannot name a site"):
        store.add_site(other.id, actor="facilities", slug="Hôpital Morvan!")
    with pytest.raises(StoreError, match="already"):
        store.add_site(other.id, actor="facilities", slug="chu-sainte-lumiere")
    site = store.add_site(other.id, actor="facilities")
    assert site.slug == "hopital-morvan"
    store.publish(other.id, actor="facilities")

    assert [v.status for v in store.versions()] == ["published", "published"], "one in service per site"
    assert store.published("hopital-morvan").id == other.id  # type: ignore[union-attr]
    assert store.published("chu-sainte-lumiere").id == demo.id  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="2 sites: say which"):
        store.published()
    with pytest.raises(StoreError, match="the sites are: chu-sainte-lumiere"):
        store.published("morvan")
    actions = [e["action"] for e in store.audit_log(20)]
    assert actions.count("add-site") == 2


def test_rollbacks_and_closures_stay_within_their_site(db_url: str, archives: dict[str, Path]) -> None:
    store, demo_id, morvan_id = two_sites(db_url, archives)
    with pytest.raises(StoreError, match="first ever published"):
        store.rollback(actor="test", site="morvan")
    later = store.import_archive(archives["morvan-2"], actor="test")
    store.publish(later.id, actor="test")  # a site's next version needs no confirmation
    assert store.previous("morvan") == morvan_id
    with pytest.raises(StoreError, match="not of"):
        store.rollback(actor="test", to=demo_id, site="morvan")
    store.rollback(actor="test", site="morvan")
    assert store.published("morvan").id == morvan_id  # type: ignore[union-attr]
    assert store.published("chu-sainte-lumiere").id == demo_id, "the other site is untouched"  # type: ignore[union-attr]

    venue = store.venue(morvan_id)
    room = next(u.id for u in venue.units.values() if u.public and u.category == "room")
    with pytest.raises(StoreError, match="say which"):
        store.close(room, reason="travaux", actor="test", until=utcnow() + timedelta(hours=1))
    closure = store.close(
        room, reason="travaux", actor="test", until=utcnow() + timedelta(hours=1), site="morvan"
    )
    assert closure.venue_id == venue.id
    assert [c.id for c in store.closures(site="morvan")] == [closure.id]
    assert store.closures(site="chu-sainte-lumiere") == []
    with pytest.raises(StoreError, match="no unit, opening or relationship"):  # a room of the other site
        store.close(
            room, reason="x", actor="test", until=utcnow() + timedelta(hours=1), site="chu-sainte-lumiere"
        )


def test_two_replicas_publishing_rolling_back_and_closing_both_sites_never_mix_them(
    db_url: str, archives: dict[str, Path]
) -> None:
    """Two web replicas (each its store and service on the one database) act on both sites in
    a random order, some at the same moment: each site always has exactly the version the
    operations say, and each replica serves each site its own plan."""
    store, demo_id, morvan_id = two_sites(db_url, archives)
    demo_2 = store.edit(
        demo_id, "rename", _a_service(store, demo_id), actor="t", lang="fr", name="Accueil B"
    )[0]
    morvan_2 = store.import_archive(archives["morvan-2"], actor="test")
    versions = {"chu-sainte-lumiere": [demo_id, demo_2.id], "morvan": [morvan_id, morvan_2.id]}
    venue_of = {slug: store.version(ids[0]).venue_id for slug, ids in versions.items()}
    replicas = [FloorPlanStore(connect(db_url)) for _ in range(2)]
    services = [WayfindingService(database_url=db_url, venue_path=DEMO_PATH) for _ in range(2)]
    in_service = {"chu-sainte-lumiere": demo_id, "morvan": morvan_id}
    closed: dict[str, set[int]] = {slug: set() for slug in versions}
    rng = random.Random(26)
    try:
        for step in range(24):
            slug = rng.choice(sorted(versions))
            replica = replicas[step % 2]
            what = rng.choice(["publish", "publish", "close", "reopen", "both"])
            if what == "publish":
                target = rng.choice(versions[slug])
                replica.publish(target, actor=f"replica-{step % 2}")
                in_service[slug] = target
            elif what == "close":
                venue = replica.venue(in_service[slug])
                unit = rng.choice(sorted(u.id for u in venue.units.values() if u.public))
                until = utcnow() + timedelta(hours=1)
                closed[slug].add(replica.close(unit, reason="test", actor="t", until=until, site=slug).id)
            elif what == "reopen" and closed[slug]:
                closure = rng.choice(sorted(closed[slug]))
                replica.reopen(closure, actor="t")
                closed[slug].discard(closure)
            elif what == "both":  # one replica on each site, at the same moment
                targets = {s: rng.choice(ids) for s, ids in versions.items()}
                threads = [
                    threading.Thread(target=r.publish, args=(targets[s],), kwargs={"actor": "t"})
                    for r, s in zip(replicas, sorted(targets), strict=True)
                ]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                in_service.update(targets)
            for service in services:
                service.refresh()
                assert service.snapshot.site.slug == "chu-sainte-lumiere", "the main site stays the default"  # type: ignore[union-attr]
                assert [x.slug for x in service.sites] == ["chu-sainte-lumiere", "morvan"]
                for s, version in in_service.items():
                    snap = service.snapshot_for(s)
                    assert (snap.version_id, snap.venue.id) == (version, venue_of[s]), (step, what, s)
                    assert {c.id for c in snap.closures} == closed[s], (step, what, s)
                    assert all(c.venue_id == venue_of[s] for c in snap.closures)
            published = [v for v in store.versions() if v.status == "published"]
            assert sorted(v.id for v in published) == sorted(in_service.values())
    finally:
        for service in services:
            service.close()


def _a_service(store: FloorPlanStore, version_id: int) -> str:
    venue = store.venue(version_id)
    return next(o.id for o in venue.occupants.values())


def test_a_database_from_before_sites_makes_a_site_of_each_venue_in_service(
    tmp_path: Path, archives: dict[str, Path]
) -> None:
    """Migration 0003: every venue that had a version in service becomes a site (the first
    published is the main one); a venue only ever imported stays a draft to confirm."""
    from alembic import command

    from database.schema import _config

    url = f"sqlite:///{tmp_path / 'before-sites.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0002")
    rows = [
        ("venue-a", "Site A", "archived", "2026-10-01"),
        ("venue-b", "Site B", "published", "2026-11-01"),
        ("venue-a", "Site A (2)", "published", "2026-11-02"),
        ("venue-c", "Site C", "draft", None),
    ]
    with engine.begin() as conn:
        for venue_id, name, status, published_at in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO floorplan_version (venue_id, venue_name, status, created_at, created_by, "
                    "note, source, sha256, archive, report, errors, warnings, published_at) VALUES "
                    "(:v, :n, :s, '2026-10-01', 'a', '', '', '', x'00', '{}', 0, 0, :p)"
                ),
                {"v": venue_id, "n": name, "s": status, "p": published_at},
            )
        conn.execute(
            sa.text("INSERT INTO usage_count (day, kind, key, count) VALUES ('2026-11-02', 'route', '', 7)")
        )
    engine.dispose()
    store = FloorPlanStore(connect(url))
    assert [(s.venue_id, s.slug, s.name) for s in store.sites()] == [
        ("venue-a", "site-a-2", "Site A (2)"),
        ("venue-b", "site-b", "Site B"),
    ]
    assert len(store.versions()) == 4, "every version is kept"
    assert store.published("site-b").venue_id == "venue-b"  # type: ignore[union-attr]
    assert [e["action"] for e in store.audit_log(10)].count("add-site") == 2
    with store.engine.connect() as conn:  # usage counted before sites: the main site's
        assert conn.execute(sa.text("SELECT site, count FROM usage_count")).all() == [("site-a-2", 7)]


def test_a_site_named_by_its_address_in_the_plan(db_url: str, archives: dict[str, Path]) -> None:
    store, _demo, morvan_id = two_sites(db_url, archives)
    assert store.venue(morvan_id).postal_address() == SECOND_ADDRESS
