"""The plan widget: the floor drawn from the plan (meshes made once per floor and plan), the
route, the kiosk's "you are here" and the destination; and the phone link's QR code as a texture."""

from __future__ import annotations

import gc
import math
from typing import Any

import segno
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics import (
    Color,
    Ellipse,
    Line,
    Mesh,
    PopMatrix,
    PushMatrix,
    Rectangle,
    Rotate,
    Scale,
    Translate,
    Triangle,
)
from kivy.graphics.tesselator import TYPE_POLYGONS, WINDING_ODD, Tesselator
from kivy.uix.stencilview import StencilView

from core.service import route_marks
from floorplans.render import Marks
from kiosk_app.plan import PALETTES, Floor, View, floor_shapes, hex_rgba
from kiosk_app.session import KioskSession
from kiosk_app.theme import SMALL, Theme

_meshes: dict[tuple[int, int], tuple[Any, list[list[tuple[list[float], list[int]]]]]] = {}


def floor_meshes(
    venue: Any, ordinal: int, floor: Floor
) -> list[tuple[str, list[tuple[list[float], list[int]]]]]:
    """The floor's shapes cut into triangles (in metres) with their colours; the cutting is
    done once per venue and floor (both palettes list the same shapes in the same order)."""
    key = (id(venue), ordinal)
    hit = _meshes.get(key)
    if hit is None or hit[0] is not venue:
        cut = []
        for shape in floor.shapes:
            tess = Tesselator()
            for ring in shape.rings:
                tess.add_contour([c for xy in ring[:-1] for c in xy])
            cut.append(list(tess.meshes) if tess.tesselate(WINDING_ODD, TYPE_POLYGONS) else [])
        if len(_meshes) > 32:
            _meshes.clear()
        hit = _meshes[key] = (venue, cut)
    return [(shape.colour, meshes) for shape, meshes in zip(floor.shapes, hit[1], strict=True)]


def prepare_floors(session: KioskSession) -> None:
    """Get ready for taps: every floor of the venue in service cut ahead, and the venue kept
    out of the garbage collector's full passes (which took 150 to 200 ms, a tap in five,
    walking the venue's and the router's objects)."""
    venue = session.snap.venue
    for ordinal in sorted({lv.ordinal for lv in venue.levels.values()}):
        floor_meshes(venue, ordinal, floor_shapes(venue, ordinal, False, session.lang))
    gc.unfreeze()  # the previous plan's objects can go now
    gc.collect()
    gc.freeze()


class PlanView(StencilView):  # type: ignore[misc]
    """One floor, the route's part on it, "you are here", lifts, stairs and the destination.

    After drawing, :attr:`view` maps metres to pixels and :attr:`route_lines` holds the
    route's lines as drawn (their ``points`` in pixels).
    """

    def __init__(self, session: KioskSession, theme: Theme, **kw: Any) -> None:
        super().__init__(**kw)
        self.session, self.theme = session, theme
        self.view: View | None = None
        self.route_lines: list[Line] = []
        self.marks: Marks | None = None
        self.shown_ordinal: int | None = None
        self._taken: list[tuple[float, float, float, float]] = []
        # Layout moves and sizes the plan several times before a frame: draw once, before it.
        self._redraw = Clock.create_trigger(self.redraw, -1)
        self.bind(pos=lambda *_: self._redraw(), size=lambda *_: self._redraw())

    def redraw(self, *_: Any) -> None:
        s, theme = self.session, self.theme
        if self.width < 10 or self.height < 10:
            return
        palette = PALETTES[theme.contrast]
        floor = floor_shapes(s.snap.venue, s.ordinal, theme.contrast, s.lang)
        t = s.t

        def label(kind: str, values: dict[str, str]) -> str:
            if kind == "start":  # every kiosk route starts at the kiosk
                return t["here"]
            if kind == "change":
                return t["change"].format(level=values["level"])
            return values["name"]

        marks = route_marks(s.route, s.ordinal, s.lang, labels=label) if s.route is not None else Marks()
        focus = [p for line in marks.lines for p in line] + [(m.x, m.y) for m in marks.points]
        up = (s.facing + 180.0) % 360.0 if s.facing is not None else 0.0
        view = View(floor, (self.x, self.y, self.width, self.height), up_bearing=up, focus=focus or None)
        self.view, self.marks, self.shown_ordinal = view, marks, s.ordinal
        self.canvas.clear()
        self.route_lines = []
        # Marks first (their discs), then their labels around them.
        self._taken = [
            (px - 24, py - 24, px + 24, py + 24)
            for px, py in (view.to_screen(m.x, m.y) for m in marks.points)
        ]
        with self.canvas:
            Color(*hex_rgba(palette["background"]))
            Rectangle(pos=self.pos, size=self.size)
            PushMatrix()
            Translate(*view.origin)
            Scale(view.scale, view.scale, 1)
            Translate(-view.centre[0], -view.centre[1])
            Rotate(angle=view.angle, origin=(0, 0))
            for colour, meshes in floor_meshes(s.snap.venue, s.ordinal, floor):
                Color(*hex_rgba(colour))
                for vertices, indices in meshes:
                    Mesh(vertices=vertices, indices=indices, mode="triangle_fan")
            Color(*hex_rgba(palette["outline"]))
            for shape in floor.shapes:
                for ring in shape.rings:
                    Line(points=[c for xy in ring for c in xy], width=1)
            PopMatrix()
            for sym in floor.symbols:
                self._symbol(sym.kind, *view.to_screen(sym.x, sym.y), palette)
            for line in marks.lines:
                pts = [c for x, y in line for c in view.to_screen(x, y)]
                Color(*hex_rgba(palette["background"]))
                Line(points=pts, width=theme.px(11), joint="round", cap="round")
                Color(*hex_rgba(palette["route"]))
                self.route_lines.append(Line(points=pts, width=theme.px(7), joint="round", cap="round"))
            for mark in sorted(marks.points, key=lambda m: m.kind != "start"):
                self._mark(
                    mark.kind, *view.to_screen(mark.x, mark.y), mark.label, palette, facing=mark.facing
                )

    def _symbol(self, kind: str, x: float, y: float, palette: dict[str, str]) -> None:
        r = self.theme.px(16)
        Color(*hex_rgba(palette["lift" if kind == "lift" else "stairs"]))
        Rectangle(pos=(x - r, y - r), size=(2 * r, 2 * r))
        Color(1, 1, 1, 1)
        if kind == "lift":  # up and down arrowheads
            a = r * 0.6
            Triangle(points=[x - a, y + 2, x + a, y + 2, x, y + r * 0.85])
            Triangle(points=[x - a, y - 2, x + a, y - 2, x, y - r * 0.85])
        else:  # a flight of steps
            step = r / 2
            pts = []
            for i in range(4):
                pts += [
                    x - r + i * step,
                    y - r + i * step + step,
                    x - r + (i + 1) * step,
                    y - r + i * step + step,
                ]
            Line(points=pts, width=2)

    def _mark(
        self, kind: str, x: float, y: float, text: str, palette: dict[str, str], *, facing: float | None
    ) -> None:
        theme = self.theme
        colour = palette.get(f"mark_{kind}", palette["route"])
        r = theme.px(20 if kind in ("start", "end") else 14)
        view = self.view
        assert view is not None
        if kind == "start" and facing is not None:
            # The way the visitor faces, reading the screen: the screen's facing turned round.
            b = math.radians(view.screen_bearing((facing + 180.0) % 360.0))
            dx, dy = math.sin(b), math.cos(b)
            tip = (x + dx * r * 2.6, y + dy * r * 2.6)
            side = (-dy * r * 0.9, dx * r * 0.9)
            Color(*hex_rgba(colour))
            Triangle(points=[tip[0], tip[1], x + side[0], y + side[1], x - side[0], y - side[1]])
            self._taken.append((tip[0] - r, tip[1] - r, tip[0] + r, tip[1] + r))
        self._taken.append((x - r, y - r, x + r, y + r))
        Color(*hex_rgba(palette["background"]))
        Ellipse(pos=(x - r - 4, y - r - 4), size=(2 * r + 8, 2 * r + 8))
        Color(*hex_rgba(colour))
        Ellipse(pos=(x - r, y - r), size=(2 * r, 2 * r))
        if not text:
            return
        core = CoreLabel(text=text, font_size=theme.font(SMALL), bold=True)
        core.refresh()
        tex = core.texture
        w, h = tex.size
        # Beside the mark (right, left, above, below: the first place free of other
        # labels and marks), kept inside the plan.
        lx, ly = x + r + 8, y - h / 2
        for cx, cy in (
            (x + r + 8, y - h / 2),
            (x - r - 8 - w, y - h / 2),
            (x - w / 2, y + r + 6),
            (x - w / 2, y - r - 6 - h),
        ):
            cx = min(max(cx, self.x + 6), self.right - w - 6)
            cy = min(max(cy, self.y + 4), self.top - h - 4)
            box = (cx - 6, cy - 2, cx + w + 6, cy + h + 2)
            if not any(overlap(box, other) for other in self._taken):
                lx, ly = cx, cy
                break
        self._taken.append((lx - 6, ly - 2, lx + w + 6, ly + h + 2))
        Color(*hex_rgba(palette["label_bg"], 0.9))
        Rectangle(pos=(lx - 6, ly - 2), size=(w + 12, h + 4))
        Color(*hex_rgba(colour))
        Rectangle(texture=tex, pos=(lx, ly), size=(w, h))


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def qr_texture(link: str) -> Any:
    """The QR code of *link* as a texture, one texel a module (drawn sharp, scaled by the GPU)."""
    from kivy.graphics.texture import Texture

    rows = [list(row) for row in segno.make(link, error="m").matrix_iter(scale=1, border=2)]
    # RGBA keeps every row aligned; Kivy's textures start at the bottom row.
    buf = b"".join(
        b"".join(b"\x00\x00\x00\xff" if dark else b"\xff\xff\xff\xff" for dark in row)
        for row in reversed(rows)
    )
    texture = Texture.create(size=(len(rows[0]), len(rows)), colorfmt="rgba")
    texture.blit_buffer(buf, colorfmt="rgba", bufferfmt="ubyte")
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture
