"""The kiosk's screen, in Kivy: welcome (where to?, :mod:`kiosk_app.welcome`) or route (the
way, drawn and spoken, :mod:`kiosk_app.route_screen`), assembled here with what both share:
the header, the step-free switch, the language, larger text, and the screen's life
(touches, the idle clock, garbage collection between touches, the speech worker).

Import this module only after :func:`kiosk_app.main.prepare_kivy` (Kivy reads
its configuration when its window is first imported). Every screen is built
again from the :class:`~kiosk_app.session.KioskSession` whenever the visitor
changes something: there is no state in the widgets that the session does
not hold, so that going back to the start forgets everything. Sizes and colours:
:mod:`kiosk_app.theme`.
"""

from __future__ import annotations

import gc
import logging
from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk_app.plan_view import PlanView, prepare_floors
from kiosk_app.player import Player
from kiosk_app.route_screen import RouteScreen
from kiosk_app.session import KioskSession, words
from kiosk_app.speaker import Speaker
from kiosk_app.theme import GAP, SMALL, TEXT, TOUCH, big_button, make_theme, paint_background
from kiosk_app.welcome import WelcomeScreen

log = logging.getLogger(__name__)


class KioskScreen(WelcomeScreen, RouteScreen, FloatLayout):  # type: ignore[misc]
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

    def show(self) -> None:
        s = self.session
        self.theme = make_theme(s.easy_reading, (int(self.width), int(self.height)))
        self.clear_widgets()
        self.canvas.before.clear()
        paint_background(self, self.theme.bg)
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

    # -- what a touch does --------------------------------------------------------------------

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
