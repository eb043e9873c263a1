"""What places hold: amenity, anchor, occupant and receiver codecs."""

from __future__ import annotations

from shapely import STRtree

from floorplans.imdf.codec import Codec, Derived, RawFeature, Reading, Writing, Written, named
from floorplans.model import Amenity, Anchor, Occupant, Receiver, Venue
from floorplans.report import Report
from floorplans.text import T


class AmenityCodec(Codec):
    ftype = "amenity"
    required = ("category", "unit_ids")
    derivable = (
        Derived("category", "unspecified", T("'unspecified' is used")),
        Derived("unit_ids", None, T("the unit is found from where the amenity stands")),
    )
    geometry = ("Point",)

    def read(self, f: RawFeature, r: Reading) -> None:
        r.venue.amenities[f.fid] = Amenity(
            f.fid,
            str(f.props["category"]),
            f.shape,
            f.strings("unit_ids"),
            r.label(f),
            r.label(f, "alt_name"),
            f.strings("accessibility"),
            f.keywords(),
            f.extra(("category", "unit_ids", "name", "alt_name", "accessibility", "keywords")),
        )

    def settle(self, venue: Venue, report: Report) -> None:
        """An amenity without unit_ids stands in the only walkable unit at its place, or is
        dropped with an error when its place does not say which unit it is in."""
        units = [
            u
            for u in venue.units.values()
            if u.walkable and u.level_id in venue.levels and u.geometry.is_valid
        ]
        tree = STRtree([u.geometry for u in units]) if units else None
        for am in list(venue.amenities.values()):
            if am.unit_ids:
                continue
            hits = [units[i] for i in tree.query(am.geometry, predicate="intersects")] if tree else []
            floors = {venue.levels[u.level_id].ordinal for u in hits}
            if len(floors) == 1:
                unit = min(hits, key=lambda u: u.geometry.area)
                am.unit_ids = [unit.id]
                report.warning(
                    "property-derived",
                    "amenity.geojson",
                    am.id,
                    T(
                        "amenity {amenity} has no unit_ids; it stands in unit {unit}, the only walkable "
                        "unit at its place",
                        amenity=named(am.name, am.id),
                        unit=named(unit.name, unit.id),
                    ),
                    T('set unit_ids to ["{id}"]', id=unit.id),
                )
                continue
            del venue.amenities[am.id]
            where_ = (
                T("units on floors {floors} are there", floors=sorted(floors))
                if hits
                else T("no walkable unit is there")
            )
            report.error(
                "property-missing",
                "amenity.geojson",
                am.id,
                T(
                    "amenity {amenity} has no unit_ids and its place does not say which unit it is in "
                    "({where})",
                    amenity=named(am.name, am.id),
                    where=where_,
                ),
                T("set unit_ids to the unit(s) it stands in (IMDF 20-094, Amenity)"),
            )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                a.id,
                a.geometry,
                {
                    "category": a.category,
                    "accessibility": a.accessibility or None,
                    "name": a.name,
                    "alt_name": a.alt_name,
                    "unit_ids": a.unit_ids,
                    **({"keywords": a.keywords} if a.keywords else {}),
                    **a.extra,
                },
            )
            for a in venue.amenities.values()
        ]


class AnchorCodec(Codec):
    ftype = "anchor"
    required = ("unit_id",)
    geometry = ("Point",)

    def read(self, f: RawFeature, r: Reading) -> None:
        r.venue.anchors[f.fid] = Anchor(f.fid, str(f.props["unit_id"]), f.shape, f.extra(("unit_id",)))

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (a.id, a.geometry, {"unit_id": a.unit_id, "address_id": None, **a.extra})
            for a in venue.anchors.values()
        ]


class OccupantCodec(Codec):
    ftype = "occupant"
    required = ("category", "anchor_id")
    derivable = (Derived("category", "unspecified", T("'unspecified' is used")),)

    def read(self, f: RawFeature, r: Reading) -> None:
        name = r.label(f)
        if name is None:
            r.report.warning(
                "name-missing",
                f.file,
                f.fid,
                T("occupant {id!r} has no name", id=f.fid),
                T("name it: an occupant is what a visitor searches for"),
            )
        r.venue.occupants[f.fid] = Occupant(
            f.fid,
            str(f.props["category"]),
            str(f.props["anchor_id"]),
            name,
            f.keywords(),
            f.extra(("category", "anchor_id", "name", "keywords")),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                o.id,
                None,
                {
                    "category": o.category,
                    "name": o.name,
                    "anchor_id": o.anchor_id,
                    **({"keywords": o.keywords} if o.keywords else {}),
                    **o.extra,
                },
            )
            for o in venue.occupants.values()
        ]


class ReceiverCodec(Codec):
    """BLE receivers (project extension ``receiver.geojson``): ``level_id``, optional
    ``unit_id``, ``z`` in metres. No file is written for a venue without receivers."""

    ftype = "receiver"
    required = ("level_id",)
    geometry = ("Point",)

    def read(self, f: RawFeature, r: Reading) -> None:
        z = f.props.get("z")
        r.venue.receivers[f.fid] = Receiver(
            f.fid,
            str(f.props["level_id"]),
            f.shape,
            str(f.props["unit_id"]) if f.props.get("unit_id") else None,
            float(z) if isinstance(z, int | float) else None,
            f.extra(("level_id", "unit_id", "z")),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written] | None:
        if not venue.receivers:
            return None
        return [
            (rc.id, rc.geometry, {"level_id": rc.level_id, "unit_id": rc.unit_id, "z": rc.z, **rc.extra})
            for rc in venue.receivers.values()
        ]
