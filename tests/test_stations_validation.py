"""Row-by-row validation: what is kept, fixed, rejected — and that no row is ever lost."""

from __future__ import annotations

import math

import pytest
from _stations_helpers import BOUNDARY, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from pyproj import Transformer

from geo._coords import CoordError, parse_coordinate, parse_number, resolve_crs
from geo._station_readers import RawTable
from geo.stations import read_stations, validate_table

HEAD = ["Mã trạm", "Nhà mạng", "Công nghệ", "Kinh độ", "Vĩ độ", "Độ cao anten", "Băng tần",
        "Công suất EIRP (dBm)", "Hướng", "Góc nghiêng"]


def _read(tmp_path, rows, header=HEAD, delimiter=",", **kw):
    return read_stations(write_csv(tmp_path / "t.csv", [header] + rows, delimiter=delimiter),
                         boundary=BOUNDARY, **kw)


def _codes(st, row):
    return set(st.report.loc[st.report["row"] == row, "code"])


def _status(st, row):
    return st.row_status()[row]


# ---------------------------------------------------------------- coordinates, known answers


@pytest.mark.parametrize(
    ("text", "value", "how"),
    [
        ("16.8163", 16.8163, None),
        ("16,8163", 16.8163, "decimal_comma"),
        ("16°48'59\"N", 16 + 48 / 60 + 59 / 3600, "dms"),
        ("106 45 12 E", 106 + 45 / 60 + 12 / 3600, "dms"),
        ("N16°48′59.5″", 16 + 48 / 60 + 59.5 / 3600, "dms"),
        ("106:45:12", 106 + 45 / 60 + 12 / 3600, "dms"),
        ("16°48.5'", 16 + 48.5 / 60, "dms"),
        ("16 độ 48 phút 59 giây", 16 + 48 / 60 + 59 / 3600, "dms"),
        ("106°45'12\"W", -(106 + 45 / 60 + 12 / 3600), "dms"),
        (107.25, 107.25, None),
    ],
)
def test_parse_coordinate_known_answers(text, value, how):
    got, got_how = parse_coordinate(text)
    assert got == pytest.approx(value, abs=1e-12)
    assert got_how == how


@pytest.mark.parametrize("text", ["abc", "16°61'", "16 48 75", "", "1e400", "16..8", "N"])
def test_parse_coordinate_rejects(text):
    with pytest.raises(CoordError):
        parse_coordinate(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1 858 123,45", 1858123.45), ("1.858.123,45", 1858123.45), ("1,858,123.45", 1858123.45),
     ("-2,5", -2.5), ("580000", 580000.0)],
)
def test_parse_number_thousands_and_decimal_marks(text, value):
    assert parse_number(text)[0] == pytest.approx(value)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_tm3_zones_central_meridians():
    """On the central meridian a TM projection has easting = false easting (500 km);
    the VN-2000 → WGS 84 shift moves lon by well under 0.01° (a few hundred metres)."""
    for name, cm in (("VN2000-TM3-106.00", 106.0), ("VN2000-TM3-106.15", 106.25),
                     ("vn2000:106°15'", 106.25), ("VN2000-TM3-10615", 106.25)):
        crs = resolve_crs(name)
        assert crs.to_dict()["lon_0"] == pytest.approx(cm)
        assert crs.to_dict()["k"] == pytest.approx(0.9999)
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(500_000, 1_870_000)
        assert lon == pytest.approx(cm, abs=0.01)
        assert lat == pytest.approx(16.9, abs=0.05)
    assert resolve_crs("3405").to_epsg() == 3405
    assert resolve_crs("VN2000").to_epsg() == 3405
    assert resolve_crs("EPSG:3406").to_epsg() == 3406
    with pytest.raises(CoordError, match="Unknown coordinate system"):
        resolve_crs("not-a-crs")


# ---------------------------------------------------------------- per-row outcomes


def test_kept_row_has_one_ok_line(tmp_path):
    st = _read(tmp_path, [["A", "Viettel", "4G", "107.1", "16.8", "30", "1800", "64", "90", "2"]])
    assert _status(st, 2) == "kept" and _codes(st, 2) == {"ok"}
    s = st.stations.iloc[0]
    assert (s.height_m, s.band_mhz, s.eirp_dbm, s.azimuth_deg, s.tilt_deg) == (30, 1800, 64, 90, 2)
    assert s.assumed == ""


def test_swapped_lat_lon_fixed(tmp_path):
    st = _read(tmp_path, [["A", "Viettel", "4G", "16.8", "107.1", "30", "1800", "64", "", ""]])
    assert _status(st, 2) == "fixed" and "swapped" in _codes(st, 2)
    g = st.stations.geometry.iloc[0]
    assert (g.x, g.y) == (107.1, 16.8)


def test_outside_margin(tmp_path):
    # box edge at 107.2 E; at 16.8 N one degree of longitude ≈ 106.6 km
    near = 107.2 + 20 / 106.6  # ~20 km outside: kept (stations just outside still cover inside)
    far = 107.2 + 45 / 106.6  # ~45 km outside: rejected
    rows = [["N", "Viettel", "4G", f"{near:.5f}", "16.8", "30", "1800", "64", "", ""],
            ["F", "Viettel", "4G", f"{far:.5f}", "16.8", "30", "1800", "64", "", ""]]
    st = _read(tmp_path, rows)
    assert _status(st, 2) == "kept" and _status(st, 3) == "rejected"
    msg = st.report.loc[st.report["row"] == 3, "problem_en"].iloc[0]
    assert "Outside the province by 4" in msg and "30 km" in msg
    assert "Nằm ngoài tỉnh" in st.report.loc[st.report["row"] == 3, "problem_vi"].iloc[0]
    st10 = _read(tmp_path, rows, margin_km=10)
    assert _status(st10, 2) == "rejected"


@pytest.mark.parametrize(
    ("cells", "code", "column"),
    [
        ({"Độ cao anten": "900"}, "impossible", "Độ cao anten"),
        ({"Băng tần": "12 GHz"}, "impossible", "Băng tần"),
        ({"Băng tần": "12000"}, "impossible", "Băng tần"),
        ({"Công suất EIRP (dBm)": "150"}, "impossible", "Công suất EIRP (dBm)"),
        ({"Góc nghiêng": "80"}, "impossible", "Góc nghiêng"),
        ({"Độ cao anten": "cao lắm"}, "bad_value", "Độ cao anten"),
        ({"Kinh độ": "abc"}, "bad_coordinate", "Kinh độ"),
        ({"Kinh độ": ""}, "no_coordinates", "Kinh độ"),
        ({"Công nghệ": "6G"}, "unknown_technology", "Công nghệ"),
        ({"Hướng": "bắc"}, "bad_value", "Hướng"),
    ],
)
def test_rejections_name_row_column_value(tmp_path, cells, code, column):
    row = dict(zip(HEAD, ["A", "Viettel", "4G", "107.1", "16.8", "30", "1800", "64", "", ""], strict=True))
    row.update(cells)
    st = _read(tmp_path, [list(row.values())])
    assert _status(st, 2) == "rejected"
    hit = st.report[(st.report["row"] == 2) & (st.report["code"] == code)]
    assert len(hit) == 1
    assert hit["column"].iloc[0] == column
    assert hit["value"].iloc[0] == cells[column]
    assert hit["problem_vi"].iloc[0] and hit["problem_en"].iloc[0]
    assert hit["problem_vi"].iloc[0] != hit["problem_en"].iloc[0]
    assert len(st.stations) == 0 and not st.usable


@pytest.mark.parametrize(
    ("band", "mhz", "code"),
    [("3.5", 3500.0, "band_ghz"), ("n78", 3500.0, "band_name"), ("B3", 1800.0, "band_name"),
     ("L1800", 1800.0, "band_name"), ("2.1 GHz", 2100.0, "band_name"), ("900 MHz", 900.0, None)],
)
def test_band_forms(tmp_path, band, mhz, code):
    st = _read(tmp_path, [["A", "Viettel", "4G", "107.1", "16.8", "30", band, "64", "", ""]])
    assert st.stations["band_mhz"].iloc[0] == mhz
    if code:
        assert code in _codes(st, 2) and _status(st, 2) == "fixed"
    else:
        assert _status(st, 2) == "kept"


def test_defaults_assumed_from_technology(tmp_path):
    st = _read(tmp_path, [["A", "Viettel", "5G", "107.1", "16.8", "", "", "", "", ""]])
    s = st.stations.iloc[0]
    assert (s.band_mhz, s.height_m, s.eirp_dbm) == (3500.0, 30.0, 77.0)
    assert set(s.assumed.split(",")) == {"band_mhz", "height_m", "eirp_dbm", "tilt_deg"}
    assert _status(st, 2) == "fixed" and "assumed" in _codes(st, 2)
    assert math.isnan(s.azimuth_deg)


def test_missing_technology_assumed_4g(tmp_path):
    st = _read(tmp_path, [["A", "Viettel", "", "107.1", "16.8", "30", "1800", "64", "", ""]])
    assert st.stations["technology"].iloc[0] == "4G"
    assert "assumed_technology" in _codes(st, 2)
    assert "technology" in st.stations["assumed"].iloc[0]


def test_eirp_in_watts_converted(tmp_path):
    st = _read(tmp_path, [["A", "Viettel", "4G", "107.1", "16.8", "30", "1800", "40 W", "", ""]])
    assert st.stations["eirp_dbm"].iloc[0] == pytest.approx(10 * math.log10(40_000))  # 46.02
    assert "unit_converted" in _codes(st, 2)


def test_sectors_and_multi_technology_split(tmp_path):
    rows = [["S", "Viettel", "2G/4G", "107.1", "16.8", "30", "", "", "0/120/240", "3"]]
    st = _read(tmp_path, rows)
    assert len(st.stations) == 6
    assert sorted(st.stations["station_id"])[:2] == ["S-2G-S1", "S-2G-S2"]
    assert set(st.stations["site_id"]) == {"S"}
    assert sorted(set(st.stations["azimuth_deg"])) == [0.0, 120.0, 240.0]
    assert {"sectors", "split_technology"} <= _codes(st, 2)
    assert st.summary()["duplicates"] == 0  # sectors of one row are not duplicates


def test_azimuth_wrapped(tmp_path):
    st = _read(tmp_path, [["A", "Viettel", "4G", "107.1", "16.8", "30", "1800", "64", "-30", ""]])
    assert st.stations["azimuth_deg"].iloc[0] == 330.0
    assert "azimuth_wrapped" in _codes(st, 2)


def test_duplicates_flagged_not_dropped(tmp_path):
    base = ["Viettel", "4G", "107.1", "16.8", "30", "1800", "64", "", ""]
    rows = [["A"] + base,
            ["B", "Viettel", "4G", "107.10004", "16.8", "30", "1800", "64", "", ""],  # ~4 m
            ["C", "MobiFone", "4G", "107.1", "16.8", "30", "1800", "64", "", ""],  # other operator
            ["D", "Viettel", "4G", "107.1002", "16.8", "30", "1800", "64", "", ""]]  # ~21 m
    st = _read(tmp_path, rows)
    assert len(st.stations) == 4
    assert st.summary()["duplicates"] == 1
    dup = st.report[st.report["code"] == "duplicate"]
    assert dup["row"].tolist() == [3]
    assert "row 2" in dup["problem_en"].iloc[0]
    assert st.stations.set_index("station_id").loc["B", "duplicate_of_row"] == 2
    assert _status(st, 3) == "kept"


def test_mixed_decimal_marks_semicolon(tmp_path):
    rows = [["A", "Viettel", "4G", "107,1", "16.8", "30", "1800", "64", "", ""],
            ["B", "Viettel", "4G", "106.9", "16,75", "30,5", "1800", "64", "", ""],
            ["C", "Viettel", "4G", "106.8", "16.7", "30", "1800", "64", "", ""]]
    st = _read(tmp_path, rows, delimiter=";")
    assert st.summary()["rejected"] == 0
    assert [(g.x, g.y) for g in st.stations.geometry] == [(107.1, 16.8), (106.9, 16.75), (106.8, 16.7)]
    assert st.stations["height_m"].iloc[1] == 30.5
    assert _status(st, 2) == "fixed" and _status(st, 4) == "kept"


def test_unquoted_decimal_comma_in_comma_csv_is_rejected_not_misread(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("Mã trạm,Kinh độ,Vĩ độ\nA,107,1,16,8\nB,106.9,16.75\n", encoding="utf-8")
    st = read_stations(p, boundary=BOUNDARY)
    assert _status(st, 2) == "rejected" and "field_count" in _codes(st, 2)
    assert _status(st, 3) == "fixed"  # band/EIRP/height assumed


def test_row_numbers_count_header_and_blank_lines(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Danh sách trạm\n\nMã trạm,Kinh độ,Vĩ độ\nA,107.1,16.8\n\nB,106.9,16.75\n")
    st = read_stations(p, boundary=BOUNDARY)
    assert st.row_status().index.tolist() == [4, 6]
    assert st.stations["source_row"].tolist() == [4, 6]


def test_summary_json(tmp_path):
    st = _read(tmp_path, [["A", "Viettel", "4G", "107.1", "16.8", "30", "1800", "64", "", ""],
                          ["B", "Viettel", "4G", "", "", "30", "1800", "64", "", ""]])
    js = st.to_json_dict()
    assert {k: js[k] for k in ("rows_read", "kept", "fixed", "rejected", "duplicates")} == {
        "rows_read": 2, "kept": 1, "fixed": 0, "rejected": 1, "duplicates": 0}
    assert js["issues"][0]["row"] == 3 and js["issues"][0]["code"] == "no_coordinates"


# ---------------------------------------------------------------- property: no row is ever lost

_cell = hs.one_of(
    hs.sampled_from(["", "4G", "LTE", "2G/3G", "6G", "n78", "3.5", "12 GHz", "900", "-5", "abc",
                     "16,8", "16.8", "107.1", "107,05", "16°48'59\"N", "=SUM(A1)", "0/120", "40 W",
                     "1e9", "nan", "inf", "Viettel", "452-04", "  ", "°", "N"]),
    hs.text(max_size=8),
    hs.floats(allow_nan=True, allow_infinity=True).map(str),
)
_row = hs.lists(_cell, min_size=0, max_size=len(HEAD) + 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=hs.lists(_row, min_size=1, max_size=12))
def test_property_every_row_accounted_for(rows):
    table = RawTable("csv", list(HEAD), [(i + 2, r) for i, r in enumerate(rows)])
    st = validate_table(table, boundary=BOUNDARY)
    s = st.summary()
    assert s["rows_read"] == len(rows)
    assert s["kept"] + s["fixed"] + s["rejected"] == len(rows)
    assert sorted(st.report["row"].unique()) == [i + 2 for i in range(len(rows))]
    # every report row's status agrees with its input row's outcome
    assert (st.report.groupby("row")["status"].nunique() == 1).all()
    rejected = set(st.row_status()[lambda x: x == "rejected"].index)
    used = set(st.stations["source_row"])
    assert not used & rejected
    assert used == set(st.row_status().index) - rejected
    assert st.report["problem_vi"].str.len().gt(0).all()
    assert st.report["problem_en"].str.len().gt(0).all()


@pytest.mark.parametrize(
    ("text", "name"),
    [("Viettel", "Viettel"), ("VIETTEL QT", "Viettel"), ("VNPT-VinaPhone", "VinaPhone"),
     ("Vinaphone", "VinaPhone"), ("Mobifone", "MobiFone"), ("Vietnamobile", "Vietnamobile"),
     ("Gmobile", "Gmobile"), ("452-04", "Viettel"), ("04", "Viettel"), ("1", "MobiFone"),
     ("2", "VinaPhone"), ("Nhà mạng khác", "Nhà mạng khác")],
)
def test_operator_names(text, name):
    from geo.stations import _operator

    assert _operator(text) == name


def test_commune_column_resolved_or_noted(tmp_path):
    header = ["Mã trạm", "Kinh độ", "Vĩ độ", "Xã/Phường"]
    rows = [["A", "107.1", "16.82", "Phường Đông Hà"], ["B", "107.0", "16.8", "Xã Không Có Thật"]]
    st = read_stations(write_csv(tmp_path / "c.csv", [header] + rows), boundary=BOUNDARY)
    codes = dict(zip(st.stations["station_id"], st.stations["commune_code"], strict=True))
    assert codes["A"] is not None and len(codes["A"]) == 5
    assert not isinstance(codes["B"], str)  # missing
    assert "unknown_commune" in _codes(st, 3) and _status(st, 3) != "rejected"
