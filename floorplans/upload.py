"""What an uploaded archive must be before anything reads it: a zip of bounded size.

An archive comes from a browser or a script, so it is checked as hostile
before it is parsed, with limits from the settings:

- the bytes as sent (``max_bytes``) and what they unpack to (``max_unpacked``:
  the sum of the sizes the zip declares; Python's :mod:`zipfile` never
  inflates an entry past its declared size, so a zip bomb stops there);
- the number of entries (``max_entries``);
- no entry named with ``..``, an absolute path or a drive letter (nothing is
  ever written to disk from an archive, but such a name is a forged archive
  and is refused as one);
- the positions in all GeoJSON files (``max_points``), counted before any JSON
  is parsed: one position is one ``[`` in the text, so the count is an upper
  bound found at the speed of a byte search. A plan of a large hospital has
  a few hundred thousand; a file with millions is a mistake or an attack.

Each refusal is an :class:`UploadRefused` whose message names the file and
the limit, in words a facilities manager can act on.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from floorplans._errors import FloorPlanError


class UploadRefused(FloorPlanError):  # noqa: N818 - reads as what happened
    """An uploaded archive refused before it was read (too large, not a zip, forged).

    The message is English (the command line, the logs); *code* and *params* let a page say
    it in its reader's language (``api/locales``: ``up_<code>``)."""

    def __init__(self, message: str, code: str = "refused", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class UploadLimits:
    #: Bytes as uploaded.
    max_bytes: int = 50 * 1024 * 1024
    #: Bytes once unpacked (all entries).
    max_unpacked: int = 200 * 1024 * 1024
    max_entries: int = 200
    #: Positions (coordinate pairs) in all GeoJSON files together.
    max_points: int = 500_000


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _escapes(name: str) -> bool:
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    return (
        posix.is_absolute()
        or windows.is_absolute()
        or bool(windows.drive)
        or ".." in posix.parts
        or ".." in windows.parts
    )


def check_archive(data: bytes, limits: UploadLimits | None = None, *, name: str = "the file") -> None:
    """Raise :class:`UploadRefused` unless *data* is a zip within *limits*."""
    limits = limits or UploadLimits()
    if len(data) > limits.max_bytes:
        raise UploadRefused(
            f"{name} is {_mb(len(data))}; an archive may be at most {_mb(limits.max_bytes)} "
            "(WAYFINDING_UPLOAD_MAX_MB): remove photos or other files the plan does not need",
            "too-big",
            name=name,
            size=_mb(len(data)),
            max=_mb(limits.max_bytes),
        )
    if not data:
        raise UploadRefused(f"{name} is empty: choose the IMDF .zip archive", "empty", name=name)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadRefused(
            f"{name} is not a .zip archive: export the plan as IMDF (a .zip holding manifest.json "
            "and the *.geojson files) and upload that",
            "not-zip",
            name=name,
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_entries:
                raise UploadRefused(
                    f"{name} holds {len(infos)} entries; an IMDF archive has a few dozen "
                    f"(at most {limits.max_entries} are accepted)",
                    "entries",
                    name=name,
                    n=len(infos),
                    max=limits.max_entries,
                )
            for info in infos:
                if _escapes(info.filename):
                    raise UploadRefused(
                        f"{name}: entry {info.filename!r} points outside the archive's folder; "
                        "this is not an archive written by a plan editor",
                        "escapes",
                        name=name,
                        entry=info.filename,
                    )
            unpacked = sum(i.file_size for i in infos)
            if unpacked > limits.max_unpacked:
                raise UploadRefused(
                    f"{name} unpacks to {_mb(unpacked)}; at most {_mb(limits.max_unpacked)} are accepted "
                    "(an archive that inflates this much is not a floor plan)",
                    "unpacked",
                    name=name,
                    size=_mb(unpacked),
                    max=_mb(limits.max_unpacked),
                )
            if any(i.flag_bits & 0x1 for i in infos):
                raise UploadRefused(
                    f"{name} is encrypted: export it again without a password", "encrypted", name=name
                )
            points = 0
            for info in infos:
                if info.is_dir() or not info.filename.lower().endswith(".geojson"):
                    continue
                with zf.open(info) as f:
                    while chunk := f.read(1 << 20):
                        points += chunk.count(b"[")
                if points > limits.max_points:
                    raise UploadRefused(
                        f"{name}: {PurePosixPath(info.filename).name} brings the plan past "
                        f"{limits.max_points:,} coordinates; simplify the drawing (a room needs a few "
                        "dozen corners, not thousands) or raise WAYFINDING_UPLOAD_MAX_POINTS",
                        "points",
                        name=name,
                        file=PurePosixPath(info.filename).name,
                        max=f"{limits.max_points:,}",
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, UploadRefused):
            raise
        raise UploadRefused(
            f"{name} is a damaged .zip archive ({exc}): export it again", "damaged", name=name
        ) from None
