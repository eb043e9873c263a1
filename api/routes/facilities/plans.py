"""The plan's versions: the list and upload (``/staff/plans``), one version with its report and
its changes in words, publish, discard, roll back, export, compare any two."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.deps import SettingsDep, SnapshotDep, plan_store
from api.routes.facilities.shared import (
    VersionId,
    after_change,
    drawn_floors,
    version_or_404,
    version_row,
)
from api.security import FacilitiesStaff, check_csrf
from api.staff_pages import flash, in_thread, staff_context, staff_page, staff_words
from core.accounts import StaffUser
from core.service import Snapshot
from core.settings import Settings
from floorplans import FloorPlanError, FloorPlanStore
from floorplans.imdf import imdf_zip_bytes
from floorplans.model import label_text
from floorplans.render import numbered_problems
from floorplans.sites import slug_of, unique_slug
from floorplans.upload import UploadRefused

pages = APIRouter(include_in_schema=False)


async def _plans_page(
    request: Request,
    snap: Snapshot,
    settings: Settings,
    user: StaffUser,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    store = plan_store(request)
    lang, words = staff_words(request, settings)
    versions, sites = await in_thread(lambda: (store.versions(), store.sites()))
    names = {x.venue_id: x.name for x in sites}
    rows = [
        {**version_row(v, lang, settings, words), "site": names.get(v.venue_id) or words["f_not_a_site"]}
        for v in reversed(versions)
    ]
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
        # A column naming each version's site, once the store holds plans of several venues.
        several=len({v.venue_id for v in versions} | set(names)) > 1,
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
    lang, words = staff_words(request, settings)
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
    store = plan_store(request)
    try:
        info = await in_thread(
            lambda: store.import_bytes(data, actor=user.name, note=note, source=filename, limits=limits)
        )
    except UploadRefused as exc:
        # In the reader's language (the exception's own words are the command line's English).
        why = words[f"up_{exc.code}"].format(**exc.params) if f"up_{exc.code}" in words else str(exc)
        return await _plans_page(
            request, snap, settings, user, error=words["f_err_refused"].format(why=why), status=413
        )
    except FloorPlanError as exc:
        first = exc.said(lang).splitlines()
        why = "; ".join(line.strip() for line in first[1:4]) or first[0]
        return await _plans_page(
            request, snap, settings, user, error=words["f_err_unreadable"].format(why=why), status=422
        )
    flash(request, words["f_imported"].format(id=info.id, errors=info.errors, warnings=info.warnings))
    return RedirectResponse(f"/staff/plans/{info.id}", status_code=303)


def _problems_by_severity(
    report: Any, placed: list[tuple[int, Any, tuple[int, float, float]]], words: dict[str, str], lang: str
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
                "message": p.said(lang),
                "fix": p.fix_said(lang),
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
    store = plan_store(request)
    lang, words = staff_words(request, settings)
    info = await in_thread(lambda: version_or_404(store, version_id))

    def work() -> dict[str, Any]:
        venue = store.venue(info.id)
        report = store.report(info.id)
        sites = store.sites()
        site = next((x for x in sites if x.venue_id == info.venue_id), None)
        published = store.published(info.venue_id) if site is not None or not sites else None
        changes: list[str] | None = None
        if published is not None and published.id != info.id:
            changes = [c.sentence.said(lang) for c in store.diff(info.id, published.id, lang=lang)]
        problems = numbered_problems(venue, report)
        return {
            "groups": _problems_by_severity(report, problems, words, lang),
            "floors": drawn_floors(venue, ("v", info.sha256), lang, problems),
            "published": published,
            "changes": changes,
            # A plan of a venue no site has, in a store that has sites: ask before it can be published.
            "new_site": {
                "name": info.venue_name,
                "sites": ", ".join(x.name for x in sites),
                "slug": unique_slug(slug_of(info.venue_name), {x.slug for x in sites}),
            }
            if site is None and sites and info.status == "draft"
            else None,
            "site": site.name if site is not None and len(sites) > 1 else "",
            "previous": store.previous(info.venue_id) if info.status == "published" else None,
        }

    data = await in_thread(work)
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path=f"/staff/plans/{version_id}",
        v=version_row(info, lang, settings, words),
        published_id=data["published"].id if data["published"] else None,
        done=request.session.pop("flash", None),
        error=request.session.pop("flash_error", None),
        **{k: data[k] for k in ("groups", "floors", "changes", "new_site", "site", "previous")},
    )
    return staff_page("fac_version.html", ctx)


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
    """Publish, discard, roll back or add a site: the store does it (and its audit entry); the
    page says what happened (*done_key*, with the version's id and the fields of what *do*
    returned), or the store's reason when it refused."""
    check_csrf(request, csrf)
    store = plan_store(request)
    lang, words = staff_words(request, settings)
    try:
        result = await in_thread(lambda: do(store))
    except FloorPlanError as exc:
        request.session["flash_error"] = exc.said(lang)
        return RedirectResponse(f"/staff/plans/{version_id}", status_code=303)
    if refresh:
        await after_change(request)
    fields = result.to_dict() if hasattr(result, "to_dict") else {}
    flash(request, words[done_key].format(**{**fields, "id": version_id}))
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


@pages.post("/staff/plans/{version_id}/add-site")
async def add_site(
    request: Request,
    version_id: VersionId,
    user: FacilitiesStaff,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    slug: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """The facilities manager confirms that this draft's venue is a new site of the hospital."""
    return await _version_action(
        request,
        settings,
        csrf,
        version_id,
        lambda st: st.add_site(version_id, actor=user.name, slug=slug.strip() or None),
        "f_site_added",
        refresh=False,
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
    store = plan_store(request)
    lang, words = staff_words(request, settings)
    info = await in_thread(lambda: version_or_404(store, version_id))
    published = await in_thread(lambda: store.published(info.venue_id))
    changes = (
        await in_thread(lambda: [c.sentence.said(lang) for c in store.diff(info.id, published.id, lang=lang)])
        if published is not None and published.id != info.id
        else []
    )
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        v=version_row(info, lang, settings, words),
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
    store = plan_store(request)
    info = await in_thread(lambda: version_or_404(store, version_id))
    data = await in_thread(lambda: store.archive(version_id))
    return _zip_download(data, f"{info.venue_name or info.venue_id}-v{info.id}")


@pages.get("/staff/plans-in-service.zip")
async def export_in_service(request: Request, user: FacilitiesStaff, snap: SnapshotDep) -> Response:
    """The plan visitors see when it is not a version of the store (the file the service was
    started on, the demo's by default): to keep a copy, edit it elsewhere, or import it."""
    if snap.version_id is not None:
        return RedirectResponse(f"/staff/plans/{snap.version_id}/export.zip", status_code=303)
    data = await in_thread(lambda: imdf_zip_bytes(snap.venue))
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
    store = plan_store(request)
    lang, words = staff_words(request, settings)
    va = await in_thread(lambda: version_or_404(store, a))
    vb = await in_thread(lambda: version_or_404(store, b))
    changes = await in_thread(lambda: [c.sentence.said(lang) for c in store.diff(b, a, lang=lang)])
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        a=version_row(va, lang, settings, words),
        b=version_row(vb, lang, settings, words),
        changes=changes,
    )
    return staff_page("fac_compare.html", ctx)
