"""Checks that a venue can be trusted for routing, with precise reports.

:func:`validate_venue` adds to a report what is wrong with a venue that was
read (see :func:`floorplans.imdf.read_imdf` for what reading itself checks).
Every problem names the file, the feature id, what is wrong and how to fix
it; places are given in metres from the venue's centre and in WGS84 so that
a GIS tool finds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from floorplans.imdf import ImdfResult, read_imdf
from floorplans.model import Label, Venue, label_text
from floorplans.repair import OVERLAP_NOISE_M2, OVERLAP_TRIM_M2, OVERLAP_TRIM_SHARE, describe
from floorplans.report import Report, Severity
from floorplans.text import T, Text
from floorplans.topology import OUTSIDE, topology

#: Overlaps up to OVERLAP_TRIM_M2 and OVERLAP_TRIM_SHARE of the smaller unit are
#: drawing slop, trimmed on reading (floorplans.repair); larger ones are errors.
OVERLAP_WARN_M2 = OVERLAP_NOISE_M2
#: Above this many names lacking the same language in one file, one warning says it for all.
TRANSLATIONS_GROUPED = 5

_REASON_POINT = re.compile(r"\[(-?[\d.e+-]+) (-?[\d.e+-]+)\]")


def load_and_validate(path: str | Path) -> ImdfResult:
    """Read an archive and run every check: what ``wayfinding floorplan validate`` does."""
    result = read_imdf(path)
    if result.venue is not None:
        validate_venue(result.venue, result.report)
    return result


def validate_venue(venue: Venue, report: Report | None = None) -> Report:
    report = report if report is not None else Report()
    _references(venue, report)
    _geometry_validity(venue, report)
    _overlaps(venue, report)
    _openings(venue, report)
    _vertical(venue, report)
    _reachability(venue, report)
    _translations(venue, report)
    _receivers(venue, report)
    return report


def where(venue: Venue, geom: BaseGeometry) -> Text:
    """A place in words: metres from the venue centre and WGS84."""
    p = geom if isinstance(geom, Point) else geom.representative_point()
    lonlat = venue.projection.to_wgs84(p)
    return T(
        "({x:.1f} m E, {y:.1f} m N; lon {lon:.6f}, lat {lat:.6f})", x=p.x, y=p.y, lon=lonlat.x, lat=lonlat.y
    )


def _name(label: Label | None, fid: str, lang: str) -> str:
    text = label_text(label, lang)
    return f"{text!r} ({fid})" if text else repr(fid)


def _references(venue: Venue, report: Report) -> None:
    levels, units = venue.levels, venue.units

    def check(
        file: str, fid: str, what: str | Text, ref: str | None, table: Iterable[str], target: str
    ) -> None:
        if ref is not None and ref not in table:
            report.error(
                "reference-unknown",
                file,
                fid,
                T("{what} refers to unknown {target} {ref!r}", what=what, target=target, ref=ref),
                T("point it to an existing {target} id, or add that {target}", target=target),
            )

    for lv in levels.values():
        for bid in lv.building_ids:
            check("level.geojson", lv.id, "building_ids", bid, venue.buildings, "building")
    for fp in venue.footprints.values():
        for bid in fp.building_ids:
            check("footprint.geojson", fp.id, "building_ids", bid, venue.buildings, "building")
    for u in units.values():
        check("unit.geojson", u.id, "level_id", u.level_id, levels, "level")
    for o in venue.openings.values():
        check("opening.geojson", o.id, "level_id", o.level_id, levels, "level")
    for a in venue.amenities.values():
        if not a.unit_ids:
            report.warning(
                "amenity-no-unit",
                "amenity.geojson",
                a.id,
                T("amenity {amenity} lists no unit", amenity=_name(a.name, a.id, venue.language)),
                T("set unit_ids to the unit(s) it stands in"),
            )
        for uid in a.unit_ids:
            check("amenity.geojson", a.id, "unit_ids", uid, units, "unit")
    for an in venue.anchors.values():
        check("anchor.geojson", an.id, "unit_id", an.unit_id, units, "unit")
    for oc in venue.occupants.values():
        check("occupant.geojson", oc.id, "anchor_id", oc.anchor_id, venue.anchors, "anchor")
    for k in venue.kiosks.values():
        check("kiosk.geojson", k.id, "level_id", k.level_id, levels, "level")
        check("kiosk.geojson", k.id, "anchor_id", k.anchor_id, venue.anchors, "anchor")
    for s in venue.sections.values():
        check("section.geojson", s.id, "level_id", s.level_id, levels, "level")
    for r in venue.relationships.values():
        for ref in (r.origin, *r.intermediary, r.destination):
            if ref is None:
                continue
            tables: dict[str, Iterable[str]] = {
                "unit": units,
                "opening": venue.openings,
                "level": levels,
                "amenity": venue.amenities,
            }
            table = tables.get(ref.feature_type)
            if table is not None:
                check(
                    "relationship.geojson",
                    r.id,
                    T("{ftype} reference", ftype=ref.feature_type),
                    ref.id,
                    table,
                    ref.feature_type,
                )
    for rx in venue.receivers.values():
        check("receiver.geojson", rx.id, "level_id", rx.level_id, levels, "level")
        check("receiver.geojson", rx.id, "unit_id", rx.unit_id, units, "unit")
    for pw in venue.pathways.values():
        for st in pw.stages:
            for uid in st.unit_ids:
                check("pathways.json", pw.id, T("stage {id!r}", id=st.id), uid, units, "unit")
            for sid in st.section_ids:
                check("pathways.json", pw.id, T("stage {id!r}", id=st.id), sid, venue.sections, "section")
        check("pathways.json", pw.id, "pickup_unit_id", pw.pickup_unit_id, units, "unit")


def _geometry_validity(venue: Venue, report: Report) -> None:
    groups: list[tuple[str, str, list[tuple[str, BaseGeometry]]]] = [
        ("unit.geojson", "unit", [(u.id, u.geometry) for u in venue.units.values()]),
        ("level.geojson", "level", [(lv.id, lv.geometry) for lv in venue.levels.values()]),
        ("section.geojson", "section", [(s.id, s.geometry) for s in venue.sections.values()]),
        ("footprint.geojson", "footprint", [(f.id, f.geometry) for f in venue.footprints.values()]),
        ("kiosk.geojson", "kiosk", [(k.id, k.geometry) for k in venue.kiosks.values()]),
    ]
    for file, kind, items in groups:
        if not items:
            continue
        geoms = np.asarray([g for _, g in items], dtype=object)
        valid = shapely.is_valid(geoms)
        for (fid, geom), ok in zip(items, valid, strict=True):
            if ok:
                continue
            reason = shapely.is_valid_reason(geom)
            m = _REASON_POINT.search(reason)
            kind_of = reason.split("[")[0].strip().lower() or "invalid"
            report.error(
                "polygon-invalid",
                file,
                fid,
                T(
                    "{kind} {id!r} polygon is invalid: {why} at {where}",
                    kind=kind,
                    id=fid,
                    why=kind_of,
                    where=where(venue, Point(float(m.group(1)), float(m.group(2)))),
                )
                if m
                else T("{kind} {id!r} polygon is invalid: {why}", kind=kind, id=fid, why=kind_of),
                T("redraw the outline so that it does not cross itself and its rings are closed")
                if "self" in kind_of or "ring" in kind_of
                else T("redraw the outline"),
            )


def _overlaps(venue: Venue, report: Report) -> None:
    for ordinal, lvl in topology(venue).floors.items():
        geoms = np.asarray([venue.units[u].geometry for u in lvl.unit_ids], dtype=object)
        ok = shapely.is_valid(geoms)
        left, right = lvl.tree.query(geoms, predicate="intersects")
        keep = (left < right) & ok[left] & ok[right]
        left, right = left[keep], right[keep]
        if len(left) == 0:
            continue
        areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
        for i, j, area in zip(left, right, areas, strict=True):
            if area <= OVERLAP_WARN_M2:
                continue
            a, b = venue.units[lvl.unit_ids[i]], venue.units[lvl.unit_ids[j]]
            inter = a.geometry.intersection(b.geometry)
            share = area / min(a.geometry.area, b.geometry.area)
            large = area > OVERLAP_TRIM_M2 or share > OVERLAP_TRIM_SHARE
            severity: Severity = "error" if large else "warning"
            spot = inter.representative_point()
            report.add(
                severity,
                "unit-overlap",
                "unit.geojson",
                a.id,
                T(
                    "units {a} and {b} overlap by {area:.2f} m² ({share:.0%} of the smaller) on level "
                    "{level} (floor {ordinal}) at {where}: too much to be drawing slop (more than "
                    "{limit:g} m² or {limit_share:.0%} of the smaller unit), so which place it belongs "
                    "to cannot be guessed"
                    if large
                    else "units {a} and {b} overlap by {area:.2f} m² ({share:.0%} of the smaller) on "
                    "level {level} (floor {ordinal}) at {where}",
                    a=_name(a.name, a.id, venue.language),
                    b=_name(b.name, b.id, venue.language),
                    area=area,
                    share=share,
                    level=_level_name(venue, a.level_id),
                    ordinal=ordinal,
                    where=where(venue, inter),
                    limit=OVERLAP_TRIM_M2,
                    limit_share=OVERLAP_TRIM_SHARE,
                ),
                T("move their shared wall so that each place belongs to one unit only"),
                at=(ordinal, spot.x, spot.y),
            )


def _level_name(venue: Venue, level_id: str) -> str:
    lv = venue.levels.get(level_id)
    if lv is None:
        return repr(level_id)
    text = label_text(lv.short_name, venue.language) or label_text(lv.name, venue.language)
    return f"{text or lv.ordinal} ({level_id})"


def _openings(venue: Venue, report: Report) -> None:
    topo = topology(venue)
    entrances = {p.opening_id for p in topo.passages if p.b == OUTSIDE}
    for oid, opening in venue.openings.items():
        if opening.level_id not in venue.levels:
            continue
        sides = topo.opening_units.get(oid, [])
        if len(sides) >= 2 or oid in entrances:
            continue
        near = topo.units_near(opening.level_id, opening.geometry, 1.0)
        near_names = ", ".join(_name(venue.units[u].name, u, venue.language) for u in near[:3])
        if sides:
            msg = T(
                "opening {id!r} touches only one walkable unit ({unit}) and is not on an outside wall, "
                "at {where}",
                id=oid,
                unit=_name(venue.units[sides[0]].name, sides[0], venue.language),
                where=where(venue, opening.geometry),
            )
        else:
            msg = T(
                "opening {id!r} lies on no unit boundary at {where}; units nearby: {near}"
                if near_names
                else "opening {id!r} lies on no unit boundary at {where}",
                id=oid,
                where=where(venue, opening.geometry),
                near=near_names,
            )
        report.error(
            "opening-dangling",
            "opening.geojson",
            oid,
            msg,
            T(
                "draw the opening on the shared boundary of the two units it joins (an entrance on the "
                "outer wall of one unit)"
            ),
        )


def _vertical(venue: Venue, report: Report) -> None:
    for rel in venue.relationships.values():
        if rel.category not in ("elevator", "stairs", "escalator", "ramp"):
            continue
        levels = []
        for uid in rel.unit_ids():
            unit = venue.units.get(uid)
            if unit is not None and unit.level_id in venue.levels:
                levels.append(venue.levels[unit.level_id].ordinal)
        if len(levels) >= 2 and len(set(levels)) < len(levels) and rel.category != "ramp":
            report.warning(
                "relationship-same-level",
                "relationship.geojson",
                rel.id,
                T(
                    "{category} relationship {id!r} joins units of the same level",
                    category=rel.category,
                    id=rel.id,
                ),
                T("link units of different levels (origin, intermediary, destination)"),
            )


def _destinations(venue: Venue) -> list[tuple[str, str, str, list[str]]]:
    """(file, id, display name, unit ids) of every place a visitor may ask for."""
    topo = topology(venue)
    out = []
    for oc in venue.occupants.values():
        unit = venue.occupant_unit(oc)
        out.append(
            ("occupant.geojson", oc.id, _name(oc.name, oc.id, venue.language), [unit.id] if unit else [])
        )
    for am in venue.amenities.values():
        uids = [u for u in am.unit_ids if u in venue.units]
        out.append(
            ("amenity.geojson", am.id, _name(am.name, am.id, venue.language) + f" [{am.category}]", uids)
        )
    for k in venue.kiosks.values():
        anchor = venue.anchors.get(k.anchor_id or "")
        if anchor is not None and anchor.unit_id in venue.units:
            uids = [anchor.unit_id]
        else:
            unit = topo.unit_at(k.level_id, k.anchor_point())
            uids = [unit.id] if unit else []
        out.append(("kiosk.geojson", k.id, _name(k.name, k.id, venue.language), uids))
    return out


def _reachability(venue: Venue, report: Report) -> None:
    topo = topology(venue)
    if not topo.has_entrance():
        report.warning(
            "no-entrance",
            "opening.geojson",
            None,
            T(
                "no opening leads in from outside (none lies on an outer wall with nothing beyond it): "
                "routes between places inside work, but no route can start at an entrance"
            ),
            T("draw the entrances as openings on the outer wall of the entrance halls"),
        )
        _disconnected(venue, report)
        return
    anyone = topo.reachable_from_outside(public_only=False)
    public = topo.reachable_from_outside(public_only=True)
    for file, fid, name, uids in _destinations(venue):
        if not uids:
            _unplaced(report, file, fid, name)
            continue
        if not any(u in anyone for u in uids):
            report.error(
                "destination-unreachable",
                file,
                fid,
                T(
                    "destination {name} cannot be reached from any entrance: no chain of openings, "
                    "corridors and lifts/stairs leads to unit {unit!r}",
                    name=name,
                    unit=uids[0],
                ),
                T("add the missing door (opening) or vertical relationship"),
            )
            continue
        public_units = [u for u in uids if venue.units[u].public]
        if public_units and not any(u in public for u in public_units):
            report.warning(
                "destination-staff-only-path",
                file,
                fid,
                T(
                    "destination {name} is public but can only be reached through staff-only places",
                    name=name,
                ),
                T("add a public way to it, or mark the destination staff-only"),
            )


def _unplaced(report: Report, file: str, fid: str, name: str) -> None:
    report.error(
        "destination-unplaced",
        file,
        fid,
        T("destination {name} is in no known unit", name=name),
        T("anchor it in the unit where it is (anchor.unit_id / unit_ids)"),
    )


def _disconnected(venue: Venue, report: Report) -> None:
    """Without entrances: which groups of destinations cannot reach each other."""
    graph = topology(venue).unit_graph(public_only=False)
    groups: dict[int, list[tuple[str, str, str, list[str]]]] = {}
    component_of = {}
    for k, component in enumerate(nx.connected_components(graph)):
        for uid in component:
            component_of[uid] = k
    for dest in _destinations(venue):
        file, fid, name, uids = dest
        placed = [u for u in uids if u in component_of]
        if not placed:
            _unplaced(report, file, fid, name)
            continue
        groups.setdefault(component_of[placed[0]], []).append(dest)
    if len(groups) < 2:
        return
    ranked = sorted(groups.values(), key=len, reverse=True)
    main = ranked[0]
    for group in ranked[1:]:
        unit = venue.units[group[0][3][0]]
        level = venue.levels.get(unit.level_id)  # unknown: reported as a broken reference
        spot = unit.geometry.representative_point()
        shown = ", ".join(d[2] for d in group[:6])
        names = T("{shown} and {count} more", shown=shown, count=len(group) - 6) if len(group) > 6 else shown
        report.error(
            "places-disconnected",
            group[0][0],
            group[0][1],
            T(
                "{count} place(s) cannot reach the other {others} (and the venue has no entrance to say "
                "which side is right): {names}, around the {unit} on floor {ordinal}"
                if level
                else "{count} place(s) cannot reach the other {others} (and the venue has no entrance to "
                "say which side is right): {names}, around the {unit}",
                count=len(group),
                others=len(main),
                names=names,
                unit=describe(venue, unit),
                ordinal=level.ordinal if level else None,
            ),
            T("add the missing door (opening) or vertical relationship between the two groups"),
            at=(level.ordinal, spot.x, spot.y) if level else None,
        )


def _labels(venue: Venue) -> Iterable[tuple[str, str, str, Label | None]]:
    yield "venue.geojson", venue.id, "name", venue.name
    for b in venue.buildings.values():
        yield "building.geojson", b.id, "name", b.name
    for lv in venue.levels.values():
        yield "level.geojson", lv.id, "name", lv.name
    for u in venue.units.values():
        yield "unit.geojson", u.id, "name", u.name
    for o in venue.openings.values():
        yield "opening.geojson", o.id, "name", o.name
    for a in venue.amenities.values():
        yield "amenity.geojson", a.id, "name", a.name
    for oc in venue.occupants.values():
        yield "occupant.geojson", oc.id, "name", oc.name
    for k in venue.kiosks.values():
        yield "kiosk.geojson", k.id, "name", k.name
    for pw in venue.pathways.values():
        yield "pathways.json", pw.id, "name", pw.name
        for st in pw.stages:
            yield "pathways.json", pw.id, f"stage {st.id!r} label", st.label


def _translations(venue: Venue, report: Report) -> None:
    langs = venue.languages
    lacking: dict[tuple[str, str, tuple[str, ...]], list[tuple[str, str]]] = {}
    for file, fid, key, label in _labels(venue):
        if not label:
            continue
        present = {t.split("-")[0].lower() for t in label}
        missing = tuple(lang for lang in langs if lang not in present)
        if missing:
            lacking.setdefault((file, key, missing), []).append((fid, next(iter(label.values()))))
    for (file, key, missing), items in lacking.items():
        fields_ = ", ".join(f'"{m}": "..."' for m in missing)
        if len(items) > TRANSLATIONS_GROUPED:
            samples = ", ".join(repr(s) for _, s in items[:4])
            report.warning(
                "translation-missing",
                file,
                None,
                T(
                    "{count} {key}s in {file} have no {missing} version, e.g. {samples} (venue languages: "
                    "{langs}); directions in {missing} will use the names as they are",
                    count=len(items),
                    key=key,
                    file=file,
                    missing=", ".join(missing),
                    samples=samples,
                    langs=", ".join(langs),
                ),
                T(
                    "add {fields} to {key} of each (--json lists them in the report of a single file)",
                    fields=fields_,
                    key=key,
                ),
            )
            continue
        for fid, sample in items:
            report.warning(
                "translation-missing",
                file,
                fid,
                T(
                    "{key} {sample!r} has no {missing} version (venue languages: {langs})",
                    key=key,
                    sample=sample,
                    missing=", ".join(missing),
                    langs=", ".join(langs),
                ),
                T("add {fields} to {key}", fields=fields_, key=key),
            )


def _receivers(venue: Venue, report: Report) -> None:
    topo = topology(venue)
    for rx in venue.receivers.values():
        if any(c in rx.id for c in "/+#") or not rx.id:
            report.error(
                "receiver-id",
                "receiver.geojson",
                rx.id,
                T("receiver id {id!r} cannot be an MQTT topic level", id=rx.id),
                T("use letters, digits, '-', '_' or '.' only (no '/', '+' or '#')"),
            )
        if rx.level_id not in venue.levels:
            continue
        if topo.unit_at(rx.level_id, rx.geometry) is None:
            report.warning(
                "receiver-outside",
                "receiver.geojson",
                rx.id,
                T(
                    "receiver {id!r} is not inside any walkable unit, at {where}",
                    id=rx.id,
                    where=where(venue, rx.geometry),
                ),
                T("place it inside the room or corridor where it hangs"),
            )


__all__ = ["load_and_validate", "validate_venue", "where"]
