"""The routing situations whose directions are pinned in ``fixtures/*.json``.

Each fixture holds the expected screen and speech texts in every language.
After a deliberate change of wording (or to add a language), rewrite them
with ``python -m tests.routing.situations`` and read the diff aloud.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floorplans import Venue
from routing import NoRoute, PlaceNotFound, Router
from tests.routing.conftest import FakeClosure

FIXTURES = Path(__file__).parent / "fixtures"
LANGUAGES = ("fr", "en", "es")
#: Closures in fixtures run from START to END; routes are asked at AT.
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2030, 1, 1, 14, 0, tzinfo=UTC)
AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
_TIME = re.compile(r"\d\d/\d\d \d\d:\d\d|\d\d:\d\d")


@dataclass
class Situation:
    origin: str
    to: str
    profile: str = "default"
    close: list[str] = field(default_factory=list)


SITUATIONS = {
    "turn_and_building_change": Situation("Borne du hall d'accueil", "Radiologie"),
    "lift_up_arrival_left": Situation("Borne du hall d'accueil", "Cardiologie", "step_free"),
    "lift_down": Situation("Cardiologie", "Laboratoire de prélèvements", "step_free"),
    "stairs_up_arrival_right": Situation("Borne du parking", "Radiologie"),
    "ramp_step_free": Situation("Borne du hall d'accueil", "Pédiatrie", "step_free"),
    "steps_default": Situation("Borne du hall d'accueil", "Pédiatrie"),
    "footbridge_day_surgery": Situation("Borne du parking", "Unité de chirurgie ambulatoire", "step_free"),
    "closure_detour": Situation(
        "Borne du hall d'accueil", "Cardiologie", "step_free", ["Ascenseur A1", "Ascenseur A2"]
    ),
    "no_step_free_route_closure": Situation(
        "Borne du hall d'accueil",
        "Pédiatrie",
        "step_free",
        ["Rampe entre les bâtiments A et C", "Ascenseur C"],
    ),
    "staff_only_destination": Situation("Borne du hall d'accueil", "Salle de réveil"),
    "emergency_to_toilets": Situation("Borne des urgences", "toilettes"),
    # Issue 11: each name said is true where it is said.
    "turn_into_the_gallery_at_the_turn": Situation("Pédiatrie", "Radiologie"),
    "leave_room_landmark_ahead": Situation("Gynécologie", "Kinésithérapie"),
    "two_turns_close_together": Situation(
        "73e2d407-de58-54ef-a68b-4de69e4bdb36", "b69abc78-8e8c-5a18-8c41-b852689fa15a"
    ),
    "point_in_a_hall": Situation("Pneumologie", "Défibrillateur"),
    "steps_down_towards_a": Situation("Unité de chirurgie ambulatoire", "Borne du hall d'accueil"),
    "ramp_down_towards_a": Situation("Pédiatrie", "Hall d'accueil", "step_free"),
    "shared_name_as_origin": Situation("toilettes", "Radiologie"),
    "nearest_exit": Situation("Radiologie", "sortie"),
    "nearest_lift": Situation("Cardiologie", "ascenseur", "step_free"),
    "nearest_entrance_from_the_hall": Situation("Borne du hall d'accueil", "entrée"),
    "elision_and_articles": Situation("Endoscopie", "Point information"),
}


def closures_for(venue: Venue, names: list[str]) -> list[FakeClosure]:
    from floorplans.model import label_text

    out = []
    for name in names:
        fid = next(
            f
            for table in (venue.relationships, venue.units)
            for f, feat in table.items()
            if label_text(feat.name, "fr") == name
        )
        out.append(FakeClosure(fid, name, "maintenance", START, END))
    return out


def normalize_times(text: str) -> str:
    return _TIME.sub("<time>", text)


def run(venue: Venue, s: Situation) -> dict[str, Any]:
    router = Router(venue, closures=closures_for(venue, s.close))
    result: dict[str, Any] = {"from": s.origin, "to": s.to, "profile": s.profile, "close": s.close}
    try:
        route = router.route(s.origin, s.to, profile=s.profile, at=AT)
    except (PlaceNotFound, NoRoute) as first:
        # The refusal, as said in every language.
        key = "not_found" if isinstance(first, PlaceNotFound) else "no_route"
        result[key] = {}
        for lang in LANGUAGES:
            try:
                router.route(s.origin, s.to, profile=s.profile, lang=lang, at=AT)
            except (PlaceNotFound, NoRoute) as exc:
                result[key][lang] = normalize_times(str(exc))
        return result
    result["screen"] = {lang: [st.screen for st in route.steps(lang)] for lang in LANGUAGES}
    result["speech"] = {lang: [st.speech for st in route.steps(lang)] for lang in LANGUAGES}
    return result


def main() -> None:
    from floorplans import load_demo_venue

    venue = load_demo_venue()
    FIXTURES.mkdir(exist_ok=True)
    for name, s in SITUATIONS.items():
        data = run(venue, s)
        (FIXTURES / f"{name}.json").write_text(
            json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(f"wrote {name}.json")


if __name__ == "__main__":
    main()
