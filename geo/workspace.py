"""The workspace: every accepted station upload, kept as a named, timestamped set.

One GeoPackage (a real SQLite file, default ``./workspace/lomsong.gpkg``; set
``LOMSONG_WORKSPACE`` or pass a path) holds three tables that GIS software opens as
layers:

- ``station_sets`` (attributes): name, UTC time, who, source file name and SHA-256,
  the report counts;
- ``stations`` (points, EPSG:4326): the stations of every set, ``set_id`` linking them;
- ``station_reports`` (attributes): the validation report of every set;
- ``point_sets`` / ``points`` / ``point_reports``: the same for the other point kinds
  (village lists, drive-test measurements), each set tagged with its ``kind``
  (:meth:`Workspace.save_points`, :meth:`Workspace.load_points`).

Every write is one SQLite transaction (``BEGIN IMMEDIATE``): two app sessions writing at
once are serialised by SQLite's file lock, and a crash during an import leaves the file
as it was (the rollback journal undoes the half-written transaction). The GeoPackage
tables are written directly with :mod:`sqlite3` — geometry as GeoPackage binary
(``GP`` header + little-endian WKB, OGC 12-128r18 §2.1.3) — so no second library holds
the file open.

Exports (CSV / XLSX) neutralise spreadsheet formula injection: a text cell starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return — also behind leading spaces,
no-break or zero-width spaces — gets a leading apostrophe (OWASP "CSV injection").
CSV exports keep the full double precision of the coordinates (an exact round trip);
XLSX keeps the 16 significant digits its writers allow (≤ 1e-13°, about 10 nm).

Set names are NFC-normalised; names with control characters, line breaks or
bidirectional-override marks are refused (they would break ``stations list``).
"""

from __future__ import annotations

import getpass
import json
import math
import os
import sqlite3
import struct
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._station_readers import parse_gpkg_geometry
from geo.stations import REPORT_COLUMNS, STATION_COLUMNS, StationSet

__all__ = [
    "DEFAULT_WORKSPACE",
    "WorkspaceError",
    "Workspace",
    "default_workspace_path",
    "sanitize_cell",
    "sanitize_frame",
    "POINT_KINDS",
]

#: Point kinds stored in the generic tables (stations keep their own tables).
POINT_KINDS = ("villages", "measurements")

DEFAULT_WORKSPACE = Path("workspace") / "lomsong.gpkg"
GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10300  # GeoPackage 1.3
BUSY_TIMEOUT_S = 60.0
MAX_NAME_CHARS = 200
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

_NUMERIC = ("band_mhz", "height_m", "eirp_dbm", "azimuth_deg", "tilt_deg")

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE IF NOT EXISTS gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
        description TEXT DEFAULT '', last_change DATETIME NOT NULL
        DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE,
        max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
    """CREATE TABLE IF NOT EXISTS station_sets (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created_utc TEXT NOT NULL,
        created_by TEXT, source_name TEXT, source_sha256 TEXT, source_format TEXT, crs TEXT,
        rows_read INTEGER, kept INTEGER, fixed INTEGER, rejected INTEGER, duplicates INTEGER,
        n_stations INTEGER, modelled BOOLEAN, notes TEXT)""",
    """CREATE TABLE IF NOT EXISTS stations (
        fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, set_id INTEGER NOT NULL,
        station_id TEXT, site_id TEXT, operator TEXT, technology TEXT, band_mhz DOUBLE,
        height_m DOUBLE, eirp_dbm DOUBLE, azimuth_deg DOUBLE, tilt_deg DOUBLE,
        source_row INTEGER, assumed TEXT, modelled BOOLEAN, extras_json TEXT)""",
    "CREATE INDEX IF NOT EXISTS stations_set_id ON stations(set_id)",
    """CREATE TABLE IF NOT EXISTS station_reports (
        fid INTEGER PRIMARY KEY AUTOINCREMENT, set_id INTEGER NOT NULL, "row" INTEGER,
        "column" TEXT, value TEXT, status TEXT, problem_vi TEXT, problem_en TEXT, code TEXT)""",
    "CREATE INDEX IF NOT EXISTS station_reports_set_id ON station_reports(set_id)",
    """CREATE TABLE IF NOT EXISTS point_sets (
        id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT NOT NULL,
        created_utc TEXT NOT NULL, created_by TEXT, source_name TEXT, source_sha256 TEXT,
        source_format TEXT, crs TEXT, rows_read INTEGER, kept INTEGER, fixed INTEGER,
        rejected INTEGER, flagged INTEGER, n_points INTEGER, notes TEXT, UNIQUE (kind, name))""",
    """CREATE TABLE IF NOT EXISTS points (
        fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, set_id INTEGER NOT NULL,
        source_row INTEGER, attrs_json TEXT)""",
    "CREATE INDEX IF NOT EXISTS points_set_id ON points(set_id)",
    """CREATE TABLE IF NOT EXISTS point_reports (
        fid INTEGER PRIMARY KEY AUTOINCREMENT, set_id INTEGER NOT NULL, "row" INTEGER,
        "column" TEXT, value TEXT, status TEXT, problem_vi TEXT, problem_en TEXT, code TEXT)""",
    "CREATE INDEX IF NOT EXISTS point_reports_set_id ON point_reports(set_id)",
]
_TABLES = frozenset({"station_sets", "stations", "station_reports", "point_sets", "points", "point_reports"})


class WorkspaceError(ValueError):
    """A workspace operation that cannot be done (unknown or duplicate name, bad file)."""


def default_workspace_path() -> Path:
    """``$LOMSONG_WORKSPACE`` or ``./workspace/lomsong.gpkg``."""
    return Path(os.environ.get("LOMSONG_WORKSPACE", DEFAULT_WORKSPACE))


# ---------------------------------------------------------------------------- sanitising


# characters a spreadsheet skips (or a person cannot see) in front of a formula
_INVISIBLE_LEAD = " \u00a0\u2007\u202f\u200b\u200c\u200d\u2060\ufeff"


def sanitize_cell(value):
    """Neutralise a text cell a spreadsheet would run as a formula (prefix ``'``).

    Also a formula behind leading spaces, no-break spaces or zero-width characters
    (``" =HYPERLINK(…)"``, ``"\u200b=1+1"``), which spreadsheets still evaluate.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_PREFIXES)
                                   or value.lstrip(_INVISIBLE_LEAD).startswith(FORMULA_PREFIXES)):
        return "'" + value
    return value


def sanitize_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell passed through :func:`sanitize_cell`."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].astype(object).map(sanitize_cell)
    out.columns = [sanitize_cell(str(c)) for c in out.columns]
    return out


# ---------------------------------------------------------------------------- GPKG binary


def _gpkg_point(x: float, y: float, srs_id: int = 4326) -> bytes:
    header = b"GP" + bytes([0, 0x01]) + struct.pack("<i", srs_id)
    return header + struct.pack("<BIdd", 1, 1, float(x), float(y))


def _gpkg_to_xy(blob: bytes, where: str = "") -> tuple[float, float]:
    """(x, y) of a stored point; NaN for none; :class:`WorkspaceError` for what is not a point.

    Rows written by another tool may hold damaged WKB or a multi-point: say which row.
    """
    if blob is None:
        return (math.nan, math.nan)
    try:
        geom = parse_gpkg_geometry(blob)
    except ValueError as exc:
        raise WorkspaceError(f"{where}: the stored geometry cannot be read ({exc}).") from exc
    if geom is None:
        return (math.nan, math.nan)
    if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if geom.geom_type != "Point":
        raise WorkspaceError(f"{where}: the stored geometry is a {geom.geom_type}, not a point.")
    return (geom.x, geom.y)


def _json_or_error(text, where: str, default):
    if text is None or text == "":
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise WorkspaceError(f"{where}: the stored attributes are not valid JSON ({exc}).") from exc


def _jsonable(v):
    if v is None:
        return None
    if isinstance(v, float | np.floating):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _num_or_none(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_set_name(name) -> str:
    """A set name as stored: NFC, trimmed; refused when empty, too long or holding control,
    line-break or bidirectional-override characters (which break ``stations list``)."""
    import unicodedata

    n = unicodedata.normalize("NFC", str(name)).strip()
    if not n:
        raise WorkspaceError("Tên bộ dữ liệu không được để trống. / A set needs a name.")
    if len(n) > MAX_NAME_CHARS:
        raise WorkspaceError(f"The name is longer than {MAX_NAME_CHARS} characters.")
    bad = [c for c in n if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c in _BIDI_CONTROLS]
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
        raise WorkspaceError(
            f"Tên có ký tự điều khiển / xuống dòng / đổi chiều chữ ({shown}); hãy đặt tên khác. / "
            f"The name holds control, line-break or text-direction characters ({shown}); choose another.")
    return n


# ---------------------------------------------------------------------------- rows (steps)


def _who(created_by: str | None) -> str:
    if created_by is not None:
        return created_by
    try:
        return getpass.getuser()
    except Exception:
        return ""


def _now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _in_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        return gdf.to_crs("EPSG:4326")
    return gdf


def _check_kind(kind: str) -> str:
    if kind not in POINT_KINDS:
        raise WorkspaceError(f"Unknown point kind {kind!r}; expected one of {', '.join(POINT_KINDS)}.")
    return kind


def _blob(g) -> bytes | None:
    return _gpkg_point(g.x, g.y) if g is not None and not g.is_empty else None


def _station_rows(gdf: gpd.GeoDataFrame, set_id: int, fail_after: int | None = None) -> list[tuple]:
    """Step: the ``stations`` table rows of a station frame (extras as JSON)."""
    extra_cols = [c for c in gdf.columns if c not in STATION_COLUMNS and c != gdf.geometry.name]
    geoms = gdf.geometry.values
    rows = []
    for i, rec in enumerate(gdf.drop(columns=gdf.geometry.name).to_dict("records")):
        extras = {c: _jsonable(rec.get(c)) for c in extra_cols}
        rows.append((
            _blob(geoms[i]), set_id, _jsonable(rec.get("station_id")), _jsonable(rec.get("site_id")),
            _jsonable(rec.get("operator")), _jsonable(rec.get("technology")),
            *(_num_or_none(rec.get(c)) for c in _NUMERIC),
            _jsonable(rec.get("source_row")), _jsonable(rec.get("assumed")),
            int(bool(rec.get("modelled", False))),
            json.dumps(extras, ensure_ascii=False),
        ))
        if fail_after is not None and i + 1 >= fail_after:
            raise RuntimeError("simulated crash during import")
    return rows


def _report_frame(rrows: list[tuple]) -> pd.DataFrame:
    """Stored report rows back to the report frame (the dtypes the readers give)."""
    from geo.pointlist import report_from_columns

    cols = list(zip(*rrows, strict=True)) if rrows else [()] * len(REPORT_COLUMNS)
    return report_from_columns(*cols)


def _report_rows(report: pd.DataFrame, set_id: int) -> list[tuple]:
    """Step: the report table rows of a set."""
    return [(set_id, *(_jsonable(r.get(c)) for c in REPORT_COLUMNS)) for r in report.to_dict("records")]


def _stations_from_rows(srows: list[tuple], name: str) -> gpd.GeoDataFrame:
    """Step: stored station rows back to a GeoDataFrame; a row another tool damaged is named."""
    records, xs, ys = [], [], []
    for r in srows:
        where = f"Station set {name!r}, stored row fid {r[0]}"
        x, y = _gpkg_to_xy(r[1], where)
        xs.append(x)
        ys.append(y)
        rec = dict(zip(STATION_COLUMNS, r[2:14], strict=True))
        rec["modelled"] = bool(rec["modelled"])
        extras = _json_or_error(r[14], where, {})
        if not isinstance(extras, dict):
            raise WorkspaceError(f"{where}: the stored attributes are not a JSON object.")
        rec.update(extras)
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=None if records else list(STATION_COLUMNS))
    for c in _NUMERIC:
        if c in df:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys), crs="EPSG:4326")


def _point_rows(gdf: gpd.GeoDataFrame, set_id: int) -> list[tuple]:
    """Step: the ``points`` table rows of a point frame (every attribute as JSON)."""
    geoms = gdf.geometry.values
    rows = []
    for i, rec in enumerate(gdf.drop(columns=gdf.geometry.name).to_dict("records")):
        attrs = {str(k): _jsonable(v) for k, v in rec.items()}
        rows.append((_blob(geoms[i]), set_id, _jsonable(rec.get("source_row")),
                     json.dumps(attrs, ensure_ascii=False)))
    return rows


def _kind_columns(kind: str) -> tuple[tuple[str, ...], dict[str, str]]:
    if kind == "villages":
        from geo.village_list import VILLAGE_COLUMNS as cols
        from geo.village_list import VILLAGES as k
    else:
        from geo.measurement_list import MEASUREMENT_COLUMNS as cols
        from geo.measurement_list import MEASUREMENTS as k
    return cols, {**k.dtypes, "source_row": "int64"}


def _points_from_rows(prows: list[tuple], kind: str, name: str) -> gpd.GeoDataFrame:
    """Step: stored point rows back to the kind's GeoDataFrame; damaged rows are named."""
    from geo.pointlist import points_frame

    columns, dtypes = _kind_columns(kind)
    records = []
    for fid, blob, source_row, attrs_json in prows:
        where = f"{kind} set {name!r}, stored row fid {fid}"
        attrs = _json_or_error(attrs_json, where, {})
        if not isinstance(attrs, dict):
            raise WorkspaceError(f"{where}: the stored attributes are not a JSON object.")
        attrs["_x"], attrs["_y"] = _gpkg_to_xy(blob, where)
        attrs.setdefault("source_row", source_row)
        records.append(attrs)
    return points_frame(records, columns, dtypes if records else None)


# ---------------------------------------------------------------------------- workspace


class Workspace:
    """A workspace GeoPackage of station sets.

    Parameters
    ----------
    path : str or Path, optional
        The GeoPackage file; default :func:`default_workspace_path`. Created on first write.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_workspace_path()

    # -- connection ---------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.path.exists() and self.path.is_dir():
            raise WorkspaceError(f"The workspace path {self.path} is a folder, not a .gpkg file.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            con.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise WorkspaceError(f"Cannot open the workspace {self.path}: {exc}") from exc
        return con

    @contextmanager
    def _write(self):
        """One atomic write: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                self._ensure_schema(con)
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"The workspace {self.path} cannot be written: {exc}") from exc
        finally:
            con.close()

    @contextmanager
    def _read(self):
        if not self.path.exists():
            yield None
            return
        con = self._connect()
        try:
            con.execute("BEGIN")
            yield con
            con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"The workspace {self.path} cannot be read: {exc}") from exc
        finally:
            con.close()

    @staticmethod
    def _ensure_schema(con: sqlite3.Connection) -> None:
        have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if _TABLES <= have:
            return
        con.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
        for sql in _SCHEMA:
            con.execute(sql)
        con.executemany(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)",
            [
                ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
                ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
                ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84_WKT, "longitude/latitude WGS 84"),
            ],
        )
        con.executemany(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)"
            " VALUES (?,?,?,?,?)",
            [
                ("station_sets", "attributes", "station_sets", "Saved station sets", None),
                ("stations", "features", "stations", "Stations of every saved set", 4326),
                ("station_reports", "attributes", "station_reports", "Validation reports", None),
                ("point_sets", "attributes", "point_sets", "Saved village / measurement sets", None),
                ("points", "features", "points", "Points of every saved village / measurement set", 4326),
                ("point_reports", "attributes", "point_reports", "Validation reports of point sets", None),
            ],
        )
        con.executemany(
            "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES (?,'geom','POINT',4326,0,0)",
            [("stations",), ("points",)],
        )

    @staticmethod
    def _clean_name(name: str) -> str:
        return clean_set_name(name)

    @staticmethod
    def _set_id(con, name: str) -> int:
        row = con.execute("SELECT id FROM station_sets WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise WorkspaceError(f"No station set named {name!r} in the workspace.")
        return int(row[0])

    # -- public ---------------------------------------------------------------
    def save(self, station_set: StationSet, name: str, *, replace: bool = False,
             created_by: str | None = None, _fail_after: int | None = None) -> dict:
        """Save a :class:`~geo.stations.StationSet` under ``name`` (one transaction).

        Raises :class:`WorkspaceError` if ``name`` exists and ``replace`` is false.
        Returns the saved set's metadata row.
        """
        name = self._clean_name(name)
        created_by = _who(created_by)
        gdf = _in_wgs84(station_set.stations)
        summary = station_set.summary()
        created = _now_utc()
        with self._write() as con:
            self._make_room(con, "station_sets", name, replace, "")
            cur = con.execute(
                "INSERT INTO station_sets (name, created_utc, created_by, source_name, source_sha256,"
                " source_format, crs, rows_read, kept, fixed, rejected, duplicates, n_stations,"
                " modelled, notes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (name, created, created_by, station_set.source_name, station_set.source_sha256,
                 station_set.source_format, station_set.crs, summary["rows_read"], summary["kept"],
                 summary["fixed"], summary["rejected"], summary["duplicates"], len(gdf),
                 int(bool(station_set.modelled)), json.dumps(station_set.notes, ensure_ascii=False)),
            )
            set_id = int(cur.lastrowid)
            con.executemany(
                "INSERT INTO stations (geom, set_id, station_id, site_id, operator, technology,"
                " band_mhz, height_m, eirp_dbm, azimuth_deg, tilt_deg, source_row, assumed, modelled,"
                " extras_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                _station_rows(gdf, set_id, _fail_after),
            )
            con.executemany(
                'INSERT INTO station_reports (set_id, "row", "column", value, status, problem_vi,'
                " problem_en, code) VALUES (?,?,?,?,?,?,?,?)", _report_rows(station_set.report, set_id))
            self._update_extent(con)
        return {"id": set_id, "name": name, "created_utc": created, "created_by": created_by,
                **summary, "source_name": station_set.source_name,
                "source_sha256": station_set.source_sha256}

    @staticmethod
    def _make_room(con, table: str, name: str, replace: bool, kind: str) -> None:
        """Refuse an existing name, or delete that set when ``replace``."""
        if table == "station_sets":
            old = con.execute("SELECT id FROM station_sets WHERE name = ?", (name,)).fetchone()
        else:
            old = con.execute("SELECT id FROM point_sets WHERE kind = ? AND name = ?", (kind, name)).fetchone()
        if old is None:
            return
        if not replace:
            what = "station set" if table == "station_sets" else f"{kind} set"
            raise WorkspaceError(f"A {what} named {name!r} already exists; choose another name or replace it.")
        if table == "station_sets":
            Workspace._delete_id(con, int(old[0]))
        else:
            Workspace._delete_point_set(con, int(old[0]))

    @staticmethod
    def _update_extent(con) -> None:
        con.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
            "WHERE table_name IN ('stations','station_sets','station_reports')"
        )

    @staticmethod
    def _delete_id(con, set_id: int) -> None:
        con.execute("DELETE FROM stations WHERE set_id = ?", (set_id,))
        con.execute("DELETE FROM station_reports WHERE set_id = ?", (set_id,))
        con.execute("DELETE FROM station_sets WHERE id = ?", (set_id,))

    def list_sets(self) -> pd.DataFrame:
        """Saved sets, oldest first: name, created_utc, created_by, source, counts."""
        cols = ["name", "created_utc", "created_by", "source_name", "source_sha256", "source_format",
                "rows_read", "kept", "fixed", "rejected", "duplicates", "n_stations", "modelled"]
        with self._read() as con:
            if con is None or not self._has_tables(con):
                return pd.DataFrame(columns=cols)
            rows = con.execute(f"SELECT {', '.join(cols)} FROM station_sets ORDER BY id").fetchall()
        df = pd.DataFrame(rows, columns=cols)
        df["modelled"] = df["modelled"].astype(bool)
        return df

    @staticmethod
    def _has_tables(con) -> bool:
        have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {"station_sets", "stations", "station_reports"} <= have

    def names(self) -> list[str]:
        return self.list_sets()["name"].tolist()

    def load(self, name: str) -> StationSet:
        """The saved set ``name`` as a :class:`~geo.stations.StationSet`."""
        with self._read() as con:
            if con is None or not self._has_tables(con):
                raise WorkspaceError(f"No station set named {name!r}: the workspace {self.path} is empty.")
            set_id = self._set_id(con, name)
            meta = con.execute(
                "SELECT source_name, source_sha256, source_format, crs, rows_read, modelled, notes "
                "FROM station_sets WHERE id = ?", (set_id,)).fetchone()
            srows = con.execute(
                "SELECT fid, geom, station_id, site_id, operator, technology, band_mhz, height_m, eirp_dbm,"
                " azimuth_deg, tilt_deg, source_row, assumed, modelled, extras_json FROM stations"
                " WHERE set_id = ? ORDER BY fid", (set_id,)).fetchall()
            rrows = con.execute(
                'SELECT "row", "column", value, status, problem_vi, problem_en, code FROM'
                " station_reports WHERE set_id = ? ORDER BY fid", (set_id,)).fetchall()
        return StationSet(
            stations=_stations_from_rows(srows, name), report=_report_frame(rrows),
            source_name=meta[0] or "", source_sha256=meta[1] or "", source_format=meta[2] or "",
            crs=meta[3] or "EPSG:4326", rows_read=int(meta[4] or 0), modelled=bool(meta[5]),
            notes=_json_or_error(meta[6], f"Station set {name!r}", []),
        )

    # -- villages, measurements: one generic store of point sets by kind -----
    def save_points(self, point_set, name: str, *, kind: str | None = None, replace: bool = False,
                    created_by: str | None = None) -> dict:
        """Save a :class:`~geo.pointlist.PointSet` (villages, measurements) under ``name``.

        Names are unique per kind. One transaction, as :meth:`save`.
        """
        kind = _check_kind(kind or point_set.kind)
        name = self._clean_name(name)
        created_by = _who(created_by)
        gdf = _in_wgs84(point_set.gdf)
        summary = point_set.summary()
        created = _now_utc()
        with self._write() as con:
            self._make_room(con, "point_sets", name, replace, kind)
            cur = con.execute(
                "INSERT INTO point_sets (kind, name, created_utc, created_by, source_name, source_sha256,"
                " source_format, crs, rows_read, kept, fixed, rejected, flagged, n_points, notes)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (kind, name, created, created_by, point_set.source_name, point_set.source_sha256,
                 point_set.source_format, point_set.crs, summary["rows_read"], summary["kept"],
                 summary["fixed"], summary["rejected"], summary.get("flagged", 0), len(gdf),
                 json.dumps(point_set.notes, ensure_ascii=False)),
            )
            set_id = int(cur.lastrowid)
            con.executemany("INSERT INTO points (geom, set_id, source_row, attrs_json) VALUES (?,?,?,?)",
                            _point_rows(gdf, set_id))
            con.executemany(
                'INSERT INTO point_reports (set_id, "row", "column", value, status, problem_vi,'
                " problem_en, code) VALUES (?,?,?,?,?,?,?,?)", _report_rows(point_set.report, set_id))
        return {"id": set_id, "kind": kind, "name": name, "created_utc": created, "created_by": created_by,
                **summary, "source_name": point_set.source_name, "source_sha256": point_set.source_sha256}

    def list_point_sets(self, kind: str) -> pd.DataFrame:
        """Saved sets of ``kind``, oldest first: name, created_utc, created_by, source, counts."""
        kind = _check_kind(kind)
        cols = ["name", "created_utc", "created_by", "source_name", "source_sha256", "source_format",
                "rows_read", "kept", "fixed", "rejected", "flagged", "n_points"]
        with self._read() as con:
            if con is None or not self._has_point_tables(con):
                return pd.DataFrame(columns=cols)
            rows = con.execute(f"SELECT {', '.join(cols)} FROM point_sets WHERE kind = ? ORDER BY id",
                               (kind,)).fetchall()
        return pd.DataFrame(rows, columns=cols)

    def load_points(self, kind: str, name: str):
        """The saved ``kind`` set ``name`` as a :class:`~geo.pointlist.PointSet`."""
        from geo.pointlist import PointSet

        kind = _check_kind(kind)
        with self._read() as con:
            row = None
            if con is not None and self._has_point_tables(con):
                row = con.execute(
                    "SELECT id, source_name, source_sha256, source_format, crs, rows_read, notes, flagged"
                    " FROM point_sets WHERE kind = ? AND name = ?", (kind, name)).fetchone()
            if row is None:
                raise WorkspaceError(f"No {kind} set named {name!r} in the workspace {self.path}.")
            prows = con.execute("SELECT fid, geom, source_row, attrs_json FROM points WHERE set_id = ?"
                                " ORDER BY fid", (row[0],)).fetchall()
            rrows = con.execute('SELECT "row", "column", value, status, problem_vi, problem_en, code FROM'
                                " point_reports WHERE set_id = ? ORDER BY fid", (row[0],)).fetchall()
        return PointSet(
            gdf=_points_from_rows(prows, kind, name), report=_report_frame(rrows),
            kind=kind, source_name=row[1] or "", source_sha256=row[2] or "", source_format=row[3] or "",
            crs=row[4] or "EPSG:4326", rows_read=int(row[5] or 0),
            notes=_json_or_error(row[6], f"{kind} set {name!r}", []), flagged=int(row[7] or 0),
        )

    def load_villages(self, name: str):
        """The saved village list ``name`` (:func:`geo.village_list.read_villages` columns)."""
        return self.load_points("villages", name)

    def load_measurements(self, name: str):
        """The saved measurement set ``name`` (:func:`geo.measurement_list.read_measurements` columns)."""
        return self.load_points("measurements", name)

    def delete_points(self, kind: str, name: str) -> None:
        kind = _check_kind(kind)
        with self._write() as con:
            row = con.execute("SELECT id FROM point_sets WHERE kind = ? AND name = ?", (kind, name)).fetchone()
            if row is None:
                raise WorkspaceError(f"No {kind} set named {name!r} in the workspace.")
            self._delete_point_set(con, int(row[0]))

    @staticmethod
    def _delete_point_set(con, set_id: int) -> None:
        con.execute("DELETE FROM points WHERE set_id = ?", (set_id,))
        con.execute("DELETE FROM point_reports WHERE set_id = ?", (set_id,))
        con.execute("DELETE FROM point_sets WHERE id = ?", (set_id,))

    @staticmethod
    def _has_point_tables(con) -> bool:
        have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {"point_sets", "points", "point_reports"} <= have

    def rename(self, old: str, new: str) -> None:
        new = self._clean_name(new)
        with self._write() as con:
            set_id = self._set_id(con, old)
            if con.execute("SELECT 1 FROM station_sets WHERE name = ?", (new,)).fetchone():
                raise WorkspaceError(f"A station set named {new!r} already exists.")
            con.execute("UPDATE station_sets SET name = ? WHERE id = ?", (new, set_id))

    def delete(self, name: str) -> None:
        with self._write() as con:
            self._delete_id(con, self._set_id(con, name))

    def export(self, name: str, path: str | os.PathLike) -> Path:
        """Write set ``name`` to ``.csv``, ``.xlsx`` (stations + report), ``.gpkg`` or ``.geojson``.

        CSV and XLSX cells that a spreadsheet would run as formulas are neutralised.
        The file is written to a temporary name and moved into place (atomic).
        """
        path = Path(path)
        ext = path.suffix.lower()
        if ext not in (".csv", ".xlsx", ".gpkg", ".geojson"):
            raise WorkspaceError(f"Cannot export to {ext or 'a file without extension'}; use .csv, .xlsx, .gpkg or .geojson.")
        st = self.load(name)
        gdf = st.stations
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        table.insert(4, "lon", gdf.geometry.x)  # full precision: an exact round trip
        table.insert(5, "lat", gdf.geometry.y)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{ext}")
        try:
            if ext == ".csv":
                sanitize_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig")
            elif ext == ".xlsx":
                # XLSX writers keep 16 significant digits (≤ 1e-13°, ~10 nm); CSV is exact.
                with pd.ExcelWriter(tmp, engine="xlsxwriter",
                                    engine_kwargs={"options": {"strings_to_formulas": False,
                                                               "strings_to_urls": False}}) as xw:
                    sanitize_frame(table).to_excel(xw, sheet_name="stations", index=False)
                    sanitize_frame(st.report).to_excel(xw, sheet_name="report", index=False)
            elif ext == ".gpkg":
                gdf.to_file(tmp, layer="stations", driver="GPKG")
            else:
                gdf.to_file(tmp, driver="GeoJSON")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return path
