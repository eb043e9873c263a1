"""Places a route can start or end at, and finding them from what people type.

A reference is, in this order: the id of a kiosk, occupant, amenity, unit or
opening; a point ``FLOOR:X,Y`` (floor ordinal, metres); or search text,
matched against names, alternative names and synonyms in every language,
ignoring case and accents ("radio", "toilettes", "cardio", "urgences").
When several places share the best name (the toilets of every floor), the
router takes the nearest one from the origin. A generic word ("exit", "lift",
"toilets", "stairs", "entrance", in any catalogue's language, see its
``generic`` section) means every place of that kind: the nearest one by the
chosen profile. An origin that names several places is refused with the
choices (:class:`AmbiguousPlace`): a route from the wrong toilets is wrong
from its first word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from rapidfuzz import fuzz, process

from floorplans import Venue
from floorplans.model import Label, label_text
from floorplans.topology import topology
from routing.graph import WalkGraph
from routing.language import available_languages, catalogue
from routing.signs import normalize_code, plan_signs

#: Below this score (0-100) a search text matches nothing.
MIN_SCORE = 75.0
#: At most this many texts (those sharing the most trigrams with the query) are scored.
MAX_CANDIDATES = 1000
_POINT = re.compile(r"^\s*(-?\d+)\s*:\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_KIND_RANK = {"occupant": 0, "amenity": 1, "kiosk": 2, "unit": 3, "opening": 4}


class PlaceNotFound(LookupError):  # noqa: N818 - reads as what happened
    """Nothing matches a reference; ``suggestions`` holds the closest names."""

    def __init__(self, ref: str, suggestions: list[str]) -> None:
        self.ref = ref
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"no place matches {ref!r}{hint}")


class OutsideBuilding(PlaceNotFound):
    """A point ``FLOOR:X,Y`` that is in no unit of that floor."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref, [])
        self.args = (f"the point {ref!r} is outside the building (in no room or corridor of that floor)",)


class AmbiguousPlace(PlaceNotFound):
    """A name several places share, where one is needed (the origin of a route).
    ``choices`` holds (id, description) of each; ``suggestions`` their ids."""

    def __init__(self, ref: str, choices: list[tuple[str, str]], lang: str = "en") -> None:
        super().__init__(ref, [c[0] for c in choices])
        self.choices = choices
        words = catalogue(lang).section("places")
        listed = "; ".join(words["choice"].format(name=d, id=i) for i, d in choices)
        said = " ".join(ref.split())  # one line, whatever was typed
        self.args = (words["ambiguous"].format(ref=said, n=len(choices), choices=listed),)


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
        # Each distinct text once, with the places it names, and a trigram index: a typed
        # text is scored (compiled rapidfuzz) against the texts that share its trigrams only.
        by_text: dict[str, list[int]] = {}
        for t, owner in zip(texts, owners, strict=True):
            if t:
                by_text.setdefault(t, []).append(owner)
        self._texts = list(by_text)
        self._owners = [sorted(set(ids)) for ids in by_text.values()]
        grams: dict[str, list[int]] = {}
        for i, t in enumerate(self._texts):
            for g in _trigrams(t):
                grams.setdefault(g, []).append(i)
        self._grams = {g: np.asarray(v, dtype=np.int32) for g, v in grams.items()}
        self._generic = self._generic_places()
        #: "You are here" signs by code; a place each, found by its code only (not by search).
        self.signs = {sign.code: sign for sign in plan_signs(graph)}
        for sign in self.signs.values():
            self.by_id[sign.code] = Place(
                "sign", sign.code, sign.name, sign.node, sign.unit_id, sign.level_id, sign.heading
            )

    def _make(
        self, kind: str, fid: str, name: Label | None, node_key: str, *, facing: float | None = None
    ) -> Place | None:
        node = self.graph.index.get(node_key)
        if node is None:
            return None
        n = self.graph.nodes[node]
        return Place(kind, fid, name or {}, node, n.unit_id, n.level_id, facing)

    def _generic_places(self) -> dict[str, list[Place]]:
        """Every public place of each generic kind: ways out, lifts, toilets, stairs."""
        v, g = self.venue, self.graph

        def public(place: Place | None) -> bool:
            unit = v.units.get(place.unit_id or "") if place else None
            return place is not None and (unit is None or unit.public)

        ways_out = []
        for o in v.openings.values():
            node = g.index.get(f"entrance:{o.id}")
            inside = self.by_id.get(o.id)
            if node is not None and inside is not None and public(inside):
                n = g.nodes[node]
                ways_out.append(Place("opening", o.id, o.name or {}, node, None, n.level_id))
        units = [p for p in self.places if p.kind == "unit" and public(p)]
        amenities = [p for p in self.places if p.kind == "amenity" and public(p)]
        cat = {p.id: v.units[p.id].category for p in units}
        return {
            "exit": ways_out,
            "entrance": ways_out,
            "lift": [p for p in units if cat[p.id] == "elevator"],
            "stairs": [p for p in units if cat[p.id] == "stairs"],
            "toilets": [p for p in units if cat[p.id].startswith("restroom")]
            + [p for p in amenities if v.amenities[p.id].category.startswith("restroom")],
        }

    def generic(self, kind: str) -> list[Place]:
        """Every public place of a generic kind (``entrance``, ``exit``, ``lift``, ``stairs``,
        ``toilets``)."""
        return list(self._generic.get(kind, []))

    # -- lookups ----------------------------------------------------------------------------

    def resolve(self, ref: str, lang: str | None = None) -> Place:
        """The place *ref* names; *lang* is the language of the suggestions if none."""
        ref = ref.strip()
        if ref in self.by_id:
            return self.by_id[ref]
        code = normalize_code(ref)
        if code in self.signs:
            return self.by_id[code]
        m = _POINT.match(ref)
        if m:
            return self.point(int(m.group(1)), float(m.group(2)), float(m.group(3)))
        kind = generic_words().get(normalize(ref))
        if kind and self._generic.get(kind):
            found = self._generic[kind]
            top = found[0]
            return Place(top.kind, top.id, top.name, top.node, top.unit_id, top.level_id, None, list(found))
        matches = self.search(ref)
        if not matches or matches[0][1] < MIN_SCORE:
            raise PlaceNotFound(ref, [self._display(p, lang) for p, score in matches[:5] if score >= 45])
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
        cand = self._candidates(query)
        choices = [self._texts[i] for i in cand]
        scores = _scores(query, choices)
        top = np.argsort(-scores, kind="stable")[: max(60, limit * 6)]
        best: dict[int, float] = {}
        for j in top:
            if scores[j] <= 0:
                break
            for owner in self._owners[cand[j]]:
                best[owner] = max(best.get(owner, 0.0), float(scores[j]))
        ranked = sorted(
            best.items(),
            key=lambda kv: (
                -kv[1],
                _KIND_RANK.get(self.places[kv[0]].kind, 9),
                label_text(self.places[kv[0]].name, "fr"),
            ),
        )
        return [(self.places[i], s) for i, s in ranked[:limit]]

    def _candidates(self, query: str) -> np.ndarray:
        """Texts worth scoring: those sharing trigrams with the query (the most first), or
        every text for a query too short to have any."""
        if len(query) < 3:
            return np.arange(len(self._texts))
        grams = [self._grams[g] for g in _trigrams(query) if g in self._grams]
        if not grams:
            return np.zeros(0, dtype=np.int32)  # not one trigram in common: nothing is close
        counts = np.bincount(np.concatenate(grams), minlength=len(self._texts))
        hit = np.flatnonzero(counts)
        if len(hit) > MAX_CANDIDATES:
            hit = hit[np.argpartition(-counts[hit], MAX_CANDIDATES)[:MAX_CANDIDATES]]
        return hit

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
        raise OutsideBuilding(f"{ordinal}:{x:g},{y:g}")

    def describe(self, place: Place, lang: str) -> str:
        """'Toilettes — niveau 0, Bâtiment A': a place told apart from its namesakes."""
        level = self.venue.levels.get(place.level_id)
        building = (
            self.venue.buildings.get(level.building_ids[0])
            if level is not None and level.building_ids
            else None
        )
        where = [label_text(x.name, lang) for x in (level, building) if x is not None and x.name]
        return f"{self._display(place, lang)} — {', '.join(where)}" if where else self._display(place, lang)

    def _display(self, place: Place, lang: str | None = None) -> str:
        return label_text(place.name, lang or self.venue.language.split("-")[0], fallback=place.id)


def generic_words() -> dict[str, str]:
    """Normalised generic word -> kind, from every catalogue ("sortie" -> exit)."""
    return _generic_words(tuple(available_languages()))


@cache
def _generic_words(languages: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for lang in languages:
        for kind, words in catalogue(lang).data.get("generic", {}).items():
            for word in words:
                out[normalize(word)] = kind
    return out


def _trigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _scores(query: str, choices: list[str]) -> np.ndarray:
    """:func:`_score` of *query* against every choice, with rapidfuzz's compiled scorers."""
    if not choices:
        return np.zeros(0)
    full = process.cdist([query], choices, scorer=fuzz.ratio, dtype=np.float32, workers=1)[0].astype(float)
    if len(query) >= 4:
        part = process.cdist([query], choices, scorer=fuzz.partial_ratio, dtype=np.float32, workers=1)[0]
        longer = np.fromiter((len(c) >= len(query) for c in choices), dtype=bool, count=len(choices))
        full = np.maximum(full, np.where(longer, part * 0.85, 0.0))
    words = len(query) >= 3
    for j, c in enumerate(choices):
        if c == query:
            full[j] = 100.0
        elif c.startswith(query) or (words and any(w.startswith(query) for w in c.split())):
            full[j] = max(full[j], 90.0 + 10.0 * len(query) / max(len(c), 1))
    return np.asarray(full, dtype=float)


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
