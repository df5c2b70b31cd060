"""Site proposals: where a new macro site would cover the most uncovered people for the money.

1. **Candidates** (:func:`generate_candidates`): high ground (local DEM maxima) inside and
   around each gap, each gap's centre cell, and any user-given points (e.g. other operators'
   masts for sharing).
2. **Coverage of each candidate** (:func:`build_pool`): the coverage engine's
   ``geo.coverage.station_covered_window`` for a standard rural macro site (:class:`SiteSpec`):
   the rule of ``Coverage.covered`` for the existing network (both links close at the chosen
   location reliability), intersected with the *targets* (populated cells not covered today,
   optionally only in the focus communes). Computed once per pool and cached by
   the caller; a budget change only re-runs the selection.
3. **Selection** (:func:`greedy_select`): lazy greedy maximum coverage (Minoux 1978). Coverage
   of people is monotone submodular, so greedy with ``K`` sites reaches at least
   :math:`(1 - 1/e)` of the optimum (Nemhauser, Wolsey & Fisher 1978). With a budget in VND the
   greedy step maximises new people per VND among affordable sites and the result is compared
   with the best single affordable site; that only guarantees :math:`\tfrac12(1 - 1/e)`
   (Khuller, Moss & Naor 1999). The partial-enumeration variant (every seed set of up to three
   sites completed greedily; Khuller et al. 1999, Sviridenko 2004) guarantees :math:`1 - 1/e`
   under a VND budget; it runs when the number of seed sets is at most
   ``max_seed_sets`` (:func:`selection_guarantee` says which bound holds).
4. **Exact check** (:func:`exact_mclp`): the maximal covering location problem (Church &
   ReVelle 1974) solved with PySAL ``spopt``'s ``MCLP`` on PuLP/CBC, for small instances; with a
   VND budget the budgeted MCLP (:func:`exact_budgeted`, PuLP/CBC directly).
5. **Cost** (:func:`backhaul_options`): capex + the cheapest feasible backhaul — fiber
   extension (distance × cost/km, up to a maximum length), one microwave hop when a fibered
   site is within line of sight and range, else satellite.
6. **Kind and power**: a candidate on another operator's mast is a ``co_location`` (its
   equipment on the shared mast, the host's backhaul and power, cheaper capex and a
   tower-sharing fee), every other one a ``new_site``; :func:`analysis.power.power_options`
   gives each its power option, power capex and 10-year operating cost.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.spatial import cKDTree

from analysis.config import CostConfig, SiteSpec, SitingConfig
from geo.constants import EARTH_RADIUS_M, K_FACTOR

__all__ = [
    "EARTH_RADIUS_M",
    "K_FACTOR",
    "FiberAccess",
    "CandidatePool",
    "Selection",
    "los_clear",
    "backhaul_options",
    "generate_candidates",
    "build_pool",
    "candidate_costs",
    "greedy_select",
    "VillageDemand",
    "greedy_select_villages",
    "villages_served_along",
    "exact_mclp",
    "exact_budgeted",
    "merged_demands",
    "selection_guarantee",
    "proposals_table",
]

M_PER_KM = 1000.0
FIBER_NODE_HEIGHT_M = 30.0  # mast at a fibered commune-centre site (a standard macro mast)

RsrpWindowFn = Callable[..., tuple[tuple[slice, slice], np.ndarray]]


@dataclass
class FiberAccess:
    """Where fiber is: distance raster and fibered nodes, on one grid.

    Attributes
    ----------
    distance_km : float array on the grid, or None
        Distance (km, along roads or straight × detour) from each cell to the nearest fiber.
    nodes_xy : (n, 2) array
        Fibered sites (commune centres, user nodes) in the grid CRS, for microwave hops.
    node_height_m : float
        Mast height assumed at a fibered node for the line-of-sight test.
    source : str
        Human label of where the fiber data came from.
    """

    distance_km: np.ndarray | None
    nodes_xy: np.ndarray
    node_height_m: float = FIBER_NODE_HEIGHT_M
    source: str = ""

    @classmethod
    def from_reach(cls, reach, grid) -> FiberAccess:
        """From a :class:`geo.fiber.FiberReach` on ``grid`` (its point nodes and route vertices)."""
        dist = np.asarray(reach.distance_to_fiber_m, dtype=np.float32) / np.float32(M_PER_KM)
        nodes = reach.nodes.to_crs(grid.crs)
        pts = nodes[nodes.geom_type == "Point"]
        xy = [np.column_stack([pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()])]
        for geom in nodes[nodes.geom_type != "Point"].geometry:
            xy.append(np.asarray(geom.coords)[:, :2])
        height = float(reach.metadata.get("mast_height_m", FIBER_NODE_HEIGHT_M))
        return cls(dist, np.vstack(xy) if xy else np.zeros((0, 2)), height,
                   f"geo.fiber ({len(pts)} nodes)")


# --------------------------------------------------------------------------- backhaul
def _sample(dem: np.ndarray, grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    rows, cols = grid.rowcol(x, y)
    rows = np.clip(rows, 0, grid.height - 1)
    cols = np.clip(cols, 0, grid.width - 1)
    z = dem[rows, cols].astype(np.float64)
    return np.nan_to_num(z, nan=0.0)


def los_clear(
    dem_on_grid: np.ndarray | None, grid, x0: float, y0: float, h0_m: float,
    x1: float, y1: float, h1_m: float, k_factor: float = K_FACTOR,
) -> bool:
    """Whether the straight ray between two masts clears the terrain.

    Notes
    -----
    Heights above the ground at each end; the terrain along the path is raised by the Earth
    bulge :math:`b(s) = s (d - s) / (2 k R)` (effective Earth radius, :math:`k = 4/3`,
    ITU-R P.453/P.530 standard atmosphere). The path is clear when every interior sample lies
    below the ray. No DEM → flat ground: clear unless the bulge alone blocks the ray.
    """
    d = float(np.hypot(x1 - x0, y1 - y0))
    if d <= grid.resolution_m:
        return True
    n = int(np.ceil(d / (grid.resolution_m * 0.5))) + 1
    t = np.linspace(0.0, 1.0, n)[1:-1]
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    if dem_on_grid is None:
        z = np.zeros(t.size)
        z0 = z1 = 0.0
    else:
        z = _sample(dem_on_grid, grid, xs, ys)
        z0, z1 = _sample(dem_on_grid, grid, np.array([x0, x1]), np.array([y0, y1]))
    s = t * d
    bulge = s * (d - s) / (2.0 * k_factor * EARTH_RADIUS_M)
    ray = (z0 + h0_m) + t * ((z1 + h1_m) - (z0 + h0_m))
    return bool(np.all(z + bulge < ray))


def backhaul_options(
    x: np.ndarray, y: np.ndarray, grid, dem_on_grid: np.ndarray | None,
    fiber: FiberAccess | None, costs: CostConfig | None = None, mast_height_m: float = 40.0,
    none_label: str = "satellite",
) -> pd.DataFrame:
    """Cheapest feasible backhaul for sites at ``x, y`` (grid CRS).

    Options: fiber extension (``dist_fiber_km × fiber_per_km_vnd`` when ``dist_fiber_km ≤
    fiber_max_km``); one microwave hop (``microwave_hop_vnd``) when a fibered node within
    ``microwave_max_km`` is in line of sight (:func:`los_clear`, masts at both ends); satellite
    (``satellite_vnd``) always. The cheapest wins (ties: fiber, microwave, satellite).

    Returns
    -------
    DataFrame with ``dist_fiber_km, backhaul, backhaul_km, backhaul_cost_vnd``; ``backhaul`` is
    ``fiber``/``microwave``/``none_label`` and ``backhaul_km`` the fiber length or hop length.
    """
    costs = costs or CostConfig()
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    n = x.size
    if fiber is not None and fiber.distance_km is not None:
        rows, cols = grid.rowcol(x, y)
        inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
        dist = np.full(n, np.inf)
        dist[inside] = fiber.distance_km[rows[inside], cols[inside]]
        dist = np.where(np.isfinite(dist), dist, np.inf)
    else:
        dist = np.full(n, np.inf)
    nodes = np.zeros((0, 2)) if fiber is None else np.asarray(fiber.nodes_xy, dtype=np.float64)
    if fiber is not None and fiber.distance_km is None and len(nodes):
        dist = cKDTree(nodes).query(np.column_stack([x, y]))[0] / M_PER_KM
    tree = cKDTree(nodes) if len(nodes) else None
    node_h = fiber.node_height_m if fiber is not None else FIBER_NODE_HEIGHT_M
    kind, length, cost = [], np.zeros(n), np.zeros(n)
    for i in range(n):
        options = []
        if dist[i] <= costs.fiber_max_km:
            options.append((dist[i] * costs.fiber_per_km_vnd, 0, "fiber", dist[i]))
        if tree is not None and costs.microwave_hop_vnd < min([o[0] for o in options] + [np.inf]):
            near = tree.query_ball_point([x[i], y[i]], costs.microwave_max_km * M_PER_KM)
            near = sorted(near, key=lambda j: (np.hypot(*(nodes[j] - (x[i], y[i]))), j))
            for j in near:
                if los_clear(dem_on_grid, grid, x[i], y[i], mast_height_m, nodes[j][0], nodes[j][1], node_h):
                    hop = float(np.hypot(*(nodes[j] - (x[i], y[i])))) / M_PER_KM
                    options.append((costs.microwave_hop_vnd, 1, "microwave", hop))
                    break
        options.append((costs.satellite_vnd, 2, none_label, 0.0))
        best = min(options, key=lambda o: (o[0], o[1]))
        cost[i], kind_i, length[i] = best[0], best[2], best[3]
        kind.append(kind_i)
    return pd.DataFrame(
        {
            "dist_fiber_km": np.where(np.isfinite(dist), dist, np.nan),
            "backhaul": pd.array(kind, dtype=object),
            "backhaul_km": length,
            "backhaul_cost_vnd": cost,
        }
    )


# ------------------------------------------------------------------------- candidates
def _ranked_cells(mask: np.ndarray, group: np.ndarray, value: np.ndarray | None) -> dict[int, list[int]]:
    """Flat indices of ``mask`` cells per ``group`` label, highest ``value`` first (ties: index)."""
    flat = np.flatnonzero(mask)
    g = group.ravel()[flat]
    keep = g >= 0
    flat, g = flat[keep], g[keep]
    v = value.ravel()[flat] if value is not None else np.zeros(flat.size)
    order = np.lexsort((flat, -np.nan_to_num(v, nan=-np.inf), g))
    out: dict[int, list[int]] = {}
    for k in order:
        out.setdefault(int(g[k]), []).append(int(flat[k]))
    return out


def _co_location_rows(grid, masts, dist_cells, config: SitingConfig) -> list[tuple]:
    """(row, col, 'co_location', gap_id, name, mast_id, operator, height) for the masts of
    ``masts`` within ``co_location_search_km`` of a gap cell, nearest first, capped."""
    if masts is None or len(masts) == 0 or dist_cells is None:
        return []
    if isinstance(masts, gpd.GeoDataFrame) and masts.geometry is not None:
        pts = masts.to_crs("EPSG:4326").geometry
        lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    else:
        lon, lat = masts["lon"].to_numpy(dtype=float), masts["lat"].to_numpy(dtype=float)
    mx, my = grid.from_lonlat(lon, lat)
    r, c = grid.rowcol(np.asarray(mx), np.asarray(my))
    ok = (r >= 0) & (r < grid.height) & (c >= 0) & (c < grid.width)
    ids = (masts["mast_id"].astype(str).to_numpy() if "mast_id" in masts
           else np.array([f"mast {i + 1}" for i in range(len(lon))]))
    ops = masts["operator"].astype(str).to_numpy() if "operator" in masts else np.full(len(lon), "")
    hs = (pd.to_numeric(masts["height_m"], errors="coerce").to_numpy(dtype=float) if "height_m" in masts
          else np.full(len(lon), np.nan))
    d_km = np.full(len(lon), np.inf)
    d_km[ok] = dist_cells[r[ok], c[ok]] * grid.resolution_m / M_PER_KM
    keep = np.flatnonzero(ok & (d_km <= config.co_location_search_km))
    keep = keep[np.lexsort((keep, d_km[keep]))][: config.max_co_locations]
    rows = []
    for k in keep:
        rows.append((int(r[k]), int(c[k]), "co_location", 0, f"{ops[k]} {ids[k]}".strip(),
                     str(ids[k]), str(ops[k]), float(hs[k])))
    return rows


def generate_candidates(
    grid,
    labels: np.ndarray,
    gaps: pd.DataFrame,
    commune_id: np.ndarray,
    dem_on_grid: np.ndarray | None = None,
    config: SitingConfig | None = None,
    user_points: pd.DataFrame | gpd.GeoDataFrame | None = None,
    allowed: np.ndarray | None = None,
    population: np.ndarray | None = None,
    shared_masts: pd.DataFrame | gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Candidate site cells: local DEM maxima in/around gaps, gap centres, villages, user points.

    Parameters
    ----------
    grid : geo.grid.Grid
    labels : int array
        Gap label raster (0..n-1 = row of ``gaps``; -1 none) from :func:`analysis.gaps.find_gaps`.
    gaps : DataFrame
        The gap table (``gap_id``, ``people_uncovered``, ``x``, ``y``), row ``i`` = label ``i``.
    commune_id : int array
        Candidates must stand inside a commune (on land, in the province).
    dem_on_grid : float array, optional
    config : SitingConfig
    user_points : DataFrame, optional
        ``lon, lat`` columns (or a point GeoDataFrame), optional ``name``.
    allowed : bool array, optional
        Extra restriction of where a candidate may stand (e.g. focus communes).
    population : float array, optional
        People per cell: adds "village" candidates, the peaks of the gap's people summed over
        a ``maxima_window_km`` window.
    shared_masts : DataFrame, optional
        Other operators' masts a co-location could use: ``lon, lat`` (or points), optional
        ``mast_id``, ``operator``, ``height_m``. Those within ``co_location_search_km`` of a
        gap become ``co_location`` candidates (nearest first, at most ``max_co_locations``).

    Notes
    -----
    Per gap: its centre, then up to ``k`` DEM maxima (highest first) and ``k`` village peaks
    (most people first), each kind at least ``maxima_window_km`` apart, with ``k = clip(area /
    site_area_km2, max_candidates_per_gap, max_candidates_per_gap_large)`` so that a large gap
    gets enough candidates to be covered by several sites.

    Returns
    -------
    DataFrame ``cand_id, row, col, x, y, source (maximum|centre|village|user|co_location), gap_id,
    name, host_mast_id, host_operator, mast_height_m``, largest gaps first, deduplicated by cell,
    at most ``config.max_candidates`` generated rows (user points and co-locations are kept).
    """
    config = config or SitingConfig()
    ok = np.asarray(commune_id) >= 0
    if allowed is not None:
        ok &= allowed
    res = grid.resolution_m
    rows_out: list[tuple] = []
    n = len(gaps)
    spacing = config.maxima_window_km * M_PER_KM
    w = max(3, int(round(spacing / res)) | 1)
    dist = None
    if n:
        gap_cells = labels >= 0
        dist, (ir, ic) = ndimage.distance_transform_edt(~gap_cells, return_indices=True)
        zone = dist * res <= config.search_km * M_PER_KM
        nearest_gap = labels[ir, ic]
        maxima = np.zeros(labels.shape, dtype=bool)
        if dem_on_grid is not None:
            finite = np.isfinite(dem_on_grid)
            z = np.where(finite, dem_on_grid, -1e9).astype(np.float64)
            zmax = ndimage.maximum_filter(z, size=w, mode="nearest")
            zmin = ndimage.minimum_filter(np.where(finite, z, 1e9), size=w, mode="nearest")
            # a flat plateau is not high ground: require some relief in the window
            maxima = (z == zmax) & finite & zone & ok & ((zmax - zmin) > 1.0)
        by_gap = _ranked_cells(maxima, nearest_gap, dem_on_grid)
        villages: dict[int, list[int]] = {}
        if population is not None:
            pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
            smooth = ndimage.uniform_filter(np.where(gap_cells, pop, 0.0), size=w, mode="constant")
            peaks = gap_cells & ok & (smooth >= ndimage.maximum_filter(smooth, size=w) - 1e-12)
            villages = _ranked_cells(peaks, labels, smooth)
        gap_order = np.lexsort((gaps["gap_id"].to_numpy(), -gaps["people_uncovered"].to_numpy()))
        areas = gaps["area_km2"].to_numpy() if "area_km2" in gaps else np.zeros(n)
        for gi in gap_order:
            gid = int(gaps["gap_id"].iloc[gi])
            k = int(min(config.max_candidates_per_gap_large,
                        max(config.max_candidates_per_gap,
                            math.ceil(areas[gi] / max(config.site_area_km2, 1e-9)))))
            r, c = grid.rowcol(np.array([gaps["x"].iloc[gi]]), np.array([gaps["y"].iloc[gi]]))
            if ok[r[0], c[0]]:
                rows_out.append((int(r[0]), int(c[0]), "centre", gid, ""))
            for source, cells in (("maximum", by_gap.get(int(gi), [])),
                                  ("village", villages.get(int(gi), []))):
                kept: list[tuple[float, float]] = []
                added = 0
                for f in cells:
                    if added >= k:
                        break
                    rr, cc = divmod(f, grid.width)
                    xx, yy = grid.xmin + res * (cc + 0.5), grid.ymax - res * (rr + 0.5)
                    if all(np.hypot(xx - a, yy - b) >= spacing for a, b in kept):
                        kept.append((xx, yy))
                        rows_out.append((rr, cc, source, gid, ""))
                        added += 1
    seen: set[tuple[int, int]] = set()
    out: list[tuple] = []
    user_rows: list[tuple] = []
    if user_points is not None and len(user_points):
        if isinstance(user_points, gpd.GeoDataFrame) and user_points.geometry is not None:
            pts = user_points.to_crs("EPSG:4326")
            lon, lat = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        else:
            lon = user_points["lon"].to_numpy(dtype=float)
            lat = user_points["lat"].to_numpy(dtype=float)
        names = (user_points["name"].astype(str).to_numpy() if "name" in user_points
                 else np.array([f"user {i + 1}" for i in range(len(lon))]))
        ux, uy = grid.from_lonlat(lon, lat)
        ur, uc = grid.rowcol(np.asarray(ux), np.asarray(uy))
        for r, c, nm in zip(ur, uc, names, strict=True):
            if 0 <= r < grid.height and 0 <= c < grid.width:
                user_rows.append((int(r), int(c), "user", 0, str(nm)))
    co_rows = _co_location_rows(grid, shared_masts, dist, config)
    fixed = co_rows + [(*u, "", "", np.nan) for u in user_rows]
    for r, c, src, gid, nm, *host in fixed + [(*g, "", "", np.nan) for g in rows_out]:
        if (r, c) in seen:
            continue
        if src not in ("user", "co_location") and len(out) - len(fixed) >= config.max_candidates:
            break
        seen.add((r, c))
        out.append((r, c, src, gid, nm, *host))
    df = pd.DataFrame(out, columns=["row", "col", "source", "gap_id", "name", "host_mast_id",
                                    "host_operator", "mast_height_m"])
    df["mast_height_m"] = df["mast_height_m"].astype(np.float64)
    for col in ("host_mast_id", "host_operator"):
        df[col] = df[col].astype(object)
    df["row"] = df["row"].astype(np.int64)
    df["col"] = df["col"].astype(np.int64)
    df["gap_id"] = df["gap_id"].astype(np.int64)
    df["x"] = grid.xmin + res * (df["col"].to_numpy() + 0.5)
    df["y"] = grid.ymax - res * (df["row"].to_numpy() + 0.5)
    df.insert(0, "cand_id", np.arange(len(df), dtype=np.int64))
    df["source"] = df["source"].astype(object)
    df["name"] = df["name"].astype(object)
    return df


# ------------------------------------------------------------------------------- pool
@dataclass
class CandidatePool:
    """Candidates with the targets each one covers: the input of every selection.

    Attributes
    ----------
    candidates : DataFrame
        :func:`generate_candidates` columns + ``lon, lat, commune, commune_code, terrain,
        elev_m, capex_vnd, dist_fiber_km, backhaul, backhaul_km, backhaul_cost_vnd, cost_vnd,
        people_reach`` (people it would cover alone).
    cover : list of int32 arrays
        Sorted target indices each candidate covers.
    target_people : float64 array
        People in each target cell.
    target_flat : int64 array
        Flat grid index of each target cell.
    people_total, people_covered_before : float
        Over the whole analysed area (for ``share_covered_after``).
    tech : str
    key : str
        Hash of what the pool was built from.
    """

    candidates: pd.DataFrame
    cover: list[np.ndarray]
    target_people: np.ndarray
    target_flat: np.ndarray
    people_total: float
    people_covered_before: float
    tech: str
    key: str = ""
    meta: dict = field(default_factory=dict)


def _commune_lookup(communes: pd.DataFrame, cid: np.ndarray, column: str, default: str) -> list[str]:
    vals = communes[column].astype(str).to_numpy() if column in communes else None
    return [default if (vals is None or c < 0) else str(vals[c]) for c in cid]


def build_pool(
    grid,
    candidates: pd.DataFrame,
    population: np.ndarray,
    covered: np.ndarray,
    commune_id: np.ndarray,
    communes: pd.DataFrame,
    tech: str,
    coverage_config=None,
    dem_on_grid: np.ndarray | None = None,
    fiber: FiberAccess | None = None,
    config: SitingConfig | None = None,
    costs: CostConfig | None = None,
    target_mask: np.ndarray | None = None,
    rsrp_window: RsrpWindowFn | None = None,
    progress: Callable[[int, int], None] | None = None,
    power_access=None,
    power_config=None,
    best_rsrp_dbm: np.ndarray | None = None,
    model_communes: gpd.GeoDataFrame | None = None,
    min_mbps: float | None = None,
) -> CandidatePool:
    """Compute what each candidate would cover, and what it would cost.

    Targets are populated cells inside a commune that are not covered now (``covered``),
    restricted to ``target_mask`` when given (e.g. focus communes). A candidate covers a target
    when :func:`geo.coverage.station_covered_window` says the candidate alone covers it: the
    rule of ``Coverage.covered`` (downlink *and* uplink close, at ``coverage_config.reliability``),
    so a candidate whose downlink closes but whose uplink does not covers nothing there.
    ``best_rsrp_dbm``: the existing network's best RSRP (dBm) of the candidates' technology;
    ``Coverage.covered`` judges a cell by its best server only, so a candidate covers a target
    only where it would be that server (stronger than today's best). Without it each
    candidate is judged alone (they agree at reliability 0.5 with one uplink budget; at a
    higher reliability a weaker, nearer site may close where today's best server does not).
    ``model_communes`` (the communes with ``kind`` and geometry): each candidate gets the
    path-loss model the engine would give a station there (UMa in wards, RMa elsewhere:
    ``geo.coverage``'s rule); without it, the configured rural model. ``min_mbps``: gaps
    asked on service (``--gap-metric throughput``): a candidate also needs its own modelled
    throughput ≥ ``min_mbps`` at the cell (no interference between proposals is modelled).
    ``rsrp_window`` (default ``geo.coverage.station_rsrp_window``) only replaces the RSRP source
    (tests use a disk); the covered rule applied to it is the engine's.

    Costs (:func:`candidate_costs`): ``site_capex_vnd`` by kind, backhaul (a co-location uses
    the host's: ``shared``, no capex), power (:func:`analysis.power.power_options` with
    ``power_access``); ``capex_vnd`` = site + backhaul + power capex = ``cost_vnd`` (what a
    VND budget spends); ``opex_10y_vnd`` = power opex + rent over 10 years;
    ``cost_10y_vnd`` = capex + opex.
    """
    config = config or SitingConfig()
    costs = costs or CostConfig()
    site: SiteSpec = config.site
    from geo.coverage import station_covered_window

    pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
    cid_r = np.asarray(commune_id)
    inside = cid_r >= 0
    tmask = inside & (pop > 0) & ~np.asarray(covered, dtype=bool)
    if target_mask is not None:
        tmask &= target_mask
    target_flat = np.flatnonzero(tmask)
    target_people = pop.ravel()[target_flat]
    tid = np.full(grid.shape, -1, dtype=np.int64)
    tid.ravel()[target_flat] = np.arange(target_flat.size)
    cands = candidates.copy()
    lon, lat = grid.to_lonlat(cands["x"].to_numpy(), cands["y"].to_numpy())
    cands["lon"] = np.asarray(lon, dtype=np.float64)
    cands["lat"] = np.asarray(lat, dtype=np.float64)
    ccid = cid_r[cands["row"].to_numpy(), cands["col"].to_numpy()] if len(cands) else np.zeros(0, int)
    cands["commune"] = pd.array(_commune_lookup(communes, ccid, "name", ""), dtype=object)
    cands["commune_code"] = pd.array(_commune_lookup(communes, ccid, "code", ""), dtype=object)
    cands["terrain"] = pd.array(_commune_lookup(communes, ccid, "terrain", "plain"), dtype=object)
    cands["elev_m"] = (
        dem_on_grid[cands["row"].to_numpy(), cands["col"].to_numpy()].astype(np.float64)
        if dem_on_grid is not None and len(cands) else np.full(len(cands), np.nan)
    )
    cands = candidate_costs(cands, grid, tech, dem_on_grid, fiber, costs, site.height_m,
                            power_access, power_config)

    cover: list[np.ndarray] = []
    total = len(cands)
    mast_h = (cands["mast_height_m"].to_numpy(dtype=np.float64) if "mast_height_m" in cands
              else np.full(total, np.nan))
    models = _candidate_models(cands, coverage_config, model_communes)
    for i in range(total):
        row = cands.iloc[i]
        station = site.station_for(tech, row["lon"], row["lat"], f"C{int(row['cand_id'])}")
        station.update({"x": float(row["x"]), "y": float(row["y"])})
        if np.isfinite(mast_h[i]):  # a co-location hangs at the host mast's height
            station["height_m"] = float(mast_h[i])
        if models is not None:
            station["model"] = models[i]
        (rs, cs), hit = station_covered_window(station, grid, dem_on_grid, coverage_config,
                                               rsrp_window=rsrp_window, best_rsrp_dbm=best_rsrp_dbm,
                                               min_mbps=min_mbps)
        ids = tid[rs, cs][np.asarray(hit, dtype=bool)]
        cover.append(np.unique(ids[ids >= 0]).astype(np.int32))
        if progress is not None:
            progress(i + 1, total)
    cands["people_reach"] = np.array([target_people[c].sum() for c in cover], dtype=np.float64)
    key_src = "|".join([
        grid.key(), tech, repr(site), repr(costs), repr(coverage_config),
        "alone" if best_rsrp_dbm is None
        else hashlib.sha256(np.ascontiguousarray(best_rsrp_dbm).tobytes()).hexdigest(),
        "rural" if models is None else ",".join(models), f"min_mbps={min_mbps}",
        hashlib.sha256(cands[["row", "col", "source"]].to_csv(index=False).encode()).hexdigest(),
        hashlib.sha256(target_flat.tobytes()).hexdigest(),
    ])
    return CandidatePool(
        candidates=cands, cover=cover, target_people=target_people, target_flat=target_flat,
        people_total=float(pop[inside].sum()),
        people_covered_before=float(pop[inside & np.asarray(covered, dtype=bool)].sum()),
        tech=tech, key=hashlib.sha256(key_src.encode()).hexdigest()[:16],
    )


def _candidate_models(cands: pd.DataFrame, coverage_config, communes) -> list[str] | None:
    """The path-loss model the coverage engine gives a station at each candidate (None: no
    communes given, the engine's default applies)."""
    if communes is None or len(cands) == 0:
        return None
    from geo.coverage import CoverageConfig
    from geo.coverage.params import station_models  # the run's RMa/UMa choice

    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cands["lon"], cands["lat"]), crs="EPSG:4326")
    return [str(m) for m in station_models(pts, coverage_config or CoverageConfig(), communes)]


def candidate_costs(cands: pd.DataFrame, grid, tech: str, dem_on_grid, fiber, costs: CostConfig,
                    mast_height_m: float, power_access=None, power_config=None) -> pd.DataFrame:
    """Add ``kind, site_capex_vnd``, backhaul, power, ``capex_vnd, cost_vnd, opex_10y_vnd,
    cost_10y_vnd`` to candidates with ``x, y`` (grid CRS) and ``source``."""
    from analysis.power import power_options

    out = cands.copy()
    src = out["source"].astype(str).to_numpy() if "source" in out else np.full(len(out), "")
    kind = np.where(src == "co_location", "co_location", "new_site").astype(object)
    out["kind"] = pd.array(kind, dtype=object)
    out["site_capex_vnd"] = np.array([costs.site_capex_for(k, tech) for k in kind], dtype=np.float64)
    bh = backhaul_options(out["x"].to_numpy(), out["y"].to_numpy(), grid, dem_on_grid, fiber,
                          costs, mast_height_m)
    shared = kind == "co_location"
    bh.loc[shared, "backhaul"] = "shared"
    bh.loc[shared, ["backhaul_km", "backhaul_cost_vnd"]] = 0.0
    for col in bh.columns:
        out[col] = bh[col].to_numpy() if col != "backhaul" else bh[col].astype(object).to_numpy()
    pw = power_options(kind, out["x"].to_numpy(), out["y"].to_numpy(), grid, power_access, tech,
                       power_config)
    for col in pw.columns:
        out[col] = pw[col].to_numpy() if col != "power" else pw[col].astype(object).to_numpy()
    out["power_source"] = getattr(power_access, "source", "none")
    horizon = float(getattr(power_config, "horizon_years", 10.0) or 10.0)
    rent = np.array([costs.rent_vnd_per_year(k) for k in kind], dtype=np.float64) * horizon
    out["capex_vnd"] = out["site_capex_vnd"] + out["backhaul_cost_vnd"] + out["power_capex_vnd"]
    out["cost_vnd"] = out["capex_vnd"]
    out["opex_10y_vnd"] = out["power_opex_10y_vnd"] + rent
    out["cost_10y_vnd"] = out["capex_vnd"] + out["opex_10y_vnd"]
    return out


# -------------------------------------------------------------------------- selection
@dataclass
class Selection:
    """Chosen candidates in order, with what each added."""

    order: list[int]
    gains: list[float]
    costs_vnd: list[float]
    villages_new: list[int] = field(default_factory=list)  # with a VillageDemand only

    @property
    def people_new(self) -> float:
        return float(sum(self.gains))


def _gain(pool: CandidatePool, i: int, done: np.ndarray) -> float:
    c = pool.cover[i]
    return float(pool.target_people[c[~done[c]]].sum()) if c.size else 0.0


def greedy_select(
    pool: CandidatePool, budget_sites: int | None = None, budget_vnd: float | None = None,
    max_seed_sets: int = 0,
) -> Selection:
    """Lazy greedy maximum coverage under a budget in sites and/or VND.

    Notes
    -----
    Lazy evaluation (Minoux 1978): a candidate's last computed gain is an upper bound of its
    gain now (submodularity), so only the top of a max-heap needs re-evaluating. Without a VND
    budget the key is the gain (people); with one it is people per VND among candidates still
    affordable, and the final answer is the better of that and the best single affordable
    candidate (Khuller et al. 1999): at least :math:`\tfrac12(1 - 1/e)` of the optimum. Ties
    go to the cheaper candidate, then the lower index (so a co-location serving the same people
    as a new site wins). Stops when the budget is spent or no candidate adds anyone.

    With a VND budget and ``max_seed_sets`` ≥ the number of seed sets of up to three
    affordable candidates, the **partial enumeration** runs instead: every such seed set is
    completed greedily and the best kept, which reaches :math:`1 - 1/e` of the optimum
    (Khuller, Moss & Naor 1999; Sviridenko 2004). :func:`selection_guarantee` says which.
    """
    n = len(pool.cover)
    if budget_sites is None and budget_vnd is None:
        msg = "Give a budget in sites (budget_sites) or in VND (budget_vnd)."
        raise ValueError(msg)
    if budget_vnd is not None and _n_seed_sets(pool, budget_sites, budget_vnd) <= max_seed_sets:
        return _partial_enumeration(pool, budget_sites, float(budget_vnd))
    sel = _greedy_from(pool, [], budget_sites, budget_vnd)
    if budget_vnd is not None and n and (budget_sites is None or budget_sites >= 1):
        cost = pool.candidates["cost_vnd"].to_numpy(dtype=np.float64)
        reach = pool.candidates["people_reach"].to_numpy(dtype=np.float64)
        afford = np.flatnonzero(cost <= float(budget_vnd))
        if afford.size:
            best = int(afford[np.lexsort((afford, cost[afford], -reach[afford]))[0]])
            if reach[best] > sel.people_new:
                sel = Selection([best], [float(reach[best])], [float(cost[best])])
    return sel


def _greedy_from(pool: CandidatePool, seed: list[int], budget_sites, budget_vnd) -> Selection:
    """Lazy greedy completion of the (affordable) ``seed`` set."""
    n = len(pool.cover)
    max_sites = n if budget_sites is None else max(0, int(budget_sites))
    cost = pool.candidates["cost_vnd"].to_numpy(dtype=np.float64) if n else np.zeros(0)
    by_money = budget_vnd is not None
    left = float(budget_vnd) if by_money else np.inf
    done = np.zeros(pool.target_people.size, dtype=bool)
    sel = Selection([], [], [])
    for i in seed:
        g = _gain(pool, i, done)
        sel.order.append(i)
        sel.gains.append(g)
        sel.costs_vnd.append(float(cost[i]))
        done[pool.cover[i]] = True
        left -= cost[i]

    def key(g: float, i: int) -> float:
        return g / cost[i] if by_money else g

    taken = set(seed)
    heap = [(-key(_gain(pool, i, done), i), cost[i], i) for i in range(n)
            if i not in taken and cost[i] <= left]  # never affordable again: left out
    heapq.heapify(heap)
    while heap and len(sel.order) < max_sites:
        _, ci, i = heapq.heappop(heap)
        if cost[i] > left:
            continue
        g = _gain(pool, i, done)
        k = key(g, i)
        if heap and (-k, ci, i) > heap[0]:  # no longer the best: re-queue with its true gain
            heapq.heappush(heap, (-k, ci, i))
            continue
        if g <= 0:
            break
        sel.order.append(i)
        sel.gains.append(g)
        sel.costs_vnd.append(float(cost[i]))
        done[pool.cover[i]] = True
        left -= cost[i]
    return sel


def _seed_sets(pool: CandidatePool, budget_sites, budget_vnd: float):
    cost = pool.candidates["cost_vnd"].to_numpy(dtype=np.float64)
    afford = [i for i in range(len(pool.cover)) if cost[i] <= budget_vnd]
    kmax = 3 if budget_sites is None else min(3, int(budget_sites))
    for k in range(1, kmax + 1):
        for s in itertools.combinations(afford, k):
            if sum(cost[i] for i in s) <= budget_vnd:
                yield list(s)


def _n_seed_sets(pool: CandidatePool, budget_sites, budget_vnd: float) -> int:
    """Upper bound of the seed sets of up to three affordable candidates."""
    cost = pool.candidates["cost_vnd"].to_numpy(dtype=np.float64) if len(pool.cover) else np.zeros(0)
    m = int((cost <= float(budget_vnd)).sum())
    kmax = 3 if budget_sites is None else min(3, max(0, int(budget_sites)))
    return sum(math.comb(m, k) for k in range(1, kmax + 1))


def _partial_enumeration(pool: CandidatePool, budget_sites, budget_vnd: float) -> Selection:
    best = Selection([], [], [])
    for seed in _seed_sets(pool, budget_sites, budget_vnd):
        sel = _greedy_from(pool, seed, budget_sites, budget_vnd)
        if sel.people_new > best.people_new + 1e-9 or (
                abs(sel.people_new - best.people_new) <= 1e-9 and sum(sel.costs_vnd) < sum(best.costs_vnd)):
            best = sel
    return best


def selection_guarantee(pool: CandidatePool, budget_sites=None, budget_vnd=None,
                        max_seed_sets: int = 0) -> dict:
    """The worst-case share of the optimum :func:`greedy_select` guarantees for this budget.

    Returns
    -------
    dict ``method`` (``greedy`` | ``greedy + best single site`` | ``partial enumeration``),
    ``guarantee`` (1 − 1/e ≈ 0.632 or ½(1 − 1/e) ≈ 0.316) and ``reference``.
    """
    full = 1.0 - 1.0 / math.e
    if budget_vnd is None:
        return {"method": "greedy", "guarantee": round(full, 4),
                "reference": "Nemhauser, Wolsey & Fisher 1978"}
    if _n_seed_sets(pool, budget_sites, budget_vnd) <= max_seed_sets:
        return {"method": "partial enumeration (seeds of up to 3 sites)", "guarantee": round(full, 4),
                "reference": "Khuller, Moss & Naor 1999; Sviridenko 2004"}
    return {"method": "greedy + best single site", "guarantee": round(full / 2.0, 4),
            "reference": "Khuller, Moss & Naor 1999"}


def merged_demands(pool: CandidatePool) -> tuple[list[np.ndarray], np.ndarray]:
    """Targets covered by exactly the same candidates merged into one demand.

    Returns
    -------
    (candidates covering each demand, people of each demand). Merging leaves every
    covering optimum unchanged; its size is what the exact ILP must handle.
    """
    n = len(pool.cover)
    ti = np.concatenate([c for c in pool.cover] + [np.zeros(0, np.int32)]).astype(np.int64)
    ci = np.concatenate([np.full(c.size, j) for j, c in enumerate(pool.cover)] + [np.zeros(0, int)])
    if ti.size == 0:
        return [], np.zeros(0)
    from scipy import sparse

    a = sparse.csr_matrix((np.ones(ti.size, dtype=np.int8), (ti, ci)),
                          shape=(pool.target_people.size, n))
    touched = np.flatnonzero(np.diff(a.indptr) > 0)
    sig: dict[bytes, int] = {}
    demand_of = np.empty(touched.size, dtype=np.int64)
    rows_sig: list[np.ndarray] = []
    for k, t in enumerate(touched):
        cols = np.sort(a.indices[a.indptr[t]:a.indptr[t + 1]])
        b = cols.tobytes()
        if b not in sig:
            sig[b] = len(sig)
            rows_sig.append(cols)
        demand_of[k] = sig[b]
    weights = np.bincount(demand_of, weights=pool.target_people[touched], minlength=len(sig))
    return rows_sig, weights


def exact_budgeted(
    pool: CandidatePool, budget_vnd: float, budget_sites: int | None = None,
    time_limit_s: float = 60.0,
) -> tuple[float, list[int]]:
    """Optimal people covered within a VND budget (and a site budget if given).

    The budgeted maximal covering ILP on PuLP/CBC over :func:`merged_demands`:

    maximise Σ_d w_d·y_d subject to y_d ≤ Σ_{j covers d} x_j, Σ_j c_j·x_j ≤ B, Σ_j x_j ≤ K,
    x binary, 0 ≤ y ≤ 1 (w people of demand d, c VND of candidate j).

    Returns
    -------
    (people covered, chosen candidate indices sorted)
    """
    import warnings

    import pulp

    n = len(pool.cover)
    rows, weights = merged_demands(pool)
    if n == 0 or not rows:
        return 0.0, []
    cost = pool.candidates["cost_vnd"].to_numpy(dtype=np.float64)
    with warnings.catch_warnings():  # PuLP 3.x notices about its 4.0 API
        warnings.simplefilter("ignore", DeprecationWarning)
        prob = pulp.LpProblem("budgeted_mclp", pulp.LpMaximize)
        x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(n)]
        y = [pulp.LpVariable(f"y{d}", lowBound=0, upBound=1) for d in range(len(rows))]
        prob += pulp.lpSum(float(w) * y[d] for d, w in enumerate(weights))
        for d, cols in enumerate(rows):
            prob += y[d] <= pulp.lpSum(x[int(j)] for j in cols)
        scale = max(float(budget_vnd), 1.0)  # costs in units of the budget: better conditioned
        prob += pulp.lpSum(float(cost[j]) / scale * x[j] for j in range(n)) <= float(budget_vnd) / scale
        if budget_sites is not None:
            prob += pulp.lpSum(x) <= int(budget_sites)
        prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
    chosen = sorted(j for j in range(n) if (x[j].value() or 0) > 0.5)
    done = np.zeros(pool.target_people.size, dtype=bool)
    for j in chosen:
        done[pool.cover[j]] = True
    return float(pool.target_people[done].sum()), chosen


def exact_mclp(
    pool: CandidatePool, p_sites: int, time_limit_s: float = 60.0,
) -> tuple[float, list[int]]:
    """Optimal people covered by ``p_sites`` candidates (PySAL spopt MCLP on PuLP/CBC).

    Targets covered by exactly the same candidates are merged into one demand (their people
    summed), which leaves the optimum unchanged and keeps the ILP small. Coverage enters spopt
    as a 0/1 "cost" matrix with service radius 0.5.

    Returns
    -------
    (people covered, chosen candidate indices sorted)
    """
    import warnings

    import pulp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from spopt.locate import MCLP

    n = len(pool.cover)
    if n == 0 or p_sites <= 0:
        return 0.0, []
    p_sites = min(p_sites, n)
    rows_sig, weights = merged_demands(pool)
    if not rows_sig:
        return 0.0, []
    cost = np.ones((len(rows_sig), n), dtype=np.float64)
    for d, cols in enumerate(rows_sig):
        cost[d, cols] = 0.0
    with warnings.catch_warnings():  # PuLP 3.x deprecation notices about its 4.0 API
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, weights, service_radius=0.5, p_facilities=p_sites)
        model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s), results=False)
    chosen = sorted(j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5)
    done = np.zeros(pool.target_people.size, dtype=bool)
    for j in chosen:
        done[pool.cover[j]] = True
    return float(pool.target_people[done].sum()), chosen


# ------------------------------------------------------------- villages objective
@dataclass
class VillageDemand:
    """What serving each village needs, in a pool's targets (see :mod:`analysis.villages`).

    A village is *served* when its centre is covered and at least ``share`` of its people are
    (the "covered" status of the ministry's criterion).

    Attributes
    ----------
    target_village : int array
        Village of each pool target (-1: scattered people).
    centre_target, centre_village : int arrays
        Pairs (pool target, village) for the target cells that judge a village's centre.
    people, people_covered : float arrays
        People per village and those covered before any proposal.
    centre_covered : bool array
        Centre covered before any proposal.
    share : float
    """

    target_village: np.ndarray
    centre_target: np.ndarray
    centre_village: np.ndarray
    people: np.ndarray
    people_covered: np.ndarray
    centre_covered: np.ndarray
    share: float = 0.9

    def served(self, people_covered: np.ndarray, centre: np.ndarray) -> np.ndarray:
        return centre & ((self.people <= 0) | (people_covered >= self.share * self.people - 1e-9))


class _VillageState:
    """Served villages as candidates are added (one per :func:`greedy_select_villages` run)."""

    def __init__(self, pool: CandidatePool, demand: VillageDemand):
        self.pool, self.d = pool, demand
        self.done = np.zeros(pool.target_people.size, dtype=bool)
        self.ppl = demand.people_covered.astype(np.float64).copy()
        self.centre = demand.centre_covered.astype(bool).copy()
        self.served = demand.served(self.ppl, self.centre)
        order = np.argsort(demand.centre_target, kind="stable")
        self._ct, self._cv = demand.centre_target[order], demand.centre_village[order]

    def _centres_of(self, cells: np.ndarray) -> np.ndarray:
        lo = np.searchsorted(self._ct, cells, side="left")
        hi = np.searchsorted(self._ct, cells, side="right")
        hit = [self._cv[a:b] for a, b in zip(lo, hi, strict=True) if b > a]
        return np.unique(np.concatenate(hit)) if hit else np.zeros(0, dtype=np.int64)

    def gain(self, i: int) -> tuple[int, float, np.ndarray, np.ndarray, np.ndarray]:
        c = self.pool.cover[i]
        new = c[~self.done[c]] if c.size else c
        tv = self.d.target_village[new]
        ok = tv >= 0
        add = np.bincount(tv[ok], weights=self.pool.target_people[new][ok], minlength=self.ppl.size)
        cen = self._centres_of(new)
        touched = np.union1d(np.flatnonzero(add > 0), cen).astype(np.int64)
        ppl_t = self.ppl[touched] + add[touched]
        centre_t = self.centre[touched] | np.isin(touched, cen)
        d = self.d
        now = centre_t & ((d.people[touched] <= 0) | (ppl_t >= d.share * d.people[touched] - 1e-9))
        newly = now & ~self.served[touched]
        return int(newly.sum()), float(self.pool.target_people[new].sum()), new, touched, \
            np.column_stack([ppl_t, centre_t, now])

    def take(self, i: int) -> tuple[int, float]:
        nv, np_, new, touched, st = self.gain(i)
        self.done[new] = True
        self.ppl[touched] = st[:, 0]
        self.centre[touched] = st[:, 1].astype(bool)
        self.served[touched] = st[:, 2].astype(bool)
        return nv, np_


def greedy_select_villages(
    pool: CandidatePool, demand: VillageDemand, budget_sites: int | None = None,
    budget_vnd: float | None = None,
) -> Selection:
    """Greedy proposals that serve the most villages, ties by people (the programme's count).

    Each step takes the affordable candidate with the most villages newly served (per VND when a
    VND budget is given), then the most people newly covered, then the lowest index; once no
    candidate serves another village it goes on by people. "Villages served" is not submodular
    (a village needs its centre *and* 90 % of its people), so no approximation bound is claimed.
    ``Selection.gains`` are people (as for :func:`greedy_select`); ``villages_new`` the villages.
    """
    if budget_sites is None and budget_vnd is None:
        msg = "Give a budget in sites (budget_sites) or in VND (budget_vnd)."
        raise ValueError(msg)
    n = len(pool.cover)
    max_sites = n if budget_sites is None else max(0, int(budget_sites))
    cost = pool.candidates["cost_vnd"].to_numpy(dtype=np.float64) if n else np.zeros(0)
    left = float(budget_vnd) if budget_vnd is not None else np.inf
    state = _VillageState(pool, demand)
    sel = Selection([], [], [])
    chosen = np.zeros(n, dtype=bool)
    while len(sel.order) < max_sites:
        best, best_key = -1, None
        for i in np.flatnonzero(~chosen & (cost <= left)):
            nv, np_, *_ = state.gain(int(i))
            per = cost[i] if budget_vnd is not None and cost[i] > 0 else 1.0
            k = (nv / per, np_ / per)
            if best_key is None or k > best_key:
                best, best_key = int(i), k
        if best < 0 or best_key is None or (best_key[0] <= 0 and best_key[1] <= 0):
            break
        nv, np_ = state.take(best)
        chosen[best] = True
        sel.order.append(best)
        sel.gains.append(np_)
        sel.costs_vnd.append(float(cost[best]))
        sel.villages_new.append(nv)
        left -= cost[best]
    return sel


def villages_served_along(pool: CandidatePool, demand: VillageDemand, order: list[int]) -> list[int]:
    """Villages newly served by each proposal of ``order`` in turn (for any objective)."""
    state = _VillageState(pool, demand)
    return [state.take(int(i))[0] for i in order]


# ---------------------------------------------------------------------------- outputs
_KIND_POWER_COLUMNS = (
    ("kind", ""), ("host_operator", ""), ("host_mast_id", ""), ("site_capex_vnd", 0.0),
    ("power", ""), ("power_source", ""), ("grid_km", 0.0), ("power_capex_vnd", 0.0),
    ("pv_kwp", 0.0), ("battery_kwh", 0.0), ("opex_10y_vnd", 0.0), ("cost_10y_vnd", 0.0),
)


def proposals_table(pool: CandidatePool, selection: Selection, grid) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Ranked proposals (EPSG:4326 points) and the coverage curve.

    Returns
    -------
    proposals : GeoDataFrame
        ``site_id, rank, lon, lat, commune, commune_code, terrain, people_new, people_cum,
        share_covered_after, backhaul, backhaul_km, capex_vnd, backhaul_cost_vnd, cost_vnd,
        cost_per_person_vnd, cost_cum_vnd, source, gap_id, elev_m`` and, from
        :func:`candidate_costs`, ``kind, host_operator, host_mast_id, site_capex_vnd, power,
        power_source, grid_km, power_capex_vnd, pv_kwp, battery_kwh, opex_10y_vnd,
        cost_10y_vnd``.
    curve : DataFrame
        ``sites`` (0..K), ``people_covered``, ``people_new_cum``, ``share_covered``, ``cost_vnd``.
    """
    c = pool.candidates.iloc[selection.order].reset_index(drop=True)
    k = len(c)
    gains = np.asarray(selection.gains, dtype=np.float64)
    cum = np.cumsum(gains)
    total = pool.people_total if pool.people_total > 0 else 1.0
    cost = c["cost_vnd"].to_numpy(dtype=np.float64) if k else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cpp = np.where(gains > 0, cost / np.where(gains > 0, gains, 1.0), np.nan)
    props = pd.DataFrame(
        {
            "site_id": pd.array([f"P{r + 1:03d}" for r in range(k)], dtype=object),
            "rank": np.arange(1, k + 1, dtype=np.int64),
            "lon": c["lon"].to_numpy(dtype=np.float64) if k else np.zeros(0),
            "lat": c["lat"].to_numpy(dtype=np.float64) if k else np.zeros(0),
            "commune": pd.array(list(c["commune"]) if k else [], dtype=object),
            "commune_code": pd.array(list(c["commune_code"]) if k else [], dtype=object),
            "terrain": pd.array(list(c["terrain"]) if k else [], dtype=object),
            "people_new": gains,
            "people_cum": cum,
            "share_covered_after": (pool.people_covered_before + cum) / total,
            "backhaul": pd.array(list(c["backhaul"]) if k else [], dtype=object),
            "backhaul_km": c["backhaul_km"].to_numpy(dtype=np.float64) if k else np.zeros(0),
            "capex_vnd": c["capex_vnd"].to_numpy(dtype=np.float64) if k else np.zeros(0),
            "backhaul_cost_vnd": c["backhaul_cost_vnd"].to_numpy(dtype=np.float64) if k else np.zeros(0),
            "cost_vnd": cost,
            "cost_per_person_vnd": cpp,
            "cost_cum_vnd": np.cumsum(cost),
            "source": pd.array(list(c["source"]) if k else [], dtype=object),
            "gap_id": c["gap_id"].to_numpy(dtype=np.int64) if k else np.zeros(0, np.int64),
            "elev_m": c["elev_m"].to_numpy(dtype=np.float64) if k else np.zeros(0),
        }
    )
    for col, default in _KIND_POWER_COLUMNS:
        if col in c:
            props[col] = c[col].to_numpy() if k else np.zeros(0, dtype=object if isinstance(default, str) else float)
        elif col in ("kind",):
            props[col] = pd.array(["new_site"] * k, dtype=object)
    gdf = gpd.GeoDataFrame(props, geometry=gpd.points_from_xy(props["lon"], props["lat"]),
                           crs="EPSG:4326")
    curve = pd.DataFrame(
        {
            "sites": np.arange(0, k + 1, dtype=np.int64),
            "people_new_cum": np.concatenate([[0.0], cum]),
            "people_covered": pool.people_covered_before + np.concatenate([[0.0], cum]),
            "share_covered": (pool.people_covered_before + np.concatenate([[0.0], cum])) / total,
            "cost_vnd": np.concatenate([[0.0], np.cumsum(cost)]),
        }
    )
    return gdf, curve

