"""The FastAPI application: public API under ``/api/v1/``, the phone pages, static files.

``create_app()`` builds it from the settings (``core/settings.py``); a test or
another front end may hand it a :class:`~core.service.WayfindingService` of its
own. The app holds no routing logic: it asks the service and words the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from api import errors
from api.live import StatusHub
from api.routes import accounts as account_routes
from api.routes import companion, facilities, pages, public, signs, staff, usage
from api.security import SESSION_COOKIE, SESSION_IDLE_S, LoginRequired, RateLimits, redact_access_logs
from core.accounts import AccountStore
from core.attempts import Rate, SharedLimits
from core.service import WayfindingService
from core.settings import Settings, get_settings
from database import AuditLog, connect
from tracker.store import TrackerStore

STATIC = Path(__file__).parent / "static"

DESCRIPTION = """Hospital wayfinding: routes between places of the venue in service, with written
and spoken steps (French, English), floor maps and QR codes. No login for these public endpoints.

Places are given by id (from `GET /places`) or by what a visitor would type. Errors are JSON
`{"detail": "..."}` saying what to change: 404 for an unknown place (with `suggestions`),
422 for a bad parameter or when no route exists for the profile (`reason` and the why in words).

**Companion** (`/api/v1/companion/{token}`): the patient's stage for a companion's link (no login;
the token is the key). **Staff** (`/api/v1/staff/...`): an API key (`Authorization: Bearer wf_...`,
made with `wayfinding user key NAME`) or a staff session with its CSRF token in `X-CSRF-Token`;
401 without either, 403 without the role.
"""


def create_app(
    settings: Settings | None = None, service: WayfindingService | None = None, *, watch: bool = True
) -> FastAPI:
    settings = settings or get_settings()
    engine = connect(settings.database_url)  # the schema brought up to date once, at start
    if service is None:
        service = WayfindingService(
            database_url=settings.database_url,
            venue_path=settings.venue,
            zone=settings.zone,
            stairs_penalty_s=settings.stairs_penalty_s,
        )
    tracker_store = TrackerStore(engine)
    accounts = AccountStore(engine)
    hub = StatusHub(tracker_store, site=settings.site, broker=settings.mqtt_url, refresh_s=settings.refresh_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if watch:
            service.watch(settings.refresh_s)
        await hub.start()
        yield
        await hub.stop()
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
    if service.usage is not None:
        service.usage.zone, service.usage.keep_days = settings.zone, settings.usage_days
    app.state.service = service
    app.state.tracker_store = tracker_store
    app.state.accounts = accounts
    app.state.audit = AuditLog(engine)
    app.state.hub = hub
    app.state.fragments = companion.Fragments()
    app.state.limits = RateLimits(
        {
            "companion": settings.companion_rate,
            "address": settings.address_rate,
        }
    )
    login_rate = Rate.parse(settings.login_rate)
    # Wrong passwords, counted in the database: every replica holds the same limits (core/attempts.py).
    app.state.login_limits = SharedLimits(
        engine,
        {
            "login-pair": login_rate,
            "login-address": settings.login_address_rate,
            "login-account": login_rate.times(5),
        },
    )
    errors.install(app)
    _staff_auth(app)
    redact_access_logs()
    # WAV and PNG gain nothing from gzip, and audio must keep its range requests.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=800,
        exclude_content_types=("text/event-stream", "audio/wav", "image/png", "application/zip"),
    )
    # Staff sessions: a signed cookie, HttpOnly, SameSite=Lax, Secure behind https.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key or accounts.secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_IDLE_S,
        same_site="lax",
        https_only=settings.base_url().startswith("https://"),
    )
    app.include_router(public.router)
    app.include_router(pages.router)
    app.include_router(companion.router)
    app.include_router(staff.pages)
    app.include_router(staff.api)
    app.include_router(facilities.pages)
    app.include_router(account_routes.pages)
    app.include_router(usage.pages)
    app.include_router(signs.pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _api_docs(app)
    return app


def _staff_auth(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/") or request.url.path.endswith("/events"):
            return JSONResponse(
                {"detail": "Sign in first (staff session), or send an API key.", "reason": "login"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse(f"/staff/login?{urlencode({'next': request.url.path})}", status_code=303)


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
