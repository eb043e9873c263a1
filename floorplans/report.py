"""Validation reports: a list of problems, each naming file, feature and fix."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from floorplans.text import T, Text, joined, said_or

Severity = Literal["error", "warning", "info"]
#: A place on the plan: floor ordinal, metres east, metres north.
Place = tuple[int, float, float]

#: Codes of the guesses the importer makes by a documented rule (docs/floorplans.md):
#: an archive repaired with ``wayfinding floorplan repair`` has none of them.
INFERENCE_CODES = frozenset(
    {
        "door-inferred",
        "opening-snapped",
        "relationship-inferred",
        "unit-overlap-trimmed",
        "property-derived",
        "display-point-invalid",
        "label-plain-string",
        "manifest-missing",
        "manifest-language",
        "walkway-implied",
    }
)


@dataclass(slots=True, frozen=True)
class Problem:
    severity: Severity
    #: Short machine-readable code, e.g. ``unit-overlap``.
    code: str
    #: File of the archive the feature comes from, e.g. ``unit.geojson``.
    file: str
    #: Feature id, or None for a problem with the whole file.
    feature_id: str | None
    #: What is wrong, in words, naming the feature and where it is.
    message: str
    #: How to fix it.
    fix: str
    #: Where to look, when the problem has a place: floor ordinal and metres east and
    #: north of the venue's display point (what ``floorplan render --problems`` marks).
    ordinal: int | None = None
    x: float | None = None
    y: float | None = None
    #: *message* and *fix* as sentences a page can say in its reader's language
    #: (:mod:`floorplans.text`); ``None`` in reports stored before they were kept.
    text: Text | None = None
    fix_text: Text | None = None

    def said(self, lang: str) -> str:
        """What is wrong, in *lang*."""
        return said_or(self.text, lang, self.message)

    def fix_said(self, lang: str) -> str:
        """How to fix it, in *lang*."""
        return said_or(self.fix_text, lang, self.fix)

    def line(self) -> str:
        return str(self.sentence())

    def sentence(self) -> Text:
        """The problem on one line, as the command line prints it; said in any language."""
        return T(
            "{severity:7} {where}: {message} -> {fix}",
            severity=self.severity.upper(),
            where=self.file + (f" [{self.feature_id}]" if self.feature_id else ""),
            message=self.text or self.message,
            fix=self.fix_text or self.fix,
        )


@dataclass(slots=True)
class Report:
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        severity: Severity,
        code: str,
        file: str,
        feature_id: str | None,
        message: str | Text,
        fix: str | Text,
        *,
        at: Place | None = None,
    ) -> None:
        """*message* and *fix* are English; given as :class:`Text` (``T(...)``), a page can
        also say them in its reader's language."""
        ordinal, x, y = at if at is not None else (None, None, None)
        self.problems.append(
            Problem(
                severity,
                code,
                file,
                feature_id,
                str(message),
                str(fix),
                ordinal,
                x,
                y,
                message if isinstance(message, Text) else None,
                fix if isinstance(fix, Text) else None,
            )
        )

    def error(
        self,
        code: str,
        file: str,
        fid: str | None,
        message: str | Text,
        fix: str | Text,
        *,
        at: Place | None = None,
    ) -> None:
        self.add("error", code, file, fid, message, fix, at=at)

    def warning(
        self,
        code: str,
        file: str,
        fid: str | None,
        message: str | Text,
        fix: str | Text,
        *,
        at: Place | None = None,
    ) -> None:
        self.add("warning", code, file, fid, message, fix, at=at)

    def info(
        self,
        code: str,
        file: str,
        fid: str | None,
        message: str | Text,
        fix: str | Text,
        *,
        at: Place | None = None,
    ) -> None:
        self.add("info", code, file, fid, message, fix, at=at)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def usable(self) -> bool:
        """True when the venue can be routed on (warnings allowed)."""
        return not self.errors

    def codes(self) -> Counter[str]:
        return Counter(p.code for p in self.problems)

    def summary(self) -> str:
        return str(self.summary_sentence())

    def summary_sentence(self) -> Text:
        return T(
            "usable: {errors} error(s), {warnings} warning(s)"
            if self.usable
            else "NOT usable: {errors} error(s), {warnings} warning(s)",
            errors=len(self.errors),
            warnings=len(self.warnings),
        )

    def to_text(self, *, limit: int | None = None) -> str:
        return str(self.to_sentence(limit=limit))

    def to_sentence(self, *, limit: int | None = None) -> Text:
        """The report as the command line prints it (worst first, *limit* lines, then the
        summary), as a sentence a page can say in its reader's language."""
        order = {"error": 0, "warning": 1, "info": 2}
        ranked = sorted(self.problems, key=lambda p: (order[p.severity], p.file, p.code))
        shown = ranked if limit is None else ranked[:limit]
        lines: list[Text] = [p.sentence() for p in shown]
        if limit is not None and len(ranked) > limit:
            lines.append(T("... and {count} more (use --json for all)", count=len(ranked) - limit))
        lines.append(self.summary_sentence())
        return joined(lines, "\n")

    def to_dict(self) -> dict[str, Any]:
        return {
            "usable": self.usable,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [_problem_dict(p) for p in self.problems],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @property
    def inferences(self) -> list[Problem]:
        """What the importer guessed (doors, links, trimmed overlaps, derived properties)."""
        return [p for p in self.problems if p.code in INFERENCE_CODES]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        problems = []
        for p in data.get("problems", []):
            kept = {k: v for k, v in p.items() if k not in ("text", "fix_text")}
            problems.append(
                Problem(
                    **kept, text=Text.from_dict(p.get("text")), fix_text=Text.from_dict(p.get("fix_text"))
                )
            )
        return cls(problems)


def _problem_dict(p: Problem) -> dict[str, Any]:
    out = {f.name: getattr(p, f.name) for f in fields(p)}
    out["text"] = p.text.to_dict() if p.text is not None else None
    out["fix_text"] = p.fix_text.to_dict() if p.fix_text is not None else None
    return out
