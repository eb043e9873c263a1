"""What a feature type's codec is, and the property helpers the codecs share.

A codec holds everything about one IMDF feature type in one place: the properties without
which a feature cannot be used (``required``), those a documented rule can supply instead
(``derivable``), the geometries it may have (``geometry``), how a checked GeoJSON feature
becomes a model object (``read``), what needs the other features to be settled
(``settle``), and how model objects are written back (``written``). The generic GeoJSON
checks (:mod:`floorplans.imdf.geojson`) use the rules; the reader and the writer only walk
the codecs in order (:mod:`floorplans.imdf.feature_types`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from floorplans.model import RESTRICTIONS, FeatureRef, Label, Venue
from floorplans.projection import LocalProjection
from floorplans.report import Report
from floorplans.text import T, Text

#: One feature to write: id, geometry in metres (or none), properties.
Written = tuple[str, BaseGeometry | None, dict[str, Any]]


class Derived(NamedTuple):
    """A required property that a documented rule supplies when it is missing."""

    prop: str
    #: The value used; ``None``: settled by the codec once every feature is read.
    value: Any
    #: What the rule is, as the report says it.
    rule: Text


@dataclass(slots=True)
class RawFeature:
    """A GeoJSON feature that passed the generic checks, geometry in metres once projected."""

    file: str
    fid: str
    props: dict[str, Any]
    geometry: BaseGeometry | None

    @property
    def shape(self) -> Any:
        """The geometry; its type was checked against the codec's ``geometry`` when read."""
        return self.geometry

    @property
    def display_point(self) -> Point | None:
        p = self.props.get("_display_point_local")
        return p if isinstance(p, Point) else None

    def extra(self, known: Iterable[str]) -> dict[str, Any]:
        """The properties no codec field holds, kept to be written back unchanged."""
        skip = {*known, "_display_point_local"}
        return {k: v for k, v in self.props.items() if k not in skip}

    def strings(self, key: str) -> list[str]:
        value = self.props.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    def keywords(self) -> dict[str, list[str]]:
        """Search synonyms per language (project extension ``keywords``)."""
        kw = self.props.get("keywords")
        if not isinstance(kw, dict):
            return {}
        return {str(k): [str(x) for x in v] for k, v in kw.items() if isinstance(v, list)}


@dataclass(slots=True)
class Reading:
    """What a codec's reader adds to, and in which language plain strings are."""

    venue: Venue
    language: str
    report: Report

    def label(self, f: RawFeature, key: str = "name") -> Label | None:
        return read_label(f, key, self.language, self.report)

    def restriction(self, f: RawFeature) -> str | None:
        value = f.props.get("restriction")
        if value is None or value in RESTRICTIONS:
            return value  # type: ignore[no-any-return]
        self.report.warning(
            "restriction-unknown",
            f.file,
            f.fid,
            T("unknown restriction {value!r}; treated as 'restricted' (no public access)", value=value),
            T("use 'employeesonly', 'restricted' or null"),
        )
        return "restricted"


@dataclass(slots=True)
class Writing:
    """How a codec's writer sees the archive being written."""

    projection: LocalProjection
    #: Write what the importer inferred too, marked so (``floorplan repair``).
    explicit: bool

    def point(self, p: Point | None) -> dict[str, Any] | None:
        if p is None:
            return None
        return mapping(self.projection.to_wgs84(p))  # type: ignore[return-value]


class Codec:
    """One IMDF feature type: its rules, its reader and its writer."""

    ftype: ClassVar[str]
    #: Properties without which a feature cannot be used.
    required: ClassVar[tuple[str, ...]] = ()
    #: Required properties that a documented rule can supply when they are missing.
    derivable: ClassVar[tuple[Derived, ...]] = ()
    #: The geometry types allowed; ``None``: any, or none at all.
    geometry: ClassVar[tuple[str, ...] | None] = None

    def read(self, f: RawFeature, r: Reading) -> None:
        """Add *f* to ``r.venue``, or say in ``r.report`` why it cannot be used."""
        raise NotImplementedError

    def settle(self, venue: Venue, report: Report) -> None:
        """Supply the derivable properties that need the other features (none by default)."""

    def written(self, venue: Venue, w: Writing) -> list[Written] | None:
        """The features to write, in order; ``None``: no file for this type."""
        raise NotImplementedError


def read_label(f: RawFeature, key: str, language: str, report: Report) -> Label | None:
    """A label property; a plain string is taken as the archive's language, with a warning."""
    value = f.props.get(key)
    if value is None:
        return None
    base = language.split("-", maxsplit=1)[0]
    if isinstance(value, str):
        report.warning(
            "label-plain-string",
            f.file,
            f.fid,
            T("{key} is a plain string {value!r}, not an IMDF label", key=key, value=value),
            T('write {key} as {{"{base}": "{value}"}}', key=key, base=base, value=value),
        )
        return {base: value}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items() if v.strip()} or None
    report.warning(
        "label-invalid",
        f.file,
        f.fid,
        T("{key} is not a label object; ignored", key=key),
        T('write {key} as {{"fr": "...", "en": "..."}}', key=key),
    )
    return None


def polygonal(geom: BaseGeometry | None) -> Polygon | MultiPolygon | None:
    return geom if isinstance(geom, Polygon | MultiPolygon) else None


def ref(value: Any) -> FeatureRef | None:
    if isinstance(value, dict) and value.get("id") is not None:
        return FeatureRef(str(value["id"]), str(value.get("feature_type") or "unit"))
    return None


def ref_json(r: FeatureRef | None) -> dict[str, str] | None:
    return None if r is None else {"id": r.id, "feature_type": r.feature_type}


def named(label: Label | None, fid: str) -> str:
    """A feature as a report names it: its first name and id, or its id."""
    text = next(iter(label.values()), "") if label else ""
    return f"{text!r} ({fid})" if text else repr(fid)
