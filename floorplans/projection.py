"""WGS84 <-> the venue's local metric plane.

IMDF stores longitude/latitude. Everything downstream works in metres east
and north of the venue's display point, through an azimuthal equidistant
projection centred there (PROJ ``aeqd``): over a hospital campus (a few
hundred metres) its distortion is far below a millimetre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

G = TypeVar("G", bound=BaseGeometry)


@dataclass(frozen=True)
class LocalProjection:
    """Projection centred on (*lon0*, *lat0*), the venue's display point."""

    lon0: float
    lat0: float
    _fwd: Transformer = field(init=False, repr=False, compare=False)
    _inv: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs = f"+proj=aeqd +lat_0={self.lat0!r} +lon_0={self.lon0!r} +datum=WGS84 +units=m"
        object.__setattr__(self, "_fwd", Transformer.from_crs("EPSG:4326", crs, always_xy=True))
        object.__setattr__(self, "_inv", Transformer.from_crs(crs, "EPSG:4326", always_xy=True))

    def to_local_xy(self, lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self._fwd.transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])

    def to_wgs84_xy(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = self._inv.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    def to_local(self, geom: G) -> G:
        """A WGS84 geometry in local metres."""
        return shapely.transform(geom, self.to_local_xy)  # type: ignore[no-any-return]

    def to_wgs84(self, geom: G) -> G:
        """A local geometry in WGS84 (longitude, latitude)."""
        return shapely.transform(geom, self.to_wgs84_xy)  # type: ignore[no-any-return]

    def many_to_local(self, geoms: list[BaseGeometry]) -> list[BaseGeometry]:
        """Project many geometries in one call to PROJ (much faster than one by one)."""
        if not geoms:
            return []
        arr = np.asarray(geoms, dtype=object)
        return list(shapely.transform(arr, self.to_local_xy))

    def many_to_wgs84(self, geoms: list[BaseGeometry]) -> list[BaseGeometry]:
        if not geoms:
            return []
        arr = np.asarray(geoms, dtype=object)
        return list(shapely.transform(arr, self.to_wgs84_xy))
