"""Sentences about a plan that a page can say in its reader's language.

The check report's problems and the comparison of two versions are written in English where
they are made: the command line, the logs and the JSON report read them so. Each such
sentence is also kept as a :class:`Text`, its English template and the values put in it, so
that a facilities page can say it in French or Spanish from the catalogues in
``floorplans/locales/`` (``<lang>.json``: English template -> template in that language).
Values that are Texts are said in the same language; names from the plan stay as the plan
writes them. A template missing from a catalogue is said in English (a test checks that
none is missing: ``tests/floorplans/test_text.py``).
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"


@dataclass(frozen=True, slots=True)
class Text:
    """An English template (``str.format`` fields) and the values to put in it."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.said("en")

    def said(self, lang: str) -> str:
        """The sentence in *lang* (English when the catalogue lacks it)."""
        template = catalogue(lang).get(self.template, self.template)
        values = {k: v.said(lang) if isinstance(v, Text) else v for k, v in self.params.items()}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation's fields do not match
            return self.template.format(**values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "params": {k: v.to_dict() if isinstance(v, Text) else v for k, v in self.params.items()},
        }

    @classmethod
    def from_dict(cls, data: Any) -> Text | None:
        """A Text as :meth:`to_dict` wrote it; ``None`` for anything else (reports stored
        before sentences were kept, or damaged)."""
        if not isinstance(data, dict) or not isinstance(data.get("template"), str):
            return None
        params = data.get("params")
        if not isinstance(params, dict):
            params = {}
        return cls(
            data["template"],
            {
                k: cls.from_dict(v) if isinstance(v, dict) and "template" in v else v
                for k, v in params.items()
            },
        )


def T(template: str, /, **params: Any) -> Text:  # noqa: N802 - reads as a marked sentence
    """A sentence to say in the reader's language: ``T("unit {name!r} removed", name=...)``.

    Values are kept as JSON keeps them (a numpy number as a Python one, anything else JSON
    has no type for as its text), so that a report stored and read back says the same."""
    return Text(template, {k: _plain(v) for k, v in params.items()})


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, Text | str | bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def said_or(text: Text | None, lang: str, english: str) -> str:
    """*text* in *lang*; *english* (as first written) when there is no text or its values no
    longer fit its template (a report stored by another release)."""
    if text is None:
        return english
    try:
        return text.said(lang)
    except (KeyError, IndexError, ValueError, TypeError):
        return english


def joined(parts: list[Text] | list[Text | str], separator: str) -> Text:
    """Several sentences as one, each said in the reader's language."""
    template = separator.join("{p%d}" % i for i in range(len(parts)))  # noqa: UP031 - a template
    return Text(template, {f"p{i}": part for i, part in enumerate(parts)})


@cache
def catalogue(lang: str) -> dict[str, str]:
    """English template -> *lang*'s template; empty for English or a language without one."""
    base = lang.split("-", maxsplit=1)[0].lower()
    path = LOCALES / f"{base}.json"
    if base == "en" or not base.isalpha() or not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items() if not k.startswith("_")}


__all__ = ["LOCALES", "T", "Text", "catalogue", "joined", "said_or"]
