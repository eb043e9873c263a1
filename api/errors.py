"""Errors the web service answers with: JSON ``{"detail": ...}`` saying what to fix."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.i18n import choose_language, page_languages, ui
from api.templating import templates
from floorplans.model import label_text

log = logging.getLogger(__name__)


#: Pages for the errors people meet, by reason: (title key, message key) in the page words.
PAGE_REASONS = {
    "unknown-link": ("c_unknown_title", "c_unknown"),
    "ended": ("c_ended_title", "c_ended"),
    "rate": ("slow_down_title", "slow_down"),
    "csrf": ("s_csrf_title", "s_csrf"),
    "role": ("s_role_title", "s_role"),
}


def _page(
    request: Request,
    status: int,
    *,
    reason: str | None = None,
    detail: str | None = None,
    lang: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page a person reads (a broken or hand-edited link, an ended companion link...),
    in their language, not JSON."""
    settings = request.app.state.settings
    offered = page_languages(settings.language_list) or ["fr"]
    lang = choose_language(
        request.query_params.get("lang") or lang, request.headers.get("accept-language"), offered
    )
    words = ui(lang)
    venue = request.app.state.service.snapshot.venue
    title_key, message_key = PAGE_REASONS.get(reason or "", ("broken_link_title", "broken_link"))
    generic = reason not in PAGE_REASONS and detail is not None
    ctx: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "t": words,
        "venue_name": label_text(venue.name, lang),
        # The same address in another language (a GET's; a form's page again, without the form).
        "languages": [
            {
                "code": x,
                "name": ui(x)["language_name"],
                "href": request.url.path
                + "?"
                + urlencode({**(dict(request.query_params) if request.method == "GET" else {}), "lang": x}),
            }
            for x in offered
        ],
        "title": words["error_title"] if generic else words[title_key],
        "message": detail if generic else words[message_key],
        "staff": request.url.path.startswith("/staff"),
    }
    response = templates.TemplateResponse(request, "error.html", ctx, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(("/api/", "/static/")) and not path.endswith("/events")


class ApiError(Exception):
    """An answer other than 2xx, with a message for the person who sent the request."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def _where(err: dict[str, Any]) -> str:
    loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body")]
    kind = err.get("loc", ("?",))[0]
    return f"{kind} parameter {'.'.join(loc)!r}" if loc else str(kind)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
        if _wants_page(request):
            return _page(
                request,
                exc.status,
                reason=exc.extra.get("reason"),
                detail=exc.detail,
                lang=exc.extra.get("lang"),
                headers=headers,
            )
        return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith("/api/"):
            return _page(request, 422)
        errors = [dict(e) for e in exc.errors()]
        text = "; ".join(f"{_where(e)}: {e.get('msg', 'invalid')}" for e in errors)
        # Keep only what JSON can carry (pydantic may put exceptions in "ctx").
        clean = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
        return JSONResponse({"detail": text or "invalid request", "errors": clean}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405) and not request.url.path.startswith(("/api/", "/static/")):
            return _page(request, exc.status_code)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": "internal error; it has been logged. Please try again."}, status_code=500
        )
