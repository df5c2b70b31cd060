"""The modelled reference network: masts and operators rebuilt from the published facts.

No public list of Quảng Trị's base stations exists (no operator data, nothing usable in
OpenCelliD or OpenStreetMap), so the default station set is **modelled**, deterministically,
from published counts (:data:`PUBLISHED`) and real inputs (communes, seats, settlements,
national roads, WorldPop). Nothing is tuned commune by commune.

1. **How many masts.** Former Quảng Bình: the published 1,491 antenna masts (Sở TT&TT Quảng
   Bình, 31/08/2024). Former Quảng Trị publishes no count; it gets Quảng Bình's density
   applied half by people and half by land (:func:`mast_quota`):
   :math:`N_{QT} = N_{QB} \\cdot \\tfrac12 (P_{QT}/P_{QB} + A_{QT}/A_{QB})`, with WorldPop
   2020 people and drawn areas of the communes of each former province (national commune
   codes below :data:`FIRST_QUANG_TRI_CODE` were Quảng Bình's).
2. **Where, in tiers** (:func:`place_masts`), each former province filled up to its count:
   (a) one mast at each commune People's Committee seat; (b) one at each settlement point
   (OSM 2017 city/town/village, GeoNames) farther than :data:`SETTLEMENT_SPACING_M` from a
   mast; (c) along national roads (not the railway) every :data:`ROAD_SPACING_M` where no
   mast is within half that; (d) the rest by greedy maximum coverage of populated land:
   the populated WorldPop cell with the most people farther than :data:`FILL_RADIUS_M`
   from every mast gets the next mast; when every populated cell is within the radius, the
   radius halves (densification where people are).
3. **Operators** (:data:`OPERATOR_SHARES`, modelled, not published for the province):
   seat masts are shared by all three operators (one ``mast_id``, three stations); every
   other mast goes to one operator in placement order by largest deficit against the
   shares (so each operator gets its share of every tier).
4. **Technologies.** 4G on every operator's station: LTE 1800 MHz on seat and settlement
   masts and in wards, LTE 900 MHz on road and fill masts (range). 5G on 527 stations
   (the province's published count), split among operators by the same shares
   (largest remainder) and given to each operator's stations with the most WorldPop people
   within :data:`NR_DEMAND_RADIUS_M`; at each operator's licensed band
   (:data:`NR_BAND_MHZ`: Viettel n41 2500–2600, VNPT 3700–3800, MobiFone 3800–3900 MHz).
   No 2G (switched off on 16/09/2024) and no 3G are modelled, so "any technology" gaps on
   this set are an upper bound.

Heights and EIRP come from :mod:`geo.radio_defaults` and are flagged ``assumed``; every row
has ``modelled=True`` and the ``note``: *modelled reference network — upload your station
list for real results*. :func:`published_comparison` sets the result beside the published
figures (``python -m geo.default_network`` prints it for the embedded set).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import Transformer
from scipy import sparse
from scipy.spatial import cKDTree

from geo.constants import ANALYSIS_CRS
from geo.radio_defaults import defaults_for
from geo.stations import MODELLED_NOTE, STATION_COLUMNS

__all__ = [
    "N_SITES_5G",
    "PUBLISHED",
    "PublishedFacts",
    "OPERATORS",
    "OPERATOR_SHARES",
    "NR_BAND_MHZ",
    "ASSUMED_FIELDS",
    "FIRST_QUANG_TRI_CODE",
    "former_province",
    "largest_remainder",
    "mast_quota",
    "place_masts",
    "assign_operators",
    "model_default_network",
    "published_comparison",
    "coverage_comparison",
]


@dataclass(frozen=True)
class PublishedFacts:
    """Published figures the modelled network is built from (inputs, not tuning targets).

    Attributes
    ----------
    masts_quang_binh : int
        Antenna masts in former Quảng Bình (Sở TT&TT Quảng Bình, 31/08/2024).
    base_stations_quang_binh : int
        Base stations on them, 2G/3G/4G/5G counted separately, before the 2G switch-off.
    sites_5g : int
        5G stations in the merged province (provincial digital-transformation committee, 2026).
    base_stations_vinh_linh : int
        Base stations in former Vĩnh Linh district (4G/5G to 100 % of households).
    national_4g_population_share : float
        National 4G population coverage (9/2024).
    """

    masts_quang_binh: int = 1491
    base_stations_quang_binh: int = 3560
    sites_5g: int = 527
    base_stations_vinh_linh: int = 211
    national_4g_population_share: float = 0.998


PUBLISHED = PublishedFacts()
N_SITES_5G = PUBLISHED.sites_5g
METRIC_CRS = ANALYSIS_CRS  # geo.constants
#: National commune codes from this one on were former Quảng Trị's (Đông Hà = 19333).
FIRST_QUANG_TRI_CODE = 19333
QUANG_BINH, QUANG_TRI = "Quảng Bình", "Quảng Trị"
#: Former Vĩnh Linh district: its new communes (codes 19363–19414).
VINH_LINH_CODES = ("19363", "19366", "19372", "19405", "19414")
OPERATORS = ("Viettel", "VNPT", "MobiFone")
#: Modelled share of masts (and of 5G stations) per operator — an assumption in the order
#: of the operators' national market shares, not a published provincial figure.
OPERATOR_SHARES = {"Viettel": 0.5, "VNPT": 0.3, "MobiFone": 0.2}
OPERATOR_CODE = {"Viettel": "VT", "VNPT": "VNP", "MobiFone": "MB"}
#: 5G NR band centre per operator (MHz): Viettel n41 2500–2600, VNPT 3700–3800,
#: MobiFone 3800–3900 (the 2024 spectrum auctions).
NR_BAND_MHZ = {"Viettel": 2550.0, "VNPT": 3750.0, "MobiFone": 3850.0}
LTE_CAPACITY_MHZ = 1800.0  # B3 on seat / settlement / ward masts
LTE_COVERAGE_MHZ = 900.0  # B8 on road and fill masts
SETTLEMENT_SPACING_M = 1_000.0
ROAD_SPACING_M = 5_000.0
FILL_RADIUS_M = 3_000.0
MIN_FILL_RADIUS_M = 50.0
NR_DEMAND_RADIUS_M = 2_000.0
SETTLEMENT_RANK = {"city": 0, "town": 1, "PPLA": 1, "PPLA2": 1, "village": 2, "PPL": 2}
TIERS = ("seat", "settlement", "road", "fill")
ASSUMED_FIELDS = "position,operator,band_mhz,height_m,eirp_dbm,azimuth_deg,tilt_deg"


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


def former_province(codes) -> np.ndarray:
    """``'Quảng Bình'`` or ``'Quảng Trị'`` for each national commune code (before 7/2025)."""
    num = pd.to_numeric(pd.Series(list(codes), dtype=object).astype(str), errors="coerce").to_numpy()
    return np.where(num < FIRST_QUANG_TRI_CODE, QUANG_BINH, QUANG_TRI)


def mast_quota(people: dict[str, float], area_km2: dict[str, float],
               masts_quang_binh: int = PUBLISHED.masts_quang_binh) -> dict[str, int]:
    """Masts per former province: Quảng Bình's published count; Quảng Trị's derived.

    .. math:: N_{QT} = N_{QB} \\cdot \\tfrac12 \\left(\\frac{P_{QT}}{P_{QB}} +
              \\frac{A_{QT}}{A_{QB}}\\right)

    Examples
    --------
    >>> mast_quota({"Quảng Bình": 800.0, "Quảng Trị": 600.0},
    ...            {"Quảng Bình": 8000.0, "Quảng Trị": 4000.0}, 1000)
    {'Quảng Bình': 1000, 'Quảng Trị': 625}
    """
    ratio = 0.5 * (people[QUANG_TRI] / people[QUANG_BINH] + area_km2[QUANG_TRI] / area_km2[QUANG_BINH])
    return {QUANG_BINH: int(masts_quang_binh), QUANG_TRI: int(round(masts_quang_binh * ratio))}


# ------------------------------------------------------------------------- placement
def _cell_points(counts: np.ndarray, transform: Affine, crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metric (EPSG:32648) centres and counts of the populated raster cells (row-major)."""
    counts = np.asarray(counts, dtype=float)
    rows, cols = np.nonzero(np.isfinite(counts) & (counts > 0))
    w = counts[rows, cols]
    cc, rr = cols + 0.5, rows + 0.5
    xs = transform.c + transform.a * cc + transform.b * rr
    ys = transform.f + transform.d * cc + transform.e * rr
    tr = Transformer.from_crs(crs, METRIC_CRS, always_xy=True)
    mx, my = tr.transform(np.asarray(xs, float), np.asarray(ys, float))
    return np.asarray(mx), np.asarray(my), w


def _commune_of(com_m: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row of ``com_m`` containing each point (-1 outside every commune)."""
    out = np.full(len(x), -1, dtype=np.int64)
    for i, poly in enumerate(com_m.geometry):
        shapely.prepare(poly)
        hit = shapely.contains_xy(poly, x, y) & (out < 0)
        out[hit] = i
    return out


def _far_from(x: float, y: float, mx: list[float], my: list[float], d_m: float) -> bool:
    if not mx:
        return True
    return bool(np.min(np.hypot(np.asarray(mx) - x, np.asarray(my) - y)) >= d_m)


def _settlement_points(places: gpd.GeoDataFrame | None) -> list[tuple[float, float, str]]:
    """(x, y, label) of settlement points, largest first (city, town, village; then name)."""
    if places is None or len(places) == 0:
        return []
    p = places.to_crs(METRIC_CRS)
    p = p[p.geom_type == "Point"]
    kind = p["place"] if "place" in p else p.get("feature_code", pd.Series("", index=p.index))
    rank = kind.astype(str).map(SETTLEMENT_RANK).fillna(3).to_numpy()
    names = p["name"].astype(str).to_numpy() if "name" in p else np.array([""] * len(p))
    order = np.lexsort((p.geometry.y.to_numpy(), p.geometry.x.to_numpy(), names, rank))
    return [(float(p.geometry.x.iloc[i]), float(p.geometry.y.iloc[i]), str(names[i])) for i in order]


def _road_points(roads: gpd.GeoDataFrame | None, spacing_m: float) -> list[tuple[float, float]]:
    """Points every ``spacing_m`` along the national roads (railway lines left out)."""
    if roads is None or len(roads) == 0:
        return []
    r = roads.to_crs(METRIC_CRS)
    if "loai_duong" in r:
        r = r[~r["loai_duong"].astype(str).str.contains("sắt", case=False)]
    out: list[tuple[float, float]] = []
    for geom in r.geometry:
        for line in getattr(geom, "geoms", [geom]):
            if line.is_empty or line.length <= 0:
                continue
            for d in np.arange(spacing_m / 2, line.length, spacing_m):
                pt = line.interpolate(float(d))
                out.append((pt.x, pt.y))
    return out


def _neighbours(cx: np.ndarray, cy: np.ndarray, radius_m: float) -> sparse.csr_matrix:
    """Cells × cells, 1 where two cell centres are within ``radius_m`` (self included)."""
    tree = cKDTree(np.column_stack([cx, cy]))
    lists = tree.query_ball_point(np.column_stack([cx, cy]), radius_m)
    rows = np.repeat(np.arange(len(cx)), [len(v) for v in lists])
    cols = np.concatenate([np.asarray(v, dtype=np.int64) for v in lists]) if len(lists) else np.zeros(0, int)
    return sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(cx), len(cx)))


def _fill_masts(cx, cy, cw, mx, my, n: int, radius_m: float = FILL_RADIUS_M) -> list[int]:
    """Greedy maximum coverage of people: ``n`` cell indices, next = most people farther
    than ``radius_m`` from every mast; the radius halves when none is left uncovered."""
    picks: list[int] = []
    if n <= 0 or len(cx) == 0:
        return picks
    r = radius_m
    have = np.column_stack([mx, my]) if len(mx) else np.zeros((0, 2))
    while len(picks) < n and r >= MIN_FILL_RADIUS_M:
        a = _neighbours(cx, cy, r)
        unc = cw.astype(float).copy()
        if len(have):
            d, _ = cKDTree(have).query(np.column_stack([cx, cy]))
            unc[d <= r] = 0.0
        while len(picks) < n:
            gain = a @ unc
            j = int(np.argmax(gain))  # ties: the first cell (row-major)
            if gain[j] <= 0:
                break
            picks.append(j)
            unc[a.indices[a.indptr[j]:a.indptr[j + 1]]] = 0.0
            have = np.vstack([have, [cx[j], cy[j]]])
        r /= 2.0
    return picks


def place_masts(
    communes: gpd.GeoDataFrame, seats: gpd.GeoDataFrame, cells: tuple[np.ndarray, np.ndarray, np.ndarray],
    quota: dict[str, int], places: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Mast positions by tier (seat, settlement, road, fill) up to each province's quota.

    Parameters
    ----------
    communes : GeoDataFrame
        Commune polygons with ``code`` (sorted by code inside).
    seats : GeoDataFrame
        One point per commune with the matching ``code``.
    cells : (x, y, people)
        Populated WorldPop cell centres (EPSG:32648 metres) and their people.
    quota : dict
        Masts per former province (:func:`mast_quota`).
    places, roads : GeoDataFrame, optional
        Settlement points and national roads.

    Returns
    -------
    DataFrame ``x, y`` (EPSG:32648), ``commune_code, former_province, placement, name``,
    in placement order.
    """
    com_m = communes.to_crs(METRIC_CRS).reset_index(drop=True)
    codes = com_m["code"].astype(str).to_numpy()
    prov_of = former_province(codes)
    seat_m = seats.assign(code=seats["code"].astype(str)).to_crs(METRIC_CRS).drop_duplicates("code")
    seat_by_code = dict(zip(seat_m["code"], seat_m.geometry, strict=True))
    rows: list[tuple[float, float, int, str, str]] = []
    count = dict.fromkeys(quota, 0)

    def add(x: float, y: float, ci: int, tier: str, name: str = "") -> None:
        rows.append((x, y, ci, tier, name))
        count[prov_of[ci]] += 1

    for ci, poly in enumerate(com_m.geometry):
        seat = seat_by_code.get(codes[ci])
        if seat is None or seat.is_empty or not poly.contains(seat):
            seat = poly.representative_point()
            tier = "seat (not given or outside the commune: representative point)"
        else:
            tier = "seat"
        add(seat.x, seat.y, ci, tier)
    mx, my = [r[0] for r in rows], [r[1] for r in rows]
    for tier, pts, spacing in (
        ("settlement", _settlement_points(places), SETTLEMENT_SPACING_M),
        ("road", [(x, y, "") for x, y in _road_points(roads, ROAD_SPACING_M)], ROAD_SPACING_M / 2),
    ):
        if not pts:
            continue
        ci_all = _commune_of(com_m, np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
        for (x, y, name), ci in zip(pts, ci_all, strict=True):
            if ci < 0 or count[prov_of[ci]] >= quota[prov_of[ci]]:
                continue
            if _far_from(x, y, mx, my, spacing):
                add(x, y, int(ci), tier, name)
                mx.append(x)
                my.append(y)
    cx, cy, cw = cells
    cell_ci = _commune_of(com_m, cx, cy)
    for prov in quota:
        sel = (cell_ci >= 0) & (prov_of[np.clip(cell_ci, 0, None)] == prov)
        idx = np.flatnonzero(sel)
        need = quota[prov] - count[prov]
        for j in _fill_masts(cx[idx], cy[idx], cw[idx], mx, my, need):
            k = idx[j]
            add(float(cx[k]), float(cy[k]), int(cell_ci[k]), "fill")
            mx.append(float(cx[k]))
            my.append(float(cy[k]))
    df = pd.DataFrame(rows, columns=["x", "y", "ci", "placement", "name"])
    df["commune_code"] = codes[df["ci"].to_numpy()]
    df["former_province"] = prov_of[df["ci"].to_numpy()]
    df["commune_kind"] = (com_m["kind"].astype(str).to_numpy()[df["ci"].to_numpy()]
                          if "kind" in com_m else "")
    return df.drop(columns="ci")


def assign_operators(placement: pd.Series, shares: dict[str, float] = OPERATOR_SHARES) -> list[tuple[str, ...]]:
    """Operators on each mast: seats shared by all, the others one each by largest deficit.

    Examples
    --------
    >>> assign_operators(pd.Series(["seat", "fill", "fill", "fill", "fill"]),
    ...                  {"A": 0.5, "B": 0.25, "C": 0.25})
    [('A', 'B', 'C'), ('A',), ('B',), ('C',), ('A',)]
    """
    ops = list(shares)
    w = np.array([shares[o] for o in ops], dtype=float)
    w = w / w.sum()
    given = np.zeros(len(ops))
    out: list[tuple[str, ...]] = []
    for tier in placement.astype(str):
        if tier.startswith("seat"):
            out.append(tuple(ops))
            continue
        deficit = w * (given.sum() + 1) - given
        k = int(np.argmax(deficit))  # ties: the first operator
        given[k] += 1
        out.append((ops[k],))
    return out


# --------------------------------------------------------------------------- network
def _station_rows(masts: pd.DataFrame, tenants: list[tuple[str, ...]], nr_stations: set[tuple[int, str]],
                  lon: np.ndarray, lat: np.ndarray) -> list[dict]:
    records: list[dict] = []
    n_by_code: dict[str, int] = {}
    for m, row in enumerate(masts.itertuples(index=False)):
        n_by_code[row.commune_code] = n_by_code.get(row.commune_code, 0) + 1
        mast_id = f"M{row.commune_code}-{n_by_code[row.commune_code]:03d}"
        lte = LTE_CAPACITY_MHZ if (row.placement in ("seat", "settlement") or row.placement.startswith("seat")
                                   or row.commune_kind == "phường") else LTE_COVERAGE_MHZ
        for op in tenants[m]:
            techs = [("4G", lte)] + ([("5G", NR_BAND_MHZ[op])] if (m, op) in nr_stations else [])
            for tech, band in techs:
                d = defaults_for(tech, band)
                records.append({
                    "station_id": f"{mast_id}-{OPERATOR_CODE[op]}-{tech}",
                    "site_id": mast_id,
                    "operator": op,
                    "technology": tech,
                    "band_mhz": float(band),
                    "height_m": float(d.height_m),
                    "eirp_dbm": float(d.eirp_dbm),
                    "azimuth_deg": float("nan"),
                    "tilt_deg": 0.0,
                    "source_row": len(records) + 1,
                    "assumed": ASSUMED_FIELDS,
                    "modelled": True,
                    "mast_id": mast_id,
                    "commune_code": row.commune_code,
                    "former_province": row.former_province,
                    "placement": row.placement,
                    "note": MODELLED_NOTE,
                    "lon": float(lon[m]),
                    "lat": float(lat[m]),
                })
    return records


def _nr_stations(masts: pd.DataFrame, tenants: list[tuple[str, ...]], cells, n_5g: int,
                 shares: dict[str, float]) -> set[tuple[int, str]]:
    """(mast, operator) pairs that carry 5G: each operator's share of ``n_5g``, on its
    stations with the most people within :data:`NR_DEMAND_RADIUS_M` (ties: mast order)."""
    cx, cy, cw = cells
    tree = cKDTree(np.column_stack([cx, cy]))
    near = tree.query_ball_point(masts[["x", "y"]].to_numpy(), NR_DEMAND_RADIUS_M)
    demand = np.array([cw[np.asarray(v, dtype=np.int64)].sum() if len(v) else 0.0 for v in near])
    ops = list(shares)
    per_op = largest_remainder(np.array([shares[o] for o in ops]), n_5g)
    out: set[tuple[int, str]] = set()
    for op, k in zip(ops, per_op, strict=True):
        mine = np.array([m for m, t in enumerate(tenants) if op in t], dtype=np.int64)
        order = mine[np.lexsort((mine, -demand[mine]))] if mine.size else mine
        out.update((int(m), op) for m in order[: int(k)])
    return out


def model_default_network(
    communes: gpd.GeoDataFrame,
    seats: gpd.GeoDataFrame,
    worldpop_counts: np.ndarray,
    worldpop_transform: Affine,
    worldpop_crs="EPSG:4326",
    places: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    quota: dict[str, int] | None = None,
    n_5g: int = N_SITES_5G,
    shares: dict[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """Model the reference network (see the module notes for the method).

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
    places, roads : GeoDataFrame, optional
        Settlement points (``place`` or ``feature_code``, ``name``) and national roads.
    quota : dict, optional
        Masts per former province; default :func:`mast_quota` of the communes' WorldPop
        people and drawn areas.
    n_5g : int
        Stations carrying 5G (default the published 527).
    shares : dict, optional
        Operator shares (default :data:`OPERATOR_SHARES`).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per (mast, operator, technology) with
        :data:`geo.stations.STATION_COLUMNS` plus ``mast_id`` (= ``site_id``, shared by the
        operators of one mast), ``commune_code``, ``former_province``, ``placement``
        (``seat`` / ``settlement`` / ``road`` / ``fill``) and ``note``.
    """
    shares = dict(shares or OPERATOR_SHARES)
    if communes.crs is None:
        communes = communes.set_crs("EPSG:4326")
    if seats.crs is None:
        seats = seats.set_crs("EPSG:4326")
    com = communes.assign(code=communes["code"].astype(str)).sort_values("code").reset_index(drop=True)
    cells = _cell_points(worldpop_counts, worldpop_transform, worldpop_crs)
    if quota is None:
        quota = _default_quota(com, cells)
    need = len(com)
    if sum(quota.values()) < need:
        msg = f"The mast quota {quota} is fewer than the {need} communes (one mast per commune seat)."
        raise ValueError(msg)
    masts = place_masts(com, seats, cells, quota, places, roads)
    tenants = assign_operators(masts["placement"], shares)
    nr = _nr_stations(masts, tenants, cells, n_5g, shares)
    to_wgs = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(masts["x"].to_numpy(), masts["y"].to_numpy())
    df = pd.DataFrame.from_records(_station_rows(masts, tenants, nr, np.asarray(lon), np.asarray(lat)))
    geom = gpd.points_from_xy(df.pop("lon"), df.pop("lat"), crs="EPSG:4326")
    cols = list(STATION_COLUMNS) + ["mast_id", "commune_code", "former_province", "placement", "note"]
    return gpd.GeoDataFrame(df[cols], geometry=geom, crs="EPSG:4326")


def _default_quota(com: gpd.GeoDataFrame, cells) -> dict[str, int]:
    com_m = com.to_crs(METRIC_CRS)
    prov = former_province(com["code"])
    area = pd.Series(com_m.geometry.area.to_numpy() / 1e6).groupby(prov).sum().to_dict()
    cx, cy, cw = cells
    ci = _commune_of(com_m, cx, cy)
    ok = ci >= 0
    people = pd.Series(cw[ok]).groupby(prov[ci[ok]]).sum().to_dict()
    for p in (QUANG_BINH, QUANG_TRI):
        people.setdefault(p, 0.0)
        area.setdefault(p, 0.0)
    if people[QUANG_BINH] <= 0 or area[QUANG_BINH] <= 0:
        msg = "No commune of former Quảng Bình: the mast quota needs its published count (give quota=)."
        raise ValueError(msg)
    return mast_quota(people, area)


# -------------------------------------------------------------------------- comparison
def published_comparison(stations: gpd.GeoDataFrame, facts: PublishedFacts = PUBLISHED) -> pd.DataFrame:
    """The modelled network beside the published figures, one row per quantity.

    Returns
    -------
    DataFrame ``quantity, published, modelled, note``.
    """
    s = stations
    prov = s["former_province"].astype(str)
    masts_qb = int(s.loc[prov == QUANG_BINH, "mast_id"].nunique())
    masts_qt = int(s.loc[prov == QUANG_TRI, "mast_id"].nunique())
    tech = s["technology"].astype(str).str.upper()
    vl = s["commune_code"].astype(str).isin(VINH_LINH_CODES)
    rows = [
        ("masts, former Quảng Bình", facts.masts_quang_binh, masts_qb, "Sở TT&TT Quảng Bình 31/08/2024"),
        ("masts, former Quảng Trị", None, masts_qt,
         "not published: Quảng Bình's density, half per person, half per km² (mast_quota)"),
        ("masts, province", None, masts_qb + masts_qt, "≥ 2,000 asked by issue #14"),
        ("base stations, former Quảng Bình", facts.base_stations_quang_binh,
         int((prov == QUANG_BINH).sum()),
         "published count includes 2G/3G (before the 16/09/2024 2G switch-off); modelled: 4G + 5G only"),
        ("2G stations, former Quảng Bình", 0, int(((prov == QUANG_BINH) & (tech == "2G")).sum()),
         "2G switched off 16/09/2024"),
        ("5G stations, province", facts.sites_5g, int((tech == "5G").sum()), "2026 provincial count"),
        ("base stations, former Vĩnh Linh", facts.base_stations_vinh_linh, int(vl.sum()),
         "communes Vĩnh Linh, Bến Quan, Vĩnh Hoàng, Vĩnh Thuỷ, Cửa Tùng"),
        ("masts shared by several operators", None,
         int((s.groupby("mast_id")["operator"].nunique() > 1).sum()), "modelled: the commune seats"),
    ]
    for op in sorted(s["operator"].astype(str).unique()):
        n = int(s.loc[s["operator"] == op, "mast_id"].nunique())
        rows.append((f"masts with {op}", None, n,
                     f"modelled share {OPERATOR_SHARES.get(op, float('nan')):.0%} of single-operator masts"))
    out = pd.DataFrame(rows, columns=["quantity", "published", "modelled", "note"])
    out["published"] = out["published"].astype("Int64")
    return out


def coverage_comparison(stations: gpd.GeoDataFrame, resolution_m: float = 1000.0,
                        facts: PublishedFacts = PUBLISHED) -> pd.DataFrame:
    """4G and 5G population coverage of ``stations`` (embedded relief, terrain on) beside the
    published national 4G figure; one row per technology."""
    from geo.coverage import analysis_grid, compute
    from geo.data import load_communes
    from geo.dem import load_dem
    from geo.grid import commune_id_raster
    from geo.population import population_on_grid

    grid = analysis_grid(resolution_m)
    communes = load_communes()
    inside = commune_id_raster(grid, communes) >= 0
    pop = np.where(inside, population_on_grid(grid), np.float32(0.0))
    cov = compute(stations, grid, load_dem(None), population=pop, communes=communes)
    rows = []
    for tech, published in (("4G", facts.national_4g_population_share), ("5G", None)):
        share = cov.summary(pop, tech)["share_covered"]
        rows.append((f"{tech} population coverage ({resolution_m:g} m grid)",
                     published, round(float(share), 4),
                     "national 4G, 9/2024" if published else "no published provincial figure"))
    return pd.DataFrame(rows, columns=["quantity", "published", "modelled", "note"])


def _main(argv: list[str] | None = None) -> int:  # pragma: no cover - python -m geo.default_network
    import argparse

    from geo.stations import load_default_stations

    ap = argparse.ArgumentParser(description="The MODELLED reference network beside the published figures.")
    ap.add_argument("--coverage", type=float, metavar="M", default=None,
                    help="also compute 4G/5G population coverage on a grid of M metres (e.g. 1000)")
    args = ap.parse_args(argv)
    stations = load_default_stations().stations
    table = published_comparison(stations)
    if args.coverage:
        table = pd.concat([table.astype({"published": object, "modelled": object}),
                           coverage_comparison(stations, args.coverage).astype({"published": object, "modelled": object})],
                          ignore_index=True)
    with pd.option_context("display.width", 200, "display.max_colwidth", 100):
        print("MODELLED reference network vs published figures")
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
