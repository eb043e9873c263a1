"""Errors raised by :mod:`floorplans`; each message says what and where."""

from __future__ import annotations

from floorplans.text import Text, said_or


class FloorPlanError(ValueError):
    """A floor plan cannot be used as given.

    The message is English (the command line, the logs); raised with a :class:`Text`
    (``T(...)``), a page can also say it in its reader's language (:func:`said`)."""

    def __init__(self, message: str | Text) -> None:
        super().__init__(str(message))
        self.text = message if isinstance(message, Text) else None

    def said(self, lang: str) -> str:
        return said_or(self.text, lang, str(self))


class ImdfReadError(FloorPlanError):
    """An IMDF archive cannot be read at all (no manifest, not a folder or zip...)."""


class StoreError(FloorPlanError):
    """A floor plan store operation was refused (unknown version, publishing a broken draft...)."""
