"""Elevation models: load any DEM a user has, say what it is, put it on the analysis grid.

The embedded default is a real but coarse 5 arc-minute (~9 km) relief grid: it knows the
Trường Sơn is high and the coast is low, not which valley a ridge hides. Every real user has
better, so a DEM is a first-class input: a GeoTIFF / COG (any CRS), SRTM ``.hgt`` tiles
(plain or zipped, one or many, mosaicked), an ESRI ASCII grid (``.asc``, with or without a
``.prj``), as a path, several paths, raw bytes or a file-like upload (Streamlit's
``UploadedFile``). :func:`load_dem` returns a :class:`Dem` that carries its own description
(source and nominal resolution) so every output can state which terrain it was computed on,
and a warning when it is coarser than :data:`COARSE_RESOLUTION_M`.

Copernicus GLO-30 / GLO-90 tiles can be fetched with :func:`geo._dem_download.download_copernicus`
(``lomsong dem download``).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj import Geod, Transformer
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.io import MemoryFile
from rasterio.merge import merge
from rasterio.vrt import WarpedVRT

__all__ = [
    "COARSE_RESOLUTION_M",
    "MIN_COVER_SHARE",
    "EMBEDDED_SOURCE",
    "SRTM_VOID",
    "SOURCE_TAG",
    "Dem",
    "DemError",
    "load_dem",
    "check_covers",
    "check_overlaps",
    "coverage_share",
    "format_resolution",
    "nominal_resolution_m",
    "MAX_DEM_PIXELS",
    "MAX_INFLATED_BYTES",
    "MAX_UPLOAD_BYTES",
]

COARSE_RESOLUTION_M = 250.0
"""A DEM coarser than this (nominal metres) only resolves terrain shadows at its own scale."""

MIN_COVER_SHARE = 0.99
"""Share of the analysis area a DEM must cover with data (voids up to 1 % are tolerated)."""

EMBEDDED_SOURCE = "embedded 5′ relief"
SOURCE_TAG = "LOMSONG_DEM_SOURCE"  # GeoTIFF tag naming the DEM product (written by downloads)
SRTM_VOID = -32768
SRTM1_SIZE = 3601  # 1 arc-second tiles: 3601 × 3601 samples
SRTM3_SIZE = 1201  # 3 arc-second tiles: 1201 × 1201 samples
_HGT_NAME = re.compile(r"([NS])(\d{1,2})([EW])(\d{1,3})", re.IGNORECASE)
_COP_NAME = re.compile(r"Copernicus_DSM_COG_(10|30)_", re.IGNORECASE)
_RASTER_SUFFIXES = (".tif", ".tiff", ".gtiff", ".img", ".vrt", ".asc", ".hgt", ".dem", ".nc")
_COVER_SAMPLES = 200  # the coverage check samples at most this many points per side

MAX_DEM_PIXELS = 120_000_000
"""Most cells a DEM may hold once read (≈ 480 MB as float32): the province plus a 30 km
margin at 1″ (Copernicus GLO-30) is ≈ 71 million. A bigger raster is read only over the
analysis area; if that window is still bigger, it is refused before anything is read."""

MAX_INFLATED_BYTES = 512 * 2**20
"""Most bytes extracted from one ``.zip`` (all members together): 19 SRTM1 tiles."""

MAX_ZIP_MEMBERS = 1000
MAX_UPLOAD_BYTES = 150 * 2**20
"""Largest DEM given as bytes / an upload (a province GLO-30 GeoTIFF is ≈ 100 MB)."""

_SIDECAR_MAX_BYTES = 2**20  # a .prj is a few hundred bytes
_CHUNK_BYTES = 2**20
_GEOD = Geod(ellps="WGS84")


class DemError(ValueError):
    """A DEM file could not be read, is not a DEM, or does not cover the analysis area."""


# ---------------------------------------------------------------------------------- Dem
@dataclass(frozen=True, eq=False)
class Dem:
    """An elevation model in memory.

    Parameters
    ----------
    elevation_m : numpy.ndarray
        float32, 2-D, metres above the vertical datum, NaN where there is no data.
    transform : affine.Affine
        Pixel-corner transform in ``crs`` units.
    crs : rasterio.crs.CRS
        Any CRS (geographic or projected).
    resolution_m : float
        Nominal cell size in metres: the geometric mean of the geodesic east–west and
        north–south cell sizes at the data's centre (see :func:`nominal_resolution_m`).
    source : str
        Human label, e.g. ``"Copernicus GLO-30"`` or ``"embedded 5′ relief"``.
    key : str
        sha256 over the elevation bytes, transform and CRS: the identity for caches.
    path : str or None
        Where it was read from (first file for mosaics), for display.
    """

    elevation_m: np.ndarray
    transform: Affine
    crs: CRS
    resolution_m: float
    source: str
    key: str
    path: str | None = None
    _grid_cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_array(
        cls, elevation_m: np.ndarray, transform: Affine, crs: Any, source: str = "array",
        nodata: float | None = None, path: str | None = None, copy: bool = True,
    ) -> Dem:
        """A :class:`Dem` from an in-memory array (synthetic terrain, tests, mosaics).

        ``copy=False`` takes ownership of a float32 array instead of copying it (the
        caller must not change it afterwards: the key would no longer match).
        """
        arr = (np.array(elevation_m, dtype=np.float32, copy=True) if copy
               else np.asarray(elevation_m, dtype=np.float32))
        if arr.ndim != 2 or arr.size == 0:
            msg = f"A DEM must be a non-empty 2-D array; got shape {arr.shape}."
            raise DemError(msg)
        if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
            arr[arr == np.float32(nodata)] = np.nan
        try:
            rcrs = CRS.from_user_input(crs)
        except Exception as exc:
            msg = f"DEM CRS {crs!r} is not understood: {exc}."
            raise DemError(msg) from exc
        transform = Affine(*tuple(transform)[:6])
        if transform.b != 0 or transform.d != 0:
            msg = "Rotated DEM rasters are not supported; warp it north-up first (gdalwarp)."
            raise DemError(msg)
        res = nominal_resolution_m(arr.shape, transform, rcrs)
        key = _hash_dem(arr, transform, rcrs)
        return cls(arr, transform, rcrs, res, source, key, path)

    # ------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, int]:
        return self.elevation_m.shape

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the DEM's CRS."""
        rows, cols = self.shape
        left, top = self.transform @ (0, 0)
        right, bottom = self.transform @ (cols, rows)
        return (min(left, right), min(bottom, top), max(left, right), max(bottom, top))

    @property
    def is_coarse(self) -> bool:
        """True when the DEM is coarser than :data:`COARSE_RESOLUTION_M`."""
        return self.resolution_m > COARSE_RESOLUTION_M

    @property
    def resolution_label(self) -> str:
        return format_resolution(self.resolution_m)

    @property
    def warning(self) -> str | None:
        """The coarse-DEM warning every output carries, or None for a fine DEM."""
        if not self.is_coarse:
            return None
        return (
            f"coarse DEM: terrain shadows only resolved at ~{self.resolution_label.lstrip('~')}"
        )

    def describe(self) -> str:
        """One line for CLI summaries, GeoTIFF tags, the app footer and reports.

        e.g. ``"Copernicus GLO-30 (30 m)"`` or
        ``"embedded 5′ relief (~9 km) — coarse: terrain shadows only resolved at ~9 km"``.
        """
        text = f"{self.source} ({self.resolution_label})"
        if self.is_coarse:
            text += (
                " — coarse: terrain shadows only resolved at "
                f"~{self.resolution_label.lstrip('~')}"
            )
        return text

    def tags(self) -> dict[str, str]:
        """Metadata for GeoTIFF tags / JSON summaries."""
        out = {
            "DEM": self.describe(),
            "DEM_SOURCE": self.source,
            "DEM_RESOLUTION_M": f"{self.resolution_m:.1f}",
            "DEM_KEY": self.key,
        }
        if self.warning:
            out["DEM_WARNING"] = self.warning
        return out

    # -------------------------------------------------------------- operations
    def on_grid(self, grid, fill_value: float | None = None) -> np.ndarray:
        """Elevation resampled bilinearly onto ``grid`` (float32, NaN where no data).

        Parameters
        ----------
        grid : geo.grid.Grid
        fill_value : float, optional
            Replace cells without data (outside the DEM, voids, sea in DEMs that mask
            it) by this value, e.g. 0.0 for sea level.

        Notes
        -----
        Results are cached per grid (``grid.key()``); the returned array is read-only,
        copy it before writing to it.
        """
        cache_key = (grid.key(), fill_value)
        hit = self._grid_cache.get(cache_key)
        if hit is not None:
            return hit
        out = grid.reproject_array(self.elevation_m, self.transform, self.crs, np.nan,
                                   resampling=Resampling.bilinear, dtype="float32")
        if fill_value is not None:
            out[np.isnan(out)] = fill_value
        out.setflags(write=False)
        if len(self._grid_cache) >= 4:
            self._grid_cache.pop(next(iter(self._grid_cache)))
        self._grid_cache[cache_key] = out
        return out

    def covers(self, grid_or_bounds, area=None, min_share: float = MIN_COVER_SHARE) -> bool:
        """Whether the DEM has data over at least ``min_share`` of the analysis area.

        ``grid_or_bounds`` is a :class:`geo.grid.Grid` or (west, south, east, north)
        lon/lat bounds (EPSG:4326); ``area`` optionally restricts the check to a polygon
        layer (e.g. the province), so sea the DEM leaves empty does not count.
        """
        return coverage_share(self, grid_or_bounds, area) >= min_share

    def __repr__(self) -> str:  # the array is big: keep repr short
        return f"Dem({self.describe()!r}, shape={self.shape}, crs={self.crs.to_string()!r})"


# ------------------------------------------------------------------- resolution
def nominal_resolution_m(shape: tuple[int, int], transform: Affine, crs: CRS) -> float:
    """Nominal cell size in metres.

    For a projected CRS: the geometric mean of the pixel sizes times the CRS's linear unit
    (so US feet are handled). For a geographic CRS: the geometric mean of the geodesic
    lengths (WGS 84 ellipsoid, :class:`pyproj.Geod`) of one cell's east–west and north–south
    sides at the data's centre latitude, i.e. ``sqrt(dx * dy)`` with
    ``dx ≈ Δλ · N(φ) cos φ`` and ``dy ≈ Δφ · M(φ)``.
    """
    px, py = abs(transform.a), abs(transform.e)
    if crs.is_geographic:
        rows, cols = shape
        lon_c, lat_c = transform @ (cols / 2, rows / 2)
        lat_c = float(np.clip(lat_c, -89.9, 89.9))
        _, _, dx = _GEOD.inv(lon_c - px / 2, lat_c, lon_c + px / 2, lat_c)
        _, _, dy = _GEOD.inv(lon_c, lat_c - py / 2, lon_c, lat_c + py / 2)
        return float(math.sqrt(abs(dx) * abs(dy)))
    try:
        factor = crs.linear_units_factor[1]
    except Exception:  # CRS without linear units info: assume metres
        factor = 1.0
    return float(math.sqrt(px * py) * factor)


def format_resolution(resolution_m: float) -> str:
    """``30 m``, ``463 m``, ``~9 km``: what a person reads in a footer."""
    if resolution_m < 1000:
        return f"{resolution_m:.0f} m"
    km = resolution_m / 1000
    return f"~{km:.0f} km" if km >= 2 else f"~{km:.1f} km"


def _hash_dem(arr: np.ndarray, transform: Affine, crs: CRS) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(arr).tobytes())
    h.update(repr(tuple(round(v, 12) for v in tuple(transform)[:6])).encode())
    h.update(crs.to_wkt().encode())
    return h.hexdigest()[:32]


# ---------------------------------------------------------------------- coverage
def _area_points(grid_or_bounds, area) -> tuple[np.ndarray, np.ndarray]:
    """Sample lon/lat points over the analysis area (≤ _COVER_SAMPLES² of them)."""
    if hasattr(grid_or_bounds, "cell_centres") and hasattr(grid_or_bounds, "crs"):
        grid = grid_or_bounds
        xs, ys = grid.cell_centres()
        xs = xs[np.linspace(0, len(xs) - 1, min(len(xs), _COVER_SAMPLES)).astype(int)]
        ys = ys[np.linspace(0, len(ys) - 1, min(len(ys), _COVER_SAMPLES)).astype(int)]
        gx, gy = np.meshgrid(xs, ys)
        lon, lat = grid.to_lonlat(gx.ravel(), gy.ravel())
    else:
        try:
            west, south, east, north = (float(v) for v in grid_or_bounds)
        except (TypeError, ValueError):
            msg = (
                "The analysis area must be a Grid or (west, south, east, north) lon/lat "
                f"bounds; got {grid_or_bounds!r}."
            )
            raise DemError(msg) from None
        n = _COVER_SAMPLES
        lons = np.linspace(west, east, n + 1)[:-1] + (east - west) / (2 * n)
        lats = np.linspace(south, north, n + 1)[:-1] + (north - south) / (2 * n)
        glon, glat = np.meshgrid(lons, lats)
        lon, lat = glon.ravel(), glat.ravel()
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if area is not None:
        import shapely

        shape = area.to_crs("EPSG:4326").union_all() if hasattr(area, "to_crs") else area
        inside = shapely.contains_xy(shape, lon, lat)
        lon, lat = lon[inside], lat[inside]
    return lon, lat


def coverage_share(dem: Dem, grid_or_bounds, area=None) -> float:
    """Share (0–1) of sampled points of the analysis area where ``dem`` has data."""
    lon, lat = _area_points(grid_or_bounds, area)
    if lon.size == 0:
        return 1.0
    return float(_valid_at(dem, lon, lat).mean())


def _valid_at(dem: Dem, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    t = Transformer.from_crs("EPSG:4326", dem.crs, always_xy=True)
    x, y = t.transform(lon, lat)
    inv = ~dem.transform
    col, row = inv @ (np.asarray(x), np.asarray(y))
    col = np.floor(col).astype(np.int64)
    row = np.floor(row).astype(np.int64)
    rows, cols = dem.shape
    ok = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    valid = np.zeros(lon.shape, dtype=bool)
    valid[ok] = np.isfinite(dem.elevation_m[row[ok], col[ok]])
    return valid


def check_covers(
    dem: Dem, grid_or_bounds, area=None, min_share: float = MIN_COVER_SHARE,
) -> float:
    """Raise :class:`DemError` unless ``dem`` covers the analysis area; return the share.

    The message names the uncovered share and where the gap is (lon/lat bounding box of
    the sampled points without data), so the user knows which tiles are missing.
    """
    lon, lat = _area_points(grid_or_bounds, area)
    if lon.size == 0:
        return 1.0
    valid = _valid_at(dem, lon, lat)
    share = float(valid.mean())
    if share < min_share:
        miss_lon, miss_lat = lon[~valid], lat[~valid]
        msg = (
            f"The DEM ({dem.describe()}) covers only {share:.1%} of the analysis area: "
            f"{1 - share:.1%} has no elevation data, around lon {miss_lon.min():.2f}–"
            f"{miss_lon.max():.2f}, lat {miss_lat.min():.2f}–{miss_lat.max():.2f}. "
            f"Expected at least {min_share:.0%}: add the missing tiles (e.g. "
            "`lomsong dem download`) or leave --dem out to use the embedded relief."
            + _crs_hint(dem)
        )
        raise DemError(msg)
    return share


def check_overlaps(dem: Dem, bounds_lonlat: Sequence[float]) -> None:
    """Raise :class:`DemError` when the DEM's footprint misses ``bounds_lonlat`` entirely.

    A DEM tagged with the wrong CRS (lon/lat degrees read as UTM metres lands off Africa)
    or placed by a wrong ``--dem-crs`` ends here, with where it lies and a hint.
    """
    from rasterio.warp import transform_bounds

    west, south, east, north = (float(v) for v in bounds_lonlat)
    try:
        d_w, d_s, d_e, d_n = transform_bounds(dem.crs, "EPSG:4326", *dem.bounds, densify_pts=21)
    except Exception as exc:  # noqa: BLE001 - pyproj/rasterio raise several types
        msg = f"The DEM's footprint cannot be placed in lon/lat ({exc}); check its CRS."
        raise DemError(msg) from exc
    if d_e < west or d_w > east or d_n < south or d_s > north or not all(
            math.isfinite(v) for v in (d_w, d_s, d_e, d_n)):
        msg = (
            f"The DEM ({dem.describe()}, CRS {dem.crs.to_string()}) lies at lon "
            f"{d_w:.2f}–{d_e:.2f}, lat {d_s:.2f}–{d_n:.2f}, outside the analysis area (lon "
            f"{west:.2f}–{east:.2f}, lat {south:.2f}–{north:.2f}): is its CRS right?"
            + (_crs_hint(dem) or " Give the right one with --dem-crs or a .prj beside it.")
        )
        raise DemError(msg)


def _crs_hint(dem: Dem) -> str:
    """A sentence when the DEM's CRS looks wrong (lon/lat degrees tagged as metres)."""
    if dem.resolution_m >= 0.5:
        return ""
    return (
        f" Its cells are {dem.resolution_m:.3g} m in its CRS ({dem.crs.to_string()}): "
        "coordinates in degrees tagged with a metric CRS look like this — check the CRS "
        "(a .prj beside it, or --dem-crs EPSG:4326)."
    )


# ------------------------------------------------------------------------ loading
def load_dem(
    path_or_paths=None, *, crs: Any = None, bounds_lonlat: Sequence[float] | None = None,
    source: str | None = None,
) -> Dem:
    """Load a DEM from files, bytes or uploads; None gives the embedded coarse relief.

    Parameters
    ----------
    path_or_paths : None, str, Path, bytes, file-like, or a sequence of them
        ``None`` → the embedded 5′ relief (:func:`geo.data.relief_dem_path`).
        A GeoTIFF / COG or any raster GDAL reads; SRTM ``.hgt`` tiles (SRTM1 3601² or
        SRTM3 1201² samples, detected by size; the name, e.g. ``N16E106.hgt``, gives the
        south-west corner; big-endian int16, −32768 = void); ``.hgt.zip`` or any ``.zip``
        of tiles; an ESRI ASCII grid ``.asc`` (``.prj`` beside it gives its CRS). Several
        files are mosaicked (reprojected to the first one's CRS when they differ).
        Bytes / file-likes (e.g. Streamlit ``UploadedFile``) use their ``.name`` for the
        format and the SRTM tile position.
    crs : optional
        CRS to assume for inputs that carry none (an ``.asc`` without ``.prj``). Without it,
        such a file is taken as EPSG:4326 when its bounds look like lon/lat, else refused.
    bounds_lonlat : (west, south, east, north), optional
        Read only this window (plus one cell), to keep a national DEM small in memory.
    source : str, optional
        Label to use instead of the one inferred from file names.

    Returns
    -------
    Dem

    Raises
    ------
    DemError
        Unreadable, corrupt or unrecognised input, with what was expected.
    """
    if path_or_paths is None:
        from geo.data import relief_dem_path

        path = relief_dem_path()
        dem = _load_items([path], crs, bounds_lonlat, source or EMBEDDED_SOURCE)
        return dem
    items = (
        list(path_or_paths)
        if isinstance(path_or_paths, list | tuple)
        else [path_or_paths]
    )
    if not items:
        msg = "No DEM file was given."
        raise DemError(msg)
    return _load_items(items, crs, bounds_lonlat, source)


def _name_of(item) -> str:
    if isinstance(item, str | Path):
        return Path(item).name
    name = getattr(item, "name", None)
    return Path(str(name)).name if name else "upload"


def _bytes_of(item) -> bytes:
    """The bytes of an in-memory DEM (bytes, an upload, a file object), at most
    :data:`MAX_UPLOAD_BYTES`."""
    size = getattr(item, "size", None)
    if isinstance(size, int) and size > MAX_UPLOAD_BYTES:
        _refuse_upload(_name_of(item), size)
    if isinstance(item, bytes | bytearray | memoryview):
        data = bytes(item)
    elif hasattr(item, "getvalue"):
        data = bytes(item.getvalue())
    elif hasattr(item, "read"):
        if hasattr(item, "seek"):
            item.seek(0)
        data = bytes(item.read(MAX_UPLOAD_BYTES + 1))
    else:
        msg = f"Cannot read a DEM from {type(item).__name__}: expected a path, bytes or a file."
        raise DemError(msg)
    if len(data) > MAX_UPLOAD_BYTES:
        _refuse_upload(_name_of(item), len(data))
    return data


def _refuse_upload(name: str, size: int) -> None:
    msg = (
        f"{name} is {size / 2**20:,.0f} MB, above the {MAX_UPLOAD_BYTES // 2**20} MB limit for "
        "an uploaded DEM; clip it to the province first (gdalwarp -te …) or give its path."
    )
    raise DemError(msg)


def _load_items(items: Iterable, crs, bounds_lonlat, source: str | None) -> Dem:
    with tempfile.TemporaryDirectory(prefix="lomsong-dem-") as tmp, ExitStack() as stack:
        tmpdir = Path(tmp)
        datasets: list = []
        names: list[str] = []
        for i, item in enumerate(items):
            for name, ds in _open_item(item, tmpdir / f"in{i}", crs, stack):
                datasets.append(ds)
                names.append(name)
        if not datasets:
            msg = (
                "No elevation raster found in the input: expected a GeoTIFF, SRTM .hgt "
                "(or .hgt.zip), ESRI ASCII .asc, or a .zip of those."
            )
            raise DemError(msg)
        tagged = datasets[0].tags().get(SOURCE_TAG) if len(datasets) == 1 else None
        label = source or tagged or _infer_source(names)
        first_path = str(items[0]) if isinstance(items, list) and isinstance(
            items[0], str | Path) else names[0]
        arr, transform, rcrs = _mosaic(datasets, bounds_lonlat, stack)
    if not np.isfinite(arr).any():
        msg = f"The DEM {names[0]} holds no valid elevation (every cell is nodata)."
        raise DemError(msg)
    return Dem.from_array(arr, transform, rcrs, source=label, path=first_path, copy=False)


def _infer_source(names: list[str]) -> str:
    lower = [n.lower() for n in names]
    m = _COP_NAME.search(names[0])
    if m and all(_COP_NAME.search(n) for n in names):
        product = "Copernicus GLO-30" if m.group(1) == "10" else "Copernicus GLO-90"
        return product if len(names) == 1 else f"{product} ({len(names)} tiles)"
    if all(n.endswith(".hgt") for n in lower):
        return f"SRTM {names[0]}" if len(names) == 1 else f"SRTM ({len(names)} tiles)"
    if len(names) == 1:
        return names[0]
    return f"{names[0]} + {len(names) - 1} more"


def _open_item(item, workdir: Path, crs, stack: ExitStack) -> list[tuple[str, Any]]:
    """Open one input as [(name, rasterio dataset)] (a zip can hold several)."""
    name = _name_of(item)
    lname = name.lower()
    if isinstance(item, str | Path):
        path = Path(item)
        if not path.exists():
            msg = f"DEM file not found: {path}"
            raise DemError(msg)
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir()
                if p.suffix.lower() in _RASTER_SUFFIXES or p.name.lower().endswith(".zip")
            )
            out = []
            for j, p in enumerate(files):
                out.extend(_open_item(p, workdir / f"d{j}", crs, stack))
            return out
        if lname.endswith(".zip") or zipfile.is_zipfile(path):
            return _open_zip(path, name, workdir, crs, stack)
        if lname.endswith(".hgt"):
            _check_hgt_size(path.stat().st_size, name)
            return [(name, _open_hgt(path.read_bytes(), name, stack))]
        return [(name, _open_gdal(path, name, crs, stack))]
    data = _bytes_of(item)
    if lname.endswith(".zip") or data[:4] == b"PK\x03\x04":
        return _open_zip(data, name, workdir, crs, stack)
    if lname.endswith(".hgt") or (
        len(data) in (2 * SRTM1_SIZE**2, 2 * SRTM3_SIZE**2) and _HGT_NAME.search(name)
    ):
        return [(name, _open_hgt(data, name, stack))]
    workdir.mkdir(parents=True, exist_ok=True)
    if not Path(name).suffix:
        head = data[:64].lstrip().lower()
        name = name + (".asc" if head.startswith(b"ncols") else ".tif")
    p = workdir / name
    p.write_bytes(data)
    return [(name, _open_gdal(p, name, crs, stack))]


def _open_zip(source: bytes | Path, name: str, workdir: Path, crs, stack: ExitStack):
    """Open the rasters of a zip (bytes or a path), streaming each member out under
    :data:`MAX_INFLATED_BYTES` (a zip bomb, honest or with lying headers, is refused
    after at most that many bytes)."""
    try:
        zf = stack.enter_context(
            zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source))
        members = [m for m in zf.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        msg = f"{name} is not a readable zip archive ({exc}); expected e.g. N16E106.hgt.zip."
        raise DemError(msg) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        msg = f"{name} holds {len(members):,} files; at most {MAX_ZIP_MEMBERS:,} are read."
        raise DemError(msg)
    workdir.mkdir(parents=True, exist_ok=True)
    budget = [MAX_INFLATED_BYTES]
    out = []
    # sidecars (.prj) first so the .asc finds them
    for m in members:
        base = Path(m.filename).name
        if base.lower().endswith(".prj"):
            (workdir / base).write_bytes(_inflate(zf, m, name, _SIDECAR_MAX_BYTES, budget))
    extracted: list[tuple[str, bytes | Path]] = []  # everything out (under budget), then open
    for m in members:
        base = Path(m.filename).name
        low = base.lower()
        if low.endswith(".hgt"):
            _check_hgt_size(m.file_size, base)
            extracted.append((base, _inflate(zf, m, name, 2 * SRTM1_SIZE**2, budget)))
        elif Path(low).suffix in _RASTER_SUFFIXES:
            p = workdir / base
            with open(p, "wb") as f:
                _inflate(zf, m, name, MAX_INFLATED_BYTES, budget, sink=f.write)
            extracted.append((base, p))
    for base, got in extracted:
        out.append((base, _open_hgt(got, base, stack) if isinstance(got, bytes)
                    else _open_gdal(got, base, crs, stack)))
    if not out:
        listing = ", ".join(Path(m.filename).name for m in members[:8]) or "nothing"
        msg = (
            f"{name} holds no elevation raster ({listing}); expected .hgt, .tif or .asc "
            "files inside."
        )
        raise DemError(msg)
    return out


def _inflate(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, limit: int,
             budget: list[int], sink=None) -> bytes:
    """Extract ``member`` in chunks, refusing it past ``limit`` bytes or the zip's remaining
    ``budget`` (checked on the declared size first, then on the bytes actually inflated).

    Returns the bytes, or ``b""`` when they were passed to ``sink`` instead."""
    base = Path(member.filename).name
    cap = min(limit, budget[0])
    if member.file_size > cap:
        _refuse_inflation(base, name, member.file_size, cap)
    parts: list[bytes] = []
    total = 0
    try:
        with zf.open(member) as src:
            while chunk := src.read(_CHUNK_BYTES):
                total += len(chunk)
                if total > cap:
                    _refuse_inflation(base, name, total, cap)
                if sink is None:
                    parts.append(chunk)
                else:
                    sink(chunk)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError) as exc:
        msg = f"Cannot extract {base} from {name}: {exc}"
        raise DemError(msg) from exc
    budget[0] -= total
    return b"".join(parts)


def _refuse_inflation(base: str, name: str, size: int, cap: int) -> None:
    msg = (
        f"{base} in {name} inflates to more than {cap:,} bytes ({size:,} seen or declared); "
        "refused as a possible zip bomb. Expected SRTM tiles (≤ 25.9 MB each) or a DEM "
        f"of at most {MAX_INFLATED_BYTES // 2**20} MB unzipped."
    )
    raise DemError(msg)


def _check_hgt_size(size: int, name: str) -> None:
    """Refuse an ``.hgt`` whose size is not an SRTM1 / SRTM3 tile before reading it."""
    if size not in (2 * SRTM1_SIZE**2, 2 * SRTM3_SIZE**2):
        msg = (
            f"{name} is {size:,} bytes: not an SRTM tile. Expected "
            f"{2 * SRTM1_SIZE**2:,} bytes (SRTM1, 3601×3601) or {2 * SRTM3_SIZE**2:,} "
            "bytes (SRTM3, 1201×1201) of big-endian int16."
        )
        raise DemError(msg)


def _open_hgt(data: bytes, name: str, stack: ExitStack):
    """SRTM .hgt → in-memory float32 GeoTIFF dataset.

    Notes
    -----
    An .hgt tile is a headerless square of big-endian int16 samples; its side gives the
    product (3601: SRTM1, 1 arc-second; 1201: SRTM3, 3 arc-second). Samples are cell
    *centres* on whole-degree lines (pixel-is-point), so the tile ``N16E106`` spans
    lon 106 − ½ px … 107 + ½ px and lat 16 − ½ px … 17 + ½ px. −32768 marks voids.
    """
    m = _HGT_NAME.search(Path(name).name)
    if not m:
        msg = (
            f"Cannot place SRTM tile {name!r}: its name must give the south-west corner, "
            "like N16E106.hgt."
        )
        raise DemError(msg)
    _check_hgt_size(len(data), name)
    side = SRTM1_SIZE if len(data) == 2 * SRTM1_SIZE**2 else SRTM3_SIZE
    lat0 = int(m.group(2)) * (1 if m.group(1).upper() == "N" else -1)
    lon0 = int(m.group(4)) * (1 if m.group(3).upper() == "E" else -1)
    arr = np.frombuffer(data, dtype=">i2").reshape(side, side).astype(np.float32)
    arr[arr == SRTM_VOID] = np.nan
    step = 1.0 / (side - 1)
    transform = Affine(step, 0, lon0 - step / 2, 0, -step, lat0 + 1 + step / 2)
    return _memory_dataset(arr, transform, CRS.from_epsg(4326), stack)


def _memory_dataset(arr: np.ndarray, transform: Affine, crs: CRS, stack: ExitStack):
    mem = stack.enter_context(MemoryFile())
    with mem.open(
        driver="GTiff", height=arr.shape[0], width=arr.shape[1], count=1,
        dtype="float32", crs=crs, transform=transform, nodata=np.nan,
    ) as dst:
        dst.write(arr.astype(np.float32), 1)
    return stack.enter_context(mem.open())


def _open_gdal(path: Path, name: str, crs, stack: ExitStack):
    try:
        ds = stack.enter_context(rasterio.open(path))
    except RasterioError as exc:
        msg = (
            f"Cannot read {name} as a DEM ({exc}). Expected a GeoTIFF/COG, an SRTM .hgt "
            "(or .hgt.zip) tile, or an ESRI ASCII grid (.asc)."
        )
        raise DemError(msg) from exc
    if ds.count < 1:
        msg = f"{name} has no raster band; expected one band of elevations in metres."
        raise DemError(msg)
    if ds.transform.is_identity and ds.crs is None:
        msg = f"{name} has no georeferencing; expected a georeferenced raster."
        raise DemError(msg)
    dtype = np.dtype(ds.dtypes[0])
    if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        msg = f"{name} holds {dtype} values; expected numeric elevations in metres."
        raise DemError(msg)
    if ds.crs is None:
        given = crs
        if given is None:
            left, bottom, right, top = ds.bounds
            if -180 <= left < right <= 360 and -90 <= bottom < top <= 90:
                given = "EPSG:4326"
            else:
                msg = (
                    f"{name} has no CRS (no .prj beside it) and its bounds "
                    f"({left:.0f}, {bottom:.0f}, {right:.0f}, {top:.0f}) are not lon/lat; "
                    "give its CRS (e.g. crs='EPSG:32648' / --dem-crs EPSG:32648)."
                )
                raise DemError(msg)
        return _with_crs(ds, given, stack)
    return ds


def _with_crs(ds, crs, stack: ExitStack):
    try:
        rcrs = CRS.from_user_input(crs)
    except Exception as exc:
        msg = f"DEM CRS {crs!r} is not understood: {exc}."
        raise DemError(msg) from exc
    _check_pixels(ds.width * ds.height, Path(ds.name).name, (ds.height, ds.width))
    arr = _read_band(ds, Path(ds.name).name)
    return _memory_dataset(arr, ds.transform, rcrs, stack)


def _read_band(ds, name: str, window=None) -> np.ndarray:
    """Band 1 as float32 with NaN for nodata; a truncated or corrupt file is a DemError."""
    try:
        return ds.read(1, masked=True, window=window).astype(np.float32).filled(np.nan)
    except RasterioError as exc:
        msg = (
            f"Cannot read the elevations of {name}: the file is truncated or corrupt "
            f"({_root_cause(exc)}). Expected a complete GeoTIFF, .hgt or .asc file."
        )
        raise DemError(msg) from exc


def _root_cause(exc: BaseException) -> str:
    """The first line of the innermost cause (GDAL's own words: "File short, …")."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_pixels(n_pixels: int, name: str, shape: tuple[int, int], where: str = "") -> None:
    """Refuse a read of more than :data:`MAX_DEM_PIXELS` cells before it happens."""
    if n_pixels > MAX_DEM_PIXELS:
        msg = (
            f"{name} holds {shape[0]:,} × {shape[1]:,} cells{where}: {n_pixels:,}, above the "
            f"limit of {MAX_DEM_PIXELS:,} (≈ {MAX_DEM_PIXELS * 4 // 2**20:,} MB). Resample it "
            "coarser (e.g. gdalwarp -tr 30 30) or clip it to the province first."
        )
        raise DemError(msg)


def _mosaic(datasets: list, bounds_lonlat, stack: ExitStack):
    """Merge datasets (any CRSs) into one float32 array with NaN nodata.

    Reads only ``bounds_lonlat`` when given; a raster bigger than :data:`MAX_DEM_PIXELS`
    is read only over the analysis area (the province plus 30 km), and refused before
    reading if that window is still too big.
    """
    target_crs = datasets[0].crs
    aligned = []
    for ds in datasets:
        if ds.crs != target_crs:
            ds = stack.enter_context(WarpedVRT(ds, crs=target_crs, resampling=Resampling.bilinear))
        aligned.append(ds)
    res = min(abs(ds.res[0]) for ds in aligned), min(abs(ds.res[1]) for ds in aligned)
    window_bounds = _window_bounds(aligned, target_crs, bounds_lonlat, res)
    _check_output_pixels(aligned, window_bounds, res)
    try:
        if len(aligned) == 1 and window_bounds is None:
            ds = aligned[0]
            return _read_band(ds, Path(ds.name).name), ds.transform, ds.crs
        arr, transform = merge(
            aligned, bounds=window_bounds, res=res, nodata=np.nan, dtype="float32",
            resampling=Resampling.nearest,
        )
    except (RasterioError, ValueError, MemoryError) as exc:
        msg = f"Cannot mosaic the DEM tiles: {_root_cause(exc)}"
        raise DemError(msg) from exc
    return arr[0].astype(np.float32), transform, target_crs


def _window_bounds(aligned: list, target_crs, bounds_lonlat, res) -> tuple | None:
    """Bounds (in ``target_crs``, one cell of margin) to read, or None to read everything.

    The window is cut to the tiles' own extent: a window reaching past a DEM's edge would
    come back padded with no-data cells, and the DEM would then seem to cover ground it
    has no terrain for. A window that misses every tile is refused.
    """
    from rasterio.warp import transform_bounds

    if bounds_lonlat is None:
        if sum(ds.width * ds.height for ds in aligned) <= MAX_DEM_PIXELS:
            return None
        from geo._dem_download import province_bounds_lonlat

        bounds_lonlat = province_bounds_lonlat()
    wb = transform_bounds("EPSG:4326", target_crs, *bounds_lonlat, densify_pts=21)
    lefts, bottoms, rights, tops = zip(*(ds.bounds for ds in aligned), strict=True)
    cut = (max(wb[0] - res[0], min(lefts)), max(wb[1] - res[1], min(bottoms)),
           min(wb[2] + res[0], max(rights)), min(wb[3] + res[1], max(tops)))
    if cut[0] >= cut[2] or cut[1] >= cut[3]:
        west, south, east, north = bounds_lonlat
        d_w, d_s, d_e, d_n = transform_bounds(target_crs, "EPSG:4326", min(lefts),
                                              min(bottoms), max(rights), max(tops),
                                              densify_pts=21)
        msg = (f"The area asked for (lon {west:.3f}–{east:.3f}, lat {south:.3f}–{north:.3f}) "
               f"is outside the DEM ({', '.join(Path(ds.name).name for ds in aligned)}: lon "
               f"{d_w:.3f}–{d_e:.3f}, lat {d_s:.3f}–{d_n:.3f}): give a DEM that covers it.")
        raise DemError(msg)
    return cut


def _check_output_pixels(aligned: list, window_bounds, res) -> None:
    """Refuse a mosaic / window of more than :data:`MAX_DEM_PIXELS` cells before reading."""
    if window_bounds is None:
        if len(aligned) == 1:
            ds = aligned[0]
            _check_pixels(ds.width * ds.height, Path(ds.name).name, (ds.height, ds.width))
            return
        lefts, bottoms, rights, tops = zip(*(ds.bounds for ds in aligned), strict=True)
        bounds = (min(lefts), min(bottoms), max(rights), max(tops))
        where = f" once the {len(aligned)} tiles are mosaicked"
    else:
        bounds = window_bounds
        where = " over the analysis area"
    cols = math.ceil((bounds[2] - bounds[0]) / res[0])
    rows = math.ceil((bounds[3] - bounds[1]) / res[1])
    name = Path(aligned[0].name).name if len(aligned) == 1 else f"The DEM ({len(aligned)} tiles)"
    _check_pixels(rows * cols, name, (rows, cols), where)
