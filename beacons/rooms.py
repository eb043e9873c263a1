"""Which room a wristband is in: a hidden Markov model on the floor plan's room graph.

Positions from multilateration jump through walls: a patient in the unit's
reception, heard a little louder by the recovery room's receiver next door
for ten seconds, is "in recovery". A patient cannot do that: from a room one
goes to the rooms its doors lead to. :class:`RoomFilter` keeps, per
wristband, a probability for every walkable unit of the venue and updates it
at each estimate:

1. **Move**: probability flows from each unit to the units it opens onto
   (doors, open passages, lifts and stairs between floors), at a rate of
   ``move_rate`` per second, shared among the neighbours; a tiny share goes
   anywhere, so that a wrong belief is recovered from.
2. **Hear**: each unit is scored by how well the smoothed signal strengths
   match what its receivers would hear from a few points spread over the
   unit (log-distance path loss, a loss per room boundary between the
   point's unit and the receiver's, a loss per floor slab), a robust
   (Huber) score so that one receiver behind a body or in a fade does not
   decide, with one offset for the wristband (its power, how it is worn),
   bounded; a working receiver that should hear the point well and does
   not hear the wristband counts against it.

The unit with the highest probability is the zone. Costs: a sparse
matrix-vector product (moves) and a few thousand multiply-adds over the
points the loudest receiver can hear, about 0.25 ms an update on the demo
hospital, 0.5 ms on a 12,000-unit one; per wristband a vector of floats.
Figures and why: docs/tracking.md, docs/benchmarks.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree
from shapely.geometry import Point

#: Loss per room boundary between a point and a receiver, and per floor slab (dB).
BOUNDARY_DB = 8.0
SLAB_DB = 18.0
#: Receivers further than this (m, horizontally) or more than one floor away are taken
#: not to hear a point; what the model would say for them is FLOOR_DBM.
HEAR_RANGE_M = 35.0
FLOOR_DBM = -120.0
#: Probability per second of leaving a unit for one it opens onto.
MOVE_RATE = 0.15
#: Share of the probability that may go anywhere at each step (recovers a wrong belief).
ANYWHERE = 1e-4
#: Standard deviation of a smoothed reading around the model (dB), and where the Huber
#: score turns linear.
SIGMA_DB = 6.0
HUBER_DB = 8.0
#: Spread of a wristband's offset from the model (its transmit power, how it is worn, the
#: body in the way), dB.
OFFSET_DB = 4.0
#: ... and at most this much (a floor slab must not pass for a quiet wristband).
OFFSET_MAX_DB = 8.0
#: A working receiver that should hear a wristband louder than this and does not hear it
#: at all counts against the place.
MISSING_DBM = -80.0
#: Below this a receiver hears nothing (BLE receivers' sensitivity is about -95 to
#: -100 dBm). A working receiver *in the room itself* that does not hear the wristband at
#: all says it is not there, by how far above this it should hear it: in a room a few
#: metres across, with no wall between, silence for seconds is not a fade.
SILENT_DBM = -95.0
#: Evidence of one estimate counts this much (successive smoothed readings are not
#: independent).
TEMPER = 0.5


@dataclass(slots=True)
class RoomBelief:
    p: np.ndarray
    ts: float


class RoomFilter:
    """Room probabilities per wristband over the venue's walkable units."""

    def __init__(
        self,
        venue: object,
        receivers: Iterable[object],
        *,
        p0: float = -59.0,
        n: float = 2.2,
        per_receiver: dict[str, tuple[float, float]] | None = None,
        tag_height: float = 1.0,
        move_rate: float = MOVE_RATE,
    ) -> None:
        from floorplans.model import Venue
        from floorplans.topology import topology

        assert isinstance(venue, Venue)
        self.move_rate = move_rate
        topo = topology(venue)
        graph = topo.unit_graph(public_only=False)
        graph.remove_nodes_from([u for u in list(graph) if u not in venue.units])
        levels = venue.levels
        self.units = [u for u in graph if venue.units[u].level_id in levels]
        index = {u: i for i, u in enumerate(self.units)}
        self.index = index
        k = len(self.units)
        self.ordinal = np.array([levels[venue.units[u].level_id].ordinal for u in self.units])
        self.level_ids = [venue.units[u].level_id for u in self.units]
        # Moves: row-normalised adjacency (to the units a unit opens onto), sparse: a
        # hospital has thousands of units, each opening onto a few.
        rows_, cols_ = [], []
        for a, b in graph.edges:
            if a in index and b in index and a != b:
                rows_ += [index[a], index[b]]
                cols_ += [index[b], index[a]]
        adjacency = sparse.csr_matrix((np.ones(len(rows_)), (rows_, cols_)), shape=(k, k))
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
        inverse = sparse.diags(np.divide(1.0, degree, out=np.zeros(k), where=degree > 0))
        self.moves = (inverse @ adjacency).T.tocsr()
        # Room boundaries between units of one floor: hops in the room graph (capped at 3),
        # kept as sorted keys (a * (k + 1) + b) for vectorised look-ups.
        same_floor = nx.Graph()
        same_floor.add_nodes_from(self.units)
        same_floor.add_edges_from(
            (a, b)
            for a, b in graph.edges
            if a in index and b in index and self.ordinal[index[a]] == self.ordinal[index[b]]
        )
        keys, values = [], []
        for a, row in nx.all_pairs_shortest_path_length(same_floor, cutoff=2):
            for b, h in row.items():
                keys.append(index[a] * (k + 1) + index[b])
                values.append(h)
        order = np.argsort(keys)
        self._hop_keys = np.asarray(keys, dtype=np.int64)[order]
        self._hop_values = np.asarray(values, dtype=float)[order]
        # Receivers: position, floor and unit.
        rx = [r for r in receivers if getattr(r, "ordinal", None) is not None]
        self.rx_index = {r.id: j for j, r in enumerate(rx)}  # type: ignore[attr-defined]
        rx_unit = []
        for r in rx:
            uid = r.unit_id if r.unit_id in index else None  # type: ignore[attr-defined]
            if uid is None:
                level_ids = [lv.id for lv in levels.values() if lv.ordinal == r.ordinal]  # type: ignore[attr-defined]
                found = next(
                    (u for lid in level_ids if (u := topo.unit_at(lid, Point(r.x, r.y))) is not None),  # type: ignore[attr-defined]
                    None,
                )
                uid = found.id if found is not None and found.id in index else None
            rx_unit.append(uid)
        per_receiver = per_receiver or {}
        self._topo, self._levels, self._k = topo, levels, k
        self._rx_p0 = np.array([per_receiver.get(r.id, (p0, n))[0] for r in rx])  # type: ignore[attr-defined]
        self._rx_n = np.array([per_receiver.get(r.id, (p0, n))[1] for r in rx])  # type: ignore[attr-defined]
        self._rx_xyz = np.array([(r.x, r.y, r.z) for r in rx], dtype=float).reshape(-1, 3)  # type: ignore[attr-defined,type-var]
        self._rx_ord = np.array([r.ordinal for r in rx], dtype=int)  # type: ignore[attr-defined,type-var]
        self._rx_col = np.array([index[u] if u is not None else k for u in rx_unit], dtype=int)
        self._tag_height = tag_height
        # Points spread over each unit; the expected RSSI from each point at the receivers
        # that can hear it (same floor or one floor away, within HEAR_RANGE_M), sparse.
        points: list[tuple[float, float]] = []
        owner: list[int] = []
        for i, uid in enumerate(self.units):
            for p in _spread(venue.units[uid].geometry):
                points.append(p)
                owner.append(i)
        pts = np.array(points, dtype=float).reshape(-1, 2)
        self.owner = np.array(owner, dtype=int)
        pair_pt: list[np.ndarray] = []
        pair_rx: list[np.ndarray] = []
        if rx:
            tree = cKDTree(self._rx_xyz[:, :2])
            for i, near in enumerate(tree.query_ball_point(pts, HEAR_RANGE_M)):
                near_arr = np.asarray(near, dtype=int)
                near_arr = near_arr[np.abs(self._rx_ord[near_arr] - self.ordinal[self.owner[i]]) <= 1]
                pair_pt.append(np.full(len(near_arr), i, dtype=int))
                pair_rx.append(near_arr)
        pp = np.concatenate(pair_pt) if pair_pt else np.zeros(0, dtype=int)
        pr = np.concatenate(pair_rx) if pair_rx else np.zeros(0, dtype=int)
        values_ = self._model(pts[pp, 0], pts[pp, 1], self.ordinal[self.owner[pp]], self.owner[pp], pr)
        # Stored shifted above FLOOR_DBM so that absent pairs (0) read as "out of range".
        # Per receiver, the points it hears and what it should hear (compressed columns);
        # per point, the receivers that should hear it well (compressed rows). Raw arrays:
        # the update gathers a few slices, scipy's indexing would cost more than the work.
        by_rx = sparse.csc_matrix((values_, (pp, pr)), shape=(len(pts), len(rx)))
        by_rx.sort_indices()  # points in order within each receiver's column (searchsorted)
        self._exp_ptr, self._exp_idx, self._exp_val = by_rx.indptr, by_rx.indices, by_rx.data
        self.beliefs: dict[str, RoomBelief] = {}
        # Receivers that should hear a wristband at a point (model above MISSING_DBM):
        # not hearing them at all is evidence too (see update).
        strong = values_ >= MISSING_DBM
        near = sparse.csr_matrix((values_[strong], (pp[strong], pr[strong])), shape=(len(pts), len(rx)))
        self._near_ptr, self._near_idx, self._near_val = near.indptr, near.indices, near.data

    def _model(
        self, x: np.ndarray, y: np.ndarray, ordinal: np.ndarray, unit: np.ndarray, j: np.ndarray
    ) -> np.ndarray:
        """The model's RSSI from points (x, y, floor, unit index) at receivers *j*."""
        k = self._k
        d_h = np.hypot(x - self._rx_xyz[j, 0], y - self._rx_xyz[j, 1])
        storeys = np.abs(ordinal - self._rx_ord[j])
        d3 = np.maximum(np.hypot(d_h, storeys * 4.0 + self._rx_xyz[j, 2] - self._tag_height), 0.5)
        rx_unit = self._rx_col[j]
        key = unit.astype(np.int64) * (k + 1) + rx_unit
        at = np.minimum(np.searchsorted(self._hop_keys, key), max(len(self._hop_keys) - 1, 0))
        found = (self._hop_keys[at] == key) if len(self._hop_keys) else np.zeros(len(key), dtype=bool)
        hops = np.where(found, self._hop_values[at] if len(self._hop_keys) else 0.0, 3.0)
        hops = np.where((rx_unit == k) | (unit == k), 1.0, hops)  # a receiver in no unit: one boundary
        walls = hops * (storeys == 0)
        return np.asarray(
            self._rx_p0[j] - 10.0 * self._rx_n[j] * np.log10(d3) - BOUNDARY_DB * walls - SLAB_DB * storeys
        )

    def unit_index_at(self, ordinal: int, x: float, y: float) -> int:
        """The index of the unit at (x, y) on a floor (``len(units)`` when in none)."""
        k = len(self.units)
        unit = next(
            (
                u
                for lv in self._levels.values()
                if lv.ordinal == ordinal and (u := self._topo.unit_at(lv.id, Point(x, y))) is not None
            ),
            None,
        )
        return self.index.get(unit.id, k) if unit is not None else k

    def in_room_of(self, j: int, row: int) -> bool:
        """Whether receiver *j* (``rx_index`` order) is in unit *row*."""
        return row < self._k and int(self._rx_col[j]) == row

    def expected_at(self, ordinal: int, x: float, y: float) -> np.ndarray:
        """What each receiver (in ``rx_index`` order) should hear from a wristband at
        (x, y) on a floor, by this filter's model."""
        row = self.unit_index_at(ordinal, x, y)
        j = np.arange(len(self.rx_index))
        n = len(j)
        return self._model(np.full(n, x), np.full(n, y), np.full(n, ordinal), np.full(n, row), j)

    def update(
        self,
        tag: str,
        heard: Sequence[tuple[str, float]],
        ts: float,
        live: np.ndarray | None = None,
    ) -> tuple[str | None, float]:
        """Take the smoothed signal strengths heard now; returns the likeliest unit and its
        probability. *live*: per receiver (``rx_index`` order), whether it is working (it
        hears other wristbands): a working receiver near a point that does not hear this
        wristband counts against the point; a silent one says nothing."""
        cols = [(self.rx_index[rx], value) for rx, value in heard if rx in self.rx_index]
        if not cols:
            return None, 0.0
        k = len(self.units)
        belief = self.beliefs.get(tag)
        if belief is None:
            p = np.full(k, 1.0 / k)
        else:
            p = belief.p
            dt = max(ts - belief.ts, 0.0)
            for _ in range(min(math.ceil(dt), 30)):
                step = min(dt, 1.0)
                dt -= step
                a = 1.0 - math.exp(-self.move_rate * step)
                p = (1.0 - a) * p + a * (self.moves @ p)
            p = (1.0 - ANYWHERE) * p + ANYWHERE / k
        j = np.array([c[0] for c in cols])
        s = np.array([c[1] for c in cols])
        # The wristband is within range of the receiver that hears it loudest: only the
        # points that receiver can hear are scored (the others: likelihood nil).
        loudest = j[int(np.argmax(s))]
        rows = self._exp_idx[self._exp_ptr[loudest] : self._exp_ptr[loudest + 1]]
        at_col, at_point, at_value = _gather(self._exp_ptr, self._exp_idx, self._exp_val, j)
        keep = np.isin(at_point, rows)
        at_col, at_point, at_value = at_col[keep], at_point[keep], at_value[keep]
        local = np.searchsorted(rows, at_point)
        if len(rows) == 0:
            return self._keep(tag, p, ts)
        expected = np.full((len(rows), len(cols)), FLOOR_DBM)
        expected[local, at_col] = at_value
        resid = s[None, :] - expected
        # One offset per point for all receivers: the wristband's own power, how it is
        # worn, the body (shrunk towards 0: with one receiver heard it explains nothing).
        m = len(cols)
        offset = np.clip(resid.sum(axis=1) / (m + (SIGMA_DB / OFFSET_DB) ** 2), -OFFSET_MAX_DB, OFFSET_MAX_DB)
        r = np.abs(resid - offset[:, None]) / SIGMA_DB
        c = HUBER_DB / SIGMA_DB
        score = (
            -np.where(r <= c, 0.5 * r * r, c * r - 0.5 * c * c).sum(axis=1) - 0.5 * (offset / OFFSET_DB) ** 2
        )
        if live is not None:
            # Not heard by a working receiver that should hear it well: at most as bad as
            # one reading HUBER_DB off (it may be a fade, a body in the way); by the
            # room's own receiver: measured from SILENT_DBM (seconds of silence a few
            # metres away, no wall between, is no fade).
            near_row, near_rx, near_exp = _gather(self._near_ptr, self._near_idx, self._near_val, rows)
            unheard = live.copy()
            unheard[j] = False
            mask = unheard[near_rx]
            at = near_row[mask]
            own = self._rx_col[near_rx[mask]] == self.owner[rows[at]]
            floor = np.where(own, SILENT_DBM, MISSING_DBM)
            gap = np.clip((near_exp[mask] + offset[at] - floor) / SIGMA_DB, 0.0, None)
            miss = np.where(gap <= c, 0.5 * gap * gap, c * gap - 0.5 * c * c)
            score -= np.bincount(at, weights=miss, minlength=len(score))
        # A unit's likelihood: that of its best-fitting point. (The mean over its points
        # would take a patient uniformly anywhere in the unit: a 60 m corridor, whose
        # points near the patient are one or two of nine, loses to the room beside it.)
        top = score.max()
        per_point = np.exp(TEMPER * (score - top))
        like = np.zeros(k)
        np.maximum.at(like, self.owner[rows], per_point)
        p = p * like
        total = p.sum()
        # Nothing the belief allowed fits: start again from what is heard.
        fresh = like / like.sum() if like.sum() > 0 else np.full(k, 1.0 / k)
        p = p / total if total > 0 else fresh
        return self._keep(tag, p, ts)

    def _keep(self, tag: str, p: np.ndarray, ts: float) -> tuple[str | None, float]:
        self.beliefs[tag] = RoomBelief(p, ts)
        best = int(np.argmax(p))
        return self.units[best], float(p[best])

    def forget(self, tag: str) -> None:
        self.beliefs.pop(tag, None)


def _gather(
    ptr: np.ndarray, idx: np.ndarray, val: np.ndarray, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of compressed rows (or columns) *which*: (position in *which*, index,
    value), without building a scipy matrix."""
    starts = ptr[which]
    lengths = ptr[which + 1] - starts
    owner = np.repeat(np.arange(len(which)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    at = starts[owner] + offsets
    return owner, idx[at], val[at]


def _spread(geometry: object, *, most: int = 8) -> list[tuple[float, float]]:
    """A few points spread over a unit (a grid inside it, at least its inner point)."""
    from shapely.geometry.base import BaseGeometry

    assert isinstance(geometry, BaseGeometry)
    inner = geometry.representative_point()
    area = geometry.area
    out = [(inner.x, inner.y)]
    if area < 6.0:
        return out
    step = max(1.5, math.sqrt(area / most))
    minx, miny, maxx, maxy = geometry.bounds
    shrunk = geometry.buffer(-0.3)
    xs = np.arange(minx + step / 2, maxx, step)
    ys = np.arange(miny + step / 2, maxy, step)
    for x in xs:
        for y in ys:
            if shrunk.contains(Point(x, y)):
                out.append((float(x), float(y)))
    if len(out) > most + 1:
        picks = np.linspace(1, len(out) - 1, most).astype(int)
        out = [out[0]] + [out[i] for i in picks]
    return out
