"""Starting the kiosk: ``wayfinding kiosk`` (the application) and ``--screenshot`` (one screen to a PNG).

Kivy reads its settings when its window is first imported, so everything
about the window (size, full screen, no command-line parsing, logs) is set
here before :mod:`kiosk_app.screen` is imported.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from core.service import WayfindingService
from kiosk_app.session import KioskSession
from routing import PlaceNotFound

log = logging.getLogger(__name__)


class KioskSetupError(Exception):
    """The kiosk cannot start (Kivy missing, a bad size); the message says what to do."""


@dataclass(frozen=True, slots=True)
class KioskOptions:
    database_url: str | None
    venue_path: Path | None
    prefer_file: bool
    kiosk_id: str | None
    languages: list[str]
    base_url: str
    saved_copy: Path | None
    refresh_s: float = 20.0
    size: tuple[int, int] = (1080, 1920)
    fullscreen: bool = False
    #: The hospital's clock (usage is counted per local day) and how long counts are kept.
    zone: tzinfo = UTC
    #: The default walker's stairs-or-lift trade-off (None: the routing default).
    stairs_penalty_s: float | None = None
    usage_days: int = 400
    #: Ask visitors arriving here whether they found their way (a kiosk in a service's waiting room).
    ask_arrival: bool = False
    #: The site this kiosk stands on, for a hospital with several (None: the main site).
    site: str | None = None


def parse_size(text: str) -> tuple[int, int]:
    """``1080x1920`` -> (1080, 1920); ValueError naming the expected form."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {text!r}: give WIDTHxHEIGHT in pixels, such as 1080x1920") from None
    if not (320 <= w <= 7680 and 320 <= h <= 7680):
        raise ValueError(f"--size {text!r}: each side must be between 320 and 7680 pixels")
    return w, h


def prepare_kivy(size: tuple[int, int], *, fullscreen: bool = False, visible: bool = True) -> None:
    """Set Kivy up for a kiosk window of *size* (call before anything imports Kivy's window)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    # Kivy's own log mode swaps sys.stderr for its logger: our error messages would vanish.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_HOME", str(Path(tempfile.gettempdir()) / "wayfinding-kivy"))
    try:
        from kivy.config import Config
    except ImportError:
        raise KioskSetupError(
            "the kiosk needs Kivy: pip install 'hospital-wayfinding[kiosk]' (Python 3.11 to 3.13)"
        ) from None
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "resizable", "1")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("kivy", "exit_on_escape", "0")  # a visitor's keyboard must not close the kiosk
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if not visible:
        Config.set("graphics", "show_cursor", "0")


def make_service(opts: KioskOptions) -> WayfindingService:
    service = WayfindingService(
        database_url=opts.database_url,
        venue_path=opts.venue_path,
        prefer_file=opts.prefer_file,
        saved_copy=opts.saved_copy,
        zone=opts.zone,
        stairs_penalty_s=opts.stairs_penalty_s,
        site=opts.site,
    )
    if service.usage is not None:
        service.usage.zone, service.usage.keep_days = opts.zone, opts.usage_days
    return service


def make_session(opts: KioskOptions, service: WayfindingService) -> KioskSession:
    return KioskSession(
        service,
        kiosk_id=opts.kiosk_id,
        languages=opts.languages,
        base_url=opts.base_url,
        ask_arrival=opts.ask_arrival,
    )


def run(opts: KioskOptions) -> int:
    """The kiosk application, until its window is closed."""
    started = time.perf_counter()
    prepare_kivy(opts.size, fullscreen=opts.fullscreen)
    service = make_service(opts)
    session = make_session(opts, service)
    service.watch(every_s=opts.refresh_s)

    from kivy.app import App

    from kiosk_app.screen import KioskScreen

    class KioskApp(App):  # type: ignore[misc]
        title = "Wayfinding kiosk"

        def build(self) -> Any:
            self.screen = KioskScreen(session)
            return self.screen

        def on_start(self) -> None:
            log.info("kiosk ready in %.2f s: %s", time.perf_counter() - started, session.kiosk.id)

        def on_stop(self) -> None:
            self.screen.close()
            service.close()

    KioskApp().run()
    return 0


def screenshot(
    opts: KioskOptions,
    out: Path,
    *,
    destination: str | None = None,
    lang: str | None = None,
    profile: str = "default",
    step: int = 1,
) -> Path:
    """Render one screen (the welcome screen, or the route to *destination*) to a PNG and return."""
    prepare_kivy(opts.size)
    service = make_service(opts)
    service.usage = None  # a picture of a screen is nobody's visit
    session = make_session(opts, service)
    if lang:
        session.set_language(lang)
    if profile not in ("default", "step_free"):
        raise ValueError(f"--profile {profile!r}: the kiosk offers default and step_free")
    session.step_free = profile == "step_free"
    if destination:
        try:
            service.place(destination)
        except PlaceNotFound as exc:
            raise ValueError(f"--destination {destination!r}: {exc}") from None
        session.choose(destination)
        session.go_to_step(step - 1)

    from kivy.base import EventLoop
    from kivy.core.window import Window

    from kiosk_app.screen import KioskScreen

    Window.size = opts.size
    screen = KioskScreen(session, speak=False, size=opts.size)
    Window.add_widget(screen)
    for _ in range(6):
        EventLoop.idle()
    out.parent.mkdir(parents=True, exist_ok=True)
    screen.export_to_png(str(out))
    screen.close()
    Window.remove_widget(screen)
    return out
