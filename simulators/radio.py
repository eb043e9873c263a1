"""A radio channel for testing the estimator that does not share its model.

The estimator (:mod:`beacons.estimator`) assumes one log-distance law with a
reference power, one exponent, a 1.0 m wristband and independent noise. A
simulator drawing its readings from that same law only tests the estimator
against itself. :class:`RealisticRadio` draws every reading from a different,
richer channel, with parameters drawn per receiver, per wristband, per room
and per wall, so that what the tracker sees has the flaws real deployments
have. Where the ranges come from: ``docs/tracking.md`` ("Simulated radio").

Per reading, from a wristband at (x, y) on a floor to a receiver::

    rssi = P1m + tx_offset[band] + gain[rx]
           - 10 * n[room] * log10(distance in 3-D, wearing height and storeys included)
           - sum(loss of each wall crossed)        (3-10 dB; 10-20 dB for structure)
           - floor loss                            (15-20 dB per slab, receivers one floor away)
           - body loss                             (5-15 dB when the body is between)
           - shadowing                             (log-normal, 4-8 dB: a part fixed in
                                                    space, a part correlated over seconds)
           - multipath                             (2 dB per packet)

then rounded to whole dBm as receivers report it, lost below the receiver's
sensitivity, lost at random (10 to 40 % per receiver, more near the
sensitivity), and never heard while the receiver is in one of its outages
(a few minutes, now and then).

None of these constants is imported from or by the estimator.
"""

from __future__ import annotations

import itertools
import math
import zlib
from dataclasses import dataclass, field

import numpy as np
from shapely import STRtree, linestrings, unary_union
from shapely.geometry import LineString, Point

from floorplans import Venue


@dataclass(frozen=True, slots=True)
class Conditions:
    """The ranges each parameter is drawn from (uniform unless said otherwise)."""

    #: Mean RSSI at 1 m from a nominal wristband, dBm.
    p1m_dbm: float = -62.0
    #: Transmit power spread between wristbands (standard deviation, dB).
    tx_sd_db: float = 2.5
    #: Receiver gain spread (standard deviation, dB; clipped to 2.5 sd).
    gain_sd_db: float = 3.5
    #: Path-loss exponent in corridors and halls (waveguide effect) and in rooms.
    n_open: tuple[float, float] = (1.6, 2.2)
    n_room: tuple[float, float] = (2.2, 3.5)
    #: Log-normal shadowing standard deviation, per receiver, dB.
    shadow_sd_db: tuple[float, float] = (4.0, 8.0)
    #: Share of the shadowing variance fixed in space (the rest varies in time).
    shadow_spatial_share: float = 0.5
    #: Correlation time of the time-varying part, seconds.
    shadow_corr_s: tuple[float, float] = (2.0, 6.0)
    #: Spatial correlation length of the fixed part, metres.
    shadow_corr_m: tuple[float, float] = (2.0, 6.0)
    multipath_sd_db: float = 2.0
    #: Body loss when the body is squarely between wristband and receiver, per wristband.
    body_db: tuple[float, float] = (5.0, 15.0)
    #: Loss per wall crossed: partitions, and structure (outer walls, shafts).
    wall_db: tuple[float, float] = (3.0, 10.0)
    structure_db: tuple[float, float] = (10.0, 20.0)
    #: Loss through one floor slab, per slab.
    floor_db: tuple[float, float] = (15.0, 20.0)
    storey_m: float = 4.0
    #: Wristband height: walking or sitting, and lying on a bed.
    wear_m: tuple[float, float] = (0.8, 1.5)
    wear_bed_m: tuple[float, float] = (0.6, 0.9)
    #: Share of advertisements a receiver misses, per receiver.
    packet_loss: tuple[float, float] = (0.10, 0.40)
    sensitivity_dbm: float = -97.0
    #: Outages: a receiver goes silent this often (per hour) for this long (s).
    outages_per_hour: float = 0.25
    outage_s: tuple[float, float] = (120.0, 600.0)
    range_m: float = 30.0


@dataclass(slots=True)
class _Band:
    tx_offset: float
    wear_m: float
    left_wrist: bool
    body_db: float
    #: Time-varying shadowing per receiver: last time drawn (NaN: never) and value.
    shadow_t: np.ndarray = field(default_factory=lambda: np.empty(0))
    shadow_v: np.ndarray = field(default_factory=lambda: np.empty(0))


def _seed(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


class RealisticRadio:
    """What the receivers hear from a wristband, under :class:`Conditions`."""

    def __init__(self, venue: Venue, *, seed: int = 1, conditions: Conditions | None = None) -> None:
        self.venue = venue
        self.c = c = conditions or Conditions()
        self.seed = seed
        rng = np.random.default_rng(_seed("radio", seed))
        levels = venue.levels
        rx = [r for r in venue.receivers.values() if r.level_id in levels]
        self.rx_ids = [r.id for r in rx]
        self.rx_ord = np.array([levels[r.level_id].ordinal for r in rx])
        self.rx_xy = np.array([(r.geometry.x, r.geometry.y) for r in rx]).reshape(-1, 2)
        self.rx_z = np.array([r.z if r.z is not None else 2.5 for r in rx])
        k = len(rx)
        self.gain = np.clip(rng.normal(0.0, c.gain_sd_db, k), -2.5 * c.gain_sd_db, 2.5 * c.gain_sd_db)
        self.loss = rng.uniform(*c.packet_loss, k)
        self.shadow_sd = rng.uniform(*c.shadow_sd_db, k)
        self.shadow_tau = rng.uniform(*c.shadow_corr_s, k)
        # The fixed part of the shadowing: a smooth random field per receiver (a sum of
        # cosines with random directions and wavelengths: unit variance).
        waves = 8
        lengths = rng.uniform(*c.shadow_corr_m, (k, waves)) * 2.0
        angles = rng.uniform(0.0, 2 * math.pi, (k, waves))
        self.field_k = (
            np.stack([np.cos(angles), np.sin(angles)], axis=-1) * (2 * math.pi / lengths)[..., None]
        )
        self.field_phase = rng.uniform(0.0, 2 * math.pi, (k, waves))
        self.outages: dict[int, list[tuple[float, float]]] = {}
        self.floor_db: dict[tuple[int, int], float] = {}
        ordinals = sorted({lv.ordinal for lv in levels.values()})
        for a, b in itertools.pairwise(ordinals):
            self.floor_db[(a, b)] = float(rng.uniform(*c.floor_db))
        # Rooms: a path-loss exponent each; corridors and halls lower.
        self.units_by_ord: dict[int, tuple[STRtree, list[float], list[object]]] = {}
        per_ord: dict[int, list[tuple[object, float]]] = {}
        for u in venue.units.values():
            if u.level_id not in levels:
                continue
            open_space = u.category.startswith(("walkway", "lobby", "footbridge", "waitingroom"))
            n = float(rng.uniform(*(c.n_open if open_space else c.n_room)))
            per_ord.setdefault(levels[u.level_id].ordinal, []).append((u.geometry, n))
        for o, items in per_ord.items():
            geoms = [g for g, _ in items]
            self.units_by_ord[o] = (STRtree(geoms), [n for _, n in items], geoms)  # type: ignore[arg-type]
        # Walls: every unit outline on a floor, noded so that a wall shared by two rooms
        # counts once; structure (the floor's outline, structure units) is heavier.
        self.walls: dict[int, tuple[STRtree, np.ndarray]] = {}
        for o in per_ord:
            outlines = [
                u.geometry.boundary
                for u in venue.units.values()
                if u.level_id in levels and levels[u.level_id].ordinal == o
            ]
            heavy_zone = unary_union(
                [
                    lv.geometry.boundary.buffer(0.05)
                    for lv in levels.values()
                    if lv.ordinal == o and lv.geometry is not None
                ]
                + [
                    u.geometry.buffer(0.05)
                    for u in venue.units.values()
                    if u.level_id in levels
                    and levels[u.level_id].ordinal == o
                    and u.category in ("structure", "elevator", "stairs")
                ]
            )
            merged = unary_union(outlines)
            segments: list[LineString] = []
            for line in getattr(merged, "geoms", [merged]):
                coords = list(line.coords)
                segments += [LineString(pair) for pair in itertools.pairwise(coords)]
            losses = np.array(
                [
                    float(
                        np.random.default_rng(
                            _seed("wall", seed, o, round(s.centroid.x, 1), round(s.centroid.y, 1))
                        ).uniform(*(c.structure_db if heavy_zone.contains(s) else c.wall_db))
                    )
                    for s in segments
                ]
            )
            self.walls[o] = (STRtree(segments), losses)
        self.bands: dict[str, _Band] = {}
        self._walls_cache: dict[tuple[int, int, int], tuple[np.ndarray, float]] = {}

    # -- per wristband ------------------------------------------------------------------------

    def band(self, tag: str) -> _Band:
        b = self.bands.get(tag)
        if b is None:
            rng = np.random.default_rng(_seed("band", self.seed, tag))
            b = _Band(
                tx_offset=float(rng.normal(0.0, self.c.tx_sd_db)),
                wear_m=float(rng.uniform(*self.c.wear_m)),
                left_wrist=bool(rng.random() < 0.5),
                body_db=float(rng.uniform(*self.c.body_db)),
            )
            b.shadow_t = np.full(len(self.rx_ids), np.nan)
            b.shadow_v = np.zeros(len(self.rx_ids))
            self.bands[tag] = b
        return b

    def working(self, t: float) -> list[str]:
        """The receivers not in an outage at *t* (they send their signs of life)."""
        return [rx for i, rx in enumerate(self.rx_ids) if not self._silent(i, t)]

    def _silent(self, i: int, t: float) -> bool:
        spans = self.outages.get(i)
        if spans is None:
            rng = np.random.default_rng(_seed("outage", self.seed, self.rx_ids[i]))
            spans = []
            clock = 0.0
            horizon = 48 * 3600.0
            rate = self.c.outages_per_hour / 3600.0
            while rate > 0 and clock < horizon:
                clock += float(rng.exponential(1.0 / rate))
                length = float(rng.uniform(*self.c.outage_s))
                spans.append((clock, clock + length))
                clock += length
            self.outages[i] = spans
        return any(a <= t < b for a, b in spans)

    def _exponent(self, ordinal: int, x: float, y: float) -> float:
        entry = self.units_by_ord.get(ordinal)
        if entry is None:
            return 2.0
        tree, ns, geoms = entry
        hits = tree.query(Point(x, y), predicate="intersects")
        if len(hits) == 0:
            return 2.0
        best = min(hits, key=lambda i: geoms[i].area)  # type: ignore[attr-defined]
        return ns[int(best)]

    def _cell(self, ordinal: int, x: float, y: float) -> tuple[np.ndarray, float]:
        """Loss through the walls from a 25 cm cell to every receiver in range, and the
        cell's path-loss exponent (cached: patients walk the same corridors and stay in
        the same rooms)."""
        key = (ordinal, round(x * 4), round(y * 4))
        cached = self._walls_cache.get(key)
        if cached is not None:
            return cached
        out = np.zeros(len(self.rx_ids))
        walls = self.walls.get(ordinal)
        cx, cy = key[1] / 4.0, key[2] / 4.0
        if walls is not None:
            tree, losses = walls
            dh = np.hypot(self.rx_xy[:, 0] - cx, self.rx_xy[:, 1] - cy)
            idx = np.flatnonzero(dh <= self.c.range_m + 1.0)
            if len(idx):
                segs = linestrings([[[cx, cy], [self.rx_xy[i, 0] + 1e-6, self.rx_xy[i, 1]]] for i in idx])
                link, wall = tree.query(segs, predicate="crosses")
                if len(link):
                    out[idx] = np.minimum(np.bincount(link, weights=losses[wall], minlength=len(idx)), 60.0)
        if len(self._walls_cache) > 200_000:
            self._walls_cache.clear()
        self._walls_cache[key] = entry = (out, self._exponent(ordinal, cx, cy))
        return entry

    # -- readings -----------------------------------------------------------------------------

    def hear(
        self,
        tag: str,
        t: float,
        ordinal: int,
        x: float,
        y: float,
        heading: float,
        *,
        on_bed: bool = False,
        rng: np.random.Generator,
    ) -> list[tuple[str, float]]:
        """(receiver, rssi) for one advertisement at time *t* (seconds, any origin) from a
        wristband at (x, y) on a floor, its wearer facing *heading* (radians)."""
        c = self.c
        band = self.band(tag)
        dxy = self.rx_xy - (x, y)
        dh = np.hypot(dxy[:, 0], dxy[:, 1])
        storeys = self.rx_ord - ordinal
        near = np.flatnonzero((np.abs(storeys) <= 1) & (dh <= c.range_m))
        if len(near) == 0:
            return []
        wear = (
            c.wear_bed_m[0]
            + (band.wear_m - c.wear_m[0]) / (c.wear_m[1] - c.wear_m[0]) * (c.wear_bed_m[1] - c.wear_bed_m[0])
            if on_bed
            else band.wear_m
        )
        dz = storeys[near] * c.storey_m + self.rx_z[near] - wear
        d3 = np.maximum(np.hypot(dh[near], dz), 0.3)
        walls, n = self._cell(ordinal, x, y)
        rssi = c.p1m_dbm + band.tx_offset + self.gain[near] - 10.0 * n * np.log10(d3)
        # Walls crossed on the wristband's floor (to the receiver, or to below it).
        rssi -= walls[near]
        for k, s in enumerate(storeys[near]):
            if s:
                pair = (min(ordinal, ordinal + int(s)), max(ordinal, ordinal + int(s)))
                rssi[k] -= self.floor_db.get(pair, c.floor_db[1])
        # Body: the wristband on one wrist, the body on the other side of it.
        bearing = np.arctan2(dxy[near, 1], dxy[near, 0]) - heading
        body_side = -math.pi / 2 if band.left_wrist else math.pi / 2
        blocked = np.maximum(np.cos(bearing - body_side), 0.0) * np.clip(dh[near] / 1.5, 0.0, 1.0)
        rssi -= band.body_db * blocked
        # Shadowing: fixed in space, plus correlated in time.
        phase = np.einsum("kwj,j->kw", self.field_k[near], np.array([x, y])) + self.field_phase[near]
        spatial = np.sqrt(2.0 / phase.shape[1]) * np.cos(phase).sum(axis=1)
        sd = self.shadow_sd[near]
        share = c.shadow_spatial_share
        rssi -= math.sqrt(share) * sd * spatial
        z = rng.standard_normal(len(near))
        gap = t - band.shadow_t[near]
        rho = np.where(
            np.isnan(gap),
            0.0,
            np.exp(-np.clip(np.nan_to_num(gap, nan=0.0), 0.0, None) / self.shadow_tau[near]),
        )
        temporal = rho * band.shadow_v[near] + np.sqrt(1.0 - rho * rho) * z
        band.shadow_t[near] = t
        band.shadow_v[near] = temporal
        rssi -= math.sqrt(1.0 - share) * sd * temporal
        rssi += rng.normal(0.0, c.multipath_sd_db, len(near))
        rssi = np.round(rssi)
        margin = rssi - c.sensitivity_dbm
        loss = self.loss[near]
        lost = loss + (1.0 - loss) * np.clip(1.0 - margin / 6.0, 0.0, 1.0) * 0.8
        kept = np.flatnonzero((margin >= 0) & (rng.random(len(near)) >= lost))
        return [(self.rx_ids[near[k]], float(rssi[k])) for k in kept if not self._silent(int(near[k]), t)]
