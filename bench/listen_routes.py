"""Render three demo routes per language to WAV and measure what a listener hears.

For each route: steps, words, length, words a minute (pauses included), the
silences of 0.3 s or more, the speech text of every step, and espeak-ng's
phonemes of the step (``espeak-ng -q -x``: read them to hear how a name is said).
Figures in docs/routing.md ("What a listener hears").

Run: ``.venv/bin/python bench/listen_routes.py [OUT_FOLDER] [--phonemes]`` (needs the
``tts`` extra and Debian's ``espeak-ng``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROUTES = [
    ("Borne du hall d'accueil", "Cardiologie", "step_free"),
    ("Pédiatrie", "Radiologie", "default"),
    ("Unité de chirurgie ambulatoire", "Borne du hall d'accueil", "default"),
]


def silences(path: Path, *, at_least_s: float = 0.3) -> list[float]:
    with wave.open(str(path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(float)
        rate = w.getframerate()
    win = int(rate * 0.05)
    quiet = np.sqrt(np.convolve(x**2, np.ones(win) / win, "same")) < 200
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(int), [0]])))
    runs = (edges[1::2] - edges[::2]) / rate
    return [float(r) for r in runs if r >= at_least_s]


def main() -> int:
    from floorplans import load_demo_venue
    from routing import Router
    from routing.speech import speak_route, wav_seconds

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    phonemes = "--phonemes" in sys.argv
    out = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="listen-"))
    out.mkdir(parents=True, exist_ok=True)
    router = Router(load_demo_venue())
    for lang in ("fr", "en", "es"):
        for i, (a, b, profile) in enumerate(ROUTES):
            steps = router.route(a, b, profile=profile).steps(lang)
            wav, _parts = speak_route([s.speech for s in steps], lang, out / f"{lang}-{i + 1}.wav")
            length = wav_seconds(wav)
            words = sum(len(s.speech.split()) for s in steps)
            quiet = silences(wav)
            print(
                f"{lang} route {i + 1}: {len(steps)} steps, {words} words, {length:.1f} s, "
                f"{60 * words / length:.0f} words/min, {len(quiet)} pauses >= 0.3 s "
                f"(longest {max(quiet, default=0):.2f} s) -> {wav}"
            )
            for s in steps:
                print(f"    {s.speech}")
                if phonemes:
                    said = subprocess.run(
                        ["espeak-ng", "-q", "-x", "-v", lang, s.speech],
                        capture_output=True,
                        text=True,
                        check=False,
                    ).stdout
                    print(f"      [{' '.join(said.split())}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
