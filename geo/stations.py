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

from geo import pointlist
from geo import radio_defaults as rd
from geo._coords import CoordError
from geo._station_readers import (
    FIELD_ALIASES,
    MAX_ROWS,
    OPENCELLID_COLUMNS,
    RawTable,
    StationFileError,
    read_source,
    read_table,
    squash_header,
)
from geo.constants import ANALYSIS_CRS
from geo.pointlist import (
    BBOX_NOTE,
    MESSAGES,
    OPERATORS_BY_MNC,
    PROVINCE_BBOX,  # noqa: F401  (re-exported: older code reads it from here)
    REPORT_COLUMNS,
    TO_METRIC,
    Cells,
    Row,
    blank,
    check_field_count,
    choose_columns,
    flag_formula_cells,
    locate_rows,
    no_gc,
    number_with_unit,
    operator_name,
    points_frame,
    read_row_coordinates,
    report_frame,
    rows_of,
    source_crs,
    technologies,
    text_value,
)

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
DEFAULT_MARGIN_KM = 30.0  # stations just outside the border still cover inside
DUPLICATE_RADIUS_M = 10.0
SITE_MERGE_RADIUS_M = 50.0
METRIC_CRS = ANALYSIS_CRS  # geo.constants
DEFAULT_TILT_DEG = 0.0
MODELLED_NOTE = "modelled reference network — upload your station list for real results"
MODELLED_NOTE_VI = "mạng tham chiếu mô phỏng — hãy tải danh sách trạm thật để có kết quả thật"

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
    **MESSAGES,  # coordinates, values, formulas, communes: shared by every point kind
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
    "id_conflict": (
        "Mã trạm «{value}» đã có ở dòng {other} tại vị trí khác (cách {km:.2f} km); vẫn giữ — hãy kiểm tra",
        "Station id '{value}' is also on row {other} at another position ({km:.2f} km away); kept — please check",
    ),
    "no_id": ("Thiếu mã trạm; đặt mã {fixed}", "No station id; named {fixed}"),
    "no_operator": ("Thiếu nhà mạng", "No operator given"),
    "merged": (
        "Gộp vào trạm {fixed} (cùng vị trí trong {radius:g} m, cùng nhà mạng)",
        "Merged into station {fixed} (same site within {radius:g} m, same operator)",
    ),
    "modelled": (MODELLED_NOTE_VI, MODELLED_NOTE),
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

    @property
    def gdf(self) -> gpd.GeoDataFrame:
        """The stations (the name every :class:`geo.pointlist.PointSet` uses)."""
        return self.stations

    @property
    def kind(self) -> str:
        return "stations"

    def issues(self) -> pd.DataFrame:
        """The report without the plain ``OK`` lines."""
        return self.report[self.report["code"] != "ok"].reset_index(drop=True)

    def to_json_dict(self) -> dict:
        """The ``--json`` view: summary counts and every issue."""
        out = self.summary()
        out["source"] = self.source_name
        out["sha256"] = self.source_sha256
        out["format"] = self.source_format
        out["notes"] = list(self.notes)
        out["issues"] = [
            {k: (None if _blank(v) else (int(v) if k == "row" else str(v))) for k, v in rec.items()}
            for rec in self.issues().to_dict("records")
        ]
        return out


# ---------------------------------------------------------------------------- parsing helpers

# The value parsers are shared with the other point kinds (geo.pointlist); the old names stay.
_blank = blank
_text = text_value
_number = number_with_unit
_technologies = technologies
_operator = operator_name


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


_RESERVED_EXTRAS = ("geometry", "_x", "_y", "commune", "commune_code", "band_given", "duplicate_of_row",
                    "n_cells", "cell_ids")


def _boundary_wgs84(boundary):
    """The outline (EPSG:4326) the province check uses (kept for :mod:`geo.opencellid`)."""
    return pointlist._boundary_wgs84(boundary)[0]


# ---------------------------------------------------------------------------- validation


_NO_AZIMUTH = (float("nan"),)


class _Row(Row):
    """A station-list row: the shared :class:`geo.pointlist.Row` plus what expands it."""

    __slots__ = ("assumed", "techs", "azimuths", "stations")
    MESSAGES = _MESSAGES

    def __init__(self, rn: int):
        super().__init__(rn)
        self.assumed: tuple[str, ...] = ()
        self.techs: tuple[str, ...] = ()
        self.azimuths: tuple[float, ...] = _NO_AZIMUTH
        self.stations: list[dict] = []


def _choose_columns(columns: list[str]) -> dict[str, int]:
    """Canonical field -> column index; the best-ranked alias wins, the rest stay extras."""
    return choose_columns(columns, FIELD_ALIASES)


def _is_opencellid(columns: list[str]) -> bool:
    s = {c.strip().lower() for c in columns}
    return {"radio", "mcc", "net", "area", "cell", "lon", "lat"} <= s


@dataclass
class _Layout:
    """Which column holds what: the field mapping, OpenCelliD columns, extras and their names."""

    mapping: dict[str, int]
    opencellid: bool
    ocid: dict[str, int]
    extras: list[tuple[int, str]]


def _layout(table: RawTable) -> _Layout:
    """Step: map the header to fields (station aliases or the OpenCelliD schema)."""
    opencellid = _is_opencellid(table.columns)
    ocid = {c.strip().lower(): i for i, c in enumerate(table.columns)} if opencellid else {}
    if opencellid:
        mapping = {"lon": ocid["lon"], "lat": ocid["lat"], "technology": ocid["radio"]}
    else:
        mapping = _choose_columns(table.columns)
        site_cols = [i for i, c in enumerate(table.columns)
                     if squash_header(c) == "siteid" and i != mapping.get("station_id")]
        if site_cols and "station_id" in mapping:
            mapping["site_id"] = site_cols[0]
    used = set(mapping.values())
    if opencellid:
        used |= {ocid[c] for c in ("mcc", "net", "area", "cell")}
    extras = []
    for i, c in enumerate(table.columns):
        if i in used:
            continue
        reserved = c in STATION_COLUMNS or c in _RESERVED_EXTRAS
        extras.append((i, f"{c}_src" if reserved else c))
    return _Layout(mapping, opencellid, ocid, extras)


def _read_technology(r: _Row, cells: Cells, lay: _Layout) -> None:
    """Step: the row's technologies (one station per technology); missing → 4G assumed."""
    if lay.opencellid:
        i = lay.ocid["radio"]
        radio = cells.values[i]
        techs = _cached_technologies(radio) if not _blank(radio) else None
        if techs is None:
            r.add("unknown_technology", cells.columns[i], radio, "reject")
        r.techs = tuple(techs or ())
        return
    vt, ct = cells.get("technology")
    if _blank(vt):
        r.techs = ("4G",)
        r.assumed = ("technology",)
        r.add("assumed_technology", ct or "technology", "", "fix")
        return
    techs = _cached_technologies(vt)
    if techs is None:
        r.add("unknown_technology", ct, vt, "reject")
        return
    r.techs = tuple(techs)
    if len(techs) > 1:
        r.add("split_technology", ct, vt, "fix", fixed="/".join(techs))


@lru_cache(maxsize=4096)
def _technologies_of(text: str):
    t = _technologies(text)
    return tuple(t) if t is not None else None


def _cached_technologies(v):
    return _technologies_of(str(v))


@lru_cache(maxsize=4096)
def _operator_of(text: str) -> str:
    return _operator(text)


def _read_identity(r: _Row, cells: Cells, lay: _Layout, kind: str) -> None:
    """Step: operator, station id (site id, commune); OpenCelliD ids from MCC-MNC-area-cell."""
    vals = cells.values
    if lay.opencellid:
        mcc, net = vals[lay.ocid["mcc"]], vals[lay.ocid["net"]]
        try:
            mnc = int(float(str(net).strip()))
            opname = OPERATORS_BY_MNC.get(mnc, f"MNC {mnc}") if int(float(str(mcc))) == VN_MCC \
                else f"{_text(mcc)}-{mnc:02d}"
        except (TypeError, ValueError):
            opname = "unknown"
        r.rec["operator"] = opname
        r.rec["station_id"] = "-".join(_text(vals[lay.ocid[c]]) for c in ("mcc", "net", "area", "cell"))
    else:
        vo, co = cells.get("operator")
        r.rec["operator"] = _operator_of(str(vo)) if not _blank(vo) else "unknown"
        if _blank(vo):
            r.add("no_operator", co or "operator", "")
        vid, cid = cells.get("station_id")
        if _blank(vid) and kind in ("kml", "kmz") and "name" in cells.columns:
            vid = vals[cells.columns.index("name")]  # the placemark's own <name>
        if _blank(vid):
            r.rec["station_id"] = f"row{r.rn}"
            r.add("no_id", cid or "station_id", "", fixed=f"row{r.rn}")
        else:
            r.rec["station_id"] = _text(vid, 200)
    if "site_id" in lay.mapping:
        vs, _ = cells.get("site_id")
        r.rec["site_id"] = None if _blank(vs) else _text(vs, 200)
    if "commune" in lay.mapping:
        vc, _ = cells.get("commune")
        r.rec["commune"] = None if _blank(vc) else _text(vc, 200)


def _read_band(r: _Row, cells: Cells) -> None:
    """Step: the band in MHz (``L1800``, ``n78``, ``3.5 GHz`` …) within the plausible range."""
    vb, cb = cells.get("band_mhz")
    band = None
    if not _blank(vb):
        band, how, err = _band(vb)
        lo, hi = rd.LIMITS["band_mhz"]
        if err:
            r.add("bad_value", cb, vb, "reject", field_vi="băng tần", field_en="band")
        elif how and lo <= band <= hi:
            r.add(how, cb, vb, "fix", fixed=f"{band:g}", unit="MHz")
        if band is not None and not err and not lo <= band <= hi:
            r.add("impossible", cb, vb, "reject", field_vi="băng tần", field_en="band",
                  lo=lo, hi=hi, unit="MHz")
            band = None
        if len(r.techs) > 1:
            band = None  # a multi-technology row: each technology takes its own default band
    r.rec["band_given"] = band


def _eirp_to_dbm(val: float, unit: str) -> float:
    if unit == "dbw":
        return val + 30.0
    watts = val * (1000.0 if unit == "kw" else 1.0)
    return 10.0 * math.log10(watts * 1000.0) if watts > 0 else float("nan")


def _read_numbers(r: _Row, cells: Cells) -> None:
    """Step: antenna height, EIRP (W / kW / dBW converted) and tilt, each within its limits."""
    for f in ("height_m", "eirp_dbm", "tilt_deg"):
        v, c = cells.get(f)
        if _blank(v):
            r.rec[f] = None
            continue
        fvi, fen, unit = _FIELD_NAMES[f]
        val, u, err = _number(v)
        if err:
            r.add("bad_value", c, v, "reject", field_vi=fvi, field_en=fen)
            continue
        if f == "eirp_dbm" and u in ("w", "kw", "dbw"):
            new = _eirp_to_dbm(val, u)
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


def _azimuth_parts(va) -> list:
    if not isinstance(va, str):
        return [va]
    parts = [p for p in re.split(r"[/;|]|(?<=\d)\s*-\s*(?=\d)|\s+", va.strip()) if p]
    if len(parts) == 1 and "," in va and not re.fullmatch(r"\d+,\d+", va.strip()):
        parts = [p for p in va.split(",") if p.strip()]
    return parts


@lru_cache(maxsize=8192)
def _azimuths_of(kind: type, va) -> tuple[tuple[float, ...] | None, tuple[tuple[float, float], ...]]:
    """``(azimuths, wrapped)`` of an azimuth cell; ``azimuths`` None when unreadable.

    Cached by (type, value): ``True`` and ``1`` are equal keys but not the same cell.
    """
    azs, wrapped = [], []
    for p in _azimuth_parts(va):
        val, _, err = _number(p)
        if err or val is None:
            return None, ()
        if not 0.0 <= val <= 360.0:
            wrapped.append((val, val % 360.0))
            val = val % 360.0
        azs.append(val)
    return tuple(azs), tuple(wrapped)


def _read_azimuths(r: _Row, cells: Cells) -> None:
    """Step: one azimuth or several (``0/120/240`` → sectors), wrapped into 0–360°."""
    va, ca = cells.get("azimuth_deg")
    if _blank(va):
        return
    try:
        azs, wrapped = _azimuths_of(type(va), va)
    except TypeError:  # an unhashable cell
        azs, wrapped = None, ()
    if azs is None:
        r.add("bad_value", ca, va, "reject", field_vi="hướng", field_en="azimuth")
        return
    for val, w in wrapped:
        r.add("azimuth_wrapped", ca, val, "fix", fixed=f"{w:g}")
    if azs:
        r.azimuths = azs
        if len(azs) > 1:
            r.add("sectors", ca, va, "fix", n=len(azs))


def _read_row(r: _Row, table: RawTable, idx: int, values: list, lay: _Layout) -> None:
    """All per-row steps of a station list, in order."""
    ncols = len(table.columns)
    if not check_field_count(r, values, ncols, table.geometry):
        return
    if len(values) < ncols:
        values = list(values) + [None] * (ncols - len(values))
    cells = Cells(values, table.columns, lay.mapping)
    read_row_coordinates(r, table, idx, cells)
    _read_technology(r, cells, lay)
    _read_identity(r, cells, lay, table.kind)
    _read_band(r, cells)
    _read_numbers(r, cells)
    _read_azimuths(r, cells)
    pairs = []
    for i, out_name in lay.extras:
        v = values[i]
        r.rec[out_name] = None if _blank(v) else v
        pairs.append((table.columns[i], v))
    pairs.append((cells.header("station_id"), r.rec.get("station_id")))
    flag_formula_cells(r, pairs)


_NOT_EXTRA = frozenset(("band_given", "height_m", "eirp_dbm", "tilt_deg", "station_id", "operator", "site_id"))


@lru_cache(maxsize=4096)
def _radio_plan(techs: tuple, band_given, height, eirp, tilt, assumed: tuple):
    """Per technology ``(tech, band, height, eirp, tilt, assumed)`` and the defaults filled in.

    Pure and cached: a long list repeats a few combinations of given and missing values.
    Returns ``(per_tech, filled)`` with ``filled`` ``((field, fixed_text, tech_text), …)``.
    """
    filled: dict[str, list[tuple[str, float]]] = {}  # field -> [(tech, value)]
    per_tech = []
    for tech in techs:
        band = band_given
        used = list(assumed)
        if band is None:
            band = rd.DEFAULT_BAND_MHZ[tech]
            used.append("band_mhz")
            filled.setdefault("band_mhz", []).append((tech, band))
        d = _defaults_for(tech, float(band))
        vals = {}
        for f, given, default in (("height_m", height, d.height_m), ("eirp_dbm", eirp, d.eirp_dbm)):
            if given is None:
                given = default
                used.append(f)
                filled.setdefault(f, []).append((tech, given))
            vals[f] = float(given)
        t = tilt
        if t is None:
            t = DEFAULT_TILT_DEG
            used.append("tilt_deg")
        per_tech.append((tech, float(band), vals["height_m"], vals["eirp_dbm"], float(t),
                         ",".join(dict.fromkeys(used))))
    notes = tuple((f, "/".join(f"{v:g}" for _, v in pairs), "/".join(t for t, _ in pairs))
                  for f, pairs in filled.items())
    return tuple(per_tech), notes


def _expand_stations(r: _Row, table: RawTable, mapping: dict[str, int]) -> None:
    """Step: defaults by technology for what is missing; one station per technology × azimuth."""
    if r.fatal:
        return
    rec = r.rec
    per_tech, filled = _radio_plan(r.techs, rec.get("band_given"), rec.get("height_m"), rec.get("eirp_dbm"),
                                   rec.get("tilt_deg"), r.assumed)
    extras = {k: v for k, v in rec.items() if k not in _NOT_EXTRA}
    sid0 = rec["station_id"]
    site = rec.get("site_id") or sid0
    multi_tech, multi_az = len(per_tech) > 1, len(r.azimuths) > 1
    x, y = r.xy
    for tech, band, height, eirp, tilt, assumed_text in per_tech:
        for s_i, az in enumerate(r.azimuths):
            sid = sid0
            if multi_tech:
                sid = f"{sid}-{tech}"
            if multi_az:
                sid = f"{sid}-S{s_i + 1}"
            st = {
                "station_id": sid, "site_id": site, "operator": rec["operator"], "technology": tech,
                "band_mhz": band, "height_m": height, "eirp_dbm": eirp, "azimuth_deg": float(az),
                "tilt_deg": tilt, "source_row": r.rn, "assumed": assumed_text, "modelled": False,
                "_x": x, "_y": y,
            }
            st.update(extras)  # extras never clash: clashing names were renamed "…_src"
            r.stations.append(st)
    for f, fixed, techs in filled:
        fvi, fen, unit = _FIELD_NAMES[f]
        col = table.columns[mapping[f]] if f in mapping else f
        r.add("assumed", col, "", "fix", field_vi=fvi, field_en=fen, unit=unit, fixed=fixed, tech=techs)


@lru_cache(maxsize=256)
def _defaults_for(tech: str, band: float):
    return rd.defaults_for(tech, band)


def _dedupe_problems(rows: list[_Row]) -> None:
    """One report line per (code, column, text) per row."""
    for r in rows:
        if len(r.problems) < 2:
            continue
        seen, keep = set(), []
        for p in r.problems:
            key = (p[2], p[0], p[4])  # code, column, English text
            if key not in seen:
                seen.add(key)
                keep.append(p)
        r.problems = keep


def validate_table(
    table: RawTable,
    *,
    crs=None,
    boundary=None,
    margin_km: float = DEFAULT_MARGIN_KM,
    merge_cells: bool = True,
    source_name: str = "",
    source_sha256: str = "",
    _consume: bool = False,
) -> StationSet:
    """Validate a :class:`RawTable` row by row into a :class:`StationSet`.

    The steps: :func:`_layout` (header → fields); per row :func:`_read_row`
    (coordinates, technology, identity, band, numbers, azimuths, formula-looking
    text); :func:`geo.pointlist.locate_rows` (WGS 84, swapped axes, the province);
    :func:`_expand_stations` (defaults, technologies × sectors); commune names,
    OpenCelliD sites, duplicates and id conflicts; the frame and the report.

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
    lay = _layout(table)
    src_crs = source_crs(table, crs)
    rows: list[_Row] = []
    n_rows = len(table.rows)
    for idx, (rn, values) in enumerate(rows_of(table, _consume)):
        r = _Row(rn)
        rows.append(r)
        _read_row(r, table, idx, values, lay)
    origin = locate_rows(rows, src_crs, boundary, margin_km)
    for r in rows:
        _expand_stations(r, table, lay.mapping)
    _dedupe_problems(rows)
    if "commune" in lay.mapping:
        _resolve_communes(rows, table.columns[lay.mapping["commune"]])
    if lay.opencellid:
        _opencellid_sites(rows, merge_cells)
    _flag_duplicates(rows)
    if not lay.opencellid:
        _flag_id_conflicts(rows)
    notes = list(table.notes)
    if origin == "bbox":
        notes.append(BBOX_NOTE)
    for r in rows:
        r.rec = {}  # parsed cells are in the stations now; free them before the frames
    report = report_frame(rows)
    return StationSet(
        stations=_stations_frame([st for r in rows for st in r.stations]), report=report,
        source_name=source_name, source_sha256=source_sha256,
        source_format="opencellid" if lay.opencellid else table.kind,
        crs=src_crs.to_string() if src_crs is not None else "EPSG:4326",
        rows_read=n_rows, notes=notes,
    )


def _stations_frame(records: list[dict]) -> gpd.GeoDataFrame:
    dtypes = {c: "float64" for c in ("band_mhz", "height_m", "eirp_dbm", "azimuth_deg", "tilt_deg")}
    dtypes.update(source_row="int64", modelled=bool)
    return points_frame(records, STATION_COLUMNS, dtypes if records else None)


def _report_frame(rows: list[_Row]) -> pd.DataFrame:
    return report_frame(rows)



def _metric_xy(stations: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    lon = np.array([s["_x"] for s in stations], dtype=float)
    lat = np.array([s["_y"] for s in stations], dtype=float)
    return TO_METRIC.transform(lon, lat)


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


def _flag_id_conflicts(rows: list[_Row]) -> None:
    """Flag (never drop) a station id given on several rows more than 50 m apart.

    Rows of one site (one row per sector or technology) share an id at one place; the
    same id somewhere else is a typo or two sites under one name — a planner must look.
    """
    by_id: dict[str, list[_Row]] = {}
    for r in rows:
        if r.fatal or not r.stations or r.rec.get("station_id") == f"row{r.rn}":
            continue
        by_id.setdefault(str(r.rec["station_id"]), []).append(r)
    groups = [g for g in by_id.values() if len(g) > 1]
    if not groups:
        return
    for g in groups:
        x, y = TO_METRIC.transform(np.array([r.xy[0] for r in g]), np.array([r.xy[1] for r in g]))
        d = np.hypot(x - x[0], y - y[0])
        for k in np.flatnonzero(d > SITE_MERGE_RADIUS_M):
            g[k].add("id_conflict", "", g[k].rec["station_id"], other=g[0].rn, km=float(d[k]) / 1000.0)


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
    try:
        with no_gc():
            table = read_table(data, name, sheet=sheet)
            return validate_table(
                table, crs=crs, boundary=boundary, margin_km=margin_km, merge_cells=merge_cells,
                source_name=name, source_sha256=sha, _consume=True,
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

    2,445 masts of three operators (4G on every mast, 5G on 527 at each operator's band; 3,128
    stations), made by :func:`geo.default_network.model_default_network` from the published
    facts (docs/models.md §8). Its report says on every row that it
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
