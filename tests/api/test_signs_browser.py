"""A printed sign read by the phone page's camera, in Debian's Chromium against ``wayfinding serve``.

The camera is Chromium's fake device fed with a video of the printed sign: the sign's PDF
(as facilities print it) rendered by pdftoppm as a phone held in front of its QR code
would see it. Screenshots (the page after the scan, the printed sign) go to ``shots``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from floorplans import load_demo_venue
from routing import Router
from signage import signs_pdf
from tests.api.conftest import CHROMIUM, LiveServer, phone, serious_violations

KIOSK = "115f6b13-f26a-51a8-a8c3-bafc2bb9411c"  # main hall kiosk
VENUE = load_demo_venue()
SIGNS = Router(VENUE).places.signs
#: A sign off the way from the main hall to Radiology: the lift landing of lift B on level 1.
OFF_WAY = next(s for s in SIGNS.values() if s.kind == "lift" and s.label("fr") == "Ascenseur B, Niveau 1")


def camera_video(pdf: Path, out: Path) -> Path:
    """A .y4m video (640 x 480, 4:2:0) of the sign's lower left corner, where its QR code is,
    from its A4 page rendered at 100 dpi in grey (luma only: chroma is flat grey)."""
    subprocess.run(
        [
            "pdftoppm",
            "-gray",
            "-r",
            "100",
            "-x",
            "0",
            "-y",
            "690",
            "-W",
            "640",
            "-H",
            "480",
            "-singlefile",
            str(pdf),
            str(out.with_suffix("")),
        ],
        check=True,
    )
    pgm = out.with_suffix(".pgm").read_bytes()
    # P5 header: magic, width, height, maxval, each followed by whitespace.
    parts = pgm.split(maxsplit=4)
    assert parts[0] == b"P5" and parts[1:3] == [b"640", b"480"], parts[:4]
    luma = parts[4][: 640 * 480]
    chroma = bytes([128]) * (320 * 240)
    frame = b"FRAME\n" + luma + chroma + chroma
    out.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + frame * 10)
    return out


@pytest.fixture(scope="module")
def sign_files(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sign")
    pdf = folder / "sign.pdf"
    pdf.write_bytes(signs_pdf(VENUE, [OFF_WAY], base_url=live.url, size="A4"))
    return {"pdf": pdf, "video": camera_video(pdf, folder / "sign.y4m")}


@pytest.fixture(scope="module")
def camera_browser(sign_files: dict[str, Path]) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={sign_files['video']}",
            ],
        )
        yield b
        b.close()


def test_scanning_a_printed_sign_on_the_way_restarts_the_route_from_it(
    camera_browser: Browser, live: LiveServer, shots: Path, sign_files: dict[str, Path]
) -> None:
    context = camera_browser.new_context(
        viewport={"width": 360, "height": 740}, locale="fr-FR", permissions=["camera"], device_scale_factor=1
    )
    page = context.new_page()
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url))
    page.goto(f"{live.url}/route?from={KIOSK}&to=radiologie&lang=fr")
    assert not any("jsQR" in u for u in loaded), "the decoder loads only when a visitor scans"
    page.get_by_role("button", name="Scanner un panneau").click()
    page.wait_for_url(f"**at={OFF_WAY.code}**", timeout=30_000)
    note = page.locator(".anchor-note").inner_text()
    assert (
        note == f"Vous vous étiez écarté de l'itinéraire : voici le chemin depuis le panneau {OFF_WAY.code}."
    )
    assert page.locator("#current-text").inner_text().startswith("Face au panneau, ")
    assert page.locator("h1").inner_text() == "Vers Radiologie"
    assert page.locator("#steps li[aria-current=step]").count() == 1
    # The camera is off once the sign is read (no track left running).
    assert page.evaluate("() => document.getElementById('scan-video').srcObject === null")
    assert serious_violations(page) == []
    page.screenshot(path=str(shots / "phone-sign-scanned-fr.png"), full_page=True)
    context.close()
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-singlefile",
            str(sign_files["pdf"]),
            str(shots / "sign-printed-A4"),
        ],
        check=True,
    )


def test_a_typed_sign_code_sets_the_start_without_a_camera(camera_browser: Browser, live: LiveServer) -> None:
    page = phone(camera_browser, locale="en-GB")  # one Playwright per module: this browser, no camera granted
    page.goto(f"{live.url}/?lang=en")
    assert serious_violations(page) == []
    page.get_by_label("Sign code").fill(OFF_WAY.code.lower())
    page.get_by_role("button", name="Start from this sign").click()
    page.wait_for_selector(".start")
    assert page.locator(".start").inner_text() == f"You are at: sign {OFF_WAY.code} — Lift B, Level 1"
    page.get_by_label("Where are you going?").fill("Radiology")
    page.get_by_role("button", name="Show me the way").click()
    page.wait_for_selector("#current-text")
    assert page.locator("#current-text").inner_text().startswith("Facing the sign, ")
    page.context.close()
