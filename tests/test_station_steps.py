"""The named steps of the station reader and the workspace, each on its own (issue #12, house)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from _stations_helpers import BOUNDARY
from pyproj import CRS

from geo import stations as S
from geo._station_readers import RawTable
from geo.pointlist import Cells, Row, locate_rows, read_row_coordinates
from geo.workspace import (
    WorkspaceError,
    _gpkg_point,
    _gpkg_to_xy,
    _station_rows,
    _stations_from_rows,
)


def _cells(header, values):
    table = RawTable("csv", list(header), [(2, list(values))])
    lay = S._layout(table)
    return table, lay, Cells(list(values), table.columns, lay.mapping)


def test_layout_maps_vietnamese_headers_and_renames_clashing_extras():
    table = RawTable("csv", ["Mã trạm", "Kinh độ", "Vĩ độ", "assumed", "Ghi chú"], [])
    lay = S._layout(table)
    assert lay.mapping == {"station_id": 0, "lon": 1, "lat": 2}
    assert lay.extras == [(3, "assumed_src"), (4, "Ghi chú")]
    assert not lay.opencellid


def test_layout_opencellid():
    table = RawTable("csv", ["radio", "mcc", "net", "area", "cell", "unit", "lon", "lat"], [])
    lay = S._layout(table)
    assert lay.opencellid and lay.mapping == {"lon": 6, "lat": 7, "technology": 0}


@pytest.mark.parametrize(("cell", "band", "code"), [
    ("1800", 1800.0, None), ("L1800", 1800.0, "band_name"), ("n78", 3500.0, "band_name"),
    ("3.5", 3500.0, "band_ghz"), ("2.6 GHz", 2600.0, "band_name"), ("28000", None, "impossible"),
    ("abc", None, "bad_value"),
])
def test_read_band(cell, band, code):
    _, _, cells = _cells(["Băng tần"], [cell])
    r = S._Row(2)
    S._read_band(r, cells)
    assert r.rec["band_given"] == band
    assert [p[2] for p in r.problems] == ([code] if code else [])


def test_read_numbers_units_and_limits():
    _, _, cells = _cells(["Độ cao anten", "Công suất", "Góc nghiêng"], ["45 m", "40 W", "45"])
    r = S._Row(2)
    S._read_numbers(r, cells)
    assert r.rec["height_m"] == 45.0
    assert r.rec["eirp_dbm"] == pytest.approx(10 * math.log10(40_000))  # 40 W = 46.02 dBm
    assert "tilt_deg" not in r.rec  # 45° is outside −20…30°: rejected with the reason
    assert [p[2] for p in r.problems] == ["unit_converted", "impossible"] and r.fatal


@pytest.mark.parametrize(("cell", "azimuths", "codes"), [
    ("120", (120.0,), []), ("0/120/240", (0.0, 120.0, 240.0), ["sectors"]),
    ("0;120", (0.0, 120.0), ["sectors"]), ("370", (10.0,), ["azimuth_wrapped"]),
])
def test_read_azimuths(cell, azimuths, codes):
    _, _, cells = _cells(["Hướng"], [cell])
    r = S._Row(2)
    S._read_azimuths(r, cells)
    assert r.azimuths == azimuths and [p[2] for p in r.problems] == codes


def test_radio_plan_fills_defaults_per_technology():
    per_tech, filled = S._radio_plan(("4G", "5G"), None, 35.0, None, None, ())
    assert [t[:5] for t in per_tech] == [("4G", 1800.0, 35.0, 64.0, 0.0), ("5G", 3500.0, 35.0, 77.0, 0.0)]
    assert per_tech[0][5] == "band_mhz,eirp_dbm,tilt_deg"
    assert filled == (("band_mhz", "1800/3500", "4G/5G"), ("eirp_dbm", "64/77", "4G/5G"))


def test_expand_stations_technologies_times_sectors():
    table, lay, cells = _cells(["Mã trạm", "Công nghệ", "Hướng", "Kinh độ", "Vĩ độ"],
                               ["QT1", "4G/5G", "0/180", "107.0", "16.8"])
    r = S._Row(2)
    S._read_row(r, table, 0, cells.values, lay)
    r.xy = (107.0, 16.8)
    S._expand_stations(r, table, lay.mapping)
    assert [s["station_id"] for s in r.stations] == ["QT1-4G-S1", "QT1-4G-S2", "QT1-5G-S1", "QT1-5G-S2"]
    assert {s["site_id"] for s in r.stations} == {"QT1"} and r.status == "fixed"


def test_read_row_coordinates_and_locate():
    table = RawTable("csv", ["Kinh độ", "Vĩ độ"], [(2, ["16,8", "107,1"]), (3, ["107.1", "99.0"])])
    rows = []
    for idx, (rn, vals) in enumerate(table.rows):
        r = Row(rn)
        read_row_coordinates(r, table, idx, Cells(vals, table.columns, {"lon": 0, "lat": 1}))
        rows.append(r)
    assert rows[0].xy == (16.8, 107.1) and [p[2] for p in rows[0].problems] == ["decimal_comma"] * 2
    origin = locate_rows(rows, CRS.from_epsg(4326), BOUNDARY, 30.0)
    assert origin == "given"
    assert rows[0].xy == (107.1, 16.8) and rows[0].problems[-1][2] == "swapped"
    assert rows[1].fatal and rows[1].problems[-1][2] == "bad_transform"  # latitude 99° is no place


def test_workspace_station_rows_round_trip():
    gdf = gpd.GeoDataFrame({c: [None] for c in S.STATION_COLUMNS}, geometry=gpd.points_from_xy([107.5], [16.25]),
                           crs="EPSG:4326")
    gdf["station_id"], gdf["band_mhz"], gdf["source_row"], gdf["modelled"] = "A", 1800.0, 2, False
    gdf["Ghi chú"] = "x"
    rows = _station_rows(gdf, set_id=7)
    assert rows[0][1] == 7 and rows[0][2] == "A"
    back = _stations_from_rows([(1, *rows[0][:1], *rows[0][2:])], "s")
    assert back["station_id"].tolist() == ["A"] and back["Ghi chú"].tolist() == ["x"]
    assert back.geometry.x.tolist() == [107.5] and back["band_mhz"].tolist() == [1800.0]


def test_gpkg_point_blob_round_trip_and_errors():
    assert _gpkg_to_xy(_gpkg_point(107.123456789012345, 16.5)) == (107.123456789012345, 16.5)
    assert all(np.isnan(_gpkg_to_xy(None)))
    with pytest.raises(WorkspaceError, match="row 3: the stored geometry cannot be read"):
        _gpkg_to_xy(b"XX" + bytes(20), "row 3")
