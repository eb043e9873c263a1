"""Words of the web pages, one catalogue per language in ``api/locales/<lang>.json``.

The directions themselves come from the routing catalogues; these are the
pages' own words (labels, buttons, headings). Adding a language is adding a
file here and one in ``routing/locales/``.
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"


@cache
def ui(lang: str) -> dict[str, str]:
    """The page words in *lang* (missing keys fall back to French)."""
    base: dict[str, str] = json.loads((LOCALES / "fr.json").read_text(encoding="utf-8"))
    path = LOCALES / f"{lang}.json"
    if lang != "fr" and path.exists():
        base = {**base, **json.loads(path.read_text(encoding="utf-8"))}
    return base


def page_languages(offered: list[str]) -> list[str]:
    """The offered languages that have page words and directions."""
    from routing import available_languages

    routing_langs = set(available_languages())
    return [x for x in offered if (LOCALES / f"{x}.json").exists() and x in routing_langs]


def choose_language(asked: str | None, accept_language: str | None, offered: list[str]) -> str:
    """The page language: the one asked for, else the browser's best offered one, else the first."""
    if asked:
        base = asked.split("-", maxsplit=1)[0].lower()
        if base in offered:
            return base
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        base = tag.split("-", maxsplit=1)[0].strip().lower()
        if base in offered and q > 0:
            ranked.append((-q, i, base))
    return sorted(ranked)[0][2] if ranked else offered[0]


def clock(when: datetime, lang: str, zone: tzinfo) -> str:
    """A time of day as people of *lang* write it, on the hospital's clock ("10:42")."""
    from babel.dates import format_time

    return str(format_time(when, "short", locale=ui(lang)["babel_locale"], tzinfo=zone))


def duration(seconds: float, lang: str) -> str:
    """A waiting time, to the minute: "25 min", "1 h 05"."""
    minutes = max(0, int(seconds // 60))
    words = ui(lang)
    if minutes < 60:
        return words["minutes_short"].format(m=minutes)
    return words["hours_short"].format(h=minutes // 60, m=f"{minutes % 60:02d}")


def day_and_time(when: datetime, lang: str, zone: tzinfo) -> str:
    """A day and a time ("2 déc. 10:42", "2 Dec 10:42"), on the hospital's clock."""
    from babel.dates import format_skeleton

    day = format_skeleton("MMMd", when, locale=ui(lang)["babel_locale"], tzinfo=zone)
    return f"{day} {clock(when, lang, zone)}"
