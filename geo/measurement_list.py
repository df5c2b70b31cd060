"""Drive and walk tests as phone apps and engineers export them.

One kind of :mod:`geo.pointlist` (the shared reader does the file, encodings, header,
coordinates in WGS 84 or VN-2000 and the row report). Read here: the technology, the
operator, the signal level, the cell and the time of each measured point.

Formats understood: the CSV/TXT export of G-NetTrack Pro (``Timestamp, Longitude,
Latitude, Speed, Operatorname, CGI, Cellname, Node, CellID, LAC, NetworkTech,
NetworkMode, Level, Qual, SNR, CQI …``), generic CSV/XLSX with Vietnamese or English
headers (kinh độ / vĩ độ / RSRP / mạng / nhà mạng …, decimal commas), GeoJSON and KML
points.

The level column ``rsrp_dbm`` is the technology's own received-level measure, named
in ``signal_metric``: RSRP for 4G/5G (G-NetTrack's ``Level`` is RSRP for LTE/NR), RSCP
for 3G and RSSI for 2G. Each must lie in its 3GPP reporting range
(:data:`LEVEL_LIMITS_DBM`) or the row is rejected with the reason:

- RSRP −156 … −31 dBm (3GPP TS 36.133 §9.1.4 / TS 38.133 §10.1.6 reporting range);
- RSCP −120 … −24 dBm (TS 25.133 §9.1.1, as Android reports it);
- GSM RSSI −113 … −47 dBm (Android's ``2·ASU − 113``; TS 45.008 §8.1.4 RXLEV ≥ −110).

Examples
--------
>>> from geo.measurement_list import read_measurements          # doctest: +SKIP
>>> m = read_measurements("gnettrack_2025-05-12.txt")           # doctest: +SKIP
>>> m.gdf.groupby("technology")["rsrp_dbm"].median()             # doctest: +SKIP
"""

from __future__ import annotations

from geo.pointlist import (
    DEFAULT_MARGIN_KM,
    OPERATORS_BY_MNC,
    PointKind,
    PointSet,
    Row,
    blank,
    number_with_unit,
    operator_name,
    read_points,
    technologies,
    text_value,
)

__all__ = [
    "MEASUREMENT_COLUMNS",
    "MEASUREMENT_ALIASES",
    "MEASUREMENTS",
    "LEVEL_LIMITS_DBM",
    "SIGNAL_METRIC",
    "read_measurements",
]

MEASUREMENT_COLUMNS = ("technology", "operator", "rsrp_dbm", "cell_id", "timestamp", "source_row")

#: Reporting range of the level each technology measures (dBm), see the module notes.
LEVEL_LIMITS_DBM = {"5G": (-156.0, -31.0), "4G": (-156.0, -31.0), "3G": (-120.0, -24.0), "2G": (-113.0, -47.0)}
SIGNAL_METRIC = {"5G": "RSRP", "4G": "RSRP", "3G": "RSCP", "2G": "RSSI"}
DEFAULT_TECHNOLOGY = "4G"
_OPERATORS = frozenset(OPERATORS_BY_MNC.values())

MEASUREMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "lon": ("kinhdo", "longitude", "lon", "long", "lng", "x", "toadox", "easting"),
    "lat": ("vido", "latitude", "lat", "y", "toadoy", "northing"),
    "technology": ("networktech", "congnghe", "technology", "tech", "rat", "mang", "loaimang",
                   "networktype", "network", "radio", "mangdidong"),
    "operator": ("operatorname", "nhamang", "operator", "carrier", "doanhnghiep", "plmn", "mnc",
                 "tennhamang"),
    "rsrp_dbm": ("rsrp", "rsrpdbm", "level", "leveldbm", "ssrsrp", "nrrsrp", "mucthu", "mucthudbm",
                 "cuongdotinhieu", "cuongdo", "tinhieu", "signal", "signaldbm", "dbm", "rscp", "rssi"),
    "cell_id": ("cellid", "cgi", "ecgi", "eci", "nci", "cell", "macell", "mocell", "cellname"),
    "timestamp": ("timestamp", "thoigian", "time", "datetime", "ngaygio", "thoidiem", "date", "ngay"),
}

_MESSAGES = {
    "no_level": ("Thiếu mức tín hiệu (RSRP)", "No signal level (RSRP)"),
    "bad_level": ("Không đọc được mức tín hiệu «{value}»", "Cannot read the signal level '{value}'"),
    "impossible_level": (
        "{metric} {value} dBm ngoài dải đo được của {tech} ({lo:g}…{hi:g} dBm)",
        "{metric} {value} dBm is outside the {tech} reporting range ({lo:g}…{hi:g} dBm)",
    ),
    "unknown_technology": (
        "Công nghệ «{value}» không được hỗ trợ (cần 2G/3G/4G/5G)",
        "Unsupported technology '{value}' (expected 2G/3G/4G/5G)",
    ),
    "several_technologies": (
        "Một điểm đo chỉ có một công nghệ, ô ghi «{value}»",
        "A measured point has one technology, the cell says '{value}'",
    ),
    "assumed_technology": ("Thiếu công nghệ; giả định 4G (RSRP)", "Missing technology; assumed 4G (RSRP)"),
    "operator_in_network_column": (
        "Cột «mạng» ghi nhà mạng «{value}»: đọc là nhà mạng {fixed}, giả định 4G (RSRP)",
        "The network column names the operator '{value}': read as operator {fixed}, assumed 4G (RSRP)",
    ),
}


def _technology(r: Row, cells) -> str | None:
    v, col = cells.get("technology")
    if blank(v):
        r.add("assumed_technology", col or "technology", "", "fix")
        return DEFAULT_TECHNOLOGY
    techs = technologies(v)
    if techs is None and "operator" not in cells.mapping and operator_name(v) in _OPERATORS:
        # "Mạng" is also said of the operator ("mạng Viettel"): read it so, assume 4G
        r.rec["_operator_from_technology"] = operator_name(v)
        r.add("operator_in_network_column", col, v, "fix", fixed=operator_name(v))
        return DEFAULT_TECHNOLOGY
    if techs is None:
        r.add("unknown_technology", col, v, "reject")
        return None
    if len(techs) > 1:
        r.add("several_technologies", col, v, "reject")
        return None
    return techs[0]


def _level(r: Row, cells, tech: str | None) -> float | None:
    v, col = cells.get("rsrp_dbm")
    if blank(v):
        r.add("no_level", col or "rsrp_dbm", "", "reject")
        return None
    val, unit, err = number_with_unit(v)
    if err or val is None or unit not in (None, "dbm"):
        r.add("bad_level", col, v, "reject")
        return None
    if tech is not None:
        lo, hi = LEVEL_LIMITS_DBM[tech]
        if not lo <= val <= hi:
            r.add("impossible_level", col, v, "reject", metric=SIGNAL_METRIC[tech], tech=tech, lo=lo, hi=hi)
            return None
    return float(val)


def _parse_measurement(r: Row, cells) -> None:
    """The point's own cells: technology, operator, level, cell, time."""
    tech = _technology(r, cells)
    r.rec["technology"] = tech
    r.rec["signal_metric"] = SIGNAL_METRIC.get(tech) if tech else None
    vo, _ = cells.get("operator")
    r.rec["operator"] = r.rec.pop("_operator_from_technology", None) or (
        "unknown" if blank(vo) else operator_name(vo))
    r.rec["rsrp_dbm"] = _level(r, cells, tech)
    vc, _ = cells.get("cell_id")
    r.rec["cell_id"] = None if blank(vc) else text_value(vc, 80)
    vt, _ = cells.get("timestamp")
    r.rec["timestamp"] = None if blank(vt) else text_value(vt, 60)


MEASUREMENTS = PointKind(
    name="measurements",
    aliases=MEASUREMENT_ALIASES,
    columns=MEASUREMENT_COLUMNS,
    parse_row=_parse_measurement,
    dtypes={"rsrp_dbm": "float64", **dict.fromkeys(
        ("technology", "operator", "cell_id", "timestamp", "signal_metric"), object)},
    messages=_MESSAGES,
    text_fields=("cell_id", "operator"),
)


def read_measurements(path_or_file, *, crs=None, sheet: str | None = None, boundary=None,
                      margin_km: float = DEFAULT_MARGIN_KM) -> PointSet:
    """Read and validate a drive-test / measurement list.

    Parameters
    ----------
    path_or_file : str, Path, bytes or binary file-like
        G-NetTrack Pro CSV/TXT, generic CSV/XLSX, GeoJSON, GeoPackage or KML/KMZ.
    crs : str or int, optional
        CRS of x/y columns (WGS 84 when omitted; VN-2000 as ``3405`` or ``VN2000-TM3-106.15``).
    sheet : str, optional
        Excel sheet (or GeoPackage layer).
    boundary, margin_km
        Province outline (default the embedded one) and how far outside it a point may
        lie (default 30 km).

    Returns
    -------
    PointSet
        ``.gdf`` (EPSG:4326) columns ``technology ("2G"/"3G"/"4G"/"5G"), operator,
        rsrp_dbm (float, the technology's level: RSRP/RSCP/RSSI), cell_id (str or None),
        timestamp (str or None), source_row, geometry`` then ``signal_metric`` and the
        file's extra columns.

    Raises
    ------
    geo.pointlist.PointFileError
        The file cannot be read at all.
    """
    return read_points(path_or_file, MEASUREMENTS, crs=crs, sheet=sheet, boundary=boundary,
                       margin_km=margin_km)
