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

from floorplans._errors import FloorPlanError, ImdfReadError, StoreError
from floorplans.data import DEMO_PATH
from floorplans.diff import Change, diff_venues
from floorplans.imdf import ImdfResult, read_imdf, write_imdf
from floorplans.model import Label, Venue, label_text
from floorplans.render import render_floor_svg
from floorplans.report import Problem, Report
from floorplans.store import Closure, FloorPlanStore, VersionInfo
from floorplans.validate import load_and_validate, validate_venue


def load_demo_venue() -> Venue:
    """The demo hospital shipped with the package."""
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
