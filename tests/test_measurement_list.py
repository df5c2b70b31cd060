"""Drive-test files as phone apps and engineers export them: issue #17's reader."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pytest
from _stations_helpers import BOUNDARY

from geo.measurement_list import LEVEL_LIMITS_DBM, MEASUREMENT_COLUMNS, read_measurements

# The G-NetTrack Pro export header (tab-separated .txt; the first columns as the app writes them).
GNETTRACK_HEADER = ("Timestamp\tLongitude\tLatitude\tSpeed\tOperatorname\tOperator\tCGI\tCellname\tNode\t"
                    "CellID\tLAC\tNetworkTech\tNetworkMode\tLevel\tQual\tSNR\tCQI\tLTERSSI\tARFCN")


def _gnettrack_rows():
    return [
        # ts, lon, lat, op, tech, mode, level
        ("2025.05.12_10.15.30", "107.0956", "16.8201", "Viettel", "45204", "LTE", "LTE", "-95"),
        ("2025.05.12_10.15.31", "107.0957", "16.8202", "Viettel", "45204", "NR", "NR NSA", "-160"),
        ("2025.05.12_10.15.32", "107.0958", "16.8203", "VN VINAPHONE", "45202", "UMTS", "HSPA+", "-85"),
        ("2025.05.12_10.15.33", "107.0959", "16.8204", "Mobifone", "45201", "GSM", "EDGE", ""),
        ("2025.05.12_10.15.34", "107.0960", "16.8205", "Viettel", "45204", "5G", "NR SA", "-101.5"),
        ("2025.05.12_10.15.35", "107.0961", "16.8206", "Viettel", "45204", "HSPA+", "HSPA+", "-20"),
        ("2025.05.12_10.15.36", "107.0962", "16.8207", "Viettel", "45204", "WiFi", "", "-60"),
    ]


def _write_gnettrack(path):
    lines = [GNETTRACK_HEADER]
    for ts, lon, lat, op, plmn, tech, mode, level in _gnettrack_rows():
        lines.append("\t".join([ts, lon, lat, "12", op, plmn, f"{plmn}-12345-3160071", "QTR001", "12345",
                                "3160071", "12345", tech, mode, level, "-11", "8", "9", "-65", "1850"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_gnettrack_export(tmp_path):
    m = read_measurements(_write_gnettrack(tmp_path / "gnettrack.txt"), boundary=BOUNDARY)
    s = m.summary()
    assert s["rows_read"] == 7 and s["kept"] + s["fixed"] + s["rejected"] == 7
    g = m.gdf
    assert list(g.columns[: len(MEASUREMENT_COLUMNS)]) == list(MEASUREMENT_COLUMNS)
    assert g["technology"].tolist() == ["4G", "3G", "5G"]
    assert g["operator"].tolist() == ["Viettel", "VinaPhone", "Viettel"]
    assert g["rsrp_dbm"].tolist() == [-95.0, -85.0, -101.5]
    assert g["signal_metric"].tolist() == ["RSRP", "RSCP", "RSRP"]
    assert g["cell_id"].tolist() == ["3160071"] * 3
    assert g["timestamp"].iloc[0] == "2025.05.12_10.15.30"
    assert g["source_row"].tolist() == [2, 4, 6]
    rep = m.report.set_index("row")
    assert rep.loc[3, "code"] == "impossible_level" and "-156" in rep.loc[3, "problem_en"]
    assert rep.loc[5, "code"] == "no_level"
    assert rep.loc[7, "code"] == "impossible_level"  # 3G RSCP −20 dBm is above its range
    assert rep.loc[8, "code"] == "unknown_technology"
    assert (m.report.loc[m.report["row"].isin([3, 5, 7, 8]), "status"] == "rejected").all()


@pytest.mark.parametrize(("tech", "level", "ok"), [
    ("LTE", -156, True), ("LTE", -156.5, False), ("LTE", -31, True), ("LTE", -30.9, False),
    ("NR", -140, True), ("UMTS", -120, True), ("UMTS", -121, False), ("GSM", -113, True),
    ("GSM", -46, False),
])
def test_level_limits(tmp_path, tech, level, ok):
    p = tmp_path / "m.csv"
    p.write_text(f"lon,lat,tech,rsrp\n107.0,16.8,{tech},{level}\n", encoding="utf-8")
    m = read_measurements(p, boundary=BOUNDARY)
    assert (m.summary()["points"] == 1) is ok
    assert LEVEL_LIMITS_DBM["4G"] == (-156.0, -31.0)


def test_generic_xlsx_vietnamese_headers_decimal_commas(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "KẾT QUẢ ĐO KIỂM SÓNG DI ĐỘNG — QL9"
    ws.append(["Thời gian", "Nhà mạng", "Mạng", "RSRP (dBm)", "Kinh độ", "Vĩ độ", "Ghi chú"])
    ws.append(["12/05/2025 10:15", "Viettel", "4G", "-97,5", "107,0956", "16,8201", "cầu Đakrông"])
    ws.append(["12/05/2025 10:16", "VinaPhone", "", -88, 107.1, 16.82, "\u00a0=HYPERLINK(\"x\")"])
    ws.append(["12/05/2025 10:17", "MobiFone", "4G", "rất yếu", 107.1, 16.82, ""])
    p = tmp_path / "do_song.xlsx"
    wb.save(p)
    m = read_measurements(p, boundary=BOUNDARY)
    assert m.summary() == {"rows_read": 3, "kept": 0, "fixed": 2, "rejected": 1, "flagged": 1, "points": 2}
    g = m.gdf
    assert g["rsrp_dbm"].tolist() == [-97.5, -88.0]
    assert g["technology"].tolist() == ["4G", "4G"]  # the blank one is assumed 4G, and says so
    assert np.isclose(g.geometry.x.iloc[0], 107.0956) and np.isclose(g.geometry.y.iloc[0], 16.8201)
    codes = m.report.groupby("row")["code"].apply(set)
    assert {"decimal_comma"} <= codes[3] and {"assumed_technology", "formula"} <= codes[4]
    assert codes[5] == {"bad_level"}


def test_geojson_and_kml_points(tmp_path):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"rsrp": -99, "operator": "Viettel", "tech": "LTE"},
         "geometry": {"type": "Point", "coordinates": [107.0, 16.8]}}]}
    p = tmp_path / "m.geojson"
    p.write_text(json.dumps(fc), encoding="utf-8")
    assert read_measurements(p, boundary=BOUNDARY).gdf["rsrp_dbm"].tolist() == [-99.0]
    kml = ("<?xml version='1.0'?><kml xmlns='http://www.opengis.net/kml/2.2'><Document><Placemark>"
           "<name>p1</name><ExtendedData><Data name='RSRP'><value>-101</value></Data>"
           "<Data name='NetworkTech'><value>NR</value></Data></ExtendedData>"
           "<Point><coordinates>107.0,16.8,0</coordinates></Point></Placemark></Document></kml>")
    k = tmp_path / "m.kml"
    k.write_text(kml, encoding="utf-8")
    g = read_measurements(k, boundary=BOUNDARY).gdf
    assert g[["technology", "rsrp_dbm"]].iloc[0].tolist() == ["5G", -101.0]


def test_vn2000_utm_with_crs(tmp_path):
    from pyproj import Transformer

    e, n = Transformer.from_crs("EPSG:4326", "EPSG:3405", always_xy=True).transform(107.05, 16.85)
    p = tmp_path / "m.csv"
    p.write_text(f"x,y,mạng,rsrp\n{e:.3f},{n:.3f},4G,-90\n", encoding="utf-8")
    g = read_measurements(p, crs="3405", boundary=BOUNDARY).gdf
    assert abs(g.geometry.x.iloc[0] - 107.05) < 1e-7 and abs(g.geometry.y.iloc[0] - 16.85) < 1e-7


def test_network_column_naming_the_operator(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("Kinh độ,Vĩ độ,Mạng,RSRP\n107.0,16.8,Viettel,-90\n107.0,16.8,4G,-91\n107.0,16.8,Wimax,-92\n",
                 encoding="utf-8")
    m = read_measurements(p, boundary=BOUNDARY)
    assert m.gdf[["technology", "operator"]].values.tolist() == [["4G", "Viettel"], ["4G", "unknown"]]
    codes = m.report.groupby("row")["code"].apply(set)
    assert codes[2] == {"operator_in_network_column"} and codes[4] == {"unknown_technology"}
