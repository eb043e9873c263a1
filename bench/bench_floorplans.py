"""Benchmark: reading plus full validation of IMDF venues.

Targets (issue 2): the generated 10 x 10 x 100 venue (10,000 rooms) read and
validated in at most 10 s with at most 1 GB peak memory; the demo hospital
in under 1 s. Each figure is the median of several runs, each run in a fresh
process (so peak memory is that run's alone). The baseline, measured in the
same run, is plain ``json.load`` of every file of the archive: the ratio says
what reading into metres and validating cost on top of parsing the JSON.

Issue 10: the repairs made on reading (trimmed overlaps, undrawn corridors,
snapped and inferred doors, inferred vertical links) must add at most 50 % to
read + validate on the 10 x 10 x 100 venue. Measured in the same run by the
same read with the repair step switched off (``norepair``); and, for what a
real untidy archive costs, the same venue with every opening and every
relationship removed, so that 10,000 doors and the links of every shaft are
inferred.

Run: ``make bench`` or ``.venv/bin/python bench/bench_floorplans.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
from pathlib import Path
path, mode = Path(sys.argv[1]), sys.argv[2]
t = time.perf_counter()
from floorplans.validate import load_and_validate  # imports are not part of the figure
imported = time.perf_counter() - t
t = time.perf_counter()
if mode == "json":
    for f in sorted(path.iterdir()):
        json.loads(f.read_bytes())
    n = 0
elif mode == "norepair":
    import floorplans.repair
    floorplans.repair.repair_venue = lambda *a, **k: None
    result = load_and_validate(path)
    assert result.venue is not None and result.report.usable, result.report.summary()
    n = len(result.venue.units)
else:
    result = load_and_validate(path)
    assert result.venue is not None and result.report.usable, result.report.summary()
    n = len(result.venue.units)
elapsed = time.perf_counter() - t
# VmHWM: this process's own peak (ru_maxrss would carry the parent's, which Linux
# keeps across fork and exec).
peak_mb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": elapsed, "import_s": imported, "peak_mb": peak_mb, "units": n}))
"""


def measure(path: Path, mode: str, runs: int) -> dict[str, float]:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), mode], check=True, capture_output=True, text=True
        ).stdout
        results.append(json.loads(out))
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "import_s": statistics.median(r["import_s"] for r in results),
        "peak_mb": max(r["peak_mb"] for r in results),
        "units": results[0]["units"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from floorplans import DEMO_PATH, write_imdf
    from simulators.generate import generate_hospital

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "synthetic-10x10x100"
        venue = generate_hospital(buildings=10, levels=10, rooms_per_level=100, seed=1)
        write_imdf(venue, big)
        size_mb = sum(f.stat().st_size for f in big.iterdir()) / 1e6
        bare = Path(tmp) / "synthetic-10x10x100-no-openings"
        venue.openings.clear()
        venue.relationships.clear()
        write_imdf(venue, bare)
        rows = []
        for label, path, target_s, target_mb in (
            ("demo hospital", DEMO_PATH, 1.0, None),
            ("synthetic 10 x 10 x 100", big, 10.0, 1024.0),
        ):
            full = measure(path, "validate", args.runs)
            base = measure(path, "json", args.runs)
            ok = full["seconds"] <= target_s and (target_mb is None or full["peak_mb"] <= target_mb)
            rows.append(
                (
                    label,
                    int(full["units"]),
                    full["seconds"],
                    full["peak_mb"],
                    base["seconds"],
                    full["seconds"] / base["seconds"],
                    target_s,
                    target_mb,
                    ok,
                    full["import_s"],
                )
            )
        plain = measure(big, "norepair", args.runs)
        repaired = rows[1][2]
        bare_full = measure(bare, "validate", args.runs)
    share = repaired / plain["seconds"] - 1
    print(
        f"repair on the 10 x 10 x 100 venue: {repaired:.2f} s with, {plain['seconds']:.2f} s without: "
        f"+{share:.0%} (target <= +50 %) {'OK' if share <= 0.5 else 'MISSED'}"
    )
    print(
        f"the same with no opening and no relationship: {bare_full['seconds']:.2f} s "
        f"(every door and link inferred), peak {bare_full['peak_mb']:.0f} MB"
    )
    rows.append((*rows[1][:-2], share <= 0.5, rows[1][-1]))
    print(
        f"synthetic archive: {size_mb:.1f} MB of GeoJSON; importing the package takes "
        f"{rows[0][-1]:.2f} s more (not counted)"
    )
    print(
        f"{'venue':26} {'units':>6} {'read+validate':>14} {'peak MB':>8} {'json.load':>10} "
        f"{'ratio':>6}  target"
    )
    for label, units, s, mb, base_s, ratio, ts, tmb, ok, _ in rows[:2]:
        target = f"<= {ts:g} s" + (f", <= {tmb:g} MB" if tmb else "")
        print(
            f"{label:26} {units:6d} {s:13.2f}s {mb:8.0f} {base_s:9.2f}s {ratio:6.1f}  "
            f"{target} {'OK' if ok else 'MISSED'}"
        )
    return 0 if all(r[-2] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
