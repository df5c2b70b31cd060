"""Coverage engine: known answers on flat ground, terrain effects, combination, outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coverage import (
    Coverage,
    CoverageConfig,
    CoverageError,
    clear_cache,
    compute,
    station_rsrp_window,
)
from geo.propagation import path_loss_db
from geo.radio_defaults import defaults_for
from geo.terrain import curvature_drop_m
from tests._coverage_helpers import cell_centre, fractal_terrain, small_grid, stations_at

# The engine's physics before clutter: LOS path loss where terrain is clear, knife edge
# on top where it is not — what the terrain known answers below are written for (the
# Bullington default has its own known answers in tests/test_bullington_sweep.py).
LOS_ONLY = {"clear_model": "los", "obstructed_model": "diffraction",
            "diffraction_model": "knife-edge"}
RMA = CoverageConfig(model="38901-rma", **LOS_ONLY, max_radius_m=5_000.0, workers=1)


def _expected_rsrp(tech, d_m, model="38901-rma", h_bs=30.0):
    d = defaults_for(tech)
    pl = path_loss_db(model, d_m, d.band_mhz, h_bs, 1.5, strict=False)
    return d.eirp_dbm - 10 * math.log10(d.subcarriers) - pl


def test_default_clear_path_is_the_los_probability_blend():
    # TR 38.901 Table 7.4.2-1: P_LOS(RMa) = exp(-(d-10)/1000); PL = P·PL_LOS + (1-P)·PL_NLOS
    grid = small_grid(61, 61)
    stations = stations_at(grid, [(30, 30)])
    cov = compute(stations, grid, None, CoverageConfig(model="38901-rma", terrain=False,
                                                       max_radius_m=3_000.0, workers=1))
    d5 = defaults_for("5G")
    for dc in (2, 10, 25):
        d_m = dc * 100.0
        p = math.exp(-(d_m - 10.0) / 1000.0)
        pl_los = path_loss_db("38901-rma", d_m, d5.band_mhz, 30.0, 1.5, los=True, strict=False)
        pl_nlos = path_loss_db("38901-rma", d_m, d5.band_mhz, 30.0, 1.5, los=False, strict=False)
        expected = d5.eirp_dbm - 10 * math.log10(d5.subcarriers) - (p * pl_los + (1 - p) * pl_nlos)
        assert cov.rsrp_dbm["5G"][30, 30 + dc] == pytest.approx(expected, abs=0.02)
        assert cov.rsrp_dbm["5G"][30, 30 + dc] < _expected_rsrp("5G", d_m) - 0.5 * (1 - p)


def test_flat_ground_rsrp_is_the_link_budget():
    # RSRP = EIRP − 10 log10(N_RE) − PL_RMa-LOS(d)  (TR 38.901 Table 7.4.1-1)
    grid = small_grid(61, 61)
    stations = stations_at(grid, [(30, 30)])
    cov = compute(stations, grid, None, CoverageConfig(model="38901-rma", **LOS_ONLY, terrain=False,
                                                       max_radius_m=3_000.0, workers=1))
    rsrp = cov.rsrp_dbm["5G"]
    for dc in (1, 5, 12, 25):
        assert rsrp[30, 30 + dc] == pytest.approx(_expected_rsrp("5G", dc * 100.0), abs=0.02)
    # by hand at 1 km: 77 − 10 log10(3276) = 41.85 dBm per RE; PL1(1000 m) (d < d_BP = 3.3 km)
    fc = 3.5
    d3 = math.hypot(1000.0, 28.5)
    pl1 = (20 * math.log10(40 * math.pi * d3 * fc / 3) + min(0.03 * 5**1.72, 10) * math.log10(d3)
           - min(0.044 * 5**1.72, 14.77) + 0.002 * math.log10(5) * d3)
    assert rsrp[30, 40] == pytest.approx(77 - 10 * math.log10(3276) - pl1, abs=0.02)
    assert np.isnan(rsrp[0, 0])  # beyond the 3 km window
    assert cov.best_server["5G"][30, 40] == 0 and cov.best_server["5G"][0, 0] == -1


def test_terrain_on_flat_dem_equals_terrain_off_nearby():
    grid = small_grid(61, 61)
    stations = stations_at(grid, [(30, 30)], technology="4G")
    flat = np.full(grid.shape, 7.0, dtype=np.float32)
    on = compute(stations, grid, flat, RMA)
    off = compute(stations, grid, flat, CoverageConfig(model="38901-rma", **LOS_ONLY, terrain=False,
                                                       max_radius_m=5_000.0, workers=1))
    np.testing.assert_array_equal(on.rsrp_dbm["4G"], off.rsrp_dbm["4G"])


def test_loss_grows_with_distance_on_flat_ground():
    grid = small_grid(41, 121)
    stations = stations_at(grid, [(20, 0)])
    cov = compute(stations, grid, np.zeros(grid.shape, np.float32), RMA)
    row = cov.rsrp_dbm["5G"][20, : 5_000 // 100]
    assert np.all(np.diff(row) <= 0.0)
    assert row[1] - row[-1] > 30.0


def test_knife_edge_at_grazing_costs_about_6_db():
    res, d1, dist, h_tx, h_rx = 100.0, 2_000.0, 4_000.0, 30.0, 1.5
    grid = small_grid(21, 61, res)
    r0, c0 = 10, 5
    z = np.zeros(grid.shape, dtype=np.float32)
    # a one-cell wall whose top is 0.05 m above the antenna–target line (grazing, v ≈ 0)
    z_rx = h_rx - curvature_drop_m(dist)
    line = h_tx + (z_rx - h_tx) * d1 / dist
    z[:, c0 + int(d1 / res)] = line + curvature_drop_m(d1) + 0.05
    stations = stations_at(grid, [(r0, c0)], technology="4G")
    on = compute(stations, grid, z, RMA).rsrp_dbm["4G"]
    off = compute(stations, grid, z, CoverageConfig(model="38901-rma", **LOS_ONLY, terrain=False,
                                                    max_radius_m=5_000.0, workers=1)).rsrp_dbm["4G"]
    target = c0 + int(dist / res)
    extra = off[r0, target] - on[r0, target]
    assert extra == pytest.approx(6.0, abs=0.3)  # ITU-R P.526 J(0) = 6.03 dB
    assert off[r0, c0 + 10] == on[r0, c0 + 10]  # in front of the wall: no change


def test_ridge_shadows_the_valley_behind_it():
    grid = small_grid(41, 81)
    z = np.zeros(grid.shape, dtype=np.float32)
    z[:, 30] = 300.0
    stations = stations_at(grid, [(20, 10)])
    on = compute(stations, grid, z, RMA).rsrp_dbm["5G"]
    off = compute(stations, grid, z, CoverageConfig(model="38901-rma", **LOS_ONLY, terrain=False,
                                                    max_radius_m=5_000.0, workers=1)).rsrp_dbm["5G"]
    assert np.all(off[20, 32:55] - on[20, 32:55] > 10.0)
    np.testing.assert_array_equal(on[20, 11:29], off[20, 11:29])


def test_nlos_floor_is_never_more_optimistic():
    grid = small_grid(61, 61)
    z = fractal_terrain(grid.shape, 3, relief_m=300.0)
    stations = stations_at(grid, [(30, 30)])
    a = compute(stations, grid, z, RMA).rsrp_dbm["5G"]
    b = compute(stations, grid, z, CoverageConfig(model="38901-rma", max_radius_m=5_000.0,
                                                  clear_model="los", obstructed_model="38901-nlos",
                                                  workers=1)).rsrp_dbm["5G"]
    ok = ~np.isnan(a)
    assert np.all(b[ok] <= a[ok] + 0.011)
    assert np.any(b[ok] < a[ok] - 1.0)


def test_sector_antenna_back_is_30_db_below_front():
    grid = small_grid(41, 41)
    stations = stations_at(grid, [(20, 20)], azimuth_deg=90.0, tilt_deg=0.0)
    rsrp = compute(stations, grid, None, CoverageConfig(model="38901-rma", **LOS_ONLY, terrain=False,
                                                        max_radius_m=2_000.0,
                                                        workers=1)).rsrp_dbm["5G"]
    east, west = rsrp[20, 35], rsrp[20, 5]
    assert east - west == pytest.approx(30.0, abs=0.3)


def test_station_window_matches_compute():
    grid = small_grid(61, 61)
    z = fractal_terrain(grid.shape, 5, relief_m=400.0)
    stations = stations_at(grid, [(25, 33)], technology="4G")
    cov = compute(stations, grid, z, RMA)
    x, y = cell_centre(grid, 25, 33)
    (rows, cols), rsrp = station_rsrp_window({"technology": "4G", "x": x, "y": y}, grid, z, RMA)
    np.testing.assert_array_equal(rsrp, cov.rsrp_dbm["4G"][rows, cols])


def test_extrapolated_cells_are_counted():
    grid = small_grid(41, 41, 500.0)
    stations = stations_at(grid, [(20, 20)])
    near = compute(stations, grid, None, CoverageConfig(model="38901-rma", **LOS_ONLY, max_radius_m=9_000.0,
                                                        workers=1))
    far = compute(stations, grid, None, CoverageConfig(model="38901-rma", **LOS_ONLY, max_radius_m=14_000.0,
                                                       workers=1))
    assert near.metadata["extrapolated_cells"] == 1  # only the mast cell (d < 10 m)
    # RMa LOS is valid from 10 m to 10 km: the mast cell plus every cell of the window whose
    # nearest table sample (62.5 m steps at 500 m cells) lies beyond 10 km
    reach_cells = far.metadata["reach_m"]["max"] / 500.0
    di, dj = np.mgrid[-20:21, -20:21]
    d2 = di**2 + dj**2
    x = np.sqrt(d2) * 8.0  # distance in table steps
    kn = np.floor(x) + ((x - np.floor(x)) > 0.5)
    expected = int(((d2 <= reach_cells**2) & ((kn * 62.5 > 10_000.0) | (kn * 62.5 < 10.0))).sum())
    assert far.metadata["reach_m"]["max"] == 14_000.0
    assert far.metadata["extrapolated_cells"] == expected == 1 + 412


@settings(max_examples=12, deadline=None)
@given(cells=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), min_size=1, max_size=4),
       extra=st.tuples(st.integers(0, 39), st.integers(0, 39)), seed=st.integers(0, 50))
def test_adding_a_station_never_lowers_the_best_signal(cells, extra, seed):
    grid = small_grid(40, 40)
    z = fractal_terrain(grid.shape, seed, relief_m=300.0)
    cfg = CoverageConfig(model="38901-rma", **LOS_ONLY, max_radius_m=2_500.0, workers=1)
    before = compute(stations_at(grid, cells), grid, z, cfg)
    after = compute(stations_at(grid, [*cells, extra]), grid, z, cfg)
    b, a = before.rsrp_dbm["5G"], after.rsrp_dbm["5G"]
    ok = ~np.isnan(b)
    assert np.all(~np.isnan(a[ok]))
    assert np.all(a[ok] >= b[ok])
    assert np.all(after.n_servers["5G"] >= before.n_servers["5G"])
    assert np.all(after.covered("any") >= before.covered("any"))


def test_any_is_the_union_and_indoor_margin_shrinks_coverage():
    grid = small_grid(61, 61, 250.0)
    stations = stations_at(grid, [(10, 10), (50, 50)], technology=["5G", "4G"])
    cfg = CoverageConfig(model="38901-rma", **LOS_ONLY, max_radius_m=8_000.0, workers=2)
    cov = compute(stations, grid, None, cfg)
    np.testing.assert_array_equal(cov.covered("any"), cov.covered("5G") | cov.covered("4G"))
    assert not cov.covered("2G").any()
    indoor = compute(stations, grid, None, CoverageConfig(model="38901-rma", **LOS_ONLY, max_radius_m=8_000.0,
                                                          indoor_margin_db=30.0))
    assert indoor.covered("any").sum() < cov.covered("any").sum()
    assert np.all(indoor.covered("any") <= cov.covered("any"))
    with pytest.raises(CoverageError):
        cov.covered("6G")


def test_covered_people_never_exceed_total():
    grid = small_grid(61, 61)
    rng = np.random.default_rng(0)
    pop = rng.gamma(0.5, 20.0, grid.shape).astype(np.float32)
    stations = stations_at(grid, [(30, 30)], technology="4G")
    cov = compute(stations, grid, fractal_terrain(grid.shape, 2, 500.0), RMA, population=pop)
    s = cov.summary(pop, "any")
    assert s["people_total"] == pytest.approx(float(pop.sum(dtype=np.float64)), rel=1e-9)
    assert 0 < s["people_covered"] <= s["people_total"]
    assert 0 < s["share_covered"] <= 1.0 and 0 < s["area_share_covered"] <= 1.0
    assert cov.metadata["summary"]["4G"]["people_covered"] == s["people_covered"]


def test_cache_reuses_unchanged_stations():
    clear_cache()
    grid = small_grid(61, 61)
    z = fractal_terrain(grid.shape, 9, relief_m=300.0)
    cells = [(10, 10), (30, 30), (50, 20)]
    first = compute(stations_at(grid, cells), grid, z, RMA)
    again = compute(stations_at(grid, cells), grid, z, RMA)
    assert again.metadata["stations_from_cache"] == 3
    np.testing.assert_array_equal(first.rsrp_dbm["5G"], again.rsrp_dbm["5G"])
    moved = compute(stations_at(grid, [(10, 10), (31, 30), (50, 20)]), grid, z, RMA)
    assert moved.metadata["stations_computed"] == 1
    assert moved.metadata["stations_from_cache"] == 2


def test_disk_cache_round_trip(tmp_path):
    clear_cache()
    grid = small_grid(41, 41)
    cfg = CoverageConfig(model="38901-rma", **LOS_ONLY, max_radius_m=3_000.0, workers=1,
                         cache_dir=str(tmp_path))
    stations = stations_at(grid, [(20, 20)])
    first = compute(stations, grid, None, cfg)
    clear_cache()
    again = compute(stations, grid, None, cfg)
    assert again.metadata["stations_from_cache"] == 1
    np.testing.assert_array_equal(first.rsrp_dbm["5G"], again.rsrp_dbm["5G"])


def test_coarse_dem_is_flagged(tmp_path):
    from geo.dem import Dem

    grid = small_grid(41, 41)
    x0, y0 = grid.xmin - 20_000, grid.ymax + 20_000
    dem = Dem.from_array(np.full((6, 6), 50.0, np.float32),
                         (9_000.0, 0.0, x0, 0.0, -9_000.0, y0), "EPSG:32648", source="test relief")
    cov = compute(stations_at(grid, [(20, 20)]), grid, dem, RMA)
    assert cov.metadata["dem_resolution_m"] == pytest.approx(9_000.0, rel=0.01)
    assert any("coarse" in w for w in cov.metadata["warnings"])
    paths = cov.to_geotiffs(tmp_path)
    with rasterio.open(paths[0]) as src:
        tags = src.tags()
    assert "coarse" in tags["DEM_WARNING"] and "test relief" in tags["DEM"]


def test_geotiffs_round_trip(tmp_path):
    grid = small_grid(41, 41)
    stations = stations_at(grid, [(20, 20)], technology="4G")
    cov = compute(stations, grid, None, RMA)
    paths = cov.to_geotiffs(tmp_path)
    names = {p.name for p in paths}
    assert {"rsrp_4g.tif", "best_server_4g.tif", "n_servers_4g.tif", "covered_4g.tif",
            "covered_any.tif"} <= names
    with rasterio.open(tmp_path / "rsrp_4g.tif") as src:
        assert src.crs.to_epsg() == 32648
        assert math.isnan(src.nodata)
        assert src.transform == grid.transform
        arr = src.read(1)
        tags = src.tags()
    np.testing.assert_array_equal(arr, cov.rsrp_dbm["4G"])
    assert tags["RESOLUTION_M"] == "100" and tags["TERRAIN"] == "on"
    assert tags["TECHNOLOGY"] == "4G" and tags["THRESHOLD_DBM"] == "-115"
    assert "DEM" in tags
    with rasterio.open(tmp_path / "best_server_4g.tif") as src:
        assert src.nodata == -1
        np.testing.assert_array_equal(src.read(1), cov.best_server["4G"])
    with rasterio.open(tmp_path / "covered_any.tif") as src:
        assert src.nodata == 255
        np.testing.assert_array_equal(src.read(1).astype(bool), cov.covered("any"))


def test_per_commune_summary():
    import geopandas as gpd
    from shapely.geometry import box

    grid = small_grid(40, 40)
    xs, ys = grid.cell_centres()
    left = box(grid.xmin, grid.ymin, grid.xmin + 2_000, grid.ymax)
    right = box(grid.xmin + 2_000, grid.ymin, grid.xmax, grid.ymax)
    communes = gpd.GeoDataFrame({"code": ["1", "2"], "name": ["A", "B"]},
                                geometry=[left, right], crs="EPSG:32648")
    pop = np.ones(grid.shape, np.float32)
    cov = compute(stations_at(grid, [(20, 5)], technology="4G"), grid, None,
                  CoverageConfig(model="38901-rma", **LOS_ONLY, max_radius_m=1_200.0, workers=1,
                                 terrain=False))
    df = cov.per_commune(communes, pop, "4G")
    assert list(df["code"]) == ["1", "2"]
    assert df["area_km2"].tolist() == pytest.approx([8.0, 8.0])
    # LTE 1800 at ≤ 1.2 km in RMa LOS is far above both links' levels (−66 dBm at the edge):
    # every cell of the 12-cell disc is covered; the disc (column 5 ± 12, clipped at column 0)
    # lies wholly in commune A (columns 0–19), one person per cell
    di, dj = np.mgrid[-12:13, -12:13]
    disc = int(((di**2 + dj**2 <= 144) & (dj >= -5)).sum())
    assert disc == 346
    assert df["people_covered"].tolist() == [disc, 0.0]
    assert df["people"].tolist() == [800.0, 800.0]
    assert df["people_covered_uplink"].tolist() == [disc, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"model": "hata"}, "model"), ({"obstructed_model": "x"}, "obstructed_model"),
     ({"max_radius_m": 0.0}, "max_radius_m"), ({"technologies": ("6G",)}, "technologies")],
)
def test_bad_config_raises(kwargs, match):
    with pytest.raises(CoverageError, match=match):
        CoverageConfig(**kwargs)


def test_bad_inputs_raise():
    grid = small_grid(20, 20)
    with pytest.raises(CoverageError, match="StationSet or a GeoDataFrame"):
        compute([1, 2], grid, None)
    with pytest.raises(CoverageError, match="shape"):
        compute(stations_at(grid, [(5, 5)]), grid, np.zeros((3, 3)), RMA)


def test_coverage_type():
    grid = small_grid(20, 20)
    cov = compute(stations_at(grid, [(5, 5)]), grid, None, RMA)
    assert isinstance(cov, Coverage)
    assert cov.rsrp_dbm["5G"].dtype == np.float32
    assert cov.best_server["5G"].dtype == np.int32
    assert cov.n_servers["5G"].dtype == np.uint16
    # and the values: one station, the link budget at 300 m, itself as best server everywhere
    assert cov.rsrp_dbm["5G"][5, 8] == pytest.approx(_expected_rsrp("5G", 300.0), abs=0.01)
    assert (cov.best_server["5G"] == 0).all()
    np.testing.assert_array_equal(cov.n_servers["5G"], cov.covered_downlink("5G").astype(np.uint16))


def test_cli_writes_geotiffs_and_summary(tmp_path):
    import json

    from lomsong.cli import main

    csv = tmp_path / "sites.csv"
    csv.write_text("station_id,lat,lon,technology,band_mhz\nA,16.75,107.18,4G,1800\n"
                   "B,17.47,106.60,5G,3500\n")
    out = tmp_path / "out"
    rc = main(["coverage", "--stations", str(csv), "--tech", "any", "--resolution", "1000",
               "--terrain", "off", "--no-progress", "--out", str(out)])
    assert rc == 0
    summary = json.loads((out / "coverage_summary.json").read_text())
    for key in ("people_total", "people_covered", "share_covered", "area_share_covered",
                "stations", "resolution_m", "terrain", "seconds", "dem", "dem_resolution_m",
                "warnings"):
        assert key in summary
    assert summary["stations"] == 2 and summary["terrain"] is False
    assert 0 < summary["people_covered"] <= summary["people_total"]
    assert (out / "covered_any.tif").exists()
    assert main(["coverage", "--stations", str(tmp_path / "none.csv"), "--out", str(out)]) == 2
