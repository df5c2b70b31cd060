"""Model against drive test: the predicted level at every measured point, and the errors.

For each measured point (a row of :func:`geo.measurement_list.read_measurements`' ``.gdf``:
``technology, operator, rsrp_dbm, cell_id, timestamp, source_row, geometry``) the
prediction is read on the run's grid and DEM, from the most specific source available:

1. **cell** — the point's ``cell_id`` equals a station's ``cell_id`` or ``station_id``
   (same technology): that station's own RSRP (the phone was camped on it);
2. **operator** — the point's operator has stations of that technology: the best RSRP of
   that operator's stations (phones only hear their own network);
3. **technology** — the best RSRP of every station of that technology (the run's raster).

Points outside the grid, or where no station of their technology reaches (the model says
no signal at all), keep their row with ``predicted_dbm`` NaN and a ``basis`` saying why;
they are counted, never dropped, and left out of the error statistics.

Errors are **model − measured** (dB): a positive bias means the model is optimistic.
Statistics (``n, bias_db, rmse_db, sigma_db``) are given overall and by technology,
operator, terrain class of the commune (mountain / coastal / island / plain, from
:mod:`geo.landform`), line of sight to the serving station (``LOS`` / ``obstructed``:
a terrain profile from the station's cell to the point's cell on the 4/3 Earth,
:func:`geo.diffraction.profile_is_los_nb`) and distance band.

"The model says covered, the drive test says no": :func:`disagreement_clusters` groups
measured points below the covered level that lie where the model predicts coverage.

References: the literature's yardstick is 12–15 dB RMSE for untuned models and 8–9 dB
after tuning to measurements (Int. J. Antennas Propag. 2012, 754158); rural models
rarely beat 12 dB (Phillips et al., PAM 2011).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numba
import numpy as np
import pandas as pd

from geo.diffraction import profile_is_los_nb
from geo.grid import commune_id_raster
from geo.radio_defaults import TECHNOLOGIES

__all__ = [
    "DISTANCE_BANDS_KM",
    "GROUPINGS",
    "MEASUREMENT_COLUMNS",
    "POINT_COLUMNS",
    "Comparison",
    "MeasurementError",
    "compare",
    "compare_with_stations",
    "disagreement_clusters",
    "measurement_grid",
    "distance_band",
    "residual_stats",
]

MEASUREMENT_COLUMNS = ("technology", "operator", "rsrp_dbm", "cell_id", "timestamp", "source_row")
# columns compare() adds to every point
POINT_COLUMNS = ("predicted_dbm", "residual_db", "basis", "server_id", "distance_m", "los",
                 "terrain", "distance_band", "covered_model", "covered_measured")
DISTANCE_BANDS_KM = (0.0, 1.0, 3.0, 10.0, math.inf)
GROUPINGS = ("technology", "operator", "terrain", "los", "distance_band")
CLUSTER_CELL_M = 500.0  # disagreement clusters: points binned on this square lattice
CLUSTER_MIN_POINTS = 5  # … a cluster needs this many disagreeing points
CLUSTER_MIN_SHARE = 0.5  # … and this share of disagreeing points among its measured points


class MeasurementError(ValueError):
    """Measurements that cannot be compared (missing columns, no CRS, wrong types)."""


@dataclass
class Comparison:
    """Measured points with their prediction and residual, and the error statistics.

    Attributes
    ----------
    points : geopandas.GeoDataFrame
        EPSG:4326, the measured rows (same order) plus :data:`POINT_COLUMNS`.
    stats : dict
        ``overall`` and ``by_<grouping>`` (:func:`residual_stats`), ``n_points``,
        ``n_compared``, ``n_by_basis``.
    calibration : str or None
        The calibration the coverage used (None: the model as is).
    """

    points: gpd.GeoDataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    calibration: str | None = None

    @property
    def compared(self) -> gpd.GeoDataFrame:
        """The points with a prediction (those in the statistics)."""
        return self.points[np.isfinite(self.points["residual_db"].to_numpy(dtype=float))]


# ----------------------------------------------------------------------------- input
def _points_frame(measurements) -> gpd.GeoDataFrame:
    """The measured points as an EPSG:4326 GeoDataFrame with the reader's columns."""
    gdf = getattr(measurements, "gdf", measurements)
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = (f"measurements must be a PointSet or a GeoDataFrame; got {type(measurements).__name__}.")
        raise MeasurementError(msg)
    if gdf.crs is None:
        msg = "The measurement GeoDataFrame has no CRS; set EPSG:4326 for lon/lat points."
        raise MeasurementError(msg)
    missing = [c for c in ("technology", "rsrp_dbm") if c not in gdf.columns]
    if missing:
        msg = f"The measurements have no {', '.join(missing)} column (expected {MEASUREMENT_COLUMNS})."
        raise MeasurementError(msg)
    out = gdf.to_crs("EPSG:4326").reset_index(drop=True)
    out["technology"] = out["technology"].astype(str).str.upper().str.strip()
    for col in ("operator", "cell_id"):
        if col not in out.columns:
            out[col] = ""
        out[col] = out[col].map(_text)
    if "source_row" not in out.columns:
        out["source_row"] = np.arange(len(out)) + 1
    out["rsrp_dbm"] = pd.to_numeric(out["rsrp_dbm"], errors="coerce").astype(float)
    return out


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    s = str(v).strip()
    return s[:-2] if s.endswith(".0") and s[:-2].isdigit() else s


# ----------------------------------------------------------------------------- prediction
def _cells(points: gpd.GeoDataFrame, grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid row, column and an inside-the-grid mask of every point."""
    x, y = grid.from_lonlat(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    rows, cols = grid.rowcol(np.asarray(x), np.asarray(y))
    inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
    return np.where(inside, rows, 0), np.where(inside, cols, 0), inside


def _station_ids(stations: gpd.GeoDataFrame) -> pd.Series:
    """Identity of each station a measured ``cell_id`` can match (cell_id, else station_id)."""
    ids = pd.Series([""] * len(stations), index=stations.index, dtype=object)
    for col in ("station_id", "cell_id"):  # cell_id wins where both are given
        if col in stations.columns:
            vals = stations[col].map(_text)
            ids = ids.where(vals == "", vals)
    return ids


def _sub_coverage(coverage, positions: np.ndarray, tech: str, elevation_m, communes=None):
    """Coverage of a subset of the run's stations (cache hits when the run computed them);
    ``communes`` as the run's, so each station keeps its RMa/UMa model."""
    from dataclasses import replace

    from geo.coverage import compute

    sub = coverage.stations.iloc[positions]
    config = replace(coverage.config, technologies=(tech,))
    return compute(sub, coverage.grid, elevation_m if coverage.config.terrain else None, config,
                   communes=communes)


def _predict(points, coverage, rows, cols, inside, elevation_m, communes=None):
    """Predicted level, serving station row and basis of every point (see module docs)."""
    n = len(points)
    pred = np.full(n, np.nan)
    server = np.full(n, -1, dtype=np.int64)
    basis = np.where(inside, "technology", "outside grid").astype(object)
    techs = points["technology"].to_numpy()
    stations = coverage.stations
    st_tech = stations["technology"].astype(str).str.upper().to_numpy()
    for tech in sorted(set(techs[inside])):
        sel = inside & (techs == tech)
        if tech not in coverage.rsrp_dbm:
            basis[sel] = "no station of this technology"
            continue
        pred[sel] = coverage.rsrp_dbm[tech][rows[sel], cols[sel]]
        server[sel] = coverage.best_server[tech][rows[sel], cols[sel]]
    _predict_by_operator(points, coverage, rows, cols, inside, elevation_m, st_tech,
                         pred, server, basis, communes)
    _predict_by_cell(points, coverage, rows, cols, inside, elevation_m, st_tech,
                     pred, server, basis, communes)
    no_signal = np.isnan(pred) & inside & (basis != "no station of this technology")
    basis[no_signal] = "no prediction (out of reach)"
    return pred, server, basis


def _predict_by_operator(points, coverage, rows, cols, inside, elevation_m, st_tech,
                         pred, server, basis, communes=None) -> None:
    stations = coverage.stations
    if "operator" not in stations.columns:
        return
    st_op = stations["operator"].map(_text).str.casefold().to_numpy()
    techs = points["technology"].to_numpy()
    ops = points["operator"].str.casefold().to_numpy()
    for tech, op in sorted({(t, o) for t, o in zip(techs[inside], ops[inside], strict=True) if o}):
        of_tech = st_tech == tech
        mine = np.flatnonzero(of_tech & (st_op == op))
        if mine.size == 0:
            continue
        sel = inside & (techs == tech) & (ops == op)
        if mine.size == int(of_tech.sum()):  # the operator has every station: same raster
            basis[sel] = "operator"
            continue
        sub = _sub_coverage(coverage, mine, tech, elevation_m, communes)
        pred[sel] = sub.rsrp_dbm[tech][rows[sel], cols[sel]]
        s = sub.best_server[tech][rows[sel], cols[sel]]
        server[sel] = np.where(s >= 0, mine[np.clip(s, 0, None)], -1)
        basis[sel] = "operator"


def _cell_values(coverage, record: dict, rows, cols, elevation_m) -> np.ndarray:
    """RSRP of one station (``record``: its row, EPSG:4326 ``geometry`` and the run's
    ``_model``) alone at cells (``rows``, ``cols``); NaN beyond its reach.

    :func:`geo.coverage.station_rsrp_window` is the engine's own per-station path (the same
    numbers as :func:`geo.coverage.compute`) on the path-loss model the run gave the station.
    """
    from geo.coverage import station_rsrp_window

    elev = elevation_m if coverage.config.terrain else None
    (rs, cs), win = station_rsrp_window(record, coverage.grid, elev, coverage.config)
    out = np.full(rows.shape, np.nan)
    ok = (rows >= rs.start) & (rows < rs.stop) & (cols >= cs.start) & (cols < cs.stop)
    out[ok] = win[rows[ok] - rs.start, cols[ok] - cs.start]
    return out


def _predict_by_cell(points, coverage, rows, cols, inside, elevation_m, st_tech,
                     pred, server, basis, communes=None) -> None:
    ids = _station_ids(coverage.stations).to_numpy()
    techs = points["technology"].to_numpy()
    cells = points["cell_id"].to_numpy()
    lookup: dict[tuple[str, str], int] = {}
    for pos, (sid, t) in enumerate(zip(ids, st_tech, strict=True)):
        if sid:
            lookup.setdefault((t, sid), pos)
    if not lookup:
        return
    matched = np.array([lookup.get((t, c), -1) if c else -1
                        for t, c in zip(techs, cells, strict=True)], dtype=np.int64)
    wanted = np.unique(matched[(matched >= 0) & inside])
    if wanted.size == 0:
        return
    from geo.coverage.params import station_models  # the run's RMa/UMa choice per station

    gdf = coverage.stations
    models = station_models(gdf, coverage.config, communes)
    records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    geoms = gdf.geometry.to_crs("EPSG:4326").to_numpy()
    for pos in wanted:
        sel = inside & (matched == pos)
        rec = {**records[pos], "geometry": geoms[pos], "_model": models[pos]}
        values = _cell_values(coverage, rec, rows[sel], cols[sel], elevation_m)
        pred[sel] = values
        server[sel] = np.where(np.isfinite(values), pos, -1)
        basis[sel] = "cell"


# ----------------------------------------------------------------------------- geometry
@numba.njit(cache=True)
def _los_kernel(r0, c0, r1, c1, h_tx, h_rx, elev, res_m, k_factor, out):
    """Line of sight station cell → point cell over ``elev`` (nearest-cell profile)."""
    for i in range(r0.shape[0]):
        dr = r1[i] - r0[i]
        dc = c1[i] - c0[i]
        n = max(abs(dr), abs(dc))
        if n < 2:
            out[i] = True
            continue
        total = math.sqrt(float(dr * dr + dc * dc)) * res_m
        d = np.empty(n + 1)
        h = np.empty(n + 1)
        for k in range(n + 1):
            f = k / n
            rr = int(math.floor(r0[i] + dr * f + 0.5))
            cc = int(math.floor(c0[i] + dc * f + 0.5))
            d[k] = f * total
            h[k] = elev[rr, cc]
        out[i] = profile_is_los_nb(d, h, h_tx[i], h_rx, k_factor)


def _station_heights_m(stations: gpd.GeoDataFrame, config) -> np.ndarray:
    """Antenna height above ground of each station, the engine's defaults filled."""
    from geo.coverage.params import station_params

    records = stations.drop(columns=stations.geometry.name).to_dict("records")
    return np.array([station_params(r, config)["height_m"] for r in records], dtype=float)


def _geometry(points, coverage, rows, cols, server, elevation_m):
    """Distance (m, cell centre to cell centre, as the engine) and LOS to the serving station."""
    grid = coverage.grid
    n = len(points)
    dist = np.full(n, np.nan)
    los = np.zeros(n, dtype=bool)
    has = server >= 0
    if not has.any():
        return dist, los
    st = coverage.stations.geometry.to_crs("EPSG:4326")
    sx, sy = grid.from_lonlat(st.x.to_numpy(), st.y.to_numpy())
    s_rows, s_cols = grid.rowcol(np.asarray(sx), np.asarray(sy))
    srv = server[has]
    r0, c0 = s_rows[srv], s_cols[srv]
    r1, c1 = rows[has], cols[has]
    dist[has] = np.hypot((r1 - r0).astype(float), (c1 - c0).astype(float)) * grid.resolution_m
    elev = (np.zeros(grid.shape, dtype=np.float64) if elevation_m is None
            or not coverage.config.terrain else np.asarray(elevation_m, dtype=np.float64))
    heights = _station_heights_m(coverage.stations, coverage.config)[srv]
    out = np.zeros(int(has.sum()), dtype=np.bool_)
    _los_kernel(r0.astype(np.int64), c0.astype(np.int64), r1.astype(np.int64),
                c1.astype(np.int64), heights, float(coverage.config.ue_height_m), elev,
                float(grid.resolution_m), float(coverage.config.k_factor), out)
    los[has] = out
    return dist, los


def distance_band(distance_m) -> np.ndarray:
    """Label of :data:`DISTANCE_BANDS_KM` for each distance (``""`` for NaN)."""
    d_km = np.asarray(distance_m, dtype=float) / 1000.0
    labels = []
    edges = DISTANCE_BANDS_KM
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        labels.append(f"{lo:g}–{hi:g} km" if math.isfinite(hi) else f"≥{lo:g} km")
    idx = np.searchsorted(np.asarray(edges[1:-1]), d_km, side="right")
    out = np.array(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)]
    out[~np.isfinite(d_km)] = ""
    return out


def _terrain(points, communes, grid, rows, cols, inside) -> np.ndarray:
    """Terrain class of the commune each point lies in ('outside' / 'unknown' otherwise)."""
    out = np.full(len(points), "unknown", dtype=object)
    if communes is None or "terrain" not in communes.columns:
        return out
    ids = commune_id_raster(grid, communes)[rows, cols]
    terr = communes["terrain"].astype(str).to_numpy()
    ok = inside & (ids >= 0)
    out[ok] = terr[ids[ok]]
    out[inside & (ids < 0)] = "outside"
    return out


# ----------------------------------------------------------------------------- statistics
def _stats(residual_db: np.ndarray) -> dict[str, Any]:
    r = residual_db[np.isfinite(residual_db)]
    n = int(r.size)
    if n == 0:
        return {"n": 0, "bias_db": None, "rmse_db": None, "sigma_db": None}
    return {
        "n": n,
        "bias_db": round(float(r.mean()), 2),
        "rmse_db": round(float(np.sqrt(np.mean(r**2))), 2),
        "sigma_db": round(float(r.std(ddof=1)), 2) if n > 1 else None,
    }


def residual_stats(points: pd.DataFrame, by: str | None = None,
                   column: str = "residual_db") -> list[dict[str, Any]] | dict[str, Any]:
    """Bias (mean of ``column``), RMSE and σ (sample standard deviation), dB.

    Parameters
    ----------
    points : DataFrame
        With ``column`` (model − measured, dB; NaN rows are left out).
    by : str, optional
        Group by this column: one dict per group (sorted), each with ``by``'s value.

    Returns
    -------
    dict or list of dict
        ``n, bias_db, rmse_db, sigma_db`` (None where undefined).
    """
    values = points[column].to_numpy(dtype=float)
    if by is None:
        return _stats(values)
    keys = points[by].astype(str).to_numpy()
    return [{by: k, **_stats(values[keys == k])} for k in sorted(set(keys))]


def _summary_stats(points: gpd.GeoDataFrame) -> dict[str, Any]:
    compared = points[np.isfinite(points["residual_db"].to_numpy(dtype=float))]
    stats: dict[str, Any] = {
        "n_points": int(len(points)),
        "n_compared": int(len(compared)),
        "n_by_basis": {str(k): int(v) for k, v in points["basis"].value_counts().sort_index().items()},
        "overall": residual_stats(compared),
    }
    for g in GROUPINGS:
        stats[f"by_{g}"] = residual_stats(compared, by=g)
    return stats


# ----------------------------------------------------------------------------- public
def compare(measurements, coverage, elevation_m: np.ndarray | None = None,
            communes: gpd.GeoDataFrame | None = None) -> Comparison:
    """Predicted level at every measured point, residuals and their statistics.

    Parameters
    ----------
    measurements : PointSet or geopandas.GeoDataFrame
        Points (any CRS) with ``technology`` and ``rsrp_dbm`` (dBm), optionally
        ``operator``, ``cell_id``, ``timestamp``, ``source_row``.
    coverage : geo.coverage.Coverage
        The run's coverage (its grid, stations, configuration and rasters).
    elevation_m : numpy.ndarray, optional
        The DEM on the coverage grid the run used (m); None: flat ground. Needed for the
        LOS/obstructed class and for operator/cell predictions on terrain.
    communes : geopandas.GeoDataFrame, optional
        The units the coverage run was given (``analysis.pipeline.Inputs.communes``): their
        ``terrain`` gives the terrain class, their ``kind`` the RMa/UMa model of a matched
        cell's station (None: the embedded communes, as :func:`geo.coverage.compute`).

    Returns
    -------
    Comparison
    """
    points = _points_frame(measurements)
    if getattr(coverage, "stations", None) is None:
        msg = "The coverage has no station list; compute it with geo.coverage.compute."
        raise MeasurementError(msg)
    bad_tech = sorted(set(points["technology"]) - set(TECHNOLOGIES))
    if bad_tech:
        msg = f"Measured technologies {bad_tech} are not among {TECHNOLOGIES}."
        raise MeasurementError(msg)
    grid = coverage.grid
    rows, cols, inside = _cells(points, grid)
    pred, server, basis = _predict(points, coverage, rows, cols, inside, elevation_m, communes)
    dist, los = _geometry(points, coverage, rows, cols, server, elevation_m)
    thr = np.array([coverage.config.covered_threshold_dbm(t) for t in points["technology"]])
    measured = points["rsrp_dbm"].to_numpy(dtype=float)
    out = points.copy()
    out["predicted_dbm"] = pred
    out["residual_db"] = pred - measured
    out["basis"] = basis
    ids = _station_ids(coverage.stations).to_numpy()
    out["server_id"] = np.where(server >= 0, ids[np.clip(server, 0, None)], "")
    out["distance_m"] = dist
    out["los"] = np.where(server >= 0, np.where(los, "LOS", "obstructed"), "")
    out["terrain"] = _terrain(points, communes, grid, rows, cols, inside)
    out["distance_band"] = distance_band(dist)
    with np.errstate(invalid="ignore"):
        out["covered_model"] = np.nan_to_num(pred, nan=-np.inf) >= thr
        out["covered_measured"] = measured >= thr
    out = gpd.GeoDataFrame(out, geometry=points.geometry.name, crs="EPSG:4326")
    name = getattr(coverage.config, "calibration", None)
    return Comparison(points=out, stats=_summary_stats(out),
                      calibration=name.describe() if name is not None else None)


def disagreement_clusters(comparison: Comparison, cell_m: float = CLUSTER_CELL_M,
                          min_points: int = CLUSTER_MIN_POINTS,
                          min_share: float = CLUSTER_MIN_SHARE) -> gpd.GeoDataFrame:
    """Where the model says covered and the drive test says no, in clusters.

    Points measured below their technology's covered level inside predicted coverage are
    binned on a ``cell_m`` lattice (EPSG:32648); 8-connected occupied bins form a cluster.
    A cluster is kept when it has ≥ ``min_points`` such points and they are ≥ ``min_share``
    of the measured points in its bins.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per cluster (largest first): ``cluster_id, technology,
        n_no_service, n_measured, share_no_service, measured_median_dbm,
        predicted_median_dbm, lon, lat`` and the convex hull (buffered by half a bin).
    """
    from scipy import ndimage

    from geo.grid import ANALYSIS_CRS

    pts = comparison.points
    cols = ["cluster_id", "technology", "n_no_service", "n_measured", "share_no_service",
            "measured_median_dbm", "predicted_median_dbm", "lon", "lat"]
    frames = []
    utm = pts.geometry.to_crs(ANALYSIS_CRS)
    x, y = utm.x.to_numpy(), utm.y.to_numpy()
    for tech in sorted(set(pts["technology"])):
        of_tech = (pts["technology"] == tech).to_numpy()
        bad = of_tech & pts["covered_model"].to_numpy(bool) & ~pts["covered_measured"].to_numpy(bool)
        if int(bad.sum()) < min_points:
            continue
        ix = np.floor(x / cell_m).astype(np.int64)
        iy = np.floor(y / cell_m).astype(np.int64)
        x0, y0 = ix[bad].min(), iy[bad].min()
        shape = (int(iy[bad].max() - y0 + 1), int(ix[bad].max() - x0 + 1))
        occupied = np.zeros(shape, dtype=bool)
        occupied[iy[bad] - y0, ix[bad] - x0] = True
        labels, n_lab = ndimage.label(occupied, structure=np.ones((3, 3), dtype=int))
        in_box = of_tech & (ix >= x0) & (ix < x0 + shape[1]) & (iy >= y0) & (iy < y0 + shape[0])
        lab = np.zeros(len(pts), dtype=np.int64)
        lab[in_box] = labels[iy[in_box] - y0, ix[in_box] - x0]
        for k in range(1, n_lab + 1):
            members = lab == k
            nb = int((members & bad).sum())
            nm = int(members.sum())
            if nb < min_points or nb / nm < min_share:
                continue
            sel = members & bad
            hull = gpd.GeoSeries(utm[sel].values, crs=ANALYSIS_CRS).union_all().convex_hull
            geom = hull.buffer(cell_m / 2.0)
            c = gpd.GeoSeries([geom.centroid], crs=ANALYSIS_CRS).to_crs("EPSG:4326").iloc[0]
            frames.append({
                "technology": tech, "n_no_service": nb, "n_measured": nm,
                "share_no_service": round(nb / nm, 3),
                "measured_median_dbm": round(float(np.median(pts["rsrp_dbm"].to_numpy()[sel])), 1),
                "predicted_median_dbm": round(float(np.median(pts["predicted_dbm"].to_numpy()[sel])), 1),
                "lon": round(float(c.x), 6), "lat": round(float(c.y), 6), "geometry": geom,
            })
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs="EPSG:4326")
    out = gpd.GeoDataFrame(frames, geometry="geometry", crs=ANALYSIS_CRS).to_crs("EPSG:4326")
    out = out.sort_values(["n_no_service", "technology"], ascending=[False, True]).reset_index(drop=True)
    out.insert(0, "cluster_id", np.arange(1, len(out) + 1))
    return out[[*cols, "geometry"]]


# ----------------------------------------------------------------------------- drive-test run
def measurement_grid(measurements, resolution_m: float = 100.0, margin_m: float | None = None):
    """The analysis-grid lattice around the measured points (+ every station that can reach them).

    The province grid (:func:`geo.coverage.analysis_grid`) cropped to the points' extent
    plus ``margin_m`` (default :data:`geo.coverage.MAX_RADIUS_M`, a station's farthest
    reach) on every side: the same cell centres as a province run, far fewer cells.
    """
    from geo.coverage import MAX_RADIUS_M, analysis_grid
    from geo.grid import ANALYSIS_CRS, Grid

    pts = _points_frame(measurements)
    if len(pts) == 0:
        msg = "The measurement set has no point."
        raise MeasurementError(msg)
    margin = MAX_RADIUS_M if margin_m is None else float(margin_m)
    xmin, ymin, xmax, ymax = pts.geometry.to_crs(ANALYSIS_CRS).total_bounds
    province = analysis_grid(resolution_m)
    box = (max(xmin - margin, province.xmin), max(ymin - margin, province.ymin),
           min(xmax + margin, province.xmax), min(ymax + margin, province.ymax))
    if not (box[2] > box[0] and box[3] > box[1]):
        msg = "Every measured point is far outside the province's analysis grid."
        raise MeasurementError(msg)
    return Grid.from_bounds(box, resolution_m, province.crs)


def compare_with_stations(measurements, stations, *, resolution_m: float = 100.0, dem=None,
                          config=None, communes: gpd.GeoDataFrame | None = None,
                          grid=None) -> tuple[Comparison, Any]:
    """Coverage of ``stations`` around the measured points, then :func:`compare`.

    Parameters
    ----------
    measurements : PointSet or GeoDataFrame
    stations : StationSet or GeoDataFrame
    resolution_m : float
        Cell size of the grid (:func:`measurement_grid`).
    dem : geo.dem.Dem or None
        Terrain (None: flat ground).
    config : geo.coverage.CoverageConfig, optional
    communes : GeoDataFrame, optional
        With ``terrain`` for the terrain class (and ``kind`` for RMa/UMa per station).
    grid : geo.grid.Grid, optional
        Override the grid.

    Returns
    -------
    (Comparison, geo.coverage.Coverage)
    """
    from geo.coverage import CoverageConfig, compute

    config = config or CoverageConfig()
    grid = grid or measurement_grid(measurements, resolution_m, config.max_radius_m)
    elevation = None
    if dem is not None and config.terrain:
        elevation = np.ascontiguousarray(dem.on_grid(grid, fill_value=0.0), dtype=np.float32)
    cov = compute(stations, grid, elevation, config, communes=communes)
    return compare(measurements, cov, elevation_m=elevation, communes=communes), cov
