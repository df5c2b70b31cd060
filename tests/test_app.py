"""The Streamlit app: formatting, strings, offline maps, the result store, and every page
driven through ``streamlit.testing.v1.AppTest`` (language switch, uploads good and bad).

The page tests run the real library at a coarse 1000 m grid (``LOMSONG_APP_RESOLUTION``)
with the workspace in a temporary folder; they share one process-wide result store, so the
analysis runs once for the module.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app_ui import formatting as fm  # noqa: E402
from app_ui import i18n  # noqa: E402

APP = str(ROOT / "app.py")
FIXTURE_CSV = ROOT / "tests" / "fixtures" / "stations" / "tram_bts_windows1258.csv"
GOOD_CSV = (
    "Mã trạm,Nhà mạng,Công nghệ,Kinh độ,Vĩ độ,Độ cao anten (m),Băng tần (MHz)\n"
    "T1,Viettel,4G,107.10,16.80,30,1800\n"
    "T2,VinaPhone,5G,106.90,16.75,35,3500\n"
    "T3,MobiFone,4G,106.60,17.48,25,1800\n"
).encode()
ALL_REJECTED_CSV = (
    "Mã trạm,Nhà mạng,Công nghệ,Kinh độ,Vĩ độ\n"
    "X1,Viettel,4G,,\n"
    "X2,Viettel,4G,abc,def\n"
).encode()
JUNK = bytes(range(256)) * 40


# ------------------------------------------------------------------ formatting
def test_vietnamese_number_format_known_answers():
    assert fm.fmt_int(1234567) == "1.234.567"
    assert fm.fmt_int(1234567, "en") == "1,234,567"
    assert fm.fmt_pct(0.125) == "12,5%"
    assert fm.fmt_pct(0.125, lang="en") == "12.5%"
    assert fm.fmt_num(1234.5, 1) == "1.234,5"
    assert fm.fmt_vnd(1.5e9) == "1,5 tỷ đồng"
    assert fm.fmt_vnd(250e6) == "250 triệu đồng"
    assert fm.fmt_vnd(3e9, "en") == "VND 3 bn"
    assert fm.fmt_vnd(1.5e9, compact=False) == "1.500.000.000 ₫"
    assert fm.fmt_dbm(-110) == "−110 dBm"
    assert fm.fmt_int(None) == fm.DASH and fm.fmt_pct(float("nan")) == fm.DASH


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.sampled_from(["vi", "en"]))
def test_formatted_numbers_read_back(value, lang):
    text = fm.fmt_num(value, 2, lang)
    assert fm.parse_num(text, lang) == pytest.approx(round(value, 2), abs=0.006)


def test_parse_num_rejects_text():
    with pytest.raises(ValueError, match="abc"):
        fm.parse_num("abc")


# ------------------------------------------------------------------ strings
def test_every_string_has_both_languages_and_the_same_fields():
    field = re.compile(r"{(\w+)}")
    for key, (vi, en) in i18n.STRINGS.items():
        assert vi.strip() and en.strip(), key
        assert set(field.findall(vi)) == set(field.findall(en)), key


def test_t_formats_and_falls_back():
    assert i18n.t("page_map", "vi") == "Bản đồ"
    assert i18n.t("page_map", "en") == "Map"
    assert i18n.t("footer_dem", "en", dem="X") == "DEM in use: X"
    assert i18n.t("no-such-key", "vi") == "no-such-key"
    assert i18n.terrain_label("mountain", "vi") == "miền núi"


# ------------------------------------------------------------------ maps
@pytest.fixture(scope="module")
def small_layers():
    import geopandas as gpd
    from shapely.geometry import Point, box

    from geo.grid import Grid

    communes = gpd.GeoDataFrame(
        {"code": ["00001", "00002"], "name": ["A", "B"], "terrain": ["mountain", "coastal"],
         "people_total": [1000.0, 500.0], "people_uncovered": [100.0, 0.0],
         "share_uncovered": [0.1, 0.0]},
        geometry=[box(106.5, 16.6, 106.7, 16.8), box(106.7, 16.6, 106.9, 16.8)], crs=4326,
    )
    grid = Grid.for_geometry(communes, 1000)
    rsrp = np.full(grid.shape, np.nan, dtype=np.float32)
    rsrp[: grid.shape[0] // 2] = -95.0
    stations = gpd.GeoDataFrame(
        {"station_id": ["S1", "S2"], "operator": ["Viettel", "<b>x</b>"], "technology": ["5G", "4G"],
         "band_mhz": [3500.0, 1800.0], "height_m": [30.0, 25.0], "assumed": ["height_m", ""],
         "modelled": [True, False]},
        geometry=[Point(106.6, 16.7), Point(106.8, 16.7)], crs=4326,
    )
    proposals = gpd.GeoDataFrame(
        {"rank": [1, 2], "commune": ["A", "B"], "people_new": [50.0, 20.0], "cost_vnd": [3e9, 3.5e9]},
        geometry=[Point(106.62, 16.65), Point(106.82, 16.75)], crs=4326,
    )
    return communes, grid, rsrp, stations, proposals


def test_map_draws_offline_with_every_layer(small_layers):
    from app_ui.maps import MapData, build_map

    communes, grid, rsrp, stations, proposals = small_layers
    m = build_map(
        MapData(communes=communes, province=communes.dissolve(), rsrp_dbm=rsrp,
                rsrp_transform=grid.transform, rsrp_crs=grid.rasterio_crs, threshold_dbm=-110.0,
                gaps=communes.iloc[:1], stations=stations, proposals=proposals),
        lang="vi", basemap=False,
    )
    html = m.get_root().render()
    # the only address in the page is the OSM tile template of a base layer not shown at first
    urls = set(re.findall(r"https?://[^\"' )]+", html))
    assert urls <= {"https://tile.openstreetmap.org/{z}/{x}/{y}.png", "http://www.w3.org/2000/svg"}, urls
    tile_var = re.search(r"var (tile_layer_\w+) = L\.tileLayer", html).group(1)
    assert f"{tile_var}.addTo(" not in html  # OSM one click away, not loaded
    assert "data:text/javascript;base64," in html  # Leaflet itself travels with the page
    assert "$(" not in html.replace("$(\\", "")  # no jQuery needed
    for name in ("lomsongBusy", "Tô màu xã theo tỷ lệ chưa có sóng", "Cường độ tín hiệu RSRP",
                 "Vùng lõm sóng", "Trạm hiện có", "Trạm đề xuất", "lomsong-legend", "L.control.layers",
                 "url(#lomsong-hatch)", "lomsong-stations", "Nền: ranh giới, bờ biển, đường (ngoại tuyến)"):
        assert name in html or json.dumps(name)[1:-1] in html, name
    assert "&lt;b&gt;x&lt;/b&gt;" in html or "\\u0026lt;b\\u0026gt;" in html  # popups escaped
    assert "window.innerWidth < 700" in html  # layer control and legend fold on a phone


def test_map_legend_is_at_least_12px_and_below_the_layer_control(small_layers):
    from app_ui.maps import MapData, build_map

    communes = small_layers[0]
    html = build_map(MapData(communes=communes, threshold_dbm=-110.0), lang="vi").get_root().render()
    assert "font: 12px/1.35 sans-serif" in html
    assert '"bottomleft"' in html and '"position": "topright"' in html


def test_basemap_is_optional(small_layers):
    from app_ui.maps import MapData, build_map

    communes = small_layers[0]
    html = build_map(MapData(communes=communes), lang="en", basemap=True).get_root().render()
    assert "tile.openstreetmap.org" in html and "OpenStreetMap" in html
    tile_var = re.search(r"var (tile_layer_\w+) = L\.tileLayer", html).group(1)
    assert f"{tile_var}.addTo(" in html  # asked for: shown at first
    assert json.dumps("Opening the profile of {name}…")[1:-1] in html or "Opening the profile of" in html


def test_signal_palette_known_answers():
    from app_ui.maps import BELOW_COLOUR, SIGNAL_SPAN_DB, rsrp_rgba

    # viridis ends, as published (matplotlib _cm_listed): #440154 (0) and #fde725 (1)
    rsrp = np.array([[np.nan, -120.0, -110.0, -110.0 + SIGNAL_SPAN_DB, -40.0]], dtype=np.float32)
    img = rsrp_rgba(rsrp, -110.0)
    hexes = ["#" + bytes(img[0, i, :3]).hex() for i in range(5)]
    assert img[0, 0, 3] == 0  # no signal, no analysed-area mask: transparent
    assert hexes[1] == BELOW_COLOUR and hexes[2] == "#440154" and hexes[3] == hexes[4] == "#fde725"
    inside = np.array([[True, True, False, True, True]])
    img = rsrp_rgba(rsrp, -110.0, inside=inside)
    assert "#" + bytes(img[0, 0, :3]).hex() == BELOW_COLOUR and img[0, 0, 3] > 0  # nothing reaches
    assert img[0, 2, 3] == 0  # outside the analysed area: not drawn


def test_speed_palette_is_logarithmic():
    from app_ui.maps import BELOW_COLOUR, palette_lut, speed_rgba

    lut = palette_lut("cividis")
    img = speed_rgba(np.array([[0.5, 1.0, 10.0, 100.0, 1000.0]]))
    hexes = ["#" + bytes(img[0, i, :3]).hex() for i in range(5)]
    assert hexes[0] == BELOW_COLOUR
    assert hexes[1] == "#" + bytes(lut[0]).hex() and hexes[3] == hexes[4] == "#" + bytes(lut[-1]).hex()
    assert hexes[2] == "#" + bytes(lut[128]).hex()  # 10 Mbit/s: half way on log 1–100 (255 · ½ → 128)


def test_residual_colours():
    from app_ui.maps import RESIDUAL_COLOURS, residual_colour

    assert [residual_colour(v) for v in (-20, -5, 0, 5, 20)] == list(RESIDUAL_COLOURS)
    assert residual_colour(float("nan")) != RESIDUAL_COLOURS[2]


def test_rsrp_overlay_lands_on_the_grid(small_layers):
    from app_ui.maps import rsrp_overlay

    communes, grid, rsrp, _, _ = small_layers
    img, ((s, w), (n, e)) = rsrp_overlay(rsrp, grid.transform, grid.rasterio_crs, -110.0, max_px=50)
    assert max(img.shape[:2]) <= 50
    west, south, east, north = communes.total_bounds
    assert w == pytest.approx(west, abs=0.02) and e == pytest.approx(east, abs=0.02)
    assert s == pytest.approx(south, abs=0.02) and n == pytest.approx(north, abs=0.02)
    top, bottom = img[: img.shape[0] // 3, :, 3], img[-img.shape[0] // 3 :, :, 3]
    assert (top > 0).mean() > 0.9 and (bottom == 0).mean() > 0.9  # north half has signal


def test_uncovered_colour_bins():
    from app_ui.maps import NO_RESULT_FILL, UNCOVERED_COLOURS, uncovered_colour

    assert uncovered_colour(0.0) == UNCOVERED_COLOURS[0]
    assert uncovered_colour(0.15) == UNCOVERED_COLOURS[2]
    assert uncovered_colour(0.9) == UNCOVERED_COLOURS[-1]
    assert uncovered_colour(None) == NO_RESULT_FILL


# ------------------------------------------------------------------ result store
def test_result_store_computes_once_and_evicts_oldest():
    from app_ui.state import ResultStore

    store = ResultStore(max_items=2)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.05)
        return len(calls)

    threads = [threading.Thread(target=store.get_or_compute, args=(("a",), slow)) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1 and store.get(("a",)) == 1
    store.get_or_compute(("b",), lambda: 2)
    store.get_or_compute(("c",), lambda: 3)
    assert ("a",) not in store and store.get(("c",)) == 3


def test_result_store_disk_layer_survives_a_restart(tmp_path):
    from app_ui.state import ResultStore

    first = ResultStore(disk_dir=tmp_path)
    assert first.get_or_compute(("k", 1), lambda: {"people": 5}, persist=True) == {"people": 5}
    again = ResultStore(disk_dir=tmp_path)  # a new process: memory empty, disk warm

    def boom():
        raise AssertionError("recomputed although cached on disk")

    assert again.get_or_compute(("k", 1), boom, persist=True) == {"people": 5}
    assert again.get_or_compute(("k", 2), lambda: 7) == 7 and len(list(tmp_path.glob("*.npz"))) == 1
    next(tmp_path.glob("*.npz")).write_bytes(b"damaged")
    assert ResultStore(disk_dir=tmp_path).get_or_compute(("k", 1), lambda: 9, persist=True) == 9


# ------------------------------------------------------------------ the app
def _needs_default_network():
    """The modelled default network ships in data/: a missing or corrupt copy fails the
    test (a DataError), it never skips it (#19)."""
    from geo.data import default_stations_path

    default_stations_path()


@pytest.fixture()
def app_env(tmp_path, monkeypatch):
    monkeypatch.setenv("LOMSONG_WORKSPACE", str(tmp_path / "ws" / "lomsong.gpkg"))
    monkeypatch.setenv("LOMSONG_APP_RESOLUTION", "1000")
    monkeypatch.setenv("LOMSONG_APP_DISK_CACHE", "0")  # one in-memory store for the module
    return tmp_path


def _app(page: str | None = None):
    """An AppTest of ``app.py`` (opening on ``page`` when given)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=240)
    if page:
        at.session_state["page"] = page
    return at


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def _no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


def _open(page: str):
    at = _app(page).run()
    _no_exception(at)
    return at


def _go(at, page: str):
    at.sidebar.radio(key="page").set_value(page).run()
    _no_exception(at)
    return at


def test_map_page_shows_results_banner_and_footer(app_env):
    _needs_default_network()
    at = _app().run()
    _no_exception(at)
    assert at.title[0].value == "Lõm sóng Quảng Trị"
    assert any("MÔ PHỎNG" in w and "MODELLED" in w for w in _texts(at.warning))
    metrics = {m.label: m.value for m in at.metric}
    # WorldPop 2020 on the 1000 m grid inside the 78 communes, summed once with
    # population_on_grid(analysis_grid(1000))[grid.burn(communes) >= 0]: 1,472,648
    assert metrics["Dân số (WorldPop)"] == "1.472.648"
    assert re.fullmatch(r"\d{1,2},\d%", metrics["Tỷ lệ có sóng"])
    help_text = next(m for m in at.metric if m.label == "Dân số (WorldPop)").help
    assert "1.478.849" in help_text and "1.000 m" in help_text  # the outline sum and why it differs
    footer = " ".join(_texts(at.caption))
    assert "WorldPop" in footer and "địa hình nhúng sẵn 5′" in footer and "1000 m" in footer
    assert "embedded" not in footer and "coarse" not in footer


def test_language_switch(app_env):
    _needs_default_network()
    at = _app().run()
    at.sidebar.radio(key="lang").set_value("en").run()
    _no_exception(at)
    assert at.title[0].value == "Coverage gaps — Quảng Trị"
    labels = [m.label for m in at.metric]
    assert "People (WorldPop)" in labels
    metrics = {m.label: m.value for m in at.metric}
    assert re.fullmatch(r"\d{1,3}(,\d{3})+", metrics["People (WorldPop)"])
    assert any("MODELLED" in w for w in _texts(at.warning))  # the banner stays bilingual


def test_gaps_page_filters_and_downloads(app_env):
    _needs_default_network()
    at = _open("gaps")
    assert at.header[0].value == "Vùng lõm sóng xếp hạng"
    assert at.dataframe, "the gap table did not render"  # the modelled network leaves gaps at 5G
    df = at.dataframe[0].value
    assert len(df) >= 1
    ranks = [int(r) for r in df["Hạng"]]
    assert ranks == list(range(1, len(ranks) + 1))
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*", v) for v in df["Số dân chưa có sóng"])
    labels = [b.label for b in at.get("download_button")]
    assert {"Tải GeoPackage", "Tải GeoJSON", "Tải CSV"} <= set(labels)
    assert any("Trọng số xếp hạng đang dùng" in c for c in _texts(at.caption))
    at.number_input(key="gap_min_people").set_value(10**7).run()
    _no_exception(at)
    assert any("Không có vùng lõm" in i for i in _texts(at.info))


def test_proposals_page_budget_change_and_report(app_env):
    _needs_default_network()
    at = _app().run()
    at.sidebar.number_input(key="budget_sites").set_value(1).run()
    _go(at, "proposals")
    assert at.header[0].value == "Đề xuất vị trí trạm mới"
    proposals = [d.value for d in at.dataframe]
    assert proposals, "the proposal table did not render"
    assert len(proposals[0]) == 1 and list(proposals[0]["Thứ tự"]) == ["1"]  # a budget of one site
    at.radio(key="budget_kind").set_value("vnd").run()
    _no_exception(at)
    at.button(key="make_report").click().run()
    _no_exception(at)
    labels = [b.label for b in at.get("download_button")]
    assert "Tải báo cáo in (HTML)" in labels and "Tải danh sách ưu tiên (Excel)" in labels


def test_commune_page_profile(app_env):
    _needs_default_network()
    at = _app()
    at.session_state["commune_code"] = "19594"  # La Lay, a mountain commune
    at.run()
    _go(at, "commune")
    assert at.header[0].value == "Hồ sơ xã"
    text = " ".join(_texts(at.markdown))
    assert "Đơn vị trước sáp nhập" in text and "Ghi chú chất lượng dữ liệu" in text
    # the data note in Vietnamese, its numbers in the Vietnamese format
    assert "diện tích pháp lý 156,21 km² khác diện tích ranh giới vẽ 151,1 km² (-3%)" in text
    assert "legal area" not in text
    labels = {m.label: m.value for m in at.metric}
    assert labels["Địa hình"] == "miền núi"
    assert "Dân số pháp lý" in labels
    worldpop = [k for k in labels if "WorldPop" in k]
    assert worldpop == ["Dân số mô hình (WorldPop, lưới 1.000 m)"]  # one modelled figure, not two


def test_about_page_sources_and_dem(app_env):
    at = _open("about")
    text = " ".join(_texts(at.markdown))
    assert "WorldPop" in text and "CC BY 4.0" in text  # PROVENANCE.md
    assert "MÔ PHỎNG" in text
    assert any("thô" in w for w in _texts(at.warning))  # the coarse-DEM warning


def test_bad_dem_upload_is_a_message(app_env):
    at = _open("about")
    at.file_uploader(key="dem_upload").upload("N17E106.hgt", b"not a dem", "application/octet-stream")
    at.run()
    _no_exception(at)
    assert any("Không dùng được DEM" in e for e in _texts(at.error))


def _geotiff_bytes() -> bytes:
    """A 0.02° (~2 km) DEM over the province: a ridge rising to the west."""
    from rasterio.io import MemoryFile
    from rasterio.transform import from_origin

    west, north, step = 105.4, 18.4, 0.02
    cols, rows = 120, 120
    elev = np.tile(np.linspace(1500.0, 0.0, cols, dtype=np.float32), (rows, 1))
    with MemoryFile() as mem:
        with mem.open(driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
                      crs="EPSG:4326", transform=from_origin(west, north, step, step)) as ds:
            ds.write(elev, 1)
        return mem.read()


def test_good_dem_upload_replaces_the_embedded_one_and_is_kept(app_env):
    at = _open("about")
    at.file_uploader(key="dem_upload").upload("dem_test.tif", _geotiff_bytes(), "image/tiff")
    at.run()
    _no_exception(at)
    kept = list((app_env / "ws" / "dem").glob("*dem_test.tif"))
    assert len(kept) == 1
    assert at.session_state["dem_path"] == str(kept[0])
    text = " ".join(_texts(at.markdown))
    assert "Đang dùng:" in text and "embedded" not in text.split("Đang dùng:")[1][:40]
    footer = " ".join(_texts(at.caption))
    assert "embedded 5′ relief" not in footer


def test_upload_good_file_report_save_and_use(app_env):
    at = _open("stations")
    at.file_uploader(key="station_upload").upload("tram_bts.csv", GOOD_CSV, "text/csv")
    at.run()
    _no_exception(at)
    assert any("Đã đọc 3 dòng" in s for s in _texts(at.success))
    report = at.dataframe[0].value
    assert len(report) >= 3
    at.text_input(key="set_name").input("Viettel tháng 7").run()
    at.button(key="save_set").click().run()
    _no_exception(at)
    assert any("Viettel tháng 7" in s for s in _texts(at.success))
    assert at.session_state["active_set"] == "Viettel tháng 7"
    from geo.workspace import Workspace

    ws = Workspace(app_env / "ws" / "lomsong.gpkg")
    assert ws.names() == ["Viettel tháng 7"] and len(ws.load("Viettel tháng 7").stations) == 3
    # the modelled banner goes once a real set is active
    at.run()
    assert not any("MÔ PHỎNG" in w for w in _texts(at.warning))


def test_upload_real_liaison_file(app_env):
    at = _open("stations")
    at.file_uploader(key="station_upload").upload(FIXTURE_CSV.name, FIXTURE_CSV.read_bytes(), "text/csv")
    at.run()
    _no_exception(at)
    at.multiselect(key="report_status").set_value(["rejected"]).run()
    view = at.dataframe[0].value
    assert len(view) >= 5 and set(view["Kết quả"]) == {"bị loại"}


@pytest.mark.parametrize(
    ("name", "data", "expect"),
    [("junk.csv", JUNK, "Không đọc được tệp"), ("empty.xlsx", b"", "Không đọc được tệp"),
     ("none_usable.csv", ALL_REJECTED_CSV, "Không có trạm nào dùng được")],
)
def test_bad_upload_shows_the_report_never_a_traceback(app_env, name, data, expect):
    at = _open("stations")
    at.file_uploader(key="station_upload").upload(name, data, "text/csv")
    at.run()
    _no_exception(at)
    assert any(expect in e for e in _texts(at.error)), _texts(at.error)
    if name == "none_usable.csv":
        assert set(at.dataframe[0].value["Dòng"]) == {2, 3}  # the report names both rows
        assert not any(b.label == "Lưu vào kho" for b in at.button)


def test_compare_two_station_sets(app_env):
    _needs_default_network()
    at = _open("stations")
    at.file_uploader(key="station_upload").upload("tram_bts.csv", GOOD_CSV, "text/csv")
    at.run()
    at.text_input(key="set_name").input("ba trạm").run()
    at.button(key="save_set").click().run()
    _no_exception(at)
    at.selectbox(key="compare_before").set_value("ba trạm").run()
    at.selectbox(key="compare_after").select_index(0).run()  # the modelled default
    at.button(key="compare_run").click().run()
    _no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    newly = int(metrics["Người được phủ thêm"].replace(".", ""))
    lost = int(metrics["Người mất sóng"].replace(".", ""))
    assert newly > 100_000  # 3,128 modelled stations reach far more than 3
    assert lost < newly / 10  # few people are reached by the 3 uploaded stations alone
    before, _after = (int(v.replace(".", "")) for v in metrics["Số vùng lõm trước → sau"].split(" → "))
    closed = int(metrics["Vùng lõm được xóa (≥ 90% dân có sóng)"].replace(".", ""))
    assert 0 < closed <= before  # 3 stations leave gaps that the modelled network mostly closes


def test_curve_axis_numbers_follow_the_language():
    import pandas as pd

    from app_ui.pages.proposals import _curve_chart

    curve = pd.DataFrame({"sites": [0, 1, 2], "people": [1000.0, 250_000.0, 1_234_567.0]})
    vi = _curve_chart(curve, "sites", "people", "vi").to_dict()
    en = _curve_chart(curve, "sites", "people", "en").to_dict()
    assert "/,/g, '.'" in vi["encoding"]["y"]["axis"]["labelExpr"]  # 1.234.567
    assert en["encoding"]["y"]["axis"]["format"] == ",d"  # 1,234,567


# ------------------------------------------------------------------ issue #18 / #19 in AppTest
FOUR_G_CSV = (
    "Mã trạm,Nhà mạng,Công nghệ,Kinh độ,Vĩ độ,Độ cao anten (m),Băng tần (MHz)\n"
    "A1,Viettel,4G,107.10,16.80,35,1800\n"
    "A2,Viettel,4G,106.62,17.47,35,1800\n"
    "A3,VinaPhone,4G,106.80,17.21,35,1800\n"
).encode()


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_4g_list_switches_the_analysis_to_4g_and_says_why(app_env):
    at = _open("stations")
    assert at.session_state["tech"] == "5G"
    at.file_uploader(key="station_upload").upload("tram_4g.csv", FOUR_G_CSV, "text/csv")
    at.run()
    at.text_input(key="set_name").input("Bốn G").run()
    at.button(key="save_set").click().run()
    _no_exception(at)
    assert at.session_state["active_set"] == "Bốn G"
    assert at.session_state["tech"] == "4G"  # the list has no 5G station
    assert at.session_state["threshold_dbm"] == -115.0  # and the 4G threshold came with it
    assert any("không có trạm 5G" in i and "chuyển sang 4G" in i for i in _texts(at.info))
    assert any('Đã lưu bộ trạm "Bốn G"' in s for s in _texts(at.success))  # the save still says so
    _go(at, "map")
    covered = int(_metric(at, "Người có sóng").replace(".", ""))
    assert covered > 1000  # three 35 m 4G masts reach thousands of people
    # choosing 5G again by hand: the zero comes with its reason
    at.sidebar.selectbox(key="tech").set_value("5G").run()
    _no_exception(at)
    assert _metric(at, "Người có sóng") == "0"
    assert any("không có trạm 5G nào" in w for w in _texts(at.warning))
    assert not any("chuyển sang" in i for i in _texts(at.info))  # the user's choice, not a switch


def test_modelled_banner_fails_closed(app_env, monkeypatch):
    from app_ui import state

    def broken():
        raise OSError("workspace unreadable")

    monkeypatch.setattr(state, "is_modelled_active", broken)
    at = _open("about")
    assert any("MÔ PHỎNG" in w and "MODELLED" in w for w in _texts(at.warning))
    assert any("workspace unreadable" in c for c in _texts(at.caption))


def test_reruns_neither_reload_nor_rehash_the_active_set(app_env, monkeypatch):
    from app_ui import state
    from geo.stations import read_stations
    from geo.workspace import Workspace

    path = app_env / "tram.csv"
    path.write_bytes(GOOD_CSV)
    Workspace(app_env / "ws" / "lomsong.gpkg").save(read_stations(path), "ba trạm")
    counts = {"load": 0, "hash": 0}
    real_load, real_hash = Workspace.load, state._hash_stations

    def load(self, name):
        counts["load"] += 1
        return real_load(self, name)

    def hashed(gdf):
        counts["hash"] += 1
        return real_hash(gdf)

    monkeypatch.setattr(Workspace, "load", load)
    monkeypatch.setattr(state, "_hash_stations", hashed)
    at = _app("gaps")
    at.session_state["active_set"] = "ba trạm"
    at.run()
    _no_exception(at)
    assert counts == {"load": 1, "hash": 1}
    at.run()
    at.number_input(key="gap_min_people").set_value(5).run()
    _no_exception(at)
    assert counts == {"load": 1, "hash": 1}  # two more reruns: the set is neither read nor hashed
    Workspace(app_env / "ws" / "lomsong.gpkg").save(read_stations(path), "bộ hai")
    at.run()  # the workspace changed: read once more, and still right
    assert counts["load"] == 2 and at.session_state["active_set"] == "ba trạm"


#: Words that betray English UI text on a Vietnamese page (checked as whole words).
ENGLISH_WORDS = (
    "the", "and", "of", "is", "are", "with", "from", "files", "file", "people", "share", "coverage",
    "upload", "browse", "download", "choose", "options", "terrain", "modelled", "embedded", "coarse",
    "legal", "station", "stations", "commune", "communes", "gaps", "microwave", "fiber", "drag",
    "drop", "limit", "details", "page", "map", "proposals", "budget", "threshold", "band_mhz",
    "eirp_dbm", "height_m", "created_utc", "rows_read",
)
_ENGLISH = re.compile(r"(?<![\w/])(" + "|".join(ENGLISH_WORDS) + r")(?![\w/])", re.IGNORECASE)
#: Bilingual on purpose (Vietnamese first): navigation, language switch, MODELLED banner.
BILINGUAL = ("Bản đồ / Map", "Trạm / Stations", "Lõm sóng / Gaps", "Đề xuất / Proposals",
             "Xã / Commune profile", "Dữ liệu / About the data", "Ngôn ngữ / Language",
             "Đo kiểm / Drive tests",
             "MODELLED network — upload your station list for real results")


def _ui_texts(at) -> list[str]:
    """Every text a reader sees: elements, widget labels, helps, options, table headers."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
                 "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        out += [m.label, str(m.value), str(m.help or "")]
    for kind in ("selectbox", "radio", "multiselect", "number_input", "slider", "text_input",
                 "checkbox", "toggle", "button"):
        for w in at.get(kind):
            out += [str(getattr(w.proto, "label", "")), str(getattr(w.proto, "help", ""))]
            out += [str(o) for o in getattr(w.proto, "options", [])]
            if kind == "multiselect":  # an empty placeholder shows the browser's English default
                out.append(str(w.proto.placeholder) or "Choose options")
    for w in at.get("download_button"):
        out.append(str(w.proto.label))
    for d in at.dataframe:
        out += [str(c) for c in d.value.columns]
    return [x for x in out if x and not x.lstrip().startswith("<style>")]  # CSS is no text


def _english_in(at) -> list[str]:
    bad = []
    for text in _ui_texts(at):
        rest = text
        for ok in BILINGUAL:
            rest = rest.replace(ok, "")
        rest = re.sub(r"`[^`]*`", "", rest)  # commands the user types (`lomsong dem download`)
        rest = re.sub(r"\S*[/\\]\S*", "", rest)  # file paths
        if _ENGLISH.search(rest):
            bad.append(text[:160])
    return bad


@pytest.mark.parametrize("page", ["map", "stations", "gaps", "proposals", "commune", "measurements", "about"])
def test_every_page_in_vietnamese_has_no_english_ui_text(app_env, page):
    at = _app(page)
    at.session_state["commune_code"] = "19594"
    at.run()
    _no_exception(at)
    if page == "stations":  # with a report and a junk-file error on the page
        at.file_uploader(key="station_upload").upload("tram.csv", GOOD_CSV, "text/csv")
        at.run()
        _no_exception(at)
        assert at.dataframe  # the validation report is there to be read
    assert not _english_in(at), _english_in(at)


def test_the_english_check_finds_english():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(
        "import streamlit as st\nst.caption('coarse: terrain shadows only resolved at ~9 km')\n"
        "st.multiselect('Lọc', ['a'])\n"
    ).run()
    found = _english_in(at)
    assert any("coarse" in f for f in found) and any("Choose" in f or "options" in f for f in found)


def test_junk_file_error_is_vietnamese_only(app_env):
    at = _open("stations")
    at.file_uploader(key="station_upload").upload("junk.csv", JUNK, "text/csv")
    at.run()
    errors = _texts(at.error)
    assert errors and all("binary content" not in e for e in errors)
    assert any("nội dung nhị phân" in e for e in errors)


def test_sidebar_numbers_have_no_english_decimals(app_env):
    at = _open("about")
    assert at.sidebar.number_input(key="threshold_dbm").proto.format == "%.0f"
    assert at.sidebar.slider(key="indoor_margin_db").proto.format == "%.0f"


def test_about_page_offers_the_english_provenance_instead_of_embedding_it(app_env):
    at = _open("about")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Tải tệp nguồn gốc dữ liệu chi tiết (PROVENANCE.md, tiếng Anh)" in labels
    assert not any("## " in m or "Provenance" in m for m in _texts(at.markdown))
    assert any(b.label == "Tải địa hình 30 m" for b in at.button)


def test_get_30_m_terrain_offline_says_how_to_give_a_dem(app_env, monkeypatch):
    from geo import _dem_download
    from geo.dem import DemError

    def offline(*a, **k):
        raise DemError("cannot reach https://copernicus-dem-30m.s3.amazonaws.com (offline?): no route")

    monkeypatch.setattr(_dem_download, "download_copernicus", offline)
    at = _open("about")
    at.button(key="dem_download").click().run()
    _no_exception(at)
    errors = " ".join(_texts(at.error))
    assert "Không tải được địa hình" in errors and "lomsong dem download" in errors
    assert "Tải DEM chi tiết hơn" in errors  # where to give a DEM file instead
    assert "dem_path" not in at.session_state or not at.session_state["dem_path"]


def test_reliability_and_load_controls_reach_the_engine(app_env, monkeypatch):
    from analysis import pipeline
    from app_ui import features

    if not (features.has_reliability() and features.has_load()):
        pytest.fail("geo.coverage.CoverageConfig has reliability and load: the sidebar must show them")
    runs = []
    real = pipeline.coverage_stage
    monkeypatch.setattr(pipeline, "coverage_stage", lambda *a, **k: runs.append(1) or real(*a, **k))
    at = _open("map")
    before = len(runs)
    at.sidebar.slider(key="reliability_pct")  # drawn
    at.sidebar.slider(key="load_pct")
    at_50 = int(_metric(at, "Người có sóng").replace(".", ""))
    at.sidebar.slider(key="reliability_pct").set_value(95.0).run()
    _no_exception(at)
    at_95 = int(_metric(at, "Người có sóng").replace(".", ""))
    assert at_95 < at_50  # a 95 % location reliability needs a shadow-fading margin: fewer covered
    at.sidebar.slider(key="load_pct").set_value(80.0).run()
    _no_exception(at)
    assert len(runs) == before  # the sliders act on the kept rasters: no station computed again
