"""Benchmark: positioning error on real BLE measurements (Kolakowski 2021).

Data: ``../shared/datasets/ble-kolakowski-2021/`` (not copied into the project).
M. Kolakowski, "Automated Calibration of RSS Fingerprinting Based Systems
Using a Mobile Robot and Machine Learning", Sensors 21, 6270 (2021),
doi 10.3390/s21186270; data doi 10.5281/zenodo.5457591; CC BY 4.0.

The path-loss model is calibrated on the calibration run (4,104 points at
known positions); the robot test run (719 points, true positions known) is
replayed through ``wayfinding locate`` (the live estimator), and the error is
the distance between estimate and truth at each time stamp. Baselines in the
same run: the same estimator with the uncalibrated default model, and a plain
RSSI-weighted centroid of the receivers (no model at all).

The walking-person run (876 points) has no position per time stamp, only the
path walked as segments: it is scored by the distance from each estimate to
the path (how far off the path the estimate strays; a lower bound of the
error, blind to errors along the path), with the same baselines and, to read
the figure against, points drawn anywhere in the flat (an estimator that
knows nothing).

Run: ``.venv/bin/python bench/bench_positioning.py``; ``--calibrated-only`` stops after the
calibrated model on the robot test run (what ``tests/beacons/test_estimator.py`` checks).
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "ble-kolakowski-2021"
TAG_HEIGHT = 1.3


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def convert(tmp: Path, run: str = "test_robot_df") -> tuple[Path, Path, dict[float, tuple[float, float]]]:
    """The receivers and a run's readings as ``locate`` reads them, and the true
    positions by time stamp (none for the walk)."""
    receivers = tmp / "receivers.csv"
    with receivers.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "level", "x", "y", "z"])
        for a in rows(DATA / "anchors.csv"):
            w.writerow([f"a{a['id']}", 0, a["x"], a["y"], a["z"]])
    readings = tmp / f"{run}.csv"
    truth: dict[float, tuple[float, float]] = {}
    with readings.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ts", "receiver", "tag", "rssi"])
        for r in rows(DATA / "tests" / f"{run}.csv"):
            ts = round(float(r["ts"]) / 1e9, 3)
            if "x" in r:
                truth[ts] = (float(r["x"]), float(r["y"]))
            for i in range(1, 7):
                if r[f"rssi_{i}"]:
                    w.writerow([ts, f"a{i}", "robot", r[f"rssi_{i}"]])
    return receivers, readings, truth


def calibration_model(tmp: Path) -> Path:
    from beacons.estimator import calibrate

    anchors = {
        f"a{a['id']}": (float(a["x"]), float(a["y"]), float(a["z"])) for a in rows(DATA / "anchors.csv")
    }
    samples = []
    for r in rows(DATA / "calibration" / "calibration_df.csv"):
        x, y = float(r["x"]), float(r["y"])
        for i in range(1, 7):
            if r[f"rssi_{i}"]:
                ax, ay, az = anchors[f"a{i}"]
                d = math.sqrt((ax - x) ** 2 + (ay - y) ** 2 + (az - TAG_HEIGHT) ** 2)
                samples.append((f"a{i}", float(r[f"rssi_{i}"]), d))
    model = calibrate(samples)
    path = tmp / "model.json"
    path.write_text(model.to_json(), encoding="utf-8")
    return path


def errors(out: Path, truth: dict[float, tuple[float, float]]) -> np.ndarray:
    errs = []
    for r in rows(out):
        ts = round(float(r["ts"]), 3)
        if ts in truth:
            tx, ty = truth[ts]
            errs.append(math.hypot(float(r["x"]) - tx, float(r["y"]) - ty))
    return np.asarray(errs)


def flat_venue(tmp: Path) -> Path:
    """The flat as a one-room IMDF venue (its outline from layout.csv), for --venue."""
    from shapely.geometry import Polygon

    from floorplans.imdf import write_imdf
    from simulators.builder import VenueBuilder

    outline = Polygon([(float(r["x"]), float(r["y"])) for r in rows(DATA / "layout.csv")])
    b = VenueBuilder("kolakowski-flat", name={"en": "Flat"}, lon0=21.0, lat0=52.2, language="en")
    building = b.building("flat", {"en": "Flat"})
    level = b.level("level", building, 0, {"en": "Flat"}, {"en": "0"})
    b.unit("flat/room", level, "room", outline, name={"en": "Flat"})
    path = tmp / "flat-venue"
    write_imdf(b.finish(), path)
    return path


def locate(receivers: Path, readings: Path, out: Path, model: Path | None, venue: Path | None = None) -> None:
    cmd = [
        sys.executable,
        "-m",
        "cli",
        "locate",
        "--receivers",
        str(receivers),
        "--readings",
        str(readings),
        "--out",
        str(out),
        "--tag-height",
        str(TAG_HEIGHT),
    ]
    if model is not None:
        cmd += ["--model", str(model)]
    if venue is not None:
        cmd += ["--venue", str(venue)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def centroids(run: str = "test_robot_df") -> list[tuple[dict[str, str], float, float]]:
    """The simplest alternative, on the same rows: the receivers' positions weighted by
    received amplitude (10^(rssi/20)), no model, no calibration."""
    anchors = {f"a{a['id']}": (float(a["x"]), float(a["y"])) for a in rows(DATA / "anchors.csv")}
    out = []
    for r in rows(DATA / "tests" / f"{run}.csv"):
        w = [(10 ** (float(r[f"rssi_{i}"]) / 20), anchors[f"a{i}"]) for i in range(1, 7) if r[f"rssi_{i}"]]
        total = sum(k for k, _ in w)
        out.append((r, sum(k * p[0] for k, p in w) / total, sum(k * p[1] for k, p in w) / total))
    return out


def centroid_errors() -> np.ndarray:
    return np.asarray([math.hypot(cx - float(r["x"]), cy - float(r["y"])) for r, cx, cy in centroids()])


def walked_path() -> object:
    """The walk's reference path: its segments (path_reference.csv)."""
    from shapely.geometry import MultiLineString

    return MultiLineString(
        [
            [(float(r["x0"]), float(r["y0"])), (float(r["x1"]), float(r["y1"]))]
            for r in rows(DATA / "tests" / "path_reference.csv")
        ]
    )


def off_path(points: list[tuple[float, float]]) -> np.ndarray:
    """Distance from each point to the walked path (m)."""
    import shapely

    path = walked_path()
    return np.asarray(shapely.distance(shapely.points(np.asarray(points).reshape(-1, 2)), path))


def anywhere(n: int) -> list[tuple[float, float]]:
    """*n* points drawn uniformly inside the flat's outline (seeded): what an estimator
    that knows nothing would score against the path."""
    from shapely.geometry import Point, Polygon

    outline = Polygon([(float(r["x"]), float(r["y"])) for r in rows(DATA / "layout.csv")])
    rng = np.random.default_rng(1)
    minx, miny, maxx, maxy = outline.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        x, y = float(rng.uniform(minx, maxx)), float(rng.uniform(miny, maxy))
        if outline.contains(Point(x, y)):
            out.append((x, y))
    return out


def located(out: Path) -> list[tuple[float, float]]:
    return [(float(r["x"]), float(r["y"])) for r in rows(out)]


def _line(label: str, e: np.ndarray) -> str:
    return (
        f"{label:26} median {np.median(e):.2f} m   p90 {np.percentile(e, 90):.2f} m   mean {e.mean():.2f} m"
    )


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        receivers, readings, truth = convert(tmp)
        model = calibration_model(tmp)
        locate(receivers, readings, tmp / "calibrated.csv", model)
        if "--calibrated-only" in sys.argv[1:]:
            print(_line("calibrated model", errors(tmp / "calibrated.csv", truth)))
            return 0
        locate(receivers, readings, tmp / "default.csv", None)
        locate(receivers, readings, tmp / "walls.csv", model, flat_venue(tmp))
        cal, base = errors(tmp / "calibrated.csv", truth), errors(tmp / "default.csv", truth)
        walls = errors(tmp / "walls.csv", truth)
        locate(receivers, readings, tmp / "default-walls.csv", None, flat_venue(tmp))
        base_walls = errors(tmp / "default-walls.csv", truth)
        # The walk: distance to the walked path.
        _, walk_readings, _ = convert(tmp, "test_walk_df")
        venue = flat_venue(tmp)
        locate(receivers, walk_readings, tmp / "walk-cal.csv", model)
        locate(receivers, walk_readings, tmp / "walk-cal-walls.csv", model, venue)
        locate(receivers, walk_readings, tmp / "walk-default.csv", None)
        walk = {
            "calibrated model": off_path(located(tmp / "walk-cal.csv")),
            "calibrated + flat outline": off_path(located(tmp / "walk-cal-walls.csv")),
            "uncalibrated (default)": off_path(located(tmp / "walk-default.csv")),
            "weighted centroid": off_path([(cx, cy) for _, cx, cy in centroids("test_walk_df")]),
        }
        walk["no information (anywhere in the flat)"] = off_path(anywhere(len(walk["weighted centroid"])))
    centroid = centroid_errors()
    print(
        "calibrated on the robot's calibration run (4,104 points), scored on the robot test "
        f"run (held out): {len(cal)} estimates compared with the true positions"
    )
    for label, e in (
        ("calibrated model", cal),
        ("calibrated + flat outline", walls),
        ("uncalibrated (default)", base),
        ("uncalibrated + outline", base_walls),
        ("weighted centroid", centroid),
    ):
        print(_line(label, e))
    print(
        "\nwalking person (same calibration), distance from each estimate to the walked path "
        f"(a lower bound of the error): {len(walk['calibrated model'])} estimates"
    )
    for label, e in walk.items():
        print(f"{label:38} median {np.median(e):.2f} m   p90 {np.percentile(e, 90):.2f} m")
    best = min(np.median(cal), np.median(walls))
    print("calibrated median under 1.5 m:", "OK" if best < 1.5 else "MISSED")
    print(
        "uncalibrated median better than the weighted centroid:",
        "OK" if np.median(base) < np.median(centroid) else "MISSED",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
