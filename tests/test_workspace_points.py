"""The workspace beyond station sets: point kinds, hostile rows, names, exact exports (#12, #15, #17)."""

from __future__ import annotations

import sqlite3
import struct

import pandas as pd
import pytest
from _stations_helpers import BOUNDARY

from geo.measurement_list import read_measurements
from geo.stations import read_stations
from geo.village_list import read_villages
from geo.workspace import Workspace, WorkspaceError, clean_set_name, sanitize_cell


@pytest.fixture
def villages(tmp_path):
    p = tmp_path / "thon.csv"
    p.write_text("Tên thôn,Dân số,Điện,Kinh độ,Vĩ độ\nThôn A,120,có điện,107.05,16.85\n"
                 "Thôn B,,chưa có điện,107.1,16.8\nThôn C,5,,abc,16.8\n", encoding="utf-8")
    return read_villages(p, boundary=BOUNDARY)


@pytest.fixture
def measurements(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("lon,lat,tech,rsrp,operator,cellid\n107.0,16.8,LTE,-95,Viettel,12\n107.01,16.81,NR,-200,,\n",
                 encoding="utf-8")
    return read_measurements(p, boundary=BOUNDARY)


def test_point_sets_round_trip_by_kind(tmp_path, villages, measurements):
    ws = Workspace(tmp_path / "w.gpkg")
    meta = ws.save_points(villages, "Thôn 2025")
    assert meta["kind"] == "villages" and meta["rows_read"] == 3
    ws.save_points(measurements, "Thôn 2025")  # names are unique per kind
    back = ws.load_villages("Thôn 2025")
    assert back.summary() == villages.summary()
    pd.testing.assert_frame_equal(pd.DataFrame(back.gdf.drop(columns="geometry")),
                                  pd.DataFrame(villages.gdf.drop(columns="geometry")))
    assert (back.gdf.geometry.x.to_numpy() == villages.gdf.geometry.x.to_numpy()).all()
    assert back.gdf["power"].tolist() == ["grid", "none"]
    pd.testing.assert_frame_equal(back.report, villages.report)
    m = ws.load_measurements("Thôn 2025")
    assert m.gdf["rsrp_dbm"].tolist() == [-95.0] and m.gdf["cell_id"].tolist() == ["12"]
    assert ws.list_point_sets("villages")["name"].tolist() == ["Thôn 2025"]
    assert ws.list_point_sets("measurements")["n_points"].tolist() == [1]
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.save_points(villages, "Thôn 2025")
    ws.save_points(villages, "Thôn 2025", replace=True)
    ws.delete_points("villages", "Thôn 2025")
    assert ws.list_point_sets("villages").empty
    with pytest.raises(WorkspaceError, match="No villages set"):
        ws.load_villages("Thôn 2025")
    with pytest.raises(WorkspaceError, match="Unknown point kind"):
        ws.load_points("cells", "x")


def test_point_tables_added_to_an_older_workspace(tmp_path, villages):
    st = read_stations(b"Ma tram,Kinh do,Vi do\nA,107.1,16.8\n", boundary=BOUNDARY)
    ws = Workspace(tmp_path / "w.gpkg")
    ws.save(st, "cu")
    con = sqlite3.connect(ws.path)
    con.execute("DROP TABLE point_sets")
    con.execute("DROP TABLE points")
    con.execute("DROP TABLE point_reports")
    con.commit()
    con.close()
    assert ws.list_point_sets("villages").empty
    ws.save_points(villages, "moi")
    assert ws.load_villages("moi").summary()["points"] == 2 and ws.load("cu").summary()["stations"] == 1


@pytest.mark.parametrize("text", [" =1+1", "\u00a0=HYPERLINK(\"x\")", "\u200b@SUM(A1)", "\ufeff-2+3", "\t=1"])
def test_sanitize_formula_behind_invisible_lead(text):
    assert sanitize_cell(text) == "'" + text


def test_sanitize_leaves_plain_text():
    assert sanitize_cell("Trạm = 3") == "Trạm = 3" and sanitize_cell(12.5) == 12.5


@pytest.mark.parametrize("name", ["a\nb", "x\ry", "tab\there", "\u202eevil", "rtl\u2067x", "nul\x00", "zw\u200bj"])
def test_set_names_with_control_or_bidi_characters_refused(name):
    with pytest.raises(WorkspaceError, match="U\\+"):
        clean_set_name(name)


def test_set_name_normalised_to_nfc():
    assert clean_set_name("  Tha\u0300nh  ") == "Thành"


def _station_ws(tmp_path):
    st = read_stations(b"Ma tram,Kinh do,Vi do\nA,107.123456789012345,16.87654321098765\nB,107.0,16.8\n",
                       boundary=BOUNDARY)
    ws = Workspace(tmp_path / "w.gpkg")
    ws.save(st, "s")
    return ws, st


def _gp(wkb: bytes) -> bytes:
    return b"GP" + bytes([0, 0x01]) + struct.pack("<i", 4326) + wkb


@pytest.mark.parametrize(("sql", "value", "match"), [
    ("UPDATE stations SET geom = ? WHERE fid = 1", _gp(b"\x01\x01\x00\x00"), "cannot be read"),
    ("UPDATE stations SET geom = ? WHERE fid = 1",
     _gp(struct.pack("<BII", 1, 4, 2) + struct.pack("<BIdd", 1, 1, 107, 16) + struct.pack("<BIdd", 1, 1, 106, 17)),
     "MultiPoint, not a point"),
    ("UPDATE stations SET geom = ? WHERE fid = 1", b"not a blob", "cannot be read"),
    ("UPDATE stations SET extras_json = ? WHERE fid = 1", "{bad json", "not valid JSON"),
    ("UPDATE stations SET extras_json = ? WHERE fid = 1", "[1, 2]", "not a JSON object"),
])
def test_rows_written_by_another_tool_give_a_clear_error(tmp_path, sql, value, match):
    ws, _ = _station_ws(tmp_path)
    con = sqlite3.connect(ws.path)
    con.execute(sql, (value,))
    con.commit()
    con.close()
    with pytest.raises(WorkspaceError, match=f"fid 1: .*{match}"):
        ws.export("s", tmp_path / "out.csv")


def test_damaged_row_via_cli_is_one_line_exit_2(tmp_path, capsys):
    from lomsong.cli import main

    ws, _ = _station_ws(tmp_path)
    con = sqlite3.connect(ws.path)
    con.execute("UPDATE stations SET extras_json = '{' WHERE fid = 2")
    con.commit()
    con.close()
    rc = main(["stations", "export", "s", str(tmp_path / "o.csv"), "--workspace", str(ws.path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "fid 2" in err and "Traceback" not in err


def test_csv_export_keeps_full_coordinate_precision(tmp_path):
    ws, st = _station_ws(tmp_path)
    df = pd.read_csv(ws.export("s", tmp_path / "o.csv"), encoding="utf-8-sig")
    assert df["lon"].tolist() == st.stations.geometry.x.tolist()  # exact, no longer rounded to 1e-7
    assert df["lat"].tolist() == st.stations.geometry.y.tolist()
    assert df["lon"].iloc[0] != round(df["lon"].iloc[0], 7)


def test_xlsx_export_keeps_sixteen_digits(tmp_path):
    ws, st = _station_ws(tmp_path)
    df = pd.read_excel(ws.export("s", tmp_path / "o.xlsx"), sheet_name="stations")
    assert (abs(df["lon"] - st.stations.geometry.x.to_numpy()) < 1e-13).all()
    assert abs(df["lon"].iloc[0] - round(df["lon"].iloc[0], 7)) > 1e-9  # not rounded to 7 decimals
