"""The demo hospital shipped in ``floorplans/data/demo-hospital/`` is exactly what its recipe
(:mod:`simulators.demo_hospital`) builds: a change to the recipe that was not written out
fails here, with the command that writes it."""

from __future__ import annotations

from pathlib import Path

from floorplans.data import DEMO_PATH
from simulators.demo_hospital import main


def test_the_shipped_demo_archive_is_what_the_recipe_builds(tmp_path: Path) -> None:
    out = tmp_path / "demo-hospital"
    assert main([str(out)]) == 0
    shipped = {p.name: p.read_bytes() for p in DEMO_PATH.iterdir() if p.is_file() and p.name != "__init__.py"}
    built = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(built) == sorted(shipped), "files written by the recipe and files shipped differ"
    stale = [name for name in sorted(built) if built[name] != shipped[name]]
    assert not stale, (
        f"{', '.join(stale)} in {DEMO_PATH} no longer match simulators/demo_hospital.py: "
        "run 'python -m simulators.demo_hospital' and commit the files"
    )
