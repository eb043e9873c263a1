"""The companion's page (``/c/{token}``) and the waiting-room board (``/board/{pathway}``).

No login: the companion's link is the key (at least 128 random bits; the
store keeps only its SHA-256). What they show is the patient's *stage* in
the pathway, since when, and the stages done and to come; never a position,
a room or a map of where the patient is. Both are complete pages on a plain
refresh; a small script keeps them current through Server-Sent Events
(``.../events``), which the browser reopens by itself after a cut.

- An unknown token: 404, the same page whatever the token was (nothing says
  whether it ever existed). A link ended by discharge or expiry: 410 with a
  kind message in the companion's language.
- Requests are limited per link and per client address (429, with
  ``Retry-After``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep, SnapshotDep, hub_of, service_of, tracker_store_of
from api.errors import ApiError
from api.i18n import choose_language, clock, duration, page_languages, ui
from api.live import LinkView, StatusHub
from api.schemas import CompanionOut, CompanionStageOut, errors
from api.security import RateLimits, client_address, limits_of
from api.templating import page_context, templates
from core.service import Snapshot
from core.settings import Settings
from floorplans.model import Pathway, label_text
from tracker.store import Link

router = APIRouter()

Token = Annotated[str, PathParam(min_length=1, max_length=200, description="The companion link's token.")]
PathwayId = Annotated[
    str, PathParam(min_length=1, max_length=64, description="A pathway id (pathways.json).")
]
Lang = Annotated[str | None, Query(max_length=16, description="Page language; default: the companion's.")]

#: How often an open page hears from the server even when nothing changes (its times move on).
TICK_S = 30.0


# -- what the pages show ---------------------------------------------------------------------------


def stage_timeline(pathway: Pathway | None, view: LinkView, lang: str) -> list[dict[str, Any]]:
    """The pathway's stages, each ``done``, ``current`` or ``todo``."""
    if pathway is None:
        return []
    ids = [s.id for s in pathway.stages]
    at = ids.index(view.stage_id) if view.stage_id in ids else -1
    return [
        {
            "id": s.id,
            "label": label_text(s.label, lang, fallback=s.id),
            "state": "done" if i < at else "current" if i == at else "todo",
        }
        for i, s in enumerate(pathway.stages)
    ]


def pickup_stage(pathway: Pathway | None) -> str | None:
    """The stage that means "come and pick the patient up": the one at the pick-up place,
    else the pathway's last."""
    if pathway is None or not pathway.stages:
        return None
    for st in pathway.stages:
        if pathway.pickup_unit_id and pathway.pickup_unit_id in st.unit_ids:
            return st.id
    return pathway.stages[-1].id


def _pathway(snap: Snapshot, pathway_id: str) -> Pathway | None:
    return snap.venue.pathways.get(pathway_id)


def status_context(
    snap: Snapshot, settings: Settings, view: LinkView, lang: str, now: datetime | None = None
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    words = ui(lang)
    pathway = _pathway(snap, view.pathway_id)
    timeline = stage_timeline(pathway, view, lang)
    current = next((s for s in timeline if s["state"] == "current"), None)
    ended = view.state == "ended"
    since = None if ended else view.since
    return {
        "view": view,
        "pathway_name": label_text(pathway.name, lang, fallback=view.pathway_id) if pathway else "",
        "timeline": timeline,
        "current": current,
        # Ended (discharged, or the link expired): the big box says so, not "no news yet".
        "headline": words["c_ended_title"]
        if ended
        else current["label"]
        if current
        else words["c_no_news_yet"],
        "since_text": words["c_since"].format(time=clock(since, lang, settings.zone)) if since else "",
        "for_text": duration((now - since).total_seconds(), lang) if since else "",
        "since_iso": since.isoformat() if since else "",
        "ready": not ended and view.stage_id is not None and view.stage_id == pickup_stage(pathway),
    }


def start_points(snap: Snapshot, pathway: Pathway | None, lang: str) -> list[dict[str, Any]]:
    """Where a companion may say they are, in groups: waiting rooms (the pathway's first),
    entrances, kiosks; names that repeat get their level."""
    venue = snap.venue
    words = ui(lang)
    own = {uid for st in (pathway.stages if pathway else []) for uid in st.unit_ids}
    rooms = [u for u in venue.units.values() if u.category == "waitingroom" and u.public]
    rooms.sort(key=lambda u: (u.id not in own, label_text(u.name, lang, fallback=u.id).casefold()))
    names = [label_text(u.name, lang, fallback=u.id) for u in rooms]
    waiting = []
    for u, name in zip(rooms, names, strict=True):
        if names.count(name) > 1:
            level = venue.levels[u.level_id]
            where = label_text(level.name, lang, fallback=str(level.ordinal))
            building = venue.buildings.get(level.building_ids[0]) if level.building_ids else None
            if building is not None and building.name:
                where = words["level_in_building"].format(
                    level=where, building=label_text(building.name, lang)
                )
            name = f"{name} ({where})"
        waiting.append({"id": u.id, "name": name})
    index = snap.router.walk.index
    entrances: dict[str, str] = {}
    for o in venue.openings.values():
        name = label_text(o.name, lang) if o.name else ""
        if name and f"entrance:{o.id}" in index and name not in entrances:
            entrances[name] = o.id
    kiosks = [
        {"id": k.id, "name": label_text(k.name, lang, fallback=k.id)}
        for k in sorted(venue.kiosks.values(), key=lambda k: label_text(k.name, lang, fallback=k.id))
    ]
    groups = [
        {"label": words["c_group_waiting"], "places": waiting},
        {
            "label": words["c_group_entrances"],
            "places": [{"id": i, "name": n} for n, i in sorted(entrances.items())],
        },
        {"label": words["c_group_kiosks"], "places": kiosks},
    ]
    return [g for g in groups if g["places"]]


# -- access ------------------------------------------------------------------------------------------


def _limits(request: Request) -> RateLimits:
    limits = limits_of(request)
    return limits


def _throttle(request: Request, *keys: tuple[str, str]) -> None:
    limits = _limits(request)
    for name, key in keys:
        if not limits.hit(name, key):
            raise ApiError(
                429,
                "Too many requests: wait a moment, then reload the page.",
                reason="rate",
                retry_after=limits.retry_after(name, key),
            )


async def _link_of(request: Request, token: str) -> Link:
    """The token's link, if it still opens the page: 404 unknown, 410 ended."""
    _throttle(request, ("address", client_address(request)), ("companion", token[:64]))
    link = await run_in_threadpool(tracker_store_of(request).token_link, token)
    if link is None:
        raise ApiError(404, "This link is not known.", reason="unknown-link")
    if not link.companion_open():
        raise ApiError(410, "This link has ended.", reason="ended", lang=link.companion_lang)
    return link


async def _open_link(request: Request, token: Token) -> Link:
    """:func:`_link_of` as a dependency: checked before a stream's answer begins (an unknown or
    ended link is a 404 or 410, not a 200 that then breaks off)."""
    return await _link_of(request, token)


OpenLink = Annotated[Link, Depends(_open_link)]


def _page_lang(
    request: Request, settings: Settings, asked: str | None, default: str | None = None
) -> tuple[str, list[str]]:
    offered = page_languages(settings.language_list) or ["fr"]
    lang = choose_language(asked or default, request.headers.get("accept-language"), offered)
    return lang, offered


# -- the companion page -------------------------------------------------------------------------------


@router.get("/c/{token}", response_class=HTMLResponse, include_in_schema=False)
async def companion_page(
    request: Request, token: Token, snap: SnapshotDep, settings: SettingsDep, lang: Lang = None
) -> HTMLResponse:
    link = await _link_of(request, token)
    service = service_of(request)
    snap = service.for_pathway(link.pathway_id, snap)  # the site of the patient's pathway
    lang, offered = _page_lang(request, settings, lang, link.companion_lang)
    view = hub_of(request).view(link)
    pathway = _pathway(snap, link.pathway_id)
    site = service.site_key(snap)
    ctx = page_context(
        request,
        snap,
        offered,
        lang,
        path=request.url.path,  # only ?lang=: nothing else of the address carried over
        events_url=f"/c/{token}/events?{urlencode({'lang': lang})}",
        starts=start_points(snap, pathway, lang),
        pickup_id=pathway.pickup_unit_id if pathway else None,
        search_url="/?"
        + urlencode({"to": pathway.pickup_unit_id, "lang": lang, **({"site": site} if site else {})})
        if pathway and pathway.pickup_unit_id
        else None,
        **status_context(snap, settings, view, lang),
    )
    response = templates.TemplateResponse(request, "companion.html", ctx)
    _private(response)
    return response


def _private(response: Response) -> None:
    """A companion page is nobody else's: no caching on the way, no referrer carrying the token."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"


@router.get(
    "/c/{token}/events",
    response_class=EventSourceResponse,
    include_in_schema=False,
)
async def companion_events(
    request: Request, link: OpenLink, snap: SnapshotDep, settings: SettingsDep, lang: Lang = None
) -> AsyncIterator[ServerSentEvent]:
    """``status`` events (the page's live part, as HTML) until the link ends (``ended``); an
    unknown link is a 404, an ended one a 410, before any event."""
    lang, _offered = _page_lang(request, settings, lang, link.companion_lang)
    service = service_of(request)
    fragments: Fragments = request.app.state.fragments
    hub = hub_of(request)

    async def render() -> tuple[ServerSentEvent, bool]:
        view = hub.view(link)
        data = fragments.status(service.for_pathway(link.pathway_id), settings, view, lang)
        ended = view.state == "ended"
        return ServerSentEvent(raw_data=data, event="ended" if ended else "status", retry=3000), ended

    async for event in hub.follow(render, link_id=link.id, every_s=TICK_S):
        yield event


class Fragments:
    """The companion page's live part, rendered once per patient state, language and minute,
    and shared by every page open on it (a family often has several phones on one link;
    a thousand pages cost a thousand renderings per change otherwise). Used on the event
    loop only: no lock."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._done: dict[tuple[Any, ...], str] = {}
        self._template = templates.get_template("companion_status.html")

    def status(self, snap: Snapshot, settings: Settings, view: LinkView, lang: str) -> str:
        """The event's data (JSON: html, state, stage). "For 25 min" counts from the start of
        the minute: the page's script keeps it to the minute between two events."""
        minute = int(datetime.now(UTC).timestamp() // 60)
        key = (snap.generation, view, lang, minute)
        data = self._done.get(key)
        if data is None:
            if len(self._done) >= self.size:
                self._done.clear()
            now = datetime.fromtimestamp(minute * 60, UTC)
            ctx = {"t": ui(lang), "lang": lang, **status_context(snap, settings, view, lang, now)}
            html = self._template.render(ctx)
            data = json.dumps({"html": html, "state": view.state, "stage": view.stage_id}, ensure_ascii=False)
            self._done[key] = data
        return data


@router.get(
    "/api/v1/companion/{token}",
    response_model=CompanionOut,
    responses=errors(404, 410, 422, 429),
    tags=["companion"],
    summary="The patient's stage, for the companion's link",
)
async def companion_status(
    request: Request, token: Token, snap: SnapshotDep, settings: SettingsDep, lang: Lang = None
) -> CompanionOut:
    """What the companion page shows, as JSON: the current stage in the companion's
    language, since when, and every stage of the pathway. Never a place."""
    link = await _link_of(request, token)
    snap = service_of(request).for_pathway(link.pathway_id, snap)
    lang, _offered = _page_lang(request, settings, lang, link.companion_lang)
    view = hub_of(request).view(link)
    ctx = status_context(snap, settings, view, lang)
    pathway = _pathway(snap, link.pathway_id)
    return CompanionOut(
        lang=lang,
        pathway=link.pathway_id,
        pathway_name=ctx["pathway_name"],
        stage=view.stage_id,
        label=ctx["current"]["label"] if ctx["current"] else None,
        since=view.since,
        signal=view.signal,
        updates=view.state,
        ready=ctx["ready"],
        pickup_place=pathway.pickup_unit_id if pathway and ctx["ready"] else None,
        stages=[CompanionStageOut(**s) for s in ctx["timeline"]],
    )


# -- the waiting-room board --------------------------------------------------------------------------


def board_rows(
    hub: StatusHub, snap: Snapshot, settings: Settings, pathway_id: str, lang: str
) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for link in hub.pathway_links(pathway_id):
        view = hub.view(link, now)
        if view.state == "ended":
            continue
        ctx = status_context(snap, settings, view, lang, now)
        rows.append(
            {
                "code": link.short_code or str(link.id),
                # One line a patient: "no news yet" in short (the page's sentence fills three).
                "stage": ctx["headline"] if ctx["current"] else ui(lang)["b_no_stage"],
                "for_text": ctx["for_text"],
                "since_iso": ctx["since_iso"],
                "ready": ctx["ready"],
                "lost": view.signal == "lost",
            }
        )
    return rows


def pathway_or_404(snap: Snapshot, pathway_id: str) -> Pathway:
    pathway = _pathway(snap, pathway_id)
    if pathway is None:
        raise ApiError(404, f"No pathway {pathway_id!r} in the plans in service.", reason="unknown-pathway")
    return pathway


@router.get("/board/{pathway_id}", response_class=HTMLResponse, include_in_schema=False)
async def board_page(
    request: Request, pathway_id: PathwayId, snap: SnapshotDep, settings: SettingsDep, lang: Lang = None
) -> HTMLResponse:
    _throttle(request, ("address", client_address(request)))
    pathway = pathway_or_404(snap, pathway_id)
    lang, offered = _page_lang(request, settings, lang)
    ctx = page_context(
        request,
        snap,
        offered,
        lang,
        path=request.url.path,
        pathway_name=label_text(pathway.name, lang, fallback=pathway.id),
        rows=board_rows(hub_of(request), snap, settings, pathway_id, lang),
        events_url=f"/board/{pathway_id}/events?{urlencode({'lang': lang})}",
        paused=hub_of(request).paused,
    )
    return templates.TemplateResponse(request, "board.html", ctx)


def _board_pathway(request: Request, pathway_id: PathwayId, snap: SnapshotDep) -> str:
    """The board's pathway, checked before its stream begins (404 for an unknown one)."""
    _throttle(request, ("address", client_address(request)))
    pathway_or_404(snap, pathway_id)
    return pathway_id


@router.get("/board/{pathway_id}/events", response_class=EventSourceResponse, include_in_schema=False)
async def board_events(
    request: Request,
    pathway_id: Annotated[str, Depends(_board_pathway)],
    settings: SettingsDep,
    lang: Lang = None,
) -> AsyncIterator[ServerSentEvent]:
    """``rows`` events (the board's rows, as HTML) every few seconds and at each change."""
    lang, _offered = _page_lang(request, settings, lang)
    hub = hub_of(request)
    service = service_of(request)
    template = templates.get_template("board_rows.html")

    async def render() -> tuple[ServerSentEvent, bool]:
        rows = board_rows(hub, service.for_pathway(pathway_id), settings, pathway_id, lang)
        html = template.render({"t": ui(lang), "rows": rows, "paused": hub.paused})
        return ServerSentEvent(data={"html": html, "paused": hub.paused}, event="rows", retry=3000), False

    async for event in hub.follow(render, pathway_id=pathway_id, every_s=TICK_S):
        yield event
