"""Read and write IMDF archives (OGC Community Standard 20-094).

An archive is a folder or a ``.zip`` holding ``manifest.json`` and one
GeoJSON FeatureCollection per feature type (``unit.geojson``, ...). Reading
never raises on bad content: every problem goes into the returned
:class:`~floorplans.report.Report` with the file and feature it concerns;
only an archive that cannot be opened at all raises :class:`ImdfReadError`.

Project extensions, ignored by other IMDF tools:

- ``receiver.geojson``: BLE receivers (``level_id``, optional ``unit_id``,
  ``z`` in metres);
- ``pathways.json``: patient pathways and their stages;
- property ``facing`` on kiosks (compass bearing the screen faces);
- property ``destinations`` on kiosks (the large buttons of its welcome
  screen: feature ids, or names for the nearest place so named);
- property ``keywords`` on units, amenities and occupants (search synonyms
  per language).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely import STRtree
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from floorplans._errors import ImdfReadError
from floorplans.model import (
    OPENING_CATEGORIES,
    RELATIONSHIP_CATEGORIES,
    RESTRICTIONS,
    UNIT_CATEGORIES,
    Amenity,
    Anchor,
    Building,
    FeatureRef,
    Footprint,
    Kiosk,
    Label,
    Level,
    Occupant,
    Opening,
    Pathway,
    Receiver,
    Relationship,
    Section,
    Stage,
    Unit,
    Venue,
)
from floorplans.projection import LocalProjection
from floorplans.repair import repair_venue
from floorplans.report import Report

#: Feature types this module models; other ``*.geojson`` files pass through.
MODELLED = (
    "venue",
    "building",
    "footprint",
    "level",
    "unit",
    "opening",
    "relationship",
    "amenity",
    "anchor",
    "occupant",
    "kiosk",
    "section",
    "receiver",
)

#: Properties without which a feature cannot be used.
REQUIRED: dict[str, tuple[str, ...]] = {
    "venue": ("category",),
    "building": (),
    "footprint": ("category", "building_ids"),
    "level": ("ordinal",),
    "unit": ("category", "level_id"),
    "opening": ("category", "level_id"),
    "relationship": ("category", "origin", "destination"),
    "amenity": ("category", "unit_ids"),
    "anchor": ("unit_id",),
    "occupant": ("category", "anchor_id"),
    "kiosk": ("level_id",),
    "section": ("category", "level_id"),
    "receiver": ("level_id",),
}

#: Required properties that a documented rule can supply: feature type -> property ->
#: (value, what the rule is). ``None`` values are settled once every feature is read.
DERIVABLE: dict[str, dict[str, tuple[Any, str]]] = {
    "venue": {"category": ("unspecified", "'unspecified' is used")},
    "footprint": {
        "category": ("ground", "'ground' (the outline at ground level) is used"),
        "building_ids": (None, "the building is found from the levels it covers"),
    },
    "unit": {"category": ("unspecified", "the unit is treated as an ordinary room")},
    "opening": {"category": ("pedestrian", "it is treated as a pedestrian door")},
    "amenity": {
        "category": ("unspecified", "'unspecified' is used"),
        "unit_ids": (None, "the unit is found from where the amenity stands"),
    },
    "occupant": {"category": ("unspecified", "'unspecified' is used")},
    "section": {"category": ("unspecified", "'unspecified' is used")},
}

GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "venue": ("Polygon", "MultiPolygon"),
    "footprint": ("Polygon", "MultiPolygon"),
    "level": ("Polygon", "MultiPolygon"),
    "unit": ("Polygon", "MultiPolygon"),
    "opening": ("LineString",),
    "amenity": ("Point",),
    "anchor": ("Point",),
    "kiosk": ("Polygon",),
    "section": ("Polygon", "MultiPolygon"),
    "receiver": ("Point",),
}

#: Openings this far (metres) from a unit boundary are fine as they are.
SNAP_SILENT_M = 0.01
#: Openings up to this far off are moved onto the boundary, with a warning.
SNAP_TOLERANCE_M = 0.5


@dataclass(slots=True)
class ImdfResult:
    venue: Venue | None
    report: Report


@dataclass(slots=True)
class _RawFeature:
    file: str
    fid: str
    props: dict[str, Any]
    geometry: BaseGeometry | None


# --------------------------------------------------------------------------- reading


class _Archive:
    """A folder or a zip, seen as a mapping of file name -> bytes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            self._names = {p.name: p for p in path.iterdir() if p.is_file()}
            self._zip: zipfile.ZipFile | None = None
        elif path.is_file() and zipfile.is_zipfile(path):
            self._zip = zipfile.ZipFile(path)
            # Archives made by hand often nest everything in one folder.
            self._names = {}
            for info in self._zip.infolist():
                if not info.is_dir() and "__MACOSX" not in info.filename:
                    self._names.setdefault(Path(info.filename).name, info.filename)  # type: ignore[arg-type]
        elif path.exists():
            msg = f"{path}: not a folder nor a .zip archive; an IMDF archive is one of them"
            raise ImdfReadError(msg)
        else:
            msg = f"{path}: no such file or folder"
            raise ImdfReadError(msg)

    def names(self) -> list[str]:
        return sorted(self._names)

    def read(self, name: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(str(self._names[name]))
        return Path(self._names[name]).read_bytes()


def read_imdf(path: str | Path, *, repair: bool = True) -> ImdfResult:
    """Read an IMDF archive (folder or zip) into a :class:`Venue` in metres.

    The pipeline is read, then repair (:func:`floorplans.repair.repair_venue`), then
    validate (:func:`floorplans.validate.load_and_validate` does all three). Repairs make
    explicit what real archives leave out and say so in the report: openings a little off a
    unit boundary are snapped, doors, undrawn corridors and vertical relationships are
    inferred. ``repair=False`` reads the archive as drawn (what facilities wrote, nothing
    added: to compare, or to write it back unchanged). Names given as plain strings become
    labels either way. Returns ``venue=None`` only when nothing usable was found (no venue
    feature); the report then says why.
    """
    archive = _Archive(Path(path))
    report = Report()
    names = archive.names()
    if "manifest.json" not in names:
        report.warning(
            "manifest-missing",
            "manifest.json",
            None,
            f"{path} has no manifest.json; the features are read all the same, in the language "
            "of the venue's name",
            "add manifest.json with at least version and language (IMDF 20-094, Manifest)",
        )
        manifest: dict[str, Any] = {}
    else:
        loaded = _load_json(archive, "manifest.json", report)
        manifest = loaded if isinstance(loaded, dict) else {}
        if loaded is not None and not isinstance(loaded, dict):
            report.error(
                "manifest-invalid",
                "manifest.json",
                None,
                "manifest.json is not a JSON object",
                'write it as {"version": ...}',
            )
    language = manifest.get("language") if isinstance(manifest.get("language"), str) else None

    raw: dict[str, list[_RawFeature]] = {t: [] for t in MODELLED}
    passthrough: dict[str, dict[str, Any]] = {}
    seen_ids: dict[str, str] = {}
    for name in names:
        if not name.endswith(".geojson"):
            continue
        ftype = name.removesuffix(".geojson")
        data = _load_json(archive, name, report)
        if data is None:
            continue
        if ftype not in MODELLED:
            if isinstance(data, dict):
                passthrough[name] = data
            continue
        raw[ftype] = list(_features_of(name, ftype, data, report, seen_ids))

    pathways_json: Any = None
    if "pathways.json" in names:
        pathways_json = _load_json(archive, "pathways.json", report)

    venues = raw["venue"]
    if not venues:
        report.error(
            "venue-missing",
            "venue.geojson",
            None,
            "the archive has no venue feature",
            "add venue.geojson with one venue feature (category, name, display_point)",
        )
        return ImdfResult(None, report)
    if len(venues) > 1:
        report.warning(
            "venue-several",
            "venue.geojson",
            venues[1].fid,
            f"{len(venues)} venue features; only the first is used",
            "keep one venue per archive",
        )
    vraw = venues[0]
    if not language:
        # The venue's name says in which language the archive was written.
        vname = vraw.props.get("name")
        language = next(iter(vname), "fr-FR") if isinstance(vname, dict) and vname else "fr-FR"
        if "manifest.json" in names:
            report.warning(
                "manifest-language",
                "manifest.json",
                None,
                f"manifest.json gives no language; {language!r}, the first language of the venue's "
                "name, is assumed",
                f'add "language": "{language}" (or the venue\'s main language)',
            )
    lon0, lat0 = _display_point(vraw, report)
    proj = LocalProjection(lon0, lat0)
    _project_all(raw, proj)

    venue = Venue(
        id=vraw.fid,
        name=_label(vraw, "name", language, report),
        category=str(vraw.props.get("category") or "unspecified"),
        projection=proj,
        language=language,
        manifest=manifest,
        venue_extra=_extra(vraw.props, ("category", "name", "display_point")),
        venue_geometry=_polygonal(vraw.geometry),
        passthrough=passthrough,
    )
    _build_features(venue, raw, language, report)
    _settle_derived(venue, report)
    if pathways_json is not None:
        _read_pathways(venue, pathways_json, report)

    if repair:
        repair_venue(venue, report, snap_silent_m=SNAP_SILENT_M, snap_tolerance_m=SNAP_TOLERANCE_M)
    return ImdfResult(venue, report)


def _load_json(archive: _Archive, name: str, report: Report) -> Any:
    try:
        text = archive.read(name).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.error(
            "json-invalid",
            name,
            None,
            f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            "save the file as UTF-8",
        )
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        report.error(
            "json-invalid",
            name,
            None,
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "fix the JSON syntax at that place (a JSON linter shows it)",
        )
        return None


def _features_of(
    name: str, ftype: str, data: Any, report: Report, seen_ids: dict[str, str]
) -> Iterable[_RawFeature]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        report.error(
            "geojson-invalid",
            name,
            None,
            f"{name} is not a GeoJSON FeatureCollection",
            'write {"type": "FeatureCollection", "features": [...]}',
        )
        return
    features = data.get("features")
    if not isinstance(features, list):
        report.error("geojson-invalid", name, None, f'{name} has no "features" list', 'add "features": [...]')
        return
    allowed = GEOMETRY_TYPES.get(ftype)
    for index, feat in enumerate(features):
        where = f"feature #{index}"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            report.error(
                "geojson-invalid",
                name,
                None,
                f"{where} is not a GeoJSON Feature",
                'give it "type": "Feature", "id", "feature_type", "geometry", "properties"',
            )
            continue
        fid = feat.get("id")
        if not isinstance(fid, str | int) or fid == "":
            report.error(
                "id-missing", name, None, f"{where} has no id", 'give every feature a unique "id" (a UUID)'
            )
            continue
        fid = str(fid)
        if fid in seen_ids:
            report.error(
                "id-duplicate",
                name,
                fid,
                f"id {fid!r} is used twice (also in {seen_ids[fid]})",
                "give every feature its own id",
            )
            continue
        seen_ids[fid] = name
        declared = feat.get("feature_type")
        if declared is not None and declared != ftype:
            report.warning(
                "feature-type-mismatch",
                name,
                fid,
                f"feature_type {declared!r} in {name}; read as {ftype!r}",
                f'set "feature_type": "{ftype}" or move it to {declared}.geojson',
            )
        props = feat.get("properties")
        if not isinstance(props, dict):
            report.error(
                "properties-missing",
                name,
                fid,
                f"{ftype} {fid!r} has no properties",
                'add a "properties" object',
            )
            continue
        missing = [k for k in REQUIRED[ftype] if props.get(k) in (None, "", [])]
        for key in [k for k in missing if k in DERIVABLE.get(ftype, {})]:
            value, rule = DERIVABLE[ftype][key]
            missing.remove(key)
            if value is None:
                props[key] = None  # settled by _settle_derived once everything is read
                continue
            props[key] = value
            report.warning(
                "property-derived",
                name,
                fid,
                f"{ftype} {fid!r} has no {key}; {rule}",
                f"set {key} (IMDF 20-094, {ftype.capitalize()}) if {value!r} is not right",
            )
        if missing:
            report.error(
                "property-missing",
                name,
                fid,
                f"{ftype} {fid!r} lacks required propert{'ies' if len(missing) > 1 else 'y'} "
                + ", ".join(missing),
                "add " + ", ".join(missing) + " (IMDF 20-094, " + ftype.capitalize() + ")",
            )
            continue
        geom = _geometry(name, ftype, fid, feat.get("geometry"), allowed, report)
        if geom is False or geom is True:
            continue
        yield _RawFeature(name, fid, props, geom)


def _geometry(
    name: str, ftype: str, fid: str, gj: Any, allowed: tuple[str, ...] | None, report: Report
) -> BaseGeometry | bool | None:
    if gj is None:
        if allowed is None:
            return None
        report.error(
            "geometry-missing",
            name,
            fid,
            f"{ftype} {fid!r} has no geometry",
            f"draw it as a {' or '.join(allowed)}",
        )
        return False
    try:
        geom = shape(gj)
    except Exception as exc:  # shapely raises several types for bad GeoJSON
        report.error(
            "geometry-invalid",
            name,
            fid,
            f"{ftype} {fid!r} has an unreadable geometry ({exc})",
            "fix its coordinates: [longitude, latitude] pairs, rings closed",
        )
        return False
    if allowed is not None and geom.geom_type not in allowed:
        report.error(
            "geometry-type",
            name,
            fid,
            f"{ftype} {fid!r} is a {geom.geom_type}, expected {' or '.join(allowed)}",
            f"redraw it as a {allowed[0]}",
        )
        return False
    if geom.is_empty:
        report.error("geometry-empty", name, fid, f"{ftype} {fid!r} has an empty geometry", "draw it")
        return False
    return geom


def _display_point(vraw: _RawFeature, report: Report) -> tuple[float, float]:
    dp = vraw.props.get("display_point")
    try:
        if not isinstance(dp, dict):
            raise ValueError("not a GeoJSON point")
        lon, lat = shape(dp).coords[0]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError("out of range")
        return float(lon), float(lat)
    except Exception:
        if vraw.geometry is not None:
            c = vraw.geometry.centroid
            report.warning(
                "display-point-invalid",
                vraw.file,
                vraw.fid,
                "venue display_point is missing or invalid; the centroid is used",
                'set display_point to {"type": "Point", "coordinates": [lon, lat]}',
            )
            return c.x, c.y
        report.error(
            "display-point-invalid",
            vraw.file,
            vraw.fid,
            "venue has neither a display_point nor a geometry",
            "set display_point to a point inside the venue",
        )
        return 0.0, 0.0


def _project_all(raw: dict[str, list[_RawFeature]], proj: LocalProjection) -> None:
    """Project every geometry and display point in one PROJ call per kind."""
    for feats in raw.values():
        geoms = [f.geometry for f in feats if f.geometry is not None]
        for f, g in zip([f for f in feats if f.geometry is not None], proj.many_to_local(geoms), strict=True):
            f.geometry = g
        points: list[BaseGeometry] = []
        owners: list[_RawFeature] = []
        for f in feats:
            dp = f.props.get("display_point")
            if isinstance(dp, dict) and dp.get("type") == "Point":
                try:
                    points.append(shape(dp))
                    owners.append(f)
                except Exception:
                    f.props["display_point"] = None
            elif dp is not None:
                f.props["display_point"] = None
        for f, p in zip(owners, proj.many_to_local(points), strict=True):
            f.props["_display_point_local"] = p


def _label(f: _RawFeature, key: str, language: str, report: Report) -> Label | None:
    value = f.props.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        report.warning(
            "label-plain-string",
            f.file,
            f.fid,
            f"{key} is a plain string {value!r}, not an IMDF label",
            f'write {key} as {{"{language.split("-", maxsplit=1)[0]}": "{value}"}}',
        )
        return {language.split("-", maxsplit=1)[0]: value}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items() if v.strip()} or None
    report.warning(
        "label-invalid",
        f.file,
        f.fid,
        f"{key} is not a label object; ignored",
        f'write {key} as {{"fr": "...", "en": "..."}}',
    )
    return None


def _keywords(f: _RawFeature) -> dict[str, list[str]]:
    kw = f.props.get("keywords")
    if not isinstance(kw, dict):
        return {}
    return {str(k): [str(x) for x in v] for k, v in kw.items() if isinstance(v, list)}


def _restriction(f: _RawFeature, report: Report) -> str | None:
    value = f.props.get("restriction")
    if value is None or value in RESTRICTIONS:
        return value  # type: ignore[no-any-return]
    report.warning(
        "restriction-unknown",
        f.file,
        f.fid,
        f"unknown restriction {value!r}; treated as 'restricted' (no public access)",
        "use 'employeesonly', 'restricted' or null",
    )
    return "restricted"


def _str_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _polygonal(geom: BaseGeometry | None) -> Polygon | MultiPolygon | None:
    return geom if isinstance(geom, Polygon | MultiPolygon) else None


def _extra(props: dict[str, Any], known: Iterable[str]) -> dict[str, Any]:
    skip = {*known, "_display_point_local"}
    return {k: v for k, v in props.items() if k not in skip}


def _dp(f: _RawFeature) -> Point | None:
    p = f.props.get("_display_point_local")
    return p if isinstance(p, Point) else None


def _ref(value: Any) -> FeatureRef | None:
    if isinstance(value, dict) and value.get("id") is not None:
        return FeatureRef(str(value["id"]), str(value.get("feature_type") or "unit"))
    return None


def _g(f: _RawFeature) -> Any:
    """The feature's geometry; its type was checked against GEOMETRY_TYPES when read."""
    return f.geometry


def _build_features(venue: Venue, raw: dict[str, list[_RawFeature]], lang: str, report: Report) -> None:
    def lab(f: _RawFeature, key: str = "name") -> Label | None:
        return _label(f, key, lang, report)

    for f in raw["building"]:
        venue.buildings[f.fid] = Building(
            f.fid,
            lab(f),
            lab(f, "alt_name"),
            str(f.props.get("category") or "unspecified"),
            _restriction(f, report),
            _dp(f),
            _extra(f.props, ("name", "alt_name", "category", "restriction", "display_point")),
        )
    for f in raw["footprint"]:
        venue.footprints[f.fid] = Footprint(
            f.fid,
            str(f.props["category"]),
            _str_list(f.props.get("building_ids")),
            _g(f),
            lab(f),
            _extra(f.props, ("category", "building_ids", "name")),
        )
    for f in raw["level"]:
        try:
            ordinal = int(f.props["ordinal"])
        except (TypeError, ValueError):
            report.error(
                "level-ordinal",
                f.file,
                f.fid,
                f"level ordinal {f.props['ordinal']!r} is not an integer",
                "set ordinal to the floor number: 0 ground, -1 basement, 1 first...",
            )
            continue
        name, short_name = lab(f), lab(f, "short_name")
        base = lang.split("-", maxsplit=1)[0]
        if short_name is None:
            short_name = dict.fromkeys(venue.languages, str(ordinal))
            report.warning(
                "property-derived",
                f.file,
                f.fid,
                f"level {f.fid!r} (ordinal {ordinal}) has no short_name; {str(ordinal)!r} is used, "
                "which directions read as the floor's number",
                f'set short_name to what the lift buttons say, e.g. {{"{base}": "{ordinal}"}}',
            )
        if name is None:
            name = dict(short_name)
            report.warning(
                "property-derived",
                f.file,
                f.fid,
                f"level {f.fid!r} (ordinal {ordinal}) has no name; its short name "
                f"{next(iter(short_name.values()))!r} is used",
                'give it a name such as {"fr": "Rez-de-chaussée", "en": "Ground floor"}',
            )
        venue.levels[f.fid] = Level(
            f.fid,
            ordinal,
            name,
            short_name,
            _g(f),
            _str_list(f.props.get("building_ids")),
            str(f.props.get("category") or "unspecified"),
            bool(f.props.get("outdoor")),
            _restriction(f, report),
            _dp(f),
            _extra(
                f.props,
                (
                    "ordinal",
                    "name",
                    "short_name",
                    "building_ids",
                    "category",
                    "outdoor",
                    "restriction",
                    "display_point",
                ),
            ),
        )
    for f in raw["unit"]:
        category = str(f.props["category"])
        if category not in UNIT_CATEGORIES:
            report.warning(
                "category-unknown",
                f.file,
                f.fid,
                f"unit category {category!r} is not an IMDF category; the unit is "
                "treated as an ordinary walkable room",
                "use an IMDF unit category (room, walkway, elevator, stairs, ...)",
            )
        venue.units[f.fid] = Unit(
            f.fid,
            str(f.props["level_id"]),
            category,
            _g(f),
            lab(f),
            lab(f, "alt_name"),
            _restriction(f, report),
            _str_list(f.props.get("accessibility")),
            _dp(f),
            _extra(
                f.props,
                (
                    "level_id",
                    "category",
                    "name",
                    "alt_name",
                    "restriction",
                    "accessibility",
                    "display_point",
                    "keywords",
                ),
            )
            | ({"keywords": _keywords(f)} if _keywords(f) else {}),
        )
    for f in raw["opening"]:
        category = str(f.props["category"])
        if category not in OPENING_CATEGORIES:
            report.warning(
                "category-unknown",
                f.file,
                f.fid,
                f"opening category {category!r} is not an IMDF category; treated as a pedestrian door",
                "use pedestrian, pedestrian.principal, service...",
            )
        door = f.props.get("door")
        venue.openings[f.fid] = Opening(
            f.fid,
            str(f.props["level_id"]),
            category,
            _g(f),
            lab(f),
            lab(f, "alt_name"),
            _str_list(f.props.get("accessibility")),
            _str_list(f.props.get("access_control")),
            door if isinstance(door, dict) else None,
            _dp(f),
            _extra(
                f.props,
                (
                    "level_id",
                    "category",
                    "name",
                    "alt_name",
                    "accessibility",
                    "access_control",
                    "door",
                    "display_point",
                ),
            ),
        )
    for f in raw["relationship"]:
        category = str(f.props["category"])
        if category not in RELATIONSHIP_CATEGORIES:
            report.warning(
                "category-unknown",
                f.file,
                f.fid,
                f"relationship category {category!r} is unknown; ignored for routing",
                "use elevator, stairs, escalator, ramp or traversal",
            )
        origin, dest = _ref(f.props.get("origin")), _ref(f.props.get("destination"))
        if origin is None or dest is None:
            report.error(
                "relationship-ends",
                f.file,
                f.fid,
                "relationship origin or destination is not {id, feature_type}",
                'write "origin": {"id": "...", "feature_type": "unit"}',
            )
            continue
        inter = f.props.get("intermediary")
        venue.relationships[f.fid] = Relationship(
            f.fid,
            category,
            str(f.props.get("direction") or "undirected"),
            origin,
            dest,
            [r for r in (_ref(x) for x in (inter if isinstance(inter, list) else [])) if r],
            lab(f),
            f.props.get("hours"),
            _g(f),
            extra=_extra(
                f.props, ("category", "direction", "origin", "destination", "intermediary", "name", "hours")
            ),
        )
    for f in raw["amenity"]:
        venue.amenities[f.fid] = Amenity(
            f.fid,
            str(f.props["category"]),
            _g(f),
            _str_list(f.props.get("unit_ids")),
            lab(f),
            lab(f, "alt_name"),
            _str_list(f.props.get("accessibility")),
            _keywords(f),
            _extra(f.props, ("category", "unit_ids", "name", "alt_name", "accessibility", "keywords")),
        )
    for f in raw["anchor"]:
        venue.anchors[f.fid] = Anchor(
            f.fid,
            str(f.props["unit_id"]),
            _g(f),
            _extra(f.props, ("unit_id",)),
        )
    for f in raw["occupant"]:
        name = lab(f)
        if name is None:
            report.warning(
                "name-missing",
                f.file,
                f.fid,
                f"occupant {f.fid!r} has no name",
                "name it: an occupant is what a visitor searches for",
            )
        venue.occupants[f.fid] = Occupant(
            f.fid,
            str(f.props["category"]),
            str(f.props["anchor_id"]),
            name,
            _keywords(f),
            _extra(f.props, ("category", "anchor_id", "name", "keywords")),
        )
    for f in raw["kiosk"]:
        facing = f.props.get("facing")
        if facing is not None and not isinstance(facing, int | float):
            report.warning(
                "kiosk-facing",
                f.file,
                f.fid,
                f"kiosk facing {facing!r} is not a number of degrees; ignored",
                "set facing to the compass bearing the screen faces (0 = north)",
            )
            facing = None
        asked = f.props.get("destinations")
        if asked is not None and not (
            isinstance(asked, list) and all(isinstance(x, str) and x.strip() for x in asked)
        ):
            report.warning(
                "kiosk-destinations",
                f.file,
                f.fid,
                f"kiosk destinations {asked!r} is not a list of place ids or names; the kiosk "
                "shows the venue's services instead",
                'set destinations to a list such as ["<occupant id>", "Toilettes"]',
            )
            f.props.pop("destinations")
        venue.kiosks[f.fid] = Kiosk(
            f.fid,
            str(f.props["level_id"]),
            _g(f),
            lab(f),
            lab(f, "alt_name"),
            str(f.props["anchor_id"]) if f.props.get("anchor_id") else None,
            _dp(f),
            float(facing) % 360 if facing is not None else None,
            _extra(f.props, ("level_id", "name", "alt_name", "anchor_id", "display_point", "facing")),
        )
    for f in raw["section"]:
        venue.sections[f.fid] = Section(
            f.fid,
            str(f.props["level_id"]),
            str(f.props["category"]),
            _g(f),
            lab(f),
            lab(f, "alt_name"),
            _restriction(f, report),
            _extra(f.props, ("level_id", "category", "name", "alt_name", "restriction")),
        )
    for f in raw["receiver"]:
        z = f.props.get("z")
        venue.receivers[f.fid] = Receiver(
            f.fid,
            str(f.props["level_id"]),
            _g(f),
            str(f.props["unit_id"]) if f.props.get("unit_id") else None,
            float(z) if isinstance(z, int | float) else None,
            _extra(f.props, ("level_id", "unit_id", "z")),
        )


def _settle_derived(venue: Venue, report: Report) -> None:
    """Supply the derived properties that need the other features (see DERIVABLE)."""
    for fp in venue.footprints.values():
        if fp.building_ids:
            continue
        if len(venue.buildings) == 1:
            found = list(venue.buildings)
        else:
            cover: dict[str, float] = {}
            for lv in venue.levels.values():
                sound = fp.geometry.is_valid and lv.geometry.is_valid and not lv.geometry.is_empty
                area = lv.geometry.intersection(fp.geometry).area if sound else 0.0
                for bid in lv.building_ids:
                    cover[bid] = cover.get(bid, 0.0) + area
            best = max(cover.items(), key=lambda kv: kv[1], default=(None, 0.0))
            found = [best[0]] if best[0] is not None and best[1] > 0 else []
        if found:
            fp.building_ids = found
            report.warning(
                "property-derived",
                "footprint.geojson",
                fp.id,
                f"footprint {fp.id!r} has no building_ids; it is the outline of building "
                f"{_named(venue.buildings[found[0]].name, found[0])}, whose levels it covers",
                "set building_ids to the building it outlines",
            )
        else:
            report.warning(
                "footprint-building",
                "footprint.geojson",
                fp.id,
                f"footprint {fp.id!r} has no building_ids and covers no level of a building",
                "set building_ids to the building it outlines",
            )
    units = [
        u for u in venue.units.values() if u.walkable and u.level_id in venue.levels and u.geometry.is_valid
    ]
    tree = STRtree([u.geometry for u in units]) if units else None
    for am in list(venue.amenities.values()):
        if am.unit_ids:
            continue
        hits = [units[i] for i in tree.query(am.geometry, predicate="intersects")] if tree else []
        floors = {venue.levels[u.level_id].ordinal for u in hits}
        if len(floors) == 1:
            unit = min(hits, key=lambda u: u.geometry.area)
            am.unit_ids = [unit.id]
            report.warning(
                "property-derived",
                "amenity.geojson",
                am.id,
                f"amenity {_named(am.name, am.id)} has no unit_ids; it stands in unit "
                f"{_named(unit.name, unit.id)}, the only walkable unit at its place",
                f'set unit_ids to ["{unit.id}"]',
            )
            continue
        del venue.amenities[am.id]
        where_ = f"units on floors {sorted(floors)} are there" if hits else "no walkable unit is there"
        report.error(
            "property-missing",
            "amenity.geojson",
            am.id,
            f"amenity {_named(am.name, am.id)} has no unit_ids and its place does not say which "
            f"unit it is in ({where_})",
            "set unit_ids to the unit(s) it stands in (IMDF 20-094, Amenity)",
        )


def _named(label: Label | None, fid: str) -> str:
    text = next(iter(label.values()), "") if label else ""
    return f"{text!r} ({fid})" if text else repr(fid)


def _read_pathways(venue: Venue, data: Any, report: Report) -> None:
    file = "pathways.json"
    items = data.get("pathways") if isinstance(data, dict) else None
    if not isinstance(items, list):
        report.error(
            "pathways-invalid",
            file,
            None,
            'pathways.json has no "pathways" list',
            'write {"pathways": [{"id": ..., "name": {...}, "stages": [...]}]}',
        )
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("id") or not isinstance(item.get("stages"), list):
            report.error(
                "pathways-invalid", file, None, f"pathway #{i} needs an id and a stages list", "add them"
            )
            continue
        stages = []
        for j, st in enumerate(item["stages"]):
            if not isinstance(st, dict) or not st.get("id") or not isinstance(st.get("label"), dict):
                report.error(
                    "pathways-invalid",
                    file,
                    str(item["id"]),
                    f"stage #{j} of pathway {item['id']!r} needs an id and a label",
                    'write {"id": "theatre", "label": {"fr": "Au bloc", "en": ...}}',
                )
                continue
            stages.append(
                Stage(
                    str(st["id"]),
                    dict(st["label"]),
                    _str_list(st.get("unit_ids")),
                    _str_list(st.get("section_ids")),
                )
            )
        raw_name = item.get("name")
        name = {str(k): str(v) for k, v in raw_name.items()} if isinstance(raw_name, dict) else {}
        venue.pathways[str(item["id"])] = Pathway(
            str(item["id"]),
            name,
            stages,
            str(item["pickup_unit_id"]) if item.get("pickup_unit_id") else None,
        )


# --------------------------------------------------------------------------- writing


def write_imdf(
    venue: Venue, path: str | Path, *, generated_by: str = "hospital-wayfinding", explicit: bool = False
) -> Path:
    """Write *venue* as an IMDF archive: a ``.zip`` if *path* ends so, else a folder.

    Openings and relationships the importer inferred are left out (reading the
    archive again infers them again) unless *explicit*: then they are written
    with an ``inferred`` property saying why (``floorplan repair``).
    """
    files = imdf_files(venue, generated_by=generated_by, explicit=explicit)
    out = Path(path)
    if out.suffix == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob("*.geojson"):
            if stale.name not in files:
                stale.unlink()
        for name, data in files.items():
            (out / name).write_bytes(data)
    return out


def imdf_zip_bytes(venue: Venue) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in imdf_files(venue).items():
            zf.writestr(name, data)
    return buf.getvalue()


def imdf_files(
    venue: Venue, *, generated_by: str = "hospital-wayfinding", explicit: bool = False
) -> dict[str, bytes]:
    """The archive's files: name -> bytes (UTF-8 JSON); *explicit* as in :func:`write_imdf`."""
    proj = venue.projection
    files: dict[str, bytes] = {}
    manifest = {"version": "1.0.0", "language": venue.language, **venue.manifest}
    manifest.setdefault("generated_by", {"name": generated_by})
    files["manifest.json"] = _dumps(manifest)

    def collection(ftype: str, items: list[tuple[str, BaseGeometry | None, dict[str, Any]]]) -> None:
        geoms = [g for _, g, _ in items if g is not None]
        wgs = iter(proj.many_to_wgs84(geoms))
        feats = []
        for fid, g, props in items:
            feats.append(
                {
                    "id": fid,
                    "type": "Feature",
                    "feature_type": ftype,
                    "geometry": mapping(next(wgs)) if g is not None else None,
                    "properties": props,
                }
            )
        files[f"{ftype}.geojson"] = _dumps({"type": "FeatureCollection", "features": feats})

    pt = _point_writer(proj)
    collection(
        "venue",
        [
            (
                venue.id,
                venue.venue_geometry,
                {
                    "category": venue.category,
                    "name": venue.name,
                    "display_point": {"type": "Point", "coordinates": [proj.lon0, proj.lat0]},
                    **venue.venue_extra,
                },
            )
        ],
    )
    collection(
        "building",
        [
            (
                b.id,
                None,
                {
                    "name": b.name,
                    "alt_name": b.alt_name,
                    "category": b.category,
                    "restriction": b.restriction,
                    "display_point": pt(b.display_point),
                    **b.extra,
                },
            )
            for b in venue.buildings.values()
        ],
    )
    collection(
        "footprint",
        [
            (
                f.id,
                f.geometry,
                {"category": f.category, "name": f.name, "building_ids": f.building_ids, **f.extra},
            )
            for f in venue.footprints.values()
        ],
    )
    collection(
        "level",
        [
            (
                lv.id,
                lv.geometry,
                {
                    "category": lv.category,
                    "restriction": lv.restriction,
                    "outdoor": lv.outdoor,
                    "ordinal": lv.ordinal,
                    "name": lv.name,
                    "short_name": lv.short_name,
                    "display_point": pt(lv.display_point),
                    "building_ids": lv.building_ids,
                    **lv.extra,
                },
            )
            for lv in venue.levels.values()
        ],
    )
    collection(
        "unit",
        [
            (
                u.id,
                u.geometry,
                {
                    "category": u.category,
                    "restriction": u.restriction,
                    "accessibility": u.accessibility or None,
                    "name": u.name,
                    "alt_name": u.alt_name,
                    "level_id": u.level_id,
                    "display_point": pt(u.display_point),
                    **u.extra,
                },
            )
            for u in venue.units.values()
            if explicit or not u.inferred
        ],
    )
    collection(
        "opening",
        [
            (
                o.id,
                o.geometry,
                {
                    "category": o.category,
                    "accessibility": o.accessibility or None,
                    "access_control": o.access_control or None,
                    "door": o.door,
                    "name": o.name,
                    "alt_name": o.alt_name,
                    "display_point": pt(o.display_point),
                    "level_id": o.level_id,
                    **o.extra,
                },
            )
            for o in venue.openings.values()
            if explicit or not o.inferred
        ],
    )
    collection(
        "relationship",
        [
            (
                r.id,
                r.geometry,
                {
                    "category": r.category,
                    "direction": r.direction,
                    "origin": _ref_json(r.origin),
                    "intermediary": [_ref_json(x) for x in r.intermediary] or None,
                    "destination": _ref_json(r.destination),
                    "hours": r.hours,
                    "name": r.name,
                    **r.extra,
                },
            )
            for r in venue.relationships.values()
            if explicit or not r.inferred
        ],
    )
    collection(
        "amenity",
        [
            (
                a.id,
                a.geometry,
                {
                    "category": a.category,
                    "accessibility": a.accessibility or None,
                    "name": a.name,
                    "alt_name": a.alt_name,
                    "unit_ids": a.unit_ids,
                    **({"keywords": a.keywords} if a.keywords else {}),
                    **a.extra,
                },
            )
            for a in venue.amenities.values()
        ],
    )
    collection(
        "anchor",
        [
            (a.id, a.geometry, {"unit_id": a.unit_id, "address_id": None, **a.extra})
            for a in venue.anchors.values()
        ],
    )
    collection(
        "occupant",
        [
            (
                o.id,
                None,
                {
                    "category": o.category,
                    "name": o.name,
                    "anchor_id": o.anchor_id,
                    **({"keywords": o.keywords} if o.keywords else {}),
                    **o.extra,
                },
            )
            for o in venue.occupants.values()
        ],
    )
    collection(
        "kiosk",
        [
            (
                k.id,
                k.geometry,
                {
                    "name": k.name,
                    "alt_name": k.alt_name,
                    "anchor_id": k.anchor_id,
                    "level_id": k.level_id,
                    "display_point": pt(k.display_point),
                    "facing": k.facing,
                    **k.extra,
                },
            )
            for k in venue.kiosks.values()
        ],
    )
    collection(
        "section",
        [
            (
                s.id,
                s.geometry,
                {
                    "category": s.category,
                    "restriction": s.restriction,
                    "name": s.name,
                    "alt_name": s.alt_name,
                    "level_id": s.level_id,
                    **s.extra,
                },
            )
            for s in venue.sections.values()
        ],
    )
    if venue.receivers:
        collection(
            "receiver",
            [
                (r.id, r.geometry, {"level_id": r.level_id, "unit_id": r.unit_id, "z": r.z, **r.extra})
                for r in venue.receivers.values()
            ],
        )
    for name, data in venue.passthrough.items():
        files[name] = _dumps(data)
    if venue.pathways:
        files["pathways.json"] = _dumps(
            {
                "pathways": [
                    {
                        "id": p.id,
                        "name": p.name,
                        "pickup_unit_id": p.pickup_unit_id,
                        "stages": [
                            {
                                "id": s.id,
                                "label": s.label,
                                "unit_ids": s.unit_ids,
                                "section_ids": s.section_ids,
                            }
                            for s in p.stages
                        ],
                    }
                    for p in venue.pathways.values()
                ]
            }
        )
    return files


def _point_writer(proj: LocalProjection) -> Callable[[Point | None], dict[str, Any] | None]:
    def write(p: Point | None) -> dict[str, Any] | None:
        if p is None:
            return None
        return mapping(proj.to_wgs84(p))  # type: ignore[return-value]

    return write


def _ref_json(ref: FeatureRef | None) -> dict[str, str] | None:
    return None if ref is None else {"id": ref.id, "feature_type": ref.feature_type}


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


__all__ = ["ImdfResult", "imdf_files", "imdf_zip_bytes", "read_imdf", "write_imdf"]
