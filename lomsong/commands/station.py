"""``lomsong station``: one station's terrain maps (line of sight, diffraction, path loss, RSRP).

Thin over :func:`geo.coverage.station_map`; heavy imports happen inside the command so a
fresh process spends its time on the answer (``lomsong --help`` stays instant).
"""

from __future__ import annotations

import json
import math
import sys

__all__ = ["register"]

_TECHS = ("2G", "3G", "4G", "5G")
_NR_FROM_MHZ = 3300.0  # --tech omitted: bands from 3.3 GHz (n77/n78) are 5G, others 4G


def register(subparsers) -> None:
    from lomsong.commands.dem import add_dem_arguments

    p = subparsers.add_parser(
        "station",
        help="một trạm / one station: los.tif, diffraction_db.tif, path_loss_db.tif, "
             "rsrp_dbm.tif (COG) + summary.json over a DEM",
    )
    p.add_argument("--lon", type=float, required=True, help="longitude, degrees (WGS 84)")
    p.add_argument("--lat", type=float, required=True, help="latitude, degrees (WGS 84)")
    p.add_argument("--height", type=float, required=True, metavar="M",
                   help="antenna height above ground, m")
    p.add_argument("--band", type=float, required=True, metavar="MHZ", help="carrier, MHz")
    p.add_argument("--tech", choices=_TECHS, type=str.upper,
                   help=f"technology (default: 5G from {_NR_FROM_MHZ:g} MHz, else 4G)")
    p.add_argument("--eirp", type=float, metavar="DBM",
                   help="EIRP over the channel, dBm (default: per technology and band)")
    p.add_argument("--azimuth", type=float, metavar="DEG",
                   help="sector boresight, degrees from north (default: omni)")
    p.add_argument("--tilt", type=float, metavar="DEG", help="mechanical down-tilt, degrees")
    p.add_argument("--radius", type=float, metavar="M",
                   help="radius, m, 0 < r ≤ 100000 (default: the engine's reach rule)")
    p.add_argument("--model", metavar="NAME",
                   help="path-loss model: fspl, 38901-rma, 38901-uma, cost231-hata "
                        "(default: the engine's RMa/UMa rule by commune)")
    p.add_argument("--rx-height", type=float, default=1.5, metavar="M",
                   help="terminal height above ground, m (default 1.5)")
    p.add_argument("--diffraction", choices=("bullington", "knife-edge"), default="bullington",
                   help="terrain diffraction: Bullington, ITU-R P.526-15 §4.5.1 (default), "
                        "or the single knife edge")
    add_dem_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the rasters")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=_station)


def _check_args(args) -> None:
    from lomsong.cli import UserError

    for name, value in (("--lon", args.lon), ("--lat", args.lat), ("--height", args.height),
                        ("--band", args.band)):
        if not math.isfinite(value):
            msg = f"{name} phải là số / must be a finite number; got {value!r}."
            raise UserError(msg)
    if not (0.0 < args.height <= 300.0):
        msg = f"--height {args.height:g}: chiều cao / antenna height must be 0 < h ≤ 300 m."
        raise UserError(msg)
    if not (100.0 <= args.band <= 100_000.0):
        msg = f"--band {args.band:g}: băng tần / carrier must be 100–100000 MHz (e.g. 1800)."
        raise UserError(msg)


def _around(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a lon/lat box holding a circle of ``radius_m`` (+5 %)."""
    dlat = 1.05 * radius_m / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return lon - dlon, max(lat - dlat, -90.0), lon + dlon, min(lat + dlat, 90.0)


def _station(args) -> int:
    _check_args(args)
    from geo.coverage import CoverageConfig, station_map
    from geo.dem import load_dem

    tech = args.tech or ("5G" if args.band >= _NR_FROM_MHZ else "4G")
    station = {"lon": args.lon, "lat": args.lat, "height_m": args.height,
               "band_mhz": args.band, "technology": tech}
    for key, value in (("eirp_dbm", args.eirp), ("azimuth_deg", args.azimuth),
                       ("tilt_deg", args.tilt)):
        if value is not None:
            station[key] = value
    # read only the site's surroundings: a 1° GLO-30 tile decodes in 0.3 s, its 10 km
    # window in 0.07 s (and the mosaic of several tiles in proportion)
    reach_m = args.radius or CoverageConfig().max_radius_m
    dem = load_dem(args.dem or None, crs=getattr(args, "dem_crs", None),
                   bounds_lonlat=_around(args.lon, args.lat, reach_m) if args.dem else None)
    result = station_map(station, dem, radius_m=args.radius, model=args.model,
                         rx_height_m=args.rx_height,
                         config=CoverageConfig(diffraction_model=args.diffraction))
    paths = result.to_geotiffs(args.out)
    summary = result.summary()
    if args.json:
        print(json.dumps({**summary, "files": {k: str(v) for k, v in paths.items()}},
                         ensure_ascii=False))
        return 0
    los = summary["los_share"]
    rsrp = summary["rsrp_dbm"] or {}
    print(f"Trạm / station {tech} {args.band:g} MHz, {args.height:g} m at "
          f"{args.lon:.5f}, {args.lat:.5f}: {result.model} ({summary['model_rule']})")
    print(f"  DEM: {summary['dem']}; grid: {summary['grid_rule']}")
    print(f"  bán kính / radius {summary['radius_m'] / 1000:.1f} km, "
          f"{summary['cells_within_radius']} cells; line of sight {los:.1%}; "
          f"median RSRP {rsrp.get('median', float('nan')):.1f} dBm (MODELLED)")
    beyond = summary.get("cells_beyond_dem") or 0
    if beyond:
        print(f"  cảnh báo / warning: {beyond} ô trong bán kính nằm ngoài DEM, để trống / "
              f"{beyond} cells within the radius lie beyond the DEM's edge and are left empty "
              f"(NaN): give a DEM that covers the whole radius (--dem; lomsong dem download).")
    for name, path in paths.items():
        print(f"  {name}: {path}")
    sys.stdout.flush()
    return 0
