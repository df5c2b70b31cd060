"""report.html (bilingual, printable, embedded maps) and priorities.xlsx (values only, sanitised)."""

from __future__ import annotations

import re

import openpyxl
import pytest

from analysis.report import (
    COMMUNE_HEADERS,
    fmt_number,
    fmt_share,
    sanitize_text,
    write_priorities_xlsx,
    write_report_html,
)
from tests._analysis_helpers import synthetic_result


@pytest.fixture(scope="module")
def hostile_result():
    r = synthetic_result(budget_sites=2)
    c = r.gaps.communes
    c.loc[0, "name"] = "=HYPERLINK(\"http://evil\",\"x\")"
    c.loc[1, "name"] = "<script>alert(1)</script>"
    c.loc[2, "name"] = "@SUM(A1)"
    return r


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("-2", "'-2"), ("@cmd", "'@cmd"),
     ("\tx", "'\tx"), ("Xã Hướng Lập", "Xã Hướng Lập"), ("", ""), (None, "")],
)
def test_sanitize_text(text, expected):
    assert sanitize_text(text) == expected


def test_number_formats_vi_and_en():
    assert fmt_number(1234567.4, 0, "vi") == "1.234.567"
    assert fmt_number(1234567.4, 0, "en") == "1,234,567"
    assert fmt_number(12.25, 1, "vi") == "12,2" or fmt_number(12.25, 1, "vi") == "12,3"
    assert fmt_share(0.125, 1, "vi") == "12,5%"
    assert fmt_share(0.125, 1, "en") == "12.5%"
    assert fmt_number(float("nan")) == "–"


def test_xlsx_values_only_sanitised_vietnamese_headers(hostile_result, tmp_path):
    path = write_priorities_xlsx(hostile_result, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["Vùng lõm", "Đề xuất trạm", "Theo xã"]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    ws = wb["Theo xã"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == [COMMUNE_HEADERS[k][0] for k in ("code", "name", "terrain")]
    names = [ws.cell(row=i, column=2).value for i in range(2, ws.max_row + 1)]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in names
    assert "'@SUM(A1)" in names
    # numbers stay numbers
    assert isinstance(ws.cell(row=2, column=4).value, int | float)
    # gap rows = gaps
    assert wb["Vùng lõm"].max_row == len(hostile_result.gaps.gaps) + 1


def test_report_html_bilingual_escaped_with_maps(hostile_result, tmp_path):
    path = write_report_html(hostile_result, tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert 'class="lang-vi"' in text  # Vietnamese by default
    assert "toggleLang" in text
    assert "Báo cáo ưu tiên" in text and "Coverage-gap priority report" in text
    assert text.count('<span class="vi">') == text.count('<span class="en">')
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert len(re.findall(r'src="data:image/png;base64,', text)) >= 2
    assert "modelled network" in text and "mạng mô phỏng" in text
    assert "@media print" in text
    # every proposal appears in the table
    for sid in hostile_result.siting.proposals["site_id"]:
        assert sid in text


def test_village_section_escaped_sanitised_one_block_per_commune(tmp_path):
    import openpyxl as _openpyxl

    r = synthetic_result(budget_sites=1)
    t = r.villages.table
    t.loc[t.index[1], "name"] = "<script>alert(1)</script>"
    t.loc[t.index[2], "name"] = "=HYPERLINK(\"http://evil\",\"x\")"
    html = write_report_html(r, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    bad = t[t["status"] != "covered"]
    assert html.count('class="village-commune"') == bad["commune_code"].nunique() > 0
    # #19: every uncovered person is in one of the three figures the report states
    assert "ô thưa dân" in html and "sparse cells" in html
    ws = _openpyxl.load_workbook(write_priorities_xlsx(r, tmp_path / "p.xlsx"))["Thôn bản"]
    names = [c.value for c in ws["B"]][1:]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in names
