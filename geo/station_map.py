"""One station over its terrain: line of sight, diffraction, path loss and RSRP maps.

What an analyst or a GIS user reaches for before the province run: a single site, a
DEM, four rasters. :func:`station_map` runs the coverage engine's own per-station code
(:func:`geo.coverage.window._site_sweep` then :func:`~geo.coverage.window._compute_station`, the
RSRP kernel with its optional path-loss and diffraction outputs), so a map from here and the
station's window in :func:`geo.coverage.compute` are the same numbers.

Grid
----
``grid=None``: a DEM on a metric grid (projected CRS whose metres are ground metres within
1 % — UTM, VN-2000 TM-3; not Web Mercator — north-up square cells of 30–1000 m, e.g. a
Copernicus tile warped to UTM) is used on its own grid, unresampled, cropped to
the station's radius; any other DEM (geographic: ``.hgt``, GLO-30 in EPSG:4326, the
embedded relief) is resampled bilinearly onto the analysis grid's frame — EPSG:32648,
cells aligned with :func:`geo.coverage.analysis_grid`'s origin — around the station, at
the DEM's own detail (nearest 10 m, 30 m for a 1″ tile, 90 m for 3″) but never coarser
than :data:`DEFAULT_RESOLUTION_M` (the embedded relief: 100 m). A given ``grid`` is
cropped to the radius the same way.

Layers (window arrays, the shape of ``StationMap.grid``)
--------------------------------------------------------
``los`` (bool): terrain line of sight from the antenna to a terminal at ``rx_height_m``
(4/3 Earth); ``diffraction_db``: terrain diffraction loss alone (Bullington, ITU-R
P.526-15 §4.5.1 with eq. (57), or the single knife edge: ``config.diffraction_model``),
0 where the path clears the terrain's first Fresnel zone; ``path_loss_db``: total basic
transmission loss the engine uses (clear-path model, diffraction, NLOS floor);
``rsrp_dbm``: per resource element, with the antenna pattern. NaN (``los`` False)
outside the radius.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from geo.coverage.config import CoverageConfig, CoverageError
from geo.coverage.params import _models_at_lonlat, station_params
from geo.coverage.window import _compute_station, _reach_m, _site_sweep
from geo.coverage.window import _window as engine_window
from geo.grid import ANALYSIS_CRS, MAX_RESOLUTION_M, MIN_RESOLUTION_M, Grid, write_geotiff
from geo.parallel import single_site_threads
from geo.propagation import MODELS
from geo.terrain import sea_level_for_nodata

__all__ = [
    "DEFAULT_RESOLUTION_M",
    "MAX_STATION_RADIUS_M",
    "StationMap",
    "station_map",
]

DEFAULT_RESOLUTION_M = 100.0  # the analysis grid's default cell, for DEMs not on a metric grid
MAX_STATION_RADIUS_M = 100_000.0  # largest radius station_map accepts
_RADIUS_MARGIN_DB = 1000.0  # with an explicit radius the reach rule never cuts it shorter
_LAYERS = ("los", "diffraction_db", "path_loss_db", "rsrp_dbm")


@dataclass
class StationMap:
    """One station's terrain maps over its window (see the module docstring).

    Attributes
    ----------
    grid : geo.grid.Grid
        The window; every array has its shape.
    los : numpy.ndarray of bool
    diffraction_db, path_loss_db, rsrp_dbm : numpy.ndarray of float32
        dB / dBm, NaN outside ``radius_m``.
    model : str
        Path-loss model used.
    parameters : dict
        Everything else used: the station's radio parameters (defaults filled), radius,
        heights, DEM, how the grid and the model were chosen, the physics settings.
    """

    grid: Grid
    los: np.ndarray
    diffraction_db: np.ndarray
    path_loss_db: np.ndarray
    rsrp_dbm: np.ndarray
    model: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: cells, line-of-sight share, loss and RSRP percentiles."""
        inside = ~np.isnan(self.path_loss_db)
        n = int(inside.sum())

        def pct(a, mask):
            vals = a[mask & inside]
            if vals.size == 0:
                return None
            p = np.percentile(vals, [5, 50, 95])
            return {"p5": round(float(p[0]), 2), "median": round(float(p[1]), 2),
                    "p95": round(float(p[2]), 2)}

        thr = self.parameters.get("threshold_dbm")
        return {
            **{k: v for k, v in self.parameters.items()},
            "model": self.model,
            "modelled": True,
            "grid": {"crs": self.grid.crs, "resolution_m": self.grid.resolution_m,
                     "bounds": list(self.grid.bounds), "shape": list(self.grid.shape)},
            "cells_within_radius": n,
            "los_share": round(float(self.los[inside].mean()), 4) if n else None,
            "diffraction_db": pct(self.diffraction_db, np.ones_like(inside)),
            "diffraction_db_obstructed": pct(self.diffraction_db, ~self.los),
            "path_loss_db": pct(self.path_loss_db, np.ones_like(inside)),
            "rsrp_dbm": pct(self.rsrp_dbm, np.ones_like(inside)),
            "covered_share": (round(float((self.rsrp_dbm[inside] >= thr).mean()), 4)
                              if n and thr is not None else None),
        }

    def to_geotiffs(self, folder: str | Path) -> dict[str, Path]:
        """Write ``los.tif`` (uint8 0/1, nodata 255), ``diffraction_db.tif``,
        ``path_loss_db.tif``, ``rsrp_dbm.tif`` (float32, nodata NaN) as COGs and
        ``summary.json``; returns the paths by layer name (and ``"summary"``)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tags = {"SOFTWARE": "lomsong station", "MODELLED": "yes", "MODEL": self.model,
                "DEM": str(self.parameters.get("dem")),
                "DIFFRACTION_MODEL": str(self.parameters.get("diffraction_model"))}
        inside = ~np.isnan(self.path_loss_db)
        los = np.where(inside, self.los.astype(np.uint8), np.uint8(255))
        out = {"los": write_geotiff(folder / "los.tif", los, self.grid, nodata=255,
                                    tags=tags, band_description="terrain line of sight (0/1)")}
        for name, units in (("diffraction_db", "dB"), ("path_loss_db", "dB"),
                            ("rsrp_dbm", "dBm")):
            out[name] = write_geotiff(folder / f"{name}.tif", getattr(self, name), self.grid,
                                      nodata=np.nan, tags={**tags, "UNITS": units},
                                      band_description=name)
        path = folder / "summary.json"
        path.write_text(json.dumps(self.summary(), ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
        out["summary"] = path
        return out


# ----------------------------------------------------------------------------- steps
def _check_radius(radius_m) -> float | None:
    if radius_m is None:
        return None
    r = float(radius_m)
    if not (0.0 < r <= MAX_STATION_RADIUS_M):
        msg = (f"Bán kính phải trong khoảng 0–100 km / radius must be > 0 and ≤ "
               f"{MAX_STATION_RADIUS_M:.0f} m; got {radius_m!r} (e.g. 10000 for 10 km).")
        raise CoverageError(msg)
    return r


def _check_model(model) -> str | None:
    if model is not None and model not in MODELS:
        msg = (f"Mô hình không rõ / unknown path-loss model {model!r}: use one of "
               f"{', '.join(MODELS)} (or omit it for the engine's RMa/UMa rule).")
        raise CoverageError(msg)
    return model


def _load(dem):
    """A :class:`geo.dem.Dem` for a path, a Dem, or None (the embedded relief)."""
    from geo.dem import Dem, load_dem

    if dem is None or isinstance(dem, str | Path):
        return load_dem(dem)
    if isinstance(dem, Dem):
        return dem
    msg = f"dem must be a path, a geo.dem.Dem or None; got {type(dem).__name__}."
    raise CoverageError(msg)


def _metric_grid_of(dem) -> Grid | None:
    """The DEM's own grid when it is metric (projected, metres within 1 % of ground metres
    at its centre), north-up, square, 30–1000 m; else None."""
    crs = dem.crs
    if crs is None or not crs.is_projected:
        return None
    units = (crs.linear_units or "").lower()
    if units not in ("metre", "meter", "m"):
        return None
    t = dem.transform
    res = abs(t.a)
    if t.e >= 0 or not math.isclose(res, abs(t.e), rel_tol=1e-6):
        return None
    if not (MIN_RESOLUTION_M <= res <= MAX_RESOLUTION_M):
        return None
    left, bottom, right, top = dem.bounds
    if _scale_error(crs.to_string(), (left + right) / 2, (bottom + top) / 2) > _MAX_SCALE_ERROR:
        return None  # e.g. Web Mercator: its "metres" are 4.6 % short at 17° N
    return Grid(left, bottom, right, top, res, crs.to_string())


_MAX_SCALE_ERROR = 0.01  # a metric grid's metres may differ from true ones by at most 1 %


@lru_cache(maxsize=16)
def _scale_error(crs: str, x: float, y: float) -> float:
    """|k − 1| of the projection at (``x``, ``y``) in ``crs``: how far its metres are from
    ground metres there (UTM: ≤ 0.1 % in its zone; VN-2000 TM-3: 0.01 %)."""
    from pyproj import CRS, Proj

    lon, lat = _transformer(crs, "EPSG:4326").transform(x, y)
    f = Proj(CRS(crs)).get_factors(lon, lat)
    return max(abs(f.meridional_scale - 1.0), abs(f.parallel_scale - 1.0))


@lru_cache(maxsize=16)
def _transformer(src: str, dst: str):
    """A cached pyproj transformer (making one costs ~10 ms, more than a 10 km site)."""
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def _station_xy(station: Mapping[str, Any], crs: str) -> tuple[float, float]:
    """Station position in ``crs`` from ``lon/lat`` (EPSG:4326) or ``x/y`` (in ``crs``)."""
    if "lon" in station and "lat" in station:
        lon, lat = float(station["lon"]), float(station["lat"])
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            msg = f"Toạ độ sai / lon={lon:g}, lat={lat:g} is not a WGS 84 position (degrees)."
            raise CoverageError(msg)
        x, y = _transformer("EPSG:4326", str(crs)).transform(lon, lat)
        return float(x), float(y)
    if "x" in station and "y" in station:
        return float(station["x"]), float(station["y"])
    msg = "A station needs 'lon'/'lat' (EPSG:4326) or 'x'/'y' in the grid's CRS."
    raise CoverageError(msg)


def _window(frame: Grid, x: float, y: float, radius_m: float) -> tuple[Grid, int, int, slice, slice]:
    """The part of ``frame`` within ``radius_m`` of the station (the engine's window for
    that reach), and the station's cell in it; raises when the station is outside
    ``frame``."""
    res = frame.resolution_m
    col = int(math.floor((x - frame.xmin) / res))
    row = int(math.floor((frame.ymax - y) / res))
    if not (0 <= row < frame.height and 0 <= col < frame.width):
        msg = (f"Trạm nằm ngoài DEM / the station (x={x:.0f}, y={y:.0f} in {frame.crs}) is "
               f"outside the DEM/grid {tuple(round(b) for b in frame.bounds)}: give a DEM "
               f"that covers it (--dem) or move the station.")
        raise CoverageError(msg)
    r0, r1, c0, c1 = engine_window(row, col, radius_m, frame)
    win = Grid(frame.xmin + c0 * res, frame.ymax - r1 * res, frame.xmin + c1 * res,
               frame.ymax - r0 * res, res, frame.crs)
    return win, row - r0, col - c0, slice(r0, r1), slice(c0, c1)


def _elevation(dem, own: bool, rows: slice, cols: slice, win: Grid) -> np.ndarray:
    """The window's elevation: the DEM's own cells, or the DEM resampled onto it."""
    z = dem.elevation_m[rows, cols] if own else dem.on_grid(win)
    return np.array(z, dtype=np.float32)


def _model_for(station, config: CoverageConfig, model: str | None) -> tuple[str, str]:
    """Model and how it was chosen: explicit, the station's own, or the engine's rule."""
    if model is not None:
        return model, "given"
    if station.get("model"):
        return _check_model(str(station["model"])), "station"
    if config.model is not None:
        return config.model, "config"
    if "lon" in station and "lat" in station:
        # the engine's rule on the embedded communes, without geopandas (fresh-start cost)
        models, problem = _models_at_lonlat([float(station["lon"])], [float(station["lat"])],
                                            config)
        if problem is not None:  # the rule needs the communes: say so, never guess quietly
            msg = (f"The engine's RMa/UMa rule needs the embedded communes ({problem}); give "
                   f"model= explicitly (one of {', '.join(MODELS)}).")
            raise CoverageError(msg)
        return models[0], "engine rule (RMa in communes, UMa in wards)"
    return config.rural_model, "rural default (no lon/lat to place it in a commune)"


# ----------------------------------------------------------------------------- public
def station_map(
    station: Mapping[str, Any], dem=None, grid: Grid | None = None,
    radius_m: float | None = None, model: str | None = None, rx_height_m: float = 1.5,
    config: CoverageConfig | None = None,
) -> StationMap:
    """Line of sight, terrain diffraction, path loss and RSRP of one station.

    Parameters
    ----------
    station : Mapping
        As the engine's rows: ``lon, lat`` (EPSG:4326; or ``x, y`` in the grid's CRS),
        ``technology`` (default 4G), ``band_mhz, height_m, eirp_dbm, azimuth_deg,
        tilt_deg`` (defaults of :func:`geo.radio_defaults.defaults_for` otherwise).
    dem : path, geo.dem.Dem or None
        Terrain (None: the embedded coarse relief).
    grid : geo.grid.Grid, optional
        Frame to compute on (module docstring for ``None``).
    radius_m : float, optional
        0 < r ≤ 100 km; None: the engine's reach rule (flat-ground RSRP 10 dB below the
        technology's threshold, ≤ ``config.max_radius_m``).
    model : str, optional
        One of :data:`geo.propagation.MODELS`; None: the engine's rule (stated in
        ``parameters["model_rule"]``).
    rx_height_m : float
        Terminal height above ground, m.
    config : CoverageConfig, optional
        Physics settings (clear / obstructed / diffraction model, k-factor, thresholds).

    Returns
    -------
    StationMap

    Raises
    ------
    CoverageError
        Station outside the DEM, radius out of range, unknown model, bad station fields.
    geo.dem.DemError
        An unreadable DEM or one without a CRS.

    Examples
    --------
    >>> from geo.coverage import station_map
    >>> m = station_map({"lon": 106.9, "lat": 17.0, "height_m": 30, "band_mhz": 1800,
    ...                  "technology": "4G"}, radius_m=5_000)          # doctest: +SKIP
    >>> m.rsrp_dbm.shape == m.grid.shape                                # doctest: +SKIP
    True
    """
    config = config or CoverageConfig()
    radius = _check_radius(radius_m)
    model = _check_model(model)
    config = dataclasses.replace(config, ue_height_m=float(rx_height_m))
    if radius is not None:
        config = dataclasses.replace(config, max_radius_m=radius, reach_margin_db=_RADIUS_MARGIN_DB)
    station = dict(station)
    station.setdefault("technology", "4G")
    dem_obj = _load(dem)
    used_model, rule = _model_for(station, config, model)
    params = station_params({**station, "model": used_model}, config)

    own = grid is None and _metric_grid_of(dem_obj) is not None
    if grid is not None:
        frame, how = grid, "given grid"
    elif own:
        frame, how = _metric_grid_of(dem_obj), "the DEM's own metric grid (not resampled)"
    else:
        frame_res = _frame_resolution_m(dem_obj)
        frame, how = None, (f"analysis grid frame ({ANALYSIS_CRS}, {frame_res:g} m), "
                            f"DEM resampled bilinearly")
    crs = frame.crs if frame is not None else ANALYSIS_CRS
    x, y = _station_xy(station, crs)
    res_m = frame.resolution_m if frame is not None else frame_res
    reach = radius or _reach_m(params, Grid(0.0, 0.0, res_m, res_m, res_m, crs), config)[0]
    if frame is None:  # a frame aligned with the analysis grid, around the station
        _check_inside_dem(dem_obj, station, x, y, crs)
        pad = reach + 2 * res_m
        frame = Grid.from_bounds((x - pad, y - pad, x + pad, y + pad), res_m, ANALYSIS_CRS)
    win, row, col, rows, cols = _window(frame, x, y, reach)
    z = _elevation(dem_obj, own, rows, cols, win)
    if np.isnan(z[row, col]):
        msg = (f"DEM không có dữ liệu tại trạm / the DEM has no data at the station "
               f"(x={x:.0f}, y={y:.0f}): give a DEM that covers it.")
        raise CoverageError(msg)
    z = sea_level_for_nodata(z)  # the engine's convention (z is the window's own copy)

    res = _run_engine(params, row, col, win, z, config)
    m = _as_map(res, params, win, row, col, config, dem_obj, radius, rule, how)
    if not own and grid is None:
        inside = _footprint(dem_obj, win)
        if inside is not None:
            _blank_beyond(m, inside)
    m.parameters["cells_beyond_dem"] = _disc_cells(res[0].reach_m, win.resolution_m) - int(
        np.count_nonzero(~np.isnan(m.path_loss_db)))
    return m


def _footprint(dem, win: Grid) -> np.ndarray | None:
    """Cells of ``win`` inside the DEM's extent, None when all are (the resampling leaves
    the rest NaN, which the engine would read as sea level: voids and sea inside the DEM
    are that, the world beyond its edge is not)."""
    from rasterio.enums import Resampling
    from rasterio.warp import transform_bounds

    west, south, east, north = transform_bounds(win.crs, dem.crs, *win.bounds, densify_pts=21)
    left, bottom, right, top = dem.bounds
    if west >= left and south >= bottom and east <= right and north <= top:
        return None
    ones = np.ones(dem.shape, dtype=np.uint8)
    return win.reproject_array(ones, dem.transform, dem.crs, None, Resampling.nearest,
                               dtype="uint8", nodata=0) == 1


def _blank_beyond(m: StationMap, inside: np.ndarray) -> None:
    """No figures where the DEM has no terrain: NaN layers, no line of sight."""
    beyond = ~inside
    for layer in (m.diffraction_db, m.path_loss_db, m.rsrp_dbm):
        layer[beyond] = np.nan
    m.los[beyond] = False


def _disc_cells(radius_m: float, res_m: float) -> int:
    """Cells whose centre lies within ``radius_m`` of the station cell's (the engine's rule)."""
    rad = int(math.ceil(radius_m / res_m))
    i = np.arange(-rad, rad + 1, dtype=np.float64)
    return int(np.count_nonzero(i[:, None] ** 2 + i[None, :] ** 2 <= (radius_m / res_m) ** 2))


def _frame_resolution_m(dem) -> float:
    """Cell of the analysis-grid frame for a DEM not on a metric grid: the DEM's own
    detail to the nearest 10 m (a 1″ GLO-30 or SRTM tile: 30 m; 3″: 90 m), at least
    :data:`MIN_RESOLUTION_M`, never coarser than :data:`DEFAULT_RESOLUTION_M` (the
    embedded 5′ relief: 100 m). Resampling a 30 m DEM to 100 m would throw away the
    ridges that decide a single site's shadows."""
    res = float(dem.resolution_m)
    if not math.isfinite(res) or res >= DEFAULT_RESOLUTION_M:
        return DEFAULT_RESOLUTION_M
    return float(max(MIN_RESOLUTION_M, 10.0 * round(res / 10.0)))


def _check_inside_dem(dem, station, x, y, crs) -> None:
    """Refuse a station outside the DEM's extent (before resampling it to the frame)."""
    left, bottom, right, top = dem.bounds
    tx, ty = _transformer(str(crs), dem.crs.to_string()).transform(x, y)
    if not (left <= tx <= right and bottom <= ty <= top):
        where = (f"lon={float(station['lon']):.5f}, lat={float(station['lat']):.5f}"
                 if "lon" in station else f"x={x:.0f}, y={y:.0f}")
        msg = (f"Trạm nằm ngoài DEM / the station ({where}) is outside the DEM "
               f"({dem.describe()}, bounds {tuple(round(b, 4) for b in dem.bounds)}): give a "
               f"DEM that covers it (--dem) or move the station.")
        raise CoverageError(msg)


def _run_engine(params, row, col, win: Grid, z: np.ndarray, config: CoverageConfig):
    """The engine's per-station path: one sweep, the RSRP kernel with its loss outputs."""
    reach, _ = _reach_m(params, win, config)
    threads = single_site_threads(z.size, config.workers)
    sweep = None
    if config.terrain:
        sweep = _site_sweep(row, col, params["height_m"], reach, win, z, config,
                            params["band_mhz"], threads)
    result = _compute_station(params, row, col, win, z, config, sweep=sweep, with_loss=True,
                              threads=threads)
    return result, sweep


def _on_window(a: np.ndarray, shape: tuple[int, int], sl) -> np.ndarray:
    """``a`` placed at ``sl`` of a ``shape`` array (NaN / False around; no copy if it fills it)."""
    if a.shape == shape:
        return a
    out = np.full(shape, False if a.dtype == bool else np.nan, dtype=a.dtype)
    out[sl] = a
    return out


def _as_map(res_sweep, params, win: Grid, row, col, config, dem, radius, rule, how) -> StationMap:
    """Place the station's window arrays on the whole window grid."""
    res, sweep = res_sweep
    h, w = res.q.shape
    sl = (slice(res.r_lo, res.r_lo + h), slice(res.c_lo, res.c_lo + w))
    inside = res.q != -32768
    # the kernel writes NaN loss outside the reach already: only RSRP needs the mask
    rsrp_w = np.divide(res.q, np.float32(100.0), dtype=np.float32)
    rsrp_w[~inside] = np.nan
    if sweep is None:
        los_w = inside
    else:
        v, v_r, v_c = sweep
        vv = v[res.r_lo - v_r:res.r_lo - v_r + h, res.c_lo - v_c:res.c_lo - v_c + w]
        los_w = inside & (vv <= 0)  # v ≤ 0 (or −inf): the terrain leaves the path clear
    rsrp, pl, diff, los = (_on_window(a, win.shape, sl) for a in
                           (rsrp_w, res.path_loss_db, res.diffraction_db, los_w))
    lon, lat = _transformer(win.crs, "EPSG:4326").transform(
        win.xmin + (col + 0.5) * win.resolution_m, win.ymax - (row + 0.5) * win.resolution_m)
    parameters = {
        "station": {k: params[k] for k in ("technology", "band_mhz", "height_m", "eirp_dbm",
                                           "azimuth_deg", "tilt_deg", "subcarriers")},
        "lon": round(float(lon), 6), "lat": round(float(lat), 6),
        "radius_m": float(radius if radius is not None else res.reach_m),
        "radius_rule": "given" if radius is not None else "engine reach rule",
        "rx_height_m": float(config.ue_height_m),
        "model_rule": rule,
        "grid_rule": how,
        "dem": dem.describe(),
        "dem_resolution_m": round(float(dem.resolution_m), 1),
        "terrain": bool(config.terrain),
        "clear_model": config.clear_model,
        "obstructed_model": config.obstructed_model,
        "diffraction_model": config.diffraction_model,
        "k_factor": float(config.k_factor),
        "threshold_dbm": config.covered_threshold_dbm(params["technology"]),
        "extrapolated_cells": int(res.n_extrapolated),
    }
    return StationMap(grid=win, los=los, diffraction_db=diff, path_loss_db=pl, rsrp_dbm=rsrp,
                      model=params["model"], parameters=parameters)
