"""Settings of a coverage run: :class:`CoverageConfig`, its error type, the analysis grid.

The constants of the engine's window and of its int16 levels live here too, so that every
other module of :mod:`geo.coverage` reads them from one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geo import link_budget
from geo.correction import ModelCorrection
from geo.diffraction import K_FACTOR
from geo.grid import Grid
from geo.propagation import MODELS
from geo.radio_defaults import (
    DEFAULT_LOAD,
    DEFAULT_RELIABILITY,
    TECHNOLOGIES,
    THRESHOLD_DBM,
)

REACH_MARGIN_DB = 10.0  # a station's window ends where flat-ground RSRP < threshold − this
MAX_RADIUS_M = 40_000.0  # hard cap of a station's window
GRID_MARGIN_M = 1_000.0  # analysis grid = province bounds + this on every side
_Q_NONE = np.int16(-32768)  # int16 sentinel: no value (outside the station's reach)
_Q_SCALE = 100.0  # int16 windows hold RSRP in 0.01 dB
_OBSTRUCTED_MODELS = ("38901-nlos", "diffraction")
_CLEAR_MODELS = ("los-probability", "los")
_DIFFRACTION_MODELS = ("bullington", "knife-edge")


class CoverageError(ValueError):
    """Invalid coverage input: stations, DEM, grid or configuration."""


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
        Path loss where the terrain leaves the path clear (:mod:`geo.coverage` docstring).
    obstructed_model : {"38901-nlos", "diffraction"}
        Loss of terrain-obstructed paths (:mod:`geo.coverage` docstring).
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
        :meth:`geo.coverage.Coverage.covered`)."""
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
