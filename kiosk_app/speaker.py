"""Spoken directions for a screen that must never freeze: WAVs made in a worker thread.

The screen asks :meth:`Speaker.say` for a list of texts; the worker makes the
first one alone (so the first word comes quickly), hands it over, then makes
the others in one batch and hands each over in order. A newer :meth:`say`
or :meth:`cancel` makes the older request's files go unplayed. While nobody
is listening, :meth:`Speaker.prefetch` makes the steps of the route on screen
one at a time, so that a tap on "listen" usually finds them ready; a
request waits at most for the one utterance being made.

The worker never touches the screen: it calls *deliver* (``job, index,
path``) and *failed* (``job, message``) from its thread, and the screen
hands them to its own thread (Kivy: ``Clock.schedule_once``).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from routing.speech import SpeechUnavailable, synthesize_many

log = logging.getLogger(__name__)

Synthesize = Callable[[Sequence[str], str], list[Path]]


class Speaker:
    def __init__(
        self,
        deliver: Callable[[int, int, Path], None],
        failed: Callable[[int, str], None],
        *,
        synthesize: Synthesize = synthesize_many,
    ) -> None:
        self._deliver = deliver
        self._failed = failed
        self._synthesize = synthesize
        self._cond = threading.Condition()
        self._job = 0
        self._asked: tuple[int, list[str], str] | None = None
        self._background: deque[tuple[str, str]] = deque()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kiosk-speech", daemon=True)
        self._thread.start()

    @property
    def job(self) -> int:
        """The request whose files should play (older ones are stale)."""
        return self._job

    def say(self, texts: Sequence[str], lang: str) -> int:
        """Ask for *texts* spoken in *lang*; returns the request's number."""
        with self._cond:
            self._job += 1
            self._asked = (self._job, list(texts), lang)
            self._cond.notify()
            return self._job

    def cancel(self) -> None:
        with self._cond:
            self._job += 1
            self._asked = None
            self._background.clear()

    def prefetch(self, texts: Sequence[str], lang: str) -> None:
        """Make these files ahead, one at a time, when nothing else is asked."""
        with self._cond:
            self._background.clear()
            self._background.extend((t, lang) for t in texts)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and self._asked is None and not self._background:
                    self._cond.wait()
                if self._closed:
                    return
                asked, self._asked = self._asked, None
                ahead = self._background.popleft() if asked is None and self._background else None
            try:
                if asked is not None:
                    self._speak(*asked)
                elif ahead is not None:
                    self._synthesize([ahead[0]], ahead[1])
            except SpeechUnavailable as exc:
                log.warning("no speech: %s", exc)
                if asked is not None:
                    self._failed(asked[0], str(exc))
            except Exception:  # the worker outlives any one request
                log.exception("speech failed")
                if asked is not None:
                    self._failed(asked[0], "speech failed")

    def _speak(self, job: int, texts: list[str], lang: str) -> None:
        if not texts:
            return
        first = self._synthesize(texts[:1], lang)[0]
        if job != self._job:
            return
        self._deliver(job, 0, first)
        if len(texts) > 1:
            for i, path in enumerate(self._synthesize(texts[1:], lang), 1):
                if job != self._job:
                    return
                self._deliver(job, i, path)
