"""The modelled reference network: where 5G sites would plausibly stand.

No public list of Quảng Trị's base stations exists (no operator data, nothing usable in
OpenCelliD or OpenStreetMap), so the default station set is *modelled*, deterministically,
from real inputs:

1. the province's published count of 5G sites (527);
2. one site at each commune People's Committee seat (fibre reaches every commune centre,
   and 5G follows fibre);
3. the remaining sites shared among communes in proportion to their WorldPop population
   (largest-remainder apportionment, Hamilton's method);
4. inside each commune, placed by population-weighted k-means over its populated WorldPop
   cells (scikit-learn ``KMeans`` with ``sample_weight``, fixed seed), each centre snapped
   to the nearest populated point of its cluster so every site lies inside its commune;
5. each site carries a 5G NR n78 (3500 MHz) row and a co-located LTE 1800 MHz anchor row
   (5G non-standalone needs one), heights and EIRP from :mod:`geo.radio_defaults`.

Every value is flagged ``assumed``, every row ``modelled=True``, and the ``note`` column
says: *modelled reference network — upload your station list for real results*. No
stand-alone 2G/3G/4G sites are modelled, so "any technology" gaps computed on this set
are an upper bound.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import Transformer

from geo.constants import ANALYSIS_CRS
from geo.radio_defaults import defaults_for
from geo.stations import MODELLED_NOTE, STATION_COLUMNS

__all__ = [
    "N_SITES_5G",
    "ASSUMED_FIELDS",
    "largest_remainder",
    "model_default_network",
]

N_SITES_5G = 527  # 5G sites published for the province
METRIC_CRS = ANALYSIS_CRS  # geo.constants
NR_BAND_MHZ = 3500.0  # n78
ANCHOR_BAND_MHZ = 1800.0  # LTE B3 anchor for NSA
MODELLED_OPERATOR = "modelled"
ASSUMED_FIELDS = "position,operator,band_mhz,height_m,eirp_dbm,azimuth_deg,tilt_deg"
KMEANS_N_INIT = 4


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Apportion ``total`` whole units in proportion to ``weights`` (Hamilton's method).

    Each share gets ``floor(total·w/Σw)``; the units left go to the largest fractional
    remainders (ties to the earlier index). All-zero weights get nothing.

    Examples
    --------
    >>> largest_remainder(np.array([5.0, 3.0, 2.0]), 7).tolist()
    [4, 2, 1]
    """
    w = np.clip(np.asarray(weights, dtype=float), 0.0, None)
    w = np.where(np.isfinite(w), w, 0.0)
    out = np.zeros(len(w), dtype=np.int64)
    if total <= 0 or w.sum() <= 0:
        return out
    quota = w / w.sum() * total
    out = np.floor(quota).astype(np.int64)
    left = int(total - out.sum())
    if left > 0:
        frac = quota - out
        order = np.lexsort((np.arange(len(w)), -frac))  # largest remainder, then index
        out[order[:left]] += 1
    return out


def _cell_points(counts: np.ndarray, transform: Affine, crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metric (EPSG:32648) centres and counts of the populated raster cells."""
    counts = np.asarray(counts, dtype=float)
    rows, cols = np.nonzero(np.isfinite(counts) & (counts > 0))
    w = counts[rows, cols]
    cc, rr = cols + 0.5, rows + 0.5
    xs = transform.c + transform.a * cc + transform.b * rr
    ys = transform.f + transform.d * cc + transform.e * rr
    tr = Transformer.from_crs(crs, METRIC_CRS, always_xy=True)
    mx, my = tr.transform(np.asarray(xs, float), np.asarray(ys, float))
    return np.asarray(mx), np.asarray(my), w


def _candidates(poly, px, py, pw, k: int, cell_m: float, rng: np.random.Generator):
    """At least ``k`` weighted points inside ``poly`` (metric): populated cell centres,
    subdivided when too few, random points inside as a last resort."""
    if len(px) >= k:
        return px, py, pw
    if len(px) > 0:
        s = int(math.ceil(math.sqrt(k / len(px)))) + 1
        offs = (np.arange(s) + 0.5) / s - 0.5
        ox, oy = np.meshgrid(offs * cell_m, offs * cell_m)
        sx = (px[:, None] + ox.ravel()[None, :]).ravel()
        sy = (py[:, None] + oy.ravel()[None, :]).ravel()
        sw = np.repeat(pw / (s * s), s * s)
        inside = shapely.contains_xy(poly, sx, sy)
        if inside.sum() >= k:
            return sx[inside], sy[inside], sw[inside]
    minx, miny, maxx, maxy = poly.bounds
    xs, ys = [], []
    for _ in range(200):
        rx = rng.uniform(minx, maxx, 4 * k + 16)
        ry = rng.uniform(miny, maxy, 4 * k + 16)
        keep = shapely.contains_xy(poly, rx, ry)
        xs.extend(rx[keep])
        ys.extend(ry[keep])
        if len(xs) >= k:
            break
    if len(xs) < k:
        msg = f"Cannot place {k} modelled sites inside a commune polygon (too small or empty)."
        raise ValueError(msg)
    return np.array(xs), np.array(ys), np.ones(len(xs))


def _kmeans_sites(px, py, pw, k: int, seed: int) -> list[tuple[float, float]]:
    from sklearn.cluster import KMeans

    pts = np.column_stack([px, py])
    if k == len(pts):
        return [tuple(p) for p in pts]
    km = KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=seed)
    labels = km.fit(pts, sample_weight=pw).labels_
    out = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if members.size == 0:  # cannot happen with k ≤ distinct points, kept for safety
            continue
        centre = km.cluster_centers_[c]
        d2 = ((pts[members] - centre) ** 2).sum(axis=1)
        out.append(tuple(pts[members[int(np.argmin(d2))]]))
    return out


def model_default_network(
    communes: gpd.GeoDataFrame,
    seats: gpd.GeoDataFrame,
    worldpop_counts: np.ndarray,
    worldpop_transform: Affine,
    worldpop_crs="EPSG:4326",
    n_sites: int = N_SITES_5G,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """Model the reference 5G network (see the module notes for the method).

    Parameters
    ----------
    communes : GeoDataFrame
        Commune polygons with a ``code`` column (any CRS; EPSG:4326 assumed if none).
    seats : GeoDataFrame
        One point per commune with the matching ``code``: the commune seat.
    worldpop_counts : 2-D array
        People per cell; non-finite and ≤ 0 cells are unpopulated (nodata).
    worldpop_transform : affine.Affine
        Raster transform of ``worldpop_counts``.
    worldpop_crs : str
        CRS of the raster (default EPSG:4326).
    n_sites : int
        Total sites (default 527); at least the number of communes.
    seed : int
        Random state of k-means (deterministic output for a given seed).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, two rows per site (5G n78 + LTE 1800 anchor, same ``site_id``), with
        :data:`geo.stations.STATION_COLUMNS` plus ``commune_code``, ``placement``
        (``seat`` / ``population k-means``) and ``note``.
    """
    if communes.crs is None:
        communes = communes.set_crs("EPSG:4326")
    if seats.crs is None:
        seats = seats.set_crs("EPSG:4326")
    com = communes.assign(code=communes["code"].astype(str)).sort_values("code").reset_index(drop=True)
    n_com = len(com)
    if n_sites < n_com:
        msg = f"n_sites={n_sites} is fewer than the {n_com} communes (one site per commune seat)."
        raise ValueError(msg)
    com_m = com.to_crs(METRIC_CRS)
    seat_m = seats.assign(code=seats["code"].astype(str)).to_crs(METRIC_CRS).drop_duplicates("code")
    seat_by_code = dict(zip(seat_m["code"], seat_m.geometry, strict=True))

    px, py, pw = _cell_points(worldpop_counts, worldpop_transform, worldpop_crs)
    tr_cell = Transformer.from_crs(worldpop_crs, METRIC_CRS, always_xy=True)
    x0, y0 = tr_cell.transform(worldpop_transform.c, worldpop_transform.f)
    x1, y1 = tr_cell.transform(worldpop_transform.c + worldpop_transform.a,
                               worldpop_transform.f + worldpop_transform.e)
    cell_m = max(abs(x1 - x0), abs(y1 - y0), 1.0)

    members, pops = [], np.zeros(n_com)
    for i, poly in enumerate(com_m.geometry):
        shapely.prepare(poly)
        m = shapely.contains_xy(poly, px, py) if len(px) else np.zeros(0, bool)
        members.append(np.flatnonzero(m))
        pops[i] = pw[m].sum() if len(px) else 0.0
    extra = largest_remainder(pops, n_sites - n_com)

    rng = np.random.default_rng(seed)
    sites: list[tuple[str, str, float, float]] = []  # (code, placement, x, y)
    for i, row in com_m.iterrows():
        poly = row.geometry
        seat = seat_by_code.get(row["code"])
        if seat is None or seat.is_empty or not poly.contains(seat):
            seat = poly.representative_point()
            placement = "seat (not given or outside the commune: representative point)"
        else:
            placement = "seat"
        sites.append((row["code"], placement, seat.x, seat.y))
        k = int(extra[i])
        if k == 0:
            continue
        idx = members[i]
        cx, cy, cw = _candidates(poly, px[idx], py[idx], pw[idx], k, cell_m, rng)
        for x, y in _kmeans_sites(cx, cy, cw, k, seed):
            sites.append((row["code"], "population k-means", x, y))

    to_wgs = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    sx = np.array([s[2] for s in sites])
    sy = np.array([s[3] for s in sites])
    lon, lat = to_wgs.transform(sx, sy)
    nr, lte = defaults_for("5G", NR_BAND_MHZ), defaults_for("4G", ANCHOR_BAND_MHZ)
    records = []
    counters: dict[str, int] = {}
    for n, (code, placement, _, _) in enumerate(sites):
        counters[code] = counters.get(code, 0) + 1
        site_id = f"M{code}-{counters[code]:02d}"
        for d, suffix in ((nr, "5G"), (lte, "4G")):
            records.append({
                "station_id": f"{site_id}-{suffix}",
                "site_id": site_id,
                "operator": MODELLED_OPERATOR,
                "technology": d.technology,
                "band_mhz": float(d.band_mhz),
                "height_m": float(d.height_m),
                "eirp_dbm": float(d.eirp_dbm),
                "azimuth_deg": float("nan"),
                "tilt_deg": 0.0,
                "source_row": n + 1,
                "assumed": ASSUMED_FIELDS,
                "modelled": True,
                "commune_code": code,
                "placement": placement,
                "note": MODELLED_NOTE,
                "lon": float(lon[n]),
                "lat": float(lat[n]),
            })
    df = pd.DataFrame.from_records(records)
    geom = gpd.points_from_xy(df.pop("lon"), df.pop("lat"), crs="EPSG:4326")
    cols = list(STATION_COLUMNS) + ["commune_code", "placement", "note"]
    return gpd.GeoDataFrame(df[cols], geometry=geom, crs="EPSG:4326")
