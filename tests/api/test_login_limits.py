"""Issue 27, at the door: wrong passwords are counted before the check, in the database, so
that guesses sent at once, to two replicas, with made-up X-Forwarded-For headers, are held to
the limit; a right password does not count; the window slides."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from core.accounts import AccountStore
from core.attempts import Rate, Refused, SharedLimits
from database import AuditLog, connect
from tests.api.conftest import LiveServer, published_demo
from tests.api.test_staff import csrf_of


def test_slots_are_taken_atomically_by_two_replicas_and_the_window_slides(db_url: str) -> None:
    replicas = [
        SharedLimits(connect(db_url), {"pair": "10/minute", "address": "100/minute"}) for _ in range(2)
    ]
    now = 1_000_020.0  # 20 s into a minute
    outcomes: list[bool] = []
    lock = threading.Lock()

    def guess(i: int) -> None:
        try:
            replicas[i % 2].take(("pair", "victim|10.0.0.9"), ("address", "10.0.0.9"), now=now)
            ok = True
        except Refused:
            ok = False
        with lock:
            outcomes.append(ok)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(guess, range(30)))
    assert outcomes.count(True) == 10, "two replicas, eight threads: ten get through"
    # A refusal takes nothing: the address's own count is the ten that got through, not 30.
    replicas[0].rates["address"] = Rate(11, 60)
    replicas[0].take(("address", "10.0.0.9"), now=now)
    with pytest.raises(Refused):
        replicas[0].take(("address", "10.0.0.9"), now=now)
    # Across the minute's edge the ten still weigh: refused 1 s later, with a wait to say.
    with pytest.raises(Refused) as later:
        replicas[1].take(("pair", "victim|10.0.0.9"), now=now + 41)
    assert 1 <= later.value.retry_after <= 60
    # Near the end of the next minute the old ones have slid out.
    replicas[1].take(("pair", "victim|10.0.0.9"), now=now + 99)
    # Another desk (another address) on the same account is not held by the guesser.
    replicas[0].take(("pair", "victim|10.0.0.10"), now=now)
    # A right password gives its slot back.
    taken = replicas[0].take(("pair", "nurse|10.0.0.11"), now=now)
    replicas[0].give_back(taken)
    for _ in range(10):
        replicas[0].take(("pair", "nurse|10.0.0.11"), now=now)


def test_parallel_guesses_across_two_replicas_with_made_up_addresses_are_held(tmp_path: Path) -> None:
    """Two `wayfinding serve` on one database, 5 wrong passwords a minute allowed: 24 guesses
    sent at once, half to each, each claiming another address in X-Forwarded-For (no proxy
    is trusted), get 5 answers "wrong password" and 19 "wait"."""
    db = tmp_path / "w.db"
    url = published_demo(db)
    AccountStore(url).add("victim", ["care"], "victim-password-1", actor="test")
    env = {"WAYFINDING_LOGIN_RATE": "5/minute"}
    servers = [LiveServer(db, env=env) for _ in range(2)]
    try:
        clients = [httpx.Client(base_url=s.url, timeout=30) for s in servers]
        tokens = [csrf_of(c.get("/staff/login").text) for c in clients]

        def guess(i: int) -> int:
            c = clients[i % 2]
            form = {"name": "victim", "password": f"guess-{i}", "csrf": tokens[i % 2]}
            headers = {"X-Forwarded-For": f"198.51.100.{i}"}
            return c.post("/staff/login", data=form, headers=headers).status_code

        with ThreadPoolExecutor(12) as pool:
            codes = list(pool.map(guess, range(24)))
        assert sorted(codes) == [401] * 5 + [429] * 19, codes
        failed = [e for e in AuditLog(connect(url)).entries(100) if e["action"] == "login-failed"]
        assert len(failed) == 5, "only the guesses that were checked are written down"
        assert {e["details"]["address"] for e in failed} == {"127.0.0.1"}, (
            "the connection's, not the header's"
        )
    finally:
        for s in servers:
            s.stop()


def test_behind_a_trusted_proxy_the_client_is_the_one_it_names(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    url = published_demo(db)
    server = LiveServer(db, env={"WAYFINDING_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            form = {"name": "nobody", "password": "wrong-guess", "csrf": csrf_of(c.get("/staff/login").text)}
            assert (
                c.post("/staff/login", data=form, headers={"X-Forwarded-For": "203.0.113.7"}).status_code
                == 401
            )
        (failed,) = [e for e in AuditLog(connect(url)).entries(100) if e["action"] == "login-failed"]
        assert failed["details"]["address"] == "203.0.113.7"
    finally:
        server.stop()
