"""Spoken directions: WAV files from pyttsx3 on espeak-ng, in the step's language.

Speech runs in a child process with a timeout: pyttsx3 keeps a cached
engine per process and can hang, which must never take the router (or the
kiosk) down with it. One child speaks a whole batch of utterances, one
``save_to_file`` + ``runAndWait`` each. Files are cached by text, language,
voice and rate, so a route asked twice is spoken once.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
import wave
from collections.abc import Sequence
from pathlib import Path

#: Words per minute: slower than espeak's 175, for stressed and elderly listeners.
RATE = 145
TIMEOUT_S = 30.0
PAUSE_S = 0.5

_CHILD = r"""
import json, sys, wave
import pyttsx3
jobs = json.loads(sys.stdin.read())
engine = pyttsx3.init()
lang = jobs["lang"]
voices = engine.getProperty("voices")
def rank(v):
    # espeak-ng's own voice for the language first ("roa/fr", "gmw/en"), then its
    # main country ("fr-fr"), then any variant ("fr-be", "en-029"); None: not this language.
    langs = [str(x).lower() for x in (v.languages or [])]
    if v.id.split("/")[-1].lower() == lang:
        return 0
    if f"{lang}-{lang}" in langs or lang in langs:
        return 1
    if any(x.startswith(lang + "-") for x in langs):
        return 2
    return None
ranked = sorted((r, i) for i, v in enumerate(voices) if (r := rank(v)) is not None)
if not ranked:
    print(json.dumps({"error": f"no espeak-ng voice for language {lang!r}"}))
    sys.exit(3)
chosen = voices[ranked[0][1]]
engine.setProperty("voice", chosen.id)
engine.setProperty("rate", jobs["rate"])
def frames(path):
    try:
        with wave.open(path, "rb") as w:
            return w.getnframes()
    except Exception:
        return 0
for text, path in jobs["items"]:
    # pyttsx3 2.99 writes an empty file when espeak-ng delivers a short text and its
    # end in one callback (a few per cent of short texts): say it again.
    for _attempt in range(4):
        engine.save_to_file(text, path)
        engine.runAndWait()
        if frames(path) > 0:
            break
print(json.dumps({"voice": chosen.id}))
"""


class SpeechUnavailable(RuntimeError):  # noqa: N818 - reads as what happened
    """No speech engine here; written directions still work."""


def cache_dir() -> Path:
    base = os.environ.get("WAYFINDING_SPEECH_CACHE")
    path = Path(base) if base else Path(tempfile.gettempdir()) / "wayfinding-speech"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key(text: str, lang: str, rate: int) -> str:
    return hashlib.sha256(f"{lang}\x00{rate}\x00{text}".encode()).hexdigest()[:32]


def synthesize_many(
    texts: Sequence[str], lang: str, *, rate: int = RATE, timeout: float = TIMEOUT_S
) -> list[Path]:
    """One WAV per text (cached), spoken in *lang* (``fr``, ``en``...)."""
    base = lang.split("-", maxsplit=1)[0].lower()
    folder = cache_dir()
    paths = [folder / f"{_key(t, base, rate)}.wav" for t in texts]
    todo = [(t, p) for t, p in zip(texts, paths, strict=True) if not _valid_wav(p)]
    if todo:
        # The child writes beside the cache under names of its own, renamed once
        # complete: another thread or process never reads a half-written file.
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        partial = [(t, p.with_name(f"{p.stem}.{tag}.part.wav")) for t, p in todo]
        try:
            _run_child([(t, str(q)) for t, q in partial], base, rate, timeout)
            for (_, q), (_, p) in zip(partial, todo, strict=True):
                if _valid_wav(q):
                    os.replace(q, p)
        finally:
            for _, q in partial:
                q.unlink(missing_ok=True)
        missing = [p for _, p in todo if not _valid_wav(p)]
        if missing:
            raise SpeechUnavailable(
                f"the speech engine wrote no audio for {len(missing)} "
                "text(s); is espeak-ng installed (apt-get install espeak-ng)?"
            )
    return paths


def _run_child(items: list[tuple[str, str]], lang: str, rate: int, timeout: float) -> None:
    jobs = json.dumps({"lang": lang, "rate": rate, "items": items})
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD],
            input=jobs,
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SpeechUnavailable(f"the speech engine did not finish within {timeout:g} s") from None
    if proc.returncode != 0:
        last = (proc.stdout.strip().splitlines() or proc.stderr.strip().splitlines() or [""])[-1]
        if "No module named 'pyttsx3'" in proc.stderr:
            msg = "pyttsx3 is not installed: pip install 'hospital-wayfinding[tts]'"
        elif "eSpeak" in proc.stderr or "espeak" in proc.stderr.lower():
            msg = "espeak-ng is not installed: apt-get install espeak-ng"
        else:
            try:
                msg = json.loads(last)["error"]
            except (ValueError, KeyError, TypeError):
                msg = last or f"speech engine failed (exit {proc.returncode})"
        raise SpeechUnavailable(msg)


def _valid_wav(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() > 0
    except (OSError, wave.Error, EOFError):
        return False


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def concatenate(parts: Sequence[Path], out: Path, *, pause_s: float = PAUSE_S) -> Path:
    """Join WAV files (same format) with a short silence between them.

    Written under a name of its own, then renamed: a reader of *out* sees the
    previous file or the whole new one."""
    if not parts:
        raise ValueError("nothing to join")
    with wave.open(str(parts[0]), "rb") as first:
        params = first.getparams()
    silence = b"\x00" * int(params.framerate * pause_s) * params.sampwidth * params.nchannels
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part.wav")
    try:
        _join(parts, params, silence, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _join(parts: Sequence[Path], params: wave._wave_params, silence: bytes, out: Path) -> None:
    with wave.open(str(out), "wb") as dst:
        dst.setparams(params)
        for i, part in enumerate(parts):
            with wave.open(str(part), "rb") as src:
                if (src.getframerate(), src.getsampwidth(), src.getnchannels()) != (
                    params.framerate,
                    params.sampwidth,
                    params.nchannels,
                ):
                    raise ValueError(f"{part}: audio format differs from {parts[0]}")
                dst.writeframes(src.readframes(src.getnframes()))
            if i < len(parts) - 1:
                dst.writeframes(silence)


def speak_route(speech_texts: Sequence[str], lang: str, out: Path) -> tuple[Path, list[Path]]:
    """The whole route as one WAV at *out*, and one WAV per step."""
    parts = synthesize_many(list(speech_texts), lang)
    return concatenate(parts, out), parts
