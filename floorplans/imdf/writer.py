"""Writing an archive: the manifest, one FeatureCollection per modelled type (each codec
writes its own), the files that passed through unread, and pathways."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from shapely.geometry import mapping

from floorplans.imdf.archive import dumps
from floorplans.imdf.codec import Writing, Written
from floorplans.imdf.feature_types import CODECS
from floorplans.imdf.pathways import FILE as PATHWAYS_FILE
from floorplans.imdf.pathways import pathways_json
from floorplans.model import Venue


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
    files: dict[str, bytes] = {}
    manifest = {"version": "1.0.0", "language": venue.language, **venue.manifest}
    manifest.setdefault("generated_by", {"name": generated_by})
    files["manifest.json"] = dumps(manifest)
    writing = Writing(venue.projection, explicit)
    for codec in CODECS:
        items = codec.written(venue, writing)
        if items is not None:
            files[f"{codec.ftype}.geojson"] = dumps(_collection(codec.ftype, items, writing))
    for name, data in venue.passthrough.items():
        files[name] = dumps(data)
    if venue.pathways:
        files[PATHWAYS_FILE] = dumps(pathways_json(venue))
    return files


def _collection(ftype: str, items: list[Written], w: Writing) -> dict[str, Any]:
    """A FeatureCollection, every geometry back to WGS 84 in one PROJ call."""
    wgs = iter(w.projection.many_to_wgs84([g for _, g, _ in items if g is not None]))
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "id": fid,
                "type": "Feature",
                "feature_type": ftype,
                "geometry": mapping(next(wgs)) if g is not None else None,
                "properties": props,
            }
            for fid, g, props in items
        ],
    }
