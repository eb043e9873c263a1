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
from typing import Any

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
    parser.add_argument(
        "--workers",
        default="0",
        help="estimator workers, comma-separated runs (0: one tracker reading the receivers "
        "itself; N: N workers on 12 partitions behind --ingest ingest workers), e.g. 0,1,2,3",
    )
    parser.add_argument("--ingest", type=int, default=1, help="ingest workers with --workers N (1)")
    parser.add_argument("--no-memory", action="store_true", help="skip the 10,000-wristband memory figure")
    parser.add_argument(
        "--drain",
        action="store_true",
        help="capacity: a backlog published while the pipeline is paused, then drained",
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
    runs = [int(w) for w in args.workers.split(",")]
    if args.drain:
        for workers in runs:
            r = drain_once(args, workers)
            print(
                f"{r['what']:42} capacity {r['rate']:,.0f} readings/s while draining "
                f"({r['accepted']:,} of {r['sent']:,} in {r['drain_s']:.1f} s)"
            )
        return 0
    results = [run_once(args, workers) for workers in runs]
    mem_mb = float("nan") if args.no_memory else memory_for(10_000)
    rows = []
    for r in results:
        rows += [
            (
                f"{r['what']}, {args.wristbands:,} wristbands",
                f"{r['offered']:,.0f} readings/s offered, {r['accepted']:,} of {r['sent']:,} processed; "
                f"backlog at most {r['backlog_max']:,} messages, empty {r['lag']:.1f} s after the load "
                f"ended ({r['rate']:,.0f}/s overall)",
                r["accepted"] >= r["sent"] and r["lag"] < 5 and r["offered"] >= 19_000,
            ),
            (
                "  reading to status (tracker's figure)",
                f"p50 {r['pipeline'].get('p50', float('nan')):.2f} s, "
                f"p95 {r['pipeline'].get('p95', float('nan')):.2f} s "
                f"({r['pipeline'].get('n', 0)} stage changes)",
                r["pipeline"].get("p95", 9.9) < 1.0,
            ),
            (
                "  appearing in a room to status received",
                f"p50 {r['p50']:.2f} s, p95 {r['p95']:.2f} s ({r['probes']} of 50 probes)",
                True,
            ),
        ]
    rows += [
        ("bare JSON subscriber (baseline)", f"{results[0]['base_rate']:,.0f} readings/s unthrottled", True),
        ("state for 10,000 wristbands", f"{mem_mb:.0f} MB", mem_mb < 200),
    ]
    for label, value, ok in rows:
        print(f"{label:42} {value:60} {'OK' if ok else 'MISSED'}")
    return 0


def start_pipeline(
    db: str, broker: str, workers: int, ingest: int, extra: tuple[str, ...] = ()
) -> tuple[str, list[subprocess.Popen[str]]]:
    """One tracker (*workers* 0), or *workers* estimator workers on 12 partitions started
    first (the partitions' sessions exist before any reading) and *ingest* ingest workers;
    returns what it is, and the processes once each has said it started."""
    common = ["--zone-dwell", "0", "--signal-lost", "600", *extra]
    cli = [sys.executable, "-m", "cli"]
    commands = []
    if workers == 0:
        what = "one tracker"
        commands.append([*cli, "--db", db, "tracker", "--broker", broker, "--site", "bench", *common])
    else:
        what = f"{workers} estimator worker(s) + {ingest} ingest"
        for w in range(workers):
            commands.append(
                [*cli, "--db", db, "tracker", "--broker", broker, "--site", "bench", *common,
                 "--partitions", "12", "--worker-id", f"w{w}"]
            )  # fmt: skip
        for i in range(ingest):
            group = ["--group", "ingest"] if ingest > 1 else []
            commands.append(
                [*cli, "ingest", "--broker", broker, "--site", "bench", "--partitions", "12",
                 "--client-id", f"ingest-{i}", *group]
            )  # fmt: skip
    procs = []
    for command in commands:
        procs.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        )
        if "ingest" not in command:  # workers one after the other: a stable share of partitions
            time.sleep(0.5)
    for proc in procs:
        assert proc.stdout is not None
        proc.stdout.readline()
    return what, procs


def drain_once(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """Capacity without the load generator on the cores: the pipeline is paused (SIGSTOP),
    a backlog of readings is published, then the pipeline resumes; the rate is the
    trackers' own count of readings accepted over the time they drain it."""
    from database import connect
    from tracker.broker import LocalBroker
    from tracker.store import TrackerStore

    receivers = corridor_receivers()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        local = LocalBroker(tmp).start()
        procs: list[subprocess.Popen[str]] = []
        try:
            db = f"sqlite:///{tmp / 'bench.db'}"
            store = TrackerStore(connect(db))
            tags = [f"wb-{i:05d}" for i in range(args.wristbands)]
            for tag in tags:
                store.link(tag, patient_ref=tag.upper(), pathway_id="ambulatory-surgery", actor="bench")
            # Leases outlast the pause (a paused worker renews nothing); renewed every 20 s.
            what, procs = start_pipeline(
                db, f"mqtt://127.0.0.1:{local.port}", workers, args.ingest, ("--lease", "60")
            )
            if workers:  # the partitions shared out evenly before the pause
                from collections import Counter

                from tracker.partitions import Leases

                leases = Leases(store.engine, "bench", "observer")
                deadline = time.time() + 120
                while time.time() < deadline:
                    held = Counter(leases.owners().values())
                    if (
                        None not in held
                        and max(held.values()) - min(held.values()) <= 1
                        and len(held) == workers
                    ):
                        break
                    time.sleep(1)
            time.sleep(3)  # sessions subscribed
            counts: dict[str, list[tuple[float, int]]] = {}

            def on_message(_c: mqtt.Client, _u: object, m: mqtt.MQTTMessage) -> None:
                v = json.loads(m.payload)
                counts.setdefault(m.topic, []).append((time.time(), int(v["counters"].get("accepted", 0))))

            watch = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="watch")
            watch.on_message = on_message
            watch.connect("127.0.0.1", local.port)
            watch.subscribe("wayfinding/bench/tracker/stats/#", qos=1)
            watch.loop_start()
            for proc in procs:
                proc.send_signal(signal.SIGSTOP)
            sent = load(local.port, tags, receivers, args.seconds, threading.Event(), args.rate)
            time.sleep(1)
            resumed = time.time()
            for proc in procs:
                proc.send_signal(signal.SIGCONT)

            def accepted() -> int:
                return sum(c[-1][1] for c in counts.values() if c)

            deadline = time.time() + 300
            while time.time() < deadline and accepted() < sent:
                time.sleep(0.5)
            done = time.time()
            watch.loop_stop()
            watch.disconnect()
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
            local.stop()
    # Rate while draining, from the trackers' own counters (stats every 2 s): from each
    # one's first count after the resume to the first count at its final number.
    after = [[(t, n) for t, n in c if t >= resumed] for c in counts.values()]
    after = [a for a in after if a]
    start_t = min(a[0][0] for a in after)
    end_t = max(next(t for t, n in a if n == a[-1][1]) for a in after)
    rate = (sum(a[-1][1] for a in after) - sum(a[0][1] for a in after)) / max(end_t - start_t, 1e-9)
    print(f"{what}: drained {accepted():,} of {sent:,} readings in {done - resumed:.1f} s")
    return {"what": what, "sent": sent, "accepted": accepted(), "drain_s": done - resumed, "rate": rate}


def run_once(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """One run: a tracker (*workers* 0) or *workers* estimator workers behind ingest
    workers, the load, the probes; the figures."""
    from database import connect
    from floorplans import load_demo_venue
    from tracker.store import TrackerStore

    venue = load_demo_venue()
    receivers = corridor_receivers()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        from tracker.broker import LocalBroker

        local = LocalBroker(tmp).start()
        port = local.port
        procs: list[subprocess.Popen[str]] = []
        try:
            db = f"sqlite:///{tmp / 'bench.db'}"
            store = TrackerStore(connect(db))
            tags = [f"wb-{i:05d}" for i in range(args.wristbands)]
            probes, loaded = tags[:50], tags[50:]
            for tag in tags:
                store.link(tag, patient_ref=tag.upper(), pathway_id="ambulatory-surgery", actor="bench")
            base_rate = baseline(port, min(args.seconds, 10.0), receivers, loaded)
            what, procs = start_pipeline(db, f"mqtt://127.0.0.1:{port}", workers, args.ingest)
            stats: dict[str, dict[str, Any]] = {}
            latencies: list[float] = []
            probe_sent: dict[str, float] = {}
            during: dict[str, dict[str, Any]] = {}

            def on_message(_c: mqtt.Client, _u: object, m: mqtt.MQTTMessage) -> None:
                if "/tracker/stats" in m.topic:
                    stats[m.topic] = json.loads(m.payload)
                else:
                    tag = m.topic.rsplit("/", 1)[1]
                    if tag in probe_sent and json.loads(m.payload).get("stage") is not None:
                        latencies.append(time.time() - probe_sent.pop(tag))

            def total(key: str) -> int:
                if key == "accepted":
                    return sum(int(v.get("counters", {}).get("accepted", 0)) for v in stats.values())
                return sum(int(v.get(key, 0)) for v in stats.values())

            watch = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="watch")
            watch.on_message = on_message
            watch.connect("127.0.0.1", port)
            watch.subscribe([("wayfinding/bench/tracker/stats/#", 1), ("wayfinding/bench/status/#", 1)])
            watch.loop_start()
            time.sleep(5 if workers else 3)  # subscriptions, partitions shared out, first statuses
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
                for topic, v in stats.items():
                    if v.get("status_latency_s"):
                        during[topic] = v  # the trackers' figures while the load runs
                backlog_max = max(backlog_max, total("backlog"))
                k += 1
                time.sleep(max(0.0, started + k * 0.25 - time.time()))
            probe.loop_stop()
            probe.disconnect()
            out, _ = loader.communicate()
            sent = int(out.strip().splitlines()[-1])
            sent_time = time.time() - t0
            deadline = time.time() + 60
            while time.time() < deadline:
                if total("accepted") >= sent and total("backlog") == 0:
                    break
                time.sleep(0.5)
            drained = time.time() - t0
            accepted = total("accepted")
            # Several workers: the worst worker's p95 (each reports its own stage changes).
            figures = [dict(v["status_latency_s"]) for v in during.values()]
            pipeline: dict[str, float] = {}
            if figures:
                pipeline = {
                    "p50": max(f["p50"] for f in figures),
                    "p95": max(f["p95"] for f in figures),
                    "n": sum(f["n"] for f in figures),
                }
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
            watch.loop_stop()
            watch.disconnect()
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
            local.stop()

    latencies.sort()
    offered = sent / sent_time
    print(f"{what}: {sent:,} readings published in {sent_time:.1f} s ({offered:,.0f}/s offered)")
    return {
        "what": what,
        "sent": sent,
        "offered": offered,
        "accepted": accepted,
        "rate": accepted / drained,
        "lag": drained - sent_time,
        "backlog_max": backlog_max,
        "pipeline": pipeline,
        "p50": latencies[len(latencies) // 2] if latencies else float("nan"),
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "probes": len(latencies),
        "base_rate": base_rate,
    }


def memory_for(n: int) -> float:
    """MB of resident memory the tracker state for *n* wristbands adds."""
    code = f"""
import sys, time, tempfile
sys.path.insert(0, {str(ROOT)!r})
from floorplans import load_demo_venue
from tracker.core import Tracker
from database import connect
from tracker.store import TrackerStore
from simulators.patients import Simulator, messages
venue = load_demo_venue()
tmp = tempfile.mkdtemp()
store = TrackerStore(connect(f"sqlite:///{{tmp}}/m.db"))
with store.engine.begin() as conn:
    pass
for i in range({n}):
    store.link(f"wb-{{i:05d}}", patient_ref="p", pathway_id="ambulatory-surgery", actor="m")
tracker = Tracker(venue, store)
sim = Simulator(venue)
places = [(venue.levels[u.level_id].ordinal, *u.anchor_point().coords[0])
          for u in venue.units.values() if u.walkable and u.name][:50]
import gc; gc.collect()
def hwm_kb():  # this process's own peak (ru_maxrss carries the parent's across fork and exec)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
before = hwm_kb()
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
after = hwm_kb()
print((after - before) / 1024)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ}
    )
    return float(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    raise SystemExit(main())
