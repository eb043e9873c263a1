"""Benchmark: the web service as phones use it, on the demo hospital.

Targets (issue 7): ``GET /api/v1/route`` at least 300 requests/s with p99 under
50 ms on this 2-core machine, the load generator on the same machine; reported
as a ratio to the same routes computed in-process (the HTTP overhead). The
phone page's first load under 200 KB transferred.

- The server is ``wayfinding serve`` in its own process (as IT runs it) on a
  store with the demo hospital published; the load generator is this process
  (httpx, asyncio, ``--connections`` keep-alive connections).
- Two workloads: the same route asked again and again (phones and kiosks of
  one entrance), and every kiosk x public service x profile x language pair once
  (nothing cached: each request computes a route).
- In-process baseline, same routes, same process as the load generator:
  ``WayfindingService.route`` + the JSON the endpoint builds, without HTTP.
- First load: the route page, its CSS, script, map and QR code, gzip as
  browsers ask for it.
- Memory: the server's peak resident size (``VmHWM`` of its own process).

Run: ``make bench`` or ``.venv/bin/python bench/bench_web.py [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import serving  # noqa: E402  (bench/serving.py)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def spread(lat: list[float]) -> str:
    return f"p50 {statistics.median(lat) * 1e3:.1f} ms, p99 {pct(lat, 0.99) * 1e3:.1f} ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def paced(base: str, paths: list[str], *, rate: float, seconds: float) -> tuple[list[float], int]:
    """Open loop: one GET every 1/*rate* s whatever the answers (as independent phones do);
    latency counts from when the request was due, so that a slow server cannot hide its queue."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def one(path: str, due: float) -> None:
            nonlocal errors
            r = await client.get(path)
            latencies.append(time.perf_counter() - due)
            errors += r.status_code != 200

        start = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(paths[i % len(paths)], due)))
        await asyncio.gather(*tasks)
    return latencies, errors


async def load(
    base: str, paths: list[str], *, seconds: float, connections: int
) -> tuple[int, list[float], int]:
    """Send GETs round-robin over *paths* for *seconds*; (requests, latencies s, errors)."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    counter = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def worker() -> None:
            nonlocal counter, errors
            while time.perf_counter() < stop:
                path = paths[counter % len(paths)]
                counter += 1
                t = time.perf_counter()
                r = await client.get(path)
                latencies.append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return len(latencies), latencies, errors


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=float, default=300.0, help="offered requests/s (300)")
    args = parser.parse_args()

    from urllib.parse import urlencode

    from api.routes.public import route_json
    from core.service import WayfindingService
    from database import connect
    from floorplans import DEMO_PATH, FloorPlanStore

    tmp = Path(tempfile.mkdtemp(prefix="wayfinding-bench-web-"))
    db = f"sqlite:///{tmp / 'w.db'}"
    store = FloorPlanStore(connect(db))
    store.publish(store.import_archive(DEMO_PATH, actor="bench").id, actor="bench")
    port = free_port()
    env = {
        **os.environ,
        "WAYFINDING_DATABASE_URL": db,
        "WAYFINDING_PORT": str(port),
        "WAYFINDING_SPEECH_CACHE": str(tmp / "speech"),
    }
    base = f"http://127.0.0.1:{port}"
    with serving(env, port, tmp / "serve.log") as server:
        service = WayfindingService(database_url=db, venue_path=DEMO_PATH)
        venue = service.snapshot.venue
        kiosks = list(venue.kiosks)
        services = [
            oc.id
            for oc in venue.occupants.values()
            if (u := venue.occupant_unit(oc)) is not None and u.public
        ]
        pairs = [
            (k, s, profile, lang)
            for k in kiosks
            for s in services
            for profile in ("default", "step_free")
            for lang in ("fr", "en")
        ]
        paths = [
            "/api/v1/route?" + urlencode({"from": k, "to": s, "profile": p, "lang": lang})
            for k, s, p, lang in pairs
        ]
        print(f"demo hospital: {len(pairs)} distinct routes (3 kiosks x {len(services)} services x 2 x 2)")

        # In-process baseline: the same work without HTTP, cold then cached.
        cold = []
        for k, s, p, lang in pairs:
            t = time.perf_counter()
            json.dumps(route_json(service.route(k, s, profile=p, lang=lang), lang))
            cold.append(time.perf_counter() - t)
        warm = []
        for _ in range(3):
            for k, s, p, lang in pairs:
                t = time.perf_counter()
                json.dumps(route_json(service.route(k, s, profile=p, lang=lang), lang))
                warm.append(time.perf_counter() - t)
        print(
            f"in-process: new route {statistics.median(cold) * 1e3:.2f} ms p50, "
            f"{pct(cold, 0.99) * 1e3:.2f} ms p99; cached route {statistics.median(warm) * 1e3:.2f} ms p50"
        )

        # The load generator's own collector pauses would count as the server's latency.
        gc.collect()
        gc.freeze()
        gc.disable()
        # Each distinct route once (nothing in the server's cache yet).
        t = time.perf_counter()
        errors = 0
        lat_new: list[float] = []

        async def once() -> None:
            nonlocal errors
            limits = httpx.Limits(max_connections=args.connections)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
                sem = asyncio.Semaphore(args.connections)

                async def one(path: str) -> None:
                    nonlocal errors
                    async with sem:
                        t0 = time.perf_counter()
                        r = await client.get(path)
                        lat_new.append(time.perf_counter() - t0)
                        errors += r.status_code != 200

                await asyncio.gather(*(one(p) for p in paths))

        asyncio.run(once())
        took = time.perf_counter() - t
        print(
            f"HTTP, every route new: {len(paths) / took:.0f} req/s, {spread(lat_new)}, {errors} errors "
            f"(x{statistics.median(lat_new) / statistics.median(cold):.1f} the in-process p50)"
        )
        # The target: 300 requests/s offered for --seconds, every route of the demo in turn.
        # The load generator's own collector pauses would count as the server's latency.
        lat, errors = asyncio.run(paced(base, paths, rate=args.rate, seconds=args.seconds))
        ok = pct(lat, 0.99) < 0.050 and not errors
        print(
            f"HTTP, {args.rate:.0f} req/s offered for {args.seconds:.0f} s: {spread(lat)}, {errors} errors; "
            f"target p99 < 50 ms: {'met' if ok else 'NOT met'} "
            f"(x{statistics.median(lat) / statistics.median(warm):.0f} the in-process cached p50)"
        )
        # Flat out: as many as the server answers, --connections keep-alive connections.
        n, lat, errors = asyncio.run(load(base, paths, seconds=args.seconds, connections=args.connections))
        print(
            f"HTTP, flat out {args.seconds:.0f} s, {args.connections} connections: "
            f"{n / args.seconds:.0f} req/s, {spread(lat)}, {errors} errors"
        )

        gc.enable()
        # The phone page's first load, as a browser asks for it (gzip).
        k, s = kiosks[0], services[0]
        page = "/route?" + urlencode({"from": k, "to": s, "profile": "step_free", "lang": "fr"})
        with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}) as c:
            r = c.get(page)
            html = r.text
            total = r.num_bytes_downloaded
            parts = {"html": r.num_bytes_downloaded}
            for url in re.findall(r'(?:href|src)="(/(?:static|api)[^"]+)"', html):
                if "audio.wav" in url:
                    continue  # audio loads only when a button is pressed
                url = url.replace("&amp;", "&")
                sub = c.get(url)
                parts[url.split("?")[0]] = sub.num_bytes_downloaded
                total += sub.num_bytes_downloaded
        print(f"phone route page, first load: {total / 1024:.1f} KB transferred (target < 200 KB): {parts}")
        status = Path(f"/proc/{server.pid}/status").read_text()
        hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        print(f"server peak resident memory: {hwm.split(':')[1].strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
