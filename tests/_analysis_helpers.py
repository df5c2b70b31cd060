"""Synthetic fixtures for the analysis tests: tiny grids, communes, a disk-shaped coverage engine.

Nothing here reads the embedded data or the coverage engine: the gap, ranking and siting
algorithms are tested on inputs whose right answers are known by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from analysis.siting import CandidatePool
from geo.grid import Grid

# a spot inside Quảng Trị in UTM 48N (≈ 106.9° E, 16.9° N)
X0_M = 700_000.0
Y0_M = 1_870_000.0
COVERED_DBM = -50.0


def tiny_grid(rows: int = 40, cols: int = 60, resolution_m: float = 100.0) -> Grid:
    return Grid(X0_M, Y0_M, X0_M + cols * resolution_m, Y0_M + rows * resolution_m, resolution_m)


def strip_communes(grid: Grid, n: int = 3, terrains=("mountain", "coastal", "plain")) -> gpd.GeoDataFrame:
    """``n`` vertical strips covering the grid, EPSG:4326, with code/name/terrain."""
    edges = np.linspace(grid.xmin, grid.xmax, n + 1)
    geoms = [box(edges[i], grid.ymin, edges[i + 1], grid.ymax) for i in range(n)]
    gdf = gpd.GeoDataFrame(
        {
            "code": [f"{i + 1:05d}" for i in range(n)],
            "name": [f"Xã {chr(65 + i)}" for i in range(n)],
            "terrain": [terrains[i % len(terrains)] for i in range(n)],
        },
        geometry=geoms, crs=grid.crs,
    )
    return gdf.to_crs("EPSG:4326")


def commune_ids(grid: Grid, n: int = 3) -> np.ndarray:
    """Strip ids computed directly (no rasterisation), matching :func:`strip_communes`."""
    xs, _ = grid.cell_centres()
    edges = np.linspace(grid.xmin, grid.xmax, n + 1)
    col_id = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, n - 1)
    return np.broadcast_to(col_id, grid.shape).astype(np.int32).copy()


def station_xy(station, grid: Grid) -> tuple[float, float]:
    if "x" in station and "y" in station:
        return float(station["x"]), float(station["y"])
    x, y = grid.from_lonlat(station["lon"], station["lat"])
    return float(x), float(y)


def make_disk_window(radius_m: float, level_dbm: float = COVERED_DBM):
    """A stand-in for ``geo.coverage.station_rsrp_window``: ``level_dbm`` (default −50 dBm)
    within ``radius_m``, NaN beyond."""

    def rsrp_window(station, grid: Grid, elevation_on_grid=None, config=None):  # noqa: ARG001
        x, y = station_xy(station, grid)
        r0, c0 = grid.rowcol(np.array([x - radius_m]), np.array([y + radius_m]))
        r1, c1 = grid.rowcol(np.array([x + radius_m]), np.array([y - radius_m]))
        rs = slice(max(0, int(r0[0])), min(grid.height, int(r1[0]) + 1))
        cs = slice(max(0, int(c0[0])), min(grid.width, int(c1[0]) + 1))
        xs, ys = grid.cell_centres()
        d = np.hypot(xs[cs][None, :] - x, ys[rs][:, None] - y)
        return (rs, cs), np.where(d <= radius_m, level_dbm, np.nan).astype(np.float32)

    return rsrp_window


@dataclass
class FakeCoverage:
    """The parts of ``geo.coverage.Coverage`` the analysis uses."""

    grid: Grid
    mask: dict[str, np.ndarray]
    metadata: dict = field(default_factory=dict)

    @property
    def rsrp_dbm(self) -> dict[str, np.ndarray]:
        return {t: np.where(m, COVERED_DBM, np.nan).astype(np.float32) for t, m in self.mask.items()}

    def covered(self, tech: str) -> np.ndarray:
        if tech == "any":
            out = np.zeros(self.grid.shape, dtype=bool)
            for m in self.mask.values():
                out |= m
            return out
        return self.mask.get(tech, np.zeros(self.grid.shape, dtype=bool))

    def to_geotiffs(self, folder):
        from pathlib import Path

        from geo.grid import write_geotiff

        folder = Path(folder)
        return [write_geotiff(folder / f"covered_{t}.tif", m, self.grid) for t, m in self.mask.items()]


def disk_coverage(grid: Grid, stations_xy, radius_m: float, tech: str = "4G") -> FakeCoverage:
    xs, ys = grid.cell_centres()
    m = np.zeros(grid.shape, dtype=bool)
    for x, y in stations_xy:
        m |= np.hypot(xs[None, :] - x, ys[:, None] - y) <= radius_m
    return FakeCoverage(grid, {tech: m})


def blob_population(grid: Grid, centres_rc, people, sigma_cells: float = 2.0, floor: float = 0.0):
    """Gaussian blobs of people (sum ≈ ``people`` each) on the grid."""
    rr, cc = np.mgrid[0 : grid.height, 0 : grid.width]
    pop = np.full(grid.shape, floor, dtype=np.float64)
    for (r, c), p in zip(centres_rc, people, strict=True):
        g = np.exp(-((rr - r) ** 2 + (cc - c) ** 2) / (2 * sigma_cells**2))
        pop += p * g / g.sum()
    return pop.astype(np.float32)


def random_pool(rng: np.random.Generator, n_cand: int, n_targets: int, p_cover: float = 0.2,
                costs=None) -> CandidatePool:
    """A candidate pool with random cover sets (no grid)."""
    people = rng.integers(1, 50, size=n_targets).astype(np.float64)
    cover = [np.flatnonzero(rng.random(n_targets) < p_cover).astype(np.int32) for _ in range(n_cand)]
    cost = np.asarray(costs if costs is not None else np.full(n_cand, 1e9), dtype=np.float64)
    cands = pd.DataFrame(
        {
            "cand_id": np.arange(n_cand),
            "cost_vnd": cost,
            "people_reach": [people[c].sum() for c in cover],
        }
    )
    return CandidatePool(cands, cover, people, np.arange(n_targets), float(people.sum()), 0.0, "4G")


def synthetic_inputs(rows: int = 60, cols: int = 90):
    """An :class:`analysis.pipeline.Inputs` on a tiny grid: 3 strip communes, 4 villages, a hill."""
    from analysis.pipeline import Inputs
    from analysis.siting import FiberAccess

    grid = tiny_grid(rows, cols)
    pop = blob_population(grid, [(15, 15), (40, 45), (20, 75), (50, 80)],
                          [600.0, 900.0, 400.0, 250.0], 2.5, floor=0.02)
    rr, cc = np.mgrid[0:rows, 0:cols]
    dem = (50 + 300 * np.exp(-((rr - 44) ** 2 + (cc - 50) ** 2) / 30.0)).astype(np.float32)
    communes = strip_communes(grid, 3)
    cid = commune_ids(grid, 3)
    node = np.array([[grid.xmin + 150.0, grid.ymin + 150.0]])
    xs, ys = grid.cell_centres()
    dist_km = (np.hypot(xs[None, :] - node[0, 0], ys[:, None] - node[0, 1]) * 1.3 / 1000).astype(np.float32)
    fiber = FiberAccess(dist_km, node, 30.0, "synthetic")
    return Inputs(grid=grid, population=pop, commune_id=cid, communes=communes, dem=None,
                  dem_on_grid=dem, fiber=fiber, key="synthetic",
                  meta={"dem": "synthetic hill", "dem_resolution_m": 100.0})


def synthetic_stations(grid: Grid, modelled: bool = True) -> gpd.GeoDataFrame:
    """One existing 4G station near the first village (its 800 m disk covers it)."""
    x, y = grid.xmin + 1550.0, grid.ymax - 1550.0
    lon, lat = grid.to_lonlat(np.array([x]), np.array([y]))
    return gpd.GeoDataFrame(
        {"station_id": ["S1"], "site_id": ["S1"], "operator": ["=HYPERLINK(\"x\")"],
         "technology": ["4G"], "band_mhz": [1800.0], "height_m": [30.0], "eirp_dbm": [64.0],
         "azimuth_deg": [np.nan], "tilt_deg": [0.0], "source_row": [1], "assumed": [""],
         "modelled": [modelled]},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
    )


def synthetic_result(budget_sites=3, budget_vnd=None, focus=None, config=None):
    """A whole :func:`analysis.pipeline.run_analysis` on the synthetic inputs (disk engine)."""
    from analysis.config import AnalysisConfig, GapConfig
    from analysis.pipeline import run_analysis

    inputs = synthetic_inputs()
    st = synthetic_stations(inputs.grid)
    cov = disk_coverage(inputs.grid, [(inputs.grid.xmin + 1550.0, inputs.grid.ymax - 1550.0)], 800.0)
    cov.stations = st
    config = config or AnalysisConfig(gaps=GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50))
    return run_analysis(stations=st, tech="4G", budget_sites=budget_sites, budget_vnd=budget_vnd,
                        focus=focus, config=config, inputs=inputs, coverage=cov,
                        rsrp_window=make_disk_window(700.0))
