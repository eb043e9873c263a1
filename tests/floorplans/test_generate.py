"""Synthetic hospitals: the size asked for, valid, deterministic."""

from __future__ import annotations

from floorplans import validate_venue
from floorplans.topology import topology
from simulators.generate import generate_hospital


def test_size_validity_and_determinism() -> None:
    a = generate_hospital(buildings=3, levels=4, rooms_per_level=30, seed=7)
    b = generate_hospital(buildings=3, levels=4, rooms_per_level=30, seed=7)
    rooms = [u for u in a.units.values() if u.category in ("room", "office")]
    toilets = [u for u in a.units.values() if u.category.startswith("restroom")]
    assert len(rooms) + len(toilets) == 3 * 4 * 30
    assert validate_venue(a).problems == []
    assert list(a.units) == list(b.units)
    assert [u.name for u in a.units.values()] == [u.name for u in b.units.values()]
    assert any(not u.public for u in a.units.values())
    assert len(a.kiosks) == 3 and len(topology(a).entrances()) == 3
    assert {r.category for r in a.relationships.values()} == {"elevator", "stairs"}
    other = generate_hospital(buildings=3, levels=4, rooms_per_level=30, seed=8)
    assert [u.name for u in a.units.values()] != [u.name for u in other.units.values()]
