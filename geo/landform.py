"""Terrain class of each commune: mountain, coastal, island or plain.

The province's order gives priority to mountain and coastal communes, so the class is
computed from data, with every threshold in :class:`LandformConfig`:

- **island**: the commune lies on a land polygon that is not the mainland (GSHHG land
  piece smaller than ``island_max_km2``) — Cồn Cỏ;
- **coastal**: its polygon comes within ``coast_km`` of the GSHHG sea shoreline (the
  shoreline is ~1:250,000, offset by tens to hundreds of metres from the 2025 polygons);
- **mountain**: mean elevation ≥ ``mountain_mean_m`` or a share ≥ ``mountain_share``
  of its area above ``mountain_high_m`` (on the DEM in use, sampled on a
  ``sample_resolution_m`` grid);
- **plain**: the rest.

The first rule that holds wins, in the order above. The thresholds were set so that
the Trường Sơn communes (Hướng Hóa, Đakrông, Minh Hóa, Tuyên Hóa, western Bố Trạch
and Lệ Thủy) come out mountain on the embedded 5′ relief, whose smoothing lowers
mean elevations; a finer DEM gives the same classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.grid import ANALYSIS_CRS, Grid, commune_id_raster

__all__ = ["TERRAIN_CLASSES", "LandformConfig", "terrain_classes"]

TERRAIN_CLASSES = ("mountain", "coastal", "island", "plain")
SIMPLIFY_M = 20.0


@dataclass(frozen=True)
class LandformConfig:
    mountain_mean_m: float = 150.0
    mountain_high_m: float = 300.0
    mountain_share: float = 0.25
    coast_km: float = 0.8
    island_max_km2: float = 50.0
    sample_resolution_m: float = 500.0


def terrain_classes(
    communes: gpd.GeoDataFrame,
    dem=None,
    coastline: gpd.GeoDataFrame | None = None,
    land: gpd.GeoDataFrame | None = None,
    config: LandformConfig = LandformConfig(),
) -> pd.DataFrame:
    """Classify each commune; one row per input row, same index.

    Parameters
    ----------
    communes : GeoDataFrame
        Commune polygons (any CRS).
    dem : Dem-like or None
        Anything with ``on_grid(grid)`` (see :mod:`geo.dem`), a path to a raster, or
        None for the embedded 5′ relief.
    coastline, land : GeoDataFrame, optional
        Sea shoreline lines and land polygons; default the embedded GSHHG layers.

    Returns
    -------
    DataFrame with ``terrain``, ``elev_mean_m``, ``share_above_high``, ``coast_dist_km``,
    ``on_island``.
    """
    from geo import data

    if coastline is None:
        coastline = data.load_coastline()
    if land is None:
        land = data.load_land()
    utm = communes.to_crs(ANALYSIS_CRS)

    grid = Grid.for_geometry(communes, config.sample_resolution_m, margin_m=1000)
    if dem is None:
        elev = grid.read_raster(data.relief_dem_path())
    elif hasattr(dem, "on_grid"):
        elev = dem.on_grid(grid)
    else:
        elev = grid.read_raster(dem)
    ids = commune_id_raster(grid, communes)
    n = len(communes)
    valid = (ids >= 0) & np.isfinite(elev)
    cnt = np.bincount(ids[valid], minlength=n)
    mean = np.bincount(ids[valid], weights=elev[valid], minlength=n) / np.maximum(cnt, 1)
    high = np.bincount(ids[valid], weights=(elev[valid] > config.mountain_high_m), minlength=n)
    share_high = high / np.maximum(cnt, 1)
    mean = np.where(cnt > 0, mean, np.nan)

    # Distances on 20 m-simplified outlines (≤ 40 m error, far below the shoreline's own
    # offset) — the full polygons make this 50× slower.
    shore = coastline.to_crs(ANALYSIS_CRS).simplify(SIMPLIFY_M).union_all()
    coast_km = utm.simplify(SIMPLIFY_M).distance(shore).to_numpy() / 1000.0

    land_utm = land.to_crs(ANALYSIS_CRS)
    islands = land_utm[land_utm.area / 1e6 < config.island_max_km2]
    rep = utm.representative_point()
    on_island = (
        rep.apply(lambda p: bool(islands.intersects(p).any())).to_numpy()
        if len(islands) else np.zeros(n, bool)
    )

    terrain = np.full(n, "plain", dtype=object)
    mountain = (np.nan_to_num(mean) >= config.mountain_mean_m) | (
        share_high >= config.mountain_share
    )
    terrain[mountain] = "mountain"
    terrain[coast_km <= config.coast_km] = "coastal"
    terrain[on_island] = "island"
    return pd.DataFrame(
        {
            "terrain": terrain,
            "elev_mean_m": np.round(mean, 1),
            "share_above_high": np.round(share_high, 3),
            "coast_dist_km": np.round(coast_km, 3),
            "on_island": on_island,
        },
        index=communes.index,
    )
