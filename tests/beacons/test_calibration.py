"""``wayfinding calibrate``: a walk through the demo hospital with known rooms, heard through
the independent radio channel, fits each receiver's offset; bad files are named."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from floorplans import Venue
from floorplans.model import label_text
from simulators.radio import RealisticRadio

SEED = 4


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], check=False, capture_output=True, text=True, timeout=300
    )


def walk_files(venue: Venue, tmp: Path, rooms: int = 40, seconds: int = 6) -> tuple[Path, Path, list[str]]:
    """Someone stands *seconds* at each of four spots of *rooms* rooms that have a receiver
    (the first spot named, the others as level,x,y: both kinds of rows)."""
    radio = RealisticRadio(venue, seed=SEED)
    rng = np.random.default_rng(1)
    named = sorted(
        {
            r.unit_id
            for r in venue.receivers.values()
            if r.unit_id in venue.units and label_text(venue.units[r.unit_id].name, "fr")
        }
    )[:rooms]
    walk, readings = tmp / "walk.csv", tmp / "readings.csv"
    t = 1_800_000_000.0
    with walk.open("w", newline="") as fw, readings.open("w", newline="") as fr:
        ww, wr = csv.writer(fw), csv.writer(fr)
        ww.writerow(["time", "place", "level", "x", "y"])
        wr.writerow(["ts", "receiver", "tag", "rssi"])
        for uid in named:
            unit = venue.units[uid]
            ordinal = venue.levels[unit.level_id].ordinal
            inner = unit.geometry.buffer(-0.5)
            c = unit.anchor_point()
            spots = [(c.x, c.y)]
            for dx, dy in ((1.5, 1.0), (-1.5, 1.0), (0.0, -1.5)):
                if inner.contains(type(c)(c.x + dx, c.y + dy)):
                    spots.append((c.x + dx, c.y + dy))
            for i, (x, y) in enumerate(spots):
                if i == 0:  # by name, or by id when several rooms share the name
                    name = label_text(unit.name, "fr")
                    shared = sum(label_text(u.name, "fr") == name for u in venue.units.values()) > 1
                    ww.writerow([t, uid if shared else name, "", "", ""])
                else:
                    ww.writerow([t, "", ordinal, x, y])
                for _ in range(seconds):
                    for rx, rssi in radio.hear("walker", t, ordinal, x, y, rng.uniform(-3, 3), rng=rng):
                        wr.writerow([t + 0.5, rx, "walker", rssi])
                    t += 1.0
    return walk, readings, named


def rooms_right(venue: Venue, rooms: list[str], model: dict[str, object] | None) -> int:
    from beacons.rooms import RoomFilter
    from tracker.core import receivers_of

    per = {k: tuple(v) for k, v in model["per_receiver"].items()} if model else None  # type: ignore[attr-defined]
    filt = RoomFilter(venue, receivers_of(venue), per_receiver=per)  # type: ignore[arg-type]
    radio = RealisticRadio(venue, seed=SEED)
    rng = np.random.default_rng(7)
    right = 0
    for uid in rooms:
        unit = venue.units[uid]
        p = unit.anchor_point()
        heard: dict[str, list[float]] = {}
        for t in range(8):
            for rx, rssi in radio.hear(
                "visitor", 5e5 + t, venue.levels[unit.level_id].ordinal, p.x, p.y, 0.5, rng=rng
            ):
                heard.setdefault(rx, []).append(rssi)
        best, _ = filt.update(uid, [(rx, float(np.mean(v))) for rx, v in heard.items()], 0.0)
        right += best == uid
    return right


def test_calibrate_finds_each_receivers_offset(demo_venue: Venue, tmp_path: Path) -> None:
    walk, readings, rooms = walk_files(demo_venue, tmp_path)
    out = tmp_path / "model.json"
    run = cli("calibrate", "--walk", str(walk), "--readings", str(readings), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "receivers fitted" in run.stdout and "offset dB" in run.stdout
    model = json.loads(out.read_text())
    own = {r.id: r.unit_id for r in demo_venue.receivers.values()}
    fitted = [rx for rx in model["per_receiver"] if own.get(rx) in rooms]
    assert len(fitted) >= 0.9 * len(rooms)
    assert all(-100 < p0 < -30 for p0, _ in model["per_receiver"].values())
    # What it is for: someone else (another wristband, another day) standing in those
    # rooms is put in the right room more often with the fitted model than without.
    right = {name: rooms_right(demo_venue, rooms, m) for name, m in (("default", None), ("fitted", model))}
    assert right["fitted"] > right["default"], right


@pytest.mark.parametrize(
    ("walk_text", "message"),
    [
        ("when,where\n1,Hall\n", "needs columns time,place or time,level,x,y"),
        ("time,place\n1800000000,Salle des fêtes\n", "line 2: no room named or numbered 'Salle des fêtes'"),
        ("time,place\nsoon,Salle de réveil\n", "line 2: time 'soon' is not a number"),
        (
            "time,place\n1800000010,Salle de réveil\n1800000000,Salon de sortie\n",
            "line 3: time 1.8e+09 goes back",
        ),
        ("time,level,x,y\n1800000000,0,a,b\n", "line 2: level, x and y must be numbers"),
        ("time,place\n1800000000,Toilettes\n", "line 2: 7 rooms are named 'Toilettes'; give the id"),
    ],
)
def test_bad_walk_files_are_named(tmp_path: Path, walk_text: str, message: str) -> None:
    walk = tmp_path / "walk.csv"
    walk.write_text(walk_text, encoding="utf-8")
    readings = tmp_path / "readings.csv"
    readings.write_text("ts,receiver,tag,rssi\n1800000001,rx-A0-hall,w,-60\n", encoding="utf-8")
    run = cli(
        "calibrate", "--walk", str(walk), "--readings", str(readings), "--out", str(tmp_path / "m.json")
    )
    assert run.returncode != 0
    assert message in run.stderr, run.stderr
    assert str(walk) in run.stderr
    assert not (tmp_path / "m.json").exists()


def test_readings_from_receivers_not_on_the_plan_are_counted(tmp_path: Path) -> None:
    walk = tmp_path / "walk.csv"
    walk.write_text("time,place\n1800000000,Salle de réveil\n", encoding="utf-8")
    readings = tmp_path / "readings.csv"
    rows = "".join(f"{1800000001 + i},rx-gone,w,-60\n" for i in range(12))
    readings.write_text("ts,receiver,tag,rssi\n" + rows + "1800000005,nonsense,w,loud\n", encoding="utf-8")
    run = cli(
        "calibrate", "--walk", str(walk), "--readings", str(readings), "--out", str(tmp_path / "m.json")
    )
    # Nothing usable: refused, saying which receiver is unknown, not "no reading".
    assert run.returncode != 0
    assert "none of the receivers that heard the walk is on the plan (first: 'rx-gone')" in run.stderr


def test_readings_from_unknown_receivers_are_reported(demo_venue: Venue, tmp_path: Path) -> None:
    walk, readings, _ = walk_files(demo_venue, tmp_path, rooms=5)
    with readings.open("a", encoding="utf-8") as f:
        f.write("1800000003.5,rx-not-on-plan,walker,-61\n")
    run = cli(
        "calibrate", "--walk", str(walk), "--readings", str(readings), "--out", str(tmp_path / "m.json")
    )
    assert run.returncode == 0, run.stderr
    assert "rejected readings: unknown-receiver: 1 (first: rx-not-on-plan)" in run.stdout


def test_readings_outside_the_walk_are_a_clear_error(tmp_path: Path) -> None:
    walk = tmp_path / "walk.csv"
    walk.write_text("time,place\n1800000000,Salle de réveil\n", encoding="utf-8")
    readings = tmp_path / "readings.csv"
    readings.write_text("ts,receiver,tag,rssi\n1700000000,rx-A0-hall,w,-60\n", encoding="utf-8")
    run = cli(
        "calibrate", "--walk", str(walk), "--readings", str(readings), "--out", str(tmp_path / "m.json")
    )
    assert run.returncode != 0 and "no reading falls within the walk's times" in run.stderr
