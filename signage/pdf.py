"""Printable "you are here" signs as PDF (reportlab), A4 or A3 portrait.

A sign says, top to bottom: "You are here" in the venue's languages, the sign's name
and floor, a map of its surroundings turned so that what is ahead of the reader is
up (the alignment principle of "you are here" maps: a map that is not turned is read
the wrong way round by half its readers), the reader's dot with an arrow for the way
they look, north, and the QR code with the short code and the address to type it at.

A3 is A4 scaled by the square root of two, so one layout serves both.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterable, Sequence

import segno
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from floorplans.model import Venue, label_text
from floorplans.render import unit_fill
from routing.language import catalogue
from routing.signs import Sign

SIZES = {"A4": A4, "A3": A3}
#: Half the width of ground the map shows around the sign, metres (A4 and A3 alike).
MAP_RADIUS_M = 20.0
INK = HexColor("#1f1f1f")
BAND = HexColor("#0b5394")
DOT = HexColor("#cc0000")
WALL = HexColor("#404040")
MUTED = HexColor("#595959")


def sign_url(base_url: str, sign: Sign, site: str | None = None) -> str:
    """The address the sign's QR code carries: the phone page, origin and heading set (and the
    site, for a hospital with several)."""
    return f"{base_url.rstrip('/')}/?at={sign.code}" + (f"&site={site}" if site else "")


def signs_pdf(
    venue: Venue,
    signs: Iterable[Sign],
    *,
    base_url: str,
    size: str = "A4",
    langs: Sequence[str] = (),
    site: str | None = None,
) -> bytes:
    """One page per sign. *langs*: the languages written on it, the first in large type
    (default: the venue's languages that have a catalogue)."""
    if size not in SIZES:
        raise ValueError(f"sign size {size!r}: choose one of {', '.join(SIZES)}")
    langs = list(langs) or _venue_langs(venue)
    out = io.BytesIO()
    page = SIZES[size]
    pdf = Canvas(out, pagesize=page, pageCompression=1)
    pdf.setTitle(f"{label_text(venue.name, langs[0])} — signs")
    pdf.setCreator("hospital-wayfinding")
    any_page = False
    for sign in signs:
        pdf.saveState()
        pdf.scale(page[0] / A4[0], page[0] / A4[0])
        _draw(pdf, venue, sign, base_url=base_url, langs=langs, site=site)
        pdf.restoreState()
        pdf.showPage()
        any_page = True
    if not any_page:
        raise ValueError("no sign to print")
    pdf.save()
    return out.getvalue()


def _venue_langs(venue: Venue) -> list[str]:
    out = []
    for lang in venue.languages:
        try:
            out.append(catalogue(lang).lang)
        except ValueError:
            continue
    return list(dict.fromkeys(out)) or ["fr"]


def _draw(
    pdf: Canvas, venue: Venue, sign: Sign, *, base_url: str, langs: list[str], site: str | None
) -> None:
    width, height = A4
    margin = 12 * mm
    words = [catalogue(lang).section("signs") for lang in langs]
    first = words[0]

    # Band: "You are here" in each language.
    band_h = 30 * mm
    pdf.setFillColor(BAND)
    pdf.rect(0, height - band_h, width, band_h, stroke=0, fill=1)
    pdf.setFillColor(white)
    pdf.setFont("Helvetica-Bold", 30)
    pdf.drawString(margin, height - 16 * mm, first["title"])
    pdf.setFont("Helvetica", 15)
    pdf.drawString(margin, height - 25 * mm, " · ".join(w["title"] for w in words[1:]))
    pdf.setFont("Helvetica-Bold", 44)
    pdf.drawRightString(width - margin, height - 21 * mm, sign.code)

    # The sign's name and floor.
    level = venue.levels.get(sign.level_id)
    y = height - band_h - 11 * mm
    pdf.setFillColor(INK)
    pdf.setFont("Helvetica-Bold", 18)
    for line in simpleSplit(sign.label(langs[0]), "Helvetica-Bold", 18, width - 2 * margin)[:2]:
        pdf.drawString(margin, y, line)
        y -= 7 * mm
    pdf.setFont("Helvetica", 11)
    pdf.setFillColor(MUTED)
    kinds = " / ".join(dict.fromkeys(w["kinds"][sign.kind] for w in words))
    pdf.drawString(margin, y, f"{kinds} · {label_text(level.name if level else None, langs[0])}")

    # The map, what is ahead up.
    map_top = y - 5 * mm
    map_h = 140 * mm
    _draw_map(pdf, venue, sign, margin, map_top - map_h, width - 2 * margin, map_h, words, langs[0])

    # QR code, code and address.
    qr_size = 58 * mm
    qr_y = margin + 8 * mm
    url = sign_url(base_url, sign, site)
    _draw_qr(pdf, url, margin, qr_y, qr_size)
    tx = margin + qr_size + 8 * mm
    tw = width - tx - margin
    ty = qr_y + qr_size - 5 * mm
    pdf.setFillColor(INK)
    for i, w in enumerate(words):
        font, fsize = ("Helvetica-Bold", 12) if i == 0 else ("Helvetica", 10)
        pdf.setFont(font, fsize)
        for line in simpleSplit(w["scan"], font, fsize, tw):
            pdf.drawString(tx, ty, line)
            ty -= fsize * 1.25
        ty -= 3
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(tx, ty - 6, first["code"].format(code=sign.code))
    pdf.setFont("Helvetica", 9)
    pdf.setFillColor(MUTED)
    typed = first["type"].format(url=base_url.rstrip("/") + "/")
    for line in simpleSplit(typed, "Helvetica", 9, tw):
        ty -= 12
        pdf.drawString(tx, ty - 10, line)
    pdf.setFont("Helvetica", 7)
    pdf.drawString(
        margin,
        margin,
        f"{label_text(venue.name, langs[0])} · {sign.code} · {sign.kind} · {sign.source} · "
        f"{sign.x:.1f}, {sign.y:.1f} m · {sign.heading:.0f}°",
    )


def _draw_qr(pdf: Canvas, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m", boost_error=True)
    matrix = [list(row) for row in qr.matrix]
    n = len(matrix) + 8  # the quiet zone readers need: four modules each side
    cell = size / n
    pdf.setFillColor(white)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColor(INK)
    path = pdf.beginPath()
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                path.rect(x + (c + 4) * cell, y + size - (r + 5) * cell, cell, cell)
    pdf.drawPath(path, stroke=0, fill=1)


def _draw_map(
    pdf: Canvas,
    venue: Venue,
    sign: Sign,
    x0: float,
    y0: float,
    w: float,
    h: float,
    words: list[dict[str, object]],
    lang: str,
) -> None:
    scale = w / (2 * MAP_RADIUS_M)  # points per metre
    # The reader below the middle (more of what is ahead); well below at an entrance (behind is outdoors).
    cx, cy = x0 + w / 2, y0 + h * (0.3 if sign.kind == "entrance" else 0.42)
    theta = math.radians(sign.heading)
    ux, uy = math.sin(theta), math.cos(theta)  # ahead
    rx, ry = math.cos(theta), -math.sin(theta)  # to the right

    def page(px: float, py: float) -> tuple[float, float]:
        dx, dy = px - sign.x, py - sign.y
        return cx + (dx * rx + dy * ry) * scale, cy + (dx * ux + dy * uy) * scale

    def ground(px: float, py: float) -> tuple[float, float]:
        du, dv = (px - cx) / scale, (py - cy) / scale
        return sign.x + du * rx + dv * ux, sign.y + du * ry + dv * uy

    window = Polygon([ground(x0, y0), ground(x0 + w, y0), ground(x0 + w, y0 + h), ground(x0, y0 + h)])
    ordinal = venue.levels[sign.level_id].ordinal
    levels = {lid for lid, lv in venue.levels.items() if lv.ordinal == ordinal}
    units = [u for u in venue.units.values() if u.level_id in levels and u.geometry.intersects(window)]

    pdf.saveState()
    frame = pdf.beginPath()
    frame.rect(x0, y0, w, h)
    pdf.setFillColor(HexColor("#fbfbfb"))
    pdf.setStrokeColor(WALL)
    pdf.drawPath(frame, stroke=1, fill=1)
    pdf.clipPath(frame, stroke=0, fill=0)
    pdf.setLineWidth(0.8)
    for unit in units:
        path = pdf.beginPath()
        for poly in _polygons(unit.geometry):
            for ring in [poly.exterior, *poly.interiors]:
                pts = [page(px, py) for px, py in ring.coords]
                path.moveTo(*pts[0])
                for q in pts[1:]:
                    path.lineTo(*q)
                path.close()
        fill = "#d9d9d9" if not unit.public else unit_fill(unit.category)
        pdf.setFillColor(HexColor(fill))
        pdf.drawPath(path, stroke=1, fill=1, fillMode=1)
    # Doors as gaps in the walls.
    pdf.setStrokeColor(HexColor("#fbfbfb"))
    pdf.setLineWidth(2.5)
    for opening in venue.openings.values():
        if opening.level_id in levels and opening.geometry.intersects(window):
            pts = [page(px, py) for px, py in opening.geometry.coords]
            for (ax_, ay_), (bx_, by_) in itertools.pairwise(pts):
                pdf.line(ax_, ay_, bx_, by_)
    # Names, upright, the biggest places first; none drawn over another.
    # Room for the reader's dot, arrow and words, and for north: no name over them.
    placed: list[tuple[float, float, float, float]] = [
        (cx - 14 * mm, cy - 13 * mm, cx + 14 * mm, cy + 17 * mm),
        (x0 + w - 19 * mm, y0 + h - 19 * mm, x0 + w, y0 + h),
    ]
    frame_box = (x0 + 2, y0 + 2, x0 + w - 2, y0 + h - 2)
    for unit in sorted(units, key=lambda u: -u.geometry.area):
        if not unit.name:
            continue
        text = label_text(unit.name, lang)
        seen = unit.geometry.intersection(window.buffer(-3.0))
        if seen.is_empty:
            continue
        size = 10.0 if unit.geometry.area > 60 else 8.5
        lines = simpleSplit(text, "Helvetica", size, max(60.0, min(140.0, 9 * scale)))[:3]
        tw = max(pdf.stringWidth(line, "Helvetica", size) for line in lines)
        th = size * 1.2 * len(lines)
        # Where the plan puts the name, else where the unit is seen (a long corridor), if free.
        spots = [unit.anchor_point(), seen.representative_point(), seen.centroid]
        spots += [  # beside the reader, left or right, ahead or behind: a corridor they stand in
            q
            for k in (9.0, -9.0, 14.0, -14.0)
            for q in (Point(sign.x + k * rx, sign.y + k * ry), Point(sign.x + k * ux, sign.y + k * uy))
            if seen.covers(q)
        ]
        bb = None
        for spot in spots:
            px, py = page(spot.x, spot.y)
            box_ = (px - tw / 2 - 2, py - th / 2 - 2, px + tw / 2 + 2, py + th / 2 + 2)
            inside = (
                frame_box[0] <= box_[0]
                and box_[2] <= frame_box[2]
                and frame_box[1] <= box_[1]
                and box_[3] <= frame_box[3]
            )
            if inside and not any(_overlap(box_, o) for o in placed):
                bb = box_
                break
        if bb is None:
            continue
        placed.append(bb)
        pdf.setFillColor(INK)
        pdf.setFont("Helvetica", size)
        ty = py + th / 2 - size
        for line in lines:
            pdf.drawCentredString(px, ty, line)
            ty -= size * 1.2
    pdf.restoreState()

    # The reader: a dot and an arrow for the way they look (up, as the map is turned).
    pdf.setFillColor(DOT)
    pdf.setStrokeColor(white)
    pdf.setLineWidth(2)
    arrow = pdf.beginPath()
    arrow.moveTo(cx, cy + 16 * mm)
    arrow.lineTo(cx - 5 * mm, cy + 6 * mm)
    arrow.lineTo(cx + 5 * mm, cy + 6 * mm)
    arrow.close()
    pdf.drawPath(arrow, stroke=1, fill=1)
    pdf.rect(cx - 1.2 * mm, cy, 2.4 * mm, 7 * mm, stroke=0, fill=1)
    pdf.circle(cx, cy, 4 * mm, stroke=1, fill=1)
    pdf.setFillColor(INK)
    pdf.setFont("Helvetica-Bold", 11)
    here = str(words[0]["title"])
    pdf.setFillColor(white)
    tw = pdf.stringWidth(here, "Helvetica-Bold", 11)
    pdf.roundRect(cx - tw / 2 - 3, cy - 11 * mm, tw + 6, 15, 3, stroke=0, fill=1)
    pdf.setFillColor(DOT)
    pdf.drawCentredString(cx, cy - 11 * mm + 4, here)

    # North, turned with the map.
    nx, ny = x0 + w - 11 * mm, y0 + h - 11 * mm
    ax, ay = ry, uy  # north, (0, 1) in metres, on the turned page
    pdf.setFillColor(white)
    pdf.setStrokeColor(WALL)
    pdf.setLineWidth(0.8)
    pdf.circle(nx, ny, 7 * mm, stroke=1, fill=1)
    tip = pdf.beginPath()
    tip.moveTo(nx + ax * 5.5 * mm, ny + ay * 5.5 * mm)
    tip.lineTo(nx - ay * 2.2 * mm, ny + ax * 2.2 * mm)
    tip.lineTo(nx + ay * 2.2 * mm, ny - ax * 2.2 * mm)
    tip.close()
    pdf.setFillColor(INK)
    pdf.drawPath(tip, stroke=0, fill=1)
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawCentredString(nx - ax * 4 * mm, ny - ay * 4 * mm - 3, str(words[0]["north"]))
    # Scale bar: 5 m.
    pdf.setLineWidth(2)
    pdf.line(x0 + 6 * mm, y0 + 6 * mm, x0 + 6 * mm + 5 * scale, y0 + 6 * mm)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(x0 + 6 * mm, y0 + 8 * mm, "5 m")


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return []


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
