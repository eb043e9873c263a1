"""Floor plans: IMDF archives read into a metric `Venue`, checked, versioned, drawn.

Main entry points:

- :func:`read_imdf` / :func:`write_imdf`: archive <-> :class:`Venue` (metres);
- :func:`load_and_validate` / :func:`validate_venue`: precise problem reports;
- :class:`FloorPlanStore`: versions (draft / published / archived), diff,
  publish, roll back, closures, audit log;
- :func:`render_floor_svg`: a floor drawn as SVG;
- :func:`load_demo_venue`: the demo hospital shipped with the package (built by
  :mod:`simulators.demo_hospital`; synthetic hospitals of any size come from
  :mod:`simulators.generate`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from floorplans._errors import FloorPlanError, ImdfReadError, StoreError
from floorplans.data import DEMO_PATH

if TYPE_CHECKING:
    from floorplans.diff import Change, diff_venues
    from floorplans.imdf import ImdfResult, read_imdf, write_imdf
    from floorplans.model import Label, Venue, label_text
    from floorplans.render import render_floor_svg
    from floorplans.report import Problem, Report
    from floorplans.store import Closure, FloorPlanStore, VersionInfo
    from floorplans.validate import load_and_validate, validate_venue

#: Where each name lives: imported when first used (``from floorplans import Venue``), so that
#: a light module of the package (``floorplans.data``, ``floorplans.upload``) loads only itself.
_EXPORTS = {
    "Change": "floorplans.diff",
    "diff_venues": "floorplans.diff",
    "ImdfResult": "floorplans.imdf",
    "read_imdf": "floorplans.imdf",
    "write_imdf": "floorplans.imdf",
    "Label": "floorplans.model",
    "Venue": "floorplans.model",
    "label_text": "floorplans.model",
    "render_floor_svg": "floorplans.render",
    "Problem": "floorplans.report",
    "Report": "floorplans.report",
    "Closure": "floorplans.store",
    "FloorPlanStore": "floorplans.store",
    "VersionInfo": "floorplans.store",
    "load_and_validate": "floorplans.validate",
    "validate_venue": "floorplans.validate",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'floorplans' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def load_demo_venue() -> Venue:
    """The demo hospital shipped with the package."""
    from floorplans.imdf import read_imdf

    result = read_imdf(DEMO_PATH)
    assert result.venue is not None, result.report.to_text()
    return result.venue


__all__ = [
    "DEMO_PATH",
    "Change",
    "Closure",
    "FloorPlanError",
    "FloorPlanStore",
    "ImdfReadError",
    "ImdfResult",
    "Label",
    "Problem",
    "Report",
    "StoreError",
    "Venue",
    "VersionInfo",
    "diff_venues",
    "label_text",
    "load_and_validate",
    "load_demo_venue",
    "read_imdf",
    "render_floor_svg",
    "validate_venue",
    "write_imdf",
]
