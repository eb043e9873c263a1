"""What the staff pages (care desk, facilities, signs, accounts, usage) share: their language
and words, the context every template is given, responses that no cache keeps, the line
shown once after a change, and blocking calls moved to the threadpool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.i18n import choose_language, page_languages, ui
from api.security import csrf_token
from api.templating import page_context, templates
from core.accounts import StaffUser
from core.service import Snapshot
from core.settings import Settings
from floorplans.model import label_text


def staff_language(request: Request, settings: Settings) -> tuple[str, list[str]]:
    """The staff page's language: asked for, else the session's, else the browser's; and those offered."""
    offered = page_languages(settings.language_list) or ["fr"]
    lang = choose_language(
        request.query_params.get("lang") or request.session.get("lang"),
        request.headers.get("accept-language"),
        offered,
    )
    return lang, offered


def staff_context(
    request: Request,
    snap: Snapshot,
    settings: Settings,
    user: StaffUser | None,
    *,
    path: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """What every staff page's template is given: the page's, the account, the form token, the pathways."""
    lang, offered = staff_language(request, settings)
    service = request.app.state.service
    sites = [
        {
            "slug": x.slug,
            "name": x.name,
            "href": f"{request.url.path}?{urlencode({'site': x.slug})}",
            "current": snap.site is not None and x.venue_id == snap.site.venue_id,
        }
        for x in service.sites
    ]
    return page_context(
        request,
        snap,
        offered,
        lang,
        path=path,
        user=user,
        csrf=csrf_token(request),
        # The hospital's sites, for the facilities pages that work on one (closures, signs, edits).
        sites=sites if len(sites) > 1 else [],
        pathways=[
            {"id": p.id, "name": label_text(p.name, lang, fallback=p.id)}
            for p in snap.venue.pathways.values()
        ],
        **more,
    )


def staff_page(name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A staff page, never kept by the browser's or a proxy's cache."""
    response = templates.TemplateResponse(ctx["request"], name, ctx, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


T = TypeVar("T")


async def in_thread(fn: Callable[[], T]) -> T:
    """*fn* (a store's or the service's blocking call) on the threadpool."""
    return await run_in_threadpool(fn)


def flash(request: Request, text: str) -> None:
    """A line the next page shows once (what was done)."""
    request.session["flash"] = text


def staff_words(request: Request, settings: Settings) -> tuple[str, dict[str, str]]:
    """The staff page's language and its words."""
    lang, _offered = staff_language(request, settings)
    return lang, ui(lang)
