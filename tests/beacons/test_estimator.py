"""Positions and zones: calibration, robustness, and real measurements (Kolakowski 2021)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from beacons.estimator import Estimator, PathLoss, Receiver, calibrate
from beacons.payloads import Reading
from floorplans import Venue
from floorplans.model import label_text
from tracker.core import receivers_of

DATA = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "ble-kolakowski-2021"


def test_calibration_recovers_the_path_loss() -> None:
    rng = np.random.default_rng(1)
    d = rng.uniform(0.5, 15, 2000)
    rssi = -61.0 - 10 * 2.7 * np.log10(d) + rng.normal(0, 4, d.size)
    model = calibrate(("rx", float(r), float(x)) for r, x in zip(rssi, d, strict=True))
    assert model.p0 == pytest.approx(-61.0, abs=0.7) and model.n == pytest.approx(2.7, abs=0.1)
    assert model.sigma_db == pytest.approx(4.0, abs=0.3)
    assert PathLoss.from_json(model.to_json()).per_receiver["rx"] == pytest.approx(model.per_receiver["rx"])


def _receivers() -> list[Receiver]:
    return [
        Receiver("a", 0, 0, 0, 2.5),
        Receiver("b", 0, 10, 0, 2.5),
        Receiver("c", 0, 0, 10, 2.5),
        Receiver("d", 0, 10, 10, 2.5),
    ]


def _rssi(x: float, y: float, r: Receiver) -> float:
    d = float(np.sqrt((r.x - x) ** 2 + (r.y - y) ** 2 + (r.z - 1.0) ** 2))
    return -59.0 - 22.0 * np.log10(d)


def test_noise_free_position_is_exact_and_one_wild_reading_moves_little() -> None:
    est = Estimator(_receivers(), model=PathLoss(-59.0, 2.2))
    t = 0.0
    for _ in range(10):
        for r in _receivers():
            est.add(Reading("wb", r.id, _rssi(3, 4, r)), t)
        t += 1.0
    e = est.estimate("wb", t)
    assert e is not None and e.x == pytest.approx(3, abs=0.05) and e.y == pytest.approx(4, abs=0.05)
    assert e.confidence > 0.9
    est.add(Reading("wb", "d", -30.0), t + 0.2)  # absurdly loud, once
    moved = est.estimate("wb", t + 0.2)
    assert moved is not None and np.hypot(moved.x - 3, moved.y - 4) < 1.0


def test_zone_needs_to_hold_before_it_changes(demo_venue: Venue) -> None:
    rx = {r.id: r for r in demo_venue.receivers.values()}
    receivers = [
        Receiver(
            r.id,
            demo_venue.levels[r.level_id].ordinal,
            r.geometry.x,
            r.geometry.y,
            2.5,
            r.level_id,
            r.unit_id,
        )
        for r in rx.values()
    ]
    est = Estimator(receivers, venue=demo_venue, dwell_s=4.0)
    cafeteria = next(r for r in receivers if r.id == "rx-A0-cafeteria")
    pharmacy = next(r for r in receivers if r.id == "rx-A0-pharmacy")

    def hear(at: Receiver, t: float) -> None:
        # Free space in the room, 6 dB less through its walls to the receivers outside.
        for r in receivers:
            if r.ordinal == 0 and np.hypot(r.x - at.x, r.y - at.y) < 25:
                wall = 0.0 if r.unit_id == at.unit_id else 6.0
                est.add(Reading("wb", r.id, _rssi(at.x, at.y, r) - wall), t)

    for t in range(6):
        hear(cafeteria, float(t))
        zone = est.estimate("wb", float(t))
    assert zone is not None and zone.zone == cafeteria.unit_id
    hear(pharmacy, 6.0)
    assert est.estimate("wb", 6.0).zone == cafeteria.unit_id  # type: ignore[union-attr]
    for t in range(7, 20):
        hear(pharmacy, float(t))
        last = est.estimate("wb", float(t))
    assert last is not None and last.zone == pharmacy.unit_id


@pytest.mark.skipif(not DATA.exists(), reason=f"reference data absent: {DATA}")
def test_real_measurements_kolakowski_2021() -> None:
    """Real BLE in a furnished flat (Kolakowski, Sensors 21, 6270, 2021; CC BY 4.0):
    calibrated on the calibration run, measured on the robot run."""
    proc = subprocess.run(
        [sys.executable, "bench/bench_positioning.py", "--calibrated-only"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("calibrated model"))
    median = float(line.split("median")[1].split("m")[0])
    p90 = float(line.split("p90")[1].split("m")[0])
    assert median < 1.8 and p90 < 3.0, line


def test_locate_command_counts_bad_rows(tmp_path: Path) -> None:
    (tmp_path / "rx.csv").write_text("id,level,x,y,z\na,0,0,0,2.5\nb,0,10,0,2.5\nc,0,0,10,2.5\n")
    rows = ["ts,receiver,tag,rssi"]
    for t in range(5):
        rows += [f"{t},a,wb,-70", f"{t},b,wb,-75", f"{t},c,wb,-72"]
    rows += ["5,a,wb,loud", "6,zz,wb,-70", "7,a,wb,-500"]
    (tmp_path / "rd.csv").write_text("\n".join(rows) + "\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "locate",
            "--receivers",
            str(tmp_path / "rx.csv"),
            "--readings",
            str(tmp_path / "rd.csv"),
            "--out",
            str(tmp_path / "out.csv"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "number: 1" in proc.stdout and "unknown-receiver: 1" in proc.stdout
    assert "rssi: 1" in proc.stdout
    out = (tmp_path / "out.csv").read_text().splitlines()
    assert out[0] == "ts,tag,level,x,y,zone,confidence" and len(out) == 6


def test_a_room_whose_working_receiver_hears_nothing_is_not_believed(demo_venue: Venue) -> None:
    """Readings of a patient walking Corridor C past the patients' changing room (taken
    from a simulated run that showed "in preparation" too early): the corridor receiver
    hears them weaker than right under it, which fits the changing room next door as
    well, but the changing room's own receiver, working (it says so), hears nothing: not
    there. Without its sign of life, its silence proves nothing."""
    receivers = receivers_of(demo_venue)
    changing = next(u for u in demo_venue.units.values() if label_text(u.name, "fr") == "Vestiaires patients")
    heard = {
        "rx-C1-corridor-0": -76.0,
        "rx-C2-corridor-1": -83.0,
        "rx-C1-corridor-1": -86.0,
        "rx-C2-corridor-0": -88.0,
        "rx-C0-corridor-0": -91.0,
        "rx-C1-uca-rest": -95.0,
    }

    def walk(*, beats: bool) -> float:
        est = Estimator(receivers, venue=demo_venue)
        assert est.rooms is not None
        for t in range(12):
            if beats:
                for r in receivers:
                    est.receiver_alive(r.id, float(t))
            for rx, rssi in heard.items():
                est.add(Reading("wb", rx, rssi), float(t))
            est.estimate("wb", float(t), position=False)
        return float(est.rooms.beliefs["wb"].p[est.rooms.index[changing.id]])

    with_beats, without = walk(beats=True), walk(beats=False)
    assert with_beats < 0.05, with_beats
    assert without > 5 * with_beats, (without, with_beats)
