"""The pages' templates (``api/templates``) and what every page's template is given: its
language, its words, the venue's name and the same page's address in the other languages.
Pages, staff pages and error pages all draw through here."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates

from api.i18n import ui
from core.service import Snapshot
from floorplans.model import label_text

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def site_qs(request: Request) -> str:
    """``?site=...`` when the request named a site (for a redirect back to a page of it)."""
    site = request.query_params.get("site")
    return f"?{urlencode({'site': site})}" if site else ""


def page_context(
    request: Request, snap: Snapshot, offered: list[str], lang: str, *, path: str | None = None, **more: Any
) -> dict[str, Any]:
    """What every page template needs: its language, words, the venue's name, and the links
    to the same page in the other languages (to *path* when the page answered a form)."""

    def switch(to_lang: str) -> str:
        params = {} if path else dict(request.query_params)
        if "at" in params and "from" not in params and not path:  # a sign scanned: one scan, not two
            params["from"] = params.pop("at")
        params["lang"] = to_lang
        return f"{path or request.url.path}?{urlencode(params)}"

    site: str | None = request.app.state.service.site_key(snap)
    return {
        "request": request,
        "lang": lang,
        # The site's short name, which every link and form of a page carries when the hospital
        # has several sites (empty for one).
        "site": site or "",
        "site_q": f"&site={site}" if site else "",
        "site_qs": f"?site={site}" if site else "",
        "t": ui(lang),
        "venue_name": label_text(snap.venue.name, lang),
        "languages": [{"code": x, "name": ui(x)["language_name"], "href": switch(x)} for x in offered],
        **more,
    }
