"""Read and write IMDF archives (OGC Community Standard 20-094).

An archive is a folder or a ``.zip`` holding ``manifest.json`` and one GeoJSON
FeatureCollection per feature type (``unit.geojson``, ...). Reading never raises on bad
content: every problem goes into the returned :class:`~floorplans.report.Report` with the
file and feature it concerns; only an archive that cannot be opened at all raises
:class:`~floorplans.ImdfReadError`.

Where things are:

- ``archive.py``: a folder or zip as files, JSON read with a clear report entry;
- ``geojson.py``: the checks every feature goes through (id, properties, required ones,
  geometry type), the projection to metres;
- ``codec.py``: what a codec is (rules, reader, writer) and the helpers codecs share;
- one codec per feature type, reader and writer side by side: ``structure.py`` (venue,
  building, footprint, level), ``places.py`` (unit, opening, relationship, kiosk,
  section), ``contents.py`` (amenity, anchor, occupant, receiver);
- ``feature_types.py``: the codecs in the order they are read and written;
- ``reader.py`` (read, then repair when asked: :func:`read_imdf`) and ``writer.py``;
- ``pathways.py``: ``pathways.json``.

Project extensions, ignored by other IMDF tools:

- ``receiver.geojson``: BLE receivers (``level_id``, optional ``unit_id``, ``z`` in metres);
- ``pathways.json``: patient pathways and their stages;
- property ``facing`` on kiosks (compass bearing the screen faces);
- property ``destinations`` on kiosks (the large buttons of its welcome screen: feature
  ids, or names for the nearest place so named);
- property ``keywords`` on units, amenities and occupants (search synonyms per language).
"""

from __future__ import annotations

from floorplans.imdf.feature_types import MODELLED
from floorplans.imdf.reader import SNAP_SILENT_M, SNAP_TOLERANCE_M, ImdfResult, read_imdf
from floorplans.imdf.writer import imdf_files, imdf_zip_bytes, write_imdf

__all__ = [
    "MODELLED",
    "SNAP_SILENT_M",
    "SNAP_TOLERANCE_M",
    "ImdfResult",
    "imdf_files",
    "imdf_zip_bytes",
    "read_imdf",
    "write_imdf",
]
