"""Drive tests against the model (#17): comparison, calibration, engine correction, storage."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.calibration import (
    MIN_POINTS,
    CalibrationError,
    calibrate,
    cross_validated_rmse,
    delete_calibration,
    fit_offset_slope,
    list_calibrations,
    load_calibration,
    save_calibration,
)
from analysis.measurements import (
    MeasurementError,
    compare,
    disagreement_clusters,
    distance_band,
    residual_stats,
)
from geo.correction import CorrectionError, ModelCorrection, correction_db, log_distance
from geo.coverage import CoverageConfig, CoverageError, compute
from tests._coverage_helpers import small_grid, stations_at

# flat-ground, one-model physics: the known answers below do not depend on clutter
CFG = CoverageConfig(model="38901-rma", max_radius_m=6_000.0, workers=1)


def _drive_test(cov, n, rng, offset_db=0.0, slope=0.0, sigma_db=0.0, tech="4G", min_d_m=150.0,
                **columns):
    """Points on random covered cells, measured = model + a + b·log10(d/1 km) + N(0, σ)."""
    grid = cov.grid
    rsrp = cov.rsrp_dbm[tech]
    st = cov.stations.geometry.to_crs(grid.crs)
    sr, sc = grid.rowcol(st.x.to_numpy(), st.y.to_numpy())
    rows, cols = np.nonzero(np.isfinite(rsrp))
    d = np.hypot(rows - sr[0], cols - sc[0]) * grid.resolution_m
    keep = d >= min_d_m
    pick = rng.choice(np.flatnonzero(keep), size=n, replace=True)
    rows, cols, d = rows[pick], cols[pick], d[pick]
    xs, ys = grid.cell_centres()
    lon, lat = grid.to_lonlat(xs[cols], ys[rows])
    measured = rsrp[rows, cols] + correction_db(d, offset_db, slope) + rng.normal(0, sigma_db, n)
    data = {"technology": [tech] * n, "rsrp_dbm": measured, "source_row": np.arange(n) + 2}
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=[Point(a, b) for a, b in zip(lon, lat, strict=True)],
                            crs="EPSG:4326"), d


@pytest.fixture(scope="module")
def one_station():
    grid = small_grid(121, 121)
    st = stations_at(grid, [(60, 60)], technology="4G", height_m=30.0)
    return grid, st, compute(st, grid, None, CFG)


# ----------------------------------------------------------------------------- correction
def test_correction_known_answers():
    # a + b·log10(max(d, 100 m) / 1 km): at 1 km the offset, per decade the slope
    assert float(correction_db(1_000.0, -4.0, -6.0)) == pytest.approx(-4.0)
    assert float(correction_db(10_000.0, -4.0, -6.0)) == pytest.approx(-10.0)
    assert float(correction_db(10.0, -4.0, -6.0)) == pytest.approx(2.0)  # clamped at 100 m
    assert float(log_distance(316.227766)) == pytest.approx(-0.5)


@pytest.mark.parametrize("pair", [(float("nan"), 0.0), (50.0, 0.0), (0.0, 99.0), ("x", 1)])
def test_bad_correction_is_refused(pair):
    with pytest.raises(CorrectionError):
        ModelCorrection("bad", {"4G": pair})
    with pytest.raises(CorrectionError, match="technology"):
        ModelCorrection("bad", {"6G": (1.0, 0.0)})
    with pytest.raises(CoverageError, match="ModelCorrection"):
        CoverageConfig(calibration={"4G": (1.0, 0.0)})


def test_engine_applies_exactly_the_fitted_curve(one_station):
    grid, st, _ = one_station
    corr = ModelCorrection("t", {"4G": (-5.0, -8.0)})
    # the same 6 km window in both runs: a calibration moves the reach rule's radius and
    # with it the sweep's ray fan, which the Bullington loss of clear cells sees (±0.2 dB)
    base = CoverageConfig(**{**CFG.__dict__, "reach_margin_db": 1000.0})
    cov = compute(st, grid, None, base)
    cal = compute(st, grid, None, CoverageConfig(**{**base.__dict__, "calibration": corr}))
    rows, cols = np.nonzero(np.isfinite(cal.rsrp_dbm["4G"]) & np.isfinite(cov.rsrp_dbm["4G"]))
    d = np.hypot(rows - 60, cols - 60) * grid.resolution_m
    diff = cal.rsrp_dbm["4G"][rows, cols] - cov.rsrp_dbm["4G"][rows, cols]
    # int16 windows hold 0.01 dB; the tables interpolate Δ(d) linearly between samples
    assert np.max(np.abs(diff - correction_db(d, -5.0, -8.0))) < 0.05
    assert cal.metadata["calibration"].startswith("t (4G -5.0 dB, -8.0 dB/decade)")
    assert "CALIBRATION" in cal.tags("4G")


def test_calibration_moves_coverage_the_way_of_the_offset(one_station):
    grid, st, cov = one_station
    base = int(cov.covered("4G").sum())
    down = compute(st, grid, None, CoverageConfig(**{**CFG.__dict__, "calibration":
                                                     ModelCorrection("d", {"4G": (-6.0, 0.0)})}))
    up = compute(st, grid, None, CoverageConfig(**{**CFG.__dict__, "calibration":
                                                   ModelCorrection("u", {"4G": (6.0, 0.0)})}))
    assert int(down.covered("4G").sum()) < base < int(up.covered("4G").sum())
    # another technology's correction leaves 4G alone (and the cache key tells them apart)
    other = compute(st, grid, None, CoverageConfig(**{**CFG.__dict__, "calibration":
                                                      ModelCorrection("o", {"5G": (6.0, 0.0)})}))
    np.testing.assert_array_equal(other.rsrp_dbm["4G"], cov.rsrp_dbm["4G"])


# ----------------------------------------------------------------------------- compare
def test_compare_residuals_are_model_minus_measured(one_station):
    _, _, cov = one_station
    pts, d = _drive_test(cov, 200, np.random.default_rng(1), offset_db=-3.0)
    cmp_ = compare(pts, cov)
    p = cmp_.points
    assert len(p) == 200 and (p["basis"] == "technology").all()
    np.testing.assert_allclose(p["residual_db"], 3.0, atol=1e-4)  # model 3 dB optimistic
    np.testing.assert_allclose(p["distance_m"], d)
    assert cmp_.stats["overall"] == {"n": 200, "bias_db": 3.0, "rmse_db": 3.0, "sigma_db": 0.0}
    assert (p["los"] == "LOS").all()  # flat ground
    assert set(p["distance_band"]) <= {"0–1 km", "1–3 km", "3–10 km"}


def test_residual_stats_known_answer():
    df = pd.DataFrame({"residual_db": [1.0, -1.0, 3.0, np.nan], "g": ["a", "a", "b", "b"]})
    # bias 1, RMSE sqrt(11/3), σ = sqrt(((0)²+(−2)²+(2)²)/2) = 2
    assert residual_stats(df) == {"n": 3, "bias_db": 1.0, "rmse_db": round(math.sqrt(11 / 3), 2),
                                  "sigma_db": 2.0}
    by = residual_stats(df, by="g")
    assert by[0] == {"g": "a", "n": 2, "bias_db": 0.0, "rmse_db": 1.0, "sigma_db": 1.41}
    assert by[1]["n"] == 1 and by[1]["sigma_db"] is None


def test_distance_bands():
    assert list(distance_band([0.0, 999.0, 1000.0, 2500.0, 12_000.0, np.nan])) == [
        "0–1 km", "0–1 km", "1–3 km", "1–3 km", "≥10 km", ""]


def test_points_out_of_reach_or_grid_are_kept_not_compared(one_station):
    grid, _, cov = one_station
    lon, lat = grid.to_lonlat(np.array([grid.xmin + 50.0, grid.xmax + 5_000.0]),
                              np.array([grid.ymin + 50.0, grid.ymax - 50.0]))
    pts = gpd.GeoDataFrame({"technology": ["4G", "4G"], "rsrp_dbm": [-100.0, -90.0]},
                           geometry=[Point(a, b) for a, b in zip(lon, lat, strict=True)],
                           crs="EPSG:4326")
    cov_small = compute(cov.stations, grid, None, CoverageConfig(**{**CFG.__dict__,
                                                                    "max_radius_m": 1_000.0}))
    p = compare(pts, cov_small).points
    assert list(p["basis"]) == ["no prediction (out of reach)", "outside grid"]
    assert p["residual_db"].isna().all()


def test_operator_and_cell_predictions():
    grid = small_grid(81, 81)
    st = stations_at(grid, [(40, 20), (40, 60)], technology="4G", height_m=30.0,
                     operator=["Viettel", "VNPT"])
    cov = compute(st, grid, None, CFG)
    alone = compute(st.iloc[[1]], grid, None, CFG)
    # a point next to the Viettel mast, measured by a VNPT phone: only VNPT's mast counts
    xs, ys = grid.cell_centres()
    lon, lat = grid.to_lonlat(np.array([xs[22], xs[22]]), np.array([ys[40], ys[40]]))
    pts = gpd.GeoDataFrame({"technology": ["4G", "4G"], "rsrp_dbm": [-90.0, -90.0],
                            "operator": ["VNPT", ""], "cell_id": ["", "S1"]},
                           geometry=[Point(a, b) for a, b in zip(lon, lat, strict=True)],
                           crs="EPSG:4326")
    p = compare(pts, cov).points
    assert list(p["basis"]) == ["operator", "cell"]
    assert list(p["server_id"]) == ["S1", "S1"]
    expected = alone.rsrp_dbm["4G"][40, 22]
    np.testing.assert_allclose(p["predicted_dbm"], [expected, expected])
    assert expected < cov.rsrp_dbm["4G"][40, 22] - 10  # the best server would be far off
    np.testing.assert_allclose(p["distance_m"], 3_800.0)


def test_obstructed_points_are_classed_by_the_terrain_profile():
    grid = small_grid(81, 81)
    elev = np.zeros(grid.shape, dtype=np.float32)
    elev[:, 45] = 400.0  # a wall east of the station
    st = stations_at(grid, [(40, 30)], technology="4G", height_m=30.0)
    cov = compute(st, grid, elev, CFG)
    xs, ys = grid.cell_centres()
    lon, lat = grid.to_lonlat(np.array([xs[40], xs[60]]), np.array([ys[40], ys[40]]))
    pts = gpd.GeoDataFrame({"technology": ["4G", "4G"], "rsrp_dbm": [-80.0, -120.0]},
                           geometry=[Point(a, b) for a, b in zip(lon, lat, strict=True)],
                           crs="EPSG:4326")
    p = compare(pts, cov, elevation_m=elev).points
    assert list(p["los"]) == ["LOS", "obstructed"]


def test_bad_measurements_raise(one_station):
    _, _, cov = one_station
    with pytest.raises(MeasurementError, match="rsrp_dbm"):
        compare(gpd.GeoDataFrame({"technology": ["4G"]}, geometry=[Point(107, 17)],
                                 crs="EPSG:4326"), cov)
    with pytest.raises(MeasurementError, match="CRS"):
        compare(gpd.GeoDataFrame({"technology": ["4G"], "rsrp_dbm": [-90]},
                                 geometry=[Point(107, 17)]), cov)
    with pytest.raises(MeasurementError, match="6G"):
        compare(gpd.GeoDataFrame({"technology": ["6G"], "rsrp_dbm": [-90]},
                                 geometry=[Point(107, 17)], crs="EPSG:4326"), cov)


# ----------------------------------------------------------------------------- calibrate
def test_least_squares_known_answer():
    # y = 2 − 3x exactly (5, 2, −1, −4); offset-only gives their mean 0.5
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    assert fit_offset_slope(x, 2.0 - 3.0 * x) == pytest.approx((2.0, -3.0))
    assert fit_offset_slope(x, 2.0 - 3.0 * x, slope=False) == pytest.approx((0.5, 0.0))
    assert cross_validated_rmse(x, 2.0 - 3.0 * x, k=2) == pytest.approx(0.0, abs=1e-12)


def test_synthetic_drive_test_recovers_offset_and_slope(one_station):
    # N = 3000 points, σ = 7 dB lognormal scatter: the standard error of the offset is
    # ~0.15 dB and of the slope ~0.5 dB/decade; tolerance 0.6 dB and 2 dB/decade (4σ)
    _, _, cov = one_station
    rng = np.random.default_rng(17)
    pts, _ = _drive_test(cov, 3000, rng, offset_db=-6.0, slope=-9.0, sigma_db=7.0)
    cal = calibrate(compare(pts, cov), name="synthetic")
    (fit,) = cal.fits
    assert fit.offset_db == pytest.approx(-6.0, abs=0.6)
    assert fit.slope_db_per_decade == pytest.approx(-9.0, abs=2.0)
    assert fit.rmse_db_after == pytest.approx(7.0, abs=0.4)  # only the scatter is left
    assert fit.rmse_db_before > fit.rmse_db_after
    assert fit.rmse_db_cv >= fit.rmse_db_after - 1e-9  # out of sample is never better here
    assert fit.rmse_db_cv == pytest.approx(fit.rmse_db_after, abs=0.1)
    assert cal.overall["points_used"] == 3000
    # applying the fit removes the bias at the measured points
    fixed = compute(cov.stations, cov.grid, None,
                    CoverageConfig(**{**CFG.__dict__, "calibration": cal.correction}))
    after = compare(pts, fixed)
    assert abs(after.stats["overall"]["bias_db"]) < 0.5
    assert after.calibration.startswith("synthetic")
    with pytest.raises(CalibrationError, match="uncalibrated"):
        calibrate(after)


def test_offset_only_and_narrow_distances(one_station):
    _, _, cov = one_station
    pts, _ = _drive_test(cov, 200, np.random.default_rng(3), offset_db=4.0, sigma_db=2.0)
    (fit,) = calibrate(compare(pts, cov), slope=False).fits
    assert fit.slope_db_per_decade is None
    assert fit.offset_db == pytest.approx(4.0, abs=0.5)


def test_too_few_points_are_refused_saying_how_many(one_station):
    _, _, cov = one_station
    pts, _ = _drive_test(cov, MIN_POINTS - 1, np.random.default_rng(5))
    with pytest.raises(CalibrationError, match=f"at least {MIN_POINTS}.*4G: {MIN_POINTS - 1}"):
        calibrate(compare(pts, cov))


def test_calibration_round_trips_through_the_workspace(one_station, tmp_path):
    _, _, cov = one_station
    pts, _ = _drive_test(cov, 300, np.random.default_rng(9), offset_db=-2.0, slope=-4.0,
                         sigma_db=3.0)
    cal = calibrate(compare(pts, cov), name="dt-1")
    ws = tmp_path / "ws.gpkg"
    row = save_calibration(cal, ws)
    assert row["measurement_sha256"] == cal.measurement_sha256 and len(row["measurement_sha256"]) == 64
    back = load_calibration("dt-1", ws)
    assert back.to_dict() == cal.to_dict()
    assert back.correction == cal.correction
    assert list(list_calibrations(ws)["name"]) == ["dt-1"]
    with pytest.raises(CalibrationError, match="exists"):
        save_calibration(cal, ws)
    save_calibration(cal, ws, replace=True)
    with pytest.raises(CalibrationError, match="No calibration named 'nope'"):
        load_calibration("nope", ws)
    delete_calibration("dt-1", ws)
    assert list_calibrations(ws).empty


def test_station_sets_and_calibrations_share_the_workspace(one_station, tmp_path):
    from geo.stations import stationset_from_frame
    from geo.workspace import Workspace

    _, st, cov = one_station
    pts, _ = _drive_test(cov, 60, np.random.default_rng(2))
    ws = Workspace(tmp_path / "ws.gpkg")
    save_calibration(calibrate(compare(pts, cov), name="c"), ws)
    ws.save(stationset_from_frame(st, source_name="t"), "sites")
    assert ws.names() == ["sites"] and list(list_calibrations(ws)["name"]) == ["c"]


# ----------------------------------------------------------------------------- clusters
def test_covered_but_no_service_clusters(one_station):
    _, _, cov = one_station
    rng = np.random.default_rng(4)
    pts, _ = _drive_test(cov, 400, rng, sigma_db=1.0)
    xs, ys = cov.grid.cell_centres()
    # 12 points in one covered spot 1.5 km east of the mast measured at −135 dBm
    lon, lat = cov.grid.to_lonlat(xs[75] + rng.uniform(-100, 100, 12), ys[60] + rng.uniform(-100, 100, 12))
    bad = gpd.GeoDataFrame({"technology": ["4G"] * 12, "rsrp_dbm": [-135.0] * 12},
                           geometry=[Point(a, b) for a, b in zip(lon, lat, strict=True)],
                           crs="EPSG:4326")
    allpts = gpd.GeoDataFrame(pd.concat([pts, bad], ignore_index=True), crs="EPSG:4326")
    cl = disagreement_clusters(compare(allpts, cov))
    assert len(cl) == 1
    assert cl.iloc[0]["n_no_service"] == 12 and cl.iloc[0]["technology"] == "4G"
    assert cl.geometry.iloc[0].contains(bad.geometry.union_all().centroid)


# ----------------------------------------------------------------------------- pipeline
def test_run_writes_the_measurements_layer_and_report_line(tmp_path):
    import pyogrio

    from analysis.config import AnalysisConfig, GapConfig
    from analysis.pipeline import run_analysis, write_outputs
    from tests._analysis_helpers import make_disk_window, synthetic_inputs, synthetic_stations

    inputs = synthetic_inputs()
    st = synthetic_stations(inputs.grid)
    cov = compute(st, inputs.grid, inputs.dem_on_grid, CFG, communes=inputs.communes)
    rng = np.random.default_rng(8)
    pts, _ = _drive_test(cov, 80, rng, offset_db=-4.0, sigma_db=0.5)
    pts = pd.concat([pts, _drive_test(cov, 1, rng)[0]], ignore_index=True)
    pts.loc[len(pts) - 1, "rsrp_dbm"] = np.nan  # a row the engine cannot compare stays a row
    xs, ys = inputs.grid.cell_centres()  # 8 points in a covered spot measured without service
    lon, lat = inputs.grid.to_lonlat(xs[30] + rng.uniform(-80, 80, 8), ys[15] + rng.uniform(-80, 80, 8))
    assert cov.covered("4G")[15, 30]
    dead = gpd.GeoDataFrame({"technology": ["4G"] * 8, "rsrp_dbm": [-140.0] * 8},
                            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    pts = gpd.GeoDataFrame(pd.concat([pts, dead], ignore_index=True), crs="EPSG:4326")
    res = run_analysis(stations=st, tech="4G", budget_sites=1, inputs=inputs, coverage=cov,
                       config=AnalysisConfig(gaps=GapConfig(min_people_per_cell=0.5, eps_km=0.4,
                                                            min_people=50)),
                       rsrp_window=make_disk_window(700.0), measurements=pts)
    m = res.summary["measurements"]
    assert (m["points"], m["compared"]) == (89, 88)
    # the dead spot is one cluster (the −4 dB drive test adds its own near the coverage edge)
    spot = dead.geometry.union_all().centroid
    hits = res.measurement_clusters[res.measurement_clusters.contains(spot)]
    assert len(hits) == 1 and hits.iloc[0]["n_no_service"] >= 8
    assert m["covered_but_no_service_clusters"] == len(res.measurement_clusters)
    by_tech = {r["technology"]: r for r in m["by_technology"]}
    assert by_tech["4G"]["n"] == 88
    assert {r["terrain"] for r in m["by_terrain"]} <= {"mountain", "coastal", "plain"}
    paths = write_outputs(res, tmp_path, geotiffs=False)
    assert "measurements" in pyogrio.list_layers(paths["gpkg"])[:, 0]
    layer = gpd.read_file(paths["gpkg"], layer="measurements")
    assert len(layer) == 89 and {"predicted_dbm", "residual_db", "los", "basis"} <= set(layer.columns)
    assert len(gpd.read_file(paths["gpkg"], layer="measurement_clusters")) == len(res.measurement_clusters)
    html = paths["report"].read_text(encoding="utf-8")
    n_cl = len(res.measurement_clusters)
    assert "Drive test against the model" in html and f"drive test says no: {n_cl} cluster" in html


def test_implausible_slope_falls_back_to_the_offset(one_station):
    # regression: two distance classes and a steep made-up trend gave 66 dB/decade, which
    # the engine then refused when the app applied the saved calibration
    _, _, cov = one_station
    pts, d = _drive_test(cov, 2000, np.random.default_rng(6), min_d_m=400.0)
    pts = pts[d <= 1_100.0].reset_index(drop=True)
    d = d[d <= 1_100.0]
    pts.loc[d < 700.0, "rsrp_dbm"] -= 30.0  # a 30 dB step over 0.44 decades, not a log law
    cmp_ = compare(pts, cov)
    x = log_distance(cmp_.points["distance_m"])
    raw_slope = fit_offset_slope(x, -cmp_.points["residual_db"])[1]
    assert abs(raw_slope) > 40.0
    (fit,) = calibrate(cmp_).fits
    assert fit.slope_db_per_decade is None and "beyond ±40" in fit.note
    cal = calibrate(cmp_)
    assert cal.correction.per_technology["4G"][1] == 0.0


def test_absurd_offset_is_refused(one_station):
    _, _, cov = one_station
    pts, _ = _drive_test(cov, 100, np.random.default_rng(7), offset_db=-45.0)
    with pytest.raises(CalibrationError, match="beyond ±40 dB"):
        calibrate(compare(pts, cov), slope=False)


def test_tampered_stored_calibration_is_refused_at_load(one_station, tmp_path):
    import json
    import sqlite3

    _, _, cov = one_station
    pts, _ = _drive_test(cov, 60, np.random.default_rng(2))
    ws = tmp_path / "ws.gpkg"
    save_calibration(calibrate(compare(pts, cov), name="x"), ws)
    con = sqlite3.connect(ws)
    data = json.loads(con.execute("SELECT content_json FROM calibrations").fetchone()[0])
    data["fits"][0]["slope_db_per_decade"] = 500.0
    con.execute("UPDATE calibrations SET content_json = ?", (json.dumps(data),))
    con.commit()
    con.close()
    with pytest.raises(CalibrationError, match="cannot be applied"):
        load_calibration("x", ws)


def test_a_calibrated_run_names_the_calibration_in_its_outputs(tmp_path):
    from analysis.config import AnalysisConfig, GapConfig
    from analysis.pipeline import run_analysis, write_outputs
    from tests._analysis_helpers import make_disk_window, synthetic_inputs, synthetic_stations

    inputs = synthetic_inputs()
    st = synthetic_stations(inputs.grid)
    cfg = CoverageConfig(**{**CFG.__dict__, "calibration": ModelCorrection("dt-7", {"4G": (-3.0, 0.0)})})
    cov = compute(st, inputs.grid, inputs.dem_on_grid, cfg, communes=inputs.communes)
    res = run_analysis(stations=st, tech="4G", budget_sites=1, inputs=inputs, coverage=cov,
                       config=AnalysisConfig(gaps=GapConfig(min_people_per_cell=0.5, eps_km=0.4,
                                                            min_people=50)),
                       rsrp_window=make_disk_window(700.0))
    assert res.summary["calibration"] == "dt-7 (4G -3.0 dB)"
    paths = write_outputs(res, tmp_path, geotiffs=True)
    assert "dt-7 (4G -3.0 dB)" in paths["report"].read_text(encoding="utf-8")
    import rasterio

    with rasterio.open(paths["geotiffs"] / "rsrp_4g.tif") as src:
        assert src.tags()["CALIBRATION"] == "dt-7 (4G -3.0 dB)"


def test_per_los_class_fits_recover_class_offsets():
    # rough terrain: the drive test is 3 dB below the model in line of sight and 9 dB below
    # where the terrain obstructs (σ = 4 dB); each class's fit recovers its own offset
    # within 1 dB (≥ 30 points per class, standard error ≤ 0.7 dB), the applied per-
    # technology fit lies between them
    from tests._coverage_helpers import fractal_terrain

    grid = small_grid(121, 121)
    elev = fractal_terrain(grid.shape, seed=11, relief_m=600.0)
    st = stations_at(grid, [(60, 60)], technology="4G", height_m=30.0)
    cov = compute(st, grid, elev, CFG)
    rng = np.random.default_rng(12)
    pts, _ = _drive_test(cov, 1500, rng)
    los = compare(pts, cov, elevation_m=elev).points["los"].to_numpy()
    assert (los == "LOS").sum() >= 100 and (los == "obstructed").sum() >= 100
    pts["rsrp_dbm"] += np.where(los == "LOS", -3.0, -9.0) + rng.normal(0, 4.0, len(pts))
    cal = calibrate(compare(pts, cov, elevation_m=elev), slope=False)
    by = {f.los_class: f for f in cal.class_fits}
    assert by["LOS"].offset_db == pytest.approx(-3.0, abs=1.0)
    assert by["obstructed"].offset_db == pytest.approx(-9.0, abs=1.0)
    assert -9.0 < cal.fits[0].offset_db < -3.0
