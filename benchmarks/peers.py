"""Peers side by side on the same synthetic fine terrain: prints figures, asserts nothing.

    python benchmarks/peers.py --smoke     # CI: 2 sites, 5 km, 200 profiles, < 2 min on 2 cores
    python benchmarks/peers.py             # 8 sites (valleys, ridges, slopes), 10 and 30 km,
                                           # 3.5 and 1.8 GHz, 400 profiles

Terrain: a seeded 1/f^β fractal relief 0–2000 m written as one SRTM-3 tile (N16E106.hgt,
3″ ≈ 90 m) — what SPLAT! reads (through ``srtm2sdf``) — and the same tile warped to
UTM 48N at 90 m (GeoTIFF) — what lomsong (``geo.coverage.station_map`` on the DEM's own
grid) and ``gdal_viewshed`` read. Peers, each run with a timeout and skipped with a
printed reason when missing:

* ``gdal_viewshed`` (GDAL) and GRASS ``r.viewshed`` (optional): line-of-sight agreement
  (% of cells within the radius) and speed;
* SPLAT! 1.4.2 (``splat -olditm``: Longley–Rice ITM, 50 %/50 %, equatorial climate):
  LOS agreement with its obstructed marks, path-loss median / RMS difference of several
  lomsong physics choices against its ITM, split by ITM-clear and obstructed points,
  and speed (warm single site, a batch, a fresh process);
* pycraf (ITU-R P.452-16 delta-Bullington, ``pathprof.loss_diffraction``) and itmlogic
  (ITM 1.2.2) on sampled point-to-point profiles: the engine's diffraction (Bullington,
  P.526-15 §4.5.1 with eq. (57) — equal to the engine's per-cell value, see
  tests/test_bullington_sweep.py) against theirs.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.coverage import CoverageConfig, compute, station_map  # noqa: E402
from geo.dem import load_dem  # noqa: E402
from geo.diffraction import bullington_loss_db  # noqa: E402
from geo.grid import Grid, write_geotiff  # noqa: E402
from geo.propagation import itm_point_to_point_loss_db  # noqa: E402
from geo.synthetic import fractal_relief_m  # noqa: E402

TILE = "N16E106"
TILE_LON, TILE_LAT = 106.0, 16.0
RES_M = 90.0
H_TX_M, H_RX_M = 30.0, 1.5
PEER_TIMEOUT_S = 180  # SPLAT! 1.4.2 can spin at 100 % CPU after writing its report
REPO = Path(__file__).resolve().parent.parent

# lomsong physics choices compared with ITM (name → CoverageConfig keywords, model)
VARIANTS = {
    "default (blend, Bullington, NLOS floor)": ({}, "38901-rma"),
    "blend + Bullington, no floor": ({"obstructed_model": "diffraction"}, "38901-rma"),
    "RMa-LOS + Bullington": ({"clear_model": "los", "obstructed_model": "diffraction"},
                             "38901-rma"),
    "free space + Bullington": ({"clear_model": "los", "obstructed_model": "diffraction"},
                                "fspl"),
    "free space + knife edge (former)": ({"clear_model": "los", "obstructed_model": "diffraction",
                                          "diffraction_model": "knife-edge"}, "fspl"),
    "default, knife edge (former)": ({"diffraction_model": "knife-edge"}, "38901-rma"),
    "blend + knife edge, no floor": ({"diffraction_model": "knife-edge",
                                      "obstructed_model": "diffraction"}, "38901-rma"),
}
_FLOOR_PAIRS = {  # (with the NLOS floor, without it)
    "_floor Bullington": ("default (blend, Bullington, NLOS floor)", "blend + Bullington, no floor"),
    "_floor knife edge": ("default, knife edge (former)", "blend + knife edge, no floor"),
}


# ----------------------------------------------------------------------------- terrain
def fractal(shape, seed=2025, relief_m=2000.0, beta=1.6):
    """Seeded 1/f^β spectral relief (:func:`geo.synthetic.fractal_relief_m`)."""
    return fractal_relief_m(shape, seed, relief_m, beta)


def make_terrain(work: Path, half_km: float):
    """The .hgt tile, its SPLAT! .sdf (when srtm2sdf exists) and the UTM 90 m GeoTIFF."""
    z = fractal((1201, 1201))
    hgt = work / f"{TILE}.hgt"
    hgt.write_bytes(np.round(z).astype(">i2").tobytes())
    dem = load_dem(hgt)
    lon0, lat0 = TILE_LON + 0.5, TILE_LAT + 0.5
    g0 = Grid(0, 0, 1, 1, 30.0)
    x0, y0 = g0.from_lonlat(lon0, lat0)
    h = half_km * 1000.0
    grid = Grid.from_bounds((x0 - h, y0 - h, x0 + h, y0 + h), RES_M)
    utm = work / "terrain_utm90.tif"
    write_geotiff(utm, np.asarray(dem.on_grid(grid), dtype=np.float32), grid, nodata=np.nan)
    return hgt, utm, grid


def pick_sites(utm: Path, n: int, radius_m: float, seed: int = 7):
    """Sites in valleys, on ridges and on slopes (elevation percentiles), ≥ radius inside."""
    dem = load_dem(utm)
    z = dem.elevation_m
    pad = int(radius_m / RES_M) + 2
    inner = z[pad:-pad, pad:-pad]
    rng = np.random.default_rng(seed)
    kinds = ["valley", "ridge", "slope"]
    out = []
    for i in range(n):
        kind = kinds[i % 3]
        q = {"valley": (5, 20), "ridge": (85, 99), "slope": (40, 60)}[kind]
        lo, hi = np.percentile(inner, q)
        rr, cc = np.nonzero((inner >= lo) & (inner <= hi))
        j = rng.integers(rr.size)
        r, c = int(rr[j]) + pad, int(cc[j]) + pad
        x = dem.transform.c + (c + 0.5) * RES_M
        y = dem.transform.f - (r + 0.5) * RES_M
        out.append({"kind": kind, "row": r, "col": c, "x": x, "y": y})
    return out


# ----------------------------------------------------------------------------- peers
def _run(cmd, cwd=None, timeout=PEER_TIMEOUT_S):
    """(seconds, CompletedProcess or None on timeout)."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, None
    return time.perf_counter() - t0, proc


def _read_on(path: Path, like: Path) -> np.ndarray:
    """A peer's 0/1 raster placed on ``like``'s grid (peers may crop to the radius)."""
    import rasterio

    with rasterio.open(like) as ref, rasterio.open(path) as src:
        full = np.zeros((ref.height, ref.width), dtype=bool)
        r0 = round((ref.transform.f - src.transform.f) / RES_M)
        c0 = round((src.transform.c - ref.transform.c) / RES_M)
        full[r0:r0 + src.height, c0:c0 + src.width] = src.read(1) == 1
    return full


def gdal_los(utm: Path, site, radius_m, work: Path):
    """gdal_viewshed's line of sight (bool array on the GeoTIFF's grid) and its seconds."""
    out = work / f"vs_{site['row']}_{site['col']}.tif"
    secs, proc = _run(["gdal_viewshed", "-q", "-ox", f"{site['x']}", "-oy", f"{site['y']}",
                       "-oz", f"{H_TX_M}", "-tz", f"{H_RX_M}", "-md", f"{radius_m}",
                       "-cc", "0.75", "-vv", "1", "-iv", "0", "-ov", "255", str(utm), str(out)])
    if proc is None or proc.returncode != 0:
        return None, secs
    return _read_on(out, utm), secs


def grass_los(utm: Path, site, radius_m, work: Path):
    """GRASS r.viewshed in a throw-away location (None when GRASS is missing or fails)."""
    grass = shutil.which("grass")
    if grass is None:
        return None, 0.0
    loc = work / "grassloc"
    if not loc.exists():
        secs, proc = _run([grass, "-c", str(utm), "-e", str(loc)])
        if proc is None or proc.returncode != 0:
            return None, secs
    out = work / f"rv_{site['row']}_{site['col']}.tif"
    script = (f"r.in.gdal -o input={utm} output=dem --overwrite --quiet && "
              f"g.region raster=dem && r.viewshed -cb input=dem output=vs "
              f"coordinates={site['x']},{site['y']} observer_elevation={H_TX_M} "
              f"target_elevation={H_RX_M} max_distance={radius_m} refraction_coeff=0.25 "
              f"--overwrite --quiet && r.out.gdal input=vs output={out} --overwrite --quiet")
    secs, proc = _run([grass, str(loc / "PERMANENT"), "--exec", "bash", "-c", script])
    if proc is None or proc.returncode != 0 or not out.exists():
        return None, secs
    return _read_on(out, utm), secs


def splat_points(hgt_dir: Path, site, radius_m, f_mhz, work: Path):
    """SPLAT! ITM path-loss map as points: (lat, lon, loss_db, obstructed), seconds."""
    lon, lat = Grid(0, 0, 1, 1, 30.0).to_lonlat(site["x"], site["y"])
    name = f"tx{site['row']}_{site['col']}"
    (work / f"{name}.qth").write_text(f"{name}\n{float(lat):.6f}\n{360.0 - float(lon):.6f}\n"
                                      f"{H_TX_M:g} meters\n")
    (work / f"{name}.lrp").write_text(
        "15.000 ; Earth Dielectric Constant\n0.005 ; Earth Conductivity (S/m)\n"
        "360.000 ; Atmospheric Bending Constant (N-units)\n"
        f"{f_mhz:.3f} ; Frequency in MHz\n1 ; Radio Climate (1 = Equatorial)\n"
        "1 ; Polarization (1 = Vertical)\n0.50 ; Fraction of situations\n"
        "0.50 ; Fraction of time\n0.0 ; ERP (W)\n")
    ano = work / f"{name}_{f_mhz:g}.dat"
    secs, proc = _run(["splat", "-t", f"{name}.qth", "-L", f"{H_RX_M}", "-R",
                       f"{radius_m / 1000:g}", "-metric", "-olditm", "-N", "-d", str(hgt_dir),
                       "-ano", str(ano), "-o", f"{name}.ppm"], cwd=work)
    if proc is None or not ano.exists():
        return None, secs
    rows = []
    for line in ano.read_text().splitlines()[2:]:
        parts = line.replace("*", " *").split(",")
        if len(parts) < 5:
            continue
        loss_txt = parts[4].split()
        rows.append((float(parts[0]), 360.0 - float(parts[1]), float(loss_txt[0]),
                     len(loss_txt) > 1))
    return (np.array(rows) if rows else None), secs


# ----------------------------------------------------------------------------- lomsong
def lomsong_maps(utm_dem, site, radius_m, f_mhz, repeat: int = 3):
    """Station maps for every physics variant; the default's warm seconds (best of
    ``repeat`` calls: the first call at a new radius also builds the engine's lookup
    tables, which a warm process has)."""
    st = {"x": site["x"], "y": site["y"], "technology": "5G" if f_mhz >= 3000 else "4G",
          "band_mhz": f_mhz, "height_m": H_TX_M}
    maps = {}
    secs = math.inf
    for i, (name, (kw, model)) in enumerate(VARIANTS.items()):
        cfg = CoverageConfig(**kw)
        for _ in range(repeat if i == 0 else 1):  # the default variant is the timed one
            t0 = time.perf_counter()
            maps[name] = station_map(st, utm_dem, radius_m=radius_m, model=model,
                                     rx_height_m=H_RX_M, config=cfg)
            if i == 0:
                secs = min(secs, time.perf_counter() - t0)
    return maps, secs


def _on_dem_grid(m, dem_shape, utm_grid_origin, arr, fill):
    """A station-map layer placed on the whole GeoTIFF grid."""
    full = np.full(dem_shape, fill, dtype=arr.dtype)
    x0, y0 = utm_grid_origin
    r0 = round((y0 - m.grid.ymax) / RES_M)
    c0 = round((m.grid.xmin - x0) / RES_M)
    full[r0:r0 + m.grid.height, c0:c0 + m.grid.width] = arr
    return full


def _stats(d):
    d = np.asarray(d, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return "n=0"
    return f"median {np.median(d):+6.1f}  RMS {math.sqrt(np.mean(d**2)):5.1f} dB  (n={d.size})"


# ----------------------------------------------------------------------------- profiles
def sample_profiles(utm_dem, n, rng):
    """(distances_m, heights_m) of n seeded straight profiles, 2–20 km, 90 m steps."""
    z = utm_dem.elevation_m
    out = []
    while len(out) < n:
        length = rng.uniform(2_000.0, 20_000.0)
        ang = rng.uniform(0, 2 * math.pi)
        k = int(length / RES_M)
        r0 = rng.uniform(0, z.shape[0])
        c0 = rng.uniform(0, z.shape[1])
        rr = r0 + np.arange(k + 1) * math.sin(ang)
        cc = c0 + np.arange(k + 1) * math.cos(ang)
        if rr.min() < 0 or cc.min() < 0 or rr.max() > z.shape[0] - 1 or cc.max() > z.shape[1] - 1:
            continue
        from scipy.ndimage import map_coordinates

        h = map_coordinates(z, [rr, cc], order=1)
        out.append((np.arange(k + 1) * RES_M, h.astype(float)))
    return out


def profile_comparison(profiles, f_mhz):
    """Engine diffraction vs pycraf P.452-16 delta-Bullington and vs ITM's excess loss."""
    ours = np.array([bullington_loss_db(d, h, H_TX_M, H_RX_M, f_mhz) for d, h in profiles])
    print(f"  {len(profiles)} profiles 2–20 km at {RES_M:g} m, {f_mhz:g} MHz: engine "
          f"diffraction (Bullington + eq. 57) median {np.median(ours):.1f} dB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import astropy.units as u
            from pycraf import pathprof
    except ImportError as exc:
        print(f"  pycraf: skipped ({exc}; pip install pycraf)")
    else:
        t0 = time.perf_counter()
        theirs = []
        for d, h in profiles:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pp = pathprof.PathProp(
                    f_mhz / 1000.0 * u.GHz, 293.15 * u.K, 1013.0 * u.hPa, 106.5 * u.deg,
                    16.5 * u.deg, 106.6 * u.deg, 16.5 * u.deg, H_TX_M * u.m, H_RX_M * u.m,
                    RES_M / 1000.0 * u.km, 50 * u.percent, hprof_dists=d / 1000.0 * u.km,
                    hprof_heights=h * u.m, hprof_bearing=90 * u.deg,
                    hprof_backbearing=270 * u.deg, generic_heights=True,
                    delta_N=39.25 * u.dimensionless_unscaled / u.km, N0=360 * u.dimensionless_unscaled)
                theirs.append(float(pathprof.loss_diffraction(pp)[0].value))
        diff = ours - np.array(theirs)
        print(f"  pycraf P.452-16 delta-Bullington (k = 4/3): ours − pycraf {_stats(diff)}; "
              f"|Δ| ≤ 1 dB on {np.mean(np.abs(diff) <= 1.0):.0%} "
              f"({time.perf_counter() - t0:.1f} s)")
    try:
        itm = []
        for d, h in profiles:
            loss, info = itm_point_to_point_loss_db(h, d[-1], H_TX_M, H_RX_M, f_mhz)
            itm.append(loss - info["free_space_db"])
        diff = ours - np.array(itm)
        print(f"  itmlogic ITM excess over free space: ours − ITM {_stats(diff)}")
    except ImportError as exc:
        print(f"  itmlogic: skipped ({exc})")


# ----------------------------------------------------------------------------- main
def fresh_process_s(site, radius_m, f_mhz, utm: Path, out: Path):
    lon, lat = Grid(0, 0, 1, 1, 30.0).to_lonlat(site["x"], site["y"])
    cmd = [sys.executable, "-c", "import sys; from lomsong.cli import main; sys.exit(main())",
           "station", "--lon", f"{float(lon)}", "--lat", f"{float(lat)}", "--height",
           f"{H_TX_M}", "--band", f"{f_mhz}", "--radius", f"{radius_m}", "--model", "38901-rma",
           "--dem", str(utm), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=PEER_TIMEOUT_S,
                          check=False)
    return time.perf_counter() - t0, proc.returncode


def main(argv=None) -> int:
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="2 sites, 5 km, one band (CI)")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    args = ap.parse_args(argv)
    smoke = args.smoke
    radii = [5_000.0] if smoke else [10_000.0, 30_000.0]
    bands = [1800.0] if smoke else [3500.0, 1800.0]
    n_sites = 2 if smoke else 8
    n_profiles = 200 if smoke else 400
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lomsong-peers-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}; work folder: {work}")
    half_km = 12.0 if smoke else 48.0
    hgt, utm, _ = make_terrain(work, half_km)
    utm_dem = load_dem(utm)
    origin = (utm_dem.transform.c, utm_dem.transform.f)
    print(f"terrain: fractal 0–2000 m (seed 2025) as {hgt.name} (3″) and {utm.name} "
          f"({utm_dem.shape[1]}×{utm_dem.shape[0]} cells of {RES_M:g} m, UTM 48N)")

    have = {t: shutil.which(t) for t in ("splat", "srtm2sdf", "gdal_viewshed", "grass")}
    for t, p in have.items():
        print(f"  {t}: {p or 'not on PATH — skipped'}")
    if have["splat"] and have["srtm2sdf"]:
        secs, proc = _run(["srtm2sdf", "-d", "/dev/null", hgt.name], cwd=work)
        if proc is None or proc.returncode != 0:
            print(f"  srtm2sdf failed ({'timeout' if proc is None else proc.stderr.strip()[:200]}): "
                  "SPLAT! skipped")
            have["splat"] = None

    # warm the engine (numba cache load / JIT) before timing anything
    station_map({"x": origin[0] + 5_000, "y": origin[1] - 5_000, "technology": "4G"}, utm_dem,
                radius_m=1_000.0, model="38901-rma")

    for radius in radii:
        sites = pick_sites(utm, n_sites, radius)
        for f_mhz in bands:
            print(f"\n== {len(sites)} sites ({', '.join(s['kind'] for s in sites)}), "
                  f"{radius / 1000:g} km, {f_mhz:g} MHz ==")
            _compare_sites(sites, radius, f_mhz, utm, utm_dem, origin, work, have)
        _batch_and_fresh(sites, radius, bands[-1], utm, utm_dem, work, have)

    print("\n== point-to-point profiles ==")
    rng = np.random.default_rng(11)
    profiles = sample_profiles(utm_dem, n_profiles, rng)
    for f_mhz in bands:
        profile_comparison(profiles, f_mhz)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _compare_sites(sites, radius, f_mhz, utm, utm_dem, origin, work, have):
    agree = {"gdal_viewshed": [], "r.viewshed": [], "SPLAT!": []}
    t_ours, t_gdal, t_grass, t_splat = [], [], [], []
    delta = {name: {"clear": [], "obstructed": []} for name in VARIANTS}
    yy, xx = np.mgrid[0:utm_dem.shape[0], 0:utm_dem.shape[1]]
    for s in sites:
        maps, secs = lomsong_maps(utm_dem, s, radius, f_mhz)
        t_ours.append(secs)
        m0 = maps[next(iter(VARIANTS))]
        los = _on_dem_grid(m0, utm_dem.shape, origin, m0.los, False)
        inside = np.hypot(yy - s["row"], xx - s["col"]) * RES_M <= radius - RES_M
        inside[s["row"], s["col"]] = False
        if have["gdal_viewshed"]:
            g, secs = gdal_los(utm, s, radius, work)
            t_gdal.append(secs)
            if g is not None:
                agree["gdal_viewshed"].append((g == los)[inside].mean())
        if have["grass"]:
            g, secs = grass_los(utm, s, radius, work)
            if g is not None:
                t_grass.append(secs)
                agree["r.viewshed"].append((g == los)[inside].mean())
        if have["splat"]:
            pts, secs = splat_points(work, s, radius, f_mhz, work)
            t_splat.append(secs)
            if pts is not None:
                _splat_deltas(pts, maps, utm_dem, origin, los, agree, delta)
    for peer, vals in agree.items():
        if vals:
            print(f"  LOS agreement with {peer}: {np.mean(vals):.1%} of cells "
                  f"(per site {min(vals):.1%}–{max(vals):.1%})")
    if any(delta[n]["clear"] or delta[n]["obstructed"] for n in VARIANTS):
        print("  path loss, lomsong − SPLAT! ITM (-olditm), by SPLAT!'s clear / obstructed points:")
        for name in VARIANTS:
            parts = delta[name]
            print(f"    {name:<40} clear: {_stats(np.concatenate(parts['clear'] or [[]]))}")
            print(f"    {'':<40} obstructed: {_stats(np.concatenate(parts['obstructed'] or [[]]))}")
    for key in _FLOOR_PAIRS:
        if delta.get(key):
            print(f"  the NLOS floor decides {np.mean(delta[key]):.1%} of obstructed cells with "
                  f"{key.split(' ', 1)[1]} diffraction")
    mo = np.mean(t_ours)
    print(f"  warm single site: lomsong {mo:.4f} s (station_map, 4 layers, best of 3 per site)")
    for peer, ts in (("SPLAT!", t_splat), ("gdal_viewshed", t_gdal), ("r.viewshed", t_grass)):
        if ts:
            print(f"    {peer}: {np.mean(ts):.2f} s → ×{np.mean(ts) / mo:.0f} lomsong's time")


def _splat_deltas(pts, maps, utm_dem, origin, los, agree, delta):
    g = Grid(0, 0, 1, 1, 30.0)
    x, y = g.from_lonlat(pts[:, 1], pts[:, 0])
    c = np.floor((np.asarray(x) - origin[0]) / RES_M).astype(int)
    r = np.floor((origin[1] - np.asarray(y)) / RES_M).astype(int)
    ok = (r >= 0) & (r < utm_dem.shape[0]) & (c >= 0) & (c < utm_dem.shape[1])
    r, c, loss, obst = r[ok], c[ok], pts[ok, 2], pts[ok, 3] > 0
    agree["SPLAT!"].append(np.mean(los[r, c] == ~obst))
    for name, m in maps.items():
        pl = _on_dem_grid(m, utm_dem.shape, origin, m.path_loss_db, np.float32(np.nan))
        d = pl[r, c] - loss
        delta[name]["clear"].append(d[~obst])
        delta[name]["obstructed"].append(d[obst])
    # how often the TR 38.901 NLOS floor decides an obstructed cell (floor vs none)
    for key, (with_floor, without) in _FLOOR_PAIRS.items():
        a, b = maps[with_floor], maps[without]
        hidden = ~a.los & ~np.isnan(a.path_loss_db)
        if hidden.any():
            delta.setdefault(key, []).append(
                float((np.abs(a.path_loss_db - b.path_loss_db)[hidden] > 0.01).mean()))


def _batch_and_fresh(sites, radius, f_mhz, utm, utm_dem, work, have):
    """A batch of stations in one compute() vs SPLAT! per site; a fresh process each."""
    import geopandas as gpd
    from shapely.geometry import Point

    n = 50
    rng = np.random.default_rng(3)
    g = Grid(0, 0, 1, 1, 30.0)
    xs = utm_dem.transform.c + radius + rng.uniform(0, utm_dem.shape[1] * RES_M - 2 * radius, n)
    ys = utm_dem.transform.f - radius - rng.uniform(0, utm_dem.shape[0] * RES_M - 2 * radius, n)
    lon, lat = g.to_lonlat(xs, ys)
    gdf = gpd.GeoDataFrame({"technology": ["4G"] * n, "band_mhz": [f_mhz] * n},
                           geometry=[Point(a, b) for a, b in zip(lon, lat, strict=True)],
                           crs="EPSG:4326")
    left, bottom, right, top = utm_dem.bounds
    grid = Grid(left, bottom, right, top, RES_M)
    cfg = CoverageConfig(model="38901-rma", max_radius_m=radius, reach_margin_db=1000.0)
    t0 = time.perf_counter()
    compute(gdf, grid, utm_dem.elevation_m, cfg)
    t_batch = time.perf_counter() - t0
    print(f"  batch of {n} stations, {radius / 1000:g} km, {f_mhz:g} MHz: lomsong compute() "
          f"{t_batch:.1f} s")
    t_fresh, rc = fresh_process_s(sites[0], radius, f_mhz, utm, work / "fresh")
    print(f"  fresh process `lomsong station` ({radius / 1000:g} km): {t_fresh:.2f} s (exit {rc})")
    if have["splat"]:
        _, secs = splat_points(work, sites[0], radius, f_mhz, work)
        print(f"    SPLAT! fresh process, same site: {secs:.2f} s → ×{secs / t_fresh:.1f} "
              f"lomsong's fresh-process time; 50 sites one by one ≈ {50 * secs:.0f} s "
              f"(×{50 * secs / t_batch:.0f} the batch; extrapolated from one site)")


if __name__ == "__main__":
    sys.exit(main())
