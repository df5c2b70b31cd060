"""geo.fiber: fiber nodes, distance to fiber along roads, backhaul classes behind a ridge."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point, Polygon

from geo.fiber import (
    _DC,
    _DR,
    BACKHAUL_FIBER,
    BACKHAUL_MICROWAVE,
    BACKHAUL_NONE,
    DETOUR_FACTOR,
    FiberError,
    cost_distance_m,
    fiber_nodes,
    fiber_reach,
    national_roads,
)
from geo.grid import Grid

UTM = "EPSG:32648"
RES = 100.0
N = 41  # 41 × 41 cells of 100 m
X0, Y0 = 600_000.0, 1_900_000.0  # lower-left corner, UTM 48N (≈ 106.0 E, 17.2 N)


def tiny_grid() -> Grid:
    return Grid(X0, Y0, X0 + N * RES, Y0 + N * RES, resolution_m=RES, crs=UTM)


def centre(row: int, col: int) -> tuple[float, float]:
    return X0 + (col + 0.5) * RES, Y0 + N * RES - (row + 0.5) * RES


def seats_at(*cells, modelled=None) -> gpd.GeoDataFrame:
    pts = [Point(*centre(r, c)) for r, c in cells]
    modelled = modelled or [False] * len(pts)
    return gpd.GeoDataFrame({
        "code": [f"{i:05d}" for i in range(len(pts))],
        "name": [f"seat {i}" for i in range(len(pts))],
        "seat_source": ["modelled" if m else "osm-2017" for m in modelled],
        "modelled": modelled,
    }, geometry=pts, crs=UTM).to_crs("EPSG:4326")


def road_along_row(row: int) -> gpd.GeoDataFrame:
    y = centre(row, 0)[1]
    return gpd.GeoDataFrame({"loai_duong": ["Đường chính"]},
                            geometry=[LineString([(X0, y), (X0 + N * RES, y)])], crs=UTM)


# ------------------------------------------------------------ known distances
def test_distance_along_road_and_straight_line_times_detour():
    grid = tiny_grid()
    nodes = fiber_nodes(seats_at((20, 0)))
    reach = fiber_reach(grid, nodes, roads=road_along_row(20))
    d = reach.distance_to_fiber_m
    assert d.dtype == np.float32 and d.shape == grid.shape
    assert d[20, 0] == 0
    # along the road: 30 cells × 100 m at cost 1
    assert d[20, 30] == pytest.approx(3000.0)
    # straight off the road, north: 20 cells × 100 m × 1.3
    assert d[0, 0] == pytest.approx(2000.0 * DETOUR_FACTOR)
    # (5, 30): follow the road, then leave it. The continuous optimum leaves the road when
    # cos θ = 1/1.3: u = 15 / sqrt(1.3² − 1) cells before column 30, cost
    # 100·(30 − u) + 1.3·100·sqrt(u² + 15²). The 16-neighbour grid may add ≤ 2.8 %.
    u = 15 / math.sqrt(DETOUR_FACTOR**2 - 1)
    optimum = 100 * (30 - u) + DETOUR_FACTOR * 100 * math.hypot(u, 15)
    straight = DETOUR_FACTOR * 100 * math.hypot(30, 15)
    assert optimum - 1 <= d[5, 30] <= optimum * 1.028
    assert d[5, 30] < straight


def test_no_roads_is_exact_straight_line_times_detour():
    grid = tiny_grid()
    reach = fiber_reach(grid, fiber_nodes(seats_at((20, 20))), roads=None)
    rows, cols = np.indices(grid.shape)
    expected = DETOUR_FACTOR * RES * np.hypot(rows - 20, cols - 20)
    np.testing.assert_allclose(reach.distance_to_fiber_m, expected, rtol=1e-6)


def test_railway_is_not_a_road():
    roads = gpd.GeoDataFrame(
        {"loai_duong": ["Đường sắt", "Đường chính"]},
        geometry=[LineString([(0, 0), (1, 1)]), LineString([(0, 1), (1, 0)])], crs=UTM)
    assert list(national_roads(roads)["loai_duong"]) == ["Đường chính"]
    grid = tiny_grid()
    rail = road_along_row(20).assign(loai_duong="Đường sắt")
    reach = fiber_reach(grid, fiber_nodes(seats_at((20, 0))), roads=rail)
    assert reach.distance_to_fiber_m[20, 30] == pytest.approx(3000 * DETOUR_FACTOR)


def _reference(source, road, res, detour):
    """scipy.sparse.csgraph Dijkstra on the same 16-neighbour graph, capped by 1.3 × EDT."""
    rows, cols = source.shape
    cost = np.where(road, 1.0, detour)
    idx = np.arange(rows * cols).reshape(rows, cols)
    i_list, j_list, w_list = [], [], []
    for dr, dc in zip(_DR, _DC, strict=True):
        r0, r1 = max(0, -dr), min(rows, rows - dr)
        c0, c1 = max(0, -dc), min(cols, cols - dc)
        a = idx[r0:r1, c0:c1]
        b = idx[r0 + dr:r1 + dr, c0 + dc:c1 + dc]
        w = math.hypot(dr, dc) * res * np.maximum(cost[r0:r1, c0:c1],
                                                   cost[r0 + dr:r1 + dr, c0 + dc:c1 + dc])
        i_list.append(a.ravel())
        j_list.append(b.ravel())
        w_list.append(w.ravel())
    graph = coo_matrix((np.concatenate(w_list), (np.concatenate(i_list),
                        np.concatenate(j_list))), shape=(rows * cols,) * 2).tocsr()
    d = dijkstra(graph, indices=np.flatnonzero(source), min_only=True).reshape(rows, cols)
    euclid = ndimage.distance_transform_edt(~source, sampling=res) * detour
    return np.minimum(d, euclid)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), detour=st.floats(1.0, 2.0))
def test_cost_distance_matches_scipy_dijkstra(seed, detour):
    rng = np.random.default_rng(seed)
    source = rng.random((17, 23)) < 0.02
    source[rng.integers(17), rng.integers(23)] = True
    road = rng.random((17, 23)) < 0.3
    ours = cost_distance_m(source, road, 50.0, detour)
    np.testing.assert_allclose(ours, _reference(source, road, 50.0, detour), rtol=1e-5)


def test_coarse_blocks_stay_close_to_exact():
    rng = np.random.default_rng(3)
    source = np.zeros((120, 150), dtype=bool)
    source[rng.integers(120, size=4), rng.integers(150, size=4)] = True
    road = np.zeros_like(source)
    road[60, :] = True
    road[:, 40] = True
    exact = cost_distance_m(source, road, 100.0)
    blocky = cost_distance_m(source, road, 100.0, max_cells=5000)  # 3 × 3 blocks
    # error bounded by a few block sizes at the detour rate
    assert np.abs(blocky - exact).max() <= 3 * 3 * 100 * DETOUR_FACTOR
    assert (blocky == 0).sum() == source.sum()  # exact at the sources (EDT part)


def test_no_fiber_anywhere_is_inf():
    d = cost_distance_m(np.zeros((5, 5), bool), None, 100.0)
    assert np.isinf(d).all()


# ----------------------------------------------------------------- backhaul
def ridge_dem() -> np.ndarray:
    elev = np.zeros((N, N), dtype=np.float32)
    elev[:, 25] = 500.0  # a 500 m wall across the grid at column 25
    return elev


def test_backhaul_classes_behind_a_synthetic_ridge():
    grid = tiny_grid()
    nodes = fiber_nodes(seats_at((20, 5)))
    reach = fiber_reach(grid, nodes, elevation_on_grid=ridge_dem(), fiber_within_km=0.5,
                        microwave_km=15.0, mast_height_m=30.0)
    b = reach.backhaul
    assert b.dtype == np.uint8
    assert b[20, 8] == BACKHAUL_FIBER  # 300 m × 1.3 = 390 m ≤ 500 m
    assert b[20, 9] == BACKHAUL_MICROWAVE  # 400 m × 1.3 = 520 m > 500 m
    assert (b[reach.distance_to_fiber_m <= 500] == BACKHAUL_FIBER).all()
    front = b[:, 12:24]
    assert (front == BACKHAUL_MICROWAVE).all()  # flat ground in front of the ridge: seen
    assert (b[:, 27:] == BACKHAUL_NONE).all()  # behind a 500 m wall 2 km away: hidden
    assert reach.metadata["line_of_sight"] == "terrain"
    # without a DEM, range only: everything within 15 km is microwave or fiber
    flat = fiber_reach(grid, nodes, elevation_on_grid=None, fiber_within_km=0.5)
    assert (flat.backhaul[:, 27:] == BACKHAUL_MICROWAVE).all()
    # a shorter microwave hop: beyond 2 km of the node nothing, even on flat ground
    short = fiber_reach(grid, nodes, elevation_on_grid=np.zeros((N, N), np.float32),
                        fiber_within_km=0.5, microwave_km=2.0)
    rows, cols = np.indices(grid.shape)
    far = np.hypot(rows - 20, cols - 5) * RES > 2000 + RES
    assert (short.backhaul[far] == BACKHAUL_NONE).all()
    shares = reach.share_by_class()
    assert sum(shares.values()) == pytest.approx(1.0)


def test_fiber_class_uses_road_distance_threshold():
    grid = tiny_grid()
    reach = fiber_reach(grid, fiber_nodes(seats_at((20, 0))), roads=road_along_row(20),
                        fiber_within_km=2.0, microwave_km=0.0)
    b = reach.backhaul
    assert b[20, 20] == BACKHAUL_FIBER  # 2000 m along the road
    assert b[20, 21] == BACKHAUL_NONE
    assert b[5, 0] == BACKHAUL_FIBER  # 15 cells off the road: 1500 m × 1.3 = 1950 m
    assert b[4, 0] == BACKHAUL_NONE  # 1600 m × 1.3 = 2080 m


def test_elevation_shape_must_match_grid():
    with pytest.raises(FiberError, match="shape"):
        fiber_reach(tiny_grid(), fiber_nodes(seats_at((20, 5))),
                    elevation_on_grid=np.zeros((3, 3), np.float32))


# ------------------------------------------------------------- nodes / user fiber
def test_user_geojson_routes_and_nodes_merged(tmp_path):
    to_ll = gpd.GeoSeries([Point(*centre(35, 35)),
                           LineString([centre(2, 2), centre(2, 38)])], crs=UTM).to_crs(4326)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "POP Hướng Hóa"},
         "geometry": {"type": "Point", "coordinates": list(to_ll.iloc[0].coords[0])}},
        {"type": "Feature", "properties": {"name": "backbone"},
         "geometry": {"type": "LineString", "coordinates": [list(c) for c in to_ll.iloc[1].coords]}},
    ]}
    path = tmp_path / "fiber.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    seats = seats_at((20, 0), (30, 10), modelled=[True, False])
    nodes = fiber_nodes(seats, user_nodes=path)
    assert list(nodes["kind"]) == ["commune seat", "commune seat", "user node", "user route"]
    assert list(nodes["modelled"]) == [True, False, False, False]
    assert list(nodes["seat_source"]) == ["modelled", "osm-2017", "user", "user"]
    assert nodes.crs.to_epsg() == 4326
    reach = fiber_reach(tiny_grid(), nodes)
    d = reach.distance_to_fiber_m
    assert d[35, 35] == 0 and d[2, 20] == 0 and d[2, 38] == 0  # node and route cells
    assert d[3, 20] == pytest.approx(RES * DETOUR_FACTOR)
    assert reach.metadata["n_routes"] == 1 and reach.metadata["n_nodes"] == 3
    assert reach.metadata["n_modelled_seats"] == 1
    # same result when the routes come in the other argument
    again = fiber_nodes(seats, user_routes=gpd.read_file(path))
    assert list(again["kind"]) == list(nodes["kind"])


def test_polygon_fiber_refused(tmp_path):
    poly = gpd.GeoDataFrame(geometry=[Polygon([(106, 17), (106.1, 17), (106.1, 17.1)])],
                            crs="EPSG:4326")
    with pytest.raises(FiberError, match="Polygon"):
        fiber_nodes(seats_at((1, 1)), user_nodes=poly)
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(FiberError, match="Cannot read fiber file"):
        fiber_nodes(seats_at((1, 1)), user_routes=bad)


def test_to_geotiffs(tmp_path):
    import rasterio

    reach = fiber_reach(tiny_grid(), fiber_nodes(seats_at((20, 20))))
    paths = reach.to_geotiffs(tmp_path, tags={"DEM": "none"})
    assert [p.name for p in paths] == ["fiber_distance_m.tif", "backhaul_class.tif"]
    with rasterio.open(paths[1]) as src:
        assert src.read(1)[20, 20] == BACKHAUL_FIBER
        assert src.tags()["DEM"] == "none"


# -------------------------------------------------------------- embedded data
def test_real_seats_and_roads_on_a_coarse_grid():
    from geo.data import load_province, load_roads, load_seats

    # data/ ships with the repo: a missing or corrupt copy must fail, not skip (#19)
    seats, roads, province = load_seats(), load_roads(), load_province()
    nodes = fiber_nodes(seats)
    assert (nodes["kind"] == "commune seat").sum() == len(seats) == 78
    assert nodes["modelled"].sum() == seats["modelled"].sum()
    grid = Grid.for_geometry(province, 1000)
    reach = fiber_reach(grid, nodes, roads=roads)
    d = reach.distance_to_fiber_m
    r, c = grid.rowcol(*grid.from_lonlat(seats.geometry.x.to_numpy(), seats.geometry.y.to_numpy()))
    assert (d[r, c] == 0).all()
    assert np.isfinite(d).all()
    # somewhere the roads make the way shorter than the straight line × detour
    src = np.zeros(grid.shape, bool)
    src[r, c] = True
    straight = ndimage.distance_transform_edt(~src, sampling=1000.0) * DETOUR_FACTOR
    assert (d < straight - 1000).any()
    assert (d <= straight * (1 + 1e-6) + 1e-3).all()  # float32 rounding


def test_microwave_los_on_blocks_for_fine_grids():
    """A 30 m grid decides line of sight on 90 m blocks (block-mean elevation)."""
    from geo.fiber import _block_mean

    a = np.arange(36, dtype=np.float32).reshape(6, 6)
    a[0:3, 0:3] = np.nan
    a[3, 3] = np.nan
    np.testing.assert_allclose(_block_mean(a, 3), [[np.nan, 10.0], [25.0, 231 / 8]])

    n, res = 90, 30.0
    grid = Grid(X0, Y0, X0 + n * res, Y0 + n * res, resolution_m=res, crs=UTM)
    elev = np.zeros((n, n), dtype=np.float32)
    elev[:, 60] = 500.0
    seat = gpd.GeoDataFrame({"name": ["s"], "seat_source": ["osm-2017"], "modelled": [False]},
                            geometry=[Point(X0 + 5.5 * res, Y0 + n * res - 45.5 * res)], crs=UTM)
    reach = fiber_reach(grid, fiber_nodes(seat), elevation_on_grid=elev, fiber_within_km=0.1)
    b = reach.backhaul
    assert (b[:, 15:55] == BACKHAUL_MICROWAVE).all()
    assert (b[:, 66:] == BACKHAUL_NONE).all()
