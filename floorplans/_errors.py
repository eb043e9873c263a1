"""Errors raised by :mod:`floorplans`; each message says what and where."""

from __future__ import annotations


class FloorPlanError(ValueError):
    """A floor plan cannot be used as given."""


class ImdfReadError(FloorPlanError):
    """An IMDF archive cannot be read at all (no manifest, not a folder or zip...)."""


class StoreError(FloorPlanError):
    """A floor plan store operation was refused (unknown version, publishing a broken draft...)."""
