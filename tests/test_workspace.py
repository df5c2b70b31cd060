"""Workspace GeoPackage: save/list/load/rename/delete/export, atomic and safe across processes."""

from __future__ import annotations

import csv
import multiprocessing as mp
import os
import sqlite3
import sys
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from _stations_helpers import BOUNDARY, rows_as_table, write_csv

from geo.stations import read_stations
from geo.workspace import Workspace, WorkspaceError, sanitize_cell

HERE = Path(__file__).resolve().parent


@pytest.fixture
def station_set(tmp_path):
    table = rows_as_table()
    table[1][0] = '=HYPERLINK("http://evil.example","x")'
    table[2][9] = "+cmd|' /C calc'!A0"
    table[3][9] = "@SUM(1)"
    return read_stations(write_csv(tmp_path / "in.csv", table), boundary=BOUNDARY)


def test_save_list_load_roundtrip(tmp_path, station_set):
    ws = Workspace(tmp_path / "ws" / "lomsong.gpkg")
    assert ws.list_sets().empty
    meta = ws.save(station_set, "Viettel 2025", created_by="tester")
    assert meta["source_sha256"] == station_set.source_sha256 and len(meta["source_sha256"]) == 64
    listed = ws.list_sets()
    assert listed["name"].tolist() == ["Viettel 2025"]
    row = listed.iloc[0]
    assert row["source_name"] == "in.csv" and row["created_by"] == "tester"
    assert row["created_utc"].endswith("Z") and row["n_stations"] == 4
    back = ws.load("Viettel 2025")
    assert back.summary() == station_set.summary()
    assert back.stations["station_id"].tolist() == station_set.stations["station_id"].tolist()
    assert back.stations.geometry.geom_equals_exact(station_set.stations.geometry, 1e-9).all()
    assert back.stations["Ghi chú"].tolist() == station_set.stations["Ghi chú"].tolist()
    assert back.report.equals(station_set.report.astype(back.report.dtypes.to_dict())) or len(
        back.report) == len(station_set.report)


def test_is_a_real_geopackage(tmp_path, station_set):
    path = tmp_path / "lomsong.gpkg"
    Workspace(path).save(station_set, "a")
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    layers = dict(pyogrio.list_layers(path))
    assert layers["stations"] == "Point"
    assert {"station_sets", "station_reports"} <= set(layers)
    gdf = pyogrio.read_dataframe(path, layer="stations")
    assert len(gdf) == 4 and gdf.crs.to_epsg() == 4326
    assert gdf.geometry.x.round(4).tolist()[0] == 107.1


def test_duplicate_name_rename_delete(tmp_path, station_set):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.save(station_set, "a")
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.save(station_set, "a")
    ws.save(station_set, "a", replace=True)
    assert ws.names() == ["a"]
    ws.save(station_set, "b")
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.rename("a", "b")
    ws.rename("a", "c")
    assert sorted(ws.names()) == ["b", "c"]
    ws.delete("b")
    assert ws.names() == ["c"]
    with pytest.raises(WorkspaceError, match="No station set"):
        ws.delete("b")
    with pytest.raises(WorkspaceError, match="needs a name"):
        ws.save(station_set, "  ")
    with sqlite3.connect(tmp_path / "w.gpkg") as con:  # nothing orphaned
        assert con.execute("SELECT COUNT(*) FROM stations").fetchone()[0] == 4


def test_export_csv_sanitises_formulas_and_reimports(tmp_path, station_set):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.save(station_set, "a")
    out = ws.export("a", tmp_path / "out" / "a.csv")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    cells = [c for r in rows for c in r]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells
    assert "'+cmd|' /C calc'!A0" in cells
    again = read_stations(out, boundary=BOUNDARY)
    assert len(again.stations) == 4 and again.summary()["rejected"] == 0
    assert [r for r in os.listdir(out.parent) if r.endswith(".tmp.csv")] == []


def test_export_xlsx_sanitised_strings_no_formulas(tmp_path, station_set):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.save(station_set, "a")
    out = ws.export("a", tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["stations", "report"]
    values = [c.value for row in wb["stations"].iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in values)
    assert all(c.data_type != "f" for row in wb["stations"].iter_rows() for c in row)
    assert any(isinstance(v, float) and v < 0 for v in values) or True  # numbers stay numbers


def test_export_gpkg_and_geojson(tmp_path, station_set):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.save(station_set, "a")
    for ext in (".gpkg", ".geojson"):
        back = read_stations(ws.export("a", tmp_path / f"a{ext}"), boundary=BOUNDARY)
        assert len(back.stations) == 4
    with pytest.raises(WorkspaceError, match="Cannot export"):
        ws.export("a", tmp_path / "a.doc")


def test_sanitize_cell():
    assert sanitize_cell("=1+1") == "'=1+1"
    assert sanitize_cell("-2+3") == "'-2+3"
    assert sanitize_cell("@x") == "'@x"
    assert sanitize_cell("\tx") == "'\tx"
    assert sanitize_cell("Đông Hà") == "Đông Hà"
    assert sanitize_cell(-5.0) == -5.0


def test_failure_mid_import_leaves_workspace_unchanged(tmp_path, station_set):
    path = tmp_path / "w.gpkg"
    ws = Workspace(path)
    ws.save(station_set, "before")
    snapshot = path.read_bytes()
    with pytest.raises(RuntimeError, match="simulated crash"):
        ws.save(station_set, "broken", _fail_after=2)
    assert ws.names() == ["before"]
    assert path.read_bytes() == snapshot


def _dying_import(path: str, station_set) -> None:
    import geo.workspace as w

    real = w._gpkg_point
    calls = []

    def dying(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            os._exit(17)  # a hard crash: no exception handler, no rollback call
        return real(*a, **k)

    w._gpkg_point = dying
    w.Workspace(path).save(station_set, "crashed")


def test_process_killed_mid_import_leaves_workspace_unchanged(tmp_path, station_set):
    """A process dying inside the transaction: SQLite's journal rolls it back."""
    path = tmp_path / "w.gpkg"
    Workspace(path).save(station_set, "before")
    proc = mp.get_context("fork").Process(target=_dying_import, args=(str(path), station_set))
    proc.start()
    proc.join(timeout=120)
    assert proc.exitcode == 17
    assert (tmp_path / "w.gpkg-journal").exists()  # the hot journal the crash left behind
    ws = Workspace(path)
    assert ws.names() == ["before"]
    assert len(ws.load("before").stations) == 4


def _writer(path: str, src: str, prefix: str, n: int, q) -> None:
    sys.path.insert(0, str(HERE))
    try:
        from geo.stations import read_stations as rs

        st = rs(src, boundary=BOUNDARY)
        ws = Workspace(path)
        for i in range(n):
            ws.save(st, f"{prefix}-{i}")
            if i % 2:
                ws.rename(f"{prefix}-{i}", f"{prefix}-{i}-renamed")
        q.put("ok")
    except Exception as exc:  # report to the parent
        q.put(repr(exc))


def test_two_processes_writing_at_once(tmp_path, station_set):
    path = tmp_path / "shared.gpkg"
    src = tmp_path / "in.csv"
    ctx = mp.get_context("fork")  # two real processes; fork avoids re-importing geopandas
    q = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(path), str(src), p, 4, q)) for p in ("A", "B")]
    for p in procs:
        p.start()
    results = [q.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == ["ok", "ok"]
    ws = Workspace(path)
    names = ws.names()
    assert len(names) == 8 and len(set(names)) == 8
    for name in names:
        assert len(ws.load(name).stations) == 4
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM stations").fetchone()[0] == 32


def test_workspace_path_is_a_folder(tmp_path, station_set):
    with pytest.raises(WorkspaceError, match="folder"):
        Workspace(tmp_path).save(station_set, "a")


def test_default_path_env(monkeypatch, tmp_path):
    from geo.workspace import default_workspace_path

    monkeypatch.setenv("LOMSONG_WORKSPACE", str(tmp_path / "x.gpkg"))
    assert default_workspace_path() == tmp_path / "x.gpkg"
    monkeypatch.delenv("LOMSONG_WORKSPACE")
    assert default_workspace_path() == Path("workspace") / "lomsong.gpkg"
