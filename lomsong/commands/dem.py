"""``lomsong dem download`` (Copernicus tiles) and ``lomsong dem info PATH``.

Also the shared ``--dem`` option: other sub-commands call :func:`add_dem_arguments` on their
parser and :func:`dem_from_args` to load (and coverage-check) the DEM the user gave, so every
command takes the same inputs and says the same thing about them.
"""

from __future__ import annotations

import json
import sys

__all__ = ["register", "add_dem_arguments", "dem_from_args", "dem_info"]


def add_dem_arguments(parser) -> None:
    """Add ``--dem PATH [PATH ...]`` and ``--dem-crs CRS`` to a sub-command's parser."""
    parser.add_argument(
        "--dem", nargs="+", metavar="PATH",
        help="elevation model: GeoTIFF/COG, SRTM .hgt/.hgt.zip tiles (several are mosaicked), "
             "or ESRI ASCII .asc, any CRS (default: the embedded coarse 5′ relief; get a fine one "
             "with `lomsong dem download`)",
    )
    parser.add_argument(
        "--dem-crs", metavar="CRS",
        help="CRS of a DEM file that carries none (e.g. an .asc without .prj), e.g. EPSG:32648",
    )


def dem_from_args(args, grid=None, area=None, check: bool = True):
    """Load the DEM named by ``--dem`` (or the embedded relief) and check it covers ``grid``.

    ``area`` (e.g. the province GeoDataFrame) restricts the coverage check to land the
    analysis needs. Raises :class:`geo.dem.DemError` (printed as a user error).
    """
    from geo.dem import check_covers, load_dem

    paths = getattr(args, "dem", None)
    dem = load_dem(paths or None, crs=getattr(args, "dem_crs", None))
    if check and grid is not None:
        check_covers(dem, grid, area=area)
    return dem


def register(subparsers) -> None:
    p = subparsers.add_parser("dem", help="elevation models: download Copernicus tiles, inspect a DEM")
    sub = p.add_subparsers(dest="dem_command", metavar="ACTION")

    d = sub.add_parser(
        "download",
        help="fetch Copernicus DEM tiles over the province (public bucket, no account), "
             "mosaic and clip them",
    )
    d.add_argument("--product", choices=("glo-30", "glo-90"), default="glo-30",
                   help="GLO-30 (30 m, default) or GLO-90 (90 m)")
    d.add_argument("--out", metavar="DIR",
                   help="folder for the mosaic GeoTIFF (default: the tile cache folder)")
    d.add_argument("--margin-km", type=float, default=30.0,
                   help="margin around the province, km (default 30)")
    d.add_argument("--url", metavar="URL",
                   help="server root instead of the public bucket (also LOMSONG_COPERNICUS_URL)")
    d.add_argument("--quiet", action="store_true", help="no progress bars")
    d.set_defaults(func=_download)

    i = sub.add_parser("info", help="source, CRS, resolution and province coverage of a DEM")
    i.add_argument("paths", nargs="*", metavar="PATH",
                   help="DEM file(s); none: the embedded relief")
    i.add_argument("--dem-crs", metavar="CRS", help="CRS for a file that carries none")
    i.add_argument("--json", action="store_true", help="print one JSON object")
    i.set_defaults(func=_info)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _download(args) -> int:
    from geo._dem_download import download_copernicus
    from geo.dem import load_dem

    result = download_copernicus(
        product=args.product, out_dir=args.out, base_url=args.url,
        margin_km=args.margin_km, progress=not args.quiet,
    )
    print(result.summary())
    dem = load_dem(result.path)
    print(f"DEM: {dem.describe()}")
    print(f"Use it with: --dem {result.path}")
    return 0


def dem_info(paths=None, crs=None) -> dict:
    """What ``lomsong dem info`` prints, as a dict."""
    import numpy as np
    from rasterio.warp import transform_bounds

    from geo.dem import coverage_share, load_dem

    dem = load_dem(list(paths) if paths else None, crs=crs)
    finite = np.isfinite(dem.elevation_m)
    west, south, east, north = transform_bounds(dem.crs, "EPSG:4326", *dem.bounds)
    epsg = dem.crs.to_epsg()
    out = {
        "dem": dem.describe(),
        "source": dem.source,
        "path": dem.path,
        "crs": f"EPSG:{epsg}" if epsg else dem.crs.to_string(),
        "shape": list(dem.shape),
        "resolution_m": round(dem.resolution_m, 1),
        "pixel_size": [abs(dem.transform.a), abs(dem.transform.e)],
        "bounds_lonlat": [round(v, 5) for v in (west, south, east, north)],
        "elevation_min_m": float(np.nanmin(dem.elevation_m)) if finite.any() else None,
        "elevation_max_m": float(np.nanmax(dem.elevation_m)) if finite.any() else None,
        "nodata_share": round(1 - float(finite.mean()), 4),
        "coarse": dem.is_coarse,
        "warning": dem.warning,
        "key": dem.key,
    }
    out["error"] = None
    try:
        from geo.data import DataError, load_province

        try:
            province = load_province()
            out["province_coverage"] = round(
                coverage_share(dem, tuple(province.total_bounds), area=province), 4)
        except DataError:
            out["province_coverage"] = None
        else:
            out["error"] = _coverage_error(dem, province)
    except ImportError:
        out["province_coverage"] = None
    return out


def _coverage_error(dem, province) -> str | None:
    """Why this DEM cannot be used at all for the province (it lies nowhere near it: a
    wrong or missing CRS), or None. A DEM covering part of it (one tile) is still shown
    with exit 0 and "NOT usable as is"."""
    from geo.dem import DemError, check_overlaps

    try:
        check_overlaps(dem, tuple(province.total_bounds))
    except DemError as exc:
        return str(exc)
    return None


def _info(args) -> int:
    from geo.dem import MIN_COVER_SHARE

    info = dem_info(args.paths, args.dem_crs)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return _refused(info)
    cov = info["province_coverage"]
    lines = [
        f"DEM:         {info['dem']}",
        f"File:        {info['path']}",
        f"CRS:         {info['crs']}",
        f"Size:        {info['shape'][0]} × {info['shape'][1]} cells, "
        f"pixel {info['pixel_size'][0]:.6g} × {info['pixel_size'][1]:.6g} CRS units",
        f"Resolution:  {info['resolution_m']:.1f} m nominal",
        "Bounds:      lon {:.4f}–{:.4f}, lat {:.4f}–{:.4f}".format(
            info["bounds_lonlat"][0], info["bounds_lonlat"][2],
            info["bounds_lonlat"][1], info["bounds_lonlat"][3]),
        f"Elevation:   {info['elevation_min_m']:.0f} – {info['elevation_max_m']:.0f} m, "
        f"{info['nodata_share']:.1%} without data",
    ]
    if cov is None:
        lines.append("Province:    coverage unknown (embedded province outline not found)")
    elif cov >= MIN_COVER_SHARE:
        lines.append(f"Province:    covers {cov:.1%} of Quảng Trị — usable")
    else:
        lines.append(
            f"Province:    covers only {cov:.1%} of Quảng Trị — NOT usable as is "
            "(add tiles or run `lomsong dem download`)"
        )
    if info["warning"]:
        lines.append(f"Warning:     {info['warning']}")
    print("\n".join(lines), file=sys.stdout)
    return _refused(info)


def _refused(info: dict) -> int:
    """Exit 2 with the one-line reason when the DEM lies nowhere near the province (as
    ``info --dem`` refuses it), else 0."""
    if info.get("error"):
        print(f"lomsong: error: {info['error']}", file=sys.stderr, flush=True)
        return 2
    return 0
