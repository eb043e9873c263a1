"""What the facilities pages share: the store and service, a version as a row, floors drawn
(kept per process), and the refresh after a change."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from api.deps import service_of
from api.errors import ApiError
from api.i18n import day_and_time
from core.settings import Settings
from floorplans import FloorPlanError, FloorPlanStore, Venue
from floorplans.model import label_text
from floorplans.render import render_floor_svg
from floorplans.store import VersionInfo

VersionId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
#: Drawn floors kept per process: (version, ordinal, language, what is marked) -> SVG.
_SVG_CACHE: dict[tuple[Any, ...], str] = {}
_SVG_CACHE_SIZE = 64
_SVG_LOCK = threading.Lock()  # pages are drawn in the threadpool


def when(dt: datetime | None, lang: str, settings: Settings) -> str:
    return day_and_time(dt, lang, settings.zone) if dt else ""


def version_row(v: VersionInfo, lang: str, settings: Settings, words: dict[str, str]) -> dict[str, Any]:
    return {
        "id": v.id,
        "status": v.status,
        "status_text": words.get(f"f_status_{v.status}", v.status),
        "created": when(v.created_at, lang, settings),
        "published": when(v.published_at, lang, settings),
        "by": v.created_by,
        "note": v.note,
        "source": v.source,
        "errors": v.errors,
        "warnings": v.warnings,
        "rollback": v.status == "archived" and v.published_at is not None,
    }


def floor_svg(venue: Venue, key: tuple[Any, ...], draw: Callable[[], str]) -> Markup:
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


def drawn_floors(
    venue: Venue, version_key: Any, lang: str, problems: list[Any] | None = None
) -> list[dict[str, Any]]:
    out = []
    for ordinal, levels in venue.levels_by_ordinal().items():
        if not any(True for lv in levels for _u in venue.units_on(lv.id)):
            continue
        name = label_text(levels[0].name, lang, fallback=str(ordinal))
        key = (version_key, ordinal, lang, bool(problems))
        svg = floor_svg(
            venue,
            key,
            lambda o=ordinal: render_floor_svg(venue, o, lang=lang, scale=6.0, problems=problems),  # type: ignore[misc]
        )
        out.append({"ordinal": ordinal, "name": name, "svg": svg})
    return out


def version_or_404(store: FloorPlanStore, version_id: int) -> VersionInfo:
    try:
        return store.version(version_id)
    except FloorPlanError:
        raise ApiError(404, f"No plan version {version_id}.", reason="unknown-version") from None


async def after_change(request: Request) -> None:
    """This process serves the change at once; other replicas within their refresh period."""
    await run_in_threadpool(service_of(request).refresh)
