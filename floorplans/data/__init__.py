"""Data shipped with the package: the demo hospital as IMDF (see simulators/demo_hospital.py)."""

from __future__ import annotations

from pathlib import Path

#: The demo hospital archive (a folder), written by ``python -m simulators.demo_hospital``.
DEMO_PATH = Path(__file__).parent / "demo-hospital"
