"""Which step a visitor standing somewhere is on (``Route.step_near``): what the phone page uses
to keep the visitor's place when they switch a route to step-free on step N."""

from __future__ import annotations

import math
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floorplans import load_demo_venue
from routing import NoRoute, Route, Router

ROUTER = Router(load_demo_venue())
NAMED = sorted(p.id for p in ROUTER.places.places if p.kind in ("occupant", "opening", "kiosk"))


def same_place(route: Route, i: int, j: int) -> bool:
    a, b = route.maneuvers[i], route.maneuvers[j]
    return a.ordinal == b.ordinal and math.hypot(a.x - b.x, a.y - b.y) < 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pick=st.randoms(use_true_random=False), profile=st.sampled_from(["default", "step_free"]))
def test_standing_where_a_step_begins_is_being_on_that_step(pick: random.Random, profile: str) -> None:
    try:
        route = ROUTER.route(pick.choice(NAMED), pick.choice(NAMED), profile=profile)
    except (NoRoute, LookupError):
        return
    for i, m in enumerate(route.maneuvers):
        at = route.step_near(m.ordinal, m.x, m.y)
        assert at is not None
        # That step, or one that begins at the same place (a door said right after a turn).
        assert at == i or same_place(route, at, i), (i, at, [x.type for x in route.maneuvers])


def test_far_from_the_route_is_on_no_step() -> None:
    route = ROUTER.route("Entrée principale", "Radiologie")
    m = route.maneuvers[0]
    assert route.step_near(m.ordinal, m.x + 500, m.y) is None
    assert route.step_near(m.ordinal + 7, m.x, m.y) is None


def test_at_the_stairs_the_step_free_route_sends_back_to_the_lift() -> None:
    stairs = ROUTER.route("Entrée principale", "Cardiologie")
    lift = ROUTER.route("Entrée principale", "Cardiologie", profile="step_free")
    on_stairs = next(m for m in stairs.maneuvers if m.type == "stairs")
    at = lift.step_near(on_stairs.ordinal, on_stairs.x, on_stairs.y)
    assert at is not None and lift.maneuvers[at].type == "elevator"
