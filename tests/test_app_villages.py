"""The Thôn/bản page (#15): filters, the table in Vietnamese, markers by status, the page itself."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from app_ui.pages.villages import filter_villages, village_display, villages_layer

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _table():
    return gpd.GeoDataFrame(
        {"village_id": ["a", "b", "c"], "name": ["Bản Ka Xeng", "Cụm dân cư 1 — Hướng Lập", "Thôn Một"],
         "commune": ["Thượng Trạch", "Hướng Lập", "Khe Sanh"], "commune_code": ["1", "2", "3"],
         "status": ["no_signal", "partial", "covered"], "people": [320.0, 1234.5, 80.0],
         "share_people_covered": [0.1, 0.6, 1.0], "centre_level_dbm": [np.nan, -118.2, -80.0],
         "centre_rounded": [True, False, False], "nearest_station_km": [12.3, 4.5, 0.4],
         "fiber_km": [20.0, 3.0, 0.0], "power": ["none", None, "grid"],
         "terrain": ["mountain", "mountain", "mountain"], "source": ["geonames", "cluster", "user"],
         "modelled": [False, True, False], "lon": [106.3, 106.5, 106.73], "lat": [17.4, 16.9, 16.62]},
        geometry=gpd.points_from_xy([106.3, 106.5, 106.73], [17.4, 16.9, 16.62]), crs="EPSG:4326")


@pytest.mark.parametrize(("kw", "ids"), [
    ({"statuses": ["no_signal", "partial"]}, ["a", "b"]),
    ({"commune": "Khe Sanh"}, ["c"]),
    ({"query": "ka xeng"}, ["a"]),          # without diacritics or "Bản"
    ({"query": "Xeng"}, ["a"]),
    ({"query": "huong lap"}, ["b"]),        # a commune name finds its villages
    ({"query": "thon mot", "statuses": ["covered"]}, ["c"]),
    ({"query": "nowhere"}, []),
])
def test_filter_villages(kw, ids):
    assert filter_villages(_table(), **kw)["village_id"].tolist() == ids


def test_display_in_vietnamese_with_modelled_cluster_labelled():
    df = village_display(_table(), "vi")
    assert list(df.columns[:3]) == ["Xã/phường", "Thôn/bản", "Tình trạng"]
    assert df["Tình trạng"].tolist() == ["chưa có sóng", "có sóng một phần", "có sóng"]
    assert df["Điện lưới"].tolist() == ["chưa có điện", "không rõ", "có điện lưới"]
    assert df["Nguồn"].tolist()[1] == "cụm dân cư mô phỏng"
    assert df["Số dân (WorldPop, mô hình)"].tolist() == ["320", "1.234", "80"]
    assert df["Tỷ lệ dân có sóng (%)"].tolist() == ["10,0%", "60,0%", "100,0%"]
    en = village_display(_table(), "en")
    assert en["Status"].tolist() == ["no signal", "partial", "covered"]
    assert en["Source"].tolist()[1] == "modelled cluster"


def test_villages_layer_one_marker_per_village_coloured_by_status():
    import folium

    layer = villages_layer(_table(), "vi", statuses=["no_signal", "partial"])
    markers = [c for c in layer._children.values() if isinstance(c, folium.CircleMarker)]
    assert [m.options["fillColor"] for m in markers] == ["#D55E00", "#F0E442"]
    html = folium.Map().add_child(layer).get_root().render()
    assert "Bản Ka Xeng" in html and "(mô phỏng)" in html


@pytest.fixture()
def app_env(tmp_path, monkeypatch):
    monkeypatch.setenv("LOMSONG_WORKSPACE", str(tmp_path / "ws" / "lomsong.gpkg"))
    monkeypatch.setenv("LOMSONG_APP_RESOLUTION", "1000")
    monkeypatch.setenv("LOMSONG_APP_DISK_CACHE", "0")
    return tmp_path


def test_villages_page_lists_statuses_and_filters(app_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["page"] = "villages"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == "Thôn/bản chưa có sóng"
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Số thôn/bản"].replace(".", "")) == sum(
        int(metrics[k].replace(".", "")) for k in ("Chưa có sóng", "Có sóng một phần", "Có sóng"))
    df = at.dataframe[0].value
    assert set(df["Tình trạng"]) <= {"chưa có sóng", "có sóng một phần"}  # default filter
    assert len(df) == int(metrics["Chưa có sóng"].replace(".", "")) + \
        int(metrics["Có sóng một phần"].replace(".", ""))
    at.text_input(key="villages_query").set_value("khong co thon nao ten the nay").run()
    assert not at.exception
    assert any("Không có thôn/bản nào" in str(i.value) for i in at.info)


def test_villages_page_uses_a_saved_village_list(app_env):
    from streamlit.testing.v1 import AppTest

    from geo.village_list import read_villages
    from geo.workspace import Workspace

    f = app_env / "thon.csv"
    f.write_text("Tên thôn,Xã,Kinh độ,Vĩ độ,Dân số,Điện\n"
                 "Bản Ka Xeng,Thượng Trạch,106.30,17.40,320,chưa có điện\n", encoding="utf-8")
    Workspace(app_env / "ws" / "lomsong.gpkg").save_points(read_villages(f), "tinh", kind="villages")
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["page"] = "villages"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="villages_saved").set_value("tinh").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("tinh" in str(i.value) and "giữ 1" in str(i.value) for i in at.info)
    at.multiselect(key="villages_status").set_value(["no_signal", "partial", "covered"]).run()
    at.text_input(key="villages_query").set_value("ka xeng").run()
    df = at.dataframe[0].value
    assert df["Thôn/bản"].tolist() == ["Bản Ka Xeng"]
    assert df["Điện lưới"].tolist() == ["chưa có điện"]
