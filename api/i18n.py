"""Words of the web pages, one catalogue per language in ``api/locales/<lang>.json``.

The directions themselves come from the routing catalogues; these are the
pages' own words (labels, buttons, headings). Adding a language is adding a
file here and one in ``routing/locales/``.
"""

from __future__ import annotations

import json
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
