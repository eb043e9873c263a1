"""A local Mosquitto for the demo, the tests and the benchmarks.

In service the hospital runs its own broker (Mosquitto on one box, a
clustered EMQX or HiveMQ beyond); this starts one on a free loopback port,
with persistence when asked, so that the tracker's session survives a
broker restart.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


class BrokerUnavailable(RuntimeError):  # noqa: N818 - reads as what happened
    """Mosquitto is not installed or did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalBroker:
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
