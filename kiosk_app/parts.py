"""What the kiosk screen's parts share (see :class:`ScreenParts`)."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk_app.plan_view import PlanView
from kiosk_app.player import Player
from kiosk_app.session import KioskSession
from kiosk_app.speaker import Speaker
from kiosk_app.theme import Theme


class ScreenParts:
    """What the screen's parts (:class:`~kiosk_app.welcome.WelcomeScreen`,
    :class:`~kiosk_app.route_screen.RouteScreen`) share with the screen that assembles them
    (:class:`~kiosk_app.screen.KioskScreen`): the session, the look, the voice, the widgets
    that change in place, and the steps every part may take."""

    session: KioskSession
    theme: Theme
    player: Player
    speaker: Speaker | None
    plan: PlanView | None
    listen_all: Button | None
    suggestion_box: BoxLayout | None
    query_label: Label | None
    steps_list: ScrollView | None
    step_rows: list[Button]
    width: float
    height: float

    @property
    def portrait(self) -> bool:
        return bool(self.height >= self.width)

    def show(self) -> None:
        raise NotImplementedError

    def _header(self, left: Widget) -> BoxLayout:
        raise NotImplementedError

    def _step_free_switch(self, *, size: float, detail: bool = True, **kw: Any) -> Button:
        raise NotImplementedError

    def set_step_free(self, on: bool) -> None:
        raise NotImplementedError

    def toggle_easy_reading(self) -> None:
        raise NotImplementedError
