"""The province run: :func:`compute` and its named steps — plan the stations into jobs,
fold the cached windows, run the rest (a thread pool here, or an ``executor``), read the
rasters out of the :class:`geo.coverage.Mosaic` and describe the run."""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo import link_budget
from geo.coverage.cache import _CACHE, _station_key
from geo.coverage.config import _Q_NONE, _Q_SCALE, CoverageConfig, CoverageError
from geo.coverage.mosaic import Mosaic, MosaicSpec, _best_group_total_dbm
from geo.coverage.params import _as_frame, _model_choice, _number, _uplink_budget, station_params
from geo.coverage.result import Coverage
from geo.coverage.window import WindowResult, _check_elevation, group_windows
from geo.dem import COARSE_RESOLUTION_M
from geo.grid import Grid, commune_id_raster
from geo.propagation import MODELS
from geo.radio_defaults import TDD_DL_SHARE, TECHNOLOGIES, defaults_for, is_tdd

if TYPE_CHECKING:  # imported where used: `lomsong station` starts without it
    import geopandas as gpd


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
        Analysis grid (:func:`geo.coverage.analysis_grid` for the province).
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
        params = station_params(rec, config)
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
