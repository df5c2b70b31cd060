"""`lomsong coverage` / `run`: mixed modelled sets flagged, --operator, --power-lines (#14, #19)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Point

from lomsong.cli import main
from lomsong.commands.coverage import modelled_rows


def _mixed_stations():
    return gpd.GeoDataFrame(
        {"station_id": ["U1", "M1", "M2"], "site_id": ["U1", "M1", "M2"],
         "operator": ["Viettel", "VNPT", "VNPT"], "technology": ["4G", "4G", "4G"],
         "band_mhz": [1800.0] * 3, "height_m": [30.0] * 3, "eirp_dbm": [64.0] * 3,
         "modelled": [False, True, True]},
        geometry=[Point(106.73, 16.62), Point(107.10, 16.81), Point(106.6, 17.48)], crs="EPSG:4326")


def test_modelled_rows_counts():
    assert modelled_rows(_mixed_stations()) == (2, 0.6667)
    assert modelled_rows(_mixed_stations().drop(columns="modelled")) == (0, 0.0)


def test_coverage_flags_a_mixed_set_in_stderr_and_json_and_filters_operators(tmp_path, monkeypatch, capsys):
    import lomsong.commands.coverage as cov_cmd

    monkeypatch.setattr(cov_cmd, "_load_stations", lambda args: _mixed_stations())
    out = tmp_path / "cov"
    assert main(["coverage", "--default", "--tech", "4g", "--terrain", "off", "--resolution", "1000",
                 "--no-progress", "--out", str(out)]) == 0
    s = json.loads((out / "coverage_summary.json").read_text())
    assert s["modelled_stations"] == 2 and s["modelled_share"] == pytest.approx(0.6667)
    assert any("MIXED station set: 2 of 3" in w for w in s["warnings"])
    assert "MIXED station set" in capsys.readouterr().err
    assert sorted(s["by_operator"]) == ["VNPT", "Viettel"]
    covered_any = s["people_covered"]
    # people served by one operator only + by both = covered by any
    both = (s["by_operator"]["Viettel"]["people_covered"] + s["by_operator"]["VNPT"]["people_covered"]
            - covered_any)
    assert s["people_one_operator"] == pytest.approx(covered_any - both, abs=1.0)
    assert s["people_no_operator"] == pytest.approx(s["people_total"] - covered_any, abs=1.0)

    out2 = tmp_path / "cov2"
    assert main(["coverage", "--default", "--tech", "4g", "--terrain", "off", "--resolution", "1000",
                 "--no-progress", "--operator", "vinaphone", "--out", str(out2)]) == 0
    s2 = json.loads((out2 / "coverage_summary.json").read_text())
    assert s2["stations"] == 2 and list(s2["by_operator"]) == ["VNPT"]
    assert any("stations are MODELLED" in w for w in s2["warnings"])


def test_unknown_operator_and_bad_power_lines_are_user_errors(tmp_path, capsys):
    rc = main(["coverage", "--default", "--operator", "Gmobile", "--resolution", "1000", "--no-progress",
               "--out", str(tmp_path / "c")])
    assert rc == 2 and "No station of operator(s) Gmobile" in capsys.readouterr().err
    rc = main(["run", "--default", "--operator", "Gmobile", "--resolution", "1000", "--quiet",
               "--out", str(tmp_path / "r")])
    assert rc == 2 and "present: MobiFone, VNPT, Viettel" in capsys.readouterr().err
    pts = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[Point(106.7, 16.7)], crs="EPSG:4326").to_file(pts, driver="GeoJSON")
    rc = main(["run", "--default", "--power-lines", str(pts), "--resolution", "1000", "--quiet",
               "--out", str(tmp_path / "r2")])
    assert rc == 2 and "has no line features" in capsys.readouterr().err
    rc = main(["run", "--default", "--power-lines", str(tmp_path / "nope.gpkg"), "--resolution", "1000",
               "--quiet", "--out", str(tmp_path / "r3")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err


def test_run_neutral_ranking_and_operator_reach_the_library(tmp_path, run_kwargs):
    seen, Stop = run_kwargs
    with pytest.raises(Stop):
        main(["run", "--default", "--neutral-ranking", "--operator", "VNPT", "--resolution", "1000",
              "--quiet", "--out", str(tmp_path / "r")])
    assert seen["config"].ranking.is_neutral and seen["operators"] == "VNPT"
    seen.clear()
    with pytest.raises(Stop):
        main(["run", "--default", "--resolution", "1000", "--quiet", "--out", str(tmp_path / "r")])
    assert "config" not in seen and "operators" not in seen  # the library default: priority on


def test_run_villages_reach_the_library_with_their_power_status(tmp_path, run_kwargs):
    csv = tmp_path / "thon.csv"
    csv.write_text("Tên thôn,Xã,Kinh độ,Vĩ độ,Điện\nBản A,Hướng Phùng,106.60,16.75,có điện\n"
                   "Bản B,Hướng Phùng,106.55,16.70,chưa có điện\n", encoding="utf-8")
    seen, Stop = run_kwargs
    with pytest.raises(Stop):
        main(["run", "--default", "--villages", str(csv), "--resolution", "1000", "--quiet",
              "--out", str(tmp_path / "r")])
    assert seen["villages"].gdf["power"].tolist() == ["grid", "none"]
    assert main(["run", "--default", "--villages", str(tmp_path / "nope.csv"), "--resolution", "1000",
                 "--quiet", "--out", str(tmp_path / "r")]) == 2
