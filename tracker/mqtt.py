"""The tracker on an MQTT broker (paho-mqtt 2).

- QoS 1 subscriptions to the three reading formats, in a persistent session
  (fixed client id, ``clean_session=False``): messages published while the
  tracker restarts wait at the broker.
- Reconnection with back-off (1 s to 30 s) and resubscription on every
  connection.
- Callbacks run on paho's network thread: they only put messages in a queue;
  one worker thread does all the work, so the tracker needs no locks.
- Messages are acknowledged (PUBACK) only once handled (``manual_ack``): a
  tracker killed with messages in its queue gets them again from the broker.
- Statuses are published retained, QoS 1, on ``wayfinding/<site>/status/<tag>``.
- To scale out, run several trackers with ``--shared-group``: MQTT 5 shared
  subscriptions (``$share/<group>/...``) on a clustered broker spread the
  receivers among them.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tracker.core import Status, Tracker

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


class MqttTracker:
    def __init__(
        self,
        tracker: Tracker,
        broker: str,
        *,
        client_id: str = "wayfinding-tracker",
        tick_s: float = 0.2,
        shared_group: str | None = None,
    ) -> None:
        self.tracker = tracker
        self.address = BrokerAddress.parse(broker)
        self.tick_s = tick_s
        self.inbox: queue.Queue[tuple[str, bytes, int, int]] = queue.Queue()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        topics = reading_topics(tracker.config.site)
        if shared_group:
            topics = [f"$share/{shared_group}/{t}" for t in topics]
        self.topics = topics
        protocol = mqtt.MQTTv5 if shared_group else mqtt.MQTTv311
        kwargs: dict[str, object] = {"client_id": client_id, "protocol": protocol, "manual_ack": True}
        if protocol == mqtt.MQTTv311:
            kwargs["clean_session"] = False
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, **kwargs)  # type: ignore[arg-type]
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(100_000)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.published = 0
        self.stats_every_s = 2.0
        #: Seconds from the reading that changed a stage (its own time stamp) to the
        #: status leaving for the broker, for the last stage changes.
        self.latencies: deque[float] = deque(maxlen=1000)

    # Callbacks: network thread, hand over only.
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

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        self.inbox.put((msg.topic, bytes(msg.payload), msg.mid, msg.qos))

    def publish_stats(self) -> None:
        """Counters for the hospital IT team, retained on ``wayfinding/<site>/tracker/stats``."""
        stats = {
            **self.tracker.snapshot(),
            "backlog": self.inbox.qsize(),
            "ts": time.time(),
            "statuses_published": self.published,
            "status_latency_s": _percentiles(self.latencies),
        }
        self.client.publish(
            f"wayfinding/{self.tracker.config.site}/tracker/stats", json.dumps(stats), qos=1, retain=True
        )

    def _take(self, topic: str, payload: bytes, mid: int = 0, qos: int = 0) -> None:
        if topic == "$reload":  # links changed in the store (linking desk, discharge)
            self.tracker.reload_links()
            return
        self.tracker.handle(topic, payload)
        if qos > 0:
            self.client.ack(mid, qos)

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
        next_tick = time.monotonic()
        next_stats = next_tick + self.stats_every_s
        try:
            while not stop.is_set():
                timeout = max(0.0, next_tick - time.monotonic())
                try:
                    self._take(*self.inbox.get(timeout=timeout))
                    # Drain what is there before the next tick.
                    for _ in range(5000):
                        self._take(*self.inbox.get_nowait())
                except queue.Empty:
                    pass
                if time.monotonic() >= next_tick:
                    self._publish(self.tracker.tick())
                    next_tick = time.monotonic() + self.tick_s
                elif self.tracker.outbox:  # a stage changed: out now, not at the next tick
                    self._publish(self.tracker.statuses())
                if time.monotonic() >= next_stats:
                    self.publish_stats()
                    next_stats = time.monotonic() + self.stats_every_s
        finally:
            self.tracker.flush()
            self.client.loop_stop()
            self.client.disconnect()
