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
        docs_url="/api/docs",
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
    return app
