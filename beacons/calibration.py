"""Fitting the radio model to a hospital's receivers from a walk with known positions.

Every receiver differs (antenna, casing, where it is screwed): up to 9 dB in
what it hears from the same wristband at the same distance. Someone walks
the wards with a wristband, standing a while in each room, and notes where
they are and from when (``time,place`` rows: a room name or id, or
``time,level,x,y``); the receivers' readings of that wristband are recorded
(``ts,receiver,tag,rssi``). :func:`fit` then sets, per receiver, the offset of
its reference power so that the model fits what it heard, and reports how
well it fits.

- With a venue, the model is the room filter's (:mod:`beacons.rooms`: log-
  distance, a loss per room boundary and per floor slab); each receiver's
  offset is the median of its residuals, from readings the model expects to
  be clearly above the sensitivity (weak ones are only heard when a fade lifts
  them, which would bias the fit upwards).
- Without a venue (receivers CSV only), per-receiver log-distance fits
  (:func:`beacons.estimator.calibrate`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from beacons.estimator import PathLoss, Receiver, calibrate
from beacons.replay import ReplayError, ReplayStats, read_readings

#: Readings the model expects below this (dBm) are left out of the fit.
FIT_FLOOR_DBM = -88.0
#: A receiver needs this many readings to get its own offset.
MIN_READINGS = 10


class CalibrationError(ValueError):
    """A walk or readings file that cannot be used (named, with the line)."""


@dataclass(slots=True, frozen=True)
class WalkStop:
    t: float
    ordinal: int
    x: float
    y: float
    label: str


@dataclass(slots=True)
class ReceiverFit:
    id: str
    readings: int
    offset_db: float | None  # what it hears above the default model
    spread_db: float | None  # standard deviation of the residuals after the offset
    note: str


def read_walk(path: str | Path, venue: object | None) -> list[WalkStop]:
    """``time,place`` (a unit's id or name, in any language of the plan) or
    ``time,level,x,y`` rows, in time order."""
    p = Path(path)
    with p.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = set(reader.fieldnames or [])
        if "time" not in cols or not ("place" in cols or {"level", "x", "y"} <= cols):
            raise CalibrationError(
                f"{p}: needs columns time,place or time,level,x,y; found {', '.join(sorted(cols)) or 'none'}"
            )
        stops: list[WalkStop] = []
        for n, row in enumerate(reader, start=2):
            try:
                t = float(row["time"])
            except (TypeError, ValueError):
                raise CalibrationError(f"{p}, line {n}: time {row.get('time')!r} is not a number") from None
            if stops and t < stops[-1].t:
                raise CalibrationError(
                    f"{p}, line {n}: time {t:g} goes back (walk rows must be in time order)"
                )
            if row.get("place"):
                stops.append(_place(venue, row["place"], t, f"{p}, line {n}"))
                continue
            try:
                stops.append(
                    WalkStop(
                        t,
                        int(float(row["level"])),
                        float(row["x"]),
                        float(row["y"]),
                        f"{row['x']},{row['y']}",
                    )
                )
            except (TypeError, ValueError):
                raise CalibrationError(f"{p}, line {n}: level, x and y must be numbers") from None
    if not stops:
        raise CalibrationError(f"{p}: no walk rows")
    return stops


def _place(venue: object | None, ref: str, t: float, where: str) -> WalkStop:
    from floorplans.model import Venue

    if not isinstance(venue, Venue):
        raise CalibrationError(f"{where}: a place name needs --venue (or give level,x,y)")
    wanted = ref.strip().casefold()
    unit = venue.units.get(ref.strip())
    if unit is None:
        named = [
            u
            for u in venue.units.values()
            if any(str(v).strip().casefold() == wanted for v in (u.name or {}).values())
        ]
        if len(named) > 1:  # "Toilettes", "Salle d'attente": which one was the walker in?
            raise CalibrationError(
                f"{where}: {len(named)} rooms are named {ref!r}; give the id of the one walked "
                f"({', '.join(u.id for u in named[:5])}{', ...' if len(named) > 5 else ''})"
            )
        unit = named[0] if named else None
    if unit is None or unit.level_id not in venue.levels:
        raise CalibrationError(f"{where}: no room named or numbered {ref!r} on the plan")
    point = unit.anchor_point()
    return WalkStop(t, venue.levels[unit.level_id].ordinal, point.x, point.y, ref.strip())


def samples_from_walk(
    stops: list[WalkStop], readings: Iterable[tuple[float, object]], *, last_stop_s: float = 60.0
) -> list[tuple[str, float, WalkStop]]:
    """(receiver, rssi, where the wristband was) for each reading made during the walk."""
    times = [s.t for s in stops]
    out = []
    for ts, r in readings:
        i = int(np.searchsorted(times, ts, side="right")) - 1
        if i < 0 or (i == len(stops) - 1 and ts > stops[-1].t + last_stop_s):
            continue
        out.append((r.receiver, r.rssi, stops[i]))  # type: ignore[attr-defined]
    return out


def fit(
    receivers: list[Receiver],
    samples: list[tuple[str, float, WalkStop]],
    *,
    venue: object | None = None,
    base: PathLoss | None = None,
    tag_height: float = 1.0,
) -> tuple[PathLoss, list[ReceiverFit]]:
    """The model fitted to the walk, and one line of report per receiver."""
    base = base or PathLoss()
    if not samples:
        raise CalibrationError("no reading falls within the walk's times: check both files' clocks")
    by_id = {r.id: r for r in receivers}
    report: list[ReceiverFit] = []
    if venue is None:
        triples = []
        for rx, rssi, stop in samples:
            r = by_id.get(rx)
            if r is not None and r.ordinal == stop.ordinal:
                d = math.sqrt((r.x - stop.x) ** 2 + (r.y - stop.y) ** 2 + (r.z - tag_height) ** 2)
                triples.append((rx, rssi, d))
        model = calibrate(triples, min_samples=MIN_READINGS)
        counts: dict[str, int] = {}
        for rx, _, _ in triples:
            counts[rx] = counts.get(rx, 0) + 1
        for r in receivers:
            if r.id in model.per_receiver:
                p0, n = model.per_receiver[r.id]
                report.append(
                    ReceiverFit(r.id, counts.get(r.id, 0), p0 - model.p0, None, f"p0 {p0:.1f} dBm, n {n:.2f}")
                )
            else:
                report.append(
                    ReceiverFit(r.id, counts.get(r.id, 0), None, None, "too few readings: default model")
                )
        return model, report
    from beacons.rooms import RoomFilter

    rooms = RoomFilter(venue, receivers, p0=base.p0, n=base.n, tag_height=tag_height)
    expected: dict[tuple[int, float, float], tuple[np.ndarray, int]] = {}
    resid: dict[str, list[float]] = {}
    own: dict[str, list[float]] = {}  # heard from inside the receiver's own room
    for rx, rssi, stop in samples:
        j = rooms.rx_index.get(rx)
        if j is None:
            continue
        key = (stop.ordinal, stop.x, stop.y)
        if key not in expected:
            expected[key] = (rooms.expected_at(*key), rooms.unit_index_at(*key))
        values, row = expected[key]
        e = float(values[j])
        if rooms.in_room_of(j, row):
            own.setdefault(rx, []).append(rssi - e)
        if e >= FIT_FLOOR_DBM:
            resid.setdefault(rx, []).append(rssi - e)
    # Readings from inside a receiver's own room fit it best (no wall between, the model's
    # weakest part); from next door only when the walk missed its room.
    for rx, inside in own.items():
        if len(inside) >= MIN_READINGS:
            resid[rx] = inside
    per: dict[str, tuple[float, float]] = dict(base.per_receiver)
    spreads = []
    for r in receivers:
        values = np.asarray(resid.get(r.id, []))
        if len(values) < MIN_READINGS:
            report.append(
                ReceiverFit(
                    r.id,
                    len(values),
                    None,
                    None,
                    "not heard near enough during the walk: default model (walk into its room)"
                    if len(values) == 0
                    else f"only {len(values)} usable readings: default model (stay longer in its room)",
                )
            )
            continue
        offset = float(np.median(values))
        spread = float(np.std(values - offset))
        spreads.append(spread)
        per[r.id] = (base.p0 + offset, base.n)
        note = "ok"
        if abs(offset) > 12:
            note = "offset over 12 dB: check the receiver's position, height and floor on the plan"
        elif spread > 9:
            note = "readings scattered over 9 dB: metal or a wall close to the receiver?"
        report.append(ReceiverFit(r.id, len(values), round(offset, 1), round(spread, 1), note))
    sigma = float(np.median(spreads)) if spreads else base.sigma_db
    return PathLoss(base.p0, base.n, max(sigma, 1.0), per), report


def calibrate_files(
    receivers: list[Receiver],
    walk: str | Path,
    readings: str | Path,
    *,
    venue: object | None = None,
    tag_height: float = 1.0,
) -> tuple[PathLoss, list[ReceiverFit], ReplayStats]:
    stops = read_walk(walk, venue)
    stats = ReplayStats()
    try:
        samples = samples_from_walk(stops, read_readings(readings, stats))
    except ReplayError as exc:
        raise CalibrationError(str(exc)) from None
    known = {r.id for r in receivers}
    for rx, _, _ in samples:
        if rx not in known:  # counted and shown, not silently dropped
            stats.reject("unknown-receiver", rx)
    if samples and not any(rx in known for rx, _, _ in samples):
        raise CalibrationError(
            f"{readings}: none of the receivers that heard the walk is on the plan "
            f"(first: {samples[0][0]!r}); check the receiver ids against the plan's receivers"
        )
    samples = [sample for sample in samples if sample[0] in known]
    model, report = fit(receivers, samples, venue=venue, tag_height=tag_height)
    return model, report, stats
