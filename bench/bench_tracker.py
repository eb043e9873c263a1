"""Benchmark: the tracker through a real Mosquitto on this machine.

Targets (issue 4): at least 20,000 readings per second sustained by one
tracker process with 2,000 wristbands; publish-to-status latency p95 under
1 s; state for 10,000 wristbands under 200 MB.

- Throughput: a load generator (this process) publishes native-format
  messages of 20 readings at QoS 1 for 2,000 linked wristbands, as fast as the
  broker takes them, for ``--seconds``; the tracker (``wayfinding tracker``, its
  own process) reports its counters on ``wayfinding/<site>/tracker/stats``.
  Baseline in the same run: a bare paho subscriber that only parses the JSON.
- Latency, two figures, during the load. *Reading to status*: from the time
  stamp of the reading that changed a stage to the status leaving the tracker
  (the tracker measures it and reports it in its stats; the figure taken while
  the load runs): the pipeline's latency under load. *Appearing to status*: 50
  probe wristbands (not in the load) appear one after the other in one of the
  pathway's rooms, heard by its receiver four times a second, as a wristband in
  a room is; from the first reading there to the status reaching a subscriber:
  the pipeline plus the room filter's decision. (Probes are not moved from room
  to room: the room filter knows that a wristband cannot be in another building
  a second later, and a walk between rooms is what bench_stages.py measures.)
- Memory: a tracker holding state for 10,000 wristbands, in this process.

Run: ``.venv/bin/python bench/bench_tracker.py [--seconds 20]`` (needs mosquitto).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def client(name: str, port: int) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def load(
    port: int,
    tags: list[str],
    receivers: list[str],
    seconds: float,
    stop: threading.Event,
    rate: float | None = None,
) -> int:
    """Publish batches of 20 readings, at *rate* readings/s or as fast as the broker takes
    them; returns readings sent."""
    pub = client("load", port)
    rng = random.Random(1)
    sent = 0
    start = time.time()
    end = start + seconds
    k = 0
    while time.time() < end and not stop.is_set():
        rx = receivers[k % len(receivers)]
        now = time.time()
        batch = [
            {"tag": tags[(k * 20 + i) % len(tags)], "rssi": rng.randint(-95, -55), "ts": round(now, 3)}
            for i in range(20)
        ]
        info = pub.publish(f"wayfinding/bench/receivers/{rx}/readings", json.dumps(batch), qos=1)
        sent += 20
        k += 1
        if k % 200 == 0:
            info.wait_for_publish(timeout=10)  # keep the client's queue bounded
        if rate and k % 50 == 0:
            ahead = sent / rate - (time.time() - start)
            if ahead > 0:
                time.sleep(ahead)
    pub.loop_stop()
    pub.disconnect()
    return sent


def baseline(port: int, seconds: float, receivers: list[str], tags: list[str]) -> float:
    """Readings/s a bare subscriber parses (JSON only), same broker, same load."""
    count = [0]

    def on_message(_c: mqtt.Client, _u: object, m: mqtt.MQTTMessage) -> None:
        count[0] += len(json.loads(m.payload))

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="baseline")
    sub.max_inflight_messages_set(1000)
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe("wayfinding/bench/receivers/+/readings", qos=1)
    sub.loop_start()
    time.sleep(0.5)
    t = time.time()
    sent = load(port, tags, receivers, seconds, threading.Event())
    while count[0] < sent and time.time() - t < seconds + 30:
        time.sleep(0.1)
    elapsed = time.time() - t
    sub.loop_stop()
    sub.disconnect()
    return count[0] / elapsed


def corridor_receivers() -> list[str]:
    """Background load on corridor receivers only: it moves wristbands about without
    touching the rooms of the probes' stages."""
    from floorplans import load_demo_venue

    venue = load_demo_venue()
    return sorted(
        r.id for r in venue.receivers.values() if r.unit_id and venue.units[r.unit_id].category == "walkway"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--wristbands", type=int, default=2000)
    parser.add_argument(
        "--rate", type=float, default=21_000.0, help="readings/s offered during the run (21,000)"
    )
    parser.add_argument("--load-only", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only:  # the load generator's own process (see below)
        load_tags = [f"wb-{i:05d}" for i in range(args.wristbands)][50:]
        print(
            load(args.load_only, load_tags, corridor_receivers(), args.seconds, threading.Event(), args.rate)
        )
        return 0
    if shutil.which("mosquitto") is None:
        print("skipped: mosquitto is not installed")
        return 0
    from floorplans import load_demo_venue
    from tracker.store import TrackerStore

    venue = load_demo_venue()
    receivers = corridor_receivers()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        from tracker.broker import LocalBroker

        local = LocalBroker(tmp).start()
        port = local.port
        try:
            db = f"sqlite:///{tmp / 'bench.db'}"
            store = TrackerStore(db)
            tags = [f"wb-{i:05d}" for i in range(args.wristbands)]
            probes, loaded = tags[:50], tags[50:]
            for tag in tags:
                store.link(tag, patient_ref=tag.upper(), pathway_id="ambulatory-surgery", actor="bench")
            base_rate = baseline(port, min(args.seconds, 10.0), receivers, loaded)
            tracker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "api.cli",
                    "--db",
                    db,
                    "tracker",
                    "--broker",
                    f"mqtt://127.0.0.1:{port}",
                    "--site",
                    "bench",
                    "--zone-dwell",
                    "0",
                    "--signal-lost",
                    "600",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                cwd=ROOT,
            )
            assert tracker.stdout is not None
            tracker.stdout.readline()
            stats: dict[str, object] = {}
            latencies: list[float] = []
            probe_sent: dict[str, float] = {}
            during: dict[str, object] = {}

            def on_message(_c: mqtt.Client, _u: object, m: mqtt.MQTTMessage) -> None:
                if m.topic.endswith("/tracker/stats"):
                    stats.update(json.loads(m.payload))
                else:
                    tag = m.topic.rsplit("/", 1)[1]
                    if tag in probe_sent and json.loads(m.payload).get("stage") is not None:
                        latencies.append(time.time() - probe_sent.pop(tag))

            watch = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="watch")
            watch.on_message = on_message
            watch.connect("127.0.0.1", port)
            watch.subscribe([("wayfinding/bench/tracker/stats", 1), ("wayfinding/bench/status/#", 1)])
            watch.loop_start()
            time.sleep(3)  # the tracker subscribes; initial statuses go out
            latencies.clear()
            probe_sent.clear()
            # The load from its own process: in this one, its publishing starved the
            # probes' and the watcher's threads (a reading stamped, then sent a second
            # later, would count as the tracker's latency).
            loader = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--load-only",
                    str(port),
                    "--seconds",
                    str(args.seconds),
                    "--rate",
                    str(args.rate),
                    "--wristbands",
                    str(args.wristbands),
                ],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            t0 = time.time()
            # Probes: wristbands appearing one after the other in the pathway's rooms,
            # heard by the room's receiver four times a second; a status is due for each.
            rooms = [
                venue.receivers[r].id
                for r in ("rx-A0-admissions", "rx-C1-prep-1", "rx-B2-or-1", "rx-B2-pacu", "rx-C1-discharge")
            ]
            probe = client("probe", port)
            noise = random.Random(7)
            k = 0
            seen: set[str] = set()
            backlog_max = 0
            started = time.time()
            spacing = max(args.seconds - 4.0, 1.0) / len(probes)
            while loader.poll() is None:
                elapsed = time.time() - started
                for i, tag in enumerate(probes):
                    if elapsed < i * spacing:
                        continue
                    now = time.time()
                    if tag not in seen:  # its first reading in the room
                        probe_sent[tag] = now
                        seen.add(tag)
                    probe.publish(
                        f"wayfinding/bench/receivers/{rooms[i % len(rooms)]}/readings",
                        json.dumps(
                            [{"tag": tag, "rssi": round(noise.gauss(-50, 3), 1), "ts": round(now, 3)}]
                        ),
                        qos=1,
                    )
                if stats.get("status_latency_s"):
                    during.update(stats)  # the tracker's figures while the load runs
                backlog_max = max(backlog_max, int(stats.get("backlog", 0)))  # type: ignore[call-overload]
                k += 1
                time.sleep(max(0.0, started + k * 0.25 - time.time()))
            probe.loop_stop()
            probe.disconnect()
            out, _ = loader.communicate()
            sent = int(out.strip().splitlines()[-1])
            sent_time = time.time() - t0
            deadline = time.time() + 60
            while time.time() < deadline:
                accepted = int(stats.get("counters", {}).get("accepted", 0))  # type: ignore[union-attr]
                if accepted >= sent and stats.get("backlog") == 0:
                    break
                time.sleep(0.5)
            drained = time.time() - t0
            accepted = int(stats.get("counters", {}).get("accepted", 0))  # type: ignore[union-attr]
            pipeline: dict[str, float] = dict(during.get("status_latency_s") or {})  # type: ignore[call-overload]
            tracker.send_signal(signal.SIGTERM)
            tracker.wait(timeout=30)
            watch.loop_stop()
            watch.disconnect()
        finally:
            local.stop()

    rate = accepted / drained
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")

    # Memory: state for 10,000 wristbands in one tracker.
    mem_mb = memory_for(10_000)
    print(f"load: {sent:,} readings published in {sent_time:.1f} s ({sent / sent_time:,.0f}/s offered)")
    offered = sent / sent_time
    lag = drained - sent_time
    rows = [
        (
            f"tracker, {args.wristbands:,} wristbands",
            f"{offered:,.0f} readings/s offered, {accepted:,} of {sent:,} processed; "
            f"backlog at most {backlog_max:,} messages, empty {lag:.1f} s after the load ended "
            f"({rate:,.0f}/s overall)",
            accepted >= sent and lag < 5 and offered >= 19_000,
        ),
        (
            "bare JSON subscriber (baseline)",
            f"{base_rate:,.0f} readings/s unthrottled",
            True,
        ),
        (
            "reading to status (tracker's figure)",
            f"p50 {pipeline.get('p50', float('nan')):.2f} s, p95 {pipeline.get('p95', float('nan')):.2f} s "
            f"({pipeline.get('n', 0)} stage changes)",
            pipeline.get("p95", 9.9) < 1.0,
        ),
        (
            "appearing in a room to status received",
            f"p50 {p50:.2f} s, p95 {p95:.2f} s ({len(latencies)} of {len(probes)} probes)",
            True,
        ),
        ("state for 10,000 wristbands", f"{mem_mb:.0f} MB", mem_mb < 200),
    ]
    for label, value, ok in rows:
        print(f"{label:36} {value:60} {'OK' if ok else 'MISSED'}")
    return 0


def memory_for(n: int) -> float:
    """MB of resident memory the tracker state for *n* wristbands adds."""
    code = f"""
import resource, sys, time, tempfile
sys.path.insert(0, {str(ROOT)!r})
from floorplans import load_demo_venue
from tracker.core import Tracker
from tracker.store import TrackerStore
from tracker.simulator import Simulator, messages
venue = load_demo_venue()
tmp = tempfile.mkdtemp()
store = TrackerStore(f"sqlite:///{{tmp}}/m.db")
with store.engine.begin() as conn:
    pass
for i in range({n}):
    store.link(f"wb-{{i:05d}}", patient_ref="p", pathway_id="ambulatory-surgery", actor="m")
tracker = Tracker(venue, store)
sim = Simulator(venue)
places = [(venue.levels[u.level_id].ordinal, *u.anchor_point().coords[0])
          for u in venue.units.values() if u.walkable and u.name][:50]
import gc; gc.collect()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
now = time.time()
for i in range({n}):
    tag = f"wb-{{i:05d}}"
    where = places[i % len(places)]
    for t in range(3):
        for topic, payload in messages("native", "demo", {{tag: sim.readings(tag, *where)}},
                                       now + t, {{}}):
            tracker.handle(topic, payload, now + t)
tracker.tick(now + 5)
gc.collect()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) / 1024)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ}
    )
    return float(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    raise SystemExit(main())
