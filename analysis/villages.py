"""Village status by the ministry's criterion: which thôn/bản have no signal.

The programme to clear dead zones ("xóa thôn lõm sóng", Decision 2269/QĐ-TTg) counts villages.
Its criterion (letter 1603/BTTTT-CVT, 25/04/2024, as quoted in provincial plans): a village has
no signal when there is none **at its centre** (cultural house) **or at its population
clusters**. Here, on one run's *served* cells — its coverage (both links at the chosen
reliability), or, when the run's gaps are asked on service (``--gap-metric throughput
--min-mbps N``), the cells whose modelled throughput is at least N Mbit/s
(``analysis.pipeline.served_mask``); the summary says which (``villages_metric``):

* ``covered`` — its centre is covered and at least :data:`COVERED_SHARE` (90 %) of its people are;
* ``no_signal`` — its centre is not covered and fewer than :data:`NO_SIGNAL_SHARE` (50 %) of its
  people are;
* ``partial`` — anything else.

A village with no people on the grid is judged by its centre alone. A point rounded to whole
minutes (most GeoNames points; ``position_uncertainty_m`` > 0) has its centre judged by the best
cell within that distance, and the row says so (``centre_rounded``, ``centre_judged_within_m``).

Everything here is pure over arrays on one :class:`geo.grid.Grid`, except
:func:`prepare_villages`, which loads the embedded layer when no list is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.villages import (
    ASSIGN_MAX_M,
    VillagePeople,
    assign_communes,
    assign_people,
    normalize_villages,
    settlement_clusters,
)

__all__ = [
    "COVERED_SHARE",
    "NO_SIGNAL_SHARE",
    "STATUSES",
    "STATUS_VI",
    "STATUS_COLOURS",
    "VillagesOutput",
    "prepare_villages",
    "centre_cells",
    "status_of",
    "village_status",
    "village_table",
    "villages_summary",
    "village_markers",
    "village_demand",
]

COVERED_SHARE = 0.9
NO_SIGNAL_SHARE = 0.5
STATUSES = ("no_signal", "partial", "covered")
STATUS_VI = {"no_signal": "chưa có sóng", "partial": "có sóng một phần", "covered": "có sóng"}
STATUS_EN = {"no_signal": "no signal", "partial": "partial", "covered": "covered"}
#: Marker colours by status (hex), for the app's maps and the report: the Okabe–Ito palette
#: (Okabe & Ito 2008, "Color Universal Design") — vermillion, yellow, bluish green. Yellow
#: rather than Okabe–Ito orange for ``partial``: simulated deuteranopia (Machado, Oliveira &
#: Fernandes 2009, severity 1) leaves vermillion and orange ΔE*ab ≈ 18 apart, vermillion and
#: yellow ≈ 34 (every pair ≥ 33 under deuteranopia and protanopia; red/orange/green: ≈ 21).
#: Markers carry a dark outline, so yellow stays visible on the light base map.
STATUS_COLOURS = {"no_signal": "#D55E00", "partial": "#F0E442", "covered": "#009E73"}
M_PER_KM = 1000.0


# -------------------------------------------------------------------------- layer
def prepare_villages(villages=None, communes: gpd.GeoDataFrame | None = None,
                     gap_config=None, *, grid=None, population=None,
                     commune_id=None) -> gpd.GeoDataFrame:
    """The village layer of a run: the embedded one, or a user's list plus modelled clusters.

    Parameters
    ----------
    villages : None, GeoDataFrame, or an object with ``.gdf`` (the village-list reader's
        ``PointSet``)
        None: :func:`geo.data.load_villages` (GeoNames + OSM + clusters made on the 1 km
        WorldPop grid), the villages of ``communes``. A user's list wins: its points are kept as
        given (``source = "user"``; a row without a commune gets the one its point lies in) and
        clusters are added only where populated land has none of its points within
        :data:`geo.villages.ASSIGN_MAX_M`.
    communes : GeoDataFrame
        The run's communes (``code``, ``name``, geometry).
    gap_config : analysis.config.GapConfig, optional
        Populated floor and clustering settings for new clusters.
    grid, population, commune_id : the run's grid and arrays
        Where new clusters are made (needed for a user list, or when no embedded village belongs
        to ``communes``).
    """
    from analysis.config import GapConfig

    if communes is None:
        from geo.data import load_communes

        communes = load_communes()
    codes = set(communes["code"].astype(str))
    if villages is None:
        from geo.data import load_villages

        emb = normalize_villages(load_villages(), source="gazetteer")
        emb = emb[emb["commune_code"].isin(codes)].reset_index(drop=True)
        if len(emb):
            return emb
        villages = emb
    gdf = villages.gdf if hasattr(villages, "gdf") else villages
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"Villages must be a GeoDataFrame or a village list, got {type(villages).__name__}."
        raise TypeError(msg)
    user = normalize_villages(gdf, source="user")
    if len(user):
        located = assign_communes(user.drop(columns=["commune_code", "commune", "in_province"]),
                                  communes)
        given = user["commune_code"].astype(str).str.strip().isin(codes)
        user["commune_code"] = np.where(given, user["commune_code"], located["commune_code"])
        user["commune"] = np.where(user["commune"].astype(str).str.strip() != "", user["commune"],
                                   located["commune"])
        user["in_province"] = located["in_province"].to_numpy() | given.to_numpy()
    if grid is None or population is None or commune_id is None:
        return user
    cfg = gap_config or GapConfig()
    clusters = settlement_clusters(
        grid, population, commune_id, pd.DataFrame(communes.drop(columns=communes.geometry.name)),
        user[user["in_province"]] if len(user) else None,
        min_density_per_km2=cfg.min_density_per_km2, eps_km=cfg.eps_km, min_people=cfg.min_people,
    )
    if not len(clusters):
        return user
    cl = normalize_villages(clusters.drop(columns="people_cluster"), source="cluster")
    cl["village_id"] = cl["source_id"]
    out = pd.concat([user, cl], ignore_index=True) if len(user) else cl
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


# ------------------------------------------------------------------------- status
def centre_cells(grid, x: np.ndarray, y: np.ndarray, radius_m: np.ndarray) -> list[np.ndarray]:
    """Flat indices of the cells that judge each centre: its own cell, and for a point with a
    stated uncertainty every cell whose centre lies within ``radius_m`` of it (on the grid)."""
    row, col = grid.rowcol(x, y)
    h, w = grid.shape
    r = grid.resolution_m
    out = []
    for i in range(len(row)):
        rad = float(radius_m[i]) if np.isfinite(radius_m[i]) else 0.0
        k = int(np.ceil(rad / r))
        dr, dc = np.mgrid[-k:k + 1, -k:k + 1]
        rr, cc = row[i] + dr.ravel(), col[i] + dc.ravel()
        cx = grid.xmin + r * (cc + 0.5)
        cy = grid.ymax - r * (rr + 0.5)
        near = ((cx - x[i]) ** 2 + (cy - y[i]) ** 2 <= rad**2) | ((dr.ravel() == 0) & (dc.ravel() == 0))
        ok = near & (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        out.append((rr[ok] * w + cc[ok]).astype(np.int64))
    return out


def status_of(centre_covered: np.ndarray, share_covered: np.ndarray) -> np.ndarray:
    """The criterion on arrays: ``covered`` / ``no_signal`` / ``partial`` (NaN share: centre only)."""
    c = np.asarray(centre_covered, dtype=bool)
    s = np.asarray(share_covered, dtype=np.float64)
    known = np.isfinite(s)
    covered = c & (~known | (s >= COVERED_SHARE))
    none = ~c & (~known | (s < NO_SIGNAL_SHARE))
    return np.where(covered, "covered", np.where(none, "no_signal", "partial")).astype(object)


@dataclass
class VillagesOutput:
    """The village table of one run and the cell → village map behind it."""

    table: gpd.GeoDataFrame  # EPSG:4326
    people: VillagePeople
    centres: list
    summary: dict


def village_status(grid, centres: list[np.ndarray], people: VillagePeople,
                   population: np.ndarray, covered: np.ndarray) -> pd.DataFrame:
    """``centre_covered, people, people_covered, share_people_covered, status`` per village.

    Cheap (no geometry): what the before/after comparison and the villages objective re-run.
    """
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0).ravel()
    cov = np.asarray(covered, dtype=bool).ravel()
    n = len(centres)
    cv = people.cell_village.ravel()
    has = cv >= 0
    reached = np.bincount(cv[has], weights=pop[has] * cov[has], minlength=n)[:n]
    centre_cov = np.array([bool(cov[c].any()) if c.size else False for c in centres], dtype=bool)
    ppl = people.people[:n]
    share = np.divide(reached, ppl, out=np.full(n, np.nan), where=ppl > 0)
    return pd.DataFrame({
        "centre_covered": centre_cov, "people": ppl, "people_covered": reached,
        "share_people_covered": share, "status": status_of(centre_cov, share),
    })


def _level(coverage, tech: str, shape) -> np.ndarray:
    levels = getattr(coverage, "rsrp_dbm", {}) or {}
    if tech == "any":
        arrs = [np.asarray(a, dtype=np.float32) for a in levels.values()]
    else:
        arrs = [np.asarray(levels[tech], dtype=np.float32)] if tech in levels else []
    if not arrs:
        return np.full(shape, np.nan, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        return np.fmax.reduce(arrs) if len(arrs) > 1 else arrs[0]


def village_table(
    grid,
    villages: gpd.GeoDataFrame,
    population: np.ndarray,
    commune_id: np.ndarray,
    communes: pd.DataFrame,
    covered: np.ndarray,
    level_dbm: np.ndarray | None = None,
    stations_xy: np.ndarray | None = None,
    fiber_distance_km: np.ndarray | None = None,
    max_m: float = ASSIGN_MAX_M,
    metric: str = "coverage",
    min_mbps: float | None = None,
) -> VillagesOutput:
    """Status, people and context of every village of the province.

    Parameters
    ----------
    grid : geo.grid.Grid
    villages : GeoDataFrame (EPSG:4326)
        :func:`prepare_villages`; only ``in_province`` rows are judged.
    population, commune_id, covered : arrays on ``grid``
        ``covered``: the served cells the villages are judged on (coverage, or throughput ≥
        ``min_mbps`` for ``metric="throughput"``).
    communes : DataFrame
        ``code, name, terrain`` per row of ``commune_id``.
    level_dbm : float array, optional
        Best level (dBm) per cell, for ``centre_level_dbm``.
    stations_xy : (n, 2) array, optional
        Stations in the grid CRS, for ``nearest_station_km``.
    fiber_distance_km : float array, optional
        Per cell, for ``fiber_km`` (at the village's own cell).
    metric : {"coverage", "throughput"}
        What ``covered`` means, stated in the summary as ``villages_metric``.
    min_mbps : float, optional
        The throughput floor (Mbit/s) of ``metric="throughput"``: ``villages_min_mbps``.

    Returns
    -------
    VillagesOutput
        ``table`` columns: ``village_id, name, commune_code, commune, terrain, status, people,
        people_covered, share_people_covered, centre_covered, centre_level_dbm, centre_rounded,
        centre_judged_within_m, nearest_station_km, fiber_km, power, people_stated, source,
        source_id, modelled, lon, lat, geometry``, sorted by commune code, status
        (no_signal first), people (most first).
    """
    v = villages[villages["in_province"].astype(bool)].reset_index(drop=True) \
        if "in_province" in villages else villages.reset_index(drop=True)
    lon, lat = v.geometry.x.to_numpy(), v.geometry.y.to_numpy()
    x, y = grid.from_lonlat(lon, lat)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    radius = v["position_uncertainty_m"].to_numpy(dtype=np.float64)
    centres = centre_cells(grid, x, y, radius)
    ppl = assign_people(grid, population, commune_id, v, communes, max_m)
    st = village_status(grid, centres, ppl, population, covered)
    lv = np.asarray(level_dbm, dtype=np.float32).ravel() if level_dbm is not None else None
    with np.errstate(invalid="ignore"):
        centre_level = np.array([
            float(np.nanmax(lv[c])) if lv is not None and c.size and np.isfinite(lv[c]).any()
            else np.nan for c in centres])
    row, col = grid.rowcol(x, y)
    on = (row >= 0) & (row < grid.height) & (col >= 0) & (col < grid.width)
    own = np.where(on, row * grid.width + col, 0)
    if fiber_distance_km is not None:
        fiber = np.where(on, np.asarray(fiber_distance_km, dtype=np.float64).ravel()[own], np.nan)
    else:
        fiber = np.full(len(v), np.nan)
    if stations_xy is not None and len(stations_xy) and len(v):
        nearest = cKDTree(np.asarray(stations_xy, dtype=np.float64)).query(
            np.column_stack([x, y]))[0] / M_PER_KM
    else:
        nearest = np.full(len(v), np.nan)
    terrain_of = dict(zip(communes["code"].astype(str), communes["terrain"].astype(str), strict=True)) \
        if "terrain" in communes else {}
    table = pd.DataFrame({
        "village_id": v["village_id"].astype(str).to_numpy(),
        "name": v["name"].astype(str).to_numpy(),
        "commune_code": v["commune_code"].astype(str).to_numpy(),
        "commune": v["commune"].astype(str).to_numpy(),
        "terrain": [terrain_of.get(str(c), "") for c in v["commune_code"]],
        "status": st["status"].to_numpy(),
        "people": st["people"].to_numpy(),
        "people_covered": st["people_covered"].to_numpy(),
        "share_people_covered": st["share_people_covered"].to_numpy(),
        "centre_covered": st["centre_covered"].to_numpy(),
        "centre_level_dbm": centre_level,
        "centre_rounded": radius > 0,
        "centre_judged_within_m": radius,
        "nearest_station_km": nearest,
        "fiber_km": fiber,
        "power": v["power"].to_numpy(),
        "people_stated": v["people_stated"].to_numpy(dtype=np.float64),
        "source": v["source"].astype(str).to_numpy(),
        "source_id": v["source_id"].astype(str).to_numpy(),
        "modelled": v["modelled"].astype(bool).to_numpy(),
        "lon": lon,
        "lat": lat,
    })
    order = np.lexsort((table["village_id"].to_numpy(), -table["people"].to_numpy(),
                        table["status"].map({s: i for i, s in enumerate(STATUSES)}).to_numpy(),
                        table["commune_code"].to_numpy()))
    gdf = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    gdf = gdf.iloc[order]
    centres = [centres[i] for i in order]
    ppl_sorted = VillagePeople(cell_village=_renumber(ppl.cell_village, order),
                               people=ppl.people[order], scattered=ppl.scattered,
                               commune_total=ppl.commune_total)
    gdf = gdf.reset_index(drop=True)
    summary = villages_summary(gdf, ppl_sorted)
    # rows of the list outside every commune are not judged, and said so (never dropped quietly)
    summary["villages_outside_province"] = int(len(villages) - len(v))
    summary.update(_metric_keys(metric, min_mbps))
    return VillagesOutput(table=gdf, people=ppl_sorted, centres=centres, summary=summary)


def _metric_keys(metric: str, min_mbps: float | None) -> dict:
    """``villages_metric`` (``coverage``/``throughput``) and ``villages_min_mbps`` (or None)."""
    if metric not in ("coverage", "throughput"):
        msg = f"metric={metric!r}: expected 'coverage' or 'throughput'."
        raise ValueError(msg)
    if metric == "throughput" and min_mbps is None:
        msg = "metric='throughput' needs min_mbps (Mbit/s)."
        raise ValueError(msg)
    return {"villages_metric": metric,
            "villages_min_mbps": float(min_mbps) if metric == "throughput" else None}


def _renumber(cell_village: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Cell → village map after the villages were reordered by ``order`` (new i = old order[i])."""
    new_of_old = np.empty(order.size, dtype=np.int32)
    new_of_old[order] = np.arange(order.size, dtype=np.int32)
    out = cell_village.copy()
    has = out >= 0
    out[has] = new_of_old[out[has]]
    return out


def _counts(t: pd.DataFrame) -> dict:
    return {"total": int(len(t)), "no_signal": int((t["status"] == "no_signal").sum()),
            "partial": int((t["status"] == "partial").sum()),
            "covered": int((t["status"] == "covered").sum())}


def villages_summary(table: pd.DataFrame, people: VillagePeople | None = None) -> dict:
    """``summary.json``'s village figures.

    ``villages_total, villages_no_signal, villages_partial, villages_covered``,
    ``villages_modelled_clusters``, ``villages_rounded_centres``, ``villages_communes`` (communes
    with at least one village), ``villages_people``, ``villages_people_scattered``, and
    ``villages_by_power`` (``{"grid": {...}, "none": {...}, "unknown": {...}}`` counts, the
    ministry's with/without-power split) when some village's power status is known, else None.
    """
    c = _counts(table)
    power = table["power"].map(lambda p: p if p in ("grid", "none") else "unknown")
    by_power = None
    if (power != "unknown").any():
        by_power = {k: _counts(table[power == k]) for k in ("grid", "none", "unknown")}
    out = {
        "villages_total": c["total"],
        "villages_no_signal": c["no_signal"],
        "villages_partial": c["partial"],
        "villages_covered": c["covered"],
        "villages_modelled_clusters": int((table["source"] == "cluster").sum()),
        "villages_rounded_centres": int(table["centre_rounded"].sum()),
        "villages_communes": int(table["commune_code"].nunique()),
        "villages_people": round(float(table["people"].sum()), 1),
        "villages_people_scattered": round(float(people.scattered.sum()), 1) if people else None,
        "villages_by_power": by_power,
    }
    return out


def village_markers(table: pd.DataFrame, statuses=None, lang: str = "vi") -> pd.DataFrame:
    """Map markers for a village table: ``lon, lat, colour, status, label, tooltip``.

    ``statuses`` restricts to those statuses (default all). For the app's map layer, the commune
    page and the Thôn/bản page alike.
    """
    t = table if statuses is None else table[table["status"].isin(list(statuses))]
    names = STATUS_VI if lang == "vi" else STATUS_EN
    modelled = " (mô phỏng)" if lang == "vi" else " (modelled)"
    tip = [
        f"{n}{modelled if m else ''} — {c}: {names.get(s, s)}, {p:,.0f}"
        + (" người" if lang == "vi" else " people")
        for n, c, s, p, m in zip(t["name"], t["commune"], t["status"], t["people"], t["modelled"],
                                 strict=True)
    ]
    return pd.DataFrame({
        "lon": t["lon"].to_numpy(), "lat": t["lat"].to_numpy(),
        "colour": t["status"].map(STATUS_COLOURS).to_numpy(),
        "status": t["status"].to_numpy(), "label": t["name"].to_numpy(), "tooltip": tip,
    })


def village_demand(pool, villages_out: VillagesOutput):
    """:class:`analysis.siting.VillageDemand` of a run's villages on a candidate pool's targets."""
    from analysis.siting import VillageDemand

    tf = np.asarray(pool.target_flat, dtype=np.int64)  # sorted (np.flatnonzero)
    target_village = villages_out.people.cell_village.ravel()[tf].astype(np.int64)
    ct, cv = [], []
    for j, cells in enumerate(villages_out.centres):
        pos = np.searchsorted(tf, cells)
        ok = (pos < tf.size) & (tf[np.minimum(pos, tf.size - 1)] == cells) if tf.size else \
            np.zeros(cells.size, dtype=bool)
        ct.append(pos[ok])
        cv.append(np.full(int(ok.sum()), j, dtype=np.int64))
    t = villages_out.table
    return VillageDemand(
        target_village=target_village,
        centre_target=np.concatenate(ct + [np.zeros(0, np.int64)]).astype(np.int64),
        centre_village=np.concatenate(cv + [np.zeros(0, np.int64)]),
        people=t["people"].to_numpy(dtype=np.float64),
        people_covered=t["people_covered"].to_numpy(dtype=np.float64),
        centre_covered=t["centre_covered"].to_numpy(dtype=bool),
        share=COVERED_SHARE,
    )
