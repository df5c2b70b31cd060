"""Synthetic grids, terrain and stations for the terrain / coverage tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import Point

from geo.grid import Grid
from geo.synthetic import fractal_relief_m

__all__ = ["small_grid", "fractal_terrain", "stations_at", "cell_centre"]

ORIGIN_X_M = 600_000.0  # UTM 48N, inside Quảng Trị's longitude band
ORIGIN_Y_M = 1_850_000.0


def small_grid(n_rows: int = 120, n_cols: int = 120, resolution_m: float = 100.0) -> Grid:
    """A grid of ``n_rows × n_cols`` cells in EPSG:32648."""
    return Grid(ORIGIN_X_M, ORIGIN_Y_M - n_rows * resolution_m,
                ORIGIN_X_M + n_cols * resolution_m, ORIGIN_Y_M, resolution_m)


def cell_centre(grid: Grid, row: int, col: int) -> tuple[float, float]:
    """Grid-CRS coordinates of a cell centre."""
    xs, ys = grid.cell_centres()
    return float(xs[col]), float(ys[row])


def fractal_terrain(shape: tuple[int, int], seed: int, relief_m: float = 2000.0,
                    beta: float = 1.6) -> np.ndarray:
    """Seeded rough terrain (:func:`geo.synthetic.fractal_relief_m`), float32."""
    return fractal_relief_m(shape, seed, relief_m, beta)


def stations_at(grid: Grid, cells: list[tuple[int, int]], technology="5G",
                **columns) -> gpd.GeoDataFrame:
    """Stations (EPSG:4326) at the centres of ``cells``; extra columns as lists or scalars."""
    xs, ys = zip(*(cell_centre(grid, r, c) for r, c in cells), strict=True)
    lon, lat = grid.to_lonlat(np.array(xs), np.array(ys))
    n = len(cells)
    data = {"station_id": [f"S{i}" for i in range(n)],
            "technology": technology if isinstance(technology, list) else [technology] * n}
    for name, value in columns.items():
        data[name] = value if isinstance(value, list) else [value] * n
    return gpd.GeoDataFrame(data, geometry=[Point(a, b) for a, b in zip(lon, lat, strict=True)],
                            crs="EPSG:4326")
