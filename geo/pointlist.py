"""One reader for every point list people send: stations, villages, drive tests.

A station list from a telecom liaison, a commune's "danh sách thôn" and a drive test
exported from a phone app are all *a table of points from a person*. This module owns
what they share, once:

- reading the file (CSV/TSV in any of the encodings people use, XLSX with a title
  row, GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ — :mod:`geo._station_readers`)
  with the hostile-file limits;
- finding the header among the first rows by the kind's own aliases (Vietnamese and
  English);
- coordinates in any form (decimal degrees with ``.`` or ``,``, DMS, VN-2000 x/y in a
  ``crs``), swapped axes, the province check (vectorised);
- the row report: one line per problem and at least one per input row, with
  ``status`` ``kept``, ``fixed`` (what was changed) or ``rejected`` (why), in
  Vietnamese and English; ``kept + fixed + rejected == rows read``, always.

A kind (:class:`PointKind`) says only what is its own: its columns and their aliases,
how a row's own cells are read and checked, and what follows the coordinates (e.g.
"is the village inside its commune"). :mod:`geo.stations`, :mod:`geo.village_list`
and :mod:`geo.measurement_list` are the three kinds.

Examples
--------
>>> from geo.village_list import read_villages                # doctest: +SKIP
>>> v = read_villages("danh_sach_thon.xlsx", crs="VN2000-TM3-106.15")  # doctest: +SKIP
>>> v.summary()                                                 # doctest: +SKIP
{'rows_read': 120, 'kept': 112, 'fixed': 6, 'rejected': 2, 'flagged': 3, 'points': 118}
"""

from __future__ import annotations

import gc
import hashlib
import math
import re
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import box

from geo._coords import CoordError, parse_coordinate, parse_number, resolve_crs, to_wgs84
from geo._station_readers import (
    RawTable,
    StationFileError,
    read_source,
    read_table,
    squash_header,
)
from geo.constants import ANALYSIS_CRS

__all__ = [
    "PointFileError",
    "PointKind",
    "PointSet",
    "Row",
    "REPORT_COLUMNS",
    "MESSAGES",
    "DEFAULT_MARGIN_KM",
    "METRIC_CRS",
    "PROVINCE_BBOX",
    "BoundaryWarning",
    "read_points",
    "validate_points",
    "choose_columns",
    "read_row_coordinates",
    "locate_rows",
    "flag_formula_cells",
    "report_frame",
    "report_from_columns",
    "rows_of",
    "points_frame",
    "province_boundary",
    "blank",
    "text_value",
    "number_with_unit",
    "technologies",
    "operator_name",
    "OPERATORS_BY_MNC",
    "no_gc",
]

#: A file that cannot be read at all (one error type for every kind).
PointFileError = StationFileError

REPORT_COLUMNS = ("row", "column", "value", "status", "problem_vi", "problem_en", "code")
DEFAULT_MARGIN_KM = 30.0  # points just outside the border still matter inside
METRIC_CRS = ANALYSIS_CRS  # geo.constants
# Fallback outline when the embedded province layer cannot be read: its bounding box.
PROVINCE_BBOX = (105.606, 16.300, 107.386, 18.091)
OPERATORS_BY_MNC = {1: "MobiFone", 2: "VinaPhone", 4: "Viettel", 5: "Vietnamobile", 7: "Gmobile"}

BBOX_NOTE_VI = ("Không đọc được ranh giới tỉnh; kiểm tra «ngoài tỉnh» chỉ dùng hình chữ nhật bao "
                "— kết quả kém tin cậy")
BBOX_NOTE = ("The province outline could not be read; the outside-the-province check used only "
             "its bounding box — less reliable")

#: Messages every kind may use: code -> (Vietnamese, English) templates.
MESSAGES: dict[str, tuple[str, str]] = {
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
    "formula": (
        "Ô bắt đầu bằng «{char}» như công thức bảng tính; giữ nguyên là chữ",
        "Cell starts with '{char}' like a spreadsheet formula; kept as plain text",
    ),
    "unknown_commune": (
        "Không thấy xã/phường «{value}» trong 78 đơn vị mới; giữ nguyên tên",
        "Commune '{value}' is not one of the 78 current units; name kept as given",
    ),
    "field_count": (
        "Dòng có {n} ô nhưng tiêu đề có {m} cột (dấu phân cách lẫn trong số?)",
        "Row has {n} cells but the header has {m} columns (a separator inside a number?)",
    ),
    "province_bbox": (BBOX_NOTE_VI, BBOX_NOTE),
}

_GEOMETRY_VI = {
    "no geometry": "không có hình học",
    "no point": "không có điểm",
    "point without coordinates": "điểm không có tọa độ",
    "point with non-numeric coordinates": "tọa độ điểm không phải số",
    "point with non-finite coordinates (NaN or Infinity)": "tọa độ điểm là NaN hoặc vô cực",
    "point with unreadable coordinates": "không đọc được tọa độ điểm",
    "not a feature": "không phải một đối tượng",
}

_FORMULA_START = ("=", "+", "-", "@")
# characters a person cannot see that may stand in front of a formula
_INVISIBLE_LEAD = " \t\u00a0\u2007\u202f\u200b\u200c\u200d\u2060\ufeff"


class BoundaryWarning(UserWarning):
    """The province outline could not be read; a bounding box was used instead."""


# ---------------------------------------------------------------------------- values


@contextmanager
def no_gc():
    """Pause the cyclic garbage collector while a list's millions of small objects are built.

    The row objects hold no reference cycles; without the pause CPython's collector
    re-scans every live row again and again (about 40 % of the time of a 100,000-row list).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()



def blank(v) -> bool:
    """True for ``None``, NaN, ``pd.NA``/``NaT`` and whitespace-only text."""
    if v is None:
        return True
    t = type(v)
    if t is str:
        return not v or v.isspace()
    if t is float:
        return v != v
    if t is int:
        return False
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        if v is pd.NA or v is pd.NaT:
            return True
    except Exception:
        pass
    return isinstance(v, str) and not v.strip()


def text_value(v, limit: int = 120) -> str:
    """A cell as short display text (``12.0`` → ``"12"``; longer than ``limit`` cut with …)."""
    if blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    else:
        s = str(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


_UNIT_NUMBER = re.compile(
    r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(m|met|mét|dbm|dbw|w|kw|°|º|deg|do|độ|mhz|ghz|khz|người|nguoi)?\s*$",
    re.IGNORECASE,
)


def number_with_unit(v) -> tuple[float | None, str | None, str | None]:
    """``(value, unit, error)`` for a numeric cell that may carry a unit; blank → all None.

    Decimal commas and thousands separators are understood (:func:`geo._coords.parse_number`);
    ``error`` is ``"bad"`` for text that is not a number.
    """
    if blank(v):
        return None, None, None
    if isinstance(v, bool):
        return None, None, "bad"
    if isinstance(v, int | float | np.integer | np.floating):
        f = float(v)
        return (f, None, None) if math.isfinite(f) else (None, None, "bad")
    return _number_text(str(v))


@lru_cache(maxsize=65_536)
def _number_text(text: str) -> tuple[float | None, str | None, str | None]:
    """:func:`number_with_unit` of a text cell (cached: heights, levels, azimuths repeat)."""
    s = text.strip().replace("\u2212", "-")
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


def technologies(v) -> list[str] | None:
    """Technologies named in a cell (``'4G'``, ``'LTE'``, ``'2G/3G/4G'``, ``'HSPA+'``); None if none."""
    s = str(v).strip().lower()
    if re.fullmatch(r"[2345](\.0)?", s):
        return [f"{s[0]}G"]
    found: list[str] = []
    for part in re.split(r"[/,;&|]|\s+và\s+|\s+and\s+", s):
        p = re.sub(r"[^a-z0-9+]", "", part)
        if not p:
            continue
        if "5g" in p or p.startswith("nr") or "gnb" in p:
            t = "5G"
        elif "4g" in p or "lte" in p or "enb" in p:
            t = "4G"
        elif "3g" in p or "umts" in p or "wcdma" in p or "hspa" in p or "hsdpa" in p or "hsupa" in p:
            t = "3G"
        elif "2g" in p or "gsm" in p or "gprs" in p or "edge" in p or p == "bts":
            t = "2G"
        else:
            return None
        if t not in found:
            found.append(t)
    return found or None


def operator_name(v) -> str:
    """The operator a cell names (``"viettel"``, ``"VNPT"``, ``45204`` → ``"Viettel"``…)."""
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


def _numeric_text(v: str) -> bool:
    try:
        parse_number(v)
        return True
    except CoordError:
        return False


# ---------------------------------------------------------------------------- rows


_MESSAGE_CACHE: dict[tuple, tuple[str, str]] = {}
_MESSAGE_CACHE_MAX = 20_000


def _format_message(messages: dict, code: str, fmt: dict) -> tuple[str, str]:
    """The (vi, en) text of a message; repeated messages are one shared pair of strings."""
    try:
        key = (id(messages), code, tuple(fmt.items()))
        hit = _MESSAGE_CACHE.get(key)
    except TypeError:  # an unhashable value
        key, hit = None, None
    if hit is not None:
        return hit
    vi, en = messages[code]
    try:
        out = (vi.format(**fmt), en.format(**fmt))
    except (KeyError, ValueError, IndexError):
        out = (vi, en)
    if key is not None:
        if len(_MESSAGE_CACHE) >= _MESSAGE_CACHE_MAX:
            _MESSAGE_CACHE.clear()
        _MESSAGE_CACHE[key] = out
    return out


class Row:
    """One input row being validated: its problems, its values and its outcome.

    ``problems`` holds ``(column, value, code, problem_vi, problem_en)`` tuples (small:
    a 500,000-row list has millions); ``rec`` holds the kind's parsed values; ``xy`` the coordinates as read (in the
    source CRS until :func:`locate_rows` turns them into WGS 84 lon/lat).
    """

    __slots__ = ("rn", "problems", "fatal", "fixed", "flagged", "rec", "xy", "coord_cols", "coord_vals")
    MESSAGES: dict[str, tuple[str, str]] = MESSAGES

    def __init__(self, rn: int):
        self.rn = rn
        self.problems: list[dict] = []
        self.fatal = False
        self.fixed = False
        self.flagged = False
        self.rec: dict = {}
        self.xy: tuple[float, float] | None = None
        self.coord_cols = ("", "")
        self.coord_vals = ("", "")

    def add(self, code: str, column: str = "", value="", level: str = "note", **fmt) -> None:
        """Add a report line; ``level`` ``"reject"``, ``"fix"`` or ``"note"`` (flag only)."""
        shown = text_value(value)
        fmt.setdefault("value", shown)
        pvi, pen = _format_message(self.MESSAGES, code, fmt)
        self.problems.append((column, shown, code, pvi, pen))
        if level == "reject":
            self.fatal = True
        elif level == "fix":
            self.fixed = True
        else:
            self.flagged = True

    @property
    def status(self) -> str:
        return "rejected" if self.fatal else ("fixed" if self.fixed else "kept")


class Cells:
    """Access to one row's cells by canonical field: ``cells.get("lon") -> (value, header)``."""

    __slots__ = ("values", "columns", "mapping")

    def __init__(self, values: list, columns: list[str], mapping: dict[str, int]):
        self.values = values
        self.columns = columns
        self.mapping = mapping

    def get(self, f: str):
        i = self.mapping.get(f)
        return (self.values[i], self.columns[i]) if i is not None else (None, "")

    def header(self, f: str, default: str | None = None) -> str:
        i = self.mapping.get(f)
        return self.columns[i] if i is not None else (default or f)


# ---------------------------------------------------------------------------- steps


def choose_columns(columns: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Canonical field -> column index; the best-ranked alias wins, the rest stay extras."""
    from geo._station_readers import match_header

    best: dict[str, tuple[int, int]] = {}
    for i, c in enumerate(columns):
        f = match_header(c, aliases)
        if f is None:
            continue
        s = squash_header(c)
        rank = aliases[f].index(s) if s in aliases[f] else len(aliases[f])
        if f not in best or rank < best[f][0]:
            best[f] = (rank, i)
    return {f: i for f, (_, i) in best.items()}


def check_field_count(r: Row, cells: list, ncols: int, geometry) -> bool:
    """Reject a text row with more non-blank cells than the header has columns."""
    if geometry is None and len(cells) > ncols and any(not blank(c) for c in cells[ncols:]):
        r.add("field_count", "", "", "reject", n=len(cells), m=ncols)
        return False
    return True


_PLAIN_DECIMAL = re.compile(r"\s*[+-]?\d{1,7}(?:\.\d+)?\s*").fullmatch


def _plain_pair(vx, vy) -> tuple[float, float] | None:
    """Both cells as floats when both are plain decimals (text or finite numbers), else None."""
    tx, ty = type(vx), type(vy)
    if tx is str and ty is str:
        if _PLAIN_DECIMAL(vx) and _PLAIN_DECIMAL(vy):
            return float(vx), float(vy)
        return None
    if tx is float and ty is float and math.isfinite(vx) and math.isfinite(vy):
        return vx, vy
    return None


def read_row_coordinates(r: Row, table: RawTable, idx: int, cells: Cells) -> None:
    """Step: the row's coordinates from its geometry or its lon/lat (x/y) cells.

    Sets ``r.xy`` in the source CRS; decimal commas and DMS are fixes, unreadable
    text a rejection naming the column.
    """
    geometry = table.geometry
    if geometry is not None and not isinstance(geometry[idx], tuple) and "lon" not in cells.mapping:
        detail = str(geometry[idx])
        r.add("bad_geometry", "geometry", "", "reject", detail=detail,
              detail_vi=_GEOMETRY_VI.get(detail, detail))
        return
    if geometry is not None and isinstance(geometry[idx], tuple):
        r.xy = geometry[idx]
        r.coord_cols = ("geometry", "geometry")
        return
    (vx, cx), (vy, cy) = cells.get("lon"), cells.get("lat")
    fast = _plain_pair(vx, vy)
    if fast is not None:  # the common case: two plain decimals
        r.xy = fast
        r.coord_cols = (cx, cy)
        r.coord_vals = (text_value(vx), text_value(vy))
        return
    if blank(vx) or blank(vy):
        r.add("no_coordinates", cx if blank(vx) else cy, "", "reject")
        return
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
        r.coord_vals = (text_value(vx), text_value(vy))


def looks_like_formula(v) -> bool:
    """Text a spreadsheet would run as a formula, also behind spaces / NBSP / zero-width marks."""
    if not isinstance(v, str):
        return False
    s = v.lstrip(_INVISIBLE_LEAD)
    return s.startswith(_FORMULA_START) and not _numeric_text(v)


def flag_formula_cells(r: Row, pairs) -> None:
    """Step: flag (never change) text cells that look like spreadsheet formulas.

    ``pairs`` is an iterable of ``(header, value)``.
    """
    for col, v in pairs:
        if looks_like_formula(v):
            r.add("formula", col, v, char=v.lstrip(_INVISIBLE_LEAD)[0])


# ---------------------------------------------------------------------------- boundary


@lru_cache(maxsize=1)
def _province_outline():
    from geo.data import load_province

    prov = load_province()
    return shapely.union_all(prov.geometry.values)


def province_boundary() -> tuple[object, str]:
    """The embedded province outline (EPSG:4326) and ``"province"``.

    When it cannot be read (``data/`` missing or damaged) the bounding box and
    ``"bbox"`` are returned — never cached, so a later call retries — and a
    :class:`BoundaryWarning` is issued; every point set validated that way carries
    :data:`BBOX_NOTE` in its notes and report (issue #19).
    """
    try:
        return _province_outline(), "province"
    except Exception as exc:  # DataError before data/ ships, or an unreadable file
        warnings.warn(f"{BBOX_NOTE}: {exc}", BoundaryWarning, stacklevel=2)
        return box(*PROVINCE_BBOX), "bbox"


def _boundary_wgs84(boundary) -> tuple[object, str]:
    if boundary is None:
        return province_boundary()
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        b = boundary.to_crs("EPSG:4326") if boundary.crs is not None else boundary
        return shapely.union_all(np.asarray(b.geometry.values if hasattr(b, "geometry") else b.values)), "given"
    if isinstance(boundary, tuple | list) and len(boundary) == 4:
        return box(*boundary), "given"
    return boundary, "given"


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


TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def _inside(lon: np.ndarray, lat: np.ndarray, buffered) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    valid = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    x = np.full(lon.shape, np.nan)
    y = np.full(lon.shape, np.nan)
    if valid.any():
        with np.errstate(all="ignore"):
            x[valid], y[valid] = TO_METRIC.transform(lon[valid], lat[valid], errcheck=False)
    ok = valid & np.isfinite(x) & np.isfinite(y)
    inside = np.zeros(lon.shape, bool)
    if ok.any():
        inside[ok] = shapely.contains_xy(buffered, x[ok], y[ok])
    return inside, x, y


def locate_rows(rows: list[Row], src_crs: CRS, boundary=None, margin_km: float = DEFAULT_MARGIN_KM) -> str:
    """Step (vectorised): source coordinates → WGS 84, swapped axes, the province check.

    Sets ``r.xy`` to WGS 84 ``(lon, lat)`` for rows inside the province (+ margin),
    swapping x/y back when only the swapped pair lies inside (a fix); rejects the rest
    with the reason. Returns where the outline came from (``"province"``, ``"bbox"``
    when the embedded outline could not be read, or ``"given"``).
    """
    margin_m = float(margin_km) * 1000.0
    bwgs, origin = _boundary_wgs84(boundary)
    metric_geom, buffered = _metric_zones(shapely.to_wkb(bwgs), margin_m)
    cand = [r for r in rows if r.xy is not None and not r.fatal]
    if not cand:
        return origin
    x = np.fromiter((r.xy[0] for r in cand), float, len(cand))
    y = np.fromiter((r.xy[1] for r in cand), float, len(cand))
    if src_crs.is_geographic:
        lon_a, lat_a, lon_b, lat_b = x, y, y, x
        looks_projected = (np.abs(x) > 1000) | (np.abs(y) > 1000)
    else:
        lon_a, lat_a = to_wgs84(x, y, src_crs)
        lon_b, lat_b = to_wgs84(y, x, src_crs)
        looks_projected = np.zeros(len(cand), bool)
    in_a, xa, ya = _inside(lon_a, lat_a, buffered)
    in_b = np.zeros(len(cand), bool)
    not_a = np.flatnonzero(~in_a)
    if not_a.size:
        in_b[not_a] = _inside(lon_b[not_a], lat_b[not_a], buffered)[0]
    outside_idx = np.flatnonzero(~in_a & ~in_b & np.isfinite(xa))
    dist_km = np.full(len(cand), np.nan)
    if outside_idx.size:
        dist_km[outside_idx] = shapely.distance(
            shapely.points(xa[outside_idx], ya[outside_idx]), metric_geom) / 1000.0
    for k in np.flatnonzero(in_a):
        cand[k].xy = (float(lon_a[k]), float(lat_a[k]))
    for k in not_a:
        r = cand[k]
        cx, cy = r.coord_cols
        shown = f"{r.coord_vals[0]}, {r.coord_vals[1]}" if r.coord_vals[0] else f"{r.xy[0]:g}, {r.xy[1]:g}"
        col = cx if cx == cy else f"{cx}/{cy}"
        if in_b[k]:
            r.xy = (float(lon_b[k]), float(lat_b[k]))
            r.add("swapped", col, shown, "fix")
        elif looks_projected[k]:
            r.add("projected_no_crs", col, shown, "reject")
        elif np.isfinite(dist_km[k]):
            r.add("outside", col, shown, "reject", km=dist_km[k], margin=margin_km)
        else:
            r.add("bad_transform", col, shown, "reject")
    for r in cand:
        r.coord_vals = ("", "")  # only the messages above needed the text; free it
    return origin


def source_crs(table: RawTable, crs) -> CRS:
    """The CRS of the table's coordinates: the file's own, else ``crs``, else WGS 84."""
    user_crs = resolve_crs(crs) if crs is not None else None
    return table.crs if table.crs is not None else (user_crs or CRS.from_epsg(4326))


# ---------------------------------------------------------------------------- outputs


def report_frame(rows: list[Row]) -> pd.DataFrame:
    """The report: :data:`REPORT_COLUMNS`, one line per problem and at least one per row."""
    row, column, value, status, pvi, pen, code = [], [], [], [], [], [], []
    ok_vi, ok_en = MESSAGES["ok"]
    for r in rows:
        st = r.status
        if not r.problems:
            row.append(r.rn)
            column.append("")
            value.append("")
            status.append(st)
            pvi.append(ok_vi)
            pen.append(ok_en)
            code.append("ok")
            continue
        for c, v, k, vi, en in r.problems:
            row.append(r.rn)
            column.append(c)
            value.append(v)
            status.append(st)
            pvi.append(vi)
            pen.append(en)
            code.append(k)
    return report_from_columns(row, column, value, status, pvi, pen, code)


def report_from_columns(row, column, value, status, problem_vi, problem_en, code) -> pd.DataFrame:
    """The report frame from its seven columns: ``row`` int64, the text columns ``object``.

    Object columns share the (cached, repeated) message strings instead of copying each
    into an Arrow buffer — a 500,000-row list has over a million report lines.
    """
    def text(values):
        return pd.Series(values, dtype=object)

    return pd.DataFrame({
        "row": np.asarray(row, dtype="int64"), "column": text(column), "value": text(value),
        "status": text(status), "problem_vi": text(problem_vi), "problem_en": text(problem_en),
        "code": text(code),
    }, columns=list(REPORT_COLUMNS))


def points_frame(records: list[dict], columns: tuple[str, ...], dtypes: dict[str, str] | None = None
                 ) -> gpd.GeoDataFrame:
    """Point records (with ``_x``/``_y`` WGS 84) as a GeoDataFrame: ``columns`` first, extras after."""
    if not records:
        empty = {c: pd.Series(dtype=(dtypes or {}).get(c, object)) for c in columns}
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    df = pd.DataFrame.from_records(records)
    geom = gpd.points_from_xy(df.pop("_x"), df.pop("_y"), crs="EPSG:4326")
    for c in columns:
        if c not in df:
            df[c] = None
    df = df[list(columns) + [c for c in df.columns if c not in columns]]
    for c, dt in (dtypes or {}).items():
        if dt is object or dt == "object":  # text with None for missing (not NaN, not a string dtype)
            df[c] = pd.Series([None if blank(rec.get(c)) else rec.get(c) for rec in records],
                              dtype=object, index=df.index)
        else:
            df[c] = df[c].astype(dt)
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:4326")


@dataclass
class PointSet:
    """Points read from one source and the report that explains every row.

    Attributes
    ----------
    gdf : geopandas.GeoDataFrame
        EPSG:4326 points with the kind's columns, then the file's extra columns.
    report : pandas.DataFrame
        :data:`REPORT_COLUMNS`; one line per problem and at least one per input row;
        ``status`` is the row's outcome (``kept``, ``fixed`` or ``rejected``).
    kind : str
        ``"stations"``, ``"villages"`` or ``"measurements"``.
    """

    gdf: gpd.GeoDataFrame
    report: pd.DataFrame
    kind: str = ""
    source_name: str = ""
    source_sha256: str = ""
    source_format: str = ""
    crs: str = "EPSG:4326"
    rows_read: int = 0
    modelled: bool = False
    notes: list[str] = field(default_factory=list)
    flagged: int = 0

    def row_status(self) -> pd.Series:
        """Outcome per input row (index: row number as in the file)."""
        if self.report.empty:
            return pd.Series(dtype=object)
        return self.report.drop_duplicates("row").set_index("row")["status"]

    def summary(self) -> dict:
        """``rows_read, kept, fixed, rejected, flagged, points``.

        ``flagged`` counts the kept or fixed rows that carry a warning to check (a
        village outside its commune, an unreadable power status …); they are in
        ``kept``/``fixed`` too.
        """
        counts = self.row_status().value_counts()
        flagged = int(self.flagged)
        return {
            "rows_read": int(self.rows_read),
            "kept": int(counts.get("kept", 0)),
            "fixed": int(counts.get("fixed", 0)),
            "rejected": int(counts.get("rejected", 0)),
            "flagged": flagged,
            "points": int(len(self.gdf)),
        }

    @property
    def usable(self) -> bool:
        return len(self.gdf) > 0

    def issues(self) -> pd.DataFrame:
        """The report without the plain ``OK`` lines."""
        return self.report[self.report["code"] != "ok"].reset_index(drop=True)

    def to_json_dict(self) -> dict:
        """The ``--json`` view: summary counts, source, notes and every issue."""
        out = self.summary()
        out["kind"] = self.kind
        out["source"] = self.source_name
        out["sha256"] = self.source_sha256
        out["format"] = self.source_format
        out["crs"] = self.crs
        out["notes"] = list(self.notes)
        out["issues"] = issues_json(self.issues())
        return out


def issues_json(issues: pd.DataFrame) -> list[dict]:
    """Report lines as JSON-able dicts (``row`` int, the rest text or null)."""
    return [
        {k: (None if blank(v) else (int(v) if k == "row" else str(v))) for k, v in rec.items()}
        for rec in issues.to_dict("records")
    ]


# ---------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class PointKind:
    """What one kind of point list adds to the shared reader.

    Attributes
    ----------
    name : str
        ``"villages"``, ``"measurements"`` …; also the workspace ``kind``.
    aliases : dict
        Canonical field -> accepted headers after :func:`geo._station_readers.squash_header`
        (Vietnamese and English); must contain ``lon`` and ``lat``.
    columns : tuple of str
        Output columns (before ``geometry``), in order.
    parse_row : callable ``(row, cells) -> None``
        Reads and checks the kind's own cells into ``row.rec`` (``row.add`` for problems).
    finish : callable ``(rows) -> list[str] | None``, optional
        Runs after the coordinates are located (WGS 84): cross-row or spatial checks;
        may return notes for the whole set (e.g. "communes could not be loaded").
    record : callable ``(row) -> dict``, optional
        The output record of a kept row (default ``row.rec``).
    dtypes : dict
        Column dtypes of the output frame.
    messages : dict
        Extra report messages ``code -> (vi, en)``.
    text_fields : tuple of str
        Fields whose cells are flagged when they look like formulas.
    """

    name: str
    aliases: dict[str, tuple[str, ...]]
    columns: tuple[str, ...]
    parse_row: Callable
    finish: Callable | None = None
    record: Callable | None = None
    dtypes: dict[str, str] = field(default_factory=dict)
    messages: dict[str, tuple[str, str]] = field(default_factory=dict)
    text_fields: tuple[str, ...] = ()

    def row_class(self) -> type[Row]:
        return _row_class(self.name, tuple(sorted(self.messages.items())))


@lru_cache(maxsize=16)
def _row_class(name: str, messages: tuple) -> type[Row]:
    return type(f"{name.title()}Row", (Row,), {"__slots__": (), "MESSAGES": {**MESSAGES, **dict(messages)}})


def _extra_columns(table: RawTable, used: set[int], reserved: set[str]) -> list[tuple[int, str]]:
    """(index, output name) of the file's columns no field claimed; clashing names get ``_src``."""
    out = []
    for i, c in enumerate(table.columns):
        if i in used:
            continue
        out.append((i, f"{c}_src" if c in reserved else c))
    return out


def rows_of(table: RawTable, consume: bool):
    """``table.rows`` in order; with ``consume`` each row is dropped from the table once yielded."""
    if not consume:
        yield from table.rows
        return
    rows = table.rows
    for i in range(len(rows)):
        item = rows[i]
        rows[i] = None
        yield item


def validate_points(
    table: RawTable,
    kind: PointKind,
    *,
    crs=None,
    boundary=None,
    margin_km: float = DEFAULT_MARGIN_KM,
    source_name: str = "",
    source_sha256: str = "",
    consume: bool = False,
) -> PointSet:
    """Validate a :class:`RawTable` row by row as points of ``kind``.

    ``consume=True`` (the readers' own call) releases each raw row once it is read, so a
    500,000-row list is not held twice.

    Steps: choose the columns; per row — the field count, the coordinates, the kind's
    own cells, formula-looking text; then (vectorised) locate all rows in WGS 84 and
    check them against the province; then the kind's ``finish``; then the frame and
    the report.
    """
    mapping = choose_columns(table.columns, kind.aliases)
    reserved = set(kind.columns) | set(kind.dtypes) | {"geometry", "_x", "_y"}
    extras = _extra_columns(table, set(mapping.values()), reserved)
    src_crs = source_crs(table, crs)
    row_cls = kind.row_class()
    n_rows = len(table.rows)
    ncols = len(table.columns)
    rows: list[Row] = []
    for idx, (rn, values) in enumerate(rows_of(table, consume)):
        r = row_cls(rn)
        rows.append(r)
        if not check_field_count(r, values, ncols, table.geometry):
            continue
        values = list(values) + [None] * (ncols - len(values))
        cells = Cells(values, table.columns, mapping)
        read_row_coordinates(r, table, idx, cells)
        kind.parse_row(r, cells)
        for i, out_name in extras:
            v = values[i]
            r.rec[out_name] = None if blank(v) else v
        flag_formula_cells(r, [(table.columns[i], values[i]) for i, _ in extras]
                           + [(cells.header(f), cells.get(f)[0]) for f in kind.text_fields])
    origin = locate_rows(rows, src_crs, boundary, margin_km)
    set_notes = (kind.finish(rows) or []) if kind.finish is not None else []
    records = []
    for r in rows:
        if r.fatal or r.xy is None:
            continue
        rec = kind.record(r) if kind.record is not None else dict(r.rec)
        rec["source_row"] = int(r.rn)
        rec["_x"], rec["_y"] = r.xy
        records.append(rec)
    notes = list(table.notes)
    if origin == "bbox":
        notes.append(BBOX_NOTE)
    notes.extend(set_notes)
    return PointSet(
        gdf=points_frame(records, kind.columns, {**kind.dtypes, "source_row": "int64"}),
        report=report_frame(rows), kind=kind.name, source_name=source_name,
        source_sha256=source_sha256, source_format=table.kind, crs=src_crs.to_string(),
        rows_read=n_rows, notes=notes, flagged=sum(1 for r in rows if r.flagged and not r.fatal),
    )


def read_points(path_or_file, kind: PointKind, *, crs=None, sheet: str | None = None, boundary=None,
                margin_km: float = DEFAULT_MARGIN_KM) -> PointSet:
    """Read and validate a point list of ``kind`` (any supported format).

    Raises
    ------
    PointFileError
        The file cannot be read at all: wrong type, empty, encrypted, hostile, over
        50 MB or 500,000 rows, no header row, an unknown ``crs``.
    """
    data, name = read_source(path_or_file)
    sha = hashlib.sha256(data).hexdigest()
    try:
        with no_gc():
            table = read_table(data, name, sheet=sheet, aliases=kind.aliases)
            return validate_points(table, kind, crs=crs, boundary=boundary, margin_km=margin_km,
                                   source_name=name, source_sha256=sha, consume=True)
    except CoordError as exc:
        raise PointFileError(str(exc)) from exc
