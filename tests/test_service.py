"""Service (issue 16) in the engine: both links, location reliability, SINR under load, throughput.

Known answers are computed once by hand (numbers written in the comments); behaviour tests
check monotonicity and the outputs.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.coverage import (
    LIMITING_DOWNLINK,
    LIMITING_NODATA,
    LIMITING_NONE,
    LIMITING_UPLINK,
    CoverageConfig,
    CoverageError,
    compute,
)
from geo.propagation import path_loss_db
from geo.radio_defaults import defaults_for
from tests._coverage_helpers import small_grid, stations_at

FLAT = {"terrain": False, "workers": 1}


def _flat(**kw) -> CoverageConfig:
    return CoverageConfig(**{**FLAT, **kw})


# ----------------------------------------------------------------------------- SINR
def test_two_equal_co_channel_servers_at_full_load_give_0_db():
    grid = small_grid(41, 61)
    same = stations_at(grid, [(20, 20), (20, 40)], operator="A")
    cov = compute(same, grid, None, _flat(model="38901-rma", clear_model="los", load=1.0))
    mid = cov.sinr_db("5G")[20, 30]  # equidistant (1 km) from both; signal ≈ −61 dBm ≫ noise
    assert mid == pytest.approx(0.0, abs=0.01)
    # half the neighbour's resource elements loaded: 10·log10(1/0.5) = 3.01 dB
    assert cov.sinr_db("5G", load=0.5)[20, 30] == pytest.approx(3.01, abs=0.01)
    # an empty neighbour: only noise, −174 + 10·log10(30 kHz) + 7 dB = −122.23 dBm per RE
    assert cov.noise_per_re_dbm("5G") == pytest.approx(-122.229, abs=1e-3)
    s = float(cov.rsrp_dbm["5G"][20, 30])
    assert cov.sinr_db("5G", load=0.0)[20, 30] == pytest.approx(s + 122.229, abs=0.01)


def test_other_operators_do_not_interfere():
    grid = small_grid(41, 61)
    two_ops = stations_at(grid, [(20, 20), (20, 40)], operator=["A", "B"])
    cov = compute(two_ops, grid, None, _flat(model="38901-rma", clear_model="los", load=1.0))
    s = float(cov.rsrp_dbm["5G"][20, 30])
    assert cov.sinr_db("5G")[20, 30] == pytest.approx(s + 122.229, abs=0.01)
    # same operator, different band (3500 vs 2600): different carriers too
    two_bands = stations_at(grid, [(20, 20), (20, 40)], operator="A", band_mhz=[3500.0, 2600.0])
    cov2 = compute(two_bands, grid, None, _flat(model="38901-rma", clear_model="los", load=1.0))
    c = cov2.best_server["5G"][20, 30]
    s2 = float(cov2.rsrp_dbm["5G"][20, 30])
    assert c in (0, 1)
    assert cov2.sinr_db("5G")[20, 30] == pytest.approx(s2 + 122.229, abs=0.01)


def test_throughput_known_answers():
    grid = small_grid(41, 41)
    cov = compute(stations_at(grid, [(20, 20)]), grid, None,
                  _flat(model="38901-rma", clear_model="los"))
    # near the mast the SINR (≈ 60 dB) caps the efficiency at 7.40625 bit/s/Hz:
    # 7.40625 × 100 MHz × (1 − 0.14) × 52/70 = 473.16 Mbit/s (n78 TDD DDDSU)
    assert cov.throughput_mbps("5G")[20, 30] == pytest.approx(473.16, abs=0.01)
    # the formula at every covered cell, from the cell's own SINR
    sinr = cov.sinr_db("5G").astype(np.float64)
    eff = np.where(sinr < -10, 0.0, np.minimum(0.6 * np.log2(1 + 10 ** (sinr / 10)), 7.40625))
    want = np.where(cov.covered("5G"), eff * 100 * 0.86 * 52 / 70, 0.0)
    finite = np.isfinite(sinr)
    np.testing.assert_allclose(cov.throughput_mbps("5G")[finite], want[finite], rtol=1e-5)
    assert np.isnan(cov.throughput_mbps("5G")[~finite]).all()


def test_sinr_off_and_no_rate_for_2g_3g():
    grid = small_grid(21, 21)
    cov = compute(stations_at(grid, [(10, 10)], technology="4G"), grid, None, _flat(sinr=False))
    with pytest.raises(CoverageError, match="sinr=False"):
        cov.sinr_db("4G")
    assert cov.summary(np.ones(grid.shape), "4G")["people_by_throughput"] is None
    cov3 = compute(stations_at(grid, [(10, 10)], technology="3G"), grid, None, _flat())
    with pytest.raises(CoverageError, match="4G, 5G only"):
        cov3.throughput_mbps("3G")


# ----------------------------------------------------------------------------- uplink
def test_uplink_limits_lte_1800_at_the_hand_computed_level():
    # LTE 1800 defaults: EIRP/RE = 64 − 10·log10(1200) = 33.21 dBm; uplink MAPL 145.12 dB
    # (tests/test_link_budget.py) → the uplink fails below 33.21 − 145.12 = −111.91 dBm RSRP,
    # 3.09 dB above the −115 dBm downlink threshold: LTE here is uplink-limited
    grid = small_grid(81, 81, 500.0)
    cov = compute(stations_at(grid, [(40, 40)], technology="4G"), grid, None,
                  _flat(model="38901-rma"))
    assert cov.radio["ul_rsrp_dbm"][0] == pytest.approx(-111.91, abs=0.01)
    rsrp = cov.rsrp_dbm["4G"]
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(cov.covered_downlink("4G"), rsrp >= np.float32(-115.0))
        np.testing.assert_array_equal(cov.covered_uplink("4G"), rsrp >= cov.radio["ul_rsrp_dbm"][0])
        between = (rsrp >= -115.0) & (rsrp < -111.92)
    assert between.sum() > 0
    np.testing.assert_array_equal(cov.covered("4G"), cov.covered_uplink("4G"))
    lim = cov.limiting_link("4G")
    assert (lim[cov.covered("4G")] == LIMITING_NONE).all()
    assert (lim[between] == LIMITING_UPLINK).all()
    assert (lim[np.isnan(rsrp)] == LIMITING_NODATA).all()
    # downlink-only (the pre-issue-16 rule) covers the band between the two levels too
    dl_only = compute(stations_at(grid, [(40, 40)], technology="4G"), grid, None,
                      _flat(model="38901-rma", uplink=False))
    np.testing.assert_array_equal(dl_only.covered("4G"), cov.covered_downlink("4G"))
    assert (dl_only.limiting_link("4G")[between] == LIMITING_NONE).all()


def test_downlink_limits_where_the_uplink_is_stronger():
    # a weak 5G downlink (EIRP 50 dBm: 50 − 35.15 = 14.85 dBm/RE) with 26 dBm HPUE on n78:
    # UL MAPL 151.23 dB → fails below 14.85 − 151.23 = −136.4 dBm, far under −110 dBm
    grid = small_grid(41, 41, 250.0)
    cov = compute(stations_at(grid, [(20, 20)], eirp_dbm=50.0), grid, None,
                  _flat(model="38901-rma", ue_power_dbm=26.0))
    assert cov.radio["ul_rsrp_dbm"][0] == pytest.approx(14.85 - 151.23, abs=0.01)
    lim = cov.limiting_link("5G")
    finite = np.isfinite(cov.rsrp_dbm["5G"])
    uncovered = finite & ~cov.covered("5G")
    assert uncovered.sum() > 0
    assert (lim[uncovered] == LIMITING_DOWNLINK).all()


# ----------------------------------------------------------------------------- reliability
def test_shadow_sigma_and_margin_per_cell_known_answers():
    # LTE 1800, RMa, h_BS 30 m: d_BP = 2π·30·1.5·1.8e9/c = 1697.6 m. At 1 km (LOS σ 4 dB),
    # P_LOS = exp(−0.99) = 0.37158: σ = sqrt(0.37158·16 + 0.62842·64) = 6.7944 dB.
    # At 2 km (LOS σ 6 dB), P_LOS = exp(−1.99) = 0.13670: σ = sqrt(0.1367·36 + 0.8633·64) = 7.757 dB
    grid = small_grid(81, 81)
    cov = compute(stations_at(grid, [(40, 40)], technology="4G"), grid, None,
                  _flat(model="38901-rma", reliability=0.9))
    sig = cov.shadow_sigma_db("4G")
    assert sig[40, 50] == pytest.approx(6.7944, abs=1e-3)
    assert sig[40, 60] == pytest.approx(7.757, abs=1e-3)
    m = cov.shadow_margin_db("4G")
    assert m[40, 60] == pytest.approx(7.757 * 1.28155, abs=2e-3)  # 9.941 dB
    with np.errstate(invalid="ignore"):
        want = cov.rsrp_dbm["4G"] >= np.float32(-115.0) + m
    np.testing.assert_array_equal(cov.covered_downlink("4G"), want)
    # "los" clear model: the LOS σ alone, 4 dB before the breakpoint
    los = compute(stations_at(grid, [(40, 40)], technology="4G"), grid, None,
                  _flat(model="38901-rma", clear_model="los"))
    assert los.shadow_sigma_db("4G")[40, 50] == pytest.approx(4.0)
    assert los.shadow_sigma_db("4G")[40, 60] == pytest.approx(6.0)
    assert (los.shadow_margin_db("4G") == 0).all()  # reliability 0.5: the median


@pytest.fixture(scope="module")
def busy():
    """Six co-channel 4G stations and two 5G ones on a 6 × 4 km grid, flat, default physics."""
    grid = small_grid(40, 60)
    cells = [(5, 5), (5, 30), (5, 55), (35, 5), (35, 30), (35, 55)]
    st4 = stations_at(grid, cells, technology="4G", operator="A")
    st5 = stations_at(grid, [(20, 15), (20, 45)], technology="5G", operator="A")
    import pandas as pd

    gdf = gpd.GeoDataFrame(pd.concat([st4, st5], ignore_index=True), crs="EPSG:4326")
    return grid, compute(gdf, grid, None, _flat(model="38901-rma"))


@settings(max_examples=25, deadline=None)
@given(p=st.lists(st.floats(0.01, 0.99), min_size=2, max_size=2, unique=True),
       tech=st.sampled_from(["4G", "5G", "any"]))
def test_higher_reliability_never_covers_more(busy, p, tech):
    grid, cov = busy
    lo, hi = sorted(p)
    a, b = cov.covered(tech, reliability=lo), cov.covered(tech, reliability=hi)
    assert not (b & ~a).any()  # every cell covered at the higher reliability is at the lower


@settings(max_examples=25, deadline=None)
@given(loads=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2, unique=True),
       tech=st.sampled_from(["4G", "5G", "any"]))
def test_more_load_never_raises_throughput(busy, loads, tech):
    _, cov = busy
    lo, hi = sorted(loads)
    a, b = cov.throughput_mbps(tech, load=lo), cov.throughput_mbps(tech, load=hi)
    finite = np.isfinite(a)
    np.testing.assert_array_equal(finite, np.isfinite(b))
    assert (b[finite] <= a[finite] + 1e-4).all()


def test_summary_service_keys(busy):
    grid, cov = busy
    pop = np.ones(grid.shape)
    s = cov.summary(pop, "4G")
    assert s["reliability"] == 0.5 and s["load"] == 0.5
    assert s["people_covered"] == pytest.approx(float(cov.covered("4G").sum()))
    assert s["people_covered_downlink"] == pytest.approx(float(cov.covered_downlink("4G").sum()))
    assert s["people_covered"] <= min(s["people_covered_downlink"], s["people_covered_uplink"])
    by = s["people_by_throughput"]
    assert list(by) == ["1", "10", "100"]
    with np.errstate(invalid="ignore"):
        assert by["10"] == float((cov.throughput_mbps("4G") >= 10).sum())
    assert by["1"] >= by["10"] >= by["100"]
    assert s["people_covered"] >= by["1"]  # no data where the links do not close


def test_service_geotiffs(busy, tmp_path):
    grid, cov = busy
    cov.to_geotiffs(tmp_path)
    for name in ("limiting_link_4g", "sinr_db_4g", "throughput_mbps_4g", "limiting_link_5g",
                 "sinr_db_5g", "throughput_mbps_5g"):
        assert (tmp_path / f"{name}.tif").exists(), name
    with rasterio.open(tmp_path / "throughput_mbps_5g.tif") as src:
        np.testing.assert_array_equal(src.read(1), cov.throughput_mbps("5G"))
        assert src.tags()["RELIABILITY"] == "0.5" and src.tags()["LOAD"] == "0.5"
        assert "modelled" in src.descriptions[0]
    with rasterio.open(tmp_path / "limiting_link_4g.tif") as src:
        np.testing.assert_array_equal(src.read(1), cov.limiting_link("4G"))
        assert src.nodata == LIMITING_NODATA


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"reliability": 1.0}, "reliability"), ({"reliability": 0.0}, "reliability"),
    ({"load": 1.5}, "load"), ({"ue_power_dbm": 40.0}, "ue_power_dbm"),
])
def test_bad_service_config(kwargs, match):
    with pytest.raises(CoverageError, match=match):
        CoverageConfig(**kwargs)


# ----------------------------------------------------------------------------- models
def test_per_commune_rma_uma_choice_known_answer():
    """A station in a ward (phường) gets UMa, one in a rural commune (xã) RMa."""
    grid = small_grid(40, 80)
    left = box(grid.xmin, grid.ymin, grid.xmin + 4_000, grid.ymax)
    right = box(grid.xmin + 4_000, grid.ymin, grid.xmax, grid.ymax)
    communes = gpd.GeoDataFrame({"code": ["1", "2"], "name": ["Đông Hà", "Hướng Lập"],
                                 "kind": ["Phường", "Xã"]},
                                geometry=[left, right], crs="EPSG:32648").to_crs("EPSG:4326")
    st2 = stations_at(grid, [(20, 20), (20, 60)], technology="4G")
    cov = compute(st2, grid, None, _flat(clear_model="los", obstructed_model="diffraction"),
                  communes=communes)
    assert cov.metadata["models"] == {"38901-uma": 1, "38901-rma": 1}
    assert not cov.metadata["warnings"]
    d4 = defaults_for("4G")
    eirp_re = d4.eirp_dbm - 10 * math.log10(d4.subcarriers)
    # 500 m west of each mast: the ward's UMa LOS vs the rural RMa LOS loss
    uma = eirp_re - path_loss_db("38901-uma", 500.0, 1800.0, 30.0, 1.5)
    rma = eirp_re - path_loss_db("38901-rma", 500.0, 1800.0, 30.0, 1.5)
    assert abs(uma - rma) > 1.0  # the choice matters
    assert cov.rsrp_dbm["4G"][20, 15] == pytest.approx(uma, abs=0.02)
    assert cov.rsrp_dbm["4G"][20, 55] == pytest.approx(rma, abs=0.02)
    # UMa LOS σ is 4 dB at any distance; RMa's mixture is not used with clear_model="los"
    assert cov.shadow_sigma_db("4G")[20, 15] == pytest.approx(4.0)


def test_communes_that_fail_to_load_are_a_warning(monkeypatch):
    import geo.data

    def broken(*_args):
        raise OSError("communes.gpkg is corrupt")

    # the engine reads the communes through the fast lookup (geo.data.commune_kinds_at)
    monkeypatch.setattr(geo.data, "load_communes", broken)
    monkeypatch.setattr(geo.data, "commune_kinds_at", broken)
    grid = small_grid(21, 21)
    cov = compute(stations_at(grid, [(10, 10)]), grid, None, _flat())
    assert cov.metadata["models"] == {"38901-rma": 1}
    assert any("communes could not be loaded" in w and "corrupt" in w
               for w in cov.metadata["warnings"])
    assert "communes could not be loaded" in cov.tags("5G")["WARNINGS"]


# ----------------------------------------------------------------------------- CLI
def test_cli_service_flags(tmp_path, capsys):
    from lomsong.cli import main

    csv = tmp_path / "sites.csv"
    csv.write_text("station_id,lat,lon,technology,band_mhz,operator\nA,16.75,107.18,4G,1800,V\n"
                   "B,16.80,107.10,4G,1800,V\n")
    out = tmp_path / "out"
    args = ["coverage", "--stations", str(csv), "--tech", "4g", "--resolution", "1000",
            "--terrain", "off", "--no-progress", "--out", str(out)]
    assert main([*args, "--reliability", "0.9", "--load", "1", "--gap-metric", "throughput",
                 "--min-mbps", "10"]) == 0
    s = json.loads((out / "coverage_summary.json").read_text())
    assert s["reliability"] == 0.9 and s["load"] == 1.0
    assert s["people_covered"] <= min(s["people_covered_downlink"], s["people_covered_uplink"])
    assert set(s["people_by_throughput"]) == {"1", "10", "100"}
    assert s["people_below_min_mbps"] == pytest.approx(
        s["people_total"] - s["people_by_throughput"]["10"], rel=1e-7)
    assert s["uplink_budget"]["4G"]["max_path_loss_db"] == pytest.approx(145.12, abs=0.01)
    for name in ("sinr_db_4g.tif", "throughput_mbps_4g.tif", "limiting_link_4g.tif"):
        assert (out / name).exists()
    assert main([*args]) == 0
    median = json.loads((out / "coverage_summary.json").read_text())
    assert median["reliability"] == 0.5
    assert median["people_covered"] >= s["people_covered"]
    capsys.readouterr()
    assert main([*args, "--reliability", "1.5"]) == 2
    err = capsys.readouterr().err
    assert "--reliability" in err and len(err.strip().splitlines()) == 1
    assert main([*args, "--load", "-0.1"]) == 2


def test_station_covered_window_matches_compute():
    """The one-station rule for site proposals equals Coverage.covered of that station alone."""
    from geo.coverage import station_covered_window
    from tests._coverage_helpers import cell_centre

    grid = small_grid(81, 81)
    for cfg in (_flat(model="38901-rma"), _flat(model="38901-rma", reliability=0.9),
                _flat(model="38901-uma", uplink=False, reliability=0.8, indoor_margin_db=10.0)):
        cov = compute(stations_at(grid, [(40, 40)], technology="4G"), grid, None, cfg)
        x, y = cell_centre(grid, 40, 40)
        (rows, cols), ok = station_covered_window({"technology": "4G", "x": x, "y": y}, grid,
                                                  None, cfg)
        np.testing.assert_array_equal(ok, cov.covered("4G")[rows, cols])
        assert 0 < ok.sum() < ok.size


def test_derived_rasters_are_bounded_and_copies(busy):
    from geo.coverage.result import _MEMO_SIZE

    _, cov = busy
    first = cov.throughput_mbps("4G", load=0.3)
    first[:] = -1.0  # a caller writing into its array does not change the next answer
    assert (cov.throughput_mbps("4G", load=0.3) >= 0).any()
    for lf in np.linspace(0.0, 1.0, 40):
        cov.sinr_db("5G", load=float(lf))
    assert len(cov._memo) <= _MEMO_SIZE


def test_with_service_changes_settings_without_recomputing(busy):
    _, cov = busy
    strict = cov.with_service(reliability=0.95, load=1.0)
    assert strict.config.reliability == 0.95 and strict.metadata["load"] == 1.0
    assert strict.rsrp_dbm is cov.rsrp_dbm  # shared, not recomputed
    np.testing.assert_array_equal(strict.covered("4G"), cov.covered("4G", reliability=0.95))
    np.testing.assert_array_equal(strict.throughput_mbps("5G"),
                                  cov.throughput_mbps("5G", load=1.0, reliability=0.95))
    assert cov.config.reliability == 0.5  # the original is unchanged
    with pytest.raises(CoverageError, match="reliability"):
        cov.with_service(reliability=1.2)


def test_compute_steps_on_their_own():
    """The named steps of compute: jobs, interference groups, per-station radio figures."""
    from geo.coverage.engine import _interference_groups, _plan, _radio_table, _station_jobs

    grid = small_grid(21, 21)
    st2 = stations_at(grid, [(2, 2), (5, 5), (8, 8), (10, 10)], technology="4G",
                      operator=["Viettel", " viettel ", "VNPT", None],
                      band_mhz=[1800.0, 1800.0, 1800.0, 900.0])
    cfg = _flat()
    jobs, n_out = _station_jobs(st2, grid, cfg, {"4G"}, ["38901-rma"] * 4)
    assert n_out == 0 and [j[0] for j in jobs] == [0, 1, 2, 3]
    # same operator (case/space-insensitive) and band share a group; VNPT and 900 MHz do not
    np.testing.assert_array_equal(_interference_groups(st2, jobs), [0, 0, 1, 2])
    radio = _radio_table(st2, jobs, cfg)
    assert radio["bandwidth_mhz"].tolist()[:4] == [20.0, 20.0, 20.0, 10.0]  # B3 20, B8 10 MHz
    assert radio["dl_share"].tolist()[:4] == [1.0] * 4  # LTE FDD
    assert np.isnan(radio["ul_rsrp_dbm"][-1]) and radio["model"][-1] == -1  # "no server"
    far = stations_at(small_grid(21, 21, 1000.0), [(20, 20)], technology="4G")
    plan = _plan(far, grid, None, cfg, None)
    assert plan.n_outside == 1 and plan.jobs == []
    assert any("outside the analysis grid" in w for w in plan.warnings)


def test_run_passes_the_gap_metric_with_other_settings(tmp_path, run_kwargs):
    from lomsong.cli import main

    seen, Stop = run_kwargs
    with pytest.raises(Stop):
        main(["run", "--default", "--neutral-ranking", "--gap-metric", "throughput", "--min-mbps",
              "25", "--reliability", "0.9", "--load", "0.8", "--ue-power-dbm", "26",
              "--resolution", "1000", "--quiet", "--out", str(tmp_path / "r")])
    cfg = seen["config"]
    assert cfg.ranking.is_neutral and cfg.gaps.metric == "throughput" and cfg.gaps.min_mbps == 25.0
    cov = seen["coverage_config"]
    assert (cov.reliability, cov.load, cov.ue_power_dbm, cov.uplink) == (0.9, 0.8, 26.0, True)
