"""The analysis grid: one metric raster frame shared by every layer.

Every raster the product computes (population, elevation, signal, gaps) lives on a
:class:`Grid`: a CRS (default UTM 48N, EPSG:32648), a square cell size in metres and
bounds snapped to whole cells. Vector layers come in as EPSG:4326 and are projected
here, never implicitly.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import rasterio
from affine import Affine
from rasterio import features
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject

from geo.constants import ANALYSIS_CRS, LONLAT_CRS

if TYPE_CHECKING:  # geopandas is imported by the callers that pass frames (fast CLI start)
    import geopandas as gpd

__all__ = [
    "ANALYSIS_CRS",
    "WGS84",
    "MIN_RESOLUTION_M",
    "MAX_RESOLUTION_M",
    "Grid",
    "GridError",
    "commune_id_raster",
    "layer_fingerprint",
    "write_geotiff",
]

WGS84 = LONLAT_CRS
MIN_RESOLUTION_M = 30.0
MAX_RESOLUTION_M = 1000.0


class GridError(ValueError):
    """A grid was asked for with parameters outside what the product supports."""


@dataclass(frozen=True)
class Grid:
    """A north-up raster frame in a metric CRS.

    Parameters
    ----------
    crs : str
        Any metric CRS string pyproj understands; default UTM 48N.
    resolution_m : float
        Cell size in metres, 30–1000.
    xmin, ymin, xmax, ymax : float
        Bounds in ``crs`` units; snapped outward to whole cells by :meth:`from_bounds`.
    """

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    resolution_m: float = 100.0
    crs: str = ANALYSIS_CRS

    def __post_init__(self) -> None:
        check_resolution(self.resolution_m)
        if not (self.xmax > self.xmin and self.ymax > self.ymin):
            msg = f"Grid bounds are empty: {self.bounds}"
            raise GridError(msg)

    # ----------------------------------------------------------------- build
    @classmethod
    def from_bounds(
        cls, bounds: tuple[float, float, float, float], resolution_m: float = 100.0,
        crs: str = ANALYSIS_CRS,
    ) -> Grid:
        """Grid covering ``bounds`` (in ``crs``), snapped outward to multiples of the cell."""
        check_resolution(resolution_m)
        r = float(resolution_m)
        xmin, ymin, xmax, ymax = bounds
        return cls(
            xmin=float(np.floor(xmin / r) * r),
            ymin=float(np.floor(ymin / r) * r),
            xmax=float(np.ceil(xmax / r) * r),
            ymax=float(np.ceil(ymax / r) * r),
            resolution_m=r,
            crs=crs,
        )

    @classmethod
    def for_geometry(
        cls, gdf: gpd.GeoDataFrame | gpd.GeoSeries, resolution_m: float = 100.0,
        margin_m: float = 0.0, crs: str = ANALYSIS_CRS,
    ) -> Grid:
        """Grid covering a (multi)polygon layer plus ``margin_m`` on every side."""
        if gdf.crs is None:
            msg = "The layer has no CRS; set it (EPSG:4326 for lon/lat) before making a grid."
            raise GridError(msg)
        xmin, ymin, xmax, ymax = gdf.to_crs(crs).total_bounds
        return cls.from_bounds(
            (xmin - margin_m, ymin - margin_m, xmax + margin_m, ymax + margin_m),
            resolution_m, crs,
        )

    # ------------------------------------------------------------ properties
    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.xmin, self.ymin, self.xmax, self.ymax)

    @property
    def width(self) -> int:
        return int(round((self.xmax - self.xmin) / self.resolution_m))

    @property
    def height(self) -> int:
        return int(round((self.ymax - self.ymin) / self.resolution_m))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols), numpy order."""
        return (self.height, self.width)

    @property
    def transform(self) -> Affine:
        return Affine(self.resolution_m, 0.0, self.xmin, 0.0, -self.resolution_m, self.ymax)

    @property
    def cell_area_m2(self) -> float:
        return self.resolution_m**2

    @property
    def rasterio_crs(self) -> CRS:
        return CRS.from_user_input(self.crs)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """1-D x (cols) and y (rows) coordinates of cell centres, in ``crs`` metres."""
        r = self.resolution_m
        xs = self.xmin + r * (np.arange(self.width) + 0.5)
        ys = self.ymax - r * (np.arange(self.height) + 0.5)
        return xs, ys

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column indices (may fall outside the grid) of points in ``crs``."""
        r = self.resolution_m
        col = np.floor((np.asarray(x, dtype=float) - self.xmin) / r).astype(np.int64)
        row = np.floor((self.ymax - np.asarray(y, dtype=float)) / r).astype(np.int64)
        return row, col

    def key(self) -> str:
        """Stable text identity, for cache keys."""
        return f"{self.crs}|{self.resolution_m:g}|{self.xmin:.3f},{self.ymin:.3f},{self.xmax:.3f},{self.ymax:.3f}"

    # ------------------------------------------------------------ operations
    def burn(
        self, gdf: gpd.GeoDataFrame, values: str | np.ndarray | None = None,
        fill: int = -1, dtype: str = "int32", all_touched: bool = False,
    ) -> np.ndarray:
        """Rasterise polygons onto the grid.

        ``values`` is a column name, an array of one value per row, or None for the row
        position (0..n-1), which is what "burn commune ids" needs: ``gdf.iloc[v]`` is the
        unit of a cell, ``fill`` (-1) outside every unit.
        """
        if gdf.crs is None:
            msg = "The layer has no CRS; cannot burn it onto the grid."
            raise GridError(msg)
        projected = gdf.to_crs(self.crs)
        if values is None:
            vals = np.arange(len(projected))
        elif isinstance(values, str):
            vals = projected[values].to_numpy()
        else:
            vals = np.asarray(values)
        shapes = ((geom, v) for geom, v in zip(projected.geometry, vals, strict=True)
                  if geom is not None and not geom.is_empty)
        return features.rasterize(
            shapes, out_shape=self.shape, transform=self.transform, fill=fill,
            dtype=dtype, all_touched=all_touched,
        )

    def read_raster(
        self, path_or_dataset, band: int = 1, resampling: Resampling = Resampling.bilinear,
        dtype: str = "float32", nodata: float = np.nan,
    ) -> np.ndarray:
        """Read any raster (any CRS) onto this grid; cells it does not cover get ``nodata``."""
        if isinstance(path_or_dataset, str | Path):
            with rasterio.open(path_or_dataset) as src:
                return self.read_raster(src, band, resampling, dtype, nodata)
        src = path_or_dataset
        return self.reproject_array(
            src.read(band, masked=False), src.transform, src.crs, src.nodata,
            resampling=resampling, dtype=dtype, nodata=nodata,
        )

    def reproject_array(
        self, array: np.ndarray, src_transform: Affine, src_crs, src_nodata=None,
        resampling: Resampling = Resampling.bilinear, dtype: str = "float32",
        nodata: float = np.nan,
    ) -> np.ndarray:
        """Warp an in-memory array onto this grid."""
        out = np.full(self.shape, nodata, dtype=dtype)
        reproject(
            source=np.asarray(array),
            destination=out,
            src_transform=src_transform,
            src_crs=src_crs,
            src_nodata=src_nodata,
            dst_transform=self.transform,
            dst_crs=self.rasterio_crs,
            dst_nodata=nodata,
            resampling=resampling,
        )
        return out

    def to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid-CRS coordinates to EPSG:4326 lon/lat."""
        from pyproj import Transformer

        t = Transformer.from_crs(self.crs, WGS84, always_xy=True)
        return t.transform(x, y)

    def from_lonlat(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """EPSG:4326 lon/lat to grid-CRS coordinates."""
        from pyproj import Transformer

        t = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        return t.transform(lon, lat)


# ------------------------------------------------------------------ commune ids
_COMMUNE_IDS: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_COMMUNE_IDS_MAX = 8  # grids kept (a 100 m province raster is ≈ 16 MB)
_COMMUNE_IDS_LOCK = threading.Lock()


def layer_fingerprint(gdf: gpd.GeoDataFrame) -> str:
    """sha256 (32 hex) over a layer's CRS, row count and geometries (WKB): the identity of
    a polygon layer for caches (attributes do not change where it burns)."""
    import shapely

    h = hashlib.sha256()
    h.update(f"{gdf.crs.to_wkt() if gdf.crs is not None else ''}|{len(gdf)}".encode())
    for wkb in shapely.to_wkb(np.asarray(gdf.geometry.values)):
        h.update(b"-" if wkb is None else wkb)
    return h.hexdigest()[:32]


def commune_id_raster(grid: Grid, communes: gpd.GeoDataFrame | None = None) -> np.ndarray:
    """The commune of each cell: row position in ``communes`` (int32), −1 outside every unit.

    The one rasterisation of the communes per grid (issue #12): computed once per
    ``(grid.key(), layer_fingerprint(communes))`` and shared by the coverage engine, the
    per-commune tables, the population rescale, the terrain classes, the pipeline and the
    CLI. ``gdf.iloc[ids[r, c]]`` is the unit of cell ``(r, c)``.

    Parameters
    ----------
    grid : Grid
    communes : GeoDataFrame, optional
        Polygons in any CRS; default the embedded 78 communes (:func:`geo.data.load_communes`).

    Returns
    -------
    numpy.ndarray
        int32 of ``grid.shape``, read-only (copy it before writing).
    """
    if communes is None:
        from geo.data import load_communes

        communes = load_communes()
    key = (grid.key(), layer_fingerprint(communes))
    with _COMMUNE_IDS_LOCK:
        hit = _COMMUNE_IDS.get(key)
        if hit is not None:
            _COMMUNE_IDS.move_to_end(key)
            return hit
    ids = grid.burn(communes, fill=-1, dtype="int32")
    ids.setflags(write=False)
    with _COMMUNE_IDS_LOCK:
        _COMMUNE_IDS[key] = ids
        while len(_COMMUNE_IDS) > _COMMUNE_IDS_MAX:
            _COMMUNE_IDS.popitem(last=False)
    return ids


def check_resolution(resolution_m: float) -> float:
    """Raise a clear error unless 30 m ≤ ``resolution_m`` ≤ 1000 m."""
    try:
        r = float(resolution_m)
    except (TypeError, ValueError):
        msg = f"Grid resolution must be a number of metres, got {resolution_m!r}."
        raise GridError(msg) from None
    if not (MIN_RESOLUTION_M <= r <= MAX_RESOLUTION_M):
        msg = (
            f"Grid resolution {r:g} m is outside the supported range "
            f"{MIN_RESOLUTION_M:g}–{MAX_RESOLUTION_M:g} m; use e.g. 100 (default) or 30 for final maps."
        )
        raise GridError(msg)
    return r


def write_geotiff(
    path: str | Path, array: np.ndarray, grid: Grid, nodata: float | int | None = None,
    tags: dict[str, str] | None = None, band_description: str | None = None,
) -> Path:
    """Write one band as a compressed Cloud-Optimised GeoTIFF with nodata and tags."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.asarray(array)
    if arr.shape != grid.shape:
        msg = f"Array shape {arr.shape} does not match the grid {grid.shape}."
        raise GridError(msg)
    if nodata is None:
        nodata = np.nan if np.issubdtype(arr.dtype, np.floating) else None
    profile = {
        "driver": "COG",
        "height": grid.height,
        "width": grid.width,
        "count": 1,
        "dtype": arr.dtype.name if arr.dtype != np.bool_ else "uint8",
        "crs": grid.rasterio_crs,
        "transform": grid.transform,
        "compress": "deflate",
        "nodata": nodata,
    }
    data = arr.astype(np.uint8) if arr.dtype == np.bool_ else arr
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        if tags:
            dst.update_tags(**{k: str(v) for k, v in tags.items()})
        if band_description:
            dst.set_band_description(1, band_description)
    return path
