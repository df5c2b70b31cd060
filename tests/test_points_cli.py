"""`lomsong villages …` / `lomsong measurements …` and the shared station options."""

from __future__ import annotations

import json

import pytest

from lomsong.cli import build_parser, main


@pytest.fixture
def village_file(tmp_path):
    p = tmp_path / "thon.csv"
    p.write_text("Tên thôn,Xã,Dân số,Điện,Kinh độ,Vĩ độ\nThôn A,Hướng Lập,120,có điện,106.60,16.89\n"
                 "Thôn B,Hướng Lập,,chưa có điện,abc,16.8\n", encoding="utf-8")
    return p


def test_villages_validate_json(village_file, capsys):
    rc = main(["villages", "validate", str(village_file), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert {k: out[k] for k in ("rows_read", "kept", "fixed", "rejected")}["rows_read"] == 2
    assert out["kept"] + out["fixed"] + out["rejected"] == 2 and out["kind"] == "villages"
    assert any(i["row"] == 3 and i["code"] == "bad_coordinate" for i in out["issues"])


def test_villages_validate_table_in_vietnamese(village_file, capsys):
    assert main(["villages", "validate", str(village_file), "--lang", "vi"]) == 0
    out = capsys.readouterr().out
    assert "2 rows read" in out and "Không đọc được tọa độ «abc»" in out


def test_villages_import_and_list(village_file, tmp_path, capsys):
    ws = str(tmp_path / "w.gpkg")
    assert main(["villages", "import", str(village_file), "--name", "Thôn HL", "--workspace", ws]) == 0
    capsys.readouterr()
    assert main(["villages", "list", "--workspace", ws, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in listed] == ["Thôn HL"] and listed[0]["n_points"] == 1
    assert main(["villages", "import", str(village_file), "--name", "Thôn HL", "--workspace", ws]) == 2
    assert "already exists" in capsys.readouterr().err


def test_measurements_nothing_usable_exit_2(tmp_path, capsys):
    p = tmp_path / "m.csv"
    p.write_text("lon,lat,tech,rsrp\n107.0,16.8,LTE,-300\n", encoding="utf-8")
    ws = str(tmp_path / "w.gpkg")
    assert main(["measurements", "validate", str(p)]) == 2
    assert main(["measurements", "import", str(p), "--name", "x", "--workspace", ws]) == 2
    assert "nothing saved" in capsys.readouterr().err


def test_measurements_unreadable_file_one_line(tmp_path, capsys):
    p = tmp_path / "m.csv"
    p.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["measurements", "validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lomsong: error:") and err.count("\n") == 1


def test_measurements_add_subcommand_after_register():
    from lomsong.commands import measurements

    build_parser()
    p = measurements.add_subcommand("probe-extension", help="test")
    p.add_argument("file")
    p.set_defaults(func=lambda args: 7)
    # the action is on the parser just built (what a later COMMAND_MODULES entry would do)
    ns = measurements.subparsers.choices["probe-extension"].parse_args(["f.csv"])
    assert ns.file == "f.csv"


def test_add_subcommand_before_register_explains(monkeypatch):
    from lomsong.commands import measurements

    monkeypatch.setattr(measurements, "subparsers", None)
    with pytest.raises(RuntimeError, match="COMMAND_MODULES"):
        measurements.add_subcommand("x")


@pytest.mark.parametrize("command", ["coverage", "run"])
def test_station_arguments_shared(command):
    parser = build_parser()
    ns = parser.parse_args([command, "--stations", "a.xlsx", "--crs", "3405", "--sheet", "Trạm",
                            "--out", "o"])
    assert (ns.stations, ns.crs, ns.sheet, ns.default) == ("a.xlsx", "3405", "Trạm", False)
    with pytest.raises(SystemExit):
        parser.parse_args([command, "--stations", "a.xlsx", "--default", "--out", "o"])


def test_stations_validate_names_a_legacy_encoding(tmp_path, capsys):
    p = tmp_path / "tcvn3.csv"
    p.write_bytes("M· tr¹m,Kinh ®é,VÜ ®é\nQT1,107.1,16.8\nQT2,107.0,16.7\n".encode("latin-1"))
    assert main(["stations", "validate", str(p)]) == 0
    assert "TCVN3" in capsys.readouterr().out
