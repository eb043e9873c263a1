"""An independent check of spoken directions against the ground.

Reads each step of a route as a walker would hear it and checks it against the
route's own geometry and the floor plan, with its own measures (chords over a
few metres of the walked line, distances to the named room's walls), never
with the instruction builder's code or constants:

- a turn is where the walked line bends, on the side said (and the second turn
  of "right, then immediately left" too);
- "into X": the walker is in X within 5 m of the turn;
- "at X" (a landmark): X's walls are within 6 m of the turn, not behind the
  walker, and X is neither a place already walked through, nor the origin or
  the destination;
- "past X": X is beside the stretch walked, never entered, not an end;
- leaving a room: a route that starts in a room says so, and the turn in the
  corridor is on the side said;
- a lift or stairs goes to the level said, up or down as said;
- arrival: at the destination, or at the door of its room on the side said;
- distances within 3 m or 25 % of the walked length;
- no clear bend (over 60 degrees, 4 m away from any step) between two steps:
  a turn nobody said;
- the words: no empty name, no "{", French elision and contractions, no "the"
  before a medical speciality in English.

``python -m tests.routing.checker`` prints the figures for the demo hospital.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import LineString, Point

from floorplans.model import label_text
from routing import Route, Router

INTO_M = 5.0
LANDMARK_M = 6.0
PAST_M = 12.0
CHORD_M = 3.0
MIN_BEND = 20.0
#: A bend this sharp between two steps, away from both, is a turn nobody said.
UNSAID_DEG = 60.0
UNSAID_MARGIN_M = 4.0
SAID_AFTER_DEPART_M = 8.0
SAID_BEFORE_SIDE_M = 10.0
ROOMS = ("room", "office", "foodservice", "laboratory", "restroom", "waitingroom", "lounge")
_FR_ELISION = re.compile(r"\b(le|la|de|que) ([aeiouyàâéèêëîïôöùûü])", re.IGNORECASE)
_FR_CONTRACTION = re.compile(r"\b(de le|de les|à le|à les) ", re.IGNORECASE)
_EN_ARTICLE = re.compile(r"\bthe [A-Za-z ]*?(ology|iatrics|medicine)(?=[.,;]|$| and )")
_BROKEN_CASE = re.compile(r"\b[a-zà-ÿ]'?[a-zà-ÿ][A-Z]{2}|\b[lL]'[a-zà-ÿ][A-Z]")
_EMPTY = re.compile(r"(: ,|:\s*\.|\s,|,\s*,|\{|\}|\s{2,}| :$)")


@dataclass
class Problem:
    route: str
    step: int
    lang: str
    text: str
    why: str


@dataclass
class Tally:
    steps: int = 0
    bad: int = 0
    problems: list[Problem] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def share(self) -> float:
        return self.bad / self.steps if self.steps else 0.0

    def add(self, other: Tally) -> None:
        self.steps += other.steps
        self.bad += other.bad
        self.problems += other.problems
        self.reasons.update(other.reasons)


class Walk:
    """The walked line of a route: positions by distance along it."""

    def __init__(self, router: Router, route: Route) -> None:
        g = router.walk
        self.nodes = [g.nodes[i] for i in route.nodes]
        self.cum = [0.0]
        for a, b in zip(self.nodes, self.nodes[1:], strict=False):
            same = a.ordinal == b.ordinal
            self.cum.append(self.cum[-1] + (math.hypot(b.x - a.x, b.y - a.y) if same else 0.0))

    def floor_span(self, k: int) -> tuple[int, int]:
        """First and last path index of the floor stretch that holds index k."""
        a = k
        while a > 0 and self.nodes[a - 1].ordinal == self.nodes[k].ordinal:
            a -= 1
        b = k
        while b + 1 < len(self.nodes) and self.nodes[b + 1].ordinal == self.nodes[k].ordinal:
            b += 1
        return a, b

    def at(self, s: float, lo: int, hi: int) -> tuple[float, float]:
        s = min(max(s, self.cum[lo]), self.cum[hi])
        for i in range(lo, hi):
            if self.cum[i] <= s <= self.cum[i + 1]:
                span = self.cum[i + 1] - self.cum[i]
                t = (s - self.cum[i]) / span if span else 0.0
                a, b = self.nodes[i], self.nodes[i + 1]
                return a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)
        n = self.nodes[hi]
        return n.x, n.y

    def bend(self, k: int, before: float = CHORD_M, after: float = CHORD_M) -> float:
        """Signed bend (degrees, + = left) of the walked line at index k, from chords."""
        lo, hi = self.floor_span(k)
        s = self.cum[k]
        p0, p1, p2 = self.at(s - before, lo, hi), self.at(s, lo, hi), self.at(s + after, lo, hi)
        h1 = math.atan2(p1[1] - p0[1], p1[0] - p0[0])
        h2 = math.atan2(p2[1] - p1[1], p2[0] - p1[0])
        if math.hypot(p1[0] - p0[0], p1[1] - p0[1]) < 0.3 or math.hypot(p2[0] - p1[0], p2[1] - p1[1]) < 0.3:
            return 0.0
        return (math.degrees(h2 - h1) + 180.0) % 360.0 - 180.0

    def heading_into(self, k: int) -> tuple[float, float]:
        lo, hi = self.floor_span(k)
        p0, p1 = self.at(self.cum[k] - CHORD_M, lo, hi), self.at(self.cum[k], lo, hi)
        n = math.hypot(p1[0] - p0[0], p1[1] - p0[1]) or 1.0
        return (p1[0] - p0[0]) / n, (p1[1] - p0[1]) / n

    def units_between(self, s0: float, s1: float, lo: int, hi: int) -> set[str]:
        return {
            self.nodes[i].unit_id
            for i in range(lo, hi + 1)
            if s0 <= self.cum[i] <= s1 and self.nodes[i].unit_id is not None
        }


def _side_ok(said: str | None, angle: float) -> bool:
    if said is None or said == "straight":
        return abs(angle) < 45.0
    if said == "uturn":
        return abs(angle) > 110.0
    if abs(angle) < MIN_BEND:
        return False
    return (angle > 0) == said.endswith("left")


class Checker:
    def __init__(self, router: Router) -> None:
        self.router = router
        self.venue = router.venue
        self.by_name: dict[tuple[int, str], list[Any]] = {}
        for u in self.venue.units.values():
            level = self.venue.levels.get(u.level_id)
            if level is not None and u.name:
                self.by_name.setdefault((level.ordinal, label_text(u.name, "fr")), []).append(u)

    def _named(self, ordinal: int, label: Any) -> list[Any]:
        return self.by_name.get((ordinal, label_text(label, "fr")), [])

    def check(self, route: Route, langs: tuple[str, ...] = ("fr", "en"), *, name: str = "") -> Tally:
        walk = Walk(self.router, route)
        v = self.venue
        ends = {route.origin.unit_id, route.destination.unit_id} - {None}
        maneuvers = route.maneuvers
        geometry: list[list[str]] = []
        for j, m in enumerate(maneuvers):
            why: list[str] = []
            k = min(m.at_node, len(walk.nodes) - 1)
            lo, hi = walk.floor_span(k)
            s = walk.cum[k]
            node = walk.nodes[k]
            if m.type == "turn":
                then_at = getattr(m, "then_node", None)
                after = CHORD_M if then_at is None else max(0.5, (walk.cum[then_at] - s) / 2)
                if not _side_ok(m.modifier, walk.bend(k, after=after)):
                    why.append(f"turn: said {m.modifier}, the line bends {walk.bend(k, after=after):.0f} deg")
                if then_at is not None:
                    before = max(0.5, (walk.cum[then_at] - s) / 2)
                    if not _side_ok(getattr(m, "then", None), walk.bend(then_at, before=before)):
                        why.append(
                            f"second turn: said {m.then}, bends {walk.bend(then_at, before=before):.0f}"
                        )
                if m.name:
                    near = walk.units_between(
                        s - 1.0, s + INTO_M + (walk.cum[then_at] - s if then_at else 0), lo, hi
                    )
                    if not any(label_text(v.units[u].name, "fr") == label_text(m.name, "fr") for u in near):
                        why.append(f"into {label_text(m.name, 'fr')}: not entered within {INTO_M:g} m")
                if m.landmark:
                    why += self._landmark(walk, k, m.landmark, ends)
            if m.past:
                nxt = maneuvers[j + 1].at_node if j + 1 < len(maneuvers) else hi
                why += self._past(walk, k, min(nxt, hi), m.past, ends)
            if m.type == "depart" and j == 0:
                origin_unit = v.units.get(route.origin.unit_id or "")
                in_room = origin_unit is not None and origin_unit.category.split(".")[0] in ROOMS
                leaves = origin_unit is not None and any(
                    n.unit_id != origin_unit.id for n in walk.nodes[: hi + 1]
                )
                # (A kiosk's screen gives the facing: "with the screen behind you" is enough.)
                if in_room and leaves and m.context not in ("room", "kiosk"):
                    why.append("starts in a room but does not say to leave it")
                turned = m.context == "room" and m.modifier and m.modifier != "straight"
                if turned and not _side_ok(m.modifier, walk.bend(k)):
                    why.append(f"leaving: said {m.modifier}, the line bends {walk.bend(k):.0f} deg")
            if m.type in ("elevator", "stairs", "escalator"):
                nxt = next(
                    (i for i in range(k, len(walk.nodes)) if walk.nodes[i].ordinal != node.ordinal), None
                )
                if nxt is None:
                    why.append("a level change that does not change level")
                else:
                    # The last node of the vertical run: the floor one gets off at.
                    end = nxt
                    while (
                        end + 1 < len(walk.nodes) and walk.nodes[end + 1].ordinal != walk.nodes[end].ordinal
                    ):
                        end += 1
                    target = v.levels[walk.nodes[end].level_id]
                    said = label_text(m.level, "fr")
                    if said not in (label_text(target.short_name, "fr"), str(target.ordinal)):
                        why.append(f"level: said {said}, gets off at {target.ordinal}")
                    up = target.ordinal > node.ordinal
                    if m.modifier in ("up", "down") and (m.modifier == "up") != up:
                        why.append(f"said {m.modifier}, goes {'up' if up else 'down'}")
            if m.type == "arrive":
                dest = route.destination
                end_node = walk.nodes[-1]
                at_end = (
                    math.hypot(node.x - end_node.x, node.y - end_node.y) <= 2.0 or k == len(walk.nodes) - 1
                )
                at_door = k + 1 < len(walk.nodes) and walk.nodes[k + 1].unit_id == dest.unit_id
                if not (at_end or at_door):
                    left = walk.cum[-1] - s
                    why.append(f"arrival said {left:.0f} m before the destination")
                if m.side in ("left", "right") and at_door:
                    h = walk.heading_into(k)
                    nx_, ny_ = walk.nodes[k + 1].x - node.x, walk.nodes[k + 1].y - node.y
                    cross = h[0] * ny_ - h[1] * nx_
                    if (cross > 0) != (m.side == "left"):
                        why.append(f"door said on the {m.side}, it is on the other side")
            if j + 1 < len(maneuvers):
                why += self._unsaid_turns(walk, m, maneuvers[j + 1])
            if j + 1 < len(maneuvers) and m.distance_m >= 1.0:
                nxt = maneuvers[j + 1].at_node
                if walk.nodes[min(nxt, len(walk.nodes) - 1)].ordinal == node.ordinal:
                    real = walk.cum[min(nxt, len(walk.nodes) - 1)] - s
                    if abs(real - m.distance_m) > max(3.0, 0.25 * real):
                        why.append(f"distance: said {m.distance_m:.0f} m, walked {real:.0f} m")
            geometry.append(why)
        tally = Tally()
        for lang in langs:
            steps = route.steps(lang)
            for j, (step, why) in enumerate(zip(steps, geometry, strict=True)):
                words = why + self._words(step.screen, lang) + self._words(step.speech, lang)
                tally.steps += 1
                if words:
                    tally.bad += 1
                    tally.reasons.update(w.split(":")[0] for w in words)
                    tally.problems.append(Problem(name, j + 1, lang, step.screen, "; ".join(words)))
        return tally

    @staticmethod
    def _unsaid_turns(walk: Walk, m: Any, following: Any) -> list[str]:
        """A clear bend of the walked line between this step and the next that no step says
        (two turns summed into "straight on", a turn dropped as too close to another).
        Said bends: at each step; the turn of "leaving the lift, turn right" a few metres
        out of it; the turn into a lift or stairs said as its side ("on your left")."""
        k = min(m.at_node, len(walk.nodes) - 1)
        nxt = min(following.at_node, len(walk.nodes) - 1)
        after = SAID_AFTER_DEPART_M if m.type == "depart" else UNSAID_MARGIN_M
        before = SAID_BEFORE_SIDE_M if following.side in ("left", "right") else UNSAID_MARGIN_M
        then_at = walk.cum[m.then_node] if getattr(m, "then_node", None) is not None else None
        for i in range(k + 1, nxt):
            if walk.nodes[i].ordinal != walk.nodes[k].ordinal:
                break
            s = walk.cum[i]
            if s - walk.cum[k] < after or walk.cum[nxt] - s < before:
                continue
            if then_at is not None and abs(s - then_at) < UNSAID_MARGIN_M:
                continue
            bend = walk.bend(i)
            if abs(bend) > UNSAID_DEG:
                ahead = walk.cum[i] - walk.cum[k]
                return [f"unsaid turn: the line bends {bend:.0f} deg {ahead:.0f} m after this step"]
        return []

    def _named_place(
        self, how: str, walk: Walk, k: int, label: Any, ends: set[str], walked: set[str | None]
    ) -> tuple[list[Any], list[str]]:
        """The rooms named *label* on the walker's floor, or why it may not be said."""
        units = self._named(walk.nodes[k].ordinal, label)
        text = label_text(label, "fr")
        if not units:
            return units, [f"{how} {text}: no such room on this floor"]
        if any(u.id in ends for u in units) or text in self._end_names(ends):
            return units, [f"{how} {text}: the origin or the destination (or its namesake)"]
        if any(u.id in walked for u in units):
            return units, [f"{how} {text}: a place walked through"]
        return units, []

    def _landmark(self, walk: Walk, k: int, label: Any, ends: set[str]) -> list[str]:
        node = walk.nodes[k]
        text = label_text(label, "fr")
        units, why = self._named_place("at", walk, k, label, ends, {n.unit_id for n in walk.nodes[: k + 1]})
        if why:
            return why
        p = Point(node.x, node.y)
        h = walk.heading_into(k)
        for u in units:
            if u.geometry.distance(p) <= LANDMARK_M:
                q = u.geometry.exterior.interpolate(u.geometry.exterior.project(p))
                if (q.x - p.x) * h[0] + (q.y - p.y) * h[1] >= -2.0:
                    return []
                return [f"at {text}: behind the walker"]
        return [f"at {text}: more than {LANDMARK_M:g} m from the turn"]

    def _past(self, walk: Walk, k: int, nxt: int, label: Any, ends: set[str]) -> list[str]:
        node = walk.nodes[k]
        text = label_text(label, "fr")
        units, why = self._named_place("past", walk, k, label, ends, {n.unit_id for n in walk.nodes})
        if why:
            return why

        pts = [(n.x, n.y) for n in walk.nodes[k : nxt + 1] if n.ordinal == node.ordinal]
        line = LineString(pts) if len(pts) > 1 else Point(node.x, node.y)
        if min(u.geometry.distance(line) for u in units) > PAST_M:
            return [f"past {text}: not beside the stretch walked"]
        return []

    def _end_names(self, ends: set[str]) -> set[str]:
        return {label_text(self.venue.units[u].name, "fr") for u in ends if self.venue.units[u].name}

    @staticmethod
    def _words(text: str, lang: str) -> list[str]:
        out = []
        if _BROKEN_CASE.search(text):
            out.append(f"words: broken capitals in {_BROKEN_CASE.search(text).group(0)!r}")  # type: ignore[union-attr]
        if _EMPTY.search(text):
            out.append(f"words: empty name or stray mark in {text!r}")
        if lang == "fr":
            bad = [
                m.group(0)
                for m in _FR_ELISION.finditer(text)
                if not m.group(0).lower().startswith(("le h", "la h", "de h"))
            ]
            if bad:
                out.append(f"words: no elision in {bad[0]!r}")
            if _FR_CONTRACTION.search(text):
                out.append("words: 'de le' not contracted")
        if lang == "en" and _EN_ARTICLE.search(text):
            out.append(f"words: article before a speciality in {_EN_ARTICLE.search(text).group(0)!r}")  # type: ignore[union-attr]
        return out


def public_places(router: Router) -> list[str]:
    """Ids of the places a visitor may ask for: services, amenities, kiosks (public ones)."""
    out = []
    for p in router.places.places:
        unit = router.venue.units.get(p.unit_id or "")
        if p.kind in ("occupant", "amenity", "kiosk") and (unit is None or unit.public):
            out.append(p.id)
    return out


def check_all_pairs(
    router: Router,
    *,
    profiles: tuple[str, ...] = ("default", "step_free"),
    langs: tuple[str, ...] = ("fr", "en"),
) -> Tally:
    from routing import NoRoute

    checker = Checker(router)
    places = public_places(router)
    total = Tally()
    for profile in profiles:
        for a in places:
            for b in places:
                if a == b:
                    continue
                try:
                    route = router.route(a, b, profile=profile, lang=langs[0])
                except NoRoute:
                    continue
                label = f"{route.origin.label('fr')} -> {route.destination.label('fr')} ({profile})"
                total.add(checker.check(route, langs, name=label))
    return total


def main() -> None:
    import sys

    from floorplans import load_demo_venue

    router = Router(load_demo_venue())
    t = check_all_pairs(router)
    print(f"{t.bad} of {t.steps} steps disagree ({100 * t.share:.2f} %)")
    for reason, n in t.reasons.most_common():
        print(f"  {n:6d}  {reason}")
    for p in t.problems[: int(sys.argv[1]) if len(sys.argv) > 1 else 30]:
        print(f"- {p.route} step {p.step} [{p.lang}] {p.text}\n    {p.why}")


if __name__ == "__main__":
    main()
