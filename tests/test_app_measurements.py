"""The app's Drive tests page (#17): upload, residual statistics and map, calibrate, apply."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app_ui.pages import measurements as page  # noqa: E402

APP = str(ROOT / "app.py")


def test_residual_colours_known_answers():
    assert page.residual_colour(-12.0) == "#2166ac"  # model 12 dB pessimistic
    assert page.residual_colour(0.0) == "#f7f7f7"
    assert page.residual_colour(3.0) == "#ef8a62"  # bins are [lo, hi)
    assert page.residual_colour(25.0) == "#b2182b"
    assert page.residual_colour(float("nan")) == "#999999"
    assert page.residual_colour(None) == "#999999"


def test_stats_table_follows_the_language():
    stats = {"overall": {"n": 3, "bias_db": 1.0, "rmse_db": 2.0, "sigma_db": 1.5},
             "by_los": [{"los": "LOS", "n": 2, "bias_db": 0.5, "rmse_db": 1.0, "sigma_db": 0.7},
                        {"los": "obstructed", "n": 1, "bias_db": 2.0, "rmse_db": 2.0,
                         "sigma_db": None}]}
    vi = page.stats_table(stats, None, "vi")
    assert list(vi.columns) == ["Nhóm", "Số điểm", "Sai lệch (dB)", "RMSE (dB)", "Độ lệch chuẩn (dB)"]
    assert vi.iloc[0]["Nhóm"] == "Toàn bộ" and vi.iloc[0]["Số điểm"] == 3
    en = page.stats_table(stats, "los", "en")
    assert list(en["Group"]) == ["LOS", "obstructed"] and list(en["Points"]) == [2, 1]


def _drive_test_csv() -> bytes:
    """60 points 300–700 m from modelled 4G sites, −85 dBm, and two bad rows."""
    from geo.stations import load_default_stations

    st = load_default_stations().stations
    st = st[st["technology"] == "4G"].iloc[:30]
    rng = np.random.default_rng(1)
    lines = ["Kinh độ,Vĩ độ,Mạng,RSRP"]
    for geom in list(st.geometry) * 2:
        d = rng.uniform(0.003, 0.006)
        a = rng.uniform(0, 2 * np.pi)
        lines.append(f"{geom.x + d * np.cos(a):.6f},{geom.y + d * np.sin(a):.6f},4G,"
                     f"{-85 + rng.normal(0, 4):.1f}")
    lines += ["107.1,16.8,4G,-10", "107.1,16.8,4G,"]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture()
def app_env(tmp_path, monkeypatch):
    monkeypatch.setenv("LOMSONG_WORKSPACE", str(tmp_path / "ws" / "lomsong.gpkg"))
    monkeypatch.setenv("LOMSONG_APP_RESOLUTION", "1000")
    monkeypatch.setenv("LOMSONG_APP_DISK_CACHE", "0")
    return tmp_path


def _needs_default_network():
    """data/ ships with the repo: a missing or corrupt default network fails, never skips (#19)."""
    from geo.data import default_stations_path

    default_stations_path()


def test_drive_test_page_upload_compare_calibrate_apply(app_env):
    _needs_default_network()
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["page"] = "measurements"
    at.session_state["tech"] = "4G"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Đo kiểm so với mô hình" in h.value for h in at.header)
    at.file_uploader(key="dt_upload").upload("drive.csv", _drive_test_csv(), "text/csv")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("62 dòng đã đọc — 60 giữ, 0 đã sửa, 2 bị loại" in i.value for i in at.info)
    overall = at.dataframe[1].value  # [0] is the report of the two bad rows
    assert overall.iloc[0]["Nhóm"] == "Toàn bộ" and overall.iloc[0]["Số điểm"] > 30
    at.text_input(key="dt_cal_name").input("thử nghiệm").run()
    at.button(key="dt_cal_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Đã lưu hiệu chỉnh thử nghiệm" in s.value for s in at.success)
    from analysis.calibration import list_calibrations

    saved = list_calibrations(app_env / "ws" / "lomsong.gpkg")
    assert list(saved["name"]) == ["thử nghiệm"]
    import hashlib

    # keyed by the uploaded file's SHA-256
    assert saved["measurement_sha256"].iloc[0] == hashlib.sha256(_drive_test_csv()).hexdigest()
    at.selectbox(key="calibration_name").set_value("thử nghiệm").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("thử nghiệm" in i.value and "hiệu chỉnh" in i.value for i in at.info)


def test_calibration_banner_leaves_the_modelled_notes_alone(app_env):
    # regression: the calibration banner, inserted inside the modelled-network block, had
    # captured its "any is an upper bound" note
    from streamlit.testing.v1 import AppTest

    from app_ui.i18n import t

    _needs_default_network()
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["page"] = "about"
    at.session_state["tech"] = "any"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("MÔ PHỎNG" in w.value for w in at.warning)  # the modelled default is active
    assert t("any_upper_bound", "vi") in [c.value for c in at.caption]
    assert not any("hiệu chỉnh theo đo kiểm" in i.value for i in at.info)
    at.session_state["calibration_name"] = "dt"
    at.run()
    assert any("dt" in i.value and "hiệu chỉnh theo đo kiểm" in i.value for i in at.info)
    assert t("any_upper_bound", "vi") in [c.value for c in at.caption]
