"""`lomsong coverage`: terrain-aware coverage rasters and a JSON summary.

    lomsong coverage --default --tech any --resolution 100 --out out/coverage
    lomsong coverage --stations my_sites.xlsx --tech 4g --terrain off --out out/flat
    lomsong coverage --default --tech 4g --calibration dt-2026 --out out/calibrated

Writes the GeoTIFFs of :meth:`geo.coverage.Coverage.to_geotiffs` into ``--out`` and
``coverage_summary.json`` with ``people_total, people_covered, share_covered,
area_share_covered, stations, resolution_m, terrain, seconds, dem, dem_resolution_m,
warnings, modelled_stations, modelled_share, by_operator, people_no_operator,
people_one_operator`` (+ per-technology figures). A set mixing uploaded and modelled rows
is flagged in the warnings (stderr) and by ``modelled_stations`` / ``modelled_share``.
Service figures of issue 16: ``people_covered_downlink, people_covered_uplink,
people_by_throughput`` ("1", "10", "100" Mbit/s), ``reliability, load, uplink_budget`` — ``people_covered`` needs both links
at the chosen reliability. With ``--gap-metric throughput`` also ``people_below_min_mbps``.

    lomsong coverage --default --reliability 0.9 --load 0.7 --out out/service
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from lomsong.commands.dem import add_dem_arguments, dem_from_args

__all__ = ["register", "run", "add_service_arguments", "service_config_kwargs"]

_TECH_CHOICES = {"5g": ("5G",), "4g": ("4G",), "3g": ("3G",), "2g": ("2G",), "any": None}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "coverage",
        help="compute terrain-aware coverage rasters for a station list",
        description="Received signal of every station over the terrain, combined per "
        "technology; writes GeoTIFFs and coverage_summary.json.",
    )
    from lomsong.commands.stations import add_station_arguments

    add_station_arguments(p)
    p.add_argument("--tech", choices=sorted(_TECH_CHOICES), default="any",
                   help="technology to compute and summarise (default any = all in the list)")
    p.add_argument("--resolution", type=float, default=100.0, metavar="M",
                   help="grid cell size in metres, 30–1000 (default 100)")
    p.add_argument("--terrain", choices=("on", "off"), default="on",
                   help="off = flat-earth baseline: no line of sight, no diffraction")
    p.add_argument("--indoor-margin", type=float, default=0.0, metavar="DB",
                   help="extra dB required for 'covered' (building penetration)")
    p.add_argument("--clear-model", choices=("los-probability", "los"), default="los-probability",
                   help="path loss where terrain is clear: TR 38.901 LOS probability (default, "
                        "models clutter) or pure line of sight (open country, optimistic)")
    add_dem_arguments(p)
    add_service_arguments(p)
    from lomsong.commands.calibrate import add_calibration_argument

    add_calibration_argument(p)
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="on-disk per-station cache (speeds up re-runs)")
    p.add_argument("--workers", type=int, default=None, help="threads (default: CPU count)")
    p.add_argument("--operator", metavar="NAME[,NAME]",
                   help="these operators' stations only (Viettel, VNPT/VinaPhone, MobiFone)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def add_service_arguments(p) -> None:
    """Issue 16 flags, shared by ``coverage`` and ``run``: both links, location reliability,
    load, UE power, and what a gap lacks."""
    g = p.add_argument_group("service (uplink, reliability, SINR, throughput)")
    g.add_argument("--reliability", type=float, default=0.5, metavar="P",
                   help="cell-edge location reliability 0<P<1: adds the shadow-fading margin "
                        "σ·Φ⁻¹(P) of TR 38.901 (default 0.5 = median, no margin; e.g. 0.9)")
    g.add_argument("--load", type=float, default=0.5, metavar="L",
                   help="cell load 0–1 of the co-channel neighbours for SINR (default 0.5)")
    g.add_argument("--ue-power-dbm", type=float, default=None, metavar="DBM",
                   help="UE transmit power of the uplink budget (default 23 dBm, power class 3; "
                        "26 = HPUE, honoured on n41/n77/n78 only)")
    g.add_argument("--downlink-only", action="store_true",
                   help="'covered' needs only the downlink (no uplink budget)")
    g.add_argument("--gap-metric", choices=("coverage", "throughput"), default="coverage",
                   help="what a gap lacks: coverage (both links) or a data rate (--min-mbps)")
    g.add_argument("--min-mbps", type=float, default=10.0, metavar="MBPS",
                   help="data rate a cell needs with --gap-metric throughput (default 10)")


def service_config_kwargs(args) -> dict:
    """CoverageConfig keywords from :func:`add_service_arguments`'s flags (range-checked)."""
    from lomsong.cli import UserError

    if not (0.0 < args.reliability < 1.0):
        msg = (f"--reliability {args.reliability:g}: cần trong (0, 1) / expected strictly "
               "between 0 and 1 (0.5 = median, 0.9, 0.95 …).")
        raise UserError(msg)
    if not (0.0 <= args.load <= 1.0):
        msg = f"--load {args.load:g}: cần từ 0 đến 1 / expected between 0 and 1."
        raise UserError(msg)
    if args.min_mbps <= 0:
        msg = f"--min-mbps {args.min_mbps:g}: cần > 0 / expected > 0 Mbit/s."
        raise UserError(msg)
    return {"reliability": float(args.reliability), "load": float(args.load),
            "ue_power_dbm": args.ue_power_dbm, "uplink": not args.downlink_only}


def _load_stations(args):
    from geo import stations as st

    if args.default:
        return st.load_default_stations()
    path = Path(args.stations)
    if not path.exists():
        from lomsong.cli import UserError

        msg = f"Station file {path} does not exist."
        raise UserError(msg)
    return st.read_stations(path, crs=args.crs, sheet=args.sheet)


def modelled_rows(gdf) -> tuple[int, float]:
    """(rows flagged ``modelled``, their share) of a station frame."""
    if "modelled" not in gdf.columns or len(gdf) == 0:
        return 0, 0.0
    m = gdf["modelled"].fillna(False).astype(bool)
    return int(m.sum()), round(float(m.mean()), 4)


def _operator_figures(gdf, grid, dem, config, tech_arg, communes, cov, population, inside) -> dict:
    from analysis.operators import operator_covered, operator_summary

    tech = "any" if tech_arg == "any" else tech_arg.upper()
    masks = operator_covered(gdf, grid, dem, config, tech, communes=communes, whole=cov)
    return operator_summary(masks, population, inside, grid.cell_area_m2 / 1e6)


def _calibration(args):
    from lomsong.commands.calibrate import calibration_from_args

    return calibration_from_args(args)


def run(args) -> int:
    from geo.coverage import CoverageConfig, analysis_grid, compute
    from geo.data import load_province
    from lomsong.cli import UserError

    t0 = time.perf_counter()
    stations = _load_stations(args)
    gdf = getattr(stations, "stations", stations)
    if len(gdf) == 0:
        msg = "The station list has no usable station."
        raise UserError(msg)
    if getattr(args, "operator", None):
        from analysis.operators import select_operators

        try:
            gdf = select_operators(gdf, args.operator)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    config = CoverageConfig(terrain=args.terrain == "on", clear_model=args.clear_model,
                            indoor_margin_db=float(args.indoor_margin),
                            technologies=_TECH_CHOICES[args.tech],
                            cache_dir=args.cache_dir, workers=args.workers,
                            calibration=_calibration(args), **service_config_kwargs(args))
    grid = analysis_grid(args.resolution)
    dem = dem_from_args(args, grid, area=load_province()) if args.terrain == "on" else None

    import numpy as np

    from geo.data import load_communes
    from geo.grid import commune_id_raster
    from geo.population import population_on_grid

    communes = load_communes()
    inside = commune_id_raster(grid, communes) >= 0
    population = np.where(inside, population_on_grid(grid), np.float32(0.0))  # province only

    bar = None
    progress = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="station", desc="coverage", file=sys.stderr, leave=True)

        def progress(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
                bar.refresh()
            bar.update(done - bar.n)

    try:
        cov = compute(gdf, grid, dem, config, population=population, communes=communes,
                      progress=progress)
    finally:
        if bar is not None:
            bar.close()

    out = Path(args.out)
    paths = cov.to_geotiffs(out)
    md = cov.metadata
    headline = cov.summary(population, args.tech if args.tech == "any" else args.tech.upper())
    warnings = list(md["warnings"])
    n_modelled, share_modelled = modelled_rows(gdf)
    if n_modelled and n_modelled == len(gdf):
        warnings.append("stations are MODELLED (not real operator sites)")
    elif n_modelled:
        warnings.append(f"MIXED station set: {n_modelled} of {len(gdf)} stations are MODELLED "
                        f"({share_modelled:.0%}), the rest uploaded — results mix real and modelled sites")
    ops = _operator_figures(gdf, grid, dem, config, args.tech, communes, cov, population, inside)
    summary = {
        "tech": args.tech,
        "people_total": headline["people_total"],
        "people_covered": headline["people_covered"],
        "share_covered": headline["share_covered"],
        "area_share_covered": headline["area_share_covered"],
        "area_km2": headline["area_km2"],
        "area_covered_km2": headline["area_covered_km2"],
        "stations": md["stations"],
        "stations_per_technology": md["stations_per_technology"],
        "resolution_m": md["resolution_m"],
        "terrain": md["terrain"],
        "clear_model": args.clear_model,
        "indoor_margin_db": md["indoor_margin_db"],
        "thresholds_dbm": md["thresholds_dbm"],
        "dem": md["dem"],
        "dem_resolution_m": md["dem_resolution_m"],
        "warnings": warnings,
        "modelled_stations": n_modelled,
        "modelled_share": share_modelled,
        **ops,
        "calibration": md.get("calibration"),
        "extrapolated_cells": md["extrapolated_cells"],
        "models": md["models"],
        **_service_summary(cov, population, args),
        "per_technology": md.get("summary", {}),
        "files": [p.name for p in paths],
        "seconds": round(time.perf_counter() - t0, 2),
        "engine_seconds": round(md["seconds"], 2),
    }
    (out / "coverage_summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"{summary['share_covered']:.1%} of {summary['people_total']:,.0f} people covered "
          f"({args.tech}); {len(paths)} GeoTIFFs + coverage_summary.json in {out}")
    if md.get("calibration"):
        print(f"calibrated with {md['calibration']} (still MODELLED coverage)")
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _service_summary(cov, population, args) -> dict:
    """Issue 16 keys of coverage_summary.json (province people, the headline tech)."""
    tech = args.tech if args.tech == "any" else args.tech.upper()
    s = cov.summary(population, tech)
    out = {
        "people_covered_downlink": s["people_covered_downlink"],
        "people_covered_uplink": s["people_covered_uplink"],
        "people_by_throughput": s["people_by_throughput"],
        "throughput_modelled": True,
        "reliability": s["reliability"],
        "load": s["load"],
        "uplink": bool(cov.config.uplink),
        "uplink_budget": cov.metadata.get("uplink_budget", {}),
        "gap_metric": args.gap_metric,
    }
    if args.gap_metric == "throughput":
        if not cov.has_throughput(tech):
            from lomsong.cli import UserError

            msg = (f"--gap-metric throughput: không có tốc độ cho {tech} / no data rate is "
                   "modelled for this technology (4G/5G only).")
            raise UserError(msg)
        import numpy as np

        rate = cov.throughput_mbps(tech)
        with np.errstate(invalid="ignore"):
            short = ~(rate >= float(args.min_mbps))
        out["min_mbps"] = float(args.min_mbps)
        out["people_below_min_mbps"] = float(np.asarray(population, dtype=np.float64)[short].sum())
    return out
