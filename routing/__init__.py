"""Routing: the walk graph of a venue, route profiles, routes, and step-by-step guidance.

- :class:`Router`: build once per floor plan version; ``router.route(origin,
  destination, profile=..., slow=...)`` gives a :class:`Route` or raises
  :class:`NoRoute` (saying why) or :class:`PlaceNotFound` (with suggestions;
  :class:`AmbiguousPlace` for an origin several places share);
  ``router.graph`` is the networkx graph, ``router.set_closures`` applies
  closures from the floor plan store.
- ``route.steps(lang)``: screen and speech text of each step, from the
  language catalogues in ``routing/locales/``.
- :mod:`routing.speech`: WAV files through pyttsx3 and espeak-ng.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.language import available_languages
    from routing.places import AmbiguousPlace, OutsideBuilding, Place, PlaceNotFound
    from routing.profiles import PROFILES, Profile, get_profile
    from routing.router import Leg, NoRoute, Route, Router

#: Where each name lives: imported when first used (``from routing import Router``), so that
#: a light module of the package (``routing.profiles``) does not load the router's libraries.
_EXPORTS = {
    "available_languages": "routing.language",
    "AmbiguousPlace": "routing.places",
    "OutsideBuilding": "routing.places",
    "Place": "routing.places",
    "PlaceNotFound": "routing.places",
    "PROFILES": "routing.profiles",
    "Profile": "routing.profiles",
    "get_profile": "routing.profiles",
    "Leg": "routing.router",
    "NoRoute": "routing.router",
    "Route": "routing.router",
    "Router": "routing.router",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'routing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "PROFILES",
    "AmbiguousPlace",
    "Leg",
    "NoRoute",
    "OutsideBuilding",
    "Place",
    "PlaceNotFound",
    "Profile",
    "Route",
    "Router",
    "available_languages",
    "get_profile",
]
