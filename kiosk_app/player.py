"""The player: the spoken steps' WAV files, one after another, as the speech worker makes them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.core.audio import SoundLoader

log = logging.getLogger(__name__)


class Player:
    """Plays a request's WAVs in order as the speaker hands them over (on the screen's thread)."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.on_change = on_change
        self.job = -1
        self.sound: Any = None
        self.waiting: dict[int, Path] = {}
        self.next = 0
        #: What was played: (file, language), newest last; and when the first sound of the
        #: latest request started (``time.perf_counter``).
        self.played: list[tuple[Path, str]] = []
        self.asked_at: float | None = None
        self.started_at: float | None = None
        self.lang = "fr"
        self.error: str | None = None

    @property
    def busy(self) -> bool:
        return self.job >= 0

    def start(self, job: int, lang: str) -> None:
        self.stop(notify=False)
        self.job, self.lang, self.next, self.waiting = job, lang, 0, {}
        self.asked_at, self.started_at, self.error = time.perf_counter(), None, None
        self.on_change()

    def ready(self, job: int, index: int, path: Path) -> None:
        if job != self.job:
            return
        self.waiting[index] = path
        if self.sound is None:
            self._play_next()

    def failed(self, job: int, message: str) -> None:
        if job == self.job:
            self.error = message
            self.job = -1
            self.on_change()

    def _play_next(self) -> None:
        path = self.waiting.pop(self.next, None)
        if path is None:
            return
        self.next += 1
        sound = SoundLoader.load(str(path))
        if sound is None:  # no audio device: the written steps still hold
            log.warning("cannot play %s", path)
            self.played.append((path, self.lang))
            self._play_next()
            return
        sound.bind(on_stop=self._stopped)
        self.sound = sound
        if self.started_at is None:
            self.started_at = time.perf_counter()
        sound.play()
        self.played.append((path, self.lang))

    def _stopped(self, sound: Any) -> None:
        if sound is not self.sound:
            return
        self.sound = None
        self._play_next()
        if self.sound is None and not self.waiting:
            self.job = -1
            self.on_change()

    def stop(self, *, notify: bool = True) -> None:
        self.job = -1
        sound, self.sound = self.sound, None
        self.waiting = {}
        if sound is not None:
            sound.unbind(on_stop=self._stopped)
            sound.stop()
        if notify:
            self.on_change()
