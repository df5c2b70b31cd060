"""Fiber reach: how far each cell is from fiber, and how a new site there could be backhauled.

Seeds. Fiber reaches every commune centre (the People's Committee seat; Viet Nam's
operators have brought fiber to 100 % of commune centres), so each seat from
:func:`geo.data.load_seats` is a fiber node. Seats whose position is not in the data are
*modelled* (population-weighted centre of the commune) and stay flagged ``modelled``.
Users add what they know: fiber routes (lines) and nodes (points), e.g. from GeoJSON.

Distance to fiber. A cable to a new site follows roads where there are roads. The
distance is a cost-distance over the grid: a metre along a road costs 1, a metre off the
roads costs :data:`DETOUR_FACTOR` (1.3) — the straight line times a detour factor, the
ratio of network to crow-fly distance ("circuity factor"), which road-network studies
typically put between about 1.2 and 1.4 (e.g. Ballou, Rahardja & Sakai 2002, "Selected
country circuity factors for road travel distance estimation", *Transportation Research
Part A* 36: 843–848); 1.3 is a mid value, overridable. The embedded roads are national
roads only, so off those roads the detour factor carries the whole approximation.

Backhaul class per cell (uint8): 2 = fiber within ``fiber_within_km`` (cost-distance);
1 = microwave: a mast of ``mast_height_m`` on the cell sees (line of sight over the DEM,
4/3 Earth, :func:`geo.terrain.viewshed`) a mast of the same height at a fibered site no
farther than ``microwave_km``; 0 = neither. Without a DEM, every cell within
``microwave_km`` of a fibered site counts as microwave. On grids finer than
:data:`MICROWAVE_LOS_MIN_RES_M` (90 m) the line of sight is decided on blocks of that size
(block-mean elevation): hops are kilometres long, and this keeps a 30 m province run fast.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
from scipy import ndimage

__all__ = [
    "DETOUR_FACTOR",
    "FIBER_WITHIN_KM",
    "MICROWAVE_KM",
    "MAST_HEIGHT_M",
    "ROUTE_SITE_SPACING_M",
    "COST_DISTANCE_MAX_CELLS",
    "MICROWAVE_LOS_MIN_RES_M",
    "BACKHAUL_NONE",
    "BACKHAUL_MICROWAVE",
    "BACKHAUL_FIBER",
    "BACKHAUL_LABELS",
    "FiberError",
    "FiberReach",
    "fiber_nodes",
    "read_fiber_file",
    "national_roads",
    "cost_distance_m",
    "fiber_reach",
]

DETOUR_FACTOR = 1.3  # off-road cost per metre relative to a metre along a road
FIBER_WITHIN_KM = 2.0
MICROWAVE_KM = 15.0
MAST_HEIGHT_M = 30.0
COST_DISTANCE_MAX_CELLS = 1_500_000  # above: road-network distance on coarser blocks
LOCAL_EXACT_BLOCKS = 3  # ... and exact straight line × detour within 3 blocks of the fiber
MICROWAVE_LOS_MIN_RES_M = 90.0  # finer grids decide microwave line of sight on ≥ 90 m blocks
ROUTE_SITE_SPACING_M = 5_000.0  # points along user fiber routes that can host a microwave hub
BACKHAUL_NONE, BACKHAUL_MICROWAVE, BACKHAUL_FIBER = 0, 1, 2
BACKHAUL_LABELS = {BACKHAUL_NONE: "none", BACKHAUL_MICROWAVE: "microwave",
                   BACKHAUL_FIBER: "fiber"}
_RAILWAY_WORDS = ("sắt", "railway", "rail")

# 16-neighbour stencil (king + knight moves): neighbouring directions are at most 26.6° apart,
# so a straight path is overestimated by at most 1/cos(13.3°) − 1 ≈ 2.8 % (8 neighbours: 8.2 %).
_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1, -2, -2, -1, -1, 1, 1, 2, 2], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1, -1, 1, -2, 2, -2, 2, -1, 1], dtype=np.int64)


class FiberError(ValueError):
    """Fiber routes / nodes that cannot be used (wrong geometry, no CRS, unreadable)."""


# ---------------------------------------------------------------------------- nodes
def read_fiber_file(path_or_file) -> gpd.GeoDataFrame:
    """Read user fiber routes / nodes (GeoJSON, GeoPackage, …) as EPSG:4326."""
    if isinstance(path_or_file, gpd.GeoDataFrame):
        gdf = path_or_file
    else:
        try:
            src = path_or_file
            if not isinstance(src, str | Path) and hasattr(src, "getvalue"):
                src = bytes(src.getvalue())
            gdf = gpd.read_file(src)
        except Exception as exc:  # pyogrio raises several types
            name = getattr(path_or_file, "name", path_or_file)
            msg = f"Cannot read fiber file {name}: {exc}. Expected GeoJSON points or lines."
            raise FiberError(msg) from exc
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")  # GeoJSON is lon/lat by definition
    return gdf.to_crs("EPSG:4326")


def _as_gdf(obj) -> gpd.GeoDataFrame | None:
    if obj is None:
        return None
    return read_fiber_file(obj)


def fiber_nodes(seats: gpd.GeoDataFrame, user_nodes=None, user_routes=None) -> gpd.GeoDataFrame:
    """All fiber: commune seats + user nodes (points) + user routes (lines), EPSG:4326.

    Parameters
    ----------
    seats : GeoDataFrame
        :func:`geo.data.load_seats` (``code``, ``name``, ``seat_source``, ``modelled``).
    user_nodes, user_routes : GeoDataFrame, path or file, optional
        User fiber. Points become nodes and lines become routes whichever argument they
        come in (one GeoJSON may hold both); polygons are refused.

    Returns
    -------
    GeoDataFrame
        ``kind`` ('commune seat' | 'user node' | 'user route'), ``name``, ``code``,
        ``seat_source`` (``user`` for user fiber), ``modelled`` (bool), geometry.
    """
    if seats.crs is None:
        msg = "The seats layer has no CRS; expected EPSG:4326 points from geo.data.load_seats()."
        raise FiberError(msg)
    s = seats.to_crs("EPSG:4326")
    n = len(s)
    parts = [gpd.GeoDataFrame({
        "kind": ["commune seat"] * n,
        "name": s["name"].astype(str).to_list() if "name" in s else [""] * n,
        "code": s["code"].astype(str).to_list() if "code" in s else [""] * n,
        "seat_source": (s["seat_source"].astype(str).to_list() if "seat_source" in s
                        else ["unknown"] * n),
        "modelled": (s["modelled"].astype(bool).to_list() if "modelled" in s
                     else (s["seat_source"].astype(str) == "modelled").to_list()
                     if "seat_source" in s else [False] * n),
    }, geometry=list(s.geometry), crs="EPSG:4326")]
    for obj in (user_nodes, user_routes):
        gdf = _as_gdf(obj)
        if gdf is None or gdf.empty:
            continue
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].explode(index_parts=False)
        kinds = []
        for i, geom in enumerate(gdf.geometry):
            if geom.geom_type == "Point":
                kinds.append("user node")
            elif geom.geom_type == "LineString":
                kinds.append("user route")
            else:
                msg = (
                    f"Fiber feature {i} is a {geom.geom_type}; expected Point (node) or "
                    "LineString (route)."
                )
                raise FiberError(msg)
        names = (gdf["name"].astype(str).to_list() if "name" in gdf
                 else [f"user fiber {i + 1}" for i in range(len(gdf))])
        parts.append(gpd.GeoDataFrame({
            "kind": kinds, "name": names, "code": [""] * len(gdf),
            "seat_source": ["user"] * len(gdf), "modelled": [False] * len(gdf),
        }, geometry=list(gdf.geometry), crs="EPSG:4326"))
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


def national_roads(roads: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Roads without the railway (the embedded layer carries the North–South line too)."""
    if roads is None or roads.empty:
        return roads
    keep = np.ones(len(roads), dtype=bool)
    for col in ("loai_duong", "kind", "type"):
        if col in roads:
            text = roads[col].astype(str).str.lower()
            for word in _RAILWAY_WORDS:
                keep &= ~text.str.contains(word, regex=False).to_numpy()
    return roads[keep]


# -------------------------------------------------------------------- cost distance
@numba.njit(cache=True)
def _dijkstra(cost_per_m, source_mask, res_m, dr, dc):  # pragma: no cover - numba
    rows, cols = cost_per_m.shape
    n = rows * cols
    dist = np.full(n, np.inf)
    heap = [(0.0, np.int64(0))]
    heap.pop()
    for idx in range(n):
        if source_mask.flat[idx]:
            dist[idx] = 0.0
            heap.append((0.0, np.int64(idx)))
    heapq.heapify(heap)
    lengths = np.sqrt((dr * dr + dc * dc).astype(np.float64)) * res_m
    while len(heap) > 0:
        d, idx = heapq.heappop(heap)
        if d > dist[idx]:
            continue
        r = idx // cols
        c = idx - r * cols
        c0 = cost_per_m[r, c]
        for k in range(dr.shape[0]):
            rr = r + dr[k]
            cc = c + dc[k]
            if rr < 0 or rr >= rows or cc < 0 or cc >= cols:
                continue
            nd = d + lengths[k] * max(c0, cost_per_m[rr, cc])
            j = rr * cols + cc
            if nd < dist[j]:
                dist[j] = nd
                heapq.heappush(heap, (nd, j))
    return dist.reshape(rows, cols)


def cost_distance_m(
    source_mask: np.ndarray, road_mask: np.ndarray | None, resolution_m: float,
    detour_factor: float = DETOUR_FACTOR, max_cells: int = COST_DISTANCE_MAX_CELLS,
) -> np.ndarray:
    """Least-cost distance (m) from any source cell, roads at cost 1/m, elsewhere ``detour``/m.

    Parameters
    ----------
    source_mask : bool array
        Cells holding fiber (cost 0).
    road_mask : bool array or None
        Road cells; None or all-False → pure straight line × ``detour_factor``.
    resolution_m : float
        Cell size.
    detour_factor : float
        Cost of a metre off the roads.
    max_cells : int
        Above this many cells the cost-distance is computed on blocks of ``f × f``
        cells (``f`` the smallest integer bringing it under ``max_cells``; a block is road
        / fiber if any of its cells is) and interpolated bilinearly back; within
        :data:`LOCAL_EXACT_BLOCKS` blocks of every fiber cell the exact straight line ×
        ``detour_factor`` is kept where shorter. Farther away the error is of the order of
        one block (e.g. 180 m on a 30 m province grid).

    Returns
    -------
    float32 array, same shape; inf where no source exists.

    Notes
    -----
    Dijkstra's algorithm on the cell graph with a 16-neighbour stencil (king and knight
    moves); a move of length ``L`` between cells of per-metre costs ``c1``, ``c2`` costs
    ``L · max(c1, c2)``: only a move from road cell to road cell is charged at the road
    rate, so leaving or joining a road is off-road travel. Compiled with numba; no
    Python loop over cells. The stencil's directions are at most 13.3° from any
    straight line, so a straight off-road path is overestimated by at most
    ``1/cos(13.3°) − 1 ≈ 2.8 %``; the result is therefore also capped by the exact
    Euclidean distance to the nearest source × ``detour_factor``
    (:func:`scipy.ndimage.distance_transform_edt`), which makes the no-road case exact.
    """
    src = np.ascontiguousarray(source_mask, dtype=np.bool_)
    if not src.any():
        return np.full(src.shape, np.inf, dtype=np.float32)
    roads = (np.zeros(src.shape, dtype=bool) if road_mask is None
             else np.asarray(road_mask, dtype=bool))
    factor = max(1, math.ceil(math.sqrt(src.size / max(1, max_cells))))
    if factor == 1:
        euclid = ndimage.distance_transform_edt(~src, sampling=resolution_m) * detour_factor
        if not roads.any():
            return euclid.astype(np.float32)
        cost = np.where(roads, 1.0, detour_factor).astype(np.float64)
        dist = _dijkstra(cost, src, float(resolution_m), _DR, _DC)
        return np.minimum(dist, euclid).astype(np.float32)
    # large grid: road network on f×f blocks, interpolated back; exact straight line
    # × detour within LOCAL_EXACT_BLOCKS blocks of every fiber cell
    cost = np.where(_block_any(roads, factor), 1.0, detour_factor).astype(np.float64)
    coarse = _dijkstra(cost, _block_any(src, factor), float(resolution_m) * factor, _DR, _DC)
    out = np.empty(src.shape, dtype=np.float32)
    _upsample_into(coarse, factor, out)
    rows, cols = np.nonzero(src)
    _local_euclid_min(out, rows.astype(np.int64), cols.astype(np.int64),
                      LOCAL_EXACT_BLOCKS * factor, float(resolution_m), float(detour_factor))
    return out


def _block_any(mask: np.ndarray, f: int) -> np.ndarray:
    """True for each f×f block holding any True cell (edge blocks padded)."""
    rows, cols = mask.shape
    pr, pc = (-rows) % f, (-cols) % f
    padded = np.pad(mask, ((0, pr), (0, pc)))
    return padded.reshape(padded.shape[0] // f, f, padded.shape[1] // f, f).any(axis=(1, 3))


@numba.njit(cache=True)
def _upsample_into(coarse, f, out):  # pragma: no cover - numba
    """Bilinear from block centres to the fine cells' centres (inf propagates)."""
    rows, cols = out.shape
    nr, nc = coarse.shape
    for r in range(rows):
        pr = min(max((r + 0.5) / f - 0.5, 0.0), nr - 1.0)
        r0 = int(math.floor(pr))
        r1 = min(r0 + 1, nr - 1)
        wr = pr - r0
        for c in range(cols):
            pc = min(max((c + 0.5) / f - 0.5, 0.0), nc - 1.0)
            c0 = int(math.floor(pc))
            c1 = min(c0 + 1, nc - 1)
            wc = pc - c0
            v = ((1 - wr) * ((1 - wc) * coarse[r0, c0] + wc * coarse[r0, c1])
                 + wr * ((1 - wc) * coarse[r1, c0] + wc * coarse[r1, c1]))
            out[r, c] = v


@numba.njit(cache=True)
def _local_euclid_min(out, src_rows, src_cols, radius, res_m, detour):  # pragma: no cover
    """out = min(out, detour × distance to each source) within ``radius`` cells of it."""
    rows, cols = out.shape
    for k in range(src_rows.shape[0]):
        r, c = src_rows[k], src_cols[k]
        for rr in range(max(0, r - radius), min(rows, r + radius + 1)):
            dr = float(rr - r)
            for cc in range(max(0, c - radius), min(cols, c + radius + 1)):
                dc = float(cc - c)
                d = detour * res_m * math.sqrt(dr * dr + dc * dc)
                if d < out[rr, cc]:
                    out[rr, cc] = d


# ------------------------------------------------------------------------- reach
@dataclass
class FiberReach:
    """Fiber distance and backhaul class on a grid.

    Attributes
    ----------
    grid : geo.grid.Grid
    distance_to_fiber_m : float32 array (inf where there is no fiber at all)
    backhaul : uint8 array, :data:`BACKHAUL_FIBER` (2) / :data:`BACKHAUL_MICROWAVE` (1) /
        :data:`BACKHAUL_NONE` (0)
    nodes : GeoDataFrame, the fiber used (EPSG:4326)
    metadata : dict, parameters and counts
    """

    grid: object
    distance_to_fiber_m: np.ndarray
    backhaul: np.ndarray
    nodes: gpd.GeoDataFrame
    metadata: dict = field(default_factory=dict)

    def share_by_class(self, mask: np.ndarray | None = None,
                       weights: np.ndarray | None = None) -> dict[str, float]:
        """Share of cells (or of ``weights``, e.g. people) per backhaul class."""
        sel = np.ones(self.backhaul.shape, dtype=bool) if mask is None else np.asarray(mask)
        w = np.ones(self.backhaul.shape) if weights is None else np.nan_to_num(weights)
        total = float(w[sel].sum())
        return {label: (float(w[sel & (self.backhaul == k)].sum()) / total if total else 0.0)
                for k, label in BACKHAUL_LABELS.items()}

    def to_geotiffs(self, folder, tags: dict | None = None) -> list[Path]:
        """Write ``fiber_distance_m.tif`` and ``backhaul_class.tif`` (COG) to ``folder``."""
        from geo.grid import write_geotiff

        folder = Path(folder)
        meta = {f"FIBER_{k.upper()}": v for k, v in self.metadata.items()}
        meta.update(tags or {})
        dist = np.where(np.isfinite(self.distance_to_fiber_m), self.distance_to_fiber_m,
                        np.nan).astype(np.float32)
        return [
            write_geotiff(folder / "fiber_distance_m.tif", dist, self.grid, nodata=np.nan,
                          tags=meta, band_description="distance to fiber (m, along roads)"),
            write_geotiff(folder / "backhaul_class.tif", self.backhaul, self.grid, nodata=255,
                          tags={**meta, "CLASSES": "0=none,1=microwave,2=fiber"},
                          band_description="backhaul class"),
        ]


def _line_points(geom, spacing_m_deg: float) -> list:
    """Points along a line every ``spacing`` (same units as the geometry)."""
    length = geom.length
    n = max(1, int(math.ceil(length / spacing_m_deg)))
    return [geom.interpolate(i * length / n) for i in range(n + 1)]


def fiber_reach(
    grid, nodes: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None = None,
    elevation_on_grid: np.ndarray | None = None, fiber_within_km: float = FIBER_WITHIN_KM,
    microwave_km: float = MICROWAVE_KM, mast_height_m: float = MAST_HEIGHT_M,
    detour_factor: float = DETOUR_FACTOR,
) -> FiberReach:
    """Distance to fiber and backhaul class on ``grid``.

    Parameters
    ----------
    grid : geo.grid.Grid
    nodes : GeoDataFrame
        From :func:`fiber_nodes`: points (seats, user nodes) and lines (user routes).
    roads : GeoDataFrame, optional
        Road lines (any CRS); the railway is dropped (:func:`national_roads`).
        None: straight line × ``detour_factor`` everywhere.
    elevation_on_grid : float array on ``grid``, optional
        Terrain for microwave line of sight (:meth:`geo.dem.Dem.on_grid`); None: every
        cell within ``microwave_km`` of a fibered site counts as reachable.
    fiber_within_km, microwave_km, mast_height_m : float
        Class thresholds and the mast height at both microwave ends.
    detour_factor : float
        Off-road cost per metre relative to a metre of road.

    Returns
    -------
    FiberReach
    """
    if nodes.crs is None:
        msg = "The fiber nodes have no CRS; build them with geo.fiber.fiber_nodes()."
        raise FiberError(msg)
    if fiber_within_km < 0 or microwave_km < 0 or mast_height_m < 0:
        msg = (
            f"fiber_within_km ({fiber_within_km}), microwave_km ({microwave_km}) and "
            f"mast_height_m ({mast_height_m}) must be ≥ 0."
        )
        raise FiberError(msg)
    res = float(grid.resolution_m)
    proj = nodes.to_crs(grid.crs)
    points = proj[proj.geom_type == "Point"]
    lines = proj[proj.geom_type != "Point"]

    # --- fiber cells: nodes and routes burnt onto the grid
    source = np.zeros(grid.shape, dtype=bool)
    rows, cols = grid.rowcol(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
    source[rows[inside], cols[inside]] = True
    if len(lines):
        source |= grid.burn(lines, values=np.ones(len(lines)), fill=0, dtype="uint8",
                            all_touched=True).astype(bool)

    # --- roads
    road_mask = None
    n_roads = 0
    if roads is not None and len(roads):
        roads_kept = national_roads(roads)
        n_roads = len(roads_kept)
        if n_roads:
            road_mask = grid.burn(roads_kept, values=np.ones(n_roads), fill=0, dtype="uint8",
                                  all_touched=True).astype(bool)

    distance = cost_distance_m(source, road_mask, res, detour_factor)

    # --- fibered sites that can host a microwave hub: nodes + points along routes
    site_rc = [(int(r), int(c)) for r, c in zip(rows[inside], cols[inside], strict=True)]
    for geom in lines.geometry:
        for pt in _line_points(geom, ROUTE_SITE_SPACING_M):
            r, c = grid.rowcol(np.array([pt.x]), np.array([pt.y]))
            if 0 <= r[0] < grid.height and 0 <= c[0] < grid.width:
                site_rc.append((int(r[0]), int(c[0])))
    site_rc = sorted(set(site_rc))

    microwave = _microwave_mask(grid.shape, res, site_rc, elevation_on_grid, microwave_km,
                                mast_height_m)
    backhaul = np.full(grid.shape, BACKHAUL_NONE, dtype=np.uint8)
    backhaul[microwave] = BACKHAUL_MICROWAVE
    backhaul[distance <= fiber_within_km * 1000.0] = BACKHAUL_FIBER

    meta = {
        "detour_factor": detour_factor,
        "fiber_within_km": fiber_within_km,
        "microwave_km": microwave_km,
        "mast_height_m": mast_height_m,
        "n_nodes": int(len(points)),
        "n_routes": int(len(lines)),
        "n_modelled_seats": int(nodes["modelled"].sum()) if "modelled" in nodes else 0,
        "n_microwave_hubs": len(site_rc),
        "n_road_lines": n_roads,
        "line_of_sight": "terrain" if elevation_on_grid is not None else "range only (no DEM)",
    }
    return FiberReach(grid, distance, backhaul, nodes, meta)


def _microwave_mask(shape, res_m, site_rc, elevation, microwave_km, mast_height_m):
    """Cells whose mast sees a fibered-site mast within ``microwave_km``."""
    reach_m = microwave_km * 1000.0
    out = np.zeros(shape, dtype=bool)
    if not site_rc or reach_m <= 0:
        return out
    if elevation is None:
        seeds = np.zeros(shape, dtype=bool)
        for r, c in site_rc:
            seeds[r, c] = True
        return ndimage.distance_transform_edt(~seeds, sampling=res_m) <= reach_m
    from geo.terrain import viewshed

    elev = np.asarray(elevation, dtype=np.float32)
    if elev.shape != tuple(shape):
        msg = f"elevation_on_grid has shape {elev.shape}; expected the grid's {tuple(shape)}."
        raise FiberError(msg)
    # microwave hops are kilometres long: decide line of sight on cells of at least
    # MICROWAVE_LOS_MIN_RES_M (block-mean elevation), then hand the answer back to the cells
    f = max(1, int(MICROWAVE_LOS_MIN_RES_M // res_m))
    if f > 1:
        elev = _block_mean(elev, f)
        site_rc = sorted({(r // f, c // f) for r, c in site_rc})
    res_los = res_m * f
    seen_all = np.zeros(elev.shape, dtype=bool)
    radius = int(math.ceil(reach_m / res_los)) + 1
    for r, c in site_rc:
        r0, r1 = max(0, r - radius), min(elev.shape[0], r + radius + 1)
        c0, c1 = max(0, c - radius), min(elev.shape[1], c + radius + 1)
        # both ends carry a mast_height_m mast: observer and target heights are equal
        seen = viewshed(elev[r0:r1, c0:c1], res_los, r - r0, c - c0, mast_height_m,
                        mast_height_m, reach_m)
        seen_all[r0:r1, c0:c1] |= seen
    if f > 1:
        seen_all = np.repeat(np.repeat(seen_all, f, axis=0), f, axis=1)[:shape[0], :shape[1]]
    return seen_all


def _block_mean(elev: np.ndarray, f: int) -> np.ndarray:
    """Mean of each f×f block (NaN ignored; all-NaN blocks stay NaN = sea level)."""
    return _block_mean_kernel(np.ascontiguousarray(elev, dtype=np.float32), int(f))


@numba.njit(cache=True)
def _block_mean_kernel(elev, f):  # pragma: no cover - numba
    rows, cols = elev.shape
    nr, nc = (rows + f - 1) // f, (cols + f - 1) // f
    sums = np.zeros((nr, nc), dtype=np.float64)
    counts = np.zeros((nr, nc), dtype=np.int64)
    for r in range(rows):
        br = r // f
        for c in range(cols):
            v = elev[r, c]
            if not np.isnan(v):
                sums[br, c // f] += v
                counts[br, c // f] += 1
    out = np.full((nr, nc), np.nan, dtype=np.float32)
    for i in range(nr):
        for j in range(nc):
            if counts[i, j] > 0:
                out[i, j] = sums[i, j] / counts[i, j]
    return out
