"""Closures (``/staff/closures``): a corridor, door, lift or room closed for a while, with a
reason and an end, after seeing what it does to visitors' routes; reopen early."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SettingsDep, SnapshotDep, plan_store
from api.errors import ApiError
from api.i18n import clock
from api.routes.facilities.shared import after_change, drawn_floors, when
from api.security import FacilitiesStaff, check_csrf
from api.staff_pages import flash, in_thread, staff_context, staff_page, staff_words
from api.templating import site_qs
from core.accounts import StaffUser
from core.service import Snapshot
from core.settings import Settings
from floorplans import FloorPlanError, Venue
from floorplans.model import label_text
from floorplans.store import Closure, parse_until
from floorplans.text import T

pages = APIRouter(include_in_schema=False)
#: Durations offered in the closure form (or a date).
_UNTIL_CHOICES = ("1h", "2h", "4h", "8h", "1d", "3d", "7d")


def _closable_entries(venue: Venue, lang: str) -> list[dict[str, str]]:
    """Lifts, stairs and ramps first (what is closed most), then corridors, doors, rooms."""
    ordinal = {lid: lv.ordinal for lid, lv in venue.levels.items()}
    groups: list[dict[str, str]] = []
    for r in venue.relationships.values():
        if r.category in ("elevator", "stairs", "escalator", "ramp") and not r.inferred:
            groups.append(
                {
                    "id": r.id,
                    "group": r.category,
                    "name": label_text(r.name, lang, fallback=r.category),
                    "floor": "",
                }
            )
    for u in venue.units.values():
        if not u.walkable or not u.name:
            continue
        group = "corridor" if u.category in ("walkway", "footbridge", "ramp", "steps", "lobby") else "room"
        if u.category in ("elevator", "stairs"):
            group = u.category
        groups.append(
            {
                "id": u.id,
                "group": group,
                "name": label_text(u.name, lang),
                "floor": str(ordinal.get(u.level_id, "")),
            }
        )
    for o in venue.openings.values():
        if o.name and not o.inferred:
            groups.append(
                {
                    "id": o.id,
                    "group": "door",
                    "name": label_text(o.name, lang),
                    "floor": str(ordinal.get(o.level_id, "")),
                }
            )
    order = {"elevator": 0, "escalator": 1, "stairs": 2, "ramp": 3, "corridor": 4, "door": 5, "room": 6}
    return sorted(groups, key=lambda g: (order.get(g["group"], 9), g["name"].lower(), g["floor"]))


def _closure_row(c: Closure, venue: Venue, lang: str, settings: Settings, now: datetime) -> dict[str, Any]:
    feat = venue.feature(c.feature_id)
    return {
        "id": c.id,
        "name": label_text(getattr(feat, "name", None), lang, fallback=c.feature_name),
        "type": c.feature_type,
        "reason": c.reason,
        "from": when(c.starts_at, lang, settings),
        "until": when(c.ends_at, lang, settings),
        "reopened": when(c.reopened_at, lang, settings),
        "by": c.created_by,
        "active": c.active(now),
        "future": c.reopened_at is None and c.starts_at > now,
    }


def _effects_text(snap: Snapshot, feature_id: str, lang: str, words: dict[str, str]) -> list[str]:
    effects = snap.router.closure_effects([feature_id])
    profile = {"default": words["f_prof_default"], "step_free": words["f_prof_step_free"]}
    seen: set[tuple[str, str, str]] = set()
    out = []
    for e in sorted(effects, key=lambda e: (e.kind != "unreachable", e.profile, e.place.label(lang))):
        name = e.place.label(lang)
        if (e.profile, name, e.kind) in seen:
            continue
        seen.add((e.profile, name, e.kind))
        origins = ", ".join(dict.fromkeys(o.label(lang) for o in e.origins))
        if e.kind == "unreachable":
            out.append(words["f_eff_unreachable"].format(profile=profile[e.profile], name=name))
        elif e.kind == "unreachable-from":
            out.append(
                words["f_eff_unreachable_from"].format(profile=profile[e.profile], name=name, origins=origins)
            )
        else:
            minutes = max(1, round((e.extra_s or 0) / 60))
            out.append(
                words["f_eff_longer"].format(
                    profile=profile[e.profile], name=name, min=minutes, origins=origins
                )
            )
    return out


async def _closures_page(
    request: Request,
    snap: Snapshot,
    settings: Settings,
    user: StaffUser,
    *,
    feature: str = "",
    form: dict[str, str] | None = None,
    preview: list[str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    store = plan_store(request)
    lang = staff_words(request, settings)[0]
    venue = snap.venue
    now = datetime.now(UTC)
    closures = await in_thread(lambda: store.closures(include_inactive=True, site=venue.id))
    rows = [_closure_row(c, venue, lang, settings, now) for c in closures]
    current = [r for r in rows if r["active"] or r["future"]]
    past = sorted((r for r in rows if not (r["active"] or r["future"])), key=lambda r: -r["id"])[:50]
    entries = _closable_entries(venue, lang)
    chosen = next((e for e in entries if e["id"] == feature), None)
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path="/staff/closures",
        current=current,
        past=past,
        entries=entries,
        feature=feature,
        chosen=chosen,
        form=form or {"reason": "", "until": "2h", "until_at": ""},
        until_choices=_UNTIL_CHOICES,
        preview=preview,
        error=error,
        done=request.session.pop("flash", None),
        floors=await in_thread(lambda: drawn_floors(venue, ("c", snap.version_id or snap.source), lang)),
    )
    return staff_page("fac_closures.html", ctx, status)


def _whole_link(venue: Venue, fid: str) -> str:
    """A lift or stairs clicked on one floor means the whole lift or stairs: the relationship
    that joins its stops (closing one floor's cabin alone would leave the others running)."""
    unit = venue.units.get(fid)
    if unit is None or unit.category not in ("elevator", "stairs", "escalator"):
        return fid
    for r in venue.relationships.values():
        if fid in r.unit_ids() and r.category in ("elevator", "stairs", "escalator"):
            return r.id
    return fid


@pages.get("/staff/closures", response_class=HTMLResponse)
async def closures_page(
    request: Request,
    user: FacilitiesStaff,
    snap: SnapshotDep,
    settings: SettingsDep,
    feature: Annotated[str, Query(max_length=128)] = "",
) -> HTMLResponse:
    preview = None
    if feature:
        feature = _whole_link(snap.venue, feature)
        lang, words = staff_words(request, settings)
        if feature in snap.router.walk.by_feature:
            preview = await in_thread(lambda: _effects_text(snap, feature, lang, words))
    return await _closures_page(request, snap, settings, user, feature=feature, preview=preview)


def _until(choice: str, at: str, settings: Settings) -> datetime:
    if choice == "at":
        if not at:
            raise FloorPlanError(T("give the date and time the closure ends"))
        dt = datetime.fromisoformat(at)
        return dt if dt.tzinfo else dt.replace(tzinfo=settings.zone)
    return parse_until(choice)


@pages.post("/staff/closures", response_class=HTMLResponse)
async def close(
    request: Request,
    user: FacilitiesStaff,
    snap: SnapshotDep,
    settings: SettingsDep,
    feature: Annotated[str, Form(max_length=128)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
    until: Annotated[str, Form(max_length=16)] = "2h",
    until_at: Annotated[str, Form(max_length=32)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Without ``confirm``: show what the closure would do (the preview), nothing saved.
    With it: save the closure; routes, kiosks and phone pages follow at once."""
    check_csrf(request, csrf)
    lang, words = staff_words(request, settings)
    form = {"reason": reason, "until": until, "until_at": until_at}
    store = plan_store(request)
    try:
        if feature not in snap.router.walk.by_feature:
            raise FloorPlanError(words["f_err_pick"])
        ends = _until(until, until_at, settings)
        if ends <= datetime.now(UTC):
            raise FloorPlanError(words["f_err_past"])
        if not reason.strip():
            raise FloorPlanError(words["f_err_reason"])
    except (FloorPlanError, ValueError) as exc:
        why = exc.said(lang) if isinstance(exc, FloorPlanError) else str(exc)
        return await _closures_page(
            request, snap, settings, user, feature=feature, form=form, error=why, status=422
        )
    if confirm != "yes":
        preview = await in_thread(lambda: _effects_text(snap, feature, lang, words))
        return await _closures_page(
            request, snap, settings, user, feature=feature, form=form, preview=preview
        )
    try:
        closure = await in_thread(
            lambda: store.close(
                feature, reason=reason.strip(), actor=user.name, until=ends, site=snap.venue.id
            )
        )
    except FloorPlanError as exc:
        return await _closures_page(
            request, snap, settings, user, feature=feature, form=form, error=exc.said(lang), status=422
        )
    await after_change(request)
    flash(
        request,
        words["f_closed"].format(
            name=closure.feature_name, until=clock(closure.ends_at, lang, settings.zone)
        ),
    )
    return RedirectResponse(f"/staff/closures{site_qs(request)}", status_code=303)


@pages.post("/staff/closures/{closure_id}/reopen")
async def reopen(
    request: Request,
    closure_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    user: FacilitiesStaff,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf)
    store = plan_store(request)
    words = staff_words(request, settings)[1]
    try:
        closure = await in_thread(lambda: store.reopen(closure_id, actor=user.name))
    except FloorPlanError as exc:
        raise ApiError(404, str(exc), reason="unknown-closure") from None
    await after_change(request)
    flash(request, words["f_reopened"].format(name=closure.feature_name))
    return RedirectResponse(f"/staff/closures{site_qs(request)}", status_code=303)
