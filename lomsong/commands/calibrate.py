"""`lomsong measurements calibrate`: fit the model to a drive test, optionally keep the fit.

    lomsong measurements calibrate drive.csv --default --tech 4g --json
    lomsong measurements calibrate drive.csv --stations sites.xlsx --dem dem.tif --save dt-2026

Reads the drive test with :func:`geo.measurement_list.read_measurements` (its row report:
``rows_read, kept, fixed, rejected``), computes the stations' coverage around the points
(:func:`analysis.measurements.compare_with_stations`), fits an offset and a log-distance
slope per technology (:func:`analysis.calibration.calibrate`) and prints the figures;
``--save NAME`` keeps the calibration in the workspace, and ``lomsong coverage`` /
``lomsong run`` apply it with ``--calibration NAME``.

The sub-command hangs under the ``measurements`` command of
:mod:`lomsong.commands.measurements` (:func:`~lomsong.commands.measurements.add_subcommand`;
this module comes after it in :data:`lomsong.cli.COMMAND_MODULES`).
"""

from __future__ import annotations

import json
import sys

__all__ = ["register", "add_calibration_argument", "calibration_from_args", "calibrate_command"]

_TECH = {"5g": "5G", "4g": "4G", "3g": "3G", "2g": "2G", "any": None}


def register(subparsers) -> None:  # noqa: ARG001 - joins `lomsong measurements` instead
    """Add ``lomsong measurements calibrate``."""
    from lomsong.commands._points import add_read_options, add_workspace_option
    from lomsong.commands.measurements import add_subcommand

    c = add_subcommand(
        "calibrate", help="fit the model's offset (and slope) to a drive test",
        description="Compare a drive test with the model and fit an offset and a log-distance "
                    "slope per technology (least squares, k-fold cross-validated).")
    c.add_argument("file", help="drive test (G-NetTrack CSV, CSV/XLSX, GeoJSON/KML points)")
    add_read_options(c, noun="measured point")
    add_workspace_option(c)
    src = c.add_mutually_exclusive_group()
    src.add_argument("--stations", metavar="FILE", help="station list the model uses")
    src.add_argument("--default", action="store_true",
                     help="the embedded MODELLED reference network (default when no --stations)")
    c.add_argument("--tech", choices=sorted(_TECH), default="any",
                   help="technology to calibrate (default any = every measured one)")
    c.add_argument("--resolution", type=float, default=100.0, metavar="M",
                   help="grid cell size in metres, 30–1000 (default 100)")
    c.add_argument("--terrain", choices=("on", "off"), default="on",
                   help="terrain line of sight and diffraction (off: flat earth)")
    c.add_argument("--no-slope", action="store_true", help="fit the offset only")
    c.add_argument("--save", metavar="NAME", help="keep the calibration in the workspace as NAME")
    c.add_argument("--replace", action="store_true", help="replace a calibration of that name")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    from lomsong.commands.dem import add_dem_arguments

    add_dem_arguments(c)
    c.set_defaults(func=calibrate_command)


def add_calibration_argument(parser) -> None:
    """``--calibration NAME`` for ``coverage`` / ``run``."""
    parser.add_argument("--calibration", metavar="NAME", default=None,
                        help="apply a calibration saved by `lomsong measurements calibrate "
                             "--save NAME` (workspace: --workspace or $LOMSONG_WORKSPACE)")
    if "--workspace" not in parser._option_string_actions:
        from lomsong.commands._points import add_workspace_option

        add_workspace_option(parser)


def calibration_from_args(args):
    """The :class:`geo.correction.ModelCorrection` named by ``--calibration``, or None."""
    name = getattr(args, "calibration", None)
    if not name:
        return None
    from analysis.calibration import CalibrationError, load_calibration
    from lomsong.cli import UserError

    try:
        return load_calibration(name, getattr(args, "workspace", None)).correction
    except CalibrationError as exc:
        raise UserError(str(exc)) from None


def _read_measurements(args):
    from geo.measurement_list import read_measurements
    from lomsong.cli import UserError

    points = read_measurements(args.file, crs=args.crs, sheet=args.sheet,
                               margin_km=args.margin_km)
    if len(points.gdf) == 0:
        msg = (f"No usable measured point in {args.file}; run `lomsong measurements validate "
               f"{args.file}` to see why each row was rejected.")
        raise UserError(msg)
    return points


def _stations(args):
    from geo import stations as st
    from lomsong.cli import UserError

    s = st.read_stations(args.stations) if args.stations else st.load_default_stations()
    gdf = s.stations
    if len(gdf) == 0:
        msg = "The station list has no usable station."
        raise UserError(msg)
    return gdf, bool(getattr(s, "modelled", False))


def _figures(points, calibration, comparison, modelled: bool) -> dict:
    s = points.summary()
    fits = calibration.fits
    one = len(fits) == 1
    out = {k: s.get(k) for k in ("rows_read", "kept", "fixed", "rejected")}
    out["issues"] = points.to_json_dict()["issues"]  # every fixed/rejected row: row, column, why
    out.update(calibration.overall)
    out["offset_db"] = fits[0].offset_db if one else {f.technology: f.offset_db for f in fits}
    slopes = {f.technology: f.slope_db_per_decade for f in fits
              if f.slope_db_per_decade is not None}
    if slopes:
        out["slope_db_per_decade"] = next(iter(slopes.values())) if one else slopes
    out.update({
        "offsets_db": {f.technology: f.offset_db for f in fits},
        "fits": [vars(f) for f in fits],
        "class_fits": [vars(f) for f in calibration.class_fits],
        "class_fits_note": "per line-of-sight class fits are reported, not applied",
        "skipped": calibration.skipped,
        "comparison": comparison.stats,
        "measurement_sha256": calibration.measurement_sha256,
        "stations_modelled": modelled,
        "warning": ("stations are MODELLED (not real operator sites): a calibration against "
                    "them tunes the reference network, not the real one") if modelled else None,
    })
    return out


def calibrate_command(args) -> int:
    from analysis.calibration import (
        CalibrationError,
        calibrate,
        measurement_sha256,
        save_calibration,
    )
    from analysis.measurements import compare_with_stations
    from geo.coverage import CoverageConfig
    from lomsong.cli import UserError
    from lomsong.commands.dem import dem_from_args

    points = _read_measurements(args)
    stations, modelled = _stations(args)
    tech = _TECH[args.tech]
    pts = points.gdf
    if tech is not None:
        pts = pts[pts["technology"].astype(str).str.upper() == tech]
        if len(pts) == 0:
            msg = f"The drive test has no {tech} point."
            raise UserError(msg)
    terrain = args.terrain == "on"
    techs = (tech,) if tech else tuple(sorted(set(pts["technology"].astype(str).str.upper())))
    config = CoverageConfig(terrain=terrain, technologies=techs)
    from analysis.measurements import measurement_grid

    grid = measurement_grid(pts, args.resolution, config.max_radius_m)
    dem = dem_from_args(args, grid, check=False) if terrain else None
    communes = _communes_with_terrain(dem)
    comparison, _ = compare_with_stations(pts, stations, dem=dem, config=config,
                                          communes=communes, grid=grid)
    try:
        cal = calibrate(comparison, slope=not args.no_slope, name=args.save or "",
                        measurement_hash=getattr(points, "source_sha256", "") or "")
    except CalibrationError as exc:
        raise UserError(str(exc)) from None
    cal.source = {"file": getattr(points, "source_name", "") or str(args.file),
                  "content_sha256": measurement_sha256(comparison.points),
                  "stations": "default (modelled)" if modelled else str(args.stations),
                  "resolution_m": float(args.resolution), "terrain": terrain,
                  "dem": str(getattr(dem, "describe", lambda: None)()) if dem else None}
    out = _figures(points, cal, comparison, modelled)
    if args.save:
        try:
            row = save_calibration(cal, args.workspace, replace=args.replace)
        except CalibrationError as exc:
            raise UserError(str(exc)) from None
        out["saved"] = row["name"]
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    else:
        _print(out)
    if modelled:
        print(f"warning: {out['warning']}", file=sys.stderr)
    return 0


def _communes_with_terrain(dem):
    """Embedded communes with their terrain class (None when the data is not there)."""
    try:
        from geo.data import load_communes
        from geo.landform import terrain_classes

        communes = load_communes()
        communes["terrain"] = terrain_classes(communes, dem)["terrain"].astype(str).to_numpy()
        return communes
    except Exception:  # a bare checkout without embedded data: terrain class 'unknown'
        return None


def _print(out: dict) -> None:
    print(f"{out['rows_read']} rows read — {out['kept']} kept, {out['fixed']} fixed, "
          f"{out['rejected']} rejected; {out['points_used']} points compared")
    for i in out["issues"]:
        if i.get("status") == "rejected":
            print(f"  row {i['row']}: rejected — {i.get('problem_en')}")
    print(f"before: bias {out['bias_db_before']:+.1f} dB, RMSE {out['rmse_db_before']:.1f} dB; "
          f"after: RMSE {out['rmse_db_after']:.1f} dB in sample, "
          f"{out['rmse_db_cv']:.1f} dB cross-validated")
    for f in out["fits"]:
        slope = (f", slope {f['slope_db_per_decade']:+.1f} dB/decade"
                 if f["slope_db_per_decade"] is not None else "")
        print(f"  {f['technology']}: offset {f['offset_db']:+.1f} dB{slope} "
              f"({f['points_used']} points){'; ' + f['note'] if f['note'] else ''}")
    for s in out["skipped"]:
        print(f"  not fitted: {s['technology']} {s['los_class']} — {s['points']} points, "
              f"needs {s['needed']}")
    if out.get("saved"):
        print(f"Saved as {out['saved']!r}; apply with --calibration {out['saved']}.")
