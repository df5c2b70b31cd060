"""The staged pipeline on synthetic inputs: conservation, invariants, caching, reproducible files."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest

from analysis import pipeline
from analysis.pipeline import siting_stage, write_outputs
from tests._analysis_helpers import make_disk_window, synthetic_result


@pytest.fixture(scope="module")
def result():
    return synthetic_result(budget_sites=3)


def test_people_conserved_overall_and_per_commune(result):
    s = result.summary
    assert s["people_covered"] + s["people_uncovered"] == pytest.approx(s["people_total"], rel=0.005)
    t = result.gaps.communes
    np.testing.assert_allclose(t["people_covered"] + t["people_uncovered"], t["people_total"], rtol=0.005)
    pop = result.inputs.population.astype(np.float64)
    assert s["people_total"] == pytest.approx(pop[result.inputs.commune_id >= 0].sum(), rel=0.005)


def test_gaps_ranked_and_outside_coverage(result):
    gaps = result.gaps.gaps
    assert gaps["rank"].tolist() == list(range(1, len(gaps) + 1))
    assert (np.diff(gaps["score"].to_numpy()) <= 0).all()
    labels = result.gaps.result.labels
    assert not ((labels >= 0) & result.gaps.covered).any()
    assert gaps.crs.to_epsg() == 4326


def test_summary_fields_and_modelled_warning(result):
    s = result.summary
    for k in ("people_total", "people_covered", "people_uncovered", "share_covered", "gaps",
              "proposals", "people_newly_covered", "seconds", "dem", "resolution_m", "tech",
              "stations_modelled"):
        assert k in s
    assert s["stations_modelled"] is True
    assert s["warning"] == "modelled network — upload your station list for real results"
    assert s["people_newly_covered"] == pytest.approx(result.siting.proposals["people_new"].sum(), abs=0.1)


def test_budget_change_reuses_the_pool(result):
    calls = []
    out = siting_stage(result.inputs, result.coverage, result.gaps, budget_sites=1,
                       config=result.config, progress=lambda s, d, t: calls.append((s, d, t)),
                       rsrp_window=make_disk_window(700.0))
    assert out.pool is result.siting.pool  # no candidate recomputed
    assert [c for c in calls if c[0] == "candidates"] == [("candidates", 1, 1)]
    assert len(out.proposals) == 1
    assert out.proposals["people_new"].iloc[0] == pytest.approx(result.siting.proposals["people_new"].iloc[0])


def test_budget_in_vnd_and_focus():
    r = synthetic_result(budget_sites=None, budget_vnd=3.2e9, focus="plain")
    assert r.siting.proposals["cost_vnd"].sum() <= 3.2e9
    assert set(r.siting.proposals["terrain"]) <= {"plain"}
    assert r.summary["focus"] == ["plain"]


def test_outputs_written_and_byte_identical(result, tmp_path):
    a = write_outputs(result, tmp_path / "a")
    b = write_outputs(result, tmp_path / "b")
    for name in ("gaps", "proposals", "communes", "curve", "report", "xlsx", "gpkg"):
        assert a[name].read_bytes() == b[name].read_bytes(), name
    sa = json.loads(a["summary"].read_text(encoding="utf-8"))
    sb = json.loads(b["summary"].read_text(encoding="utf-8"))
    sa.pop("seconds")
    sb.pop("seconds")
    assert sa == sb
    layers = gpd.list_layers(a["gpkg"])["name"].tolist()
    assert set(layers) == {"communes", "gaps", "proposals", "stations", "villages"}
    communes = gpd.read_file(a["gpkg"], layer="communes")
    assert communes.crs.to_epsg() == 4326
    for col in ("code", "name", "terrain", "people_total", "people_covered", "people_uncovered",
                "share_covered", "gaps"):
        assert col in communes
    props = gpd.read_file(a["gpkg"], layer="proposals")
    for col in ("site_id", "rank", "lon", "lat", "commune", "terrain", "people_new", "people_cum",
                "share_covered_after", "backhaul", "cost_vnd", "cost_per_person_vnd"):
        assert col in props
    assert (a["geotiffs"] / "gaps_4g.tif").exists()


def test_rerun_gives_identical_tables(result):
    again = synthetic_result(budget_sites=3)
    cols = [c for c in result.gaps.gaps.columns if c != "geometry"]
    assert result.gaps.gaps[cols].to_csv() == again.gaps.gaps[cols].to_csv()
    assert result.gaps.gaps.geometry.to_wkb().tolist() == again.gaps.gaps.geometry.to_wkb().tolist()
    a = dict(result.summary)
    b = dict(again.summary)
    a.pop("seconds")
    b.pop("seconds")
    assert a == b


def test_coverage_stage_runs_the_engine_and_service_reaches_the_tables():
    """coverage_stage = geo.coverage.compute on the inputs; gaps/summary carry issue 16 keys."""
    from analysis.config import AnalysisConfig, GapConfig
    from geo.coverage import CoverageConfig, compute
    from tests._analysis_helpers import synthetic_inputs, synthetic_stations

    inputs = synthetic_inputs()
    st = synthetic_stations(inputs.grid)
    cfg = CoverageConfig(terrain=False, workers=1)
    cov = pipeline.coverage_stage(inputs, st, cfg)
    direct = compute(st, inputs.grid, None, cfg, population=inputs.population)
    np.testing.assert_array_equal(cov.rsrp_dbm["4G"], direct.rsrp_dbm["4G"])
    # the synthetic communes have no 'kind': the rural fallback is said, not silent (issue 19)
    assert any("'kind'" in w for w in cov.metadata["warnings"])
    gcfg = GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50)
    by_cov = pipeline.gaps_stage(inputs, cov, "4G", AnalysisConfig(gaps=gcfg))
    np.testing.assert_array_equal(by_cov.covered, cov.covered("4G"))
    t = by_cov.communes
    for col in ("people_covered_downlink", "people_covered_uplink", "people_mbps_1",
                "people_mbps_10", "people_mbps_100"):
        assert col in t
    pop = np.nan_to_num(inputs.population.astype(np.float64))
    assert t["people_covered_uplink"].sum() == pytest.approx(pop[cov.covered_uplink("4G")].sum())
    assert t["people_covered"].sum() == pytest.approx(pop[cov.covered("4G")].sum())
    # throughput gaps: served = throughput ≥ min_mbps, a strictly harder criterion here
    tcfg = GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50, metric="throughput",
                     min_mbps=50.0)
    by_rate = pipeline.gaps_stage(inputs, cov, "4G", AnalysisConfig(gaps=tcfg))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(by_rate.covered, cov.throughput_mbps("4G") >= 50.0)
    assert 0 < by_rate.covered.sum() < by_cov.covered.sum()
    assert by_rate.metric == "throughput" and by_rate.min_mbps == 50.0
    summary = pipeline.service_summary(inputs, cov, "4G")
    assert summary["reliability"] == 0.5 and summary["load"] == 0.5
    by = summary["people_by_throughput"]
    assert by["1"] >= by["10"] >= by["100"]
    inside = pop[inputs.commune_id >= 0]
    assert summary["people_covered_uplink"] <= inside.sum()


def test_cli_run_registered_and_user_errors(capsys, tmp_path):
    from lomsong.cli import main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "--budget-vnd" in capsys.readouterr().out
    # --stations and --default are exclusive; one is required
    with pytest.raises(SystemExit):
        main(["run", "--out", str(tmp_path)])
    # bad focus / bad money → exit 2 with a message, no traceback
    assert main(["run", "--default", "--focus", "volcano", "--out", str(tmp_path)]) == 2
    assert "volcano" in capsys.readouterr().err
    assert main(["run", "--default", "--budget-vnd", "lots", "--out", str(tmp_path)]) == 2
    assert "budget-vnd" in capsys.readouterr().err


@pytest.mark.parametrize(("ue_power_dbm", "ward"), [(None, False), (-10.0, False), (None, True)])
def test_proposals_people_new_agree_with_recomputed_coverage(ue_power_dbm, ward):
    """Site proposals judge candidates by the rule of Coverage.covered (both links at the
    chosen reliability): adding the proposals to the station list and recomputing coverage
    covers, among the people uncovered before, the sum of their people_new. With a −10 dBm UE
    the uplink limits (downlink-only coverage is larger), which the old RSRP-only pool missed.
    With wards (phường), candidates there get the engine's UMa, as the recomputation does."""
    import pandas as pd

    from analysis.config import AnalysisConfig, GapConfig
    from geo.coverage import CoverageConfig
    from tests._analysis_helpers import synthetic_inputs, synthetic_stations

    inputs = synthetic_inputs()
    if ward:
        inputs.communes["kind"] = ["Phường", "Xã", "Phường"]
    st = synthetic_stations(inputs.grid)
    st["eirp_dbm"] = 40.0
    cfg = CoverageConfig(terrain=False, workers=1, reliability=0.9, ue_power_dbm=ue_power_dbm)
    cov = pipeline.coverage_stage(inputs, st, cfg)
    ac = AnalysisConfig(gaps=GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50))
    gaps = pipeline.gaps_stage(inputs, cov, "4G", ac)
    out = siting_stage(inputs, cov, gaps, budget_sites=3, config=ac, exact_check=False)
    props = out.proposals
    assert len(props) == 3
    rows = [ac.siting.site.station_for("4G", r.lon, r.lat, r.site_id) for r in props.itertuples()]
    new = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=gpd.points_from_xy(props["lon"], props["lat"]),
                           crs="EPSG:4326")
    after = pipeline.coverage_stage(inputs, pd.concat([st, new], ignore_index=True), cfg)
    pop = np.nan_to_num(inputs.population.astype(np.float64))
    targets = (inputs.commune_id >= 0) & (pop > 0) & ~gaps.covered
    gained = pop[targets & after.covered("4G")].sum()
    assert props["people_new"].sum() == pytest.approx(gained, rel=1e-3)
    if ue_power_dbm is not None:
        assert pop[targets & after.covered_downlink("4G")].sum() > gained + 50.0


def test_villages_judged_on_the_service_metric_when_gaps_are_asked_on_throughput():
    """--gap-metric throughput --min-mbps 50: villages are judged on the served mask
    (throughput ≥ 50 Mbit/s), not on coverage, and the summary says so (issue 15 / 16)."""
    from analysis.config import AnalysisConfig, GapConfig
    from analysis.villages import village_status
    from geo.coverage import CoverageConfig
    from tests._analysis_helpers import synthetic_inputs, synthetic_stations

    inputs = synthetic_inputs()
    grid = inputs.grid
    st = synthetic_stations(grid)
    cov = pipeline.coverage_stage(inputs, st, CoverageConfig(terrain=False, workers=1))
    sx, sy = grid.xmin + 1550.0, grid.ymax - 1550.0
    xy = [(sx, sy), (sx + 3000.0, sy), (sx + 6000.0, sy)]  # near, covered below 50 Mbit/s, far
    villages = gpd.GeoDataFrame({"name": ["A", "C", "F"]}, geometry=gpd.points_from_xy(*zip(*xy, strict=True)),
                                crs=grid.crs).to_crs("EPSG:4326")
    r, c = grid.rowcol(np.array([p[0] for p in xy]), np.array([p[1] for p in xy]))
    rate = cov.throughput_mbps("4G")[r, c]
    assert cov.covered("4G")[r[1], c[1]] and 0 < rate[1] < 50.0 < rate[0]
    out = {}
    for metric in ("coverage", "throughput"):
        gcfg = GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50, metric=metric, min_mbps=50.0)
        g = pipeline.gaps_stage(inputs, cov, "4G", AnalysisConfig(gaps=gcfg))
        out[metric] = pipeline.villages_stage(inputs, cov, g, villages)
    by_cov, by_rate = out["coverage"], out["throughput"]
    assert by_cov.summary["villages_metric"] == "coverage" and by_cov.summary["villages_min_mbps"] is None
    assert by_rate.summary["villages_metric"] == "throughput" and by_rate.summary["villages_min_mbps"] == 50.0
    with np.errstate(invalid="ignore"):
        served = cov.throughput_mbps("4G") >= 50.0
    again = village_status(grid, by_rate.centres, by_rate.people, inputs.population, served)
    assert list(again["status"]) == list(by_rate.table["status"])
    status = {m: dict(zip(o.table["name"], o.table["status"], strict=True)) for m, o in out.items()}
    assert status["coverage"]["A"] == status["throughput"]["A"] == "covered"
    assert status["coverage"]["C"] in ("covered", "partial") and status["throughput"]["C"] == "no_signal"
    assert status["coverage"]["F"] == status["throughput"]["F"] == "no_signal"


def test_proposals_on_the_throughput_metric_agree_with_the_recomputed_served_mask():
    """--gap-metric throughput: a candidate serves a target where its links close and its own
    modelled throughput ≥ min_mbps; one proposal (no proposal-to-proposal interference) gains
    exactly what the recomputed served mask gains, which judging by coverage alone overstates."""
    import pandas as pd

    from analysis.config import AnalysisConfig, GapConfig
    from geo.coverage import CoverageConfig
    from tests._analysis_helpers import synthetic_inputs, synthetic_stations

    inputs = synthetic_inputs()
    st = synthetic_stations(inputs.grid)
    st["eirp_dbm"] = 40.0
    cfg = CoverageConfig(terrain=False, workers=1)
    cov = pipeline.coverage_stage(inputs, st, cfg)
    gcfg = GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50, metric="throughput",
                     min_mbps=60.0)
    ac = AnalysisConfig(gaps=gcfg)
    gaps = pipeline.gaps_stage(inputs, cov, "4G", ac)
    props = siting_stage(inputs, cov, gaps, budget_sites=1, config=ac, exact_check=False).proposals
    assert len(props) == 1
    rows = [ac.siting.site.station_for("4G", r.lon, r.lat, r.site_id) for r in props.itertuples()]
    new = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=gpd.points_from_xy(props["lon"], props["lat"]),
                           crs="EPSG:4326")
    after = pipeline.coverage_stage(inputs, pd.concat([st, new], ignore_index=True), cfg)
    pop = np.nan_to_num(inputs.population.astype(np.float64))
    targets = (inputs.commune_id >= 0) & (pop > 0) & ~gaps.covered
    served = pipeline.served_mask(after, "4G", gcfg)
    gained = pop[targets & served].sum()
    assert props["people_new"].sum() == pytest.approx(gained, rel=1e-3)
    assert pop[targets & after.covered("4G")].sum() > gained + 10.0  # coverage alone overstates
