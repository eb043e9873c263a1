"""The kiosk's speech worker: the first utterance alone and first, in order, older requests
dropped, and a tap never waits behind more than the one utterance being made."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from kiosk_app.speaker import Speaker
from routing.speech import SpeechUnavailable, synthesize_many, wav_seconds


class SlowEngine:
    """Takes *per_text* seconds an utterance and records what it was asked, batch by batch."""

    def __init__(self, per_text: float) -> None:
        self.per_text = per_text
        self.batches: list[list[str]] = []
        self.lock = threading.Lock()

    def __call__(self, texts: Sequence[str], lang: str) -> list[Path]:
        with self.lock:
            self.batches.append(list(texts))
        time.sleep(self.per_text * len(texts))
        return [Path(f"/{lang}/{t}.wav") for t in texts]


def _speaker(engine: SlowEngine) -> tuple[Speaker, list[tuple[int, int, Path]], list[tuple[int, str]]]:
    got: list[tuple[int, int, Path]] = []
    failed: list[tuple[int, str]] = []
    sp = Speaker(lambda j, i, p: got.append((j, i, p)), lambda j, m: failed.append((j, m)), synthesize=engine)
    return sp, got, failed


def _until(check, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_first_text_alone_then_the_rest_in_order() -> None:
    engine = SlowEngine(0.01)
    sp, got, _ = _speaker(engine)
    job = sp.say(["a", "b", "c", "d"], "fr")
    _until(lambda: len(got) == 4)
    assert engine.batches == [["a"], ["b", "c", "d"]]
    assert got == [(job, i, Path(f"/fr/{t}.wav")) for i, t in enumerate("abcd")]
    sp.close()


def test_a_newer_request_drops_the_older_one() -> None:
    engine = SlowEngine(0.05)
    sp, got, _ = _speaker(engine)
    old = sp.say(["old 1", "old 2", "old 3"], "fr")
    time.sleep(0.02)
    new = sp.say(["new"], "en")
    _until(lambda: any(j == new for j, _, _ in got))
    time.sleep(0.2)
    assert all(j == new for j, _, _ in got if j != old)
    assert [p for j, _, p in got if j == new] == [Path("/en/new.wav")]
    assert not [1 for j, i, _ in got if j == old and i > 0]  # nothing of the old after the new
    sp.close()


def test_prefetch_makes_one_at_a_time_and_gives_way() -> None:
    engine = SlowEngine(0.1)
    sp, got, _ = _speaker(engine)
    sp.prefetch([f"step {i}" for i in range(10)], "fr")
    time.sleep(0.05)
    asked = time.monotonic()
    sp.say(["now"], "fr")
    _until(lambda: got)
    waited = time.monotonic() - asked
    assert waited < 0.35  # at most the utterance under way, then its own
    assert all(len(b) == 1 for b in engine.batches)
    sp.close()


def test_no_engine_is_reported_not_raised() -> None:
    def broken(texts: Sequence[str], lang: str) -> list[Path]:
        raise SpeechUnavailable("espeak-ng is not installed")

    failed: list[tuple[int, str]] = []
    sp = Speaker(lambda *a: None, lambda j, m: failed.append((j, m)), synthesize=broken)
    job = sp.say(["x"], "fr")
    _until(lambda: failed)
    assert failed == [(job, "espeak-ng is not installed")]
    assert sp.say(["y"], "fr") == job + 1  # the worker is still there
    sp.close()


def test_real_engine_from_several_threads_matches_one_thread(tmp_path, monkeypatch) -> None:
    """The kiosk's worker and a web request may speak the same texts at once: same files."""
    monkeypatch.setenv("WAYFINDING_SPEECH_CACHE", str(tmp_path))
    texts = ["Prenez l'ascenseur A1 jusqu'au niveau 1.", "Tournez à gauche.", "Vous êtes arrivé."]
    results: list[list[Path]] = []
    threads = [
        threading.Thread(target=lambda: results.append(synthesize_many(texts, "fr"))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    alone = synthesize_many(texts, "fr")
    assert len(results) == 3 and all(r == alone for r in results)
    assert all(wav_seconds(p) > 0.3 for p in alone)
