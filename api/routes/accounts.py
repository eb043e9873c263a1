"""Staff accounts (``/staff/accounts``, role ``admin``): add, new password, disable, enable;
every change in the audit log."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SettingsDep, SnapshotDep, accounts_of
from api.security import AdminStaff, check_csrf
from api.staff_pages import flash, in_thread, staff_context, staff_page, staff_words
from core.accounts import ROLES, AccountError, StaffUser, new_password
from core.service import Snapshot
from core.settings import Settings

pages = APIRouter(include_in_schema=False)


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
    accounts = accounts_of(request)
    users = await in_thread(accounts.users)
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
    accounts = accounts_of(request)
    password = new_password()
    try:
        made = await in_thread(lambda: accounts.add(name, roles or [], password, actor=user.name))
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
    accounts = accounts_of(request)
    words = staff_words(request, settings)[1]
    try:
        if what == "roles":
            await in_thread(lambda: accounts.set_roles(name, roles or [], actor=user.name))
            flash(request, words["f_roles_set"].format(name=name))
        elif what in ("disable", "enable"):
            await in_thread(lambda: accounts.set_active(name, what == "enable", actor=user.name))
            flash(request, words[f"f_{what}d"].format(name=name))
        elif what == "password":
            password = new_password()
            changed = await in_thread(lambda: accounts.set_password(name, password, actor=user.name))
            if changed.id == user.id:  # one's own new password: this session goes on, the others end
                request.session["ep"] = changed.epoch
            return await _accounts_page(
                request, snap, settings, user, created={"name": name, "password": password}
            )
        else:
            raise AccountError(f"unknown change {what!r}")
    except AccountError as exc:
        return await _accounts_page(request, snap, settings, user, error=str(exc), status=422)
    return RedirectResponse(f"/staff/accounts#{quote(name)}", status_code=303)
