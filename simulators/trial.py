"""Simulated patients through the tracker, without a broker: what companions would have
seen, compared with the truth.

Patients walk the demo hospital's day-surgery pathway (routes from the router,
walking at their own pace, moved on a bed between theatre and recovery), the
radio (by default :class:`simulators.radio.RealisticRadio`, which does not share
the estimator's model) turns each second of their walk into readings, the
:class:`tracker.core.Tracker` takes them as MQTT messages with a clock in
hand, and the stage events it writes are compared with the stages each
patient really entered:

- **seen**: a stage shown to the companion while the patient was in it;
- **passed**: a stage the tracker marked as passed when it saw the patient
  further on (the companion sees it done, not current);
- **missed**: neither;
- **delay**: from entering a stage's room to the companion seeing it;
- **false**: a stage shown while the patient was not in it (more than 10 s
  before they entered its rooms, or 30 s after they left), of which
- **flickers**: the companion saw the patient go back to an earlier stage.

Used by ``bench/bench_stages.py`` and ``tests/tracker/test_stage_accuracy.py``.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from shapely.geometry import Point

from beacons.calibration import ReceiverFit, WalkStop, fit
from beacons.estimator import PathLoss
from database import connect
from floorplans import Venue
from routing import Router
from simulators.patients import (
    HEARTBEAT_EVERY_S,
    Hearing,
    Patient,
    Visit,
    heartbeats,
    messages,
    plan_patient,
    position,
)
from simulators.radio import Conditions, RealisticRadio
from tracker.core import Tracker, TrackerConfig, receivers_of
from tracker.store import TrackerStore

T0 = 1_800_000_000.0


@dataclass(slots=True)
class Outcome:
    """One patient: the truth and what the tracker said."""

    tag: str
    truth: list[tuple[str, float]]  # (stage, time entered), absolute
    shown: list[tuple[str, float]]  # (stage, time the companion saw it), absolute
    passed: list[str]
    false: list[tuple[str, float]]

    @property
    def seen(self) -> list[str]:
        return [s for s, _ in self.shown]

    @property
    def missed(self) -> list[str]:
        return [s for s, _ in self.truth if s not in self.seen and s not in self.passed]

    @property
    def flickers(self) -> int:
        """Times the companion saw the patient go back to an earlier stage."""
        order = {s: i for i, (s, _) in enumerate(self.truth)}
        steps = [order.get(s, -1) for s, _ in self.shown]
        return sum(1 for a, b in itertools.pairwise(steps) if b < a)

    def delays(self) -> list[float]:
        first: dict[str, float] = {}
        for s, at in self.shown:
            first.setdefault(s, at)
        return [first[s] - t for s, t in self.truth if s in first]


@dataclass(slots=True)
class TrialResult:
    outcomes: list[Outcome] = field(default_factory=list)
    readings: int = 0

    @property
    def stages(self) -> int:
        return sum(len(o.truth) for o in self.outcomes)

    @property
    def seen_share(self) -> float:
        seen = sum(sum(1 for s, _ in o.truth if s in o.seen) for o in self.outcomes)
        return seen / max(self.stages, 1)

    @property
    def reported_share(self) -> float:
        missed = sum(len(o.missed) for o in self.outcomes)
        return 1.0 - missed / max(self.stages, 1)

    @property
    def patients_missing(self) -> int:
        return sum(1 for o in self.outcomes if o.missed)

    @property
    def flickers(self) -> int:
        return sum(o.flickers for o in self.outcomes)

    @property
    def false_stages(self) -> int:
        return sum(len(o.false) for o in self.outcomes)

    def delay_percentiles(self) -> tuple[float, float]:
        d = [x for o in self.outcomes for x in o.delays()]
        if not d:
            return float("nan"), float("nan")
        return float(np.median(d)), float(np.percentile(d, 95))

    def summary(self) -> str:
        med, p95 = self.delay_percentiles()
        passed = sum(len(o.passed) for o in self.outcomes)
        return (
            f"{len(self.outcomes)} patients, {self.stages} stages: "
            f"{100 * self.reported_share:.1f} % reported ({100 * self.seen_share:.1f} % seen, "
            f"{passed} marked passed), {self.patients_missing} patient(s) with a missed stage, "
            f"{self.false_stages} false stage(s) ({self.flickers} back to an earlier one); "
            f"delay median {med:.1f} s, p95 {p95:.1f} s"
        )


def calibration_walk(
    venue: Venue, *, seed: int = 1, conditions: Conditions | None = None, seconds_per_room: int = 20
) -> tuple[PathLoss, list[ReceiverFit]]:
    """What a hospital does before going live (``wayfinding calibrate``): someone stands
    *seconds_per_room* in every room that has a receiver, with a wristband of their own,
    in the same simulated building (same *seed*: the same receivers)."""
    radio = RealisticRadio(venue, seed=seed, conditions=conditions)
    noise = np.random.default_rng(seed + 1000)
    rooms = sorted({r.unit_id for r in venue.receivers.values() if r.unit_id in venue.units})
    samples = []
    t = 0.0
    for uid in rooms:
        unit = venue.units[uid]
        if unit.level_id not in venue.levels:
            continue
        point = unit.anchor_point()
        stop = WalkStop(t, venue.levels[unit.level_id].ordinal, point.x, point.y, uid)
        for _ in range(seconds_per_room):
            facing = float(noise.uniform(-np.pi, np.pi))
            for rx, rssi in radio.hear(
                "calibration-walker", t, stop.ordinal, stop.x, stop.y, facing, rng=noise
            ):
                samples.append((rx, rssi, stop))
            t += 1.0
    return fit(receivers_of(venue), samples, venue=venue)


def _dwell(rng: random.Random, spread: tuple[float, float]) -> Callable[[Visit], float]:
    return lambda _visit: rng.uniform(*spread)


def run_trial(
    venue: Venue,
    *,
    patients: int,
    seed: int = 1,
    radio: str = "realistic",
    conditions: Conditions | None = None,
    config: TrackerConfig | None = None,
    model: PathLoss | None = None,
    router: Router | None = None,
    dwell_s: tuple[float, float] = (60.0, 240.0),
    stagger_s: float = 30.0,
    rate_hz: float = 1.0,
    speed: float | None = None,
) -> TrialResult:
    """Walk *patients* through the pathway and score the tracker's stages.

    *radio*: ``realistic`` (:class:`RealisticRadio`) or ``mirror`` (the old
    simulator: the estimator's own law, for comparison only).
    """
    rng = random.Random(seed)
    router = router or Router(venue)
    people: list[Patient] = []
    for i in range(patients):
        # On foot 0.5 to 1.6 m/s (older patients slower); beds and gurneys 0.6 to 1.0 m/s.
        walk = min(max(rng.gauss(1.1, 0.2), 0.5), 1.6)
        bed = rng.uniform(0.6, 1.0)
        if speed is not None:  # everyone at one pace (the demo's, faster than life)
            walk = bed = speed
        p = plan_patient(router, i + 1, rng=rng, speed=walk, bed_speed=bed, dwell_s=_dwell(rng, dwell_s))
        p.start = i * stagger_s
        people.append(p)
    store = TrackerStore(connect("sqlite://"))
    links = {}
    for p in people:
        links[p.tag] = store.link(
            p.tag,
            patient_ref=f"SIM-{p.index}",
            pathway_id="ambulatory-surgery",
            actor="trial",
            now=datetime.fromtimestamp(T0, UTC),
        )[0].id
    clock = [T0]
    tracker = Tracker(venue, store, config=config or TrackerConfig(), model=model, clock=lambda: clock[0])
    facing = {p.tag: rng.uniform(-np.pi, np.pi) for p in people}
    hearing = Hearing(venue, radio=radio, seed=seed, conditions=conditions, facing=facing)
    end = max(p.start + p.track[-1][0] for p in people) + 30.0
    step = 1.0 / rate_hz
    result = TrialResult()
    t = 0.0
    next_tick = next_beat = 0.0
    while t <= end:
        if t >= next_beat:  # the working receivers say so
            for topic, payload in heartbeats("native", "demo", hearing.working(t), t):
                tracker.handle(topic, payload, T0 + t)
            next_beat = t + HEARTBEAT_EVERY_S
        heard: dict[str, list[tuple[str, float]]] = {}
        for p in people:
            got = hearing(p, t - p.start, t)
            if got is None:
                continue
            heard[p.tag] = got
            result.readings += len(got)
        now = T0 + t
        clock[0] = now
        fmt_tx = "native"
        for topic, payload in messages(fmt_tx, "demo", heard, now, {}):
            tracker.handle(topic, payload, now)
        if t >= next_tick:
            tracker.tick(now)
            next_tick = t + 1.0
        t += step
    tracker.tick(T0 + end + 60.0)
    # The truth: when the patient entered the stage's rooms (the simulator gives when
    # they reached the place they stop at, a few metres further; a bed wheeled into
    # theatre's preparation room is in theatre from there).
    stage_units = tracker.stage_of.get("ambulatory-surgery", {})
    by_floor: dict[int, list[tuple[Any, str]]] = {}
    for uid, st in stage_units.items():
        unit = venue.units[uid]
        by_floor.setdefault(venue.levels[unit.level_id].ordinal, []).append((unit.geometry, st))

    def stage_at(p: Patient, local: float) -> str | None:
        where = position(p, local)
        if where is None:
            return None
        pt = Point(where[1], where[2])
        return next((st for g, st in by_floor.get(where[0], []) if g.covers(pt)), None)

    def entry_time(p: Patient, stage: str, arrived: float) -> float:
        t = arrived
        while t > 0 and stage_at(p, t - 0.5) == stage:
            t -= 0.5
        return t

    by_link: dict[int, list[tuple[str, float, dict[str, Any]]]] = {}
    for e in store.events():
        at = (e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)).timestamp()
        by_link.setdefault(e.link_id, []).append((e.kind, at, e.details))
    for p in people:
        events = by_link.get(links[p.tag], [])
        truth = [(s, T0 + p.start + entry_time(p, s, at)) for s, at in p.truth]
        shown = [(d["stage"], at) for kind, at, d in events if kind == "stage"]
        passed = [d["stage"] for kind, _, d in events if kind == "stage-passed"]
        false = []
        for s, at in shown:
            entered = next((tt for st, tt in truth if st == s), None)
            left = next((tt for st, tt in truth if entered is not None and tt > entered and st != s), None)
            if entered is None or at < entered - 10.0 or (left is not None and at > left + 30.0):
                false.append((s, at))
        result.outcomes.append(Outcome(p.tag, truth, shown, passed, false))
    return result
