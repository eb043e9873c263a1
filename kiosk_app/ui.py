"""The kiosk's screens, in Kivy: welcome (where to?) and route (the way, drawn and spoken).

Import this module only after :func:`kiosk_app.main.prepare_kivy` (Kivy reads
its configuration when its window is first imported). Every screen is built
again from the :class:`~kiosk_app.session.KioskSession` whenever the visitor
changes something: there is no state in the widgets that the session does
not hold, so that going back to the start forgets everything.

Sizes are in pixels of a 1080 x 1920 (or 1920 x 1080) screen and scale with
the window: text at least 32 px, touch targets at least 120 px high (about
15 mm on a 24-inch full-HD screen, more on smaller ones).
"""

from __future__ import annotations

import gc
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import segno
from kivy.clock import Clock
from kivy.core.audio import SoundLoader
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
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
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget

from core.service import route_marks
from floorplans.model import label_text
from floorplans.render import Marks
from kiosk_app.plan import PALETTES, Floor, View, floor_shapes, hex_rgba
from kiosk_app.session import KioskSession, words
from kiosk_app.speaker import Speaker

log = logging.getLogger(__name__)

#: Base sizes in pixels (a 1080 x 1920 screen), before the window and larger-text factors.
TITLE, BIG, TEXT, SMALL = 64, 44, 38, 32
#: Height of every touch target.
TOUCH = 124
GAP = 16


@dataclass(frozen=True, slots=True)
class Theme:
    contrast: bool
    factor: float  # window size x larger text
    bg: str
    text: str
    muted: str
    primary: str
    on_primary: str
    secondary: str
    on_secondary: str
    chosen: str
    on_chosen: str
    current: str
    on_current: str

    def px(self, n: float) -> float:
        return round(n * self.factor)

    def font(self, n: float) -> float:
        # Never under 32 px at a kiosk's size, whatever the window factor.
        return max(round(n * self.factor), round(SMALL * min(self.factor, 1.0)))


def make_theme(contrast: bool, window: tuple[int, int]) -> Theme:
    w, h = window
    short, long = min(w, h), max(w, h)
    fit = max(0.5, min(short / 1080, long / 1920, 1.6))
    if contrast:
        return Theme(
            True, fit * 1.2, "#000000", "#ffffff", "#e0e0e0", "#ffd400", "#000000", "#1f1f1f", "#ffffff",
            "#4cff7a", "#000000", "#ffd400", "#000000",
        )  # fmt: skip
    return Theme(
        False, fit, "#ffffff", "#1a1a1a", "#3c4043", "#0b57d0", "#ffffff", "#e8eef9", "#0b2a66",
        "#137333", "#ffffff", "#fff2cc", "#1a1a1a",
    )  # fmt: skip


# ---------------------------------------------------------------------------------- widgets


def _bg(widget: Widget, colour: str) -> None:
    with widget.canvas.before:
        Color(*hex_rgba(colour))
        rect = Rectangle(pos=widget.pos, size=widget.size)
    widget.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))


def text_label(
    text: str, theme: Theme, size: float = TEXT, *, bold: bool = False, colour: str | None = None, **kw: Any
) -> Label:
    """A label that wraps to its width and is as high as its text (unless a height is given)."""
    fixed = "height" in kw or "size_hint_y" in kw
    label = Label(
        text=text,
        font_size=theme.font(size),
        bold=bold,
        color=hex_rgba(colour or theme.text),
        halign=kw.pop("halign", "left"),
        valign=kw.pop("valign", "middle"),
        markup=True,
        **({} if fixed else {"size_hint_y": None}),
        **kw,
    )
    label.bind(width=lambda w, v: setattr(w, "text_size", (v, None if not fixed else w.height)))
    if fixed:
        label.bind(height=lambda w, v: setattr(w, "text_size", (w.width, v)))
    else:
        label.bind(texture_size=lambda w, v: setattr(w, "height", v[1] + theme.px(8)))
    return label


def big_button(
    text: str,
    theme: Theme,
    on_press: Callable[[], None],
    *,
    kind: str = "primary",
    size: float = BIG,
    grow: bool = False,
    **kw: Any,
) -> Button:
    fill, ink = {
        "primary": (theme.primary, theme.on_primary),
        "secondary": (theme.secondary, theme.on_secondary),
        "chosen": (theme.chosen, theme.on_chosen),
        "current": (theme.current, theme.on_current),
    }[kind]
    if "size_hint_y" not in kw and "size_hint" not in kw:
        kw["size_hint_y"] = None
        kw.setdefault("height", theme.px(TOUCH))
    button = Button(
        text=text,
        font_size=theme.font(size),
        markup=True,
        halign=kw.pop("halign", "center"),
        valign="middle",
        background_normal="",
        background_down="",
        background_color=hex_rgba(fill),
        color=hex_rgba(ink),
        **kw,
    )
    if grow:  # as high as its words: the caller sizes it from texture_size
        button.bind(width=lambda b, v: setattr(b, "text_size", (v - theme.px(24), None)))
    else:
        button.bind(size=lambda b, v: setattr(b, "text_size", (v[0] - theme.px(24), v[1])))
    button.bind(on_release=lambda *_: on_press())
    if theme.contrast:
        with button.canvas.after:
            Color(*hex_rgba(theme.primary))
            frame = Line(rectangle=(*button.pos, *button.size), width=2)
        button.bind(
            pos=lambda b, v: setattr(frame, "rectangle", (*v, *b.size)),
            size=lambda b, v: setattr(frame, "rectangle", (*b.pos, *v)),
        )
    return button


# ---------------------------------------------------------------------------------- sound


class Player:
    """Plays a request's WAVs in order as the speaker hands them over (on the screen's thread)."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.on_change = on_change
        self.job = -1
        self.sound: Any = None
        self.waiting: dict[int, Path] = {}
        self.next = 0
        #: What was played: (file, language), newest last; and when the first sound of the
        #: latest request started (``time.perf_counter``).
        self.played: list[tuple[Path, str]] = []
        self.asked_at: float | None = None
        self.started_at: float | None = None
        self.lang = "fr"
        self.error: str | None = None

    @property
    def busy(self) -> bool:
        return self.job >= 0

    def start(self, job: int, lang: str) -> None:
        self.stop(notify=False)
        self.job, self.lang, self.next, self.waiting = job, lang, 0, {}
        self.asked_at, self.started_at, self.error = time.perf_counter(), None, None
        self.on_change()

    def ready(self, job: int, index: int, path: Path) -> None:
        if job != self.job:
            return
        self.waiting[index] = path
        if self.sound is None:
            self._play_next()

    def failed(self, job: int, message: str) -> None:
        if job == self.job:
            self.error = message
            self.job = -1
            self.on_change()

    def _play_next(self) -> None:
        path = self.waiting.pop(self.next, None)
        if path is None:
            return
        self.next += 1
        sound = SoundLoader.load(str(path))
        if sound is None:  # no audio device: the written steps still hold
            log.warning("cannot play %s", path)
            self.played.append((path, self.lang))
            self._play_next()
            return
        sound.bind(on_stop=self._stopped)
        self.sound = sound
        if self.started_at is None:
            self.started_at = time.perf_counter()
        sound.play()
        self.played.append((path, self.lang))

    def _stopped(self, sound: Any) -> None:
        if sound is not self.sound:
            return
        self.sound = None
        self._play_next()
        if self.sound is None and not self.waiting:
            self.job = -1
            self.on_change()

    def stop(self, *, notify: bool = True) -> None:
        self.job = -1
        sound, self.sound = self.sound, None
        self.waiting = {}
        if sound is not None:
            sound.unbind(on_stop=self._stopped)
            sound.stop()
        if notify:
            self.on_change()


# ---------------------------------------------------------------------------------- the plan


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
            if not any(_overlap(box, other) for other in self._taken):
                lx, ly = cx, cy
                break
        self._taken.append((lx - 6, ly - 2, lx + w + 6, ly + h + 2))
        Color(*hex_rgba(palette["label_bg"], 0.9))
        Rectangle(pos=(lx - 6, ly - 2), size=(w + 12, h + 4))
        Color(*hex_rgba(colour))
        Rectangle(texture=tex, pos=(lx, ly), size=(w, h))


# ---------------------------------------------------------------------------------- the screens


KEYBOARDS = {
    "fr": ["AZERTYUIOP", "QSDFGHJKLM", "WXCVBN-'"],
    "en": ["QWERTYUIOP", "ASDFGHJKL'", "ZXCVBNM-"],
}


class KioskScreen(FloatLayout):  # type: ignore[misc]
    """The whole kiosk screen; :meth:`show` builds the welcome or the route screen anew."""

    def __init__(self, session: KioskSession, *, speak: bool = True, **kw: Any) -> None:
        super().__init__(**kw)
        self.session = session
        self.player = Player(self._sound_changed)
        self.speaker: Speaker | None = None
        if speak:
            self.speaker = Speaker(
                lambda job, i, path: Clock.schedule_once(lambda _dt: self.player.ready(job, i, path)),
                lambda job, msg: Clock.schedule_once(lambda _dt: self.player.failed(job, msg)),
            )
        self.theme = make_theme(False, (int(Window.width), int(Window.height)))
        self.plan: PlanView | None = None
        self.listen_all: Button | None = None
        self.suggestion_box: BoxLayout | None = None
        self.query_label: Label | None = None
        self.steps_list: ScrollView | None = None
        self.step_rows: list[Button] = []
        self.shown = ""
        # Garbage is collected between touches, never during one (a full pass took 150 to
        # 200 ms, one tap in five): automatic collection is off while the screen lives.
        self._gc_was_on = gc.isenabled()
        gc.disable()
        self._collected = True
        self._clock = Clock.schedule_interval(self.tick, 1.0)
        Clock.schedule_once(lambda _dt: prepare_floors(self.session), 0.5)
        self.bind(size=lambda *_: self.show())
        self.show()

    # -- life -----------------------------------------------------------------------------

    def on_touch_down(self, touch: Any) -> bool:
        self.session.touch()
        self._collected = False
        return bool(super().on_touch_down(touch))

    def tick(self, _dt: float = 0.0) -> None:
        if (not self._collected and self.session.idle_for() >= 2.0) or gc.get_count()[0] > 1_000_000:
            gc.collect()
            self._collected = True
        what = self.session.tick()
        if what == "plan":
            Clock.schedule_once(lambda _dt: prepare_floors(self.session), 0.1)
        if what is not None:
            self.player.stop(notify=False)
            if self.speaker is not None:
                self.speaker.cancel()
            self.show()

    def close(self) -> None:
        self._clock.cancel()
        if self._gc_was_on:
            gc.enable()
        self.player.stop(notify=False)
        if self.speaker is not None:
            self.speaker.close()

    @property
    def portrait(self) -> bool:
        return bool(self.height >= self.width)

    def show(self) -> None:
        s = self.session
        self.theme = make_theme(s.easy_reading, (int(self.width), int(self.height)))
        self.clear_widgets()
        self.canvas.before.clear()
        _bg(self, self.theme.bg)
        self.plan, self.listen_all, self.suggestion_box, self.query_label = None, None, None, None
        self.steps_list, self.step_rows = None, []
        if s.route is None and s.no_route is None:
            self.shown = "welcome"
            self.add_widget(self._welcome())
        else:
            self.shown = "route"
            self.add_widget(self._route_screen())

    # -- welcome ----------------------------------------------------------------------------

    def _header(self, left: Widget) -> BoxLayout:
        theme, s = self.theme, self.session
        bar = BoxLayout(
            orientation="horizontal", size_hint_y=None, height=theme.px(TOUCH + 24), spacing=theme.px(GAP)
        )
        base = bar.height
        if isinstance(left, BoxLayout):  # words that wrap (larger text) make the bar taller
            left.bind(minimum_height=lambda _w, v: setattr(bar, "height", max(base, v)))
        bar.add_widget(left)
        if left.size_hint_x is None:
            bar.add_widget(Widget())
        for lang in s.languages:
            chosen = lang == s.lang
            bar.add_widget(
                big_button(
                    words(lang)["language_name"],
                    theme,
                    partial(self._language, lang),
                    kind="chosen" if chosen else "secondary",
                    size=TEXT,
                    size_hint=(None, 1),
                    width=theme.px(250),
                )
            )
        return bar

    def _welcome(self) -> BoxLayout:
        s, theme = self.session, self.theme
        t = s.t
        page = BoxLayout(orientation="vertical", padding=theme.px(28), spacing=theme.px(GAP))
        where = BoxLayout(orientation="vertical")
        where.add_widget(text_label(s.venue_name, theme, TEXT, colour=theme.muted))
        where.add_widget(text_label(t["you_are_here"].format(name=s.here_name), theme, TEXT, bold=True))
        page.add_widget(self._header(where))
        page.add_widget(text_label(t["where_to"], theme, TITLE, bold=True))
        body = BoxLayout(orientation="vertical" if self.portrait else "horizontal", spacing=theme.px(GAP * 2))
        if s.typing:
            box = BoxLayout(
                orientation="vertical", spacing=theme.px(GAP), size_hint_x=1 if self.portrait else 0.6
            )
            self.suggestion_box = box
            self._fill_suggestions()
            body.add_widget(box)
        else:
            shortcuts = self._shortcuts()
            shortcuts.size_hint_x = 1 if self.portrait else 0.6
            body.add_widget(shortcuts)
        side = BoxLayout(orientation="vertical", spacing=theme.px(GAP), size_hint_y=None)
        side.bind(minimum_height=side.setter("height"))
        field = big_button(
            (s.query.upper() + "_") if s.typing else t["search"],
            theme,
            self._open_keyboard,
            kind="secondary",
            halign="left",
        )
        self.query_label = field
        side.add_widget(field)
        if s.typing:
            side.add_widget(self._keyboard())
        if self.portrait:
            body.add_widget(side)
        else:
            column = BoxLayout(orientation="vertical", size_hint_x=0.4)
            column.add_widget(side)
            column.add_widget(Widget())
            body.add_widget(column)
        page.add_widget(body)
        if s.ask_arrival and not s.typing:
            page.add_widget(self._arrival())
        page.add_widget(self._options())
        return page

    def _arrival(self) -> BoxLayout:
        """One optional question for visitors who arrive here (a service's waiting room)."""
        s, theme = self.session, self.theme
        t = s.t
        row = BoxLayout(
            orientation="horizontal", spacing=theme.px(GAP), size_hint_y=None, height=theme.px(96)
        )
        if s.arrival_answered:
            row.add_widget(text_label(t["arrival_thanks"], theme, TEXT, bold=True))
            return row
        row.add_widget(text_label(t["arrival_question"], theme, TEXT, bold=True))
        for answer in ("yes", "no"):
            button = big_button(
                t[f"arrival_{answer}"],
                theme,
                partial(self.answer_arrival, answer),
                kind="secondary",
                size=TEXT,
            )
            button.size_hint_x = None
            button.width = theme.px(160)
            row.add_widget(button)
        return row

    def answer_arrival(self, answer: str) -> None:
        self.session.answer_arrival(answer)
        self.show()

    def _shortcuts(self) -> ScrollView:
        s, theme = self.session, self.theme
        cols = 2 if self.portrait else 3
        grid = GridLayout(cols=cols, spacing=theme.px(GAP), size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for sc in s.shortcuts():
            grid.add_widget(
                big_button(
                    f"[b]{_esc(sc.label)}[/b]\n[size={int(theme.font(SMALL))}]{_esc(sc.level)}[/size]",
                    theme,
                    partial(self.choose, sc.ref),
                    height=theme.px(TOUCH + 40),
                )
            )
        scroll = ScrollView(do_scroll_x=False, bar_width=theme.px(10))
        scroll.add_widget(grid)
        return scroll

    def _fill_suggestions(self) -> None:
        box, s, theme = self.suggestion_box, self.session, self.theme
        if box is None:
            return
        box.clear_widgets()
        t = s.t
        if len(s.query.strip()) < 2:
            box.add_widget(text_label(t["search_hint"], theme, TEXT, colour=theme.muted))
        else:
            hits = s.suggestions()
            if not hits:
                box.add_widget(text_label(t["no_match"].format(text=s.query), theme, TEXT, bold=True))
            for hit in hits:
                where = label_text(hit.level, s.lang)
                building = label_text(hit.building, s.lang) if hit.building else ""
                box.add_widget(
                    big_button(
                        f"[b]{_esc(hit.place.label(s.lang))}[/b]\n[size={int(theme.font(SMALL))}]"
                        f"{_esc(where)}{' — ' + _esc(building) if building else ''}[/size]",
                        theme,
                        partial(self.choose, hit.place.id),
                        halign="left",
                        height=theme.px(TOUCH + 30),
                    )
                )
        box.add_widget(Widget())

    def _keyboard(self) -> GridLayout:
        s, theme = self.session, self.theme
        rows = KEYBOARDS.get(s.lang, KEYBOARDS["en"])
        pad = BoxLayout(orientation="vertical", spacing=theme.px(8), size_hint_y=None)
        key_h = theme.px(TOUCH - 6)
        for row in rows:
            line = BoxLayout(orientation="horizontal", spacing=theme.px(8), size_hint_y=None, height=key_h)
            for ch in row:
                line.add_widget(
                    big_button(
                        ch, theme, partial(self.type_key, ch), kind="secondary", size=BIG, height=key_h
                    )
                )
            pad.add_widget(line)
        t = s.t
        last = BoxLayout(orientation="horizontal", spacing=theme.px(8), size_hint_y=None, height=key_h)
        last.add_widget(
            big_button(t["space"], theme, lambda: self.type_key(" "), kind="secondary", size=TEXT)
        )
        last.add_widget(big_button(t["erase"], theme, self.erase, kind="secondary", size=TEXT))
        last.add_widget(
            big_button(t["close_keyboard"], theme, self._close_keyboard, kind="secondary", size=SMALL)
        )
        pad.add_widget(last)
        pad.height = len(rows) * key_h + key_h + 3 * theme.px(8)
        grid = GridLayout(cols=1, size_hint_y=None, height=pad.height)
        grid.add_widget(pad)
        return grid

    def _step_free_switch(self, *, size: float, detail: bool = True, **kw: Any) -> Button:
        """The step-free switch: on the welcome screen and beside every route."""
        s, theme = self.session, self.theme
        t = s.t
        more = f"\n[size={int(theme.font(SMALL))}]{t['step_free_detail']}[/size]" if detail else ""
        words = t["switch"].format(name=t["step_free"], state=t["on" if s.step_free else "off"])
        return big_button(
            f"[b]{words}[/b]{more}",
            theme,
            lambda: self.set_step_free(not s.step_free),
            kind="chosen" if s.step_free else "secondary",
            size=size,
            **kw,
        )

    def _options(self) -> BoxLayout:
        s, theme = self.session, self.theme
        t = s.t
        bar = BoxLayout(
            orientation="horizontal", size_hint_y=None, height=theme.px(TOUCH + 40), spacing=theme.px(GAP)
        )
        bar.add_widget(self._step_free_switch(size=TEXT, height=theme.px(TOUCH + 40)))
        bar.add_widget(
            big_button(
                "[b]"
                + t["switch"].format(name=t["easy_reading"], state=t["on"] if s.easy_reading else t["off"])
                + "[/b]",
                theme,
                self.toggle_easy_reading,
                kind="chosen" if s.easy_reading else "secondary",
                size=TEXT,
                height=theme.px(TOUCH + 40),
            )
        )
        return bar

    # -- the route ------------------------------------------------------------------------

    def _route_screen(self) -> BoxLayout:
        s, theme = self.session, self.theme
        t = s.t
        page = BoxLayout(orientation="vertical", padding=theme.px(24), spacing=theme.px(GAP))
        back = big_button(
            t["new_search"],
            theme,
            self.new_search,
            kind="primary",
            size=TEXT,
            size_hint=(None, 1),
            width=theme.px(280),
        )
        title = BoxLayout(orientation="vertical", size_hint_y=None)
        title.add_widget(text_label(s.destination_name, theme, TITLE, bold=True))
        if s.route is not None:
            title.add_widget(text_label(s.walk_text(), theme, TEXT, colour=theme.muted))
            detour = s.route.detour_text(s.lang)
            if detour:  # the route goes round a closure: say which, why and until when
                title.add_widget(text_label(detour, theme, TEXT, bold=True))
        title.bind(minimum_height=title.setter("height"))
        if self.portrait:
            page.add_widget(self._header(back))
            page.add_widget(title)
        else:  # one line: back, where to and how long, languages
            left = BoxLayout(orientation="horizontal", spacing=theme.px(GAP * 2))
            left.add_widget(back)
            left.add_widget(title)
            page.add_widget(self._header(left))
        if s.route is None:
            page.add_widget(self._no_route())
            return page
        body = BoxLayout(orientation="vertical" if self.portrait else "horizontal", spacing=theme.px(GAP))
        left = BoxLayout(
            orientation="vertical", spacing=theme.px(8), size_hint=(1, 0.48) if self.portrait else (0.55, 1)
        )
        if len(s.levels) > 1:
            tabs = BoxLayout(
                orientation="horizontal", spacing=theme.px(8), size_hint_y=None, height=theme.px(TOUCH - 10)
            )
            for ordinal in s.levels:
                tabs.add_widget(
                    big_button(
                        s.level_name(ordinal),
                        theme,
                        partial(self.show_level, ordinal),
                        kind="current" if ordinal == s.ordinal else "secondary",
                        size=TEXT,
                        height=theme.px(TOUCH - 10),
                    )
                )
            left.add_widget(tabs)
        else:
            left.add_widget(text_label(s.level_name(s.ordinal), theme, TEXT, bold=True))
        self.plan = PlanView(s, theme)
        left.add_widget(self.plan)
        body.add_widget(left)
        right = BoxLayout(
            orientation="vertical", spacing=theme.px(GAP), size_hint=(1, 0.52) if self.portrait else (0.45, 1)
        )
        right.add_widget(self._steps())
        right.add_widget(self._route_controls())
        body.add_widget(right)
        page.add_widget(body)
        if self.speaker is not None:
            self.speaker.prefetch([speech for _, speech, _ in s.steps()], s.lang)
        return page

    def _no_route(self) -> BoxLayout:
        s, theme = self.session, self.theme
        t = s.t
        box = BoxLayout(orientation="vertical", spacing=theme.px(GAP * 2), padding=(0, theme.px(60)))
        box.add_widget(text_label(t["no_route_title"].format(name=s.destination_name), theme, BIG, bold=True))
        box.add_widget(text_label(s.no_route or "", theme, TEXT))
        if s.step_free:
            box.add_widget(
                big_button(t["with_steps"], theme, lambda: self.set_step_free(False), kind="primary")
            )
        box.add_widget(big_button(t["new_search"], theme, self.new_search, kind="secondary"))
        box.add_widget(Widget())
        return box

    def _steps(self) -> ScrollView:
        s, theme = self.session, self.theme
        t = s.t
        grid = GridLayout(cols=1, spacing=theme.px(8), size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        steps = s.steps()
        for i, (screen, _speech, _o) in enumerate(steps):
            row = BoxLayout(orientation="horizontal", spacing=theme.px(8), size_hint_y=None)
            current = i == s.step
            text = big_button(
                f"[b]{i + 1}.[/b] {_esc(screen)}",
                theme,
                partial(self.go_to_step, i),
                kind="current" if current else "secondary",
                size=TEXT if not current else TEXT + 4,
                halign="left",
                grow=True,
                size_hint_y=1,
            )
            # As high as its words: the text wraps to the width and the row follows.
            text.bind(
                texture_size=lambda b, v, row=row: setattr(
                    row, "height", max(theme.px(TOUCH), v[1] + theme.px(24))
                )
            )
            row.height = theme.px(TOUCH)
            row.add_widget(text)
            row.add_widget(
                big_button(
                    t["listen"],
                    theme,
                    partial(self.speak_step, i),
                    kind="secondary",
                    size=SMALL,
                    size_hint=(None, 1),
                    width=theme.px(200),
                )
            )
            self.step_rows.append(text)
            grid.add_widget(row)
        scroll = ScrollView(do_scroll_x=False, bar_width=theme.px(12))
        scroll.add_widget(grid)
        self.steps_list = scroll
        if s.step > 0 and self.step_rows:
            Clock.schedule_once(
                lambda _dt: scroll.scroll_to(self.step_rows[s.step].parent, padding=theme.px(20))
            )
        return scroll

    def _route_controls(self) -> BoxLayout:
        s, theme = self.session, self.theme
        t = s.t
        bar = BoxLayout(
            orientation="horizontal", spacing=theme.px(GAP), size_hint_y=None, height=theme.px(260)
        )
        buttons = BoxLayout(orientation="vertical", spacing=theme.px(8))
        nav = BoxLayout(orientation="horizontal", spacing=theme.px(8))
        nav.add_widget(
            big_button(
                t["previous"],
                theme,
                lambda: self.go_to_step(s.step - 1),
                kind="secondary",
                size=TEXT,
                size_hint_y=1,
            )
        )
        nav.add_widget(
            big_button(
                t["next"],
                theme,
                lambda: self.go_to_step(s.step + 1),
                kind="secondary",
                size=TEXT,
                size_hint_y=1,
            )
        )
        buttons.add_widget(nav)
        listen = BoxLayout(orientation="horizontal", spacing=theme.px(8))
        listen.add_widget(self._step_free_switch(size=SMALL, detail=False, size_hint=(0.45, 1)))
        self.listen_all = big_button(
            t["stop"] if self.player.busy else t["listen_all"],
            theme,
            self.speak_all,
            kind="primary",
            size=TEXT,
            size_hint_y=1,
        )
        listen.add_widget(self.listen_all)
        buttons.add_widget(listen)
        bar.add_widget(buttons)
        link = s.phone_link()
        if link:
            qr_box = BoxLayout(orientation="vertical", size_hint_x=None, width=theme.px(250))
            qr = Image(texture=_qr_texture(link), size_hint=(1, 1), fit_mode="contain")
            qr_box.add_widget(qr)
            qr_box.add_widget(text_label(f"{t['phone']}", theme, SMALL, halign="center", bold=True))
            bar.add_widget(qr_box)
        return bar

    # -- what a touch does --------------------------------------------------------------------

    def choose(self, ref: str) -> None:
        self.player.stop(notify=False)
        if self.speaker is not None:
            self.speaker.cancel()
        self.session.choose(ref)
        self.show()

    def new_search(self) -> None:
        self.player.stop(notify=False)
        if self.speaker is not None:
            self.speaker.cancel()
        self.session.new_search()
        self.session.adopt()  # the previous use is over: a newer plan may come in now
        self.show()

    def _language(self, lang: str) -> None:
        self.player.stop(notify=False)
        self.session.set_language(lang)
        self.show()

    def set_step_free(self, on: bool) -> None:
        self.player.stop(notify=False)
        self.session.set_step_free(on)
        self.show()

    def toggle_easy_reading(self) -> None:
        self.session.easy_reading = not self.session.easy_reading
        self.show()

    def _open_keyboard(self) -> None:
        if not self.session.typing:
            self.session.typing = True
            self.show()

    def _close_keyboard(self) -> None:
        self.session.typing = False
        self.session.query = ""
        self.show()

    def type_key(self, ch: str) -> None:
        s = self.session
        if len(s.query) < 40:
            s.query += ch.lower()
        self._query_changed()

    def erase(self) -> None:
        self.session.query = self.session.query[:-1]
        self._query_changed()

    def _query_changed(self) -> None:
        if self.query_label is not None:
            self.query_label.text = self.session.query.upper() + "_"
        self._fill_suggestions()

    def show_level(self, ordinal: int) -> None:
        self.session.ordinal = ordinal
        self.show()

    def go_to_step(self, index: int) -> None:
        self.session.go_to_step(index)
        self.show()

    def speak_all(self) -> None:
        if self.player.busy:
            self.player.stop()
            if self.speaker is not None:
                self.speaker.cancel()
            return
        self._speak([speech for _, speech, _ in self.session.steps()])

    def speak_step(self, index: int) -> None:
        steps = self.session.steps()
        if 0 <= index < len(steps):
            self.session.go_to_step(index)
            self.show()
            self._speak([steps[index][1]])

    def _speak(self, texts: list[str]) -> None:
        if self.speaker is None or not texts:
            return
        job = self.speaker.say(texts, self.session.lang)
        self.player.start(job, self.session.lang)

    def _sound_changed(self) -> None:
        if self.listen_all is not None:
            t = self.session.t
            self.listen_all.text = t["stop"] if self.player.busy else t["listen_all"]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def _qr_texture(link: str) -> Any:
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
