"""What the kiosk draws of a floor, in metres, and how metres map to the screen.

No screen code here: :func:`floor_shapes` says which polygons to fill in
which colour and where the lifts and stairs are (cached per venue version
and floor); :class:`View` fits a floor, or the part of it a route uses, into
a rectangle of the screen, turned so that up on the plan is the way the
visitor faces while reading the screen ("forward-up", as wall maps that
people follow without thinking are drawn).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from shapely.geometry import MultiPolygon, Polygon

from floorplans.model import Venue, label_text
from floorplans.render import MARK_COLOURS, ROUTE_COLOUR, unit_fill

Ring = list[tuple[float, float]]

#: The plan's colours: normal, and for the larger-text, higher-contrast mode.
PALETTES: dict[bool, dict[str, str]] = {
    False: {
        "background": "#fbfbfb",
        "staff": "#d9d9d9",
        "outline": "#404040",
        "route": ROUTE_COLOUR,
        "lift": "#073763",
        "stairs": "#5b2c97",
        "label_bg": "#ffffff",
        "label": "#202020",
        **{f"mark_{k}": v for k, v in MARK_COLOURS.items()},
    },
    True: {
        "background": "#000000",
        "walkable": "#3a3a3a",
        "room": "#121212",
        "staff": "#121212",
        "outline": "#bfbfbf",
        "route": "#ffd400",
        "lift": "#5ab0ff",
        "stairs": "#c9a7ff",
        "label_bg": "#000000",
        "label": "#ffffff",
        "mark_start": "#4cff7a",
        "mark_end": "#ff6e6e",
        "mark_change": "#c9a7ff",
        "mark_here": "#4cff7a",
    },
}


@dataclass(frozen=True, slots=True)
class Shape:
    colour: str
    rings: tuple[Ring, ...]  # exterior first, then holes
    walkable: bool


@dataclass(frozen=True, slots=True)
class Symbol:
    kind: str  # lift, stairs
    x: float
    y: float
    name: str


@dataclass(frozen=True, slots=True)
class Floor:
    ordinal: int
    shapes: tuple[Shape, ...]
    symbols: tuple[Symbol, ...]
    bounds: tuple[float, float, float, float]


def _polygons(geom: object) -> Iterable[Polygon]:
    if isinstance(geom, Polygon):
        yield geom
    elif isinstance(geom, MultiPolygon):
        yield from geom.geoms


_floors: dict[tuple[int, int, bool, str], tuple[Venue, Floor]] = {}
_floors_lock = threading.Lock()


def floor_shapes(venue: Venue, ordinal: int, contrast: bool, lang: str) -> Floor:
    """The floor *ordinal* of *venue* as coloured shapes and lift/stairs symbols (cached:
    a venue is never changed in place, a new version is a new object)."""
    key = (id(venue), ordinal, contrast, lang)
    with _floors_lock:
        hit = _floors.get(key)
        if hit is not None and hit[0] is venue:
            return hit[1]
    floor = _floor(venue, ordinal, contrast, lang)
    with _floors_lock:
        if len(_floors) >= 64:
            _floors.clear()
        _floors[key] = (venue, floor)
    return floor


def _floor(venue: Venue, ordinal: int, contrast: bool, lang: str) -> Floor:
    palette = PALETTES[contrast]
    level_ids = {lv.id for lv in venue.levels.values() if lv.ordinal == ordinal}
    units = sorted(
        (u for u in venue.units.values() if u.level_id in level_ids), key=lambda u: -u.geometry.area
    )
    shapes, symbols = [], []
    for u in units:
        if not u.public:
            colour = palette["staff"]
        elif contrast:
            colour = palette["walkable"] if u.walkable else palette["room"]
        else:
            colour = unit_fill(u.category)
        for poly in _polygons(u.geometry):
            rings = tuple(
                [(float(x), float(y)) for x, y, *_ in ring.coords]
                for ring in (poly.exterior, *poly.interiors)
            )
            shapes.append(Shape(colour, rings, u.walkable))
        if u.public and u.category in ("elevator", "stairs", "escalator"):
            c = u.anchor_point()
            kind = "lift" if u.category == "elevator" else "stairs"
            symbols.append(Symbol(kind, c.x, c.y, label_text(u.name, lang, fallback="")))
    if not units:
        bounds = (0.0, 0.0, 1.0, 1.0)
    else:
        bounds = (
            min(u.geometry.bounds[0] for u in units),
            min(u.geometry.bounds[1] for u in units),
            max(u.geometry.bounds[2] for u in units),
            max(u.geometry.bounds[3] for u in units),
        )
    return Floor(ordinal, tuple(shapes), tuple(symbols), bounds)


class View:
    """Metres to screen pixels: turned by *up_bearing*, scaled and centred into a rectangle.

    *up_bearing* is the compass bearing drawn pointing up (0: north up).
    """

    #: Room around the route's part of the floor, and the least span shown, in metres.
    MARGIN_M = 20.0
    MIN_SPAN_M = 50.0

    def __init__(
        self,
        floor: Floor,
        rect: tuple[float, float, float, float],
        *,
        up_bearing: float = 0.0,
        focus: list[tuple[float, float]] | None = None,
    ) -> None:
        x0, y0, w, h = rect
        self.angle = up_bearing % 360.0  # turning the plan counter-clockwise by the bearing
        a = math.radians(self.angle)
        self._cos, self._sin = math.cos(a), math.sin(a)
        minx, miny, maxx, maxy = floor.bounds
        corners = [self._turn(x, y) for x in (minx, maxx) for y in (miny, maxy)]
        box = _box(corners)
        pad = 0.04
        if focus:
            # The route's part of the floor with room around it, never beyond the floor.
            fx0, fy0, fx1, fy1 = _box([self._turn(x, y) for x, y in focus])
            grow = max(self.MARGIN_M, 0.25 * max(fx1 - fx0, fy1 - fy0))
            cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2
            half_w = max((fx1 - fx0) / 2 + grow, self.MIN_SPAN_M / 2)
            half_h = max((fy1 - fy0) / 2 + grow, self.MIN_SPAN_M / 2)
            # Keep the screen's proportions so that the floor fills the plan.
            if half_w / max(half_h, 1e-6) < w / h:
                half_w = half_h * w / h
            else:
                half_h = half_w * h / w
            box = (
                max(box[0], cx - half_w),
                max(box[1], cy - half_h),
                min(box[2], cx + half_w),
                min(box[3], cy + half_h),
            )
        self.scale = min(w / max(box[2] - box[0], 1.0), h / max(box[3] - box[1], 1.0)) * (1 - pad)
        self.centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        self.origin = (x0 + w / 2, y0 + h / 2)

    def _turn(self, x: float, y: float) -> tuple[float, float]:
        return (x * self._cos - y * self._sin, x * self._sin + y * self._cos)

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        tx, ty = self._turn(x, y)
        return (
            self.origin[0] + (tx - self.centre[0]) * self.scale,
            self.origin[1] + (ty - self.centre[1]) * self.scale,
        )

    def screen_bearing(self, bearing: float) -> float:
        """A compass bearing as drawn: degrees clockwise from screen-up."""
        return (bearing - self.angle) % 360.0


def _box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def hex_rgba(colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    c = colour.lstrip("#")
    return (int(c[0:2], 16) / 255, int(c[2:4], 16) / 255, int(c[4:6], 16) / 255, alpha)
