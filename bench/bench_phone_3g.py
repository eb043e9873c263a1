"""The phone page on a slow network: what it weighs and how long until it can be used.

Debian's Chromium, at 360 x 740, against ``wayfinding serve`` on this machine, with the
network throttled as Chrome's "Fast 3G" and "Slow 3G" presets (DevTools protocol,
``Network.emulateNetworkConditions``), the cache emptied before each load:

- a route page: from the first byte of the HTML to DOMContentLoaded (the page is usable: its
  steps, buttons and map are there; the script is deferred), and to load (map and QR code in);
- the step map drawn (Leaflet, ``stepmap.js`` and the places around the route, fetched after
  the page is usable), from the first byte of the HTML;
- the tap on "Follow my steps" to the follower ready (its script and the route's walls);
- bytes over the wire for each.

    python bench/bench_phone_3g.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from serving import serving

CHROMIUM = "/usr/bin/chromium"
KIB = 1024
#: Chrome DevTools' presets (latency ms, bytes/s down, bytes/s up).
PROFILES = {
    "Fast 3G": (562.5, int(1.6 * KIB * KIB / 8 * 0.9), int(750 * KIB / 8 * 0.9)),
    "Slow 3G": (2000.0, int(500 * KIB / 8 * 0.8), int(500 * KIB / 8 * 0.8)),
}
ROUTE = "/route?from=R6M9&to=radiologie&lang=fr"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WAYFINDING_DATABASE_URL": f"sqlite:///{tmp}/w.db", "WAYFINDING_PORT": str(port)}
        with serving(env, port, Path(tmp) / "serve.log"), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            base = f"http://127.0.0.1:{port}"
            for name, (latency, down, up) in PROFILES.items():
                usable, loaded, follow, page_bytes, follow_bytes = [], [], [], [], []
                map_ready: list[float] = []
                map_bytes: list[float] = []
                for _ in range(args.rounds):
                    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
                    page = ctx.new_page()
                    cdp = ctx.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.clearBrowserCache")
                    cdp.send(
                        "Network.emulateNetworkConditions",
                        {
                            "offline": False,
                            "latency": latency,
                            "downloadThroughput": down,
                            "uploadThroughput": up,
                        },
                    )
                    page.goto(base + ROUTE, wait_until="load", timeout=120_000)
                    t = page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return [n.responseStart, n.domContentLoadedEventEnd, n.loadEventEnd,"
                        " n.transferSize + performance.getEntriesByType('resource')"
                        ".reduce((a, r) => a + r.transferSize, 0)]; }"
                    )
                    usable.append(t[1] - t[0])
                    loaded.append(t[2] - t[0])
                    # The step map (Leaflet, stepmap.js, the places around the route) comes after.
                    page.wait_for_selector("#step-map .map-label", state="attached", timeout=120_000)
                    m = page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " const rs = performance.getEntriesByType('resource').filter(r =>"
                        " /leaflet|stepmap|route\\/map/.test(r.name));"
                        " return [Math.max(...rs.map(r => r.responseEnd)) - n.responseStart,"
                        " rs.reduce((a, r) => a + r.transferSize, 0)]; }"
                    )
                    map_ready.append(m[0])
                    map_bytes.append(m[1])
                    page_bytes.append(t[3])
                    before = page.evaluate("() => performance.getEntriesByType('resource').length")
                    start = page.evaluate("() => performance.now()")
                    page.get_by_role("button", name="Suivre mes pas").click()
                    page.wait_for_function(
                        "() => !document.getElementById('follow-on').hidden", timeout=120_000
                    )
                    page.wait_for_function(
                        "() => performance.getEntriesByType('resource')"
                        ".some(r => r.name.includes('/route/follow'))",
                        timeout=120_000,
                    )
                    page.wait_for_timeout(50)
                    done = page.evaluate(
                        "(n) => { const rs = performance.getEntriesByType('resource').slice(n);"
                        " return [Math.max(...rs.map(r => r.responseEnd)),"
                        " rs.reduce((a, r) => a + r.transferSize, 0)]; }",
                        before,
                    )
                    follow.append(done[0] - start)
                    follow_bytes.append(done[1])
                    ctx.close()
                print(
                    f"{name}: route page usable (first byte to DOMContentLoaded)"
                    f" median {statistics.median(usable):.0f} ms,"
                    f" max {max(usable):.0f}; loaded {statistics.median(loaded):.0f} ms;"
                    f" {statistics.median(page_bytes) / KIB:.1f} KiB over the wire;"
                    f" tap on 'Follow my steps' to ready {statistics.median(follow):.0f} ms"
                    f" ({statistics.median(follow_bytes) / KIB:.1f} KiB);"
                    f" step map drawn {statistics.median(map_ready):.0f} ms after the first byte"
                    f" (max {max(map_ready):.0f}; {statistics.median(map_bytes) / KIB:.1f} KiB)"
                )
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
