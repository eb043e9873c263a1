"""Patients' stages, live, for the companion pages, the waiting-room board and the care desk.

:class:`StatusHub` keeps, for every wristband being followed, what the pages
show: the stage, since when, whether the signal is lost. Two sources:

- the tracker's retained statuses on MQTT (``wayfinding/<site>/status/+``,
  QoS 1; paho-mqtt on its own thread, reconnecting by itself): a stage change
  reaches the open pages within a fraction of a second;
- the database, read every ``refresh_s``: links made or ended (by this
  replica, another one or the command line), and the stage the tracker wrote,
  so that pages stay right while the broker is away.

Pages wait on a :class:`Watch`: an event set when anything they show may have
changed (bursts coalesce: a page that is behind skips to the latest state).
Each replica has its own hub; replicas share nothing but the database and the
broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tracker.mqtt import BrokerAddress
from tracker.store import Link, TrackerStore

log = logging.getLogger("wayfinding.live")
T = TypeVar("T")


@dataclass(slots=True, frozen=True)
class LinkView:
    """What a companion page shows of one patient (never a place)."""

    link_id: int
    pathway_id: str
    stage_id: str | None
    since: datetime | None
    signal: Literal["ok", "lost"]
    #: "paused": the broker cannot be reached; "ended": discharged or expired.
    state: Literal["live", "paused", "ended"]


@dataclass(eq=False)
class Watch:
    """One open page: woken when its link (or its pathway) may have changed."""

    link_id: int | None = None
    pathway_id: str | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, timeout: float) -> None:
        """Until something changed (or *timeout* seconds: times shown move on)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), timeout)
        self.changed.clear()


class StatusHub:
    def __init__(
        self,
        store: TrackerStore,
        *,
        site: str = "demo",
        broker: str | None = None,
        refresh_s: float = 2.0,
    ) -> None:
        self.store = store
        self.site = site
        self.broker = BrokerAddress.parse(broker) if broker else None
        self.refresh_s = refresh_s
        self.links: dict[int, Link] = {}
        self.statuses: dict[int, dict[str, Any]] = {}  # link id -> latest MQTT status
        self.connected = False
        self.links_loaded = False
        self.last_status_at: float | None = None
        self._ended: set[int] = set()  # ended while this replica was watching
        self.counters: Counter[str] = Counter()
        self._watches: set[Watch] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: mqtt.Client | None = None
        self._poller: asyncio.Task[None] | None = None
        self._refreshing = asyncio.Lock()  # one read at a time: an older read never lands last

    # -- life cycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.refresh()
        self._poller = asyncio.create_task(self._poll(), name="wayfinding-status-poll")
        if self.broker is not None:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=f"wayfinding-web-{secrets.token_hex(4)}",
                clean_session=True,
            )
            client.reconnect_delay_set(min_delay=1, max_delay=30)
            client.on_connect = self._on_connect
            client.on_disconnect = self._on_disconnect
            client.on_message = self._on_message
            client.connect_async(self.broker.host, self.broker.port, keepalive=30)
            client.loop_start()
            self._client = client

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        for w in self._watches:
            w.changed.set()

    @property
    def paused(self) -> bool:
        """Live updates are configured but the broker cannot be reached."""
        return self.broker is not None and not self.connected

    # -- pages ------------------------------------------------------------------------------------

    def watch(self, *, link_id: int | None = None, pathway_id: str | None = None) -> Watch:
        w = Watch(link_id, pathway_id)
        self._watches.add(w)
        self.counters["watches_opened"] += 1
        return w

    def unwatch(self, w: Watch) -> None:
        self._watches.discard(w)

    async def follow(
        self,
        render: Callable[[], Awaitable[tuple[T, bool]]],
        *,
        link_id: int | None = None,
        pathway_id: str | None = None,
        every_s: float = 30.0,
    ) -> AsyncIterator[T]:
        """What an open page receives: *render*'s item now, then again each time its patient
        (or pathway) may have changed, and every *every_s* (times shown move on); until
        *render* says it was the last one. The page stops being watched when it goes away."""
        watch = self.watch(link_id=link_id, pathway_id=pathway_id)
        try:
            while True:
                item, last = await render()
                yield item
                if last:
                    return
                await watch.wait(every_s)
        finally:
            self.unwatch(watch)

    @property
    def open_pages(self) -> int:
        return len(self._watches)

    def view(self, link: Link, now: datetime | None = None) -> LinkView:
        """The patient's state: the store's, or a newer one from MQTT."""
        now = now or datetime.now(UTC)
        base = self.links.get(link.id, link)  # the last read, or the caller's (newer) one
        stage, since = base.stage_id, base.stage_since
        signal: Literal["ok", "lost"] = "ok"
        status = self.statuses.get(link.id)
        if status is not None:
            mqtt_since = _parse_time(status.get("since"))
            if since is None or (mqtt_since is not None and mqtt_since >= since):
                stage, since = status.get("stage"), mqtt_since
            signal = "lost" if status.get("signal") == "lost" else "ok"
        ended = link.id in self._ended or not (link.companion_open(now) and base.companion_open(now))
        state: Literal["live", "paused", "ended"] = "ended" if ended else "paused" if self.paused else "live"
        return LinkView(link.id, base.pathway_id, stage, since, signal, state)

    def pathway_links(self, pathway_id: str) -> list[Link]:
        return sorted(
            (lk for lk in self.links.values() if lk.pathway_id == pathway_id), key=lambda lk: lk.created_at
        )

    # -- database -----------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Read the active links; wake the pages whose patient changed."""
        async with self._refreshing:
            await self._refresh()

    async def _refresh(self) -> None:
        try:
            active = await asyncio.to_thread(self.store.active_links)
        except Exception as exc:  # the database is away: keep what we have
            self.counters["db_errors"] += 1
            log.warning("cannot read the wristband links: %s", exc)
            return
        fresh = {lk.id: lk for lk in active}
        # A page open on a link this replica never saw active (made and ended between two
        # reads, or ended before this replica started): asked directly, so it ends too.
        unseen = {w.link_id for w in self._watches if w.link_id is not None} - set(fresh) - set(self.links)
        if unseen:
            try:
                closed = await asyncio.to_thread(self.store.links, sorted(unseen))
            except Exception as exc:
                self.counters["db_errors"] += 1
                log.warning("cannot read the wristband links: %s", exc)
                closed = []
            ended_now = {lk.id for lk in closed if not lk.active}
            if ended_now:
                self._ended |= ended_now
                self._wake(ended_now, set())
        old = self.links
        changed: set[int] = set()
        for lid, lk in fresh.items():
            before = old.get(lid)
            if before is None or (before.stage_id, before.stage_since, before.battery_mv) != (
                lk.stage_id,
                lk.stage_since,
                lk.battery_mv,
            ):
                changed.add(lid)
        gone = set(old) - set(fresh)
        self.links = fresh
        if self.links_loaded:
            self._ended = (self._ended | gone) - set(fresh)
        else:
            self._ended = set()
        self.links_loaded = True
        for lid in gone:
            self.statuses.pop(lid, None)
        if changed or gone:
            pathways = {old[i].pathway_id for i in gone} | {fresh[i].pathway_id for i in changed}
            self._wake(changed | gone, pathways)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            await self.refresh()

    def _wake(self, link_ids: set[int], pathways: set[str]) -> None:
        for w in self._watches:
            if w.link_id in link_ids or w.pathway_id in pathways:
                w.changed.set()

    def _wake_all(self) -> None:
        for w in self._watches:
            w.changed.set()

    def link_changed(self, link_id: int) -> None:
        """This replica linked or discharged a wristband: read the store now."""
        if self._loop is not None:
            self._loop.create_task(self.refresh())

    # -- MQTT (paho's thread: hand over to the event loop) -------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, reason: Any, _p: object = None
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("the broker refused the status subscription: %s", reason)
            return
        client.subscribe(f"wayfinding/{self.site}/status/+", qos=1)
        log.info("following patient statuses on %s:%d", self.broker.host, self.broker.port)  # type: ignore[union-attr]
        self._call(self._set_connected, True)

    def _on_disconnect(self, *_args: object) -> None:
        self._call(self._set_connected, False)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        self._call(self._take, msg.topic, bytes(msg.payload), time.time())

    def _call(self, fn: Any, *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed between check and call
                loop.call_soon_threadsafe(fn, *args)

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.counters["connects" if connected else "disconnects"] += 1
            if not connected:
                log.warning("lost the broker: pages show that updates are paused")
            self._wake_all()

    def _take(self, topic: str, payload: bytes, received: float) -> None:
        """One status from the tracker. Anything malformed is counted and dropped."""
        if not payload:
            return  # a retained status cleared
        try:
            status = json.loads(payload)
            if not isinstance(status, dict):
                raise ValueError("not an object")
            tag = status.get("tag")
            link_id = status.get("link")
            if not isinstance(link_id, int) or isinstance(link_id, bool):
                link_id = next((lk.id for lk in self.links.values() if lk.tag == tag), None)
            stage = status.get("stage")
            if stage is not None and not isinstance(stage, str):
                raise ValueError("stage is not a string")
            if status.get("since") is not None and _parse_time(status["since"]) is None:
                raise ValueError("since is not a time")
        except ValueError as exc:
            self.counters["bad_status"] += 1
            if self.counters["bad_status"] in (1, 10, 100, 1000):
                log.warning("ignored a status on %s: %s", topic, exc)
            return
        newest = max(self.links, default=0)
        if link_id is None or link_id in self._ended or (link_id not in self.links and link_id <= newest):
            # An old retained status (a patient discharged long ago), or not one of ours. A link
            # newer than any read yet is taken: it was made since the last read of the store.
            self.counters["status_other"] += 1
            return
        self.counters["statuses"] += 1
        self.statuses[link_id] = status
        self.last_status_at = received
        lk = self.links.get(link_id)
        self._wake({link_id}, {lk.pathway_id} if lk else set())


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
