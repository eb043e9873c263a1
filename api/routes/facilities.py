"""Facilities pages (role ``facilities``): plans, everyday changes and closures, in a browser.

- ``/staff/plans``: the versions (who, when, note), an upload form, compare any two.
- ``/staff/plans/{id}``: one version: its report grouped by severity with each
  problem numbered on the drawn floors, what it changes against the version in
  service, in words, and Publish / Discard (a draft), Roll back / Export.
- ``/staff/plans/edit``: the plan in service (or a draft); a click on a room
  selects it, and the changes a facilities office makes every week (a name, a
  synonym, a service moved, staff-only, a kiosk's facing, a door closed for
  good) each become a draft with its diff, published like any import.
- ``/staff/closures``: close a corridor, door, lift or room for a while, with a
  reason and an end, after seeing what it does to visitors' routes; reopen early.

Every change goes through :class:`floorplans.store.FloorPlanStore`, which writes
the audit log in the same transaction; after a publish or a closure this
process refreshes its snapshot at once (other replicas within their refresh
period), so phone pages and kiosks follow without a restart.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import SettingsDep, SnapshotDep
from api.errors import ApiError
from api.i18n import clock, day_and_time, page_languages, ui
from api.security import AdminStaff, AnyStaff, FacilitiesStaff, check_csrf
from api.staff_pages import staff_context, staff_language, staff_page
from core.accounts import ROLES, AccountError, AccountStore, StaffUser, new_password
from core.service import Snapshot, WayfindingService
from core.settings import Settings
from core.usage import Period, UsageRecorder
from floorplans import FloorPlanError, FloorPlanStore, Venue
from floorplans.edit import EDITS, SIGN_EDITS, feature_type
from floorplans.imdf import imdf_zip_bytes
from floorplans.model import label_text
from floorplans.render import numbered_problems, render_floor_svg
from floorplans.store import Closure, VersionInfo, parse_until
from floorplans.upload import UploadRefused
from routing.signs import normalize_code

pages = APIRouter(include_in_schema=False)

VersionId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
T = TypeVar("T")
#: Drawn floors kept per process: (version, ordinal, language, what is marked) -> SVG.
_SVG_CACHE: dict[tuple[Any, ...], str] = {}
_SVG_CACHE_SIZE = 64
_SVG_LOCK = threading.Lock()  # pages are drawn in the threadpool
#: Durations offered in the closure form (or a date).
_UNTIL_CHOICES = ("1h", "2h", "4h", "8h", "1d", "3d", "7d")


# -- helpers ---------------------------------------------------------------------------------------


def _store(request: Request) -> FloorPlanStore:
    service: WayfindingService = request.app.state.service
    store = service.store
    if store is None:
        raise ApiError(503, "No floor plan store: the service runs on a plan file only.", reason="no-store")
    return store


def _service(request: Request) -> WayfindingService:
    service: WayfindingService = request.app.state.service
    return service


async def _in_thread(fn: Callable[[], T]) -> T:
    return await run_in_threadpool(fn)


def _flash(request: Request, text: str) -> None:
    request.session["flash"] = text


def _words(request: Request, settings: Settings) -> tuple[str, dict[str, str]]:
    lang, _offered = staff_language(request, settings)
    return lang, ui(lang)


def _when(dt: datetime | None, lang: str, settings: Settings) -> str:
    return day_and_time(dt, lang, settings.zone) if dt else ""


def _version_row(v: VersionInfo, lang: str, settings: Settings, words: dict[str, str]) -> dict[str, Any]:
    return {
        "id": v.id,
        "status": v.status,
        "status_text": words.get(f"f_status_{v.status}", v.status),
        "created": _when(v.created_at, lang, settings),
        "published": _when(v.published_at, lang, settings),
        "by": v.created_by,
        "note": v.note,
        "source": v.source,
        "errors": v.errors,
        "warnings": v.warnings,
        "rollback": v.status == "archived" and v.published_at is not None,
    }


def _svg(venue: Venue, key: tuple[Any, ...], draw: Callable[[], str]) -> Markup:
    with _SVG_LOCK:
        svg = _SVG_CACHE.get(key)
    if svg is None:
        svg = draw()  # two threads may draw the same floor once each: the same result
        with _SVG_LOCK:
            if len(_SVG_CACHE) >= _SVG_CACHE_SIZE:
                _SVG_CACHE.clear()
            _SVG_CACHE[key] = svg
    # Our own renderer's output: every text and attribute from the archive is escaped there.
    return Markup(svg)


def _floors(
    venue: Venue, version_key: Any, lang: str, problems: list[Any] | None = None
) -> list[dict[str, Any]]:
    out = []
    for ordinal, levels in venue.levels_by_ordinal().items():
        if not any(True for lv in levels for _u in venue.units_on(lv.id)):
            continue
        name = label_text(levels[0].name, lang, fallback=str(ordinal))
        key = (version_key, ordinal, lang, bool(problems))
        svg = _svg(
            venue,
            key,
            lambda o=ordinal: render_floor_svg(venue, o, lang=lang, scale=6.0, problems=problems),  # type: ignore[misc]
        )
        out.append({"ordinal": ordinal, "name": name, "svg": svg})
    return out


# -- plans: versions, upload -----------------------------------------------------------------------


async def _plans_page(
    request: Request,
    snap: Snapshot,
    settings: Settings,
    user: StaffUser,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    store = _store(request)
    lang, words = _words(request, settings)
    versions = await _in_thread(store.versions)
    rows = [_version_row(v, lang, settings, words) for v in reversed(versions)]
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path="/staff/plans",
        rows=rows,
        error=error,
        done=request.session.pop("flash", None),
        max_mb=f"{settings.upload_max_mb:g}",
        ids=[v.id for v in reversed(versions) if v.status != "discarded"],
        # Nothing in the store yet: visitors see the plan the service was started on.
        builtin=label_text(snap.venue.name, lang, fallback=snap.venue.id) if snap.version_id is None else "",
    )
    return staff_page("fac_plans.html", ctx, status)


@pages.get("/staff/plans", response_class=HTMLResponse)
async def plans(
    request: Request, user: FacilitiesStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    return await _plans_page(request, snap, settings, user)


@pages.post("/staff/plans/upload", response_class=HTMLResponse)
async def upload(
    request: Request, user: FacilitiesStaff, snap: SnapshotDep, settings: SettingsDep
) -> Response:
    """An IMDF ``.zip`` from the form: refused by its announced size before it is read,
    then checked as an upload (size unpacked, entries, coordinates) before it is parsed."""
    words = _words(request, settings)[1]
    limits = settings.upload_limits()
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return await _plans_page(request, snap, settings, user, error=words["f_err_no_length"], status=411)
    if int(length) > limits.max_bytes + 64 * 1024:
        return await _plans_page(
            request,
            snap,
            settings,
            user,
            error=words["f_err_too_big"].format(mb=f"{settings.upload_max_mb:g}"),
            status=413,
        )
    form = await request.form(max_files=1, max_fields=4, max_part_size=64 * 1024)
    try:
        check_csrf(request, str(form.get("csrf") or ""))
        archive = form.get("archive")
        note = str(form.get("note") or "").strip()[:500]
        if not isinstance(archive, UploadFile) or not archive.filename:
            return await _plans_page(request, snap, settings, user, error=words["f_err_no_file"], status=422)
        data = await archive.read(limits.max_bytes + 1)
        filename = re.sub(r"[^\w.\- ]", "_", archive.filename)[:120]
    finally:
        await form.close()
    store = _store(request)
    try:
        info = await _in_thread(
            lambda: store.import_bytes(data, actor=user.name, note=note, source=filename, limits=limits)
        )
    except UploadRefused as exc:
        # In the reader's language (the exception's own words are the command line's English).
        why = words[f"up_{exc.code}"].format(**exc.params) if f"up_{exc.code}" in words else str(exc)
        return await _plans_page(
            request, snap, settings, user, error=words["f_err_refused"].format(why=why), status=413
        )
    except FloorPlanError as exc:
        first = str(exc).splitlines()
        why = "; ".join(line.strip() for line in first[1:4]) or first[0]
        return await _plans_page(
            request, snap, settings, user, error=words["f_err_unreadable"].format(why=why), status=422
        )
    _flash(request, words["f_imported"].format(id=info.id, errors=info.errors, warnings=info.warnings))
    return RedirectResponse(f"/staff/plans/{info.id}", status_code=303)


def _problems_by_severity(
    report: Any, placed: list[tuple[int, Any, tuple[int, float, float]]], words: dict[str, str]
) -> list[dict[str, Any]]:
    """The report's problems by severity, each with its marker's number and floor when it has one."""
    numbered = {id(p): n for n, p, _at in placed}
    located = {id(p): at for _n, p, at in placed}
    groups = []
    for severity in ("error", "warning", "info"):
        items = [
            {
                "n": numbered.get(id(p)),
                "ordinal": located[id(p)][0] if id(p) in located else None,
                "message": p.message,
                "fix": p.fix,
                "code": p.code,
                "where": p.file + (f" · {p.feature_id}" if p.feature_id else ""),
            }
            for p in report.problems
            if p.severity == severity
        ]
        items.sort(key=lambda i: (i["n"] is None, i["n"] or 0))
        groups.append({"severity": severity, "title": words[f"f_sev_{severity}"], "items": items})
    return groups


@pages.get("/staff/plans/{version_id}", response_class=HTMLResponse)
async def version_page(
    request: Request, version_id: VersionId, user: FacilitiesStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    store = _store(request)
    lang, words = _words(request, settings)
    info = await _in_thread(lambda: _version_or_404(store, version_id))

    def work() -> dict[str, Any]:
        venue = store.venue(info.id)
        report = store.report(info.id)
        published = store.published(info.venue_id)
        changes: list[str] | None = None
        if published is not None and published.id != info.id:
            changes = [c.text for c in store.diff(info.id, published.id, lang=lang)]
        problems = numbered_problems(venue, report)
        return {
            "groups": _problems_by_severity(report, problems, words),
            "floors": _floors(venue, ("v", info.sha256), lang, problems),
            "published": published,
            "changes": changes,
        }

    data = await _in_thread(work)
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path=f"/staff/plans/{version_id}",
        v=_version_row(info, lang, settings, words),
        published_id=data["published"].id if data["published"] else None,
        done=request.session.pop("flash", None),
        error=request.session.pop("flash_error", None),
        **{k: data[k] for k in ("groups", "floors", "changes")},
    )
    return staff_page("fac_version.html", ctx)


def _version_or_404(store: FloorPlanStore, version_id: int) -> VersionInfo:
    try:
        return store.version(version_id)
    except FloorPlanError:
        raise ApiError(404, f"No plan version {version_id}.", reason="unknown-version") from None


async def _after_change(request: Request) -> None:
    """This process serves the change at once; other replicas within their refresh period."""
    await run_in_threadpool(_service(request).refresh)


async def _version_action(
    request: Request,
    settings: Settings,
    csrf: str,
    version_id: int,
    do: Callable[[FloorPlanStore], object],
    done_key: str,
    *,
    then: str | None = None,
    refresh: bool = True,
) -> Response:
    """Publish, discard or roll back: the store does it (and its audit entry); the page
    says what happened, or the store's reason when it refused."""
    check_csrf(request, csrf)
    store = _store(request)
    words = _words(request, settings)[1]
    try:
        await _in_thread(lambda: do(store))
    except FloorPlanError as exc:
        request.session["flash_error"] = str(exc)
        return RedirectResponse(f"/staff/plans/{version_id}", status_code=303)
    if refresh:
        await _after_change(request)
    _flash(request, words[done_key].format(id=version_id))
    return RedirectResponse(then or f"/staff/plans/{version_id}", status_code=303)


@pages.post("/staff/plans/{version_id}/publish")
async def publish(
    request: Request,
    version_id: VersionId,
    user: FacilitiesStaff,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return await _version_action(
        request, settings, csrf, version_id, lambda st: st.publish(version_id, actor=user.name), "f_published"
    )


@pages.post("/staff/plans/{version_id}/discard")
async def discard(
    request: Request,
    version_id: VersionId,
    user: FacilitiesStaff,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return await _version_action(
        request,
        settings,
        csrf,
        version_id,
        lambda st: st.discard(version_id, actor=user.name),
        "f_discarded",
        then="/staff/plans",
        refresh=False,
    )


@pages.get("/staff/plans/{version_id}/rollback", response_class=HTMLResponse)
async def rollback_page(
    request: Request, version_id: VersionId, user: FacilitiesStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    store = _store(request)
    lang, words = _words(request, settings)
    info = await _in_thread(lambda: _version_or_404(store, version_id))
    published = await _in_thread(lambda: store.published(info.venue_id))
    changes = (
        await _in_thread(lambda: [c.text for c in store.diff(info.id, published.id, lang=lang)])
        if published is not None and published.id != info.id
        else []
    )
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        v=_version_row(info, lang, settings, words),
        published_id=published.id if published else None,
        changes=changes,
    )
    return staff_page("fac_rollback.html", ctx)


@pages.post("/staff/plans/{version_id}/rollback")
async def rollback(
    request: Request,
    version_id: VersionId,
    user: FacilitiesStaff,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return await _version_action(
        request,
        settings,
        csrf,
        version_id,
        lambda st: st.rollback(actor=user.name, to=version_id),
        "f_rolled_back",
    )


@pages.get("/staff/plans/{version_id}/export.zip")
async def export(request: Request, version_id: VersionId, user: FacilitiesStaff) -> Response:
    store = _store(request)
    info = await _in_thread(lambda: _version_or_404(store, version_id))
    data = await _in_thread(lambda: store.archive(version_id))
    return _zip_download(data, f"{info.venue_name or info.venue_id}-v{info.id}")


@pages.get("/staff/plans-in-service.zip")
async def export_in_service(request: Request, user: FacilitiesStaff, snap: SnapshotDep) -> Response:
    """The plan visitors see when it is not a version of the store (the file the service was
    started on, the demo's by default): to keep a copy, edit it elsewhere, or import it."""
    if snap.version_id is not None:
        return RedirectResponse(f"/staff/plans/{snap.version_id}/export.zip", status_code=303)
    data = await _in_thread(lambda: imdf_zip_bytes(snap.venue))
    name = label_text(snap.venue.name, snap.venue.language, fallback=snap.venue.id)
    return _zip_download(data, f"{name}-in-service")


def _zip_download(data: bytes, stem: str) -> Response:
    """A .zip named after the venue and version ("CHU-Sainte-Lumiere-v3.zip"), in ASCII."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9.-]+", "-", ascii_stem).strip("-.")[:80] or "plan"
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}.zip"', "Cache-Control": "no-store"},
    )


@pages.get("/staff/plans-compare", response_class=HTMLResponse)
async def compare(
    request: Request,
    user: FacilitiesStaff,
    snap: SnapshotDep,
    settings: SettingsDep,
    a: Annotated[int, Query(ge=1, le=2**31 - 1)],
    b: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> HTMLResponse:
    store = _store(request)
    lang, words = _words(request, settings)
    va = await _in_thread(lambda: _version_or_404(store, a))
    vb = await _in_thread(lambda: _version_or_404(store, b))
    changes = await _in_thread(lambda: [c.text for c in store.diff(b, a, lang=lang)])
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        a=_version_row(va, lang, settings, words),
        b=_version_row(vb, lang, settings, words),
        changes=changes,
    )
    return staff_page("fac_compare.html", ctx)


# -- everyday changes ------------------------------------------------------------------------------


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
    store = _store(request)
    lang, words = _words(request, settings)

    def work() -> dict[str, Any]:
        info = _version_or_404(store, base) if base else store.published()
        if info is None:
            raise ApiError(409, "Nothing is published yet: upload a plan first.", reason="nothing-published")
        venue = store.venue(info.id)
        return {
            "info": info,
            "floors": _floors(venue, ("e", info.sha256), lang),
            "places": _place_entries(venue, lang),
            "selection": _selection(venue, feature, lang) if feature else None,
            "rooms": _rooms(venue, lang),
            "name_languages": sorted({lang, *(t.split("-")[0] for t in venue.languages), "fr", "en"}),
        }

    data = await _in_thread(work)
    info = data.pop("info")
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path="/staff/plans-edit",
        base=_version_row(info, lang, settings, words),
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
    store = _store(request)
    _page_lang, words = _words(request, settings)
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
        signs = _service(request).snapshot.router.places.signs
        if action in ("sign-remove", "sign-heading") and normalize_code(feature) not in signs:
            request.session["flash_error"] = words["sign_unknown"].format(code=feature[:12])
            return RedirectResponse("/staff/signs", status_code=303)
    try:
        info, done = await _in_thread(
            lambda: store.edit(base, action, feature, actor=user.name, note=note.strip(), **params)
        )
    except FloorPlanError as exc:
        request.session["flash_error"] = str(exc)
        if action in SIGN_EDITS:
            return RedirectResponse("/staff/signs", status_code=303)
        back = {"feature": selected or feature, "base": str(base)}
        return RedirectResponse(f"/staff/plans-edit?{urlencode(back)}", status_code=303)
    _flash(request, words["f_edited"].format(done=done, id=info.id))
    return RedirectResponse(f"/staff/plans/{info.id}", status_code=303)


# -- closures --------------------------------------------------------------------------------------


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
        "from": _when(c.starts_at, lang, settings),
        "until": _when(c.ends_at, lang, settings),
        "reopened": _when(c.reopened_at, lang, settings),
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
    store = _store(request)
    lang = _words(request, settings)[0]
    venue = snap.venue
    now = datetime.now(UTC)
    closures = await _in_thread(lambda: store.closures(include_inactive=True, venue_id=venue.id))
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
        floors=await _in_thread(lambda: _floors(venue, ("c", snap.version_id or snap.source), lang)),
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
        lang, words = _words(request, settings)
        if feature in snap.router.walk.by_feature:
            preview = await _in_thread(lambda: _effects_text(snap, feature, lang, words))
    return await _closures_page(request, snap, settings, user, feature=feature, preview=preview)


def _until(choice: str, at: str, settings: Settings) -> datetime:
    if choice == "at":
        if not at:
            raise FloorPlanError("give the date and time the closure ends")
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
    lang, words = _words(request, settings)
    form = {"reason": reason, "until": until, "until_at": until_at}
    store = _store(request)
    try:
        if feature not in snap.router.walk.by_feature:
            raise FloorPlanError(words["f_err_pick"])
        ends = _until(until, until_at, settings)
        if ends <= datetime.now(UTC):
            raise FloorPlanError(words["f_err_past"])
        if not reason.strip():
            raise FloorPlanError(words["f_err_reason"])
    except (FloorPlanError, ValueError) as exc:
        return await _closures_page(
            request, snap, settings, user, feature=feature, form=form, error=str(exc), status=422
        )
    if confirm != "yes":
        preview = await _in_thread(lambda: _effects_text(snap, feature, lang, words))
        return await _closures_page(
            request, snap, settings, user, feature=feature, form=form, preview=preview
        )
    try:
        closure = await _in_thread(
            lambda: store.close(
                feature, reason=reason.strip(), actor=user.name, until=ends, venue_id=snap.venue.id
            )
        )
    except FloorPlanError as exc:
        return await _closures_page(
            request, snap, settings, user, feature=feature, form=form, error=str(exc), status=422
        )
    await _after_change(request)
    _flash(
        request,
        words["f_closed"].format(
            name=closure.feature_name, until=clock(closure.ends_at, lang, settings.zone)
        ),
    )
    return RedirectResponse("/staff/closures", status_code=303)


@pages.post("/staff/closures/{closure_id}/reopen")
async def reopen(
    request: Request,
    closure_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    user: FacilitiesStaff,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf)
    store = _store(request)
    words = _words(request, settings)[1]
    try:
        closure = await _in_thread(lambda: store.reopen(closure_id, actor=user.name))
    except FloorPlanError as exc:
        raise ApiError(404, str(exc), reason="unknown-closure") from None
    await _after_change(request)
    _flash(request, words["f_reopened"].format(name=closure.feature_name))
    return RedirectResponse("/staff/closures", status_code=303)


# -- accounts (role admin) -------------------------------------------------------------------------


async def _accounts_page(
    request: Request,
    snap: Snapshot,
    settings: Settings,
    user: StaffUser,
    *,
    error: str | None = None,
    created: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    accounts: AccountStore = request.app.state.accounts
    users = await _in_thread(accounts.users)
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path="/staff/accounts",
        users=users,
        roles=ROLES,
        error=error,
        created=created,
        done=request.session.pop("flash", None),
    )
    return staff_page("staff_accounts.html", ctx, status)


@pages.get("/staff/accounts", response_class=HTMLResponse)
async def accounts_page(
    request: Request, user: AdminStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    return await _accounts_page(request, snap, settings, user)


@pages.post("/staff/accounts", response_class=HTMLResponse)
async def add_account(
    request: Request,
    user: AdminStaff,
    snap: SnapshotDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=64)] = "",
    roles: Annotated[list[str] | None, Form(max_length=16)] = None,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    check_csrf(request, csrf)
    accounts: AccountStore = request.app.state.accounts
    password = new_password()
    try:
        made = await _in_thread(lambda: accounts.add(name, roles or [], password, actor=user.name))
    except AccountError as exc:
        return await _accounts_page(request, snap, settings, user, error=str(exc), status=422)
    return await _accounts_page(
        request, snap, settings, user, created={"name": made.name, "password": password}, status=201
    )


@pages.post("/staff/accounts/{name}")
async def change_account(
    request: Request,
    name: Annotated[str, PathParam(max_length=64)],
    user: AdminStaff,
    snap: SnapshotDep,
    settings: SettingsDep,
    what: Annotated[str, Form(max_length=16)] = "",
    roles: Annotated[list[str] | None, Form(max_length=16)] = None,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """``what``: ``roles`` (with the roles ticked), ``disable``, ``enable`` or ``password``."""
    check_csrf(request, csrf)
    accounts: AccountStore = request.app.state.accounts
    words = _words(request, settings)[1]
    try:
        if what == "roles":
            await _in_thread(lambda: accounts.set_roles(name, roles or [], actor=user.name))
            _flash(request, words["f_roles_set"].format(name=name))
        elif what in ("disable", "enable"):
            await _in_thread(lambda: accounts.set_active(name, what == "enable", actor=user.name))
            _flash(request, words[f"f_{what}d"].format(name=name))
        elif what == "password":
            password = new_password()
            await _in_thread(lambda: accounts.set_password(name, password, actor=user.name))
            return await _accounts_page(
                request, snap, settings, user, created={"name": name, "password": password}
            )
        else:
            raise AccountError(f"unknown change {what!r}")
    except AccountError as exc:
        return await _accounts_page(request, snap, settings, user, error=str(exc), status=422)
    return RedirectResponse(f"/staff/accounts#{quote(name)}", status_code=303)


# -- usage (roles facilities or admin) ---------------------------------------------------------------


async def usage_reader(request: Request, user: AnyStaff) -> StaffUser:
    """Those who run the hospital: facilities staff and administrators."""
    if not (user.can("facilities") or user.can("admin")):
        raise ApiError(
            403,
            f"Your account ({user.name}) has neither the 'facilities' nor the 'admin' role.",
            reason="role",
        )
    return user


UsageReader = Annotated[StaffUser, Depends(usage_reader)]
DayParam = Annotated[date | None, Query()]
MAX_DAYS = 800


def _period(start: date | None, end: date | None, settings: Settings) -> Period:
    today = datetime.now(settings.zone).date()
    end = end or today
    start = start or end - timedelta(days=27)
    if start > end:
        raise ApiError(422, f"The period starts ({start}) after it ends ({end}).", reason="period")
    if (end - start).days > MAX_DAYS:
        raise ApiError(422, f"Ask for at most {MAX_DAYS} days at a time.", reason="period")
    return Period(start, end)


def _usage(request: Request) -> UsageRecorder:
    usage = _service(request).usage
    if usage is None:
        raise ApiError(503, "No database: usage is not counted.", reason="no-store")
    return usage


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"


def _split(counter: Counter[str]) -> dict[str, Counter[str]]:
    """``"yes|Radiologie"`` keys -> place -> {yes, no}."""
    out: dict[str, Counter[str]] = {}
    for key, n in counter.items():
        answer, _, place = key.partition("|")
        out.setdefault(place, Counter())[answer] += n
    return out


@pages.get("/staff/usage", response_class=HTMLResponse)
async def usage_page(
    request: Request,
    user: UsageReader,
    snap: SnapshotDep,
    settings: SettingsDep,
    start: DayParam = None,
    end: DayParam = None,
) -> HTMLResponse:
    usage = _usage(request)
    period = _period(start, end, settings)
    _lang, words = _words(request, settings)

    def work() -> dict[str, Any]:
        usage.flush()  # this process's last seconds too
        return {"totals": usage.totals(period), "daily": usage.daily(period)}

    data = await _in_thread(work)
    totals: dict[str, Counter[str]] = data["totals"]
    daily: dict[date, Counter[str]] = data["daily"]

    def t(kind: str) -> Counter[str]:
        return totals.get(kind, Counter())

    routes = sum(t("route").values())
    phone_routes = t("route.source")["phone"]
    weeks: dict[str, Counter[str]] = {}
    for day, c in sorted(daily.items()):
        iso = day.isocalendar()
        weeks.setdefault(f"{iso.year}-W{iso.week:02d}", Counter()).update(c)
    arrivals_dest, arrivals_origin = _split(t("arrival.dest")), _split(t("arrival.origin"))

    def ranked(c: Counter[str], n: int = 15) -> list[tuple[str, int, int]]:
        top = c.most_common(n)
        peak = top[0][1] if top else 1
        return [(k or "—", v, round(100 * v / peak)) for k, v in top]

    def coded(rows: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        """Codes counted ("not-found", "phone") in the page's words."""
        return [(words.get(f"u_code_{k}", k), v, pct) for k, v, pct in rows]

    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path="/staff/usage",
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        routes=routes,
        searches=sum(t("search").values()),
        misses=sum(t("search.miss").values()),
        step_free=_share(t("route.profile")["step_free"], routes),
        followed=_share(t("followed")["phone"], phone_routes),
        with_sensors=_share(t("followed.sensors")["phone"], phone_routes),
        arrival_yes=t("arrival")["yes"],
        arrival_no=t("arrival")["no"],
        arrival_share=_share(t("arrival")["yes"], t("arrival")["yes"] + t("arrival")["no"]),
        by_dest=ranked(t("route.dest")),
        by_origin=ranked(t("route.origin")),
        by_lang=ranked(t("route.lang")),
        by_source=coded(ranked(t("route.source"))),
        refused=coded(ranked(t("refused"))),
        missed=ranked(t("search.miss"), 30),
        by_sign=ranked(t("sign.scan"), 30),
        sign_scans=sum(t("sign.scan").values()),
        reanchored=t("sign.reanchor")["on"] + t("sign.reanchor")["off"],
        reanchored_off=t("sign.reanchor")["off"],
        arrivals_dest=sorted(arrivals_dest.items(), key=lambda kv: -sum(kv[1].values()))[:20],
        arrivals_origin=sorted(arrivals_origin.items(), key=lambda kv: -sum(kv[1].values()))[:20],
        days=[(d.isoformat(), c) for d, c in sorted(daily.items(), reverse=True)],
        weeks=sorted(weeks.items(), reverse=True),
        keep_days=settings.usage_days,
        csv_url=f"/staff/usage.csv?{urlencode({'start': period.start, 'end': period.end})}",
        share=_share,
        lang_name=lambda code: ui(code)["language_name"] if code in page_languages([code]) else code,
    )
    return staff_page("fac_usage.html", ctx)


@pages.get("/staff/usage.csv")
async def usage_csv(
    request: Request, user: UsageReader, settings: SettingsDep, start: DayParam = None, end: DayParam = None
) -> Response:
    """Every daily counter of the period: day, kind, key, count (UTF-8, comma-separated)."""
    usage = _usage(request)
    period = _period(start, end, settings)

    def work() -> str:
        usage.flush()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["day", "kind", "key", "count"])
        for day, kind, key, n in usage.rows(period):
            writer.writerow([day.isoformat(), kind, key, n])
        return str(out.getvalue())

    body = await _in_thread(work)
    name = f"usage-{period.start}-{period.end}.csv"
    return Response(
        body.encode("utf-8-sig"),  # a BOM: spreadsheets then read the accents right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
