"""Simulated patients walking their pathway, heard by the demo hospital's receivers.

Each patient wears a wristband (an iBeacon id, no name), enters by the main
entrance, then goes through the stages of the ambulatory-surgery pathway:
admission desk, day-surgery reception, a preparation bay, an operating
theatre (on a bed, by the staff lift), the recovery room, a rest bay, the
discharge lounge. Walks follow routes from :mod:`routing` (the staff profile
for bed transfers). Receivers of the same floor hear the wristband with a
log-distance model, 5 dB per wall crossed, Gaussian noise and dropouts;
readings are published in the native format, ESPresense, OpenMQTTGateway,
or a mix. The simulator also keeps the truth (the stage each patient entered
and when) to compare with what the tracker says.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from shapely import STRtree, linestrings

from floorplans import Venue
from floorplans.model import label_text
from routing import Router
from tracker.mqtt import BrokerAddress

IBEACON_UUID = "e2c56db5-dffb-48d2-b060-d0f5a71096e0"
#: Receivers say they work this often (seconds): an empty native batch, ESPresense
#: telemetry, OpenMQTTGateway's system message.
HEARTBEAT_EVERY_S = 10.0
FORMATS = ("native", "espresense", "theengs")


def tag_of(index: int) -> str:
    return f"{IBEACON_UUID}-1-{index}"


@dataclass(slots=True)
class Visit:
    stage: str | None
    place: str  # a place reference for the router
    staff_route: bool = False


def ambulatory_itinerary(venue: Venue, rng: random.Random) -> list[Visit]:
    """The places of the day-surgery pathway, one room of each stage picked at random."""
    pw = venue.pathways["ambulatory-surgery"]
    stages = {s.id: s for s in pw.stages}

    def pick(stage: str, fr_name_part: str | None = None) -> str:
        units = stages[stage].unit_ids
        if fr_name_part:
            named = [u for u in units if fr_name_part in label_text(venue.units[u].name, "fr")]
            units = named or units
        return rng.choice(units)

    return [
        Visit(
            None,
            next(
                k.id for k in venue.kiosks.values() if label_text(k.name, "fr") == "Borne du hall d'accueil"
            ),
        ),
        Visit("admission", pick("admission", "Accueil — Admissions")),
        Visit("admission", pick("admission", "Accueil de l'unité")),
        Visit("preop", pick("preop", "Box de préparation")),
        Visit("theatre", pick("theatre", "Salle d'opération"), staff_route=True),
        Visit("recovery", pick("recovery", "Salle de réveil"), staff_route=True),
        Visit("recovery", pick("recovery", "Box de repos"), staff_route=True),
        Visit("ready", stages["ready"].unit_ids[0]),
    ]


@dataclass(slots=True)
class Patient:
    index: int
    tag: str
    track: list[tuple[float, int, float, float]]  # (t, ordinal, x, y), t from the patient's start
    truth: list[tuple[str, float]]  # (stage, t entered)
    start: float = 0.0
    #: (from, to) times the patient is moved on a bed or a gurney.
    beds: list[tuple[float, float]] = field(default_factory=list)


@dataclass(slots=True)
class RadioModel:
    p0: float = -59.0
    n: float = 2.2
    wall_db: float = 5.0
    noise_db: float = 3.0
    dropout: float = 0.15
    range_m: float = 30.0


def plan_patient(
    router: Router,
    index: int,
    *,
    rng: random.Random,
    speed: float,
    dwell_s: float | Callable[[Visit], float],
    ride_s: float = 10.0,
    bed_speed: float | None = None,
) -> Patient:
    """One patient's walk through the pathway: *speed* on foot (m/s), *bed_speed* on the
    legs made on a bed or a gurney (staff routes; *speed* when None), *dwell_s* at each
    place (a number, or a function of the visit)."""
    venue = router.venue
    visits = ambulatory_itinerary(venue, rng)
    track: list[tuple[float, int, float, float]] = []
    truth: list[tuple[str, float]] = []
    beds: list[tuple[float, float]] = []
    t = 0.0
    here = visits[0].place
    for visit in visits[1:]:
        route = router.route(here, visit.place, profile="staff" if visit.staff_route else "default")
        nodes = [router.walk.nodes[i] for i in route.nodes]
        pace = bed_speed if (visit.staff_route and bed_speed) else speed
        leg_start = t
        for a, b in itertools.pairwise(nodes):
            if a.ordinal != b.ordinal:  # lift or stairs: a short ride
                t += ride_s
                track.append((t, b.ordinal, b.x, b.y))
                continue
            t += math.hypot(b.x - a.x, b.y - a.y) / pace
            track.append((t, b.ordinal, b.x, b.y))
        if visit.staff_route:
            beds.append((leg_start, t))
        if visit.stage is not None and (not truth or truth[-1][0] != visit.stage):
            truth.append((visit.stage, t))
        last = track[-1]
        t += dwell_s(visit) if callable(dwell_s) else dwell_s
        track.append((t, last[1], last[2], last[3]))
        here = visit.place
    if not track:
        raise ValueError("empty itinerary")
    return Patient(index, tag_of(index), track, truth, beds=beds)


def position(p: Patient, t: float) -> tuple[int, float, float] | None:
    """Where the patient is at *t* seconds after their start (None before the start); at
    the end of the pathway they wait at the pick-up place."""
    track = p.track
    if t < 0:
        return None
    if t >= track[-1][0]:
        return track[-1][1], track[-1][2], track[-1][3]
    times = [q[0] for q in track]
    i = int(np.searchsorted(times, t))
    if i == 0:
        return track[0][1], track[0][2], track[0][3]
    t0, o0, x0, y0 = track[i - 1]
    t1, o1, x1, y1 = track[i]
    if o0 != o1 or t1 <= t0:
        return o1, x1, y1
    f = (t - t0) / (t1 - t0)
    return o1, x0 + f * (x1 - x0), y0 + f * (y1 - y0)


def heading(p: Patient, t: float) -> float | None:
    """The direction the patient walks at *t* (radians), None while standing still."""
    track = p.track
    times = [q[0] for q in track]
    i = int(np.searchsorted(times, t))
    if i <= 0 or i >= len(track):
        return None
    _, o0, x0, y0 = track[i - 1]
    _, o1, x1, y1 = track[i]
    if o0 != o1 or (x0, y0) == (x1, y1):
        return None
    return math.atan2(y1 - y0, x1 - x0)


class Simulator:
    """What the receivers hear from a wristband at a given place."""

    def __init__(self, venue: Venue, *, radio: RadioModel | None = None, seed: int = 1) -> None:
        self.venue = venue
        self.radio = radio or RadioModel()
        self.rng = random.Random(seed)
        self.rx_by_floor: dict[int, list[tuple[str, float, float, float]]] = defaultdict(list)
        for r in self.venue.receivers.values():
            level = self.venue.levels.get(r.level_id)
            if level is not None:
                self.rx_by_floor[level.ordinal].append((r.id, r.geometry.x, r.geometry.y, r.z or 2.5))
        self.walls: dict[int, STRtree] = {}
        self.boundaries: dict[int, list[Any]] = {}
        for lv in self.venue.levels.values():
            bounds = [u.geometry.boundary for u in self.venue.units.values() if u.level_id == lv.id]
            self.boundaries.setdefault(lv.ordinal, []).extend(bounds)
        for o, bounds in self.boundaries.items():
            self.walls[o] = STRtree(bounds)  # type: ignore[arg-type]
        self.rx_xy = {o: np.array([(r[1], r[2]) for r in rx]) for o, rx in self.rx_by_floor.items()}
        #: Walls between a 1 m cell and each receiver of its floor (counted from the cell's
        #: centre): patients walk the same corridors, and the count is most of the cost.
        self._walls: dict[tuple[int, int, int], np.ndarray] = {}

    def _walls_from(self, ordinal: int, x: float, y: float) -> np.ndarray:
        key = (ordinal, round(x), round(y))
        walls = self._walls.get(key)
        if walls is None:
            cx, cy = float(key[1]), float(key[2])
            arr = self.rx_xy[ordinal]
            near = np.flatnonzero(np.hypot(arr[:, 0] - cx, arr[:, 1] - cy) <= self.radio.range_m + 1.0)
            walls = np.zeros(len(arr), dtype=int)
            if len(near):
                segs = linestrings([[[cx, cy], [arr[i, 0], arr[i, 1]]] for i in near])
                hits = self.walls[ordinal].query(segs, predicate="crosses")
                if len(hits[0]):
                    walls[near] = np.bincount(hits[0], minlength=len(near))
            if len(self._walls) > 200_000:
                self._walls.clear()
            self._walls[key] = walls
        return walls

    def readings(self, tag: str, ordinal: int, x: float, y: float) -> list[tuple[str, float]]:
        """(receiver, rssi) heard now from a wristband at (x, y) on a floor."""
        out: list[tuple[str, float]] = []
        rx = self.rx_by_floor.get(ordinal, [])
        if not rx:
            return out
        arr = self.rx_xy[ordinal]
        d2 = np.hypot(arr[:, 0] - x, arr[:, 1] - y)
        close = np.flatnonzero(d2 <= self.radio.range_m)
        if len(close) == 0:
            return out
        walls = self._walls_from(ordinal, x, y)[close]
        for k, i in enumerate(close):
            if self.rng.random() < self.radio.dropout:
                continue
            d3 = math.sqrt(d2[i] ** 2 + (rx[i][3] - 1.0) ** 2)
            rssi = (
                self.radio.p0
                - 10 * self.radio.n * math.log10(max(d3, 0.5))
                - self.radio.wall_db * min(int(walls[k]) // 2, 4)
                + self.rng.gauss(0.0, self.radio.noise_db)
            )
            if rssi > -100:
                out.append((rx[i][0], round(rssi, 1)))
        return out


class Hearing:
    """What the receivers hear from simulated patients, second by second: through
    :class:`simulators.radio.RealisticRadio` (with the way each patient faces and whether
    they lie on a bed) or, with ``radio="mirror"``, through :class:`Simulator` (the
    estimator's own law). *facing*: where each patient faces before their first step
    (drawn when missing)."""

    def __init__(
        self,
        venue: Venue,
        *,
        radio: str = "realistic",
        seed: int = 1,
        conditions: Any = None,
        facing: dict[str, float] | None = None,
    ) -> None:
        from simulators.radio import RealisticRadio

        if radio not in ("realistic", "mirror"):
            raise ValueError(f"unknown radio {radio!r}: realistic or mirror")
        self.channel = (
            RealisticRadio(venue, seed=seed, conditions=conditions) if radio == "realistic" else None
        )
        self.mirror = Simulator(venue, seed=seed) if radio == "mirror" else None
        self.noise = np.random.default_rng(seed)
        self.facing = dict(facing or {})
        self._draw = random.Random(seed)

    def working(self, t: float) -> list[str]:
        """The receivers that work at *t* (the mirror radio has no outages)."""
        if self.channel is not None:
            return self.channel.working(t)
        assert self.mirror is not None
        return [rx[0] for floor in self.mirror.rx_by_floor.values() for rx in floor]

    def __call__(self, p: Patient, local: float, t: float) -> list[tuple[str, float]] | None:
        """(receiver, rssi) heard at *t* (the channel's clock) from *p*, *local* seconds
        after their start; None before it."""
        where = position(p, local)
        if where is None:
            return None
        if self.mirror is not None:
            return self.mirror.readings(p.tag, *where)
        assert self.channel is not None
        h = heading(p, local)
        if h is None:  # standing still: as they last faced
            h = self.facing.get(p.tag)
            if h is None:
                h = self._draw.uniform(-math.pi, math.pi)
        self.facing[p.tag] = h
        on_bed = any(a <= local <= b for a, b in p.beds)
        return self.channel.hear(p.tag, t, *where, h, on_bed=on_bed, rng=self.noise)


def messages(
    fmt: str, site: str, heard: dict[str, list[tuple[str, float]]], ts: float, battery: dict[str, int]
) -> list[tuple[str, str]]:
    """MQTT (topic, payload) for what receivers heard at *ts*: tag -> [(receiver, rssi)]."""
    out: list[tuple[str, str]] = []
    if fmt == "native":
        per_rx: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for tag, items in heard.items():
            for rx, rssi in items:
                per_rx[rx].append(
                    {
                        "tag": tag,
                        "rssi": rssi,
                        "ts": round(ts, 3),
                        "tx_power": -59,
                        "battery_mv": battery.get(tag, 3000),
                    }
                )
        for rx, batch in per_rx.items():
            out.append((f"wayfinding/{site}/receivers/{rx}/readings", json.dumps(batch)))
    elif fmt == "espresense":
        for tag, items in heard.items():
            for rx, rssi in items:
                # As an ESPresense node names an iBeacon, in the topic and in "id".
                ident = f"iBeacon:{tag}"
                minor = int(tag.rsplit("-", 1)[1])
                out.append(
                    (
                        f"espresense/devices/{ident}/{rx}",
                        json.dumps(
                            {
                                "id": ident,
                                "idType": 1,
                                "rssi@1m": -59,
                                "rssi": rssi,
                                "raw": round(10 ** ((-59 - rssi) / 20), 2),
                                "distance": round(10 ** ((-59 - rssi) / 20), 2),
                                "mac": f"aabbcc00{minor // 256:02x}{minor % 256:02x}",
                                "interval": 1000,
                                "ts": round(ts, 3),
                            }
                        ),
                    )
                )
    elif fmt == "theengs":
        for tag, items in heard.items():
            uuid_hex = IBEACON_UUID.replace("-", "")
            minor = int(tag.rsplit("-", 1)[1])
            mfd = f"4c000215{uuid_hex}{1:04x}{minor:04x}c5"
            mac = f"AA:BB:CC:00:{minor // 256:02X}:{minor % 256:02X}"
            for rx, rssi in items:
                out.append(
                    (
                        f"home/{rx}/BTtoMQTT/{mac.replace(':', '')}",
                        json.dumps({"id": mac, "rssi": rssi, "manufacturerdata": mfd, "ts": round(ts, 3)}),
                    )
                )
    else:
        raise ValueError(f"unknown format {fmt!r}; choose {', '.join(FORMATS)} or mixed")
    return out


def heartbeats(fmt: str, site: str, receivers: list[str], uptime_s: float) -> list[tuple[str, str]]:
    """MQTT (topic, payload) by which working receivers say so, as each kind does: a
    native receiver an empty batch, an ESPresense node its telemetry, an
    OpenMQTTGateway its system message."""
    if fmt == "native":
        return [(f"wayfinding/{site}/receivers/{rx}/readings", "[]") for rx in receivers]
    if fmt == "espresense":
        body = json.dumps(
            {"ip": "10.0.0.2", "uptime": int(uptime_s), "firm": "esp32", "rssi": -58, "ver": "v3.3.2"}
        )
        return [(f"espresense/rooms/{rx}/telemetry", body) for rx in receivers]
    if fmt == "theengs":
        body = json.dumps(
            {"uptime": int(uptime_s), "version": "v1.7.0", "freemem": 120000, "modules": ["BT"]}
        )
        return [(f"home/{rx}/SYStoMQTT", body) for rx in receivers]
    raise ValueError(f"unknown format {fmt!r}; choose {', '.join(FORMATS)} or mixed")


def run_simulation(
    broker: str,
    venue: Venue,
    *,
    patients: int,
    site: str = "demo",
    fmt: str = "native",
    speed: float = 1.2,
    dwell_s: float = 60.0,
    ride_s: float = 10.0,
    rate_hz: float = 1.0,
    stagger_s: float = 5.0,
    seed: int = 1,
    stop: threading.Event | None = None,
    on_start: object = None,
    linger_s: float = 15.0,
    radio: str = "realistic",
    conditions: Any = None,
) -> list[Patient]:
    """Publish the patients' readings in real time until they have all arrived.

    *radio*: ``realistic`` (:class:`simulators.radio.RealisticRadio`, which shares nothing
    with the estimator) or ``mirror`` (this module's :class:`Simulator`: the estimator's
    own law, for tests about delivery rather than estimation)."""
    hearing = Hearing(venue, radio=radio, seed=seed, conditions=conditions)
    rng = random.Random(seed)
    router = Router(venue)
    people = [
        plan_patient(router, i + 1, rng=rng, speed=speed, dwell_s=dwell_s, ride_s=ride_s)
        for i in range(patients)
    ]
    for i, p in enumerate(people):
        p.start = i * stagger_s
    address = BrokerAddress.parse(broker)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"wayfinding-sim-{seed}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    client.connect(address.host, address.port)
    client.loop_start()
    if callable(on_start):
        on_start(people)
    t0 = time.time()
    formats = list(FORMATS) if fmt == "mixed" else [fmt]
    end = max(p.start + p.track[-1][0] for p in people)
    battery = {p.tag: 3000 for p in people}
    try:
        step = 1.0 / rate_hz
        k = 0
        next_beat = 0.0
        while True:
            now = time.time()
            elapsed = now - t0
            if elapsed > end + linger_s or (stop is not None and stop.is_set()):
                break
            if elapsed >= next_beat:
                working = hearing.working(elapsed)
                for f in formats:
                    for topic, payload in heartbeats(f, site, working, elapsed):
                        client.publish(topic, payload, qos=1)
                next_beat = elapsed + HEARTBEAT_EVERY_S
            for f_i, f in enumerate(formats):
                now_heard: dict[str, list[tuple[str, float]]] = {}
                for p in people:
                    if len(formats) > 1 and p.index % len(formats) != f_i:
                        continue
                    heard = hearing(p, elapsed - p.start, elapsed)
                    if heard is not None:
                        now_heard[p.tag] = heard
                for topic, payload in messages(f, site, now_heard, now, battery):
                    client.publish(topic, payload, qos=1)
            k += 1
            time.sleep(max(0.0, t0 + k * step - time.time()))
    finally:
        client.loop_stop()
        client.disconnect()
    return people
