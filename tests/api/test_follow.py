"""What the phone page's follower is given (``/api/v1/route/follow``) and what is counted of it.

The follower itself runs in the page (``api/static/follow.js``): measured over simulated walks
by ``bench/bench_follow.py``, tested in Chromium by ``test_follow_browser.py``.
"""

from __future__ import annotations

import itertools
import math

from fastapi.testclient import TestClient
from shapely.geometry import LineString, Point

from core.service import WayfindingService
from core.usage import Period

KIOSK = "115f6b13-f26a-51a8-a8c3-bafc2bb9411c"


def test_the_follower_gets_the_route_its_steps_and_the_walls_around_it(
    client: TestClient, service: WayfindingService
) -> None:
    sign = next(
        s for s in service.snapshot.router.places.signs.values() if s.label("fr") == "Entrée principale"
    )
    route = client.get("/api/v1/route", params={"from": sign.code, "to": "Bloc opératoire"}).json()
    r = client.get(route["links"]["follow"])
    assert r.status_code == 200
    data = r.json()
    # The route as the page's steps cut it: one start per step, a lift ride in one piece.
    assert len(data["steps"]) == len(route["steps"])
    assert data["steps"] == sorted(data["steps"]) and data["steps"][0] == 0
    assert [k for k in data["step_kinds"]] == [s["type"] for s in route["steps"]]
    assert data["path"][0][1:3] == [round(sign.x, 2), round(sign.y, 2)]
    assert [v[1] for v in data["vertical"]] == ["elevator"]
    assert abs(data["length"] - route["distance_m"]) < 1.0
    # Walls on each floor walked, none across the route (a door or passage is left open).
    assert set(data["walls"]) == {str(o) for o in route["levels"]}
    for floor, walls in data["walls"].items():
        assert len(walls) > 20
        way = [p for p in data["path"] if p[0] == int(floor)]
        for a, b in itertools.pairwise(way):
            step = LineString([(a[1], a[2]), (b[1], b[2])])
            crossed = [w for w in walls if step.crosses(LineString([(w[0], w[1]), (w[2], w[3])]))]
            assert not crossed, (floor, a, b, crossed[:2])
    # Near the route only: nothing farther than the margin.
    far = max(
        LineString([(p[1], p[2]) for p in data["path"] if p[0] == 0]).distance(Point(w[0], w[1]))
        for w in data["walls"]["0"]
    )
    assert far <= 41 and not math.isnan(far)


def test_bad_requests_for_the_follower_say_what_is_wrong(client: TestClient) -> None:
    r = client.get("/api/v1/route/follow", params={"from": "nowhere at all xyz", "to": "radiologie"})
    assert r.status_code == 404 and "nowhere at all xyz" in r.json()["detail"]
    r = client.get("/api/v1/route/follow", params={"from": KIOSK, "to": "radiologie", "profile": "flying"})
    assert r.status_code == 422 and "profile" in r.text


def test_following_with_the_sensors_is_counted_and_nothing_else(
    client: TestClient, service: WayfindingService
) -> None:
    usage = service.usage
    assert usage is not None
    today = usage.today()
    usage.flush()
    before = usage.totals(Period(today, today)).get("followed.sensors", {}).get("phone", 0)
    form = {"answer": "sensors", "from": KIOSK, "to": "b189f2a8-9043-5fca-bd62-11222e1cf3fc", "lang": "fr"}
    assert client.post("/arrival", data=form).status_code == 204
    usage.flush()
    totals = usage.totals(Period(today, today))
    assert totals["followed.sensors"]["phone"] == before + 1
    assert client.post("/arrival", data={**form, "answer": "gps"}).status_code == 422
