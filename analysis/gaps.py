"""Coverage gaps ("lõm sóng"): which populated cells no signal reaches, grouped into places.

A *gap cell* is a cell of the analysis grid that is populated (at least
:meth:`GapConfig.cell_threshold` people), inside a commune, and not covered by the chosen
technology (threshold + indoor margin applied by the coverage engine's ``covered(tech)``).
Gap cells are clustered with scikit-learn's DBSCAN on cell centres in metres with the people of
each cell as sample weight: a cell is a *core* cell when the people within ``eps_km`` reach
``min_people``. Each cluster becomes one *gap*: a polygon (its cells dissolved, lightly
smoothed) with its people, area, communes, terrain, elevation and distances.

All functions are pure over arrays on one :class:`geo.grid.Grid`; nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio import features
from scipy.spatial import cKDTree

from analysis.config import GapConfig

__all__ = [
    "GapResult",
    "gap_mask",
    "cluster_gap_cells",
    "gap_polygons",
    "find_gaps",
    "commune_table",
    "cell_xy",
]

M_PER_KM = 1000.0
M2_PER_KM2 = 1e6


@dataclass
class GapResult:
    """Gap cells, their cluster labels and the gap table.

    Attributes
    ----------
    mask : bool array
        Gap cells (populated, in a commune, uncovered).
    labels : int32 array
        Gap index 0..n-1 of each clustered gap cell (row ``i`` of ``gaps``), -1 elsewhere
        (including scattered gap cells that belong to no cluster).
    gaps : GeoDataFrame
        One row per gap, in the grid CRS, ordered by ``gap_id`` (1 = most people).
    people_scattered : float
        People in gap cells that no cluster holds.
    people_below_floor : float
        Uncovered people in commune cells under the populated floor (never gap cells).
        ``people in gaps + people_scattered + people_below_floor`` = all uncovered people.
    """

    mask: np.ndarray
    labels: np.ndarray
    gaps: gpd.GeoDataFrame
    people_scattered: float
    people_below_floor: float = 0.0


def cell_xy(grid, flat_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates (grid CRS, metres) of flat cell indices."""
    rows, cols = np.divmod(np.asarray(flat_index, dtype=np.int64), grid.width)
    r = grid.resolution_m
    return grid.xmin + r * (cols + 0.5), grid.ymax - r * (rows + 0.5)


def gap_mask(
    population: np.ndarray, covered: np.ndarray, commune_id: np.ndarray,
    min_people_per_cell: float,
) -> np.ndarray:
    """Populated (≥ ``min_people_per_cell``, > 0), in-commune, uncovered cells."""
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
    if pop.shape != covered.shape or pop.shape != commune_id.shape:
        msg = (
            f"population {pop.shape}, covered {covered.shape} and commune ids "
            f"{commune_id.shape} must be on the same grid."
        )
        raise ValueError(msg)
    return (pop > 0) & (pop >= min_people_per_cell) & ~np.asarray(covered, bool) & (commune_id >= 0)


def cluster_gap_cells(
    mask: np.ndarray, population: np.ndarray, grid, config: GapConfig | None = None,
) -> np.ndarray:
    """Cluster gap cells; return a label raster (0..n-1 by decreasing people, -1 none).

    Parameters
    ----------
    mask : bool array
        Gap cells.
    population : float array
        People per cell (sample weights).
    grid : geo.grid.Grid
    config : GapConfig

    Returns
    -------
    int32 array of ``grid.shape``.

    Notes
    -----
    DBSCAN (Ester et al. 1996) with ``sample_weight``: a point is core when the summed weight
    of the points within ``eps`` (itself included) is ≥ ``min_samples``. On fine grids the
    cells are first pooled into square blocks of side ``eps × pool_fraction`` (a block is one
    point at its population-weighted centre, weighted by its people), which moves each point by
    at most ``side/√2`` and keeps neighbour lists small. Labels are renumbered so that label 0
    holds the most people (ties: the lowest first cell), which makes them reproducible.
    """
    from sklearn.cluster import DBSCAN, HDBSCAN

    config = config or GapConfig()
    labels = np.full(mask.shape, -1, dtype=np.int32)
    flat = np.flatnonzero(mask)
    if flat.size == 0:
        return labels
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64).ravel()[flat], nan=0.0)
    x, y = cell_xy(grid, flat)
    eps_m = config.eps_km * M_PER_KM
    block = int(np.floor(eps_m * config.pool_fraction / grid.resolution_m)) if config.pool_fraction > 0 else 1
    if block > 1:
        rows, cols = np.divmod(flat, grid.width)
        ncb = grid.width // block + 1
        bid = (rows // block) * ncb + cols // block
        ubid, inv = np.unique(bid, return_inverse=True)
        w = np.bincount(inv, weights=pop)
        safe = np.where(w > 0, w, 1.0)
        bx = np.bincount(inv, weights=pop * x) / safe
        by = np.bincount(inv, weights=pop * y) / safe
        pts = np.column_stack([bx, by])
    else:
        inv = np.arange(flat.size)
        w = pop
        pts = np.column_stack([x, y])
    if config.method == "dbscan":
        model = DBSCAN(eps=eps_m, min_samples=max(1, int(np.ceil(config.min_people))))
        point_labels = model.fit_predict(pts, sample_weight=w)
    else:
        side_m = grid.resolution_m * max(block, 1)
        point_labels = _hdbscan_weighted(pts, w, config.min_people, side_m, HDBSCAN)
    cell_labels = point_labels[inv]
    keep = cell_labels >= 0
    if not keep.any():
        return labels
    people = np.bincount(cell_labels[keep], weights=pop[keep])
    first = np.full(people.size, np.iinfo(np.int64).max)
    np.minimum.at(first, cell_labels[keep], flat[keep])
    valid = np.flatnonzero(people >= config.min_people) if config.method == "hdbscan" else np.flatnonzero(people > 0)
    order = valid[np.lexsort((first[valid], -people[valid]))]
    remap = np.full(people.size, -1, dtype=np.int32)
    remap[order] = np.arange(order.size, dtype=np.int32)
    out = np.where(keep, remap[np.where(keep, cell_labels, 0)], -1)
    labels.ravel()[flat] = out
    return labels


HDBSCAN_COPIES_PER_MIN_PEOPLE = 10  # weight resolution: min_people is 10 copies of a point
HDBSCAN_MAX_POINTS = 50_000  # bound on the replicated points (time and memory)


def _spread(k: int, side_m: float) -> np.ndarray:
    """``k`` offsets on a regular lattice filling a square of ``side_m`` (row-major, centred)."""
    m = int(np.ceil(np.sqrt(k)))
    g = (np.arange(m) + 0.5) / m * side_m - side_m / 2
    gx, gy = np.meshgrid(g, g)
    return np.column_stack([gx.ravel(), gy.ravel()])[:k]


def _hdbscan_weighted(pts: np.ndarray, w: np.ndarray, min_people: float, side_m: float,
                      hdbscan_cls) -> np.ndarray:
    """HDBSCAN labels with people as weights (scikit-learn's HDBSCAN takes none).

    Integer weights are duplicated points: each point is repeated ``round(w / unit)`` times
    (at least once), with ``unit = min_people / 10`` people (coarser when that would exceed
    :data:`HDBSCAN_MAX_POINTS` copies), and ``min_cluster_size = ceil(min_people / unit)``: a
    cluster must hold ``min_people`` people, not a fixed number of cells. The copies are spread
    on a lattice over the point's cell (``side_m``), where its people live: identical copies
    would make each heavy cell a cluster of its own (and trip scikit-learn 1.9 on duplicates).
    A point's label is the most common label of its copies (ties: the lowest).
    """
    if len(pts) == 0:
        return np.zeros(0, dtype=np.int64)
    unit = max(float(min_people) / HDBSCAN_COPIES_PER_MIN_PEOPLE,
               float(np.sum(w)) / HDBSCAN_MAX_POINTS, 1e-9)
    reps = np.maximum(1, np.round(np.asarray(w, dtype=np.float64) / unit)).astype(np.int64)
    min_size = max(2, int(np.ceil(float(min_people) / unit)))
    if int(reps.sum()) < min_size:
        return np.full(len(pts), -1, dtype=np.int64)
    offsets = np.concatenate([_spread(int(k), side_m) for k in reps])
    model = hdbscan_cls(min_cluster_size=min_size, copy=True)
    labels = model.fit_predict(np.repeat(pts, reps, axis=0) + offsets)
    owner = np.repeat(np.arange(len(pts)), reps)
    out = np.full(len(pts), -1, dtype=np.int64)
    clustered = labels >= 0
    if clustered.any():
        nl = int(labels.max()) + 1
        votes = np.bincount(owner[clustered] * nl + labels[clustered],
                            minlength=len(pts) * nl).reshape(len(pts), nl)
        has = votes.sum(axis=1) * 2 > reps  # most copies clustered
        out[has] = votes[has].argmax(axis=1)
    return out


def gap_polygons(labels: np.ndarray, grid, smooth_fraction: float = 0.5) -> gpd.GeoSeries:
    """One (multi)polygon per label 0..n-1: its cells dissolved, lightly smoothed (grid CRS).

    Smoothing is a morphological closing by ``smooth_fraction × cell`` (round joins), which
    fills one-cell notches and rounds re-entrant corners; the cells themselves always stay inside
    the polygon (before the final simplification to a quarter cell).
    """
    n = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0
    parts: list[list] = [[] for _ in range(n)]
    for geom, value in features.shapes(
        labels.astype(np.int32), mask=labels >= 0, transform=grid.transform, connectivity=4,
    ):
        parts[int(value)].append(shapely.geometry.shape(geom))
    d = smooth_fraction * grid.resolution_m
    geoms = []
    for p in parts:
        g = shapely.union_all(p)
        if d > 0:
            sm = g.buffer(d, join_style="round").buffer(-d, join_style="round")
            g = shapely.union_all([sm, g]) if not sm.is_empty else g
            g = g.simplify(grid.resolution_m * 0.25)
        geoms.append(shapely.make_valid(g) if not g.is_valid else g)
    return gpd.GeoSeries(geoms, crs=grid.crs)


def find_gaps(
    grid,
    population: np.ndarray,
    covered: np.ndarray,
    commune_id: np.ndarray,
    communes: pd.DataFrame,
    config: GapConfig | None = None,
    dem_on_grid: np.ndarray | None = None,
    stations_xy: np.ndarray | None = None,
    fiber_distance_km: np.ndarray | None = None,
) -> GapResult:
    """Gap cells → clusters → the gap table.

    Parameters
    ----------
    grid : geo.grid.Grid
    population : float array on ``grid``
        People per cell.
    covered : bool array on ``grid``
        Cells covered by the chosen technology.
    commune_id : int array on ``grid``
        Row position in ``communes`` of each cell (-1 outside every commune).
    communes : DataFrame
        With ``name`` and ``terrain`` columns (row order = ``commune_id``).
    config : GapConfig
    dem_on_grid : float array, optional
        Elevation (m) for ``elev_mean_m`` (NaN when absent).
    stations_xy : (n, 2) array, optional
        Existing stations in the grid CRS, for ``dist_station_km``.
    fiber_distance_km : float array, optional
        Distance to fiber per cell, for ``dist_fiber_km`` (read at the gap's centre cell).

    Returns
    -------
    GapResult
        ``gaps`` columns: ``gap_id, people_uncovered, area_km2, cells, communes, commune_codes,
        terrain, elev_mean_m, dist_station_km, dist_fiber_km, x, y, lon, lat, geometry``, where
        ``x, y`` (``lon, lat``) is the gap's centre: the gap cell nearest its people-weighted
        centroid (always inside the gap).
    """
    config = config or GapConfig()
    thr = config.cell_threshold(grid.cell_area_m2)
    mask = gap_mask(population, covered, commune_id, thr)
    labels = cluster_gap_cells(mask, population, grid, config)
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0).ravel()
    lab = labels.ravel()
    people_scattered = float(pop[mask.ravel() & (lab < 0)].sum())
    uncovered = (np.asarray(commune_id).ravel() >= 0) & ~np.asarray(covered, bool).ravel() & (pop > 0)
    people_below_floor = float(pop[uncovered & ~mask.ravel()].sum())
    n = int(lab.max()) + 1 if lab.size and lab.max() >= 0 else 0

    flat = np.flatnonzero(lab >= 0)
    g = lab[flat]
    p = pop[flat]
    x, y = cell_xy(grid, flat)
    people = np.bincount(g, weights=p, minlength=n)
    cells = np.bincount(g, minlength=n)
    safe = np.where(people > 0, people, 1.0)
    cx = np.bincount(g, weights=p * x, minlength=n) / safe
    cy = np.bincount(g, weights=p * y, minlength=n) / safe
    # centre cell: the gap cell nearest the weighted centroid (ties: lowest flat index)
    d2 = (x - cx[g]) ** 2 + (y - cy[g]) ** 2
    order = np.lexsort((flat, d2, g))
    first_of = np.ones(order.size, dtype=bool)
    first_of[1:] = g[order][1:] != g[order][:-1]
    centre_flat = np.empty(n, dtype=np.int64)
    centre_flat[g[order][first_of]] = flat[order][first_of]
    rx, ry = cell_xy(grid, centre_flat)

    if dem_on_grid is not None:
        elev = np.asarray(dem_on_grid, dtype=np.float64).ravel()[flat]
        ok = np.isfinite(elev)
        esum = np.bincount(g[ok], weights=elev[ok], minlength=n)
        ecount = np.bincount(g[ok], minlength=n)
        elev_mean = np.where(ecount > 0, esum / np.maximum(ecount, 1), np.nan)
    else:
        elev_mean = np.full(n, np.nan)

    if stations_xy is not None and len(stations_xy):
        tree = cKDTree(np.asarray(stations_xy, dtype=np.float64))
        dist_station = tree.query(np.column_stack([rx, ry]))[0] / M_PER_KM if n else np.zeros(0)
    else:
        dist_station = np.full(n, np.nan)
    if fiber_distance_km is not None:
        dist_fiber = np.asarray(fiber_distance_km, dtype=np.float64).ravel()[centre_flat]
    else:
        dist_fiber = np.full(n, np.nan)

    # communes and terrain by people
    cid = np.asarray(commune_id).ravel()[flat]
    nc = len(communes)
    per = np.bincount(g * nc + cid, weights=p, minlength=n * nc).reshape(n, nc) if n else np.zeros((0, nc))
    names = communes["name"].astype(str).to_numpy() if "name" in communes else np.array([str(i) for i in range(nc)])
    codes = communes["code"].astype(str).to_numpy() if "code" in communes else names
    terrain_of = (
        communes["terrain"].astype(str).to_numpy() if "terrain" in communes else np.full(nc, "plain")
    )
    commune_txt, code_txt, terrain = [], [], []
    for i in range(n):
        row = per[i]
        idx = np.flatnonzero(row > 0)
        if idx.size == 0:  # a gap of zero people cannot occur (cells are populated), kept safe
            idx = np.unique(cid[g == i])
        idx = idx[np.lexsort((idx, -row[idx]))]
        commune_txt.append(", ".join(names[idx]))
        code_txt.append(",".join(codes[idx]))
        by_terrain: dict[str, float] = {}
        for j in idx:
            by_terrain[terrain_of[j]] = by_terrain.get(terrain_of[j], 0.0) + row[j]
        terrain.append(sorted(by_terrain.items(), key=lambda kv: (-kv[1], kv[0]))[0][0])

    geoms = gap_polygons(labels, grid, config.smooth_fraction) if n else gpd.GeoSeries([], crs=grid.crs)
    lon, lat = grid.to_lonlat(rx, ry) if n else (np.zeros(0), np.zeros(0))
    gaps = gpd.GeoDataFrame(
        {
            "gap_id": np.arange(1, n + 1, dtype=np.int64),
            "people_uncovered": people,
            "area_km2": cells * grid.cell_area_m2 / M2_PER_KM2,
            "cells": cells.astype(np.int64),
            "communes": pd.array(commune_txt, dtype=object),
            "commune_codes": pd.array(code_txt, dtype=object),
            "terrain": pd.array(terrain, dtype=object),
            "elev_mean_m": elev_mean,
            "dist_station_km": dist_station,
            "dist_fiber_km": dist_fiber,
            "x": rx,
            "y": ry,
            "lon": np.asarray(lon, dtype=np.float64),
            "lat": np.asarray(lat, dtype=np.float64),
        },
        geometry=geoms.values if n else [],
        crs=grid.crs,
    )
    return GapResult(mask=mask, labels=labels, gaps=gaps, people_scattered=people_scattered,
                     people_below_floor=people_below_floor)


def commune_table(
    population: np.ndarray,
    covered: np.ndarray,
    commune_id: np.ndarray,
    communes: pd.DataFrame,
    labels: np.ndarray,
    config: GapConfig | None = None,
) -> pd.DataFrame:
    """People covered/uncovered per commune, its gaps, and the "lõm sóng" flag.

    Returns
    -------
    DataFrame, one row per commune (same order as ``communes``), columns ``code, name,
    terrain, people_total, people_covered, people_uncovered, share_covered, share_uncovered,
    people_in_gaps, gaps, largest_gap_id, largest_gap_people, lom_song, lom_song_reason``.

    Notes
    -----
    ``people_covered`` and ``people_uncovered`` are summed independently over covered and
    uncovered cells (so their sum equalling ``people_total`` is a real check).

    **Lõm sóng rule.** A commune is flagged *lõm sóng* when (a) some gap leaves at least
    ``lom_song_min_people`` of the commune's people without signal — a hamlet-sized pocket,
    which is what the national "xóa lõm sóng" programme targets — or (b) at least
    ``lom_song_min_share`` of its people are uncovered, scattered or not. The reason column
    says which.
    """
    config = config or GapConfig()
    nc = len(communes)
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0).ravel()
    cid = np.asarray(commune_id).ravel()
    cov = np.asarray(covered, dtype=bool).ravel()
    lab = np.asarray(labels).ravel()
    inside = cid >= 0
    total = np.bincount(cid[inside], weights=pop[inside], minlength=nc)
    m_cov = inside & cov
    m_unc = inside & ~cov
    people_cov = np.bincount(cid[m_cov], weights=pop[m_cov], minlength=nc)
    people_unc = np.bincount(cid[m_unc], weights=pop[m_unc], minlength=nc)
    in_gap = inside & (lab >= 0)
    people_gap = np.bincount(cid[in_gap], weights=pop[in_gap], minlength=nc)
    n_gaps = np.zeros(nc, dtype=np.int64)
    largest_id = np.zeros(nc, dtype=np.int64)
    largest_people = np.zeros(nc)
    if in_gap.any():
        ng = int(lab.max()) + 1
        per = np.bincount(cid[in_gap] * ng + lab[in_gap], weights=pop[in_gap], minlength=nc * ng).reshape(nc, ng)
        n_gaps = (per > 0).sum(axis=1).astype(np.int64)
        best = per.argmax(axis=1)  # first max = lowest label = most people overall
        largest_people = per[np.arange(nc), best]
        largest_id = np.where(largest_people > 0, best + 1, 0).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_cov = np.where(total > 0, people_cov / total, np.nan)
        share_unc = np.where(total > 0, people_unc / total, np.nan)
    by_pocket = largest_people >= config.lom_song_min_people
    by_share = np.nan_to_num(share_unc, nan=0.0) >= config.lom_song_min_share
    reason = []
    for a, b in zip(by_pocket, by_share, strict=True):
        parts = []
        if a:
            parts.append(f"gap>={config.lom_song_min_people:g} people")
        if b:
            parts.append(f"uncovered>={config.lom_song_min_share:.0%}")
        reason.append("; ".join(parts))

    def get(column: str, default: np.ndarray) -> np.ndarray:
        return communes[column].astype(str).to_numpy() if column in communes else default

    return pd.DataFrame(
        {
            "code": pd.array(get("code", np.array([str(i) for i in range(nc)])), dtype=object),
            "name": pd.array(get("name", np.array([str(i) for i in range(nc)])), dtype=object),
            "terrain": pd.array(get("terrain", np.full(nc, "plain")), dtype=object),
            "people_total": total,
            "people_covered": people_cov,
            "people_uncovered": people_unc,
            "share_covered": share_cov,
            "share_uncovered": share_unc,
            "people_in_gaps": people_gap,
            "gaps": n_gaps,
            "largest_gap_id": largest_id,
            "largest_gap_people": largest_people,
            "lom_song": by_pocket | by_share,
            "lom_song_reason": pd.array(reason, dtype=object),
        }
    )
