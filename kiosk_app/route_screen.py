"""The route screen: the plan with the way, the steps written large, each spoken on a touch or
all in turn, the floors to look at, the phone link as a QR code; or why there is no route."""

from __future__ import annotations

from functools import partial

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk_app.parts import ScreenParts
from kiosk_app.plan_view import PlanView, qr_texture
from kiosk_app.theme import BIG, GAP, SMALL, TEXT, TITLE, TOUCH, big_button, escape_markup, text_label


class RouteScreen(ScreenParts):
    """The route screen: the way drawn and written, step by step, and spoken."""

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
                f"[b]{i + 1}.[/b] {escape_markup(screen)}",
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
            qr = Image(texture=qr_texture(link), size_hint=(1, 1), fit_mode="contain")
            qr_box.add_widget(qr)
            qr_box.add_widget(text_label(f"{t['phone']}", theme, SMALL, halign="center", bold=True))
            bar.add_widget(qr_box)
        return bar

    def new_search(self) -> None:
        self.player.stop(notify=False)
        if self.speaker is not None:
            self.speaker.cancel()
        self.session.new_search()
        self.session.adopt()  # the previous use is over: a newer plan may come in now
        self.show()

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
