"""The demo hospital: every public destination from every entrance kiosk, and the details."""

from __future__ import annotations

import pytest

from floorplans import Venue
from routing import NoRoute, PlaceNotFound, Router


def test_every_public_destination_from_every_entrance_kiosk(demo_router: Router) -> None:
    venue = demo_router.venue
    kiosks = [p for p in demo_router.places.places if p.kind == "kiosk"]
    assert len(kiosks) == 3
    targets = [
        p
        for p in demo_router.places.places
        if p.kind in ("occupant", "amenity") and venue.units[p.unit_id].public
    ]  # type: ignore[index]
    assert len(targets) > 40
    for profile in ("default", "step_free"):
        for kiosk in kiosks:
            for target in targets:
                route = demo_router.route(kiosk, target, profile=profile)
                assert route.maneuvers[-1].type == "arrive"
                if profile == "step_free":
                    assert not {"stairs", "steps"} & set(route.edge_kinds)


def test_step_free_takes_the_ramp_where_others_take_the_steps(demo_router: Router) -> None:
    step_free = demo_router.route("Borne du hall d'accueil", "Pédiatrie", profile="step_free")
    default = demo_router.route("Borne du hall d'accueil", "Pédiatrie")
    assert "ramp" in step_free.edge_kinds and "steps" not in step_free.edge_kinds
    assert "steps" in default.edge_kinds


def test_route_has_legs_in_metres_and_wgs84(demo_router: Router) -> None:
    route = demo_router.route("Borne du hall d'accueil", "Cardiologie", profile="step_free")
    assert [leg.ordinal for leg in route.legs] == [0, 1]
    assert route.lifts == [{"fr": "Ascenseur A1", "en": "Lift A1"}]
    lon, lat = route.legs[0].wgs84[0]
    assert 4.83 < lon < 4.84 and 45.76 < lat < 45.77
    assert 40 < route.distance_m < 120 and 40 < route.duration_s < 240
    data = route.to_dict("en")
    assert data["destination"]["name"] == "Cardiology" and data["steps"][-1]["type"] == "arrive"


def test_staff_may_cross_the_operating_suite(demo_router: Router) -> None:
    with pytest.raises(NoRoute) as info:
        demo_router.route("Borne du hall d'accueil", "Salle de réveil")
    assert info.value.reason == "staff-only"
    route = demo_router.route("Borne du hall d'accueil", "Salle de réveil", profile="staff")
    assert route.maneuvers[-1].type == "arrive"


def test_search_finds_what_people_type(demo_router: Router) -> None:
    resolve = demo_router.resolve
    assert resolve("radio").name["fr"] == "Radiologie"
    assert resolve("cardio").name["fr"] == "Cardiologie"
    assert resolve("CAFETERIA").name["fr"] == "Cafétéria"
    assert resolve("x-ray").name["fr"] == "Radiologie"
    assert resolve("urgence").name["fr"] == "Urgences"
    assert resolve("prise de sang").name["fr"] == "Laboratoire de prélèvements"
    toilets = resolve("toilettes")
    assert len(toilets.alternatives) >= 5
    assert resolve("radiolgie").name["fr"] == "Radiologie"  # a typo still finds it
    with pytest.raises(PlaceNotFound, match="no place matches 'boulangerie'"):
        resolve("boulangerie")


def test_nearest_toilets_are_chosen(demo_router: Router) -> None:
    route = demo_router.route("Borne des urgences", "toilettes")
    assert {leg.ordinal for leg in route.legs} == {0}
    assert route.distance_m < 60


def test_point_places(demo_router: Router, demo_venue: Venue) -> None:
    route = demo_router.route("0:33,4", "Chapelle")
    assert route.origin.kind == "point"
    with pytest.raises(PlaceNotFound, match="did you mean 'floor -1', 'floor 0'"):
        demo_router.resolve("7:1,1")
