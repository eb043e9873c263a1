"""The welcome screen: where to? Shortcuts to the kiosk's destinations, a keyboard with
suggestions as one types, the step-free and language choices, the arrival question."""

from __future__ import annotations

from functools import partial

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from floorplans.model import label_text
from kiosk_app.parts import ScreenParts
from kiosk_app.theme import BIG, GAP, SMALL, TEXT, TITLE, TOUCH, big_button, escape_markup, text_label

KEYBOARDS = {
    "fr": ["AZERTYUIOP", "QSDFGHJKLM", "WXCVBN-'"],
    "en": ["QWERTYUIOP", "ASDFGHJKL'", "ZXCVBNM-"],
}


class WelcomeScreen(ScreenParts):
    """The welcome screen: where to, by shortcut, by typing, or by answering the arrival question."""

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
                    f"[b]{escape_markup(sc.label)}[/b]\n[size={int(theme.font(SMALL))}]{escape_markup(sc.level)}[/size]",
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
                        f"[b]{escape_markup(hit.place.label(s.lang))}[/b]\n[size={int(theme.font(SMALL))}]"
                        f"{escape_markup(where)}{' — ' + escape_markup(building) if building else ''}[/size]",
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

    def choose(self, ref: str) -> None:
        self.player.stop(notify=False)
        if self.speaker is not None:
            self.speaker.cancel()
        self.session.choose(ref)
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
