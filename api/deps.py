"""Dependencies of the web routes, as typed aliases.

They are ``async`` because they only read the app's state: FastAPI runs a
plain ``def`` dependency in its threadpool, a hop that costs more than the work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.service import Snapshot, WayfindingService
from api.settings import Settings


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
