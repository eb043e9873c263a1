"""The service layer every front end shares: CLI, web service and kiosk.

It owns what they all need and nothing of how they show it (no web
framework here):

- the venue in service: the store's published version (or an IMDF file when
  asked, or when nothing is published yet), with its :class:`Router`;
- closures from the store, applied without rebuilding anything;
- search, routes, spoken directions (WAV), floor maps with a route drawn on.

What is in service is a :class:`Snapshot`: the venue, its router and the
closures of one moment. A snapshot never changes; :meth:`WayfindingService.refresh`
builds the next one when the store says a new version was published or a
closure started or ended, and swaps it in one assignment. A request takes the
snapshot once and finishes on it, so requests in flight are never disturbed
by a publish. :meth:`WayfindingService.watch` refreshes in a background thread
(every few seconds), so that a publish or a closure made from another process
reaches a running server without a restart.

A front end that must keep working when the store is out of reach (a kiosk)
gives a *saved_copy* folder: the published version and its closures are
written there each time they change, and served from there when the store
cannot be read at start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from core.usage import SiteUsage, UsageRecorder
from database import sqlite_file_missing
from floorplans import FloorPlanError, FloorPlanStore, Venue
from floorplans.imdf import read_imdf
from floorplans.model import label_text
from floorplans.render import Mark, Marks, render_floor_svg
from floorplans.sites import SiteInfo, names
from floorplans.store import Closure, venue_in_service
from routing import NoRoute, Place, PlaceNotFound, Route, Router, get_profile
from routing.language import catalogue
from routing.places import generic_words, normalize
from routing.speech import concatenate, synthesize_many

log = logging.getLogger(__name__)

#: Routes kept per service (a phone asks the same route for its steps, maps, audio and QR code).
ROUTE_CACHE = 512
#: Speech engines running at once (each is a process: this machine has 2 cores).
SPEECH_SLOTS = 2


class ServiceError(Exception):
    """The service cannot serve (no venue could be read); the message says why."""


class UnknownSite(LookupError):  # noqa: N818 - reads as what happened
    """A site that is not in service; the message names those that are."""


class UnknownLanguage(ValueError):  # noqa: N818 - reads as what happened
    """A language with no catalogue."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The venue in service at one moment, its router and the closures it applies."""

    generation: int
    venue: Venue
    router: Router
    #: Published version id in the store, or None when serving a file.
    version_id: int | None
    source: str
    closures: tuple[Closure, ...] = ()
    #: The site this is the plan of (None while a plan file is served).
    site: SiteInfo | None = None


@dataclass(frozen=True, slots=True)
class PlaceHit:
    place: Place
    score: float
    ordinal: int
    level: dict[str, str]
    building: dict[str, str]
    #: Walking distance from the origin the search was given, when it was.
    distance_m: float | None = None


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """A place a visitor asked for that is on another site than theirs."""

    snap: Snapshot
    place: Place

    @property
    def site(self) -> SiteInfo:
        assert self.snap.site is not None  # only sites in the store are looked at
        return self.snap.site

    def said(self, lang: str) -> dict[str, str]:
        """The site's name, address and how to get there in *lang* (empty when the plan has none)."""
        venue = self.snap.venue
        return {
            "name": self.place.label(lang),
            "site": label_text(venue.name, lang, fallback=self.site.name),
            "address": venue.postal_address(),
            "access": label_text(venue.access, lang),
        }


def check_lang(lang: str) -> str:
    """The catalogue language for *lang* (``fr-CA`` -> ``fr``), or :class:`UnknownLanguage`."""
    try:
        return catalogue(lang).lang
    except ValueError as exc:  # the catalogue's own message names the languages there are
        raise UnknownLanguage(str(exc)) from None


class WayfindingService:
    """The venue in service, kept current, and what front ends ask of it.

    Parameters
    ----------
    database_url
        SQLAlchemy URL of the floor plan store, or None for a file only. A
        SQLite file that does not exist is not created: the file venue is served.
    venue_path
        IMDF folder or ``.zip``: served when *prefer_file* is true, or while
        the store has no published version.
    prefer_file
        Serve *venue_path* even when the store has a published version (the
        store's closures for that venue still apply).
    speech_dir
        Where whole-route WAV files are kept (step WAVs live in the speech cache).
    site
        The site a request that names none is served (short name, venue id or name), for a
        kiosk or a replica that serves one site of several; by default the main site.
    saved_copy
        A folder where the default site's published version and its closures are saved each time
        they change, and read from when the store cannot be reached at start.
    """

    def __init__(
        self,
        *,
        database_url: str | None,
        venue_path: Path | None = None,
        prefer_file: bool = False,
        speech_dir: Path | None = None,
        saved_copy: Path | None = None,
        zone: tzinfo | None = None,
        stairs_penalty_s: float | None = None,
        site: str | None = None,
    ) -> None:
        if database_url is None and venue_path is None:
            raise ServiceError("give a database URL or a venue file")
        self.database_url = database_url
        self.venue_path = venue_path
        self.prefer_file = prefer_file
        #: The hospital's clock (``WAYFINDING_TIMEZONE``), for times in the directions.
        self.zone = zone
        #: The default walker's stairs-or-lift trade-off (``WAYFINDING_STAIRS_PENALTY_S``).
        self.stairs_penalty_s = stairs_penalty_s
        self._store: FloorPlanStore | None = None
        self._lock = threading.Lock()  # one refresh at a time
        #: What is in service, by venue id, the main site first.
        self._snaps: dict[str, Snapshot] = {}
        self._generation = 0
        #: The site requests that name none get (None: the hospital's main site).
        self._site_ref = site
        self._file_venue: Venue | None = None
        self._routes: OrderedDict[tuple[Any, ...], Route] = OrderedDict()
        self._routes_lock = threading.Lock()
        self._speech = threading.BoundedSemaphore(SPEECH_SLOTS)
        self._speech_dir = speech_dir
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._saved_copy = saved_copy
        self._saved_key: tuple[Any, ...] | None = None
        self.last_error: str | None = None
        self.refresh()
        if site is not None and self.sites:
            self.snapshot_for(site)  # a site that is not in service: UnknownSite names those that are
        #: Daily usage counts (``core/usage.py``) in the store's database; None without a store.
        self.usage: UsageRecorder | None = None
        try:
            store = self.store
        except Exception:  # unreadable (refresh said so and serves the saved copy): no counts
            store = None
        if store is not None:
            self.usage = UsageRecorder(store.engine)

    # -- what is in service ---------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """What is in service on the default site (:meth:`snapshot_for` for another)."""
        return self._default(self._snaps)

    @property
    def store(self) -> FloorPlanStore | None:
        if self._store is None and self.database_url is not None:
            if sqlite_file_missing(self.database_url):
                return None
            self._store = FloorPlanStore(self.database_url)
        return self._store

    def refresh(self) -> bool:
        """Look at the store; swap in a new snapshot for each site whose version or closures
        changed (and drop the sites no longer in service).

        Returns whether anything changed. When the store cannot be read, the snapshots in
        service stay and :attr:`last_error` says why.
        """
        with self._lock:
            current = self._snaps
            try:
                store = self.store
                serving = [] if store is None or self.prefer_file else store.in_service()
                closures_of: dict[str, list[Closure]] = {}
                for c in store.closures() if store is not None else ():
                    closures_of.setdefault(c.venue_id, []).append(c)
                wanted: list[tuple[SiteInfo | None, int | None, str, Venue]] = []
                for site, published in serving:
                    old = current.get(site.venue_id)
                    reuse = old is not None and old.version_id == published.id
                    venue = old.venue if reuse else store.venue(published.id)  # type: ignore[union-attr]
                    wanted.append((site, published.id, f"store version {published.id}", venue))
                if not wanted:
                    wanted.append((None, None, str(self.venue_path), self._read_file()))
            except Exception as exc:  # the store is another process's: never take the service down
                self.last_error = f"{type(exc).__name__}: {exc}"
                if not current:
                    saved = self._read_copy()
                    if saved is None:
                        raise ServiceError(f"cannot load a venue: {exc}") from exc
                    self._snaps = {saved.venue.id: saved}
                    log.warning("store not readable, serving %s: %s", saved.source, self.last_error)
                    return True
                log.warning("store not readable, keeping what is in service: %s", self.last_error)
                return False
            self.last_error = None
            snaps: dict[str, Snapshot] = {}
            for in_site, version_id, source, venue in wanted:
                closures = tuple(closures_of.get(venue.id, ()))
                old = current.get(venue.id)
                if (
                    old is not None
                    and old.venue is venue
                    and old.version_id == version_id
                    and old.closures == closures
                ):
                    snaps[venue.id] = old if old.site == in_site else replace(old, site=in_site)
                    continue
                router = (
                    old.router.with_closures(closures)
                    if old is not None and old.venue is venue
                    else Router(
                        venue, closures=closures, zone=self.zone, stairs_penalty_s=self.stairs_penalty_s
                    )
                )
                self._generation += 1
                snaps[venue.id] = Snapshot(
                    self._generation, venue, router, version_id, source, closures, in_site
                )
                if old is not None:
                    log.info(
                        "now serving %s with %d closure(s) (was %s with %d)",
                        source,
                        len(closures),
                        old.source,
                        len(old.closures),
                    )
            changed = snaps.keys() != current.keys() or any(snaps[k] is not current[k] for k in snaps)
            self._snaps = snaps
            default = self._default(snaps)
            if default.version_id is not None and store is not None:
                self._write_copy(store, default.version_id, default.closures, default.site)
            return changed

    def _default(self, snaps: dict[str, Snapshot]) -> Snapshot:
        """The site a request that names none gets: the service's own (``site=``), else the
        hospital's main site (the oldest)."""
        if self._site_ref is not None:
            for snap in snaps.values():
                if snap.site is not None and names(snap.site, self._site_ref):
                    return snap
        return next(iter(snaps.values()))

    @property
    def sites(self) -> list[SiteInfo]:
        """The sites in service, the main one first (none while a plan file is served)."""
        return [snap.site for snap in self._snaps.values() if snap.site is not None]

    def elsewhere(self, ref: str, snap: Snapshot) -> Elsewhere | None:
        """The public place *ref* names on another site in service than *snap*'s (the first
        site that has one), for a visitor who asked one site for a service of another."""
        for other in self._snaps.values():
            if other is snap or other.site is None:
                continue
            try:
                place = other.router.resolve(ref)
            except LookupError:
                continue
            unit = other.venue.units.get(place.unit_id or "")
            if unit is None or unit.public:
                return Elsewhere(other, place)
        return None

    def for_pathway(self, pathway_id: str, snap: Snapshot | None = None) -> Snapshot:
        """*snap* (the default site's without one) if its plan has the pathway, else the site
        whose plan has it: a companion's link and a waiting room's board belong to the site
        of their pathway."""
        snap = snap or self.snapshot
        if pathway_id in snap.venue.pathways:
            return snap
        return next((s for s in self._snaps.values() if pathway_id in s.venue.pathways), snap)

    def usage_at(self, snap: Snapshot) -> SiteUsage | None:
        """Where what happens on *snap*'s site is counted (None without a store)."""
        return None if self.usage is None else self.usage.at(snap.site.slug if snap.site else None)

    def usage_sites(self, snap: Snapshot) -> list[str] | None:
        """The sites whose counts are *snap*'s site's figures (the main site's include those
        counted before there were sites); None for the whole hospital (one site, or none)."""
        sites = self.sites
        if snap.site is None or len(sites) < 2:
            return None
        return [snap.site.slug, ""] if snap.site.venue_id == sites[0].venue_id else [snap.site.slug]

    def site_key(self, snap: Snapshot) -> str | None:
        """What links to *snap*'s pages carry as ``site=``: its short name when the hospital
        has several sites in service (None for one: its links stay as they always were)."""
        return snap.site.slug if snap.site is not None and len(self._snaps) > 1 else None

    def snapshot_for(self, site: str | None) -> Snapshot:
        """What is in service on *site* (its short name, venue id or name); the default
        site's with None. :class:`UnknownSite` names the sites there are."""
        snaps = self._snaps
        if site is None or not site.strip():
            return self._default(snaps)
        for snap in snaps.values():
            if snap.site is not None and names(snap.site, site):
                return snap
            if snap.site is None and site.strip() == snap.venue.id:
                return snap
        known = ", ".join(f"{s.slug} ({s.name})" for s in self.sites) or "only the one served"
        raise UnknownSite(f"no site {site.strip()[:60]!r} is in service; the sites are: {known}")

    # -- the saved copy -------------------------------------------------------------------

    def _write_copy(
        self, store: FloorPlanStore, version_id: int, closures: tuple[Closure, ...], site: SiteInfo | None
    ) -> None:
        """Save the published version and its closures (each file replaced whole, never half-written)."""
        folder = self._saved_copy
        key = (version_id, closures)
        if folder is None or key == self._saved_key:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            meta_path, plan_path = folder / "plan.json", folder / "plan.zip"
            old = json.loads(meta_path.read_text()) if meta_path.exists() else {}
            if old.get("version_id") != version_id or not plan_path.exists():
                _write_whole(plan_path, store.archive(version_id))
            meta = {
                "version_id": version_id,
                "saved_at": datetime.now(UTC).isoformat(),
                "closures": [c.to_dict() for c in closures],
                "site": site.to_dict() if site is not None else None,
            }
            _write_whole(meta_path, json.dumps(meta, ensure_ascii=False, indent=1).encode())
            self._saved_key = key
        except Exception:  # a full disk must not stop the service: it still serves from memory
            log.exception("could not save a copy of version %s in %s", version_id, folder)

    def _read_copy(self) -> Snapshot | None:
        """The saved copy as a snapshot (first generation), or None when there is none usable."""
        folder = self._saved_copy
        if folder is None or not (folder / "plan.json").exists():
            return None
        try:
            meta = json.loads((folder / "plan.json").read_text())
            result = read_imdf(folder / "plan.zip")
            if result.venue is None:
                raise FloorPlanError(result.report.summary())
            closures = tuple(Closure.from_dict(c) for c in meta["closures"])
            site = SiteInfo.from_dict(meta["site"]) if meta.get("site") else None
            source = f"saved copy of store version {meta['version_id']} ({folder})"
        except Exception:
            log.exception("the saved copy in %s cannot be read", folder)
            return None
        venue = result.venue
        router = Router(venue, closures=closures, zone=self.zone, stairs_penalty_s=self.stairs_penalty_s)
        return Snapshot(1, venue, router, None, source, closures, site)

    def _read_file(self) -> Venue:
        if self._file_venue is None:
            try:
                self._file_venue, _ = venue_in_service(
                    database_url=None, venue_path=self.venue_path, prefer_file=True
                )
            except FloorPlanError as exc:
                raise ServiceError(str(exc)) from None
        return self._file_venue

    def watch(self, every_s: float = 2.0) -> None:
        """Refresh every *every_s* seconds in a background thread until :meth:`close`."""
        if self._watcher is not None:
            return

        def loop() -> None:
            while not self._stop.wait(every_s):
                try:
                    self.refresh()
                except Exception:  # keep watching whatever happens
                    log.exception("refresh failed")
                if self.usage is not None:
                    self.usage.flush()

        self._watcher = threading.Thread(target=loop, name="wayfinding-refresh", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
        if self.usage is not None:
            self.usage.flush()

    # -- search and routes ----------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        limit: int = 10,
        snap: Snapshot | None = None,
        near: str | None = None,
        profile: str = "default",
    ) -> list[PlaceHit]:
        """Places matching what a visitor typed (accents, case, typos, synonyms, all languages).

        Entrances are places too (where most visitors start). A generic word ("toilettes",
        "ascenseur", "sortie") gives every public place of that kind, the nearest first from
        *near* (the origin, as a route takes it) when it is given: the one the route would
        choose comes first, with its walking distance."""
        snap = snap or self.snapshot
        venue = snap.venue
        places = snap.router.places
        kind = generic_words().get(normalize(text))
        found: list[tuple[Place, float]]
        if kind and places.generic(kind):
            found = [(p, 100.0) for p in places.generic(kind)]
        else:
            found = places.search(text, limit=limit * 3)
        hits = []
        seen: set[tuple[str, str | None]] = set()
        for place, score in found:
            name = normalize(label_text(place.name, venue.language, fallback=place.id))
            # A service and the room it occupies share a name: one line, the service; the
            # doors of one entrance (three doors of "Entrée du bâtiment C"): one line.
            key = (name, None if place.kind == "opening" else place.unit_id)
            if key in seen or (place.kind == "opening" and not place.name):
                continue
            unit = venue.units.get(place.unit_id or "")
            if unit is not None and not unit.public:
                continue  # a staff-only room is no destination for a visitor
            seen.add(key)
            hits.append(self._hit(venue, place, score))
        if near and kind:
            hits = self._nearest_first(snap, near, hits, profile, limit)
        return hits[:limit]

    def _nearest_first(
        self, snap: Snapshot, near: str, hits: list[PlaceHit], profile: str, limit: int
    ) -> list[PlaceHit]:
        """*hits* by walking time from *near* (one search for them all), the first *limit*
        with the walking distance of their route; those no route reaches last. An origin the
        router cannot take (unknown, ambiguous) leaves the order as it was."""
        try:
            origin = snap.router.resolve(near)
        except (LookupError, ValueError):
            return hits
        if len(origin.alternatives) > 1:
            return hits
        costs = snap.router.times_to(origin, [h.place for h in hits], profile=profile)
        out = []
        for rank, i in enumerate(sorted(range(len(hits)), key=lambda i: (costs[i], i))):
            hit = hits[i]
            if rank < limit and math.isfinite(costs[i]):
                try:
                    r = self.route(near, hit.place.id, profile=profile, snap=snap)
                    hit = replace(hit, distance_m=r.distance_m)
                except (LookupError, ValueError, NoRoute):
                    pass
            out.append(hit)
        return out

    def place(self, ref: str, *, snap: Snapshot | None = None) -> PlaceHit:
        snap = snap or self.snapshot
        return self._hit(snap.venue, snap.router.resolve(ref), 100.0)

    @staticmethod
    def _hit(venue: Venue, place: Place, score: float) -> PlaceHit:
        level = venue.levels[place.level_id]
        building = venue.buildings.get(level.building_ids[0]) if level.building_ids else None
        return PlaceHit(
            place,
            score,
            level.ordinal,
            dict(level.name or {}),
            dict(building.name or {}) if building else {},
        )

    def route(
        self,
        origin: str,
        destination: str,
        *,
        profile: str = "default",
        slow: bool = False,
        lang: str = "fr",
        snap: Snapshot | None = None,
    ) -> Route:
        """A route (cached per snapshot and closures in force); :class:`NoRoute` says why not,
        :class:`PlaceNotFound` suggests names, ``ValueError`` names a bad profile."""
        snap = snap or self.snapshot
        key, now = self._route_key(snap, origin, destination, profile, slow, lang)
        hit = self._lookup(key)
        if hit is not None:
            return hit
        route = snap.router.route(origin, destination, profile=profile, slow=slow, lang=lang, at=now)
        with self._routes_lock:
            self._routes[key] = route
            while len(self._routes) > ROUTE_CACHE:
                self._routes.popitem(last=False)
        return route

    def cached_route(
        self,
        origin: str,
        destination: str,
        *,
        profile: str = "default",
        slow: bool = False,
        lang: str = "fr",
        snap: Snapshot | None = None,
    ) -> Route | None:
        """The route if it was computed already (no work at all otherwise), else None."""
        snap = snap or self.snapshot
        key, _now = self._route_key(snap, origin, destination, profile, slow, lang)
        return self._lookup(key)

    def _lookup(self, key: tuple[Any, ...]) -> Route | None:
        with self._routes_lock:
            hit = self._routes.get(key)
            if hit is not None:
                self._routes.move_to_end(key)  # kept longest: the routes asked most
            return hit

    @staticmethod
    def _route_key(
        snap: Snapshot, origin: str, destination: str, profile: str, slow: bool, lang: str
    ) -> tuple[tuple[Any, ...], datetime]:
        """The cache key of a route (closures in force now included), and now."""
        get_profile(profile)  # a bad profile is a ValueError before anything else
        check_lang(lang)
        now = datetime.now(UTC)
        in_force = tuple(c.id for c in snap.closures if c.active(now))
        return (snap.generation, origin.strip(), destination.strip(), profile, slow, in_force), now

    # -- speech ---------------------------------------------------------------------------

    def speech(self, route: Route, lang: str, *, step: int | None = None) -> Path:
        """A WAV of the whole route, or of step *step* (1-based); cached.

        Raises ``IndexError`` for a step the route does not have and
        :class:`routing.speech.SpeechUnavailable` when no speech engine answers.
        """
        lang = check_lang(lang)
        texts = [s.speech for s in route.steps(lang)]
        if step is not None:
            if not 1 <= step <= len(texts):
                raise IndexError(f"the route has {len(texts)} steps; there is no step {step}")
            texts = [texts[step - 1]]
        with self._speech:
            parts = synthesize_many(texts, lang)
        if len(parts) == 1:
            return parts[0]
        digest = hashlib.sha256("\x00".join([lang, *texts]).encode()).hexdigest()[:32]
        out = (self._speech_dir or parts[0].parent) / f"route-{digest}.wav"
        if not out.exists():
            concatenate(parts, out)
        return out

    # -- maps -----------------------------------------------------------------------------

    def level_svg(
        self,
        ordinal: int,
        *,
        lang: str,
        route: Route | None = None,
        place: Place | None = None,
        place_kind: str = "start",
        crop: bool = False,
        labels: Callable[[str, dict[str, str]], str] | None = None,
        snap: Snapshot | None = None,
    ) -> str:
        """The floor *ordinal* as SVG, with the route's part on it, or one *place* marked
        (as ``start``: "you are here", or ``end``), when given.

        *labels* words the marks: ``labels("start" | "end" | "change", {"name": ...,
        "level": ...})``; by default the place and level names alone.
        """
        snap = snap or self.snapshot
        venue = snap.venue
        if ordinal not in {lv.ordinal for lv in venue.levels.values()}:
            floors = ", ".join(str(o) for o in sorted({lv.ordinal for lv in venue.levels.values()}))
            raise FloorPlanError(f"no floor {ordinal}; the floors are {floors}")
        marks = None
        if route is not None:
            marks = route_marks(route, ordinal, lang, labels=labels, crop=crop)
        elif place is not None:
            marks = Marks(crop_margin_m=12.0 if crop else None)
            if venue.levels[place.level_id].ordinal == ordinal:
                node = snap.router.walk.nodes[place.node]
                text = place.label(lang)
                word = labels(place_kind, {"name": text}) if labels else text
                marks.points.append(Mark(place_kind, node.x, node.y, word, facing=place.facing))
        # Visitors see a door where the importer guessed one, not the guess.
        return render_floor_svg(venue, ordinal, lang=lang, marks=marks, guesses=False)


def _write_whole(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def route_query(route: Route, lang: str, *, site: str | None = None, **more: str) -> str:
    """The query string that names this route (resolved ids, so that it is stable; the site's
    short name when links must say it: :meth:`WayfindingService.site_key`)."""
    q = {"from": route.origin.id, "to": route.destination.id, "profile": route.profile, "lang": lang}
    if site:
        q["site"] = site
    if route.slow:
        q["slow"] = "true"
    q.update(more)
    return urlencode(q)


def phone_url(base_url: str, route: Route, lang: str, *, site: str | None = None) -> str:
    """The phone page of this route (what a QR code beside the route opens)."""
    return f"{base_url.rstrip('/')}/route?{route_query(route, lang, site=site)}"


def route_marks(
    route: Route,
    ordinal: int,
    lang: str,
    *,
    labels: Callable[[str, dict[str, str]], str] | None = None,
    crop: bool = False,
) -> Marks:
    """What of *route* is drawn on floor *ordinal*: its lines, start, end and floor changes."""

    def word(kind: str, **values: str) -> str:
        return labels(kind, values) if labels else values.get("name", values.get("level", ""))

    legs = route.legs
    marks = Marks(crop_margin_m=12.0 if crop else None)
    for i, leg in enumerate(legs):
        if leg.ordinal != ordinal:
            continue
        marks.lines.append(list(leg.points))
        if i + 1 < len(legs) and legs[i + 1].ordinal != ordinal:
            x, y = leg.points[-1]
            nxt = label_text(legs[i + 1].level_name, lang, fallback=str(legs[i + 1].ordinal))
            marks.points.append(Mark("change", x, y, word("change", level=nxt)))
    if legs and legs[0].ordinal == ordinal:
        x, y = legs[0].points[0]
        marks.points.append(
            Mark("start", x, y, word("start", name=route.origin.label(lang)), facing=route.origin.facing)
        )
    if legs and legs[-1].ordinal == ordinal:
        x, y = legs[-1].points[-1]
        marks.points.append(Mark("end", x, y, word("end", name=route.destination.label(lang))))
    return marks


def route_levels(route: Route) -> list[int]:
    """The floors a route crosses, in the order it reaches them."""
    out: list[int] = []
    for leg in route.legs:
        if not out or out[-1] != leg.ordinal:
            out.append(leg.ordinal)
    return out


__all__ = [
    "Elsewhere",
    "NoRoute",
    "PlaceHit",
    "PlaceNotFound",
    "ServiceError",
    "Snapshot",
    "UnknownLanguage",
    "UnknownSite",
    "WayfindingService",
    "check_lang",
    "phone_url",
    "route_levels",
    "route_marks",
    "route_query",
]
