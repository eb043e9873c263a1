"""The router: places in, a `Route` out, honest when there is none.

>>> router = Router(load_demo_venue())                          # doctest: +SKIP
>>> route = router.route("Borne du hall d'accueil", "radio", profile="step_free")
>>> [s.screen for s in route.steps("en")]
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from floorplans import Venue
from floorplans.model import Label, label_text
from routing.engine import Overlay, edge_seconds
from routing.graph import VERTICAL_KINDS, WalkGraph, build_walk_graph
from routing.instructions import Maneuver, Step, build_maneuvers, render_step
from routing.language import catalogue
from routing.places import AmbiguousPlace, Place, PlaceIndex, PlaceNotFound
from routing.profiles import PROFILES, SLOW_SPEED, WALK_SPEED, Profile, get_profile

#: Amenities that are a way between floors, not somewhere to go.
VERTICAL_AMENITIES = frozenset({"elevator", "stairs", "escalator", "ramp"})
#: Amenity categories and unit categories worth naming as landmarks.
NOTABLE_UNITS = ("foodservice", "lobby", "waitingroom", "lounge")


class ClosureLike(Protocol):
    """What the router needs of a closure (``floorplans.store.Closure`` has it)."""

    @property
    def feature_id(self) -> str: ...
    @property
    def feature_name(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def reopened_at(self) -> datetime | None: ...


class NoRoute(Exception):  # noqa: N818 - reads as what happened
    """No way for this profile; the message says why, in the asked language."""

    def __init__(self, message: str, *, reason: str, closures: list[ClosureLike] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.closures = closures or []


@dataclass(slots=True)
class Leg:
    level_id: str
    ordinal: int
    level_name: Label
    points: list[tuple[float, float]]
    wgs84: list[tuple[float, float]]
    distance_m: float


@dataclass(slots=True)
class Route:
    origin: Place
    destination: Place
    profile: str
    slow: bool
    duration_s: float
    distance_m: float
    legs: list[Leg]
    nodes: list[int]
    edges: list[int]
    maneuvers: list[Maneuver]
    lifts: list[Label] = field(default_factory=list)
    stairs: list[Label] = field(default_factory=list)
    buildings: list[Label] = field(default_factory=list)
    edge_kinds: list[str] = field(default_factory=list)
    #: Closures in force that this route goes round (it would go through them otherwise).
    detours: list[ClosureLike] = field(default_factory=list)
    detour_names: dict[str, Label] = field(default_factory=dict)
    #: The hospital's clock, for the times the route's words give (a closure "until 12:14").
    zone: tzinfo | None = None

    def detour_text(self, lang: str = "fr") -> str:
        """Why the route is not the usual one, in words ("" when it is)."""
        if not self.detours:
            return ""
        cat = catalogue(lang)
        nr = cat.section("no_route")
        parts = "; ".join(
            cat.fill(
                nr["closure"],
                squeeze=True,
                closure_name=label_text(self.detour_names.get(c.feature_id), lang, fallback=c.feature_name),
                until=_clock(c.ends_at, self.zone),
                reason=c.reason,
            )
            for c in self.detours
        )
        return cat.fill(nr["detour"], squeeze=True, closures=parts)

    def step_near(self, ordinal: int, x: float, y: float, *, within_m: float = 15.0) -> int | None:
        """The step (0-based) a visitor standing at (*x*, *y*) on *ordinal* is on: the step whose
        stretch of the route passes nearest, if within *within_m*; else None."""
        from shapely.geometry import LineString, Point

        def along(o: int, px: float, py: float) -> tuple[float, float]:
            best, start = (float("inf"), 0.0), 0.0
            for leg in self.legs:
                if leg.ordinal == o and leg.points:
                    p = Point(px, py)
                    if len(leg.points) > 1:
                        line = LineString(leg.points)
                        d, a = line.distance(p), line.project(p)
                    else:  # a route that ends where it starts
                        d, a = p.distance(Point(leg.points[0])), 0.0
                    if d < best[0]:
                        best = (d, start + a)
                start += leg.distance_m
            return best

        dist, here = along(ordinal, x, y)
        if dist > within_m:
            return None
        at = 0
        for i, m in enumerate(self.maneuvers):
            d, a = along(m.ordinal, m.x, m.y)
            # A step on another floor begins at the far end of its lift or stairs: not yet.
            if d < 1.0 and (a < here - 0.01 or (a <= here + 0.5 and m.ordinal == ordinal)):
                at = i
        return at

    def steps(self, lang: str = "fr") -> list[Step]:
        return [Step(m, render_step(m, lang), render_step(m, lang, speech=True)) for m in self.maneuvers]

    def summary(self, lang: str = "fr") -> str:
        cat = catalogue(lang)
        return str(cat.data["summary"]).format(
            distance=cat.distance(self.distance_m), minutes=max(1, round(self.duration_s / 60))
        )

    def to_dict(self, lang: str = "fr") -> dict[str, Any]:
        return {
            "origin": {"kind": self.origin.kind, "id": self.origin.id, "name": self.origin.label(lang)},
            "destination": {
                "kind": self.destination.kind,
                "id": self.destination.id,
                "name": self.destination.label(lang),
            },
            "profile": self.profile,
            "slow": self.slow,
            "duration_s": round(self.duration_s, 1),
            "distance_m": round(self.distance_m, 1),
            "summary": self.summary(lang),
            "lifts": [label_text(x, lang) for x in self.lifts],
            "stairs": [label_text(x, lang) for x in self.stairs],
            "buildings": [label_text(x, lang) for x in self.buildings],
            "detour": self.detour_text(lang),
            "legs": [
                {
                    "level_id": leg.level_id,
                    "ordinal": leg.ordinal,
                    "level": label_text(leg.level_name, lang),
                    "distance_m": round(leg.distance_m, 1),
                    "points": [[round(x, 2), round(y, 2)] for x, y in leg.points],
                    "wgs84": [[round(x, 7), round(y, 7)] for x, y in leg.wgs84],
                }
                for leg in self.legs
            ],
            "steps": [
                {
                    "type": s.maneuver.type,
                    "screen": s.screen,
                    "speech": s.speech,
                    "distance_m": round(s.maneuver.distance_m, 1),
                    "ordinal": s.maneuver.ordinal,
                }
                for s in self.steps(lang)
            ],
        }


@dataclass(slots=True, frozen=True)
class ClosureEffect:
    """What a closure being prepared would do to one destination for one profile."""

    profile: str
    place: Place
    #: ``unreachable`` (from every entrance and kiosk), ``unreachable-from`` (some), ``longer``.
    kind: str
    #: The entrances and kiosks concerned.
    origins: list[Place]
    #: The longest detour, seconds (``longer`` only).
    extra_s: float | None


class Router:
    """Routes on one venue. Build once per floor plan version; closures apply live.

    Safe to share between threads: a query never changes shared state (the
    engine keeps one immutable metric per closure set), and
    :meth:`set_closures` swaps the closure list in one assignment. For an
    object per closure set, :meth:`with_closures` gives a sibling that shares
    the graph, search index and metrics.
    """

    def __init__(
        self,
        venue: Venue,
        *,
        closures: Iterable[ClosureLike] = (),
        zone: tzinfo | None = None,
        stairs_penalty_s: float | None = None,
    ) -> None:
        self.venue = venue
        #: The profiles this router walks; *stairs_penalty_s* sets the default walker's
        #: trade-off between stairs and a lift (none when None: the quickest way).
        self.profiles = dict(PROFILES)
        if stairs_penalty_s is not None:
            self.profiles["default"] = Profile("default", steps_penalty_s=float(stairs_penalty_s))
        #: The hospital's time zone, for the times said to visitors (the machine's when None).
        self.zone = zone
        self.walk: WalkGraph = build_walk_graph(venue)
        self.overlay = Overlay(self.walk)
        self.places = PlaceIndex(venue, self.walk)
        pairs: dict[tuple[int, int], list[int]] = defaultdict(list)
        for e, (a, b) in enumerate(zip(self.walk.src, self.walk.dst, strict=True)):
            pairs[(a, b)].append(e)
        self._pairs: dict[tuple[int, int], list[int]] = dict(pairs)
        self._closures: tuple[ClosureLike, ...] = tuple(closures)
        self._graph: nx.DiGraph | None = None
        self._doors = self._door_index()

    # -- graphs for inspection ------------------------------------------------------------------

    @property
    def graph(self) -> nx.DiGraph:
        """The whole walk graph: nodes with ``level``, ``ordinal``, ``x``, ``y``; edges with
        ``weight`` (seconds, default profile, normal pace, no closure), ``kind``,
        ``restricted``, ``steps``."""
        if self._graph is None:
            w = edge_seconds(self.walk, self.overlay.arrays, get_profile("staff"), WALK_SPEED)
            self._graph = self._nx(w, keep=np.ones(len(w), dtype=bool))
        return self._graph

    def profile_graph(
        self, profile: str = "default", *, slow: bool = False, at: datetime | None = None
    ) -> nx.DiGraph:
        """The graph one profile may use, closures in force at *at* removed."""
        metric = self.overlay.metric(
            self.profile(profile), SLOW_SPEED if slow else WALK_SPEED, self._closed_edges(self._active(at))
        )
        w = metric.weights
        return self._nx(w, keep=w < 1e11)

    def _nx(self, w: np.ndarray, keep: np.ndarray) -> nx.DiGraph:
        g = nx.DiGraph()
        for i, n in enumerate(self.walk.nodes):
            g.add_node(i, key=n.key, level=n.level_id, ordinal=n.ordinal, x=n.x, y=n.y, unit=n.unit_id)
        for e in np.flatnonzero(keep):
            a, b = self.walk.src[e], self.walk.dst[e]
            if g.has_edge(a, b) and g[a][b]["weight"] <= w[e]:
                continue
            g.add_edge(
                a,
                b,
                weight=float(w[e]),
                kind=self.walk.kind[e],
                restricted=self.walk.restricted[e],
                steps=self.walk.steps[e],
                edge=int(e),
            )
        return g

    # -- closures --------------------------------------------------------------------------------

    def profile(self, name: str) -> Profile:
        """The profile *name* as this router walks it (``ValueError`` names the known ones)."""
        get_profile(name)
        return self.profiles[name]

    def set_closures(self, closures: Iterable[ClosureLike]) -> None:
        """Replace the closures known to the router (e.g. from the floor plan store)."""
        self._closures = tuple(closures)

    def with_closures(self, closures: Iterable[ClosureLike]) -> Router:
        """A router for the same venue and other closures, sharing everything else."""
        twin = copy.copy(self)
        twin._closures = tuple(closures)
        return twin

    def _active(self, at: datetime | None) -> list[ClosureLike]:
        now = at or datetime.now(UTC)
        return [c for c in self._closures if c.reopened_at is None and c.starts_at <= now < c.ends_at]

    def _closed_edges(self, closures: Iterable[ClosureLike]) -> frozenset[int]:
        return frozenset(e for c in closures for e in self.walk.by_feature.get(c.feature_id, []))

    # -- routing ----------------------------------------------------------------------------------

    def resolve(self, ref: str, lang: str | None = None) -> Place:
        return self.places.resolve(ref, lang)

    def route(
        self,
        origin: str | Place,
        destination: str | Place,
        *,
        profile: str = "default",
        slow: bool = False,
        lang: str = "fr",
        at: datetime | None = None,
    ) -> Route:
        prof = self.profile(profile)
        speed = SLOW_SPEED if slow else WALK_SPEED
        catalogue(lang)  # an unknown language is a ValueError before any work
        src = origin if isinstance(origin, Place) else self.resolve(origin, lang)
        if len(src.alternatives) > 1:
            # Several places share the origin's name: the route from the wrong one is wrong
            # from its first word. Ask (the kiosk and the phone page give their own place).
            raise AmbiguousPlace(
                origin if isinstance(origin, str) else label_text(src.name, lang),
                [(p.id, self.places.describe(p, lang)) for p in src.alternatives],
                lang,
            )
        dst = destination if isinstance(destination, Place) else self.resolve(destination, lang)
        active = self._active(at)
        closed = self._closed_edges(active)
        best: tuple[float, list[int], Place, Place] | None = None
        targets = dst.alternatives or [dst]
        by_node = {t.node: t for t in reversed(targets)}
        for s in src.alternatives or [src]:
            # The nearest of several (every lift, every exit) in one search, then its path.
            _near, node = (
                self.overlay.nearest(s.node, list(by_node), prof, speed, closed)
                if len(by_node) > 1
                else (0.0, targets[0].node)
            )
            if node is None:
                continue
            cost, path = self.overlay.shortest_path(s.node, node, prof, speed, closed)
            if path and (best is None or cost < best[0]):
                best = (cost, path, s, by_node[node])
        if best is None:
            raise self._why_not(src, dst, prof, speed, lang, active)
        cost, path, s, t = best
        route = self._make_route(s, t, prof, slow, speed, cost, path, closed)
        if active:
            # Would the way be another without the closures? Then say which ones it goes round.
            free_cost, free_path = self.overlay.shortest_path(s.node, t.node, prof, speed)
            if free_path and free_cost < cost - 1.0:
                used = {e for a, b in itertools.pairwise(free_path) for e in self._pairs.get((a, b), [])}
                route.detours = [c for c in active if used & set(self.walk.by_feature.get(c.feature_id, []))]
                for c in route.detours:
                    feat = self.venue.feature(c.feature_id)
                    route.detour_names[c.feature_id] = getattr(feat, "name", None) or {}
        return route

    def times_to(
        self, origin: Place, places: list[Place], *, profile: str = "default", slow: bool = False
    ) -> list[float]:
        """Seconds from *origin* to each of *places* with the closures in force (inf where no
        route reaches it): one search for them all, as a route to "toilets" chooses."""
        closed = self._closed_edges(self._active(None))
        costs = self.overlay.times(
            origin.node,
            [p.node for p in places],
            self.profile(profile),
            SLOW_SPEED if slow else WALK_SPEED,
            closed,
        )
        return [float(c) for c in costs]

    def _edge_between(self, a: int, b: int, weights: np.ndarray) -> int:
        candidates = self._pairs.get((a, b), [])
        return min(candidates, key=lambda e: weights[e])

    def _make_route(
        self,
        src: Place,
        dst: Place,
        prof: Profile,
        slow: bool,
        speed: float,
        cost: float,
        path: list[int],
        closed: frozenset[int],
    ) -> Route:
        metric = self.overlay.metric(prof, speed, closed)
        edges = [self._edge_between(a, b, metric.weights) for a, b in itertools.pairwise(path)]
        venue, g = self.venue, self.walk
        legs: list[Leg] = []
        for i, node_id in enumerate(path):
            node = g.nodes[node_id]
            if (
                i > 0
                and g.kind[edges[i - 1]] not in VERTICAL_KINDS
                and legs
                and legs[-1].ordinal == node.ordinal
            ):
                prev = legs[-1].points[-1]
                legs[-1].distance_m += float(np.hypot(node.x - prev[0], node.y - prev[1]))
                legs[-1].points.append((node.x, node.y))
            else:
                level = venue.levels[node.level_id]
                legs.append(Leg(node.level_id, node.ordinal, level.name or {}, [(node.x, node.y)], [], 0.0))
        for leg in legs:
            arr = np.asarray(leg.points, dtype=float)
            leg.wgs84 = [tuple(p) for p in venue.projection.to_wgs84_xy(arr)]  # type: ignore[misc]
        lifts: list[Label] = []
        stairs: list[Label] = []
        buildings: list[Label] = []
        for e in edges:
            if g.kind[e] in VERTICAL_KINDS:
                rel = venue.relationships.get(g.via[e] or "")
                name = rel.name if rel and rel.name else {"fr": g.kind[e]}
                bucket = lifts if g.kind[e] == "elevator" else stairs
                if name not in bucket:
                    bucket.append(name)
        for node_id in path:
            uid = g.nodes[node_id].unit_id
            unit_level = venue.levels.get(venue.units[uid].level_id) if uid else None
            if unit_level and unit_level.building_ids:
                b = venue.buildings.get(unit_level.building_ids[0])
                if b and b.name and b.name not in buildings:
                    buildings.append(b.name)
        maneuvers = build_maneuvers(
            self,
            path,
            edges,
            origin_kind=src.kind,
            origin_name=src.name,
            facing=src.facing,
            destination_name=dst.name,
            destination_unit=dst.unit_id,
            origin_unit=src.unit_id,
        )
        distance = float(sum(g.length[e] for e in edges))
        return Route(
            src,
            dst,
            prof.name,
            slow,
            cost,
            distance,
            legs,
            path,
            edges,
            maneuvers,
            lifts,
            stairs,
            buildings,
            [g.kind[e] for e in edges],
            zone=self.zone,
        )

    # -- explaining a missing route -------------------------------------------------------------

    def _why_not(
        self, src: Place, dst: Place, prof: Profile, speed: float, lang: str, active: list[ClosureLike]
    ) -> NoRoute:
        cat = catalogue(lang)
        nr = cat.section("no_route")
        name = dst.label(lang)
        profile_word = str(cat.section("profile")[prof.name])
        for place in (dst, src):
            unit = self.venue.units.get(place.unit_id or "")
            if prof.public and unit is not None and not unit.public:
                return NoRoute(
                    cat.fill(nr["staff_only"], squeeze=True, name=place.label(lang)), reason="staff-only"
                )
        if active:
            # Would it work without the closures? Then they are the reason.
            _cost, path = self.overlay.shortest_path(src.node, dst.node, prof, speed)
            if path:
                edges = {e for a, b in itertools.pairwise(path) for e in self._pairs.get((a, b), [])}
                on_path = [c for c in active if set(self.walk.by_feature.get(c.feature_id, [])) & edges]
                # The closures whose end alone would open a way (the ramp, or the lift
                # behind the footbridge), else those on the way it would take.
                blocking = [c for c in active if self._routable_without(c, active, src, dst, prof, speed)]
                blocking = blocking or on_path or active
                text = "; ".join(
                    cat.fill(
                        nr["closure"],
                        squeeze=True,
                        closure_name=self._feature_label(c, lang),
                        until=_clock(c.ends_at, self.zone),
                        reason=c.reason,
                    )
                    for c in blocking
                )
                return NoRoute(
                    cat.fill(nr["closed"], squeeze=True, profile=profile_word, name=name, closures=text),
                    reason="closed",
                    closures=blocking,
                )
        if not prof.steps_allowed:
            _cost, path = self.overlay.shortest_path(src.node, dst.node, self.profile("default"), speed)
            if path:
                steps = []
                for a, b in itertools.pairwise(path):
                    for e in self._pairs.get((a, b), []):
                        if self.walk.steps[e] or self.walk.kind[e] in ("stairs", "escalator"):
                            via = self.walk.via[e] or ""
                            feat = self.venue.relationships.get(via) or self.venue.units.get(via)
                            label = label_text(getattr(feat, "name", None), lang, fallback=via)
                            if label not in steps:
                                steps.append(label)
                return NoRoute(
                    cat.fill(
                        nr["only_steps"],
                        squeeze=True,
                        profile=profile_word,
                        name=name,
                        steps=", ".join(steps),
                    ),
                    reason="steps",
                )
        return NoRoute(
            cat.fill(nr["none"], squeeze=True, name=name, origin=src.label(lang)), reason="unreachable"
        )

    def _routable_without(
        self,
        closure: ClosureLike,
        active: list[ClosureLike],
        src: Place,
        dst: Place,
        prof: Profile,
        speed: float,
    ) -> bool:
        others = self._closed_edges(c for c in active if c is not closure)
        _cost, path = self.overlay.shortest_path(src.node, dst.node, prof, speed, others)
        return bool(path)

    def _feature_label(self, closure: ClosureLike, lang: str) -> str:
        feat = self.venue.feature(closure.feature_id)
        label = getattr(feat, "name", None)
        return label_text(label, lang, fallback=closure.feature_name)

    # -- what a closure would do ------------------------------------------------------------------

    def closure_effects(
        self,
        feature_ids: Iterable[str],
        *,
        profiles: Iterable[str] = ("default", "step_free"),
        longer_s: float = 60.0,
        at: datetime | None = None,
    ) -> list[ClosureEffect]:
        """What closing *feature_ids* (on top of the closures in force) does to visitors:
        for each public profile, the services and amenities that no entrance or kiosk
        reaches any more, and those reached only by a detour of *longer_s* or more.

        One multi-source search (scipy's compiled Dijkstra) per profile before and after;
        a closure is previewed in milliseconds on the demo hospital, before anyone confirms it.
        """
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import dijkstra

        wanted = [f for f in feature_ids if f]
        unknown = [f for f in wanted if f not in self.walk.by_feature]
        if unknown:
            raise PlaceNotFound(unknown[0], [])
        g = self.walk
        n = len(g.nodes)
        origins: list[Place] = [p for p in self.places.places if p.kind == "kiosk"]
        origins += self.places.generic("entrance")
        targets = [
            p
            for p in self.places.places
            if p.kind in ("occupant", "amenity")
            and (p.unit_id is None or self.venue.units[p.unit_id].public)
            and not (p.kind == "amenity" and self.venue.amenities[p.id].category in VERTICAL_AMENITIES)
            and p.name
        ]
        if not origins or not targets:
            return []
        src = np.fromiter((p.node for p in origins), dtype=np.int64)
        dst = np.fromiter((p.node for p in targets), dtype=np.int64)
        active = self._active(at)
        before_closed = self._closed_edges(active)
        after_closed = before_closed | frozenset(e for f in wanted for e in g.by_feature.get(f, []))
        out: list[ClosureEffect] = []
        for name in profiles:
            prof = self.profile(name)

            def times(closed: frozenset[int], prof: Profile = prof) -> np.ndarray:
                w = self.overlay.metric(prof, WALK_SPEED, closed).weights
                keep = w < 1e11
                a, b, ww = np.asarray(g.src)[keep], np.asarray(g.dst)[keep], w[keep]
                order = np.lexsort((ww, b, a))  # parallel edges: keep the quickest (coo sums them)
                a, b, ww = a[order], b[order], ww[order]
                first = np.ones(len(a), dtype=bool)
                first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
                mat = coo_matrix((ww[first] + 1e-9, (a[first], b[first])), shape=(n, n)).tocsr()
                d = dijkstra(mat, directed=True, indices=src)
                return np.asarray(d[:, dst])

            t0, t1 = times(before_closed), times(after_closed)
            for j, place in enumerate(targets):
                was, now = t0[:, j], t1[:, j]
                lost = [
                    origins[i] for i in range(len(origins)) if np.isfinite(was[i]) and not np.isfinite(now[i])
                ]
                if lost and len(lost) == int(np.isfinite(was).sum()):
                    out.append(ClosureEffect(name, place, "unreachable", lost, None))
                elif lost:
                    out.append(ClosureEffect(name, place, "unreachable-from", lost, None))
                else:
                    ok = np.isfinite(was) & np.isfinite(now)
                    if ok.any():
                        extra = float(np.max(now[ok] - was[ok]))
                        if extra >= longer_s:
                            worse = [origins[i] for i in np.flatnonzero(ok & (now - was >= longer_s))]
                            out.append(ClosureEffect(name, place, "longer", worse, extra))
        return out

    # -- landmarks --------------------------------------------------------------------------------

    def _door_index(self) -> dict[int, tuple[cKDTree, np.ndarray, list[str], np.ndarray, np.ndarray]]:
        """Per floor: positions of doors, and the named unit each door leads into."""
        from floorplans.topology import topology

        topo = topology(self.venue)
        notable = set()
        for oc in self.venue.occupants.values():
            unit = self.venue.occupant_unit(oc)
            if unit is not None:
                notable.add(unit.id)
        for am in self.venue.amenities.values():
            if am.category in ("foodservice", "information", "prayerroom"):
                notable.update(am.unit_ids)
        self._notable = notable
        per_floor: dict[int, tuple[list[tuple[float, float]], list[str]]] = defaultdict(lambda: ([], []))
        for p in topo.passages:
            for uid in (p.a, p.b):
                unit = self.venue.units.get(uid)
                if unit is None or not unit.name or not unit.public:
                    continue
                level = self.venue.levels.get(unit.level_id)
                if level is None:
                    continue
                c = p.geometry.interpolate(0.5, normalized=True)
                per_floor[level.ordinal][0].append((c.x, c.y))
                per_floor[level.ordinal][1].append(uid)
        out = {}
        for k, (pts, uids) in per_floor.items():
            if not pts:
                continue
            units = [self.venue.units[u] for u in uids]
            notable_arr = np.array([u.id in notable or u.category in NOTABLE_UNITS for u in units])
            usable = np.array([u.category not in ("walkway", "stairs", "elevator") for u in units])
            arr = np.asarray(pts)
            out[k] = (cKDTree(arr), arr, uids, notable_arr, usable)
        return out

    def landmark_near(
        self,
        ordinal: int,
        x: float,
        y: float,
        *,
        radius: float = 3.5,
        exclude: set[str | None] | set[str] | None = None,
        only_notable: bool = False,
        ahead: tuple[float, float] | None = None,
        avoid_names: list[Label] | None = None,
    ) -> Label | None:
        """The name of a room whose door is near (x, y): notable places first. With
        *ahead* (the walker's heading), only doors ahead or beside, never behind."""
        entry = self._doors.get(ordinal)
        if entry is None:
            return None
        tree, pts, uids, notable, usable = entry
        idx = np.asarray(tree.query_ball_point((x, y), radius), dtype=np.int64)
        if not len(idx):
            return None
        idx = idx[usable[idx] & (notable[idx] if only_notable else True)]
        if ahead is not None and len(idx):
            along = (pts[idx, 0] - x) * ahead[0] + (pts[idx, 1] - y) * ahead[1]
            idx = idx[along >= -1.0]
        if not len(idx):
            return None
        d = np.hypot(pts[idx, 0] - x, pts[idx, 1] - y)
        order = np.lexsort((d, ~notable[idx]))
        for k in idx[order]:
            if exclude and uids[k] in exclude:
                continue
            name = self.venue.units[uids[k]].name
            if avoid_names and name in avoid_names:
                continue  # another "waiting room" than the one walked to: it would confuse
            return name
        return None


def _clock(dt: datetime, zone: tzinfo | None = None) -> str:
    """A closure's end as the hospital's clocks show it: "12:14", or "08/12 12:14" another day."""
    local = dt.astimezone(zone)
    today = datetime.now(UTC).astimezone(zone).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d/%m %H:%M")


__all__ = ["AmbiguousPlace", "Leg", "NoRoute", "PlaceNotFound", "Route", "Router"]
