"""The tracker's logic with a clock in hand: stages, events, bad input, restarts, retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from floorplans import Venue
from floorplans.model import label_text
from simulators.patients import Simulator, messages
from tracker.core import Tracker, TrackerConfig
from tracker.store import TrackerStore

TAG = "wb-0042"
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def unit_named(venue: Venue, fr: str) -> tuple[int, float, float]:
    u = next(u for u in venue.units.values() if label_text(u.name, "fr") == fr)
    p = u.anchor_point()
    return venue.levels[u.level_id].ordinal, p.x, p.y


@pytest.fixture
def setup(demo_venue: Venue, db_url: str) -> tuple[Tracker, TrackerStore, Clock, Simulator]:
    store = TrackerStore(db_url)
    store.link(
        TAG,
        patient_ref="P-001",
        pathway_id="ambulatory-surgery",
        companion_lang="en",
        actor="admissions.claire",
    )
    clock = Clock()
    tracker = Tracker(demo_venue, store, config=TrackerConfig(signal_lost_s=30), clock=clock)
    return tracker, store, clock, Simulator(demo_venue, seed=3)


def stay(
    tracker: Tracker,
    sim: Simulator,
    clock: Clock,
    where: tuple[int, float, float],
    seconds: int,
    *,
    battery: int = 3000,
) -> list[dict[str, object]]:
    statuses = []
    for _ in range(seconds * 2):
        clock.now += 0.5
        heard = {TAG: sim.readings(TAG, *where)}
        for topic, payload in messages("native", "demo", heard, clock.now, {TAG: battery}):
            tracker.handle(topic, payload)
        statuses += [s.payload for s in tracker.tick()]
    return statuses


def test_stages_follow_the_patient_and_statuses_show_no_coordinates(setup, demo_venue) -> None:  # type: ignore[no-untyped-def]
    tracker, store, clock, sim = setup
    seen = []
    for place in (
        "Accueil — Admissions",
        "Box de préparation 2",
        "Salle d'opération 3",
        "Salle de réveil",
        "Salon de sortie",
    ):
        seen += stay(tracker, sim, clock, unit_named(demo_venue, place), 20)
    stages = [e.details["stage"] for e in store.events(kind="stage")]
    assert stages == ["admission", "preop", "theatre", "recovery", "ready"]
    last = seen[-1]
    assert last["stage"] == "ready" and last["signal"] == "ok"
    assert last["label"] == "Ready to be picked up: discharge lounge, building C, level 1"
    assert set(last) == {"tag", "link", "pathway", "stage", "label", "labels", "since", "signal"}
    link = store.active_links()[0]
    assert link.stage_id == "ready" and link.battery_mv == 3000


def test_a_jump_over_a_stage_counts_only_once_it_holds(setup, demo_venue) -> None:  # type: ignore[no-untyped-def]
    tracker, store, clock, sim = setup
    stay(tracker, sim, clock, unit_named(demo_venue, "Accueil — Admissions"), 20)
    # Heard in the recovery room for 10 s (a walk past its wall), then back at admission:
    # the companion never sees "in recovery".
    stay(tracker, sim, clock, unit_named(demo_venue, "Salle de réveil"), 10)
    stay(tracker, sim, clock, unit_named(demo_venue, "Accueil — Admissions"), 10)
    assert [e.details["stage"] for e in store.events(kind="stage")] == ["admission"]
    # Really there (stages in between missed by the radio): believed once the room filter
    # has followed the wristband there (no teleporting: through the corridors in between)
    # and it has held 20 s.
    stay(tracker, sim, clock, unit_named(demo_venue, "Salle de réveil"), 60)
    assert [e.details["stage"] for e in store.events(kind="stage")] == ["admission", "recovery"]
    # The stages in between are not silently skipped: each is written as passed, with why.
    passed = store.events(kind="stage-passed")
    assert [e.details["stage"] for e in passed] == ["preop", "theatre"]
    assert all("not seen" in e.details["reason"] and e.details["to"] == "recovery" for e in passed)
    # The next stage is believed at once (after the zone's own few seconds of hysteresis).
    before = clock.now
    stay(tracker, sim, clock, unit_named(demo_venue, "Salon de sortie"), 20)
    ready = [e for e in store.events(kind="stage") if e.details["stage"] == "ready"]
    at = ready[0].at if ready[0].at.tzinfo else ready[0].at.replace(tzinfo=UTC)
    assert at.timestamp() - before < 15


def test_a_first_stage_heard_late_writes_those_before_as_passed(setup, demo_venue) -> None:  # type: ignore[no-untyped-def]
    """A wristband first heard in preparation (its receiver at admission was out, or the
    band was linked late): admission is written as passed, not left out."""
    tracker, store, clock, sim = setup
    stay(tracker, sim, clock, unit_named(demo_venue, "Box de préparation 2"), 20)
    assert [e.details["stage"] for e in store.events(kind="stage")] == ["preop"]
    (passed,) = store.events(kind="stage-passed")
    assert passed.details["stage"] == "admission" and "first heard at preop" in passed.details["reason"]


def test_bad_input_is_counted_by_reason_and_changes_nothing(setup, demo_venue) -> None:  # type: ignore[no-untyped-def]
    tracker, store, clock, sim = setup
    stay(tracker, sim, clock, unit_named(demo_venue, "Accueil — Admissions"), 10)
    topic = "wayfinding/demo/receivers/rx-A0-admissions/readings"
    bad = [
        (topic, b"\xff\xfe not json"),
        (topic, b'{"tag": "wb-0042", "rssi": "loud"}'),
        (topic, b'{"tag": "wb-0042", "rssi": -500}'),
        (topic, json.dumps({"tag": "wb-0042", "rssi": -60, "ts": clock.now + 3600})),
        (topic, json.dumps({"tag": "wb-0042", "rssi": -60, "ts": clock.now - 3600})),
        (topic, json.dumps({"tag": "wb-9999", "rssi": -60})),
        ("wayfinding/demo/receivers/rx-nowhere/readings", json.dumps({"tag": TAG, "rssi": -60})),
        ("wayfinding/demo/unknown", b"{}"),
    ]
    dup = json.dumps({"tag": TAG, "rssi": -61, "ts": clock.now + 0.1})
    for t, p in [
        *bad,
        (topic, dup),
        (topic, dup),
        (topic, json.dumps({"tag": TAG, "rssi": -61, "ts": clock.now - 5})),
    ]:
        tracker.handle(t, p)
    c = tracker.counters
    assert {
        k: c[f"rejected:{k}"]
        for k in (
            "json",
            "type",
            "rssi",
            "ts-future",
            "ts-past",
            "unknown-tag",
            "unknown-receiver",
            "topic",
            "duplicate",
            "out-of-order",
        )
    } == {
        "json": 1,
        "type": 1,
        "rssi": 1,
        "ts-future": 1,
        "ts-past": 1,
        "unknown-tag": 1,
        "unknown-receiver": 1,
        "topic": 1,
        "duplicate": 1,
        "out-of-order": 1,
    }
    assert [e.details["stage"] for e in store.events(kind="stage")] == ["admission"]


def test_receivers_signs_of_life_make_their_silence_count(setup) -> None:  # type: ignore[no-untyped-def]
    """A receiver that says it works (an empty batch, ESPresense telemetry, an
    OpenMQTTGateway system message) or hears any wristband, even one linked to nobody, is
    taken as working; its last will 'offline' undoes that; a bad one is counted."""
    tracker, _store, clock, _sim = setup
    rooms = tracker.estimator.rooms
    live = tracker.estimator._rx_seen

    def working(rx: str) -> bool:
        return bool(live[rooms.rx_index[rx]] >= clock.now - 30)

    assert not working("rx-C1-uca-changing")
    tracker.handle("wayfinding/demo/receivers/rx-C1-uca-changing/readings", b"[]")
    tracker.handle("espresense/rooms/rx-C1-prep-1/telemetry", b'{"uptime": 60, "ip": "10.0.0.9"}')
    tracker.handle("home/rx-B2-or-1/SYStoMQTT", b'{"uptime": 60, "version": "v1.7.0"}')
    tracker.handle(
        "wayfinding/demo/receivers/rx-B2-pacu/readings", json.dumps({"tag": "a-phone", "rssi": -70})
    )
    assert all(working(rx) for rx in ("rx-C1-uca-changing", "rx-C1-prep-1", "rx-B2-or-1", "rx-B2-pacu"))
    tracker.handle("espresense/rooms/rx-C1-prep-1/status", b"offline")
    assert not working("rx-C1-prep-1")
    tracker.handle("home/rx-nowhere/LWT", b"online")
    tracker.handle("espresense/rooms/rx-C1-prep-1/status", b"rebooting")
    c = tracker.counters
    assert (c["heartbeats"], c["receivers-offline"]) == (3, 1)
    assert (c["rejected:unknown-receiver"], c["rejected:field"], c["rejected:unknown-tag"]) == (1, 1, 1)


def test_silence_battery_and_restart(setup, demo_venue, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tracker, store, clock, sim = setup
    desk = unit_named(demo_venue, "Accueil — Admissions")
    stay(tracker, sim, clock, desk, 10, battery=2500)
    clock.now += 45
    lost = tracker.tick()
    assert [s.payload["signal"] for s in lost] == ["lost"]
    stay(tracker, sim, clock, desk, 3)
    kinds = [e.kind for e in store.events()]
    assert kinds.count("battery-low") == 1
    assert kinds.index("signal-lost") < kinds.index("back-in-range")
    # A new tracker on the same store (a restart) knows the link and the stage.
    again = Tracker(demo_venue, store, clock=clock)
    first = again.tick()
    assert first and first[0].payload["stage"] == "admission"


def test_discharge_ends_the_companion_link_and_retention_purges(setup, demo_venue) -> None:  # type: ignore[no-untyped-def]
    tracker, store, _clock, _sim = setup
    link, token = store.link(
        "wb-0043", patient_ref="P-002", pathway_id="ambulatory-surgery", actor="admissions.claire"
    )
    # At least 128 random bits (URL-safe base64: 6 bits per character).
    assert store.by_token(token) is not None and len(token) * 6 >= 128
    assert store.by_token(token + "x") is None
    store.discharge(link.id, actor="nurse.marc")
    assert store.by_token(token) is None
    tracker.reload_links()
    assert "wb-0043" not in tracker.tags
    later = datetime.now(UTC) + timedelta(days=31)
    purged = store.purge(retention=timedelta(days=30), now=later)
    assert purged == 2  # linked, discharged
    assert store.events(link.id) == [] and store.get(link.id).patient_ref == "purged"  # type: ignore[union-attr]
    assert store.events(store.active_links()[0].id), "the patient still in care keeps events"
