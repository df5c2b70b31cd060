"""Issue #12's reader cases: each a generated fixture (never a committed bomb) that failed before."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import warnings
import zipfile

import openpyxl
import pytest
from _stations_helpers import BOUNDARY, write_gpkg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from geo import pointlist
from geo._legacy_vn import detect_legacy, legacy_to_unicode
from geo._station_readers import MAX_DESCRIPTION_CHARS, _description_fields
from geo.stations import StationFileError, read_stations
from geo.village_list import read_villages

HEADER = "Mã trạm,Kinh độ,Vĩ độ,Ghi chú"


# ---------------------------------------------------------------- a stray quote


def test_unterminated_quote_names_its_line():
    text = f'{HEADER}\nA,107.1,16.8,"cot 12m\nB,106.9,16.75,x\nC,106.8,16.7,y\n'
    with pytest.raises(StationFileError, match=r"Line 2: a quote .* line\(s\) 3–4"):
        read_stations(text.encode(), boundary=BOUNDARY)


def test_unterminated_quote_on_the_last_line():
    text = f'{HEADER}\nA,107.1,16.8,x\nB,106.9,16.75,"two\nlines\n'
    with pytest.raises(StationFileError, match=r"Line 3"):
        read_stations(text.encode(), boundary=BOUNDARY)


def test_properly_quoted_line_break_still_reads():
    text = f'{HEADER}\nA,107.1,16.8,"cột\n12 m"\nB,106.9,16.75,x\nC,106.8,16.7,"ghi chú\ncuối"\n'
    st = read_stations(text.encode(), boundary=BOUNDARY)
    assert st.summary()["rows_read"] == 3
    assert st.stations["Ghi chú"].iloc[0] == "cột\n12 m"


_note = hs.one_of(
    hs.sampled_from(['"cot 12m', '"a,b"', '"x"y', 'ab"c', '""', '"', '"a""', "plain", "", '"ok"']),
    hs.text(alphabet='ab ,"', max_size=6),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes=hs.lists(_note, min_size=1, max_size=8))
def test_property_rows_read_equal_data_lines_or_an_error_naming_the_line(notes):
    lines = [f"S{i},107.0,16.8,{n}" for i, n in enumerate(notes)]
    text = HEADER + "\n" + "\n".join(lines) + "\n"
    try:
        st = read_stations(text.encode(), boundary=BOUNDARY)
    except StationFileError as exc:
        m = re.search(r"[Ll]ine (\d+)", str(exc))
        assert m, str(exc)
        named = int(m.group(1))
        assert 2 <= named <= len(lines) + 1
        assert '"' in lines[named - 2] or named == 1
        return
    s = st.summary()
    assert s["rows_read"] == len(lines)
    assert s["kept"] + s["fixed"] + s["rejected"] == len(lines)


# ---------------------------------------------------------------- KML popup tables


def test_kml_popup_table_parse_is_linear_on_the_pathological_description():
    # 23 KB of unclosed cells: the old regular expression backtracked for over a minute.
    nasty = "<table>" + "<tr><td>k<td>v" * 1700 + "</table>"
    assert len(nasty) > 23_000
    fields = _description_fields(nasty)
    assert isinstance(fields, dict)
    good = "<table><tr><td>Mã trạm</td><td>QT9</td></tr><tr><th>Nhà mạng</th><td><b>Viettel</b></td></tr></table>"
    assert _description_fields(good) == {"Mã trạm": "QT9", "Nhà mạng": "Viettel"}


def test_kml_description_over_the_bound_is_kept_as_text_only():
    huge = "<table>" + "<tr><td>k</td><td>v</td></tr>" * (MAX_DESCRIPTION_CHARS // 20) + "</table>"
    assert len(huge) > MAX_DESCRIPTION_CHARS
    assert _description_fields(huge) == {}


# ---------------------------------------------------------------- XLSX padded to XFD


def _padded_xlsx(n_rows: int, real_far_value: bool = False) -> bytes:
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã trạm", "Kinh độ", "Vĩ độ"])
    for i in range(3):
        ws.append([f"S{i}", 107.0 + i / 100, 16.8])
    buf = io.BytesIO()
    wb.save(buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    letters = [get_column_letter(c) for c in range(4, 16385)]

    def pad(r: int) -> str:
        return "".join(f'<c r="{c}{r}" s="0"/>' for c in letters)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            raw = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                txt = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', raw.decode())
                txt = re.sub(r'(<row r="(\d+)"[^>]*>.*?)</row>', lambda m: m.group(1) + pad(int(m.group(2))) + "</row>",
                             txt)
                extra = "".join(f'<row r="{r}">{pad(r)}</row>' for r in range(5, 5 + n_rows))
                if real_far_value:
                    extra += f'<row r="{5 + n_rows}"><c r="XFD{5 + n_rows}" t="n"><v>1</v></c></row>'
                raw = txt.replace("</sheetData>", extra + "</sheetData>").encode()
            z.writestr(info.filename, raw)
    return out.getvalue()


def test_xlsx_rows_padded_to_xfd_read_fast_and_small():
    data = _padded_xlsx(20)
    st = read_stations(data, boundary=BOUNDARY)
    assert st.summary()["rows_read"] == 3 and st.stations["station_id"].tolist() == ["S0", "S1", "S2"]


def test_xlsx_value_beyond_the_column_cap_is_refused_naming_the_row():
    with pytest.raises(StationFileError, match=r"Row 25 .* 16,384 columns"):
        read_stations(_padded_xlsx(20, real_far_value=True), boundary=BOUNDARY)


# ---------------------------------------------------------------- GeoPackage views


def _with_recursive_view(path, keep_table: bool):
    write_gpkg(path)
    con = sqlite3.connect(path)
    con.execute("CREATE VIEW v AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                "SELECT x AS fid, NULL AS geom FROM c")
    con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                "VALUES ('v','features','v',4326)")
    con.execute("INSERT INTO gpkg_geometry_columns VALUES ('v','geom','POINT',4326,0,0)")
    if not keep_table:
        con.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'tram'")
        con.execute("DELETE FROM gpkg_contents WHERE table_name = 'tram'")
    con.commit()
    con.close()
    return path


def test_gpkg_recursive_view_is_never_evaluated(tmp_path):
    p = _with_recursive_view(tmp_path / "a.gpkg", keep_table=True)
    assert read_stations(p, boundary=BOUNDARY).summary()["rows_read"] == 4  # the table, not the view
    with pytest.raises(StationFileError, match="is a view, not a table"):
        read_stations(p, sheet="v", boundary=BOUNDARY)
    only = _with_recursive_view(tmp_path / "b.gpkg", keep_table=False)
    with pytest.raises(StationFileError, match="no plain feature table"):
        read_stations(only, boundary=BOUNDARY)


def test_gpkg_upload_is_opened_read_only(tmp_path):
    p = write_gpkg(tmp_path / "c.gpkg")
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE log (x)")
    con.execute("CREATE TRIGGER t AFTER INSERT ON tram BEGIN INSERT INTO log VALUES (1); END")
    con.commit()
    con.close()
    assert read_stations(p, boundary=BOUNDARY).summary()["rows_read"] == 4


def test_sqlite_file_that_is_not_a_geopackage(tmp_path):
    p = tmp_path / "x.gpkg"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE a (b)")
    con.commit()
    con.close()
    with pytest.raises(StationFileError, match="not a GeoPackage"):
        read_stations(p, boundary=BOUNDARY)


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(("legacy", "text", "want"), [
    ("tcvn3", "B¶o Th¾ng", "Bảo Thắng"), ("tcvn3", "B¸t X¸t", "Bát Xát"), ("tcvn3", "Kinh ®é", "Kinh độ"),
    ("tcvn3", "Qu¶ng TrÞ", "Quảng Trị"), ("tcvn3", "Tªn th«n", "Tên thôn"), ("tcvn3", "§«ng Hµ", "Đông Hà"),
    ("vni", "Quaûng Trò", "Quảng Trị"), ("vni", "Höôùng Hoùa", "Hướng Hóa"), ("vni", "Vieät Nam", "Việt Nam"),
    ("vni", "Kinh ñoä", "Kinh độ"), ("vni", "Nhaø maïng", "Nhà mạng"), ("vni", "HÖÔÙNG HOÙA", "HƯỚNG HÓA"),
])
def test_legacy_tables_known_answers(legacy, text, want):
    assert legacy_to_unicode(text, legacy) == want


def test_legacy_detection_leaves_western_and_unicode_text_alone():
    assert detect_legacy("Café naïve, Hòa, Khoá, Thuỷ") is None
    assert detect_legacy("Kinh độ, Vĩ độ, Hướng Lập") is None
    assert detect_legacy("Kinh ®é,VÜ ®é,Tªn tr¹m") == "tcvn3"
    assert detect_legacy("Kinh ñoä,Vó ñoä,Nhaø maïng") == "vni"


_TCVN3_CSV = "M· tr¹m,Nhµ m¹ng,Kinh ®é,VÜ ®é,X·\nQT1,Viettel,107.1,16.8,H­íng LËp\nQT2,Vinaphone,107.0,16.7,§«ng Hµ\n"
_VNI_CSV = "Maõ traïm,Nhaø maïng,Kinh ñoä,Vó ñoä,Xaõ\nQT1,Viettel,107.1,16.8,Höôùng Laäp\nQT2,Vinaphone,107.0,16.7,Ñoâng Haø\n"


@pytest.mark.parametrize(("text", "legacy"), [(_TCVN3_CSV, "tcvn3"), (_VNI_CSV, "vni")])
def test_legacy_csv_reads_and_names_the_encoding(text, legacy):
    st = read_stations(text.encode("latin-1"), boundary=BOUNDARY)
    assert st.summary()["rows_read"] == 2 and st.summary()["rejected"] == 0
    assert st.stations["commune"].tolist() == ["Hướng Lập", "Đông Hà"]
    assert f"encoding={legacy}" in st.to_json_dict()["notes"]


def test_legacy_xlsx_strings_converted():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Tªn th«n", "X·", "Kinh ®é", "VÜ ®é"])
    ws.append(["B¶n Cï Bai", "H­íng LËp", 106.6, 16.9])
    buf = io.BytesIO()
    wb.save(buf)
    v = read_villages(buf.getvalue())
    assert v.gdf["name"].tolist() == ["Bản Cù Bai"] and "encoding=tcvn3" in v.notes


def test_utf16_without_bom():
    text = f"{HEADER}\nA,107.1,16.8,Trạm gốc\n"
    for enc in ("utf-16-le", "utf-16-be"):
        st = read_stations(text.encode(enc), boundary=BOUNDARY)
        assert st.summary()["rows_read"] == 1 and st.stations["Ghi chú"].iloc[0] == "Trạm gốc"


# ---------------------------------------------------------------- values


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_geojson_nan_infinity_coordinates_named(bad):
    text = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A"},'
            f'"geometry":{{"type":"Point","coordinates":[{bad},16.8]}}}}]}}')
    st = read_stations(text.encode(), boundary=BOUNDARY)
    line = st.report.iloc[0]
    assert line["code"] == "bad_geometry" and "NaN or Infinity" in line["problem_en"]
    assert line["status"] == "rejected"


def test_same_station_id_at_another_position_is_flagged():
    text = (f"{HEADER}\nQT1,107.1,16.8,a\nQT1,107.1,16.8,same site other sector\n"
            "QT1,106.9,16.75,typo\nQT2,106.95,16.7,b\n")
    st = read_stations(text.encode(), boundary=BOUNDARY)
    conflicts = st.report[st.report["code"] == "id_conflict"]
    assert conflicts["row"].tolist() == [4]
    assert "row 2" in conflicts["problem_en"].iloc[0] and conflicts["status"].iloc[0] != "rejected"
    assert len(st.stations) == 4  # flagged, never dropped


def test_formula_behind_invisible_lead_is_flagged():
    text = f"{HEADER}\nA,107.1,16.8,\u200b=HYPERLINK(\"http://x\")\nB,107.0,16.8,\u00a0+cmd|' /C calc'!A0\nC,107.0,16.8,\u00a0+1\n"
    st = read_stations(text.encode(), boundary=BOUNDARY)
    assert st.report[st.report["code"] == "formula"]["row"].tolist() == [2, 3]  # "+1" is a number


# ---------------------------------------------------------------- #19: the province outline


def test_province_outline_failure_is_loud_and_not_cached(monkeypatch):
    def broken():
        raise OSError("communes.gpkg is damaged")

    real = pointlist._province_outline
    monkeypatch.setattr(pointlist, "_province_outline", broken)
    text = f"{HEADER}\nA,107.1,16.8,x\n".encode()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        st = read_stations(text)
    assert any(issubclass(w.category, pointlist.BoundaryWarning) for w in caught)
    assert pointlist.BBOX_NOTE in st.notes and pointlist.BBOX_NOTE in st.to_json_dict()["notes"]
    monkeypatch.setattr(pointlist, "_province_outline", real)
    st2 = read_stations(text)
    assert pointlist.BBOX_NOTE not in st2.notes  # the fallback was not cached for the process


def test_json_dict_is_json():
    st = read_stations(f"{HEADER}\nA,107.1,16.8,x\n".encode(), boundary=BOUNDARY)
    assert json.loads(json.dumps(st.to_json_dict(), ensure_ascii=False))["rows_read"] == 1
