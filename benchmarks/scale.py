"""Scale benchmark of the coverage engine: 500, 5,000 and 50,000 stations on synthetic terrain.

    python benchmarks/scale.py                  # full run (minutes): stations and area series
    python benchmarks/scale.py --smoke          # CI: tiny, a few seconds
    python benchmarks/scale.py --workers 2      # the same cases through Dask (LocalCluster)
    python benchmarks/scale.py --resolution 1000 --json figures.json

Synthetic inputs, seeded (no data needed): a square extent in UTM 48N (EPSG:32648) with rough
fractal terrain (octaves of smoothed Gaussian noise, 0–2,000 m) and three-sector LTE 1800 sites
(30 m masts, the engine's defaults otherwise) placed uniformly at random. Each case runs
:func:`geo.coverage.compute` with terrain on (line of sight + diffraction) in a fresh process,
so the figures are independent:

* ``seconds`` — wall time of ``compute`` (threads over the machine's cores, or Dask tasks);
* ``peak_rss_mb`` — the process's peak resident memory (``resource.getrusage``) and
  ``delta_mb`` its growth during ``compute`` (the per-station cache is disabled, so this is the
  engine's own footprint: province rasters + windows in flight; with Dask the workers' memory
  is not included);
* ``us_per_station`` and ``ns_per_cell`` — time per station and per station-window cell.

Two series: **stations** (500 / 5,000 / 50,000 on a 400 × 400 km extent) and **area**
(100, 200, 400 km squares at the same station density as the 5,000 case). Time grows with
stations × cells per window (window area ∝ (reach / resolution)²), and with area only through
the number of stations and the combination of the rasters.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEED = 20250701
ORIGIN_M = (300_000.0, 1_700_000.0)  # south-west corner of the extents, EPSG:32648
MAX_ELEV_M = 2000.0
MAST_M = 30.0
SECTORS_DEG = (0.0, 120.0, 240.0)


def synthetic_terrain(side_km: float, resolution_m: float, seed: int = SEED):
    """Grid and rough terrain (float32 metres) on it: octaves of smoothed noise, seeded.

    Each octave (wavelengths 40, 10, 2.5 and 0.6 km) is drawn on a grid of a quarter of its
    wavelength (never finer than the target), smoothed by 2 of its cells and interpolated
    bilinearly onto the target grid — the same terrain statistics at any resolution, at
    the cost of a few small filters.
    """
    import numpy as np
    from scipy.ndimage import gaussian_filter, zoom

    from geo.grid import Grid

    x0, y0 = ORIGIN_M
    side_m = side_km * 1000.0
    grid = Grid.from_bounds((x0, y0, x0 + side_m, y0 + side_m), resolution_m)
    rng = np.random.default_rng(seed)
    z = np.zeros(grid.shape, dtype=np.float32)  # float32 throughout: small setup footprint
    for scale_m, weight in ((40_000, 1.0), (10_000, 0.5), (2_500, 0.25), (600, 0.1)):
        cell_m = max(resolution_m, scale_m / 4.0)
        n = (max(2, math.ceil(grid.shape[0] * resolution_m / cell_m)),
             max(2, math.ceil(grid.shape[1] * resolution_m / cell_m)))
        octave = gaussian_filter(rng.standard_normal(n), 2.0, mode="wrap").astype(np.float32)
        octave = zoom(octave, (grid.shape[0] / n[0], grid.shape[1] / n[1]), order=1,
                      grid_mode=True, mode="grid-wrap")[: grid.shape[0], : grid.shape[1]]
        octave *= np.float32(weight / (float(octave.std()) or 1.0))
        z += octave
        del octave
    z -= z.min()
    z *= np.float32(MAX_ELEV_M / float(z.max()))
    return grid, z


def synthetic_stations(n: int, grid, seed: int = SEED):
    """``n`` LTE 1800 stations: three-sector sites uniform over the grid (EPSG:32648)."""
    import geopandas as gpd
    import numpy as np

    rng = np.random.default_rng(seed + n)
    sites = math.ceil(n / len(SECTORS_DEG))
    margin = grid.resolution_m
    xs = rng.uniform(grid.xmin + margin, grid.xmax - margin, sites)
    ys = rng.uniform(grid.ymin + margin, grid.ymax - margin, sites)
    az = np.tile(SECTORS_DEG, sites)[:n]
    site = np.repeat(np.arange(sites), len(SECTORS_DEG))[:n]
    return gpd.GeoDataFrame({
        "station_id": [f"S{i:06d}" for i in range(n)],
        "site_id": [f"T{s:06d}" for s in site],
        "technology": "4G", "band_mhz": 1800.0, "height_m": MAST_M,
        "eirp_dbm": np.nan, "azimuth_deg": az, "tilt_deg": 2.0,
    }, geometry=gpd.points_from_xy(xs[site], ys[site]), crs=grid.crs)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def run_case(n: int, side_km: float, resolution_m: float, workers: int | None) -> dict:
    """One case in this process; returns its figures."""
    from geo.coverage import CoverageConfig, compute

    t = time.perf_counter()
    grid, elev = synthetic_terrain(side_km, resolution_m)
    stations = synthetic_stations(n, grid)
    setup_s = time.perf_counter() - t
    # one fixed model (no commune lookup), no per-station cache: the engine's own cost
    config = CoverageConfig(model="38901-rma", cache_max_mb=0.0)
    # load the compiled kernels on a small grid first, so that neither the time nor the
    # memory growth below includes them
    wgrid, welev = synthetic_terrain(20.0, resolution_m)
    warm = (synthetic_stations(3, wgrid), wgrid, welev, config)
    compute(*warm)
    cluster_s = 0.0
    if workers:
        from analysis.distributed import DaskExecutor, dask_client

        t = time.perf_counter()
        with dask_client(workers) as client:
            ex = DaskExecutor(client)
            client.run(compute, *warm)  # every worker loads the kernels once
            compute(*warm, executor=ex)
            cluster_s = time.perf_counter() - t
            base = _rss_mb()
            t = time.perf_counter()
            cov = compute(stations, grid, elev, config, executor=ex)
            seconds = time.perf_counter() - t
    else:
        base = _rss_mb()
        t = time.perf_counter()
        cov = compute(stations, grid, elev, config)
        seconds = time.perf_counter() - t
    md = cov.metadata
    cells = int(md["cells_evaluated"])
    return {
        "stations": n, "side_km": side_km, "area_km2": side_km ** 2,
        "resolution_m": resolution_m, "grid_cells": int(grid.shape[0] * grid.shape[1]),
        "workers": workers or 0, "threads": config.workers or os.cpu_count(),
        "seconds": round(seconds, 3), "setup_s": round(setup_s, 2),
        "cluster_start_s": round(cluster_s, 2),
        "us_per_station": round(1e6 * seconds / n, 1),
        "ns_per_cell": round(1e9 * seconds / max(cells, 1), 1),
        "cells_evaluated": cells, "reach_median_m": md["reach_m"]["median"],
        "covered_share": round(float(cov.covered("any").mean()), 4),
        "peak_rss_mb": round(_rss_mb(), 1), "delta_mb": round(_rss_mb() - base, 1),
    }


def cases(smoke: bool) -> list[tuple[str, int, float]]:
    """(series, stations, side_km)."""
    if smoke:
        return [("stations", 30, 40.0), ("stations", 120, 40.0), ("area", 30, 20.0)]
    density = 5000 / 400.0 ** 2  # stations per km² of the 5,000 case
    out = [("stations", n, 400.0) for n in (500, 5000, 50000)]
    out += [("area", round(density * s * s), s) for s in (100.0, 200.0)]
    return out


def _print_table(rows: list[dict]) -> None:
    head = ("series", "stations", "side_km", "grid_cells", "reach_median_m", "seconds",
            "us_per_station", "ns_per_cell", "peak_rss_mb", "delta_mb", "covered_share")
    if any(r.get("workers") for r in rows):
        head += ("cluster_start_s",)
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for r in rows:
        print("| " + " | ".join(f"{r.get(h, '')}" for h in head) + " |")


def _growth(rows: list[dict]) -> None:
    """Log–log slopes: time ∝ stations^a (fixed area), time ∝ area^b (fixed density)."""
    for series, key in (("stations", "stations"), ("area", "area_km2")):
        pts = [(r[key], r["seconds"]) for r in rows if r["series"] == series and r["seconds"] > 0]
        if series == "area":  # the 400 km case of the stations series has the same density
            pts += [(r[key], r["seconds"]) for r in rows
                    if r["series"] == "stations" and r["stations"] == 5000]
        pts.sort()
        if len(pts) >= 2:
            (x0, t0), (x1, t1) = pts[0], pts[-1]
            slope = math.log(t1 / t0) / math.log(x1 / x0)
            print(f"time grows as {key}^{slope:.2f} ({series} series, {x0:g} → {x1:g}: "
                  f"{t0:.2f} s → {t1:.2f} s)")


def _load() -> str:
    """The 1/5/15-minute load averages: the context every time figure needs."""
    try:
        return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "load average unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny cases for CI (seconds)")
    ap.add_argument("--resolution", type=float, default=500.0, help="cell size, m (default 500)")
    ap.add_argument("--workers", type=int, default=0,
                    help="run compute on a Dask LocalCluster of N processes (default: threads)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--case", help=argparse.SUPPRESS)  # internal: one case, in a child process
    args = ap.parse_args(argv)

    if args.case:
        spec = json.loads(args.case)
        print(json.dumps(run_case(spec["n"], spec["km"], spec["res"], spec["workers"] or None)))
        return 0

    print(f"coverage engine scale benchmark — {os.cpu_count()} cores, resolution "
          f"{args.resolution:g} m, {'Dask workers: ' + str(args.workers) if args.workers else 'threads'}"
          f"{' (smoke)' if args.smoke else ''}; {_load()}")
    rows = []
    for series, n, km in cases(args.smoke):
        spec = json.dumps({"n": n, "km": km, "res": args.resolution, "workers": args.workers})
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--case", spec], capture_output=True,
                              text=True, check=False)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        row = {"series": series, **json.loads(proc.stdout.strip().splitlines()[-1])}
        rows.append(row)
        print(f"  {series}: {n} stations on {km:g} × {km:g} km: {row['seconds']:.2f} s "
              f"(case process {time.perf_counter() - t:.0f} s)", flush=True)
    print()
    _print_table(rows)
    print()
    _growth(rows)
    print(f"at the end: {_load()} (times scale with the machine's load: compare like with like)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
