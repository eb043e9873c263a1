"""Routes are exact, profiles are respected, closures are avoided and lifted."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import NoRoute, Router
from routing.profiles import PROFILES
from simulators.generate import generate_hospital
from tests.routing.conftest import FakeClosure

_ROUTERS: dict[tuple[int, int, int, int], Router] = {}


def _router(buildings: int, levels: int, rooms: int, seed: int) -> Router:
    key = (buildings, levels, rooms, seed)
    if key not in _ROUTERS:
        _ROUTERS[key] = Router(
            generate_hospital(buildings=buildings, levels=levels, rooms_per_level=rooms, seed=seed)
        )
    return _ROUTERS[key]


venues = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(4, 30), st.integers(0, 3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    venue=venues,
    profile=st.sampled_from(sorted(PROFILES)),
    slow=st.booleans(),
    pick=st.randoms(use_true_random=False),
)
def test_route_cost_equals_plain_dijkstra(
    venue: tuple[int, int, int, int], profile: str, slow: bool, pick: random.Random
) -> None:
    router = _router(*venue)
    graph = router.profile_graph(profile, slow=slow)
    nodes = list(graph.nodes)
    for _ in range(5):
        s, t = pick.choice(nodes), pick.choice(nodes)
        from routing.profiles import SLOW_SPEED, WALK_SPEED, get_profile

        cost, path = router.overlay.shortest_path(
            s, t, get_profile(profile), SLOW_SPEED if slow else WALK_SPEED
        )
        try:
            expected = nx.dijkstra_path_length(graph, s, t)
        except nx.NetworkXNoPath:
            assert path == []
            continue
        assert cost == pytest.approx(expected, rel=1e-9, abs=1e-6)
        assert path[0] == s and path[-1] == t
        assert sum(graph[a][b]["weight"] for a, b in itertools.pairwise(path)) == pytest.approx(
            expected, rel=1e-9, abs=1e-6
        )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(venue=venues, profile=st.sampled_from(sorted(PROFILES)), pick=st.randoms(use_true_random=False))
def test_the_nearest_of_many_is_the_closest_by_plain_dijkstra(
    venue: tuple[int, int, int, int], profile: str, pick: random.Random
) -> None:
    """ "The nearest lift" in one search: the same seconds as networkx to the closest one."""
    from routing.profiles import WALK_SPEED, get_profile

    router = _router(*venue)
    graph = router.profile_graph(profile)
    nodes = list(graph.nodes)
    s = pick.choice(nodes)
    targets = pick.sample(nodes, min(len(nodes), pick.randint(2, 15)))
    lengths = nx.single_source_dijkstra_path_length(graph, s)
    reachable = [lengths[t] for t in targets if t in lengths]
    cost, node = router.overlay.nearest(s, targets, get_profile(profile), WALK_SPEED)
    if not reachable:
        assert node is None
        return
    assert cost == pytest.approx(min(reachable), rel=1e-9, abs=1e-6)
    assert node in targets and lengths[node] == pytest.approx(cost, rel=1e-9, abs=1e-6)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(venue=venues, pick=st.randoms(use_true_random=False))
def test_step_free_and_public_routes_keep_their_promises(
    venue: tuple[int, int, int, int], pick: random.Random
) -> None:
    router = _router(*venue)
    places = [p for p in router.places.places if p.kind in ("occupant", "amenity", "kiosk")]
    for _ in range(4):
        a, b = pick.choice(places), pick.choice(places)
        for profile in ("step_free", "default", "avoid_stairs"):
            route = router.route(a, b, profile=profile)
            kinds = set(route.edge_kinds)
            if profile == "step_free":
                assert not kinds & {"stairs", "escalator", "steps"}
            assert not any(router.walk.restricted[e] for e in route.edges), (
                "a public route entered a staff-only place"
            )


def test_closed_corridor_is_avoided_then_reopened(router: Router) -> None:
    before = router.route("Borne du hall d'accueil", "Radiologie")
    gallery = next(
        u
        for u in router.venue.units.values()
        if u.name
        and u.name["fr"] == "Galerie A–B"
        and u.level_id in {n.level_id for n in router.walk.nodes if n.ordinal == 0}
    )
    assert gallery.id in {router.walk.nodes[n].unit_id for n in before.nodes}
    now = datetime.now(UTC)
    closure = FakeClosure(
        gallery.id, "Galerie A–B", "nettoyage", now - timedelta(minutes=5), now + timedelta(hours=1)
    )
    router.set_closures([closure])
    detour = router.route("Borne du hall d'accueil", "Radiologie")
    assert gallery.id not in {router.walk.nodes[n].unit_id for n in detour.nodes}
    assert detour.duration_s > before.duration_s
    assert {leg.ordinal for leg in detour.legs} != {0}, "the detour changes floor"
    # Exact on the closed graph too.
    graph = router.profile_graph("default")
    assert detour.duration_s == pytest.approx(
        nx.dijkstra_path_length(graph, detour.nodes[0], detour.nodes[-1])
    )
    # Expired: the closure lifts itself.
    later = router.route("Borne du hall d'accueil", "Radiologie", at=now + timedelta(hours=2))
    assert later.duration_s == pytest.approx(before.duration_s)


def test_avoid_stairs_takes_stairs_only_when_nothing_else_exists(router: Router) -> None:
    route = router.route("Borne du parking", "Radiologie", profile="avoid_stairs")
    assert "stairs" not in route.edge_kinds and "elevator" in route.edge_kinds
    default = router.route("Borne du parking", "Radiologie")
    assert "stairs" in default.edge_kinds


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    venue=venues, profile=st.sampled_from(["default", "step_free"]), pick=st.randoms(use_true_random=False)
)
def test_times_to_many_places_are_the_routes_durations(
    venue: tuple[int, int, int, int], profile: str, pick: random.Random
) -> None:
    """One search for every lift (what "toilets" suggestions are ranked by) gives each the
    duration its own route has."""
    router = _router(*venue)
    lifts = router.places.generic("lift") + router.places.generic("toilets")
    origin = pick.choice(router.places.places)
    assert lifts, "every generated hospital has toilets"
    times = router.times_to(origin, lifts, profile=profile)
    for place, t in zip(lifts, times, strict=True):
        try:
            expected = router.route(origin, place, profile=profile).duration_s
        except NoRoute:
            expected = float("inf")
        assert t == pytest.approx(expected, rel=1e-9, abs=1e-6) or t == expected == float("inf")
