""" "You are here" signs: where a hospital puts them, derived from the plan.

A sign is a printed poster on a wall with a QR code; scanning it opens the phone
page with the origin *and the walker's heading* set (``/?at=<code>``), so that the
first step can say "Facing the sign, turn left". The plan decides where signs go,
at the places where people stop and wonder (Arthur & Passini's decision points):

- ``entrance``: inside each public entrance, read by people walking in;
- ``lift``: on each floor, opposite the doors of each public lift (one per lobby:
  lifts whose doors are within :data:`MERGE_M` share a sign), read by people
  stepping out;
- ``stairs``: on each landing of public stairs and escalators, read by people
  stepping off;
- ``waiting``: inside each waiting room, by its door, read by people leaving;
- ``junction``: where two corridors (walkway, lobby, footbridge) meet, on the side
  of the larger one, read by people about to cross into the other;
- ``added``: where facilities put one (a place of their choice, read looking the way they
  say). Facilities can also remove a sign or turn one (``floorplans.edit``: the archive's
  ``sign.geojson`` keeps those changes).

Each sign stands on a node of the walk graph (the inner side of the door it is
about), so that a route from it needs no new node. Its *heading* is the compass
bearing (degrees clockwise from north) a person reading it looks along; that is
also the direction "up" on its "you are here" map.

Its code (4 characters, 5 on a clash) is made from what the sign is about (kind and
feature id), not from its position in a list: a sign keeps its code across plan
versions as long as the door or lift it is about exists, so printed signs stay
valid after a rename or a redraw. Codes use letters and digits nobody confuses
(no 0/O, 1/I/L), and are read case-insensitively.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from floorplans.edit import sign_overrides
from floorplans.model import Label, label_text
from routing.language import available_languages, catalogue

if TYPE_CHECKING:
    from routing.graph import WalkGraph

#: Letters and digits a reader cannot confuse on a poster or when typing.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 4
#: Signs of one kind in one unit closer than this share one poster (two lifts side by side).
MERGE_M = 5.0
KINDS = ("entrance", "lift", "stairs", "waiting", "junction", "added")
CORRIDORS = frozenset({"walkway", "lobby", "footbridge"})
WAITING = frozenset({"waitingroom", "lounge"})
#: Unit categories whose landings get a sign, and the sign's kind.
VERTICAL = {"elevator": "lift", "stairs": "stairs", "escalator": "stairs"}


@dataclass(frozen=True, slots=True)
class Sign:
    """A "you are here" sign of the plan."""

    #: Printed on the sign, typed by hand, carried by its QR code (``/?at=<code>``).
    code: str
    kind: str
    name: Label
    #: The feature the sign is about (an opening, or the passage's units), which makes its code.
    source: str
    level_id: str
    ordinal: int
    unit_id: str
    #: Metres east and north of the venue's display point.
    x: float
    y: float
    #: Compass bearing (degrees clockwise from north) of a person reading the sign.
    heading: float
    #: Walk graph node the sign stands on.
    node: int

    def label(self, lang: str) -> str:
        return label_text(self.name, lang, fallback=self.code)


def sign_code(kind: str, source: str, length: int = CODE_LENGTH) -> str:
    """A short code made from what the sign is about (stable across plan versions)."""
    digest = int.from_bytes(hashlib.blake2b(f"{kind}:{source}".encode(), digest_size=8).digest(), "big")
    out = []
    for _ in range(length):
        digest, r = divmod(digest, len(CODE_ALPHABET))
        out.append(CODE_ALPHABET[r])
    return "".join(out)


def normalize_code(text: str) -> str:
    """What a visitor typed, read as a code: upper case, spaces and dashes dropped."""
    return "".join(c for c in text.upper() if c.isalnum())


def plan_signs(graph: WalkGraph) -> list[Sign]:
    """The signs the plan calls for, in a stable order (kind, then level, then code)."""
    venue = graph.venue
    units = venue.units
    nodes = graph.nodes
    candidates: list[tuple[str, str, int, float, Label]] = []  # kind, source, node, heading, name
    langs = available_languages()

    def bearing(ax: float, ay: float, bx: float, by: float) -> float:
        return math.degrees(math.atan2(bx - ax, by - ay)) % 360.0

    def name(kind: str, **labels: Label | None) -> Label:
        out: Label = {}
        for lang in langs:
            pattern = catalogue(lang).section("signs")[kind]
            out[lang] = catalogue(lang).fill(
                pattern, squeeze=True, **{k: label_text(v, lang) for k, v in labels.items()}
            )
        return out

    passages_seen: set[str] = set()
    for e, kind in enumerate(graph.kind):
        if graph.restricted[e] or kind not in ("entrance", "door", "passage"):
            continue
        a, b = nodes[graph.src[e]], nodes[graph.dst[e]]
        via = graph.via[e] or ""
        if via not in venue.openings:  # an open passage: named by its units, stable across versions
            via = "+".join(sorted(u or "outside" for u in (a.unit_id, b.unit_id)))
        if kind == "entrance":
            if a.kind != "outside" or b.unit_id is None:
                continue  # read walking in: from the outside node to the inside one
            inside = units[b.unit_id]
            opening = venue.openings.get(via)
            label = (  # "Entrée principale" as named, else "Entrée — Hall d'accueil"
                dict(opening.name)
                if opening is not None and opening.name
                else name("entrance", place=inside.name)
            )
            candidates.append(("entrance", via, graph.dst[e], bearing(a.x, a.y, b.x, b.y), label))
            continue
        if a.unit_id is None or b.unit_id is None:
            continue
        ua, ub = units[a.unit_id], units[b.unit_id]
        level = venue.levels[ub.level_id].name
        landing = VERTICAL.get(ua.category)
        if landing is not None and ub.category not in VERTICAL:  # stepping out of a lift, off the stairs
            candidates.append(
                (
                    landing,
                    via,
                    graph.dst[e],
                    bearing(a.x, a.y, b.x, b.y),
                    name(landing, place=ua.name, level=level),
                )
            )
        elif ua.category in WAITING and ub.category not in WAITING and ua.name:  # leaving the waiting room
            # The sign is inside the room, by the door, read by someone looking at the door.
            candidates.append(
                ("waiting", via, graph.src[e], bearing(a.x, a.y, b.x, b.y), name("waiting", place=ua.name))
            )
        elif (
            ua.category in CORRIDORS
            and ub.category in CORRIDORS
            and ua.id != ub.id
            and via not in passages_seen
        ):
            # One sign per meeting of two corridors, in the larger one, looking into the other.
            passages_seen.add(via)
            big, small, at, other = (a, b, graph.src[e], graph.dst[e])
            if units[small.unit_id].geometry.area > units[big.unit_id].geometry.area:  # type: ignore[index]
                big, small, at, other = b, a, graph.dst[e], graph.src[e]
            ubig, usmall = units[big.unit_id], units[small.unit_id]  # type: ignore[index]
            if not (ubig.public and usmall.public):
                continue
            candidates.append(
                (
                    "junction",
                    via,
                    at,
                    bearing(nodes[at].x, nodes[at].y, nodes[other].x, nodes[other].y),
                    name("junction", place=ubig.name, other=usmall.name),
                )
            )

    kept: list[tuple[str, str, int, float, Label]] = []
    for cand in sorted(candidates, key=lambda c: (KINDS.index(c[0]), c[1])):
        kind, _source, node, _h, _n = cand
        n = nodes[node]
        unit = units.get(n.unit_id or "")
        if unit is None or not unit.public:
            continue
        if any(
            k[0] == kind
            and nodes[k[2]].unit_id == n.unit_id
            and math.hypot(nodes[k[2]].x - n.x, nodes[k[2]].y - n.y) < MERGE_M
            for k in kept
        ):
            continue  # the lift next door: one poster for the lobby
        kept.append(cand)

    # What facilities changed (floorplans/edit.py): signs they added in a place of their choice.
    overrides = sign_overrides(venue)
    for key, props in sorted(overrides.items()):
        uid = str(props.get("unit_id") or "")
        spot = graph.index.get(f"unit:{uid}")
        if not key.startswith("+") or spot is None or not units[uid].public:
            continue
        kept.append(("added", uid, spot, float(props.get("heading") or 0.0), dict(units[uid].name or {})))

    used: set[str] = set()
    out = []
    for kind, source, node, heading, label in kept:
        length = CODE_LENGTH
        code = sign_code(kind, source, length)
        while code in used:  # a clash (rare: 31^4 codes): the later sign gets one more character
            length += 1
            code = sign_code(kind, source, length)
        used.add(code)
        n = nodes[node]
        out.append(
            Sign(
                code,
                kind,
                label,
                source,
                n.level_id,
                n.ordinal,
                n.unit_id or "",
                n.x,
                n.y,
                round(heading, 1) % 360.0,
                node,
            )
        )
    # Signs removed or turned by facilities.
    final = []
    for sign in out:
        change = overrides.get(sign.code, {})
        if change.get("removed"):
            continue
        if change.get("heading") is not None:
            sign = dataclasses.replace(sign, heading=round(float(change["heading"]) % 360.0, 1))
        final.append(sign)
    return sorted(final, key=lambda s: (KINDS.index(s.kind), s.ordinal, s.code))
