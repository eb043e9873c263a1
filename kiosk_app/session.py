"""What a kiosk knows and does between two touches, without any screen code.

A :class:`KioskSession` is one kiosk standing at one entrance: where it
stands and which way it faces (the venue's ``kiosk`` feature), the buttons of
its welcome screen, what the visitor has chosen (language, step-free, larger
text, what they typed, the route shown) and when they last touched it. It
asks everything of the same :class:`core.service.WayfindingService` as the web
service: search, routes, spoken directions, the phone link.

A use begins with a touch on the welcome screen and ends when the visitor
starts a new search or walks away (no touch for :data:`IDLE_S`). The venue a
use sees never changes under it: the session keeps its own snapshot and takes
the service's newer one (a published plan, a closure starting or ending) only
between two uses.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.service import PlaceHit, Snapshot, WayfindingService, check_lang, phone_url, route_levels
from floorplans.model import Kiosk, label_text
from routing import NoRoute, PlaceNotFound, Route
from routing.language import catalogue
from routing.places import normalize

log = logging.getLogger(__name__)

#: Seconds without a touch after which the kiosk goes back to its welcome screen.
IDLE_S = 60.0
#: Seconds without a touch on the welcome screen after which a newer plan is taken.
QUIET_S = 15.0
#: Buttons on the welcome screen when the venue says nothing of this kiosk.
MAX_SHORTCUTS = 9
#: Suggestions shown while typing.
MAX_SUGGESTIONS = 6


class KioskError(Exception):
    """This kiosk cannot start (unknown kiosk id, a venue without kiosks); the message says why."""


@cache
def words(lang: str) -> dict[str, str]:
    """The kiosk's own words in *lang* (``fr``, ``en``)."""
    path = Path(__file__).parent / "locales" / f"{lang}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def kiosk_languages(wanted: list[str]) -> list[str]:
    """The languages of *wanted* the kiosk can speak and write (in that order), French at least."""
    out = []
    for lang in wanted:
        try:
            code = check_lang(lang)
        except ValueError:
            continue
        if (Path(__file__).parent / "locales" / f"{code}.json").exists() and code not in out:
            out.append(code)
    return out or ["fr"]


@dataclass(frozen=True, slots=True)
class Shortcut:
    """A large button of the welcome screen: what to route to, and its words."""

    ref: str
    label: str
    level: str


def find_kiosk(snap: Snapshot, wanted: str | None) -> Kiosk:
    """The venue's kiosk with this id or name (accents and case ignored); the first one when None."""
    kiosks = snap.venue.kiosks
    if not kiosks:
        raise KioskError(f"the venue in service ({snap.source}) has no kiosk feature")
    if wanted is None:
        return next(iter(kiosks.values()))
    if wanted in kiosks:
        return kiosks[wanted]
    key = normalize(wanted)
    for kiosk in kiosks.values():
        if any(normalize(n) == key for n in (kiosk.name or {}).values()):
            return kiosk
    known = "; ".join(f"{k.id} ({label_text(k.name, 'fr', fallback='?')})" for k in kiosks.values())
    raise KioskError(f"no kiosk {wanted!r} in {snap.source}; the kiosks are: {known}")


class KioskSession:
    """One kiosk's state; every method runs on the screen's thread.

    Parameters
    ----------
    service
        The service layer (its :meth:`~core.service.WayfindingService.watch` keeps it current).
    kiosk_id
        The kiosk feature's id or name; None: the venue's first kiosk.
    languages
        Languages offered, the first is the default.
    base_url
        Where phones reach the web service (the QR code's link).
    clock
        Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        service: WayfindingService,
        *,
        kiosk_id: str | None = None,
        languages: list[str] | None = None,
        base_url: str = "http://127.0.0.1:8000",
        clock: Callable[[], float] = time.monotonic,
        ask_arrival: bool = False,
    ) -> None:
        self.service = service
        self.snap = service.snapshot
        self._kiosk_ref = kiosk_id
        self.kiosk = find_kiosk(self.snap, kiosk_id)
        self.languages = kiosk_languages(languages or ["fr", "en"])
        self.base_url = base_url
        self.clock = clock
        self.last_touch = clock()
        self.lang = self.languages[0]
        self.step_free = False
        self.easy_reading = False
        self.query = ""
        self.typing = False
        self.route: Route | None = None
        #: A kiosk where visitors arrive (a service's waiting room) asks whether they found
        #: their way easily; ``arrival_answered`` thanks them until the screen is reset.
        self.ask_arrival = ask_arrival
        self.arrival_answered = False
        self.no_route: str | None = None
        self.destination_ref: str | None = None
        self.destination_name = ""
        self.step = 0
        self.ordinal = self.here_ordinal

    # -- where the kiosk stands ----------------------------------------------------------

    @property
    def origin(self) -> str:
        return self.kiosk.id

    @property
    def here_ordinal(self) -> int:
        return self.snap.venue.levels[self.kiosk.level_id].ordinal

    @property
    def here_name(self) -> str:
        """Where the kiosk stands, as a visitor would say it (the hall, not the kiosk)."""
        unit = self.snap.venue.units.get(self.snap.router.resolve(self.origin).unit_id or "")
        name = unit.name if unit is not None and unit.name else self.kiosk.name
        return label_text(name, self.lang, fallback=self.kiosk.id)

    @property
    def facing(self) -> float | None:
        return self.kiosk.facing

    @property
    def venue_name(self) -> str:
        return label_text(self.snap.venue.name, self.lang)

    @property
    def t(self) -> dict[str, str]:
        return words(self.lang)

    # -- touches, uses, plan updates -----------------------------------------------------

    def touch(self) -> None:
        self.last_touch = self.clock()

    def idle_for(self) -> float:
        return self.clock() - self.last_touch

    @property
    def at_welcome(self) -> bool:
        return self.route is None and self.no_route is None and not self.query and not self.typing

    @property
    def pristine(self) -> bool:
        """As the next visitor should find it."""
        return (
            self.at_welcome
            and self.lang == self.languages[0]
            and not self.step_free
            and not self.easy_reading
        )

    def reset(self) -> bool:
        """Back to the start: default language and profile, nothing typed or shown (privacy),
        and the newest plan taken. Returns whether the plan changed."""
        self.lang = self.languages[0]
        self.step_free = False
        self.easy_reading = False
        self.arrival_answered = False
        self.new_search()
        return self.adopt()

    def answer_arrival(self, answer: str) -> None:
        """The visitor's answer on arriving here ("yes"/"no"): counted, tied to no one."""
        usage = self.service.usage_at(self.snap)
        if usage is not None and not self.arrival_answered:
            venue_lang = self.snap.venue.language
            here = self.snap.venue.units.get(self.snap.router.resolve(self.origin).unit_id or "")
            name = label_text(here.name if here is not None and here.name else self.kiosk.name, venue_lang)
            usage.arrival(answer, destination=name or self.kiosk.id, origin="(borne / kiosk)")
        self.arrival_answered = True

    def new_search(self) -> None:
        """Forget what was typed and shown; language and profile stay (the same visitor)."""
        self.query = ""
        self.typing = False
        self.route = None
        self.no_route = None
        self.destination_ref = None
        self.destination_name = ""
        self.step = 0
        self.ordinal = self.here_ordinal

    def adopt(self) -> bool:
        """Take the service's current snapshot if it is newer (call only between two uses)."""
        snap = self.service.snapshot
        if snap.generation == self.snap.generation:
            return False
        try:
            kiosk = find_kiosk(snap, self._kiosk_ref or self.kiosk.id)
        except KioskError:
            log.error(
                "the new plan (%s) has no kiosk %s; keeping %s", snap.source, self.kiosk.id, self.snap.source
            )
            return False
        log.info("kiosk now guides on %s (was %s)", snap.source, self.snap.source)
        self.snap, self.kiosk = snap, kiosk
        self.ordinal = self.here_ordinal
        return True

    def tick(self) -> str | None:
        """Called every second or so: ``"reset"`` when the visitor has gone, ``"plan"`` when a
        newer plan was taken while nobody used the kiosk, else None."""
        idle = self.idle_for()
        if idle >= IDLE_S and not self.pristine:
            self.reset()
            return "reset"
        if self.at_welcome and idle >= QUIET_S and self.adopt():
            return "plan"
        return None

    # -- choosing ------------------------------------------------------------------------

    @property
    def profile(self) -> str:
        return "step_free" if self.step_free else "default"

    def shortcuts(self) -> list[Shortcut]:
        """The welcome screen's large buttons: the kiosk's ``destinations`` (the places most
        asked at that entrance), else the venue's, else its public services by name."""
        venue = self.snap.venue
        refs = self.kiosk.extra.get("destinations") or venue.venue_extra.get("destinations")
        out: list[Shortcut] = []
        if isinstance(refs, list):
            for ref in refs:
                try:
                    hit = self.service.place(str(ref), snap=self.snap)
                except LookupError:
                    log.warning(
                        "kiosk %s: destination %r matches no place; button left out", self.kiosk.id, ref
                    )
                    continue
                level = hit.level
                if str(ref) not in self._feature_ids():
                    # A name shared by several places: the button says where the nearest one is.
                    try:
                        nearest = self.service.route(self.origin, str(ref), lang=self.lang, snap=self.snap)
                        level = dict(venue.levels[nearest.destination.level_id].name or {})
                    except (LookupError, NoRoute):
                        pass
                out.append(Shortcut(str(ref), hit.place.label(self.lang), label_text(level, self.lang)))
            if out:
                return out
        services = []
        for oc in venue.occupants.values():
            unit = venue.occupant_unit(oc)
            if unit is None or not unit.public:
                continue
            floor = venue.levels[unit.level_id].name
            services.append(
                Shortcut(oc.id, label_text(oc.name, self.lang, fallback=oc.id), label_text(floor, self.lang))
            )
        return sorted(services, key=lambda s: s.label.casefold())[:MAX_SHORTCUTS]

    def _feature_ids(self) -> set[str]:
        v = self.snap.venue
        return {*v.occupants, *v.amenities, *v.units, *v.kiosks, *v.openings}

    def suggestions(self) -> list[PlaceHit]:
        """Places matching what was typed (the web service's search), public ones only."""
        if len(self.query.strip()) < 2:
            return []
        return self.service.search(self.query, limit=MAX_SUGGESTIONS, snap=self.snap)

    def choose(self, ref: str, *, count: bool = True) -> Route | None:
        """Route from the kiosk to *ref*; None when there is no way for the profile
        (:attr:`no_route` then says why, in the visitor's language). *count*: a route asked,
        for the usage figures (not when the same route is only worded again)."""
        self.destination_ref = ref
        self.typing = False
        self.step = 0
        try:
            self.destination_name = self.service.place(ref, snap=self.snap).place.label(self.lang)
        except PlaceNotFound:
            self.destination_name = ref
        usage = self.service.usage_at(self.snap) if count else None
        venue_lang = self.snap.venue.language
        try:
            self.route = self.service.route(
                self.origin, ref, profile=self.profile, lang=self.lang, snap=self.snap
            )
            self.no_route = None
            self.ordinal = self.route.legs[0].ordinal if self.route.legs else self.here_ordinal
            if usage is not None:
                usage.route(
                    "kiosk",
                    destination=label_text(self.route.destination.name, venue_lang, fallback=ref),
                    origin=label_text(self.route.origin.name, venue_lang, fallback=self.origin),
                    profile=self.profile,
                    lang=self.lang,
                    kiosk=self.kiosk.id,
                )
        except NoRoute as exc:
            self.route, self.no_route = None, str(exc)
            if usage is not None:
                place = self.snap.router.places.by_id.get(ref)
                name = label_text(place.name, venue_lang, fallback=ref) if place else ref
                usage.refused(exc.reason, destination=name)
        except PlaceNotFound as exc:
            self.route, self.no_route = None, self.t["no_match"].format(text=exc.ref)
            if usage is not None:
                usage.refused("not-found")
                usage.search(ref, found=False)
        return self.route

    def set_language(self, lang: str) -> None:
        """Switch language; the route shown is worded again in it (not another route asked)."""
        self.lang = check_lang(lang)
        self._again(count=False)

    def set_step_free(self, on: bool) -> None:
        """Switch the profile; the route is asked again for it (counted when it changed)."""
        changed = on != self.step_free
        self.step_free = on
        self._again(count=changed)

    def _again(self, *, count: bool) -> None:
        if self.destination_ref is not None:
            step, ordinal = self.step, self.ordinal
            self.choose(self.destination_ref, count=count)
            if self.route is not None and ordinal in self.levels:
                self.step = min(step, len(self.route.maneuvers) - 1)
                self.ordinal = ordinal

    # -- what the route screen shows -----------------------------------------------------

    @property
    def levels(self) -> list[int]:
        return route_levels(self.route) if self.route is not None else []

    def level_name(self, ordinal: int) -> str:
        for lv in self.snap.venue.levels.values():
            if lv.ordinal == ordinal:
                return label_text(lv.name, self.lang, fallback=str(ordinal))
        return str(ordinal)

    def steps(self) -> list[tuple[str, str, int]]:
        """The route's steps: (screen text, spoken text, floor)."""
        if self.route is None:
            return []
        return [(s.screen, s.speech, s.maneuver.ordinal) for s in self.route.steps(self.lang)]

    def go_to_step(self, index: int) -> None:
        steps = self.steps()
        if not steps:
            return
        self.step = max(0, min(index, len(steps) - 1))
        self.ordinal = steps[self.step][2]

    def walk_text(self) -> str:
        route = self.route
        if route is None:
            return ""
        key = "walk_step_free" if route.profile == "step_free" else "walk"
        return self.t[key].format(
            minutes=max(1, round(route.duration_s / 60)),
            distance=catalogue(self.lang).distance(route.distance_m),
        )

    def phone_link(self) -> str | None:
        if self.route is None:
            return None
        return phone_url(self.base_url, self.route, self.lang, site=self.service.site_key(self.snap))
