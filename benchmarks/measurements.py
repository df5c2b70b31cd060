"""Drive-test comparison benchmark (#17): prints figures, asserts nothing (not a test).

    python benchmarks/measurements.py --smoke     # a few seconds, for CI
    python benchmarks/measurements.py             # province, 100 m, embedded DEM, 100,000 points

Target: comparing 100,000 measured points with the model takes ≤ 5 s beyond the coverage
run (:func:`analysis.measurements.compare` on a computed coverage). Figures: the coverage
run's seconds, the comparison's seconds with every point on the technology raster, with
20 % of the points carrying a cell id that matches a station (each matched station's own
window), the calibration fit (with 5-fold cross-validation), and peak RSS. The points are
a synthetic drive test made from the model's own 4G prediction (−5 dB, σ = 8 dB): this
measures speed, not accuracy. Stations: the embedded MODELLED reference network when
``data/`` has it, else synthetic sites.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.calibration import calibrate  # noqa: E402
from analysis.measurements import compare  # noqa: E402
from geo.coverage import CoverageConfig, analysis_grid, compute  # noqa: E402
from geo.grid import Grid  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _stations(grid: Grid, smoke: bool) -> gpd.GeoDataFrame:
    if not smoke:
        try:
            from geo.stations import load_default_stations

            st = load_default_stations().stations
            return st[st["technology"] == "4G"].reset_index(drop=True)
        except Exception:
            pass
    rng = np.random.default_rng(3)
    n = 6 if smoke else 300
    xs = rng.uniform(grid.xmin + 2000, grid.xmax - 2000, n)
    ys = rng.uniform(grid.ymin + 2000, grid.ymax - 2000, n)
    lon, lat = grid.to_lonlat(xs, ys)
    return gpd.GeoDataFrame({"station_id": [f"S{i}" for i in range(n)], "technology": "4G",
                             "height_m": 30.0}, geometry=gpd.points_from_xy(lon, lat),
                            crs="EPSG:4326")


def drive_test(cov, n: int, rng, cell_share: float = 0.0) -> gpd.GeoDataFrame:
    """``n`` points on covered 4G cells, measured = model − 5 dB + N(0, 8 dB)."""
    grid = cov.grid
    rsrp = cov.rsrp_dbm["4G"]
    rows, cols = np.nonzero(np.isfinite(rsrp))
    pick = rng.integers(0, rows.size, n)
    rows, cols = rows[pick], cols[pick]
    xs, ys = grid.cell_centres()
    x = xs[cols] + rng.uniform(-0.45, 0.45, n) * grid.resolution_m
    y = ys[rows] + rng.uniform(-0.45, 0.45, n) * grid.resolution_m
    lon, lat = grid.to_lonlat(x, y)
    level = rsrp[rows, cols] - 5.0 + rng.normal(0.0, 8.0, n)
    cell = np.full(n, "", dtype=object)
    if cell_share > 0:
        server = cov.best_server["4G"][rows, cols]
        ids = cov.stations["station_id"].astype(str).to_numpy()
        tagged = rng.random(n) < cell_share
        cell[tagged] = ids[server[tagged]]
    return gpd.GeoDataFrame({"technology": "4G", "operator": "", "rsrp_dbm": level,
                             "cell_id": cell, "source_row": np.arange(n) + 2},
                            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny grid, 10,000 points (CI)")
    ap.add_argument("--points", type=int, default=None, help="measured points (default 100,000)")
    ap.add_argument("--resolution", type=float, default=100.0, help="grid cell size, m")
    args = ap.parse_args(argv)
    n = args.points or (10_000 if args.smoke else 100_000)
    rng = np.random.default_rng(17)

    if args.smoke:
        grid = Grid(600_000.0, 1_830_000.0, 620_000.0, 1_850_000.0, 100.0)
        elevation = np.zeros(grid.shape, dtype=np.float32)
        communes = None
        label = "synthetic 20 × 20 km, flat"
    else:
        from geo.data import load_communes
        from geo.dem import load_dem

        grid = analysis_grid(args.resolution)
        dem = load_dem(None)
        elevation = np.ascontiguousarray(dem.on_grid(grid, fill_value=0.0), dtype=np.float32)
        communes = load_communes()
        label = f"province, {args.resolution:g} m, {dem.describe()}"
    stations = _stations(grid, args.smoke)
    config = CoverageConfig(technologies=("4G",))

    t = time.perf_counter()
    cov = compute(stations, grid, elevation, config, communes=communes)
    t_cov = time.perf_counter() - t
    print(f"grid: {label}; {grid.shape[0]}×{grid.shape[1]} cells; {len(stations)} 4G stations")
    print(f"coverage run: {t_cov:.2f} s")

    pts = drive_test(cov, n, rng)
    t = time.perf_counter()
    cmp_ = compare(pts, cov, elevation_m=elevation, communes=communes)
    t_cmp = time.perf_counter() - t
    print(f"compare {n:,} points (technology raster): {t_cmp:.2f} s "
          f"({n / t_cmp:,.0f} points/s; target ≤ 5 s for 100,000)")

    pts_cell = drive_test(cov, n, rng, cell_share=0.2)
    n_cells = int(pts_cell.loc[pts_cell["cell_id"] != "", "cell_id"].nunique())
    t = time.perf_counter()
    compare(pts_cell, cov, elevation_m=elevation, communes=communes)
    t_cell = time.perf_counter() - t
    print(f"compare {n:,} points, 20 % with a matching cell id ({n_cells} cells): {t_cell:.2f} s")

    t = time.perf_counter()
    cal = calibrate(cmp_)
    t_fit = time.perf_counter() - t
    f = cal.fits[0]
    print(f"calibrate (offset + slope, 5-fold CV): {t_fit:.2f} s; offset {f.offset_db:+.2f} dB, "
          f"RMSE {f.rmse_db_before:.2f} → {f.rmse_db_after:.2f} dB (CV {f.rmse_db_cv:.2f})")
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
