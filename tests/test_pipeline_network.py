"""The pipeline with operators, sharing and power on synthetic inputs (#14, #19)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.config import AnalysisConfig, GapConfig
from analysis.pipeline import run_analysis
from tests._analysis_helpers import (
    disk_coverage,
    make_disk_window,
    synthetic_inputs,
    synthetic_result,
    synthetic_stations,
)


@pytest.fixture(scope="module")
def result():
    return synthetic_result(budget_sites=3)


def test_summary_counts_people_by_number_of_operators(result):
    s = result.summary
    (op, figures), = s["by_operator"].items()  # one operator in the list
    assert figures["people_covered"] == pytest.approx(s["people_covered"], abs=0.2)
    assert s["people_one_operator"] == pytest.approx(s["people_covered"], abs=0.2)
    assert s["people_no_operator"] == pytest.approx(s["people_uncovered"], abs=0.2)
    t = result.gaps.communes
    assert np.allclose(t["people_no_operator"], t["people_uncovered"], atol=0.01)
    assert np.allclose(t[f"people_covered_{op}"], t["people_covered"], atol=0.01)


def test_every_proposal_has_kind_power_capex_and_ten_year_cost(result):
    p = result.siting.proposals
    s = result.summary
    assert len(p) and set(p["kind"]) <= {"new_site", "co_location"}
    assert set(p["power"]) <= {"existing", "grid", "solar_hybrid"}
    assert np.allclose(p["capex_vnd"], p["site_capex_vnd"] + p["backhaul_cost_vnd"] + p["power_capex_vnd"])
    assert np.allclose(p["cost_10y_vnd"], p["capex_vnd"] + p["opex_10y_vnd"])
    assert s["capex_total_vnd"] == pytest.approx(p["capex_vnd"].sum(), abs=1)
    assert s["opex_10y_total_vnd"] == pytest.approx(p["opex_10y_vnd"].sum(), abs=1)
    by_power = s["proposals_by_power"]
    assert sum(v["sites"] for v in by_power.values()) == len(p)
    assert sum(v["capex_vnd"] for v in by_power.values()) == pytest.approx(p["capex_vnd"].sum(), abs=2)
    assert s["power_modelled"] is True and "modelled proxy" in s["power_source"]
    assert "20 km²" in s["est_cost_note"] and "20 km²" in s["est_cost_note_vi"]
    assert s["selection_guarantee"]["guarantee"] == pytest.approx(0.6321, abs=1e-4)
    assert s["modelled_stations_share"] == 1.0


def test_one_operator_run_proposes_co_location_on_another_operators_mast():
    inputs = synthetic_inputs()
    grid = inputs.grid
    a = synthetic_stations(grid).assign(operator="Viettel", mast_id="MA")
    # operator B's mast stands in the second village (rows 40, cols 45), which A leaves uncovered
    x, y = grid.xmin + 45.5 * 100.0, grid.ymax - 40.5 * 100.0
    lon, lat = grid.to_lonlat(np.array([x]), np.array([y]))
    b = a.copy()
    b["station_id"], b["site_id"], b["mast_id"], b["operator"] = "S2", "S2", "MB", "MobiFone"
    b = b.set_geometry(gpd_points(lon, lat))
    both = pd.concat([a, b], ignore_index=True)
    both = type(a)(both, geometry="geometry", crs="EPSG:4326")
    cov = disk_coverage(grid, [(grid.xmin + 1550.0, grid.ymax - 1550.0)], 800.0)
    cov.stations = a
    config = AnalysisConfig(gaps=GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50))
    r = run_analysis(stations=both, tech="4G", budget_sites=2, config=config, inputs=inputs, coverage=cov,
                     rsrp_window=make_disk_window(700.0), operators="viettel")
    p = r.siting.proposals
    assert r.summary["operators"] == ["Viettel"] and list(r.summary["by_operator"]) == ["Viettel"]
    first = p.iloc[0]
    assert first["kind"] == "co_location" and first["host_operator"] == "MobiFone"
    assert first["host_mast_id"] == "MB" and first["power"] == "existing" and first["backhaul"] == "shared"
    assert r.summary["proposals_by_kind"]["co_location"]["sites"] >= 1
    assert len(r.stations) == 1  # only Viettel's station analysed


def gpd_points(lon, lat):
    import geopandas as gpd

    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def test_exact_check_respects_the_documented_demand_limit():
    """Issue #19: `exact_max_demands * 50` turned the documented 3,000-demand limit into 150,000."""
    from analysis.config import SitingConfig
    from analysis.pipeline import exact_check_allowed
    from analysis.siting import merged_demands
    from tests._analysis_helpers import random_pool

    pool = random_pool(np.random.default_rng(5), n_cand=20, n_targets=400, p_cover=0.3)
    m = len(merged_demands(pool)[1])
    assert m > 300  # nearly every target has its own covering set
    assert not exact_check_allowed(pool, SitingConfig(exact_max_demands=m - 1))  # old rule: 400 ≤ 50·(m−1)
    assert exact_check_allowed(pool, SitingConfig(exact_max_demands=m))
    assert not exact_check_allowed(pool, SitingConfig(exact_max_candidates=19))


def test_exact_check_runs_for_a_vnd_budget(result):
    from analysis.pipeline import siting_stage

    vnd = siting_stage(result.inputs, result.coverage, result.gaps, budget_sites=None, budget_vnd=3e9,
                       config=result.config, rsrp_window=make_disk_window(700.0))
    assert vnd.check["optimum_people"] >= vnd.check["greedy_people"] - 1e-6
    assert 0 < vnd.check["greedy_share_of_optimum"] <= 1.0
    assert vnd.check["method"].startswith("partial enumeration")  # few affordable candidates
    assert vnd.check["guarantee"] == pytest.approx(0.6321, abs=1e-4)


def test_grid_powered_villages_tell_where_the_grid_is():
    import geopandas as gpd

    inputs = synthetic_inputs()
    grid = inputs.grid
    st = synthetic_stations(grid)
    cov = disk_coverage(grid, [(grid.xmin + 1550.0, grid.ymax - 1550.0)], 800.0)
    cov.stations = st
    # village 1 (covered, grid), village 2 (uncovered, no grid), village 3 (uncovered, unknown)
    xy = [(grid.xmin + 1550.0, grid.ymax - 1550.0), (grid.xmin + 4550.0, grid.ymax - 4050.0),
          (grid.xmin + 7550.0, grid.ymax - 2050.0)]
    villages = gpd.GeoDataFrame({"name": ["A", "B", "C"], "power": ["grid", "none", None]},
                                geometry=gpd.points_from_xy(*zip(*xy, strict=True)), crs=grid.crs).to_crs("EPSG:4326")
    config = AnalysisConfig(gaps=GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50))
    r = run_analysis(stations=st, tech="4G", budget_sites=2, config=config, inputs=inputs, coverage=cov,
                     rsrp_window=make_disk_window(700.0), villages=villages)
    s = r.summary
    assert s["power_source"] == "villages" and s["power_modelled"] is False
    assert s["villages_by_power"]["none"]["total"] == 1  # the village stage's split (analysis.villages)
    # village B's nearest grid-powered village is A, 4.2 km away: beyond 2 km, a site there is off-grid
    p = r.siting.proposals
    assert (p.loc[p["grid_km"] > 2.0, "power"] == "solar_hybrid").all()


def test_coverage_stage_analyses_only_the_chosen_operators():
    """The app's operator filter and ``--operator`` go through ``coverage_stage(operators=)``."""
    from analysis.pipeline import coverage_stage

    inputs = synthetic_inputs()
    one = synthetic_stations(inputs.grid)
    two = pd.concat([one.assign(operator="Viettel"),
                     one.assign(station_id="S2", site_id="S2", operator="VNPT",
                                geometry=one.geometry.translate(0.03, -0.01))], ignore_index=True)
    both = coverage_stage(inputs, two)
    vnpt = coverage_stage(inputs, two, operators="vinaphone")  # an alias of VNPT
    assert list(vnpt.stations["operator"]) == ["VNPT"]
    assert vnpt.covered("4G").sum() < both.covered("4G").sum()
    assert not (vnpt.covered("4G") & ~both.covered("4G")).any()
    with pytest.raises(ValueError, match="MobiFone"):
        coverage_stage(inputs, two, operators="MobiFone")
