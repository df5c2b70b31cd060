"""One station's window: its reach, the shared line-of-sight sweep of an antenna position,
the RSRP kernel over the window, and the single-station API built on them.

The window task of the public window API (:func:`group_windows`, :func:`group_bounds`, with
:class:`geo.coverage.Mosaic`) is what :func:`geo.coverage.compute` and
:mod:`analysis.distributed` run per antenna position; :func:`station_rsrp_window` and
:func:`station_covered_window` are one station alone (site proposals).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from geo import link_budget, parallel
from geo.coverage.config import _Q_NONE, _Q_SCALE, CoverageConfig, CoverageError
from geo.coverage.kernels import _rsrp_kernel
from geo.coverage.params import (
    _noise_per_re_dbm,
    _number,
    _sigma_db,
    _uplink_budget,
    station_params,
)
from geo.coverage.tables import (
    _NO_OUT,
    _OMNI_TABLE,
    _TABLE_STEPS_PER_CELL,
    _gain_table,
    _radial_tables,
)
from geo.diffraction import KNIFE_EDGE_V_MIN
from geo.grid import Grid
from geo.propagation import SPEED_OF_LIGHT_M_S
from geo.radio_defaults import DATA_TECHNOLOGIES, defaults_for
from geo.terrain import sweep_window


@dataclass
class WindowResult:
    """One station's RSRP window: rows ``r_lo…``, columns ``c_lo…`` of the grid.

    ``q`` is int16 RSRP in 0.01 dB (``-32768`` beyond the station's reach).
    """

    r_lo: int
    c_lo: int
    q: np.ndarray  # int16 window, 0.01 dB, _Q_NONE outside reach
    n_extrapolated: int
    reach_m: float
    model: str
    # optional per-cell layers (float32 dB, window shape; with_loss=True only, never cached)
    path_loss_db: np.ndarray | None = None
    diffraction_db: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return int(self.q.nbytes)



def _reach_m(params: dict, grid: Grid, config: CoverageConfig) -> tuple[float, tuple]:
    """Window radius (:mod:`geo.coverage`, "Reach") and the radial tables, at table resolution."""
    step = grid.resolution_m / _TABLE_STEPS_PER_CELL
    n = int(math.ceil(config.max_radius_m * math.sqrt(2.0) / step)) + 3
    tables = _radial_tables(params["model"], params["band_mhz"], params["height_m"],
                            float(config.ue_height_m), step, n, config.clear_model)
    if config.calibration is not None and config.calibration.covers(params["technology"]):
        # drive-test correction (geo.correction): + Δ(d) dB on RSRP = − Δ(d) on path loss
        delta = config.calibration.correction_db(params["technology"], np.arange(n) * step)
        tables = (tables[0] - delta, tables[1] - delta, *tables[2:])
    pl_los = tables[0]  # boresight (relative gain 0 dB), terrain clear
    mapl = link_budget.max_path_loss_db(
        params["eirp_dbm"], params["subcarriers"],
        config.threshold_dbm(params["technology"]) - config.reach_margin_db)
    above = np.flatnonzero(pl_los <= mapl)
    reach = float(above[-1] * step) if above.size else step
    return min(reach, config.max_radius_m), tables


def _window(row: int, col: int, reach_m: float, grid: Grid) -> tuple[int, int, int, int]:
    rad = int(math.ceil(reach_m / grid.resolution_m))
    h, w = grid.shape
    return max(0, row - rad), min(h, row + rad + 1), max(0, col - rad), min(w, col + rad + 1)


@lru_cache(maxsize=2)
def _flat_ground(shape: tuple[int, int]) -> np.ndarray:
    """Zero elevation over a whole grid, allocated once per grid (not once per site)."""
    z = np.zeros(shape, dtype=np.float32)
    z.setflags(write=False)
    return z


def _site_sweep(row: int, col: int, height_m: float, reach_m: float, grid: Grid,
                elevation: np.ndarray | None, config: CoverageConfig,
                band_min_mhz: float | None = None, threads: int = 1):
    """Sweep once per antenna position; ``v`` at λ = 1 m (v ∝ λ^−1/2, scaled per band).

    ``band_min_mhz``: the lowest band that will use it (None: every band, exact). A clear
    cell's ``v`` at band f is ``v₁·sqrt(f/c)``, least negative at the lowest band: a ``v₁``
    below J's −0.78 there is below it at every higher band too, so it needs no exact
    value (:func:`geo.terrain.sweep_window`'s ``v_floor``). The highest band's floor
    would not do: a cell floored at 3.5 GHz can still lose up to ~4 dB at 900 MHz.
    """
    v_floor = -math.inf
    if band_min_mhz:
        v_floor = KNIFE_EDGE_V_MIN * math.sqrt(SPEED_OF_LIGHT_M_S / (band_min_mhz * 1e6))
    r_lo, r_hi, c_lo, c_hi = _window(row, col, reach_m, grid)
    if elevation is None:
        elevation = _flat_ground(grid.shape)
    v1 = sweep_window(elevation, grid.resolution_m, row, col, height_m, config.ue_height_m,
                      reach_m, window=(slice(r_lo, r_hi), slice(c_lo, c_hi)),
                      wavelength_m=1.0, k_factor=config.k_factor,
                      oversample=config.sweep_oversample,
                      method="bullington" if config.diffraction_model == "bullington" else "dominant",
                      v_floor=v_floor, threads=threads)
    return v1, r_lo, c_lo


def _compute_station(params: dict, row: int, col: int, grid: Grid,
                     elevation: np.ndarray | None, config: CoverageConfig,
                     sweep=None, with_loss: bool = False, threads: int = 1) -> WindowResult:
    """One station's window; ``sweep`` = a shared :func:`_site_sweep` result covering it.

    ``with_loss``: the result also carries the window's total path loss and terrain
    diffraction loss (dB) — what :func:`geo.station_map.station_map` returns.
    ``threads``: run the window's rows on this many threads (one site alone; the engine
    runs stations in parallel instead). The result does not depend on it.
    """
    res = grid.resolution_m
    reach, (pl_los, pl_nlos, ext_los, ext_nlos, el_idx) = _reach_m(params, grid, config)
    r_lo, r_hi, c_lo, c_hi = _window(row, col, reach, grid)
    out = np.empty((max(0, r_hi - r_lo), max(0, c_hi - c_lo)), dtype=np.int16)
    if out.size == 0:
        return WindowResult(r_lo, c_lo, out, 0, reach, params["model"])
    wavelength = SPEED_OF_LIGHT_M_S / (params["band_mhz"] * 1e6)
    if config.terrain:
        if sweep is None:
            sweep = _site_sweep(row, col, params["height_m"], reach, grid, elevation, config,
                                params["band_mhz"])
        v, v_r_lo, v_c_lo = sweep
        has_v = True
    else:
        v, v_r_lo, v_c_lo = np.zeros((1, 1), dtype=np.float32), r_lo, c_lo
        has_v = False
    az = params["azimuth_deg"]
    if az is None:
        gain, az0 = _OMNI_TABLE, 0.0
    else:
        gain = _gain_table(params["beamwidth_deg"], params["front_to_back_db"], params["tilt_deg"])
        az0 = az
    eirp_re = float(link_budget.eirp_per_re_dbm(params["eirp_dbm"], params["subcarriers"]))
    pl_out = np.empty(out.shape, dtype=np.float32) if with_loss else _NO_OUT
    diff_out = np.empty(out.shape, dtype=np.float32) if with_loss else _NO_OUT
    args = (v, has_v, r_lo - v_r_lo, c_lo - v_c_lo, 1.0 / math.sqrt(wavelength),
            row, col, r_lo, c_lo, res, reach, eirp_re,
            res / _TABLE_STEPS_PER_CELL, pl_los, pl_nlos, ext_los, ext_nlos,
            el_idx, gain, float(az0), config.obstructed_model == "38901-nlos", out,
            config.diffraction_model == "bullington", with_loss, pl_out, diff_out)
    if threads <= 1:
        n_ext = _rsrp_kernel(*args)
    else:
        edges = np.linspace(0, out.shape[0], 2 * threads + 1).astype(int)
        n_ext = sum(parallel.pool(threads).map(lambda e: _rsrp_kernel(*args, e[0], e[1]),
                                              zip(edges[:-1], edges[1:], strict=True)))
    result = WindowResult(r_lo, c_lo, out, int(n_ext), reach, params["model"])
    if with_loss:
        result.path_loss_db, result.diffraction_db = pl_out, diff_out
    return result


def group_windows(group, grid: Grid, elevation: np.ndarray | None,
                  config: CoverageConfig) -> list[tuple[int, dict, WindowResult]]:
    """Windows of the stations of one antenna position (one shared line-of-sight sweep).

    The window task of the public window API (with :func:`group_bounds`,
    :class:`geo.coverage.Mosaic`): :func:`geo.coverage.compute` and :mod:`analysis.distributed`
    both run it. ``group`` items are ``(pos, params, row, col, cache_key)``; returns
    ``(pos, params, result)`` in the same order. Pure: no cache, no shared state (runs on any
    worker).
    """
    sweep = None
    if config.terrain and len(group) > 1:
        reach = max(_reach_m(p, grid, config)[0] for _, p, _, _, _ in group)
        _, p0, r0, c0, _ = group[0]
        sweep = _site_sweep(r0, c0, p0["height_m"], reach, grid, elevation, config,
                            min(p["band_mhz"] for _, p, _, _, _ in group))
    return [(pos, params, _compute_station(params, r, c, grid, elevation, config, sweep))
            for pos, params, r, c, _ in group]


def group_bounds(group, grid: Grid, config: CoverageConfig) -> tuple[int, int, int, int]:
    """Window ``(r_lo, r_hi, c_lo, c_hi)`` covering every station of a group."""
    reach = max(_reach_m(params, grid, config)[0] for _, params, _, _, _ in group)
    r_lo, r_hi, c_lo, c_hi = grid.shape[0], 0, grid.shape[1], 0
    for _, _, r, c, _ in group:
        a, b, d, e = _window(r, c, reach, grid)
        r_lo, r_hi, c_lo, c_hi = min(r_lo, a), max(r_hi, b), min(c_lo, d), max(c_hi, e)
    return r_lo, r_hi, c_lo, c_hi


def _station_xy(station: Mapping[str, Any], grid: Grid) -> tuple[float, float]:
    if "x" in station and "y" in station:
        return float(station["x"]), float(station["y"])
    if "lon" in station and "lat" in station:
        x, y = grid.from_lonlat(float(station["lon"]), float(station["lat"]))
        return float(x), float(y)
    geom = station.get("geometry")
    if geom is not None:
        x, y = grid.from_lonlat(geom.x, geom.y)
        return float(x), float(y)
    msg = "A station needs a position: 'x'/'y' in the grid CRS, 'lon'/'lat', or a Point geometry (EPSG:4326)."
    raise CoverageError(msg)


def station_rsrp_window(
    station: Mapping[str, Any], grid: Grid, elevation_on_grid: np.ndarray | None,
    config: CoverageConfig | None = None,
) -> tuple[tuple[slice, slice], np.ndarray]:
    """One station's RSRP over the part of the grid it reaches.

    Parameters
    ----------
    station : Mapping
        ``technology`` and optionally ``band_mhz, height_m, eirp_dbm, azimuth_deg,
        tilt_deg, model``; position as ``x, y`` (grid CRS), ``lon, lat`` or a shapely
        Point ``geometry`` in EPSG:4326.
    grid : geo.grid.Grid
    elevation_on_grid : numpy.ndarray or None
        Ground elevation on ``grid`` (None: flat).
    config : CoverageConfig, optional

    Returns
    -------
    (rows, cols) : tuple of slice
        The window of ``grid``.
    rsrp_dbm : numpy.ndarray
        float32 RSRP in the window, NaN beyond the station's reach.
    """
    config = config or CoverageConfig()
    params = station_params(station, config)
    x, y = _station_xy(station, grid)
    row, col = (int(v) for v in grid.rowcol(x, y))
    if not (0 <= row < grid.height and 0 <= col < grid.width):
        msg = f"Station at x={x:.0f}, y={y:.0f} is outside the analysis grid {grid.bounds}."
        raise CoverageError(msg)
    elev = None if elevation_on_grid is None else _check_elevation(elevation_on_grid, grid)
    res = _compute_station(params, row, col, grid, elev, config)
    rsrp = np.where(res.q == _Q_NONE, np.nan, res.q / _Q_SCALE).astype(np.float32)
    window = (slice(res.r_lo, res.r_lo + res.q.shape[0]), slice(res.c_lo, res.c_lo + res.q.shape[1]))
    return window, rsrp


def _check_elevation(arr, grid: Grid) -> np.ndarray:
    a = np.asarray(arr)
    if a.shape != grid.shape:
        msg = f"The elevation array has shape {a.shape}; the grid needs {grid.shape}."
        raise CoverageError(msg)
    return np.ascontiguousarray(a, dtype=np.float32)


def station_covered_window(
    station: Mapping[str, Any], grid: Grid, elevation_on_grid: np.ndarray | None,
    config: CoverageConfig | None = None, rsrp_window: Callable[..., Any] | None = None,
    best_rsrp_dbm: np.ndarray | None = None, min_mbps: float | None = None,
) -> tuple[tuple[slice, slice], np.ndarray]:
    """Cells one station would serve on its own: :func:`station_rsrp_window` with the rule
    of :meth:`geo.coverage.Coverage.covered` — both links (the station's uplink budget) at
    ``config.reliability`` (the shadow margin of its model at each cell's distance).

    For site proposals: a candidate covers a cell when this is True there.
    ``rsrp_window`` (default :func:`station_rsrp_window`, same signature) supplies the RSRP
    window; the rule applied to it is the same whichever supplies it.

    ``best_rsrp_dbm`` (optional, on ``grid``): the best RSRP (dBm) of the network the station
    would join, same technology. :meth:`~geo.coverage.Coverage.covered` judges a cell by its
    best server only (the UE camps on the strongest cell), so the station serves only where it
    would be that server — its RSRP above ``best_rsrp_dbm`` (or no other server). Without it,
    the station is judged alone.

    ``min_mbps`` (optional): also require the station's modelled downlink throughput
    (:func:`geo.link_budget.throughput_mbps`) of at least this many Mbit/s — served on
    service, as ``--gap-metric throughput``. The station alone has no co-channel neighbour,
    so its SINR is its SNR per resource element at ``config.load``; 2G/3G serve nothing.

    Returns
    -------
    (rows, cols) : tuple of slice
    covered : numpy.ndarray of bool
    """
    config = config or CoverageConfig()
    window, rsrp = (rsrp_window or station_rsrp_window)(station, grid, elevation_on_grid, config)
    params = station_params(station, config)
    tech = params["technology"]
    need = config.covered_threshold_dbm(tech)
    if config.uplink:
        eirp_re = float(link_budget.eirp_per_re_dbm(params["eirp_dbm"], params["subcarriers"]))
        ub = _uplink_budget(tech, params["band_mhz"], _number(station.get("antenna_gain_dbi")),
                            config.ue_power_dbm)
        need = max(need, float(link_budget.uplink_rsrp_threshold_dbm(eirp_re, ub))
                   + float(config.indoor_margin_db))
    margin = 0.0
    if float(config.reliability) != 0.5:
        x, y = _station_xy(station, grid)
        row, col = (int(v) for v in grid.rowcol(x, y))
        rr, cc = np.mgrid[window[0], window[1]]
        d = np.maximum(np.hypot(rr - row, cc - col) * grid.resolution_m, 10.0)
        sig = _sigma_db(params["model"], d, params["band_mhz"], params["height_m"], config)
        margin = link_budget.shadow_margin_db(sig, float(config.reliability))
    with np.errstate(invalid="ignore"):
        ok = np.asarray(rsrp >= need + margin)
        if best_rsrp_dbm is not None:
            other = np.asarray(best_rsrp_dbm)[window]
            ok &= ~(other >= rsrp)  # NaN (no other server) never wins
        if min_mbps is not None:
            ok &= _alone_throughput_mbps(station, params, rsrp, config) >= float(min_mbps)
        return window, ok


def _alone_throughput_mbps(station: Mapping[str, Any], params: dict, rsrp: np.ndarray,
                           config: CoverageConfig) -> np.ndarray:
    """Throughput (Mbit/s) of one station with no co-channel neighbour (NaN → 0; 0 for 2G/3G)."""
    tech, band = params["technology"], params["band_mhz"]
    if tech not in DATA_TECHNOLOGIES:
        return np.zeros(rsrp.shape, dtype=np.float32)
    sig = rsrp.astype(np.float64) - float(config.indoor_margin_db)
    sinr = link_budget.sinr_db(sig, sig, _noise_per_re_dbm(tech), float(config.load))
    bw = _number(station.get("bandwidth_mhz")) or defaults_for(tech, band).bandwidth_mhz
    rate = link_budget.throughput_mbps(sinr, tech, bw, band)
    return np.nan_to_num(np.asarray(rate, dtype=np.float64), nan=0.0)
