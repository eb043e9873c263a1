"""The checks every GeoJSON feature goes through before its codec reads it: a Feature with
a unique id, properties, the required ones (or a documented rule supplying them), a geometry
of an allowed type; then one projection to metres for all of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from floorplans.imdf.codec import Codec, RawFeature
from floorplans.projection import LocalProjection
from floorplans.report import Report
from floorplans.text import T


def features_of(
    name: str, codec: Codec, data: Any, report: Report, seen_ids: dict[str, str]
) -> Iterable[RawFeature]:
    """The usable features of file *name*; every one left out is in *report*, with why."""
    ftype = codec.ftype
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        report.error(
            "geojson-invalid",
            name,
            None,
            T("{file} is not a GeoJSON FeatureCollection", file=name),
            T('write {{"type": "FeatureCollection", "features": [...]}}'),
        )
        return
    features = data.get("features")
    if not isinstance(features, list):
        report.error(
            "geojson-invalid",
            name,
            None,
            T('{file} has no "features" list', file=name),
            T('add "features": [...]'),
        )
        return
    for index, feat in enumerate(features):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            report.error(
                "geojson-invalid",
                name,
                None,
                T("feature #{index} is not a GeoJSON Feature", index=index),
                T('give it "type": "Feature", "id", "feature_type", "geometry", "properties"'),
            )
            continue
        fid = feat.get("id")
        if not isinstance(fid, str | int) or fid == "":
            report.error(
                "id-missing",
                name,
                None,
                T("feature #{index} has no id", index=index),
                T('give every feature a unique "id" (a UUID)'),
            )
            continue
        fid = str(fid)
        if fid in seen_ids:
            report.error(
                "id-duplicate",
                name,
                fid,
                T("id {id!r} is used twice (also in {other})", id=fid, other=seen_ids[fid]),
                T("give every feature its own id"),
            )
            continue
        seen_ids[fid] = name
        declared = feat.get("feature_type")
        if declared is not None and declared != ftype:
            report.warning(
                "feature-type-mismatch",
                name,
                fid,
                T(
                    "feature_type {declared!r} in {file}; read as {ftype!r}",
                    declared=declared,
                    file=name,
                    ftype=ftype,
                ),
                T(
                    'set "feature_type": "{ftype}" or move it to {declared}.geojson',
                    ftype=ftype,
                    declared=declared,
                ),
            )
        props = feat.get("properties")
        if not isinstance(props, dict):
            report.error(
                "properties-missing",
                name,
                fid,
                T("{ftype} {id!r} has no properties", ftype=ftype, id=fid),
                T('add a "properties" object'),
            )
            continue
        if not _required_present(name, codec, fid, props, report):
            continue
        geom = _geometry(name, ftype, fid, feat.get("geometry"), codec.geometry, report)
        if geom is False or geom is True:
            continue
        yield RawFeature(name, fid, props, geom)


def _required_present(name: str, codec: Codec, fid: str, props: dict[str, Any], report: Report) -> bool:
    """Whether the required properties are there, once the codec's rules supplied theirs."""
    ftype = codec.ftype
    missing = [k for k in codec.required if props.get(k) in (None, "", [])]
    for key, value, rule in [d for d in codec.derivable if d.prop in missing]:
        missing.remove(key)
        if value is None:
            props[key] = None  # settled by the codec once everything is read
            continue
        props[key] = value
        report.warning(
            "property-derived",
            name,
            fid,
            T("{ftype} {id!r} has no {key}; {rule}", ftype=ftype, id=fid, key=key, rule=rule),
            T(
                "set {key} (IMDF 20-094, {section}) if {value!r} is not right",
                key=key,
                section=ftype.capitalize(),
                value=value,
            ),
        )
    if missing:
        report.error(
            "property-missing",
            name,
            fid,
            T(
                "{ftype} {id!r} lacks required properties {keys}"
                if len(missing) > 1
                else "{ftype} {id!r} lacks required property {keys}",
                ftype=ftype,
                id=fid,
                keys=", ".join(missing),
            ),
            T("add {keys} (IMDF 20-094, {section})", keys=", ".join(missing), section=ftype.capitalize()),
        )
        return False
    return True


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
            T("{ftype} {id!r} has no geometry", ftype=ftype, id=fid),
            T("draw it as a {types}", types=" / ".join(allowed)),
        )
        return False
    try:
        geom = shape(gj)
    except Exception as exc:  # shapely raises several types for bad GeoJSON
        report.error(
            "geometry-invalid",
            name,
            fid,
            T("{ftype} {id!r} has an unreadable geometry ({why})", ftype=ftype, id=fid, why=str(exc)),
            T("fix its coordinates: [longitude, latitude] pairs, rings closed"),
        )
        return False
    if allowed is not None and geom.geom_type not in allowed:
        report.error(
            "geometry-type",
            name,
            fid,
            T(
                "{ftype} {id!r} is a {found}, expected {types}",
                ftype=ftype,
                id=fid,
                found=geom.geom_type,
                types=" / ".join(allowed),
            ),
            T("redraw it as a {type}", type=allowed[0]),
        )
        return False
    if geom.is_empty:
        report.error(
            "geometry-empty",
            name,
            fid,
            T("{ftype} {id!r} has an empty geometry", ftype=ftype, id=fid),
            T("draw it"),
        )
        return False
    return geom


def venue_origin(venue: RawFeature, report: Report) -> tuple[float, float]:
    """Longitude and latitude of the venue's display point: the origin of the metric plane."""
    dp = venue.props.get("display_point")
    try:
        if not isinstance(dp, dict):
            raise ValueError("not a GeoJSON point")
        lon, lat = shape(dp).coords[0]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError("out of range")
        return float(lon), float(lat)
    except Exception:
        if venue.geometry is not None:
            c = venue.geometry.centroid
            report.warning(
                "display-point-invalid",
                venue.file,
                venue.fid,
                T("venue display_point is missing or invalid; the centroid is used"),
                T('set display_point to {{"type": "Point", "coordinates": [lon, lat]}}'),
            )
            return c.x, c.y
        report.error(
            "display-point-invalid",
            venue.file,
            venue.fid,
            T("venue has neither a display_point nor a geometry"),
            T("set display_point to a point inside the venue"),
        )
        return 0.0, 0.0


def project_all(raw: dict[str, list[RawFeature]], proj: LocalProjection) -> None:
    """Project every geometry and display point in one PROJ call per kind."""
    for feats in raw.values():
        geoms = [f.geometry for f in feats if f.geometry is not None]
        for f, g in zip([f for f in feats if f.geometry is not None], proj.many_to_local(geoms), strict=True):
            f.geometry = g
        points: list[BaseGeometry] = []
        owners: list[RawFeature] = []
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
