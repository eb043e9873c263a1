"""Data shipped with the package: the demo hospital as IMDF (see floorplans/demo.py)."""

from __future__ import annotations

from pathlib import Path

#: The demo hospital archive (a folder), written by ``python -m floorplans.demo``.
DEMO_PATH = Path(__file__).parent / "demo-hospital"
