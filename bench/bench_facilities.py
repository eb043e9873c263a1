"""Benchmark: what a facilities manager waits for, on the demo hospital.

Targets (issue 14): upload + validate + diff + render of the demo archive answers in
under 2 s; publishing reaches a running server's routes within 2 s.

- The server is ``wayfinding serve`` in its own process; a second replica on the same
  database stands for another process of a deployment (it learns of a publish by
  polling the store every ``WAYFINDING_REFRESH_S``, default 2 s).
- Upload: ``POST /staff/plans/upload`` with a changed demo archive (a service
  renamed) then ``GET`` of the version page it redirects to (report, diff against the
  published version, every floor drawn with the problems marked): what the browser
  waits for between the click and the page.
- Baseline in the same run, same archives: the library calls alone, in this process
  (``FloorPlanStore.import_bytes``, ``diff``, ``numbered_problems`` and
  ``render_floor_svg`` of each floor), no HTTP, no templates.
- Publish: ``POST /staff/plans/{id}/publish`` on replica A, then the time until
  ``/api/v1/places`` on A and on B finds the new name.
- Memory: a fresh process that only imports, diffs and draws one archive (``VmHWM``).

Run: ``.venv/bin/python bench/bench_facilities.py [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serving import serving  # noqa: E402  (bench/serving.py)

PASSWORD = "bench-facilities-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def changed_demo(name: str) -> bytes:
    from floorplans import DEMO_PATH

    files = {p.name: p.read_bytes() for p in DEMO_PATH.iterdir() if p.is_file()}
    occ = json.loads(files["occupant.geojson"])
    for f in occ["features"]:
        if f["properties"]["name"].get("fr") == "Radiologie":
            f["properties"]["name"] = {"fr": name, "en": name}
    files["occupant.geojson"] = json.dumps(occ).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    return buf.getvalue()


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def in_process(store_url: str, data: bytes) -> float:
    """The library calls the page makes, without HTTP: seconds."""
    from floorplans import FloorPlanStore
    from floorplans.render import numbered_problems, render_floor_svg

    store = FloorPlanStore(store_url)
    t0 = time.perf_counter()
    info = store.import_bytes(data, actor="bench", source="bench.zip")
    venue, report = store.venue(info.id), store.report(info.id)
    store.diff(info.id, lang="fr")
    problems = numbered_problems(venue, report)
    for ordinal in venue.levels_by_ordinal():
        render_floor_svg(venue, ordinal, lang="fr", scale=6.0, problems=problems)
    return time.perf_counter() - t0


def memory_child(store_url: str) -> None:
    base = vm_hwm_mb()
    seconds = in_process(store_url, changed_demo("Imagerie (mémoire)"))
    print(json.dumps({"seconds": seconds, "vm_hwm_mb": vm_hwm_mb(), "after_imports_mb": base}))


def generated() -> None:
    """Import (twice: one published, one draft), diff and draw the generated 10 x 10 x 100
    hospital in this process: what a campus-sized upload costs before its page answers."""
    from database import connect
    from floorplans import FloorPlanStore
    from floorplans.imdf import imdf_zip_bytes
    from floorplans.render import numbered_problems, render_floor_svg
    from simulators.generate import generate_hospital

    data = imdf_zip_bytes(generate_hospital(buildings=10, levels=10, rooms_per_level=100))
    store = FloorPlanStore(connect(f"sqlite:///{tempfile.mkdtemp(prefix='bench-gen-')}/g.db"))
    store.publish(store.import_bytes(data, actor="bench").id, actor="bench")
    t0 = time.perf_counter()
    draft = store.import_bytes(data, actor="bench")
    t1 = time.perf_counter()
    store.diff(draft.id)
    t2 = time.perf_counter()
    venue, report = store.venue(draft.id), store.report(draft.id)
    problems = numbered_problems(venue, report)
    size = sum(
        len(render_floor_svg(venue, o, lang="fr", scale=6.0, problems=problems))
        for o in venue.levels_by_ordinal()
    )
    t3 = time.perf_counter()
    print(
        f"generated 10 x 10 x 100 ({len(data) / 1e6:.1f} MB zip, {len(venue.units)} units): import + check "
        f"{t1 - t0:.1f} s, diff {t2 - t1:.1f} s, {len(venue.levels_by_ordinal())} floors drawn "
        f"{t3 - t2:.1f} s ({size / 1e6:.1f} MB of SVG)"
    )


def login(client: httpx.Client) -> None:
    page = client.get("/staff/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post("/staff/login", data={"name": "bench", "password": PASSWORD, "csrf": token})
    assert r.status_code == 303, r.text[:300]


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--memory-child", metavar="URL")
    ap.add_argument(
        "--generated", action="store_true", help="also time the library path on the 10 x 10 x 100 hospital"
    )
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    if args.generated:
        generated()
    from core.accounts import AccountStore
    from database import connect
    from floorplans import DEMO_PATH, FloorPlanStore

    tmp = Path(tempfile.mkdtemp(prefix="bench-facilities-"))
    url = f"sqlite:///{tmp / 'w.db'}"
    store = FloorPlanStore(connect(url))
    store.publish(store.import_archive(DEMO_PATH, actor="bench").id, actor="bench")
    AccountStore(url).add("bench", ["facilities"], PASSWORD, actor="bench")
    ports = free_port(), free_port()
    envs = [
        {**os.environ, "WAYFINDING_DATABASE_URL": url, "WAYFINDING_PORT": str(p), "WAYFINDING_REFRESH_S": "2"}
        for p in ports
    ]
    with (
        serving(envs[0], ports[0], tmp / "a.log"),
        serving(envs[1], ports[1], tmp / "b.log"),
        httpx.Client(base_url=f"http://127.0.0.1:{ports[0]}", timeout=60, follow_redirects=False) as a,
        httpx.Client(base_url=f"http://127.0.0.1:{ports[1]}", timeout=60) as b,
    ):
        login(a)
        page_s, lib_s, publish_a, publish_b = [], [], [], []
        for i in range(args.rounds + 1):
            name = f"Imagerie {i} bench"
            data = changed_demo(name)
            token = csrf(a.get("/staff/plans").text)
            t0 = time.perf_counter()
            r = a.post(
                "/staff/plans/upload",
                data={"csrf": token},
                files={"archive": ("plan.zip", data, "application/zip")},
            )
            assert r.status_code == 303, r.text[:500]
            page = a.get(r.headers["location"])
            elapsed = time.perf_counter() - t0
            assert name in page.text and page.text.count("<svg") >= 3
            lib = in_process(url, data)
            vid = int(r.headers["location"].rsplit("/", 1)[1])
            t1 = time.perf_counter()
            a.post(f"/staff/plans/{vid}/publish", data={"csrf": csrf(page.text)})
            seen: dict[str, float] = {}
            while len(seen) < 2 and time.perf_counter() - t1 < 30:
                for label, client in (("a", a), ("b", b)):
                    if label not in seen:
                        hits = client.get("/api/v1/places", params={"q": name}).json()
                        if hits and hits[0]["name"] == name:
                            seen[label] = time.perf_counter() - t1
                time.sleep(0.02)
            if i == 0:
                continue  # warm-up: first templates, first drawing
            page_s.append(elapsed)
            lib_s.append(lib)
            publish_a.append(seen.get("a", float("inf")))
            publish_b.append(seen.get("b", float("inf")))
    child = subprocess.run(
        [sys.executable, __file__, "--memory-child", url],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    mem = json.loads(child.stdout)

    def show(xs: list[float]) -> str:
        return f"median {statistics.median(xs):.2f} s, max {max(xs):.2f} s"

    print(f"rounds: {args.rounds} (after one warm-up)")
    print(f"upload + validate + diff + render, page answered: {show(page_s)}  (target < 2 s)")
    print(f"same work, library calls in-process:             {show(lib_s)}")
    print(f"publish -> routes of replica A (same process):    {show(publish_a)}")
    print(f"publish -> routes of replica B (refresh 2 s):     {show(publish_b)}  (target < 2 s)")
    print(
        f"memory, fresh process importing + drawing one archive: VmHWM {mem['vm_hwm_mb']:.0f} MB "
        f"({mem['after_imports_mb']:.0f} MB after the imports)"
    )


if __name__ == "__main__":
    main()
