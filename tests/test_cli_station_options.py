"""`lomsong coverage` and `lomsong run` read Excel sheets and X/Y CRSs like `stations validate`."""

from __future__ import annotations

import json

import openpyxl

from lomsong.cli import main


def _two_sheet_workbook(path):
    wb = openpyxl.Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active["A1"] = "Danh sách trạm — điền ở trang sau"
    ws = wb.create_sheet("DS trạm")
    ws.append(["Tên trạm", "Nhà mạng", "Công nghệ", "Kinh độ", "Vĩ độ"])
    ws.append(["QTI_KheSanh", "Viettel", "4G", 106.73, 16.62])
    ws.append(["QTI_DongHa", "Viettel", "4G", 107.10, 16.81])
    wb.save(path)


def test_coverage_reads_a_named_sheet(tmp_path):
    xlsx = tmp_path / "tram.xlsx"
    _two_sheet_workbook(xlsx)
    out = tmp_path / "cov"
    assert main(["coverage", "--stations", str(xlsx), "--sheet", "DS trạm", "--tech", "4g",
                 "--resolution", "1000", "--out", str(out)]) == 0
    summary = json.loads((out / "coverage_summary.json").read_text())
    assert summary["stations"] == 2
    assert 0 < summary["people_covered"] < summary["people_total"]


def test_run_names_the_sheets_when_the_one_asked_for_is_missing(tmp_path, capsys):
    xlsx = tmp_path / "tram.xlsx"
    _two_sheet_workbook(xlsx)
    rc = main(["run", "--stations", str(xlsx), "--sheet", "Sheet9", "--resolution", "1000",
               "--quiet", "--out", str(tmp_path / "run")])
    assert rc == 2
    assert "Hướng dẫn, DS trạm" in capsys.readouterr().err


def test_coverage_clear_model_option(tmp_path):
    xlsx = tmp_path / "tram.xlsx"
    _two_sheet_workbook(xlsx)
    shares = {}
    for model in ("los-probability", "los"):
        out = tmp_path / model
        assert main(["coverage", "--stations", str(xlsx), "--sheet", "DS trạm", "--tech", "4g",
                     "--resolution", "1000", "--no-progress", "--clear-model", model,
                     "--out", str(out)]) == 0
        summary = json.loads((out / "coverage_summary.json").read_text())
        assert summary["clear_model"] == model
        shares[model] = summary["area_share_covered"]
    # pure line of sight ignores clutter: it can only reach further
    assert shares["los"] > shares["los-probability"]
