"""The feature types this package models, in the order they are read and written: a type
is read after those it refers to (levels before units, units before amenities)."""

from __future__ import annotations

from floorplans.imdf.codec import Codec
from floorplans.imdf.contents import AmenityCodec, AnchorCodec, OccupantCodec, ReceiverCodec
from floorplans.imdf.places import KioskCodec, OpeningCodec, RelationshipCodec, SectionCodec, UnitCodec
from floorplans.imdf.structure import BuildingCodec, FootprintCodec, LevelCodec, VenueCodec

VENUE = VenueCodec()

CODECS: tuple[Codec, ...] = (
    VENUE,
    BuildingCodec(),
    FootprintCodec(),
    LevelCodec(),
    UnitCodec(),
    OpeningCodec(),
    RelationshipCodec(),
    AmenityCodec(),
    AnchorCodec(),
    OccupantCodec(),
    KioskCodec(),
    SectionCodec(),
    ReceiverCodec(),
)

BY_TYPE: dict[str, Codec] = {c.ftype: c for c in CODECS}

#: Feature types this package models; other ``*.geojson`` files pass through unchanged.
MODELLED: tuple[str, ...] = tuple(BY_TYPE)
