"""The venue and its structure: venue, building, footprint and level codecs."""

from __future__ import annotations

from typing import Any

from floorplans.imdf.codec import (
    Codec,
    Derived,
    RawFeature,
    Reading,
    Writing,
    Written,
    named,
    polygonal,
    read_label,
)
from floorplans.model import Building, Footprint, Level, Venue
from floorplans.projection import LocalProjection
from floorplans.report import Report
from floorplans.text import T


class VenueCodec(Codec):
    """The one venue feature; the reader builds the :class:`Venue` from it (:meth:`venue_of`)."""

    ftype = "venue"
    required = ("category",)
    derivable = (Derived("category", "unspecified", T("'unspecified' is used")),)
    geometry = ("Polygon", "MultiPolygon")

    def venue_of(
        self,
        f: RawFeature,
        language: str,
        projection: LocalProjection,
        manifest: dict[str, Any],
        passthrough: dict[str, dict[str, Any]],
        report: Report,
    ) -> Venue:
        return Venue(
            id=f.fid,
            name=read_label(f, "name", language, report),
            category=str(f.props.get("category") or "unspecified"),
            projection=projection,
            language=language,
            manifest=manifest,
            venue_extra=f.extra(("category", "name", "display_point")),
            venue_geometry=polygonal(f.geometry),
            passthrough=passthrough,
        )

    def read(self, f: RawFeature, r: Reading) -> None:
        """Read by :meth:`venue_of`, before every other feature."""

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        proj = w.projection
        return [
            (
                venue.id,
                venue.venue_geometry,
                {
                    "category": venue.category,
                    "name": venue.name,
                    "display_point": {"type": "Point", "coordinates": [proj.lon0, proj.lat0]},
                    **venue.venue_extra,
                },
            )
        ]


class BuildingCodec(Codec):
    ftype = "building"

    def read(self, f: RawFeature, r: Reading) -> None:
        r.venue.buildings[f.fid] = Building(
            f.fid,
            r.label(f),
            r.label(f, "alt_name"),
            str(f.props.get("category") or "unspecified"),
            r.restriction(f),
            f.display_point,
            f.extra(("name", "alt_name", "category", "restriction", "display_point")),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                b.id,
                None,
                {
                    "name": b.name,
                    "alt_name": b.alt_name,
                    "category": b.category,
                    "restriction": b.restriction,
                    "display_point": w.point(b.display_point),
                    **b.extra,
                },
            )
            for b in venue.buildings.values()
        ]


class FootprintCodec(Codec):
    ftype = "footprint"
    required = ("category", "building_ids")
    derivable = (
        Derived("category", "ground", T("'ground' (the outline at ground level) is used")),
        Derived("building_ids", None, T("the building is found from the levels it covers")),
    )
    geometry = ("Polygon", "MultiPolygon")

    def read(self, f: RawFeature, r: Reading) -> None:
        r.venue.footprints[f.fid] = Footprint(
            f.fid,
            str(f.props["category"]),
            f.strings("building_ids"),
            f.shape,
            r.label(f),
            f.extra(("category", "building_ids", "name")),
        )

    def settle(self, venue: Venue, report: Report) -> None:
        """A footprint without building_ids outlines the building whose levels it covers."""
        for fp in venue.footprints.values():
            if fp.building_ids:
                continue
            if len(venue.buildings) == 1:
                found = list(venue.buildings)
            else:
                cover: dict[str, float] = {}
                for lv in venue.levels.values():
                    sound = fp.geometry.is_valid and lv.geometry.is_valid and not lv.geometry.is_empty
                    area = lv.geometry.intersection(fp.geometry).area if sound else 0.0
                    for bid in lv.building_ids:
                        cover[bid] = cover.get(bid, 0.0) + area
                best = max(cover.items(), key=lambda kv: kv[1], default=(None, 0.0))
                found = [best[0]] if best[0] is not None and best[1] > 0 else []
            if found:
                fp.building_ids = found
                report.warning(
                    "property-derived",
                    "footprint.geojson",
                    fp.id,
                    T(
                        "footprint {id!r} has no building_ids; it is the outline of building "
                        "{building}, whose levels it covers",
                        id=fp.id,
                        building=named(venue.buildings[found[0]].name, found[0]),
                    ),
                    T("set building_ids to the building it outlines"),
                )
            else:
                report.warning(
                    "footprint-building",
                    "footprint.geojson",
                    fp.id,
                    T("footprint {id!r} has no building_ids and covers no level of a building", id=fp.id),
                    T("set building_ids to the building it outlines"),
                )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                f.id,
                f.geometry,
                {"category": f.category, "name": f.name, "building_ids": f.building_ids, **f.extra},
            )
            for f in venue.footprints.values()
        ]


class LevelCodec(Codec):
    ftype = "level"
    required = ("ordinal",)
    geometry = ("Polygon", "MultiPolygon")

    def read(self, f: RawFeature, r: Reading) -> None:
        try:
            ordinal = int(f.props["ordinal"])
        except (TypeError, ValueError):
            r.report.error(
                "level-ordinal",
                f.file,
                f.fid,
                T("level ordinal {value!r} is not an integer", value=f.props["ordinal"]),
                T("set ordinal to the floor number: 0 ground, -1 basement, 1 first..."),
            )
            return
        name, short_name = r.label(f), r.label(f, "short_name")
        base = r.language.split("-", maxsplit=1)[0]
        if short_name is None:
            short_name = dict.fromkeys(r.venue.languages, str(ordinal))
            r.report.warning(
                "property-derived",
                f.file,
                f.fid,
                T(
                    "level {id!r} (ordinal {ordinal}) has no short_name; {used!r} is used, "
                    "which directions read as the floor's number",
                    id=f.fid,
                    ordinal=ordinal,
                    used=str(ordinal),
                ),
                T(
                    'set short_name to what the lift buttons say, e.g. {{"{base}": "{ordinal}"}}',
                    base=base,
                    ordinal=ordinal,
                ),
            )
        if name is None:
            name = dict(short_name)
            r.report.warning(
                "property-derived",
                f.file,
                f.fid,
                T(
                    "level {id!r} (ordinal {ordinal}) has no name; its short name {used!r} is used",
                    id=f.fid,
                    ordinal=ordinal,
                    used=next(iter(short_name.values())),
                ),
                T('give it a name such as {{"fr": "Rez-de-chaussée", "en": "Ground floor"}}'),
            )
        r.venue.levels[f.fid] = Level(
            f.fid,
            ordinal,
            name,
            short_name,
            f.shape,
            f.strings("building_ids"),
            str(f.props.get("category") or "unspecified"),
            bool(f.props.get("outdoor")),
            r.restriction(f),
            f.display_point,
            f.extra(
                (
                    "ordinal",
                    "name",
                    "short_name",
                    "building_ids",
                    "category",
                    "outdoor",
                    "restriction",
                    "display_point",
                )
            ),
        )

    def written(self, venue: Venue, w: Writing) -> list[Written]:
        return [
            (
                lv.id,
                lv.geometry,
                {
                    "category": lv.category,
                    "restriction": lv.restriction,
                    "outdoor": lv.outdoor,
                    "ordinal": lv.ordinal,
                    "name": lv.name,
                    "short_name": lv.short_name,
                    "display_point": w.point(lv.display_point),
                    "building_ids": lv.building_ids,
                    **lv.extra,
                },
            )
            for lv in venue.levels.values()
        ]
