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
   decide.

The unit with the highest probability is the zone. Costs: one dense
matrix-vector product per estimate (about 200 units in the demo hospital)
and a few thousand multiply-adds; per wristband a vector of floats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from shapely.geometry import Point

#: Loss per room boundary between a point and a receiver, and per floor slab (dB).
BOUNDARY_DB = 8.0
SLAB_DB = 18.0
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
        # Moves: row-normalised adjacency (to the units a unit opens onto).
        adjacency = np.zeros((k, k))
        for a, b in graph.edges:
            if a in index and b in index:
                adjacency[index[a], index[b]] = adjacency[index[b], index[a]] = 1.0
        degree = adjacency.sum(axis=1, keepdims=True)
        self.moves = np.divide(adjacency, degree, out=np.zeros_like(adjacency), where=degree > 0).T
        # Room boundaries between units of one floor: hops in the room graph (capped at 3).
        same_floor = nx.Graph()
        same_floor.add_nodes_from(self.units)
        same_floor.add_edges_from(
            (a, b)
            for a, b in graph.edges
            if a in index and b in index and self.ordinal[index[a]] == self.ordinal[index[b]]
        )
        hops = dict(nx.all_pairs_shortest_path_length(same_floor, cutoff=3))
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
        rx_p0 = np.array([per_receiver.get(r.id, (p0, n))[0] for r in rx])  # type: ignore[attr-defined]
        rx_n = np.array([per_receiver.get(r.id, (p0, n))[1] for r in rx])  # type: ignore[attr-defined]
        rx_xyz = np.array([(r.x, r.y, r.z) for r in rx]).reshape(-1, 3)  # type: ignore[attr-defined]
        rx_ord = np.array([r.ordinal for r in rx])  # type: ignore[attr-defined]
        # Points spread over each unit; the expected RSSI from each point at each receiver.
        points: list[tuple[float, float]] = []
        owner: list[int] = []
        for i, uid in enumerate(self.units):
            for p in _spread(venue.units[uid].geometry):
                points.append(p)
                owner.append(i)
        pts = np.array(points)
        self.owner = np.array(owner)
        self.n_points = np.bincount(self.owner, minlength=k)
        d_h = np.hypot(pts[:, None, 0] - rx_xyz[None, :, 0], pts[:, None, 1] - rx_xyz[None, :, 1])
        storeys = np.abs(self.ordinal[self.owner][:, None] - rx_ord[None, :])
        d_z = storeys * 4.0 + rx_xyz[None, :, 2] - tag_height
        d3 = np.maximum(np.hypot(d_h, d_z), 0.5)
        hop = np.full((k + 1, k + 1), 3.0)
        hop[k, :] = hop[:, k] = 1.0  # a receiver in no unit: one boundary, say
        for a, row in hops.items():
            for b, h in row.items():
                hop[index[a], index[b]] = min(h, 3)
        rx_col = np.array([index[u] if u is not None else k for u in rx_unit], dtype=int)
        walls = hop[self.owner[:, None], rx_col[None, :]] * (storeys == 0)
        self.expected = (
            rx_p0[None, :] - 10.0 * rx_n[None, :] * np.log10(d3) - BOUNDARY_DB * walls - SLAB_DB * storeys
        )
        self.beliefs: dict[str, RoomBelief] = {}
        # Receivers that should hear a wristband at a point (model above MISSING_DBM):
        # not hearing them at all is evidence too (see update).
        self._near_pt, self._near_rx = np.nonzero(self.expected >= MISSING_DBM)
        self._near_exp = self.expected[self._near_pt, self._near_rx]
        self._topo, self._levels = topo, levels
        self._hop, self._rx_col, self._rx_xyz, self._rx_ord = hop, rx_col, rx_xyz, rx_ord
        self._rx_p0, self._rx_n, self._tag_height = rx_p0, rx_n, tag_height

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
        return row < len(self.units) and int(self._rx_col[j]) == row

    def expected_at(self, ordinal: int, x: float, y: float) -> np.ndarray:
        """What each receiver (in ``rx_index`` order) should hear from a wristband at
        (x, y) on a floor, by this filter's model."""
        row = self.unit_index_at(ordinal, x, y)
        d_h = np.hypot(self._rx_xyz[:, 0] - x, self._rx_xyz[:, 1] - y)
        storeys = np.abs(self._rx_ord - ordinal)
        d3 = np.maximum(np.hypot(d_h, storeys * 4.0 + self._rx_xyz[:, 2] - self._tag_height), 0.5)
        walls = self._hop[row, self._rx_col] * (storeys == 0)
        return np.asarray(
            self._rx_p0 - 10.0 * self._rx_n * np.log10(d3) - BOUNDARY_DB * walls - SLAB_DB * storeys
        )

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
        resid = s[None, :] - self.expected[:, j]
        # One offset per point for all receivers: the wristband's own power, how it is
        # worn, the body (shrunk towards 0: with one receiver heard it explains nothing).
        m = len(cols)
        offset = np.clip(resid.sum(axis=1) / (m + (SIGMA_DB / OFFSET_DB) ** 2), -OFFSET_MAX_DB, OFFSET_MAX_DB)
        r = np.abs(resid - offset[:, None]) / SIGMA_DB
        c = HUBER_DB / SIGMA_DB
        score = (
            -np.where(r <= c, 0.5 * r * r, c * r - 0.5 * c * c).sum(axis=1) - 0.5 * (offset / OFFSET_DB) ** 2
        )
        if live is not None and len(self._near_pt):
            # Not heard by a working receiver that should hear it well: at most as bad as
            # one reading HUBER_DB off (it may be a fade, a body in the way).
            unheard = live.copy()
            unheard[j] = False
            mask = unheard[self._near_rx]
            pts = self._near_pt[mask]
            gap = np.clip((self._near_exp[mask] + offset[pts] - MISSING_DBM) / SIGMA_DB, 0.0, None)
            miss = np.where(gap <= c, 0.5 * gap * gap, c * gap - 0.5 * c * c)
            score -= np.bincount(pts, weights=miss, minlength=len(score))
        # A unit's likelihood: the mean over its points.
        top = score.max()
        per_point = np.exp(TEMPER * (score - top))
        like = np.bincount(self.owner, weights=per_point, minlength=k) / np.maximum(self.n_points, 1)
        p = p * like
        total = p.sum()
        p = p / total if total > 0 else np.full(k, 1.0 / k)
        self.beliefs[tag] = RoomBelief(p, ts)
        best = int(np.argmax(p))
        return self.units[best], float(p[best])

    def forget(self, tag: str) -> None:
        self.beliefs.pop(tag, None)


def _spread(geometry: object, *, most: int = 12) -> list[tuple[float, float]]:
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
