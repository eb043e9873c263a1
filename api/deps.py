"""Dependencies of the web routes, as typed aliases.

They are ``async`` because they only read the app's state: FastAPI runs a
plain ``def`` dependency in its threadpool, a hop that costs more than the work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.live import StatusHub
from core.service import Snapshot, WayfindingService
from core.settings import Settings
from tracker.store import TrackerStore


async def current_service(request: Request) -> WayfindingService:
    service: WayfindingService = request.app.state.service
    return service


async def current_snapshot(request: Request) -> Snapshot:
    """The venue in service when the request arrived: the request finishes on it."""
    service: WayfindingService = request.app.state.service
    return service.snapshot


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
