"""Benchmark: the stages a companion sees, against the truth, with a radio that is not the
estimator's own (issue 13).

Simulated patients walk the demo hospital's day-surgery pathway at their own pace (0.5
to 1.6 m/s; beds 0.6 to 1.0 m/s between theatre and recovery), 1 to 4 minutes at each
place, heard through :class:`simulators.radio.RealisticRadio` (walls, floors, body,
correlated shadowing, per-receiver and per-wristband spreads, packet loss, receivers
silent for minutes; see docs/tracking.md). The tracker (the service's code, with a
clock in hand, no broker: ``simulators/trial.py``) turns their readings into stage events,
compared with the truth:

- stages reported (shown, or written as passed when a later one was seen), seen;
- patients with a missed stage;
- false stages (shown while the patient was not there: flicker, wrong jumps);
- delay from entering a stage's room to the companion seeing it (median, p95).

Cases in the same run: the room filter (beacons/rooms.py, the service's method) with the
default model and after a simulated calibration walk (``wayfinding calibrate``); the
previous method (zone from the multilateration point); the old mirror radio.

Run: ``.venv/bin/python bench/bench_stages.py [--patients 25] [--seeds 8]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from floorplans import load_demo_venue
    from routing import Router
    from simulators.trial import TrialResult, calibration_walk, run_trial
    from tracker.core import TrackerConfig

    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=25, help="patients per seed (25)")
    ap.add_argument("--seeds", type=int, default=8, help="seeds (8): patients x seeds in all")
    ap.add_argument("--cases", default="filter,calibrated,previous,mirror")
    args = ap.parse_args()
    venue = load_demo_venue()
    router = Router(venue)
    cases = args.cases.split(",")
    print(f"{args.patients} patients x {args.seeds} seeds, demo hospital, day-surgery pathway")
    for case in cases:
        merged = TrialResult()
        started = time.perf_counter()
        for seed in range(1, args.seeds + 1):
            model = calibration_walk(venue, seed=seed)[0] if case == "calibrated" else None
            result = run_trial(
                venue,
                patients=args.patients,
                seed=seed,
                router=router,
                radio="mirror" if case == "mirror" else "realistic",
                # The previous method with its own zone hysteresis (4 s).
                config=TrackerConfig(room_filter=False, zone_dwell_s=4.0)
                if case == "previous"
                else TrackerConfig(),
                model=model,
            )
            merged.outcomes += result.outcomes
            merged.readings += result.readings
        label = {
            "filter": "room filter, default model",
            "calibrated": "room filter, calibrated",
            "previous": "previous (zone from point)",
            "mirror": "room filter, mirror radio",
        }[case]
        print(f"{label:28} {merged.summary()}  [{time.perf_counter() - started:.0f} s]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
