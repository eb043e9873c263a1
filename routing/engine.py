"""Fast exact shortest paths with closures: a two-level overlay (cells and portals).

The walk graph is cut into *cells*, one per level feature (a floor of a
building). Nodes with an edge leaving their cell are *portals* (lift and
stairs stops, doors between buildings). For each metric (profile and pace),
customisation runs, per cell, one Dijkstra from each portal inside the cell
(scipy, compiled); the portal-to-portal distances become the edges of a small
overlay graph, together with the edges between cells. This is the idea of
Customizable Route Planning (Delling et al., 2011), on one level.

A query runs a Dijkstra inside the origin's cell, one (reversed) inside the
destination's cell, then one on the overlay with the two attached: a few
thousand nodes instead of the whole venue. Paths are exact: the same cost as a
plain Dijkstra on the whole graph (tested). A closure set
gets its own metric, derived from the open one by re-customising only the
cells it touches; no graph is rebuilt and nothing shared is modified, so that
concurrent queries with different closures never disturb each other.
Memory is linear in nodes times portals per cell, never all pairs.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.graph import WalkGraph
from routing.profiles import DOOR_S, RAMP_FACTOR, STEPS_FACTOR, WALK_SPEED, Profile

#: Weight standing for "no way": finite, so that matrices keep their shape.
BIG = 1e12
UNREACHABLE = BIG / 2
#: Closure sets whose metrics are kept per overlay (per profile and pace).
CLOSED_METRICS = 64


def edge_seconds(
    g: WalkGraph, arrays: dict[str, NDArray[Any]], profile: Profile, speed: float
) -> NDArray[np.float64]:
    """Seconds per edge for a profile and walking speed (BIG where not allowed)."""
    length = arrays["length"].astype(np.float64)
    fixed = arrays["fixed_s"].astype(np.float64)
    kinds = np.asarray(g.kind)
    factor = np.ones(len(kinds))
    factor[kinds == "ramp"] = RAMP_FACTOR
    factor[kinds == "steps"] = STEPS_FACTOR
    w = length / (speed * factor)
    w[kinds == "door"] += DOOR_S
    vertical = np.isin(kinds, ("elevator", "stairs", "escalator", "ramp-link"))
    pace = WALK_SPEED / speed
    w[vertical] = fixed[vertical] * np.where(kinds[vertical] == "elevator", 1.0, pace)
    steps = arrays["steps"].astype(bool) | np.isin(kinds, ("stairs", "escalator"))
    if not profile.steps_allowed:
        w[steps] = BIG
    elif profile.steps_penalty_s:
        w[steps & vertical] += profile.steps_penalty_s
    if not profile.restricted_allowed:
        w[arrays["restricted"].astype(bool)] = BIG
    return np.maximum(w, 1e-6)


@dataclass(slots=True)
class Cell:
    nodes: NDArray[np.int64]  # global node ids
    edges: NDArray[np.int64]  # global edge ids of internal edges, in CSR data order
    portals: NDArray[np.int64]  # local indices of portals
    csr: csr_matrix
    csr_t: csr_matrix
    data_pos: NDArray[np.int64]  # for each internal edge: its position in csr.data
    data_pos_t: NDArray[np.int64]
    dist: NDArray[np.float64] | None = None  # portals x cell nodes
    pred: NDArray[np.int32] | None = None


@dataclass(slots=True)
class Metric:
    weights: NDArray[np.float64]
    cells: list[Cell]
    overlay: csr_matrix
    #: overlay CSR data positions of each cut edge, and of each cell's portal pairs.
    cut_pos: NDArray[np.int64]
    clique_pos: list[NDArray[np.int64]] = field(default_factory=list)
    source_pos: NDArray[np.int64] | None = None  # S -> every portal
    target_pos: NDArray[np.int64] | None = None  # every portal -> T


class Overlay:
    """Cells, portals and per-metric customisations of one walk graph.

    Safe to share between threads: the structure never changes after
    construction, a :class:`Metric` never changes once built (a closure set
    gets metrics of its own, derived from the open one), and a query writes
    only to buffers of its own.
    """

    def __init__(self, g: WalkGraph) -> None:
        self.g = g
        self.arrays = g.arrays()
        n = len(g.nodes)
        cell_of_level: dict[str, int] = {}
        self.cell_of = np.empty(n, dtype=np.int64)
        for i, node in enumerate(g.nodes):
            self.cell_of[i] = cell_of_level.setdefault(node.level_id, len(cell_of_level))
        self.n_cells = len(cell_of_level)
        src, dst = self.arrays["src"], self.arrays["dst"]
        internal = self.cell_of[src] == self.cell_of[dst]
        self.cut_edges = np.flatnonzero(~internal)
        portal_mask = np.zeros(n, dtype=bool)
        portal_mask[src[self.cut_edges]] = True
        portal_mask[dst[self.cut_edges]] = True
        self.local = np.empty(n, dtype=np.int64)
        self.cell_nodes: list[NDArray[np.int64]] = []
        self.cell_edges: list[NDArray[np.int64]] = []
        order = np.argsort(self.cell_of, kind="stable")
        bounds = np.searchsorted(self.cell_of[order], np.arange(self.n_cells + 1))
        for c in range(self.n_cells):
            nodes = order[bounds[c] : bounds[c + 1]]
            self.local[nodes] = np.arange(len(nodes))
            self.cell_nodes.append(nodes)
        internal_ids = np.flatnonzero(internal)
        e_order = internal_ids[np.argsort(self.cell_of[src[internal_ids]], kind="stable")]
        e_bounds = np.searchsorted(self.cell_of[src[e_order]], np.arange(self.n_cells + 1))
        for c in range(self.n_cells):
            self.cell_edges.append(e_order[e_bounds[c] : e_bounds[c + 1]])
        # Overlay node numbering: portals 0..P-1, then S = P, T = P + 1.
        self.portals = np.flatnonzero(portal_mask)
        self.overlay_id = np.full(n, -1, dtype=np.int64)
        self.overlay_id[self.portals] = np.arange(len(self.portals))
        self.cell_portals = [nodes[portal_mask[nodes]] for nodes in self.cell_nodes]
        #: Metrics without closures, per (profile, speed).
        self.metrics: dict[tuple[str, float], Metric] = {}
        #: Metrics of closure sets, per (profile, speed, closed edges); least recently used first.
        self._closed_metrics: OrderedDict[tuple[str, float, frozenset[int]], Metric] = OrderedDict()
        self._lock = threading.Lock()

    # -- customisation -----------------------------------------------------------------------

    def metric(self, profile: Profile, speed: float, closed: frozenset[int] = frozenset()) -> Metric:
        """The customisation of a profile and pace with the edges in *closed* unusable.

        Built once and kept (closure sets: the last :data:`CLOSED_METRICS` used);
        never modified afterwards, so that any number of threads may query it.
        """
        key = (profile.name, speed)
        base = self.metrics.get(key)
        if base is None:
            with self._lock:
                base = self.metrics.get(key)
                if base is None:
                    base = self._customise(edge_seconds(self.g, self.arrays, profile, speed))
                    self.metrics[key] = base
        if not closed:
            return base
        ckey = (profile.name, speed, closed)
        with self._lock:
            hit = self._closed_metrics.get(ckey)
            if hit is not None:
                self._closed_metrics.move_to_end(ckey)
                return hit
            made = self._with_closed(base, closed)
            self._closed_metrics[ckey] = made
            while len(self._closed_metrics) > CLOSED_METRICS:
                self._closed_metrics.popitem(last=False)
            return made

    def _cell(self, c: int, w: NDArray[np.float64]) -> Cell:
        nodes, edges = self.cell_nodes[c], self.cell_edges[c]
        src, dst = self.arrays["src"], self.arrays["dst"]
        rows, cols = self.local[src[edges]], self.local[dst[edges]]
        m = len(nodes)
        csr, pos = _csr_with_positions(rows, cols, w[edges], m)
        csr_t, pos_t = _csr_with_positions(cols, rows, w[edges], m)
        portals = self.local[self.cell_portals[c]]
        cell = Cell(nodes, edges, portals, csr, csr_t, pos, pos_t)
        self._customise_cell(cell)
        return cell

    @staticmethod
    def _customise_cell(cell: Cell) -> None:
        if len(cell.portals):
            dist, pred = dijkstra(cell.csr, directed=True, indices=cell.portals, return_predecessors=True)
            cell.dist, cell.pred = dist, pred

    def _customise(self, w: NDArray[np.float64]) -> Metric:
        cells = [self._cell(c, w) for c in range(self.n_cells)]
        p = len(self.portals)
        s_node, t_node = p, p + 1
        rows: list[NDArray[np.int64]] = []
        cols: list[NDArray[np.int64]] = []
        vals: list[NDArray[np.float64]] = []
        tags: list[NDArray[np.int64]] = []  # which block each entry comes from
        src, dst = self.arrays["src"], self.arrays["dst"]
        # Cut edges.
        rows.append(self.overlay_id[src[self.cut_edges]])
        cols.append(self.overlay_id[dst[self.cut_edges]])
        vals.append(w[self.cut_edges])
        tags.append(np.zeros(len(self.cut_edges), dtype=np.int64))
        # Cliques.
        for c, cell in enumerate(cells):
            k = len(cell.portals)
            if k < 2 or cell.dist is None:
                continue
            a, b = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
            off = a != b
            ga = self.cell_portals[c][a[off]]
            gb = self.cell_portals[c][b[off]]
            rows.append(self.overlay_id[ga])
            cols.append(self.overlay_id[gb])
            d = cell.dist[a[off], cell.portals[b[off]]]
            vals.append(np.where(np.isfinite(d), d, BIG))
            tags.append(np.full(len(ga), c + 1, dtype=np.int64))
        # Source and target attachments, values set per query.
        rows.append(np.full(p, s_node))
        cols.append(np.arange(p))
        vals.append(np.full(p, BIG))
        tags.append(np.full(p, -1, dtype=np.int64))
        rows.append(np.arange(p))
        cols.append(np.full(p, t_node))
        vals.append(np.full(p, BIG))
        tags.append(np.full(p, -2, dtype=np.int64))
        r, cc, t = (np.concatenate(x) for x in (rows, cols, tags))
        v = np.concatenate(vals)
        overlay, pos = _csr_with_positions(r, cc, v, p + 2)
        metric = Metric(w, cells, overlay, pos[t == 0])
        metric.clique_pos = [pos[t == c + 1] for c in range(self.n_cells)]
        metric.source_pos = pos[t == -1]
        metric.target_pos = pos[t == -2]
        return metric

    def _with_closed(self, base: Metric, closed: frozenset[int]) -> Metric:
        """A new metric: *base* with the edges in *closed* unusable; *base* is left as it was.

        Only the cells the closed edges touch are customised again; the others are shared.
        """
        idx = np.fromiter(closed, dtype=np.int64)
        w = base.weights.copy()
        w[idx] = BIG
        cells = list(base.cells)
        data = base.overlay.data.copy()
        for c in {int(c) for c in self.cell_of[self.arrays["src"][idx]]}:
            old = cells[c]
            cell = Cell(
                old.nodes,
                old.edges,
                old.portals,
                old.csr.copy(),
                old.csr_t.copy(),
                old.data_pos,
                old.data_pos_t,
            )
            cell.csr.data[cell.data_pos] = w[cell.edges]
            cell.csr_t.data[cell.data_pos_t] = w[cell.edges]
            self._customise_cell(cell)
            cells[c] = cell
            k = len(cell.portals)
            if k < 2 or cell.dist is None:
                continue
            a, b = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
            off = a != b
            d = cell.dist[a[off], cell.portals[b[off]]]
            data[base.clique_pos[c]] = np.where(np.isfinite(d), d, BIG)
        data[base.cut_pos] = w[self.cut_edges]
        overlay = _csr_sharing_structure(base.overlay, data)
        return Metric(w, cells, overlay, base.cut_pos, base.clique_pos, base.source_pos, base.target_pos)

    # -- queries -----------------------------------------------------------------------------

    def shortest_path(
        self, s: int, t: int, profile: Profile, speed: float, closed: frozenset[int] = frozenset()
    ) -> tuple[float, list[int]]:
        """(seconds, node path) from node *s* to node *t*, avoiding the edges in *closed*;
        (inf, []) when there is none."""
        if s == t:
            return 0.0, [s]
        metric = self.metric(profile, speed, closed)
        cs, ct = int(self.cell_of[s]), int(self.cell_of[t])
        cell_s, cell_t = metric.cells[cs], metric.cells[ct]
        ds, ps = dijkstra(cell_s.csr, directed=True, indices=int(self.local[s]), return_predecessors=True)
        dt, pt = dijkstra(cell_t.csr_t, directed=True, indices=int(self.local[t]), return_predecessors=True)
        best = ds[self.local[t]] if cs == ct else np.inf
        p = len(self.portals)
        assert metric.source_pos is not None and metric.target_pos is not None
        sp, tp = self.cell_portals[cs], self.cell_portals[ct]
        if len(sp) and len(tp):
            src_vals = np.full(p, BIG)
            tgt_vals = np.full(p, BIG)
            src_vals[self.overlay_id[sp]] = np.where(np.isfinite(ds[self.local[sp]]), ds[self.local[sp]], BIG)
            tgt_vals[self.overlay_id[tp]] = np.where(np.isfinite(dt[self.local[tp]]), dt[self.local[tp]], BIG)
            # This query's own copy of the overlay weights: the metric is shared.
            data = metric.overlay.data.copy()
            data[metric.source_pos] = src_vals
            data[metric.target_pos] = tgt_vals
            graph = _csr_sharing_structure(metric.overlay, data)
            od, op = dijkstra(graph, directed=True, indices=p, return_predecessors=True)
            via_overlay = od[p + 1]
        else:
            via_overlay = np.inf
        if min(best, via_overlay) >= UNREACHABLE:
            return float("inf"), []
        if best <= via_overlay:
            return float(best), self._unwind(cell_s, ps, int(self.local[t]))
        # Overlay path S, p1, ..., pk, T.
        chain = []
        node = int(op[p + 1])
        while node != p:
            chain.append(node)
            node = int(op[node])
        chain.reverse()
        portals = [int(self.portals[i]) for i in chain]
        path = self._unwind(cell_s, ps, int(self.local[portals[0]]))
        for a, b in itertools.pairwise(portals):
            ca, cb = int(self.cell_of[a]), int(self.cell_of[b])
            if ca != cb:
                path.append(b)
                continue
            cell = metric.cells[ca]
            row = int(np.flatnonzero(cell.nodes[cell.portals] == a)[0])
            assert cell.pred is not None
            seg = _unwind_pred(cell.pred[row], int(self.local[b]))
            path += [int(cell.nodes[i]) for i in seg[1:]]
        # From the last portal to t, following the reversed tree.
        node = int(self.local[portals[-1]])
        while node != self.local[t]:
            node = int(pt[node])
            path.append(int(cell_t.nodes[node]))
        return float(via_overlay), path

    def nearest(
        self,
        s: int,
        targets: list[int],
        profile: Profile,
        speed: float,
        closed: frozenset[int] = frozenset(),
    ) -> tuple[float, int | None]:
        """The target reached soonest from node *s*: (seconds, node), (inf, None) if none."""
        if not targets:
            return (float("inf"), None)
        costs = self.times(s, targets, profile, speed, closed)
        i = int(np.argmin(costs))
        return (float(costs[i]), targets[i]) if np.isfinite(costs[i]) else (float("inf"), None)

    def times(
        self,
        s: int,
        targets: list[int],
        profile: Profile,
        speed: float,
        closed: frozenset[int] = frozenset(),
    ) -> NDArray[np.float64]:
        """Seconds from node *s* to each of *targets* (inf where none reaches it).

        One search for them all (the nearest of 500 lifts): Dijkstra in the origin's
        cell, then on the overlay to every portal; each target adds the shortest of its
        cell's portal-to-node distances, already known from the customisation."""
        metric = self.metric(profile, speed, closed)
        cs = int(self.cell_of[s])
        ds = dijkstra(metric.cells[cs].csr, directed=True, indices=int(self.local[s]))
        p = len(self.portals)
        od = np.full(p, np.inf)
        sp = self.cell_portals[cs]
        if len(sp):
            assert metric.source_pos is not None
            src_vals = np.full(p, BIG)
            src_vals[self.overlay_id[sp]] = np.where(np.isfinite(ds[self.local[sp]]), ds[self.local[sp]], BIG)
            data = metric.overlay.data.copy()  # this query's own copy: the metric is shared
            data[metric.source_pos] = src_vals
            od = dijkstra(_csr_sharing_structure(metric.overlay, data), directed=True, indices=p)[:p]
        out = np.full(len(targets), np.inf)
        for i, t in enumerate(targets):
            ct, lt = int(self.cell_of[t]), int(self.local[t])
            cost = float(ds[lt]) if ct == cs else float("inf")
            cell = metric.cells[ct]
            if cell.dist is not None and len(cell.portals):
                cost = min(cost, float(np.min(od[self.overlay_id[self.cell_portals[ct]]] + cell.dist[:, lt])))
            out[i] = cost if cost < UNREACHABLE else np.inf
        return out

    @staticmethod
    def _unwind(cell: Cell, pred: NDArray[np.int32], target_local: int) -> list[int]:
        return [int(cell.nodes[i]) for i in _unwind_pred(pred, target_local)]


def _csr_sharing_structure(mat: csr_matrix, data: NDArray[np.float64]) -> csr_matrix:
    """A CSR matrix with *mat*'s rows and columns and other values (no copy of the structure)."""
    out = csr_matrix((data, mat.indices, mat.indptr), shape=mat.shape, copy=False)
    out.has_canonical_format = False
    return out


def _unwind_pred(pred: NDArray[np.int32], target: int) -> list[int]:
    out = [target]
    node = target
    while pred[node] >= 0:
        node = int(pred[node])
        out.append(node)
    out.reverse()
    return out


def _csr_with_positions(
    rows: NDArray[np.int64], cols: NDArray[np.int64], vals: NDArray[np.float64], n: int
) -> tuple[csr_matrix, NDArray[np.int64]]:
    """A CSR matrix and, for each input entry, where its value sits in ``data``.

    Parallel entries (same row and column) are kept apart, so that each edge
    can be updated on its own; Dijkstra takes the cheapest.
    """
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    mat = csr_matrix((vals[order], cols[order], indptr), shape=(n, n))
    mat.has_canonical_format = False
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    return mat, pos
