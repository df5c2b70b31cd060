"""Readers for the files telecom liaisons send: bytes in, a raw table out.

Private to :mod:`geo.stations`. Each reader turns one file format into a
:class:`RawTable` — column names, cell values and the row number a person sees in the
file — or raises :class:`StationFileError` with one clear sentence. Nothing else may
escape a reader (fuzz-tested).

Hostile input is refused before it costs memory: files over :data:`MAX_FILE_BYTES`,
more than :data:`MAX_ROWS` data rows (counted while streaming), zip archives whose
declared uncompressed size or compression ratio is absurd, encrypted workbooks, and
XML with a DTD or entities (parsed with ``defusedxml``, which never resolves them).
"""

from __future__ import annotations

import codecs
import csv
import html
import html.parser
import io
import json
import math
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pyproj import CRS

from geo._legacy_vn import LEGACY_NAMES, detect_legacy, legacy_to_unicode
from geo.names import strip_diacritics

__all__ = [
    "StationFileError",
    "RawTable",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIP_RATIO",
    "OPENCELLID_COLUMNS",
    "FIELD_ALIASES",
    "squash_header",
    "match_header",
    "alias_lookup",
    "read_source",
    "detect_kind",
    "read_table",
    "parse_gpkg_geometry",
]

MAX_FILE_BYTES = 50 * 1024 * 1024  # 50 MB upload limit
MAX_ROWS = 500_000
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024  # declared total inside one zip
MAX_ZIP_RATIO = 200.0  # uncompressed / compressed, for members over ZIP_RATIO_MIN_BYTES
ZIP_RATIO_MIN_BYTES = 5 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
HEADER_SEARCH_ROWS = 30  # header row looked for among the first rows of a sheet / CSV
SNIFF_BYTES = 64 * 1024

OPENCELLID_COLUMNS = (
    "radio", "mcc", "net", "area", "cell", "unit", "lon", "lat", "range",
    "samples", "changeable", "created", "updated", "averageSignal",
)

# canonical field -> accepted headers (compared after squash_header), Vietnamese and English.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "lon": ("kinhdo", "lon", "long", "longitude", "lng", "x", "toadox", "kinhdox", "easting"),
    "lat": ("vido", "lat", "latitude", "y", "toadoy", "vidoy", "northing"),
    "station_id": (
        "matram", "stationid", "siteid", "site", "tentram", "name", "station", "tram",
        "sitename", "ten", "ma", "id", "cellname", "macell", "cellid",
    ),
    "operator": ("nhamang", "operator", "mnc", "mang", "network", "carrier", "doanhnghiep", "net"),
    "technology": ("congnghe", "technology", "radio", "tech", "rat", "loaitram", "loai"),
    "band_mhz": ("bangtan", "band", "frequency", "freq", "tanso", "bangtanmhz", "frequencymhz", "bandmhz"),
    "height_m": (
        "docaoanten", "antennaheight", "height", "docao", "chieucaoanten", "docaoangten",
        "heightm", "antennaheightm", "docaoantenm", "caoanten",
    ),
    "eirp_dbm": ("congsuat", "eirp", "eirpdbm", "power", "congsuatphat", "congsuatdbm", "congsuateirp"),
    "azimuth_deg": ("huong", "azimuth", "gocphuongvi", "az", "huongphat", "huonganten", "azimuthdeg"),
    "tilt_deg": ("gocnghieng", "tilt", "downtilt", "donghieng", "tiltdeg", "gocnghiengdeg"),
    "commune": ("xa", "phuong", "xaphuong", "commune", "ward", "phuongxa", "xaphuongdackhu"),
}
_ALIAS_TO_FIELD = {alias: f for f, aliases in FIELD_ALIASES.items() for alias in aliases}


class StationFileError(ValueError):
    """A station file that cannot be read at all (wrong type, empty, hostile, too big)."""


@dataclass
class RawTable:
    """One table as read: header, cells, and where each row sits in the file.

    ``geometry`` is set by vector formats (GeoJSON, GeoPackage, Shapefile, KML): one
    ``(x, y)`` per row, or a string saying why the row has no usable point.
    """

    kind: str
    columns: list[str]
    rows: list[tuple[int, list]]
    geometry: list | None = None
    crs: CRS | None = None
    sheet: str | None = None
    header_row: int = 1
    notes: list[str] = field(default_factory=list)


def squash_header(text) -> str:
    """Header text without case, accents, units in brackets, spaces or punctuation."""
    t = re.sub(r"[\(\[].*?[\)\]]", "", strip_diacritics(str(text)).lower())
    return re.sub(r"[^a-z0-9]", "", t)


def alias_lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Squashed header -> canonical field for an alias table (the first field wins)."""
    out: dict[str, str] = {}
    for f, names in aliases.items():
        for a in names:
            out.setdefault(a, f)
    return out


_LOOKUPS: dict[int, tuple[dict, dict[str, str]]] = {}


def _cached_lookup(aliases: dict) -> dict[str, str]:
    hit = _LOOKUPS.get(id(aliases))
    if hit is None or hit[0] is not aliases:
        hit = (aliases, alias_lookup(aliases))
        _LOOKUPS[id(aliases)] = hit
    return hit[1]


def match_header(text, aliases: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The canonical field a header names, or ``None`` for an extra column.

    ``aliases`` is a point kind's table (field -> squashed headers); default the
    station list's :data:`FIELD_ALIASES`.
    """
    if text is None:
        return None
    lookup = _ALIAS_TO_FIELD if aliases is None else _cached_lookup(aliases)
    s = squash_header(text)
    if s in lookup:
        return lookup[s]
    full = re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFD", str(text)).lower())
    full = "".join(c for c in full if c.isascii())
    return lookup.get(full)


def _header_score(cells: Iterable, aliases=None) -> int:
    fields = {match_header(c, aliases) for c in cells if c is not None and str(c).strip()}
    fields.discard(None)
    score = len(fields)
    if {"lon", "lat"} <= fields:
        score += 10
    return score


# ---------------------------------------------------------------------------- input


def read_source(path_or_file) -> tuple[bytes, str]:
    """Read a path or file-like object into bytes (at most :data:`MAX_FILE_BYTES`).

    Returns ``(data, name)``; ``name`` is the file name used to guess the format.
    """
    limit_msg = (
        f"The file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit; "
        "split it or keep only the columns needed."
    )
    if isinstance(path_or_file, str | os.PathLike):
        p = Path(path_or_file)
        if not p.exists():
            raise StationFileError(f"File not found: {p}")
        if p.is_dir():
            raise StationFileError(f"{p} is a folder, not a station file.")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise StationFileError(limit_msg)
        with open(p, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        name = p.name
    elif isinstance(path_or_file, bytes | bytearray | memoryview):
        data, name = bytes(path_or_file), ""
    elif hasattr(path_or_file, "read"):
        if hasattr(path_or_file, "seek"):
            try:
                path_or_file.seek(0)
            except (OSError, ValueError):
                pass
        data = path_or_file.read(MAX_FILE_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = os.path.basename(str(getattr(path_or_file, "name", "") or ""))
    else:
        raise StationFileError(f"Cannot read stations from a {type(path_or_file).__name__}.")
    if len(data) > MAX_FILE_BYTES:
        raise StationFileError(limit_msg)
    if not data or not data.strip():
        raise StationFileError(f"The file {name or ''} is empty.".replace("  ", " "))
    return data, name


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_kind(data: bytes, name: str) -> str:
    """One of ``csv``, ``xlsx``, ``geojson``, ``gpkg``, ``shpzip``, ``kml``, ``kmz``."""
    ext = Path(name).suffix.lower()
    head = data[:512]
    if head.startswith(_OLE2_MAGIC):
        msg = (
            "This is a password-protected (encrypted) Excel workbook or an old .xls file; "
            "remove the password and save it as .xlsx (or CSV), then upload again."
        )
        raise StationFileError(msg)
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"PK"):
        zf = _open_zip(data)
        names = [i.filename.lower() for i in zf.infolist()]
        if any(n.startswith("xl/") for n in names) or "[content_types].xml" in names:
            return "xlsx"
        if any(n.endswith(".kml") for n in names):
            return "kmz"
        if any(n.endswith(".shp") for n in names):
            return "shpzip"
        msg = "The zip archive holds no Excel sheet, KML or Shapefile (.shp) to read stations from."
        raise StationFileError(msg)
    if ext in (".xlsx", ".xlsm", ".xls", ".kmz", ".gpkg", ".zip"):
        msg = f"The file is named {ext} but is not a valid {ext} file (it may be damaged)."
        raise StationFileError(msg)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if ext in (".geojson", ".json") or stripped[:1] in (b"{", b"["):
        return "geojson"
    if ext == ".kml" or stripped[:5].lower() in (b"<?xml", b"<kml ", b"<kml>"):
        return "kml"
    return "csv"


# ---------------------------------------------------------------------------- zip


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """Open a zip after checking it cannot blow up when extracted."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception as exc:  # BadZipFile, LargeZipFile, struct errors, ...
        raise StationFileError("The file looks like a zip archive but is damaged.") from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise StationFileError(f"The zip archive holds {len(infos)} files; refusing more than {MAX_ZIP_MEMBERS}.")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            msg = (
                "The file is encrypted (password-protected); remove the password and upload again."
            )
            raise StationFileError(msg)
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ZIP_RATIO_MIN_BYTES and ratio > MAX_ZIP_RATIO:
            msg = (
                f"Refusing a compressed file whose member {info.filename!r} expands {ratio:.0f}× "
                f"(limit {MAX_ZIP_RATIO:.0f}×): it looks like a zip bomb."
            )
            raise StationFileError(msg)
    if total > MAX_UNZIPPED_BYTES:
        msg = (
            f"Refusing a compressed file that expands to {total / 2**20:.0f} MB "
            f"(limit {MAX_UNZIPPED_BYTES // 2**20} MB)."
        )
        raise StationFileError(msg)
    return zf


# ---------------------------------------------------------------------------- text


_VIET_SIGNAL = set("ăâđêôơưĂÂĐÊÔƠƯ")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text table: UTF-8 (BOM or not), UTF-16 with BOM, Windows-1258 or cp1252.

    Windows-1258 writes Vietnamese with combining tone marks and letters such as ``đ`` /
    ``ơ`` / ``ư`` at code points cp1252 uses for Icelandic/Portuguese letters; a file
    whose cp1258 reading yields such letters (or combining marks that compose) is taken
    as Windows-1258, otherwise cp1252. Returns ``(text NFC, encoding)``.
    """
    if data.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"
    else:
        enc = None
    if enc is None and b"\x00" in data[:SNIFF_BYTES]:
        enc = _utf16_without_bom(data[:SNIFF_BYTES])
    if enc:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            raise StationFileError(f"The file says it is {enc} but is not valid {enc} text.") from exc
    else:
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text = enc = None
            legacy = _legacy_text(data)
            if legacy is not None:
                text, enc = legacy
            else:
                text, enc = _decode_windows(data)
    sample = text[:SNIFF_BYTES]
    controls = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\r\n") or 0x7F <= ord(c) < 0xA0)
    if "\x00" in sample or controls > max(2, len(sample) // 200):
        raise StationFileError(_not_text_msg())
    return unicodedata.normalize("NFC", text), enc


def _decode_windows(data: bytes) -> tuple[str, str]:
    """Windows-1258 when its reading yields Vietnamese letters (or composing marks), else cp1252."""
    try:
        t1258 = data.decode("cp1258")
    except UnicodeDecodeError:
        t1258 = None
    if t1258 is not None:
        nfc = unicodedata.normalize("NFC", t1258)
        if len(nfc) < len(t1258) or any(c in _VIET_SIGNAL for c in nfc):
            return nfc, "windows-1258"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        if t1258 is None:
            raise StationFileError(_not_text_msg()) from None
        return unicodedata.normalize("NFC", t1258), "windows-1258"


def _utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` when NUL bytes sit at alternate positions (text without BOM)."""
    n = len(sample) - len(sample) % 2
    if n < 4:
        return None
    even, odd = sample[0:n:2], sample[1:n:2]
    half = n // 2
    if odd.count(0) > 0.4 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.4 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def _legacy_text(data: bytes) -> tuple[str, str] | None:
    """TCVN3 / VNI text converted to Unicode, or ``None`` when the bytes are not in either."""
    try:
        latin = data.decode("cp1252")
    except UnicodeDecodeError:
        latin = data.decode("latin-1")
    legacy = detect_legacy(latin)
    if legacy is None:
        return None
    return legacy_to_unicode(latin, legacy), legacy


def legacy_note(notes: list[str]) -> tuple[str, str] | None:
    """(vi, en) sentence naming a TCVN3/VNI encoding found in a table's notes, else ``None``."""
    for n in notes:
        if n.startswith("encoding=") and n[9:] in LEGACY_NAMES:
            name = LEGACY_NAMES[n[9:]]
            return (f"Bảng mã {name}: đã chuyển sang Unicode — kiểm tra tên có dấu",
                    f"Encoding {name}: converted to Unicode — check the accented names")
    return None


def _not_text_msg() -> str:
    return (
        "The file is not a readable table (binary content): upload CSV, Excel (.xlsx), "
        "GeoJSON, GeoPackage, zipped Shapefile or KML/KMZ."
    )


def _sniff_delimiter(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sum(ln.count(d) for ln in lines) for d in ";\t,|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _choose_header(first_rows: list[tuple[int, list]], aliases=None) -> int:
    """Index (in ``first_rows``) of the header row: the row naming the most fields."""
    best_i, best_score = -1, 0
    for i, (_, cells) in enumerate(first_rows[:HEADER_SEARCH_ROWS]):
        score = _header_score(cells, aliases)
        if score > best_score:
            best_i, best_score = i, score
    if best_i < 0:
        msg = (
            "No header row found: the first rows name no known column (expected e.g. "
            "'Kinh độ'/'longitude' and 'Vĩ độ'/'latitude')."
        )
        raise StationFileError(msg)
    return best_i


def _too_many_rows() -> StationFileError:
    return StationFileError(
        f"The file has more than {MAX_ROWS:,} rows; split it into smaller files "
        "(the limit keeps the app responsive)."
    )


def _is_blank(cells: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _finish_table(kind: str, numbered: Iterable[tuple[int, list]], *, sheet=None, aliases=None) -> RawTable:
    """Find the header among the first rows, then collect data rows (≤ MAX_ROWS)."""
    it = iter(numbered)
    head: list[tuple[int, list]] = []
    for rn, cells in it:
        if not _is_blank(cells):
            head.append((rn, cells))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    if not head:
        raise StationFileError("The file holds no rows.")
    legacy = None
    if kind == "xlsx":
        legacy = detect_legacy(" ".join(str(c) for _, cells in head for c in cells if isinstance(c, str)))
        if legacy is not None:
            head = [(rn, _legacy_cells(cells, legacy)) for rn, cells in head]
            it = ((rn, _legacy_cells(cells, legacy)) for rn, cells in it)
    opencellid = _opencellid_headerless(head[0][1])
    if opencellid:
        columns = list(OPENCELLID_COLUMNS)
        header_row, rest_head = 0, head
    else:
        hi = _choose_header(head, aliases)
        header_row = head[hi][0]
        columns = [("" if c is None else str(c).strip()) for c in head[hi][1]]
        rest_head = head[hi + 1:]
    columns = _dedupe_columns(columns)
    rows: list[tuple[int, list]] = []

    def add(rn, cells):
        if _is_blank(cells):
            return
        if len(rows) >= MAX_ROWS:
            raise _too_many_rows()
        rows.append((rn, list(cells)))

    for rn, cells in rest_head:
        add(rn, cells)
    for rn, cells in it:
        add(rn, cells)
    table = RawTable(kind=kind, columns=columns, rows=rows, sheet=sheet, header_row=header_row)
    if legacy is not None:
        table.notes.append(f"encoding={legacy}")
    if opencellid:
        table.notes.append("opencellid-headerless")
    return table


def _legacy_cells(cells: list, legacy: str) -> list:
    return [legacy_to_unicode(c, legacy) if isinstance(c, str) else c for c in cells]


def _opencellid_headerless(cells: list) -> bool:
    return (
        len(cells) == len(OPENCELLID_COLUMNS)
        and str(cells[0]).strip().upper() in {"GSM", "UMTS", "LTE", "NR", "CDMA", "NBIOT"}
        and str(cells[1]).strip().isdigit()
    )


def _dedupe_columns(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, c in enumerate(columns):
        c = c or f"column_{i + 1}"
        if c in seen:
            seen[c] += 1
            c = f"{c}_{seen[c]}"
        else:
            seen[c] = 1
        out.append(c)
    return out


def _precount_records(text: str, delim: str) -> None:
    """Refuse a text table of more than MAX_ROWS records before building any row."""
    n = 0
    try:
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
            if any(rec):
                n += 1
                if n > MAX_ROWS + 1:  # + the header row
                    raise _too_many_rows()
    except csv.Error:
        return  # the real pass reports the malformed line


def _check_runaway_quote(cells: list[str], start: int, end: int, delim: str, *, at_end: bool) -> None:
    """Refuse a record that a stray, never-closed quote stretched over following lines.

    A cell that opens ``"`` and never closes it (``"cot 12m``) takes every following
    line into one field: the file would read as fewer rows than it has. A record over
    several physical lines is legitimate only when its line breaks sit inside a
    properly quoted cell that holds no further rows — so a multi-line cell whose
    continuation holds the delimiter, or that runs to the end of the file, is taken as
    a runaway quote and the line that opened it is named (issue #12).
    """
    for cell in cells:
        if "\n" not in cell and "\r" not in cell:
            continue
        rest = cell.split("\n", 1)[-1]
        if delim in rest or at_end:
            span = f"{start + 1}" if end == start + 1 else f"{start + 1}–{end}"
            msg = (
                f"Dòng {start}: dấu ngoặc kép (\") mở mà không đóng, nuốt dòng {span} vào một ô; "
                f"hãy đóng hoặc xóa dấu ngoặc kép rồi tải lại. / Line {start}: a quote (\") is opened "
                f"and never closed, so line(s) {span} were swallowed into one cell; close or remove "
                "the quote and upload again."
            )
            raise StationFileError(msg)


def _odd_quotes_from(text: str, line: int) -> bool:
    """True when the text from physical ``line`` (1-based) to the end holds an odd number of ``"``."""
    pos = 0
    for _ in range(line - 1):
        nxt = text.find("\n", pos)
        if nxt < 0:
            break
        pos = nxt + 1
    return text.count('"', pos) % 2 == 1


def _read_csv(data: bytes, aliases=None) -> RawTable:
    text, enc = decode_text(data)
    delim = _sniff_delimiter(text[:SNIFF_BYTES])
    csv.field_size_limit(1 << 20)
    if text.count("\n") > MAX_ROWS:
        _precount_records(text, delim)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)

    def numbered():
        prev_line = 0
        try:
            for cells in reader:
                start = prev_line + 1
                prev_line = reader.line_num
                if prev_line > start:
                    at_end = prev_line >= n_lines and _odd_quotes_from(text, start)
                    _check_runaway_quote(cells, start, prev_line, delim, at_end=at_end)
                yield start, cells
        except csv.Error as exc:
            msg = f"The text table is malformed near line {prev_line + 1}: {exc}."
            raise StationFileError(msg) from exc

    n_lines = max(text.count("\n"), text.count("\r")) + (0 if text.endswith(("\n", "\r")) else 1)
    csv.field_size_limit(1 << 20)
    table = _finish_table("csv", numbered(), aliases=aliases)
    table.notes.append(f"encoding={enc}")
    table.notes.append(f"delimiter={delim!r}")
    return table


# ---------------------------------------------------------------------------- xlsx


MAX_XLSX_COLUMNS = 1_000  # columns a station/village/measurement sheet may use
MAX_XLSX_CELLS = 30_000_000  # cells read from one sheet (500,000 rows × 60 columns)
SLIM_MIN_BYTES = 1 << 20  # sheets larger than this lose their value-less cells before parsing
_EMPTY_CELL = re.compile(
    rb'<(?:\w+:)?c\s+r="[A-Z]{1,3}[0-9]{1,7}"(?:\s+[\w:]+="[^"<>]*")*\s*(?:/>|>\s*</(?:\w+:)?c>)'
)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[^"]*"\s*/>')


def _slim_xlsx(data: bytes) -> bytes:
    """The workbook with value-less cells and the declared used range removed from big sheets.

    A row padded with empty styled cells to column XFD (16,384) costs openpyxl gigabytes
    although it holds nothing (issue #12). Dropping ``<c r=".." s=".."/>`` elements
    changes no value (each remaining cell keeps its ``r`` address) and makes parsing
    proportional to the cells that hold something.
    """
    zf = _open_zip(data)
    big = [i for i in zf.infolist()
           if i.filename.lower().startswith("xl/worksheets/") and i.file_size > SLIM_MIN_BYTES]
    if not big:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in zf.infolist():
            raw = zf.read(info)
            if info in big:
                raw = _DIMENSION.sub(b"", _EMPTY_CELL.sub(b"", raw))
            dst.writestr(info.filename, raw)
    return out.getvalue()


def _sheet_rows(ws):
    """``(row number, cells)`` of a read-only sheet, bounded in columns and in cells read."""
    try:
        ws.reset_dimensions()  # never pad rows to a declared (possibly hostile) used range
    except AttributeError:
        pass
    cells = 0
    for i, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
        if len(row) > MAX_XLSX_COLUMNS:
            msg = (f"Dòng {i} của trang «{ws.title}» dùng {len(row):,} cột (tối đa {MAX_XLSX_COLUMNS:,}). / "
                   f"Row {i} of sheet {ws.title!r} uses {len(row):,} columns (limit "
                   f"{MAX_XLSX_COLUMNS:,}); delete the far-right cells and upload again.")
            raise StationFileError(msg)
        cells += len(row)
        if cells > MAX_XLSX_CELLS:
            msg = (f"The sheet {ws.title!r} holds more than {MAX_XLSX_CELLS:,} cells; "
                   "keep only the columns needed or split it.")
            raise StationFileError(msg)
        yield i, list(row)


def _read_xlsx(data: bytes, sheet: str | None, aliases=None) -> RawTable:
    data = _slim_xlsx(data)
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise StationFileError(f"The Excel workbook cannot be opened: {_short(exc)}.") from exc
    try:
        names = list(wb.sheetnames)
        if sheet is not None:
            wanted = squash_header(sheet)
            match = [n for n in names if n == sheet] or [n for n in names if squash_header(n) == wanted]
            if not match:
                msg = f"The workbook has no sheet named {sheet!r}; its sheets are: {', '.join(names)}."
                raise StationFileError(msg)
            candidates = match[:1]
        else:
            candidates = names
        last_error: StationFileError | None = None
        for name in candidates:
            ws = wb[name]
            if not hasattr(ws, "iter_rows"):
                continue  # chartsheet

            try:
                return _finish_table("xlsx", _sheet_rows(ws), sheet=name, aliases=aliases)
            except StationFileError as exc:
                if "rows;" in str(exc) or "cells" in str(exc) or "columns" in str(exc) or sheet is not None:
                    raise
                last_error = exc
        msg = "No sheet of the workbook has a header row naming the coordinates"
        if last_error is not None:
            msg += f" ({last_error})"
        raise StationFileError(msg.rstrip(".") + ".")
    except StationFileError:
        raise
    except Exception as exc:
        raise StationFileError(f"The Excel workbook cannot be read: {_short(exc)}.") from exc
    finally:
        try:
            wb.close()
        except Exception:
            pass


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------------------- GeoJSON


def _geojson_crs(obj: dict) -> CRS | None:
    crs = obj.get("crs")
    if not isinstance(crs, dict):
        return None
    name = (crs.get("properties") or {}).get("name") if isinstance(crs.get("properties"), dict) else None
    if not name:
        return None
    m = re.search(r"EPSG:*:?(\d+)$", str(name))
    try:
        return CRS.from_epsg(int(m.group(1))) if m else CRS.from_user_input(str(name))
    except Exception as exc:
        raise StationFileError(f"The GeoJSON names an unknown coordinate system {name!r}.") from exc


_NON_FINITE = "point with non-finite coordinates (NaN or Infinity)"


def _point_of(geom) -> tuple[float, float] | str:
    if not isinstance(geom, dict):
        return "no geometry"
    gtype = geom.get("type")
    coords = geom.get("coordinates")
    if gtype == "MultiPoint" and isinstance(coords, list) and len(coords) == 1:
        gtype, coords = "Point", coords[0]
    if gtype != "Point":
        return f"geometry is a {gtype}, not a point"
    if not isinstance(coords, list | tuple) or len(coords) < 2:
        return "point without coordinates"
    try:
        x, y = float(coords[0]), float(coords[1])
    except (TypeError, ValueError):
        return "point with non-numeric coordinates"
    if not (math.isfinite(x) and math.isfinite(y)):
        return _NON_FINITE
    return (x, y)


def _read_geojson(data: bytes) -> RawTable:
    text, _ = decode_text(data)
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StationFileError(f"The GeoJSON is not valid JSON: {_short(exc)}.") from exc
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        feats = obj.get("features")
    elif isinstance(obj, dict) and obj.get("type") == "Feature":
        feats = [obj]
    elif isinstance(obj, list):
        feats = obj
    else:
        raise StationFileError("The JSON file is not a GeoJSON FeatureCollection of points.")
    if not isinstance(feats, list):
        raise StationFileError("The GeoJSON 'features' member is not a list.")
    if len(feats) > MAX_ROWS:
        raise _too_many_rows()
    if not feats:
        raise StationFileError("The GeoJSON holds no features.")
    crs = _geojson_crs(obj) if isinstance(obj, dict) else None
    columns: dict[str, None] = {}
    props_list = []
    geoms = []
    for f in feats:
        props = f.get("properties") if isinstance(f, dict) else None
        props = props if isinstance(props, dict) else {}
        for k in props:
            columns.setdefault(str(k), None)
        props_list.append({str(k): v for k, v in props.items()})
        geoms.append(_point_of(f.get("geometry")) if isinstance(f, dict) else "not a feature")
    cols = list(columns)
    rows = [
        (i + 1, [_cell(p.get(c)) for c in cols]) for i, p in enumerate(props_list)
    ]
    return RawTable("geojson", cols, rows, geometry=geoms, crs=crs or CRS.from_epsg(4326), header_row=0)


def _cell(v):
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return v


# ---------------------------------------------------------------------------- OGR (GPKG, SHP)


def _read_ogr(path: str, kind: str, layer: str | None) -> RawTable:
    import warnings

    import pyogrio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL warns about damaged files; we raise instead
        return _read_ogr_quiet(path, kind, layer, pyogrio)


def _named_layer(layer: str, names: list[str]) -> str:
    """``layer`` when the file has it; else an error listing the layers it has."""
    if layer not in names:
        msg = f"The file has no layer named {layer!r}; its layers are: {', '.join(names)}."
        raise StationFileError(msg)
    return layer


def _read_ogr_quiet(path: str, kind: str, layer: str | None, pyogrio) -> RawTable:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise StationFileError(f"The {kind} file cannot be opened: {_short(exc)}.") from exc
    names = [str(n) for n, _ in layers]
    if not names:
        raise StationFileError(f"The {kind} file holds no layer.")
    if layer is not None:
        chosen = _named_layer(layer, names)
    else:
        points = [str(n) for n, g in layers if g and "point" in str(g).lower()]
        chosen = points[0] if points else names[0]
    try:
        info = pyogrio.read_info(path, layer=chosen)
        if info.get("features", 0) > MAX_ROWS:
            raise _too_many_rows()
        df = pyogrio.read_dataframe(path, layer=chosen)
    except StationFileError:
        raise
    except Exception as exc:
        raise StationFileError(f"The {kind} layer {chosen!r} cannot be read: {_short(exc)}.") from exc
    geoms: list = []
    gcol = getattr(df, "geometry", None) if "geometry" in df.columns else None
    for g in (gcol if gcol is not None else [None] * len(df)):
        if g is None or g.is_empty:
            geoms.append("no geometry")
        elif g.geom_type == "Point":
            geoms.append((float(g.x), float(g.y)))
        elif g.geom_type == "MultiPoint" and len(g.geoms) == 1:
            geoms.append((float(g.geoms[0].x), float(g.geoms[0].y)))
        else:
            geoms.append(f"geometry is a {g.geom_type}, not a point")
    cols = [str(c) for c in df.columns if c != "geometry"]
    rows = []
    values = df[cols].astype(object).to_numpy() if cols else [[] for _ in range(len(df))]
    for i, vals in enumerate(values):
        rows.append((i + 1, [None if _isnull(v) else v for v in vals]))
    crs = None
    if getattr(df, "crs", None) is not None:
        try:
            crs = CRS.from_user_input(df.crs)
        except Exception:
            crs = None
    return RawTable(kind, cols, rows, geometry=geoms, crs=crs, sheet=chosen, header_row=0)


def _isnull(v) -> bool:
    try:
        return v is None or (isinstance(v, float) and v != v) or str(v) in ("NaT", "<NA>")
    except Exception:
        return False


GPKG_TIME_LIMIT_S = 20.0  # any one SQLite query on an upload is stopped after this
_GPKG_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def parse_gpkg_geometry(blob):
    """A shapely geometry from GeoPackage binary (``GP`` header + WKB, OGC 12-128r18 §2.1.3).

    Returns ``None`` for a NULL or empty geometry; raises :class:`ValueError` for a blob
    that is not GeoPackage binary or whose WKB is damaged.
    """
    import shapely

    if blob is None:
        return None
    blob = bytes(blob)
    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not GeoPackage binary (no 'GP' header)")
    flags = blob[3]
    if flags & 0x10:  # the empty-geometry flag
        return None
    env = _GPKG_ENVELOPE_BYTES.get((flags >> 1) & 0x7)
    if env is None:
        raise ValueError("bad GeoPackage envelope flag")
    try:
        geom = shapely.from_wkb(blob[8 + env:])
    except Exception as exc:  # shapely.errors.GEOSException
        raise ValueError(f"damaged WKB: {_short(exc)}") from exc
    return None if geom is None or geom.is_empty else geom


def _quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _gpkg_connect(path: str):
    """Open an upload read-only, with every query bounded in time (a recursive view never ends)."""
    import sqlite3
    import time

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    deadline = time.monotonic() + GPKG_TIME_LIMIT_S
    con.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
    con.execute("PRAGMA query_only = 1")
    try:
        con.execute("PRAGMA trusted_schema = OFF")
    except sqlite3.DatabaseError:
        pass
    return con


def _gpkg_layer(con, layer: str | None) -> tuple[str, str | None, int | None]:
    """(table, geometry column, srs_id) of the feature table to read; views and the rest refused."""
    kinds = dict(con.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table','view')"))
    for meta in ("gpkg_contents", "gpkg_geometry_columns"):
        if kinds.get(meta) != "table":
            raise StationFileError("The file is an SQLite database but not a GeoPackage (no gpkg_contents table).")
    contents = con.execute("SELECT table_name, data_type FROM gpkg_contents LIMIT 10000").fetchall()
    geo_cols = {str(t): (str(c), str(g or ""), s) for t, c, g, s in con.execute(
        "SELECT table_name, column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns LIMIT 10000")}
    names = [str(t) for t, _ in contents]
    if layer is not None:
        chosen = _named_layer(layer, names)
    else:
        features = [str(t) for t, d in contents if str(d) == "features" and kinds.get(str(t)) == "table"]
        if not features:
            if not names:
                raise StationFileError("The GeoPackage file holds no layer.")
            raise StationFileError(
                "The GeoPackage holds no plain feature table (only views or attribute tables); "
                "save the points as a feature table and upload again.")
        points = [t for t in features if "point" in geo_cols.get(t, ("", "", None))[1].lower()]
        chosen = (points or features)[0]
    if kinds.get(chosen) != "table":
        msg = (f"The GeoPackage layer {chosen!r} is a view, not a table; views are not read "
               "(they can run without end). Save it as a table and upload again.")
        raise StationFileError(msg)
    gcol, _, srs_id = geo_cols.get(chosen, (None, "", None))
    return chosen, gcol, srs_id


def _gpkg_crs(con, srs_id) -> CRS | None:
    if srs_id is None or int(srs_id) <= 0:
        return None
    row = con.execute("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys"
                      " WHERE srs_id = ?", (int(srs_id),)).fetchone()
    try:
        if row and str(row[0]).upper() == "EPSG":
            return CRS.from_epsg(int(row[1]))
        if row and row[2] and str(row[2]) != "undefined":
            return CRS.from_user_input(str(row[2]))
        return CRS.from_epsg(int(srs_id))
    except Exception:
        return None


def _gpkg_point(blob) -> tuple[float, float] | str:
    try:
        g = parse_gpkg_geometry(blob)
    except ValueError:
        return "point with unreadable coordinates"
    if g is None:
        return "no geometry"
    if g.geom_type == "MultiPoint" and len(g.geoms) == 1:
        g = g.geoms[0]
    if g.geom_type != "Point":
        return f"geometry is a {g.geom_type}, not a point"
    x, y = float(g.x), float(g.y)
    return (x, y) if math.isfinite(x) and math.isfinite(y) else _NON_FINITE


def _cell_value(v):
    if isinstance(v, bytes | memoryview):
        return f"<{len(bytes(v))} bytes>"
    return v


def _read_gpkg_file(path: str, layer: str | None) -> RawTable:
    import sqlite3

    try:
        con = _gpkg_connect(path)
    except sqlite3.DatabaseError as exc:
        raise StationFileError(f"The GeoPackage file cannot be opened: {_short(exc)}.") from exc
    try:
        chosen, gcol, srs_id = _gpkg_layer(con, layer)
        table = _quote_ident(chosen)
        (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        if n > MAX_ROWS:
            raise _too_many_rows()
        info = con.execute(f"PRAGMA table_info({table})").fetchall()
        pk = [r[1] for r in info if r[5] and str(r[2]).upper() == "INTEGER"]
        cols = [str(r[1]) for r in info if r[1] != gcol and not (len(pk) == 1 and r[1] == pk[0])]
        select = ", ".join([_quote_ident(gcol) if gcol else "NULL"] + [_quote_ident(c) for c in cols])
        order = f" ORDER BY {_quote_ident(pk[0])}" if len(pk) == 1 else ""
        geoms, rows = [], []
        for i, rec in enumerate(con.execute(f"SELECT {select} FROM {table}{order}"), start=1):
            geoms.append(_gpkg_point(rec[0]) if gcol else "no geometry")
            rows.append((i, [_cell_value(v) for v in rec[1:]]))
        crs = _gpkg_crs(con, srs_id)
    except StationFileError:
        raise
    except sqlite3.OperationalError as exc:
        if "interrupt" in str(exc).lower():
            msg = f"Reading the GeoPackage took longer than {GPKG_TIME_LIMIT_S:g} s; refusing it."
            raise StationFileError(msg) from exc
        raise StationFileError(f"The GeoPackage cannot be read: {_short(exc)}.") from exc
    except sqlite3.DatabaseError as exc:
        raise StationFileError(f"The GeoPackage cannot be read: {_short(exc)}.") from exc
    finally:
        con.close()
    return RawTable("gpkg", cols, rows, geometry=geoms, crs=crs, sheet=chosen, header_row=0)


def _read_gpkg(data: bytes, layer: str | None) -> RawTable:
    """A GeoPackage upload, read with :mod:`sqlite3` read-only: plain feature tables only.

    Views (which can recurse without end), attribute tables and anything not in
    ``gpkg_contents`` as a table are refused; every query is bounded by
    :data:`GPKG_TIME_LIMIT_S` (issue #12).
    """
    with tempfile.TemporaryDirectory(prefix="lomsong-upload-") as tmp:
        path = os.path.join(tmp, "upload.gpkg")
        with open(path, "wb") as f:
            f.write(data)
        return _read_gpkg_file(path, layer)


_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _read_shpzip(data: bytes, layer: str | None) -> RawTable:
    zf = _open_zip(data)
    shps = [i for i in zf.infolist() if i.filename.lower().endswith(".shp")]
    if layer is not None:
        shps = [i for i in shps if Path(i.filename).stem == layer] or shps
    if not shps:
        raise StationFileError("The zip archive holds no Shapefile (.shp).")
    stem = shps[0].filename[:-4]
    with tempfile.TemporaryDirectory(prefix="lomsong-upload-") as tmp:
        for info in zf.infolist():
            base, ext = info.filename[: -4], info.filename[-4:].lower()
            if base == stem and ext in _SHP_PARTS:
                target = os.path.join(tmp, "upload" + ext)  # never a name from the archive
                try:
                    with zf.open(info) as src, open(target, "wb") as dst:
                        dst.write(src.read(info.file_size + 1)[: info.file_size])
                except Exception as exc:
                    raise StationFileError(f"The zipped Shapefile is damaged: {_short(exc)}.") from exc
        if not os.path.exists(os.path.join(tmp, "upload.dbf")):
            raise StationFileError("The zipped Shapefile has no .dbf attribute table.")
        table = _read_ogr(os.path.join(tmp, "upload.shp"), "Shapefile", None)
    table.kind = "shpzip"
    table.sheet = Path(stem).name
    return table


# ---------------------------------------------------------------------------- KML / KMZ


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _read_kml(data: bytes) -> RawTable:
    from defusedxml import ElementTree as DET

    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception as exc:  # DTDForbidden, EntitiesForbidden, ParseError, ...
        kind = type(exc).__name__
        if "Forbidden" in kind:
            msg = "Refusing a KML file with a DTD or entity declarations (unsafe XML)."
        else:
            msg = f"The KML file is not valid XML: {_short(exc)}."
        raise StationFileError(msg) from exc
    placemarks = [el for el in root.iter() if _local(el.tag) == "Placemark"]
    if not placemarks:
        raise StationFileError("The KML file holds no placemarks.")
    if len(placemarks) > MAX_ROWS:
        raise _too_many_rows()
    columns: dict[str, None] = {"name": None, "description": None}
    records, geoms = [], []
    for pm in placemarks:
        rec: dict[str, object] = {}
        point = None
        other = None
        for el in pm.iter():
            tag = _local(el.tag)
            if tag in ("name", "description") and el is not pm and tag not in rec:
                rec[tag] = (el.text or "").strip()
            elif tag == "Data" and el.get("name"):
                val = next((c.text for c in el if _local(c.tag) == "value"), None)
                rec[str(el.get("name"))] = (val or "").strip()
            elif tag == "SimpleData" and el.get("name"):
                rec[str(el.get("name"))] = (el.text or "").strip()
            elif tag == "Point" and point is None:
                coords = next((c.text for c in el.iter() if _local(c.tag) == "coordinates"), None)
                point = _kml_point(coords)
            elif tag in ("LineString", "Polygon", "LinearRing") and other is None:
                other = tag
        for key, value in _description_fields(rec.get("description")).items():
            rec.setdefault(key, value)  # ExtendedData wins over the popup table
        for k in rec:
            columns.setdefault(k, None)
        records.append(rec)
        geoms.append(point if point is not None else (f"geometry is a {other}, not a point" if other else "no point"))
    cols = list(columns)
    rows = [(i + 1, [r.get(c) for c in cols]) for i, r in enumerate(records)]
    return RawTable("kml", cols, rows, geometry=geoms, crs=CRS.from_epsg(4326), header_row=0)


MAX_DESCRIPTION_CHARS = 200_000  # a popup table beyond this is kept as text, not parsed


class _PopupTable(html.parser.HTMLParser):
    """Collect the cells of each ``<tr>`` of an HTML popup table, in one linear pass."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._close_cell()
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._close_cell()
        elif tag == "tr":
            self._close_row()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def _close_cell(self):
        if self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
        self._cell = None

    def _close_row(self):
        self._close_cell()
        if self._row is not None:
            self.rows.append(self._row)
        self._row = None

    def close(self):
        super().close()
        self._close_row()


def _description_fields(description) -> dict[str, str]:
    """Key/value rows of an HTML popup table in a KML description.

    ArcGIS, Google My Maps and many GIS exports write a placemark's attributes as a
    two-column ``<table>`` in ``<description>`` instead of ExtendedData. Parsed with
    :class:`html.parser.HTMLParser` (linear time); a description longer than
    :data:`MAX_DESCRIPTION_CHARS` is kept as text only (issue #12: the old regular
    expression took minutes on 23 KB).
    """
    text = str(description) if description else ""
    if not text or "<t" not in text.lower() or len(text) > MAX_DESCRIPTION_CHARS:
        return {}
    parser = _PopupTable()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # malformed HTML: no table fields
        return {}
    out: dict[str, str] = {}
    for cells in parser.rows:
        if len(cells) != 2:
            continue
        k, v = cells
        if k and k.lower() not in ("name", "description") and k not in out:
            out[k] = v
    return out


def _kml_point(text) -> tuple[float, float] | str:
    if not text or not text.strip():
        return "point without coordinates"
    first = text.strip().split()[0].split(",")
    try:
        x, y = float(first[0]), float(first[1])
    except (ValueError, IndexError):
        return "point with unreadable coordinates"
    return (x, y) if math.isfinite(x) and math.isfinite(y) else _NON_FINITE


def _read_kmz(data: bytes) -> RawTable:
    zf = _open_zip(data)
    kmls = [i for i in zf.infolist() if i.filename.lower().endswith(".kml")]
    if not kmls:
        raise StationFileError("The KMZ archive holds no .kml file.")
    main = next((i for i in kmls if i.filename.lower() == "doc.kml"), kmls[0])
    if main.file_size > MAX_FILE_BYTES:
        raise StationFileError("The KML inside the KMZ is larger than the 50 MB limit.")
    try:
        with zf.open(main) as f:
            inner = f.read(MAX_FILE_BYTES + 1)
    except Exception as exc:
        raise StationFileError(f"The KMZ archive is damaged: {_short(exc)}.") from exc
    table = _read_kml(inner)
    table.kind = "kmz"
    return table


# ---------------------------------------------------------------------------- dispatch


def read_table(data: bytes, name: str = "", *, sheet: str | None = None, aliases=None) -> RawTable:
    """Read any supported format into a :class:`RawTable`.

    ``aliases`` (field -> squashed headers) is the point kind whose header row is
    looked for in CSV and Excel files; default the station list's.

    Raises :class:`StationFileError` — and nothing else — for a file that cannot be read.
    """
    try:
        kind = detect_kind(data, name)
        if kind == "csv":
            return _read_csv(data, aliases)
        if kind == "xlsx":
            return _read_xlsx(data, sheet, aliases)
        if kind == "geojson":
            return _read_geojson(data)
        if kind == "gpkg":
            return _read_gpkg(data, sheet)
        if kind == "shpzip":
            return _read_shpzip(data, sheet)
        if kind == "kml":
            return _read_kml(data)
        return _read_kmz(data)
    except StationFileError:
        raise
    except MemoryError as exc:
        raise StationFileError("The file is too large to read in memory.") from exc
    except Exception as exc:  # last line of defence: one documented error type only
        raise StationFileError(f"The file cannot be read: {_short(exc)}.") from exc
