"""Station lists as telecom liaisons send them: read, validate row by row, never lose one.

:func:`read_stations` reads CSV/TSV (UTF-8, UTF-8 BOM, UTF-16, Windows-1258, cp1252),
Excel ``.xlsx`` (header found among the first rows, or a named sheet), GeoJSON,
GeoPackage, zipped Shapefile, KML/KMZ and the OpenCelliD cell export, and returns a
:class:`StationSet`: the usable stations (EPSG:4326) and a report with a line for every
problem and every input row — ``kept``, ``fixed`` (what was changed) or ``rejected``
(why) — in Vietnamese and English. ``kept + fixed + rejected == rows read``, always.
A row may give several stations (``0/120/240`` azimuths → sectors, ``2G/3G/4G`` → one
station per technology); OpenCelliD cells of one site and technology are merged into
one station and the merged rows are reported ``fixed`` ("merged into …").

Files that cannot be read at all raise :class:`StationFileError`.

Examples
--------
>>> from geo.stations import read_stations          # doctest: +SKIP
>>> s = read_stations("tram_bts.xlsx", crs="VN2000-TM3-106.15")  # doctest: +SKIP
>>> s.summary()                                      # doctest: +SKIP
{'rows_read': 412, 'kept': 380, 'fixed': 25, 'rejected': 7, 'duplicates': 2, 'stations': 405}
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import box

from geo import radio_defaults as rd
from geo._coords import CoordError, parse_coordinate, parse_number, resolve_crs, to_wgs84
from geo._station_readers import (
    FIELD_ALIASES,
    MAX_ROWS,
    OPENCELLID_COLUMNS,
    RawTable,
    StationFileError,
    match_header,
    read_source,
    read_table,
    squash_header,
)
from geo.constants import ANALYSIS_CRS

__all__ = [
    "StationFileError",
    "StationSet",
    "STATION_COLUMNS",
    "REPORT_COLUMNS",
    "DEFAULT_MARGIN_KM",
    "DUPLICATE_RADIUS_M",
    "SITE_MERGE_RADIUS_M",
    "MAX_ROWS",
    "MODELLED_NOTE",
    "read_stations",
    "validate_table",
    "load_default_stations",
    "stationset_from_frame",
    "OPERATORS_BY_MNC",
]

STATION_COLUMNS = (
    "station_id", "site_id", "operator", "technology", "band_mhz", "height_m", "eirp_dbm",
    "azimuth_deg", "tilt_deg", "source_row", "assumed", "modelled",
)
REPORT_COLUMNS = ("row", "column", "value", "status", "problem_vi", "problem_en", "code")
DEFAULT_MARGIN_KM = 30.0  # stations just outside the border still cover inside
DUPLICATE_RADIUS_M = 10.0
SITE_MERGE_RADIUS_M = 50.0
METRIC_CRS = ANALYSIS_CRS  # geo.constants
DEFAULT_TILT_DEG = 0.0
# Fallback outline when the embedded province layer is not available: its bounding box.
PROVINCE_BBOX = (105.606, 16.300, 107.386, 18.091)
MODELLED_NOTE = "modelled reference network — upload your station list for real results"
MODELLED_NOTE_VI = "mạng tham chiếu mô phỏng — hãy tải danh sách trạm thật để có kết quả thật"

OPERATORS_BY_MNC = {1: "MobiFone", 2: "VinaPhone", 4: "Viettel", 5: "Vietnamobile", 7: "Gmobile"}
VN_MCC = 452

# NR / LTE band numbers -> centre-ish frequency (MHz)
_NR_BANDS = {1: 2100.0, 3: 1800.0, 8: 900.0, 28: 700.0, 40: 2300.0, 41: 2600.0, 77: 3700.0, 78: 3500.0}
_LTE_BANDS = {1: 2100.0, 3: 1800.0, 7: 2600.0, 8: 900.0, 28: 700.0, 38: 2600.0, 40: 2300.0, 41: 2600.0}

_FIELD_NAMES = {  # field -> (Vietnamese, English, unit)
    "band_mhz": ("băng tần", "band", "MHz"),
    "height_m": ("độ cao anten", "antenna height", "m"),
    "eirp_dbm": ("công suất EIRP", "EIRP", "dBm"),
    "azimuth_deg": ("hướng", "azimuth", "°"),
    "tilt_deg": ("góc nghiêng", "tilt", "°"),
    "technology": ("công nghệ", "technology", ""),
}

_MESSAGES: dict[str, tuple[str, str]] = {
    "ok": ("Hợp lệ", "OK"),
    "no_coordinates": ("Thiếu tọa độ", "No coordinates"),
    "bad_coordinate": ("Không đọc được tọa độ «{value}»", "Cannot read the coordinate '{value}'"),
    "bad_geometry": ("Hình học không dùng được: {detail_vi}", "Unusable geometry: {detail}"),
    "projected_no_crs": (
        "Tọa độ có vẻ là mét của hệ chiếu (VN-2000?); hãy chọn hệ tọa độ (--crs)",
        "Coordinates look like projected metres (VN-2000?); choose the coordinate system (--crs)",
    ),
    "bad_transform": ("Không chuyển được tọa độ sang WGS 84", "Coordinates cannot be transformed to WGS 84"),
    "outside": (
        "Nằm ngoài tỉnh {km:.1f} km (cho phép tối đa {margin:g} km)",
        "Outside the province by {km:.1f} km (more than the {margin:g} km margin)",
    ),
    "swapped": (
        "Kinh độ và vĩ độ (X/Y) bị nhập ngược; đã đổi chỗ",
        "Longitude and latitude (X/Y) were swapped; swapped back",
    ),
    "decimal_comma": ("Dấu phẩy thập phân «{value}» đọc là {fixed}", "Decimal comma '{value}' read as {fixed}"),
    "dms": ("Độ-phút-giây «{value}» đổi thành {fixed}", "Degrees-minutes-seconds '{value}' converted to {fixed}"),
    "bad_value": (
        "Không đọc được giá trị «{value}» của {field_vi}",
        "Cannot read the {field_en} value '{value}'",
    ),
    "impossible": (
        "Giá trị {field_vi} {value} không hợp lý (cho phép {lo:g}–{hi:g} {unit})",
        "Impossible {field_en} {value} (allowed {lo:g}–{hi:g} {unit})",
    ),
    "assumed": (
        "Thiếu {field_vi}; dùng mặc định {fixed} {unit} theo công nghệ {tech}",
        "Missing {field_en}; assumed the {tech} default {fixed} {unit}",
    ),
    "assumed_technology": ("Thiếu công nghệ; giả định 4G", "Missing technology; assumed 4G"),
    "unknown_technology": (
        "Công nghệ «{value}» không được hỗ trợ (cần 2G/3G/4G/5G)",
        "Unsupported technology '{value}' (expected 2G/3G/4G/5G)",
    ),
    "split_technology": (
        "Tách thành các trạm {fixed} theo công nghệ «{value}»",
        "Split into {fixed} stations by technology '{value}'",
    ),
    "band_ghz": ("Băng tần {value} hiểu là GHz → {fixed} MHz", "Band {value} read as GHz → {fixed} MHz"),
    "band_name": ("Băng tần «{value}» đổi thành {fixed} MHz", "Band '{value}' converted to {fixed} MHz"),
    "unit_converted": ("«{value}» đổi thành {fixed} {unit}", "'{value}' converted to {fixed} {unit}"),
    "azimuth_wrapped": ("Hướng {value}° đưa về {fixed}°", "Azimuth {value}° wrapped to {fixed}°"),
    "sectors": (
        "Tách thành {n} sector theo các hướng «{value}»",
        "Split into {n} sectors by the azimuths '{value}'",
    ),
    "duplicate": (
        "Trùng trạm ở dòng {other} (cùng nhà mạng/công nghệ, cách {dist:.1f} m); vẫn giữ",
        "Duplicate of the station on row {other} (same operator/technology, {dist:.1f} m apart); kept",
    ),
    "formula": (
        "Ô bắt đầu bằng «{char}» như công thức bảng tính; giữ nguyên là chữ",
        "Cell starts with '{char}' like a spreadsheet formula; kept as plain text",
    ),
    "no_id": ("Thiếu mã trạm; đặt mã {fixed}", "No station id; named {fixed}"),
    "no_operator": ("Thiếu nhà mạng", "No operator given"),
    "unknown_commune": (
        "Không thấy xã/phường «{value}» trong 78 đơn vị mới; giữ nguyên tên",
        "Commune '{value}' is not one of the 78 current units; name kept as given",
    ),
    "merged": (
        "Gộp vào trạm {fixed} (cùng vị trí trong {radius:g} m, cùng nhà mạng)",
        "Merged into station {fixed} (same site within {radius:g} m, same operator)",
    ),
    "field_count": (
        "Dòng có {n} ô nhưng tiêu đề có {m} cột (dấu phân cách lẫn trong số?)",
        "Row has {n} cells but the header has {m} columns (a separator inside a number?)",
    ),
    "modelled": (MODELLED_NOTE_VI, MODELLED_NOTE),
}

_GEOMETRY_VI = {
    "no geometry": "không có hình học",
    "no point": "không có điểm",
    "point without coordinates": "điểm không có tọa độ",
    "point with non-numeric coordinates": "tọa độ điểm không phải số",
    "point with unreadable coordinates": "không đọc được tọa độ điểm",
    "not a feature": "không phải một đối tượng",
}


# ---------------------------------------------------------------------------- results


@dataclass
class StationSet:
    """Stations read from one source and the validation report that explains them.

    Attributes
    ----------
    stations : geopandas.GeoDataFrame
        EPSG:4326 points with :data:`STATION_COLUMNS` + the file's extra columns.
    report : pandas.DataFrame
        :data:`REPORT_COLUMNS`; one line per problem and at least one per input row;
        ``status`` is the row's outcome (``kept``, ``fixed`` or ``rejected``).
    """

    stations: gpd.GeoDataFrame
    report: pd.DataFrame
    source_name: str = ""
    source_sha256: str = ""
    source_format: str = ""
    crs: str = "EPSG:4326"
    modelled: bool = False
    rows_read: int = 0
    notes: list[str] = field(default_factory=list)

    def row_status(self) -> pd.Series:
        """Outcome per input row (index: row number as in the file)."""
        if self.report.empty:
            return pd.Series(dtype=object)
        return self.report.drop_duplicates("row").set_index("row")["status"]

    def summary(self) -> dict:
        """``rows_read, kept, fixed, rejected, duplicates, stations`` (and ``modelled``)."""
        counts = self.row_status().value_counts()
        dups = int((self.report["code"] == "duplicate").sum()) if not self.report.empty else 0
        return {
            "rows_read": int(self.rows_read),
            "kept": int(counts.get("kept", 0)),
            "fixed": int(counts.get("fixed", 0)),
            "rejected": int(counts.get("rejected", 0)),
            "duplicates": dups,
            "stations": int(len(self.stations)),
            "modelled": bool(self.modelled),
        }

    @property
    def usable(self) -> bool:
        return len(self.stations) > 0

    def issues(self) -> pd.DataFrame:
        """The report without the plain ``OK`` lines."""
        return self.report[self.report["code"] != "ok"].reset_index(drop=True)

    def to_json_dict(self) -> dict:
        """The ``--json`` view: summary counts and every issue."""
        out = self.summary()
        out["source"] = self.source_name
        out["sha256"] = self.source_sha256
        out["format"] = self.source_format
        out["issues"] = [
            {k: (None if _blank(v) else (int(v) if k == "row" else str(v))) for k, v in rec.items()}
            for rec in self.issues().to_dict("records")
        ]
        return out


# ---------------------------------------------------------------------------- parsing helpers


def _blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        if v is pd.NA or v is pd.NaT:
            return True
    except Exception:
        pass
    return isinstance(v, str) and not v.strip()


def _text(v, limit: int = 120) -> str:
    if _blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    else:
        s = str(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


_UNIT_NUMBER = re.compile(
    r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(m|met|mét|dbm|dbw|w|kw|°|º|deg|do|độ|mhz|ghz|khz)?\s*$",
    re.IGNORECASE,
)


def _number(v) -> tuple[float | None, str | None, str | None]:
    """(value, unit, error) for a numeric cell that may carry a unit; blank → (None, None, None)."""
    if _blank(v):
        return None, None, None
    if isinstance(v, bool):
        return None, None, "bad"
    if isinstance(v, int | float | np.integer | np.floating):
        f = float(v)
        return (f, None, None) if math.isfinite(f) else (None, None, "bad")
    s = str(v).strip()
    try:
        return parse_number(s)[0], None, None
    except CoordError:
        pass
    m = _UNIT_NUMBER.match(s)
    if not m:
        return None, None, "bad"
    try:
        return float(m.group(1).replace(",", ".")), (m.group(2) or "").lower() or None, None
    except ValueError:
        return None, None, "bad"


def _technologies(v) -> list[str] | None:
    """Technologies named in a cell (``'4G'``, ``'LTE'``, ``'2G/3G/4G'``); None if none."""
    s = str(v).strip().lower()
    if re.fullmatch(r"[2345](\.0)?", s):
        return [f"{s[0]}G"]
    found: list[str] = []
    for part in re.split(r"[/,;+&|]|\s+và\s+|\s+and\s+", s):
        p = re.sub(r"[^a-z0-9+]", "", part)
        if not p:
            continue
        if "5g" in p or p.startswith("nr") or "gnb" in p:
            t = "5G"
        elif "4g" in p or "lte" in p or "enb" in p:
            t = "4G"
        elif "3g" in p or "umts" in p or "wcdma" in p or "hspa" in p or "hsdpa" in p:
            t = "3G"
        elif "2g" in p or "gsm" in p or "gprs" in p or "edge" in p or p == "bts":
            t = "2G"
        else:
            return None
        if t not in found:
            found.append(t)
    return found or None


def _operator(v) -> str:
    s = squash_header(v)
    if not s:
        return "unknown"
    if "vietnamobile" in s or "vnmobile" in s or "hutchison" in s:
        return "Vietnamobile"
    if "viettel" in s:
        return "Viettel"
    if "vina" in s or "vnpt" in s:
        return "VinaPhone"
    if "gmobile" in s or "gtel" in s or "beeline" in s:
        return "Gmobile"
    if "mobi" in s:
        return "MobiFone"
    digits = re.fullmatch(r"(?:452)?0?(\d)", s)
    if digits and int(digits.group(1)) in OPERATORS_BY_MNC:
        return OPERATORS_BY_MNC[int(digits.group(1))]
    return str(v).strip()[:60]


def _band(v) -> tuple[float | None, str | None, str | None]:
    """(MHz, how, error) with how in None/'band_ghz'/'band_name'."""
    if _blank(v):
        return None, None, None
    s = str(v).strip().lower().replace(" ", "")
    m = re.fullmatch(r"(n|b|band)(\d{1,3})", s)
    if m:
        table = _NR_BANDS if m.group(1) == "n" else _LTE_BANDS
        num = int(m.group(2))
        if num in table:
            return table[num], "band_name", None
        return None, None, "bad"
    m = re.fullmatch(r"[a-z]{1,3}(\d{3,4})", s)  # L1800, U2100, G900, NR3500
    if m:
        return float(m.group(1)), "band_name", None
    val, unit, err = _number(v)
    if err or val is None:
        return None, None, err
    if unit == "ghz":
        return val * 1000.0, "band_name", None
    if unit == "khz":
        return val / 1000.0, "band_name", None
    if 0 < val < 10:
        return val * 1000.0, "band_ghz", None
    return val, None, None


_FORMULA_START = ("=", "+", "-", "@")
_RESERVED_EXTRAS = ("geometry", "_x", "_y", "commune", "commune_code", "band_given", "duplicate_of_row", "n_cells", "cell_ids")


# ---------------------------------------------------------------------------- boundary


@lru_cache(maxsize=1)
def _default_boundary_wgs84():
    try:
        from geo.data import load_province

        prov = load_province()
        geom = shapely.union_all(prov.geometry.values)
        return geom, "province"
    except Exception:  # DataError before data/ ships, or an unreadable file
        return box(*PROVINCE_BBOX), "bbox"


def _boundary_wgs84(boundary):
    if boundary is None:
        return _default_boundary_wgs84()[0]
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        b = boundary.to_crs("EPSG:4326") if boundary.crs is not None else boundary
        return shapely.union_all(np.asarray(b.geometry.values if hasattr(b, "geometry") else b.values))
    if isinstance(boundary, tuple | list) and len(boundary) == 4:
        return box(*boundary)
    return boundary


@lru_cache(maxsize=8)
def _metric_zones(wkb: bytes, margin_m: float):
    geom = shapely.from_wkb(wkb)
    tr = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    metric = shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    metric = shapely.simplify(metric, 50.0)
    buffered = shapely.buffer(metric, margin_m) if margin_m > 0 else metric
    shapely.prepare(buffered)
    # build the prepared index now, in one thread, not lazily during concurrent queries
    shapely.contains_xy(buffered, np.zeros(1), np.zeros(1))
    return metric, buffered


_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def _inside(lon: np.ndarray, lat: np.ndarray, buffered) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    valid = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    x = np.full(lon.shape, np.nan)
    y = np.full(lon.shape, np.nan)
    if valid.any():
        with np.errstate(all="ignore"):
            x[valid], y[valid] = _TO_METRIC.transform(lon[valid], lat[valid], errcheck=False)
    ok = valid & np.isfinite(x) & np.isfinite(y)
    inside = np.zeros(lon.shape, bool)
    if ok.any():
        inside[ok] = shapely.contains_xy(buffered, x[ok], y[ok])
    return inside, x, y


# ---------------------------------------------------------------------------- validation


class _Row:
    __slots__ = ("rn", "problems", "fatal", "fixed", "assumed", "rec", "techs", "azimuths",
                 "xy", "coord_cols", "coord_vals", "stations")

    def __init__(self, rn: int):
        self.rn = rn
        self.problems: list[dict] = []
        self.fatal = False
        self.fixed = False
        self.assumed: list[str] = []
        self.rec: dict = {}
        self.techs: list[str] = []
        self.azimuths: list[float] = [float("nan")]
        self.xy: tuple[float, float] | None = None
        self.coord_cols = ("", "")
        self.coord_vals = ("", "")
        self.stations: list[dict] = []

    def add(self, code: str, column: str = "", value="", level: str = "note", **fmt):
        vi, en = _MESSAGES[code]
        fmt.setdefault("value", _text(value))
        try:
            pvi, pen = vi.format(**fmt), en.format(**fmt)
        except (KeyError, ValueError, IndexError):
            pvi, pen = vi, en
        self.problems.append({"column": column, "value": _text(value), "code": code,
                              "problem_vi": pvi, "problem_en": pen})
        if level == "reject":
            self.fatal = True
        elif level == "fix":
            self.fixed = True

    @property
    def status(self) -> str:
        return "rejected" if self.fatal else ("fixed" if self.fixed else "kept")


def _choose_columns(columns: list[str]) -> dict[str, int]:
    """Canonical field -> column index; the best-ranked alias wins, the rest stay extras."""
    best: dict[str, tuple[int, int]] = {}
    for i, c in enumerate(columns):
        f = match_header(c)
        if f is None:
            continue
        s = squash_header(c)
        rank = FIELD_ALIASES[f].index(s) if s in FIELD_ALIASES[f] else len(FIELD_ALIASES[f])
        if f not in best or rank < best[f][0]:
            best[f] = (rank, i)
    return {f: i for f, (_, i) in best.items()}


def _is_opencellid(columns: list[str]) -> bool:
    s = {c.strip().lower() for c in columns}
    return {"radio", "mcc", "net", "area", "cell", "lon", "lat"} <= s


def validate_table(
    table: RawTable,
    *,
    crs=None,
    boundary=None,
    margin_km: float = DEFAULT_MARGIN_KM,
    merge_cells: bool = True,
    source_name: str = "",
    source_sha256: str = "",
) -> StationSet:
    """Validate a :class:`RawTable` row by row into a :class:`StationSet`.

    Parameters
    ----------
    table : RawTable
        As returned by the readers.
    crs : str or int, optional
        Coordinate system of X/Y columns (``--crs``); WGS 84 when ``None``. A vector file's
        own CRS wins over it.
    boundary : shapely geometry, GeoDataFrame, bbox tuple, optional
        The province outline in EPSG:4326; default :func:`geo.data.load_province`.
    margin_km : float
        Rows farther than this outside ``boundary`` are rejected (default 30 km).
    merge_cells : bool
        OpenCelliD only: merge cells of one site and technology into one station.
    """
    opencellid = _is_opencellid(table.columns)
    cols = {c.strip().lower(): i for i, c in enumerate(table.columns)} if opencellid else {}
    mapping = (
        {"lon": cols["lon"], "lat": cols["lat"], "technology": cols["radio"]}
        if opencellid else _choose_columns(table.columns)
    )
    if not opencellid:
        site_cols = [i for i, c in enumerate(table.columns)
                     if squash_header(c) == "siteid" and i != mapping.get("station_id")]
        if site_cols and "station_id" in mapping:
            mapping["site_id"] = site_cols[0]
    used = set(mapping.values())
    if opencellid:
        used |= {cols[c] for c in ("mcc", "net", "area", "cell")}
    extras = [(i, c) for i, c in enumerate(table.columns) if i not in used]
    extra_names = {}
    for i, c in extras:
        reserved = name_clash = c in STATION_COLUMNS or c in _RESERVED_EXTRAS
        extra_names[i] = f"{c}_src" if reserved or name_clash else c
    ncols = len(table.columns)
    geometry = table.geometry

    user_crs = resolve_crs(crs) if crs is not None else None
    src_crs = table.crs if table.crs is not None else (user_crs or CRS.from_epsg(4326))
    geographic = src_crs.is_geographic

    rows: list[_Row] = []
    for idx, (rn, cells) in enumerate(table.rows):
        r = _Row(rn)
        rows.append(r)
        if geometry is None and len(cells) > ncols and any(not _blank(c) for c in cells[ncols:]):
            r.add("field_count", "", "", "reject", n=len(cells), m=ncols)
            continue
        cells = list(cells) + [None] * (ncols - len(cells))

        def cell(f, cells=cells):
            i = mapping.get(f)
            return (cells[i], table.columns[i]) if i is not None else (None, "")

        # ---- coordinates
        if geometry is not None and not isinstance(geometry[idx], tuple) and "lon" not in mapping:
            detail = str(geometry[idx])
            r.add("bad_geometry", "geometry", "", "reject", detail=detail,
                  detail_vi=_GEOMETRY_VI.get(detail, detail))
        elif geometry is not None and isinstance(geometry[idx], tuple):
            r.xy = geometry[idx]
            r.coord_cols = ("geometry", "geometry")
        else:
            (vx, cx), (vy, cy) = cell("lon"), cell("lat")
            if _blank(vx) or _blank(vy):
                r.add("no_coordinates", cx if _blank(vx) else cy, "", "reject")
            else:
                parsed = []
                for v, c in ((vx, cx), (vy, cy)):
                    try:
                        val, how = parse_coordinate(v)
                    except CoordError:
                        r.add("bad_coordinate", c, v, "reject")
                        parsed.append(None)
                        continue
                    if how:
                        r.add(how, c, v, "fix", fixed=f"{val:.6f}".rstrip("0").rstrip("."))
                    parsed.append(val)
                if None not in parsed:
                    r.xy = (parsed[0], parsed[1])
                    r.coord_cols = (cx, cy)
                    r.coord_vals = (_text(vx), _text(vy))

        # ---- technology
        if opencellid:
            radio = cells[cols["radio"]]
            techs = _technologies(radio) if not _blank(radio) else None
            if techs is None:
                r.add("unknown_technology", table.columns[cols["radio"]], radio, "reject")
            r.techs = techs or []
        else:
            vt, ct = cell("technology")
            if _blank(vt):
                r.techs = ["4G"]
                r.assumed.append("technology")
                r.add("assumed_technology", ct or "technology", "", "fix")
            else:
                techs = _technologies(vt)
                if techs is None:
                    r.add("unknown_technology", ct, vt, "reject")
                else:
                    r.techs = techs
                    if len(techs) > 1:
                        r.add("split_technology", ct, vt, "fix", fixed="/".join(techs))

        # ---- operator, id
        if opencellid:
            mcc, net = cells[cols["mcc"]], cells[cols["net"]]
            try:
                mnc = int(float(str(net).strip()))
                opname = OPERATORS_BY_MNC.get(mnc, f"MNC {mnc}") if int(float(str(mcc))) == VN_MCC \
                    else f"{_text(mcc)}-{mnc:02d}"
            except (TypeError, ValueError):
                opname = "unknown"
            r.rec["operator"] = opname
            sid = "-".join(_text(cells[cols[c]]) for c in ("mcc", "net", "area", "cell"))
            r.rec["station_id"] = sid
        else:
            vo, co = cell("operator")
            r.rec["operator"] = _operator(vo) if not _blank(vo) else "unknown"
            if _blank(vo):
                r.add("no_operator", co or "operator", "")
            vid, cid = cell("station_id")
            if _blank(vid) and table.kind in ("kml", "kmz") and "name" in table.columns:
                vid = cells[table.columns.index("name")]  # the placemark's own <name>
            if _blank(vid):
                r.rec["station_id"] = f"row{rn}"
                r.add("no_id", cid or "station_id", "", fixed=f"row{rn}")
            else:
                r.rec["station_id"] = _text(vid, 200)
        if "site_id" in mapping:
            vs, _ = cell("site_id")
            r.rec["site_id"] = None if _blank(vs) else _text(vs, 200)
        if "commune" in mapping:
            vc, _ = cell("commune")
            r.rec["commune"] = None if _blank(vc) else _text(vc, 200)

        # ---- band
        vb, cb = cell("band_mhz")
        band = None
        if not _blank(vb):
            band, how, err = _band(vb)
            lo, hi = rd.LIMITS["band_mhz"]
            if err:
                r.add("bad_value", cb, vb, "reject", field_vi="băng tần", field_en="band")
            elif how and lo <= band <= hi:
                r.add(how, cb, vb, "fix", fixed=f"{band:g}", unit="MHz")
            if band is not None and not err:
                if not lo <= band <= hi:
                    r.add("impossible", cb, vb, "reject", field_vi="băng tần", field_en="band",
                          lo=lo, hi=hi, unit="MHz")
                    band = None
            if len(r.techs) > 1:
                band = None  # a multi-technology row: each technology takes its own default band
        r.rec["band_given"] = band

        # ---- height, EIRP, tilt
        for f in ("height_m", "eirp_dbm", "tilt_deg"):
            v, c = cell(f)
            fvi, fen, unit = _FIELD_NAMES[f]
            val, u, err = _number(v)
            if err:
                r.add("bad_value", c, v, "reject", field_vi=fvi, field_en=fen)
                continue
            if val is None:
                r.rec[f] = None
                continue
            if f == "eirp_dbm" and u in ("w", "kw", "dbw"):
                if u == "dbw":
                    new = val + 30.0
                else:
                    watts = val * (1000.0 if u == "kw" else 1.0)
                    new = 10.0 * math.log10(watts * 1000.0) if watts > 0 else float("nan")
                if not math.isfinite(new):
                    r.add("bad_value", c, v, "reject", field_vi=fvi, field_en=fen)
                    continue
                r.add("unit_converted", c, v, "fix", fixed=f"{new:.1f}", unit="dBm")
                val = new
            lo, hi = rd.LIMITS[f]
            if not lo <= val <= hi:
                r.add("impossible", c, v, "reject", field_vi=fvi, field_en=fen, lo=lo, hi=hi, unit=unit)
                continue
            r.rec[f] = val

        # ---- azimuth(s)
        va, ca = cell("azimuth_deg")
        if not _blank(va):
            parts = [p for p in re.split(r"[/;|]|(?<=\d)\s*-\s*(?=\d)|\s+", str(va).strip()) if p] \
                if isinstance(va, str) else [va]
            if isinstance(va, str) and len(parts) == 1 and "," in str(va) and not re.fullmatch(r"\d+,\d+", str(va).strip()):
                parts = [p for p in str(va).split(",") if p.strip()]
            azs = []
            for p in parts:
                val, _, err = _number(p)
                if err or val is None:
                    r.add("bad_value", ca, va, "reject", field_vi="hướng", field_en="azimuth")
                    azs = []
                    break
                if not 0.0 <= val <= 360.0:
                    wrapped = val % 360.0
                    r.add("azimuth_wrapped", ca, val, "fix", fixed=f"{wrapped:g}")
                    val = wrapped
                azs.append(val)
            if azs:
                r.azimuths = azs
                if len(azs) > 1:
                    r.add("sectors", ca, va, "fix", n=len(azs))

        # ---- extras (+ formula-looking text)
        for i, _c in extras:
            v = cells[i] if i < len(cells) else None
            r.rec[extra_names[i]] = None if _blank(v) else v
            if isinstance(v, str) and v.lstrip().startswith(_FORMULA_START) and not _numeric_text(v):
                r.add("formula", table.columns[i], v, char=v.lstrip()[0])
        for f in ("station_id",):
            v = r.rec.get(f)
            if isinstance(v, str) and v.lstrip().startswith(_FORMULA_START) and not _numeric_text(v):
                r.add("formula", cell(f)[1], v, char=v.lstrip()[0])

    # ---- coordinates: transform, swap detection, province check (vectorised)
    margin_m = float(margin_km) * 1000.0
    bwgs = _boundary_wgs84(boundary)
    metric_geom, buffered = _metric_zones(shapely.to_wkb(bwgs), margin_m)
    cand = [r for r in rows if r.xy is not None and not r.fatal]
    if cand:
        x = np.array([r.xy[0] for r in cand], dtype=float)
        y = np.array([r.xy[1] for r in cand], dtype=float)
        if geographic:
            lon_a, lat_a = x, y
            lon_b, lat_b = y, x
            looks_projected = (np.abs(x) > 1000) | (np.abs(y) > 1000)
        else:
            lon_a, lat_a = to_wgs84(x, y, src_crs)
            lon_b, lat_b = to_wgs84(y, x, src_crs)
            looks_projected = np.zeros(len(cand), bool)
        in_a, xa, ya = _inside(lon_a, lat_a, buffered)
        in_b, _, _ = _inside(lon_b, lat_b, buffered)
        outside_idx = np.flatnonzero(~in_a & ~in_b & np.isfinite(xa))
        dist_km = np.full(len(cand), np.nan)
        if outside_idx.size:
            dist_km[outside_idx] = shapely.distance(
                shapely.points(xa[outside_idx], ya[outside_idx]), metric_geom) / 1000.0
        for k, r in enumerate(cand):
            cx, cy = r.coord_cols
            shown = f"{r.coord_vals[0]}, {r.coord_vals[1]}" if r.coord_vals[0] else f"{r.xy[0]:g}, {r.xy[1]:g}"
            col = cx if cx == cy else f"{cx}/{cy}"
            if in_a[k]:
                r.xy = (float(lon_a[k]), float(lat_a[k]))
            elif in_b[k]:
                r.xy = (float(lon_b[k]), float(lat_b[k]))
                r.add("swapped", col, shown, "fix")
            elif looks_projected[k]:
                r.add("projected_no_crs", col, shown, "reject")
            elif np.isfinite(dist_km[k]):
                r.add("outside", col, shown, "reject", km=dist_km[k], margin=margin_km)
            else:
                r.add("bad_transform", col, shown, "reject")

    # ---- fill defaults, expand technologies x azimuths into stations
    for r in rows:
        if r.fatal:
            continue
        filled: dict[str, list[tuple[str, float]]] = {}  # field -> [(tech, value)]
        for tech in r.techs:
            band = r.rec.get("band_given")
            assumed = list(r.assumed)
            if band is None:
                band = rd.DEFAULT_BAND_MHZ[tech]
                assumed.append("band_mhz")
                filled.setdefault("band_mhz", []).append((tech, band))
            d = rd.defaults_for(tech, band)
            vals = {}
            for f, default in (("height_m", d.height_m), ("eirp_dbm", d.eirp_dbm)):
                v = r.rec.get(f)
                if v is None:
                    v = default
                    assumed.append(f)
                    filled.setdefault(f, []).append((tech, v))
                vals[f] = v
            tilt = r.rec.get("tilt_deg")
            if tilt is None:
                tilt = DEFAULT_TILT_DEG
                assumed.append("tilt_deg")
            for s_i, az in enumerate(r.azimuths):
                sid = r.rec["station_id"]
                if len(r.techs) > 1:
                    sid = f"{sid}-{tech}"
                if len(r.azimuths) > 1:
                    sid = f"{sid}-S{s_i + 1}"
                st = {
                    "station_id": sid,
                    "site_id": r.rec.get("site_id") or r.rec["station_id"],
                    "operator": r.rec["operator"],
                    "technology": tech,
                    "band_mhz": float(band),
                    "height_m": float(vals["height_m"]),
                    "eirp_dbm": float(vals["eirp_dbm"]),
                    "azimuth_deg": float(az),
                    "tilt_deg": float(tilt),
                    "source_row": int(r.rn),
                    "assumed": ",".join(dict.fromkeys(assumed)),
                    "modelled": False,
                    "_x": r.xy[0],
                    "_y": r.xy[1],
                }
                for k, v in r.rec.items():
                    if k not in st and k not in ("band_given", "height_m", "eirp_dbm", "tilt_deg",
                                                 "station_id", "operator", "site_id"):
                        st[k] = v
                r.stations.append(st)
        for f, pairs in filled.items():
            fvi, fen, unit = _FIELD_NAMES[f]
            col = table.columns[mapping[f]] if f in mapping else f
            r.add("assumed", col, "", "fix", field_vi=fvi, field_en=fen, unit=unit,
                  fixed="/".join(f"{v:g}" for _, v in pairs), tech="/".join(t for t, _ in pairs))

    # dedupe repeated "assumed" messages (one per field per row)
    for r in rows:
        seen, keep = set(), []
        for p in r.problems:
            key = (p["code"], p["column"], p["problem_en"])
            if key not in seen:
                seen.add(key)
                keep.append(p)
        r.problems = keep

    if "commune" in mapping:
        _resolve_communes(rows, table.columns[mapping["commune"]])
    if opencellid:
        _opencellid_sites(rows, merge_cells)
    _flag_duplicates(rows)

    # ---- outputs
    records = [st for r in rows for st in r.stations]
    stations = _stations_frame(records)
    report = _report_frame(rows)
    return StationSet(
        stations=stations, report=report, source_name=source_name, source_sha256=source_sha256,
        source_format="opencellid" if opencellid else table.kind,
        crs=src_crs.to_string() if src_crs is not None else "EPSG:4326",
        rows_read=len(table.rows), notes=list(table.notes),
    )


def _numeric_text(v: str) -> bool:
    try:
        parse_number(v)
        return True
    except CoordError:
        return False


def _stations_frame(records: list[dict]) -> gpd.GeoDataFrame:
    if not records:
        empty = {c: pd.Series(dtype=object) for c in STATION_COLUMNS}
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    df = pd.DataFrame.from_records(records)
    geom = gpd.points_from_xy(df.pop("_x"), df.pop("_y"), crs="EPSG:4326")
    ordered = list(STATION_COLUMNS) + [c for c in df.columns if c not in STATION_COLUMNS]
    df = df[ordered]
    for c in ("band_mhz", "height_m", "eirp_dbm", "azimuth_deg", "tilt_deg"):
        df[c] = df[c].astype("float64")
    df["source_row"] = df["source_row"].astype("int64")
    df["modelled"] = df["modelled"].astype(bool)
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:4326")


def _report_frame(rows: list[_Row]) -> pd.DataFrame:
    out = []
    for r in rows:
        status = r.status
        if not r.problems:
            vi, en = _MESSAGES["ok"]
            out.append({"row": r.rn, "column": "", "value": "", "status": status,
                        "problem_vi": vi, "problem_en": en, "code": "ok"})
        for p in r.problems:
            out.append({"row": r.rn, "column": p["column"], "value": p["value"], "status": status,
                        "problem_vi": p["problem_vi"], "problem_en": p["problem_en"], "code": p["code"]})
    df = pd.DataFrame(out, columns=list(REPORT_COLUMNS))
    df["row"] = df["row"].astype("int64")
    return df


def _metric_xy(stations: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    lon = np.array([s["_x"] for s in stations], dtype=float)
    lat = np.array([s["_y"] for s in stations], dtype=float)
    return _TO_METRIC.transform(lon, lat)


def _pairs_within(x: np.ndarray, y: np.ndarray, radius_m: float) -> np.ndarray:
    from scipy.spatial import cKDTree

    if len(x) < 2:
        return np.empty((0, 2), dtype=int)
    return cKDTree(np.column_stack([x, y])).query_pairs(radius_m, output_type="ndarray")


def _resolve_communes(rows: list[_Row], column: str) -> None:
    """Add ``commune_code`` from the commune column (one of the 78 units), noting unknowns."""
    try:
        from geo.data import load_communes
        from geo.names import CommuneNotFound, find_commune

        communes = load_communes()
    except Exception:  # names/data not available: keep the text only
        return
    cache: dict[str, str | None] = {}
    for r in rows:
        name = r.rec.get("commune")
        if not name:
            continue
        if name not in cache:
            try:
                cache[name] = str(find_commune(name, communes)["code"])
            except CommuneNotFound:
                cache[name] = None
            except Exception:
                cache[name] = None
        code = cache[name]
        for st in r.stations:
            st["commune_code"] = code
        if code is None and not r.fatal:
            r.add("unknown_commune", column, name)


def _flag_duplicates(rows: list[_Row]) -> None:
    """Flag (never drop) stations of one operator/technology/band/azimuth within 10 m."""
    items = [(r, st) for r in rows for st in r.stations]
    if len(items) < 2:
        return
    x, y = _metric_xy([st for _, st in items])
    pairs = _pairs_within(x, y, DUPLICATE_RADIUS_M)
    flagged: set[int] = set()
    for i, j in sorted(map(tuple, pairs.tolist())):
        (ri, si), (rj, sj) = items[i], items[j]
        if ri is rj:
            continue
        a_i, a_j = si["azimuth_deg"], sj["azimuth_deg"]
        same_az = (math.isnan(a_i) and math.isnan(a_j)) or (abs(a_i - a_j) < 1.0)
        if not (si["operator"] == sj["operator"] and si["technology"] == sj["technology"]
                and si["band_mhz"] == sj["band_mhz"] and same_az):
            continue
        first, later = (ri, rj) if ri.rn <= rj.rn else (rj, ri)
        if id(later) in flagged:
            continue
        flagged.add(id(later))
        dist = float(math.hypot(x[i] - x[j], y[i] - y[j]))
        later.add("duplicate", "", "", other=first.rn, dist=dist)
        for st in later.stations:
            st["duplicate_of_row"] = int(first.rn)


def _opencellid_sites(rows: list[_Row], merge_cells: bool) -> None:
    """Give OpenCelliD cells a ``site_id`` (same operator within 50 m) and optionally merge."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    items = [(r, st) for r in rows for st in r.stations]
    if not items:
        return
    x, y = _metric_xy([st for _, st in items])
    pairs = _pairs_within(x, y, SITE_MERGE_RADIUS_M)
    if len(pairs):
        keep = [k for k, (i, j) in enumerate(pairs) if items[i][1]["operator"] == items[j][1]["operator"]]
        pairs = pairs[keep]
    n = len(items)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])) if len(pairs) else ([], ([], [])),
                       shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    first_of: dict[int, int] = {}
    for k, lab in enumerate(labels):
        first_of.setdefault(int(lab), k)
    for k, (_, st) in enumerate(items):
        st["site_id"] = "OCID-" + items[first_of[int(labels[k])]][1]["station_id"]
    if not merge_cells:
        return
    lead: dict[tuple[str, str], tuple[_Row, dict]] = {}
    for r, st in items:
        key = (st["site_id"], st["technology"])
        if key not in lead:
            lead[key] = (r, st)
            st["n_cells"] = 1
            st["cell_ids"] = st["station_id"]
            continue
        lr, lst = lead[key]
        lst["n_cells"] += 1
        lst["cell_ids"] += "," + st["station_id"]
        r.stations.remove(st)
        r.add("merged", "", "", "fix", fixed=lst["station_id"], radius=SITE_MERGE_RADIUS_M)


# ---------------------------------------------------------------------------- public API


def read_stations(
    path_or_file,
    *,
    crs=None,
    sheet: str | None = None,
    boundary=None,
    margin_km: float = DEFAULT_MARGIN_KM,
    merge_cells: bool = True,
) -> StationSet:
    """Read and validate a station list.

    Parameters
    ----------
    path_or_file : str, Path, bytes or binary file-like (e.g. a Streamlit upload)
        CSV/TSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ or OpenCelliD CSV;
        the format is taken from the content (and the file name's extension).
    crs : str or int, optional
        Coordinate system of X/Y columns: an EPSG code (``3405``/``3406`` for VN-2000
        UTM 48N/49N) or ``VN2000-TM3-106.00`` / ``VN2000-TM3-106.15`` for the provincial
        3° zones. WGS 84 lon/lat when omitted.
    sheet : str, optional
        Excel sheet (or GeoPackage layer) to read; default the first with a header row.
    boundary : geometry or GeoDataFrame, optional
        Province outline (EPSG:4326) for the outside / swapped checks; default the
        embedded province.
    margin_km : float
        How far outside the province a station may stand (default 30 km).
    merge_cells : bool
        OpenCelliD exports: merge cells of one site and technology into one station.

    Returns
    -------
    StationSet

    Raises
    ------
    StationFileError
        The file cannot be read at all: wrong type, empty, encrypted, hostile, over
        50 MB or 500,000 rows, no header row.
    """
    data, name = read_source(path_or_file)
    sha = hashlib.sha256(data).hexdigest()
    table = read_table(data, name, sheet=sheet)
    try:
        return validate_table(
            table, crs=crs, boundary=boundary, margin_km=margin_km, merge_cells=merge_cells,
            source_name=name, source_sha256=sha,
        )
    except CoordError as exc:
        raise StationFileError(str(exc)) from exc


def stationset_from_frame(gdf: gpd.GeoDataFrame, *, source_name: str = "", modelled: bool | None = None,
                          report: pd.DataFrame | None = None, source_sha256: str = "") -> StationSet:
    """Wrap an already-clean station GeoDataFrame (e.g. from the workspace) as a StationSet."""
    gdf = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    is_modelled = bool(gdf["modelled"].astype(bool).any()) if modelled is None and "modelled" in gdf \
        else bool(modelled)
    if report is None:
        code = "modelled" if is_modelled else "ok"
        vi, en = _MESSAGES[code]
        rows = gdf["source_row"].astype("int64") if "source_row" in gdf else pd.Series(range(1, len(gdf) + 1))
        report = pd.DataFrame({
            "row": rows.to_numpy(), "column": "", "value": "", "status": "kept",
            "problem_vi": vi, "problem_en": en, "code": code,
        }, columns=list(REPORT_COLUMNS)).drop_duplicates("row").reset_index(drop=True)
    n_rows = int(report["row"].nunique()) if len(report) else 0
    return StationSet(stations=gdf, report=report, source_name=source_name, source_sha256=source_sha256,
                      source_format="gpkg", modelled=is_modelled, rows_read=n_rows)


def load_default_stations() -> StationSet:
    """The embedded **modelled** reference network (no public station list exists).

    527 5G NR n78 sites, each with a co-located LTE 1800 anchor, made by
    :func:`geo.default_network.model_default_network`. Its report says on every row that it
    is modelled: *upload your station list for real results*.
    """
    from geo.data import DataError, default_stations_path

    path = default_stations_path()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, layer="stations")
    except Exception as exc:
        raise DataError(f"Cannot read the modelled station set {path}: {exc}") from exc
    gdf["modelled"] = True
    if "source_row" not in gdf:
        gdf["source_row"] = np.arange(1, len(gdf) + 1)
    st = stationset_from_frame(gdf, source_name=path.name, modelled=True)
    st.notes.append(MODELLED_NOTE)
    return st


# the canonical OpenCelliD header, re-exported for the downloader
OPENCELLID_HEADER = ",".join(OPENCELLID_COLUMNS)
