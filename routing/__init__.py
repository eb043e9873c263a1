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

from routing.language import available_languages
from routing.places import AmbiguousPlace, OutsideBuilding, Place, PlaceNotFound
from routing.profiles import PROFILES, Profile, get_profile
from routing.router import Leg, NoRoute, Route, Router

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
