"""Replaying a recorded log through the live estimator (``wayfinding locate``).

Receivers CSV: ``id,level,x,y[,z]`` (level = floor ordinal, metres in the
venue's plane). Readings CSV: ``ts,receiver,tag,rssi`` (seconds). Output
CSV: ``ts,tag,level,x,y,zone,confidence``, one row per tag and time stamp.
Bad rows are counted and reported with their line number, never fatal.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from beacons.estimator import Estimate, Estimator, PathLoss, Receiver
from beacons.payloads import Reading


class ReplayError(ValueError):
    """A file that cannot be replayed at all (missing columns, no receivers)."""


@dataclass(slots=True)
class ReplayStats:
    readings: int = 0
    estimates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def reject(self, reason: str, where: str) -> None:
        self.rejected[reason] += 1
        self.examples.setdefault(reason, where)


def _need(reader: csv.DictReader[str], path: Path, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ReplayError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"found {', '.join(reader.fieldnames or []) or 'none'}"
        )


def read_receivers(path: str | Path) -> list[Receiver]:
    p = Path(path)
    with p.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        _need(reader, p, ("id", "level", "x", "y"))
        out = []
        for n, row in enumerate(reader, start=2):
            try:
                z = float(row["z"]) if row.get("z") not in (None, "") else 2.5
                out.append(
                    Receiver(
                        row["id"],
                        int(float(row["level"])),
                        float(row["x"]),
                        float(row["y"]),
                        z,
                        unit_id=row.get("unit") or None,
                    )
                )
            except (TypeError, ValueError) as exc:
                raise ReplayError(f"{p}, line {n}: {exc}") from None
    if not out:
        raise ReplayError(f"{p}: no receivers")
    return out


def read_readings(path: str | Path, stats: ReplayStats) -> Iterator[tuple[float, Reading]]:
    p = Path(path)
    with p.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        _need(reader, p, ("ts", "receiver", "tag", "rssi"))
        for n, row in enumerate(reader, start=2):
            try:
                ts, rssi = float(row["ts"]), float(row["rssi"])
            except (TypeError, ValueError):
                stats.reject("number", f"{p}, line {n}")
                continue
            if not (math.isfinite(ts) and math.isfinite(rssi)) or not -120 <= rssi <= 10:
                stats.reject("rssi", f"{p}, line {n}")
                continue
            yield ts, Reading(row["tag"], row["receiver"], rssi, ts)


def replay(
    receivers: list[Receiver],
    readings: Iterable[tuple[float, Reading]],
    *,
    model: PathLoss | None = None,
    venue: object | None = None,
    tag_height: float | None = None,
    stats: ReplayStats | None = None,
) -> Iterator[Estimate]:
    """Estimates in time order: one per tag each time its readings' time stamp moves on."""
    stats = stats or ReplayStats()
    kw = {"tag_height": tag_height} if tag_height is not None else {}
    est = Estimator(receivers, model=model, venue=venue, **kw)  # type: ignore[arg-type]
    known = est.receivers
    pending: dict[str, float] = {}
    last_ts: dict[str, float] = {}
    for ts, reading in readings:
        stats.readings += 1
        if reading.receiver not in known:
            stats.reject("unknown-receiver", reading.receiver)
            continue
        if reading.tag in last_ts and ts < last_ts[reading.tag] - 2.0:
            stats.reject("out-of-order", f"{reading.tag} at {ts}")
            continue
        previous = pending.get(reading.tag)
        if previous is not None and ts > previous:
            e = est.estimate(reading.tag, previous)
            if e is not None:
                stats.estimates += 1
                yield e
        est.add(reading, ts)
        pending[reading.tag] = ts
        last_ts[reading.tag] = max(ts, last_ts.get(reading.tag, ts))
    for tag, ts in pending.items():
        e = est.estimate(tag, ts)
        if e is not None:
            stats.estimates += 1
            yield e


def write_estimates(estimates: Iterable[Estimate], out: str | Path) -> int:
    n = 0
    with Path(out).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ts", "tag", "level", "x", "y", "zone", "confidence"])
        for e in estimates:
            w.writerow(
                [
                    f"{e.ts:.3f}",
                    e.tag,
                    e.ordinal,
                    f"{e.x:.3f}",
                    f"{e.y:.3f}",
                    e.zone or "",
                    f"{e.confidence:.3f}",
                ]
            )
            n += 1
    return n
