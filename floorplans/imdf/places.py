"""The places drawn on a level and the ways between them: unit, opening, relationship,
section and kiosk codecs."""

from __future__ import annotations

from floorplans.imdf.codec import Codec, Derived, RawFeature, Reading, Writing, Written, ref, ref_json
from floorplans.model import (
    OPENING_CATEGORIES,
    RELATIONSHIP_CATEGORIES,
    UNIT_CATEGORIES,
    Kiosk,
    Opening,
    Relationship,
    Section,
    Unit,
    Venue,
)
from floorplans.text import T


class UnitCodec(Codec):
    ftype = "unit"
    required = ("category", "level_id")
    derivable = (Derived("category", "unspecified", T("the unit is treated as an ordinary room")),)
    geometry = ("Polygon", "MultiPolygon")

    def read(self, f: RawFeature, r: Reading) -> None:
        category = str(f.props["category"])
        if category not in UNIT_CATEGORIES:
            r.report.warning(
                "category-unknown",
                f.file,
                f.fid,
                T(
                    "unit category {category!r} is not an IMDF category; the unit is treated as an "
                    "ordinary walkable room",
                    category=category,
                ),
                T("use an IMDF unit category (room, walkway, elevator, stairs, ...)"),
            )
        keywords = f.keywords()
        r.venue.units[f.fid] = Unit(
            f.fid,
            str(f.props["level_id"]),
            category,
            f.shape,
            r.label(f),
            r.label(f, "alt_name"),
            r.restriction(f),
            f.strings("accessibility"),
            f.display_point,
            f.extra(
                (
                    "level_id",
                    "category",
                    "name",
                    "alt_name",
                    "restriction",
                    "accessibility",
                    "display_point",
                    "keywords",
                )
            )
            | ({"keywords": keywords} if keywords else {}),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                u.id,
                u.geometry,
                {
                    "category": u.category,
                    "restriction": u.restriction,
                    "accessibility": u.accessibility or None,
                    "name": u.name,
                    "alt_name": u.alt_name,
                    "level_id": u.level_id,
                    "display_point": w.point(u.display_point),
                    **u.extra,
                },
            )
            for u in venue.units.values()
            if w.explicit or not u.inferred
        ]


class OpeningCodec(Codec):
    ftype = "opening"
    required = ("category", "level_id")
    derivable = (Derived("category", "pedestrian", T("it is treated as a pedestrian door")),)
    geometry = ("LineString",)

    def read(self, f: RawFeature, r: Reading) -> None:
        category = str(f.props["category"])
        if category not in OPENING_CATEGORIES:
            r.report.warning(
                "category-unknown",
                f.file,
                f.fid,
                T(
                    "opening category {category!r} is not an IMDF category; treated as a pedestrian door",
                    category=category,
                ),
                T("use pedestrian, pedestrian.principal, service..."),
            )
        door = f.props.get("door")
        r.venue.openings[f.fid] = Opening(
            f.fid,
            str(f.props["level_id"]),
            category,
            f.shape,
            r.label(f),
            r.label(f, "alt_name"),
            f.strings("accessibility"),
            f.strings("access_control"),
            door if isinstance(door, dict) else None,
            f.display_point,
            f.extra(
                (
                    "level_id",
                    "category",
                    "name",
                    "alt_name",
                    "accessibility",
                    "access_control",
                    "door",
                    "display_point",
                )
            ),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                o.id,
                o.geometry,
                {
                    "category": o.category,
                    "accessibility": o.accessibility or None,
                    "access_control": o.access_control or None,
                    "door": o.door,
                    "name": o.name,
                    "alt_name": o.alt_name,
                    "display_point": w.point(o.display_point),
                    "level_id": o.level_id,
                    **o.extra,
                },
            )
            for o in venue.openings.values()
            if w.explicit or not o.inferred
        ]


class RelationshipCodec(Codec):
    ftype = "relationship"
    required = ("category", "origin", "destination")

    def read(self, f: RawFeature, r: Reading) -> None:
        category = str(f.props["category"])
        if category not in RELATIONSHIP_CATEGORIES:
            r.report.warning(
                "category-unknown",
                f.file,
                f.fid,
                T("relationship category {category!r} is unknown; ignored for routing", category=category),
                T("use elevator, stairs, escalator, ramp or traversal"),
            )
        origin, dest = ref(f.props.get("origin")), ref(f.props.get("destination"))
        if origin is None or dest is None:
            r.report.error(
                "relationship-ends",
                f.file,
                f.fid,
                T("relationship origin or destination is not {{id, feature_type}}"),
                T('write "origin": {{"id": "...", "feature_type": "unit"}}'),
            )
            return
        inter = f.props.get("intermediary")
        r.venue.relationships[f.fid] = Relationship(
            f.fid,
            category,
            str(f.props.get("direction") or "undirected"),
            origin,
            dest,
            [x for x in (ref(v) for v in (inter if isinstance(inter, list) else [])) if x],
            r.label(f),
            f.props.get("hours"),
            f.shape,
            extra=f.extra(
                ("category", "direction", "origin", "destination", "intermediary", "name", "hours")
            ),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                rel.id,
                rel.geometry,
                {
                    "category": rel.category,
                    "direction": rel.direction,
                    "origin": ref_json(rel.origin),
                    "intermediary": [ref_json(x) for x in rel.intermediary] or None,
                    "destination": ref_json(rel.destination),
                    "hours": rel.hours,
                    "name": rel.name,
                    **rel.extra,
                },
            )
            for rel in venue.relationships.values()
            if w.explicit or not rel.inferred
        ]


class KioskCodec(Codec):
    """Kiosks, with two project properties: ``facing`` (the compass bearing the screen faces)
    and ``destinations`` (the large buttons of its welcome screen: ids or names)."""

    ftype = "kiosk"
    required = ("level_id",)
    geometry = ("Polygon",)

    def read(self, f: RawFeature, r: Reading) -> None:
        facing = f.props.get("facing")
        if facing is not None and not isinstance(facing, int | float):
            r.report.warning(
                "kiosk-facing",
                f.file,
                f.fid,
                T("kiosk facing {value!r} is not a number of degrees; ignored", value=facing),
                T("set facing to the compass bearing the screen faces (0 = north)"),
            )
            facing = None
        asked = f.props.get("destinations")
        if asked is not None and not (
            isinstance(asked, list) and all(isinstance(x, str) and x.strip() for x in asked)
        ):
            r.report.warning(
                "kiosk-destinations",
                f.file,
                f.fid,
                T(
                    "kiosk destinations {value!r} is not a list of place ids or names; the kiosk shows "
                    "the venue's services instead",
                    value=asked,
                ),
                T('set destinations to a list such as ["<occupant id>", "Toilettes"]'),
            )
            f.props.pop("destinations")
        r.venue.kiosks[f.fid] = Kiosk(
            f.fid,
            str(f.props["level_id"]),
            f.shape,
            r.label(f),
            r.label(f, "alt_name"),
            str(f.props["anchor_id"]) if f.props.get("anchor_id") else None,
            f.display_point,
            float(facing) % 360 if facing is not None else None,
            f.extra(("level_id", "name", "alt_name", "anchor_id", "display_point", "facing")),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                k.id,
                k.geometry,
                {
                    "name": k.name,
                    "alt_name": k.alt_name,
                    "anchor_id": k.anchor_id,
                    "level_id": k.level_id,
                    "display_point": w.point(k.display_point),
                    "facing": k.facing,
                    **k.extra,
                },
            )
            for k in venue.kiosks.values()
        ]


class SectionCodec(Codec):
    ftype = "section"
    required = ("category", "level_id")
    derivable = (Derived("category", "unspecified", T("'unspecified' is used")),)
    geometry = ("Polygon", "MultiPolygon")

    def read(self, f: RawFeature, r: Reading) -> None:
        r.venue.sections[f.fid] = Section(
            f.fid,
            str(f.props["level_id"]),
            str(f.props["category"]),
            f.shape,
            r.label(f),
            r.label(f, "alt_name"),
            r.restriction(f),
            f.extra(("level_id", "category", "name", "alt_name", "restriction")),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                s.id,
                s.geometry,
                {
                    "category": s.category,
                    "restriction": s.restriction,
                    "name": s.name,
                    "alt_name": s.alt_name,
                    "level_id": s.level_id,
                    **s.extra,
                },
            )
            for s in venue.sections.values()
        ]
