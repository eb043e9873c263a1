"""Dependencies of the web routes, as typed aliases, and the app's parts for code that has the
request: the one place that reads ``app.state``.

They are ``async`` because they only read the app's state: FastAPI runs a
plain ``def`` dependency in its threadpool, a hop that costs more than the work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from api.errors import ApiError
from api.live import StatusHub
from core.accounts import AccountStore
from core.service import Snapshot, UnknownSite, WayfindingService
from core.settings import Settings
from database import AuditLog
from floorplans.store import FloorPlanStore
from tracker.store import TrackerStore


async def current_service(request: Request) -> WayfindingService:
    return service_of(request)


SiteQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="The site (its short name or venue id) for a hospital with several; "
        "without it, the hospital's main site",
    ),
]


async def current_snapshot(request: Request, site: SiteQuery = None) -> Snapshot:
    """What is in service on the request's site when it arrived: the request finishes on it.
    422 (a bad parameter) naming the sites there are when *site* is none of them."""
    service = service_of(request)
    try:
        snap = service.snapshot_for(site)
    except UnknownSite as exc:
        raise ApiError(422, str(exc), reason="unknown-site") from None
    pathway_id = request.path_params.get("pathway_id")
    if site is None and isinstance(pathway_id, str):  # a board or a care desk: its pathway's site
        snap = service.for_pathway(pathway_id, snap)
    return snap


async def current_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ServiceDep = Annotated[WayfindingService, Depends(current_service)]
SnapshotDep = Annotated[Snapshot, Depends(current_snapshot)]
SettingsDep = Annotated[Settings, Depends(current_settings)]


def hub_of(request: Request) -> StatusHub:
    """The process's live patient statuses (``api/live.py``)."""
    hub: StatusHub = request.app.state.hub
    return hub


def tracker_store_of(request: Request) -> TrackerStore:
    store: TrackerStore = request.app.state.tracker_store
    return store


def service_of(request: Request) -> WayfindingService:
    """The process's wayfinding service (``core/service.py``)."""
    service: WayfindingService = request.app.state.service
    return service


def plan_store(request: Request) -> FloorPlanStore:
    """The service's floor plan store; 503 when the service runs on a plan file only."""
    store = service_of(request).store
    if store is None:
        raise ApiError(503, "No floor plan store: the service runs on a plan file only.", reason="no-store")
    return store


def accounts_of(request: Request) -> AccountStore:
    """Staff accounts, API keys and the session-signing secret (``core/accounts.py``)."""
    accounts: AccountStore = request.app.state.accounts
    return accounts


def audit_of(request: Request) -> AuditLog:
    """Where logins and staff actions without a store of their own are written."""
    audit: AuditLog = request.app.state.audit
    return audit
