"""Login attempts counted in the database, so that every replica holds the same limit.

Each attempt takes a slot *before* the password is checked, in one atomic statement: of
many guesses sent at once, to one replica or to several, at most the limit get through to
the check; a right password gives its slot back (only wrong ones count). Counts are kept per
fixed window (a minute for ``10/minute``) and read as a sliding one: the previous window's
count weighs as much as the part of it still within the last minute, so that guesses sent
across a window's edge are held to the limit too.

Keys, for ``/staff/login`` (api/routes/staff.py):

- the account and the address together (``WAYFINDING_LOGIN_RATE``, 10 a minute): a guesser
  at one address is held there without locking the account for the ward's other desks;
- the address alone (``WAYFINDING_LOGIN_ADDRESS_RATE``, 100 a minute: a ward's desks often
  share one address);
- the account from every address (five times the login rate): guesses spread over many
  addresses are held too, the slower path by which the account can still be locked, briefly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import parse
from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from database import Base, schema


class AttemptRow(Base):
    __tablename__ = "rate_window"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: The window's start, seconds since the epoch.
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True, slots=True)
class Rate:
    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        item = parse(text)  # ValueError for what the settings' validator already refuses
        return cls(item.amount, item.get_expiry())

    def times(self, n: int) -> Rate:
        return Rate(self.amount * n, self.seconds)


@dataclass(frozen=True, slots=True)
class Taken:
    """Slots taken by :meth:`SharedLimits.take`: give them back with :meth:`SharedLimits.give_back`."""

    slots: tuple[tuple[str, str, int], ...]


class Refused(Exception):  # noqa: N818 - reads as what happened
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts: wait {retry_after} s")
        self.retry_after = retry_after


class SharedLimits:
    """Fixed-window counters in the database, taken atomically (thread- and process-safe)."""

    def __init__(self, engine: Engine, rates: dict[str, str | Rate]) -> None:
        schema.require_current(engine)
        self.engine = engine
        self.rates = {name: r if isinstance(r, Rate) else Rate.parse(r) for name, r in rates.items()}
        self._session = sessionmaker(engine)
        self._purged = 0.0

    def take(self, *wanted: tuple[str, str], now: float | None = None) -> Taken:
        """One slot of each (name, key), all or none: :class:`Refused` (with the seconds to
        wait) when any is full."""
        now = time.time() if now is None else now
        taken: list[tuple[str, str, int]] = []
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        with self._session.begin() as s:
            for name, key in wanted:
                rate = self.rates[name]
                window = int(now // rate.seconds * rate.seconds)
                row = {"name": name, "key": key[:200], "window": window, "count": 0}
                s.execute(insert(AttemptRow).values(row).on_conflict_do_nothing())
                before = s.scalar(
                    select(AttemptRow.count).where(
                        AttemptRow.name == name,
                        AttemptRow.key == key[:200],
                        AttemptRow.window == window - rate.seconds,
                    )
                )
                still = 1 - (now - window) / rate.seconds  # the share of that window still in view
                budget = rate.amount - math.floor((before or 0) * still)
                done = s.execute(
                    update(AttemptRow)
                    .where(
                        AttemptRow.name == name,
                        AttemptRow.key == key[:200],
                        AttemptRow.window == window,
                        AttemptRow.count < budget,
                    )
                    .values(count=AttemptRow.count + 1)
                )
                if done.rowcount != 1:  # type: ignore[attr-defined]
                    # Leaving the transaction by an exception rolls it back: the slots taken
                    # before this one are given back with it.
                    raise Refused(max(1, math.ceil(window + rate.seconds - now)))
                taken.append((name, key[:200], window))
        self._purge(now)
        return Taken(tuple(taken))

    def give_back(self, taken: Taken) -> None:
        """A right password: its attempt does not count."""
        with self._session.begin() as s:
            for name, key, window in taken.slots:
                s.execute(
                    update(AttemptRow)
                    .where(
                        AttemptRow.name == name,
                        AttemptRow.key == key,
                        AttemptRow.window == window,
                        AttemptRow.count > 0,
                    )
                    .values(count=AttemptRow.count - 1)
                )

    def _purge(self, now: float) -> None:
        """Windows over a day old, once a minute at most."""
        if now - self._purged < 60:
            return
        self._purged = now
        with self._session.begin() as s:
            s.execute(delete(AttemptRow).where(AttemptRow.window < now - 86400))
