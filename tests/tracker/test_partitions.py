"""Partitioned tracking: the partition of a wristband, leases shared and taken over, stage
changes written once whoever decides them (SQLite and PostgreSQL: conftest.db_url)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from beacons.payloads import PayloadError, Reading, batch_payload, parse_batch
from database import make_engine
from floorplans import Venue
from simulators.patients import Simulator, messages, tag_of
from tests.tracker.test_core import Clock, unit_named
from tracker.core import Tracker
from tracker.mqtt import PartitionedTracker
from tracker.partitions import Leases, partition_of
from tracker.store import TrackerStore

PATHWAY = "ambulatory-surgery"


def test_a_wristband_has_the_same_partition_in_every_process() -> None:
    tags = [tag_of(i) for i in range(1, 2001)]
    here = [partition_of(t, 12) for t in tags]
    code = (
        "import json, sys; from tracker.partitions import partition_of; "
        "print(json.dumps([partition_of(t, 12) for t in json.load(sys.stdin)]))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(tags),
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )
    assert json.loads(other.stdout) == here
    counts = Counter(here)
    assert (
        len(counts) == 12
        and min(counts.values()) > 0.7 * 2000 / 12
        and max(counts.values()) < 1.3 * 2000 / 12
    )


def test_workers_share_the_partitions_and_take_over_a_silent_ones(db_url: str) -> None:
    clock = Clock()
    engine = make_engine(db_url)
    workers = {w: Leases(engine, "demo", w, partitions=12, lease_s=10, clock=clock) for w in "ABC"}

    def rounds(names: str, n: int) -> None:
        for _ in range(n):
            clock.now += 3
            for w in names:
                change = workers[w].refresh()
                workers[w].release(change.give_back)

    rounds("ABC", 4)
    held = {w: set(lease.held) for w, lease in workers.items()}
    assert sorted(len(h) for h in held.values()) == [4, 4, 4]
    assert set.union(*held.values()) == set(range(12)), "every partition has an owner"
    assert workers["A"].owners() == {p: w for w, h in held.items() for p in h}
    # B stops renewing (killed): its partitions move once its leases end, not before.
    rounds("AC", 2)
    assert set(workers["A"].held) | set(workers["C"].held) == held["A"] | held["C"]
    rounds("AC", 3)
    assert set(workers["A"].held) | set(workers["C"].held) == set(range(12))
    assert not set(workers["A"].held) & set(workers["C"].held)
    # B wakes up: it cannot renew what was taken over; it learns it lost them all.
    clock.now += 1
    lost = workers["B"].refresh().lost
    assert lost == held["B"] and not set(workers["B"].held) & (
        set(workers["A"].held) | set(workers["C"].held)
    )


def test_a_stage_decided_twice_is_written_once(demo_venue: Venue, db_url: str) -> None:
    """Two workers owning a wristband for a moment (a takeover), or a replay after a crash:
    the same stage change reaches the store twice; it is written once, and the worker
    whose write was refused takes the store's state and publishes that."""
    store = TrackerStore(db_url)
    store.link(tag_of(1), patient_ref="P-1", pathway_id=PATHWAY, actor="t")
    clock = Clock()
    first, second = (Tracker(demo_venue, store, clock=clock) for _ in range(2))
    sim = Simulator(demo_venue, seed=3)
    desk = unit_named(demo_venue, "Accueil — Admissions")
    for _ in range(20):
        clock.now += 0.5
        heard = {tag_of(1): sim.readings(tag_of(1), *desk)}
        for topic, payload in messages("native", "demo", heard, clock.now, {}):
            first.handle(topic, payload)
            second.handle(topic, payload)
    assert [s.payload["stage"] for s in first.tick()][-1] == "admission"
    replayed = second.tick()
    assert second.counters["stage-refused"] == 1
    assert [s.payload["stage"] for s in replayed] == ["admission"]
    assert [e.details["stage"] for e in store.events(kind="stage")] == ["admission"]
    (event,) = store.events(kind="stage")
    assert event.reading_ts is not None and event.reading_ts <= clock.now


def test_ingest_batches_carry_receiver_and_time_and_are_checked() -> None:
    readings = [
        Reading("wb-1", "rx-A0-hall", -61.5, 1763800000.25, -59.0, 2950),
        Reading("wb-2", "rx-B", -80, 1.0),
    ]
    topic = "wayfinding/demo/tags/3/readings"
    assert parse_batch(topic, batch_payload(readings)) == readings
    for bad, reason in (
        (b"{}", "type"),
        (b'[{"tag": "wb-1", "rssi": -60, "ts": 1}]', "field"),  # no receiver
        (b'[{"tag": "wb-1", "rx": "rx-B", "rssi": -60}]', "field"),  # no time stamp
        (b'[{"tag": "wb-1", "rx": "rx-B", "rssi": 60, "ts": 1}]', "rssi"),
    ):
        with pytest.raises(PayloadError) as refused:
            parse_batch(topic, bad)
        assert refused.value.reason == reason and topic in str(refused.value)


def test_a_worker_refuses_bad_batches_and_liveness_and_keeps_going(demo_venue: Venue, db_url: str) -> None:
    """Anyone who may publish on the broker reaches a worker's topics: garbage is counted
    by reason, a receiver cannot be declared working for ever, and good messages after
    it are taken."""
    store = TrackerStore(db_url)
    store.link(tag_of(1), patient_ref="P-1", pathway_id=PATHWAY, actor="t")
    clock = Clock()
    tracker = Tracker(demo_venue, store, clock=clock)
    leases = Leases(store.engine, "demo", "w1", partitions=12, clock=clock)
    worker = PartitionedTracker(tracker, "mqtt://127.0.0.1:1", leases)  # never connected here
    worker.owned = frozenset(range(12))
    tracker.reload_links()
    alive = "wayfinding/demo/ingest/receivers"
    for bad in (
        b"not json",
        b'{"alive": {"rx-A0-hall": "inf"}}',
        b'{"alive": {"rx-A0-hall": 1e300}}',
        b"[1]",
    ):
        worker._take(alive, bad, 0, 0, None)
    for bad in (b"{}", b'[{"tag": "x", "rssi": -60, "ts": 1}]'):
        worker._take("wayfinding/demo/tags/3/readings", bad, 0, 0, None)
    counters = tracker.counters
    assert counters["rejected:receivers"] == 4 and counters["rejected:type"] == 1, counters
    assert counters["rejected:field"] == 1
    rx = tracker.estimator.rooms.rx_index["rx-A0-hall"]  # type: ignore[union-attr]
    assert tracker.estimator._rx_seen[rx] < clock.now, "not declared working by a bad message"
    worker._take(alive, json.dumps({"alive": {"rx-A0-hall": clock.now}}).encode(), 0, 0, None)
    assert tracker.estimator._rx_seen[rx] == clock.now
    reading = Reading(tag_of(1), "rx-A0-hall", -60.0, clock.now)
    worker._take("wayfinding/demo/tags/3/readings", batch_payload([reading]), 0, 0, None)
    assert counters["accepted"] == 1
