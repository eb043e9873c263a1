"""Route profiles: who is walking, and what they may use.

| profile | for | stairs, escalators, steps | staff-only places |
|---|---|---|---|
| ``default`` | most visitors | allowed | never |
| ``step_free`` | wheelchairs, beds, pushchairs, walking frames | never | never |
| ``avoid_stairs`` | people who tire on stairs | only when nothing else exists | never |
| ``staff`` | hospital staff | allowed | allowed |

Any profile can be walked at a slower pace (``slow=True``): walking edges
take twice as long; lift rides do not change.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Walking speed of a hospital visitor, m/s (slower than the 1.3 m/s of a street).
WALK_SPEED = 1.1
#: Speed of the slow pace, m/s (elderly, walking frame, companion pushing a wheelchair).
SLOW_SPEED = 0.55

#: Seconds to open and go through a door.
DOOR_S = 2.0
#: Seconds waiting for a lift, then per floor travelled, then doors.
LIFT_WAIT_S = 30.0
LIFT_PER_LEVEL_S = 5.0
LIFT_DOORS_S = 8.0
#: Seconds per floor on stairs, up and down, at walking speed.
STAIRS_UP_S = 20.0
STAIRS_DOWN_S = 14.0
ESCALATOR_PER_LEVEL_S = 20.0
RAMP_PER_LEVEL_S = 40.0
#: Speed factors inside units: a ramp is walked slower than a few steps beside it.
RAMP_FACTOR = 0.8
STEPS_FACTOR = 0.9
#: Added to each stairs or escalator edge by ``avoid_stairs``: a detour of up to
#: ten minutes is preferred to a flight of stairs.
AVOID_STAIRS_PENALTY_S = 600.0
#: What a hospital's ``default`` walker adds to each flight of stairs (or escalator): the
#: stairs are taken only when they save more than a minute. The seconds a lift costs (the
#: wait above) are a guess, and for most of a hospital's visitors (bags, a child, a bad knee,
#: worry) stairs are the worse choice when a lift is near. The service uses it unless the
#: hospital sets its own (``WAYFINDING_STAIRS_PENALTY_S``); a :class:`Router` made without
#: one takes the quickest way, stairs or not (0), as the routing tests and benchmarks do.
DEFAULT_STAIRS_PENALTY_S = 60.0


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    steps_allowed: bool = True
    steps_penalty_s: float = 0.0
    restricted_allowed: bool = False

    @property
    def public(self) -> bool:
        return not self.restricted_allowed


PROFILES: dict[str, Profile] = {
    "default": Profile("default"),
    "step_free": Profile("step_free", steps_allowed=False),
    "avoid_stairs": Profile("avoid_stairs", steps_penalty_s=AVOID_STAIRS_PENALTY_S),
    "staff": Profile("staff", restricted_allowed=True),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown route profile {name!r}; choose one of {known}") from None
