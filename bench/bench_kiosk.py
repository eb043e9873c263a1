"""What a visitor waits for at the kiosk, on the demo hospital, in the real Kivy window.

    xvfb-run -a -s "-screen 0 1920x1920x24" .venv/bin/python bench/bench_kiosk.py

1. Cold start: a fresh process, from its launch to the welcome screen drawn
   (Kivy, the venue, its router, the first frame). Target: at most 5 s.
2. Tap to route drawn: for every public destination of the venue, the time
   from a tap on it to the route screen drawn (route, plan, steps, QR code,
   one frame), p50 / p95. Target: p95 at most 300 ms. Compared in the same
   run with the web's way to draw the same floor (the SVG map of
   ``/api/v1/route/maps``, a compiled XML writer), without the screen.
3. Tap on "listen" to the first sound started: with the speech cache empty
   (nothing made ahead) and after the route screen had a few seconds to make
   the steps ahead, against making the whole route in one batch first (the
   simple way). Target: at most 1 s.
4. Memory: peak resident size (VmHWM) of the fresh kiosk process after the
   welcome screen and one route.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD = r"""
import os, sys, time, json
t0 = float(sys.argv[1])
from kiosk_app.main import prepare_kivy
prepare_kivy((1080, 1920))
from core.service import WayfindingService
from floorplans.data import DEMO_PATH
from kiosk_app.session import KioskSession
service = WayfindingService(database_url=None, venue_path=DEMO_PATH)
session = KioskSession(service)
from kivy.base import EventLoop
from kivy.core.window import Window
from kiosk_app.screen import KioskScreen
screen = KioskScreen(session, speak=False, size=(1080, 1920))
Window.add_widget(screen)
EventLoop.idle()
ready = time.time() - t0
screen.choose("Cardiologie")
EventLoop.idle()
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"ready_s": ready, "hwm_mb": hwm / 1024}))
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def cold_start(runs: int = 5) -> tuple[list[float], list[float]]:
    ready, mem = [], []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", COLD, repr(time.time())],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        ready.append(data["ready_s"])
        mem.append(data["hwm_mb"])
    return ready, mem


def main() -> int:
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ["WAYFINDING_SPEECH_CACHE"] = tempfile.mkdtemp(prefix="bench-kiosk-speech-")
    ready, mem = cold_start()
    print(
        f"cold start to welcome screen: median {statistics.median(ready):.2f} s, "
        f"max {max(ready):.2f} s (5 runs)"
    )
    print(f"peak memory of the kiosk process: median {statistics.median(mem):.0f} MB")

    from kiosk_app.main import prepare_kivy

    prepare_kivy((1080, 1920))
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from core.service import WayfindingService
    from floorplans.data import DEMO_PATH
    from kiosk_app.screen import KioskScreen
    from kiosk_app.session import KioskSession

    service = WayfindingService(database_url=None, venue_path=DEMO_PATH)
    session = KioskSession(service)
    screen = KioskScreen(session, size=(1080, 1920))
    Window.add_widget(screen)
    end = time.perf_counter() + 1.5  # the welcome screen as a first visitor finds it: floors cut
    while time.perf_counter() < end:
        EventLoop.idle()
        time.sleep(0.02)
    venue = service.snapshot.venue
    refs = []
    for oc in venue.occupants.values():
        unit = venue.occupant_unit(oc)
        if unit is not None and unit.public:
            refs.append(oc.id)
    for am in venue.amenities.values():
        if all(venue.units[u].public for u in am.unit_ids if u in venue.units):
            refs.append(am.id)

    tap, svg = [], []
    for step_free in (False, True):
        session.step_free = step_free
        for ref in refs:
            t = time.perf_counter()
            screen.choose(ref)
            EventLoop.idle()
            tap.append(time.perf_counter() - t)
            route = session.route
            if route is not None:
                t = time.perf_counter()
                service.level_svg(route.legs[0].ordinal, lang="fr", route=route)
                svg.append(time.perf_counter() - t)
            screen.new_search()
    print(
        f"tap to route drawn ({len(tap)} taps: {len(refs)} public destinations x 2 profiles): "
        f"p50 {pct(tap, 50) * 1000:.0f} ms, p95 {pct(tap, 95) * 1000:.0f} ms, max {max(tap) * 1000:.0f} ms"
    )
    print(
        f"  the web's SVG map of the same floor and route alone: p50 {pct(svg, 50) * 1000:.0f} ms, "
        f"p95 {pct(svg, 95) * 1000:.0f} ms"
    )

    def first_sound(wait_ahead: float) -> float:
        screen.choose(refs[len(first_sound.seen) % len(refs)])  # type: ignore[attr-defined]
        first_sound.seen.append(1)  # type: ignore[attr-defined]
        end = time.perf_counter() + wait_ahead
        while time.perf_counter() < end:
            EventLoop.idle()
            time.sleep(0.01)
        screen.speak_all()
        while screen.player.started_at is None:
            EventLoop.idle()
            time.sleep(0.002)
        started = screen.player.started_at - (screen.player.asked_at or 0.0)
        screen.player.stop()
        screen.new_search()
        return started

    first_sound.seen = []  # type: ignore[attr-defined]
    cold = [first_sound(0.0) for _ in range(8)]
    warm = [first_sound(3.0) for _ in range(5)]
    from routing.speech import synthesize_many

    batch = []
    for i in range(5):
        session.choose(refs[-1 - i])
        texts = [sp for _, sp, _ in session.steps()]
        os.environ["WAYFINDING_SPEECH_CACHE"] = tempfile.mkdtemp(prefix="bench-kiosk-batch-")
        t = time.perf_counter()
        synthesize_many(texts, "fr")
        batch.append(time.perf_counter() - t)
        session.new_search()
    print(
        f"tap on listen to first sound: nothing made ahead median {statistics.median(cold) * 1000:.0f} ms "
        f"(max {max(cold) * 1000:.0f}); steps made ahead median {statistics.median(warm) * 1000:.0f} ms "
        f"(max {max(warm) * 1000:.0f})"
    )
    print(f"  the whole route made first, in one batch: median {statistics.median(batch) * 1000:.0f} ms")
    screen.close()
    service.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
