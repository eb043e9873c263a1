"""The check report and the plan comparison in the facilities manager's language (issue 26,
item 14): every sentence the plan code can say has its French and Spanish, with the same
fields; a report kept in the database is said in French again when read back."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import floorplans
from floorplans import Venue, diff_venues, read_imdf
from floorplans.report import Report
from floorplans.text import T, Text, catalogue
from floorplans.validate import validate_venue
from tests.conftest import Archive

PACKAGE = Path(floorplans.__file__).parent
#: Where sentences are marked with ``T(...)``: the plan code, and the facilities pages.
SOURCES = [PACKAGE, PACKAGE.parent / "api"]


def _templates() -> dict[str, str]:
    """Every template given to ``T(...)`` in the sources (both sides of a conditional)."""

    def strings(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return strings(node.body) + strings(node.orelse)
        raise AssertionError(f"T() takes a literal template or a conditional of two: line {node.lineno}")

    found: dict[str, str] = {}
    for path in sorted(p for source in SOURCES for p in source.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "T":
                for template in strings(node.args[0]):
                    found.setdefault(template, f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def _fields(template: str) -> set[tuple[str, str | None, str]]:
    return {(n, c, s) for _, n, s, c in string.Formatter().parse(template) if n}


def _words(template: str) -> bool:
    """Whether a template has words of its own (not only fields and punctuation)."""
    return any(lit.strip(" ,;:()'\"[]{}.-") for lit, *_ in string.Formatter().parse(template))


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_every_sentence_has_its_translation_with_the_same_fields(lang: str) -> None:
    templates = _templates()
    assert len(templates) > 250
    words = catalogue(lang)
    missing = [f"{where}: {t!r}" for t, where in templates.items() if _words(t) and t not in words]
    assert not missing, f"{len(missing)} sentences have no {lang} translation: {missing[:5]}"
    differing = [t for t in templates if t in words and _fields(words[t]) != _fields(t)]
    assert not differing, differing[:5]
    stale = [t for t in words if t not in templates]
    assert not stale, f"{lang}.json has sentences the code no longer says: {stale[:5]}"


def test_a_broken_archive_is_reported_in_french_and_the_stored_report_too(archive: Archive) -> None:
    unit = archive.find("unit", "Radiologie")

    def breaks(feats: list[dict[str, object]]) -> None:
        for f in feats:
            if f["id"] == unit["id"]:
                f["properties"].pop("level_id")  # type: ignore[attr-defined]
                f["properties"]["restriction"] = "weird"  # type: ignore[index]

    archive.edit("unit", breaks)
    result = read_imdf(archive.root)
    assert result.venue is not None
    validate_venue(result.venue, result.report)
    stored = Report.from_dict(result.report.to_dict())  # as the store keeps it
    said = {p.code: (p.said("fr"), p.fix_said("fr")) for p in stored.problems if p.feature_id == unit["id"]}
    assert said["property-missing"] == (
        f"il manque à l'entité unit {unit['id']!r} la propriété obligatoire level_id",
        "ajoutez level_id (IMDF 20-094, Unit)",
    )
    english = {p.code: p.message for p in stored.problems if p.feature_id == unit["id"]}
    assert english["property-missing"] == f"unit {unit['id']!r} lacks required property level_id"
    for p in stored.problems:  # every sentence has its French (no English left in the page)
        assert p.text is not None and p.fix_text is not None, p.code
        assert p.said("fr") != p.message or not _words(p.text.template), p.message


def test_the_comparison_of_two_versions_says_each_change_in_french(
    demo_venue: Venue, archive: Archive
) -> None:
    archive.edit(
        "occupant",
        lambda feats: [
            f["properties"].update(name={"fr": "Imagerie médicale", "en": "Medical imaging"})
            for f in feats
            if f["properties"]["name"].get("fr") == "Radiologie"
        ],
    )
    edited = read_imdf(archive.root).venue
    assert edited is not None
    changes = diff_venues(demo_venue, edited, lang="fr")
    assert [c.text for c in changes] == [
        "occupant 'Radiologie' renamed to 'Imagerie médicale'; named 'Medical imaging' in en "
        "(was 'Radiology')"
    ]
    assert [c.sentence.said("fr") for c in changes] == [
        "occupant 'Radiologie' renommé en 'Imagerie médicale'; s'appelle 'Medical imaging' dans la langue en "
        "(auparavant 'Radiology')"
    ]


def test_a_sentence_without_a_translation_or_with_a_broken_one_is_said_in_english() -> None:
    assert T("not a sentence of the plan {x}", x=1).said("fr") == "not a sentence of the plan 1"
    assert Text.from_dict({"template": 3}) is None
    kept = Text.from_dict(T("level {name} removed", name="'Niveau 2'").to_dict())
    assert kept is not None and kept.said("fr") == "niveau 'Niveau 2' supprimé"
    assert kept.said("de") == "level 'Niveau 2' removed"


def test_a_stored_report_says_numbers_from_any_library_and_falls_back_when_it_cannot() -> None:
    """Values from numpy (what shapely's vectorised areas are) are stored as JSON numbers,
    so the stored report formats them again; a sentence whose values no longer fit its
    template (stored by another release) is said as first written, never an error."""
    import json

    import numpy as np

    from floorplans.report import Problem

    report = Report()
    report.warning(
        "unit-overlap",
        "unit.geojson",
        "u1",
        T(
            "units {a} and {b} overlap by {area:.2f} m² ({share:.0%} of the smaller) on level {level} "
            "(floor {ordinal}) at {where}",
            a="'A'",
            b="'B'",
            area=np.float32(2.5),
            share=np.float64(0.3),
            level="0",
            ordinal=np.int64(1),
            where="(1.0 m E, 2.0 m N)",
        ),
        T("move their shared wall so that each place belongs to one unit only"),
    )
    back = Report.from_dict(json.loads(report.to_json()))
    assert back.problems[0].said("fr").startswith("les locaux 'A' et 'B' se recouvrent de 2.50 m² (30% du")
    assert back.problems[0].message == report.problems[0].message
    stale = Problem(
        "warning", "x", "f", None, "as first written", "fix", text=Text("{a:.1f} m", {"a": "n/a"})
    )
    assert stale.said("fr") == "as first written"
