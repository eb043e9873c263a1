"""From RSSI readings to a wristband's position, zone and confidence.

Method (see ``docs/tracking.md`` for why):

1. **Smoothing per receiver**: a scalar Kalman filter on RSSI per (tag,
   receiver), with an innovation gate: a reading far from the estimate is
   taken with ten times less weight, so one wild reading moves nothing.
2. **Distance**: log-distance path loss, ``rssi = p0 - 10 n log10(d)``, with
   ``p0`` (RSSI at 1 m: the tag's ``tx_power`` when it sends one) and ``n``
   per receiver, fitted by least squares on readings at known positions
   (:func:`calibrate`); the height between receiver and wristband is taken
   out of the distance.
3. **Floor**: the floor whose receivers hear the tag loudest, changed only
   when another floor is clearly louder (3 dB) or the current one is silent.
4. **Position**: weighted least squares multilateration (Gauss-Newton from
   the weighted centroid) over the loudest receivers of that floor, weights
   from the log-normal shadowing (far receivers count less), then moved into
   the nearest walkable unit of the floor, then smoothed in time.
5. **Zone** with hysteresis: the unit at the position, or the unit of a
   receiver that dominates (much louder than the others, about a metre
   away); a new zone is taken only once it has held for ``dwell_s``.
6. **Confidence** in [0, 1]: from the number of receivers and the residual.

The same :class:`Estimator` runs live in the tracker and in ``wayfinding
locate`` (a recorded log replayed), so the figures measured on recorded data
are those of the live system.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Point
from shapely.ops import nearest_points

from beacons.payloads import Reading
from beacons.rooms import MOVE_RATE, RoomFilter

#: A new zone from the room filter needs at least this probability.
MIN_ROOM_P = 0.5
#: How fast a walking wristband's RSSI at one receiver may drift (dB^2 per second): the
#: Kalman filter's process noise. Higher follows a walker sooner, lower smooths more.
RSSI_DRIFT_DB2_S = 4.0
#: The room filter runs at most this often per wristband (seconds of readings): urgent
#: estimates in between reuse its last answer.
ROOM_EVERY_S = 1.0
#: A receiver that has heard no wristband for this long (seconds) is taken as out of order.
RECEIVER_LIVE_S = 30.0
#: Height of a wristband above the floor, metres.
TAG_HEIGHT_M = 1.0
#: A receiver silent for more than FADE_AFTER_S seconds counts FADE_DB_S dB weaker per
#: further second.
FADE_AFTER_S = 1.5
FADE_DB_S = 4.0


@dataclass(slots=True, frozen=True)
class Receiver:
    id: str
    ordinal: int
    x: float
    y: float
    z: float = 2.5
    level_id: str | None = None
    unit_id: str | None = None


@dataclass(slots=True)
class PathLoss:
    """Log-distance path loss; per-receiver values override the defaults."""

    p0: float = -59.0
    n: float = 2.2
    sigma_db: float = 5.0
    per_receiver: dict[str, tuple[float, float]] = field(default_factory=dict)

    def params(self, receiver: str, tx_power: float | None) -> tuple[float, float]:
        if receiver in self.per_receiver:
            return self.per_receiver[receiver]
        return (tx_power if tx_power is not None else self.p0), self.n

    def distance(self, receiver: str, rssi: float, tx_power: float | None = None) -> float:
        p0, n = self.params(receiver, tx_power)
        return float(10.0 ** ((p0 - rssi) / (10.0 * n)))

    def to_json(self) -> str:
        return json.dumps(
            {"p0": self.p0, "n": self.n, "sigma_db": self.sigma_db, "per_receiver": self.per_receiver},
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> PathLoss:
        data = json.loads(text)
        return cls(
            float(data["p0"]),
            float(data["n"]),
            float(data.get("sigma_db", 5.0)),
            {k: (float(v[0]), float(v[1])) for k, v in data.get("per_receiver", {}).items()},
        )

    @classmethod
    def load(cls, path: str | Path) -> PathLoss:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def calibrate(samples: Iterable[tuple[str, float, float]], *, min_samples: int = 30) -> PathLoss:
    """Fit p0 and n, globally and per receiver, from (receiver, rssi, true distance m)."""
    by_rx: dict[str, list[tuple[float, float]]] = {}
    for rx, rssi, d in samples:
        if d > 0.1 and math.isfinite(rssi):
            by_rx.setdefault(rx, []).append((rssi, d))

    def fit(pairs: list[tuple[float, float]]) -> tuple[float, float, float]:
        arr = np.asarray(pairs)
        x = -10.0 * np.log10(arr[:, 1])
        design = np.column_stack([np.ones_like(x), x])
        (p0, n), *_ = np.linalg.lstsq(design, arr[:, 0], rcond=None)
        n = float(np.clip(n, 1.2, 5.0))
        resid = arr[:, 0] - (p0 + n * x)
        return float(p0), n, float(np.std(resid))

    everything = [p for pairs in by_rx.values() for p in pairs]
    if len(everything) < min_samples:
        raise ValueError(
            f"calibration needs at least {min_samples} readings at known positions, got {len(everything)}"
        )
    p0, n, sigma = fit(everything)
    per = {rx: fit(pairs)[:2] for rx, pairs in by_rx.items() if len(pairs) >= min_samples}
    return PathLoss(p0, n, max(sigma, 1.0), per)


@dataclass(slots=True)
class _Rssi:
    value: float
    var: float
    ts: float
    tx_power: float | None


@dataclass(slots=True)
class Estimate:
    tag: str
    ts: float
    ordinal: int
    level_id: str | None
    x: float
    y: float
    zone: str | None
    confidence: float
    receivers: int


@dataclass(slots=True)
class _TagState:
    rssi: dict[str, _Rssi] = field(default_factory=dict)
    ordinal: int | None = None
    x: float | None = None
    y: float | None = None
    ts: float | None = None
    zone: str | None = None
    candidate: str | None = None
    candidate_since: float = 0.0
    last_estimate: Estimate | None = None
    top: str | None = None  # the receiver hearing it loudest, and the one heard last
    latest: str | None = None
    room: str | None = None  # the room filter's last answer, and when
    room_p: float = 0.0
    room_ts: float | None = None


class Estimator:
    """Per-wristband state; feed readings in time order (late ones are dropped by the caller)."""

    def __init__(
        self,
        receivers: Iterable[Receiver],
        *,
        model: PathLoss | None = None,
        venue: object | None = None,
        tag_height: float = TAG_HEIGHT_M,
        window_s: float = 6.0,
        dwell_s: float = 4.0,
        time_constant_s: float = 2.0,
        max_receivers: int = 6,
        time_scale: float = 1.0,
        room_filter: bool = True,
    ) -> None:
        self.receivers = {r.id: r for r in receivers}
        self.model = model or PathLoss()
        self.tag_height = tag_height
        self.window_s = window_s
        self.dwell_s = dwell_s
        self.time_constant_s = time_constant_s
        self.max_receivers = max_receivers
        self.tags: dict[str, _TagState] = {}
        self.room_every_s = ROOM_EVERY_S / time_scale
        self._walkable = _WalkableIndex(venue) if venue is not None else None
        self.rooms = (
            RoomFilter(
                venue,
                self.receivers.values(),
                p0=self.model.p0,
                n=self.model.n,
                per_receiver=self.model.per_receiver,
                tag_height=tag_height,
                move_rate=MOVE_RATE * time_scale,
            )
            if venue is not None and self.receivers and room_filter
            else None
        )
        #: When each receiver last showed it works (a reading of any wristband, or a
        #: heartbeat): a receiver silent for RECEIVER_LIVE_S is out of order, its silence
        #: about a wristband says nothing.
        self._rx_seen = np.full(len(self.rooms.rx_index) if self.rooms else 0, -np.inf)

    # -- receivers -----------------------------------------------------------------------------

    def receiver_alive(self, receiver: str, ts: float) -> None:
        """*receiver* works at *ts*: it heard some wristband (linked or not) or said so
        (a heartbeat). A working receiver's silence about a wristband is evidence."""
        if self.rooms is not None:
            j = self.rooms.rx_index.get(receiver)
            if j is not None and ts > self._rx_seen[j]:
                self._rx_seen[j] = ts

    def receiver_offline(self, receiver: str) -> None:
        """*receiver* stopped (its last will): its silence says nothing until it is heard."""
        if self.rooms is not None:
            j = self.rooms.rx_index.get(receiver)
            if j is not None:
                self._rx_seen[j] = -np.inf

    # -- smoothing -----------------------------------------------------------------------------

    def add(self, reading: Reading, ts: float) -> None:
        """Take one reading (the receiver must be known)."""
        state = self.tags.setdefault(reading.tag, _TagState())
        self.receiver_alive(reading.receiver, ts)
        state.latest = reading.receiver
        r = state.rssi.get(reading.receiver)
        meas_var = self.model.sigma_db**2
        if r is None or ts - r.ts > self.window_s:
            state.rssi[reading.receiver] = _Rssi(reading.rssi, meas_var, ts, reading.tx_power)
            return
        dt = max(ts - r.ts, 0.0)
        var = r.var + RSSI_DRIFT_DB2_S * dt  # the wristband moves: its RSSI drifts
        innovation = reading.rssi - r.value
        gate = 3.0 * math.sqrt(var + meas_var)
        effective = meas_var * (10.0 if abs(innovation) > gate else 1.0)
        gain = var / (var + effective)
        r.value += gain * innovation
        r.var = (1.0 - gain) * var
        r.ts = ts
        if reading.tx_power is not None:
            r.tx_power = reading.tx_power

    def loudest(self, tag: str, ts: float) -> str | None:
        """The receiver that hears *tag* loudest at *ts* (smoothed, silent ones faded)."""
        state = self.tags.get(tag)
        if state is None or not state.rssi:
            return None

        def faded(rx: str) -> float:
            r = state.rssi[rx]
            return r.value - max(0.0, ts - r.ts - FADE_AFTER_S) * FADE_DB_S

        top = state.top
        if top is not None and top in state.rssi and ts - state.rssi[top].ts <= FADE_AFTER_S:
            # The loudest has not faded: only the receiver just heard can overtake it.
            latest = state.latest
            if latest is not None and latest != top and faded(latest) > faded(top):
                top = latest
        else:
            top = max(state.rssi, key=faded)
        state.top = top
        return top

    # -- estimation ----------------------------------------------------------------------------

    def estimate(self, tag: str, ts: float, *, position: bool = True) -> Estimate | None:
        """Where *tag* is at *ts*. *position* False: the zone (room) and floor only, no
        coordinates (``x``, ``y`` are NaN, ``confidence`` is the room's probability),
        when the room filter gives a room: what the tracker needs, at half the cost."""
        state = self.tags.get(tag)
        if state is None:
            return None
        # A receiver that has stopped hearing the tag fades (FADE_DB_S per second of
        # silence after FADE_AFTER_S): silence means the wristband moved away.
        for rx in [rx for rx, r in state.rssi.items() if ts - r.ts > self.window_s]:
            del state.rssi[rx]  # forgotten: the wristband has moved on
        heard = [
            (rx, _Rssi(r.value - max(0.0, ts - r.ts - FADE_AFTER_S) * FADE_DB_S, r.var, r.ts, r.tx_power))
            for rx, r in state.rssi.items()
            if ts - r.ts <= self.window_s and rx in self.receivers
        ]
        if not heard:
            return None
        room, room_p = (None, 0.0)
        if self.rooms is not None and state.room_ts is not None and ts - state.room_ts < self.room_every_s:
            room, room_p = state.room, state.room_p  # updated less than a second ago
        elif self.rooms is not None:
            live = self._rx_seen >= ts - RECEIVER_LIVE_S
            room, room_p = self.rooms.update(tag, [(rx, r.value) for rx, r in heard], ts, live)
            state.room, state.room_p, state.room_ts = room, room_p, ts
        if room is not None and self.rooms is not None:
            ordinal = int(self.rooms.ordinal[self.rooms.index[room]])
            if not position:
                if room_p < MIN_ROOM_P and state.zone is not None:
                    room = state.zone  # not sure enough to move
                state.ts, state.ordinal = ts, ordinal
                zone = self._zone(state, [], ordinal, ts, room)
                room_level = self.rooms.level_ids[self.rooms.index[room]]
                est = Estimate(
                    tag, ts, ordinal, room_level, math.nan, math.nan, zone, round(room_p, 3), len(heard)
                )
                state.last_estimate = est
                return est
        else:
            ordinal = self._floor(state, heard)
        if not any(self.receivers[rx].ordinal == ordinal for rx, _ in heard):
            ordinal = self._floor(state, heard)
        on_floor = sorted(
            ((rx, r) for rx, r in heard if self.receivers[rx].ordinal == ordinal), key=lambda p: -p[1].value
        )[: self.max_receivers]
        rx_info = [self.receivers[rx] for rx, _ in on_floor]
        pos = np.array([(r.x, r.y) for r in rx_info])
        dz = np.array([r.z - self.tag_height for r in rx_info])
        d3 = np.array([self.model.distance(rx, r.value, r.tx_power) for rx, r in on_floor])
        d = np.sqrt(np.maximum(d3**2 - dz**2, 0.09))
        x, y, rms = _multilaterate(pos, d, self.model)
        if len(on_floor) >= 4:
            # A wristband of unknown power (or worn under a sleeve), receivers not calibrated:
            # all its readings are off by one common offset, that is, its distances are
            # known up to one factor: fitted with the position (at most x3 either way), two rounds.
            for _ in range(2):
                d_fit = np.maximum(np.hypot(np.hypot(pos[:, 0] - x, pos[:, 1] - y), dz), 0.5)
                scale = min(max(float(np.median(np.log10(d3 / d_fit))), -0.5), 0.5)
                d = np.sqrt(np.maximum((d3 / 10**scale) ** 2 - dz**2, 0.09))
                x, y, rms = _multilaterate(pos, d, self.model)
        level_id = rx_info[0].level_id
        if self._walkable is not None:
            x, y = self._walkable.nearest(ordinal, x, y)
        if state.x is None or state.ordinal != ordinal or state.ts is None:
            state.x, state.y = x, y
        else:
            alpha = 1.0 - math.exp(-max(ts - state.ts, 0.0) / self.time_constant_s)
            state.x += alpha * (x - state.x)
            state.y += alpha * (y - state.y)  # type: ignore[operator]
        state.ts, state.ordinal = ts, ordinal
        if room is not None and room_p < MIN_ROOM_P and state.zone is not None:
            room = state.zone  # not sure enough to move
        zone = self._zone(state, on_floor, ordinal, ts, room)
        confidence = min(1.0, len(on_floor) / 4.0) * math.exp(-rms / 4.0)
        est = Estimate(
            tag,
            ts,
            ordinal,
            level_id,
            float(state.x),
            float(state.y),
            zone,  # type: ignore[arg-type]
            round(confidence, 3),
            len(on_floor),
        )
        state.last_estimate = est
        return est

    def _floor(self, state: _TagState, heard: list[tuple[str, _Rssi]]) -> int:
        loudest: dict[int, float] = {}
        for rx, r in heard:
            o = self.receivers[rx].ordinal
            loudest[o] = max(loudest.get(o, -999.0), r.value)
        best = max(loudest, key=lambda o: loudest[o])
        if (
            state.ordinal is not None
            and state.ordinal in loudest
            and loudest[best] < loudest[state.ordinal] + 3.0
        ):
            return state.ordinal
        return best

    def _zone(
        self,
        state: _TagState,
        on_floor: list[tuple[str, _Rssi]],
        ordinal: int,
        ts: float,
        room: str | None = None,
    ) -> str | None:
        candidate = room
        if candidate is None and len(on_floor) >= 1:
            top_rx, top = on_floor[0]
            second = on_floor[1][1].value if len(on_floor) > 1 else -120.0
            info = self.receivers[top_rx]
            close = self.model.distance(top_rx, top.value, top.tx_power) < 2.5 + abs(info.z - self.tag_height)
            if info.unit_id and close and top.value - second >= 8.0:
                candidate = info.unit_id  # a room receiver that clearly dominates
        if candidate is None and self._walkable is not None:
            candidate = self._walkable.unit_at(ordinal, state.x, state.y)  # type: ignore[arg-type]
        if candidate == state.zone:
            state.candidate = None
            return state.zone
        if candidate != state.candidate:
            state.candidate, state.candidate_since = candidate, ts
        # The first zone is taken at once; after that, a new zone (or losing the zone: a
        # point outside every unit) must hold for dwell_s, whatever the zone was.
        if state.last_estimate is None or ts - state.candidate_since >= self.dwell_s:
            state.zone, state.candidate = candidate, None
        return state.zone

    def forget(self, tag: str) -> None:
        self.tags.pop(tag, None)
        if self.rooms is not None:
            self.rooms.forget(tag)


def _multilaterate(pos: np.ndarray, d: np.ndarray, model: PathLoss) -> tuple[float, float, float]:
    """Weighted least squares position from receiver positions and distances.

    Gauss-Newton from the weighted centroid, in plain floats: with at most a
    handful of receivers this is ten times faster than numpy's small-matrix calls.
    """
    xs, ys = pos[:, 0].tolist(), pos[:, 1].tolist()
    ds = d.tolist()
    k = math.log(10) / (10 * model.n) * model.sigma_db
    # Log-normal shadowing: the spread of a distance grows with the distance.
    w = [1.0 / max(di * k, 0.3) ** 2 for di in ds]
    c = [1.0 / max(di, 0.3) ** 2 for di in ds]
    total = sum(c)
    px = sum(ci * xi for ci, xi in zip(c, xs, strict=True)) / total
    py = sum(ci * yi for ci, yi in zip(c, ys, strict=True)) / total
    if len(ds) >= 3:
        for _ in range(10):
            a11 = a12 = a22 = b1 = b2 = 0.0
            for xi, yi, di, wi in zip(xs, ys, ds, w, strict=True):
                dx, dy = px - xi, py - yi
                r = math.hypot(dx, dy) or 1e-6
                jx, jy, res = dx / r, dy / r, r - di
                a11 += wi * jx * jx
                a12 += wi * jx * jy
                a22 += wi * jy * jy
                b1 -= wi * jx * res
                b2 -= wi * jy * res
            a11 += 1e-6
            a22 += 1e-6
            det = a11 * a22 - a12 * a12
            if abs(det) < 1e-12:
                break
            sx = (a22 * b1 - a12 * b2) / det
            sy = (a11 * b2 - a12 * b1) / det
            norm = math.hypot(sx, sy)
            if norm > 3.0:
                sx, sy = sx * 3.0 / norm, sy * 3.0 / norm
            px, py = px + sx, py + sy
            if norm < 0.01:
                break
    wsum = sum(w)
    rms = math.sqrt(
        sum(
            wi * (math.hypot(px - xi, py - yi) - di) ** 2
            for xi, yi, di, wi in zip(xs, ys, ds, w, strict=True)
        )
        / wsum
    )
    return px, py, rms


class _WalkableIndex:
    """Walkable units per floor, to keep positions where people can be."""

    def __init__(self, venue: object) -> None:
        from floorplans.model import Venue
        from floorplans.topology import topology

        assert isinstance(venue, Venue)
        self.venue = venue
        self.topo = topology(venue)
        self._shrunk: dict[str, Any] = {}

    def _inner(self, uid: str) -> Any:
        """The unit shrunk by 20 cm (computed once): where a moved position lands."""
        if uid not in self._shrunk:
            g = self.venue.units[uid].geometry
            inner = g.buffer(-0.2) if g.area > 2 else g
            self._shrunk[uid] = inner if not inner.is_empty else g
        return self._shrunk[uid]

    def unit_at(self, ordinal: int, x: float, y: float) -> str | None:
        floor = self.topo.floors.get(ordinal)
        if floor is None:
            return None
        p = Point(x, y)
        best = None
        for i in floor.tree.query(p, predicate="intersects"):
            unit = self.venue.units[floor.unit_ids[i]]
            if unit.walkable and (best is None or unit.geometry.area < best.geometry.area):
                best = unit
        return best.id if best else None

    def nearest(self, ordinal: int, x: float, y: float) -> tuple[float, float]:
        floor = self.topo.floors.get(ordinal)
        if floor is None or self.unit_at(ordinal, x, y) is not None:
            return x, y
        p = Point(x, y)
        candidates = floor.tree.query(p, predicate="dwithin", distance=15.0)
        best: tuple[float, float, float] | None = None
        for i in candidates:
            unit = self.venue.units[floor.unit_ids[i]]
            if not unit.walkable:
                continue
            q = nearest_points(self._inner(unit.id), p)[0]
            dist = q.distance(p)
            if best is None or dist < best[0]:
                best = (dist, q.x, q.y)
        return (best[1], best[2]) if best else (x, y)
