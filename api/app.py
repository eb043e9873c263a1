"""The FastAPI application: public API under ``/api/v1/``, the phone pages, static files.

``create_app()`` builds it from the settings (``api/settings.py``); a test or
another front end may hand it a :class:`~api.service.WayfindingService` of its
own. The app holds no routing logic: it asks the service and words the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from api import errors
from api.routes import pages, public
from api.service import WayfindingService
from api.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"

DESCRIPTION = """Hospital wayfinding: routes between places of the venue in service, with written
and spoken steps (French, English), floor maps and QR codes. No login for these public endpoints.

Places are given by id (from `GET /places`) or by what a visitor would type. Errors are JSON
`{"detail": "..."}` saying what to change: 404 for an unknown place (with `suggestions`),
422 for a bad parameter or when no route exists for the profile (`reason` and the why in words).
"""


def create_app(
    settings: Settings | None = None, service: WayfindingService | None = None, *, watch: bool = True
) -> FastAPI:
    settings = settings or get_settings()
    if service is None:
        service = WayfindingService(database_url=settings.database_url, venue_path=settings.venue)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if watch:
            service.watch(settings.refresh_s)
        yield
        service.close()

    app = FastAPI(
        title="Hospital wayfinding",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from the package, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = service
    errors.install(app)
    # WAV and PNG gain nothing from gzip, and audio must keep its range requests.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=800,
        exclude_content_types=("text/event-stream", "audio/wav", "image/png", "application/zip"),
    )
    app.include_router(public.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _api_docs(app)
    return app


def _api_docs(app: FastAPI) -> None:
    """Swagger UI at ``/api/docs`` from the swagger-ui-bundle package: a hospital network
    may not reach a CDN, and IT staff's visits are nobody else's business."""
    import swagger_ui_bundle

    app.mount(
        "/api/docs/assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets"
    )

    @app.get("/api/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Hospital wayfinding — API",
            swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs/assets/swagger-ui.css",
            swagger_favicon_url="/api/docs/assets/favicon-32x32.png",
        )
