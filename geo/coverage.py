"""The coverage engine: received signal of every station over the terrain, combined.

For each station the engine computes the RSRP (received power per resource element,
dBm) on the cells of the analysis grid within its reach, then keeps, per technology and
cell, the best level, the station giving it (best server) and the number of stations
above the coverage threshold.

Model (per station, per cell at horizontal distance ``d``)
----------------------------------------------------------
``RSRP = EIRP − 10 log10(N_RE) − PL(d) + G_ant − L_terrain``

* ``EIRP`` (dBm, main beam, whole channel) and ``N_RE`` (resource elements per symbol
  over the channel: 12 × PRBs for LTE/NR, 1 for GSM/UMTS) from the station list, else
  :func:`geo.radio_defaults.defaults_for` (3GPP TS 36.104 / 38.104 channel sizes).
* ``PL``: 3GPP TR 38.901 Table 7.4.1-1 LOS path loss (RMa for rural communes, UMa for
  wards — *phường* — decided by the commune the station stands in; overridable), or free
  space / COST-231 Hata, from :func:`geo.propagation.path_loss_db` with ``strict=False``
  (extrapolated beyond the standard's range; such cell evaluations are counted in
  ``metadata["extrapolated_cells"]``). Antenna heights are above local ground.
* ``G_ant``: TR 38.901 Table 7.3-1 sector pattern with mechanical tilt, relative to
  boresight (:func:`geo.antenna.sector_gain_db`, tabulated at 0.1° elevation × 0.5°
  azimuth); 0 dB for omni stations (azimuth NaN). The elevation angle is that of the
  flat-ground geometry ``atan((h_BS − h_UT)/d)`` (terrain heights are not used for it).
* Clutter (default ``clear_model="los-probability"``): the DEM shows terrain, not the
  trees and houses around a terminal at 1.5 m. Where the terrain leaves the path clear,
  the path loss is the 38.901 LOS/NLOS pair weighted by the standard's LOS probability
  (TR 38.901 Table 7.4.2-1; RMa ``exp(−(d−10)/1000)``): ``PL = P·PL_LOS + (1−P)·PL_NLOS``
  — the expected loss in dB, a planning simplification of the standard's random LOS
  state. ``clear_model="los"`` uses PL_LOS alone (open country; far more optimistic:
  n78 reaches 20+ km over flat land).
* ``L_terrain`` (terrain on): the radial sweep of :mod:`geo.terrain` decides line of sight
  on the 4/3-Earth over the DEM; for cells *not* in line of sight it adds the knife-edge
  loss J(v) (ITU-R P.526-15 eq. (31)) of the *dominant obstacle* — the ground point with
  the highest elevation angle seen from the antenna — with v from its height above the
  antenna–cell line (eq. (26)). J(0) = 6 dB at grazing incidence. With the default
  ``obstructed_model="38901-nlos"`` an obstructed cell gets
  ``max(PL_clear + J(v), PL_NLOS)`` (TR 38.901's NLOS formula as a floor: a terrain-shadowed
  terminal is never better off than the standard's NLOS terminal); with
  ``"diffraction"`` it gets ``PL_clear + J(v)``.
* Diffraction (``diffraction_model``, default ``"bullington"``): instead of the dominant
  edge's J(v) above, every cell gets the Bullington loss of ITU-R P.526-15 §4.5.1
  eqs. (49)–(57) on the sweep's own profile (:mod:`geo.terrain`) — ``L_uc = J(v_b)``
  plus the eq. (57) correction ``(1 − e^(−L_uc/6))(10 + 0.02 d_km)``, also on clear
  paths whose first Fresnel zone the terrain intrudes (v > −0.78); the NLOS floor
  applies to obstructed cells as above. ``"knife-edge"`` is the single-edge model.
* Terrain off: flat Earth, every cell in line of sight, no diffraction.

Reach (window) of a station
---------------------------
Each station is computed out to the distance where its flat-ground, line-of-sight,
boresight RSRP falls :data:`REACH_MARGIN_DB` (10 dB) below its technology's threshold,
capped at ``max_radius_m`` (40 km). Terrain and antenna pattern only ever *lower* the
signal, so no cell beyond that radius could be covered. Cells outside every station's
reach are NaN in the RSRP rasters.

The analysis grid
-----------------
:func:`analysis_grid` is the province outline with a 1 km margin on every side, in
EPSG:32648 (``Grid.for_geometry(load_province(), resolution_m, margin_m=1000)``).

Speed
-----
Stations run in a thread pool over ``nogil`` numba kernels (the sweep of
:mod:`geo.terrain`, then an RSRP kernel using per-station lookup tables of path loss,
antenna gain and J(v)), and are merged into the province rasters as they finish.
Stations sharing an antenna position and height (e.g. a 5G site and its 4G anchor)
share one sweep: the sweep returns v at λ = 1 m and v ∝ λ^−1/2 is scaled per band. Each
station's window is cached (int16, 0.01 dB) under a key of the station's parameters,
the grid's key, the DEM's key and the physics settings: in memory (LRU, bounded by
``cache_max_mb``) and, if ``cache_dir`` is set, on disk, so changing one station
recomputes only that station.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numba
import numpy as np
import pandas as pd

from geo.correction import ModelCorrection
from geo.dem import COARSE_RESOLUTION_M
from geo.diffraction import (
    K_FACTOR,
    KNIFE_EDGE_V_MIN,
    knife_edge_loss_db,
    knife_edge_loss_db_nb,
)
from geo.grid import Grid, commune_id_raster, write_geotiff
from geo.propagation import MODELS, SPEED_OF_LIGHT_M_S, los_probability, path_loss_db
from geo.radio_defaults import GOOD_MARGIN_DB, TECHNOLOGIES, THRESHOLD_DBM, defaults_for
from geo.terrain import sweep_window

__all__ = [
    "REACH_MARGIN_DB",
    "MAX_RADIUS_M",
    "GRID_MARGIN_M",
    "CoverageConfig",
    "Coverage",
    "CoverageError",
    "analysis_grid",
    "compute",
    "station_rsrp_window",
    "clear_cache",
    "station_map",
    "StationMap",
]

REACH_MARGIN_DB = 10.0  # a station's window ends where flat-ground RSRP < threshold − this
MAX_RADIUS_M = 40_000.0  # hard cap of a station's window
GRID_MARGIN_M = 1_000.0  # analysis grid = province bounds + this on every side
_TABLE_STEPS_PER_CELL = 8  # path-loss / gain tables: this many samples per cell size
_AZ_STEPS_PER_DEG = 2  # antenna-pattern table: 0.5° azimuth columns
_EL_STEPS_PER_DEG = 10  # … and 0.1° elevation rows
_Q_NONE = np.int16(-32768)  # int16 sentinel: no value (outside the station's reach)
_Q_SCALE = 100.0  # int16 windows hold RSRP in 0.01 dB
_OBSTRUCTED_MODELS = ("38901-nlos", "diffraction")
_CLEAR_MODELS = ("los-probability", "los")
_DIFFRACTION_MODELS = ("bullington", "knife-edge")


class CoverageError(ValueError):
    """Invalid coverage input: stations, DEM, grid or configuration."""


# ----------------------------------------------------------------------------- config
@dataclass(frozen=True)
class CoverageConfig:
    """Settings of a coverage run.

    Parameters
    ----------
    terrain : bool
        True: line of sight and diffraction over the DEM (4/3 Earth). False: flat Earth,
        all line of sight, no diffraction (the baseline).
    indoor_margin_db : float
        Extra level required for "covered" (building penetration), dB; 0 = outdoor.
    thresholds_dbm : dict
        Minimum level per technology (5G SS-RSRP, LTE RSRP, UMTS RSCP, GSM RxLev),
        default :data:`geo.radio_defaults.THRESHOLD_DBM`.
    ue_height_m : float
        Terminal height above ground.
    max_radius_m : float
        Cap of each station's window (:data:`MAX_RADIUS_M`).
    reach_margin_db : float
        A window ends where flat-ground RSRP is this far below the threshold.
    k_factor : float
        Effective Earth-radius factor.
    model : str or None
        Force one path-loss model for every station (one of ``geo.propagation.MODELS``);
        None: ``urban_model`` for stations in wards (phường), else ``rural_model``.
    clear_model : {"los-probability", "los"}
        Path loss where the terrain leaves the path clear (module docstring).
    obstructed_model : {"38901-nlos", "diffraction"}
        Loss of terrain-obstructed paths (module docstring).
    diffraction_model : {"bullington", "knife-edge"}
        Terrain diffraction loss: the Bullington construction of ITU-R P.526-15 §4.5.1
        with the eq. (57) correction at every cell (default; ``docs/models.md`` §5), or
        the single dominant knife edge J(v) on obstructed cells only (the former model).
    sweep_oversample : int
        Rays per perimeter cell of the line-of-sight sweep (:func:`geo.terrain.sweep_window`):
        1 (fast, ≈ 98–99 % of cells as the per-pixel algorithm on very rough terrain) or
        more (slower, closer).
    technologies : tuple of str or None
        Compute only these technologies (None: every technology in the station list).
    workers : int or None
        Threads (None: the CPU count).
    cache_dir : str or None
        Folder for the on-disk per-station cache (None: memory only).
    cache_max_mb : float
        Bound of the in-memory per-station cache.
    calibration : geo.correction.ModelCorrection or None
        A correction fitted to drive tests (:mod:`analysis.calibration`): per technology
        ``offset + slope·log10(d / 1 km)`` dB added to every station's RSRP at
        distance ``d`` (:func:`geo.correction.correction_db`). None: the model as is.
    """

    terrain: bool = True
    indoor_margin_db: float = 0.0
    thresholds_dbm: Mapping[str, float] = field(default_factory=lambda: dict(THRESHOLD_DBM))
    ue_height_m: float = 1.5
    max_radius_m: float = MAX_RADIUS_M
    reach_margin_db: float = REACH_MARGIN_DB
    k_factor: float = K_FACTOR
    model: str | None = None
    rural_model: str = "38901-rma"
    urban_model: str = "38901-uma"
    clear_model: str = "los-probability"
    obstructed_model: str = "38901-nlos"
    diffraction_model: str = "bullington"
    sweep_oversample: int = 1
    technologies: tuple[str, ...] | None = None
    workers: int | None = None
    cache_dir: str | None = None
    cache_max_mb: float = 1024.0
    calibration: Any = None  # geo.correction.ModelCorrection | None

    def __post_init__(self) -> None:
        for name in ("model", "rural_model", "urban_model"):
            value = getattr(self, name)
            if value is not None and value not in MODELS:
                msg = f"CoverageConfig.{name}={value!r}: expected one of {', '.join(MODELS)}."
                raise CoverageError(msg)
        if self.clear_model not in _CLEAR_MODELS:
            msg = (f"CoverageConfig.clear_model={self.clear_model!r}: expected one "
                   f"of {', '.join(_CLEAR_MODELS)}.")
            raise CoverageError(msg)
        if self.obstructed_model not in _OBSTRUCTED_MODELS:
            msg = (f"CoverageConfig.obstructed_model={self.obstructed_model!r}: expected one "
                   f"of {', '.join(_OBSTRUCTED_MODELS)}.")
            raise CoverageError(msg)
        if self.diffraction_model not in _DIFFRACTION_MODELS:
            msg = (f"CoverageConfig.diffraction_model={self.diffraction_model!r}: expected one "
                   f"of {', '.join(_DIFFRACTION_MODELS)}.")
            raise CoverageError(msg)
        if not (0.0 < self.max_radius_m <= 200_000.0):
            msg = f"CoverageConfig.max_radius_m={self.max_radius_m!r}: expected 0 < r ≤ 200000 m."
            raise CoverageError(msg)
        if not (0.0 <= self.indoor_margin_db <= 60.0):
            msg = f"CoverageConfig.indoor_margin_db={self.indoor_margin_db!r}: expected 0–60 dB."
            raise CoverageError(msg)
        if not (0.0 < self.ue_height_m <= 50.0):
            msg = f"CoverageConfig.ue_height_m={self.ue_height_m!r}: expected 0 < h ≤ 50 m."
            raise CoverageError(msg)
        if self.technologies is not None:
            bad = [t for t in self.technologies if t not in TECHNOLOGIES]
            if bad:
                msg = f"CoverageConfig.technologies has {bad}: expected some of {TECHNOLOGIES}."
                raise CoverageError(msg)
        if self.calibration is not None and not isinstance(self.calibration, ModelCorrection):
            msg = (f"CoverageConfig.calibration must be a geo.correction.ModelCorrection or None; "
                   f"got {type(self.calibration).__name__}.")
            raise CoverageError(msg)

    def threshold_dbm(self, tech: str) -> float:
        """Threshold of ``tech`` without the indoor margin."""
        if tech in self.thresholds_dbm:
            return float(self.thresholds_dbm[tech])
        return float(THRESHOLD_DBM[tech])

    def covered_threshold_dbm(self, tech: str) -> float:
        """Level needed for "covered": threshold + indoor margin."""
        return self.threshold_dbm(tech) + float(self.indoor_margin_db)

    def physics_key(self, tech: str) -> str:
        """What a station's window depends on besides the station, grid and DEM."""
        return (f"t{int(self.terrain)}|ue{self.ue_height_m:g}|r{self.max_radius_m:g}|"
                f"m{self.reach_margin_db:g}|k{self.k_factor:.6f}|o{self.obstructed_model}|"
                f"c{self.clear_model}|"
                f"s{self.sweep_oversample}|d{self.diffraction_model}|"
                f"th{self.threshold_dbm(tech):g}"
                + (f"|cal{self.calibration.key(tech)}" if self.calibration is not None else ""))


def analysis_grid(resolution_m: float = 100.0) -> Grid:
    """The province's analysis grid: outline + 1 km margin, EPSG:32648."""
    from geo.data import load_province

    return Grid.for_geometry(load_province(), resolution_m, margin_m=GRID_MARGIN_M)


# ----------------------------------------------------------------------------- stations
_STATION_COLUMNS = ("technology", "band_mhz", "height_m", "eirp_dbm", "azimuth_deg", "tilt_deg")


def _as_frame(stations) -> gpd.GeoDataFrame:
    gdf = getattr(stations, "stations", stations)
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = (f"stations must be a StationSet or a GeoDataFrame; got {type(stations).__name__}.")
        raise CoverageError(msg)
    if gdf.crs is None:
        msg = "The station GeoDataFrame has no CRS; set EPSG:4326 for lon/lat points."
        raise CoverageError(msg)
    if "technology" not in gdf.columns:
        msg = "The station list has no 'technology' column (expected 2G/3G/4G/5G per row)."
        raise CoverageError(msg)
    return gdf


def _station_params(row: Mapping[str, Any], config: CoverageConfig) -> dict[str, Any]:
    """Radio parameters of one station, defaults filled (see module docstring)."""
    tech = str(row.get("technology", "")).upper()
    if tech not in TECHNOLOGIES:
        msg = f"Station {row.get('station_id', '?')}: technology {tech!r} is not one of {TECHNOLOGIES}."
        raise CoverageError(msg)

    def num(name):
        v = row.get(name)
        try:
            v = float(v)
        except (TypeError, ValueError):
            return None
        return None if math.isnan(v) else v

    band = num("band_mhz")
    d = defaults_for(tech, band)
    height = num("height_m") or d.height_m
    eirp = num("eirp_dbm")
    eirp = d.eirp_dbm if eirp is None else eirp
    az = num("azimuth_deg")
    tilt = num("tilt_deg") or 0.0
    n_re = num("subcarriers") or float(d.subcarriers)
    model = row.get("model") or config.model or row.get("_model") or config.rural_model
    return {
        "technology": tech, "band_mhz": float(d.band_mhz), "height_m": float(height),
        "eirp_dbm": float(eirp), "azimuth_deg": az, "tilt_deg": float(tilt),
        "subcarriers": float(n_re), "beamwidth_deg": float(d.beamwidth_deg),
        "front_to_back_db": float(d.front_to_back_db), "model": str(model),
    }


def _station_models(gdf: gpd.GeoDataFrame, config: CoverageConfig, communes) -> list[str]:
    """Path-loss model per station: forced, or by the kind of commune it stands in."""
    if config.model is not None:
        return [config.model] * len(gdf)
    if communes is None:
        try:
            from geo.data import load_communes

            communes = load_communes()
        except Exception:  # no embedded data (e.g. a bare test checkout): all rural
            return [config.rural_model] * len(gdf)
    if "kind" not in communes.columns or len(gdf) == 0:
        return [config.rural_model] * len(gdf)
    pts = gpd.GeoDataFrame(geometry=gdf.geometry.to_crs(communes.crs).values, crs=communes.crs)
    pts["_pos"] = np.arange(len(pts))
    joined = gpd.sjoin(pts, communes[["kind", "geometry"]], how="left", predicate="within")
    joined = joined.drop_duplicates("_pos").sort_values("_pos")
    is_ward = joined["kind"].astype(str).str.lower().str.startswith("phường").to_numpy()
    return [config.urban_model if w else config.rural_model for w in is_ward]


# ----------------------------------------------------------------------------- tables
@lru_cache(maxsize=256)
def _radial_tables(model: str, f_mhz: float, h_bs_m: float, h_ut_m: float, step_m: float,
                   n: int, clear_model: str = "los-probability"):
    """Path loss (terrain-clear, NLOS), validity flags and pattern elevation row at
    ``d = i·step_m``; the clear path is LOS or the LOS-probability blend (module docs)."""
    d = np.arange(n, dtype=float) * step_m
    pl_los, ext = path_loss_db(model, d, f_mhz, h_bs_m, h_ut_m, los=True, strict=False,
                               return_extrapolated=True)
    pl_nlos, ext_n = path_loss_db(model, d, f_mhz, h_bs_m, h_ut_m, los=False, strict=False,
                                  return_extrapolated=True)
    if clear_model == "los-probability":
        p_los = los_probability(model, d, h_ut_m)
        pl_los = p_los * pl_los + (1.0 - p_los) * pl_nlos
        ext = ext | ((p_los < 1.0) & ext_n)
    elev_deg = -np.degrees(np.arctan2(h_bs_m - h_ut_m, np.maximum(d, 1.0)))
    el_idx = np.clip(np.round((elev_deg + 90.0) * _EL_STEPS_PER_DEG), 0, 180 * _EL_STEPS_PER_DEG)
    return (np.ascontiguousarray(pl_los, dtype=np.float64),
            np.ascontiguousarray(pl_nlos, dtype=np.float64),
            np.ascontiguousarray(ext, dtype=np.bool_),
            np.ascontiguousarray(ext_n, dtype=np.bool_),
            np.ascontiguousarray(el_idx, dtype=np.int32))


@lru_cache(maxsize=64)
def _gain_table(beamwidth_deg: float, fb_db: float, tilt_deg: float) -> np.ndarray:
    """TR 38.901 sector pattern (:func:`geo.antenna.sector_gain_db`) on a grid of
    elevation (−90…90°, 0.1° rows) × azimuth offset (−180…180°, 0.5° columns)."""
    from geo.antenna import sector_gain_db

    el = -90.0 + np.arange(180 * _EL_STEPS_PER_DEG + 1) / _EL_STEPS_PER_DEG
    az = -180.0 + np.arange(360 * _AZ_STEPS_PER_DEG) / _AZ_STEPS_PER_DEG
    g = sector_gain_db(az[None, :], el[:, None], beamwidth_deg=beamwidth_deg,
                       front_to_back_db=fb_db, tilt_deg=tilt_deg)
    return np.ascontiguousarray(g, dtype=np.float32)


_OMNI_TABLE = np.zeros((1, 1), dtype=np.float32)

# knife-edge loss J(v) (geo.diffraction.knife_edge_loss_db) tabulated for the kernels:
# v from −0.78 to 40 in steps of 0.002 (linear interpolation error < 0.001 dB)
_J_V_MIN = KNIFE_EDGE_V_MIN
_J_STEPS_PER_UNIT = 500.0
_J_N = int((40.0 - KNIFE_EDGE_V_MIN) * _J_STEPS_PER_UNIT) + 1
_J_TABLE = np.asarray(knife_edge_loss_db(_J_V_MIN + np.arange(_J_N) / _J_STEPS_PER_UNIT),
                      dtype=np.float64)
# … and the eq. (57) factor 1 − exp(−J(v)/6) of ITU-R P.526-15 on the same v steps
_JC_TABLE = 1.0 - np.exp(-_J_TABLE / 6.0)
_NO_OUT = np.empty((0, 0), dtype=np.float32)  # placeholder for the kernel's optional outputs


# ----------------------------------------------------------------------------- kernels
@numba.njit(cache=True, nogil=True)
def _rsrp_kernel(v, has_v, v_r_off, v_c_off, v_scale, row, col, r_lo, c_lo, res_m, reach_m,
                 eirp_re_dbm, step_m,
                 pl_los, pl_nlos, ext_los, ext_nlos, el_idx, gain, az0_deg, nlos_floor, out,
                 bullington=False, want_loss=False, pl_out=_NO_OUT, diff_out=_NO_OUT):
    """RSRP (int16, 0.01 dB) of one station over its window; returns extrapolated count.

    ``v`` (when ``has_v``) is the sweep's Fresnel parameter at λ = 1 m over a window that
    contains this one at offset (``v_r_off``, ``v_c_off``); ``v_scale`` = λ^−1/2.
    ``bullington``: ``v`` is the Bullington one (every cell with v > −0.78 gets
    ``L_uc = J(v)`` and the eq. (57) correction); else the dominant edge's (obstructed
    cells get J(v)). ``want_loss``: also write the total path loss and the terrain
    diffraction loss (float32 dB, NaN outside reach) into ``pl_out`` / ``diff_out``.
    """
    wr, wc = out.shape
    n_tab = pl_los.shape[0]
    n_az = gain.shape[1]
    sectored = n_az > 1
    az_steps = n_az / 360.0
    n_ext = 0
    reach2 = (reach_m / res_m) ** 2
    for i in range(wr):
        di = r_lo + i - row
        for j in range(wc):
            dj = c_lo + j - col
            d2 = float(di * di + dj * dj)
            if d2 > reach2:
                out[i, j] = -32768
                if want_loss:
                    pl_out[i, j] = np.nan
                    diff_out[i, j] = np.nan
                continue
            vv = -np.inf
            if has_v:
                vv = v[i + v_r_off, j + v_c_off] * v_scale
                if vv != vv:
                    out[i, j] = -32768
                    if want_loss:
                        pl_out[i, j] = np.nan
                        diff_out[i, j] = np.nan
                    continue
            x = math.sqrt(d2) * res_m / step_m
            k = int(x)
            if k >= n_tab - 1:
                k = n_tab - 2
            w = x - k
            kn = k + 1 if w > 0.5 else k
            pl = (1.0 - w) * pl_los[k] + w * pl_los[k + 1]
            ext = ext_los[kn]
            g = 0.0
            if sectored:
                az = math.degrees(math.atan2(float(dj), float(-di))) - az0_deg + 180.0
                ia = int(math.floor(az * az_steps + 0.5)) % n_az
                g = gain[el_idx[kn], ia]
            l_d = 0.0
            if vv > 0.0 or (bullington and vv > _J_V_MIN):
                # terrain diffraction: J(v) of the dominant edge, or Bullington's L_uc
                xv = (vv - _J_V_MIN) * _J_STEPS_PER_UNIT
                kv = int(xv)
                if kv < _J_N - 1:
                    wv = xv - kv
                    l_d = (1.0 - wv) * _J_TABLE[kv] + wv * _J_TABLE[kv + 1]
                    c57 = (1.0 - wv) * _JC_TABLE[kv] + wv * _JC_TABLE[kv + 1]
                else:
                    l_d = knife_edge_loss_db_nb(vv)
                    c57 = 1.0 - math.exp(-l_d / 6.0)
                if bullington:  # ITU-R P.526-15 eq. (57), d in km
                    l_d += c57 * (10.0 + 0.00002 * math.sqrt(d2) * res_m)
                pl += l_d
            if vv > 0.0:  # terrain in the way
                if nlos_floor:
                    pn = (1.0 - w) * pl_nlos[k] + w * pl_nlos[k + 1]
                    if pn > pl:
                        pl = pn
                    ext = ext_nlos[kn]
            if ext:
                n_ext += 1
            if want_loss:
                pl_out[i, j] = pl
                diff_out[i, j] = l_d
            q = (eirp_re_dbm - pl + g) * 100.0
            if q < -32767.0:
                q = -32767.0
            elif q > 32767.0:
                q = 32767.0
            out[i, j] = np.int16(math.floor(q + 0.5))
    return n_ext


@numba.njit(cache=True, nogil=True)
def _merge_kernel(q, r_lo, c_lo, idx, thr_q, best, server, count):
    """Fold one station window into the province arrays (max, best server, count)."""
    wr, wc = q.shape
    for i in range(wr):
        gi = r_lo + i
        for j in range(wc):
            x = q[i, j]
            if x == -32768:
                continue
            gj = c_lo + j
            b = best[gi, gj]
            if x > b or (x == b and idx < server[gi, gj]):
                best[gi, gj] = x
                server[gi, gj] = idx
            if x >= thr_q:
                count[gi, gj] += 1


# ----------------------------------------------------------------------------- per station
@dataclass
class _StationResult:
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
    """Window radius (module docstring) and the radial tables, at table resolution."""
    step = grid.resolution_m / _TABLE_STEPS_PER_CELL
    n = int(math.ceil(config.max_radius_m * math.sqrt(2.0) / step)) + 3
    tables = _radial_tables(params["model"], params["band_mhz"], params["height_m"],
                            float(config.ue_height_m), step, n, config.clear_model)
    if config.calibration is not None and config.calibration.covers(params["technology"]):
        # drive-test correction (geo.correction): + Δ(d) dB on RSRP = − Δ(d) on path loss
        delta = config.calibration.correction_db(params["technology"], np.arange(n) * step)
        tables = (tables[0] - delta, tables[1] - delta, *tables[2:])
    pl_los = tables[0]
    eirp_re = params["eirp_dbm"] - 10.0 * math.log10(params["subcarriers"])
    floor = config.threshold_dbm(params["technology"]) - config.reach_margin_db
    rsrp_flat = eirp_re - pl_los  # boresight (relative gain 0 dB), terrain clear
    above = np.flatnonzero(rsrp_flat >= floor)
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
                band_max_mhz: float | None = None):
    """Sweep once per antenna position; ``v`` at λ = 1 m (v ∝ λ^−1/2, scaled per band).

    ``band_max_mhz``: the highest band that will use it; clear cells whose ``v`` stays
    below J's −0.78 at that band need no exact value (:func:`geo.terrain.sweep_window`).
    """
    v_floor = -math.inf
    if band_max_mhz:
        v_floor = KNIFE_EDGE_V_MIN * math.sqrt(SPEED_OF_LIGHT_M_S / (band_max_mhz * 1e6))
    r_lo, r_hi, c_lo, c_hi = _window(row, col, reach_m, grid)
    if elevation is None:
        elevation = _flat_ground(grid.shape)
    v1 = sweep_window(elevation, grid.resolution_m, row, col, height_m, config.ue_height_m,
                      reach_m, window=(slice(r_lo, r_hi), slice(c_lo, c_hi)),
                      wavelength_m=1.0, k_factor=config.k_factor,
                      oversample=config.sweep_oversample,
                      method="bullington" if config.diffraction_model == "bullington" else "dominant",
                      v_floor=v_floor)
    return v1, r_lo, c_lo


def _compute_station(params: dict, row: int, col: int, grid: Grid,
                     elevation: np.ndarray | None, config: CoverageConfig,
                     sweep=None, with_loss: bool = False) -> _StationResult:
    """One station's window; ``sweep`` = a shared :func:`_site_sweep` result covering it.

    ``with_loss``: the result also carries the window's total path loss and terrain
    diffraction loss (dB) — what :func:`geo.station_map.station_map` returns.
    """
    res = grid.resolution_m
    reach, (pl_los, pl_nlos, ext_los, ext_nlos, el_idx) = _reach_m(params, grid, config)
    r_lo, r_hi, c_lo, c_hi = _window(row, col, reach, grid)
    out = np.empty((max(0, r_hi - r_lo), max(0, c_hi - c_lo)), dtype=np.int16)
    if out.size == 0:
        return _StationResult(r_lo, c_lo, out, 0, reach, params["model"])
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
    eirp_re = params["eirp_dbm"] - 10.0 * math.log10(params["subcarriers"])
    pl_out = np.empty(out.shape, dtype=np.float32) if with_loss else _NO_OUT
    diff_out = np.empty(out.shape, dtype=np.float32) if with_loss else _NO_OUT
    n_ext = _rsrp_kernel(v, has_v, r_lo - v_r_lo, c_lo - v_c_lo, 1.0 / math.sqrt(wavelength),
                         row, col, r_lo, c_lo, res, reach, eirp_re,
                         res / _TABLE_STEPS_PER_CELL, pl_los, pl_nlos, ext_los, ext_nlos,
                         el_idx, gain, float(az0), config.obstructed_model == "38901-nlos", out,
                         config.diffraction_model == "bullington", with_loss, pl_out, diff_out)
    result = _StationResult(r_lo, c_lo, out, int(n_ext), reach, params["model"])
    if with_loss:
        result.path_loss_db, result.diffraction_db = pl_out, diff_out
    return result


def _group_windows(group, grid: Grid, elevation: np.ndarray | None,
                   config: CoverageConfig) -> list[tuple[int, dict, _StationResult]]:
    """Windows of the stations of one antenna position (one shared line-of-sight sweep).

    ``group`` items are ``(pos, params, row, col, cache_key)``; returns ``(pos, params,
    result)`` in the same order. Pure: no cache, no shared state (runs on any worker).
    """
    sweep = None
    if config.terrain and len(group) > 1:
        reach = max(_reach_m(p, grid, config)[0] for _, p, _, _, _ in group)
        _, p0, r0, c0, _ = group[0]
        sweep = _site_sweep(r0, c0, p0["height_m"], reach, grid, elevation, config,
                            max(p["band_mhz"] for _, p, _, _, _ in group))
    return [(pos, params, _compute_station(params, r, c, grid, elevation, config, sweep))
            for pos, params, r, c, _ in group]


def _fold_tile(r0: int, c0: int, best_t: np.ndarray, server_t: np.ndarray,
               count_t: np.ndarray, best: np.ndarray, server: np.ndarray,
               count: np.ndarray) -> None:
    """Fold a combined tile into the province arrays, as :func:`_merge_kernel` would.

    Keeps the higher level, the lower station row on equal levels, and adds counts — an
    associative, commutative combination, so any tiling and order give the same arrays.
    """
    sl = (slice(r0, r0 + best_t.shape[0]), slice(c0, c0 + best_t.shape[1]))
    b, s = best[sl], server[sl]
    take = (best_t > b) | ((best_t == b) & (server_t < s))
    b[take] = best_t[take]
    s[take] = server_t[take]
    count[sl] += count_t


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
    params = _station_params(station, config)
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


# ----------------------------------------------------------------------------- cache
class _LruCache:
    """Per-station results, bounded by bytes; optional on-disk mirror."""

    def __init__(self) -> None:
        self._data: OrderedDict[str, _StationResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, cache_dir: str | None) -> _StationResult | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
                return hit
        if cache_dir:
            path = Path(cache_dir) / f"{key}.npz"
            if path.exists():
                try:
                    with np.load(path, allow_pickle=False) as z:
                        meta = json.loads(str(z["meta"]))
                        return _StationResult(meta["r_lo"], meta["c_lo"], z["q"],
                                              meta["n_ext"], meta["reach_m"], meta["model"])
                except (OSError, ValueError, KeyError):
                    return None
        return None

    def put(self, key: str, value: _StationResult, max_mb: float, cache_dir: str | None) -> None:
        limit = max_mb * 1e6
        if value.nbytes <= limit:
            with self._lock:
                old = self._data.pop(key, None)
                if old is not None:
                    self._bytes -= old.nbytes
                self._data[key] = value
                self._bytes += value.nbytes
                while self._bytes > limit and self._data:
                    _, ev = self._data.popitem(last=False)
                    self._bytes -= ev.nbytes
        if cache_dir:
            folder = Path(cache_dir)
            folder.mkdir(parents=True, exist_ok=True)
            meta = json.dumps({"r_lo": value.r_lo, "c_lo": value.c_lo, "n_ext": value.n_extrapolated,
                               "reach_m": value.reach_m, "model": value.model})
            tmp = folder / f"{key}.tmp.npz"
            np.savez(tmp, q=value.q, meta=np.array(meta))
            os.replace(tmp, folder / f"{key}.npz")

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)


_CACHE = _LruCache()


def clear_cache() -> None:
    """Empty the in-memory per-station cache (the on-disk one is left alone)."""
    _CACHE.clear()


def _station_key(params: dict, row: int, col: int, grid: Grid, dem_key: str,
                 config: CoverageConfig) -> str:
    text = json.dumps([params, row, col, grid.key(), dem_key,
                       config.physics_key(params["technology"])], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()


# ----------------------------------------------------------------------------- result
@dataclass
class Coverage:
    """Combined coverage rasters on ``grid`` (see :func:`compute`)."""

    grid: Grid
    rsrp_dbm: dict[str, np.ndarray]
    best_server: dict[str, np.ndarray]
    n_servers: dict[str, np.ndarray]
    metadata: dict[str, Any]
    config: CoverageConfig = field(default_factory=CoverageConfig)
    stations: gpd.GeoDataFrame | None = None

    @property
    def technologies(self) -> list[str]:
        return sorted(self.rsrp_dbm)

    def covered(self, tech: str = "any") -> np.ndarray:
        """Cells at or above the technology's threshold + indoor margin.

        ``tech``: '2G', '3G', '4G', '5G' or 'any' (union of the computed technologies).
        A technology with no station is covered nowhere.
        """
        t = str(tech).upper() if str(tech).lower() != "any" else "any"
        if t == "any":
            out = np.zeros(self.grid.shape, dtype=bool)
            for k in self.rsrp_dbm:
                out |= self.covered(k)
            return out
        if t not in TECHNOLOGIES:
            msg = f"Unknown technology {tech!r}: expected one of {', '.join(TECHNOLOGIES)} or 'any'."
            raise CoverageError(msg)
        if t not in self.rsrp_dbm:
            return np.zeros(self.grid.shape, dtype=bool)
        thr = self.config.covered_threshold_dbm(t)
        with np.errstate(invalid="ignore"):
            return self.rsrp_dbm[t] >= np.float32(thr)

    def good(self, tech: str) -> np.ndarray:
        """Cells :data:`GOOD_MARGIN_DB` above the covered level."""
        t = str(tech).upper()
        if t not in self.rsrp_dbm:
            return np.zeros(self.grid.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            return self.rsrp_dbm[t] >= np.float32(self.config.covered_threshold_dbm(t) + GOOD_MARGIN_DB)

    def summary(self, population: np.ndarray | None = None, tech: str = "any",
                area_mask: np.ndarray | None = None) -> dict[str, Any]:
        """People and area covered by ``tech``.

        Parameters
        ----------
        population : numpy.ndarray, optional
            People per cell on the grid (``geo.population.population_on_grid``).
        tech : str
            Technology or 'any'.
        area_mask : numpy.ndarray of bool, optional
            Cells that count for the area share (e.g. inside the province); default
            ``metadata``'s province mask if :func:`compute` had communes, else all cells.

        Returns
        -------
        dict
            ``people_total, people_covered, share_covered, area_km2, area_covered_km2,
            area_share_covered, tech``.
        """
        cov = self.covered(tech)
        mask = area_mask if area_mask is not None else self._area_mask
        if mask is None:
            mask = np.ones(self.grid.shape, dtype=bool)
        cell_km2 = self.grid.cell_area_m2 / 1e6
        n_area = int(mask.sum())
        n_cov = int((cov & mask).sum())
        out: dict[str, Any] = {
            "tech": tech,
            "area_km2": round(n_area * cell_km2, 3),
            "area_covered_km2": round(n_cov * cell_km2, 3),
            "area_share_covered": (n_cov / n_area) if n_area else 0.0,
        }
        if population is not None:
            pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
            if pop.shape != self.grid.shape:
                msg = f"population has shape {pop.shape}; the grid needs {self.grid.shape}."
                raise CoverageError(msg)
            total = float(pop.sum())
            covered = float(pop[cov].sum())
            out.update(people_total=total, people_covered=min(covered, total),
                       share_covered=(covered / total) if total > 0 else 0.0)
        return out

    _area_mask: np.ndarray | None = field(default=None, repr=False)

    def per_commune(self, communes: gpd.GeoDataFrame, population: np.ndarray | None = None,
                    tech: str = "any") -> pd.DataFrame:
        """Covered area and people per commune (one row per row of ``communes``)."""
        ids = commune_id_raster(self.grid, communes)
        n = len(communes)
        cov = self.covered(tech)
        valid = ids >= 0
        cell_km2 = self.grid.cell_area_m2 / 1e6
        area = np.bincount(ids[valid], minlength=n) * cell_km2
        area_cov = np.bincount(ids[valid & cov], minlength=n) * cell_km2
        df = pd.DataFrame({
            "area_km2": area, "covered_km2": area_cov,
            "area_share_covered": np.divide(area_cov, area, out=np.zeros(n), where=area > 0),
        }, index=communes.index)
        for col in ("code", "name", "kind"):
            if col in communes.columns:
                df.insert(0, col, communes[col].to_numpy())
        if population is not None:
            pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
            people = np.bincount(ids[valid], weights=pop[valid], minlength=n)
            people_cov = np.bincount(ids[valid & cov], weights=pop[valid & cov], minlength=n)
            df["people"] = people
            df["people_covered"] = np.minimum(people_cov, people)
            df["share_covered"] = np.divide(df["people_covered"].to_numpy(), people,
                                            out=np.zeros(n), where=people > 0)
        return df

    def tags(self, tech: str | None = None) -> dict[str, str]:
        """GeoTIFF tags: DEM, resolution, terrain, thresholds, warnings."""
        md = self.metadata
        tags = {
            "SOFTWARE": "lomsong coverage engine",
            "RESOLUTION_M": f"{self.grid.resolution_m:g}",
            "TERRAIN": "on" if md.get("terrain") else "off",
            "DEM": str(md.get("dem")),
            "DEM_RESOLUTION_M": str(md.get("dem_resolution_m")),
            "INDOOR_MARGIN_DB": f"{self.config.indoor_margin_db:g}",
            "WARNINGS": "; ".join(md.get("warnings", [])) or "none",
        }
        if md.get("dem_warning"):
            tags["DEM_WARNING"] = md["dem_warning"]
        if md.get("calibration"):
            tags["CALIBRATION"] = str(md["calibration"])
        if tech and tech in TECHNOLOGIES:
            tags["TECHNOLOGY"] = tech
            tags["THRESHOLD_DBM"] = f"{self.config.threshold_dbm(tech):g}"
        return tags

    def to_geotiffs(self, folder: str | Path, techs: Sequence[str] | None = None) -> list[Path]:
        """Write compressed COG GeoTIFFs (EPSG of the grid) into ``folder``.

        Per technology: ``rsrp_<tech>.tif`` (float32 dBm, nodata NaN),
        ``best_server_<tech>.tif`` (int32 station row, nodata −1),
        ``n_servers_<tech>.tif`` (uint16), ``covered_<tech>.tif`` (uint8 0/1,
        nodata 255); plus ``covered_any.tif``. Tags carry the DEM source and resolution,
        terrain mode, thresholds and warnings (e.g. the coarse-DEM one).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        techs = list(techs) if techs is not None else self.technologies
        paths: list[Path] = []
        for t in techs:
            if t not in self.rsrp_dbm:
                continue
            tags = self.tags(t)
            low = t.lower()
            paths.append(write_geotiff(folder / f"rsrp_{low}.tif", self.rsrp_dbm[t], self.grid,
                                       nodata=np.nan, tags={**tags, "UNITS": "dBm"},
                                       band_description=f"best {t} RSRP (dBm)"))
            paths.append(write_geotiff(folder / f"best_server_{low}.tif", self.best_server[t],
                                       self.grid, nodata=-1, tags=tags,
                                       band_description=f"best {t} server (station row)"))
            paths.append(write_geotiff(folder / f"n_servers_{low}.tif", self.n_servers[t],
                                       self.grid, nodata=None, tags=tags,
                                       band_description=f"{t} servers above threshold"))
            paths.append(write_geotiff(folder / f"covered_{low}.tif",
                                       self.covered(t).astype(np.uint8), self.grid, nodata=255,
                                       tags=tags, band_description=f"{t} covered (0/1)"))
        paths.append(write_geotiff(folder / "covered_any.tif", self.covered("any").astype(np.uint8),
                                   self.grid, nodata=255, tags=self.tags(None),
                                   band_description="covered by any technology (0/1)"))
        return paths


# ----------------------------------------------------------------------------- compute
def _resolve_dem(dem, grid: Grid) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Elevation on the grid and DEM metadata for any accepted ``dem`` argument."""
    if dem is None:
        return None, {"dem": "none (flat ground)", "dem_resolution_m": None, "dem_key": "flat",
                      "dem_warning": None}
    if isinstance(dem, str | Path):
        from geo.dem import load_dem

        dem = load_dem(dem)
    if isinstance(dem, np.ndarray):
        arr = _check_elevation(dem, grid)
        key = hashlib.sha1(arr.tobytes()).hexdigest()
        return arr, {"dem": f"array on the grid ({grid.resolution_m:g} m)",
                     "dem_resolution_m": float(grid.resolution_m), "dem_key": key,
                     "dem_warning": None}
    if not hasattr(dem, "on_grid"):
        msg = f"dem must be a geo.dem.Dem, an array on the grid, a path or None; got {type(dem).__name__}."
        raise CoverageError(msg)
    arr = np.ascontiguousarray(dem.on_grid(grid, fill_value=0.0), dtype=np.float32)
    res = float(dem.resolution_m)
    warning = dem.warning if hasattr(dem, "warning") else (
        f"coarse DEM: terrain shadows only resolved at ~{res / 1000:.0f} km"
        if res > COARSE_RESOLUTION_M else None)
    describe = dem.describe() if hasattr(dem, "describe") else str(getattr(dem, "source", "DEM"))
    return arr, {"dem": describe, "dem_resolution_m": res, "dem_key": str(dem.key),
                 "dem_warning": warning}


def compute(
    stations, grid: Grid, dem=None, config: CoverageConfig | None = None,
    population: np.ndarray | None = None, communes: gpd.GeoDataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Callable[..., Any] | None = None,
) -> Coverage:
    """Coverage of a station list on ``grid``.

    Parameters
    ----------
    stations : StationSet or geopandas.GeoDataFrame
        Points (any CRS, EPSG:4326 usual) with ``technology`` and optionally
        ``band_mhz, height_m, eirp_dbm, azimuth_deg, tilt_deg`` (defaults per
        technology otherwise).
    grid : geo.grid.Grid
        Analysis grid (:func:`analysis_grid` for the province).
    dem : geo.dem.Dem, numpy.ndarray, path or None
        Terrain; an array must already be on ``grid``; None = flat ground.
    config : CoverageConfig, optional
    population : numpy.ndarray, optional
        People per cell, for ``metadata["summary"]``.
    communes : geopandas.GeoDataFrame, optional
        Units with ``kind`` (decides RMa/UMa per station) — default the embedded
        communes; also gives the province mask for area shares.
    progress : callable, optional
        ``progress(done, total)`` after each station.
    executor : callable, optional
        Runs the per-station work somewhere else (default None: this process, a thread
        pool of ``config.workers``). Called once as ``executor(groups, grid=, elevation=,
        config=, thr_q=, progress=)`` with the stations still to compute, grouped by
        antenna position (items ``(pos, params, row, col, cache_key)``; each group is one
        call of :func:`_group_windows`), ``thr_q`` the covered level per technology in
        0.01 dB and ``progress(n)`` to report ``n`` more stations done. It returns
        ``(tiles, station_stats)``: ``tiles`` a list of ``(row0, col0, {tech: (best_q int16,
        server int32, count uint16)})`` combined windows (any tiling; folded here by
        :func:`_fold_tile`), ``station_stats`` ``(pos, n_extrapolated, cells_evaluated,
        reach_m, model)`` per computed station. See :mod:`analysis.distributed`.

    Returns
    -------
    Coverage
    """
    t0 = time.perf_counter()
    config = config or CoverageConfig()
    gdf = _as_frame(stations)
    elevation, dem_meta = _resolve_dem(dem, grid)
    if not config.terrain:
        elevation = None
    warnings: list[str] = []
    if config.terrain and dem_meta["dem_warning"]:
        warnings.append(dem_meta["dem_warning"])
    if config.terrain and dem is None:
        warnings.append("no DEM given: terrain on flat ground (Earth curvature only)")

    techs_all = gdf["technology"].astype(str).str.upper().to_numpy()
    wanted = set(config.technologies) if config.technologies else set(techs_all) & set(TECHNOLOGIES)
    models = _station_models(gdf, config, communes)
    projected = gdf.geometry.to_crs(grid.crs)
    xs, ys = projected.x.to_numpy(dtype=float), projected.y.to_numpy(dtype=float)
    rows, cols = grid.rowcol(xs, ys)
    records = gdf.drop(columns=gdf.geometry.name).to_dict("records")

    jobs = []
    n_outside = 0
    for pos, rec in enumerate(records):
        tech = str(rec.get("technology", "")).upper()
        if tech not in wanted:
            continue
        r, c = int(rows[pos]), int(cols[pos])
        if not (0 <= r < grid.height and 0 <= c < grid.width):
            n_outside += 1
            continue
        rec = dict(rec)
        rec["_model"] = models[pos]
        params = _station_params(rec, config)
        jobs.append((pos, params, r, c))
    if n_outside:
        warnings.append(f"{n_outside} station(s) outside the analysis grid were skipped")

    shape = grid.shape
    best_q = {t: np.full(shape, _Q_NONE, dtype=np.int16) for t in sorted(wanted)}
    server = {t: np.full(shape, -1, dtype=np.int32) for t in sorted(wanted)}
    count = {t: np.zeros(shape, dtype=np.uint16) for t in sorted(wanted)}
    thr_q = {t: int(math.ceil(config.covered_threshold_dbm(t) * _Q_SCALE - 1e-9)) for t in wanted}

    dem_key = dem_meta["dem_key"] if config.terrain else "terrain-off"
    stats = {"extrapolated_cells": 0, "cache_hits": 0, "computed": 0, "cells_evaluated": 0,
             "reach_m": [], "models": {}}

    def merge(pos: int, params: dict, res: _StationResult) -> None:
        t = params["technology"]
        if res.q.size:
            _merge_kernel(res.q, res.r_lo, res.c_lo, pos, thr_q[t], best_q[t], server[t], count[t])
        stats["extrapolated_cells"] += res.n_extrapolated
        stats["cells_evaluated"] += int(res.q.size)
        stats["reach_m"].append(res.reach_m)
        stats["models"][res.model] = stats["models"].get(res.model, 0) + 1

    total = len(jobs)
    done = 0
    todo: dict[tuple, list] = {}  # stations sharing an antenna position share one sweep
    for pos, params, r, c in jobs:
        key = _station_key(params, r, c, grid, dem_key, config)
        hit = _CACHE.get(key, config.cache_dir)
        if hit is not None:
            stats["cache_hits"] += 1
            merge(pos, params, hit)
            _CACHE.put(key, hit, config.cache_max_mb, None)
            done += 1
            if progress:
                progress(done, total)
        else:
            site = (r, c, params["height_m"]) if config.terrain else (pos,)
            todo.setdefault(site, []).append((pos, params, r, c, key))

    def work(group):
        out = _group_windows(group, grid, elevation, config)
        for (_, _, res), (_, _, _, _, key) in zip(out, group, strict=True):
            _CACHE.put(key, res, config.cache_max_mb, config.cache_dir)
        return out

    def finish(results):
        nonlocal done
        for pos, params, res in results:
            merge(pos, params, res)
            stats["computed"] += 1
            done += 1
            if progress:
                progress(done, total)

    groups = list(todo.values())
    workers = config.workers or os.cpu_count() or 1
    if executor is not None and groups:
        # another engine (e.g. analysis.distributed.DaskExecutor) computes the windows of
        # these groups and combines them into tiles; folding tiles is order-independent
        # (max level, lowest station row on ties, counts added), so results are identical

        def tick(n: int) -> None:
            nonlocal done
            done += int(n)
            if progress:
                progress(done, total)

        tiles, station_stats = executor(groups, grid=grid, elevation=elevation, config=config,
                                        thr_q=dict(thr_q), progress=tick)
        for r0, c0, parts in tiles:
            for t, (b, s, n) in parts.items():
                _fold_tile(r0, c0, b, s, n, best_q[t], server[t], count[t])
        for _pos, n_ext, cells, reach_m, model in station_stats:
            stats["extrapolated_cells"] += int(n_ext)
            stats["cells_evaluated"] += int(cells)
            stats["reach_m"].append(float(reach_m))
            stats["models"][model] = stats["models"].get(model, 0) + 1
            stats["computed"] += 1
        done = stats["computed"] + stats["cache_hits"]
    elif workers <= 1 or len(groups) <= 1:
        for g in groups:
            finish(work(g))
    elif groups:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # bounded in-flight submissions keep memory at ~2 windows per worker
            it = iter(groups)
            pending = [pool.submit(work, g) for g in itertools.islice(it, 2 * workers)]
            while pending:
                results = pending.pop(0).result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(pool.submit(work, nxt))
                finish(results)

    rsrp = {}
    for t in best_q:
        q = best_q[t]
        arr = q.astype(np.float32)
        arr /= np.float32(_Q_SCALE)
        arr[q == _Q_NONE] = np.nan
        rsrp[t] = arr
    best_q.clear()

    area_mask = None
    if communes is not None:
        area_mask = commune_id_raster(grid, communes) >= 0
    reach = np.asarray(stats["reach_m"]) if stats["reach_m"] else np.zeros(1)
    seconds = time.perf_counter() - t0
    metadata: dict[str, Any] = {
        "crs": grid.crs,
        "resolution_m": float(grid.resolution_m),
        "shape": list(shape),
        "grid_key": grid.key(),
        "terrain": bool(config.terrain),
        **{k: v for k, v in dem_meta.items()},
        "warnings": warnings,
        "technologies": sorted(wanted),
        "stations": len(jobs),
        "stations_per_technology": {t: int(sum(1 for j in jobs if j[1]["technology"] == t))
                                    for t in sorted(wanted)},
        "stations_outside_grid": n_outside,
        "stations_computed": stats["computed"],
        "stations_from_cache": stats["cache_hits"],
        "models": stats["models"],
        "obstructed_model": config.obstructed_model,
        "clear_model": config.clear_model,
        "reach_m": {"min": float(reach.min()), "median": float(np.median(reach)),
                    "max": float(reach.max())},
        "cells_evaluated": stats["cells_evaluated"],
        "extrapolated_cells": stats["extrapolated_cells"],
        "thresholds_dbm": {t: config.threshold_dbm(t) for t in sorted(wanted)},
        "indoor_margin_db": float(config.indoor_margin_db),
        "k_factor": float(config.k_factor),
        "config": {k: v for k, v in asdict(config).items() if k not in ("thresholds_dbm",)},
        "calibration": config.calibration.describe() if config.calibration is not None else None,
        "seconds": seconds,
    }
    cov = Coverage(grid=grid, rsrp_dbm=rsrp, best_server=server, n_servers=count,
                   metadata=metadata, config=config,
                   stations=gdf, _area_mask=area_mask)
    if population is not None:
        metadata["summary"] = {t: cov.summary(population, t) for t in [*sorted(wanted), "any"]}
    return cov


# the single-station maps (geo/station_map.py) run this module's per-station code path
from geo.station_map import StationMap, station_map  # noqa: E402
