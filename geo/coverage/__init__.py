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

Service (issue 16; ``docs/models.md`` §9)
-----------------------------------------
A cell is *covered* when both links of its best server close at the location reliability
``CoverageConfig.reliability``: the downlink RSRP clears the threshold + indoor margin, the
uplink of the station's budget (:func:`geo.link_budget.uplink_budget`; by reciprocity an
RSRP level per station, :func:`geo.link_budget.uplink_rsrp_threshold_dbm`) closes too, each
with the shadow-fading margin σ·Φ⁻¹(p) of the best server's model. Beside the best level the
engine keeps, per (technology, operator, band), the integer sum of received power, from which
:meth:`Coverage.sinr_db` (co-channel interference at ``load``) and
:meth:`Coverage.throughput_mbps` (TR 36.942 attenuated Shannon) follow without a second
pass. :meth:`Coverage.limiting_link` says which link fails.

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

import dataclasses
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
from typing import TYPE_CHECKING, Any

import numba
import numpy as np

if TYPE_CHECKING:  # imported where used: `lomsong station` starts without them
    import geopandas as gpd
    import pandas as pd

from geo import link_budget, parallel
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
from geo.radio_defaults import (
    DATA_TECHNOLOGIES,
    DEFAULT_LOAD,
    DEFAULT_RELIABILITY,
    GOOD_MARGIN_DB,
    TDD_DL_SHARE,
    TECHNOLOGIES,
    THRESHOLD_DBM,
    defaults_for,
    is_tdd,
    service_defaults,
)
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
    "station_covered_window",
    "clear_cache",
    "WindowResult",
    "MosaicSpec",
    "Mosaic",
    "group_windows",
    "group_bounds",
    "LIMITING_NONE",
    "LIMITING_DOWNLINK",
    "LIMITING_UPLINK",
    "LIMITING_NODATA",
    "THROUGHPUT_STEPS_MBPS",
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
_POWER_UNIT_DBM = -160.0  # int64 power sums count 1e-16 mW: 0 dBm = 1e16, −135 dBm = 316
LIMITING_NONE = 0  # limiting_link raster: both links close
LIMITING_DOWNLINK = 1  # … the downlink fails (or has the smaller margin where both fail)
LIMITING_UPLINK = 2  # … the uplink fails, the downlink closes (or has the larger margin)
LIMITING_NODATA = 255  # no station reaches the cell
THROUGHPUT_STEPS_MBPS = (1, 10, 100)  # people_by_throughput keys
# linear power of every int16 level from −180 dBm to 0 dBm, in 1e-16 mW (a lookup beats
# a power per cell in the serial merge); lower levels add nothing (< 1e-18 mW)
_POWER_Q_MIN = -18000
_POWER_TABLE = np.floor(10.0 ** ((np.arange(-18000, 1) * 0.01 - _POWER_UNIT_DBM) / 10.0)
                        + 0.5).astype(np.int64)
_MEMO_SIZE = 24  # derived rasters a Coverage keeps (link states, margins, SINR, throughput)


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
    reliability : float
        Cell-edge location reliability p (0 < p < 1): "covered" needs the level plus the
        lognormal shadow-fading margin σ·Φ⁻¹(p) of the best server's model
        (:func:`geo.link_budget.shadow_margin_db`); 0.5 = the median level, no margin.
    load : float
        Share (0–1) of the co-channel neighbours' resource elements that transmit, for the
        SINR (:func:`geo.link_budget.sinr_db`).
    ue_power_dbm : float or None
        UE transmit power of the uplink budget (None: power class 3, 23 dBm LTE/NR; 26 dBm
        HPUE is honoured on n41/n77/n78 only, :func:`geo.link_budget.uplink_budget`).
    uplink : bool
        "Covered" needs the uplink to close too (False: downlink only, the pre-issue-16
        behaviour).
    sinr : bool
        Keep, per (operator, band) group, the linear sum of received power, for SINR and
        throughput (False: skip it — faster, no ``sinr_db``/``throughput_mbps``).
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
    reliability: float = DEFAULT_RELIABILITY
    load: float = DEFAULT_LOAD
    ue_power_dbm: float | None = None
    uplink: bool = True
    sinr: bool = True
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
        if not (0.0 < float(self.reliability) < 1.0):
            msg = (f"CoverageConfig.reliability={self.reliability!r}: expected a location "
                   "reliability strictly between 0 and 1 (0.5 = median).")
            raise CoverageError(msg)
        if not (0.0 <= float(self.load) <= 1.0):
            msg = f"CoverageConfig.load={self.load!r}: expected a cell load between 0 and 1."
            raise CoverageError(msg)
        if self.ue_power_dbm is not None and not (-10.0 <= float(self.ue_power_dbm) <= 33.0):
            msg = f"CoverageConfig.ue_power_dbm={self.ue_power_dbm!r}: expected −10 to 33 dBm."
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
        return float(link_budget.threshold_dbm(tech, thresholds=self.thresholds_dbm))

    def covered_threshold_dbm(self, tech: str) -> float:
        """Downlink level needed for "covered" at the median: threshold + indoor margin
        (the shadow-fading margin of ``reliability`` and the uplink come on top, per cell:
        :meth:`Coverage.covered`)."""
        return float(link_budget.threshold_dbm(tech, self.indoor_margin_db,
                                               thresholds=self.thresholds_dbm))

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
    import geopandas as gpd

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
    """Path-loss model per station (:func:`_model_choice` without its warning)."""
    return _model_choice(gdf, config, communes)[0]


def _model_choice(gdf: gpd.GeoDataFrame, config: CoverageConfig,
                  communes) -> tuple[list[str], str | None]:
    """Path-loss model per station: forced, or by the kind of commune it stands in.

    Returns the models and a warning (None if all went well): when the communes cannot be
    loaded or have no ``kind`` column, every station gets the rural model and the outputs
    say so (issue 19: wards would silently lose UMa). ``communes=None``: the embedded
    ones, by :func:`geo.data.commune_kinds_at` (no geopandas read).
    """
    if config.model is not None or len(gdf) == 0:
        return _models_at_lonlat([], [], config, None, n=len(gdf))
    if communes is None:
        pts = gdf.geometry.to_crs("EPSG:4326")
    else:
        pts = gdf.geometry.to_crs(communes.crs)
    return _models_at_lonlat(pts.x.to_numpy(), pts.y.to_numpy(), config, communes)


def _models_at_lonlat(x, y, config: CoverageConfig, communes=None,
                      n: int | None = None) -> tuple[list[str], str | None]:
    """The RMa/UMa rule at points: UMa in a ward (phường), RMa elsewhere (module docs).

    ``x, y``: lon/lat (EPSG:4326) with ``communes=None`` (the embedded communes), else in
    ``communes.crs``. The one implementation of the rule: :func:`_model_choice` (the
    engine) and :func:`geo.coverage.station_map` both call it. Returns the models and a
    warning as :func:`_model_choice`.
    """
    n = len(x) if n is None else n
    if config.model is not None:
        return [config.model] * n, None
    if n == 0:
        return [], None
    from geo.data import commune_kinds_at, kinds_within

    if communes is not None and "kind" not in communes.columns:
        return [config.rural_model] * n, (
            f"the communes have no 'kind' column; every station uses the rural model "
            f"{config.rural_model} (wards/phường get no {config.urban_model})")
    try:
        kinds = (commune_kinds_at(x, y) if communes is None else
                 kinds_within(communes.geometry.values, communes["kind"].to_numpy(), x, y))
    except Exception as exc:  # noqa: BLE001 - any failure: say so in the outputs
        return [config.rural_model] * n, (
            f"communes could not be loaded ({type(exc).__name__}: {exc}); every station "
            f"uses the rural model {config.rural_model} (wards/phường get no "
            f"{config.urban_model})")
    is_ward = [str(k).lower().startswith("phường") for k in kinds]
    return [config.urban_model if w else config.rural_model for w in is_ward], None


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
                 bullington=False, want_loss=False, pl_out=_NO_OUT, diff_out=_NO_OUT,
                 i_lo=0, i_hi=-1):
    """RSRP (int16, 0.01 dB) of one station over its window; returns extrapolated count.

    ``v`` (when ``has_v``) is the sweep's Fresnel parameter at λ = 1 m over a window that
    contains this one at offset (``v_r_off``, ``v_c_off``); ``v_scale`` = λ^−1/2.
    ``bullington``: ``v`` is the Bullington one (every cell with v > −0.78 gets
    ``L_uc = J(v)`` and the eq. (57) correction); else the dominant edge's (obstructed
    cells get J(v)). ``want_loss``: also write the total path loss and the terrain
    diffraction loss (float32 dB, NaN outside reach) into ``pl_out`` / ``diff_out``.
    Only window rows ``i_lo ≤ i < i_hi`` (``i_hi`` < 0: to the end) are written, so row
    ranges may run on several threads.
    """
    wr, wc = out.shape
    if i_hi < 0 or i_hi > wr:
        i_hi = wr
    n_tab = pl_los.shape[0]
    n_az = gain.shape[1]
    sectored = n_az > 1
    az_steps = n_az / 360.0
    n_ext = 0
    reach2 = (reach_m / res_m) ** 2
    for i in range(i_lo, i_hi):
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
            dist_m = math.sqrt(d2) * res_m
            x = dist_m / step_m
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
                    l_d += c57 * (10.0 + 0.00002 * dist_m)
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
def _merge_kernel(q, r_lo, c_lo, idx, thr_q, best, server, count, power=None):
    """Fold one station window into the province arrays (max, best server, count).

    ``power`` (int64, optional): the linear sum of received power of the station's
    interference group in units of :data:`_POWER_UNIT_DBM` (capped at 0 dBm per station),
    accumulated beside the best level (issue 16: one more array). Integers, so the sum is
    exactly the same in any order and tiling (serial, threads, Dask).
    """
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
            if power is not None:
                k = x - _POWER_Q_MIN
                if k > 0:
                    power[gi, gj] += _POWER_TABLE[min(k, _POWER_TABLE.size - 1)]


# Power sums are kept per tile of the whole grid (global tiling), allocated only where an
# interference group reaches: on a 30 m province a full int64 grid per (technology,
# operator, band) group would take ~0.34 GB each.
_POWER_TILE = 256


@numba.njit(cache=True, nogil=True)
def _power_kernel(q, r_lo, c_lo, power):
    """Add the linear received power of window ``q`` into ``power`` at (``r_lo``, ``c_lo``)."""
    wr, wc = q.shape
    for i in range(wr):
        for j in range(wc):
            x = q[i, j]
            if x == -32768:
                continue
            k = x - _POWER_Q_MIN
            if k > 0:
                power[r_lo + i, c_lo + j] += _POWER_TABLE[min(k, _POWER_TABLE.size - 1)]


_DL_OK, _UL_OK, _DL_LIMITS, _NO_SIGNAL = 1, 2, 4, 8  # bits of the link-state raster


@numba.njit(cache=True, nogil=True)
def _link_state_kernel(rsrp, server, ul_thr, dl_thr, indoor_db, margin, has_margin, uplink, out):
    """Per cell, which links of the best server close (bits :data:`_DL_OK`, :data:`_UL_OK`),
    whether the downlink has the smaller margin (:data:`_DL_LIMITS`) or no station reaches it
    (:data:`_NO_SIGNAL`). Downlink: RSRP ≥ ``dl_thr`` (threshold + indoor) + margin; uplink:
    RSRP ≥ ``ul_thr[server]`` + indoor + margin (:func:`geo.link_budget.uplink_rsrp_threshold_dbm`)."""
    h, w = rsrp.shape
    for i in range(h):
        for j in range(w):
            x = rsrp[i, j]
            if x != x:
                out[i, j] = _NO_SIGNAL
                continue
            m = margin[i, j] if has_margin else 0.0
            dl = x - (dl_thr + m)
            ul = x - (ul_thr[server[i, j]] + indoor_db + m) if uplink else np.inf
            st = 0
            if dl >= 0.0:
                st |= _DL_OK
            if ul >= 0.0:
                st |= _UL_OK
            if dl <= ul:
                st |= _DL_LIMITS
            out[i, j] = st


@numba.njit(cache=True, nogil=True)
def _group_total_kernel(server, power_group, group, power, unit_dbm, out):
    """Write ``10 log10(power) + unit`` (dBm) where the best server belongs to ``group``."""
    h, w = server.shape
    for i in range(h):
        for j in range(w):
            s = server[i, j]
            if s >= 0 and power_group[s] == group:
                p = power[i, j]
                out[i, j] = 10.0 * math.log10(p) + unit_dbm if p > 0 else -np.inf


# ----------------------------------------------------------------------------- per station
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


_StationResult = WindowResult  # the name analysis code and old tests used


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

    The window task of the public window API (with :func:`group_bounds`, :class:`Mosaic`):
    :func:`compute` and :mod:`analysis.distributed` both run it. ``group`` items are
    ``(pos, params, row, col, cache_key)``; returns ``(pos, params, result)`` in the same
    order. Pure: no cache, no shared state (runs on any worker).
    """
    sweep = None
    if config.terrain and len(group) > 1:
        reach = max(_reach_m(p, grid, config)[0] for _, p, _, _, _ in group)
        _, p0, r0, c0, _ = group[0]
        sweep = _site_sweep(r0, c0, p0["height_m"], reach, grid, elevation, config,
                            min(p["band_mhz"] for _, p, _, _, _ in group))
    return [(pos, params, _compute_station(params, r, c, grid, elevation, config, sweep))
            for pos, params, r, c, _ in group]


_group_windows = group_windows  # the former private name


def group_bounds(group, grid: Grid, config: CoverageConfig) -> tuple[int, int, int, int]:
    """Window ``(r_lo, r_hi, c_lo, c_hi)`` covering every station of a group."""
    reach = max(_reach_m(params, grid, config)[0] for _, params, _, _, _ in group)
    r_lo, r_hi, c_lo, c_hi = grid.shape[0], 0, grid.shape[1], 0
    for _, _, r, c, _ in group:
        a, b, d, e = _window(r, c, reach, grid)
        r_lo, r_hi, c_lo, c_hi = min(r_lo, a), max(r_hi, b), min(c_lo, d), max(c_hi, e)
    return r_lo, r_hi, c_lo, c_hi


@dataclass(frozen=True)
class MosaicSpec:
    """How windows combine: covered level and interference group per station.

    Attributes
    ----------
    thr_q : dict
        Covered level per technology, 0.01 dB (counted in ``n_servers``).
    power_group : numpy.ndarray or None
        int32 interference group per station row (stations of one operator and band
        share a group); None: no power sums (``CoverageConfig.sinr=False``).
    """

    thr_q: Mapping[str, int]
    power_group: np.ndarray | None = None


@dataclass
class Mosaic:
    """Combined windows over rows ``r0…`` and columns ``c0…`` of a grid.

    Per technology: ``best`` (int16 0.01 dB), ``server`` (int32 station row), ``count``
    (uint16 stations at or above the covered level); per technology and interference
    group: ``power`` (int64, linear sum of the group's received power in 1e-16 mW), kept as
    ``{(tile_row, tile_col): array}`` tiles of :data:`_POWER_TILE` cells of the whole grid,
    only where the group reaches (:meth:`power_array` gives it dense). The
    combination — higher level, lower station row on ties, counts and powers added — is
    associative and commutative, so any tiling of the grid and any order of windows give
    the same arrays, bit for bit.
    """

    spec: MosaicSpec
    r0: int
    c0: int
    shape: tuple[int, int]
    best: dict[str, np.ndarray] = field(default_factory=dict)
    server: dict[str, np.ndarray] = field(default_factory=dict)
    count: dict[str, np.ndarray] = field(default_factory=dict)
    power: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def empty(cls, spec: MosaicSpec, shape: tuple[int, int], r0: int = 0, c0: int = 0,
              technologies: Sequence[str] = ()) -> Mosaic:
        """A mosaic with no window yet (``technologies`` allocated now, others lazily)."""
        m = cls(spec, int(r0), int(c0), (int(shape[0]), int(shape[1])))
        for t in technologies:
            m._arrays(t)
        return m

    def _arrays(self, tech: str):
        if tech not in self.best:
            self.best[tech] = np.full(self.shape, _Q_NONE, dtype=np.int16)
            self.server[tech] = np.full(self.shape, -1, dtype=np.int32)
            self.count[tech] = np.zeros(self.shape, dtype=np.uint16)
            self.power[tech] = {}
        return self.best[tech], self.server[tech], self.count[tech]

    def _power_tile(self, tech: str, group: int, key: tuple[int, int]) -> np.ndarray:
        tiles = self.power[tech].setdefault(group, {})
        if key not in tiles:
            tiles[key] = np.zeros((_POWER_TILE, _POWER_TILE), dtype=np.int64)
        return tiles[key]

    def _add_power(self, tech: str, group: int, q: np.ndarray, a0: int, b0: int) -> None:
        """Add window ``q`` (grid rows ``a0…``, columns ``b0…``) into the group's tiles."""
        size = _POWER_TILE
        a1, b1 = a0 + q.shape[0], b0 + q.shape[1]
        for ti in range(a0 // size, (a1 - 1) // size + 1):
            r0, r1 = max(a0, ti * size), min(a1, (ti + 1) * size)
            for tj in range(b0 // size, (b1 - 1) // size + 1):
                c0, c1 = max(b0, tj * size), min(b1, (tj + 1) * size)
                sub = np.ascontiguousarray(q[r0 - a0:r1 - a0, c0 - b0:c1 - b0])
                _power_kernel(sub, r0 - ti * size, c0 - tj * size,
                              self._power_tile(tech, group, (ti, tj)))

    def power_array(self, tech: str, group: int) -> np.ndarray:
        """The group's power sum as one int64 array over this mosaic (zeros where unreached)."""
        out = np.zeros(self.shape, dtype=np.int64)
        for p, sl, psl in _tile_slices(self.power[tech].get(group, {}), self.r0, self.c0,
                                       self.shape):
            out[sl] += p[psl]
        return out

    def add(self, pos: int, tech: str, result: WindowResult) -> None:
        """Fold one station's window (cropped to this mosaic)."""
        h, w = result.q.shape
        a0, a1 = max(self.r0, result.r_lo), min(self.r0 + self.shape[0], result.r_lo + h)
        b0, b1 = max(self.c0, result.c_lo), min(self.c0 + self.shape[1], result.c_lo + w)
        best, server, count = self._arrays(tech)
        if a0 >= a1 or b0 >= b1:
            return
        q = result.q
        if (a0, a1, b0, b1) != (result.r_lo, result.r_lo + h, result.c_lo, result.c_lo + w):
            q = np.ascontiguousarray(q[a0 - result.r_lo:a1 - result.r_lo,
                                       b0 - result.c_lo:b1 - result.c_lo])
        _merge_kernel(q, a0 - self.r0, b0 - self.c0, pos, int(self.spec.thr_q[tech]),
                      best, server, count, None)
        groups = self.spec.power_group
        if groups is not None:
            self._add_power(tech, int(groups[pos]), q, a0, b0)

    def fold(self, tile: Mosaic) -> None:
        """Fold another mosaic lying inside this one, as :meth:`add` would have."""
        r, c = tile.r0 - self.r0, tile.c0 - self.c0
        for t in tile.best:
            best, server, count = self._arrays(t)
            _fold_tile(r, c, tile.best[t], tile.server[t], tile.count[t], best, server, count)
            for g, tiles in tile.power[t].items():
                for key, p in tiles.items():
                    self._power_tile(t, g, key)[...] += p

    def is_empty(self) -> bool:
        return not self.best


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


def _sigma_db(model: str, d_m, f_mhz, h_bs_m, config: CoverageConfig):
    """Shadow σ of a station's cells under the configured clear-path model (module docs)."""
    p_los = (los_probability(model, d_m, config.ue_height_m)
             if config.clear_model == "los-probability" else None)
    return link_budget.shadow_sigma_db(model, d_m, f_mhz, h_bs_m, config.ue_height_m, p_los)


def station_covered_window(
    station: Mapping[str, Any], grid: Grid, elevation_on_grid: np.ndarray | None,
    config: CoverageConfig | None = None, rsrp_window: Callable[..., Any] | None = None,
    best_rsrp_dbm: np.ndarray | None = None, min_mbps: float | None = None,
) -> tuple[tuple[slice, slice], np.ndarray]:
    """Cells one station would serve on its own: :func:`station_rsrp_window` with the rule
    of :meth:`Coverage.covered` — both links (the station's uplink budget) at
    ``config.reliability`` (the shadow margin of its model at each cell's distance).

    For site proposals: a candidate covers a cell when this is True there.
    ``rsrp_window`` (default :func:`station_rsrp_window`, same signature) supplies the RSRP
    window; the rule applied to it is the same whichever supplies it.

    ``best_rsrp_dbm`` (optional, on ``grid``): the best RSRP (dBm) of the network the station
    would join, same technology. :meth:`Coverage.covered` judges a cell by its best server
    only (the UE camps on the strongest cell), so the station serves only where it would be
    that server — its RSRP above ``best_rsrp_dbm`` (or no other server). Without it, the
    station is judged alone.

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
    params = _station_params(station, config)
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


def _noise_per_re_dbm(tech: str) -> float:
    """UE thermal noise in one resource element: −174 + 10 log10(SCS) + NF_UE, dBm."""
    sd = service_defaults(tech)
    return float(link_budget.thermal_noise_dbm(sd.subcarrier_spacing_khz * 1e3, sd.ue_noise_figure_db))


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


# ----------------------------------------------------------------------------- cache
class _LruCache:
    """Per-station results, bounded by bytes; optional on-disk mirror."""

    def __init__(self) -> None:
        self._data: OrderedDict[str, WindowResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, cache_dir: str | None) -> WindowResult | None:
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
                        return WindowResult(meta["r_lo"], meta["c_lo"], z["q"],
                                              meta["n_ext"], meta["reach_m"], meta["model"])
                except (OSError, ValueError, KeyError):
                    return None
        return None

    def put(self, key: str, value: WindowResult, max_mb: float, cache_dir: str | None) -> None:
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
    """Combined coverage rasters on ``grid`` (see :func:`compute`).

    Service (issue 16): ``total_dbm`` holds, per technology, the summed received power of
    the best server's co-channel group (same operator and band), from which
    :meth:`sinr_db` and :meth:`throughput_mbps` follow at any load; ``radio`` the
    per-station figures of the uplink budget and the channel. :meth:`covered` needs both
    links at the configured location reliability; :meth:`covered_downlink` /
    :meth:`covered_uplink` each alone; :meth:`limiting_link` says which fails.
    """

    grid: Grid
    rsrp_dbm: dict[str, np.ndarray]
    best_server: dict[str, np.ndarray]
    n_servers: dict[str, np.ndarray]
    metadata: dict[str, Any]
    config: CoverageConfig = field(default_factory=CoverageConfig)
    stations: gpd.GeoDataFrame | None = None
    _area_mask: np.ndarray | None = field(default=None, repr=False)
    total_dbm: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    radio: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _memo: dict[tuple, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def _remember(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        """A derived raster, computed once per argument set (callers get a copy); at most
        :data:`_MEMO_SIZE` kept (a slider moving through many loads stays bounded)."""
        return self._memo_get(key, make).copy()

    def _memo_get(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key in self._memo:
            self._memo[key] = self._memo.pop(key)  # most recent last
        else:
            self._memo[key] = make()
            while len(self._memo) > _MEMO_SIZE:
                self._memo.pop(next(iter(self._memo)))
        return self._memo[key]

    @property
    def technologies(self) -> list[str]:
        return sorted(self.rsrp_dbm)

    def with_service(self, reliability: float | None = None, load: float | None = None,
                     uplink: bool | None = None) -> Coverage:
        """The same coverage under other service settings, without recomputing a station.

        Reliability, load and the uplink rule act on the kept rasters only (not on the
        per-station windows), so e.g. the app's sliders need no new run. The arrays are
        shared (not copied); derived rasters are recomputed on demand.
        """
        changes = {k: v for k, v in (("reliability", reliability), ("load", load),
                                      ("uplink", uplink)) if v is not None}
        cfg = dataclasses.replace(self.config, **changes)
        md = {**self.metadata, "reliability": float(cfg.reliability), "load": float(cfg.load),
              "uplink": bool(cfg.uplink)}
        md.pop("summary", None)
        return dataclasses.replace(self, config=cfg, metadata=md, _memo={})

    # ---- helpers
    def _tech(self, tech: str, allow_any: bool = False) -> str:
        t = "any" if str(tech).lower() == "any" else str(tech).upper()
        if t == "any" and allow_any:
            return t
        if t not in TECHNOLOGIES:
            extra = " or 'any'" if allow_any else ""
            msg = f"Unknown technology {tech!r}: expected one of {', '.join(TECHNOLOGIES)}{extra}."
            raise CoverageError(msg)
        return t

    def _per_server(self, tech: str, name: str) -> np.ndarray:
        """A per-station figure of :attr:`radio` at each cell's best server (NaN: none)."""
        col = self.radio.get(name)
        if col is None:
            msg = f"This coverage has no per-station {name!r} (computed before issue 16?)."
            raise CoverageError(msg)
        return col[self.best_server[tech]]

    def _reliability(self, reliability: float | None) -> float:
        p = float(self.config.reliability if reliability is None else reliability)
        if not (0.0 < p < 1.0):
            msg = f"reliability={p!r}: expected strictly between 0 and 1."
            raise CoverageError(msg)
        return p

    def shadow_sigma_db(self, tech: str) -> np.ndarray:
        """Shadow-fading σ (dB) of the best server's model at each cell (NaN: no server).

        :func:`geo.link_budget.shadow_sigma_db` at the distance to the best server: with
        ``clear_model="los-probability"`` the σ of the LOS/NLOS mixture at the standard's
        LOS probability, with ``"los"`` the LOS σ (RMa: 4 dB before, 6 dB after the
        breakpoint). Terrain-obstructed cells are not told apart (the sweep's LOS state is
        not kept per cell), so they take the same σ.
        """
        t = self._tech(tech)
        out = np.full(self.grid.shape, np.nan, dtype=np.float32)
        if t not in self.rsrp_dbm:
            return out
        server = self.best_server[t]
        has = server >= 0
        codes = self.radio["model"][server]
        res = self.grid.resolution_m
        rows, cols = np.nonzero(has)
        srv = server[has]
        d = np.hypot(rows - self.radio["row"][srv], cols - self.radio["col"][srv]) * res
        d = np.maximum(d, 10.0)
        f, h = self.radio["band_mhz"][srv], self.radio["height_m"][srv]
        sig = np.empty(srv.size, dtype=np.float64)
        for code in np.unique(codes[has]):
            m = codes[has] == code
            sig[m] = _sigma_db(MODELS[int(code)], d[m], f[m], h[m], self.config)
        out[has] = sig
        return out

    def shadow_margin_db(self, tech: str, reliability: float | None = None) -> np.ndarray:
        """Location-reliability margin σ·Φ⁻¹(p) per cell, dB (0 at p = 0.5)."""
        p = self._reliability(reliability)
        t = self._tech(tech)
        if p == 0.5 or t not in self.rsrp_dbm:
            return np.zeros(self.grid.shape, dtype=np.float32)

        def make():
            sig = self.shadow_sigma_db(t)
            return np.nan_to_num(link_budget.shadow_margin_db(sig, p), nan=0.0).astype(np.float32)

        return self._remember(("margin", t, p), make)

    # ---- links
    def _link_state(self, tech: str, reliability: float | None) -> np.ndarray:
        """uint8 bits per cell (:func:`_link_state_kernel`), once per (tech, reliability)."""
        p = self._reliability(reliability)
        return self._memo_get(("state", tech, p), lambda: self._link_state_of(tech, p))

    def _link_state_of(self, tech: str, p: float) -> np.ndarray:
        margin = self.shadow_margin_db(tech, p) if p != 0.5 else None
        uplink = bool(self.config.uplink and "ul_rsrp_dbm" in self.radio)
        ul_thr = (self.radio["ul_rsrp_dbm"] if uplink
                  else np.zeros(len(self.radio.get("model", [0])) or 1))
        out = np.empty(self.grid.shape, dtype=np.uint8)
        _link_state_kernel(self.rsrp_dbm[tech], self.best_server[tech],
                           np.ascontiguousarray(ul_thr, dtype=np.float64),
                           float(self.config.covered_threshold_dbm(tech)),
                           float(self.config.indoor_margin_db),
                           margin if margin is not None else np.zeros((1, 1), np.float32),
                           margin is not None, uplink, out)
        return out

    def covered_downlink(self, tech: str, reliability: float | None = None) -> np.ndarray:
        """Cells where the best server's downlink closes: RSRP ≥ threshold + indoor margin
        + shadow margin. ``tech`` 'any' = union over technologies."""
        return self._links(tech, reliability, _DL_OK)

    def covered_uplink(self, tech: str, reliability: float | None = None) -> np.ndarray:
        """Cells where the UE reaches its best server (the uplink budget of
        :func:`geo.link_budget.uplink_budget`, with the same indoor and shadow margins);
        every reached cell when ``CoverageConfig.uplink`` is False."""
        return self._links(tech, reliability, _UL_OK)

    def _links(self, tech: str, reliability: float | None, bits: int) -> np.ndarray:
        t = self._tech(tech, allow_any=True)
        if t == "any":
            out = np.zeros(self.grid.shape, dtype=bool)
            for k in self.rsrp_dbm:
                out |= self._links(k, reliability, bits)
            return out
        if t not in self.rsrp_dbm:
            return np.zeros(self.grid.shape, dtype=bool)
        return (self._link_state(t, reliability) & bits) == bits

    def covered(self, tech: str = "any", reliability: float | None = None) -> np.ndarray:
        """Cells served by ``tech``: both links close at the location reliability
        (``CoverageConfig.reliability`` unless given); only the downlink when
        ``CoverageConfig.uplink`` is False.

        ``tech``: '2G', '3G', '4G', '5G' or 'any' (union of the computed technologies).
        A technology with no station is covered nowhere.
        """
        return self._links(tech, reliability, _DL_OK | _UL_OK)

    def limiting_link(self, tech: str, reliability: float | None = None) -> np.ndarray:
        """uint8 per cell: :data:`LIMITING_NONE` (0, both links close),
        :data:`LIMITING_DOWNLINK` (1), :data:`LIMITING_UPLINK` (2) — where a link fails,
        the one with the smaller margin — and :data:`LIMITING_NODATA` (255, no signal)."""
        t = self._tech(tech)
        if t not in self.rsrp_dbm:
            return np.full(self.grid.shape, LIMITING_NODATA, dtype=np.uint8)
        st = self._link_state(t, reliability)
        out = np.where((st & _DL_LIMITS) > 0, np.uint8(LIMITING_DOWNLINK), np.uint8(LIMITING_UPLINK))
        out[(st & (_DL_OK | _UL_OK)) == (_DL_OK | _UL_OK)] = LIMITING_NONE
        out[(st & _NO_SIGNAL) > 0] = LIMITING_NODATA
        return out

    # ---- SINR and throughput
    def _data_tech(self, tech: str) -> str:
        t = self._tech(tech)
        if t not in DATA_TECHNOLOGIES:
            msg = (f"No SINR/throughput for {t}: modelled for {', '.join(DATA_TECHNOLOGIES)} "
                   "only.")
            raise CoverageError(msg)
        if t in self.rsrp_dbm and t not in self.total_dbm:
            msg = ("SINR was not computed: the interference sums are off "
                   "(CoverageConfig.sinr=False).")
            raise CoverageError(msg)
        return t

    def noise_per_re_dbm(self, tech: str) -> float:
        """UE thermal noise in one resource element: −174 + 10 log10(SCS) + NF_UE, dBm."""
        return _noise_per_re_dbm(self._tech(tech))

    def sinr_db(self, tech: str, load: float | None = None) -> np.ndarray:
        """Downlink SINR of the best server per cell, dB (float32, NaN: no signal).

        Interference: the other stations of the best server's operator and band, at
        ``load`` (default ``CoverageConfig.load``), from the summed received power kept by
        :func:`compute` (:func:`geo.link_budget.sinr_db`); noise per resource element
        (:meth:`noise_per_re_dbm`). The indoor margin lowers signal and interference alike.
        Interferers only count within their own window (down to threshold − 10 dB).
        """
        t = self._data_tech(tech)
        lf = float(self.config.load if load is None else load)
        if not (0.0 <= lf <= 1.0):
            msg = f"load={lf!r}: expected between 0 and 1."
            raise CoverageError(msg)
        if t not in self.rsrp_dbm:
            return np.full(self.grid.shape, np.nan, dtype=np.float32)

        def make():
            indoor = float(self.config.indoor_margin_db)
            rsrp = self.rsrp_dbm[t]
            m = np.isfinite(rsrp)
            out = np.full(self.grid.shape, np.nan, dtype=np.float32)
            out[m] = link_budget.sinr_db(rsrp[m] - indoor, self.total_dbm[t][m] - indoor,
                                         self.noise_per_re_dbm(t), lf)
            return out

        return self._remember(("sinr", t, lf), make)

    def throughput_mbps(self, tech: str, load: float | None = None,
                        reliability: float | None = None) -> np.ndarray:
        """Downlink throughput per cell, Mbit/s (float32; NaN: no signal; 0 where the
        cell is not :meth:`covered` — a UE that cannot attach gets no data).

        :func:`geo.link_budget.throughput_mbps` at the :meth:`sinr_db`, with the best
        server's channel bandwidth and TDD share. ``tech`` 'any': the best of 4G and 5G.
        """
        if str(tech).lower() == "any":
            parts = [self.throughput_mbps(t, load, reliability) for t in DATA_TECHNOLOGIES
                     if t in self.rsrp_dbm]
            if not parts:
                return np.full(self.grid.shape, np.nan, dtype=np.float32)
            return np.fmax.reduce(parts).astype(np.float32)
        t = self._data_tech(tech)
        if t not in self.rsrp_dbm:
            return np.full(self.grid.shape, np.nan, dtype=np.float32)
        lf = float(self.config.load if load is None else load)
        p = self._reliability(reliability)

        def make():
            sd = service_defaults(t)
            sinr = self.sinr_db(t, lf)
            m = np.isfinite(sinr)
            srv = self.best_server[t][m]
            out = np.full(self.grid.shape, np.nan, dtype=np.float32)
            rate = (link_budget.spectral_efficiency(sinr[m], t) * self.radio["bandwidth_mhz"][srv]
                    * (1.0 - sd.overhead_dl) * self.radio["dl_share"][srv])
            out[m] = np.where(self.covered(t, p)[m], rate, 0.0)
            return out

        return self._remember(("rate", t, lf, p), make)

    def good(self, tech: str) -> np.ndarray:
        """Cells :data:`GOOD_MARGIN_DB` above the covered level."""
        t = str(tech).upper()
        if t not in self.rsrp_dbm:
            return np.zeros(self.grid.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            return self.rsrp_dbm[t] >= np.float32(self.config.covered_threshold_dbm(t) + GOOD_MARGIN_DB)

    # ---- figures
    def has_throughput(self, tech: str) -> bool:
        """True where :meth:`throughput_mbps` has an answer (4G/5G computed with SINR on)."""
        techs = DATA_TECHNOLOGIES if str(tech).lower() == "any" else (str(tech).upper(),)
        return any(t in self.total_dbm for t in techs)

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
            ``people_total, people_covered`` (both links at the reliability),
            ``people_covered_downlink, people_covered_uplink, people_by_throughput``
            (people where throughput ≥ 1, 10, 100 Mbit/s; keys "1", "10", "100"; None for
            2G/3G), ``share_covered, area_km2, area_covered_km2, area_share_covered,
            reliability, load, tech``.
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
            "reliability": float(self.config.reliability),
            "load": float(self.config.load),
        }
        if population is not None:
            pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
            if pop.shape != self.grid.shape:
                msg = f"population has shape {pop.shape}; the grid needs {self.grid.shape}."
                raise CoverageError(msg)
            total = float(pop.sum())
            covered = float(pop[cov].sum())
            out.update(people_total=total, people_covered=min(covered, total),
                       share_covered=(covered / total) if total > 0 else 0.0,
                       people_covered_downlink=float(pop[self.covered_downlink(tech)].sum()),
                       people_covered_uplink=float(pop[self.covered_uplink(tech)].sum()),
                       people_by_throughput=self._people_by_throughput(pop, tech))
        return out

    def _people_by_throughput(self, pop: np.ndarray, tech: str) -> dict[str, float] | None:
        if not self.has_throughput(tech):
            return None
        rate = self.throughput_mbps(tech)
        with np.errstate(invalid="ignore"):
            return {str(k): float(pop[rate >= k].sum()) for k in THROUGHPUT_STEPS_MBPS}

    def per_commune(self, communes: gpd.GeoDataFrame, population: np.ndarray | None = None,
                    tech: str = "any") -> pd.DataFrame:
        """Covered area and people per commune (one row per row of ``communes``).

        With ``population``: ``people, people_covered`` (both links),
        ``people_covered_downlink, people_covered_uplink``, ``share_covered`` and, for a
        data technology, ``people_mbps_1, people_mbps_10, people_mbps_100``.
        """
        ids = commune_id_raster(self.grid, communes)
        n = len(communes)
        cov = self.covered(tech)
        valid = ids >= 0
        cell_km2 = self.grid.cell_area_m2 / 1e6
        area = np.bincount(ids[valid], minlength=n) * cell_km2
        area_cov = np.bincount(ids[valid & cov], minlength=n) * cell_km2
        import pandas as pd

        df = pd.DataFrame({
            "area_km2": area, "covered_km2": area_cov,
            "area_share_covered": np.divide(area_cov, area, out=np.zeros(n), where=area > 0),
        }, index=communes.index)
        for col in ("code", "name", "kind"):
            if col in communes.columns:
                df.insert(0, col, communes[col].to_numpy())
        if population is not None:
            pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)

            def people(mask):
                m = valid & mask
                return np.bincount(ids[m], weights=pop[m], minlength=n)

            people_all = people(np.ones(self.grid.shape, dtype=bool))
            df["people"] = people_all
            df["people_covered"] = np.minimum(people(cov), people_all)
            df["share_covered"] = np.divide(df["people_covered"].to_numpy(), people_all,
                                            out=np.zeros(n), where=people_all > 0)
            df["people_covered_downlink"] = people(self.covered_downlink(tech))
            df["people_covered_uplink"] = people(self.covered_uplink(tech))
            if self.has_throughput(tech):
                rate = self.throughput_mbps(tech)
                with np.errstate(invalid="ignore"):
                    for k in THROUGHPUT_STEPS_MBPS:
                        df[f"people_mbps_{k}"] = people(rate >= k)
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
            "RELIABILITY": f"{self.config.reliability:g}",
            "LOAD": f"{self.config.load:g}",
            "UPLINK": "on" if self.config.uplink else "off",
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

    def _service_geotiffs(self, folder: Path, t: str, tags: dict[str, str]) -> list[Path]:
        low = t.lower()
        paths = [write_geotiff(folder / f"limiting_link_{low}.tif", self.limiting_link(t),
                               self.grid, nodata=LIMITING_NODATA, tags=tags,
                               band_description=f"{t} limiting link (0 none, 1 downlink, 2 uplink)")]
        if t in DATA_TECHNOLOGIES and t in self.total_dbm:
            paths.append(write_geotiff(folder / f"sinr_db_{low}.tif", self.sinr_db(t), self.grid,
                                       nodata=np.nan, tags={**tags, "UNITS": "dB"},
                                       band_description=f"{t} downlink SINR (dB, modelled)"))
            paths.append(write_geotiff(folder / f"throughput_mbps_{low}.tif",
                                       self.throughput_mbps(t), self.grid, nodata=np.nan,
                                       tags={**tags, "UNITS": "Mbit/s"},
                                       band_description=f"{t} downlink throughput "
                                                        "(Mbit/s, modelled)"))
        return paths

    def to_geotiffs(self, folder: str | Path, techs: Sequence[str] | None = None) -> list[Path]:
        """Write compressed COG GeoTIFFs (EPSG of the grid) into ``folder``.

        Per technology: ``rsrp_<tech>.tif`` (float32 dBm, nodata NaN),
        ``best_server_<tech>.tif`` (int32 station row, nodata −1),
        ``n_servers_<tech>.tif`` (uint16), ``covered_<tech>.tif`` (uint8 0/1,
        nodata 255), ``limiting_link_<tech>.tif`` (uint8 0 none / 1 downlink / 2 uplink,
        nodata 255) and, for 4G/5G with SINR on, ``sinr_db_<tech>.tif`` (float32 dB) and
        ``throughput_mbps_<tech>.tif`` (float32 Mbit/s, MODELLED); plus ``covered_any.tif``.
        Tags carry the DEM source and resolution, terrain mode, thresholds, reliability,
        load and warnings (e.g. the coarse-DEM one).
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
            paths.extend(self._service_geotiffs(folder, t, tags))
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
        config=, spec=, progress=)`` with the stations still to compute, grouped by
        antenna position (items ``(pos, params, row, col, cache_key)``; each group is one
        call of :func:`group_windows`), ``spec`` the :class:`MosaicSpec` and
        ``progress(n)`` to report ``n`` more stations done. It returns ``(tiles,
        station_stats)``: ``tiles`` a list of :class:`Mosaic` (any tiling; folded here by
        :meth:`Mosaic.fold`), ``station_stats`` ``(pos, n_extrapolated, cells_evaluated,
        reach_m, model)`` per computed station. See :mod:`analysis.distributed`.

    Returns
    -------
    Coverage
    """
    t0 = time.perf_counter()
    config = config or CoverageConfig()
    plan = _plan(stations, grid, dem, config, communes)
    mosaic = Mosaic.empty(plan.spec, grid.shape, technologies=plan.technologies)
    stats = _Stats(total=len(plan.jobs), progress=progress)
    groups = _merge_cached(plan, mosaic, grid, config, stats)
    _run_groups(groups, mosaic, grid, plan.elevation, config, stats, executor)
    rsrp, total = _rasters(mosaic, plan.spec)
    area_mask = None
    if communes is not None:
        area_mask = commune_id_raster(grid, communes) >= 0
    metadata = _metadata(plan, stats, grid, config, time.perf_counter() - t0)
    cov = Coverage(grid=grid, rsrp_dbm=rsrp, best_server=mosaic.server, n_servers=mosaic.count,
                   metadata=metadata, config=config, stations=plan.gdf, _area_mask=area_mask,
                   total_dbm=total, radio=plan.radio)
    if population is not None:
        metadata["summary"] = {t: cov.summary(population, t)
                               for t in [*plan.technologies, "any"]}
    return cov


# ----------------------------------------------------------------------------- compute steps
@dataclass
class _Plan:
    """What :func:`compute` works on: stations resolved to jobs, terrain, settings."""

    gdf: gpd.GeoDataFrame
    elevation: np.ndarray | None
    dem_meta: dict[str, Any]
    dem_key: str
    warnings: list[str]
    technologies: list[str]
    jobs: list[tuple[int, dict, int, int]]
    n_outside: int
    spec: MosaicSpec
    radio: dict[str, np.ndarray]


def _plan(stations, grid: Grid, dem, config: CoverageConfig, communes) -> _Plan:
    """Check the inputs and turn every wanted station into a job ``(pos, params, row, col)``."""
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
    models, model_warning = _model_choice(gdf, config, communes)
    if model_warning:
        warnings.append(model_warning)
    jobs, n_outside = _station_jobs(gdf, grid, config, wanted, models)
    if n_outside:
        warnings.append(f"{n_outside} station(s) outside the analysis grid were skipped")
    technologies = sorted(wanted)
    thr_q = {t: int(math.ceil(config.covered_threshold_dbm(t) * _Q_SCALE - 1e-9))
             for t in technologies}
    groups = _interference_groups(gdf, jobs) if config.sinr else None
    return _Plan(gdf, elevation, dem_meta, dem_meta["dem_key"] if config.terrain else "terrain-off",
                 warnings, technologies, jobs, n_outside, MosaicSpec(thr_q, groups),
                 _radio_table(gdf, jobs, config))


def _station_jobs(gdf: gpd.GeoDataFrame, grid: Grid, config: CoverageConfig, wanted: set[str],
                  models: list[str]) -> tuple[list[tuple[int, dict, int, int]], int]:
    """Jobs of the wanted stations inside the grid, and the number outside it."""
    projected = gdf.geometry.to_crs(grid.crs)
    xs, ys = projected.x.to_numpy(dtype=float), projected.y.to_numpy(dtype=float)
    rows, cols = grid.rowcol(xs, ys)
    records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    jobs = []
    n_outside = 0
    for pos, rec in enumerate(records):
        if str(rec.get("technology", "")).upper() not in wanted:
            continue
        r, c = int(rows[pos]), int(cols[pos])
        if not (0 <= r < grid.height and 0 <= c < grid.width):
            n_outside += 1
            continue
        rec = dict(rec)
        rec["_model"] = models[pos]
        params = _station_params(rec, config)
        params["_rec"] = rec
        jobs.append((pos, params, r, c))
    return jobs, n_outside


def _interference_groups(gdf: gpd.GeoDataFrame, jobs) -> np.ndarray:
    """Interference group per station row: same technology, operator and band (−1: no job).

    Different operators transmit on different carriers, so only a station's own
    operator's stations on the same band interfere with it (issue 16).
    """
    out = np.full(len(gdf), -1, dtype=np.int32)
    ids: dict[tuple, int] = {}
    for pos, params, _, _ in jobs:
        op = params["_rec"].get("operator")
        op = "" if op is None or (isinstance(op, float) and math.isnan(op)) else str(op).strip().lower()
        key = (params["technology"], op, round(params["band_mhz"], 3))
        out[pos] = ids.setdefault(key, len(ids))
    return out


_MODEL_CODES = {m: i for i, m in enumerate(MODELS)}


def _radio_table(gdf: gpd.GeoDataFrame, jobs, config: CoverageConfig) -> dict[str, np.ndarray]:
    """Per-station service figures, arrays of length ``len(gdf) + 1`` (last: NaN, so that
    a best-server raster's −1 indexes "no server").

    ``eirp_re_dbm`` (EIRP per resource element), ``ul_rsrp_dbm`` (downlink RSRP below which
    the station's uplink fails, :func:`geo.link_budget.uplink_rsrp_threshold_dbm`),
    ``bandwidth_mhz``, ``dl_share`` (TDD downlink share, 1 on FDD), ``band_mhz``,
    ``height_m``, ``row``, ``col``, ``model`` (index into ``geo.propagation.MODELS``, −1).
    """
    n = len(gdf) + 1
    names = ("eirp_re_dbm", "ul_rsrp_dbm", "bandwidth_mhz", "dl_share", "band_mhz", "height_m",
             "row", "col")
    out = {k: np.full(n, np.nan, dtype=np.float64) for k in names}
    out["model"] = np.full(n, -1, dtype=np.int32)
    for pos, params, r, c in jobs:
        rec = params["_rec"]
        tech, band = params["technology"], params["band_mhz"]
        d = defaults_for(tech, band)
        eirp_re = float(link_budget.eirp_per_re_dbm(params["eirp_dbm"], params["subcarriers"]))
        ub = _uplink_budget(tech, band, _number(rec.get("antenna_gain_dbi")), config.ue_power_dbm)
        out["eirp_re_dbm"][pos] = eirp_re
        out["ul_rsrp_dbm"][pos] = float(link_budget.uplink_rsrp_threshold_dbm(eirp_re, ub))
        out["bandwidth_mhz"][pos] = _number(rec.get("bandwidth_mhz")) or d.bandwidth_mhz
        out["dl_share"][pos] = TDD_DL_SHARE if is_tdd(tech, band) else 1.0
        out["band_mhz"][pos] = band
        out["height_m"][pos] = params["height_m"]
        out["row"][pos], out["col"][pos] = r, c
        out["model"][pos] = _MODEL_CODES[params["model"]]
    return out


def _number(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


@lru_cache(maxsize=256)
def _uplink_budget(tech: str, band: float, gain: float | None, power: float | None):
    return link_budget.uplink_budget(tech, band, gain, power)


@dataclass
class _Stats:
    """Per-station figures and progress of one :func:`compute` call."""

    total: int
    progress: Callable[[int, int], None] | None = None
    done: int = 0
    extrapolated_cells: int = 0
    cache_hits: int = 0
    computed: int = 0
    cells_evaluated: int = 0
    reach_m: list[float] = field(default_factory=list)
    models: dict[str, int] = field(default_factory=dict)

    def station(self, n_ext: int, cells: int, reach_m: float, model: str) -> None:
        self.extrapolated_cells += int(n_ext)
        self.cells_evaluated += int(cells)
        self.reach_m.append(float(reach_m))
        self.models[model] = self.models.get(model, 0) + 1

    def tick(self, n: int = 1) -> None:
        self.done += int(n)
        if self.progress:
            self.progress(self.done, self.total)


def _merge_cached(plan: _Plan, mosaic: Mosaic, grid: Grid, config: CoverageConfig,
                  stats: _Stats) -> list[list[tuple]]:
    """Fold the cached windows; the rest grouped by antenna position (one sweep each)."""
    todo: dict[tuple, list] = {}
    hits: dict[str, list[tuple[int, WindowResult]]] = {}
    for pos, params, r, c in plan.jobs:
        params = {k: v for k, v in params.items() if k != "_rec"}
        key = _station_key(params, r, c, grid, plan.dem_key, config)
        hit = _CACHE.get(key, config.cache_dir)
        if hit is not None:
            stats.cache_hits += 1
            hits.setdefault(params["technology"], []).append((pos, hit))
            stats.station(hit.n_extrapolated, hit.q.size, hit.reach_m, hit.model)
            _CACHE.put(key, hit, config.cache_max_mb, None)
        else:
            site = (r, c, params["height_m"]) if config.terrain else (pos,)
            todo.setdefault(site, []).append((pos, params, r, c, key))
    _fold_hits(mosaic, hits, config.workers or os.cpu_count() or 1, stats)
    return list(todo.values())


def _fold_hits(mosaic: Mosaic, hits: Mapping[str, list[tuple[int, WindowResult]]], workers: int,
               stats: _Stats) -> None:
    """Fold cached windows, one thread per technology (disjoint arrays; the fold does not
    depend on the order, so the result is that of a serial fold)."""
    def fold(tech: str) -> int:
        for pos, res in hits[tech]:
            mosaic.add(pos, tech, res)
        return len(hits[tech])

    if workers <= 1 or len(hits) <= 1:
        for t in hits:
            stats.tick(fold(t))
        return
    for t in hits:
        mosaic._arrays(t)  # allocate here, not from the threads
    with ThreadPoolExecutor(max_workers=min(workers, len(hits))) as pool:
        for n in pool.map(fold, list(hits)):
            stats.tick(n)


def _run_groups(groups, mosaic: Mosaic, grid: Grid, elevation, config: CoverageConfig,
                stats: _Stats, executor) -> None:
    """Compute the windows of ``groups`` (here or on ``executor``) and fold them."""
    if not groups:
        return
    if executor is not None:
        # another engine (e.g. analysis.distributed.DaskExecutor) computes the windows of
        # these groups and combines them into tiles; folding tiles is order-independent
        # (max level, lowest station row on ties, counts added), so results are identical
        tiles, station_stats = executor(groups, grid=grid, elevation=elevation, config=config,
                                        spec=mosaic.spec, progress=stats.tick)
        for tile in tiles:
            mosaic.fold(tile)
        for _pos, n_ext, cells, reach_m, model in station_stats:
            stats.station(n_ext, cells, reach_m, model)
            stats.computed += 1
        stats.done = stats.computed + stats.cache_hits
        return

    def work(group):
        out = group_windows(group, grid, elevation, config)
        for (_, _, res), (_, _, _, _, key) in zip(out, group, strict=True):
            _CACHE.put(key, res, config.cache_max_mb, config.cache_dir)
        return out

    def finish(results) -> None:
        for pos, params, res in results:
            mosaic.add(pos, params["technology"], res)
            stats.station(res.n_extrapolated, res.q.size, res.reach_m, res.model)
            stats.computed += 1
            stats.tick()

    workers = config.workers or os.cpu_count() or 1
    if workers <= 1 or len(groups) <= 1:
        for g in groups:
            finish(work(g))
        return
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


def _rasters(mosaic: Mosaic, spec: MosaicSpec) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """RSRP (float32 dBm, NaN unreached) and, with power sums, the received power of the
    best server's interference group (float32 dBm per RE, NaN unreached) per technology."""
    rsrp: dict[str, np.ndarray] = {}
    total: dict[str, np.ndarray] = {}
    for t in list(mosaic.best):
        # the group total first: it frees this technology's power tiles before the float
        # raster is allocated, and each int16 level grid goes as soon as it is converted
        if spec.power_group is not None:
            total[t] = _best_group_total_dbm(mosaic.server[t], mosaic.power[t], spec.power_group,
                                             mosaic.r0, mosaic.c0)
        q = mosaic.best.pop(t)
        arr = q.astype(np.float32)
        arr /= np.float32(_Q_SCALE)
        arr[q == _Q_NONE] = np.nan
        del q
        rsrp[t] = arr
    return rsrp, total


def _tile_slices(tiles: Mapping[tuple[int, int], np.ndarray], r0: int, c0: int,
                 shape: tuple[int, int]):
    """``(tile, mosaic slice, tile slice)`` of each power tile overlapping a mosaic."""
    size = _POWER_TILE
    for (ti, tj), p in tiles.items():
        a0, a1 = max(r0, ti * size), min(r0 + shape[0], (ti + 1) * size)
        b0, b1 = max(c0, tj * size), min(c0 + shape[1], (tj + 1) * size)
        if a0 < a1 and b0 < b1:
            yield (p, (slice(a0 - r0, a1 - r0), slice(b0 - c0, b1 - c0)),
                   (slice(a0 - ti * size, a1 - ti * size), slice(b0 - tj * size, b1 - tj * size)))


def _best_group_total_dbm(server: np.ndarray, power: Mapping[int, Mapping],
                          power_group: np.ndarray, r0: int = 0, c0: int = 0) -> np.ndarray:
    """Per cell, the summed power (dBm) of the best server's interference group.

    ``power``: per group, the :class:`Mosaic`'s tiles (global tiling); ``r0, c0``: where
    ``server`` lies in the grid.
    """
    out = np.full(server.shape, np.nan, dtype=np.float32)
    groups = np.ascontiguousarray(power_group, dtype=np.int32)
    for g, tiles in power.items():
        for p, sl, psl in _tile_slices(tiles, r0, c0, server.shape):
            part = out[sl].copy()
            _group_total_kernel(np.ascontiguousarray(server[sl]), groups, int(g),
                                np.ascontiguousarray(p[psl]), _POWER_UNIT_DBM, part)
            out[sl] = part
    power.clear()  # read once: the province holds only the best server's group total
    return out


def _metadata(plan: _Plan, stats: _Stats, grid: Grid, config: CoverageConfig,
              seconds: float) -> dict[str, Any]:
    reach = np.asarray(stats.reach_m) if stats.reach_m else np.zeros(1)
    techs = plan.technologies
    return {
        "crs": grid.crs,
        "resolution_m": float(grid.resolution_m),
        "shape": list(grid.shape),
        "grid_key": grid.key(),
        "terrain": bool(config.terrain),
        **dict(plan.dem_meta.items()),
        "warnings": plan.warnings,
        "technologies": techs,
        "stations": len(plan.jobs),
        "stations_per_technology": {t: int(sum(1 for j in plan.jobs if j[1]["technology"] == t))
                                    for t in techs},
        "stations_outside_grid": plan.n_outside,
        "stations_computed": stats.computed,
        "stations_from_cache": stats.cache_hits,
        "models": stats.models,
        "obstructed_model": config.obstructed_model,
        "clear_model": config.clear_model,
        "reach_m": {"min": float(reach.min()), "median": float(np.median(reach)),
                    "max": float(reach.max())},
        "cells_evaluated": stats.cells_evaluated,
        "extrapolated_cells": stats.extrapolated_cells,
        "thresholds_dbm": {t: config.threshold_dbm(t) for t in techs},
        "indoor_margin_db": float(config.indoor_margin_db),
        "k_factor": float(config.k_factor),
        "reliability": float(config.reliability),
        "load": float(config.load),
        "uplink": bool(config.uplink),
        "uplink_budget": {t: _budget_dict(t, config) for t in techs},
        "config": {k: v for k, v in asdict(config).items() if k not in ("thresholds_dbm",)},
        "calibration": config.calibration.describe() if config.calibration is not None else None,
        "seconds": seconds,
    }


def _budget_dict(tech: str, config: CoverageConfig) -> dict[str, float]:
    """The uplink budget of a technology at its default band (for the outputs)."""
    ub = _uplink_budget(tech, defaults_for(tech).band_mhz, None, config.ue_power_dbm)
    return {**{k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(ub).items()},
            "sensitivity_dbm": round(ub.sensitivity_dbm, 2),
            "max_path_loss_db": round(ub.max_path_loss_db, 2)}


# the single-station maps (geo/station_map.py) run this module's per-station code path
from geo.station_map import StationMap, station_map  # noqa: E402
