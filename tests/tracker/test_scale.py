"""Beyond one box, on one machine: a real Mosquitto, PostgreSQL, 2 ingest workers, 3
estimator workers and 2 web replicas, as separate processes; the simulator drives 2,000
wristbands through their pathway. One estimator worker and one web replica are killed
mid-run. Compared with the simulator's truth: no stage change lost or doubled; every
companion stream that was open reconnects (to the other replica, as a load balancer would
send it) and shows the right stage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from floorplans import Venue
from simulators.patients import tag_of
from tests.conftest import published_demo
from tests.postgres import LocalPostgres
from tests.tracker.conftest import Broker
from tracker.broker import free_port
from tracker.partitions import Leases
from tracker.store import TrackerStore

SITE = "scale"
WRISTBANDS = 2000
STAGES = ["admission", "preop", "theatre", "recovery", "ready"]
PARTITIONS = 12
#: Companion pages followed through the run (half on each web replica at first).
FOLLOWED = 20
SPEED = 12.0  # m/s: ten times faster than life, so that a whole pathway takes two minutes
#: Readings per second per wristband (and receiver hearing it): about 10,000 readings/s
#: from 2,000 wristbands, what this 2-core machine carries in real time with all the
#: processes above, the simulator included (at 0.8/s, 17,000 readings/s, the estimator
#: workers fell a minute behind the simulator, and the test took a minute longer).
RATE_HZ = 0.5
#: Seconds the last patients stay heard at the pick-up place: enough readings there for
#: "ready" at this rate.
LINGER_S = 30


class Procs:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.folder / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


class Companion(threading.Thread):
    """A companion's phone on the live page: follows the events stream, and reconnects (to
    the next replica, as a load balancer does when one is gone) when it breaks."""

    def __init__(self, token: str, replicas: list[str], first: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.token, self.replicas, self.at, self.stop = token, replicas, first, stop
        self.stages: list[str | None] = []
        self.connections = 0

    def run(self) -> None:
        while not self.stop.is_set():
            url = f"{self.replicas[self.at]}/c/{self.token}/events"
            try:
                with httpx.stream("GET", url, timeout=httpx.Timeout(5, read=40)) as r:
                    if r.status_code != 200:
                        raise httpx.HTTPError(f"{r.status_code}")
                    self.connections += 1
                    for line in r.iter_lines():
                        if line.startswith("data:"):
                            self.stages.append(json.loads(line[5:])["stage"])
                        if self.stop.is_set():
                            return
            except httpx.HTTPError:
                self.at = (self.at + 1) % len(self.replicas)
                time.sleep(1)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    server = LocalPostgres().start()
    yield published_demo(server.new_database("scale"))
    server.stop()


@pytest.mark.slow(seconds=260)
@pytest.mark.alone
def test_two_thousand_wristbands_through_kills(
    demo_venue: Venue, broker: Broker, postgres_url: str, tmp_path: Path
) -> None:
    db = postgres_url
    store = TrackerStore(db)
    tags = [tag_of(i) for i in range(1, WRISTBANDS + 1)]
    store.register(tags, actor="test")
    tokens = {}
    for tag in tags:
        _link, tokens[tag] = store.link(
            tag, patient_ref=f"P-{tag[-5:]}", pathway_id="ambulatory-surgery", actor="test"
        )
    procs = Procs(tmp_path)
    common = ["--db", db]
    try:
        for w in (1, 2, 3):  # the partitions' sessions exist at the broker before any reading
            procs.start(
                f"worker-{w}",
                [
                    *common,
                    "tracker",
                    "--broker",
                    broker.url,
                    "--site",
                    SITE,
                    "--partitions",
                    str(PARTITIONS),
                    "--worker-id",
                    f"w{w}",
                    "--lease",
                    "6",
                    "--time-scale",
                    str(SPEED / 1.2),
                    "--signal-lost",
                    "600",
                ],
            )
        leases = Leases(store.engine, SITE, "observer", partitions=PARTITIONS)
        deadline = time.time() + 60
        while time.time() < deadline:
            owners = leases.owners()
            if sorted(Counter(owners.values()).values()) == [4, 4, 4] and all(owners.values()):
                break
            time.sleep(0.5)
        assert sorted(Counter(leases.owners().values()).values()) == [4, 4, 4], leases.owners()
        for i in (1, 2):
            procs.start(
                f"ingest-{i}",
                [
                    "ingest",
                    "--broker",
                    broker.url,
                    "--site",
                    SITE,
                    "--partitions",
                    str(PARTITIONS),
                    "--group",
                    "ingest",
                    "--client-id",
                    f"ingest-{i}",
                ],
            )
        replicas = []
        for name in ("web-a", "web-b"):
            port = free_port()
            procs.start(
                name,
                ["serve", "--port", str(port)],
                env={
                    "WAYFINDING_DATABASE_URL": db,
                    "WAYFINDING_MQTT_URL": broker.url,
                    "WAYFINDING_SITE": SITE,
                    "WAYFINDING_REFRESH_S": "2",
                },
            )
            replicas.append(f"http://127.0.0.1:{port}")
        for url in replicas:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    if httpx.get(f"{url}/api/v1/venue", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
        stop = threading.Event()
        followed = tags[:: WRISTBANDS // FOLLOWED][:FOLLOWED]
        companions = [Companion(tokens[t], replicas, i % 2, stop) for i, t in enumerate(followed)]
        for c in companions:
            c.start()
        # The receivers: the simulator in its own process (it prints the truth at the end).
        procs.start(
            "simulator",
            [*common, "simulate", "--broker", broker.url, "--site", SITE, "--patients", str(WRISTBANDS),
             "--format", "native", "--radio", "mirror", "--speed", str(SPEED), "--dwell", "10",
             "--ride", "3", "--rate", str(RATE_HZ), "--stagger", "0.01", "--linger", str(LINGER_S),
             "--seed", "5"],
        )  # fmt: skip
        time.sleep(60)
        procs.kill("worker-2")
        time.sleep(10)
        procs.kill("web-a")
        assert procs.procs["simulator"].wait(timeout=600) == 0, procs.log("simulator")[-2000:]
        deadline = time.time() + 60
        while time.time() < deadline:
            if sum(lk.stage_id == "ready" for lk in store.active_links()) == WRISTBANDS:
                break
            time.sleep(2)
        time.sleep(5)
        stop.set()
    finally:
        procs.stop_all()

    owners = Leases(store.engine, SITE, "observer", partitions=PARTITIONS).owners()
    truth = {
        line.split(": ")[0]: [part.split("@")[0] for part in line.split(": ")[1].split(", ")]
        for line in procs.log("simulator").splitlines()
        if line.startswith(tags[0][:20]) and ": " in line
    }
    assert len(truth) == WRISTBANDS
    lost, doubled, wrong = [], [], []
    events: dict[str, list[str]] = {}
    for e in store.events():
        if e.kind in ("stage", "stage-passed"):
            events.setdefault(e.tag, []).append(e.details["stage"])
    for tag, stages in truth.items():
        got = events.get(tag, [])
        if len(got) > len(set(got)):
            doubled.append((tag, got))
        elif set(stages) - set(got):
            lost.append((tag, got, stages))
        elif got != stages:
            wrong.append((tag, got, stages))
    kinds = Counter(e.kind for e in store.events())
    summary = (
        f"lost {len(lost)}, doubled {len(doubled)}, out of order {len(wrong)}; stages shown live "
        f"{kinds['stage']}, written as passed {kinds['stage-passed']}; companion streams reconnected "
        f"{sum(c.connections > 1 for c in companions)} of {FOLLOWED}; leases at the end {owners}"
    )
    print("\n" + summary)
    assert not lost and not doubled and not wrong, f"{summary}: {(lost + doubled + wrong)[:5]}"
    assert all(lk.stage_id == "ready" for lk in store.active_links())
    for c in companions:
        assert c.stages and c.stages[-1] == "ready", (c.token[:4], c.stages[-5:])
    moved = [c for c in companions if c.connections > 1]
    assert len(moved) >= FOLLOWED // 2, "the pages on the killed replica reconnected to the other one"
