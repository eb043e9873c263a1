"""Shapes of the public API's answers (they document ``/openapi.json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Profiles a visitor may ask for; ``staff`` (through staff-only places) is not public.
PublicProfile = Literal["default", "step_free", "avoid_stairs"]
LANG_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


class ErrorOut(BaseModel):
    """What went wrong and what to do about it."""

    detail: str = Field(description="What is wrong and how to fix it")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="For badly formed parameters: each one, where and why"
    )
    elsewhere: dict[str, str] | None = Field(
        default=None,
        description="For a 404 with reason other-site: the place on another of the hospital's sites "
        "(name), that site (site: its short name, site_name, address, access: how to get there) and "
        "its phone page with the place chosen (page)",
    )
    reason: str | None = Field(
        default=None,
        description="Why, as a word a program can test: for 422 no-route answers closed, steps, "
        "staff-only, unreachable; for staff and companion endpoints api-key, role, csrf, rate, "
        "unknown-link, ended, unknown-wristband, already-linked, unknown-pathway; for a 404 on a "
        "place other-site (see elsewhere); for a 422 on the site parameter unknown-site",
    )
    retry_after: int | None = Field(default=None, description="For 429: seconds to wait")
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


class SiteOut(BaseModel):
    slug: str = Field(description="The site's short name: give it as `site` to every other endpoint")
    venue_id: str
    name: dict[str, str] = Field(description="The site's name per language, as its plan says it")
    address: str = Field(description="Its postal address, from the plan (empty when it has none)")
    access: dict[str, str] | None = Field(description="How to get there per language, from the plan")
    version: int | None = Field(description="Its floor plan version in service")


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
    kind: str = Field(description="occupant (a service), amenity, kiosk, unit, opening (an entrance)")
    name: str
    ordinal: int = Field(description="Floor ordinal (0 = ground floor)")
    level: str
    building: str | None
    score: float = Field(description="0-100, how well the text matched")
    distance_m: float | None = Field(
        default=None,
        description="Walking distance from `near` when a generic word (toilets, lift, exit) was searched",
    )


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
    follow: str = Field(description="What a phone needs to follow its walker along this route")
    map: str = Field(description="The places around this route, for the phone page's step map")


class RouteLineOut(BaseModel):
    """The route measured the way the page's steps are cut (routing/follow.py, route_line).
    Metres east and north of the venue's display point; *along*: metres walked from the start."""

    path: list[list[float]] = Field(description="The route's nodes: [floor ordinal, x, y, along]")
    vertical: list[list[int | str]] = Field(
        description="Rides between floors: [from node, lift|stairs|escalator|ramp-link, floors, to node]"
    )
    steps: list[float] = Field(description="Where each step of the route begins (along, metres)")
    step_floors: list[int] = Field(description="Each step's floor ordinal")
    step_kinds: list[str] = Field(description="Each step's kind: depart, turn, elevator, stairs, arrive, ...")
    length: float = Field(description="The route's length on foot, metres")


class FollowOut(RouteLineOut):
    """The route and the walls around it, for the phone page's follower (routing/follow.py)."""

    walls: dict[str, list[list[float]]] = Field(
        description="Floor ordinal -> walls within 40 m of the route, as [x1, y1, x2, y2] (doors left open)"
    )


class FloorMapOut(BaseModel):
    name: str = Field(description="The floor's name in the asked language")
    units: list[list[Any]] = Field(
        description="Places within 40 m of the route: [id, name, category, public, rings, [x, y] where the "
        "name goes, fill colour]; rings are lists of [x, y] (metres)"
    )
    doors: list[list[float | bool]] = Field(description="Doors: [x1, y1, x2, y2, is an entrance]")


class RouteMapOut(RouteLineOut):
    """The places around a route, for the phone page's step map (routing/route_map.py)."""

    landmarks: list[str | None] = Field(description="For each step, the id of the place its words name")
    destination: str | None = Field(description="The id of the place the route ends in")
    floors: dict[str, FloorMapOut] = Field(description="Floor ordinal -> its name, places and doors")


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
    detour: str = Field(
        default="",
        description="Why the route is not the usual one: the closures it goes round, with their reason "
        "and end (empty when it is the usual route)",
    )
    levels: list[int] = Field(description="Floor ordinals in the order the route reaches them")
    legs: list[LegOut]
    steps: list[StepOut]
    links: RouteLinks


ALL_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body cannot be read (not JSON in UTF-8)"},
    401: {"model": ErrorOut, "description": "No staff session and no valid API key"},
    403: {"model": ErrorOut, "description": "The account lacks the role, or the CSRF token is missing"},
    404: {"model": ErrorOut, "description": "Unknown place (with suggestions), floor, link or pathway"},
    409: {"model": ErrorOut, "description": "The wristband is already linked to a patient"},
    410: {"model": ErrorOut, "description": "The companion link has ended (discharge or expiry)"},
    422: {"model": ErrorOut, "description": "Bad parameter, or no route for this profile (reason in words)"},
    429: {"model": ErrorOut, "description": "Too many requests: wait retry_after seconds"},
}
#: The errors of the public wayfinding endpoints.
ERRORS: dict[int | str, dict[str, Any]] = {k: ALL_ERRORS[k] for k in (404, 422)}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {k: ALL_ERRORS[k] for k in codes}


# -- companions and staff -------------------------------------------------------------------------------


class CompanionStageOut(BaseModel):
    id: str
    label: str
    state: Literal["done", "current", "todo"]


class CompanionOut(BaseModel):
    """What a companion may know: the stage, never the place."""

    lang: str
    pathway: str
    pathway_name: str
    stage: str | None = Field(description="Current stage id; null before the first news")
    label: str | None = Field(description="The current stage in the companion's language")
    since: datetime | None
    signal: Literal["ok", "lost"]
    updates: Literal["live", "paused", "ended"] = Field(
        description="paused: the live feed is interrupted, the stage shown is the last known"
    )
    ready: bool = Field(description="The patient can be picked up")
    pickup_place: str | None = Field(description="When ready: the place id to route to (GET /route)")
    stages: list[CompanionStageOut]


class StaffOut(BaseModel):
    name: str
    roles: list[str]


#: At least one character that is not a space.
NOT_BLANK = r"\S"


class LinkIn(BaseModel):
    """Link a wristband to a patient. Spaces around the values (and a scanner's newline) are
    dropped."""

    model_config = ConfigDict(str_strip_whitespace=True)

    # ``pattern=NOT_BLANK``: the schema says what is checked once spaces are dropped (a value
    # of spaces only is empty), so that clients (and the API fuzzer) know it beforehand.
    tag: str = Field(
        min_length=1,
        max_length=64,
        pattern=NOT_BLANK,
        description="The wristband's number (scanned or typed)",
    )
    patient_ref: str = Field(
        min_length=1,
        max_length=64,
        pattern=NOT_BLANK,
        description="The hospital's pseudonymous reference, never a name",
    )
    pathway: str = Field(min_length=1, max_length=64, pattern=NOT_BLANK)
    lang: str = Field(
        default="fr", pattern=LANG_PATTERN, max_length=16, description="The companion's language"
    )


class LinkOut(BaseModel):
    id: int
    tag: str
    patient_ref: str
    pathway: str
    card_code: str | None = Field(description="The short code on the companion's card and on the board")
    companion_lang: str
    created_at: datetime
    expires_at: datetime | None
    discharged_at: datetime | None
    stage: str | None
    stage_label: str | None
    stage_since: datetime | None
    signal: Literal["ok", "lost"]
    alerts: list[str] = Field(description="signal-lost, battery-low, left-area")


class NewLinkOut(LinkOut):
    companion_url: str = Field(description="The companion's link: shown once, only its hash is kept")
    token: str
