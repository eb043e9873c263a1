"""Partitioned tracking: every reading of a wristband reaches exactly one estimator worker.

The wristbands of a site are split into a fixed number of partitions by a stable hash of
their canonical id (:func:`partition_of`; CRC-32, the same in every process and release).
Ingest workers republish each reading on its partition's topic
(:func:`partition_topic`); each partition is owned by one estimator worker at a time,
through a lease in the database (:class:`Leases`):

- a worker renews its leases every third of the lease time; a worker that stops
  renewing (killed, frozen, cut off) loses them when they expire, and the others take
  them over;
- the workers alive share the partitions evenly (a worker holding more than its share
  while another holds less than its share less one gives some back: released only
  after its consumer has stopped and its work is written);
- every change of owner increments the lease's generation; renewing or releasing is a
  compare-and-set on it, so a worker that was frozen past its lease cannot take it back.

A partition's messages wait at the broker in the partition's own MQTT session (client
id :func:`partition_client_id`, persistent): whoever owns the partition resumes that
session and gets what the previous owner had not acknowledged. See docs/tracking.md,
"Partitioned tracking".
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Update, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from database import schema
from tracker.store import LeaseRow, WorkerRow

log = logging.getLogger("wayfinding.tracker.partitions")

#: Partitions of a site's wristbands by default: 12 shares evenly among 1, 2, 3, 4 or 6
#: workers. Every process of a site must use the same number.
PARTITIONS = 12
#: Seconds a lease lasts without renewal: a dead worker's partitions move after this.
LEASE_S = 10.0


def partition_of(tag: str, partitions: int) -> int:
    """The partition of a wristband (its canonical id): stable across processes."""
    return zlib.crc32(tag.encode()) % partitions


def partition_topic(site: str, partition: int | str) -> str:
    return f"wayfinding/{site}/tags/{partition}/readings"


def receivers_topic(site: str) -> str:
    """Where ingest workers say which receivers work (heard something, or said so)."""
    return f"wayfinding/{site}/ingest/receivers"


def partition_client_id(site: str, partition: int) -> str:
    """The MQTT client id (and so the persistent session) of a partition's consumer."""
    return f"wayfinding-{site}-p{partition}"


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class LeaseChange:
    """What :meth:`Leases.refresh` did: partitions taken, lost (another took them: stop at
    once), and to give back (stop the consumer, then :meth:`Leases.release`)."""

    taken: frozenset[int]
    lost: frozenset[int]
    give_back: frozenset[int]


class Leases:
    """One worker's leases on a site's partitions (thread-safe: each call is one transaction)."""

    def __init__(
        self,
        engine: Engine,
        site: str,
        worker: str,
        *,
        partitions: int = PARTITIONS,
        lease_s: float = LEASE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if partitions < 1:
            raise ValueError("partitions must be at least 1")
        schema.require_current(engine)
        self.site, self.worker, self.partitions = site, worker, partitions
        self.lease_s = lease_s
        self.clock = clock
        self._session = sessionmaker(engine, expire_on_commit=False)
        #: partition -> generation of the lease this worker holds.
        self.held: dict[int, int] = {}
        self._create_rows()

    def _create_rows(self) -> None:
        with self._session() as s:
            present = set(s.scalars(select(LeaseRow.part).where(LeaseRow.site == self.site)))
        for part in range(self.partitions):
            if part in present:
                continue
            try:
                with self._session.begin() as s:
                    s.add(LeaseRow(site=self.site, part=part, owner=None, expires=0.0, generation=0))
            except IntegrityError:
                pass  # another worker made it at the same moment

    def _mine(self, part: int, generation: int) -> Update:
        """An update of a lease this worker holds, if it still does (compare and set)."""
        return update(LeaseRow).where(
            LeaseRow.site == self.site,
            LeaseRow.part == part,
            LeaseRow.owner == self.worker,
            LeaseRow.generation == generation,
        )

    def refresh(self) -> LeaseChange:
        """Say this worker is alive, renew its leases, take free or expired partitions up
        to its share, and name those to give back to a worker short of its share."""
        now = self.clock()
        lost: set[int] = set()
        taken: set[int] = set()
        with self._session.begin() as s:
            beat = s.execute(
                update(WorkerRow)
                .where(WorkerRow.site == self.site, WorkerRow.worker == self.worker)
                .values(seen=now)
            )
            if getattr(beat, "rowcount", 1) == 0:
                s.add(WorkerRow(site=self.site, worker=self.worker, seen=now))
            alive = set(
                s.scalars(
                    select(WorkerRow.worker).where(
                        WorkerRow.site == self.site, WorkerRow.seen > now - self.lease_s
                    )
                )
            ) | {self.worker}
            for part, generation in list(self.held.items()):
                done = s.execute(self._mine(part, generation).values(expires=now + self.lease_s))
                if getattr(done, "rowcount", 1) != 1:
                    lost.add(part)
                    del self.held[part]
            rows = s.execute(  # plain rows: the updates below must not change what was read
                select(LeaseRow.part, LeaseRow.owner, LeaseRow.expires, LeaseRow.generation).where(
                    LeaseRow.site == self.site, LeaseRow.part < self.partitions
                )
            ).all()
            share = math.ceil(self.partitions / len(alive))
            counts = {w: 0 for w in alive}
            for r in rows:
                if r.owner in counts and r.expires > now:
                    counts[r.owner] += 1
            for r in sorted(rows, key=lambda r: r.part):
                if len(self.held) >= share:
                    break
                if r.part in self.held or (r.owner is not None and r.expires > now):
                    continue
                done = s.execute(
                    update(LeaseRow)
                    .where(
                        LeaseRow.site == self.site,
                        LeaseRow.part == r.part,
                        LeaseRow.generation == r.generation,
                    )
                    .values(owner=self.worker, expires=now + self.lease_s, generation=r.generation + 1)
                )
                if getattr(done, "rowcount", 1) == 1:
                    self.held[r.part] = r.generation + 1
                    taken.add(r.part)
            # More than the share: give back the excess. At the share while another worker
            # is short by two or more (12 over 3 workers: 6, 6, 0 after a start): give one.
            short = any(n < share - 1 for w, n in counts.items() if w != self.worker)
            held = len(self.held)
            extra = held - share if held > share else int(short and held == share)
            give_back = set(sorted(self.held, reverse=True)[:extra])
        if taken or lost:
            log.info(
                "worker %s: partitions taken %s, lost %s; now %s",
                self.worker,
                sorted(taken),
                sorted(lost),
                sorted(self.held),
            )
        return LeaseChange(frozenset(taken), frozenset(lost), frozenset(give_back))

    def release(self, parts: set[int] | frozenset[int]) -> None:
        """Give partitions back (their consumer has stopped and its work is written)."""
        with self._session.begin() as s:
            for part in parts:
                generation = self.held.pop(part, None)
                if generation is None:
                    continue
                s.execute(
                    self._mine(part, generation).values(owner=None, expires=0.0, generation=generation + 1)
                )
        if parts:
            log.info("worker %s: gave back partitions %s", self.worker, sorted(parts))

    def release_all(self) -> None:
        """At a clean stop: give every partition back at once (no wait for the lease)."""
        self.release(set(self.held))
        with self._session.begin() as s:
            s.execute(
                update(WorkerRow)
                .where(WorkerRow.site == self.site, WorkerRow.worker == self.worker)
                .values(seen=0.0)
            )

    def owners(self) -> dict[int, str | None]:
        """Who holds each partition now (None: free or expired)."""
        now = self.clock()
        with self._session() as s:
            rows = s.scalars(select(LeaseRow).where(LeaseRow.site == self.site)).all()
            return {r.part: (r.owner if r.expires > now else None) for r in rows}
