"""Places a route can start or end at, and finding them from what people type.

A reference is, in this order: the id of a kiosk, occupant, amenity, unit or
opening; a point ``FLOOR:X,Y`` (floor ordinal, metres); or search text,
matched against names, alternative names and synonyms in every language,
ignoring case and accents ("radio", "toilettes", "cardio", "urgences").
When several places share the best name (the toilets of every floor), the
router takes the nearest one from the origin.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from floorplans import Venue
from floorplans.model import Label, label_text
from floorplans.topology import topology
from routing.graph import WalkGraph

#: Below this score (0-100) a search text matches nothing.
MIN_SCORE = 75.0
_POINT = re.compile(r"^\s*(-?\d+)\s*:\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_KIND_RANK = {"occupant": 0, "amenity": 1, "kiosk": 2, "unit": 3, "opening": 4}


class PlaceNotFound(LookupError):  # noqa: N818 - reads as what happened
    """Nothing matches a reference; ``suggestions`` holds the closest names."""

    def __init__(self, ref: str, suggestions: list[str]) -> None:
        self.ref = ref
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"no place matches {ref!r}{hint}")


@dataclass(slots=True)
class Place:
    kind: str  # kiosk, occupant, amenity, unit, opening, entrance, point
    id: str
    name: Label
    node: int
    unit_id: str | None
    level_id: str
    facing: float | None = None
    #: Same-named alternatives (every floor's toilets); the router picks the nearest.
    alternatives: list[Place] = field(default_factory=list)

    def label(self, lang: str) -> str:
        return label_text(self.name, lang, fallback=self.id)


def normalize(text: str) -> str:
    """Lower case, no accents, single spaces: 'Cafétéria ' -> 'cafeteria'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w&]+", " ", stripped).split())


class PlaceIndex:
    def __init__(self, venue: Venue, graph: WalkGraph) -> None:
        self.venue = venue
        self.graph = graph
        self.places: list[Place] = []
        self.by_id: dict[str, Place] = {}
        texts: list[str] = []
        owners: list[int] = []
        v = venue

        def add(
            place: Place | None, names: list[Label | None], keywords: dict[str, list[str]] | None = None
        ) -> None:
            if place is None:
                return
            self.by_id[place.id] = place
            i = len(self.places)
            self.places.append(place)
            for label in names:
                for text in (label or {}).values():
                    texts.append(normalize(text))
                    owners.append(i)
            for words in (keywords or {}).values():
                for text in words:
                    texts.append(normalize(text))
                    owners.append(i)

        for k in v.kiosks.values():
            add(self._make("kiosk", k.id, k.name, f"kiosk:{k.id}", facing=k.facing), [k.name])
        for oc in v.occupants.values():
            add(self._make("occupant", oc.id, oc.name, f"anchor:{oc.anchor_id}"), [oc.name], oc.keywords)
        for am in v.amenities.values():
            add(
                self._make("amenity", am.id, am.name, f"amenity:{am.id}"), [am.name, am.alt_name], am.keywords
            )
        for u in v.units.values():
            kw = u.extra.get("keywords") if isinstance(u.extra.get("keywords"), dict) else None
            add(self._make("unit", u.id, u.name, f"unit:{u.id}"), [u.name, u.alt_name], kw)
        topo = topology(v)
        for o in v.openings.values():
            sides = topo.opening_units.get(o.id, [])
            key = f"side:{o.id}:{sides[0]}" if sides else ""
            add(self._make("opening", o.id, o.name, key), [o.name])
        self._texts = texts
        self._owners = owners

    def _make(
        self, kind: str, fid: str, name: Label | None, node_key: str, *, facing: float | None = None
    ) -> Place | None:
        node = self.graph.index.get(node_key)
        if node is None:
            return None
        n = self.graph.nodes[node]
        return Place(kind, fid, name or {}, node, n.unit_id, n.level_id, facing)

    # -- lookups ----------------------------------------------------------------------------

    def resolve(self, ref: str) -> Place:
        ref = ref.strip()
        if ref in self.by_id:
            return self.by_id[ref]
        m = _POINT.match(ref)
        if m:
            return self.point(int(m.group(1)), float(m.group(2)), float(m.group(3)))
        matches = self.search(ref)
        if not matches or matches[0][1] < MIN_SCORE:
            raise PlaceNotFound(ref, [self._display(p) for p, _ in self.search(ref, limit=5) if _ >= 45][:5])
        top, score = matches[0]
        same = [
            p
            for p, s in matches
            if s >= score - 0.5
            and p is not top
            and normalize(label_text(p.name, "fr")) == normalize(label_text(top.name, "fr"))
            and p.kind == top.kind
        ]
        if same:
            return Place(
                top.kind, top.id, top.name, top.node, top.unit_id, top.level_id, top.facing, [top, *same]
            )
        return top

    def search(self, text: str, *, limit: int = 10) -> list[tuple[Place, float]]:
        query = normalize(text)
        if not query or not self._texts:
            return []
        hits = process.extract(query, self._texts, scorer=_score, limit=max(60, limit * 6))
        best: dict[int, float] = {}
        for _, score, idx in hits:
            owner = self._owners[idx]
            best[owner] = max(best.get(owner, 0.0), float(score))
        ranked = sorted(
            best.items(),
            key=lambda kv: (
                -kv[1],
                _KIND_RANK.get(self.places[kv[0]].kind, 9),
                label_text(self.places[kv[0]].name, "fr"),
            ),
        )
        return [(self.places[i], s) for i, s in ranked[:limit]]

    def point(self, ordinal: int, x: float, y: float) -> Place:
        from shapely.geometry import Point

        topo = topology(self.venue)
        levels = [lv for lv in self.venue.levels.values() if lv.ordinal == ordinal]
        if not levels:
            floors = sorted({lv.ordinal for lv in self.venue.levels.values()})
            raise PlaceNotFound(f"{ordinal}:{x},{y}", [f"floor {f}" for f in floors])
        for lv in levels:
            unit = topo.unit_at(lv.id, Point(x, y))
            if unit is None:
                continue
            nodes = self.graph.unit_nodes.get(unit.id, [])
            if nodes:
                best = min(
                    nodes, key=lambda i: (self.graph.nodes[i].x - x) ** 2 + (self.graph.nodes[i].y - y) ** 2
                )
                return Place("point", f"{ordinal}:{x:g},{y:g}", unit.name or {}, best, unit.id, unit.level_id)
        raise PlaceNotFound(f"{ordinal}:{x},{y}", [])

    def _display(self, place: Place) -> str:
        return label_text(place.name, self.venue.language.split("-")[0], fallback=place.id)


def _score(query: str, choice: str, **_: object) -> float:
    """Whole-name similarity, or a prefix/word match ("cardio" in "cardiologie")."""
    if query == choice:
        return 100.0
    full = fuzz.ratio(query, choice)
    words = choice.split()
    prefix = 0.0
    if (len(query) >= 3 and any(w.startswith(query) for w in words)) or choice.startswith(query):
        prefix = 90.0 + 10.0 * len(query) / max(len(choice), 1)
    # A fragment of a longer name ("radio" in "radiologie"), never the reverse: "er" (a
    # synonym of the emergency department) must not match inside "boulangerie".
    partial = (
        fuzz.partial_ratio(query, choice) * 0.85 if len(query) >= 4 and len(choice) >= len(query) else 0.0
    )
    return max(full, prefix, partial)
