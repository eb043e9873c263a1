"""An IMDF archive as files: a folder or a ``.zip`` seen as file name -> bytes, and JSON
read from it with a clear report entry (never an exception) when a file is not JSON."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from floorplans._errors import ImdfReadError
from floorplans.report import Report
from floorplans.text import T


class Archive:
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

    def load_json(self, name: str, report: Report) -> Any:
        """The file's JSON, or ``None`` with an error in *report* saying what is wrong where."""
        try:
            text = self.read(name).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            report.error(
                "json-invalid",
                name,
                None,
                T("{file} is not UTF-8 text ({why} at byte {at})", file=name, why=exc.reason, at=exc.start),
                T("save the file as UTF-8"),
            )
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            report.error(
                "json-invalid",
                name,
                None,
                T(
                    "{file} is not valid JSON: {why} at line {line} column {column}",
                    file=name,
                    why=exc.msg,
                    line=exc.lineno,
                    column=exc.colno,
                ),
                T("fix the JSON syntax at that place (a JSON linter shows it)"),
            )
            return None


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON, as every file of a written archive is."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
