"""Fetch Copernicus DEM tiles (GLO-30 / GLO-90) from the public open-data bucket.

The Copernicus DEM is published as 1°×1° Cloud-Optimised GeoTIFF tiles on AWS open data,
readable over plain HTTPS without an account (https://registry.opendata.aws/copernicus-dem/,
readme at https://copernicus-dem-30m.s3.amazonaws.com/readme.html). A tile is named after
its south-west corner::

    https://copernicus-dem-30m.s3.amazonaws.com/
        Copernicus_DSM_COG_10_N16_00_E106_00_DEM/Copernicus_DSM_COG_10_N16_00_E106_00_DEM.tif

``10`` is GLO-30 (1 arc-second), ``30`` is GLO-90 (3 arc-second, bucket
``copernicus-dem-90m``). Ocean has no tiles (HTTP 404); the readme says heights there may be
taken as 0, which is what the mosaic does. Downloads go to a cache folder
(``LOMSONG_CACHE_DIR`` or the user data folder), are resumed with HTTP Range requests from
``.part`` files, and are then mosaicked and clipped to the province plus a margin into one
GeoTIFF that :func:`geo.dem.load_dem` reads. The base URL can be pointed elsewhere (argument
or ``LOMSONG_COPERNICUS_URL``), which the tests use with a local server.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError

from geo.data import CACHE_ENV
from geo.dem import SOURCE_TAG, DemError, load_dem

__all__ = [
    "PRODUCTS",
    "ENV_URL",
    "ENV_CACHE",
    "DEFAULT_MARGIN_KM",
    "Product",
    "DownloadResult",
    "tile_name",
    "tile_url",
    "tiles_for_bounds",
    "province_bounds_lonlat",
    "cache_dir",
    "download_tile",
    "download_copernicus",
]

ENV_URL = "LOMSONG_COPERNICUS_URL"
ENV_CACHE = CACHE_ENV
DEFAULT_MARGIN_KM = 30.0
KM_PER_DEGREE_LAT = 111.32  # mean length of one degree of latitude, km
TIMEOUT_S = 30.0
SEA_LEVEL_M = 0.0  # Copernicus readme: ocean areas have no tiles; heights there are 0


@dataclass(frozen=True)
class Product:
    """One Copernicus DEM instance on the open-data bucket."""

    code: str  # "glo-30"
    label: str  # "Copernicus GLO-30"
    base_url: str
    resolution_code: str  # "10" (1″) or "30" (3″) in tile names


PRODUCTS: dict[str, Product] = {
    "glo-30": Product("glo-30", "Copernicus GLO-30",
                      "https://copernicus-dem-30m.s3.amazonaws.com/", "10"),
    "glo-90": Product("glo-90", "Copernicus GLO-90",
                      "https://copernicus-dem-90m.s3.amazonaws.com/", "30"),
}


@dataclass
class DownloadResult:
    """What :func:`download_copernicus` did."""

    path: Path  # the clipped mosaic GeoTIFF
    product: Product
    bounds_lonlat: tuple[float, float, float, float]
    downloaded: list[str] = field(default_factory=list)  # tile names fetched now
    cached: list[str] = field(default_factory=list)  # tile names already in the cache
    missing: list[str] = field(default_factory=list)  # not on the server (sea): filled with 0

    def summary(self) -> str:
        n = len(self.downloaded) + len(self.cached)
        text = (
            f"{self.product.label}: {n} tile(s) ({len(self.downloaded)} downloaded, "
            f"{len(self.cached)} from cache) → {self.path}"
        )
        if self.missing:
            text += (
                f"\n{len(self.missing)} tile(s) not on the server (sea, filled with 0 m): "
                + ", ".join(self.missing)
            )
        return text


def _product(product: str | Product) -> Product:
    if isinstance(product, Product):
        return product
    key = str(product).lower()
    if key not in PRODUCTS:
        msg = f"Unknown Copernicus DEM product {product!r}; expected one of {sorted(PRODUCTS)}."
        raise DemError(msg)
    return PRODUCTS[key]


def tile_name(lat: int, lon: int, product: str | Product = "glo-30") -> str:
    """``Copernicus_DSM_COG_10_N16_00_E106_00_DEM`` for the tile whose SW corner is (lat, lon)."""
    p = _product(product)
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"Copernicus_DSM_COG_{p.resolution_code}_{ns}{abs(lat):02d}_00_{ew}{abs(lon):03d}_00_DEM"


def tile_url(lat: int, lon: int, product: str | Product = "glo-30",
             base_url: str | None = None) -> str:
    """Full URL of a tile: ``BASE/NAME/NAME.tif``."""
    p = _product(product)
    base = base_url or os.environ.get(ENV_URL) or p.base_url
    name = tile_name(lat, lon, p)
    return f"{base.rstrip('/')}/{name}/{name}.tif"


def tiles_for_bounds(bounds_lonlat) -> list[tuple[int, int]]:
    """(lat, lon) south-west corners of the 1° tiles intersecting (west, south, east, north)."""
    west, south, east, north = (float(v) for v in bounds_lonlat)
    if not (west < east and south < north):
        msg = f"Empty lon/lat bounds {bounds_lonlat!r}."
        raise DemError(msg)
    lats = range(math.floor(south), math.ceil(north))
    lons = range(math.floor(west), math.ceil(east))
    return [(lat, lon) for lat in lats for lon in lons]


def province_bounds_lonlat(margin_km: float = DEFAULT_MARGIN_KM) -> tuple[float, float, float, float]:
    """The province's lon/lat bounding box grown by ``margin_km`` on every side."""
    from geo.data import load_province

    west, south, east, north = (float(v) for v in load_province().total_bounds)
    dlat = margin_km / KM_PER_DEGREE_LAT
    dlon = margin_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(max(abs(south), abs(north)))))
    return (west - dlon, south - dlat, east + dlon, north + dlat)


def cache_dir(product: str | Product | None = None) -> Path:
    """``$LOMSONG_CACHE_DIR/dem[/product]`` or the platform's user data folder."""
    from geo.data import cache_root

    root = cache_root()
    folder = root / "dem"
    if product is not None:
        folder = folder / _product(product).code
    return folder


# ------------------------------------------------------------------------- HTTP
def _offline_error(url: str, exc: BaseException) -> DemError:
    base = url.split("/Copernicus_DSM", 1)[0]
    msg = (
        f"cannot reach {base} (offline?): {getattr(exc, 'reason', exc)} — download the "
        "tiles by hand (see https://registry.opendata.aws/copernicus-dem/) and pass --dem "
        "PATH, or run `lomsong dem download` again when online."
    )
    return DemError(msg)


def download_tile(url: str, dest: Path, progress: bool = False,
                  timeout_s: float = TIMEOUT_S) -> bool:
    """Download ``url`` to ``dest`` with :func:`geo._download.fetch` (``.part`` resumed with
    an HTTP Range request, byte count checked against ``Content-Length``).

    Returns
    -------
    bool
        True when ``dest`` is complete, False when the server has no such file (HTTP 404 /
        403, e.g. a sea tile).

    Raises
    ------
    DemError
        The server cannot be reached (offline), answers with another error, or the
        transfer breaks off (the ``.part`` file is kept: call again to resume).
    """
    from geo._download import DownloadError, fetch

    try:
        fetch(url, dest, user_agent="lomsong-dem/0.1", timeout_s=timeout_s, progress=progress)
    except DownloadError as exc:
        if exc.kind == "missing":
            return False
        if exc.kind == "offline":
            raise _offline_error(url, exc) from exc
        raise DemError(str(exc)) from exc
    return True


def _tile_ok(path: Path) -> bool:
    try:
        with rasterio.open(path) as src:
            src.read(1, window=((0, 1), (0, 1)))
        return True
    except (RasterioError, OSError):
        return False


# -------------------------------------------------------------------- download
def download_copernicus(
    product: str | Product = "glo-30",
    out_dir: str | Path | None = None,
    bounds_lonlat: tuple[float, float, float, float] | None = None,
    base_url: str | None = None,
    margin_km: float = DEFAULT_MARGIN_KM,
    progress: bool = True,
    timeout_s: float = TIMEOUT_S,
) -> DownloadResult:
    """Fetch the Copernicus DEM tiles over the province (+ margin), mosaic and clip them.

    Parameters
    ----------
    product : "glo-30" or "glo-90"
    out_dir : folder for the clipped mosaic; default the cache folder.
    bounds_lonlat : (west, south, east, north); default the province + ``margin_km``.
    base_url : server root instead of the public bucket (also ``LOMSONG_COPERNICUS_URL``).
    progress : show tqdm progress bars on stderr.

    Returns
    -------
    DownloadResult
        ``path`` is a GeoTIFF (EPSG:4326, float32, NaN nodata) tagged with its source.

    Raises
    ------
    DemError
        Offline / unreachable server, a broken transfer (run again to resume), or no tile
        at all for the area.
    """
    p = _product(product)
    bounds = tuple(bounds_lonlat) if bounds_lonlat is not None else province_bounds_lonlat(
        margin_km)
    tiles = tiles_for_bounds(bounds)
    folder = cache_dir(p)
    folder.mkdir(parents=True, exist_ok=True)
    result = DownloadResult(path=Path(), product=p, bounds_lonlat=bounds)
    tile_paths: list[Path] = []
    missing_boxes: list[tuple[int, int]] = []

    outer = None
    if progress:
        from tqdm import tqdm

        outer = tqdm(total=len(tiles), unit="tile", desc=f"{p.label} tiles")
    try:
        for lat, lon in tiles:
            name = tile_name(lat, lon, p)
            dest = folder / f"{name}.tif"
            if dest.exists() and _tile_ok(dest):
                result.cached.append(name)
                tile_paths.append(dest)
            else:
                url = tile_url(lat, lon, p, base_url)
                if download_tile(url, dest, progress=progress, timeout_s=timeout_s):
                    if not _tile_ok(dest):
                        dest.unlink(missing_ok=True)
                        msg = (
                            f"Tile {name} from {url} is not a readable GeoTIFF "
                            "(deleted; run again to fetch it anew)."
                        )
                        raise DemError(msg)
                    result.downloaded.append(name)
                    tile_paths.append(dest)
                else:
                    result.missing.append(name)
                    missing_boxes.append((lat, lon))
            if outer is not None:
                outer.update(1)
    finally:
        if outer is not None:
            outer.close()

    if not tile_paths:
        msg = (
            f"None of the {len(tiles)} {p.label} tiles over {bounds} is on the server "
            f"({', '.join(result.missing[:4])}…): is the area right?"
        )
        raise DemError(msg)

    dem = load_dem(tile_paths, bounds_lonlat=bounds, source=p.label)
    elevation = dem.elevation_m  # the Dem is not used after this: fill in place
    if missing_boxes:
        _fill_missing_tiles(elevation, dem.transform, missing_boxes)
    out_folder = Path(out_dir) if out_dir else folder
    out_folder.mkdir(parents=True, exist_ok=True)
    out_path = out_folder / f"copernicus_{p.code}_{_bounds_slug(bounds)}.tif"
    _write_mosaic(out_path, elevation, dem, p, result)
    result.path = out_path
    return result


def _bounds_slug(bounds) -> str:
    w, s, e, n = bounds
    return f"{w:.2f}_{s:.2f}_{e:.2f}_{n:.2f}".replace("-", "m")


def _fill_missing_tiles(elevation: np.ndarray, transform, boxes) -> None:
    """Cells inside tiles the server lacks (open sea) and still empty become 0 m."""
    rows, cols = elevation.shape
    inv = ~transform
    for lat, lon in boxes:
        c0, r0 = inv @ (lon, lat + 1)
        c1, r1 = inv @ (lon + 1, lat)
        r0, r1 = max(0, math.floor(r0)), min(rows, math.ceil(r1))
        c0, c1 = max(0, math.floor(c0)), min(cols, math.ceil(c1))
        if r1 > r0 and c1 > c0:
            block = elevation[r0:r1, c0:c1]
            block[np.isnan(block)] = SEA_LEVEL_M


def _write_mosaic(path: Path, elevation: np.ndarray, dem, product: Product,
                  result: DownloadResult) -> None:
    tmp = path.with_name(path.name + ".tmp")
    profile = {
        "driver": "COG", "height": elevation.shape[0], "width": elevation.shape[1],
        "count": 1, "dtype": "float32", "crs": dem.crs, "transform": dem.transform,
        "nodata": np.nan, "compress": "deflate", "predictor": 3,
    }
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(elevation.astype(np.float32), 1)
        dst.update_tags(
            **{SOURCE_TAG: product.label},
            COPERNICUS_TILES=",".join(result.downloaded + result.cached),
            COPERNICUS_MISSING_TILES_FILLED_0M=",".join(result.missing),
            LICENCE="Copernicus DEM: © DLR e.V. 2010-2014 and © Airbus Defence and Space "
                    "GmbH 2014-2018 provided under COPERNICUS by the European Union and ESA",
        )
    tmp.replace(path)
