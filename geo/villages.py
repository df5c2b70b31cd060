"""Villages (thôn, bản, làng, xóm): the points the "xóa thôn lõm sóng" programme counts.

Three steps, each a pure function over GeoDataFrames / arrays:

1. **Gazetteer points** (:func:`gazetteer_points`, :func:`merge_sources`): GeoNames (CC BY 4.0)
   and OpenStreetMap 2017 (ODbL 1.0) settlement points, merged where both sources give the same
   name within :data:`MERGE_DISTANCE_M`; each source's id is kept in ``source_id``.
2. **Modelled settlement clusters** (:func:`settlement_clusters`): where populated land (WorldPop
   cells at or above the gaps' populated floor) has no village point within
   :data:`ASSIGN_MAX_M`, its cells are clustered as the gaps are (weighted DBSCAN,
   :func:`analysis.gaps.cluster_gap_cells`) and each cluster becomes a point named
   "Cụm dân cư 3 — Thượng Trạch", ``source = "cluster"``, ``modelled = True``.
3. **People per village** (:func:`assign_people`): every populated cell's people go to the
   nearest village *of the same commune* within :data:`ASSIGN_MAX_M`; the rest stay
   "scattered". Nobody is lost: per commune, villages' people + scattered = the commune's people.

Villages keep the columns of the village-list reader (``village_id, name, commune,
commune_code, people, power, source_row``) plus ``people_stated`` (a figure the list gave),
``source, source_id, kind, position_uncertainty_m, modelled, in_province``.

Coordinates in EPSG:4326 in and out; distances are computed in the analysis grid's CRS
(EPSG:32648).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.grid import ANALYSIS_CRS
from geo.names import match_key

__all__ = [
    "ASSIGN_MAX_M",
    "MERGE_DISTANCE_M",
    "MINUTE_M",
    "VILLAGE_COLUMNS",
    "VILLAGE_PREFIXES",
    "CLUSTER_NAME",
    "VillagePeople",
    "village_key",
    "is_minute_rounded",
    "rounding_uncertainty_m",
    "gazetteer_points",
    "merge_sources",
    "assign_communes",
    "settlement_clusters",
    "assign_people",
    "normalize_villages",
]

WGS84 = "EPSG:4326"
#: One minute of latitude (the nautical mile), metres.
MINUTE_M = 1852.0
#: Two sources name the same place when their name keys agree and they lie within this distance:
#: the half-diagonal of a whole-minute cell (≈ 1.28 km at 17° N, the largest error of a
#: minute-rounded GeoNames point) plus ~0.7 km for where a mapper put the village node.
MERGE_DISTANCE_M = 2_000.0
#: People in a cell go to the nearest village of their commune within this distance, else they
#: are "scattered": a thôn's houses lie within ~1 km of its centre, plus the ±1.3 km of a
#: minute-rounded point. Also the distance within which populated land "has a point" (no cluster).
ASSIGN_MAX_M = 2_000.0
#: Words that start a settlement name and are not part of it for matching.
VILLAGE_PREFIXES = ("thon", "lang", "ban", "xom", "ap", "trai", "khu pho", "to dan pho", "khom")
#: GeoNames feature codes that are not a living village: abandoned, destroyed, historical.
GEONAMES_DROP_CODES = ("PPLQ", "PPLW", "PPLH", "PPLCH")
#: The name of a modelled cluster: number within its commune (1 = most people), commune name.
CLUSTER_NAME = "Cụm dân cư {k} — {commune}"
CLUSTER_NAME_EN = "Settlement cluster {k} — {commune}"

VILLAGE_COLUMNS = (
    "village_id", "name", "commune", "commune_code", "people_stated", "power", "source",
    "source_id", "kind", "position_uncertainty_m", "modelled", "in_province", "source_row",
)
_PREFIX_RE = re.compile(r"^(?:" + "|".join(sorted(VILLAGE_PREFIXES, key=len, reverse=True)) + r")\s+")


def village_key(name: str) -> str:
    """Matching key of a settlement name: no diacritics, case or leading *Thôn/Làng/Bản/Xóm…*.

    >>> village_key("Làng Huo Ha"), village_key("huo ha")
    ('huo ha', 'huo ha')
    """
    k = match_key(str(name or ""))
    return _PREFIX_RE.sub("", k).strip()


def is_minute_rounded(lon: np.ndarray, lat: np.ndarray, tol_deg: float = 1.1e-5) -> np.ndarray:
    """True where both coordinates are whole arc-minutes (the NGA GNS rounding in GeoNames).

    GeoNames writes 5 decimals (106.43333 for 106° 26′), hence the 1.1e-5° (≈ 1 m) tolerance.
    """
    def whole(v):
        m = np.asarray(v, dtype=np.float64) * 60.0
        return np.abs(m - np.round(m)) <= tol_deg * 60.0

    return whole(lon) & whole(lat)


def rounding_uncertainty_m(lat_deg: np.ndarray) -> np.ndarray:
    """Largest position error (m) of a point rounded to whole minutes: the cell's half-diagonal.

    .. math:: e = \\tfrac{1}{2} \\sqrt{M^2 + (M \\cos\\varphi)^2}, \\quad M = 1852\\ \\mathrm{m}

    At 17° N: 1,281 m.
    """
    half = 0.5 * MINUTE_M
    return np.hypot(half, half * np.cos(np.radians(np.asarray(lat_deg, dtype=np.float64))))


# ------------------------------------------------------------------------ gazetteers
def gazetteer_points(geonames: gpd.GeoDataFrame, osm: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoNames class-P and OSM ``place`` points in one frame (EPSG:4326), not yet merged.

    GeoNames points flagged abandoned/destroyed/historical (:data:`GEONAMES_DROP_CODES`) are
    left out; a minute-rounded GeoNames point carries its rounding error in
    ``position_uncertainty_m`` (0 for the others).
    """
    gn = geonames.to_crs(WGS84)
    if "feature_code" in gn:
        gn = gn[~gn["feature_code"].astype(str).isin(GEONAMES_DROP_CODES)]
    lon, lat = gn.geometry.x.to_numpy(), gn.geometry.y.to_numpy()
    rounded = is_minute_rounded(lon, lat)
    gn_rows = pd.DataFrame({
        "name": gn["name"].astype(str).to_numpy(),
        "source": "geonames",
        "source_id": [f"geonames:{int(i)}" for i in gn["geonameid"]],
        "kind": gn.get("feature_code", pd.Series("PPL", index=gn.index)).astype(str).to_numpy(),
        "position_uncertainty_m": np.where(rounded, np.round(rounding_uncertainty_m(lat)), 0.0),
    })
    o = osm.to_crs(WGS84)
    o = o[o["name"].notna() & (o["name"].astype(str).str.strip() != "")]
    osm_rows = pd.DataFrame({
        "name": o["name"].astype(str).to_numpy(),
        "source": "osm",
        "source_id": [f"osm:node/{int(i)}" for i in o["osm_id"]],
        "kind": o["place"].astype(str).to_numpy(),
        "position_uncertainty_m": 0.0,
    })
    geoms = list(gn.geometry) + list(o.geometry)
    out = gpd.GeoDataFrame(pd.concat([gn_rows, osm_rows], ignore_index=True),
                           geometry=geoms, crs=WGS84)
    return out


def merge_sources(points: gpd.GeoDataFrame, merge_distance_m: float = MERGE_DISTANCE_M) -> gpd.GeoDataFrame:
    """One row per place: GeoNames and OSM points with the same :func:`village_key` within
    ``merge_distance_m`` become one (nearest pairs first, one-to-one).

    A merged row keeps the more precise position (the smaller ``position_uncertainty_m``; OSM
    on a tie), the GeoNames name, ``source = "geonames+osm"`` and both ids in ``source_id``
    (``"geonames:…;osm:node/…"``). Exact duplicates inside one source (same key, same point)
    are merged the same way. Nothing else is dropped.
    """
    pts = points.reset_index(drop=True)
    utm = pts.to_crs(ANALYSIS_CRS)
    xy = np.column_stack([utm.geometry.x.to_numpy(), utm.geometry.y.to_numpy()])
    keys = pts["name"].map(village_key).to_numpy()
    src = pts["source"].astype(str).to_numpy()
    partner = np.full(len(pts), -1)
    pairs = []
    tree = cKDTree(xy) if len(pts) else None
    for i, j in sorted(tree.query_pairs(merge_distance_m)) if tree is not None else []:
        if keys[i] != keys[j] or not keys[i]:
            continue
        same_point = np.hypot(*(xy[i] - xy[j])) < 1.0
        if src[i] == src[j] and not same_point:
            continue
        pairs.append((float(np.hypot(*(xy[i] - xy[j]))), i, j))
    for _, i, j in sorted(pairs):
        if partner[i] < 0 and partner[j] < 0:
            partner[i], partner[j] = j, i
    rows, geoms, done = [], [], set()
    for i in range(len(pts)):
        if i in done:
            continue
        j = partner[i]
        if j < 0:
            rows.append(pts.iloc[i].drop(labels="geometry").to_dict())
            geoms.append(pts.geometry.iloc[i])
            done.add(i)
            continue
        a, b = pts.iloc[i], pts.iloc[j]
        ua, ub = float(a["position_uncertainty_m"]), float(b["position_uncertainty_m"])
        best = b if (ub < ua or (ub == ua and b["source"] == "osm")) else a
        named = a if a["source"] == "geonames" else b
        sources = sorted({str(a["source"]), str(b["source"])})
        rows.append({
            "name": named["name"],
            "source": "+".join(sources),
            "source_id": ";".join(sorted([str(a["source_id"]), str(b["source_id"])])),
            "kind": named["kind"],
            "position_uncertainty_m": min(ua, ub),
        })
        geoms.append(best.geometry)
        done.update((i, j))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=pts.crs)


def assign_communes(points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``commune_code``, ``commune`` (the polygon each point lies in; ``""`` outside all)
    and ``in_province``."""
    pts = points.to_crs(WGS84).reset_index(drop=True)
    c = communes.to_crs(WGS84)[["code", "name", communes.geometry.name]]
    joined = gpd.sjoin(pts[[pts.geometry.name]], c, how="left", predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")]
    out = pts.copy()
    out["commune_code"] = joined["code"].fillna("").astype(str).reindex(out.index).to_numpy()
    out["commune"] = joined["name"].fillna("").astype(str).reindex(out.index).to_numpy()
    out["in_province"] = out["commune_code"] != ""
    return out


# ---------------------------------------------------------------------- clusters
def _grid_xy(grid, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = grid.from_lonlat(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])


def _cells_without_point(grid, cells: np.ndarray, cell_cid: np.ndarray, vxy: np.ndarray,
                         vcid: np.ndarray, max_m: float) -> np.ndarray:
    """Which of ``cells`` (flat indices) have no village of their commune within ``max_m``."""
    from analysis.gaps import cell_xy

    x, y = cell_xy(grid, cells)
    alone = np.ones(cells.size, dtype=bool)
    for c in np.unique(cell_cid):
        vi = np.flatnonzero(vcid == c)
        if vi.size == 0:
            continue
        sel = np.flatnonzero(cell_cid == c)
        d, _ = cKDTree(vxy[vi]).query(np.column_stack([x[sel], y[sel]]))
        alone[sel] = d > max_m + 1e-3
    return alone


def _cluster_centres(grid, flat: np.ndarray, people: np.ndarray, max_m: float,
                     min_people: float) -> list[tuple[int, float]]:
    """Centres (flat index, people within ``max_m``) covering one cluster's cells.

    The first centre is the cell nearest the people-weighted centroid; cells farther than
    ``max_m`` from it seed further centres (while they hold ≥ ``min_people``), so that no
    elongated cluster leaves its ends scattered.
    """
    from analysis.gaps import cell_xy

    x, y = cell_xy(grid, flat)
    left = np.ones(flat.size, dtype=bool)
    out: list[tuple[int, float]] = []
    first = True
    while left.any():
        w = people[left]
        if not first and w.sum() < min_people:
            break
        cx, cy = np.average(x[left], weights=w), np.average(y[left], weights=w)
        idx = np.flatnonzero(left)
        d2 = (x[idx] - cx) ** 2 + (y[idx] - cy) ** 2
        c = idx[np.lexsort((flat[idx], d2))[0]]
        near = left & ((x - x[c]) ** 2 + (y - y[c]) ** 2 <= max_m**2)
        out.append((int(flat[c]), float(people[near].sum())))
        left &= ~near
        first = False
    return out


def settlement_clusters(
    grid,
    population: np.ndarray,
    commune_id: np.ndarray,
    communes: pd.DataFrame,
    villages: gpd.GeoDataFrame | None = None,
    *,
    min_density_per_km2: float = 50.0,
    eps_km: float = 1.0,
    min_people: float = 50.0,
    max_m: float = ASSIGN_MAX_M,
) -> gpd.GeoDataFrame:
    """Modelled settlement clusters where populated land has no village point.

    Parameters
    ----------
    grid : geo.grid.Grid
        Metric grid of ``population`` and ``commune_id``.
    population : float array
        People per cell.
    commune_id : int array
        Row of ``communes`` per cell (-1 outside).
    communes : DataFrame
        ``code`` and ``name`` per row.
    villages : GeoDataFrame, optional
        Existing points (EPSG:4326) with ``commune_code``; cells of a commune within ``max_m``
        of one of its points are not clustered.
    min_density_per_km2, eps_km, min_people : float
        The gaps' populated floor and DBSCAN settings (:class:`analysis.config.GapConfig`), so
        that a cluster is what a gap would be if nobody had signal.
    max_m : float
        :data:`ASSIGN_MAX_M`.

    Returns
    -------
    GeoDataFrame (EPSG:4326), one row per cluster: ``name`` (:data:`CLUSTER_NAME`), ``commune``,
    ``commune_code``, ``source = "cluster"``, ``source_id = "cluster:<code>-<k>"``,
    ``kind = "cluster"``, ``position_uncertainty_m = 0``, ``modelled = True``,
    ``in_province = True``, ``people_cluster`` (people within ``max_m`` of its centre when made).
    A populated commune that would otherwise have no village at all gets one cluster at the
    centre of its populated cells, whatever their density.
    """
    from analysis.config import GapConfig
    from analysis.gaps import cell_xy, cluster_gap_cells

    pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
    cid = np.asarray(commune_id)
    codes = communes["code"].astype(str).to_numpy()
    names = communes["name"].astype(str).to_numpy()
    code_to_row = {c: i for i, c in enumerate(codes)}
    if villages is not None and len(villages):
        v = villages.to_crs(WGS84)
        vxy = _grid_xy(grid, v.geometry.x.to_numpy(), v.geometry.y.to_numpy())
        vcid = np.array([code_to_row.get(str(c), -1) for c in v["commune_code"]], dtype=np.int64)
    else:
        vxy, vcid = np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    floor = min_density_per_km2 * grid.cell_area_m2 / 1e6
    populated = (pop > 0) & (pop >= floor) & (cid >= 0)
    cells = np.flatnonzero(populated)
    alone = _cells_without_point(grid, cells, cid.ravel()[cells], vxy, vcid, max_m)
    mask = np.zeros(pop.shape, dtype=bool)
    mask.ravel()[cells[alone]] = True
    cfg = GapConfig(min_density_per_km2=min_density_per_km2, eps_km=eps_km, min_people=min_people)
    labels = cluster_gap_cells(mask, pop, grid, cfg).ravel()
    found: list[tuple[int, int, float]] = []  # (commune row, centre flat, people)
    lab_flat = np.flatnonzero(labels >= 0)
    for lab in np.unique(labels[lab_flat]):
        members = lab_flat[labels[lab_flat] == lab]
        for c in np.unique(cid.ravel()[members]):
            part = members[cid.ravel()[members] == c]
            people = pop.ravel()[part]
            if people.sum() < min_people:
                continue
            for centre, p in _cluster_centres(grid, part, people, max_m, min_people):
                found.append((int(c), centre, p))
    have = set(vcid[vcid >= 0].tolist()) | {c for c, _, _ in found}
    for c in range(len(codes)):  # every populated commune gets at least one village
        if c in have:
            continue
        part = np.flatnonzero((cid.ravel() == c) & (pop.ravel() > 0))
        if part.size == 0:
            continue
        centre, p = _cluster_centres(grid, part, pop.ravel()[part], max_m, 0.0)[0]
        found.append((c, centre, p))
    found.sort(key=lambda t: (t[0], -t[2], t[1]))
    rows, xs, ys, k_of = [], [], [], {}
    for c, centre, p in found:
        k = k_of[c] = k_of.get(c, 0) + 1
        x, y = cell_xy(grid, np.array([centre]))
        xs.append(float(x[0]))
        ys.append(float(y[0]))
        rows.append({
            "name": CLUSTER_NAME.format(k=k, commune=names[c]),
            "commune": names[c], "commune_code": codes[c], "source": "cluster",
            "source_id": f"cluster:{codes[c]}-{k}", "kind": "cluster",
            "position_uncertainty_m": 0.0, "modelled": True, "in_province": True,
            "people_cluster": round(p, 1),
        })
    lon, lat = grid.to_lonlat(np.asarray(xs), np.asarray(ys)) if rows else ([], [])
    return gpd.GeoDataFrame(
        rows, geometry=gpd.points_from_xy(np.asarray(lon), np.asarray(lat)), crs=WGS84,
    ) if rows else gpd.GeoDataFrame(
        {c: [] for c in ("name", "commune", "commune_code", "source", "source_id", "kind",
                         "position_uncertainty_m", "modelled", "in_province", "people_cluster")},
        geometry=[], crs=WGS84)


# ------------------------------------------------------------------------ people
@dataclass
class VillagePeople:
    """People of each village and where they live on the grid.

    Attributes
    ----------
    cell_village : int32 array on the grid
        Row of the village each cell's people belong to; -1 for scattered people and for cells
        outside every commune or without people.
    people : float64 array
        People per village (row order of the villages given).
    scattered : float64 array
        Scattered people per commune (row order of ``communes``).
    commune_total : float64 array
        People per commune; ``bincount(villages' commune, people) + scattered == commune_total``.
    """

    cell_village: np.ndarray
    people: np.ndarray
    scattered: np.ndarray
    commune_total: np.ndarray


def assign_people(
    grid, population: np.ndarray, commune_id: np.ndarray, villages: gpd.GeoDataFrame,
    communes: pd.DataFrame, max_m: float = ASSIGN_MAX_M,
) -> VillagePeople:
    """Each populated cell's people → the nearest village of the same commune within ``max_m``.

    Distances are from cell centres to village points in the grid CRS; ties go to the lower
    village row (scipy's KD-tree is deterministic). Villages outside the province (``commune_code``
    not among ``communes``) get no one.
    """
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0).ravel()
    cid = np.asarray(commune_id).ravel()
    nc = len(communes)
    codes = communes["code"].astype(str).to_numpy()
    code_to_row = {c: i for i, c in enumerate(codes)}
    v = villages.to_crs(WGS84)
    vxy = _grid_xy(grid, v.geometry.x.to_numpy(), v.geometry.y.to_numpy()) if len(v) else np.zeros((0, 2))
    vcid = np.array([code_to_row.get(str(c), -1) for c in v["commune_code"]], dtype=np.int64) \
        if len(v) else np.zeros(0, dtype=np.int64)
    cell_village = np.full(pop.size, -1, dtype=np.int32)
    cells = np.flatnonzero((pop > 0) & (cid >= 0))
    from analysis.gaps import cell_xy

    x, y = cell_xy(grid, cells)
    ccid = cid[cells]
    for c in np.unique(ccid):
        vi = np.flatnonzero(vcid == c)
        if vi.size == 0:
            continue
        sel = np.flatnonzero(ccid == c)
        # cKDTree bounds strictly (<): +1 mm makes "within max_m" inclusive
        d, j = cKDTree(vxy[vi]).query(np.column_stack([x[sel], y[sel]]),
                                      distance_upper_bound=max_m + 1e-3)
        ok = np.isfinite(d)
        cell_village[cells[sel[ok]]] = vi[j[ok]]
    inside = cid >= 0
    total = np.bincount(cid[inside], weights=pop[inside], minlength=nc)
    has = cell_village >= 0
    people = np.bincount(cell_village[has], weights=pop[has], minlength=len(v))
    loose = inside & ~has
    scattered = np.bincount(cid[loose], weights=pop[loose], minlength=nc)
    return VillagePeople(cell_village=cell_village.reshape(np.shape(population)), people=people,
                         scattered=scattered, commune_total=total)


# --------------------------------------------------------------- normalised layer
def normalize_villages(gdf: gpd.GeoDataFrame, source: str = "user") -> gpd.GeoDataFrame:
    """Any village table (the embedded layer, a reader's ``PointSet.gdf``, a hand-made frame)
    with every column of :data:`VILLAGE_COLUMNS` (EPSG:4326).

    Missing columns get their neutral value (``people_stated`` NaN, ``power`` None, ``source``
    ``source``, ``position_uncertainty_m`` 0, ``modelled`` False); a ``people`` column from a
    user list becomes ``people_stated`` (the people the analysis counts are WorldPop's).
    ``village_id`` defaults to ``V0001…``.
    """
    if gdf.crs is None:
        msg = "The village layer has no CRS; set it (EPSG:4326 for lon/lat)."
        raise ValueError(msg)
    out = gdf.to_crs(WGS84).reset_index(drop=True).copy()
    if "people_stated" not in out and "people" in out:
        out["people_stated"] = pd.to_numeric(out["people"], errors="coerce")
    n = len(out)
    defaults = {
        "village_id": [f"V{i + 1:04d}" for i in range(n)],
        "name": [""] * n, "commune": [""] * n, "commune_code": [""] * n,
        "people_stated": np.full(n, np.nan), "power": [None] * n, "source": [source] * n,
        "source_id": [""] * n, "kind": [""] * n, "position_uncertainty_m": np.zeros(n),
        "modelled": np.zeros(n, dtype=bool), "in_province": np.ones(n, dtype=bool),
        "source_row": np.full(n, -1, dtype=np.int64),
    }
    for col, val in defaults.items():
        if col not in out:
            out[col] = val
    out["village_id"] = out["village_id"].astype(str)
    out["commune_code"] = out["commune_code"].fillna("").astype(str)
    out["position_uncertainty_m"] = pd.to_numeric(
        out["position_uncertainty_m"], errors="coerce").fillna(0.0)
    out["modelled"] = out["modelled"].fillna(False).astype(bool)
    keep = [*VILLAGE_COLUMNS, *[c for c in out.columns if c not in VILLAGE_COLUMNS
                                 and c != out.geometry.name and c != "people"]]
    return gpd.GeoDataFrame(out[keep], geometry=out.geometry, crs=WGS84)
