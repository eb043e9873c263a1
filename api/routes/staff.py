"""Staff pages (``/staff/``) and the staff API (``/api/v1/staff/``): login and the care desk.

Anonymous requests get the login page (pages) or 401 (API), never data;
an account without the role gets 403. Forms carry the session's CSRF token.
What staff change goes to the audit log with who did it (the stores write
the entry in the same transaction as the change).

The care desk (role ``care``): link a wristband to a pseudonymous patient
reference and a pathway, hand the companion their card (QR code, link and
short code, shown once: only the link's hash is kept), follow the patients
of a pathway live, end tracking at discharge (the companion's link stops at once).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Body, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep, SnapshotDep, accounts_of, audit_of, hub_of, service_of, tracker_store_of
from api.errors import ApiError
from api.i18n import clock, day_and_time, page_languages, ui
from api.live import LinkView, StatusHub
from api.routes.companion import TICK_S, pathway_or_404, status_context
from api.schemas import LinkIn, LinkOut, NewLinkOut, StaffOut, errors
from api.security import (
    AdminStaff,
    AnyStaff,
    CareStaff,
    check_csrf,
    client_address,
    csrf_token,
    staff_or_none,
)
from api.staff_pages import staff_context, staff_language, staff_page
from api.templating import templates
from core.accounts import StaffUser
from core.attempts import Refused, SharedLimits
from core.service import Snapshot
from core.settings import Settings
from floorplans.model import label_text
from tracker.store import Link, LinkError

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/staff", tags=["staff"])

PathwayId = Annotated[str, PathParam(min_length=1, max_length=64)]
LinkId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
#: Below this the wristband's battery is shown as low (the tracker's own threshold).
BATTERY_LOW_MV = 2600


# -- helpers -------------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a staff page of this site (no open redirect)."""
    if target and target.startswith("/staff") and "//" not in target and "\\" not in target:
        return target
    return "/staff/"


def _link_error(exc: LinkError, lang: str) -> str:
    words = ui(lang)
    key = f"s_err_{exc.code}".replace("-", "_")
    return words[key].format(**exc.params) if key in words else str(exc)


def _check_pathway(snap: Snapshot, pathway_id: str) -> None:
    if pathway_id not in snap.venue.pathways:
        known = ", ".join(snap.venue.pathways) or "none"
        raise LinkError(
            f"no pathway {pathway_id!r} in the plans in service (known: {known})",
            "unknown-pathway",
            pathway=pathway_id,
            known=known,
        )


async def _link_patient(
    request: Request, snap: Snapshot, settings: Settings, user: StaffUser, body: LinkIn
) -> tuple[Link, str]:
    _check_pathway(snap, body.pathway)
    offered = page_languages(settings.language_list) or ["fr"]
    lang = body.lang.split("-")[0].lower()
    if lang not in offered:
        raise LinkError(
            f"companion language {body.lang!r}: choose among {', '.join(offered)}",
            "unknown-language",
            lang=body.lang,
            known=", ".join(offered),
        )
    link, token = await run_in_threadpool(
        lambda: tracker_store_of(request).link(
            body.tag,
            patient_ref=body.patient_ref,
            pathway_id=body.pathway,
            companion_lang=lang,
            actor=user.name,
            companion_hours=settings.companion_hours,
            registered_only=True,
        )
    )
    hub_of(request).link_changed(link.id)
    return link, token


def companion_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url()}/c/{token}"


def alerts_in_force(link: Link, view: LinkView, from_events: set[str]) -> list[str]:
    """What the desk must look at: the tracker's events in force (signal lost, left the
    area), the live signal, and the battery the tracker last saved."""
    flags = set(from_events)
    if view.signal == "lost":
        flags.add("signal-lost")
    if link.battery_mv is not None and link.battery_mv < BATTERY_LOW_MV:
        flags.add("battery-low")
    return sorted(flags)


def care_rows(
    hub: StatusHub,
    snap: Snapshot,
    settings: Settings,
    pathway_id: str,
    lang: str,
    alerts: dict[int, set[str]],
) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    words = ui(lang)
    out = []
    for link in hub.pathway_links(pathway_id):
        view = hub.view(link, now)
        ctx = status_context(snap, settings, view, lang, now)
        flags = alerts_in_force(link, view, alerts.get(link.id, set()))
        out.append(
            {
                "id": link.id,
                "code": link.short_code or str(link.id),
                "patient_ref": link.patient_ref,
                "tag": link.tag,
                "stage": ctx["current"]["label"] if ctx["current"] else words["s_no_stage"],
                "for_text": ctx["for_text"],
                "since_iso": ctx["since_iso"],
                "alerts": [words[f"s_alert_{a.replace('-', '_')}"] for a in flags],
                "lang": ui(link.companion_lang)["language_name"],
                "linked_at": clock(link.created_at, lang, settings.zone),
            }
        )
    return out


async def _alerts(request: Request, hub: StatusHub, pathway_id: str) -> dict[int, set[str]]:
    ids = [lk.id for lk in hub.pathway_links(pathway_id)]
    return await run_in_threadpool(tracker_store_of(request).latest_alerts, ids)


def _link_out(hub: StatusHub, snap: Snapshot, settings: Settings, link: Link, alerts: set[str]) -> LinkOut:
    view = hub.view(link)
    ctx = status_context(snap, settings, view, link.companion_lang)
    return LinkOut(
        id=link.id,
        tag=link.tag,
        patient_ref=link.patient_ref,
        pathway=link.pathway_id,
        card_code=link.short_code,
        companion_lang=link.companion_lang,
        created_at=link.created_at,
        expires_at=link.expires_at,
        discharged_at=link.discharged_at,
        stage=view.stage_id,
        stage_label=ctx["current"]["label"] if ctx["current"] else None,
        stage_since=view.since,
        signal="lost" if view.signal == "lost" else "ok",
        alerts=alerts_in_force(link, view, alerts),
    )


# -- login ------------------------------------------------------------------------------------------


@pages.get("/staff/login", response_class=HTMLResponse)
async def login_page(
    request: Request, snap: SnapshotDep, settings: SettingsDep, next: str | None = None
) -> HTMLResponse:
    return staff_page(
        "staff_login.html", staff_context(request, snap, settings, None, next=_safe_next(next), error=None)
    )


@pages.post("/staff/login", response_class=HTMLResponse)
async def login(
    request: Request,
    snap: SnapshotDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/staff/",
) -> Response:
    check_csrf(request, csrf)
    lang, _offered = staff_language(request, settings)
    words = ui(lang)
    who = name.strip().lower()[:64]
    address = client_address(request)
    limits: SharedLimits = request.app.state.login_limits
    keys = (("login-pair", f"{who}|{address}"), ("login-address", address), ("login-account", who))
    try:  # counted before the password is checked: guesses sent at once are held too
        taken = await run_in_threadpool(limits.take, *keys)
    except Refused as exc:
        ctx = staff_context(
            request,
            snap,
            settings,
            None,
            next=_safe_next(next),
            error=words["s_login_wait"].format(s=exc.retry_after),
            name=name.strip()[:64],
        )
        response = staff_page("staff_login.html", ctx, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    accounts = accounts_of(request)
    user = await run_in_threadpool(accounts.authenticate, who, password)
    audit = audit_of(request)
    if user is None:
        await run_in_threadpool(
            audit.write, who or "(empty)", "login-failed", "staff login", {"address": address}
        )
        # The name stays (a mistyped password is the usual mistake), the password is typed again.
        ctx = staff_context(
            request,
            snap,
            settings,
            None,
            next=_safe_next(next),
            error=words["s_login_wrong"],
            name=name.strip()[:64],
        )
        return staff_page("staff_login.html", ctx, 401)
    await run_in_threadpool(limits.give_back, taken)  # a right password does not count
    request.session.clear()  # a new session: nothing carried over from before the login
    request.session.update({"uid": user.id, "at": time.time(), "ep": user.epoch, "lang": lang})
    csrf_token(request)
    await run_in_threadpool(audit.write, user.name, "login", "staff login", {"address": address})
    return RedirectResponse(_safe_next(next), status_code=303)


@pages.post("/staff/logout")
async def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    check_csrf(request, csrf)
    user = await staff_or_none(request)
    if user is not None:
        audit = audit_of(request)
        await run_in_threadpool(audit.write, user.name, "logout", "staff login", {})
    request.session.clear()
    return RedirectResponse("/staff/login", status_code=303)


@pages.get("/staff", response_class=HTMLResponse)
@pages.get("/staff/", response_class=HTMLResponse)
async def staff_home(
    request: Request, user: AnyStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    accounts = accounts_of(request)
    users = await run_in_threadpool(accounts.users) if user.can("admin") else []
    return staff_page("staff_home.html", staff_context(request, snap, settings, user, users=users))


# -- care desk pages -----------------------------------------------------------------------------------


@pages.get("/staff/care", response_class=HTMLResponse)
async def care_index(user: CareStaff, snap: SnapshotDep) -> Response:
    first = next(iter(snap.venue.pathways), None)
    if first is None:
        raise ApiError(
            404, "The plans in service define no pathway (pathways.json).", reason="unknown-pathway"
        )
    return RedirectResponse(f"/staff/care/{first}", status_code=303)


async def _care_page(
    request: Request,
    snap: Snapshot,
    settings: Settings,
    user: StaffUser,
    pathway_id: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    pathway = pathway_or_404(snap, pathway_id)
    hub = hub_of(request)
    await hub.refresh()
    lang, offered = staff_language(request, settings)
    rows = care_rows(hub, snap, settings, pathway_id, lang, await _alerts(request, hub, pathway_id))
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path=f"/staff/care/{pathway_id}",  # also after the form was posted
        pathway_id=pathway_id,
        pathway_name=label_text(pathway.name, lang, fallback=pathway_id),
        rows=rows,
        error=error,
        done=request.session.pop("flash", None),
        form=form or {"tag": "", "patient_ref": "", "lang": offered[0]},
        companion_languages=[{"code": x, "name": ui(x)["language_name"]} for x in offered],
        events_url=f"/staff/care/{pathway_id}/events?{urlencode({'lang': lang})}",
        board_url=f"/board/{pathway_id}?{urlencode({'lang': lang})}",
        paused=hub.paused,
    )
    return staff_page("staff_care.html", ctx, status)


@pages.get("/staff/care/{pathway_id}", response_class=HTMLResponse)
async def care_page(
    request: Request, pathway_id: PathwayId, user: CareStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    return await _care_page(request, snap, settings, user, pathway_id)


@pages.post("/staff/care/{pathway_id}/link", response_class=HTMLResponse)
async def care_link(
    request: Request,
    pathway_id: PathwayId,
    user: CareStaff,
    snap: SnapshotDep,
    settings: SettingsDep,
    tag: Annotated[str, Form(max_length=200)] = "",
    patient_ref: Annotated[str, Form(max_length=200)] = "",
    lang: Annotated[str, Form(max_length=16)] = "fr",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    check_csrf(request, csrf)
    page_lang, _offered = staff_language(request, settings)
    words = ui(page_lang)
    form = {"tag": tag, "patient_ref": patient_ref, "lang": lang}
    try:
        body = LinkIn(tag=tag, patient_ref=patient_ref, pathway=pathway_id, lang=lang)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = {"tag": "s_wristband", "patient_ref": "s_patient_ref"}.get(
            str(first["loc"][0]), "s_companion_lang"
        )
        kind = {"string_too_short": "s_err_missing", "string_too_long": "s_err_too_long"}.get(
            first["type"], "s_err_invalid"
        )
        error = words[kind].format(field=words[field])
        return await _care_page(request, snap, settings, user, pathway_id, error=error, form=form, status=422)
    try:
        link, token = await _link_patient(request, snap, settings, user, body)
    except LinkError as exc:
        return await _care_page(
            request,
            snap,
            settings,
            user,
            pathway_id,
            error=_link_error(exc, page_lang),
            form=form,
            status=422,
        )
    _keep_card(request, link, token)
    # Post/redirect/get: reloading the card's page shows the card again, never links twice.
    return RedirectResponse(f"/staff/care/links/{link.id}/card", status_code=303)  # type: ignore[return-value]


#: How long after linking (or reissuing) the desk's browser may show the card again.
CARD_SHOWN_S = 15 * 60


def _keep_card(request: Request, link: Link, token: str) -> None:
    """The companion's token, for this desk's session only (the store keeps its hash alone):
    the card's page can be reloaded or printed again for a while."""
    request.session["card"] = {"link": link.id, "token": token, "at": time.time()}


def _kept_token(request: Request, link_id: int) -> str | None:
    card = request.session.get("card")
    if not isinstance(card, dict) or card.get("link") != link_id:
        return None
    if time.time() - float(card.get("at", 0)) > CARD_SHOWN_S:
        request.session.pop("card", None)
        return None
    token = card.get("token")
    return token if isinstance(token, str) else None


@pages.get("/staff/care/links/{link_id}/card", response_class=HTMLResponse)
async def card_page(
    request: Request, link_id: LinkId, user: CareStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    """The companion's card, as just made; after a while (or in another browser) it cannot be
    shown again (only the link's fingerprint is kept): a new card can be made instead."""
    link = await _active_link(request, link_id)
    if not link.active:
        return RedirectResponse(f"/staff/care/{link.pathway_id}", status_code=303)  # type: ignore[return-value]
    token = _kept_token(request, link_id)
    if token is None:
        return staff_page(
            "staff_card.html",
            staff_context(
                request,
                snap,
                settings,
                user,
                link=link,
                reissue=True,
                pathway_id=link.pathway_id,
                path=f"/staff/care/{link.pathway_id}",
            ),
        )
    url = companion_url(settings, token)
    pathway = snap.venue.pathways.get(link.pathway_id)
    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path=f"/staff/care/{link.pathway_id}",
        link=link,
        reissue=False,
        url=url,
        qr=segno.make(url, error="m").svg_data_uri(scale=6, border=2),
        card=ui(link.companion_lang),
        card_lang=link.companion_lang,
        pathway_name=label_text(pathway.name, link.companion_lang, fallback=link.pathway_id)
        if pathway
        else "",
        expires=day_and_time(link.expires_at, link.companion_lang, settings.zone) if link.expires_at else "",
        pathway_id=link.pathway_id,
        board_url=f"{settings.base_url()}/board/{link.pathway_id}",
    )
    response = staff_page("staff_card.html", ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.post("/staff/care/links/{link_id}/card")
async def reissue_card(
    request: Request,
    link_id: LinkId,
    user: CareStaff,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A new card for the same patient: the previous companion link stops working. Audited."""
    check_csrf(request, csrf)
    link = await _active_link(request, link_id)  # 404 for an unknown one
    try:
        link, token = await run_in_threadpool(
            lambda: tracker_store_of(request).reissue(link_id, actor=user.name)
        )
    except LinkError:  # discharged meanwhile (here or at another desk): back to the list
        return RedirectResponse(f"/staff/care/{link.pathway_id}", status_code=303)
    _keep_card(request, link, token)
    return RedirectResponse(f"/staff/care/links/{link.id}/card", status_code=303)


async def _active_link(request: Request, link_id: int) -> Link:
    link = await run_in_threadpool(tracker_store_of(request).get, link_id)
    if link is None:
        raise ApiError(404, f"No wristband link {link_id}.", reason="unknown-link")
    return link


@pages.get("/staff/care/links/{link_id}/discharge", response_class=HTMLResponse)
async def discharge_page(
    request: Request, link_id: LinkId, user: CareStaff, snap: SnapshotDep, settings: SettingsDep
) -> HTMLResponse:
    link = await _active_link(request, link_id)
    if not link.active:
        return RedirectResponse(f"/staff/care/{link.pathway_id}", status_code=303)  # type: ignore[return-value]
    return staff_page("staff_discharge.html", staff_context(request, snap, settings, user, link=link))


@pages.post("/staff/care/links/{link_id}/discharge")
async def discharge(
    request: Request,
    link_id: LinkId,
    user: CareStaff,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, csrf)
    link = await _active_link(request, link_id)
    if link.active:
        await run_in_threadpool(lambda: tracker_store_of(request).discharge(link_id, actor=user.name))
        await hub_of(request).refresh()
        lang, _offered = staff_language(request, settings)
        request.session["flash"] = ui(lang)["s_discharged"].format(code=link.short_code or link.id)
    return RedirectResponse(f"/staff/care/{link.pathway_id}", status_code=303)


@pages.get("/staff/care/{pathway_id}/events", response_class=EventSourceResponse)
async def care_events(
    request: Request, pathway_id: PathwayId, user: CareStaff, snap: SnapshotDep, settings: SettingsDep
) -> AsyncIterator[ServerSentEvent]:
    pathway_or_404(snap, pathway_id)
    lang, _offered = staff_language(request, settings)
    hub = hub_of(request)
    service = service_of(request)
    await hub.refresh()  # a desk that just linked someone sees them in the list at once
    template = templates.get_template("staff_rows.html")

    async def render() -> tuple[ServerSentEvent, bool]:
        alerts = await _alerts(request, hub, pathway_id)
        rows = care_rows(hub, service.for_pathway(pathway_id), settings, pathway_id, lang, alerts)
        html = template.render({"t": ui(lang), "rows": rows, "paused": hub.paused})
        return ServerSentEvent(data={"html": html}, event="rows", retry=3000), False

    async for event in hub.follow(render, pathway_id=pathway_id, every_s=TICK_S):
        yield event


# -- staff API ---------------------------------------------------------------------------------------


@api.get("/me", response_model=StaffOut, responses=errors(401), summary="Who the session or API key is")
async def me(user: AnyStaff) -> StaffOut:
    return StaffOut(name=user.name, roles=sorted(user.roles))


@api.get(
    "/pathways/{pathway_id}/patients",
    response_model=list[LinkOut],
    responses=errors(401, 403, 404, 422),
    summary="Patients followed in a pathway (role care)",
)
async def api_patients(
    request: Request, pathway_id: PathwayId, user: CareStaff, snap: SnapshotDep, settings: SettingsDep
) -> list[LinkOut]:
    """Each wristband linked in the pathway: stage, since when, alerts in force
    (``signal-lost``, ``battery-low``, ``left-area``)."""
    pathway_or_404(snap, pathway_id)
    hub = hub_of(request)
    await hub.refresh()
    alerts = await _alerts(request, hub, pathway_id)
    return [
        _link_out(hub, snap, settings, link, alerts.get(link.id, set()))
        for link in hub.pathway_links(pathway_id)
    ]


@api.post(
    "/links",
    response_model=NewLinkOut,
    status_code=201,
    responses=errors(400, 401, 403, 409, 422),
    summary="Link a wristband to a patient (role care)",
)
async def api_link(
    request: Request,
    body: Annotated[LinkIn, Body()],
    user: CareStaff,
    snap: SnapshotDep,
    settings: SettingsDep,
) -> NewLinkOut:
    """Refused with a reason a desk can act on: ``unknown-wristband`` (not on the hospital's
    list: a typing error?), ``already-linked`` (409: discharge the other patient first),
    ``unknown-pathway``. The companion's link is in the answer, once: only its hash is kept."""
    try:
        link, token = await _link_patient(request, snap, settings, user, body)
    except LinkError as exc:
        status = 409 if exc.code == "already-linked" else 422
        raise ApiError(status, str(exc), reason=exc.code) from None
    out = _link_out(hub_of(request), snap, settings, link, set())
    return NewLinkOut(**out.model_dump(), companion_url=companion_url(settings, token), token=token)


@api.post(
    "/links/{link_id}/discharge",
    response_model=LinkOut,
    responses=errors(401, 403, 404, 422),
    summary="End tracking (role care): the companion's link stops at once",
)
async def api_discharge(
    request: Request, link_id: LinkId, user: CareStaff, snap: SnapshotDep, settings: SettingsDep
) -> LinkOut:
    await _active_link(request, link_id)
    link = await run_in_threadpool(lambda: tracker_store_of(request).discharge(link_id, actor=user.name))
    await hub_of(request).refresh()
    return _link_out(hub_of(request), snap, settings, link, set())


@api.get(
    "/audit",
    responses=errors(401, 403, 422),
    summary="The latest entries of the audit log (role admin)",
)
async def api_audit(
    request: Request, user: AdminStaff, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    audit = audit_of(request)
    return await run_in_threadpool(audit.entries, limit)
