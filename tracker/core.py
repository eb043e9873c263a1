"""The tracker's logic, without the broker: readings in, journey stages and events out.

:class:`Tracker` takes MQTT messages (topic, payload) and a clock; it checks
every reading (bad ones are counted by reason, never fatal), feeds the
estimator of :mod:`beacons`, turns zones into the stage of each patient's
pathway (``pathways.json``), emits events (stage changed, signal lost, back
in range, battery low, left the allowed area, back in it), writes them and
the journey state to the store, and prepares the companion-facing status
messages: stage, since, labels, signal, never coordinates.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from beacons.estimator import Estimator, PathLoss, Receiver
from beacons.payloads import PayloadError, Reading, parse_heartbeat, parse_message
from floorplans import Venue
from floorplans.model import label_text
from tracker.store import Link, TrackerEvent, TrackerStore

log = logging.getLogger("wayfinding.tracker")

#: A wristband whose loudest receiver changed is estimated at once, but not more often
#: than this (seconds of reading time).
URGENT_GAP_S = 0.25

#: A new stage needs at least this probability (summed over its units) in the room filter.
STAGE_P = 0.9
#: ... or its zone must have held this long (seconds of readings) with at least
#: STAGE_HOLD_P: a room whose own receiver is silent still counts, later. (The zone
#: alone is not enough: it keeps the last room while the room filter is unsure, and a
#: patient walking on past a recovery room kept "recovery" as zone for 37 s.)
STAGE_HOLD_S = 15.0
STAGE_HOLD_P = 0.5

#: Units anyone may pass through on a pathway without "leaving the allowed area".
CIRCULATION = (
    "walkway",
    "lobby",
    "elevator",
    "stairs",
    "footbridge",
    "ramp",
    "steps",
    "waitingroom",
    "restroom",
)


def receivers_of(venue: Venue) -> list[Receiver]:
    """The venue's receivers as the estimator takes them (floor ordinal, height)."""
    levels = venue.levels
    return [
        Receiver(
            r.id,
            levels[r.level_id].ordinal,
            r.geometry.x,
            r.geometry.y,
            r.z if r.z is not None else 2.5,
            r.level_id,
            r.unit_id,
        )
        for r in venue.receivers.values()
        if r.level_id in levels
    ]


@dataclass(slots=True)
class TrackerConfig:
    site: str = "demo"
    signal_lost_s: float = 60.0
    battery_low_mv: int = 2600
    battery_ok_mv: int = 2700
    #: Each wristband is estimated at most this often, and at once when the receiver
    #: that hears it loudest changes (it entered another room).
    estimate_every_s: float = 2.0
    future_tolerance_s: float = 30.0
    max_age_s: float = 300.0
    area_dwell_s: float = 30.0
    last_seen_every_s: float = 30.0
    log_every_s: float = 60.0
    #: A new zone must hold this long before it counts (hysteresis). 0 with the room
    #: filter, whose probability (STAGE_P) is the hysteresis: 4 s more only delayed every
    #: stage (median 9.5 s against 7.2 s from entering a room, the same one false stage
    #: in 1,000, bench/bench_stages.py). The zone from the point alone needs it (4 s).
    zone_dwell_s: float = 0.0
    #: Going back to an earlier stage of the pathway (recovery -> theatre) is rare and
    #: mostly a bed wheeled past an operating room: it must hold this long.
    backward_dwell_s: float = 120.0
    #: Jumping ahead over a stage (admission -> recovery) is mostly a wristband heard
    #: through the wall of a room the patient walks past: it must hold this long. The
    #: next stage is believed at once.
    skip_dwell_s: float = 20.0
    #: Patients played faster than life (the demo, tests with a simulator): how many
    #: times faster they move from room to room (the room filter's move rate, the time a
    #: stage or a jump over stages must hold). 1 in service.
    time_scale: float = 1.0
    #: Zones from the room filter (beacons.rooms); False: from the multilateration point
    #: alone (the method before issue 13, kept for comparison in bench/bench_stages.py).
    room_filter: bool = True


@dataclass(slots=True)
class _Runtime:
    link: Link
    last_rx_ts: dict[str, float] = field(default_factory=dict)
    last_reading: float | None = None
    last_estimate: float = 0.0
    dirty: bool = False
    urgent: bool = False
    top_rx: str | None = None
    lost: bool = False
    battery_low: bool = False
    outside_since: float | None = None
    outside: bool = False
    last_seen_saved: float = 0.0
    backward: str | None = None  # an earlier stage seen, not yet believed
    backward_since: float = 0.0
    ahead: str | None = None  # a stage beyond the next one seen, not yet believed
    ahead_since: float = 0.0
    zone_stage: str | None = None  # the stage of the current zone, and since when
    zone_stage_since: float = 0.0
    #: Stages ahead of the current one seen in passing (zone held, stage not believed):
    #: stage -> reading time first seen. Used when a later stage is believed.
    glimpsed: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class Status:
    topic: str
    payload: dict[str, Any]
    #: The time stamp of the reading that changed the stage (the receiver's clock), for
    #: the reading-to-status latency the MQTT service reports; None for other statuses.
    reading_ts: float | None = None


class _RateLimitedLog:
    """One line per reason at first, then one summary per reason every *every_s*."""

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self.last: dict[str, float] = {}
        self.pending: Counter[str] = Counter()

    def reject(self, reason: str, detail: str, now: float) -> None:
        if reason not in self.last:
            log.warning("rejected reading (%s): %s", reason, detail)
            self.last[reason] = now
            return
        self.pending[reason] += 1
        if now - self.last[reason] >= self.every_s:
            log.warning(
                "rejected %d more reading(s) (%s) in the last %.0f s; latest: %s",
                self.pending[reason],
                reason,
                now - self.last[reason],
                detail,
            )
            self.pending[reason] = 0
            self.last[reason] = now


class Tracker:
    def __init__(
        self,
        venue: Venue,
        store: TrackerStore,
        *,
        config: TrackerConfig | None = None,
        model: PathLoss | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.venue = venue
        self.store = store
        self.config = config or TrackerConfig()
        self.clock = clock
        self.receivers = {r.id: r for r in receivers_of(venue)}
        self.estimator = Estimator(
            self.receivers.values(),
            model=model,
            venue=venue,
            dwell_s=self.config.zone_dwell_s,
            time_scale=self.config.time_scale,
            room_filter=self.config.room_filter,
        )
        self.stage_of: dict[str, dict[str, str]] = {}
        self.stage_order: dict[str, dict[str, int]] = {
            pw.id: {s.id: i for i, s in enumerate(pw.stages)} for pw in venue.pathways.values()
        }
        self.allowed: dict[str, set[str]] = {}
        for pw in venue.pathways.values():
            mapping: dict[str, str] = {}
            for st in pw.stages:
                for uid in st.unit_ids:
                    mapping[uid] = st.id
                for sid in st.section_ids:
                    section = venue.sections.get(sid)
                    if section is None:
                        continue
                    for u in venue.units.values():
                        if u.level_id == section.level_id and section.geometry.contains(
                            u.geometry.representative_point()
                        ):
                            mapping.setdefault(u.id, st.id)
            self.stage_of[pw.id] = mapping
            self.allowed[pw.id] = set(mapping) | {
                u.id for u in venue.units.values() if u.category.startswith(CIRCULATION) and u.public
            }
        self._stage_idx: dict[tuple[str, str], np.ndarray] = {}
        self.counters: Counter[str] = Counter()
        self.tags: dict[str, _Runtime] = {}
        self._log = _RateLimitedLog(self.config.log_every_s)
        self._events: list[TrackerEvent] = []
        self._states: dict[int, dict[str, Any]] = {}
        self.outbox: deque[Status] = deque()
        #: The wristbands this tracker follows (all by default; a partitioned worker's own).
        self.owns: Callable[[str], bool] = lambda _tag: True
        self.reload_links()

    # -- links ----------------------------------------------------------------------------------

    def reload_links(self) -> None:
        """Take the store's active links (after linking or discharging a wristband)."""
        active = {link.tag: link for link in self.store.active_links() if self.owns(link.tag)}
        for tag in list(self.tags):
            if tag not in active:
                self.tags.pop(tag)
                self.estimator.forget(tag)
        for tag, link in active.items():
            rt = self.tags.get(tag)
            if rt is None or rt.link.id != link.id:
                self.tags[tag] = _Runtime(link)
                self.outbox.append(self._status(self.tags[tag]))

    # -- readings -------------------------------------------------------------------------------

    def handle(self, topic: str, payload: bytes | str, now: float | None = None) -> int:
        """Take one MQTT message; returns how many readings were accepted."""
        now = self.clock() if now is None else now
        try:
            beat = parse_heartbeat(topic, payload)
            readings = parse_message(topic, payload) if beat is None else []
        except PayloadError as exc:
            self.reject(exc.reason, str(exc), now)
            return 0
        if beat is not None:
            if beat.receiver not in self.receivers:
                self.reject("unknown-receiver", f"{beat.receiver} ({topic})", now)
            elif beat.online:
                self.estimator.receiver_alive(beat.receiver, now)
                self.counters["heartbeats"] += 1
            else:
                self.estimator.receiver_offline(beat.receiver)
                self.counters["receivers-offline"] += 1
                log.warning("receiver %s says it is offline", beat.receiver)
            return 0
        return self.take(readings, now, source=topic)

    def take(self, readings: list[Reading], now: float, *, source: str = "") -> int:
        """Take readings already parsed (by this tracker or an ingest worker); returns
        how many were accepted."""
        accepted = 0
        cfg = self.config
        for r in readings:
            rt = self.tags.get(r.tag)
            if r.receiver not in self.receivers:
                self.reject("unknown-receiver", f"{r.receiver} ({source})", now)
                continue
            if rt is None:
                # Not a linked wristband (a phone, a wristband not in use): the receiver
                # works all the same.
                self.estimator.receiver_alive(r.receiver, now)
                self.reject("unknown-tag", f"{r.tag} ({source})", now)
                continue
            ts = r.ts if r.ts is not None else now
            if ts > now + cfg.future_tolerance_s:
                self.reject("ts-future", f"{r.tag}: ts {ts:.0f} is {ts - now:.0f} s ahead", now)
                continue
            if ts < now - cfg.max_age_s:
                self.reject("ts-past", f"{r.tag}: ts {ts:.0f} is {now - ts:.0f} s old", now)
                continue
            last = rt.last_rx_ts.get(r.receiver)
            if last is not None and ts == last:
                self.reject("duplicate", f"{r.tag} via {r.receiver} at {ts}", now)
                continue
            if last is not None and ts < last:
                self.reject("out-of-order", f"{r.tag} via {r.receiver}: {ts} < {last}", now)
                continue
            rt.last_rx_ts[r.receiver] = ts
            self.estimator.add(r, ts)
            top = self.estimator.loudest(r.tag, ts)
            # Urgent: the loudest receiver changed to one in a room that is a stage of the
            # patient's pathway (they may have entered it); corridor flips are not.
            changed = (
                top != rt.top_rx
                and top is not None
                and self.receivers[top].unit_id in self.stage_of.get(rt.link.pathway_id, {})
            )
            urgent = rt.urgent or changed
            rt.top_rx = top
            rt.last_reading = max(ts, rt.last_reading or ts)
            # Estimates run on the readings' own clock, so that a backlog replayed after
            # a restart still goes through every room the patient went through.
            since = ts - rt.last_estimate
            if since >= cfg.estimate_every_s / cfg.time_scale or (urgent and since >= URGENT_GAP_S):
                rt.last_estimate = ts
                rt.dirty = rt.urgent = False
                self._estimate(r.tag, rt, ts, now)
            else:
                rt.dirty = True
                rt.urgent = urgent
            if r.battery_mv is not None:
                self._battery(rt, r.battery_mv, now)
            accepted += 1
        self.counters["accepted"] += accepted
        return accepted

    def reject(self, reason: str, detail: str, now: float) -> None:
        """Count a refused message by reason; log it once, then a summary a minute."""
        self.counters[f"rejected:{reason}"] += 1
        self._log.reject(reason, detail, now)

    # -- periodic work --------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> list[Status]:
        """Check silences, estimate what waits, persist; returns statuses to publish."""
        now = self.clock() if now is None else now
        cfg = self.config
        for tag, rt in self.tags.items():
            # Readings not estimated yet, and none coming: estimate what there is.
            if rt.dirty and rt.last_reading is not None and (rt.urgent or now - rt.last_reading > 1.0):
                rt.dirty = rt.urgent = False
                rt.last_estimate = rt.last_reading
                self._estimate(tag, rt, rt.last_reading, now)
            if rt.last_reading is not None and not rt.lost and now - rt.last_reading > cfg.signal_lost_s:
                rt.lost = True
                self._event(rt, "signal-lost", now, {"silent_s": round(now - rt.last_reading)})
                self.outbox.append(self._status(rt))
            if rt.last_reading is not None and now - rt.last_seen_saved >= cfg.last_seen_every_s:
                rt.last_seen_saved = now
                self._states.setdefault(rt.link.id, {})["last_seen"] = rt.last_reading
        return self.statuses()

    def statuses(self) -> list[Status]:
        """Write what changed, then hand over the statuses to publish (written first: a
        companion never sees a stage the database does not have)."""
        self.flush()
        out = list(self.outbox)
        self.outbox.clear()
        return out

    def flush(self) -> None:
        """Write the events and state changes waiting (one transaction)."""
        if self._events or self._states:
            refused = self.store.record(self._events, self._states)
            self._events, self._states = [], {}
            if refused:
                self._refused(refused)

    def _refused(self, link_ids: set[int]) -> None:
        """Stage changes the store refused (the link had moved on: written by another
        worker, or already written before a replay): take the links as the store has
        them, and drop the statuses that said otherwise."""
        self.counters["stage-refused"] += len(link_ids)
        log.warning("stage change(s) already written for link(s) %s: taking the store's", sorted(link_ids))
        for link in self.store.links(sorted(link_ids)):
            rt = self.tags.get(link.tag)
            if rt is not None and rt.link.id == link.id:
                rt.link.stage_id, rt.link.stage_since = link.stage_id, link.stage_since
        kept = [s for s in self.outbox if s.payload.get("link") not in link_ids]
        self.outbox.clear()
        self.outbox.extend(kept)
        for link_id in link_ids:
            rt = next((r for r in self.tags.values() if r.link.id == link_id), None)
            if rt is not None:
                self.outbox.append(self._status(rt))

    def _estimate(self, tag: str, rt: _Runtime, ts: float, now: float) -> None:
        est = self.estimator.estimate(tag, ts, position=False)  # the room is what counts
        if est is None:
            return
        if rt.lost:
            rt.lost = False
            self._event(rt, "back-in-range", now, {})
            self.outbox.append(self._status(rt))
        zone = est.zone
        link = rt.link
        stage = self.stage_of.get(link.pathway_id, {}).get(zone or "")
        order = self.stage_order.get(link.pathway_id, {})
        if stage != rt.zone_stage:
            rt.zone_stage, rt.zone_stage_since = stage, ts
        if stage is not None and stage != link.stage_id:
            p = self._stage_probability(tag, link, stage)
            held = ts - rt.zone_stage_since >= STAGE_HOLD_S / self.config.time_scale
            if p < STAGE_P and not (held and p >= STAGE_HOLD_P):
                stage = None  # the room filter is not sure enough (yet)
        if (
            stage is not None
            and link.stage_id is not None
            and order.get(stage, 0) < order.get(link.stage_id, 0)
        ):
            if rt.backward != stage:
                rt.backward, rt.backward_since = stage, ts
            if ts - rt.backward_since < self.config.backward_dwell_s:
                stage = None  # not yet: keep the current stage
        elif stage is not None:
            rt.backward = None
        if stage is not None and order.get(stage, 0) > order.get(link.stage_id or "", -1):
            rt.glimpsed.setdefault(stage, ts)
        if (
            stage is not None
            and link.stage_id is not None
            and order.get(stage, 0) > order.get(link.stage_id, 0) + 1
        ):
            if rt.ahead != stage:
                rt.ahead, rt.ahead_since = stage, ts
            if ts - rt.ahead_since < self.config.skip_dwell_s / self.config.time_scale:
                stage = None  # not yet: keep the current stage
        else:
            rt.ahead = None  # anything else seen in between: start again
        if stage is not None and stage != link.stage_id:
            rt.backward = None
            previous = link.stage_id
            # Over stages, or a first stage that is not the pathway's first (the wristband
            # was not heard at admission): those before are written as passed.
            if order.get(stage, 0) > order.get(previous or "", -1) + 1:
                self._passed(rt, previous, stage, now)
            rt.glimpsed = {s: t for s, t in rt.glimpsed.items() if order.get(s, 0) > order.get(stage, 0)}
            link.stage_id = stage
            link.stage_since = datetime.fromtimestamp(now, UTC)
            # Written by the store only if the link is still at *previous* (compare and set).
            self._event(rt, "stage", now, {"stage": stage, "from": previous}, reading_ts=ts)
            self.outbox.append(self._status(rt, reading_ts=ts))
        allowed = self.allowed.get(link.pathway_id)
        if allowed is not None and zone is not None:
            if zone not in allowed:
                rt.outside_since = rt.outside_since or now
                if not rt.outside and now - rt.outside_since >= self.config.area_dwell_s:
                    rt.outside = True
                    unit = self.venue.units.get(zone)
                    self._event(
                        rt,
                        "left-area",
                        now,
                        {"zone_name": label_text(unit.name if unit else None, "fr", fallback=zone)},
                    )
            else:
                rt.outside_since = None
                if rt.outside:
                    rt.outside = False
                    self._event(rt, "back-in-area", now, {})

    def _stage_probability(self, tag: str, link: Link, stage: str) -> float:
        """How likely the wristband is in one of the stage's units (room filter), 1.0 when
        there is no room filter."""
        rooms = self.estimator.rooms
        belief = rooms.beliefs.get(tag) if rooms is not None else None
        if rooms is None or belief is None:
            return 1.0
        key = (link.pathway_id, stage)
        idx = self._stage_idx.get(key)
        if idx is None:
            units = [u for u, s in self.stage_of.get(link.pathway_id, {}).items() if s == stage]
            idx = self._stage_idx[key] = np.array(
                [rooms.index[u] for u in units if u in rooms.index], dtype=int
            )
        return float(belief.p[idx].sum())

    def _passed(self, rt: _Runtime, previous: str | None, stage: str, now: float) -> None:
        """A jump over stages, believed: each stage in between is written as passed (an
        event with its reason, and the reading time it was seen when it was), never
        silently skipped. The companion page shows them done."""
        pathway = self.venue.pathways.get(rt.link.pathway_id)
        if pathway is None:
            return
        ids = [s.id for s in pathway.stages]
        first = ids.index(previous) + 1 if previous is not None else 0
        for between in ids[first : ids.index(stage)]:
            seen = rt.glimpsed.get(between)
            details: dict[str, Any] = {"stage": between, "to": stage}
            if seen is not None:
                details["seen_at"] = datetime.fromtimestamp(seen, UTC).isoformat()
                details["reason"] = "seen briefly, then the next stage: taken as passed"
            elif previous is None:
                details["reason"] = f"not seen: the wristband was first heard at {stage}; taken as passed"
            else:
                details["reason"] = (
                    f"not seen: the wristband went from {previous} to {stage} "
                    f"(held {self.config.skip_dwell_s / self.config.time_scale:g} s); taken as passed"
                )
            self._event(rt, "stage-passed", now, details)

    def _battery(self, rt: _Runtime, mv: int, now: float) -> None:
        self._states.setdefault(rt.link.id, {})["battery_mv"] = mv
        if mv < self.config.battery_low_mv and not rt.battery_low:
            rt.battery_low = True
            self._event(rt, "battery-low", now, {"battery_mv": mv})
        elif mv >= self.config.battery_ok_mv and rt.battery_low:
            rt.battery_low = False

    def _event(
        self, rt: _Runtime, kind: str, now: float, details: dict[str, Any], *, reading_ts: float | None = None
    ) -> None:
        event = TrackerEvent(
            rt.link.id, rt.link.tag, kind, datetime.fromtimestamp(now, UTC), details, reading_ts
        )
        self._events.append(event)
        self.counters[f"event:{kind}"] += 1
        log.info("%s %s %s", rt.link.tag, kind, details)

    # -- companion status -----------------------------------------------------------------------

    def status_topic(self, tag: str) -> str:
        return f"wayfinding/{self.config.site}/status/{tag}"

    def _status(self, rt: _Runtime, *, reading_ts: float | None = None) -> Status:
        link = rt.link
        pathway = self.venue.pathways.get(link.pathway_id)
        stage = next((s for s in pathway.stages if s.id == link.stage_id), None) if pathway else None
        labels = stage.label if stage else {}
        payload = {
            "tag": link.tag,
            "link": link.id,
            "pathway": link.pathway_id,
            "stage": link.stage_id,
            "label": label_text(labels, link.companion_lang) if labels else None,
            "labels": labels,
            "since": link.stage_since.isoformat() if link.stage_since else None,
            "signal": "lost" if rt.lost else "ok",
        }
        return Status(self.status_topic(link.tag), payload, reading_ts)

    def snapshot(self) -> dict[str, Any]:
        return {"wristbands": len(self.tags), "counters": dict(self.counters)}
