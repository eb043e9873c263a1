"""Everyday changes to a plan, without a GIS tool: each one a new draft with its diff.

What facilities staff change most often is not geometry but words and
status: a service renamed or given a name in another language, a synonym
visitors type, a service moved to another room, a room made staff-only, a
kiosk turned round, a door closed for good. :func:`apply_edit` makes one of
these changes on a venue (a fresh copy read from the version's archive);
:meth:`floorplans.store.FloorPlanStore.edit` stores the result as a draft, so
that it is checked, compared and published like any import.

Each edit names the feature by id and raises :class:`EditError` with what
is wrong when the feature is not of the right kind or the value is not usable.
"""

from __future__ import annotations

import math
from typing import Any

from floorplans._errors import FloorPlanError
from floorplans.model import Anchor, Label, Venue, label_text
from floorplans.text import T, Text

#: The edits there are, and the feature types each applies to.
EDITS: dict[str, tuple[str, ...]] = {
    "rename": ("unit", "occupant", "amenity", "kiosk", "opening"),
    "synonyms": ("unit", "occupant", "amenity"),
    "move": ("occupant",),
    "access": ("unit",),
    "facing": ("kiosk",),
    "door": ("opening",),
}
MAX_NAME = 120
MAX_SYNONYMS = 30
#: Changes to the "you are here" signs the plan calls for (routing/signs.py works them out;
#: facilities remove one, turn one, or add one in a place of their choice).
SIGN_EDITS = ("sign-remove", "sign-restore", "sign-heading", "sign-add")
#: The project extension in the archive that keeps those changes (other IMDF tools ignore it).
SIGNS_FILE = "sign.geojson"


class EditError(FloorPlanError):
    """An edit that cannot be made as asked; the message says why and what to do."""


def feature_type(venue: Venue, fid: str) -> str | None:
    for ftype, table in (
        ("unit", venue.units),
        ("occupant", venue.occupants),
        ("amenity", venue.amenities),
        ("kiosk", venue.kiosks),
        ("opening", venue.openings),
    ):
        if fid in table:
            return ftype
    return None


def _feature(venue: Venue, action: str, fid: str) -> tuple[str, Any]:
    if action not in EDITS:
        raise EditError(T("no edit {action!r}; edits are {edits}", action=action, edits=", ".join(EDITS)))
    ftype = feature_type(venue, fid)
    if ftype is None:
        raise EditError(
            T("no place {id!r} in this version of the plan: pick it on the plan or in the list", id=fid)
        )
    if ftype not in EDITS[action]:
        kinds = " / ".join(EDITS[action])
        raise EditError(
            T(
                "{ftype} {id!r} cannot take this change ({action}): choose a {kinds}",
                ftype=ftype,
                id=fid,
                action=action,
                kinds=kinds,
            )
        )
    table: dict[str, dict[str, Any]] = {
        "unit": venue.units,
        "occupant": venue.occupants,
        "amenity": venue.amenities,
        "kiosk": venue.kiosks,
        "opening": venue.openings,
    }
    return ftype, table[ftype][fid]


def _lang_key(label: dict[str, Any], lang: str) -> str:
    """The key of *label* for *lang*: the one already there (``fr-FR`` for ``fr``), else *lang*."""
    base = lang.split("-", maxsplit=1)[0].lower()
    return next((k for k in label if k.split("-")[0].lower() == base), lang)


def _check_lang(lang: str) -> str:
    lang = lang.strip()
    parts = lang.split("-")
    if not (1 <= len(parts) <= 2 and 2 <= len(parts[0]) <= 3 and parts[0].isalpha()):
        raise EditError(T("language {lang!r}: write a language code such as fr, en or de", lang=lang))
    return lang


def _name(f: Any, ftype: str, fid: str, venue: Venue) -> str:
    return label_text(getattr(f, "name", None), venue.language, fallback=fid)


def sign_overrides(venue: Venue) -> dict[str, dict[str, Any]]:
    """What facilities changed of the plan's signs: sign code (or ``+unit id`` for a sign they
    added) -> ``removed``, ``heading``, ``unit_id``. Entries that are not of that shape are
    left out (the archive's ``sign.geojson`` may come from elsewhere)."""
    data = venue.passthrough.get(SIGNS_FILE)
    features = data.get("features") if isinstance(data, dict) else None
    out: dict[str, dict[str, Any]] = {}
    for f in features if isinstance(features, list) else []:
        if isinstance(f, dict) and isinstance(f.get("id"), str) and isinstance(f.get("properties"), dict):
            props = f["properties"]
            heading = props.get("heading")
            if heading is not None and not (isinstance(heading, (int, float)) and math.isfinite(heading)):
                continue
            out[f["id"]] = dict(props)
    return out


def _write_signs(venue: Venue, overrides: dict[str, dict[str, Any]]) -> None:
    features = [
        {"type": "Feature", "id": key, "feature_type": "sign", "geometry": None, "properties": props}
        for key, props in sorted(overrides.items())
        if props
    ]
    if features:
        venue.passthrough[SIGNS_FILE] = {"type": "FeatureCollection", "features": features}
    else:
        venue.passthrough.pop(SIGNS_FILE, None)


def _degrees(value: Any, what: str) -> float:
    try:
        degrees = float(value)
    except (TypeError, ValueError):
        raise EditError(
            T(
                "{what} {value!r}: give a compass bearing in degrees (0 = north, 90 = east)",
                what=what,
                value=value,
            )
        ) from None
    if not math.isfinite(degrees):
        raise EditError(T("{what}: give a compass bearing in degrees (0 = north, 90 = east)", what=what))
    return degrees % 360


def _sign_edit(venue: Venue, action: str, code: str, **params: Any) -> Text:
    overrides = sign_overrides(venue)
    if action == "sign-add":
        unit = venue.units.get(code)
        if unit is None or not unit.walkable or not unit.public:
            raise EditError(
                T(
                    "no public place {code!r} for a sign: pick a room, hall or corridor open to visitors",
                    code=code,
                )
            )
        key = f"+{code}"
        if key in overrides:
            raise EditError(
                T("{name!r} already has a sign added by facilities", name=_name(unit, "unit", code, venue))
            )
        heading = _degrees(params.get("degrees") or 0, "heading")
        overrides[key] = {"unit_id": code, "heading": heading}
        _write_signs(venue, overrides)
        return T(
            "sign added in {name!r}, read looking {heading:.0f}°",
            name=_name(unit, "unit", code, venue),
            heading=heading,
        )
    code = "".join(c for c in code.upper() if c.isalnum())
    if not 4 <= len(code) <= 12:
        raise EditError(
            T("sign code {code!r}: write the code printed on the sign (4 or 5 characters)", code=code)
        )
    entry = overrides.get(code, {})
    if action == "sign-remove":
        if entry.get("removed"):
            raise EditError(T("sign {code} is already removed", code=code))
        entry["removed"] = True
        done = T("sign {code} removed", code=code)
    elif action == "sign-restore":
        if not entry.get("removed"):
            raise EditError(T("sign {code} is not removed", code=code))
        entry.pop("removed")
        done = T("sign {code} back", code=code)
    else:
        heading = _degrees(params.get("degrees"), "heading")
        if entry.get("heading") == heading:
            raise EditError(
                T("sign {code} is already read looking {heading:.0f}°", code=code, heading=heading)
            )
        entry["heading"] = heading
        done = T("sign {code} now read looking {heading:.0f}°", code=code, heading=heading)
    overrides[code] = entry
    _write_signs(venue, overrides)
    return done


def apply_edit(venue: Venue, action: str, fid: str, **params: Any) -> Text:
    """Make one change on *venue* (in place); return what was done, in words (a
    :class:`~floorplans.text.Text`: English as ``str()``, other languages with ``said``).

    - ``rename``: ``lang``, ``text`` (empty removes the name in that language);
    - ``synonyms``: ``lang``, ``words`` (the whole list for that language);
    - ``move``: ``unit_id``, the room the service (occupant) moves to;
    - ``access``: ``staff_only`` (bool);
    - ``facing``: ``degrees`` (compass bearing the kiosk's screen faces, or None);
    - ``door``: ``closed`` (bool): closed for good, no route goes through it;
    - ``sign-remove``, ``sign-restore``, ``sign-heading`` (``degrees``: the bearing a reader
      looks along) on a sign's code; ``sign-add`` on a unit id (``degrees``).
    """
    if action in SIGN_EDITS:
        return _sign_edit(venue, action, fid, **params)
    ftype, f = _feature(venue, action, fid)
    name = _name(f, ftype, fid, venue)
    if action == "rename":
        lang = _check_lang(str(params.get("lang", "")))
        text = " ".join(str(params.get("text", "")).split())
        if len(text) > MAX_NAME:
            raise EditError(
                T("the name has {count} characters; at most {most}", count=len(text), most=MAX_NAME)
            )
        label: Label = dict(f.name or {})
        key = _lang_key(label, lang)
        if not text:
            if key not in label:
                raise EditError(T("{name!r} has no name in {lang} to remove", name=name, lang=lang))
            if len(label) == 1 and ftype in ("occupant", "kiosk"):
                raise EditError(
                    T("{name!r} must keep a name: give another before removing this one", name=name)
                )
            del label[key]
            f.name = label or None
            return T("{ftype} {name!r}: name in {lang} removed", ftype=ftype, name=name, lang=lang)
        if label.get(key) == text:
            raise EditError(
                T("{name!r} is already named {text!r} in {lang}", name=name, text=text, lang=lang)
            )
        was = label.get(key)
        label[key] = text
        f.name = label
        return T(
            "{ftype} {name!r} renamed {text!r} in {lang} (was {was!r})"
            if was
            else "{ftype} {name!r} renamed {text!r} in {lang}",
            ftype=ftype,
            name=name,
            text=text,
            lang=lang,
            was=was,
        )
    if action == "synonyms":
        lang = _check_lang(str(params.get("lang", "")))
        raw = params.get("words") or []
        words = list(dict.fromkeys(" ".join(str(w).split()) for w in raw if str(w).strip()))
        if len(words) > MAX_SYNONYMS or any(len(w) > MAX_NAME for w in words):
            raise EditError(
                T(
                    "at most {count} synonyms of at most {most} characters each",
                    count=MAX_SYNONYMS,
                    most=MAX_NAME,
                )
            )
        kw: dict[str, list[str]] = dict(
            (f.extra.get("keywords") or {}) if ftype == "unit" else (f.keywords or {})
        )
        key = _lang_key(kw, lang) if kw else lang
        if kw.get(key, []) == words:
            raise EditError(T("{name!r} already has these synonyms in {lang}", name=name, lang=lang))
        if words:
            kw[key] = words
        else:
            kw.pop(key, None)
        if ftype == "unit":
            if kw:
                f.extra["keywords"] = kw
            else:
                f.extra.pop("keywords", None)
        else:
            f.keywords = kw
        if not words:
            return T("{ftype} {name!r}: synonyms in {lang} removed", ftype=ftype, name=name, lang=lang)
        return T(
            "{ftype} {name!r}: synonyms in {lang} {words}",
            ftype=ftype,
            name=name,
            lang=lang,
            words=", ".join(words),
        )
    if action == "move":
        unit_id = str(params.get("unit_id", ""))
        unit = venue.units.get(unit_id)
        if unit is None or not unit.walkable:
            raise EditError(
                T("no room {room!r} to move {name!r} to: pick a room on the plan", room=unit_id, name=name)
            )
        anchor = venue.anchors.get(f.anchor_id)
        if anchor is not None and anchor.unit_id == unit_id:
            raise EditError(
                T(
                    "{name!r} is already in {room}",
                    name=name,
                    room=label_text(unit.name, venue.language, fallback=unit_id),
                )
            )
        point = unit.anchor_point()
        shared = [o for o in venue.occupants.values() if o.anchor_id == f.anchor_id and o.id != fid]
        if anchor is None or shared:
            new_id = f"anchor-{fid}"
            n = 1
            while new_id in venue.anchors:
                n += 1
                new_id = f"anchor-{fid}-{n}"
            venue.anchors[new_id] = Anchor(new_id, unit_id, point)
            f.anchor_id = new_id
        else:
            anchor.unit_id, anchor.geometry = unit_id, point
        where = label_text(unit.name, venue.language, fallback=unit_id)
        return T("{ftype} {name!r} moved to {where!r}", ftype=ftype, name=name, where=where)
    if action == "access":
        staff_only = bool(params.get("staff_only"))
        if (f.restriction is not None) == staff_only:
            raise EditError(
                T("{name!r} is already staff-only", name=name)
                if staff_only
                else T("{name!r} is already public", name=name)
            )
        f.restriction = "employeesonly" if staff_only else None
        return (
            T("unit {name!r} is now staff-only", name=name)
            if staff_only
            else T("unit {name!r} is now open to the public", name=name)
        )
    if action == "facing":
        degrees = params.get("degrees")
        if degrees is not None:
            degrees = _degrees(degrees, "facing")
        if f.facing == degrees:
            raise EditError(
                T("kiosk {name!r} already faces no set direction", name=name)
                if degrees is None
                else T("kiosk {name!r} already faces {degrees:.0f}°", name=name, degrees=degrees)
            )
        f.facing = degrees
        return (
            T("kiosk {name!r} now faces no set direction", name=name)
            if degrees is None
            else T("kiosk {name!r} now faces {degrees:.0f}°", name=name, degrees=degrees)
        )
    # door
    closed = bool(params.get("closed"))
    if bool(f.extra.get("closed")) == closed:
        raise EditError(
            T("door {name!r} is already closed", name=name)
            if closed
            else T("door {name!r} is already open", name=name)
        )
    if closed:
        f.extra["closed"] = True
    else:
        f.extra.pop("closed", None)
    return (
        T("door {name!r} closed for good", name=name) if closed else T("door {name!r} open again", name=name)
    )
