"""Public API (no login): the venue, place search, routes, spoken steps, floor maps, QR codes."""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep, SnapshotDep
from api.errors import ApiError
from api.i18n import ui
from api.schemas import (
    ERRORS,
    LANG_PATTERN,
    FollowOut,
    PlaceOut,
    PublicProfile,
    RouteMapOut,
    RouteOut,
    SiteOut,
    VenueOut,
)
from core.service import (
    ROUTE_CACHE,
    Snapshot,
    UnknownLanguage,
    WayfindingService,
    check_lang,
    phone_url,
    route_levels,
    route_query,
)
from floorplans import FloorPlanError
from floorplans.model import label_text
from routing import NoRoute, PlaceNotFound, Route, available_languages
from routing.follow import follow_data
from routing.route_map import route_map
from routing.speech import SpeechUnavailable

router = APIRouter(prefix="/api/v1", tags=["public"])

From = Annotated[
    str,
    Query(
        alias="from",
        min_length=1,
        max_length=200,
        description="Where the route starts: a place id (kiosk, service, amenity, room), "
        "FLOOR:X,Y in metres, or what a visitor would type",
        examples=["Borne du hall d'accueil"],
    ),
]
To = Annotated[
    str,
    Query(
        min_length=1, max_length=200, description="Where the route ends; same forms", examples=["radiologie"]
    ),
]
Profile = Annotated[
    PublicProfile, Query(description="default; step_free: no stairs, escalators or steps; avoid_stairs")
]
Lang = Annotated[
    str,
    Query(
        pattern=LANG_PATTERN,
        max_length=20,
        description="Language of the words; a regional tag (fr-CA) is taken as its language",
        json_schema_extra={"enum": available_languages()},
    ),
]
Slow = Annotated[bool, Query(description="A slower walking pace for the times")]


def lang_or_error(lang: str) -> str:
    try:
        return check_lang(lang)
    except UnknownLanguage as exc:
        raise ApiError(422, str(exc)) from None


def find_route(
    service: WayfindingService,
    snap: Snapshot,
    origin: str,
    destination: str,
    *,
    profile: str,
    slow: bool,
    lang: str,
) -> Route:
    """The route, or an :class:`ApiError` that says what to change."""
    try:
        return service.route(origin, destination, profile=profile, slow=slow, lang=lang, snap=snap)
    except PlaceNotFound as exc:
        other = service.elsewhere(destination, snap) if exc.ref != origin else None
        if other is not None:  # on another of the hospital's sites: which, where, how to get there
            said = other.said(lang)
            where = {
                **said,
                "site": other.site.slug,
                "site_name": said["site"],
                "page": "/?" + urlencode({"site": other.site.slug, "to": other.place.id, "lang": lang}),
            }
            detail = f"{said['name']} is not at this site: it is at {said['site']} (site={other.site.slug})"
            raise ApiError(404, detail, reason="other-site", elsewhere=where) from None
        raise ApiError(404, str(exc), suggestions=exc.suggestions) from None
    except NoRoute as exc:
        raise ApiError(422, str(exc), reason=exc.reason) from None
    except UnknownLanguage as exc:
        raise ApiError(422, str(exc)) from None


def map_labels(lang: str) -> Any:
    words = ui(lang)

    def label(kind: str, values: dict[str, str]) -> str:
        key = {"start": "map_here", "end": "map_end", "change": "map_change"}[kind]
        return words[key].format(**values)

    return label


def route_json(route: Route, lang: str, site: str | None = None) -> dict[str, Any]:
    """The route as the API answers it; its links carry *site* (see ``site_key``)."""
    data = route.to_dict(lang)
    q = route_query(route, lang, site=site)
    for n, step in enumerate(data["steps"], 1):
        step["n"] = n
        step["audio"] = f"/api/v1/route/steps/{n}/audio.wav?{q}"
    levels = route_levels(route)
    data["levels"] = levels
    data["links"] = {
        "page": f"/route?{q}",
        "audio": f"/api/v1/route/audio.wav?{q}",
        "qr": f"/api/v1/route/qr.svg?{q}",
        "maps": {str(o): f"/api/v1/levels/{o}/map.svg?{q}&crop=true" for o in levels},
        "follow": f"/api/v1/route/follow?{q}",
        "map": f"/api/v1/route/map?{q}",
    }
    return data


_BODIES: OrderedDict[tuple[int, str, str | None], tuple[Route, bytes]] = OrderedDict()
_BODIES_LOCK = threading.Lock()


def route_body(route: Route, lang: str, site: str | None = None) -> bytes:
    """The route's JSON, kept for the routes the service keeps (same object, same words)."""
    key = (id(route), lang, site)
    with _BODIES_LOCK:
        hit = _BODIES.get(key)
        if hit is not None and hit[0] is route:
            _BODIES.move_to_end(key)
            return hit[1]
    body = json.dumps(route_json(route, lang, site), ensure_ascii=False, separators=(",", ":")).encode()
    with _BODIES_LOCK:
        _BODIES[key] = (route, body)
        while len(_BODIES) > 2 * ROUTE_CACHE:
            _BODIES.popitem(last=False)
    return body


class Asked(NamedTuple):
    """The route a request names, and the language to word it in."""

    route: Route
    lang: str


async def asked_route(
    service: ServiceDep,
    snap: SnapshotDep,
    origin: From,
    to: To,
    profile: Profile = "default",
    lang: Lang = "fr",
    slow: Slow = False,
) -> Asked:
    """The route of the request: a route asked before is taken on the event loop, a new one
    is computed in the threadpool (it may take milliseconds on a large venue)."""
    lang = lang_or_error(lang)
    route = service.cached_route(origin, to, profile=profile, slow=slow, lang=lang, snap=snap)
    if route is None:
        route = await run_in_threadpool(
            find_route, service, snap, origin, to, profile=profile, slow=slow, lang=lang
        )
    return Asked(route, lang)


AskedDep = Annotated[Asked, Depends(asked_route)]


@router.get(
    "/sites",
    response_model=list[SiteOut],
    summary="The hospital's sites in service, the main one first (empty while a plan file is served)",
)
def get_sites(service: ServiceDep) -> list[dict[str, Any]]:
    out = []
    for site in service.sites:
        snap = service.snapshot_for(site.slug)
        out.append(
            {
                "slug": site.slug,
                "venue_id": site.venue_id,
                "name": dict(snap.venue.name) if snap.venue.name else {snap.venue.language: site.name},
                "address": snap.venue.postal_address(),
                "access": snap.venue.access,
                "version": snap.version_id,
            }
        )
    return out


@router.get(
    "/venue",
    response_model=VenueOut,
    responses=ERRORS,
    summary="The venue in service (on the site asked): buildings, floors, kiosks",
)
def get_venue(snap: SnapshotDep) -> dict[str, Any]:
    v = snap.venue
    return {
        "id": v.id,
        "name": dict(v.name or {}),
        "languages": v.languages,
        "buildings": [{"id": b.id, "name": dict(b.name or {})} for b in v.buildings.values()],
        "levels": [
            {
                "id": lv.id,
                "ordinal": lv.ordinal,
                "name": dict(lv.name or {}),
                "short_name": dict(lv.short_name or {}),
                "building_ids": list(lv.building_ids),
            }
            for lv in sorted(v.levels.values(), key=lambda lv: (lv.ordinal, lv.id))
        ],
        "kiosks": [
            {
                "id": k.id,
                "name": dict(k.name or {}),
                "ordinal": v.levels[k.level_id].ordinal,
                "facing": k.facing,
            }
            for k in v.kiosks.values()
        ],
        "version": snap.version_id,
    }


@router.get(
    "/places",
    response_model=list[PlaceOut],
    responses=ERRORS,
    summary="Search places as a visitor types (accents, case, typos, synonyms, every language)",
)
def search_places(
    service: ServiceDep,
    snap: SnapshotDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="What the visitor typed")],
    lang: Lang = "fr",
    limit: Annotated[int, Query(ge=1, le=50)] = 8,
    near: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Where the visitor starts (a place id, a sign code or a name): a generic word "
            "(toilets, lift, exit) then lists the nearest first, with its walking distance",
        ),
    ] = None,
    profile: Profile = "default",
) -> list[dict[str, Any]]:
    lang = lang_or_error(lang)
    out = []
    for hit in service.search(q, limit=limit, snap=snap, near=near or None, profile=profile):
        level = label_text(hit.level, lang, fallback=str(hit.ordinal))
        out.append(
            {
                "id": hit.place.id,
                "kind": hit.place.kind,
                "name": hit.place.label(lang),
                "ordinal": hit.ordinal,
                "level": level,
                "building": label_text(hit.building, lang) or None,
                "score": round(hit.score, 1),
                "distance_m": None if hit.distance_m is None else round(hit.distance_m),
            }
        )
    return out


@router.get(
    "/route",
    response_model=RouteOut,
    responses=ERRORS,
    summary="A route with its steps (screen and speech text), legs per floor and links",
)
async def get_route(asked: AskedDep, service: ServiceDep, snap: SnapshotDep) -> Response:
    body = route_body(asked.route, asked.lang, service.site_key(snap))
    return Response(body, media_type="application/json")


@router.get(
    "/route/follow",
    response_model=FollowOut,
    responses=ERRORS,
    summary="The route and the walls around it, for a phone that follows its walker with its own sensors",
    description="Fetched by the phone page when the visitor asks it to follow their steps; the sensors' "
    "readings stay on the phone (nothing is sent back).",
)
async def get_follow(asked: AskedDep, snap: SnapshotDep) -> Response:
    return await _derived(asked, snap, "follow")


@router.get(
    "/route/map",
    response_model=RouteMapOut,
    responses=ERRORS,
    summary="The places around the route, named, floor by floor, for the phone page's step map",
    description="The route measured as its steps are cut, the place each step names, and for each floor "
    "of the route the places within 40 m of it (outlines in metres, names in the asked language) and "
    "their doors. The phone page draws the current step from it, zoomed to that step.",
)
async def get_route_map(asked: AskedDep, snap: SnapshotDep) -> Response:
    return await _derived(asked, snap, "map")


async def _derived(asked: Asked, snap: Snapshot, what: str) -> Response:
    """The follower's or the step map's JSON, made in the threadpool (some milliseconds), kept."""
    body = await run_in_threadpool(derived_body, snap, asked.route, what, asked.lang if what == "map" else "")
    return Response(body, media_type="application/json", headers={"Cache-Control": "public, max-age=600"})


_DERIVED: OrderedDict[tuple[int, str, str], tuple[Route, bytes]] = OrderedDict()


def derived_body(snap: Snapshot, route: Route, what: str, lang: str = "") -> bytes:
    """The follower's (*what* = "follow") or the step map's ("map") data for a route, kept
    like :func:`route_body` (walls and outlines take some milliseconds)."""
    key = (id(route), what, lang)
    with _BODIES_LOCK:
        hit = _DERIVED.get(key)
        if hit is not None and hit[0] is route:
            _DERIVED.move_to_end(key)
            return hit[1]
    data = follow_data(snap.router, route) if what == "follow" else route_map(snap.router, route, lang)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    with _BODIES_LOCK:
        _DERIVED[key] = (route, body)
        while len(_DERIVED) > 2 * ROUTE_CACHE:
            _DERIVED.popitem(last=False)
    return body


AUDIO = {
    200: {"content": {"audio/wav": {}}, "description": "WAV, 16-bit mono"},
    503: {"model": ERRORS[404]["model"], "description": "No speech engine answered"},
    **ERRORS,
}


def _wav(service: WayfindingService, route: Route, lang: str, step: int | None) -> FileResponse:
    try:
        path = service.speech(route, lang, step=step)
    except IndexError as exc:
        raise ApiError(404, str(exc)) from None
    except SpeechUnavailable as exc:
        raise ApiError(503, f"{exc}; the written steps are still right") from None
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=3600"})


@router.get(
    "/route/audio.wav",
    response_class=FileResponse,
    responses=AUDIO,
    summary="The whole route spoken, in the asked language",
)
def route_audio(service: ServiceDep, asked: AskedDep) -> FileResponse:
    return _wav(service, asked.route, asked.lang, None)


@router.get(
    "/route/steps/{n}/audio.wav",
    response_class=FileResponse,
    responses=AUDIO,
    summary="One step of the route spoken (1-based)",
)
def step_audio(service: ServiceDep, asked: AskedDep, n: Annotated[int, Path(ge=1, le=1000)]) -> FileResponse:
    return _wav(service, asked.route, asked.lang, n)


def _qr(settings_url: str, route: Route, lang: str, site: str | None) -> segno.QRCode:
    return segno.make(phone_url(settings_url, route, lang, site=site), error="m")


QR_SVG = {200: {"content": {"image/svg+xml": {}}, "description": "QR code"}, **ERRORS}
QR_PNG = {200: {"content": {"image/png": {}}, "description": "QR code"}, **ERRORS}


@router.get(
    "/route/qr.svg",
    response_class=Response,
    responses=QR_SVG,
    summary="A QR code that opens this route on the phone page",
)
def route_qr_svg(settings: SettingsDep, asked: AskedDep, service: ServiceDep, snap: SnapshotDep) -> Response:
    buf = io.BytesIO()
    _qr(settings.base_url(), asked.route, asked.lang, service.site_key(snap)).save(
        buf, kind="svg", scale=6, border=4, title=ui(asked.lang)["qr_alt"], xmldecl=False
    )
    return Response(buf.getvalue(), media_type="image/svg+xml")


@router.get(
    "/route/qr.png",
    response_class=Response,
    responses=QR_PNG,
    summary="The same QR code as PNG (for printing)",
)
def route_qr_png(settings: SettingsDep, asked: AskedDep, service: ServiceDep, snap: SnapshotDep) -> Response:
    buf = io.BytesIO()
    _qr(settings.base_url(), asked.route, asked.lang, service.site_key(snap)).save(
        buf, kind="png", scale=8, border=4
    )
    return Response(buf.getvalue(), media_type="image/png")


MAP = {200: {"content": {"image/svg+xml": {}}, "description": "The floor as SVG"}, **ERRORS}


@router.get(
    "/levels/{ordinal}/map.svg",
    response_class=Response,
    responses=MAP,
    summary="A floor drawn; with from and to, the route's part on it; with one of them, that place",
)
def level_map(
    service: ServiceDep,
    snap: SnapshotDep,
    ordinal: Annotated[int, Path(ge=-100, le=200, description="Floor ordinal (0 = ground floor)")],
    lang: Lang = "fr",
    origin: Annotated[
        str | None, Query(alias="from", min_length=1, max_length=200, description="Route start")
    ] = None,
    to: Annotated[str | None, Query(min_length=1, max_length=200, description="Route end")] = None,
    profile: Profile = "default",
    slow: Slow = False,
    crop: Annotated[bool, Query(description="Frame the drawing around the route")] = False,
) -> Response:
    lang = lang_or_error(lang)
    route = None
    if origin is not None and to is not None:
        route = find_route(service, snap, origin, to, profile=profile, slow=slow, lang=lang)
    here = None
    if (origin is None) != (to is None):  # one place alone: marked on its floor ("you are here")
        try:
            here = service.place(str(origin or to), snap=snap).place
        except PlaceNotFound as exc:
            raise ApiError(404, str(exc), suggestions=exc.suggestions) from None
    try:
        svg = service.level_svg(
            ordinal,
            lang=lang,
            route=route,
            place=here,
            place_kind="start" if origin is not None else "end",
            crop=crop and (route is not None or here is not None),
            labels=map_labels(lang),
            snap=snap,
        )
    except FloorPlanError as exc:
        raise ApiError(404, str(exc)) from None
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=60"})
