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

Modules
-------
:mod:`~geo.coverage.config` (settings, constants, the analysis grid),
:mod:`~geo.coverage.params` (station parameters and models),
:mod:`~geo.coverage.tables` (per-station lookup tables), :mod:`~geo.coverage.kernels`
(numba kernels), :mod:`~geo.coverage.window` (one station's window),
:mod:`~geo.coverage.mosaic` (how windows combine), :mod:`~geo.coverage.cache` (the
per-station cache), :mod:`~geo.coverage.result` (:class:`Coverage`) and
:mod:`~geo.coverage.engine` (:func:`compute`); each imports only the ones listed before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from geo.coverage.cache import clear_cache
from geo.coverage.config import (
    GRID_MARGIN_M,
    MAX_RADIUS_M,
    REACH_MARGIN_DB,
    CoverageConfig,
    CoverageError,
    analysis_grid,
)
from geo.coverage.engine import compute
from geo.coverage.mosaic import Mosaic, MosaicSpec
from geo.coverage.result import (
    LIMITING_DOWNLINK,
    LIMITING_NODATA,
    LIMITING_NONE,
    LIMITING_UPLINK,
    THROUGHPUT_STEPS_MBPS,
    Coverage,
)
from geo.coverage.window import (
    WindowResult,
    group_bounds,
    group_windows,
    station_covered_window,
    station_rsrp_window,
)

if TYPE_CHECKING:  # at run time from __getattr__ below (geo.station_map imports this package)
    from geo.station_map import StationMap, station_map

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

# The single-station maps (geo/station_map.py) run this package's per-station code path and
# import its submodules at their top, so they are re-exported on first use (PEP 562) rather
# than imported here: either module may then be imported first.
_LAZY = {"station_map": "geo.station_map", "StationMap": "geo.station_map"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
