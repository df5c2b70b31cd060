"""Per-station lookup tables of the RSRP kernel: path loss along the radius, antenna gain
over elevation × azimuth, and the knife-edge loss J(v) (with the eq. (57) factor)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from geo.diffraction import KNIFE_EDGE_V_MIN, knife_edge_loss_db
from geo.propagation import los_probability, path_loss_db

_TABLE_STEPS_PER_CELL = 8  # path-loss / gain tables: this many samples per cell size
_AZ_STEPS_PER_DEG = 2  # antenna-pattern table: 0.5° azimuth columns
_EL_STEPS_PER_DEG = 10  # … and 0.1° elevation rows


@lru_cache(maxsize=256)
def _radial_tables(model: str, f_mhz: float, h_bs_m: float, h_ut_m: float, step_m: float,
                   n: int, clear_model: str = "los-probability"):
    """Path loss (terrain-clear, NLOS), validity flags and pattern elevation row at
    ``d = i·step_m``; the clear path is LOS or the LOS-probability blend (:mod:`geo.coverage`)."""
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
