"""Facilities page ``/staff/signs``: the plan's "you are here" signs, to print (A4, A3).

The signs come from the plan in service (:mod:`routing.signs`); this page lists them
with how often each was scanned over the last 30 days (anonymous daily counts,
``core/usage.py``), and serves each sign, or all of them, as a PDF (:mod:`signage`). Its forms
remove, turn or add a sign: each change is an everyday edit (``/staff/plans-edit``, actions
``sign-*``), a draft to publish like any other.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep, SnapshotDep, service_of
from api.errors import ApiError
from api.security import FacilitiesStaff
from api.staff_pages import staff_context, staff_page
from core.service import Snapshot, WayfindingService
from core.usage import Period
from floorplans.edit import sign_overrides
from floorplans.model import label_text
from routing.signs import normalize_code
from signage import sign_url, signs_pdf

pages = APIRouter(include_in_schema=False)

Size = Annotated[Literal["A4", "A3"], Query(description="paper size")]


def _scans(service: WayfindingService, snap: Snapshot) -> Counter[str]:
    """Scans per sign code of *snap*'s site over the last 30 days."""
    out: Counter[str] = Counter()
    usage = service.usage
    if usage is None:
        return out
    today = usage.today()
    usage.flush()
    period = Period(today - timedelta(days=29), today)
    totals = usage.totals(period, kinds=["sign.scan"], sites=service.usage_sites(snap))
    counts: Counter[str] = totals.get("sign.scan", Counter())
    for key, n in counts.items():
        out[key.split(" ", 1)[0]] += n
    return out


@pages.get("/staff/signs", response_class=HTMLResponse)
async def signs_page(
    request: Request, user: FacilitiesStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    service = service_of(request)
    scans = await run_in_threadpool(_scans, service, snap)
    lang = staff_context(request, snap, settings, user)["lang"]
    venue = snap.venue
    rows = [
        {
            "code": s.code,
            "kind": s.kind,
            "name": s.label(lang),
            "level": label_text(venue.levels[s.level_id].name, lang, fallback=str(s.ordinal)),
            "heading": f"{s.heading:.0f}°",
            "degrees": f"{s.heading:.0f}",
            "scans": scans.get(s.code, 0),
            "url": sign_url(settings.base_url(), s, service.site_key(snap)),
        }
        for s in snap.router.places.signs.values()
    ]
    removed = sorted(code for code, change in sign_overrides(venue).items() if change.get("removed"))
    places = sorted(
        (
            {
                "id": u.id,
                "name": label_text(u.name, lang) + " — " + label_text(venue.levels[u.level_id].name, lang),
            }
            for u in venue.units.values()
            if u.name and u.public and u.walkable and u.category not in ("elevator", "stairs", "escalator")
        ),
        key=lambda p: p["name"].casefold(),
    )
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path="/staff/signs",
        signs=rows,
        removed=removed,
        places=places,
        base=snap.version_id,
        error=request.session.pop("flash_error", None),
    )
    return staff_page("fac_signs.html", ctx)


def _pdf(body: bytes, name: str) -> Response:
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"},
    )


@pages.get("/staff/signs/all.pdf")
async def all_signs_pdf(
    request: Request,
    user: FacilitiesStaff,
    service: ServiceDep,
    snap: SnapshotDep,
    settings: SettingsDep,
    size: Size = "A4",
) -> Response:
    signs = list(snap.router.places.signs.values())
    if not signs:
        raise ApiError(404, "The plan in service calls for no sign.")
    body = await run_in_threadpool(
        lambda: signs_pdf(
            snap.venue, signs, base_url=settings.base_url(), size=size, site=service.site_key(snap)
        )
    )
    slug = re.sub(r"[^A-Za-z0-9]+", "-", label_text(snap.venue.name, "fr", fallback="venue")).strip("-")
    return _pdf(body, f"signs-{slug}-{size}.pdf")


@pages.get("/staff/signs/{code}.pdf")
async def sign_pdf(
    request: Request,
    user: FacilitiesStaff,
    service: ServiceDep,
    snap: SnapshotDep,
    settings: SettingsDep,
    code: Annotated[str, PathParam(max_length=12)],
    size: Size = "A4",
) -> Response:
    sign = snap.router.places.signs.get(normalize_code(code))
    if sign is None:
        raise ApiError(404, f"No sign {code!r} on the plan in service.")
    body = await run_in_threadpool(
        lambda: signs_pdf(
            snap.venue, [sign], base_url=settings.base_url(), size=size, site=service.site_key(snap)
        )
    )
    return _pdf(body, f"sign-{sign.code}-{size}.pdf")
