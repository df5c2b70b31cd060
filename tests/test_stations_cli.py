"""`lomsong stations …`: exit codes, JSON, workspace actions; never a traceback."""

from __future__ import annotations

import json

import pytest
from _stations_helpers import rows_as_table, write_csv, write_xlsx

from lomsong.cli import main


@pytest.fixture
def good_csv(tmp_path):
    return write_csv(tmp_path / "tram.csv", rows_as_table())


def test_validate_text_and_json(good_csv, capsys):
    assert main(["stations", "validate", str(good_csv)]) == 0
    out = capsys.readouterr().out
    assert "4 rows read" in out and "rejected" in out
    assert main(["stations", "validate", str(good_csv), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert {"rows_read", "kept", "fixed", "rejected", "duplicates", "issues"} <= set(js)
    assert js["rows_read"] == 4 and js["kept"] + js["fixed"] + js["rejected"] == 4
    assert all({"row", "column", "value", "problem_vi", "problem_en"} <= set(i) for i in js["issues"])


def test_validate_vietnamese(good_csv, capsys):
    assert main(["stations", "validate", str(good_csv), "--lang", "vi"]) == 0
    assert "Thiếu" in capsys.readouterr().out


def test_validate_sheet_option(tmp_path, capsys):
    p = write_xlsx(tmp_path / "t.xlsx", rows_as_table(), sheet="Trạm", header_row=4)
    assert main(["stations", "validate", str(p), "--sheet", "Trạm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows_read"] == 4


def test_validate_no_usable_station_exits_2(tmp_path, capsys):
    p = write_csv(tmp_path / "far.csv", [["lon", "lat"], ["2.35", "48.85"]])
    assert main(["stations", "validate", str(p)]) == 2
    assert "Outside the province" in capsys.readouterr().out


@pytest.mark.parametrize("content", [b"\x00\x01\x02junk" * 50, b""])
def test_validate_unreadable_exits_2_without_traceback(tmp_path, capsys, content):
    p = tmp_path / "junk.csv"
    p.write_bytes(content)
    assert main(["stations", "validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lomsong: error:") and "Traceback" not in err


def test_validate_bad_crs_exits_2(good_csv, capsys):
    assert main(["stations", "validate", str(good_csv), "--crs", "nonsense"]) == 2
    assert "Unknown coordinate system" in capsys.readouterr().err


def test_workspace_commands(good_csv, tmp_path, capsys):
    ws = str(tmp_path / "w" / "lomsong.gpkg")
    assert main(["stations", "import", str(good_csv), "--name", "Đợt 1", "--workspace", ws]) == 0
    assert "Saved as 'Đợt 1'" in capsys.readouterr().out
    assert main(["stations", "import", str(good_csv), "--name", "Đợt 1", "--workspace", ws]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["stations", "list", "--workspace", ws, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in listed] == ["Đợt 1"] and listed[0]["n_stations"] == 4
    out = tmp_path / "export.xlsx"
    assert main(["stations", "export", "Đợt 1", str(out), "--workspace", ws]) == 0
    assert out.exists()
    assert main(["stations", "rename", "Đợt 1", "Đợt 2", "--workspace", ws]) == 0
    assert main(["stations", "delete", "Đợt 2", "--workspace", ws]) == 0
    capsys.readouterr()
    assert main(["stations", "delete", "Đợt 2", "--workspace", ws]) == 2
    assert "No station set" in capsys.readouterr().err
    assert main(["stations", "list", "--workspace", ws]) == 0
    assert "No station sets" in capsys.readouterr().out


def test_import_nothing_usable_saves_nothing(tmp_path, capsys):
    p = write_csv(tmp_path / "far.csv", [["lon", "lat"], ["2.35", "48.85"]])
    ws = tmp_path / "w.gpkg"
    assert main(["stations", "import", str(p), "--name", "x", "--workspace", str(ws)]) == 2
    assert not ws.exists()
