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
import io
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pyproj import CRS

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
    if enc:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            raise StationFileError(f"The file says it is {enc} but is not valid {enc} text.") from exc
    else:
        if b"\x00" in data[:SNIFF_BYTES]:
            raise StationFileError(_not_text_msg())
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text = enc = None
            try:
                t1258 = data.decode("cp1258")
            except UnicodeDecodeError:
                t1258 = None
            if t1258 is not None:
                nfc = unicodedata.normalize("NFC", t1258)
                if len(nfc) < len(t1258) or any(c in _VIET_SIGNAL for c in nfc):
                    text, enc = nfc, "windows-1258"
            if text is None:
                try:
                    text, enc = data.decode("cp1252"), "cp1252"
                except UnicodeDecodeError:
                    if t1258 is None:
                        raise StationFileError(_not_text_msg()) from None
                    text, enc = unicodedata.normalize("NFC", t1258), "windows-1258"
    sample = text[:SNIFF_BYTES]
    controls = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\r\n") or 0x7F <= ord(c) < 0xA0)
    if "\x00" in sample or controls > max(2, len(sample) // 200):
        raise StationFileError(_not_text_msg())
    return unicodedata.normalize("NFC", text), enc


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
    if opencellid:
        table.notes.append("opencellid-headerless")
    return table


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
                yield start, cells
        except csv.Error as exc:
            msg = f"The text table is malformed near line {prev_line + 1}: {exc}."
            raise StationFileError(msg) from exc

    csv.field_size_limit(1 << 20)
    table = _finish_table("csv", numbered(), aliases=aliases)
    table.notes.append(f"encoding={enc}")
    table.notes.append(f"delimiter={delim!r}")
    return table


# ---------------------------------------------------------------------------- xlsx


def _read_xlsx(data: bytes, sheet: str | None, aliases=None) -> RawTable:
    _open_zip(data)
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

            def numbered(ws=ws):
                for i, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                    yield i, list(row)

            try:
                return _finish_table("xlsx", numbered(), sheet=name, aliases=aliases)
            except StationFileError as exc:
                if "rows;" in str(exc) or sheet is not None:
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


def _read_ogr_quiet(path: str, kind: str, layer: str | None, pyogrio) -> RawTable:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise StationFileError(f"The {kind} file cannot be opened: {_short(exc)}.") from exc
    names = [str(n) for n, _ in layers]
    if not names:
        raise StationFileError(f"The {kind} file holds no layer.")
    if layer is not None:
        if layer not in names:
            msg = f"The file has no layer named {layer!r}; its layers are: {', '.join(names)}."
            raise StationFileError(msg)
        chosen = layer
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


def _read_gpkg(data: bytes, layer: str | None) -> RawTable:
    with tempfile.TemporaryDirectory(prefix="lomsong-upload-") as tmp:
        path = os.path.join(tmp, "upload.gpkg")
        with open(path, "wb") as f:
            f.write(data)
        return _read_ogr(path, "GeoPackage", layer)


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


_TABLE_ROW = re.compile(
    r"<tr[^>]*>\s*<t[dh][^>]*>(.*?)</t[dh]>\s*<t[dh][^>]*>(.*?)</t[dh]>\s*</tr>",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<[^>]+>")


def _description_fields(description) -> dict[str, str]:
    """Key/value rows of an HTML popup table in a KML description.

    ArcGIS, Google My Maps and many GIS exports write a placemark's attributes as a
    two-column ``<table>`` in ``<description>`` instead of ExtendedData.
    """
    if not description or "<t" not in str(description).lower():
        return {}
    out: dict[str, str] = {}
    for key, value in _TABLE_ROW.findall(str(description)):
        k = html.unescape(_TAG.sub("", key)).strip()
        v = html.unescape(_TAG.sub("", value)).strip()
        if k and k.lower() not in ("name", "description") and k not in out:
            out[k] = v
    return out


def _kml_point(text) -> tuple[float, float] | str:
    if not text or not text.strip():
        return "point without coordinates"
    first = text.strip().split()[0].split(",")
    try:
        return float(first[0]), float(first[1])
    except (ValueError, IndexError):
        return "point with unreadable coordinates"


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
