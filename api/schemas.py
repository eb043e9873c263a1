"""Shapes of the public API's answers (they document ``/openapi.json``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

#: Profiles a visitor may ask for; ``staff`` (through staff-only places) is not public.
PublicProfile = Literal["default", "step_free", "avoid_stairs"]
LANG_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


class ErrorOut(BaseModel):
    """What went wrong and what to do about it."""

    detail: str = Field(description="What is wrong and how to fix it")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="For badly formed parameters: each one, where and why"
    )
    reason: str | None = Field(
        default=None, description="For 422 no-route answers: closed, steps, staff-only, unreachable"
    )
    suggestions: list[str] | None = Field(default=None, description="For 404: the closest place names")


class LevelOut(BaseModel):
    id: str
    ordinal: int
    name: dict[str, str]
    short_name: dict[str, str]
    building_ids: list[str]


class BuildingOut(BaseModel):
    id: str
    name: dict[str, str]


class KioskOut(BaseModel):
    id: str
    name: dict[str, str]
    ordinal: int
    facing: float | None = Field(description="Bearing the screen faces, degrees clockwise from north")


class VenueOut(BaseModel):
    id: str
    name: dict[str, str]
    languages: list[str] = Field(description="Languages of the directions and pages")
    buildings: list[BuildingOut]
    levels: list[LevelOut]
    kiosks: list[KioskOut]
    version: int | None = Field(description="Published floor plan version in service (None: a file)")


class PlaceOut(BaseModel):
    id: str = Field(description="Give it as `from` or `to` of a route")
    kind: str = Field(description="occupant (a service), amenity, kiosk, unit")
    name: str
    ordinal: int = Field(description="Floor ordinal (0 = ground floor)")
    level: str
    building: str | None
    score: float = Field(description="0-100, how well the text matched")


class PlaceRef(BaseModel):
    kind: str
    id: str
    name: str


class LegOut(BaseModel):
    level_id: str
    ordinal: int
    level: str
    distance_m: float
    points: list[list[float]] = Field(description="Metres east and north of the venue's display point")
    wgs84: list[list[float]] = Field(description="Longitude, latitude (WGS84)")


class StepOut(BaseModel):
    n: int = Field(description="1-based")
    type: str
    screen: str = Field(description="Text to show")
    speech: str = Field(description="Text to speak: numbers and abbreviations in words")
    distance_m: float
    ordinal: int = Field(description="Floor of the step")
    audio: str = Field(description="URL of this step spoken (WAV)")


class RouteLinks(BaseModel):
    page: str = Field(description="The phone page of this route")
    audio: str = Field(description="The whole route spoken (WAV)")
    qr: str = Field(description="QR code (SVG) opening the phone page")
    maps: dict[str, str] = Field(description="Floor ordinal -> map of that floor with the route")


class RouteOut(BaseModel):
    origin: PlaceRef
    destination: PlaceRef
    profile: str
    slow: bool
    duration_s: float
    distance_m: float
    summary: str
    lifts: list[str]
    stairs: list[str]
    buildings: list[str]
    levels: list[int] = Field(description="Floor ordinals in the order the route reaches them")
    legs: list[LegOut]
    steps: list[StepOut]
    links: RouteLinks


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Unknown place (with suggestions) or floor"},
    422: {"model": ErrorOut, "description": "Bad parameter, or no route for this profile (reason in words)"},
}
