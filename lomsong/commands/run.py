"""`lomsong run`: the whole analysis — coverage, gaps, ranking, site proposals — and its outputs.

    lomsong run --default --tech 5g --resolution 100 --budget 20 --out out/
    lomsong run --stations my_sites.xlsx --tech any --budget-vnd 30e9 --focus mountain,coastal --out out/
    lomsong run --default --tech 4g --measurements drive.csv --calibration dt-2026 --out out/
    lomsong run --default --tech 4g --operator VNPT --power-lines luoi_dien.gpkg --villages thon.xlsx --out out/

Writes ``OUT/results.gpkg`` (layers communes, gaps, proposals, stations, villages), the coverage
GeoTIFFs under ``OUT/coverage/``, ``OUT/summary.json``, ``OUT/report.html`` and
``OUT/priorities.xlsx`` (plus CSV copies of the tables). Progress is shown by stage.
``--operator`` analyses one operator's stations and proposes co-locations on the others'
masts; every proposal has a kind, a power option, capex and a 10-year cost.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["register", "run_command"]

STAGE_LABELS = {
    "inputs": "inputs (grid, population, DEM, fiber)",
    "coverage": "coverage (stations)",
    "gaps": "gaps",
    "candidates": "candidate sites",
    "selection": "selection",
    "outputs": "outputs",
}


def _money(text: str) -> float:
    from lomsong.cli import UserError

    t = str(text).strip().lower().replace("_", "").replace(",", "")
    mult = 1.0
    for suffix, m in (("bn", 1e9), ("ty", 1e9), ("b", 1e9), ("m", 1e6)):
        if t.endswith(suffix):
            t, mult = t[: -len(suffix)], m
            break
    try:
        v = float(t) * mult
    except ValueError:
        msg = f"--budget-vnd {text!r} is not an amount of VND (e.g. 30e9, 30bn)."
        raise UserError(msg) from None
    if v <= 0:
        msg = f"--budget-vnd must be > 0, got {text!r}."
        raise UserError(msg)
    return v


def register(subparsers) -> None:
    from lomsong.commands.dem import add_dem_arguments

    p = subparsers.add_parser(
        "run", help="the whole analysis: coverage, gaps, ranking, site proposals, report",
        description=__doc__.split("\n\n")[0],
    )
    from lomsong.commands.stations import add_station_arguments

    add_station_arguments(p)
    p.add_argument("--tech", default="5g", choices=("5g", "4g", "any"),
                   help="technology whose gaps are analysed (default 5g)")
    p.add_argument("--resolution", type=float, default=100.0, metavar="M",
                   help="grid cell size in metres, 30–1000 (default 100)")
    p.add_argument("--budget", type=int, default=None, metavar="SITES",
                   help="number of new sites to propose (default 20, or unlimited with --budget-vnd)")
    p.add_argument("--budget-vnd", metavar="VND",
                   help="budget in VND (e.g. 30e9 or 30bn); with --budget both bind")
    p.add_argument("--focus", metavar="CLASSES",
                   help="restrict proposals to communes of these terrain classes, e.g. mountain,coastal")
    p.add_argument("--terrain", choices=("on", "off"), default="on",
                   help="terrain line of sight and diffraction (off: flat-earth baseline)")
    p.add_argument("--indoor-margin", type=float, default=0.0, metavar="DB",
                   help="extra level required indoors, dB (default 0 = outdoor)")
    p.add_argument("--candidates", metavar="FILE",
                   help="extra candidate points (CSV with lon,lat[,name] or any vector file), "
                        "e.g. other operators' masts for sharing")
    p.add_argument("--fiber", metavar="FILE", help="known fiber nodes/routes (GeoJSON etc.)")
    p.add_argument("--operator", metavar="NAME[,NAME]",
                   help="analyse these operators' stations only (Viettel, VNPT/VinaPhone, MobiFone); "
                        "the other operators' masts become co-location candidates")
    p.add_argument("--neutral-ranking", action="store_true",
                   help="rank gaps by people only (turn off the default mountain ×1.5, coastal ×1.5, "
                        "island ×2 priority)")
    p.add_argument("--power-lines", metavar="FILE",
                   help="power lines (GeoJSON/GPKG lines): where the grid is for each proposal's "
                        "power option (default: a modelled proxy, labelled so)")
    p.add_argument("--villages", metavar="NAME|FILE",
                   help="village list judged by the ministry's criterion: a set imported with "
                        "`lomsong villages import`, or a file (CSV/XLSX/GeoJSON/KML); default the "
                        "embedded GeoNames + OSM villages and modelled clusters")
    p.add_argument("--villages-crs", metavar="CRS",
                   help="CRS of X/Y columns in the village file (e.g. VN-2000 3405)")
    p.add_argument("--workspace", default=None,
                   help="workspace GeoPackage holding --villages sets (default $LOMSONG_WORKSPACE "
                        "or ./workspace/lomsong.gpkg)")
    p.add_argument("--objective", choices=("people", "villages"), default="people",
                   help="what proposals maximise: people newly covered (default) or villages "
                        "newly served, ties by people")
    p.add_argument("--no-geotiffs", action="store_true", help="skip the coverage GeoTIFFs")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    scale = p.add_mutually_exclusive_group()
    scale.add_argument("--workers", type=int, metavar="N",
                       help="run the per-station coverage on a local Dask cluster of N worker "
                            "processes (default: this process only, no Dask)")
    scale.add_argument("--scheduler", metavar="tcp://HOST:8786",
                       help="run the per-station coverage on an existing Dask cluster "
                            "(Kubernetes, HPC, cloud); workers need lomsong installed")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_dem_arguments(p)
    from lomsong.commands.coverage import add_service_arguments

    add_service_arguments(p)
    from lomsong.commands.calibrate import add_calibration_argument

    add_calibration_argument(p)
    p.add_argument("--measurements", metavar="FILE",
                   help="a drive test (G-NetTrack CSV, CSV/XLSX, GeoJSON/KML): compared with "
                        "the model; results.gpkg layer 'measurements' with residuals")
    p.add_argument("--measurements-crs", metavar="CRS", default=None,
                   help="CRS of X/Y columns in the drive-test file (default WGS 84 lon/lat)")
    p.set_defaults(func=run_command)


def _read_points(path: str):
    import geopandas as gpd
    import pandas as pd

    from lomsong.cli import UserError

    p = Path(path)
    if not p.exists():
        msg = f"Candidate file {path} does not exist."
        raise UserError(msg)
    if p.suffix.lower() in (".csv", ".txt", ".tsv"):
        df = pd.read_csv(p, sep=None, engine="python")
        cols = {c.lower().strip(): c for c in df.columns}
        lon = next((cols[k] for k in ("lon", "longitude", "lng", "x", "kinh độ") if k in cols), None)
        lat = next((cols[k] for k in ("lat", "latitude", "y", "vĩ độ") if k in cols), None)
        if lon is None or lat is None:
            msg = f"Candidate file {path}: expected lon and lat columns, found {list(df.columns)}."
            raise UserError(msg)
        out = pd.DataFrame({"lon": pd.to_numeric(df[lon], errors="coerce"),
                            "lat": pd.to_numeric(df[lat], errors="coerce")})
        if "name" in cols:
            out["name"] = df[cols["name"]].astype(str)
        bad = out[["lon", "lat"]].isna().any(axis=1)
        if bad.any():
            rows = (bad[bad].index + 2).tolist()[:5]
            msg = f"Candidate file {path}: unreadable lon/lat on row(s) {rows}."
            raise UserError(msg)
        return out
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:
        msg = f"Candidate file {path} cannot be read: {exc}"
        raise UserError(msg) from exc
    return gdf[gdf.geom_type == "Point"]


def _read_power_lines(path: str):
    from analysis.pipeline import _read_lines
    from lomsong.cli import UserError

    try:
        return _read_lines(path)
    except FileNotFoundError:
        msg = f"Tệp đường điện không tồn tại / Power-line file {path} does not exist."
        raise UserError(msg) from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except Exception as exc:  # unreadable vector file
        msg = f"Không đọc được tệp đường điện / Power-line file {path} cannot be read: {exc}"
        raise UserError(msg) from None


def _check_operators(stations, operators: str) -> None:
    """Fail early (exit 2) when no station belongs to the operators asked for."""
    from analysis.operators import select_operators
    from lomsong.cli import UserError

    if stations is None:
        from geo.stations import load_default_stations

        stations = load_default_stations()
    try:
        select_operators(getattr(stations, "stations", stations), operators)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _villages(value: str | None, crs=None, workspace=None):
    """The ``--villages`` argument: None (embedded), a file, or a workspace set's name."""
    from lomsong.cli import UserError

    if value is None:
        return None
    p = Path(value)
    if p.exists():
        from geo.village_list import read_villages

        villages = read_villages(p, crs=crs)
        if not len(villages.gdf):
            msg = (f"No usable village in {value}; run `lomsong villages validate {value}` to see "
                   "why each row was rejected.")
            raise UserError(msg)
        return villages
    from geo.workspace import Workspace

    ws = Workspace(workspace)
    names = ws.list_point_sets("villages")["name"].astype(str).tolist()
    if value not in names:
        msg = (f"--villages {value!r} is neither a file nor a village set in the workspace "
               f"{ws.path} ({', '.join(names) or 'none saved'}); import one with "
               f"`lomsong villages import FILE --name NAME`.")
        raise UserError(msg)
    return ws.load_villages(value)


def _read_drive_test(args):
    from geo.measurement_list import read_measurements
    from lomsong.cli import UserError

    points = read_measurements(args.measurements, crs=args.measurements_crs)
    if len(points.gdf) == 0:
        msg = (f"No usable measured point in {args.measurements}; run `lomsong measurements "
               f"validate {args.measurements}` to see why each row was rejected.")
        raise UserError(msg)
    return points


def run_command(args) -> int:
    from tqdm import tqdm

    from analysis.config import normalize_tech, parse_focus
    from analysis.pipeline import run_analysis, write_outputs
    from geo.coverage import CoverageConfig
    from lomsong.cli import UserError
    from lomsong.commands.dem import dem_from_args

    tech = normalize_tech(args.tech)
    focus = parse_focus(args.focus)
    if args.budget is not None and args.budget < 0:
        msg = f"--budget must be ≥ 0 sites, got {args.budget}."
        raise UserError(msg)
    budget_vnd = _money(args.budget_vnd) if args.budget_vnd else None
    budget_sites = args.budget if args.budget is not None else (None if budget_vnd else 20)
    candidates = _read_points(args.candidates) if args.candidates else None
    power_lines = _read_power_lines(args.power_lines) if getattr(args, "power_lines", None) else None

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if args.quiet:
            return
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(total=max(total, 1), desc=STAGE_LABELS.get(stage, stage),
                                     unit="", leave=True, file=sys.stderr, mininterval=0.5)
        if bar.total != max(total, 1):
            bar.total = max(total, 1)
        if done > bar.n:
            bar.update(done - bar.n)

    if args.default:
        stations = None
    else:
        from geo.stations import read_stations

        stations = read_stations(args.stations, crs=args.crs, sheet=args.sheet)
        if hasattr(stations, "usable") and not stations.usable:
            msg = (f"No usable station in {args.stations}; run `lomsong stations validate "
                   f"{args.stations}` to see why each row was rejected.")
            raise UserError(msg)
    dem = None
    if getattr(args, "dem", None):
        from geo.coverage import analysis_grid
        from geo.data import load_province

        dem = dem_from_args(args, analysis_grid(args.resolution), area=load_province())
    from analysis.config import GapConfig
    from lomsong.commands.calibrate import calibration_from_args
    from lomsong.commands.coverage import service_config_kwargs

    cov_cfg = CoverageConfig(terrain=args.terrain == "on", indoor_margin_db=args.indoor_margin,
                             calibration=calibration_from_args(args),
                             **service_config_kwargs(args))
    if args.gap_metric == "throughput" and tech not in ("4G", "5G", "any"):
        msg = "--gap-metric throughput needs --tech 4g, 5g or any (data rate of 4G/5G)."
        raise UserError(msg)
    config_changes = {}  # AnalysisConfig fields the flags change (none: the library default)
    if args.gap_metric != "coverage":
        config_changes["gaps"] = GapConfig(metric=args.gap_metric, min_mbps=args.min_mbps)
    run_args = (stations, tech, args.resolution, budget_sites, budget_vnd, focus)
    run_kwargs = dict(dem=dem, terrain=args.terrain == "on", coverage_config=cov_cfg,
                      candidates=candidates, progress=progress, user_fiber=args.fiber,
                      villages=_villages(getattr(args, "villages", None),
                                         getattr(args, "villages_crs", None),
                                         getattr(args, "workspace", None)),
                      objective=getattr(args, "objective", "people"))
    if getattr(args, "operator", None):
        _check_operators(stations, args.operator)
        run_kwargs["operators"] = args.operator
    if power_lines is not None:
        run_kwargs["power_lines"] = power_lines
    if getattr(args, "neutral_ranking", False):
        from analysis.config import RankingWeights

        config_changes["ranking"] = RankingWeights.neutral()
    if config_changes:
        from analysis.config import AnalysisConfig

        run_kwargs["config"] = AnalysisConfig(**config_changes)
    if getattr(args, "measurements", None):
        run_kwargs["measurements"] = _read_drive_test(args)
    workers, scheduler = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is not None or scheduler is not None:
        # Dask only here: the default run never imports it
        from analysis.distributed import DistributedError, run_analysis_distributed

        if workers is not None and workers < 1:
            msg = f"--workers must be ≥ 1, got {workers}."
            raise UserError(msg)
        try:
            result = run_analysis_distributed(*run_args, workers=workers, scheduler=scheduler,
                                              **run_kwargs)
        except DistributedError as exc:
            raise UserError(str(exc)) from None
    else:
        result = run_analysis(*run_args, **run_kwargs)
    paths = write_outputs(result, args.out, progress=progress, geotiffs=not args.no_geotiffs)
    for bar in bars.values():
        bar.close()
    s = result.summary
    served = (f"served at ≥ {s['min_mbps']:g} Mbit/s (modelled) by" if s.get("gap_metric") ==
              "throughput" else "covered by")
    print(
        f"{s['people_covered']:,.0f} of {s['people_total']:,.0f} people {served} {tech} "
        f"({100 * s['share_covered']:.1f}%); {s['gaps']} gaps; {s['proposals']} sites proposed "
        f"cover {s['people_newly_covered']:,.0f} more people for {s['cost_total_vnd'] / 1e9:,.1f} bn VND."
    )
    if s.get("villages_total") is not None:
        print(
            f"{s['villages_no_signal']} of {s['villages_total']} villages without signal, "
            f"{s['villages_partial']} partial ({s['villages_modelled_clusters']} are modelled "
            f"settlement clusters); proposals serve {s.get('villages_newly_served', 0)} more."
        )
        if s.get("villages_outside_province"):
            print(f"NOTE: {s['villages_outside_province']} listed villages lie outside every "
                  "commune and were not judged.")
    if s.get("warning"):
        print(f"WARNING: {s['warning']}")
    if s.get("calibration"):
        print(f"Calibrated with {s['calibration']} (still MODELLED coverage).")
    m = s.get("measurements")
    if m:
        rmse = "n/a" if m["rmse_db"] is None else f"{m['rmse_db']:.1f} dB"
        print(f"Drive test: {m['compared']} of {m['points']} points compared, RMSE {rmse}; "
              f"{m['covered_but_no_service_clusters']} 'model says covered, drive test says no' "
              f"cluster(s).")
    print(f"Outputs in {Path(args.out).resolve()}: " + ", ".join(sorted(p.name for p in paths.values())))
    return 0
