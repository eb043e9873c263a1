"""Spoken directions through the real pyttsx3 and espeak-ng, measured by WAV length."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from routing import Router
from routing.speech import SpeechUnavailable, speak_route, synthesize_many, wav_seconds

pytest.importorskip("pyttsx3", reason="the tts extra is not installed")


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYFINDING_SPEECH_CACHE", str(tmp_path / "cache"))


def test_route_is_spoken_in_french_and_cached(demo_router: Router, tmp_path: Path) -> None:
    route = demo_router.route("Borne du hall d'accueil", "Cardiologie", profile="step_free")
    speech = [s.speech for s in route.steps("fr")]
    out, parts = speak_route(speech, "fr", tmp_path / "route.wav")
    lengths = [wav_seconds(p) for p in parts]
    assert len(parts) == len(speech)
    # About 2 to 3 words a second at 145 words a minute: each step lasts as long as its text.
    for text, seconds in zip(speech, lengths, strict=True):
        words = len(text.split())
        assert words / 4.0 < seconds < words / 1.2, (text, seconds)
    assert wav_seconds(out) == pytest.approx(sum(lengths) + 0.5 * (len(parts) - 1), abs=0.05)
    start = time.perf_counter()
    again = synthesize_many(speech, "fr")
    assert time.perf_counter() - start < 0.2, "the second time comes from the cache"
    assert again == parts


def test_each_language_has_its_own_voice() -> None:
    # The same word, spoken by the French and by the English voice: different audio.
    fr = synthesize_many(["Radiologie"], "fr")[0].read_bytes()
    en = synthesize_many(["Radiologie"], "en")[0].read_bytes()
    assert len(fr) > 10_000 and len(en) > 10_000
    assert fr != en


def test_unknown_voice_is_a_clear_error() -> None:
    with pytest.raises(SpeechUnavailable, match="no espeak-ng voice for language 'xx'"):
        synthesize_many(["bonjour"], "xx")
