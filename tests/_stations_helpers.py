"""Builders of station files in every supported format, for the station tests.

Every builder writes real bytes a liaison could send (no mocks). Coordinates are in
and around Quảng Trị; ``BOUNDARY`` is a simple polygon standing in for the province
so the tests never need the embedded data.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
from shapely.geometry import Polygon

# A province stand-in: the box 106.0–107.2 E, 16.4–17.8 N (EPSG:4326).
BOUNDARY = Polygon([(106.0, 16.4), (107.2, 16.4), (107.2, 17.8), (106.0, 17.8)])

VI_HEADER = ["Mã trạm", "Nhà mạng", "Công nghệ", "Kinh độ", "Vĩ độ", "Độ cao anten (m)",
             "Băng tần (MHz)", "Hướng (°)", "Xã/Phường", "Ghi chú"]

# (id, operator, tech, lon, lat, height, band, azimuth, commune, note)
GOOD_ROWS = [
    ("QT001", "Viettel", "4G", "107.1000", "16.8000", "30", "1800", "0", "Đông Hà", "Trạm gốc"),
    ("QT002", "VinaPhone", "5G", "106.9000", "16.7500", "35", "3500", "", "Quảng Trị", "Trạm mới"),
    ("QT003", "MobiFone", "3G", "106.6000", "17.4800", "25", "2100", "120", "Đồng Hới", ""),
    ("QT004", "Viettel", "2G", "106.5000", "17.2000", "", "", "", "Lệ Thủy", "Đồi cao"),
]


def rows_as_table(rows=GOOD_ROWS, header=VI_HEADER) -> list[list[str]]:
    return [list(header)] + [list(r) for r in rows]


def write_csv(path: Path, table: list[list], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(table)
    data = buf.getvalue()
    if encoding == "windows-1258":
        path.write_bytes(encode_cp1258(data))
    else:
        path.write_bytes(data.encode(encoding))
    return path


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: precomposed base letter + combining tone mark."""
    import unicodedata

    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
        out += base.encode("cp1258") + "".join(c for c in d if c in _TONES).encode("cp1258")
    return bytes(out)


def write_xlsx(path: Path, table: list[list], *, header_row: int = 1, sheet: str = "Trạm BTS",
               extra_sheets: tuple[str, ...] = (), title: str | None = "DANH SÁCH TRẠM BTS") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title and header_row > 1:
        ws.cell(row=1, column=1, value=title)
        ws.cell(row=2, column=1, value="Sở Khoa học và Công nghệ tỉnh Quảng Trị")
    for r, row in enumerate(table):
        for c, v in enumerate(row):
            if v in ("", None):
                continue
            try:
                v = float(v) if c in (3, 4, 5, 6) else v
            except ValueError:
                pass
            ws.cell(row=header_row + r, column=c + 1, value=v)
    for name in extra_sheets:
        wb.create_sheet(name).cell(row=1, column=1, value="nothing here")
    wb.save(path)
    return path


def geodataframe(rows=GOOD_ROWS) -> gpd.GeoDataFrame:
    recs = [{"site_id": r[0], "operator": r[1], "technology": r[2], "height_m": r[5] or None,
             "band": r[6] or None, "commune": r[8]} for r in rows]
    return gpd.GeoDataFrame(recs, geometry=gpd.points_from_xy(
        [float(r[3]) for r in rows], [float(r[4]) for r in rows]), crs="EPSG:4326")


def write_geojson(path: Path, rows=GOOD_ROWS) -> Path:
    feats = []
    for r in rows:
        feats.append({"type": "Feature",
                      "properties": {"name": r[0], "operator": r[1], "technology": r[2]},
                      "geometry": {"type": "Point", "coordinates": [float(r[3]), float(r[4])]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def write_gpkg(path: Path, rows=GOOD_ROWS) -> Path:
    geodataframe(rows).to_file(path, layer="tram", driver="GPKG")
    return path


def write_shp_zip(path: Path, rows=GOOD_ROWS, tmp: Path | None = None) -> Path:
    folder = (tmp or path.parent) / "shp_parts"
    folder.mkdir(exist_ok=True)
    gdf = geodataframe(rows).to_crs("EPSG:3405")  # a projected Shapefile, as GIS offices send
    gdf.to_file(folder / "tram.shp", driver="ESRI Shapefile", encoding="utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, arcname=f"tram_bts/{p.name}")
    return path


def kml_text(rows=GOOD_ROWS) -> str:
    pms = []
    for r in rows:
        pms.append(
            f"<Placemark><name>{r[0]}</name><ExtendedData>"
            f"<Data name=\"Nhà mạng\"><value>{r[1]}</value></Data>"
            f"<Data name=\"Công nghệ\"><value>{r[2]}</value></Data></ExtendedData>"
            f"<Point><coordinates>{r[3]},{r[4]},0</coordinates></Point></Placemark>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document><Folder>{''.join(pms)}</Folder></Document></kml>")


def write_kml(path: Path, rows=GOOD_ROWS) -> Path:
    path.write_text(kml_text(rows), encoding="utf-8")
    return path


def write_kmz(path: Path, rows=GOOD_ROWS) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", kml_text(rows))
    return path


OPENCELLID_HEADER = ("radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,"
                     "updated,averageSignal")


def opencellid_lines() -> list[str]:
    return [
        # three LTE cells of one Viettel site (within ~20 m), one NR cell on the same site
        "LTE,452,4,10001,2001,0,107.10000,16.80000,1000,12,1,1600000000,1700000000,0",
        "LTE,452,4,10001,2002,0,107.10010,16.80010,1000,12,1,1600000000,1700000000,0",
        "LTE,452,4,10001,2003,0,107.10015,16.79990,1000,12,1,1600000000,1700000000,0",
        "NR,452,4,10001,9001,0,107.10005,16.80000,1000,3,1,1600000000,1700000000,0",
        # MobiFone GSM on the same mast: another operator, another site
        "GSM,452,1,300,51,0,107.10000,16.80000,2000,40,1,1600000000,1700000000,0",
        # VinaPhone UMTS elsewhere
        "UMTS,452,2,700,66001,0,106.60000,17.40000,1500,8,1,1600000000,1700000000,0",
        # far away (Hà Nội): rejected as outside
        "LTE,452,4,20001,3001,0,105.85000,21.02000,1000,12,1,1600000000,1700000000,0",
    ]


def write_opencellid_csv(path: Path, header: bool = True) -> Path:
    lines = ([OPENCELLID_HEADER] if header else []) + opencellid_lines()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def opencellid_gzip_bytes(extra_far_rows: int = 0) -> bytes:
    lines = [OPENCELLID_HEADER] + opencellid_lines()
    lines += [f"LTE,452,4,5,{i},0,105.8,21.0,1000,1,1,1,1,0" for i in range(extra_far_rows)]
    return gzip.compress(("\n".join(lines) + "\n").encode())


def xlsx_zip_bomb(path: Path, uncompressed_mb: int = 300) -> Path:
    """A workbook whose sheet expands to ``uncompressed_mb`` MB (compressed ~0.3 MB)."""
    good = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active["A1"] = "lat"
    wb.save(good)
    src = zipfile.ZipFile(io.BytesIO(good.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                continue
            zf.writestr(info.filename, data)
        chunk = b" " * (1 << 20)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for _ in range(uncompressed_mb):
                f.write(chunk)
    return path


# ---------------------------------------------------------------- committed fixture files

FIXTURE_HEADER = ["STT", "Mã trạm", "Tên trạm", "Nhà mạng", "Công nghệ", "Kinh độ", "Vĩ độ",
                  "Độ cao anten (m)", "Băng tần (MHz)", "Hướng (°)", "Xã/Phường", "Ghi chú"]
FIXTURE_ROWS = [
    [1, "QTI-DHA-001", "Đông Hà 1", "Viettel", "4G", 107.0995, 16.8163, 36, 1800, "0/120/240", "Đông Hà", "Cột tự đứng"],
    [2, "QTI-DHA-002", "Đông Hà 2", "VinaPhone", "5G", "107,1102", "16,8051", 30, 3500, "", "Đông Hà", ""],
    [3, "QTI-QTR-001", "Thành cổ", "MobiFone", "3G", "107°11'10\"E", "16°45'02\"N", 25, 2100, 90, "Quảng Trị", "Tọa độ độ-phút-giây"],
    [4, "QBH-DHO-001", "Đồng Hới 1", "Viettel", "4G", 17.4688, 106.6223, 40, 1800, "", "Đồng Hới", "Nhập ngược kinh/vĩ độ"],
    [5, "QBH-LTH-001", "Lệ Thủy", "Viettel", "2G/3G/4G", 106.7861, 17.2137, "", "", "", "Lệ Thủy", "Thiếu độ cao"],
    [6, "QTI-KSA-001", "Khe Sanh", "Vietnamobile", "4G", 106.7316, 16.6227, 900, 1800, "", "Khe Sanh", "Độ cao sai"],
    [7, "QBH-BDO-001", "Ba Đồn", "VinaPhone", "4G", 106.4231, 17.7549, 30, "12 GHz", "", "Ba Đồn", "Băng tần sai"],
    [8, "QTI-HXA-001", "Hồ Xá", "Viettel", "LTE", 107.0097, 17.0626, 32, "B3", 45, "Vĩnh Linh", ""],
    [9, "QTI-HXA-002", "Hồ Xá (trùng)", "Viettel", "LTE", 107.00972, 17.06262, 32, 1800, 45, "Vĩnh Linh", "Trùng trạm 8"],
    [10, "HUE-001", "Huế", "MobiFone", "4G", 107.6500, 16.4300, 30, 1800, "", "", "Ngoài tỉnh (Huế)"],
    [11, "DNG-001", "Đà Nẵng", "MobiFone", "4G", 108.2022, 16.0544, 30, 1800, "", "", "Xa tỉnh"],
    [12, "QBH-PNH-001", "Phong Nha", "Gmobile", "2G", 106.2817, 17.5906, 45, 900, "", "Phong Nha", ""],
    [13, "", "Không tọa độ", "Viettel", "4G", "", "", 30, 1800, "", "", "Thiếu tọa độ"],
]


def write_fixture_files(folder: Path) -> list[Path]:
    """(Re)write the committed fixtures under tests/fixtures/stations/."""
    folder.mkdir(parents=True, exist_ok=True)
    table = [FIXTURE_HEADER] + [[("" if v is None else v) for v in r] for r in FIXTURE_ROWS]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Trạm BTS"
    ws["A1"] = "DANH SÁCH TRẠM BTS TRÊN ĐỊA BÀN TỈNH QUẢNG TRỊ"
    ws["A2"] = "(Số liệu mẫu để kiểm thử — không phải dữ liệu thật của nhà mạng)"
    for r, row in enumerate(table):
        for c, v in enumerate(row):
            if v != "":
                ws.cell(row=4 + r, column=c + 1, value=v)
    xlsx = folder / "tram_bts_mau.xlsx"
    wb.save(xlsx)
    csv_path = folder / "tram_bts_windows1258.csv"
    write_csv(csv_path, [[str(v) for v in row] for row in table], encoding="windows-1258",
              delimiter=";")
    return [xlsx, csv_path]
