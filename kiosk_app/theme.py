"""The kiosk's look: sizes that scale with the window and the larger-text setting, colours for
normal and high contrast, and the labels and buttons every screen is made of.

Sizes are in pixels of a 1080 x 1920 (or 1920 x 1080) screen and scale with
the window: text at least 32 px, touch targets at least 120 px high (about
15 mm on a 24-inch full-HD screen, more on smaller ones).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kivy.graphics import (
    Color,
    Line,
    Rectangle,
)
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk_app.plan import hex_rgba

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


def paint_background(widget: Widget, colour: str) -> None:
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


def escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")
