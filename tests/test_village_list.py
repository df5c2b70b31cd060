"""Village lists ("danh sách thôn") as provinces keep them: issue #15's user-list reader."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pytest
from _stations_helpers import encode_cp1258
from pyproj import Transformer

from geo.village_list import VILLAGE_COLUMNS, parse_power, read_villages


@pytest.fixture(scope="module")
def places(communes):
    """Two points well inside Hướng Lập and one inside Đông Hà (from the embedded communes)."""
    from geo.names import find_commune

    hl = find_commune("Hướng Lập", communes)
    dh = find_commune("Đông Hà", communes)
    inner = hl.geometry.buffer(-0.01)
    p1 = inner.representative_point()
    p2 = inner.intersection(inner.centroid.buffer(0.05)).representative_point() if not inner.is_empty else p1
    return {"hl_code": str(hl["code"]), "hl": (p1.x, p1.y), "hl2": (p2.x, p2.y),
            "dh_code": str(dh["code"]), "dh": (dh.geometry.representative_point().x,
                                                 dh.geometry.representative_point().y)}


def _dms(v: float, pos: str) -> str:
    d = int(v)
    m = int((v - d) * 60)
    s = (v - d - m / 60) * 3600
    return f"{d}°{m:02d}'{s:05.2f}\"{pos}"


def _xlsx_with_title(path, rows, places):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách thôn"
    ws["A1"] = "DANH SÁCH THÔN, BẢN CHƯA CÓ SÓNG DI ĐỘNG"
    ws["A2"] = "(Kèm theo Kế hoạch số 123/KH-UBND)"
    ws.append([])
    ws.append(["STT", "Tên thôn, bản", "Xã", "Dân số (người)", "Tình trạng điện", "Kinh độ", "Vĩ độ"])
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def test_xlsx_with_title_row_decimal_commas_dms_and_bad_rows(tmp_path, places):
    lon, lat = places["hl"]
    rows = [
        (1, "Bản Cù Bai", "Hướng Lập", 412, "Có điện", lon, lat),
        (2, "Bản Sê Pu", "xa huong lap", "1.234", "chưa có điện", f"{lon:.6f}".replace(".", ","),
         f"{lat:.6f}".replace(".", ",")),
        (3, "Bản Ra Ly", "Hướng Lập", "", "", _dms(lon, "E"), _dms(lat, "N")),
        (4, "Bản Không Tọa Độ", "Hướng Lập", 80, "có", None, None),
        (5, "Bản Sai", "Hướng Lập", -5, "không rõ", lon, lat),
    ]
    v = read_villages(_xlsx_with_title(tmp_path / "thon.xlsx", rows, places))
    s = v.summary()
    assert s == {"rows_read": 5, "kept": 1, "fixed": 3, "rejected": 1, "flagged": 1, "points": 4}
    g = v.gdf
    assert list(g.columns[: len(VILLAGE_COLUMNS)]) == list(VILLAGE_COLUMNS)
    assert g.crs.to_epsg() == 4326
    assert g["name"].tolist() == ["Bản Cù Bai", "Bản Sê Pu", "Bản Ra Ly", "Bản Sai"]
    assert g["source_row"].tolist() == [5, 6, 7, 9]  # rows as the person sees them in Excel
    assert set(g["commune_code"]) == {places["hl_code"]}
    assert set(g["commune"]) == {"Hướng Lập"}
    assert g["people"].iloc[0] == 412 and g["people"].iloc[1] == 1234
    assert np.isnan(g["people"].iloc[2]) and np.isnan(g["people"].iloc[3])
    assert g["power"].tolist() == ["grid", "none", None, None]
    # DMS written to 1/100 s, decimal commas to 1e-6 degree
    assert np.allclose(g.geometry.x, lon, atol=2e-6) and np.allclose(g.geometry.y, lat, atol=2e-6)
    rep = v.report
    assert set(rep.loc[rep["row"] == 8, "code"]) == {"no_coordinates"}
    assert {"people_ignored", "bad_power"} <= set(rep.loc[rep["row"] == 9, "code"])
    assert "people_thousands" in set(rep.loc[rep["row"] == 6, "code"])
    assert rep["problem_vi"].str.len().gt(0).all() and rep["problem_en"].str.len().gt(0).all()


def test_windows1258_csv_with_vietnamese_headers(tmp_path, places):
    lon, lat = places["hl"]
    text = ("Tên thôn;Xã;Số dân;Điện;Kinh độ;Vĩ độ\r\n"
            f"Thôn Tân Hợp;Hướng Lập;250;có điện;{lon:.6f};{lat:.6f}\r\n"
            f"Bản Cợp;Hướng Lập;120;chưa có điện;{lon:.6f};{lat:.6f}\r\n")
    p = tmp_path / "thon_1258.csv"
    p.write_bytes(encode_cp1258(text))
    v = read_villages(p)
    assert "encoding=windows-1258" in v.notes
    assert v.gdf["name"].tolist() == ["Thôn Tân Hợp", "Bản Cợp"]
    assert v.gdf["power"].tolist() == ["grid", "none"]
    assert v.gdf["people"].tolist() == [250.0, 120.0]


def test_vn2000_xy_with_crs(tmp_path, places):
    lon, lat = places["hl"]
    tr = Transformer.from_crs("EPSG:4326", "+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 "
                              "+y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,"
                              "-0.00928836,0.01975479,-0.00427372,0.252906278 +units=m +no_defs",
                              always_xy=True)
    e, n = tr.transform(lon, lat)
    p = tmp_path / "thon_vn2000.csv"
    p.write_text(f"Tên thôn,Xã,X,Y\nThôn A,Hướng Lập,{e:.3f},{n:.3f}\n", encoding="utf-8")
    v = read_villages(p, crs="VN2000-TM3-106.15")
    assert v.summary()["points"] == 1
    assert abs(v.gdf.geometry.x.iloc[0] - lon) < 1e-7 and abs(v.gdf.geometry.y.iloc[0] - lat) < 1e-7
    # without the CRS the metres are recognised and the row says to choose one
    v2 = read_villages(p)
    assert v2.report["code"].tolist() == ["projected_no_crs"]


def test_point_outside_its_named_commune_is_flagged_not_moved(tmp_path, places):
    (lon, lat), (dlon, dlat) = places["hl"], places["dh"]
    p = tmp_path / "t.csv"
    p.write_text(f"Tên thôn,Xã,Kinh độ,Vĩ độ\nThôn lạc,Hướng Lập,{dlon},{dlat}\nThôn đúng,Hướng Lập,{lon},{lat}\n",
                 encoding="utf-8")
    v = read_villages(p)
    assert v.summary()["kept"] == 2 and v.summary()["flagged"] == 1
    assert v.gdf.geometry.x.iloc[0] == dlon and v.gdf.geometry.y.iloc[0] == dlat  # not moved
    line = v.report[v.report["code"] == "outside_commune"].iloc[0]
    assert line["row"] == 2 and "Đông Hà" in line["problem_en"] and line["status"] == "kept"


def test_commune_by_code_and_from_position(tmp_path, places):
    lon, lat = places["hl"]
    p = tmp_path / "t.csv"
    p.write_text(f"Tên thôn,Mã xã,Kinh độ,Vĩ độ\nThôn A,{places['hl_code']},{lon},{lat}\n"
                 f"Thôn B,,{lon},{lat}\n", encoding="utf-8")
    v = read_villages(p)
    assert v.gdf["commune_code"].tolist() == [places["hl_code"]] * 2
    assert v.gdf["commune_source"].tolist() == ["file", "position"]


def test_unknown_commune_kept_as_given(tmp_path, places):
    lon, lat = places["hl"]
    p = tmp_path / "t.csv"
    p.write_text(f"Tên thôn,Xã,Kinh độ,Vĩ độ\nThôn A,Xã Không Có,{lon},{lat}\n", encoding="utf-8")
    v = read_villages(p)
    assert v.gdf["commune"].tolist() == ["Xã Không Có"] and v.gdf["commune_code"].isna().all()
    assert "unknown_commune" in set(v.report["code"])


def test_geojson_villages(tmp_path, places):
    lon, lat = places["hl"]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ten_thon": "Bản X", "xa": "Hướng Lập", "dan_so": 90, "dien": 0},
         "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}
    p = tmp_path / "t.geojson"
    p.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    v = read_villages(p)
    assert v.gdf[["name", "people", "power"]].iloc[0].tolist() == ["Bản X", 90.0, "none"]


@pytest.mark.parametrize(("cell", "want"), [
    ("có điện", "grid"), ("Có điện lưới", "grid"), ("chưa có điện", "none"), ("Không có điện", "none"),
    ("yes", "grid"), ("no", "none"), ("1", "grid"), ("0", "none"), (1, "grid"), (0.0, "none"),
    ("x", "grid"), ("", None), (None, None),
])
def test_parse_power(cell, want):
    assert parse_power(cell) == (want, True)


def test_parse_power_unreadable():
    assert parse_power("điện mặt trời?") == (None, False)
