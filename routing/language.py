"""Language catalogues: every language in its own file, ``routing/locales/<lang>.json``.

A catalogue holds the templates of each kind of step, turn words, the
grammar a name needs in a sentence (articles and their contractions, as
data: "la Cafétéria", "du couloir", "the Main hall", "Lift B"), how distances
are said, and the replacements that make a text speakable (abbreviations
spelled out, numbers in words via num2words). Adding a language is adding a
file; no code changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from num2words import num2words

LOCALES = Path(__file__).parent / "locales"
_VOWELS = "aeiouyhàâäéèêëîïôöùûüœæ"
_CODE_END = re.compile(r"(\b[A-Z]{1,3}\d*|\b\d+[A-Z]?|\b[A-Z]\d+(\.\d+)?)$")
_NUMBER = re.compile(r"(?<![\w.,])-?\d+(?![\w])")


def available_languages() -> list[str]:
    return sorted(p.stem for p in LOCALES.glob("*.json"))


def catalogue(lang: str) -> Catalogue:
    """The catalogue of *lang* ("fr", "fr-CA", "EN"); ``ValueError`` naming the languages
    there are for anything else. Only a language that has a file is ever a file name
    ("../../api/locales/fr" is no language), and only those are cached."""
    base = lang.split("-", maxsplit=1)[0].strip().lower()
    if base not in _known_languages():
        raise ValueError(f"no catalogue for language {lang!r}; available: {', '.join(available_languages())}")
    return _load(base)


@cache
def _known_languages() -> frozenset[str]:
    return frozenset(available_languages())


@cache
def _load(base: str) -> Catalogue:
    return Catalogue(base, json.loads((LOCALES / f"{base}.json").read_text(encoding="utf-8")))


@dataclass(frozen=True, eq=False)
class Catalogue:
    lang: str
    data: dict[str, Any]

    # -- grammar ----------------------------------------------------------------------------

    def definite(self, name: str) -> str:
        """The name with its definite article: 'la Cafétéria', "l'Ascenseur B", 'Lift B'."""
        return _definite(self, name)

    def _definite(self, name: str) -> str:
        g = self.data["grammar"]
        if g.get("no_article_when_code") and _CODE_END.search(name):
            return name
        pattern = g.get("no_article_pattern")
        if pattern and re.search(pattern, name):
            return name
        words = name.split()
        if not words:
            return name
        first, last = words[0].lower(), words[-1].lower().strip(".,;:")
        if any(last.endswith(end) for end in g.get("no_article_endings", ())) and first not in g.get(
            "article_anyway", ()
        ):
            return name  # English: "Radiology", "Respiratory medicine", not "the Radiology"
        article = g["articles"].get(first, g["default_article"])
        elided = g.get("elide_before_vowel")
        if (
            elided
            and article in g.get("elided_articles", ())
            and first[:1] in _VOWELS
            and first not in g.get("h_aspire", ())
        ):
            article = elided  # "l'endoscopie", never "la endoscopie"; "le hall" keeps its article
        if not article:
            return name
        acronym = len(words[0]) > 1 and words[0][:2].isupper()  # "l'ORL", never "l'oRL"
        shown = name[:1].lower() + name[1:] if g.get("lowercase_after_article") and not acronym else name
        return f"{article}{shown}" if article.endswith("'") else f"{article} {shown}"

    def with_preposition(self, preposition: str, phrase: str) -> str:
        text = f"{preposition} {phrase}"
        for long, short in self.data["grammar"].get("contractions", {}).items():
            if text.startswith(long):
                return str(short) + text[len(long) :]
        return text

    # -- words ------------------------------------------------------------------------------

    def turn(self, modifier: str) -> str:
        return str(self.data["turn"][modifier])

    def then(self, modifier: str) -> str:
        """The second of two turns said together: "then immediately left"."""
        return str(self.data["then"][modifier])

    def side(self, side: str) -> str:
        return str(self.data["side"][side])

    def distance(self, metres: float, *, speech: bool = False) -> str:
        """Distances as people say them: 'a few metres', 25 m, 40 m, 150 m, 300 m."""
        d = self.data["distance"]
        if metres < 8:
            return str(d["few_speech" if speech else "few"])
        step = 5 if metres < 50 else 10 if metres < 200 else 50
        n = int(round(metres / step) * step)
        return str(d["metres_speech" if speech else "metres"]).format(n=n)

    def template(self, key: str) -> str:
        return str(self.data["templates"][key])

    def render(self, key: str, **names: str) -> str:
        """Fill the catalogue's template *key* (see :meth:`fill`)."""
        return self.fill_with(self.template(key), names)

    def fill(self, template: str, *, squeeze: bool = False, **names: str) -> str:
        """Fill a template; for each name X it offers X, its capitalised form, def_X and
        de_def_X; a missing name is empty. *squeeze* folds the spaces an empty name leaves."""
        return self.fill_with(template, names, squeeze=squeeze)

    def fill_with(self, template: str, names: dict[str, str], *, squeeze: bool = False) -> str:
        text = template.format_map(_Forms(self, names))
        if squeeze:
            text = " ".join(text.split())
        return text[:1].upper() + text[1:]

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.data[name])

    # -- speech -----------------------------------------------------------------------------

    def speakable(self, text: str) -> str:
        """Text for a speech engine: abbreviations spelled out, numbers in words."""
        out = text
        for written, spoken in self.data["speech"]["replace"].items():
            out = out.replace(written, spoken)
        for pattern, spoken in self.data["speech"].get("patterns", ()):
            out = re.sub(pattern, spoken, out)
        return _NUMBER.sub(lambda m: _words(int(m.group(0)), self.lang), out)

    @property
    def voice(self) -> str:
        return str(self.data["meta"]["voice"])


@cache
def _definite(cat: Catalogue, name: str) -> str:
    return cat._definite(name)


class _Forms(dict[str, str]):
    """Template values computed when a template asks for them."""

    def __init__(self, cat: Catalogue, names: dict[str, str]) -> None:
        super().__init__()
        self.cat = cat
        self.names = names

    def __missing__(self, key: str) -> str:
        if key.startswith("de_def_"):
            value = self.cat.with_preposition("de", self.cat.definite(self.names.get(key[7:], "")))
        elif key.startswith("def_"):
            value = self.cat.definite(self.names.get(key[4:], ""))
        elif key in self.names:
            value = self.names[key]
        elif key[:1].lower() + key[1:] in self.names:
            raw = self.names[key[:1].lower() + key[1:]]
            value = raw[:1].upper() + raw[1:]
        else:
            value = ""
        self[key] = value
        return value


@cache
def _words(n: int, lang: str) -> str:
    return str(num2words(n, lang=lang))
