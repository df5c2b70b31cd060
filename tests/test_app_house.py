"""Issue #12 house items and #18 items met by the app's library edges, without a browser:

- one Vietnamese number formatter (report and app call the same function);
- one ``gaps_in_commune(gaps, code)`` by whole commune code (the report matched a substring);
- ``priorities.xlsx``: numbers are number cells with Vietnamese display formats (#18 item 7);
- English-only library/data sentences shown in Vietnamese (#18 item 3);
- the "Get 30 m terrain" action, online and offline (#18 item 8).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests._analysis_helpers import synthetic_result  # noqa: E402


# ------------------------------------------------------------------ one formatter
def test_report_and_app_share_one_number_formatter():
    import analysis.formatting as core
    import analysis.report as report
    from app_ui import formatting as app

    assert app.fmt_num is core.fmt_num and app.fmt_int is core.fmt_int and app.fmt_pct is core.fmt_pct
    for v in (1234567.4, -0.4, 12.25, float("nan"), None, float("inf"), "abc"):
        assert report.fmt_number(v, 0, "vi") == core.fmt_num(v, 0, "vi")
        assert report.fmt_share(v, 1, "en") == core.fmt_pct(v, 1, "en")


def test_formatter_known_answers():
    from analysis.formatting import DASH, fmt_int, fmt_num, fmt_pct

    assert fmt_num(1478768.125, 0) == "1.478.768"
    assert fmt_num(-110.0, 0) == "-110" and fmt_num(0.0, 2) == "0,00"
    assert fmt_pct(0.912) == "91,2%" and fmt_pct(0.912, lang="en") == "91.2%"
    assert fmt_int(float("inf")) == DASH and fmt_num("x") == "x"


# ------------------------------------------------------------------ gaps in a commune
def test_gaps_in_commune_matches_whole_codes_only():
    from analysis.gaps import gaps_in_commune

    gaps = pd.DataFrame({
        "gap_id": [1, 2, 3, 4],
        "communes": ["La Lay", "La Lay, A Dơi", "Tân Lập", "Tân Lập"],  # two communes share a name
        "commune_codes": ["19594", "19597,19594", "119594", "20001"],
    })
    assert gaps_in_commune(gaps, "19594")["gap_id"].tolist() == [1, 2]  # not 119594 (substring)
    assert gaps_in_commune(gaps, "1959")["gap_id"].tolist() == []  # the report's old match gave 1, 2, 3
    assert gaps_in_commune(gaps, "20001")["gap_id"].tolist() == [4]  # by code, not the shared name
    assert gaps_in_commune(gaps.iloc[0:0], "19594").empty
    assert gaps_in_commune(None, "19594").empty
    assert gaps_in_commune(gaps.drop(columns="commune_codes"), "19594").empty


def test_report_counts_a_communes_gaps_by_code(tmp_path):
    from analysis.gaps import gaps_in_commune
    from analysis.report import write_report_html

    result = synthetic_result(budget_sites=2)
    communes = result.gaps.communes
    flagged = communes[communes["lom_song"]]
    assert len(flagged), "the synthetic result flags a commune"
    code = str(flagged.iloc[0]["code"])
    n = len(gaps_in_commune(result.gaps.gaps, code))
    text = write_report_html(result, tmp_path / "r.html").read_text(encoding="utf-8")
    assert f"{n} vùng lõm;" in text


# ------------------------------------------------------------------ xlsx
@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    from analysis.report import write_priorities_xlsx

    result = synthetic_result(budget_sites=2)
    path = write_priorities_xlsx(result, tmp_path_factory.mktemp("x") / "p.xlsx")
    return result, openpyxl.load_workbook(path)


def _column(ws, header: str) -> list:
    heads = [c.value for c in ws[1]]
    j = heads.index(header) + 1
    return [ws.cell(row=i, column=j) for i in range(2, ws.max_row + 1)]


def test_xlsx_people_are_numbers_in_a_whole_number_format(workbook):
    result, wb = workbook
    cells = _column(wb["Theo xã"], "Số dân chưa có sóng")
    assert cells and all(isinstance(c.value, int | float) for c in cells)
    assert {c.number_format for c in cells} == {"[$-42A]#,##0"}
    expected = result.gaps.communes["people_uncovered"].tolist()
    assert [c.value for c in cells] == pytest.approx(expected)  # exact values, only displayed rounded


def test_xlsx_shares_money_and_coordinates_have_their_formats(workbook):
    result, wb = workbook
    share = _column(wb["Theo xã"], "Tỷ lệ có sóng (%)")
    assert {c.number_format for c in share if c.value is not None} == {"[$-42A]0.0%"}
    want = [v for v in result.gaps.communes["share_covered"] if not (isinstance(v, float) and math.isnan(v))]
    assert [c.value for c in share if c.value is not None] == pytest.approx(want)  # fractions, shown as %
    cost = _column(wb["Đề xuất trạm"], "Tổng chi phí (đồng)")
    assert cost and all(isinstance(c.value, float | int) for c in cost)
    assert {c.number_format for c in cost} == {'[$-42A]#,##0 "₫"'}
    lon = _column(wb["Đề xuất trạm"], "Kinh độ")
    assert {c.number_format for c in lon} == {"[$-42A]0.000000"}


def test_xlsx_assumptions_are_numbers_not_english_text(workbook):
    from analysis.config import AnalysisConfig

    _, wb = workbook
    ws = wb["Giả định"]
    assert [c.value for c in ws[1]] == ["Giả định", "Assumption", "Giá trị", "Đơn vị"]
    rows = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=3) for i in range(2, ws.max_row + 1)
            if ws.cell(row=i, column=1).value}
    capex = rows["Chi phí trạm 5G"]
    assert capex.value == AnalysisConfig().costs.capex_for("5G") and capex.number_format == '[$-42A]#,##0 "₫"'
    units = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=4).value for i in range(2, ws.max_row + 1)}
    numeric = [k for k, u in units.items() if k and u]  # a row with a unit holds a number
    assert len(numeric) >= 11
    for key in numeric:
        assert isinstance(rows[key].value, int | float), (key, rows[key].value)


# ------------------------------------------------------------------ English-only texts in Vietnamese
def test_data_notes_and_file_errors_in_vietnamese():
    from app_ui.messages import column_label, file_error_text, flag_text

    assert flag_text("legal area 26.49 km² differs from the drawn polygon 25.8 km² by -3%", "vi") == (
        "diện tích pháp lý 26,49 km² khác diện tích ranh giới vẽ 25,8 km² (-3%)")
    assert flag_text(
        "legal population 3,621 is implausible against WorldPop 2020 (28,784; ratio 0.13; "
        "64.1 people/km² drawn)", "vi") == (
        "dân số pháp lý 3.621 không hợp lý so với WorldPop 2020 (28.784; tỷ lệ 0,13; "
        "64,1 người/km² theo ranh giới vẽ)")
    en = "legal area 1 km² differs from the drawn polygon 2 km² by +100%"
    assert flag_text(en, "en") == en
    shown, detail = file_error_text(
        "The file is not a readable table (binary content): upload CSV, Excel (.xlsx), GeoJSON, "
        "GeoPackage, zipped Shapefile or KML/KMZ.", "vi")
    assert shown.startswith("Tệp không phải là bảng đọc được") and detail is None
    shown, detail = file_error_text("Something new went wrong.", "vi")
    assert "tiếng Anh" in shown and detail == "Something new went wrong."  # kept, never dropped
    assert column_label("band_mhz", "vi") == "băng tần (MHz)"
    assert column_label("eirp_dbm, height_m", "vi") == "công suất EIRP (dBm), độ cao anten (m)"
    assert column_label("band_mhz", "en") == "band_mhz"


def test_dem_line_in_vietnamese():
    from app_ui.messages import dem_text
    from geo.dem import load_dem

    dem = load_dem(None)
    vi = dem_text(dem, "vi")
    assert vi.startswith("địa hình nhúng sẵn 5′ (") and "thô: chỉ thấy bóng địa hình" in vi
    assert "embedded" not in vi and "coarse" not in vi
    assert dem_text(dem, "en") == dem.describe()


# ------------------------------------------------------------------ terrain in one click
class _Result:
    def __init__(self, path):
        self.path = path
        self.downloaded, self.cached = ["a", "b"], ["c"]


def test_download_terrain_switches_the_session_to_it(tmp_path, monkeypatch):
    import streamlit as st

    from app_ui.pages.about import download_terrain

    monkeypatch.setattr(st, "session_state", {})
    seen = []

    def fake(product, progress, on_tile):
        assert product == "glo-30" and progress is False
        for i in range(4):
            on_tile(i, 3)
        return _Result(tmp_path / "copernicus_glo-30.tif")

    result, err = download_terrain(lambda d, n: seen.append((d, n)), download=fake)
    assert err is None and st.session_state["dem_path"] == str(tmp_path / "copernicus_glo-30.tif")
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_download_terrain_offline_is_a_message(monkeypatch):
    import streamlit as st

    from app_ui.pages.about import download_terrain
    from geo.dem import DemError

    monkeypatch.setattr(st, "session_state", {})

    def offline(product, progress, on_tile):
        raise DemError("cannot reach https://copernicus-dem-30m.s3.amazonaws.com (offline?)")

    result, err = download_terrain(download=offline)
    assert result is None and "offline" in err and "dem_path" not in st.session_state


def test_copernicus_download_reports_each_tile(tmp_path, monkeypatch):
    """``download_copernicus(on_tile=…)`` counts every tile, cached or missing (no network)."""
    from geo import _dem_download as dd

    monkeypatch.setenv("LOMSONG_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(dd, "download_tile", lambda url, dest, progress=False, timeout_s=0: False)
    calls = []
    with pytest.raises(dd.DemError, match="None of the"):
        dd.download_copernicus("glo-30", bounds_lonlat=(106.2, 16.2, 107.8, 17.8), progress=False,
                               on_tile=lambda d, n: calls.append((d, n)))
    assert calls[0] == (0, 4) and calls[-1] == (4, 4) and len(calls) == 5  # 2 × 2 one-degree tiles


# ------------------------------------------------------------------ features that land later (#18 item 10)
def test_feature_hooks_follow_the_library(monkeypatch):
    import numpy as np

    from app_ui import features

    assert features.has_reliability() == ("reliability" in features.coverage_fields())
    monkeypatch.setattr(features, "has_reliability", lambda: True)
    monkeypatch.setattr(features, "has_load", lambda: True)
    assert features.coverage_overrides({"reliability_pct": 90.0, "load_pct": 25.0}) == {
        "reliability": 0.9, "load": 0.25}
    monkeypatch.setattr(features, "has_reliability", lambda: False)
    assert features.coverage_overrides({"reliability_pct": 90.0}) == {}

    class WithSpeed:
        def throughput_mbps(self, tech):
            return np.full((2, 2), 12.5) if tech == "4G" else None

    assert features.throughput_of(object(), "4G") is None  # an engine without speeds
    assert features.throughput_of(WithSpeed(), "4G").tolist() == [[12.5, 12.5], [12.5, 12.5]]
    monkeypatch.setattr(features, "has_operator_filter", lambda: False)
    assert features.operators_chosen({"operators": ("Viettel",)}) is None
    monkeypatch.setattr(features, "has_operator_filter", lambda: True)
    assert features.operators_chosen({"operators": ("Viettel", "MobiFone")}) == ["MobiFone", "Viettel"]


def test_map_draws_speed_villages_and_residuals_when_given():
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import Point, box

    from app_ui.maps import RESIDUAL_COLOURS, VILLAGE_COLOURS, MapData, build_map, speed_rgba

    communes = gpd.GeoDataFrame({"code": ["1"], "name": ["A"], "terrain": ["plain"]},
                                geometry=[box(106.5, 16.6, 106.7, 16.8)], crs=4326)
    villages = gpd.GeoDataFrame({"name": ["Bản Một", "Bản Hai"], "status": ["no_signal", "covered"]},
                                geometry=[Point(106.6, 16.7), Point(106.65, 16.7)], crs=4326)
    drive = gpd.GeoDataFrame({"residual_db": [-12.0, 15.0]},
                             geometry=[Point(106.6, 16.65), Point(106.62, 16.66)], crs=4326)
    img = speed_rgba(np.array([[5.0, 50.0]]))
    html = build_map(MapData(communes=communes, speed_image=(img, [[16.6, 106.5], [16.8, 106.7]]),
                             villages=villages, measurements=drive), lang="vi").get_root().render()
    assert "Tốc độ dữ liệu (Mbit/s, mô hình)" in html or "T\\u1ed1c \\u0111\\u1ed9" in html
    assert VILLAGE_COLOURS["no_signal"] in html and VILLAGE_COLOURS["covered"] in html
    assert "chưa có sóng" in html or "ch\\u01b0a c\\u00f3 s\\u00f3ng" in html  # the legend names the status
    assert RESIDUAL_COLOURS[0] in html and RESIDUAL_COLOURS[-1] in html
