"""Ingest workers: the receivers' messages, checked, split by wristband partition.

``wayfinding ingest`` subscribes to the receivers' topics in the three formats (and their
signs of life), through an MQTT 5 shared subscription when several run (``--group``: the
broker hands each message to one of them), in a persistent session. Each message is
parsed and checked (a bad one is counted by reason and logged, never fatal); its
readings get a time stamp when the receiver sent none (the time it arrived), and are
republished, QoS 1, on their wristband's partition topic
(``wayfinding/<site>/tags/<partition>/readings``, :func:`beacons.payloads.batch_payload`):
one message per partition per batch. A message from a receiver is acknowledged only once
the broker has every reading republished from it: an ingest worker killed at any point
loses nothing (what it had not acknowledged is delivered again).

Which receivers work (heard anything, or said so) goes to every estimator worker once a
second on ``wayfinding/<site>/ingest/receivers``; a receiver's last will at once.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from beacons.payloads import PayloadError, Reading, batch_payload, parse_heartbeat, parse_message
from tracker.mqtt import BrokerAddress, Subscriber, reading_topics
from tracker.partitions import PARTITIONS, partition_of, partition_topic, receivers_topic

log = logging.getLogger("wayfinding.ingest")

#: How long a persistent ingest session lasts at the broker without its worker (s).
SESSION_EXPIRY_S = 24 * 3600


@dataclass
class IngestStats:
    messages: int = 0
    readings: int = 0
    batches: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


class IngestWorker(Subscriber):
    def __init__(
        self,
        broker: str,
        *,
        site: str,
        partitions: int = PARTITIONS,
        client_id: str = "wayfinding-ingest",
        group: str | None = None,
        batch: int = 2000,
    ) -> None:
        self.site = site
        self.partitions = partitions
        self.address = BrokerAddress.parse(broker)
        self.client_id = client_id
        self.batch = batch
        topics = reading_topics(site)
        self.topics = [f"$share/{group}/{t}" for t in topics] if group else topics
        self.inbox: queue.Queue[tuple[str, bytes, int, int]] = queue.Queue()
        self.stats = IngestStats()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._alive: dict[str, float] = {}
        self._offline: list[str] = []
        self._logged: set[str] = set()
        if group:  # shared subscriptions are MQTT 5: the session is kept by an expiry
            self.client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
            )
        else:
            self.client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=client_id,
                protocol=mqtt.MQTTv311,
                clean_session=False,
                manual_ack=True,
            )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(100_000)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # Callbacks: network thread, hand over only.
    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        self.inbox.put((msg.topic, bytes(msg.payload), msg.mid, msg.qos))

    # Worker.
    def _reject(self, exc: PayloadError) -> None:
        self.stats.rejected[exc.reason] += 1
        if exc.reason not in self._logged or self.stats.rejected[exc.reason] % 1000 == 0:
            self._logged.add(exc.reason)
            log.warning(
                "rejected message (%s, %d so far): %s", exc.reason, self.stats.rejected[exc.reason], exc
            )

    def _split(self, topic: str, payload: bytes, now: float, parts: dict[int, list[Reading]]) -> None:
        try:
            beat = parse_heartbeat(topic, payload)
            if beat is not None:
                if beat.online:
                    self._alive[beat.receiver] = now
                else:
                    self._offline.append(beat.receiver)
                    self._alive.pop(beat.receiver, None)
                return
            readings = parse_message(topic, payload)
        except PayloadError as exc:
            self._reject(exc)
            return
        for r in readings:
            ts = r.ts if r.ts is not None else now
            if r.ts is None:
                r = Reading(r.tag, r.receiver, r.rssi, ts, r.tx_power, r.battery_mv)
            self._alive[r.receiver] = now  # heard now (a receiver's clock may be off)
            parts.setdefault(partition_of(r.tag, self.partitions), []).append(r)
        self.stats.readings += len(readings)

    def _forward(self, items: list[tuple[str, bytes, int, int]]) -> None:
        """Republish a batch by partition; acknowledge it once the broker has it all."""
        now = time.time()
        parts: dict[int, list[Reading]] = {}
        for topic, payload, _mid, _qos in items:
            self._split(topic, payload, now, parts)
        sent = [
            self.client.publish(partition_topic(self.site, p), batch_payload(rs), qos=1)
            for p, rs in parts.items()
        ]
        if self._offline:
            self._say_receivers()
        for info in sent:
            try:
                info.wait_for_publish(timeout=30)  # PUBACK from the broker
            except (RuntimeError, ValueError) as exc:  # not queued: the client's queue is full
                log.warning("a republished batch was not taken by the client: %s", exc)
                break
        if all(info.is_published() for info in sent):
            for _topic, _payload, mid, qos in items:
                if qos > 0:
                    self.client.ack(mid, qos)
        else:  # the broker went away: paho sends them again; the receivers' messages too
            log.warning("republished readings not confirmed; their messages stay unacknowledged")
        self.stats.messages += len(items)
        self.stats.batches += 1

    def _say_receivers(self) -> None:
        message = {"alive": self._alive, "offline": self._offline}
        self.client.publish(receivers_topic(self.site), json.dumps(message), qos=0)
        self._alive, self._offline = {}, []

    def publish_stats(self) -> None:
        stats = {
            "messages": self.stats.messages,
            "readings": self.stats.readings,
            "batches": self.stats.batches,
            "rejected": dict(self.stats.rejected),
            "backlog": self.inbox.qsize(),
            "ts": time.time(),
        }
        self.client.publish(
            f"wayfinding/{self.site}/ingest/stats/{self.client_id}", json.dumps(stats), qos=1, retain=True
        )

    def run(self, stop: threading.Event) -> None:
        properties = None
        if self.client.protocol == mqtt.MQTTv5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY_S
        kwargs: dict[str, object] = {"keepalive": 30, "properties": properties}
        if self.client.protocol == mqtt.MQTTv5:
            kwargs["clean_start"] = False
        self.client.connect_async(self.address.host, self.address.port, **kwargs)  # type: ignore[arg-type]
        self.client.loop_start()
        next_receivers = next_stats = time.monotonic()
        try:
            while not stop.is_set():
                items: list[tuple[str, bytes, int, int]] = []
                try:
                    items.append(self.inbox.get(timeout=0.2))
                    while len(items) < self.batch:
                        items.append(self.inbox.get_nowait())
                except queue.Empty:
                    pass
                if items:
                    self._forward(items)
                if time.monotonic() >= next_receivers:
                    if self._alive or self._offline:
                        self._say_receivers()
                    next_receivers = time.monotonic() + 1.0
                if time.monotonic() >= next_stats:
                    self.publish_stats()
                    next_stats = time.monotonic() + 2.0
        finally:
            self.client.loop_stop()
            self.client.disconnect()
