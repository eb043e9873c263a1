"""A throw-away PostgreSQL server for the tests and the scale benchmark, as Mosquitto is
started for them: Debian's ``postgresql`` package (``make test`` installs it), a cluster
made with ``initdb`` in a temporary folder, listening on a free loopback port.

PostgreSQL refuses to run as root: as root (CI), the cluster belongs to the ``postgres``
user the Debian package creates, and its commands run through ``runuser``.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tracker.broker import free_port

#: The role the tests connect as (trust authentication on loopback only).
USER = "wayfinding"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package (make test does)")
    return path


class LocalPostgres:
    def __init__(self, folder: Path | None = None) -> None:
        # Its own folder under /tmp: the postgres user cannot enter pytest's (mode 0700).
        folder = folder or Path(tempfile.mkdtemp(prefix="wayfinding-pg-"))
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(folder, "postgres")

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}")

    def start(self) -> LocalPostgres:
        self._run(_bin("initdb"), "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=300"
        )
        log = self.folder / "log"
        try:  # -w: pg_ctl returns once the server accepts connections
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(log), "-w", "start")
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log.read_text() if log.exists() else ''}") from None
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}{next(self._names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres") as conn:
            conn.autocommit = True
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*self._as, _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.folder, ignore_errors=True)
