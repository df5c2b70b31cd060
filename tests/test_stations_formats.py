"""Every supported station format, written in the test, read to the documented result."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from _stations_helpers import (
    BOUNDARY,
    GOOD_ROWS,
    VI_HEADER,
    rows_as_table,
    write_csv,
    write_geojson,
    write_gpkg,
    write_kml,
    write_kmz,
    write_opencellid_csv,
    write_shp_zip,
    write_xlsx,
)

from geo.stations import REPORT_COLUMNS, STATION_COLUMNS, StationFileError, read_stations

IDS = [r[0] for r in GOOD_ROWS]


def _check_good(st, ids=IDS):
    assert list(st.stations.columns[: len(STATION_COLUMNS)]) == list(STATION_COLUMNS)
    assert list(st.report.columns) == list(REPORT_COLUMNS)
    assert st.stations.crs.to_epsg() == 4326
    assert sorted(st.stations["site_id"]) == sorted(ids)
    s = st.summary()
    assert s["rows_read"] == len(ids)
    assert s["rejected"] == 0
    assert s["kept"] + s["fixed"] + s["rejected"] == s["rows_read"]
    got = {r.site_id: (r.geometry.x, r.geometry.y) for r in st.stations.itertuples()}
    for r in GOOD_ROWS:
        if r[0] in got:
            assert got[r[0]] == pytest.approx((float(r[3]), float(r[4])), abs=1e-6)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "windows-1258", "utf-16"])
def test_csv_encodings_vietnamese_headers(tmp_path, encoding):
    p = write_csv(tmp_path / "tram.csv", rows_as_table(), encoding=encoding)
    st = read_stations(p, boundary=BOUNDARY)
    _check_good(st)
    row = st.stations.set_index("site_id").loc["QT001"]
    assert row["operator"] == "Viettel" and row["technology"] == "4G"
    assert row["band_mhz"] == 1800.0 and row["height_m"] == 30.0
    # the Vietnamese extras survive the encoding round trip
    assert set(st.stations["Ghi chú"].dropna()) == {"Trạm gốc", "Trạm mới", "Đồi cao"}
    assert "Xã/Phường" not in st.stations.columns and st.stations["commune"].iloc[0] == "Đông Hà"


def test_csv_cp1252_english_semicolons(tmp_path):
    table = [["Site", "Operator", "Technology", "Longitude", "Latitude", "Remarks"],
             ["A1", "Viettel", "LTE", "107,1", "16,8", "Café rooftop"],
             ["A2", "Mobifone", "GSM", "106.5", "17.2", "Señal"]]
    p = write_csv(tmp_path / "win.csv", table, encoding="cp1252", delimiter=";")
    st = read_stations(p, boundary=BOUNDARY)
    assert st.summary()["rows_read"] == 2 and len(st.stations) == 2
    assert list(st.stations["Remarks"]) == ["Café rooftop", "Señal"]
    assert list(st.stations["technology"]) == ["4G", "2G"]
    codes = set(st.report.loc[st.report["row"] == 2, "code"])
    assert "decimal_comma" in codes


def test_tsv(tmp_path):
    p = write_csv(tmp_path / "tram.tsv", rows_as_table(), delimiter="\t")
    _check_good(read_stations(p, boundary=BOUNDARY))


def test_xlsx_header_on_row_4_excel_row_numbers(tmp_path):
    p = write_xlsx(tmp_path / "tram.xlsx", rows_as_table(), header_row=4)
    st = read_stations(p, boundary=BOUNDARY)
    _check_good(st)
    # row numbers are Excel's: header on 4, data on 5..8
    assert sorted(st.report["row"].unique()) == [5, 6, 7, 8]
    assert st.stations.set_index("site_id").loc["QT003", "source_row"] == 7


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    p = write_xlsx(tmp_path / "tram.xlsx", rows_as_table(), sheet="Danh sách",
                   extra_sheets=("Ghi chú",))
    _check_good(read_stations(p, sheet="danh sach", boundary=BOUNDARY))
    with pytest.raises(StationFileError, match="no sheet named"):
        read_stations(p, sheet="Không có", boundary=BOUNDARY)


def test_xlsx_first_sheet_with_a_header_is_used(tmp_path):
    import openpyxl

    p = tmp_path / "two.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Bìa"
    wb.active["A1"] = "Báo cáo trạm BTS"
    ws = wb.create_sheet("Dữ liệu")
    for r in rows_as_table():
        ws.append([float(v) if i in (3, 4) else v for i, v in enumerate(r)] if r[0] != "Mã trạm" else r)
    wb.save(p)
    st = read_stations(p, boundary=BOUNDARY)
    _check_good(st)
    assert st.stations["source_row"].min() == 2


def test_geojson(tmp_path):
    _check_good(read_stations(write_geojson(tmp_path / "t.geojson"), boundary=BOUNDARY))


def test_geopackage(tmp_path):
    st = read_stations(write_gpkg(tmp_path / "t.gpkg"), boundary=BOUNDARY)
    _check_good(st)
    assert set(st.stations["technology"]) == {"2G", "3G", "4G", "5G"}


def test_zipped_shapefile_projected(tmp_path):
    st = read_stations(write_shp_zip(tmp_path / "t.zip"), boundary=BOUNDARY)
    assert len(st.stations) == 4
    # EPSG:3405 → WGS 84 through the datum shift: back within a metre or two
    got = st.stations.set_index("site_id").geometry
    for r in GOOD_ROWS:
        assert got[r[0]].x == pytest.approx(float(r[3]), abs=2e-5)
        assert got[r[0]].y == pytest.approx(float(r[4]), abs=2e-5)


def test_kml_and_kmz(tmp_path):
    for p in (write_kml(tmp_path / "t.kml"), write_kmz(tmp_path / "t.kmz")):
        st = read_stations(p, boundary=BOUNDARY)
        _check_good(st)
        assert set(st.stations["operator"]) == {"Viettel", "VinaPhone", "MobiFone"}


def test_file_like_upload_and_bytes(tmp_path):
    p = write_csv(tmp_path / "tram.csv", rows_as_table())
    buf = io.BytesIO(p.read_bytes())
    buf.name = "tram.csv"
    _check_good(read_stations(buf, boundary=BOUNDARY))
    _check_good(read_stations(p.read_bytes(), boundary=BOUNDARY))


@pytest.mark.parametrize("header", [True, False])
def test_opencellid_export(tmp_path, header):
    p = write_opencellid_csv(tmp_path / "452.csv", header=header)
    st = read_stations(p, boundary=BOUNDARY)
    s = st.summary()
    assert st.source_format == "opencellid"
    assert s["rows_read"] == 7 and s["rejected"] == 1  # the Hà Nội cell
    # 3 LTE cells of one site merged; NR, GSM and UMTS stations
    assert len(st.stations) == 4
    lte = st.stations[st.stations["technology"] == "4G"].iloc[0]
    assert lte["operator"] == "Viettel" and lte["n_cells"] == 3
    nr = st.stations[st.stations["technology"] == "5G"].iloc[0]
    assert nr["site_id"] == lte["site_id"]  # same operator, same mast
    gsm = st.stations[st.stations["technology"] == "2G"].iloc[0]
    assert gsm["operator"] == "MobiFone" and gsm["site_id"] != lte["site_id"]
    assert (st.report["code"] == "merged").sum() == 2
    unmerged = read_stations(p, boundary=BOUNDARY, merge_cells=False)
    assert len(unmerged.stations) == 6


def test_vn2000_tm3_xy_with_x_as_northing(tmp_path):
    from pyproj import Transformer

    from geo._coords import resolve_crs

    crs = resolve_crs("VN2000-TM3-106.15")
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    e, n = tr.transform(107.1, 16.8)
    # Vietnamese surveying convention: X = northing, Y = easting
    table = [["Tên trạm", "X", "Y", "Công nghệ"],
             ["VN1", f"{n:.2f}".replace(".", ","), f"{e:.2f}".replace(".", ","), "4G"]]
    p = write_csv(tmp_path / "vn2000.csv", table, delimiter=";")
    st = read_stations(p, crs="VN2000-TM3-106.15", boundary=BOUNDARY)
    assert len(st.stations) == 1
    g = st.stations.geometry.iloc[0]
    assert (g.x, g.y) == pytest.approx((107.1, 16.8), abs=1e-6)
    assert "swapped" in set(st.report["code"])
    # without --crs the metres are rejected with a hint
    st2 = read_stations(p, boundary=BOUNDARY)
    assert st2.summary()["rejected"] == 1
    assert "projected_no_crs" in set(st2.report["code"])


def test_vn2000_utm_epsg3405(tmp_path):
    from pyproj import Transformer

    e, n = Transformer.from_crs("EPSG:4326", "EPSG:3405", always_xy=True).transform(106.6, 17.48)
    table = [["site", "x", "y"], ["U1", f"{e:.3f}", f"{n:.3f}"]]
    st = read_stations(write_csv(tmp_path / "u.csv", table), crs="EPSG:3405", boundary=BOUNDARY)
    g = st.stations.geometry.iloc[0]
    assert (g.x, g.y) == pytest.approx((106.6, 17.48), abs=1e-6)
    assert st.crs.endswith("3405")


def test_default_boundary_is_used_when_none_given(tmp_path):
    # The embedded province (or its bounding box before data/ exists) accepts Đông Hà.
    p = write_csv(tmp_path / "t.csv", rows_as_table(GOOD_ROWS[:1]))
    st = read_stations(p)
    assert len(st.stations) == 1


def test_unknown_extra_columns_kept(tmp_path):
    header = VI_HEADER + ["Loại cột", "Chủ đầu tư"]
    rows = [list(r) + ["Cột tự đứng", "Viettel QT"] for r in GOOD_ROWS]
    st = read_stations(write_csv(tmp_path / "x.csv", [header] + rows), boundary=BOUNDARY)
    assert {"Loại cột", "Chủ đầu tư"} <= set(st.stations.columns)
    assert (st.stations["Loại cột"] == "Cột tự đứng").all()
    assert not any(math.isnan(v) for v in st.stations["height_m"])
    assert np.isnan(st.stations.set_index("site_id").loc["QT002", "azimuth_deg"])  # omni
