"""Everyday changes on the plan in service (``/staff/plans-edit``): a name, a synonym, a service
moved, staff-only, a kiosk's facing, a door closed for good; each becomes a draft with its diff."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SettingsDep, SnapshotDep, plan_store, service_of
from api.errors import ApiError
from api.routes.facilities.shared import drawn_floors, version_or_404, version_row
from api.security import FacilitiesStaff, check_csrf
from api.staff_pages import flash, in_thread, staff_context, staff_page, staff_words
from api.templating import site_qs
from floorplans import FloorPlanError, Venue
from floorplans.edit import EDITS, SIGN_EDITS, feature_type
from floorplans.model import label_text
from routing.signs import normalize_code

pages = APIRouter(include_in_schema=False)


def _place_entries(venue: Venue, lang: str) -> list[dict[str, str]]:
    """Every place one can change, for the list beside the plan."""
    ordinal = {lid: lv.ordinal for lid, lv in venue.levels.items()}
    out = []
    for oc in venue.occupants.values():
        unit = venue.occupant_unit(oc)
        out.append(
            {
                "id": oc.id,
                "kind": "occupant",
                "name": label_text(oc.name, lang, fallback=oc.id),
                "floor": str(ordinal.get(unit.level_id, "")) if unit else "",
            }
        )
    for u in venue.units.values():
        if u.name and u.walkable:
            out.append(
                {
                    "id": u.id,
                    "kind": "unit",
                    "name": label_text(u.name, lang),
                    "floor": str(ordinal.get(u.level_id, "")),
                }
            )
    for k in venue.kiosks.values():
        out.append(
            {
                "id": k.id,
                "kind": "kiosk",
                "name": label_text(k.name, lang, fallback=k.id),
                "floor": str(ordinal.get(k.level_id, "")),
            }
        )
    return sorted(out, key=lambda e: (e["name"].lower(), e["floor"]))


def _selection(venue: Venue, fid: str, lang: str) -> dict[str, Any] | None:
    """The selected place and what can be changed on it: a room brings its services,
    amenities and doors along, since a click on the plan selects the room."""
    from floorplans.topology import topology

    ftype = feature_type(venue, fid)
    if ftype is None:
        return None
    items: list[dict[str, Any]] = []

    def item(kind: str, f: Any) -> dict[str, Any]:
        kw = (f.extra.get("keywords") if kind == "unit" else getattr(f, "keywords", None)) or {}
        return {
            "kind": kind,
            "id": f.id,
            "name": label_text(getattr(f, "name", None), lang, fallback=f.id),
            "names": {k.split("-")[0]: v for k, v in (getattr(f, "name", None) or {}).items()},
            "synonyms": {k.split("-")[0]: ", ".join(v) for k, v in kw.items()},
            "edits": [e for e, kinds in EDITS.items() if kind in kinds],
            "staff_only": getattr(f, "restriction", None) is not None,
            "facing": getattr(f, "facing", None),
            "closed": bool(f.extra.get("closed")) if kind == "opening" else False,
        }

    unit_id = None
    if ftype == "unit":
        unit_id = fid
    elif ftype == "occupant":
        anchor = venue.anchors.get(venue.occupants[fid].anchor_id)
        unit_id = anchor.unit_id if anchor else None
    if ftype == "kiosk":
        items.append(item("kiosk", venue.kiosks[fid]))
    elif ftype == "opening":
        items.append(item("opening", venue.openings[fid]))
    if unit_id and unit_id in venue.units:
        unit = venue.units[unit_id]
        items.append(item("unit", unit))
        for oc in venue.occupants.values():
            anchor = venue.anchors.get(oc.anchor_id)
            if anchor is not None and anchor.unit_id == unit_id:
                items.append(item("occupant", oc))
        for am in venue.amenities.values():
            if unit_id in am.unit_ids and am.name:
                items.append(item("amenity", am))
        topo = topology(venue)
        for oid, sides in topo.opening_units.items():
            if unit_id in sides:
                o = venue.openings[oid]
                if not o.inferred:
                    entry = item("opening", o)
                    other = [s for s in sides if s != unit_id]
                    if not o.name:
                        towards = label_text(venue.units[other[0]].name, lang) if other else ""
                        entry["name"] = (towards and f"→ {towards}") or oid[:8]
                    items.append(entry)
    level_id = (
        venue.units[unit_id].level_id
        if unit_id in venue.units
        else getattr(venue.kiosks.get(fid) or venue.openings.get(fid), "level_id", None)
    )
    ordinal = venue.levels[level_id].ordinal if level_id in venue.levels else None
    return {"id": fid, "type": ftype, "items": items, "ordinal": ordinal}


def _rooms(venue: Venue, lang: str) -> list[dict[str, str]]:
    ordinal = {lid: lv.ordinal for lid, lv in venue.levels.items()}
    rooms = [
        {"id": u.id, "name": label_text(u.name, lang), "floor": str(ordinal.get(u.level_id, ""))}
        for u in venue.units.values()
        if u.name and u.walkable and u.category not in ("walkway", "elevator", "stairs", "steps", "ramp")
    ]
    return sorted(rooms, key=lambda r: (r["floor"], r["name"].lower()))


@pages.get("/staff/plans-edit", response_class=HTMLResponse)
async def edit_page(
    request: Request,
    user: FacilitiesStaff,
    snap: SnapshotDep,
    settings: SettingsDep,
    feature: Annotated[str, Query(max_length=128)] = "",
    base: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    store = plan_store(request)
    lang, words = staff_words(request, settings)

    def work() -> dict[str, Any]:
        # The version visitors see on the page's site (the main one unless ?site= says another).
        info = version_or_404(store, base) if base else store.published(snap.venue.id) if snap.site else None
        if info is None:
            raise ApiError(409, "Nothing is published yet: upload a plan first.", reason="nothing-published")
        venue = store.venue(info.id)
        return {
            "info": info,
            "floors": drawn_floors(venue, ("e", info.sha256), lang),
            "places": _place_entries(venue, lang),
            "selection": _selection(venue, feature, lang) if feature else None,
            "rooms": _rooms(venue, lang),
            "name_languages": sorted({lang, *(t.split("-")[0] for t in venue.languages), "fr", "en"}),
        }

    data = await in_thread(work)
    info = data.pop("info")
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path="/staff/plans-edit",
        base=version_row(info, lang, settings, words),
        feature=feature,
        error=request.session.pop("flash_error", None),
        **data,
    )
    return staff_page("fac_edit.html", ctx)


@pages.post("/staff/plans-edit")
async def edit(
    request: Request,
    user: FacilitiesStaff,
    settings: SettingsDep,
    base: Annotated[int, Form(ge=1, le=2**31 - 1)],
    action: Annotated[str, Form(max_length=16)],
    feature: Annotated[str, Form(max_length=128)],
    selected: Annotated[str, Form(max_length=128)] = "",
    lang: Annotated[str, Form(max_length=16)] = "",
    text: Annotated[str, Form(max_length=500)] = "",
    unit_id: Annotated[str, Form(max_length=128)] = "",
    value: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf)
    store = plan_store(request)
    page_lang, words = staff_words(request, settings)
    params: dict[str, Any] = {}
    if action == "rename":
        params = {"lang": lang, "text": text}
    elif action == "synonyms":
        params = {"lang": lang, "words": [w for w in re.split(r"[,;\n]", text) if w.strip()]}
    elif action == "move":
        params = {"unit_id": unit_id}
    elif action == "access":
        params = {"staff_only": value == "staff"}
    elif action == "facing":
        params = {"degrees": value.strip() or None}
    elif action == "door":
        params = {"closed": value == "closed"}
    elif action in SIGN_EDITS:
        params = {"degrees": value.strip() or None}
        signs = service_of(request).snapshot.router.places.signs
        if action in ("sign-remove", "sign-heading") and normalize_code(feature) not in signs:
            request.session["flash_error"] = words["sign_unknown"].format(code=feature[:12])
            return RedirectResponse(f"/staff/signs{site_qs(request)}", status_code=303)
    try:
        info, done = await in_thread(
            lambda: store.edit(base, action, feature, actor=user.name, note=note.strip(), **params)
        )
    except FloorPlanError as exc:
        request.session["flash_error"] = exc.said(page_lang)
        if action in SIGN_EDITS:
            return RedirectResponse(f"/staff/signs{site_qs(request)}", status_code=303)
        back = {"feature": selected or feature, "base": str(base)}
        return RedirectResponse(f"/staff/plans-edit?{urlencode(back)}", status_code=303)
    flash(request, words["f_edited"].format(done=done.said(page_lang), id=info.id))
    return RedirectResponse(f"/staff/plans/{info.id}", status_code=303)
