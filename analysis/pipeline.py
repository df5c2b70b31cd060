"""The whole analysis in stages: inputs → coverage → gaps → site proposals → outputs.

Each stage is a function of the previous stages' results, so a caller (the CLI, the Streamlit
app, a notebook) can cache each one and redo only what a change needs:

======================  ====================================================  =============
stage                   depends on                                            cost
======================  ====================================================  =============
:func:`prepare_inputs`  resolution, DEM, user fiber                           seconds
:func:`coverage_stage`  inputs, stations, coverage settings                   the big one
:func:`gaps_stage`      inputs, coverage, technology, gap/ranking settings    ~1 s
:func:`villages_stage`  inputs, coverage, gaps, the village list              ~2 s at 100 m
:func:`siting_stage`    the above + focus, candidates (pool, cached by key)   pool: seconds
                        + budget (greedy selection only)                      budget: ms
:func:`write_outputs`   the result                                            seconds
======================  ====================================================  =============

:func:`run_analysis` chains them; ``progress(stage, done, total)`` reports by stage.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.config import AnalysisConfig, normalize_tech, parse_focus
from analysis.gaps import GapResult, commune_table, find_gaps
from analysis.operators import (
    operator_commune_columns,
    operator_covered,
    operator_labels,
    operator_summary,
    parse_operators,
    select_operators,
)
from analysis.ranking import score_gaps
from analysis.siting import (
    CandidatePool,
    FiberAccess,
    Selection,
    backhaul_options,
    build_pool,
    exact_budgeted,
    exact_mclp,
    generate_candidates,
    greedy_select,
    merged_demands,
    proposals_table,
    selection_guarantee,
)

__all__ = [
    "MODELLED_WARNING",
    "STAGES",
    "Inputs",
    "GapsOutput",
    "SitingOutput",
    "AnalysisResult",
    "prepare_inputs",
    "coverage_stage",
    "gaps_stage",
    "siting_stage",
    "run_analysis",
    "write_outputs",
    "villages_stage",
    "coverage_summary",
    "measurements_stage",
    "summary_dict",
    "served_mask",
    "service_summary",
    "network_summary",
    "exact_check_allowed",
    "operator_stage",
    "other_operator_masts",
    "modelled_share",
    "EST_COST_NOTE",
    "OGR_FIXED_DATE",
]

MODELLED_WARNING = "modelled network — upload your station list for real results"
MODELLED_WARNING_VI = "mạng mô phỏng — hãy tải danh sách trạm thật để có kết quả thật"
ANY_UPPER_BOUND_NOTE = (
    "any-technology gaps on the modelled network are an upper bound: the real 2G/3G/4G "
    "networks reach further than the modelled sites"
)
STAGES = ("inputs", "coverage", "gaps", "candidates", "selection", "outputs")
OGR_FIXED_DATE = "2025-07-01T00:00:00Z"  # GeoPackage timestamps, fixed → byte-identical files
POOL_CACHE_SIZE = 4

Progress = Callable[[str, int, int], None]


def _noop(stage: str, done: int, total: int) -> None:  # noqa: ARG001
    return None


# ------------------------------------------------------------------------------ inputs
@dataclass
class Inputs:
    """Everything the analysis needs that does not depend on the stations.

    Attributes
    ----------
    grid : geo.grid.Grid
    population : float32 array, people per cell (WorldPop 2020 on the grid)
    commune_id : int32 array, row of ``communes`` per cell (-1 outside the province)
    communes : GeoDataFrame (EPSG:4326) with ``terrain``
    dem : geo.dem.Dem or None
    dem_on_grid : float32 array or None
    fiber : FiberAccess or None
    fiber_reach : geo.fiber.FiberReach or None
    key : str
        Identity of these inputs, for caches.
    """

    grid: Any
    population: np.ndarray
    commune_id: np.ndarray
    communes: gpd.GeoDataFrame
    dem: Any = None
    dem_on_grid: np.ndarray | None = None
    fiber: FiberAccess | None = None
    fiber_reach: Any = None
    key: str = ""
    meta: dict = field(default_factory=dict)
    power: Any = None  # analysis.power.PowerAccess (None: the modelled proxy is made on use)
    villages: Any = None  # village points with ``power`` (grid/none/None), optional

    @property
    def people_total(self) -> float:
        pop = np.nan_to_num(self.population.astype(np.float64), nan=0.0)
        return float(pop[self.commune_id >= 0].sum())


def prepare_inputs(
    resolution_m: float = 100.0,
    dem=None,
    *,
    user_fiber=None,
    rescale_to_legal: bool = False,
    progress: Progress | None = None,
    power_lines=None,
    villages=None,
) -> Inputs:
    """Grid, population, commune raster with terrain classes, DEM on the grid, fiber reach.

    Parameters
    ----------
    resolution_m : float
        Cell size (30–1000 m).
    dem : geo.dem.Dem, path or None
        None: the embedded coarse relief (it says so in every output).
    user_fiber : GeoDataFrame or path, optional
        Known fiber nodes/routes, added to the commune-seat nodes.
    rescale_to_legal : bool
        Scale WorldPop per commune to the legal population figures.
    power_lines : GeoDataFrame or path, optional
        Power lines (GeoJSON/GPKG lines): where the grid is (:func:`analysis.power.power_access`).
    villages : GeoDataFrame, optional
        Village points with a ``power`` column (``grid``/``none``/None); grid-powered villages
        also tell where the grid is. Neither given: the modelled proxy, labelled so.
    """
    from geo.coverage import analysis_grid
    from geo.data import load_communes
    from geo.dem import load_dem
    from geo.grid import commune_id_raster
    from geo.population import population_on_grid

    progress = progress or _noop
    progress("inputs", 0, 4)
    grid = analysis_grid(resolution_m)
    communes = load_communes()
    if rescale_to_legal:
        population = population_on_grid(grid, rescale_legal=True, communes=communes)
    else:
        population = population_on_grid(grid)
    commune_id = commune_id_raster(grid, communes)
    progress("inputs", 1, 4)
    dem_obj = dem if hasattr(dem, "on_grid") else load_dem(dem)
    dem_on_grid = np.ascontiguousarray(dem_obj.on_grid(grid), dtype=np.float32)
    progress("inputs", 2, 4)
    communes["terrain"] = _terrain_cached(dem_obj)
    progress("inputs", 3, 4)
    fiber_reach, fiber = _fiber(grid, dem_on_grid, user_fiber)
    progress("inputs", 4, 4)
    lines = _read_lines(power_lines)
    power = _power_access(grid, population, lines, villages)
    key = hashlib.sha256(
        f"{grid.key()}|{dem_obj.key}|{rescale_to_legal}|{_fiber_key(user_fiber)}|"
        f"{_fiber_key(lines)}|{_fiber_key(villages)}".encode()
    ).hexdigest()[:16]
    return Inputs(
        power=power, villages=villages,
        grid=grid, population=population, commune_id=commune_id, communes=communes,
        dem=dem_obj, dem_on_grid=dem_on_grid, fiber=fiber, fiber_reach=fiber_reach, key=key,
        meta={"dem": _dem_label(dem_obj), "dem_resolution_m": float(dem_obj.resolution_m),
              "dem_coarse": bool(getattr(dem_obj, "is_coarse", dem_obj.resolution_m > 250)),
              "rescale_to_legal": bool(rescale_to_legal)},
    )


_TERRAIN_CACHE: dict[str, list[str]] = {}


def _read_lines(power_lines):
    """Power lines as a GeoDataFrame (a path is read; lines only)."""
    if power_lines is None or isinstance(power_lines, gpd.GeoDataFrame):
        return power_lines
    p = Path(power_lines)
    if not p.exists():
        msg = f"Power-line file {p} does not exist."
        raise FileNotFoundError(msg)
    gdf = gpd.read_file(p)
    lines = gdf[gdf.geom_type.isin(["LineString", "MultiLineString"])]
    if len(lines) == 0:
        msg = (f"Tệp đường điện {p.name} không có đường (LineString). / "
               f"Power-line file {p.name} has no line features (found {sorted(set(gdf.geom_type))}).")
        raise ValueError(msg)
    return lines


def _power_from_villages(inputs: Inputs, lines, villages_out) -> None:
    """Villages whose ``power`` is ``grid`` (the village stage's table) tell where the grid is,
    with the power lines; none known: the inputs' power access stays as it is."""
    table = getattr(villages_out, "table", None)
    if table is None or "power" not in table or not (table["power"] == "grid").any():
        return
    inputs.power = _power_access(inputs.grid, inputs.population, lines, table)
    inputs.villages = table


def _ensure_power(inputs: Inputs):
    """The inputs' power access, made once (the modelled proxy) when none was given."""
    if getattr(inputs, "power", None) is None:  # also Inputs cached before the field existed
        inputs.power = _power_access(inputs.grid, inputs.population, None,
                                     getattr(inputs, "villages", None))
    return inputs.power


def _power_access(grid, population, power_lines=None, villages=None):
    from analysis.power import power_access

    return power_access(grid, population, power_lines=power_lines, villages=villages)


def _terrain_cached(dem_obj) -> list[str]:
    from geo.data import load_communes
    from geo.landform import terrain_classes

    k = str(getattr(dem_obj, "key", "none"))
    if k not in _TERRAIN_CACHE:
        _TERRAIN_CACHE[k] = terrain_classes(load_communes(), dem_obj)["terrain"].astype(str).tolist()
    return list(_TERRAIN_CACHE[k])


def _dem_label(dem_obj) -> str:
    if dem_obj is None:
        return "none (flat ground)"
    if hasattr(dem_obj, "describe"):
        return str(dem_obj.describe())
    return str(getattr(dem_obj, "source", "DEM"))


def _fiber_key(user_fiber) -> str:
    if user_fiber is None:
        return "seats"
    if isinstance(user_fiber, str | Path):
        p = Path(user_fiber)
        return hashlib.sha256(p.read_bytes()).hexdigest()[:16] if p.exists() else str(p)
    if isinstance(user_fiber, gpd.GeoDataFrame):
        return hashlib.sha256(user_fiber.to_json().encode()).hexdigest()[:16]
    return repr(user_fiber)


def _fiber(grid, dem_on_grid, user_fiber):
    """Fiber reach from :mod:`geo.fiber` (commune seats + user fiber, along national roads)."""
    from geo.data import load_roads, load_seats
    from geo.fiber import fiber_nodes, fiber_reach

    nodes = fiber_nodes(load_seats(), user_nodes=user_fiber)
    reach = fiber_reach(grid, nodes, roads=load_roads(), elevation_on_grid=dem_on_grid)
    return reach, FiberAccess.from_reach(reach, grid)


# ---------------------------------------------------------------------------- coverage
def _stations_frame(stations) -> tuple[gpd.GeoDataFrame, bool]:
    """(GeoDataFrame EPSG:4326, modelled?) from a StationSet, a GeoDataFrame, a path or None."""
    if stations is None:
        from geo.stations import load_default_stations

        stations = load_default_stations()
    if isinstance(stations, str | Path):
        from geo.stations import read_stations

        stations = read_stations(stations)
    if hasattr(stations, "stations"):
        gdf = stations.stations
        modelled = bool(getattr(stations, "modelled", False))
    else:
        gdf = stations
        modelled = False
    if "modelled" in gdf and len(gdf):
        modelled = modelled or bool(pd.Series(gdf["modelled"]).astype(bool).all())
    return gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf, modelled


def coverage_stage(
    inputs: Inputs, stations, coverage_config=None, progress: Progress | None = None,
    executor=None, operators=None,
):
    """Coverage of ``stations`` on the inputs' grid (:func:`geo.coverage.compute`).

    ``executor``: run the per-station work elsewhere (:class:`analysis.distributed.DaskExecutor`);
    None = this process. ``operators``: only these operators' stations
    (:func:`analysis.operators.select_operators`; None = all).
    """
    from geo.coverage import CoverageConfig, compute

    progress = progress or _noop
    config = coverage_config or CoverageConfig()
    gdf, _ = _stations_frame(stations)
    gdf = select_operators(gdf, operators)
    dem = inputs.dem_on_grid if inputs.dem_on_grid is not None else None
    return compute(
        gdf, inputs.grid, dem, config, population=inputs.population,
        communes=inputs.communes, progress=lambda d, t: progress("coverage", d, t),
        executor=executor,
    )


# -------------------------------------------------------------------------------- gaps
@dataclass
class GapsOutput:
    """Gaps of one technology: the gap cells/labels, the ranked gap table, the communes."""

    result: GapResult
    gaps: gpd.GeoDataFrame  # EPSG:4326, ranked
    communes: gpd.GeoDataFrame  # EPSG:4326, per-commune table + geometry
    covered: np.ndarray
    tech: str
    metric: str = "coverage"
    min_mbps: float | None = None


def _stations_xy(coverage, grid, tech: str) -> np.ndarray:
    st = getattr(coverage, "stations", None)
    if st is None or len(st) == 0:
        return np.zeros((0, 2))
    if tech != "any" and "technology" in st:
        st = st[st["technology"].astype(str).str.upper() == tech]
    if len(st) == 0:
        return np.zeros((0, 2))
    pts = st.geometry.to_crs("EPSG:4326")
    x, y = grid.from_lonlat(pts.x.to_numpy(), pts.y.to_numpy())
    return np.column_stack([np.asarray(x), np.asarray(y)])


def gaps_stage(
    inputs: Inputs, coverage, tech: str = "5G", config: AnalysisConfig | None = None,
) -> GapsOutput:
    """Gap cells, clusters, gap attributes and scores, and the per-commune table."""
    config = config or AnalysisConfig()
    tech = normalize_tech(tech)
    grid = inputs.grid
    covered = served_mask(coverage, tech, config.gaps)
    communes_df = pd.DataFrame(inputs.communes.drop(columns=inputs.communes.geometry.name))
    fiber_km = inputs.fiber.distance_km if inputs.fiber is not None else None
    res = find_gaps(
        grid, inputs.population, covered, inputs.commune_id, communes_df, config.gaps,
        inputs.dem_on_grid, _stations_xy(coverage, grid, tech), fiber_km,
    )
    gaps = res.gaps
    bh = backhaul_options(
        gaps["x"].to_numpy(), gaps["y"].to_numpy(), grid, inputs.dem_on_grid, inputs.fiber,
        config.costs, config.siting.site.height_m, none_label="none",
    )
    gaps["backhaul"] = bh["backhaul"].astype(object).to_numpy()
    gaps["backhaul_cost_vnd"] = bh["backhaul_cost_vnd"].to_numpy()
    gaps["sites_needed_est"] = np.maximum(
        1, np.ceil(gaps["area_km2"].to_numpy() / config.siting.site_area_km2)).astype(np.int64)
    gaps["est_cost_vnd"] = gaps["sites_needed_est"] * (
        config.costs.capex_for(tech) + gaps["backhaul_cost_vnd"])
    ranked = score_gaps(gaps, config.ranking)
    ranked = gpd.GeoDataFrame(ranked, geometry="geometry", crs=grid.crs).to_crs("EPSG:4326")
    ordered = [
        "gap_id", "rank", "people_uncovered", "area_km2", "communes", "terrain", "elev_mean_m",
        "dist_station_km", "dist_fiber_km", "backhaul", "score", "score_people", "w_terrain",
        "est_cost_vnd", "sites_needed_est", "w_cost", "backhaul_cost_vnd", "cells", "commune_codes", "lon", "lat",
        "x", "y",
    ]
    ranked = ranked[[c for c in ordered if c in ranked] + ["geometry"]]
    table = commune_table(inputs.population, covered, inputs.commune_id, communes_df,
                          res.labels, config.gaps)
    table["area_km2_legal"] = communes_df.get("area_km2_legal", np.nan)
    _add_service_columns(table, coverage, tech, inputs)
    communes = gpd.GeoDataFrame(table, geometry=inputs.communes.geometry.to_numpy(),
                                crs=inputs.communes.crs)
    metric = config.gaps.metric
    return GapsOutput(result=res, gaps=ranked, communes=communes, covered=covered, tech=tech,
                      metric=metric, min_mbps=float(config.gaps.min_mbps) if metric == "throughput"
                      else None)


def served_mask(coverage, tech: str, gaps_config) -> np.ndarray:
    """Cells that are *not* a gap: covered (both links, ``metric="coverage"``) or with a
    modelled throughput ≥ ``min_mbps`` (``metric="throughput"``), issue 16."""
    metric = getattr(gaps_config, "metric", "coverage")
    if metric == "throughput" and hasattr(coverage, "throughput_mbps"):
        with np.errstate(invalid="ignore"):
            return np.asarray(coverage.throughput_mbps(tech) >= float(gaps_config.min_mbps),
                              dtype=bool)
    return np.asarray(coverage.covered(tech), dtype=bool)


def _add_service_columns(table: pd.DataFrame, coverage, tech: str, inputs: Inputs) -> None:
    """Per-commune people by link and by throughput (issue 16), beside the coverage table."""
    if not hasattr(coverage, "covered_uplink"):
        return
    pop = np.nan_to_num(inputs.population.astype(np.float64), nan=0.0)
    cid = inputs.commune_id
    valid = cid >= 0
    n = len(table)

    def people(mask: np.ndarray) -> np.ndarray:
        m = valid & mask
        return np.bincount(cid[m], weights=pop[m], minlength=n)[:n]

    table["people_covered_downlink"] = people(coverage.covered_downlink(tech))
    table["people_covered_uplink"] = people(coverage.covered_uplink(tech))
    if coverage.has_throughput(tech):
        rate = coverage.throughput_mbps(tech)
        with np.errstate(invalid="ignore"):
            for k in (1, 10, 100):
                table[f"people_mbps_{k}"] = people(rate >= k)


def service_summary(inputs: Inputs, coverage, tech: str) -> dict:
    """``people_covered_downlink, people_covered_uplink, people_by_throughput, reliability,
    load`` inside the province (issue 16); {} for a coverage without service figures."""
    if not hasattr(coverage, "covered_uplink"):
        return {}
    pop = np.where(inputs.commune_id >= 0,
                   np.nan_to_num(inputs.population.astype(np.float64), nan=0.0), 0.0)
    s = coverage.summary(pop, tech)
    by = s.get("people_by_throughput")
    return {
        "people_covered_downlink": _r(s["people_covered_downlink"]),
        "people_covered_uplink": _r(s["people_covered_uplink"]),
        "people_by_throughput": {k: _r(v) for k, v in by.items()} if by else None,
        "reliability": float(s["reliability"]),
        "load": float(s["load"]),
    }


# ---------------------------------------------------------------------------- villages
def villages_stage(inputs: Inputs, coverage, gaps_out: GapsOutput, villages=None,
                   config: AnalysisConfig | None = None):
    """Every village's status by the ministry's criterion (:mod:`analysis.villages`).

    ``villages``: None (the embedded GeoNames + OSM points and modelled clusters), a
    GeoDataFrame, a village-list ``PointSet``, or a path read with
    ``geo.village_list.read_villages``.

    Villages are judged on the run's served cells, ``gaps_out.covered`` (:func:`served_mask`):
    coverage, or throughput ≥ ``min_mbps`` when the gaps are asked on service; the summary
    states it (``villages_metric``, ``villages_min_mbps``).
    """
    from analysis.villages import _level, prepare_villages, village_table

    config = config or AnalysisConfig()
    if isinstance(villages, str | Path):
        from geo.village_list import read_villages

        villages = read_villages(villages)
    layer = prepare_villages(villages, inputs.communes, config.gaps, grid=inputs.grid,
                             population=inputs.population, commune_id=inputs.commune_id)
    communes_df = pd.DataFrame(inputs.communes.drop(columns=inputs.communes.geometry.name))
    tech = gaps_out.tech
    return village_table(
        inputs.grid, layer, inputs.population, inputs.commune_id, communes_df, gaps_out.covered,
        _level(coverage, tech, inputs.grid.shape), _stations_xy(coverage, inputs.grid, tech),
        inputs.fiber.distance_km if inputs.fiber is not None else None,
        metric=getattr(gaps_out, "metric", "coverage"), min_mbps=getattr(gaps_out, "min_mbps", None),
    )


# ------------------------------------------------------------------------------ siting
@dataclass
class SitingOutput:
    """Proposals for one budget and the pool they were chosen from."""

    proposals: gpd.GeoDataFrame
    curve: pd.DataFrame
    pool: CandidatePool
    selection: Selection
    check: dict = field(default_factory=dict)


_POOL_CACHE: OrderedDict[str, CandidatePool] = OrderedDict()


def _points_key(points) -> str:
    if points is None or len(points) == 0:
        return "none"
    if isinstance(points, gpd.GeoDataFrame):
        return hashlib.sha256(points.to_crs("EPSG:4326").to_json().encode()).hexdigest()[:16]
    return hashlib.sha256(pd.DataFrame(points).to_csv(index=False).encode()).hexdigest()[:16]


def candidate_pool(
    inputs: Inputs, coverage, gaps_out: GapsOutput, focus=None, candidates=None,
    config: AnalysisConfig | None = None, progress: Progress | None = None,
    rsrp_window=None, use_cache: bool = True, shared_masts=None,
) -> CandidatePool:
    """The candidate pool (coverage of every candidate), cached by what it depends on.

    ``shared_masts``: other operators' masts (``lon, lat, mast_id, operator, height_m``),
    co-location candidates in a run of some operators only.
    """
    config = config or AnalysisConfig()
    progress = progress or _noop
    focus_t = parse_focus(focus)
    tech = gaps_out.tech
    cov_cfg = getattr(coverage, "config", None)
    best_rsrp = _candidate_competition(coverage, config.siting.site, tech)
    key = hashlib.sha256("|".join([
        inputs.key, tech, str(focus_t), _points_key(candidates), repr(config.siting),
        repr(config.costs), repr(config.gaps), repr(cov_cfg), repr(config.power),
        getattr(_ensure_power(inputs), "key", ""),
        _points_key(shared_masts),
        hashlib.sha256(np.packbits(gaps_out.covered).tobytes()).hexdigest(),
        "default-engine" if rsrp_window is None else getattr(rsrp_window, "__name__", "fn"),
        "alone" if best_rsrp is None else hashlib.sha256(best_rsrp.tobytes()).hexdigest(),
    ]).encode()).hexdigest()[:24]
    power = _ensure_power(inputs)
    if use_cache and key in _POOL_CACHE:
        _POOL_CACHE.move_to_end(key)
        progress("candidates", 1, 1)
        return _POOL_CACHE[key]
    allowed = None
    target_mask = None
    if focus_t:
        terr = inputs.communes["terrain"].astype(str).to_numpy()
        in_focus = np.isin(terr, list(focus_t))
        cid = inputs.commune_id
        allowed = (cid >= 0) & in_focus[np.clip(cid, 0, None)]
        target_mask = allowed
    res = gaps_out.result
    gaps_grid = res.gaps  # grid-CRS gap table, row i = label i
    cands = generate_candidates(
        inputs.grid, res.labels, gaps_grid, inputs.commune_id, inputs.dem_on_grid,
        config.siting, candidates, allowed, inputs.population, shared_masts=shared_masts,
    )
    communes_df = pd.DataFrame(inputs.communes.drop(columns=inputs.communes.geometry.name))
    pool = build_pool(
        inputs.grid, cands, inputs.population, gaps_out.covered, inputs.commune_id, communes_df,
        tech, cov_cfg, inputs.dem_on_grid, inputs.fiber, config.siting, config.costs,
        target_mask=target_mask, rsrp_window=rsrp_window,
        progress=lambda d, t: progress("candidates", d, t),
        power_access=power,
        power_config=config.power,
        best_rsrp_dbm=best_rsrp,
        model_communes=inputs.communes,
        min_mbps=getattr(gaps_out, "min_mbps", None) if getattr(gaps_out, "metric", "") == "throughput"
        else None,
    )
    pool.key = key
    pool.meta["focus"] = list(focus_t) if focus_t else None
    if use_cache:
        _POOL_CACHE[key] = pool
        while len(_POOL_CACHE) > POOL_CACHE_SIZE:
            _POOL_CACHE.popitem(last=False)
    return pool


def _candidate_competition(coverage, site, tech: str) -> np.ndarray | None:
    """Today's best RSRP (dBm) of the technology a proposed site would carry, the server a
    candidate must beat to serve a cell (:func:`analysis.siting.build_pool`); None if unknown."""
    t = site.station_for(tech, 0.0, 0.0, "probe")["technology"]
    level = (getattr(coverage, "rsrp_dbm", None) or {}).get(t)
    return None if level is None else np.ascontiguousarray(level, dtype=np.float32)


def exact_check_allowed(pool: CandidatePool, siting) -> bool:
    """Whether the pool is small enough for the exact ILP: at most ``exact_max_candidates``
    candidates and ``exact_max_demands`` demands (targets merged by covering set)."""
    if len(pool.cover) > siting.exact_max_candidates:
        return False
    return len(merged_demands(pool)[1]) <= siting.exact_max_demands


def siting_stage(
    inputs: Inputs, coverage, gaps_out: GapsOutput, budget_sites: int | None = 20,
    budget_vnd: float | None = None, focus=None, candidates=None,
    config: AnalysisConfig | None = None, progress: Progress | None = None,
    exact_check: bool | None = None, rsrp_window=None, shared_masts=None,
    objective: str = "people", villages=None,
) -> SitingOutput:
    """Ranked site proposals for a budget (sites and/or VND) and the coverage curve.

    The candidate pool is cached (:func:`candidate_pool`), so a new budget costs only the
    greedy selection. ``exact_check`` (None = when the pool is small enough:
    ``exact_max_candidates`` candidates and ``exact_max_demands`` merged demands) also solves
    the exact problem — the MCLP with spopt for the same number of sites, or the budgeted
    MCLP for a VND budget — and reports greedy / optimum. ``check["guarantee"]`` is the
    worst-case share the selection method guarantees (:func:`analysis.siting.selection_guarantee`).
    ``objective='villages'`` (needs ``villages``, a :class:`analysis.villages.VillagesOutput`)
    proposes the sites that serve the most villages, ties by people; with ``villages`` given
    the proposals gain a ``villages_new`` column under either objective. ``shared_masts``:
    other operators' masts, co-location candidates (:func:`candidate_pool`).
    """
    config = config or AnalysisConfig()
    progress = progress or _noop
    pool = candidate_pool(inputs, coverage, gaps_out, focus, candidates, config, progress,
                          rsrp_window, shared_masts=shared_masts)
    progress("selection", 0, 1)
    seeds = config.siting.max_seed_sets
    demand = None
    if villages is not None:
        from analysis.villages import village_demand

        demand = village_demand(pool, villages)
    if objective == "villages":
        if demand is None:
            msg = "objective='villages' needs the villages stage (villages=...)."
            raise ValueError(msg)
        from analysis.siting import greedy_select_villages

        sel = greedy_select_villages(pool, demand, budget_sites=budget_sites, budget_vnd=budget_vnd)
        exact_check = False
    else:
        sel = greedy_select(pool, budget_sites=budget_sites, budget_vnd=budget_vnd,
                            max_seed_sets=seeds)
    props, curve = proposals_table(pool, sel, inputs.grid)
    if demand is not None:
        from analysis.siting import villages_served_along

        vnew = sel.villages_new or villages_served_along(pool, demand, sel.order)
        props["villages_new"] = np.asarray(vnew, dtype=np.int64)
        props["villages_cum"] = np.cumsum(props["villages_new"].to_numpy()).astype(np.int64)
    check: dict[str, Any] = (dict(selection_guarantee(pool, budget_sites, budget_vnd, seeds))
                             if objective == "people" else {})
    small = exact_check_allowed(pool, config.siting)
    if (exact_check or (exact_check is None and small)) and sel.order:
        if budget_vnd is None:
            opt, _ = exact_mclp(pool, len(sel.order))
        else:
            opt, _ = exact_budgeted(pool, budget_vnd, budget_sites)
        check.update({"sites": len(sel.order), "greedy_people": round(sel.people_new, 1),
                      "optimum_people": round(opt, 1),
                      "greedy_share_of_optimum": round(sel.people_new / opt, 4) if opt > 0 else 1.0})
    progress("selection", 1, 1)
    return SitingOutput(proposals=props, curve=curve, pool=pool, selection=sel, check=check)


# --------------------------------------------------------------------------- operators
def modelled_share(stations) -> float | None:
    """Share of station rows flagged ``modelled`` (None without the column)."""
    gdf = getattr(stations, "stations", stations)
    if gdf is None or "modelled" not in gdf or len(gdf) == 0:
        return None if gdf is None or "modelled" not in gdf else 0.0
    return round(float(pd.Series(gdf["modelled"]).fillna(False).astype(bool).mean()), 4)


def other_operator_masts(all_stations: gpd.GeoDataFrame, selected: gpd.GeoDataFrame) -> pd.DataFrame:
    """Masts of the stations not selected that carry none of the selected operators:
    ``lon, lat, mast_id, operator, height_m`` (one row per mast), for co-location."""
    mast_col = next((c for c in ("mast_id", "site_id", "station_id") if c in all_stations), None)
    if mast_col is None or len(all_stations) == 0:
        return pd.DataFrame(columns=["lon", "lat", "mast_id", "operator", "height_m"])
    g = all_stations.to_crs("EPSG:4326")
    df = pd.DataFrame({"mast_id": g[mast_col].astype(str).to_numpy(), "operator": operator_labels(g),
                       "lon": g.geometry.x.to_numpy(), "lat": g.geometry.y.to_numpy(),
                       "height_m": pd.to_numeric(g["height_m"], errors="coerce").to_numpy()
                       if "height_m" in g else np.nan})
    chosen = set(operator_labels(selected))
    hosts_chosen = set(df.loc[df["operator"].isin(chosen), "mast_id"])
    df = df[~df["mast_id"].isin(hosts_chosen)]
    return (df.groupby("mast_id", sort=True)
              .agg(lon=("lon", "first"), lat=("lat", "first"), height_m=("height_m", "max"),
                   operator=("operator", lambda v: "+".join(sorted(set(v)))))
              .reset_index())


def operator_stage(inputs: Inputs, stations: gpd.GeoDataFrame, coverage, coverage_config,
                   tech: str, gaps_out: GapsOutput | None = None) -> dict:
    """``by_operator``, ``people_no_operator``, ``people_one_operator`` (and the per-commune
    columns added to ``gaps_out.communes``) for the stations analysed."""
    masks = operator_covered(stations, inputs.grid, inputs.dem_on_grid, coverage_config, tech,
                             communes=inputs.communes, whole=coverage)
    inside = inputs.commune_id >= 0
    stats = operator_summary(masks, inputs.population, inside, inputs.grid.cell_area_m2 / 1e6)
    if gaps_out is not None:
        cols = operator_commune_columns(masks, inputs.population, inputs.commune_id,
                                        len(gaps_out.communes))
        for c in cols.columns:
            gaps_out.communes[c] = cols[c].to_numpy()
    return stats


# ------------------------------------------------------------------------- measurements
def measurements_stage(inputs: Inputs, coverage, measurements):
    """Drive test against the coverage (:func:`analysis.measurements.compare`) and the
    "model says covered, drive test says no" clusters; ``(None, None)`` without one."""
    if measurements is None:
        return None, None
    from analysis.measurements import compare, disagreement_clusters

    comparison = compare(measurements, coverage, elevation_m=inputs.dem_on_grid,
                         communes=inputs.communes)
    return comparison, disagreement_clusters(comparison)


def measurements_summary(comparison, clusters) -> dict:
    """``summary.json``'s ``measurements``: counts and error statistics (model − measured)."""
    s = comparison.stats
    return {
        "points": s["n_points"], "compared": s["n_compared"], "by_basis": s["n_by_basis"],
        **{k: v for k, v in s["overall"].items()},
        "by_technology": s["by_technology"], "by_operator": s["by_operator"],
        "by_terrain": s["by_terrain"], "by_los": s["by_los"],
        "by_distance_band": s["by_distance_band"],
        "covered_but_no_service_clusters": int(len(clusters)) if clusters is not None else 0,
        "calibration": comparison.calibration,
    }


# ---------------------------------------------------------------------------------- run
@dataclass
class AnalysisResult:
    """Everything :func:`write_outputs` writes."""

    inputs: Inputs
    coverage: Any
    stations: gpd.GeoDataFrame
    stations_modelled: bool
    tech: str
    gaps: GapsOutput
    siting: SitingOutput
    summary: dict
    timings: dict
    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    measurements: Any = None  # drive-test points with residual_db (GeoDataFrame, EPSG:4326)
    measurement_clusters: Any = None  # "model says covered, drive test says no" (GeoDataFrame)
    villages: Any = None  # analysis.villages.VillagesOutput, or None when not asked


def _r(v: float, nd: int = 1) -> float:
    v = float(v)
    return round(v, nd) if math.isfinite(v) else None  # type: ignore[return-value]


def coverage_summary(gaps_out: GapsOutput) -> dict:
    """People total / covered / uncovered, share covered and gap count of a gaps stage."""
    t = gaps_out.communes
    total = float(t["people_total"].sum())
    covered = float(t["people_covered"].sum())
    return {
        "people_total": _r(total),
        "people_covered": _r(covered),
        "people_uncovered": _r(float(t["people_uncovered"].sum())),
        "share_covered": _r(covered / total if total else 0.0, 4),
        "gaps": int(len(gaps_out.gaps)),
    }


def summary_dict(
    inputs: Inputs, gaps_out: GapsOutput, siting: SitingOutput, tech: str,
    stations_modelled: bool, n_stations: int, seconds: float, coverage=None,
    budget_sites=None, budget_vnd=None, focus=None, operators=None, operator_stats=None,
    stations_modelled_share=None, config: AnalysisConfig | None = None,
) -> dict:
    """The ``summary.json`` content (every number rounded, keys sorted on writing).

    ``operator_stats`` (:func:`operator_stage`) is computed here from ``coverage.stations``
    when not given, so every summary has ``by_operator``.
    """
    st = getattr(coverage, "stations", None)
    if operator_stats is None and st is not None and len(st):
        operator_stats = operator_stage(inputs, st, coverage, getattr(coverage, "config", None),
                                        normalize_tech(tech), gaps_out)
    t = gaps_out.communes
    total = float(t["people_total"].sum())
    covered = float(t["people_covered"].sum())
    props = siting.proposals
    new = float(props["people_new"].sum()) if len(props) else 0.0
    md = getattr(coverage, "metadata", {}) or {}
    warnings = list(md.get("warnings", []))
    out = {
        **coverage_summary(gaps_out),
        "people_in_gaps": _r(gaps_out.gaps["people_uncovered"].sum() if len(gaps_out.gaps) else 0.0),
        "people_scattered_uncovered": _r(gaps_out.result.people_scattered),
        "people_uncovered_below_floor": _r(getattr(gaps_out.result, "people_below_floor", 0.0)),
        "communes_lom_song": int(t["lom_song"].sum()),
        "proposals": int(len(props)),
        "people_newly_covered": _r(new),
        "share_covered_after": _r((covered + new) / total if total else 0.0, 4),
        "cost_total_vnd": _r(props["cost_vnd"].sum() if len(props) else 0.0, 0),
        "budget_sites": budget_sites,
        "budget_vnd": budget_vnd,
        "focus": list(parse_focus(focus)) if parse_focus(focus) else None,
        "candidates": int(len(siting.pool.cover)),
        "greedy_vs_exact": siting.check if "optimum_people" in (siting.check or {}) else None,
        "seconds": round(float(seconds), 1),
        "tech": tech,
        "resolution_m": float(inputs.grid.resolution_m),
        "dem": inputs.meta.get("dem"),
        "dem_resolution_m": _r(inputs.meta.get("dem_resolution_m", float("nan")), 0),
        "terrain": bool(md.get("terrain", True)),
        "stations": int(n_stations),
        "stations_modelled": bool(stations_modelled),
        "warning": MODELLED_WARNING if stations_modelled else None,
        "warning_vi": MODELLED_WARNING_VI if stations_modelled else None,
        "notes": ([ANY_UPPER_BOUND_NOTE] if stations_modelled and tech == "any" else []) + warnings,
    }
    if coverage is not None:
        out.update(service_summary(inputs, coverage, tech))
        out["gap_metric"] = getattr(gaps_out, "metric", "coverage")
        out["min_mbps"] = getattr(gaps_out, "min_mbps", None)
    out.update(network_summary(inputs, siting, config, operators, operator_stats,
                               stations_modelled_share))
    if md.get("calibration"):  # drive-test calibration (#17) named in every output using it
        out["calibration"] = md["calibration"]
    if stations_modelled_share is not None and 0.0 < stations_modelled_share < 1.0:
        out["notes"].append(MIXED_NOTE.format(share=stations_modelled_share))
    return out


MIXED_NOTE = ("MIXED station set: {share:.0%} of the stations are MODELLED, the rest uploaded — "
              "results mix real and modelled sites")


#: How the per-gap ``est_cost_vnd`` is made, written beside the figure wherever it is shown.
EST_COST_NOTE = (
    "est_cost_vnd = ceil(area_km2 / {area:g} km² per site) × (site capex + cheapest backhaul): "
    "one site is assumed to serve {area:g} km² (SitingConfig.site_area_km2)"
)
EST_COST_NOTE_VI = (
    "chi phí ước tính = làm tròn lên(diện tích / {area:g} km² mỗi trạm) × (chi phí trạm + truyền dẫn "
    "rẻ nhất): giả định mỗi trạm phục vụ {area:g} km²"
)


def _split(props: pd.DataFrame, column: str) -> dict:
    """Sites, people, capex and 10-year cost of proposals per value of ``column``."""
    if column not in props or len(props) == 0:
        return {}
    out = {}
    for key, g in props.groupby(column, sort=True):
        out[str(key)] = {
            "sites": int(len(g)),
            "people_new": _r(g["people_new"].sum()),
            "capex_vnd": _r(g["capex_vnd"].sum(), 0) if "capex_vnd" in g else None,
            "opex_10y_vnd": _r(g["opex_10y_vnd"].sum(), 0) if "opex_10y_vnd" in g else None,
        }
    return out


def network_summary(inputs: Inputs, siting: SitingOutput, config: AnalysisConfig | None = None,
                    operators=None, operator_stats=None, stations_modelled_share=None) -> dict:
    """Summary keys on operators, sharing, power, fiber and the selection's guarantee."""
    props = siting.proposals
    reach_md = getattr(inputs.fiber_reach, "metadata", {}) or {}
    n_nodes = reach_md.get("n_nodes")
    n_model = reach_md.get("n_modelled_seats")
    area = float((config or AnalysisConfig()).siting.site_area_km2)
    power = getattr(inputs, "power", None)
    out = {
        "operators": list(parse_operators(operators)) if parse_operators(operators) else None,
        "proposals_by_kind": _split(props, "kind"),
        "proposals_by_power": _split(props, "power"),
        "capex_total_vnd": _r(props["capex_vnd"].sum(), 0) if len(props) and "capex_vnd" in props else 0.0,
        "opex_10y_total_vnd": _r(props["opex_10y_vnd"].sum(), 0) if len(props) and "opex_10y_vnd" in props else 0.0,
        "cost_10y_total_vnd": _r(props["cost_10y_vnd"].sum(), 0) if len(props) and "cost_10y_vnd" in props else 0.0,
        "power_source": getattr(power, "source", None),
        "power_modelled": bool(getattr(power, "modelled", True)),
        "fiber_nodes": int(n_nodes) if n_nodes is not None else None,
        "fiber_nodes_modelled": int(n_model) if n_model is not None else None,
        "selection_guarantee": {k: siting.check[k] for k in ("method", "guarantee", "reference")
                                if k in (siting.check or {})} or None,
        "est_cost_note": EST_COST_NOTE.format(area=area),
        "est_cost_note_vi": EST_COST_NOTE_VI.format(area=area),
        "modelled_stations_share": stations_modelled_share,
    }
    if operator_stats:
        out.update(operator_stats)
    return out


def run_analysis(
    stations=None,
    tech: str = "5G",
    resolution_m: float = 100.0,
    budget_sites: int | None = 20,
    budget_vnd: float | None = None,
    focus=None,
    dem=None,
    terrain: bool = True,
    config: AnalysisConfig | None = None,
    coverage_config=None,
    candidates=None,
    progress: Progress | None = None,
    inputs: Inputs | None = None,
    coverage=None,
    rsrp_window=None,
    user_fiber=None,
    executor=None,
    operators=None,
    power_lines=None,
    measurements=None,
    villages=None,
    objective: str = "people",
) -> AnalysisResult:
    """Run every stage. ``inputs``/``coverage`` may be given (cached by the caller).

    Parameters
    ----------
    stations : StationSet, GeoDataFrame, path or None
        None: the embedded *modelled* network (flagged in every output).
    tech : {'5G', '4G', 'any'}
    resolution_m : float
    budget_sites, budget_vnd : budget in sites and/or VND
    focus : 'mountain,coastal' etc., or None
    dem : geo.dem.Dem, path or None (embedded coarse relief)
    terrain : bool
        Line of sight and diffraction over the DEM (False: flat-earth baseline).
    user_fiber : GeoDataFrame or path, optional
        Known fiber nodes/routes added to the commune seats.
    executor : callable, optional
        Per-station coverage work elsewhere, e.g. on Dask
        (:func:`analysis.distributed.run_analysis_distributed`); None = this process.
    operators : str or list, optional
        Analyse these operators' stations only (``'VNPT'``, ``'Viettel,MobiFone'``; aliases
        in :data:`analysis.operators.OPERATOR_ALIASES`); the other operators' masts become
        co-location candidates. None: every station.
    power_lines : GeoDataFrame or path, optional
        Power lines: where the grid is, for each proposal's power option (with the villages
        whose ``power`` is ``grid``; neither: the modelled proxy).
    measurements : PointSet or GeoDataFrame, optional
        A drive test (:func:`geo.measurement_list.read_measurements`): compared with the
        coverage (:func:`measurements_stage`), written as the ``measurements`` layer.
    villages : None, False, GeoDataFrame, PointSet or path
        The village list judged by the ministry's criterion (:func:`villages_stage`); None = the
        embedded one; False = no village stage.
    objective : {'people', 'villages'}
        What site proposals maximise: people newly covered, or villages newly served (ties by
        people, :func:`analysis.siting.greedy_select_villages`).
    """
    from geo.coverage import CoverageConfig

    config = config or AnalysisConfig()
    progress = progress or _noop
    tech = normalize_tech(tech)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    lines = _read_lines(power_lines)
    if inputs is None:
        inputs = prepare_inputs(resolution_m, dem, user_fiber=user_fiber, progress=progress,
                                power_lines=lines)
    elif lines is not None:
        inputs.power = _power_access(inputs.grid, inputs.population, lines, None)
    timings["inputs"] = time.perf_counter() - t0
    all_gdf, modelled = _stations_frame(stations)
    gdf = select_operators(all_gdf, operators)
    shared_masts = other_operator_masts(all_gdf, gdf) if parse_operators(operators) else None
    t = time.perf_counter()
    cov_cfg = coverage_config or CoverageConfig(terrain=terrain)
    if coverage is None:
        coverage = coverage_stage(inputs, gdf, cov_cfg, progress, executor=executor)
    timings["coverage"] = time.perf_counter() - t
    t = time.perf_counter()
    progress("gaps", 0, 1)
    gaps_out = gaps_stage(inputs, coverage, tech, config)
    operator_stats = operator_stage(inputs, gdf, coverage, getattr(coverage, "config", cov_cfg),
                                    tech, gaps_out)
    progress("gaps", 1, 1)
    timings["gaps"] = time.perf_counter() - t
    t = time.perf_counter()
    if objective not in ("people", "villages"):
        msg = f"objective must be 'people' or 'villages', got {objective!r}."
        raise ValueError(msg)
    villages_out = None if villages is False else villages_stage(
        inputs, coverage, gaps_out, villages, config)
    _power_from_villages(inputs, lines, villages_out)
    timings["villages"] = time.perf_counter() - t
    t = time.perf_counter()
    siting = siting_stage(inputs, coverage, gaps_out, budget_sites, budget_vnd, focus,
                          candidates, config, progress, rsrp_window=rsrp_window,
                          shared_masts=shared_masts, objective=objective, villages=villages_out)
    timings["siting"] = time.perf_counter() - t
    seconds = time.perf_counter() - t0
    summary = summary_dict(inputs, gaps_out, siting, tech, modelled, len(gdf), seconds, coverage,
                           budget_sites, budget_vnd, focus, operators=operators,
                           operator_stats=operator_stats,
                           stations_modelled_share=modelled_share(gdf), config=config)
    if villages_out is not None:
        summary.update(villages_out.summary)
        props = siting.proposals
        summary["villages_newly_served"] = int(props["villages_new"].sum()) \
            if "villages_new" in props and len(props) else 0
    summary["objective"] = objective
    t = time.perf_counter()
    comparison, clusters = measurements_stage(inputs, coverage, measurements)
    if comparison is not None:
        timings["measurements"] = time.perf_counter() - t
        summary["measurements"] = measurements_summary(comparison, clusters)
    return AnalysisResult(inputs, coverage, gdf, modelled, tech, gaps_out, siting, summary, timings,
                          config, comparison.points if comparison is not None else None, clusters,
                          villages=villages_out)


# ------------------------------------------------------------------------------ outputs
STATION_LAYER_COLUMNS = (
    "station_id", "site_id", "operator", "technology", "band_mhz", "height_m", "eirp_dbm",
    "azimuth_deg", "tilt_deg", "source_row", "assumed", "modelled",
)


def _plain(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GeoPackage can hold: object → str, no lists."""
    out = gdf.copy()
    for c in out.columns:
        if c == out.geometry.name:
            continue
        if out[c].dtype == object or str(out[c].dtype).startswith("string"):
            out[c] = out[c].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                                else (json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict)
                                      else str(v))).astype(object)
    return out


def write_outputs(result: AnalysisResult, out_dir: str | Path,
                  progress: Progress | None = None, geotiffs: bool = True) -> dict[str, Path]:
    """Write results.gpkg, coverage GeoTIFFs, summary.json, CSVs, report.html, priorities.xlsx.

    Everything but ``summary.json``'s ``seconds`` is byte-identical for identical inputs
    (GeoPackage timestamps are fixed through GDAL's ``OGR_CURRENT_DATE``).
    """
    import pyogrio

    from analysis import report

    progress = progress or _noop
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    steps = 6
    progress("outputs", 0, steps)

    gpkg = out / "results.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": OGR_FIXED_DATE})
    try:
        communes = result.gaps.communes
        layers = {
            "communes": communes,
            "gaps": result.gaps.gaps.drop(columns=["x", "y"], errors="ignore"),
            "proposals": result.siting.proposals,
            "stations": result.stations[[c for c in STATION_LAYER_COLUMNS if c in result.stations]
                                        + [result.stations.geometry.name]],
        }
        if getattr(result, "villages", None) is not None:
            layers["villages"] = result.villages.table
        if getattr(result, "measurements", None) is not None:  # drive test (#17)
            layers["measurements"] = result.measurements
            if result.measurement_clusters is not None and len(result.measurement_clusters):
                layers["measurement_clusters"] = result.measurement_clusters
        for name, layer in layers.items():
            _plain(layer.to_crs("EPSG:4326")).to_file(gpkg, layer=name, driver="GPKG",
                                                      engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})
    paths["gpkg"] = gpkg
    progress("outputs", 1, steps)

    if geotiffs and hasattr(result.coverage, "to_geotiffs"):
        tif = out / "coverage"
        result.coverage.to_geotiffs(tif)
        from geo.grid import write_geotiff

        write_geotiff(tif / f"gaps_{result.tech.lower()}.tif",
                      result.gaps.result.labels + np.int32(1), result.inputs.grid, nodata=0,
                      band_description="gap_id (0 = no gap)")
        paths["geotiffs"] = tif
    progress("outputs", 2, steps)

    summary = dict(result.summary)
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    paths["summary"] = out / "summary.json"
    tables = report.tables(result)
    for name, df in tables.items():
        p = out / f"{name}.csv"
        df.to_csv(p, index=False, float_format="%.6g", lineterminator="\n")
        paths[name] = p
    progress("outputs", 3, steps)

    paths["report"] = report.write_report_html(result, out / "report.html")
    progress("outputs", 4, steps)
    paths["xlsx"] = report.write_priorities_xlsx(result, out / "priorities.xlsx")
    progress("outputs", 6, steps)
    return paths
