"""What a closure does, before anyone confirms it, checked against networkx on the same venue.

``Router.closure_effects`` (scipy's Dijkstra from every entrance and kiosk) must name
exactly the services that networkx, on the graph each profile may use, finds cut off
from some entrance or kiosk by the closure; and a route that goes round a closure in
force says which one and why.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest

from floorplans import Venue
from floorplans.store import Closure
from routing import Router


def _closure(venue: Venue, fid: str, reason: str = "travaux") -> Closure:
    now = datetime.now(UTC)
    return Closure(
        1, venue.id, "x", fid, fid, reason, now - timedelta(hours=1), now + timedelta(hours=2), "t", None
    )


def _cut_off(router: Router, fid: str, profile: str) -> set[str]:
    """Services some entrance or kiosk reaches before the closure and not after (networkx)."""
    before = router.profile_graph(profile)
    after = router.with_closures([_closure(router.venue, fid)]).profile_graph(profile)
    origins = [p for p in router.places.places if p.kind == "kiosk"] + router.places.generic("entrance")
    out = set()
    for p in router.places.places:
        if p.kind != "occupant" or not p.name:
            continue
        for o in origins:
            if nx.has_path(before, o.node, p.node) and not nx.has_path(after, o.node, p.node):
                out.add(p.id)
    return out


@pytest.fixture(scope="module")
def router(demo_venue: Venue) -> Router:
    return Router(demo_venue)


def test_effects_match_networkx_for_every_lift_ramp_and_stairs(router: Router) -> None:
    venue = router.venue
    links = [r.id for r in venue.relationships.values() if r.category in ("elevator", "stairs", "ramp")]
    links += [u.id for u in venue.units.values() if u.category in ("ramp", "steps", "footbridge")]
    assert len(links) >= 6
    seen_any = False
    for fid in links:
        effects = router.closure_effects([fid])
        for profile in ("default", "step_free"):
            said = {
                e.place.id
                for e in effects
                if e.profile == profile and e.kind.startswith("unreachable") and e.place.kind == "occupant"
            }
            assert said == _cut_off(router, fid, profile), (fid, profile)
            seen_any |= bool(said)
    assert seen_any, "some closure of the demo cuts a service off (lift B and the theatre)"


def test_a_detour_says_which_closure_it_goes_round(router: Router) -> None:
    venue = router.venue
    lift = next(r for r in venue.relationships.values() if (r.name or {}).get("fr") == "Ascenseur B")
    closed = router.with_closures([_closure(venue, lift.id, "panne")])
    usual = router.route("Entrée des urgences", "Endoscopie", profile="step_free", lang="fr")
    around = closed.route("Entrée des urgences", "Endoscopie", profile="step_free", lang="en")
    assert usual.detour_text("fr") == ""
    assert around.duration_s > usual.duration_s
    assert around.detour_text("en").startswith("Detour: Lift B: closed until")
    assert "(panne)" in around.detour_text("fr") and "Ascenseur B" in around.detour_text("fr")
    assert around.to_dict("en")["detour"] == around.detour_text("en")
    # A closure the route would not have used anyway is no detour.
    ramp = next(u for u in venue.units.values() if u.category == "ramp")
    elsewhere = router.with_closures([_closure(venue, ramp.id)])
    assert elsewhere.route("Entrée principale", "Radiologie", lang="fr").detour_text("fr") == ""
