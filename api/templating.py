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

    return {
        "request": request,
        "lang": lang,
        "t": ui(lang),
        "venue_name": label_text(snap.venue.name, lang),
        "languages": [{"code": x, "name": ui(x)["language_name"], "href": switch(x)} for x in offered],
        **more,
    }
