"""Draw one floor of a venue as SVG, so that a person can check a plan by eye.

Units are filled by category (staff-only places hatched), doors drawn as
gaps in orange (entrances in red), lifts and stairs marked, names written at
their display points, kiosks drawn with an arrow for the way the screen faces.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from xml.etree import ElementTree as ET

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from floorplans._errors import FloorPlanError
from floorplans.model import Venue, label_text
from floorplans.report import Problem, Report
from floorplans.topology import OUTSIDE, topology

FILL = {
    "walkway": "#f4f1e8",
    "lobby": "#efe6cf",
    "footbridge": "#e8e1cc",
    "ramp": "#d9ead3",
    "steps": "#f2d7c9",
    "elevator": "#9fc5e8",
    "stairs": "#b4a7d6",
    "escalator": "#b4a7d6",
    "waitingroom": "#fff2cc",
    "lounge": "#fff2cc",
    "foodservice": "#f9cb9c",
    "laboratory": "#d0e0e3",
    "office": "#e6e6e6",
    "storage": "#d9d9d9",
    "structure": "#7f7f7f",
    "kitchen": "#f9cb9c",
    "recreation": "#d9ead3",
    "serverroom": "#cccccc",
}
RESTROOM_FILL = "#cfe2f3"
ROOM_FILL = "#ffffff"
LEGEND = [
    ("Couloir / corridor", FILL["walkway"]),
    ("Hall", FILL["lobby"]),
    ("Ascenseur / lift", FILL["elevator"]),
    ("Escalier / stairs", FILL["stairs"]),
    ("Rampe / ramp", FILL["ramp"]),
    ("Marches / steps", FILL["steps"]),
    ("Attente / waiting", FILL["waitingroom"]),
    ("Toilettes / toilets", RESTROOM_FILL),
    ("Salle / room", ROOM_FILL),
    ("Mur, gaine / structure", FILL["structure"]),
]


def unit_fill(category: str) -> str:
    """The fill of a unit of this IMDF category on every plan (SVG maps and the kiosk)."""
    return RESTROOM_FILL if category.startswith("restroom") else FILL.get(category, ROOM_FILL)


#: What the importer guessed (doors, vertical links): its own colour, dashed.
INFERRED_COLOUR = "#8e24aa"
#: Problem markers by severity.
PROBLEM_COLOURS = {"error": "#b3261e", "warning": "#a15c00", "info": "#5f6368"}
#: Characters of a problem's message on one line of the list under the plan.
PROBLEM_LINE_CHARS = 170


def locate(venue: Venue, problem: Problem) -> tuple[int, float, float] | None:
    """Where a problem is on the plan: its own place, else its feature's."""
    if problem.ordinal is not None and problem.x is not None and problem.y is not None:
        return problem.ordinal, problem.x, problem.y
    fid = problem.feature_id
    if fid is None:
        return None
    ordinal = {lid: lv.ordinal for lid, lv in venue.levels.items()}
    if fid in venue.units and venue.units[fid].level_id in ordinal:
        u = venue.units[fid]
        p = u.geometry.representative_point()
        return ordinal[u.level_id], p.x, p.y
    if fid in venue.openings and venue.openings[fid].level_id in ordinal:
        o = venue.openings[fid]
        p = o.geometry.interpolate(0.5, normalized=True)
        return ordinal[o.level_id], p.x, p.y
    unit_id: str | None = None
    point = None
    if fid in venue.amenities:
        am = venue.amenities[fid]
        unit_id, point = (am.unit_ids[0] if am.unit_ids else None), am.geometry
    elif fid in venue.occupants:
        anchor = venue.anchors.get(venue.occupants[fid].anchor_id)
        if anchor is not None:
            unit_id, point = anchor.unit_id, anchor.geometry
    elif fid in venue.anchors:
        unit_id, point = venue.anchors[fid].unit_id, venue.anchors[fid].geometry
    elif fid in venue.relationships:
        chain = venue.relationships[fid].unit_ids()
        unit_id = chain[0] if chain else None
    elif fid in venue.kiosks and venue.kiosks[fid].level_id in ordinal:
        k = venue.kiosks[fid]
        p = k.anchor_point()
        return ordinal[k.level_id], p.x, p.y
    unit = venue.units.get(unit_id or "")
    if unit is None or unit.level_id not in ordinal:
        return None
    p = point if point is not None else unit.geometry.representative_point()
    return ordinal[unit.level_id], p.x, p.y


def numbered_problems(venue: Venue, report: Report) -> list[tuple[int, Problem, tuple[int, float, float]]]:
    """The report's problems that have a place, numbered (errors first) for markers and their list."""
    order = {"error": 0, "warning": 1, "info": 2}
    placed = [(p, locate(venue, p)) for p in report.problems]
    ranked = sorted(
        ((p, at) for p, at in placed if at is not None), key=lambda pa: (order[pa[0].severity], pa[1])
    )
    return [(n, p, at) for n, (p, at) in enumerate(ranked, start=1) if at is not None]


#: Colours of what is drawn over a plan (a route): dark enough for WCAG contrast on the fills.
ROUTE_COLOUR = "#0b57d0"
MARK_COLOURS = {"start": "#137333", "end": "#b3261e", "change": "#5b2c97", "here": "#137333"}


@dataclass(slots=True)
class Mark:
    """A labelled point drawn over a plan, in metres: ``start``, ``end``, ``change`` (of floor)."""

    kind: str
    x: float
    y: float
    label: str = ""
    #: Bearing the person faces (degrees clockwise from north), drawn as an arrow.
    facing: float | None = None


@dataclass(slots=True)
class Marks:
    """What to draw over a floor (a route's part on it), in metres."""

    lines: list[list[tuple[float, float]]] = field(default_factory=list)
    points: list[Mark] = field(default_factory=list)
    #: Frame the drawing around the marks (with this margin, metres) instead of the whole floor.
    crop_margin_m: float | None = None


def resolve_floor(venue: Venue, level: str) -> int:
    """The floor ordinal meant by *level*: an ordinal, a level id or a short name."""
    try:
        ordinal = int(level)
    except ValueError:
        ordinal = None
    ordinals = {lv.ordinal for lv in venue.levels.values()}
    if ordinal is not None and ordinal in ordinals:
        return ordinal
    for lv in venue.levels.values():
        names = {*(lv.short_name or {}).values(), *(lv.name or {}).values(), lv.id}
        if level in names:
            return lv.ordinal
    known = ", ".join(str(o) for o in sorted(ordinals))
    raise FloorPlanError(f"no level {level!r} in venue; floors are {known}")


def render_floor_svg(
    venue: Venue,
    level: str | int,
    *,
    lang: str = "fr",
    scale: float = 8.0,
    receivers: bool = False,
    marks: Marks | None = None,
    problems: list[tuple[int, Problem, tuple[int, float, float]]] | None = None,
    guesses: bool = True,
) -> str:
    """One floor as SVG; *marks* (a route) drawn on top, framed around them when asked.

    *problems* (from :func:`numbered_problems`) are drawn as numbered markers,
    listed under the plan with their message. With *guesses* (the default, for
    facilities staff), what the importer inferred is drawn dashed in its own
    colour; without (the maps visitors see), a guessed door is a door.
    """
    ordinal = level if isinstance(level, int) else resolve_floor(venue, level)
    level_ids = {lv.id for lv in venue.levels.values() if lv.ordinal == ordinal}
    units = [u for u in venue.units.values() if u.level_id in level_ids]
    if not units:
        raise FloorPlanError(f"floor {ordinal} has no units to draw")
    topo = topology(venue)
    floor_index = topo.floors[ordinal]
    floor_unit_ids = set(floor_index.unit_ids)
    margin = 16.0  # room for entrance names outside the walls
    minx = min(u.geometry.bounds[0] for u in units) - margin
    miny = min(u.geometry.bounds[1] for u in units) - 4
    maxx = max(u.geometry.bounds[2] for u in units) + margin
    maxy = max(u.geometry.bounds[3] for u in units) + 4
    here = [(n, p, at) for n, p, at in problems or [] if at[0] == ordinal]
    legend_h = 90 + (24 + 16 * len(here) if here else 0)
    width, height = (maxx - minx) * scale, (maxy - miny) * scale + legend_h

    def xy(x: float, y: float) -> str:
        return f"{(x - minx) * scale:.1f},{(maxy - y) * scale:.1f}"

    def path(geom: BaseGeometry) -> str:
        polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
        parts = []
        for poly in polys:
            assert isinstance(poly, Polygon)
            for ring in (poly.exterior, *poly.interiors):
                parts.append("M" + " L".join(xy(x, y) for x, y in ring.coords) + " Z")
        return " ".join(parts)

    # Several buildings' levels share a floor: it is named after the one with most units.
    unit_count = {lid: sum(1 for u in units if u.level_id == lid) for lid in level_ids}
    title_levels = sorted((venue.levels[i] for i in level_ids), key=lambda lv: (-unit_count[lv.id], lv.id))
    floor_name = label_text(title_levels[0].name, lang, fallback=str(ordinal))
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, sans-serif">',
        f"<title>{escape(label_text(venue.name, lang))} — {escape(floor_name)}</title>",
        '<defs><pattern id="staff" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#c00000" '
        'stroke-width="1.2" stroke-opacity="0.35"/></pattern></defs>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fbfbfb"/>',
    ]
    for u in sorted(units, key=lambda u: -u.geometry.area):
        fill = unit_fill(u.category)
        out.append(
            f'<path d="{path(u.geometry)}" fill="{fill}" stroke="#404040" '
            f'stroke-width="1.2" data-unit="{escape(u.id)}" data-category="{escape(u.category)}"/>'
        )
        if not u.public:
            out.append(f'<path d="{path(u.geometry)}" fill="url(#staff)" stroke="none"/>')
    # Doors: white gap over the wall, then a coloured bar.
    entrances = {p.opening_id for p in topo.passages if p.b == OUTSIDE}
    for o in venue.openings.values():
        sides = topo.opening_units.get(o.id, [])
        if not (set(sides) & floor_unit_ids) and o.level_id not in level_ids:
            continue
        pts = " ".join(xy(x, y) for x, y in o.geometry.coords)
        colour = "#d00000" if o.id in entrances else "#e69138"
        dash = ""
        if guesses and o.guessed:
            colour, dash = INFERRED_COLOUR, ' stroke-dasharray="4 2" data-inferred="true"'
        out.append(f'<polyline points="{pts}" stroke="#fbfbfb" stroke-width="4" fill="none"/>')
        out.append(
            f'<polyline points="{pts}" stroke="{colour}" stroke-width="2.5" fill="none"{dash} '
            f'data-opening="{escape(o.id)}"/>'
        )
        if o.id in entrances and o.name and sides:
            # Write the entrance's name outside, away from the hall it opens into.
            c = o.geometry.centroid
            inner = venue.units[sides[0]].geometry.centroid
            dx, dy = c.x - inner.x, c.y - inner.y
            if abs(dx) > abs(dy):
                at = (c.x + math.copysign(1.0, dx), c.y)
                anchor = "start" if dx > 0 else "end"
            else:
                at = (c.x, c.y + math.copysign(2.5, dy))
                anchor = "middle"
            out.append(_text(xy(*at), label_text(o.name, lang), 11, "#d00000", anchor=anchor))
    # Vertical links the importer guessed: the units they join, outlined in its colour.
    guessed_units = (
        {uid for r in venue.relationships.values() if r.guessed for uid in r.unit_ids()}
        | {u.id for u in units if u.guessed}
    ) & floor_unit_ids
    if not guesses:
        guessed_units = set()
    for uid in sorted(guessed_units):
        out.append(
            f'<path d="{path(venue.units[uid].geometry)}" fill="none" stroke="{INFERRED_COLOUR}" '
            f'stroke-width="2.5" stroke-dasharray="6 3" data-inferred-link="{escape(uid)}"/>'
        )
    # Lift and stairs symbols, names.
    for u in units:
        c = u.anchor_point()
        if u.category == "elevator":
            out.append(_text(xy(c.x, c.y), "⇅", 16, "#073763", dy=-8))
        elif u.category in ("stairs", "steps"):
            out.append(_stairs(u.geometry, xy, scale))
        if u.name and u.category not in ("structure",):
            size = _fit(label_text(u.name, lang), u.geometry, scale)
            if size:
                out.append(
                    _text(
                        xy(c.x, c.y),
                        label_text(u.name, lang),
                        size,
                        "#202020",
                        wrap_width=(u.geometry.bounds[2] - u.geometry.bounds[0]) * scale,
                    )
                )
    for k in venue.kiosks.values():
        if k.level_id not in level_ids:
            continue
        p = k.anchor_point()
        out.append(f'<path d="{path(k.geometry)}" fill="#38761d" stroke="#274e13"/>')
        if k.facing is not None:
            rad = math.radians(k.facing)
            tip = (p.x + 2.5 * math.sin(rad), p.y + 2.5 * math.cos(rad))
            out.append(
                f'<line x1="{xy(p.x, p.y).split(",")[0]}" y1="{xy(p.x, p.y).split(",")[1]}"'
                f' x2="{xy(*tip).split(",")[0]}" y2="{xy(*tip).split(",")[1]}" '
                'stroke="#38761d" stroke-width="2.5" marker-end="none"/>'
            )
        out.append(_text(xy(p.x, p.y), "borne", 9, "#274e13", dy=12))
    for a in venue.amenities.values():
        if a.category.startswith("restroom") and a.unit_ids and venue.units.get(a.unit_ids[0]) in units:
            out.append(_text(xy(a.geometry.x, a.geometry.y), "♿ WC", 10, "#0b5394", dy=14))
    if receivers:
        for rx in venue.receivers.values():
            if rx.level_id in level_ids:
                out.append(
                    f'<circle cx="{xy(rx.geometry.x, rx.geometry.y).split(",")[0]}" '
                    f'cy="{xy(rx.geometry.x, rx.geometry.y).split(",")[1]}" r="2.5" '
                    'fill="#6aa84f"/>'
                )
    for n, prob, (_, px, py) in here:
        # The number stands beside the place, tied to it by a short line, so that it does
        # not hide the door or wall it is about.
        ax, ay = (float(v) for v in xy(px, py).split(","))
        cx, cy = ax + 11, ay - 11
        colour = PROBLEM_COLOURS[prob.severity]
        out.append(
            f'<g data-problem="{n}" data-code="{escape(prob.code)}">'
            f"<title>{n}. {escape(prob.said(lang))}</title>"
            f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{cx:.1f}" y2="{cy:.1f}" stroke="{colour}" '
            'stroke-width="1.5"/>'
            f'<circle cx="{ax:.1f}" cy="{ay:.1f}" r="2" fill="{colour}"/>'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="8" fill="{colour}" stroke="#ffffff" stroke-width="1.5"/>'
            f'<text x="{cx:.1f}" y="{cy:.1f}" dy="3.5" font-size="9" font-weight="bold" fill="#ffffff" '
            f'text-anchor="middle">{n}</text></g>'
        )
    if marks is not None:
        box = _crop_box(marks, (minx, miny, maxx, maxy)) if marks.crop_margin_m is not None else None
        if box is None:
            out.extend(_marks(marks, xy, 1.0))
        else:
            x0, y0_, x1, y1 = box
            vx, vy = (x0 - minx) * scale, (maxy - y1) * scale
            vw, vh = (x1 - x0) * scale, (y1 - y0_) * scale
            # Marks keep their size on a phone screen whatever the framing (about 400 px wide).
            out.extend(_marks(marks, xy, max(1.0, vw / PHONE_PX)))
            out[0] = (
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{vw:.0f}" height="{vh:.0f}" '
                f'viewBox="{vx:.0f} {vy:.0f} {vw:.0f} {vh:.0f}" font-family="DejaVu Sans, sans-serif">'
            )
            out.append("</svg>")
            svg = "\n".join(out)
            ET.fromstring(svg)
            return svg
    # Legend and title.
    y0 = height - legend_h + 8
    out.append(
        f'<text x="10" y="{y0 + 10:.0f}" font-size="14" font-weight="bold">'
        f"{escape(label_text(venue.name, lang))} — {escape(floor_name)}</text>"
    )
    x, row_y = 10.0, y0 + 22
    for text, colour in LEGEND:
        item_w = 18 + 6.5 * len(text) + 14
        if x + item_w > width - 10:
            x, row_y = 10.0, row_y + 20
        out.append(
            f'<rect x="{x:.0f}" y="{row_y:.0f}" width="14" height="14" fill="{colour}" stroke="#404040"/>'
        )
        out.append(f'<text x="{x + 18:.0f}" y="{row_y + 11:.0f}" font-size="11">{escape(text)}</text>')
        x += item_w
    y0 = row_y - 22
    out.append(
        f'<rect x="10" y="{y0 + 44:.0f}" width="14" height="14" fill="url(#staff)" '
        'stroke="#404040"/><text x="28" y="' + f"{y0 + 55:.0f}" + '" font-size="11">'
        "Réservé au personnel / staff only</text>"
        f'<line x1="230" y1="{y0 + 51:.0f}" x2="250" y2="{y0 + 51:.0f}" stroke="#d00000" '
        f'stroke-width="3"/><text x="255" y="{y0 + 55:.0f}" font-size="11">'
        "Entrée / entrance</text>"
        f'<line x1="360" y1="{y0 + 51:.0f}" x2="380" y2="{y0 + 51:.0f}" stroke="#e69138" '
        f'stroke-width="3"/><text x="385" y="{y0 + 55:.0f}" font-size="11">'
        "Porte / door</text>"
    )
    if guesses:
        out.append(
            f'<line x1="465" y1="{y0 + 51:.0f}" x2="485" y2="{y0 + 51:.0f}" stroke="{INFERRED_COLOUR}" '
            f'stroke-width="3" stroke-dasharray="4 2"/><text x="490" y="{y0 + 55:.0f}" font-size="11">'
            "Deviné à l'import / inferred on import</text>"
        )
    if here:
        row = y0 + 82
        out.append(
            f'<text x="10" y="{row:.0f}" font-size="12" font-weight="bold">'
            "Problèmes sur ce niveau / problems on this floor</text>"
        )
        chars = max(40, int((width - 60) / 6.2))
        for n, prob, _ in here:
            row += 16
            text = f"{prob.severity.upper()} {prob.code}: {prob.said(lang)}"
            if len(text) > min(chars, PROBLEM_LINE_CHARS):
                text = text[: min(chars, PROBLEM_LINE_CHARS) - 1] + "…"
            out.append(
                f'<circle cx="18" cy="{row - 4:.0f}" r="7" fill="{PROBLEM_COLOURS[prob.severity]}"/>'
                f'<text x="18" y="{row - 1:.0f}" font-size="9" fill="#ffffff" text-anchor="middle">{n}</text>'
                f'<text x="30" y="{row:.0f}" font-size="11">{escape(text)}</text>'
            )
    scale_bar = 10 * scale
    out.append(
        f'<line x1="{width - scale_bar - 20:.0f}" y1="{y0 + 51:.0f}" '
        f'x2="{width - 20:.0f}" y2="{y0 + 51:.0f}" stroke="#000" stroke-width="2"/>'
        f'<text x="{width - scale_bar - 20:.0f}" y="{y0 + 45:.0f}" font-size="11">10 m</text>'
    )
    out.append("</svg>")
    svg = "\n".join(out)
    ET.fromstring(svg)  # fail here, not in a browser, if the markup is broken
    return svg


#: Width a framed (cropped) drawing is made for, in pixels: a phone held upright.
PHONE_PX = 400.0
#: A framed drawing is at least this tall for its width, so that a long corridor stays readable.
MIN_ASPECT = 0.7


def _crop_box(
    marks: Marks, bounds: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    """The part of the floor to show around the marks (metres), never thinner than MIN_ASPECT."""
    xs = [x for line in marks.lines for x, _ in line] + [m.x for m in marks.points]
    ys = [y for line in marks.lines for _, y in line] + [m.y for m in marks.points]
    if not xs:
        return None
    pad = marks.crop_margin_m or 0.0
    minx, miny, maxx, maxy = bounds
    x0, x1 = min(xs) - pad, max(xs) + pad
    y0, y1 = min(ys) - pad, max(ys) + pad
    w, h = x1 - x0, y1 - y0
    if h < w * MIN_ASPECT:
        grow = (w * MIN_ASPECT - h) / 2
        y0, y1 = y0 - grow, y1 + grow
    elif w < h * MIN_ASPECT:
        grow = (h * MIN_ASPECT - w) / 2
        x0, x1 = x0 - grow, x1 + grow
    x0, x1 = _slide(x0, x1, minx, maxx)
    y0, y1 = _slide(y0, y1, miny, maxy)
    return x0, y0, x1, y1


def _slide(v0: float, v1: float, lo: float, hi: float) -> tuple[float, float]:
    """The interval moved back inside [lo, hi], then clipped to it."""
    if v0 < lo:
        v0, v1 = lo, v1 + (lo - v0)
    if v1 > hi:
        v0, v1 = v0 - (v1 - hi), hi
    return max(v0, lo), v1


def _marks(marks: Marks, xy: Callable[[float, float], str], k: float) -> list[str]:
    """The marks drawn; *k* scales their strokes, dots and words."""
    out = []
    for line in marks.lines:
        if len(line) < 2:
            continue
        pts = " ".join(xy(x, y) for x, y in line)
        # A white casing under the line keeps it visible over any fill.
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="#ffffff" stroke-width="{9 * k:.1f}" '
            'stroke-linecap="round" stroke-linejoin="round"/>'
        )
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="{ROUTE_COLOUR}" stroke-width="{5 * k:.1f}" '
            'stroke-linecap="round" stroke-linejoin="round" data-route="1"/>'
        )
    for m in marks.points:
        colour = MARK_COLOURS.get(m.kind, ROUTE_COLOUR)
        cx, cy = (float(v) for v in xy(m.x, m.y).split(","))
        if m.facing is not None:
            rad = math.radians(m.facing)
            reach = 4 * k
            tx, ty = (
                float(v) for v in xy(m.x + reach * math.sin(rad), m.y + reach * math.cos(rad)).split(",")
            )
            out.append(
                f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{tx:.1f}" y2="{ty:.1f}" stroke="{colour}" '
                f'stroke-width="{4 * k:.1f}" stroke-linecap="round"/>'
            )
        out.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{9 * k:.1f}" fill="{colour}" stroke="#ffffff" '
            f'stroke-width="{3 * k:.1f}" data-mark="{escape(m.kind)}"/>'
        )
        if m.label:
            out.append(
                f'<text x="{cx:.1f}" y="{cy - 15 * k:.1f}" text-anchor="middle" font-size="{15 * k:.1f}" '
                f'font-weight="bold" fill="{colour}" stroke="#ffffff" stroke-width="{4 * k:.1f}" '
                f'paint-order="stroke">{escape(m.label)}</text>'
            )
    return out


def _fit(text: str, geom: BaseGeometry, scale: float) -> float:
    minx, miny, maxx, maxy = geom.bounds
    w, h = (maxx - minx) * scale, (maxy - miny) * scale
    longest_word = max((len(w_) for w_ in text.split()), default=1)
    size = min(12.0, w / (0.72 * max(longest_word, 1)), h / 3)
    return size if size >= 5 else 0.0


def _text(
    at: str,
    text: str,
    size: float,
    colour: str,
    *,
    dy: float = 0,
    wrap_width: float | None = None,
    anchor: str = "middle",
) -> str:
    x, y = (float(v) for v in at.split(","))
    lines = [text]
    if wrap_width:
        lines, line = [], ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if line and len(trial) * size * 0.6 > wrap_width * 0.92:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    y0 = y + dy - (len(lines) - 1) * size * 0.6
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{y0 + i * size * 1.2:.1f}">{escape(t)}</tspan>' for i, t in enumerate(lines)
    )
    return f'<text text-anchor="{anchor}" font-size="{size:.1f}" fill="{colour}">{spans}</text>'


def _stairs(geom: BaseGeometry, xy: object, scale: float) -> str:
    minx, miny, maxx, maxy = geom.bounds
    lines = []
    long_x = (maxx - minx) >= (maxy - miny)
    n = 8
    for i in range(1, n):
        if long_x:
            x = minx + i * (maxx - minx) / n
            a, b = xy(x, miny + 0.3), xy(x, maxy - 0.3)  # type: ignore[operator]
        else:
            y = miny + i * (maxy - miny) / n
            a, b = xy(minx + 0.3, y), xy(maxx - 0.3, y)  # type: ignore[operator]
        (x1, y1), (x2, y2) = a.split(","), b.split(",")
        lines.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#674ea7" stroke-width="0.8"/>')
    return "".join(lines)
