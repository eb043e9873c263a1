"""Patient pathways and their stages (project extension ``pathways.json``), read and written."""

from __future__ import annotations

from typing import Any

from floorplans.model import Pathway, Stage, Venue
from floorplans.report import Report
from floorplans.text import T

FILE = "pathways.json"


def read_pathways(venue: Venue, data: Any, report: Report) -> None:
    items = data.get("pathways") if isinstance(data, dict) else None
    if not isinstance(items, list):
        report.error(
            "pathways-invalid",
            FILE,
            None,
            T('pathways.json has no "pathways" list'),
            T('write {{"pathways": [{{"id": ..., "name": {{...}}, "stages": [...]}}]}}'),
        )
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("id") or not isinstance(item.get("stages"), list):
            report.error(
                "pathways-invalid",
                FILE,
                None,
                T("pathway #{index} needs an id and a stages list", index=i),
                T("add them"),
            )
            continue
        stages = []
        for j, st in enumerate(item["stages"]):
            if not isinstance(st, dict) or not st.get("id") or not isinstance(st.get("label"), dict):
                report.error(
                    "pathways-invalid",
                    FILE,
                    str(item["id"]),
                    T(
                        "stage #{index} of pathway {pathway!r} needs an id and a label",
                        index=j,
                        pathway=item["id"],
                    ),
                    T('write {{"id": "theatre", "label": {{"fr": "Au bloc", "en": ...}}}}'),
                )
                continue
            stages.append(
                Stage(
                    str(st["id"]),
                    dict(st["label"]),
                    _strings(st.get("unit_ids")),
                    _strings(st.get("section_ids")),
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


def pathways_json(venue: Venue) -> dict[str, Any]:
    return {
        "pathways": [
            {
                "id": p.id,
                "name": p.name,
                "pickup_unit_id": p.pickup_unit_id,
                "stages": [
                    {"id": s.id, "label": s.label, "unit_ids": s.unit_ids, "section_ids": s.section_ids}
                    for s in p.stages
                ],
            }
            for p in venue.pathways.values()
        ]
    }


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
