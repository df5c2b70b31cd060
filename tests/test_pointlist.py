"""The shared point-list core: every row accounted for, for every kind (issue #15)."""

from __future__ import annotations

import pytest
from _stations_helpers import BOUNDARY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from geo._station_readers import RawTable
from geo.measurement_list import MEASUREMENTS
from geo.pointlist import PointSet, number_with_unit, read_points, validate_points
from geo.stations import validate_table
from geo.village_list import VILLAGES

HEADS = {
    "villages": ["Tên thôn", "Xã", "Dân số", "Điện", "Kinh độ", "Vĩ độ", "Ghi chú"],
    "measurements": ["Thời gian", "Nhà mạng", "Mạng", "RSRP", "Kinh độ", "Vĩ độ", "Ghi chú"],
    "stations": ["Mã trạm", "Nhà mạng", "Công nghệ", "Độ cao anten", "Kinh độ", "Vĩ độ", "Hướng"],
}
KINDS = {"villages": VILLAGES, "measurements": MEASUREMENTS}

_cell = hs.one_of(
    hs.sampled_from(["", "4G", "LTE", "NR", "GSM", "6G", "-95", "-95,5", "-300", "abc", "16,8", "16.8",
                     "107.1", "107,05", "16°48'59\"N", "106 45 12 E", "=SUM(A1)", "\u00a0=1+1", "có điện",
                     "chưa có điện", "1.234", "-5", "Hướng Lập", "Đông Hà", "xã lạ", "Viettel", "nan",
                     "inf", "  "]),
    hs.text(max_size=8),
    hs.floats(allow_nan=True, allow_infinity=True),
    hs.integers(-10**6, 10**6),
)
_row = hs.lists(_cell, min_size=0, max_size=9)


@pytest.mark.parametrize("kind", ["villages", "measurements", "stations"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=hs.lists(_row, min_size=1, max_size=10))
def test_property_every_row_accounted_for_in_every_kind(kind, rows):
    table = RawTable("csv", list(HEADS[kind]), [(i + 2, r) for i, r in enumerate(rows)])
    if kind == "stations":
        ps = validate_table(table, boundary=BOUNDARY)
        points = ps.stations
    else:
        ps = validate_points(table, KINDS[kind], boundary=BOUNDARY)
        points = ps.gdf
        assert isinstance(ps, PointSet) and ps.kind == kind
    s = ps.summary()
    assert s["rows_read"] == len(rows)
    assert s["kept"] + s["fixed"] + s["rejected"] == len(rows)
    assert sorted(ps.report["row"].unique()) == [i + 2 for i in range(len(rows))]
    assert (ps.report.groupby("row")["status"].nunique() == 1).all()
    rejected = set(ps.row_status()[lambda x: x == "rejected"].index)
    used = set(points["source_row"])
    assert not used & rejected
    assert used == set(ps.row_status().index) - rejected
    assert ps.report["problem_vi"].str.len().gt(0).all() and ps.report["problem_en"].str.len().gt(0).all()


@pytest.mark.parametrize(("cell", "want"), [
    ("12", (12.0, None, None)), ("-97,5", (-97.5, None, None)), ("-95 dBm", (-95.0, "dbm", None)),
    ("30 m", (30.0, "m", None)), ("1 858 123,45", (1858123.45, None, None)), ("abc", (None, None, "bad")),
    (float("nan"), (None, None, None)),  # an empty spreadsheet cell
    (float("inf"), (None, None, "bad")), ("", (None, None, None)), (True, (None, None, "bad")),
])
def test_number_with_unit(cell, want):
    assert number_with_unit(cell) == want


def test_same_file_reads_as_each_kind(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Tên,Mạng,RSRP,Kinh độ,Vĩ độ\nA,4G,-90,107.0,16.8\n", encoding="utf-8")
    v = read_points(p, VILLAGES, boundary=BOUNDARY)
    m = read_points(p, MEASUREMENTS, boundary=BOUNDARY)
    assert v.gdf["name"].tolist() == ["A"] and m.gdf["rsrp_dbm"].tolist() == [-90.0]
    assert v.source_sha256 == m.source_sha256 and v.kind == "villages" and m.kind == "measurements"
