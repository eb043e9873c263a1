"""The tracker on an MQTT broker (paho-mqtt 2).

Two ways to run it:

- one process (:class:`MqttTracker`, ``wayfinding tracker``): it subscribes to the
  receivers' topics in the three formats itself;
- partitioned (:class:`PartitionedTracker`, ``wayfinding tracker --partitions N`` beside
  ``wayfinding ingest``): ingest workers parse the receivers' messages and republish
  each reading on its wristband's partition topic; each estimator worker follows the
  partitions it holds a lease on (tracker.partitions), one persistent MQTT session per
  partition, so that every reading of a wristband reaches one worker.

Either way:

- QoS 1 subscriptions in persistent sessions (``clean_session=False``): messages
  published while a tracker restarts wait at the broker;
- reconnection with back-off (1 s to 30 s) and resubscription on every connection;
- callbacks run on paho's network threads: they only put messages in a queue; one
  worker thread does all the work, so the tracker needs no locks;
- a message is acknowledged (PUBACK, ``manual_ack``) only once what it changed is
  written: the worker handles a batch, commits its events and stage changes, publishes
  the statuses, then acknowledges the batch. A tracker killed at any point gets the
  messages it had not acknowledged again; the store writes a stage change only if the
  link is still at the stage it comes from, so a replay never doubles one;
- statuses are published retained, QoS 1, on ``wayfinding/<site>/status/<tag>``.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.exc import SQLAlchemyError

from beacons.payloads import PayloadError, parse_batch
from tracker.core import Status, Tracker
from tracker.partitions import (
    LeaseChange,
    Leases,
    partition_client_id,
    partition_of,
    partition_topic,
    receivers_topic,
)

log = logging.getLogger("wayfinding.tracker.mqtt")


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parsed = urlparse(url if "://" in url else f"mqtt://{url}")
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise ValueError(f"broker {url!r}: write mqtt://HOST[:PORT]")
        return cls(parsed.hostname, parsed.port or 1883)


def _percentiles(values: deque[float]) -> dict[str, float | int] | None:
    """Median and 95th percentile (s) of *values*, and how many."""
    if not values:
        return None
    ordered = sorted(values)
    return {
        "p50": round(ordered[len(ordered) // 2], 3),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "n": len(ordered),
    }


def reading_topics(site: str) -> list[str]:
    """Readings in the three formats, and the receivers' signs of life (ESPresense
    telemetry and last will, OpenMQTTGateway system messages and last will)."""
    return [
        f"wayfinding/{site}/receivers/+/readings",
        "espresense/devices/+/+",
        "home/+/BTtoMQTT/+",
        "espresense/rooms/+/telemetry",
        "espresense/rooms/+/status",
        "home/+/SYStoMQTT",
        "home/+/LWT",
    ]


class Subscriber:
    """Connection callbacks of a client that subscribes to *topics* on every connection
    (the tracker, an ingest worker). They run on paho's network thread: set flags only."""

    address: BrokerAddress
    topics: list[str]
    connected: threading.Event
    subscribed: threading.Event

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, reason: object, _p: object = None
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("broker refused the connection: %s", reason)
            return
        log.info("connected to %s:%d", self.address.host, self.address.port)
        client.subscribe([(t, 1) for t in self.topics])
        self.connected.set()

    def _on_subscribe(self, *_args: object) -> None:
        self.subscribed.set()

    def _on_disconnect(self, *_args: object) -> None:
        self.connected.clear()
        self.subscribed.clear()
        log.warning("disconnected from the broker; reconnecting")


class MqttTracker(Subscriber):
    def __init__(
        self,
        tracker: Tracker,
        broker: str,
        *,
        client_id: str = "wayfinding-tracker",
        tick_s: float = 0.2,
        topics: list[str] | None = None,
        persistent: bool = True,
    ) -> None:
        self.tracker = tracker
        self.address = BrokerAddress.parse(broker)
        self.tick_s = tick_s
        self.inbox: queue.Queue[tuple[str, bytes, int, int, mqtt.Client | None]] = queue.Queue()
        #: Messages taken, acknowledged once their effects are written (client, mid, qos).
        self._acks: list[tuple[mqtt.Client, int, int]] = []
        #: Messages handled per transaction at most.
        self.batch = 5000
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.topics = reading_topics(tracker.config.site) if topics is None else topics
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=not persistent,
            manual_ack=True,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(100_000)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.published = 0
        self.stats_every_s = 2.0
        self.stats_topic = f"wayfinding/{tracker.config.site}/tracker/stats"
        #: Seconds from the reading that changed a stage (its own time stamp) to the
        #: status leaving for the broker, for the last stage changes.
        self.latencies: deque[float] = deque(maxlen=1000)

    # Callbacks: network thread, hand over only.
    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        self.inbox.put((msg.topic, bytes(msg.payload), msg.mid, msg.qos, None))

    def _start_clients(self) -> None:
        """Other clients the worker runs (a partitioned worker's consumers)."""

    def _stop_clients(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def _between_batches(self) -> None:
        """Work of a partitioned worker between two batches (its leases)."""

    def publish_stats(self) -> None:
        """Counters for the hospital IT team, retained on ``wayfinding/<site>/tracker/stats``."""
        stats = {
            **self.tracker.snapshot(),
            "backlog": self.inbox.qsize(),
            "ts": time.time(),
            "statuses_published": self.published,
            "status_latency_s": _percentiles(self.latencies),
        }
        self.client.publish(self.stats_topic, json.dumps(stats), qos=1, retain=True)

    def reload(self) -> None:
        """Take the store's links again (made or ended at the care desk), in the worker."""
        self.inbox.put(("$reload", b"", 0, 0, None))

    def _take(self, topic: str, payload: bytes, mid: int, qos: int, client: mqtt.Client | None) -> None:
        if topic == "$reload":  # links changed in the store (linking desk, discharge)
            self.tracker.reload_links()
            return
        self.tracker.handle(topic, payload)
        if qos > 0:
            self._acks.append((client or self.client, mid, qos))

    def _commit(self, *, tick: bool = False) -> bool:
        """Write what the messages taken changed (with the periodic work if *tick*), publish
        the statuses, then acknowledge the messages (never before: a tracker killed before
        the write gets them again). When the database cannot be written, nothing is
        acknowledged and the events wait in memory: the broker stops sending once a
        thousand messages wait for their acknowledgement, and sends them again to
        whichever tracker comes next if this one dies."""
        try:
            statuses = self.tracker.tick() if tick else self.tracker.statuses()
        except SQLAlchemyError as exc:
            self.tracker.counters["store-errors"] += 1
            if self.tracker.counters["store-errors"] % 20 == 1:
                log.error("cannot write to the database (%s); retrying, nothing acknowledged", exc)
            time.sleep(0.5)
            return False
        self._publish(statuses)
        for client, mid, qos in self._acks:
            client.ack(mid, qos)
        self._acks.clear()
        return True

    def _publish(self, statuses: list[Status]) -> None:
        for status in statuses:
            self.client.publish(
                status.topic, json.dumps(status.payload, ensure_ascii=False), qos=1, retain=True
            )
            self.published += 1
            if status.reading_ts is not None:
                self.latencies.append(time.time() - status.reading_ts)

    # Worker.
    def run(self, stop: threading.Event) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()
        self._start_clients()
        next_tick = time.monotonic()
        next_stats = next_tick + self.stats_every_s
        try:
            while not stop.is_set():
                timeout = max(0.0, next_tick - time.monotonic())
                try:
                    self._take(*self.inbox.get(timeout=timeout))
                    # Drain what is there (a batch: one transaction), then commit and ack.
                    for _ in range(self.batch - 1):
                        self._take(*self.inbox.get_nowait())
                except queue.Empty:
                    pass
                if time.monotonic() >= next_tick:
                    self._commit(tick=True)
                    next_tick = time.monotonic() + self.tick_s
                else:  # a stage changed: out now, not at the next tick
                    self._commit()
                if time.monotonic() >= next_stats:
                    self.publish_stats()
                    next_stats = time.monotonic() + self.stats_every_s
                self._between_batches()
        finally:
            self._commit()
            self._stop_clients()


class PartitionedTracker(MqttTracker):
    """An estimator worker: the wristbands of the partitions it holds a lease on.

    One control client (clean session) publishes statuses and stats and hears which
    receivers work (``wayfinding/<site>/ingest/receivers``); one consumer client per
    partition held (client id :func:`~tracker.partitions.partition_client_id`, persistent
    session, QoS 1, manual acknowledgements) takes the partition's readings. Leases are
    renewed by a thread of their own, so that a long batch never lets one expire; what
    they change is applied by the worker between two batches: a partition lost or given
    back is first written and acknowledged, then its consumer stops (what it had not
    acknowledged goes to the next owner), and only then is it given back.
    """

    def __init__(
        self,
        tracker: Tracker,
        broker: str,
        leases: Leases,
        *,
        tick_s: float = 0.2,
    ) -> None:
        site = tracker.config.site
        super().__init__(
            tracker,
            broker,
            client_id=f"wayfinding-{site}-worker-{leases.worker}",
            tick_s=tick_s,
            topics=[receivers_topic(site)],
            persistent=False,
        )
        self.leases = leases
        self._receivers_topic = receivers_topic(site)
        self.stats_topic = f"wayfinding/{site}/tracker/stats/{leases.worker}"
        self.consumers: dict[int, mqtt.Client] = {}
        self.owned: frozenset[int] = frozenset()
        self.changes: queue.Queue[LeaseChange] = queue.Queue()
        self._leasing = threading.Event()
        tracker.owns = lambda tag: partition_of(tag, leases.partitions) in self.owned
        tracker.reload_links()

    # -- partitions -----------------------------------------------------------------------------

    def _consumer(self, part: int) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=partition_client_id(self.tracker.config.site, part),
            protocol=mqtt.MQTTv311,
            clean_session=False,
            manual_ack=True,
        )
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(100_000)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        topic = partition_topic(self.tracker.config.site, part)

        def on_connect(c: mqtt.Client, _u: object, _f: object, reason: object, _p: object = None) -> None:
            if not getattr(reason, "is_failure", False):
                c.subscribe(topic, qos=1)

        def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
            self.inbox.put((msg.topic, bytes(msg.payload), msg.mid, msg.qos, client))

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect_async(self.address.host, self.address.port, keepalive=30)
        client.loop_start()
        return client

    def _apply(self, change: LeaseChange) -> None:
        stopping = change.lost | change.give_back
        if stopping:
            self._commit()  # written and acknowledged before the consumers stop
            for part in stopping:
                client = self.consumers.pop(part, None)
                if client is not None:
                    client.disconnect()
                    client.loop_stop()
            self.leases.release(change.give_back)
        self.owned = frozenset(self.leases.held)
        for part in self.owned - set(self.consumers):
            self.consumers[part] = self._consumer(part)
        if stopping or change.taken:
            self.tracker.reload_links()
            self.tracker.counters["partitions-held"] = len(self.owned)

    def _lease_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.changes.put(self.leases.refresh())
            except Exception:  # the database away for a moment: try again, leases may lapse
                log.exception("could not renew the partition leases")
            stop.wait(self.leases.lease_s / 3)

    def _start_clients(self) -> None:
        self._apply(self.leases.refresh())
        threading.Thread(target=self._lease_loop, args=(self._leasing,), daemon=True).start()

    def _between_batches(self) -> None:
        while True:
            try:
                change = self.changes.get_nowait()
            except queue.Empty:
                return
            self._apply(change)

    def _stop_clients(self) -> None:
        self._leasing.set()
        for client in self.consumers.values():
            client.disconnect()
            client.loop_stop()
        self.consumers.clear()
        try:
            self.leases.release_all()  # a clean stop: the others take over at once
        except Exception:
            log.exception("could not give the partitions back (they move when the leases end)")
        super()._stop_clients()

    # -- messages -------------------------------------------------------------------------------

    def _take(self, topic: str, payload: bytes, mid: int, qos: int, client: mqtt.Client | None) -> None:
        if client is not None and client not in self.consumers.values():
            return  # its partition has gone: not acknowledged, the next owner gets it
        if topic == self._receivers_topic:
            self._receivers(payload)
            return
        if topic == "$reload":
            self.tracker.reload_links()
            return
        now = self.tracker.clock()
        try:
            readings = parse_batch(topic, payload)
        except PayloadError as exc:  # counted by reason, logged once a minute at most
            self.tracker.reject(exc.reason, str(exc), now)
            readings = []
        self.tracker.take(readings, now, source=topic)
        if qos > 0 and client is not None:
            self._acks.append((client, mid, qos))

    def _receivers(self, payload: bytes) -> None:
        """Which receivers work, from the ingest workers: ``{"alive": {receiver: ts},
        "offline": [receiver]}``. A message that is not that, or a time stamp that is not
        a number or lies beyond the tolerance ahead (it would keep a receiver "working"
        for ever), is refused whole, counted and logged; nothing else changes."""
        now = self.tracker.clock()
        ahead = now + self.tracker.config.future_tolerance_s
        try:
            data = json.loads(payload)
            alive = {str(k): v for k, v in dict(data.get("alive", {})).items()}
            offline = [str(r) for r in data.get("offline", [])]
            if not all(type(v) in (int, float) and math.isfinite(v) and v <= ahead for v in alive.values()):
                raise ValueError("a time stamp is not a number of seconds, or lies in the future")
        except (ValueError, TypeError, AttributeError) as exc:
            self.tracker.reject("receivers", f"{self._receivers_topic}: {exc}", now)
            return
        estimator = self.tracker.estimator
        for receiver, ts in alive.items():
            estimator.receiver_alive(receiver, ts)
        for receiver in offline:
            estimator.receiver_offline(receiver)
