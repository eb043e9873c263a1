"""Reading an archive: files, then the generic GeoJSON checks, then each type's codec, then
what needs the other features, then pathways; repairs only when asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floorplans.imdf.archive import Archive
from floorplans.imdf.codec import RawFeature, Reading
from floorplans.imdf.feature_types import BY_TYPE, CODECS, MODELLED, VENUE
from floorplans.imdf.geojson import features_of, project_all, venue_origin
from floorplans.imdf.pathways import FILE as PATHWAYS_FILE
from floorplans.imdf.pathways import read_pathways
from floorplans.model import Venue
from floorplans.projection import LocalProjection
from floorplans.repair import repair_venue
from floorplans.report import Report
from floorplans.text import T

#: Openings this far (metres) from a unit boundary are fine as they are.
SNAP_SILENT_M = 0.01
#: Openings up to this far off are moved onto the boundary, with a warning.
SNAP_TOLERANCE_M = 0.5


@dataclass(slots=True)
class ImdfResult:
    venue: Venue | None
    report: Report


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
    archive = Archive(Path(path))
    report = Report()
    names = archive.names()
    manifest = _manifest(archive, names, report, path)
    language = manifest.get("language") if isinstance(manifest.get("language"), str) else None

    raw: dict[str, list[RawFeature]] = {t: [] for t in MODELLED}
    passthrough: dict[str, dict[str, Any]] = {}
    seen_ids: dict[str, str] = {}
    for name in names:
        if not name.endswith(".geojson"):
            continue
        ftype = name.removesuffix(".geojson")
        data = archive.load_json(name, report)
        if data is None:
            continue
        if ftype not in BY_TYPE:
            if isinstance(data, dict):
                passthrough[name] = data
            continue
        raw[ftype] = list(features_of(name, BY_TYPE[ftype], data, report, seen_ids))

    pathways: Any = None
    if PATHWAYS_FILE in names:
        pathways = archive.load_json(PATHWAYS_FILE, report)

    venues = raw["venue"]
    if not venues:
        report.error(
            "venue-missing",
            "venue.geojson",
            None,
            T("the archive has no venue feature"),
            T("add venue.geojson with one venue feature (category, name, display_point)"),
        )
        return ImdfResult(None, report)
    if len(venues) > 1:
        report.warning(
            "venue-several",
            "venue.geojson",
            venues[1].fid,
            T("{count} venue features; only the first is used", count=len(venues)),
            T("keep one venue per archive"),
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
                T(
                    "manifest.json gives no language; {language!r}, the first language of the venue's "
                    "name, is assumed",
                    language=language,
                ),
                T('add "language": "{language}" (or the venue\'s main language)', language=language),
            )
    proj = LocalProjection(*venue_origin(vraw, report))
    project_all(raw, proj)

    venue = VENUE.venue_of(vraw, language, proj, manifest, passthrough, report)
    reading = Reading(venue, language, report)
    for codec in CODECS:
        if codec is not VENUE:
            for f in raw[codec.ftype]:
                codec.read(f, reading)
    for codec in CODECS:
        codec.settle(venue, report)
    if pathways is not None:
        read_pathways(venue, pathways, report)

    if repair:
        repair_venue(venue, report, snap_silent_m=SNAP_SILENT_M, snap_tolerance_m=SNAP_TOLERANCE_M)
    return ImdfResult(venue, report)


def _manifest(archive: Archive, names: list[str], report: Report, path: str | Path) -> dict[str, Any]:
    if "manifest.json" not in names:
        report.warning(
            "manifest-missing",
            "manifest.json",
            None,
            T(
                "{path} has no manifest.json; the features are read all the same, in the language of "
                "the venue's name",
                path=str(path),
            ),
            T("add manifest.json with at least version and language (IMDF 20-094, Manifest)"),
        )
        return {}
    loaded = archive.load_json("manifest.json", report)
    if loaded is not None and not isinstance(loaded, dict):
        report.error(
            "manifest-invalid",
            "manifest.json",
            None,
            T("manifest.json is not a JSON object"),
            T('write it as {{"version": ...}}'),
        )
    return loaded if isinstance(loaded, dict) else {}
