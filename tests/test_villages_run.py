"""Villages end to end on the embedded data (#15's "done when"), the CLI options and the outputs."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

from lomsong.cli import main

THON_CSV = (
    "Tên thôn,Xã,Kinh độ,Vĩ độ,Dân số,Điện\n"
    "Bản Ka Xeng,Thượng Trạch,106.30,17.40,320,chưa có điện\n"
    "Thôn 1,Khe Sanh,106.73,16.62,\"1.234\",có điện\n"
    "Xấu,Khe Sanh,abc,16.6,,\n"
)


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory):
    # 5G: on the modelled network 4G reaches ~100 % of people, leaving no gap to propose for
    from analysis.pipeline import run_analysis, write_outputs

    out = tmp_path_factory.mktemp("run")
    r = run_analysis(resolution_m=1000, tech="5G", budget_sites=3)
    write_outputs(r, out, geotiffs=False)
    return r, out


def test_embedded_run_lists_villages_in_all_78_communes_people_conserved(embedded_run):
    r, _ = embedded_run
    t = r.villages.table
    assert t["commune_code"].nunique() == 78 == r.summary["villages_communes"]
    assert set(t["status"]) <= {"covered", "partial", "no_signal"}
    codes = r.inputs.communes["code"].astype(str).to_numpy()
    per = np.bincount(np.searchsorted(codes, t["commune_code"].to_numpy()), weights=t["people"], minlength=78)
    np.testing.assert_allclose(per + r.villages.people.scattered, r.villages.people.commune_total,
                               rtol=1e-9, atol=1e-6)
    total = float(r.inputs.population[r.inputs.commune_id >= 0].astype(np.float64).sum())
    assert r.summary["villages_people"] + r.summary["villages_people_scattered"] == pytest.approx(total, rel=1e-6)
    s = r.summary
    assert s["villages_total"] == s["villages_no_signal"] + s["villages_partial"] + s["villages_covered"]
    assert s["villages_modelled_clusters"] == int((t["source"] == "cluster").sum()) > 0
    # #19: the uncovered people are all in some field
    assert s["people_in_gaps"] + s["people_scattered_uncovered"] + s["people_uncovered_below_floor"] \
        == pytest.approx(s["people_uncovered"], abs=1.0)


def test_outputs_carry_the_village_list(embedded_run):
    r, out = embedded_run
    layer = gpd.read_file(out / "results.gpkg", layer="villages")
    for col in ("name", "commune_code", "commune", "people", "status", "source", "source_id",
                "centre_level_dbm", "nearest_station_km", "fiber_km", "power", "modelled",
                "centre_rounded"):
        assert col in layer, col
    assert len(layer) == r.summary["villages_total"]
    csv = pd.read_csv(out / "villages.csv", dtype={"commune_code": str})
    assert len(csv) == len(layer)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for k in ("villages_total", "villages_no_signal", "villages_partial", "villages_by_power",
              "villages_newly_served", "objective", "people_uncovered_below_floor"):
        assert k in summary, k
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Thôn/bản chưa có sóng" in html and "Villages without signal" in html
    bad = r.villages.table[r.villages.table["status"] != "covered"]
    assert html.count('class="village-commune"') == bad["commune_code"].nunique()
    assert ".village-commune{page-break-before:always}" in html
    wb = openpyxl.load_workbook(out / "priorities.xlsx", read_only=True)
    ws = wb["Thôn bản"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Xã/phường" and rows[0][1] == "Thôn/bản"
    assert len(rows) - 1 == len(layer)
    statuses = {row[2] for row in rows[1:]}
    assert statuses <= {"chưa có sóng", "có sóng một phần", "có sóng"}


def test_villages_objective_serves_at_least_as_many_villages(embedded_run):
    from analysis.pipeline import siting_stage

    r, _ = embedded_run
    by_people = r.siting.proposals
    by_villages = siting_stage(r.inputs, r.coverage, r.gaps, budget_sites=3, config=r.config,
                               objective="villages", villages=r.villages).proposals
    assert by_villages["villages_new"].iloc[0] >= by_people["villages_new"].iloc[0]
    assert by_villages["villages_new"].iloc[0] == max(
        by_villages["villages_new"].iloc[0], by_people["villages_new"].max())


def test_cli_user_list_and_objective(tmp_path, capsys):
    f = tmp_path / "thon.csv"
    f.write_text(THON_CSV, encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["run", "--default", "--tech", "4g", "--resolution", "1000", "--budget", "2",
               "--villages", str(f), "--objective", "villages", "--no-geotiffs", "--quiet",
               "--out", str(out)])
    assert rc == 0
    assert "villages without signal" in capsys.readouterr().out
    layer = gpd.read_file(out / "results.gpkg", layer="villages")
    user = layer[layer["source"] == "user"].set_index("name")
    assert sorted(user.index) == ["Bản Ka Xeng", "Thôn 1"]  # the bad row is rejected, not guessed
    assert user.loc["Bản Ka Xeng", "power"] == "none" and user.loc["Thôn 1", "power"] == "grid"
    assert user.loc["Thôn 1", "people_stated"] == 1234
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["objective"] == "villages"
    assert s["villages_by_power"]["none"]["total"] == 1


def test_cli_unknown_village_set_is_a_user_error(tmp_path, capsys):
    ws = str(tmp_path / "ws.gpkg")
    rc = main(["run", "--default", "--villages", "nosuch", "--workspace", ws, "--out", str(tmp_path)])
    assert rc == 2
    assert "lomsong villages import" in capsys.readouterr().err


def test_cli_village_set_imported_then_run_by_name(tmp_path, capsys):
    f = tmp_path / "thon.csv"
    f.write_text(THON_CSV, encoding="utf-8")
    ws = str(tmp_path / "ws.gpkg")
    assert main(["villages", "import", str(f), "--name", "tinh", "--workspace", ws]) == 0
    out = tmp_path / "out"
    rc = main(["run", "--default", "--tech", "4g", "--resolution", "1000", "--budget", "1",
               "--villages", "tinh", "--workspace", ws, "--no-geotiffs", "--quiet",
               "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    layer = gpd.read_file(out / "results.gpkg", layer="villages")
    assert sorted(layer.loc[layer["source"] == "user", "name"]) == ["Bản Ka Xeng", "Thôn 1"]
