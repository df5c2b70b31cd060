"""Hostile and unreadable files: one clear StationFileError, refused before they cost memory."""

from __future__ import annotations

import io
import zipfile

import pytest
from _stations_helpers import BOUNDARY, rows_as_table, write_csv, write_xlsx, xlsx_zip_bomb

from geo import _station_readers as readers
from geo.stations import StationFileError, read_stations


def test_binary_junk_named_csv(tmp_path):
    p = tmp_path / "tram.csv"
    p.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(StationFileError, match="not a readable table"):
        read_stations(p, boundary=BOUNDARY)


def test_png_named_csv(tmp_path):
    p = tmp_path / "tram.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200))
    with pytest.raises(StationFileError):
        read_stations(p, boundary=BOUNDARY)


@pytest.mark.parametrize("content", [b"", b"   \r\n  \n"])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    with pytest.raises(StationFileError, match="empty"):
        read_stations(p, boundary=BOUNDARY)


def test_no_header_row(tmp_path):
    p = write_csv(tmp_path / "nohead.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(StationFileError, match="No header row"):
        read_stations(p, boundary=BOUNDARY)


def test_missing_file():
    with pytest.raises(StationFileError, match="not found"):
        read_stations("/nonexistent/tram.csv")


def test_xlsx_zip_bomb_refused_before_opening(tmp_path, monkeypatch):
    p = xlsx_zip_bomb(tmp_path / "bomb.xlsx", uncompressed_mb=64)
    assert p.stat().st_size < 1_000_000

    def boom(*a, **k):  # openpyxl must never be reached
        raise AssertionError("openpyxl opened a zip bomb")

    import openpyxl

    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    with pytest.raises(StationFileError, match="zip bomb"):
        read_stations(p, boundary=BOUNDARY)


def test_zip_total_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNZIPPED_BYTES", 1000)
    p = write_xlsx(tmp_path / "ok.xlsx", rows_as_table())
    with pytest.raises(StationFileError, match="expands to"):
        read_stations(p, boundary=BOUNDARY)


def test_encrypted_xlsx_ole2(tmp_path):
    # Excel saves a password-protected workbook as an OLE2 compound file.
    p = tmp_path / "secret.xlsx"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    with pytest.raises(StationFileError, match="password-protected"):
        read_stations(p, boundary=BOUNDARY)


def test_encrypted_zip_member(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("doc.kml", "<kml/>")
    data = bytearray(buf.getvalue())
    # set the "encrypted" flag bit in the local and central headers
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        i = data.find(sig)
        off = 6 if sig == b"PK\x03\x04" else 8
        data[i + off] |= 0x01
    p = tmp_path / "x.kmz"
    p.write_bytes(bytes(data))
    with pytest.raises(StationFileError, match="encrypted"):
        read_stations(p, boundary=BOUNDARY)


def test_damaged_xlsx(tmp_path):
    p = tmp_path / "bad.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"garbage" * 100)
    with pytest.raises(StationFileError):
        read_stations(p, boundary=BOUNDARY)


def test_over_row_limit_csv_streamed(tmp_path, monkeypatch):
    """600,000 rows: refused with one error, counted while streaming."""
    lines = ["lon,lat"] + ["107.1,16.8"] * 600_000
    p = tmp_path / "big.csv"
    p.write_text("\n".join(lines))
    assert p.stat().st_size < readers.MAX_FILE_BYTES
    with pytest.raises(StationFileError, match="more than 500,000 rows"):
        read_stations(p, boundary=BOUNDARY)


def test_over_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 1000)
    p = write_csv(tmp_path / "t.csv", rows_as_table() * 20)
    with pytest.raises(StationFileError, match="larger than"):
        read_stations(p, boundary=BOUNDARY)
    with pytest.raises(StationFileError, match="larger than"):
        read_stations(io.BytesIO(p.read_bytes()), boundary=BOUNDARY)


def test_real_50mb_limit_constant():
    assert readers.MAX_FILE_BYTES == 50 * 1024 * 1024
    assert readers.MAX_ROWS == 500_000


@pytest.mark.parametrize(
    "doc",
    [
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<kml><Placemark><name>&xxe;</name><Point><coordinates>107.1,16.8</coordinates>'
        "</Point></Placemark></kml>",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        "<kml><Placemark><name>&lol2;</name></Placemark></kml>",
        '<?xml version="1.0"?><!DOCTYPE kml SYSTEM "http://127.0.0.1:9/evil.dtd"><kml/>',
    ],
)
def test_kml_with_dtd_or_entities_refused(tmp_path, doc):
    p = tmp_path / "evil.kml"
    p.write_text(doc)
    with pytest.raises(StationFileError, match="DTD or entity"):
        read_stations(p, boundary=BOUNDARY)


def test_kmz_with_dtd_refused(tmp_path):
    p = tmp_path / "evil.kmz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("doc.kml", '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "b">]><kml/>')
    with pytest.raises(StationFileError, match="DTD or entity"):
        read_stations(p, boundary=BOUNDARY)


def test_zip_without_stations(tmp_path):
    p = tmp_path / "x.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(StationFileError, match="holds no Excel"):
        read_stations(p, boundary=BOUNDARY)


def test_shapefile_zip_path_traversal_names_ignored(tmp_path):
    from _stations_helpers import write_shp_zip

    good = write_shp_zip(tmp_path / "good.zip")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            name = "../../" + info.filename.split("/")[-1]
            dst.writestr(name, src.read(info.filename))
    st = read_stations(evil, boundary=BOUNDARY)
    assert len(st.stations) == 4
    assert not (tmp_path.parent.parent / "tram.shp").exists()


def test_formula_cells_kept_as_text_and_flagged(tmp_path):
    table = [["Mã trạm", "Kinh độ", "Vĩ độ", "Ghi chú"],
             ['=HYPERLINK("http://evil.example","bấm")', "107.1", "16.8", "+cmd|' /C calc'!A0"],
             ["QT2", "106.9", "16.7", "@SUM(A1:A2)"],
             ["QT3", "106.8", "16.6", "-5 dBm"]]
    st = read_stations(write_csv(tmp_path / "f.csv", table), boundary=BOUNDARY)
    assert len(st.stations) == 3
    assert st.stations["station_id"].iloc[0].startswith("=HYPERLINK")
    flagged = st.report[st.report["code"] == "formula"]
    assert sorted(flagged["row"]) == [2, 2, 3, 4]
    assert st.summary()["rejected"] == 0
