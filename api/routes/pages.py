"""The phone pages: ``/`` (where are you, where are you going) and ``/route`` (the way, step by step).

Server-rendered: everything a visitor needs shows without JavaScript (the
step list, the map of the current step, links to the audio); a little
script adds suggestions as one types, next/previous without reloading and
in-page audio.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from shapely.geometry import LineString, Point

from api.deps import ServiceDep, SettingsDep, SnapshotDep, service_of
from api.i18n import choose_language, page_languages, ui
from api.routes.public import route_json
from api.schemas import PublicProfile
from api.security import client_address, limits_of
from api.templating import page_context, templates
from core.service import Snapshot, WayfindingService, route_query
from core.usage import ANSWERS, Counts
from floorplans.model import label_text
from routing import AmbiguousPlace, NoRoute, Place, PlaceNotFound, Route
from routing.places import normalize
from routing.signs import Sign, normalize_code

router = APIRouter(include_in_schema=False)

OptionalText = Annotated[str | None, Query(max_length=200)]


def _offered(settings_langs: list[str]) -> list[str]:
    return page_languages(settings_langs) or ["fr"]


def _services(snap: Snapshot, lang: str) -> list[dict[str, str]]:
    venue = snap.venue
    out = []
    for oc in venue.occupants.values():
        unit = venue.occupant_unit(oc)
        if unit is None or not unit.public:
            continue
        level = venue.levels[unit.level_id]
        out.append(
            {
                "id": oc.id,
                "name": label_text(oc.name, lang, fallback=oc.id),
                "level": label_text(level.name, lang, fallback=str(level.ordinal)),
            }
        )
    return sorted(out, key=lambda s: s["name"].casefold())


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    service: ServiceDep,
    snap: SnapshotDep,
    settings: SettingsDep,
    lang: OptionalText = None,
    origin: Annotated[str | None, Query(alias="from", max_length=200)] = None,
    to: OptionalText = None,
    at: Annotated[
        str | None, Query(max_length=40, description="a sign's code: its QR code opens this")
    ] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    offered = _offered(settings.language_list)
    lang = choose_language(lang, accept_language, offered)
    named_site = request.query_params.get("site")
    if not named_site and len(service.sites) > 1:
        if at:  # a sign's code typed, or an old QR code: the site whose plan has that sign
            snap = _site_of_sign(service, snap, at)
        elif not origin and not to:
            return _sites_page(request, service, snap, offered, lang)
    if at:
        sign = _scanned(service, snap, at)
        if sign is None:
            return _unknown_sign(request, service, snap, offered, lang, at, to=to)
        origin = sign.code
    return _home(request, service, snap, offered, lang, origin=origin, to=to)


def _site_of_sign(service: WayfindingService, snap: Snapshot, code: str) -> Snapshot:
    """The first site (the asked one first) whose plan has a sign with this code."""
    key = normalize_code(code)
    for other in [snap, *(service.snapshot_for(s.slug) for s in service.sites)]:
        if key in other.router.places.signs:
            return other
    return snap


def _sites_page(
    request: Request, service: WayfindingService, snap: Snapshot, offered: list[str], lang: str
) -> HTMLResponse:
    """Which site are you at? For a hospital with several, when the link says none."""
    sites = []
    for site in service.sites:
        venue = service.snapshot_for(site.slug).venue
        sites.append(
            {
                "name": label_text(venue.name, lang, fallback=site.name),
                "address": venue.postal_address(),
                "href": "/?" + urlencode({"site": site.slug, "lang": lang}),
            }
        )
    ctx = page_context(request, snap, offered, lang, sites=sites)
    ctx.update(venue_name=ctx["t"]["title"], site="", site_q="")  # the hospital, not one of its sites
    return templates.TemplateResponse(request, "sites.html", ctx)


def _scanned(service: WayfindingService, snap: Snapshot, text: str) -> Sign | None:
    """The sign whose code *text* is (typed or from its QR code), counted as a scan."""
    sign = snap.router.places.signs.get(normalize_code(text))
    usage = service.usage_at(snap)
    if sign is not None and usage is not None:
        usage.sign_scan(f"{sign.code} — {sign.label(snap.venue.language)}")
    return sign


def _unknown_sign(
    request: Request,
    service: WayfindingService,
    snap: Snapshot,
    offered: list[str],
    lang: str,
    code: str,
    *,
    to: str | None,
    profile: str = "default",
    slow: bool = False,
) -> HTMLResponse:
    """The home page again, saying no sign has that code (the visitor can still say where they are)."""
    return _home(
        request,
        service,
        snap,
        offered,
        lang,
        origin=None,
        to=to or None,
        error=ui(lang)["sign_unknown"].format(code=code.strip()[:12]),
        status=404,
        profile=profile,
        slow=slow,
    )


def _site_param(service: WayfindingService, snap: Snapshot) -> dict[str, str]:
    """``{"site": short name}`` for the links of a hospital with several sites, else nothing."""
    site = service.site_key(snap)
    return {"site": site} if site else {}


def _start_label(place: Place, lang: str) -> str:
    if place.kind == "sign":
        return ui(lang)["at_sign"].format(code=place.id, name=place.label(lang))
    return place.label(lang)


def _home(
    request: Request,
    service: WayfindingService,
    snap: Snapshot,
    offered: list[str],
    lang: str,
    *,
    origin: str | None,
    to: str | None,
    error: str | None = None,
    suggestions: list[dict[str, str]] | None = None,
    status: int = 200,
    profile: str = "default",
    slow: bool = False,
    elsewhere: dict[str, str] | None = None,
) -> HTMLResponse:
    start = None
    if origin:
        try:  # a wall poster or a kiosk: "you are at ..."
            hit = service.place(origin, snap=snap)
            start = {"id": hit.place.id, "name": _start_label(hit.place, lang)}
        except LookupError:
            start = None
    chosen = None
    if to:
        try:
            hit = service.place(to, snap=snap)
            chosen = {"id": hit.place.id, "name": hit.place.label(lang)}
        except LookupError:
            chosen = None
    ctx = page_context(
        request,
        snap,
        offered,
        lang,
        start=start,
        origin_text=origin if start is None else "",
        chosen=chosen,
        to_text=to if chosen is None else "",
        services=_services(snap, lang),
        error=error,
        suggestions=suggestions or [],
        profile=profile,
        slow=slow,
        scan_action="/",
        scan_hidden=[("lang", lang), *([("to", chosen["id"])] if chosen else [])],
        elsewhere=elsewhere,
        site_name=label_text(snap.venue.name, lang) if len(service.sites) > 1 else "",
    )
    return templates.TemplateResponse(request, "index.html", ctx, status_code=status)


@router.get("/route", response_class=HTMLResponse)
def route_page(
    request: Request,
    service: ServiceDep,
    snap: SnapshotDep,
    settings: SettingsDep,
    origin: Annotated[str | None, Query(alias="from", max_length=200)] = None,
    to: OptionalText = None,
    from_id: OptionalText = None,
    to_id: OptionalText = None,
    profile: PublicProfile = "default",
    slow: bool = False,
    step: Annotated[int, Query(ge=1, le=1000)] = 1,
    lang: OptionalText = None,
    answered: Annotated[str | None, Query(max_length=8)] = None,
    at: Annotated[str | None, Query(max_length=40)] = None,
    was: OptionalText = None,
    was_step: Annotated[int, Query(ge=1, le=1000)] = 1,
    was_profile: PublicProfile | None = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    offered = _offered(settings.language_list)
    lang = choose_language(lang, accept_language, offered)
    words = ui(lang)
    anchor: Sign | None = None
    if at:  # a sign scanned (or its code typed) on the way: the route starts again from it
        anchor = _scanned(service, snap, at)
        if anchor is None:
            return _unknown_sign(
                request, service, snap, offered, lang, at, to=to_id or to, profile=profile, slow=slow
            )
        from_id, origin, step = anchor.code, None, 1
    src = (from_id or origin or "").strip()
    dst = (to_id or to or "").strip()
    usage = service.usage_at(snap)
    typed = bool(dst) and not to_id and step == 1 and not answered  # a destination typed, not picked
    if not src or not dst:
        return _home(
            request,
            service,
            snap,
            offered,
            lang,
            origin=src or None,
            to=dst or None,
            error=words["missing_from"] if not src else words["missing_to"],
            status=422,
            profile=profile,
            slow=slow,
        )
    site = _site_param(service, snap)
    try:
        route = service.route(src, dst, profile=profile, slow=slow, lang=lang, snap=snap)
    except PlaceNotFound as exc:
        bad_is_from = exc.ref == src
        if usage is not None:
            if typed and not bad_is_from:
                usage.search(dst, found=False)
            usage.refused("ambiguous" if isinstance(exc, AmbiguousPlace) else "not-found")

        def retry(name: str) -> str:
            q = {"from": name if bad_is_from else src, "to": dst if bad_is_from else name, "lang": lang}
            return "/route?" + urlencode(
                {**q, "profile": profile, **({"slow": "true"} if slow else {}), **site}
            )

        # A service of another site: say which, where, and how to get there.
        other = None if bad_is_from else service.elsewhere(dst, snap)
        said = other.said(lang) if other is not None else {}
        if other is not None:
            error = words["elsewhere"].format(**said)
            go = {"site": other.site.slug, "to": other.place.id, "lang": lang}
            said["href"] = "/?" + urlencode(go)
            suggestions = []
        elif isinstance(exc, AmbiguousPlace):
            error = words["ambiguous"].format(ref=exc.ref)
            suggestions = [{"text": text, "href": retry(pid)} for pid, text in exc.choices]
        else:
            error = words["not_found"].format(ref=exc.ref)
            suggestions = [{"text": s, "href": retry(s)} for s in exc.suggestions]
        return _home(
            request,
            service,
            snap,
            offered,
            lang,
            # What was typed stays in its field, to be corrected rather than typed again.
            origin=src,
            to=dst,
            error=error,
            suggestions=suggestions,
            status=404,
            profile=profile,
            slow=slow,
            elsewhere=said or None,
        )
    except NoRoute as exc:
        if usage is not None:
            usage.refused(exc.reason, destination=_dest_label(snap, dst))
        ctx = page_context(
            request,
            snap,
            offered,
            lang,
            no_route=str(exc),
            back=f"/?{urlencode({'from': src, 'to': dst, 'lang': lang, **site})}",
            other_profile=None
            if profile == "default"
            else "/route?" + urlencode({"from": src, "to": dst, "lang": lang, "profile": "default", **site}),
        )
        return templates.TemplateResponse(request, "no_route.html", ctx, status_code=422)
    if step == 1 and was_step > 1 and was_profile is not None:
        # An option changed on step N of a route: the same place on the new route, not step 1.
        step = _carried_step(service, snap, src, dst, was_profile, slow, lang, was_step, route)
    ctx = _route_context(request, snap, offered, lang, route, step)
    ctx["asked_note"] = _asked_note(snap, lang, dst if not to_id else "", route)
    ctx["step_free_note"] = _step_free_note(service, snap, lang, src, dst, route, slow)
    if anchor is not None and was:  # scanned while following a route: was the walker still on it?
        on_route = _on_route(service, snap, anchor, was, route, lang)
        ctx["anchor_note"] = words["on_route" if on_route else "off_route"].format(code=anchor.code)
        if usage is not None:
            usage.reanchored(on_route=on_route)
    if usage is not None and not answered:
        _count_view(request, usage, snap, route, profile, lang, step, len(ctx["steps"]), typed)
    ctx["answered"] = answered in ANSWERS
    return templates.TemplateResponse(request, "route.html", ctx)


#: A sign within this distance of the route being followed is on it (metres, same floor).
ON_ROUTE_M = 10.0


def _on_route(
    service: WayfindingService, snap: Snapshot, sign: Sign, was: str, route: Route, lang: str
) -> bool:
    """Was the sign on the way the visitor was following (from *was* to the same place)?"""
    try:
        before = service.route(
            was, route.destination.id, profile=route.profile, slow=route.slow, lang=lang, snap=snap
        )
    except (LookupError, NoRoute, ValueError):
        return False
    here = Point(sign.x, sign.y)
    return any(
        leg.ordinal == sign.ordinal
        and len(leg.points) > 1
        and LineString(leg.points).distance(here) <= ON_ROUTE_M
        for leg in before.legs
    )


def _dest_label(snap: Snapshot, ref: str) -> str:
    place = snap.router.places.by_id.get(ref)
    return label_text(place.name, snap.venue.language, fallback=place.id) if place else ""


def _count_view(
    request: Request,
    usage: Counts,
    snap: Snapshot,
    route: Route,
    profile: str,
    lang: str,
    step: int,
    total: int,
    typed: bool,
) -> None:
    """A route's first view counts as a route asked; its last step as followed to the end
    (the page's script reports a last step reached without reloading, see :func:`arrival`)."""
    venue_lang = snap.venue.language
    if step == 1:
        usage.route(
            "phone",
            destination=label_text(route.destination.name, venue_lang, fallback=route.destination.id),
            origin=label_text(route.origin.name, venue_lang, fallback=route.origin.id),
            profile=profile,
            lang=lang,
        )
        usage.phone(client_address(request), request.headers.get("user-agent", ""))
        if typed:
            usage.search("", found=True)
    if step >= total:
        usage.followed("phone")


@router.post("/arrival", response_class=HTMLResponse)
def arrival(
    request: Request,
    service: ServiceDep,
    snap: SnapshotDep,
    answer: Annotated[str, Form(max_length=8)],
    origin: Annotated[str, Form(alias="from", max_length=200)] = "",
    to: Annotated[str, Form(max_length=200)] = "",
    lang: Annotated[str, Form(max_length=16)] = "fr",
    profile: Annotated[str, Form(max_length=16)] = "default",
    step: Annotated[int, Form(ge=1, le=1000)] = 1,
) -> Response:
    """The answer to "Did you find your way easily?" (``yes``/``no``), or from the page's script:
    ``end`` when the last step is reached without reloading, ``sensors`` when the visitor asks
    the page to follow their steps. Counted, never tied to anyone."""
    limits = limits_of(request)
    if not limits.hit("address", client_address(request)):
        return Response(status_code=429)
    usage = service.usage_at(snap)
    dest, orig = _dest_label(snap, to), _dest_label(snap, origin)
    if answer in ("end", "sensors"):
        if usage is not None and dest:
            if answer == "end":
                usage.followed("phone")
            else:
                usage.add("followed.sensors", "phone")
        return Response(status_code=204)
    if answer not in ANSWERS or not dest:
        return Response("answer yes or no, for a place of the plan", status_code=422)
    if usage is not None:
        usage.arrival(answer, destination=dest, origin=orig or "?")
    q = {"from": origin, "to": to, "lang": lang, "profile": profile, "step": str(step), "answered": answer}
    q.update(_site_param(service, snap))
    return RedirectResponse(f"/route?{urlencode(q)}#arrived", status_code=303)


def _step_free_note(
    service: WayfindingService, snap: Snapshot, lang: str, src: str, dst: str, route: Route, slow: bool
) -> dict[str, str] | None:
    """A route with stairs says whether a step-free one exists, and how long it is."""
    if route.profile == "step_free" or not route.stairs:
        return None
    words = ui(lang)
    try:
        free = service.route(src, dst, profile="step_free", slow=slow, lang=lang, snap=snap)
    except (NoRoute, PlaceNotFound):
        return {"text": words["no_step_free"], "href": ""}
    lifts = ", ".join(label_text(x, lang) for x in free.lifts)
    text = words["step_free_exists_lift" if lifts else "step_free_exists"].format(
        summary=free.summary(lang), lifts=lifts
    )
    q = {"from": route.origin.id, "to": route.destination.id, "lang": lang, "profile": "step_free"}
    q.update(_site_param(service, snap))
    return {"text": text, "href": "/route?" + urlencode({**q, **({"slow": "true"} if slow else {})})}


def _asked_note(snap: Snapshot, lang: str, typed: str, route: Route) -> str:
    """ "You asked for “IRM”: that is Radiologie, Ground floor": when the place found is not
    called what the visitor typed (a synonym, a generic word), say what it is and where."""
    name = route.destination.label(lang)
    if (
        not typed
        or normalize(typed) in normalize(name)
        or normalize(typed) == normalize(route.destination.id)
    ):
        return ""
    level = snap.venue.levels.get(route.destination.level_id)
    where = label_text(level.name, lang, fallback=str(level.ordinal)) if level is not None else ""
    return str(ui(lang)["asked_for"].format(asked=typed, name=name, level=where))


def _carried_step(
    service: WayfindingService,
    snap: Snapshot,
    src: str,
    dst: str,
    was_profile: str,
    slow: bool,
    lang: str,
    was_step: int,
    route: Route,
) -> int:
    """The step of *route* where a visitor on step *was_step* of the route they had (the same
    places, *was_profile*) stands: the new route may go another way from there (1 if it
    passes nowhere near)."""
    try:
        before = service.route(src, dst, profile=was_profile, slow=slow, lang=lang, snap=snap)
    except (PlaceNotFound, NoRoute, ValueError):
        return 1
    if was_step > len(before.maneuvers):
        return 1
    m = before.maneuvers[was_step - 1]
    at = route.step_near(m.ordinal, m.x, m.y)
    return 1 if at is None else at + 1


def _route_context(
    request: Request, snap: Snapshot, offered: list[str], lang: str, route: Route, step: int
) -> dict[str, Any]:
    words = ui(lang)
    site = service_of(request).site_key(snap)
    data = route_json(route, lang, site)
    steps = data["steps"]
    current = min(step, len(steps))
    levels = {str(leg["ordinal"]): leg["level"] for leg in data["legs"]}
    # The floors as the steps name them ("jusqu'au niveau 1"): the follower's "I am on level N".
    numbers = {
        str(lv.ordinal): label_text(lv.short_name, lang, fallback=str(lv.ordinal))
        for lv in snap.venue.levels.values()
        if str(lv.ordinal) in levels
    }
    q = route_query(route, lang, site=site)
    page_data = {
        "steps": [
            {
                "n": s["n"],
                "screen": s["screen"],
                "speech": s["speech"],
                "ordinal": s["ordinal"],
                "audio": s["audio"],
            }
            for s in steps
        ],
        "follow": data["links"]["follow"],
        "map": data["links"]["map"],
        "maps": data["links"]["maps"],
        "levels": levels,
        "level_numbers": numbers,
        "current": current,
        "words": {
            k: words[k]
            for k in (
                "current_step",
                "map_alt",
                "arrived",
                "stop",
                "play_step",
                "play_all",
                "follow_denied",
                "follow_on",
                "follow_lost",
                "follow_cue",
                "follow_off",
                "follow_wrong_way",
                "follow_ride",
                "follow_on_level",
                "follow_map",
                "map_zoom_in",
                "map_ahead_up",
                "map_zoom_out",
            )
        },
        "lang": lang,
        "audio_unavailable": words["audio_unavailable"],
    }
    cur = steps[current - 1]
    return page_context(
        request,
        snap,
        offered,
        lang,
        route=data,
        steps=steps,
        current=current,
        cur=cur,
        map_url=data["links"]["maps"][str(cur["ordinal"])],
        map_alt=words["map_alt"].format(level=levels[str(cur["ordinal"])]),
        step_href=lambda n: f"/route?{q}&step={n}",
        profile=route.profile,
        slow=route.slow,
        minutes=max(1, round(route.duration_s / 60)),
        page_data=json.dumps(page_data, ensure_ascii=False).replace("<", "\\u003c"),
        qr=data["links"]["qr"],
        scan_action="/route",
        scan_hidden=[
            ("to_id", route.destination.id),
            ("lang", lang),
            ("profile", route.profile),
            *([("slow", "true")] if route.slow else []),
            ("was", route.origin.id),
        ],
    )
