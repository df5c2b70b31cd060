"""Coverage-engine benchmark: prints figures, asserts nothing (not a test).

    python benchmarks/engine.py --smoke            # a few seconds, for CI
    python benchmarks/engine.py                    # province, 100 m, embedded DEM
    python benchmarks/engine.py --fine             # + 30 m synthetic rough terrain & R3 speed-up

Figures: wall seconds, pixels/s (station-window cells evaluated per second), stations/s,
terrain-on vs terrain-off (flat-earth) time on the same grid, one-station-changed recompute
(per-station cache), peak RSS. With ``--fine``: the province extent at 30 m over a seeded
fractal terrain (Trường Sơn-like relief 0–2000 m) and the speed-up of the radial sweep over
the per-pixel R3 line-of-sight baseline, measured on a subset of stations and extrapolated
(said so in the output). Stations: the default modelled network when ``data/`` has it,
else synthetic sites (527 × 5G + 4G anchor) spread over the province.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import Point

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.coverage import CoverageConfig, analysis_grid, clear_cache, compute  # noqa: E402
from geo.grid import Grid  # noqa: E402
from geo.synthetic import fractal_relief_m  # noqa: E402
from geo.terrain import _viewshed_r3, sweep_window  # noqa: E402

N_SITES = 527


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def fractal_terrain(shape, seed: int = 2025, relief_m: float = 2000.0, beta: float = 1.6):
    """Seeded 1/f^β terrain, float32 FFT (:func:`geo.synthetic.fractal_relief_m`, low memory)."""
    return fractal_relief_m(shape, seed, relief_m, beta, low_memory=True)


def synthetic_sites(grid: Grid, n_sites: int, seed: int = 7,
                    in_province: bool = True) -> gpd.GeoDataFrame:
    """``n_sites`` sites inside the province (or anywhere on ``grid``), 5G + 4G each."""
    rng = np.random.default_rng(seed)
    prov = None
    if in_province:
        try:
            from geo.data import load_province

            prov = load_province().to_crs(grid.crs).geometry.union_all()
        except Exception:
            prov = None
    pts = []
    while len(pts) < n_sites:
        x = rng.uniform(grid.xmin, grid.xmax)
        y = rng.uniform(grid.ymin, grid.ymax)
        if prov is None or prov.contains(Point(x, y)):
            pts.append((x, y))
    xs, ys = np.array(pts).T
    lon, lat = grid.to_lonlat(xs, ys)
    geoms = [Point(a, b) for a, b in zip(lon, lat, strict=True)]
    return gpd.GeoDataFrame(
        {"station_id": [f"{t}{i}" for i in range(n_sites) for t in ("5G-", "4G-")],
         "technology": ["5G", "4G"] * n_sites,
         "band_mhz": [3500.0, 1800.0] * n_sites},
        geometry=[g for g in geoms for _ in range(2)], crs="EPSG:4326")


def load_stations(grid: Grid) -> tuple[gpd.GeoDataFrame, str]:
    try:
        from geo.stations import load_default_stations

        return load_default_stations().stations, "default modelled network"
    except Exception:
        return synthetic_sites(grid, N_SITES), f"synthetic ({N_SITES} sites × 5G + 4G)"


def run(stations, grid, dem, workers: int, terrain: bool = True, label: str = "",
        repeat: int = 1, **config):
    """Best wall time of ``repeat`` cold-cache runs (the 2 shared cores are noisy)."""
    cfg = CoverageConfig(terrain=terrain, workers=workers, **config)
    dt = cpu = math.inf
    for _ in range(max(1, repeat)):
        clear_cache()
        t0, c0 = time.perf_counter(), time.process_time()
        cov = compute(stations, grid, dem, cfg)
        dt = min(dt, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    md = cov.metadata
    print(f"  {label:<28} {dt:7.2f} s wall ({cpu:6.1f} s CPU, load {os.getloadavg()[0]:.1f})  "
          f"{md['cells_evaluated'] / dt / 1e6:7.1f} Mpixel/s  "
          f"{md['stations'] / dt:7.1f} stations/s  covered(any) {cov.covered('any').mean():.1%}  "
          f"peak RSS {peak_rss_mb():,.0f} MB  window radius median "
          f"{md['reach_m']['median'] / 1000:.1f} km")
    return cov, dt, cfg


def bullington_pairs(stations, grid, dem, workers: int, pairs: int) -> None:
    """Bullington vs the single knife edge run back to back, ``pairs`` times.

    The ratio of each pair (same load, seconds apart) is steadier on shared cores than
    the ratio of two best-of-N figures taken minutes apart; prints the pairs' median.
    """
    def timed(model: str) -> tuple[float, float]:
        clear_cache()
        t0, c0 = time.perf_counter(), time.process_time()
        compute(stations, grid, dem, CoverageConfig(workers=workers, diffraction_model=model))
        return time.perf_counter() - t0, time.process_time() - c0

    wall, cpu = [], []
    for _ in range(pairs):
        (wb, cb), (wk, ck) = timed("bullington"), timed("knife-edge")
        wall.append(wb / wk)
        cpu.append(cb / ck)
    print(f"  Bullington ÷ knife edge, {pairs} back-to-back pairs ({workers} workers): wall "
          f"median ×{np.median(wall):.2f} (pairs {min(wall):.2f}–{max(wall):.2f}), CPU median "
          f"×{np.median(cpu):.2f} ({min(cpu):.2f}–{max(cpu):.2f}) (target ≤ 1.5)")


def recompute_one(stations, grid, dem, cfg):
    """Second run with one station moved ~300 m: all others come from the cache."""
    compute(stations, grid, dem, cfg)  # warm the cache
    moved = stations.copy()
    g = moved.geometry.iloc[0]
    moved.loc[moved.index[0], moved.geometry.name] = Point(g.x + 0.003, g.y)
    t0 = time.perf_counter()
    cov = compute(moved, grid, dem, cfg)
    dt = time.perf_counter() - t0
    print(f"  one station changed: {dt:.2f} s (computed {cov.metadata['stations_computed']}, "
          f"from cache {cov.metadata['stations_from_cache']})")


def service_cost(stations, grid, dem, workers: int, repeat: int = 1) -> None:
    """Issue 16: SINR/throughput on vs off on the same grid (target: on ≤ 1.5× off).

    "off" = ``CoverageConfig(sinr=False)`` (no co-channel power sums) and the covered rasters;
    "on" = the default engine plus every per-technology SINR, throughput and limiting-link
    raster and the summary (what ``lomsong coverage`` writes).
    """
    def timed(**cfg):
        best = cpu = math.inf
        for _ in range(max(1, repeat)):
            clear_cache()
            t0, c0 = time.perf_counter(), time.process_time()
            cov = compute(stations, grid, dem, CoverageConfig(workers=workers, **cfg))
            for t in cov.technologies:
                cov.covered(t)
                if cov.has_throughput(t):
                    cov.sinr_db(t)
                    cov.throughput_mbps(t)
                    cov.limiting_link(t)
            best = min(best, time.perf_counter() - t0)
            cpu = min(cpu, time.process_time() - c0)
        return cov, best, cpu

    _, t_off, c_off = timed(sinr=False)
    cov, t_on, c_on = timed(sinr=True)
    print(f"  service off (sinr=False): {t_off:.2f} s wall / {c_off:.2f} s CPU; on (power sums "
          f"+ SINR, throughput, limiting link): {t_on:.2f} s / {c_on:.2f} s CPU → "
          f"×{t_on / t_off:.2f} wall, ×{c_on / c_off:.2f} CPU (target ≤ 1.5)")
    pop = np.ones(grid.shape)
    for t in cov.technologies:
        s = cov.summary(pop, t)
        by = s["people_by_throughput"]
        print(f"    {t}: cells covered both links {s['people_covered']:,.0f}, downlink "
              f"{s['people_covered_downlink']:,.0f}, uplink {s['people_covered_uplink']:,.0f}"
              + (f", ≥ 10 Mbit/s {by['10']:,.0f}" if by else ""))


def r3_speedup(elev, grid, stations, n_sample: int, oversample: int, radius: float = 10_000.0):
    """Sweep vs per-pixel R3 on the same grid for a few stations, at ``radius``."""
    xs, ys = grid.from_lonlat(stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy())
    rows, cols = grid.rowcol(np.asarray(xs), np.asarray(ys))
    idx = np.linspace(0, len(stations) - 1, n_sample).astype(int)
    t_sweep = t_r3 = 0.0
    agree = []
    for i in idx:
        r, c = int(rows[i]), int(cols[i])
        t0 = time.perf_counter()
        ex = sweep_window(elev, grid.resolution_m, r, c, 30.0, 1.5, radius, oversample=oversample)
        t_sweep += time.perf_counter() - t0
        t0 = time.perf_counter()
        b = _viewshed_r3(elev, grid.resolution_m, r, c, 30.0, 1.5, radius)
        t_r3 += time.perf_counter() - t0
        a = ~(ex > 0) & ~np.isnan(ex)
        inside = ~np.isnan(ex)
        agree.append((a == b)[inside].mean())
    print(f"  R3 baseline vs radial sweep (oversample {oversample}), {n_sample} stations, "
          f"{radius / 1000:.0f} km radius at {grid.resolution_m:g} m: sweep {t_sweep / n_sample:.3f} "
          f"s/station, R3 {t_r3 / n_sample:.2f} s/station → speed-up ×{t_r3 / t_sweep:.0f}; "
          f"agreement {np.mean(agree):.2%}")



def model_figures() -> None:
    """The link-budget figures docs/models.md §6 quotes (default n78 site, flat ground)."""
    from geo.link_budget import indoor_margin_db, max_path_loss_db
    from geo.propagation import los_probability, path_loss_db
    from geo.radio_defaults import THRESHOLD_DBM, defaults_for

    d = defaults_for("5G")
    mapl = max_path_loss_db(d.eirp_dbm, d.subcarriers, THRESHOLD_DBM["5G"])
    pl20 = float(path_loss_db("38901-rma", 20_000.0, d.band_mhz, d.height_m, 1.5, strict=False))
    dist = np.arange(10.0, 40_000.0, 10.0)
    los = path_loss_db("38901-rma", dist, d.band_mhz, d.height_m, 1.5, los=True, strict=False)
    nlos = path_loss_db("38901-rma", dist, d.band_mhz, d.height_m, 1.5, los=False, strict=False)
    p = los_probability("38901-rma", dist, 1.5)
    blend = p * los + (1 - p) * nlos
    r_blend = dist[blend <= mapl].max()
    r_los = dist[los <= mapl].max()
    print(f"default n78 site ({d.height_m:g} m, {d.eirp_dbm:g} dBm EIRP, {d.subcarriers} RE, "
          f"threshold {THRESHOLD_DBM['5G']:g} dBm): budget {mapl:.1f} dB; RMa LOS loss at 20 km "
          f"{pl20:.1f} dB; flat-ground covered radius {r_los / 1000:.1f} km with RMa LOS, "
          f"{r_blend / 1000:.1f} km with the LOS-probability blend (the default)")
    margins = ", ".join(f"{f} MHz {indoor_margin_db(f, 'high-loss', 'rural'):.1f}"
                        for f in (900, 1800, 2100, 2600, 3500))
    print(f"high-loss building margin (TR 38.901 O2I, rural, dB): {margins}")


def sweep_kernel_ratio(stations, grid, dem, every: int = 6, repeat: int = 3) -> None:
    """The sweep kernel alone, Bullington vs dominant edge, on the engine's own sweeps.

    Records the ``geo.terrain._sweep`` calls of one engine run (every ``every``-th
    station), then replays each with both methods, single thread, best of ``repeat``:
    a less noisy figure than the two whole-engine runs on shared cores.
    """
    import geo.terrain as terrain

    calls, kernel = [], terrain._sweep
    terrain._sweep = lambda *a: (calls.append(a), kernel(*a))[1]
    try:
        clear_cache()  # every window computed, none from the per-station cache
        compute(stations.iloc[::every], grid, dem, CoverageConfig(workers=1))
    finally:
        terrain._sweep = kernel

    def replay(method: int) -> float:
        outs = {}  # one v_out per sweep, shared by its ray ranges (as in the engine)
        t0 = time.perf_counter()
        for a in calls:
            a = list(a)
            key = id(a[13])
            if key not in outs:
                outs[key] = np.full_like(a[13], np.nan)
            a[13], a[15] = outs[key], method  # v_out, method
            kernel(*a)
        return time.perf_counter() - t0

    t_dom = t_bul = math.inf
    for _ in range(repeat):  # interleaved: a load change hits both methods alike
        t_dom = min(t_dom, replay(0))
        t_bul = min(t_bul, replay(1))
    n_sweeps = sum(1 for a in calls if a[17] == 0)  # each sweep walks its rays in ranges
    print(f"  sweep kernel alone ({n_sweeps} engine sweeps, 1 thread): Bullington "
          f"{t_bul:.2f} s, dominant edge {t_dom:.2f} s → ×{t_bul / t_dom:.2f}")


def main(argv=None) -> int:
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny run, a few seconds")
    ap.add_argument("--fine", action="store_true", help="also 30 m synthetic terrain + R3 speed-up")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args(argv)
    print(f"cores available: {os.cpu_count()}, workers: {args.workers}")
    model_figures()

    if args.smoke:
        grid = Grid(600_000, 1_800_000, 630_000, 1_830_000, 100.0)
        stations = synthetic_sites(grid, 6, in_province=False)
        elev = fractal_terrain(grid.shape, relief_m=1000.0)
        print(f"smoke: {grid.shape} cells at 100 m, {len(stations)} synthetic stations")
        run(stations, grid, elev, args.workers, True, "terrain on (warm-up+JIT)")
        _, _, cfg = run(stations, grid, elev, args.workers, True, "terrain on")
        run(stations, grid, elev, args.workers, False, "terrain off (flat earth)")
        recompute_one(stations, grid, elev, cfg)
        bullington_pairs(stations, grid, elev, args.workers, 1)
        sweep_kernel_ratio(stations, grid, elev, every=1, repeat=1)
        service_cost(stations, grid, elev, args.workers)
        r3_speedup(elev, grid, stations, 2, 1)
        return 0

    from geo.dem import load_dem

    grid = analysis_grid(100.0)
    stations, what = load_stations(grid)
    dem = load_dem()
    print(f"province 100 m: {grid.shape} cells, stations: {what} = {len(stations)}, "
          f"DEM: {dem.describe()}")
    run(stations.iloc[:4], grid, dem, args.workers, True, "warm-up (JIT load)")
    run(stations.iloc[:4], grid, dem, args.workers, True, "warm-up (knife edge)",
        diffraction_model="knife-edge")
    _, t_on, cfg = run(stations, grid, dem, args.workers, True, "terrain on", args.repeat)
    _, t_ke, _ = run(stations, grid, dem, args.workers, True, "terrain on, knife edge",
                     args.repeat, diffraction_model="knife-edge")
    _, t_off, _ = run(stations, grid, dem, args.workers, False, "terrain off (flat earth)",
                      args.repeat)
    print(f"  terrain model costs ×{t_on / t_off:.1f} the flat-earth time; Bullington "
          f"(default) ×{t_on / t_ke:.2f} the single knife edge (the former engine), best of each")
    bullington_pairs(stations, grid, dem, args.workers, max(3, args.repeat))
    sweep_kernel_ratio(stations, grid, dem, repeat=args.repeat)
    recompute_one(stations, grid, dem, cfg)
    service_cost(stations, grid, dem, args.workers, args.repeat)

    if args.fine:
        grid30 = analysis_grid(30.0)
        t0 = time.perf_counter()
        elev = fractal_terrain(grid30.shape)
        print(f"province 30 m: {grid30.shape} cells; synthetic fractal terrain 0–2000 m "
              f"(seed 2025) made in {time.perf_counter() - t0:.1f} s")
        _, t30, _ = run(stations, grid30, elev, args.workers, True, "30 m terrain on")
        print(f"  30 m synthetic province, every station, terrain on: {t30:.1f} s wall "
              f"(target ≤ 60 s), peak RSS {peak_rss_mb() / 1024:.2f} GB (target ≤ 4 GB)")
        r3_speedup(elev, grid30, stations, 3, 1)
        del elev
        # measured at the engine's 40 km cap (on the 100 m grid: R3 at 30 m would take hours)
        elev100 = fractal_terrain(grid.shape)
        r3_speedup(elev100, grid, stations, 2, 1, radius=40_000.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
