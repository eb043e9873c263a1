"""A local MQTT broker for the demo, the tests and the benchmarks: Mosquitto, or an
embedded Python broker (amqtt) when Mosquitto is not installed.

In service the hospital runs its own broker (Mosquitto on one box, a
clustered EMQX or HiveMQ beyond); this starts one on a free loopback port,
with persistence when asked, so that the tracker's session survives a
broker restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any


class BrokerUnavailable(RuntimeError):  # noqa: N818 - reads as what happened
    """Mosquitto is not installed or did not start."""


def free_port() -> int:
    """A free loopback port for a server about to start, chosen below the kernel's range of
    ephemeral ports: a port from that range can be given to some outgoing connection between
    this check and the server's own bind (seen in the tests: a web replica failing with
    "address already in use" while thousands of connections were being made)."""
    low = 32768
    with contextlib.suppress(OSError, ValueError, IndexError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    pick = random.SystemRandom()
    for _ in range(100):
        port = pick.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalBroker:
    name = "Mosquitto"

    def __init__(self, folder: Path, *, persistence: bool = False, port: int | None = None) -> None:
        if shutil.which("mosquitto") is None:
            raise BrokerUnavailable("mosquitto is not installed: apt-get install mosquitto")
        self.folder = folder
        self.port = port or free_port()
        self.conf = folder / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "max_inflight_messages 1000",
            "max_queued_messages 1000000",
        ]
        if persistence:
            lines += ["persistence true", f"persistence_location {folder}/", "autosave_interval 1"]
            if os.geteuid() == 0:
                # As root, Mosquitto drops to user 'mosquitto', who cannot write in a
                # root-owned temporary folder: the database would silently not be saved.
                lines.append("user root")
        self.conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def database(self) -> Path:
        """Where a persistent broker saves its sessions and queued messages."""
        return self.folder / "mosquitto.db"

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> LocalBroker:
        self.process = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerUnavailable(f"mosquitto did not listen on port {self.port} within {timeout:g} s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class EmbeddedBroker:
    """An MQTT broker in this process (amqtt, MQTT 3.1.1 only), for a demo on a machine
    without Mosquitto. Fine for a demo (a few thousand messages a second), not for a
    hospital: it keeps nothing across restarts."""

    name = "amqtt (embedded Python broker)"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> EmbeddedBroker:
        try:
            from amqtt.broker import Broker
        except ImportError:
            raise BrokerUnavailable(
                "neither Mosquitto nor amqtt is installed: apt-get install mosquitto, "
                'or pip install "hospital-wayfinding[broker]"'
            ) from None
        logging.getLogger("amqtt").setLevel(logging.ERROR)  # it warns about every default it uses
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            # Plugins named: no $SYS statistics, no entry-point discovery.
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        ready = threading.Event()
        failed: list[BaseException] = []
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)

            async def boot() -> None:
                self._broker = Broker(config)  # inside the running loop, as amqtt needs
                await self._broker.start()

            try:
                loop.run_until_complete(boot())
            except BaseException as exc:  # reported to start()
                failed.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="embedded-mqtt-broker", daemon=True)
        self._thread.start()
        ready.wait(timeout)
        if failed or not ready.is_set():
            raise BrokerUnavailable(
                f"the embedded broker did not start: {failed[0] if failed else 'timeout'}"
            )
        return self

    def stop(self) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None or not loop.is_running():
            return
        asyncio.run_coroutine_threadsafe(broker.shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)


def start_broker(folder: Path) -> LocalBroker | EmbeddedBroker:
    """Mosquitto when it is installed, else the embedded broker: what the demo runs on."""
    try:
        return LocalBroker(folder).start()
    except BrokerUnavailable:
        return EmbeddedBroker().start()
