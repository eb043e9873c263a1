"""The kiosk under test: the real Kivy window on a virtual screen (Xvfb), no mocked GL.

When the tests run without a display, an Xvfb is started for the session
(big enough for a portrait and a landscape kiosk). Touches go through
Kivy's own input dispatch, as a finger on a touch screen would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.service import WayfindingService
from floorplans.data import DEMO_PATH
from kiosk_app.session import KioskSession

XVFB_SCREEN = "1920x1920x24"


def _start_xvfb() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        pytest.skip("no display and no Xvfb (apt-get install xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", XVFB_SCREEN, "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not start")
    os.environ["DISPLAY"] = f":{number}"
    return proc


@pytest.fixture(scope="session")
def window() -> Iterator[Any]:
    """Kivy's window (one per process), 1080 x 1920 to start with."""
    xvfb = _start_xvfb()
    os.environ["SDL_AUDIODRIVER"] = "dummy"  # CI machines have no sound card; files still play
    os.environ.setdefault("WAYFINDING_SPEECH_CACHE", tempfile.mkdtemp(prefix="kiosk-speech-"))
    from kiosk_app.main import prepare_kivy

    prepare_kivy((1080, 1920))
    from kivy.core.window import Window

    yield Window
    if xvfb is not None:
        xvfb.terminate()
        xvfb.wait(timeout=10)


class Clock:
    """A clock the test moves by hand (the session's idle time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Kiosk:
    """A kiosk screen in the window, and how a visitor uses it."""

    def __init__(self, window: Any, session: KioskSession, clock: Clock, size: tuple[int, int]) -> None:
        from kiosk_app.screen import KioskScreen

        self.window, self.session, self.clock = window, session, clock
        window.size = size
        self.frames(2)
        self.screen = KioskScreen(session, size=size)
        window.add_widget(self.screen)
        self.frames(3)

    def frames(self, n: int = 2) -> None:
        from kivy.base import EventLoop

        for _ in range(n):
            EventLoop.idle()

    def wait_for(self, check: Callable[[], Any], timeout: float = 15.0) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.frames(1)
            got = check()
            if got:
                return got
            time.sleep(0.02)
        raise AssertionError(f"not within {timeout} s: {check}")

    def widgets(self, cls: type | None = None) -> list[Any]:
        return [w for w in self.screen.walk(restrict=True) if cls is None or isinstance(w, cls)]

    def texts(self) -> list[str]:
        from kivy.uix.label import Label

        return [_plain(w.text) for w in self.widgets(Label) if w.text]

    def button(self, text: str) -> Any:
        """The button whose words (markup removed) are *text*, else the one that starts so."""
        from kivy.uix.button import Button

        buttons = self.widgets(Button)
        found = [b for b in buttons if _plain(b.text) == text] or [
            b for b in buttons if _plain(b.text).startswith(text)
        ]
        assert len(found) == 1, f"{len(found)} buttons start with {text!r}: {[_plain(b.text) for b in found]}"
        return found[0]

    def tap(self, text_or_widget: Any) -> None:
        """A finger down and up in the middle of the button, through Kivy's input dispatch."""
        from kivy.base import EventLoop
        from kivy.tests.common import UnitTestTouch

        widget = self.button(text_or_widget) if isinstance(text_or_widget, str) else text_or_widget
        x, y = widget.to_window(*widget.center)
        self.clock.now += 1.0
        touch = UnitTestTouch(x, y)
        EventLoop.post_dispatch_input("begin", touch)
        EventLoop.post_dispatch_input("end", touch)
        self.frames(3)

    def close(self) -> None:
        self.screen.close()
        self.window.remove_widget(self.screen)


def _plain(text: str) -> str:
    import re

    return (
        re.sub(r"\[/?[a-z]+(=[^\]]*)?\]", "", text)
        .replace("&bl;", "[")
        .replace("&br;", "]")
        .replace("&amp;", "&")
    )


@pytest.fixture
def make_kiosk(window: Any) -> Iterator[Callable[..., Kiosk]]:
    made: list[Kiosk] = []

    def make(
        service: WayfindingService | None = None,
        *,
        size: tuple[int, int] = (1080, 1920),
        kiosk_id: str | None = None,
        ask_arrival: bool = False,
    ) -> Kiosk:
        service = service or WayfindingService(database_url=None, venue_path=DEMO_PATH)
        clock = Clock()
        session = KioskSession(
            service, kiosk_id=kiosk_id, languages=["fr", "en"], clock=clock, ask_arrival=ask_arrival
        )
        kiosk = Kiosk(window, session, clock, size)
        made.append(kiosk)
        return kiosk

    yield make
    for k in made:
        k.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go (kept under tests' output when KIOSK_SHOTS is set)."""
    keep = os.environ.get("KIOSK_SHOTS")
    path = Path(keep) if keep else tmp_path / "shots"
    path.mkdir(parents=True, exist_ok=True)
    return path
