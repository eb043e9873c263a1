"""What changed between two versions of a venue, in a facilities manager's words.

>>> for change in diff_venues(published, draft):     # doctest: +SKIP
...     print(change.text)
unit 'Radiologie' renamed to 'Imagerie médicale'
opening 'Porte 12' (between 'Cardiologie' and 'Couloir A') removed: 'Cardiologie' no longer
reachable from 'Entrée principale'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from floorplans.model import OPEN_UNIT_CATEGORIES, Label, Venue, label_text
from floorplans.text import T, Text, joined
from floorplans.topology import OUTSIDE, Topology, topology

#: Geometry changes smaller than this (m², symmetric difference) are noise.
AREA_NOISE_M2 = 0.05


@dataclass(slots=True, frozen=True)
class Change:
    #: added, removed, renamed, changed, moved, reachability
    kind: str
    feature_type: str
    feature_id: str
    #: The change as a sentence a page says in its reader's language (``sentence.said(lang)``).
    sentence: Text

    @property
    def text(self) -> str:
        """The change in English (the command line, the logs)."""
        return str(self.sentence)


def diff_venues(old: Venue, new: Venue, *, lang: str = "fr") -> list[Change]:
    """Every difference from *old* to *new* that matters to a visitor or to staff."""
    changes: list[Change] = []
    changes += _levels(old, new, lang)
    changes += _units(old, new, lang)
    changes += _openings(old, new, lang)
    changes += _relationships(old, new, lang)
    changes += _named_points(old, new, lang)
    changes += _reachability(old, new, lang)
    return changes


def _n(label: Label | None, fid: str, lang: str) -> str:
    text = label_text(label, lang)
    return repr(text) if text else repr(fid)


def _levels(old: Venue, new: Venue, lang: str) -> Iterable[Change]:
    for lid in old.levels.keys() - new.levels.keys():
        yield Change(
            "removed", "level", lid, T("level {name} removed", name=_n(old.levels[lid].name, lid, lang))
        )
    for lid in new.levels.keys() - old.levels.keys():
        yield Change("added", "level", lid, T("level {name} added", name=_n(new.levels[lid].name, lid, lang)))
    for lid in old.levels.keys() & new.levels.keys():
        a, b = old.levels[lid], new.levels[lid]
        if label_text(a.name, lang) != label_text(b.name, lang):
            yield Change(
                "renamed",
                "level",
                lid,
                T("level {name} renamed to {new}", name=_n(a.name, lid, lang), new=_n(b.name, lid, lang)),
            )
        if a.ordinal != b.ordinal:
            yield Change(
                "changed",
                "level",
                lid,
                T(
                    "level {name} moved from floor {was} to floor {now}",
                    name=_n(a.name, lid, lang),
                    was=a.ordinal,
                    now=b.ordinal,
                ),
            )


def _level_of(venue: Venue, level_id: str, lang: str) -> str:
    lv = venue.levels.get(level_id)
    if lv is None:
        return repr(level_id)
    return repr(label_text(lv.short_name, lang) or label_text(lv.name, lang) or str(lv.ordinal))


def _units(old: Venue, new: Venue, lang: str) -> Iterable[Change]:
    for uid in sorted(old.units.keys() - new.units.keys()):
        u = old.units[uid]
        yield Change(
            "removed",
            "unit",
            uid,
            T(
                "unit {name} ({category}) removed from level {level}",
                name=_n(u.name, uid, lang),
                category=u.category,
                level=_level_of(old, u.level_id, lang),
            ),
        )
    for uid in sorted(new.units.keys() - old.units.keys()):
        u = new.units[uid]
        yield Change(
            "added",
            "unit",
            uid,
            T(
                "unit {name} ({category}) added on level {level}",
                name=_n(u.name, uid, lang),
                category=u.category,
                level=_level_of(new, u.level_id, lang),
            ),
        )
    for uid in sorted(old.units.keys() & new.units.keys()):
        a, b = old.units[uid], new.units[uid]
        name = _n(a.name, uid, lang)
        if (a.name or {}) != (b.name or {}):
            yield Change(
                "renamed",
                "unit",
                uid,
                T("unit {name} {how}", name=name, how=_renamed(a.name, b.name, uid, lang)),
            )
        yield from _synonyms("unit", uid, name, _unit_keywords(a.extra), _unit_keywords(b.extra))
        if a.category != b.category:
            yield Change(
                "changed",
                "unit",
                uid,
                T("unit {name} is now a {now} (was {was})", name=name, now=b.category, was=a.category),
            )
        if a.restriction != b.restriction:
            yield Change(
                "changed",
                "unit",
                uid,
                T("unit {name} is now staff-only", name=name)
                if b.restriction
                else T("unit {name} is now open to the public", name=name),
            )
        if a.level_id != b.level_id:
            yield Change(
                "moved",
                "unit",
                uid,
                T("unit {name} moved to level {level}", name=name, level=_level_of(new, b.level_id, lang)),
            )
        elif a.geometry.symmetric_difference(b.geometry).area > AREA_NOISE_M2:
            shift = a.geometry.centroid.distance(b.geometry.centroid)
            yield Change(
                "changed",
                "unit",
                uid,
                T(
                    "unit {name} reshaped: {was:.1f} m² -> {now:.1f} m², moved {shift:.1f} m"
                    if shift > 0.1
                    else "unit {name} reshaped: {was:.1f} m² -> {now:.1f} m²",
                    name=name,
                    was=a.geometry.area,
                    now=b.geometry.area,
                    shift=shift,
                ),
            )


def _renamed(a: Label | None, b: Label | None, fid: str, lang: str) -> Text:
    """How a name changed, language by language: "renamed to 'X'", "named 'Y' in en"."""
    a, b = a or {}, b or {}
    parts: list[Text] = []
    base = lang.split("-", maxsplit=1)[0]
    for tag in sorted(a.keys() | b.keys(), key=lambda t: (t.split("-")[0] != base, t)):
        if a.get(tag) == b.get(tag):
            continue
        if tag not in b:
            parts.append(T("no longer named {was!r} in {tag}", was=a[tag], tag=tag))
        elif tag not in a:
            parts.append(T("now named {now!r} in {tag}", now=b[tag], tag=tag))
        elif tag.split("-")[0] == base:
            parts.append(T("renamed to {now!r}", now=b[tag]))
        else:
            parts.append(T("named {now!r} in {tag} (was {was!r})", now=b[tag], tag=tag, was=a[tag]))
    if not parts:
        return T("renamed to {now}", now=_n(b, fid, lang))
    return joined(parts, "; ")


def _unit_keywords(extra: dict[str, object]) -> dict[str, list[str]]:
    kw = extra.get("keywords")
    return kw if isinstance(kw, dict) else {}  # type: ignore[return-value]


def _synonyms(
    ftype: str, fid: str, name: str, a: dict[str, list[str]], b: dict[str, list[str]]
) -> Iterable[Change]:
    for tag in sorted(a.keys() | b.keys()):
        added = [w for w in b.get(tag, []) if w not in a.get(tag, [])]
        removed = [w for w in a.get(tag, []) if w not in b.get(tag, [])]
        if added:
            words = ", ".join(repr(w) for w in added)
            yield Change(
                "changed",
                ftype,
                fid,
                T(
                    "{ftype} {name} also found as {words} ({tag})",
                    ftype=ftype,
                    name=name,
                    words=words,
                    tag=tag,
                ),
            )
        if removed:
            words = ", ".join(repr(w) for w in removed)
            yield Change(
                "changed",
                ftype,
                fid,
                T(
                    "{ftype} {name} no longer found as {words} ({tag})",
                    ftype=ftype,
                    name=name,
                    words=words,
                    tag=tag,
                ),
            )


def _between(venue: Venue, topo: Topology, oid: str, lang: str) -> Text | str:
    # The room first, the corridor second: "between 'Cardiologie' and 'Couloir A'".
    sides = sorted(
        topo.opening_units.get(oid, []),
        key=lambda u: (
            venue.units[u].category in OPEN_UNIT_CATEGORIES,
            label_text(venue.units[u].name, lang),
        ),
    )
    names = [_n(venue.units[u].name, u, lang) for u in sides]
    if len(names) >= 2:
        return T(" (between {a} and {b})", a=names[0], b=names[1])
    if len(names) == 1:
        return T(" (into {a})", a=names[0])
    return ""


def _openings(old: Venue, new: Venue, lang: str) -> Iterable[Change]:
    t_old, t_new = topology(old), topology(new)
    removed = sorted(old.openings.keys() - new.openings.keys())
    impacts = _removal_impacts(old, t_old, removed, lang) if len(removed) <= 50 else {}
    for oid in removed:
        o = old.openings[oid]
        name, between = _n(o.name, oid, lang), _between(old, t_old, oid, lang)
        yield Change(
            "removed",
            "opening",
            oid,
            T(
                "opening {name}{between} removed: {lost}",
                name=name,
                between=between,
                lost=joined(impacts[oid], "; "),
            )
            if impacts.get(oid)
            else T("opening {name}{between} removed", name=name, between=between),
        )
    for oid in sorted(new.openings.keys() - old.openings.keys()):
        o = new.openings[oid]
        yield Change(
            "added",
            "opening",
            oid,
            T(
                "opening {name}{between} added",
                name=_n(o.name, oid, lang),
                between=_between(new, t_new, oid, lang),
            ),
        )
    for oid in sorted(old.openings.keys() & new.openings.keys()):
        a, b = old.openings[oid], new.openings[oid]
        name, between = _n(a.name, oid, lang), _between(new, t_new, oid, lang)
        shift = a.geometry.centroid.distance(b.geometry.centroid)
        if shift > 0.05 or abs(a.geometry.length - b.geometry.length) > 0.05:
            yield Change(
                "moved",
                "opening",
                oid,
                T(
                    "opening {name}{between} moved {shift:.2f} m, now {width:.2f} m wide",
                    name=name,
                    between=between,
                    shift=shift,
                    width=b.geometry.length,
                ),
            )
        if bool(a.extra.get("closed")) != bool(b.extra.get("closed")):
            yield Change(
                "changed",
                "opening",
                oid,
                T(
                    "door {name}{between} closed for good (no route goes through it)"
                    if b.extra.get("closed")
                    else "door {name}{between} open again",
                    name=name,
                    between=between,
                ),
            )
        if sorted(t_old.opening_units.get(oid, [])) != sorted(t_new.opening_units.get(oid, [])):
            yield Change(
                "changed",
                "opening",
                oid,
                T("opening {name} now joins{between}", name=name, between=between)
                if between
                else T("opening {name} now joins nothing", name=name),
            )


def _relationships(old: Venue, new: Venue, lang: str) -> Iterable[Change]:
    for rid in sorted(old.relationships.keys() - new.relationships.keys()):
        r = old.relationships[rid]
        if not r.inferred:
            yield Change(
                "removed",
                "relationship",
                rid,
                T("{category} {name} removed", category=r.category, name=_n(r.name, rid, lang)),
            )
    for rid in sorted(new.relationships.keys() - old.relationships.keys()):
        r = new.relationships[rid]
        if not r.inferred:
            yield Change(
                "added",
                "relationship",
                rid,
                T("{category} {name} added", category=r.category, name=_n(r.name, rid, lang)),
            )
    for rid in sorted(old.relationships.keys() & new.relationships.keys()):
        a, b = old.relationships[rid], new.relationships[rid]
        if a.unit_ids() != b.unit_ids():
            yield Change(
                "changed",
                "relationship",
                rid,
                T(
                    "{category} {name} now serves {now} stops (was {was})",
                    category=a.category,
                    name=_n(a.name, rid, lang),
                    now=len(b.unit_ids()),
                    was=len(a.unit_ids()),
                ),
            )


def _named_points(old: Venue, new: Venue, lang: str) -> Iterable[Change]:
    tables = (
        ("occupant", old.occupants, new.occupants),
        ("amenity", old.amenities, new.amenities),
        ("kiosk", old.kiosks, new.kiosks),
    )
    for ftype, a_tab, b_tab in tables:
        for fid in sorted(a_tab.keys() - b_tab.keys()):
            yield Change(
                "removed",
                ftype,
                fid,
                T("{ftype} {name} removed", ftype=ftype, name=_n(a_tab[fid].name, fid, lang)),
            )
        for fid in sorted(b_tab.keys() - a_tab.keys()):
            yield Change(
                "added",
                ftype,
                fid,
                T("{ftype} {name} added", ftype=ftype, name=_n(b_tab[fid].name, fid, lang)),
            )
        for fid in sorted(a_tab.keys() & b_tab.keys()):
            a, b = a_tab[fid], b_tab[fid]
            if (a.name or {}) != (b.name or {}):
                yield Change(
                    "renamed",
                    ftype,
                    fid,
                    T(
                        "{ftype} {name} {how}",
                        ftype=ftype,
                        name=_n(a.name, fid, lang),
                        how=_renamed(a.name, b.name, fid, lang),
                    ),
                )
            yield from _synonyms(
                ftype, fid, _n(b.name, fid, lang), getattr(a, "keywords", {}), getattr(b, "keywords", {})
            )
            fa, fb = getattr(a, "facing", None), getattr(b, "facing", None)
            if ftype == "kiosk" and fa != fb:
                was = T("no direction") if fa is None else f"{fa:.0f}°"
                now = T("no direction") if fb is None else f"{fb:.0f}°"
                yield Change(
                    "changed",
                    ftype,
                    fid,
                    T(
                        "kiosk {name} now faces {now} (was {was})",
                        name=_n(b.name, fid, lang),
                        now=now,
                        was=was,
                    ),
                )
    for fid in sorted(old.occupants.keys() & new.occupants.keys()):
        ua, ub = old.occupant_unit(old.occupants[fid]), new.occupant_unit(new.occupants[fid])
        if ua is not None and ub is not None and ua.id != ub.id:
            yield Change(
                "moved",
                "occupant",
                fid,
                T(
                    "occupant {name} moved from {was} to {now}",
                    name=_n(new.occupants[fid].name, fid, lang),
                    was=_n(ua.name, ua.id, lang),
                    now=_n(ub.name, ub.id, lang),
                ),
            )


# --------------------------------------------------------------------------- reachability


def _destinations(venue: Venue, lang: str) -> dict[str, tuple[str, str]]:
    """Public destinations: id -> (display name, unit id)."""
    out: dict[str, tuple[str, str]] = {}
    for oc in venue.occupants.values():
        unit = venue.occupant_unit(oc)
        if unit is not None and unit.public:
            out[oc.id] = (_n(oc.name, oc.id, lang), unit.id)
    return out


def _entrances(venue: Venue, topo: Topology, lang: str) -> dict[str, tuple[str, str]]:
    """Entrance opening id -> (display name, unit inside)."""
    out = {}
    for p in topo.passages:
        if p.b == OUTSIDE and p.opening_id is not None:
            o = venue.openings[p.opening_id]
            out[p.opening_id] = (_n(o.name or venue.units[p.a].name, p.opening_id, lang), p.a)
    return out


def _reach(
    graph: nx.Graph, entrances: dict[str, tuple[str, str]], dests: dict[str, tuple[str, str]]
) -> set[tuple[str, str]]:
    """(entrance id, destination id) pairs joined by a public way."""
    comp: dict[str, int] = {}
    g = graph.copy()
    g.remove_node(OUTSIDE)  # entrances must not join one another through the street
    for i, nodes in enumerate(nx.connected_components(g)):
        for n in nodes:
            comp[n] = i
    return {
        (e, d)
        for e, (_, eu) in entrances.items()
        for d, (_, du) in dests.items()
        if eu in comp and du in comp and comp[eu] == comp[du]
    }


def _removal_impacts(venue: Venue, topo: Topology, removed: list[str], lang: str) -> dict[str, list[Text]]:
    if not removed:
        return {}
    graph = topo.unit_graph(public_only=True)
    entrances, dests = _entrances(venue, topo, lang), _destinations(venue, lang)
    before = _reach(graph, entrances, dests)
    out: dict[str, list[Text]] = {}
    for oid in removed:
        g = graph.copy()
        g.remove_edges_from([(a, b) for a, b, d in graph.edges(data=True) if d.get("opening") == oid])
        lost = before - _reach(g, entrances, dests)
        out[oid] = _lost_text(lost, entrances, dests)
    return out


def _lost_text(
    lost: set[tuple[str, str]], entrances: dict[str, tuple[str, str]], dests: dict[str, tuple[str, str]]
) -> list[Text]:
    by_dest: dict[str, list[str]] = {}
    for e, d in sorted(lost):
        by_dest.setdefault(d, []).append(entrances[e][0])
    return [
        T("{place} no longer reachable from {entrances}", place=dests[d][0], entrances=_either(sorted(es)))
        for d, es in sorted(by_dest.items(), key=lambda kv: dests[kv[0]][0])
    ]


def _either(names: list[str]) -> Text | str:
    """'A' or 'A or B' or 'A or B or C', said in the reader's language."""
    out: Text | str = names[0]
    for name in names[1:]:
        out = T("{a} or {b}", a=out, b=name)
    return out


def _reachability(old: Venue, new: Venue, lang: str) -> Iterable[Change]:
    t_old, t_new = topology(old), topology(new)
    e_old, e_new = _entrances(old, t_old, lang), _entrances(new, t_new, lang)
    d_old, d_new = _destinations(old, lang), _destinations(new, lang)
    before = _reach(t_old.unit_graph(public_only=True), e_old, d_old)
    after = _reach(t_new.unit_graph(public_only=True), e_new, d_new)
    lost = {(e, d) for e, d in before - after if e in e_new and d in d_new}
    for text in _lost_text(lost, e_old, d_old):
        yield Change("reachability", "venue", new.id, text)
    gained = {(e, d) for e, d in after - before if e in e_old and d in d_old}
    by_dest: dict[str, list[str]] = {}
    for e, d in gained:
        by_dest.setdefault(d, []).append(e_new[e][0])
    for d, es in sorted(by_dest.items()):
        yield Change(
            "reachability",
            "venue",
            new.id,
            T("{place} now reachable from {entrances}", place=d_new[d][0], entrances=_either(sorted(es))),
        )
