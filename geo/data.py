"""The embedded Quảng Trị data: where it lives, how it loads, and that it is whole.

Everything here reads files under ``data/`` (made by ``data/build.py`` from the public
sources listed in ``data/PROVENANCE.md``). All vector layers come back in EPSG:4326.
Set ``LOMSONG_DATA_DIR`` to point the loaders at another copy.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # geopandas only when a layer is read: paths and checks start fast
    import geopandas as gpd
    import numpy as np

__all__ = [
    "DATA_DIR",
    "DataError",
    "data_dir",
    "cache_root",
    "verify_data",
    "load_communes",
    "commune_kinds_at",
    "kinds_within",
    "load_province",
    "load_seats",
    "load_coastline",
    "load_land",
    "load_roads",
    "load_places",
    "load_villages",
    "worldpop_path",
    "relief_dem_path",
    "default_stations_path",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

COMMUNES_GPKG = "communes.gpkg"
COAST_GPKG = "coastline.gpkg"
ROADS_GPKG = "roads.gpkg"
PLACES_GPKG = "places.gpkg"
VILLAGES_GPKG = "villages.gpkg"
WORLDPOP_TIF = "worldpop_2020_1km.tif"
RELIEF_TIF = "relief_5arcmin.tif"
DEFAULT_STATIONS_GPKG = "stations_modelled.gpkg"
CACHE_ENV = "LOMSONG_CACHE_DIR"  # downloads (DEM tiles, OpenCelliD) are kept under it


class DataError(RuntimeError):
    """An embedded data file is missing or not the one that was shipped."""


def data_dir() -> Path:
    return Path(os.environ.get("LOMSONG_DATA_DIR", DATA_DIR))


def cache_root() -> Path:
    """Where downloads are kept: ``$LOMSONG_CACHE_DIR`` or the platform's user data folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    try:
        from platformdirs import user_data_dir

        return Path(user_data_dir("lomsong", appauthor=False))
    except ImportError:  # platformdirs is a declared dependency; be safe anyway
        return Path.home() / ".local" / "share" / "lomsong"


def _path(name: str) -> Path:
    """Path of an embedded file, checked against ``SHA256SUMS`` on first use."""
    p = data_dir() / name
    if not p.exists():
        msg = (
            f"Embedded data file {p} is missing. Restore it with `git checkout -- data/` "
            "or rebuild it with `python data/build.py` (needs ../shared/data)."
        )
        raise DataError(msg)
    st = p.stat()
    _check_once(str(p), st.st_mtime_ns, st.st_size)
    return p


@lru_cache(maxsize=64)
def _check_once(path: str, mtime_ns: int, size: int) -> None:
    p = Path(path)
    sums = p.parent / "SHA256SUMS"
    if not sums.exists():
        return
    for line in sums.read_text().splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2 and parts[1].lstrip("*") == p.name:
            actual = _sha256(p)
            if actual != parts[0]:
                msg = (
                    f"Embedded data file {p} is corrupted (checksum {actual[:12]}… expected "
                    f"{parts[0][:12]}…). Restore it with `git checkout -- data/` or rebuild it "
                    "with `python data/build.py`."
                )
                raise DataError(msg)
            return


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_data(folder: Path | None = None) -> dict[str, str]:
    """Check every file listed in ``data/SHA256SUMS``; raise :class:`DataError` on any mismatch.

    Returns ``{file: sha256}`` for the files checked.
    """
    folder = Path(folder) if folder else data_dir()
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        msg = f"{sums} is missing: cannot check the embedded data. Run `python data/build.py`."
        raise DataError(msg)
    problems, checked = [], {}
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        name = name.lstrip("*")
        p = folder / name
        if not p.exists():
            problems.append(f"{name}: missing")
            continue
        actual = _sha256(p)
        if actual != digest:
            problems.append(f"{name}: checksum {actual[:12]}… expected {digest[:12]}…")
        checked[name] = actual
    if problems:
        msg = (
            "Embedded data is not as shipped (" + "; ".join(problems) + "). "
            "Restore it with `git checkout -- data/` or rebuild with `python data/build.py`."
        )
        raise DataError(msg)
    return checked


def _read(name: str, layer: str | None = None) -> gpd.GeoDataFrame:
    import geopandas as gpd

    path = _path(name)
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types for a corrupt file
        msg = f"Cannot read {path} (layer {layer!r}): {exc}. Check it with `lomsong info --verify`."
        raise DataError(msg) from exc
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        gdf = gdf.set_crs("EPSG:4326", allow_override=True) if gdf.crs is None else gdf.to_crs(
            "EPSG:4326"
        )
    return gdf


@lru_cache(maxsize=1)
def _communes_cached(folder: str) -> gpd.GeoDataFrame:
    gdf = _read(COMMUNES_GPKG, "communes")
    gdf["code"] = gdf["code"].astype(str).str.zfill(5)
    gdf["predecessors"] = [json.loads(v) if v else [] for v in gdf["predecessors_json"]]
    gdf["flags"] = [json.loads(v) if v else [] for v in gdf["flags_json"]]
    return gdf.drop(columns=["predecessors_json", "flags_json"])


def load_communes() -> gpd.GeoDataFrame:
    """The 78 commune-level units (EPSG:4326), sorted by national code.

    Columns: ``code`` (5-digit str), ``name`` (NFC, new-style tone marks), ``name_portal``
    (as the merger portal spells it), ``name_en``, ``full_name``, ``kind`` (xã / phường /
    đặc khu), ``area_km2_legal``, ``population_legal``, ``area_km2_drawn`` (geodesic area
    of the polygon), ``predecessors`` (list of former units), ``admin_centre`` (text),
    ``gis_id``, ``geometry_repaired`` (bool), ``flags`` (list of data-quality notes).
    """
    return _communes_cached(str(data_dir())).copy()


# ----------------------------------------------------------------- fast commune lookup
_GPKG_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}  # GeoPackage 1.3 §2.1.3.1.1


def _gpkg_wkb(blob: bytes) -> bytes:
    """The WKB inside a GeoPackage geometry blob (header ``GP``, flags, srs, envelope)."""
    if blob[:2] != b"GP":
        msg = "not a GeoPackage geometry blob (no 'GP' magic)"
        raise DataError(msg)
    envelope = (blob[3] >> 1) & 0x07
    if envelope not in _GPKG_ENVELOPE_BYTES:
        msg = f"GeoPackage geometry blob with envelope code {envelope} (expected 0–4)"
        raise DataError(msg)
    return blob[8 + _GPKG_ENVELOPE_BYTES[envelope]:]


@lru_cache(maxsize=1)
def _commune_kind_table(folder: str):
    """``(polygons, kinds)`` of the embedded communes, read straight from the GeoPackage
    (SQLite, stdlib) into shapely: no pandas/geopandas on the way (≈ 0.5 s less at a
    fresh start). Same file, same checksum check (:func:`_path`) as :func:`load_communes`.
    """
    import sqlite3

    import numpy as np
    import shapely

    path = _path(COMMUNES_GPKG)
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            geom_col, srs_id = con.execute(
                "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
                ("communes",)).fetchone()
            org, code = con.execute(
                "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys "
                "WHERE srs_id = ?", (srs_id,)).fetchone()
            columns = {r[1] for r in con.execute('PRAGMA table_info("communes")')}
            if "kind" not in columns:
                msg = f"{path}: layer 'communes' has no 'kind' column"
                raise DataError(msg)
            rows = con.execute(
                f'SELECT "{geom_col}", kind FROM communes ORDER BY fid').fetchall()  # noqa: S608
        finally:
            con.close()
    except (sqlite3.Error, TypeError) as exc:  # TypeError: a query found no row
        msg = f"Cannot read {path} as a GeoPackage: {exc}. Check it with `lomsong info --verify`."
        raise DataError(msg) from exc
    if (str(org).upper(), int(code)) != ("EPSG", 4326):
        msg = f"{path}: communes in {org}:{code}; expected EPSG:4326."
        raise DataError(msg)
    polygons = shapely.from_wkb([_gpkg_wkb(g) for g, _ in rows])
    kinds = np.array([k if k is not None else "" for _, k in rows], dtype=object)
    return polygons, kinds


def kinds_within(polygons, kinds, x, y) -> np.ndarray:
    """Kind of the first polygon each point ``(x, y)`` lies within ("" where none).

    Parameters
    ----------
    polygons : array of shapely geometries
        The units (any CRS; ``x, y`` in the same).
    kinds : array-like of str
        One kind per polygon.
    x, y : array-like of float
        Point coordinates.

    Returns
    -------
    numpy.ndarray of object
        One kind per point; a point on a boundary or outside every polygon gets "".
    """
    import numpy as np
    import shapely

    pts = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    out = np.full(len(pts), "", dtype=object)
    if len(pts) == 0:
        return out
    tree = shapely.STRtree(np.asarray(polygons))
    pt_idx, poly_idx = tree.query(pts, predicate="within")
    kinds = np.asarray(kinds, dtype=object)
    # the first polygon (lowest index) wins, as a left spatial join keeping the first match
    for i, j in sorted(zip(pt_idx.tolist(), poly_idx.tolist(), strict=True), reverse=True):
        out[i] = kinds[j]
    return out


def commune_kinds_at(lon_deg, lat_deg) -> np.ndarray:
    """Kind (xã / phường / đặc khu) of the embedded commune at each point (EPSG:4326).

    The cheap form of a spatial join with :func:`load_communes` (no geopandas): the
    engine's RMa/UMa rule (``geo.coverage.params._model_choice``) uses it. "" outside every
    commune. Raises :class:`DataError` if the file is missing, corrupted or unreadable.
    """
    polygons, kinds = _commune_kind_table(str(data_dir()))
    return kinds_within(polygons, kinds, lon_deg, lat_deg)


def load_province() -> gpd.GeoDataFrame:
    """The province outline, one row (EPSG:4326)."""
    return _province_cached(str(data_dir())).copy()


@lru_cache(maxsize=1)
def _province_cached(folder: str) -> gpd.GeoDataFrame:
    return _read(COMMUNES_GPKG, "province")


def load_seats() -> gpd.GeoDataFrame:
    """One point per commune: the People's Committee seat (EPSG:4326).

    ``seat_source`` says where the point comes from: ``osm-2017`` or ``geonames`` (a
    settlement point whose name matches the seat text), or ``modelled`` (the
    population-weighted centre of the commune).
    """
    gdf = _read(COMMUNES_GPKG, "seats")
    gdf["code"] = gdf["code"].astype(str).str.zfill(5)
    return gdf


def load_coastline() -> gpd.GeoDataFrame:
    """GSHHG 2.3.7 full-resolution shoreline lines (EPSG:4326)."""
    return _read(COAST_GPKG, "coastline")


def load_land() -> gpd.GeoDataFrame:
    """GSHHG land polygons (mainland + islands, EPSG:4326)."""
    return _read(COAST_GPKG, "land")


def load_roads() -> gpd.GeoDataFrame:
    """National roads and the railway (coarse; not a full road network)."""
    return _read(ROADS_GPKG, "roads")


def load_places(source: str = "osm") -> gpd.GeoDataFrame:
    """Settlement points: ``source='osm'`` (OSM 2017) or ``'geonames'``."""
    layer = {"osm": "osm_places_2017", "geonames": "geonames"}[source]
    return _read(PLACES_GPKG, layer)


def load_villages(in_province_only: bool = True) -> gpd.GeoDataFrame:
    """Villages (thôn/bản) of the province: GeoNames + OSM points and *modelled* clusters.

    Columns: ``village_id``, ``name``, ``commune``, ``commune_code`` (5-digit str, ``""`` in
    the 30 km margin outside the province), ``people_stated`` (NaN: the gazetteers give none),
    ``power`` (None: unknown), ``source`` (``geonames`` / ``osm`` / ``geonames+osm`` /
    ``cluster``), ``source_id``, ``kind``, ``position_uncertainty_m`` (the rounding error of a
    minute-rounded point, else 0), ``modelled`` (True for clusters), ``in_province``. See
    ``geo/villages.py`` and ``data/PROVENANCE.md``.
    """
    gdf = _read(VILLAGES_GPKG, "villages")
    gdf["commune_code"] = gdf["commune_code"].fillna("").astype(str)
    gdf["modelled"] = gdf["modelled"].astype(bool)
    gdf["in_province"] = gdf["in_province"].astype(bool)
    if in_province_only:
        gdf = gdf[gdf["in_province"]].reset_index(drop=True)
    return gdf


def worldpop_path() -> Path:
    """WorldPop 2020 1 km UN-adjusted counts, province + 5 km margin, EPSG:4326."""
    return _path(WORLDPOP_TIF)


def relief_dem_path() -> Path:
    """The embedded 5 arc-minute (~9 km) relief grid, province + 30 km margin, EPSG:4326."""
    return _path(RELIEF_TIF)


def default_stations_path() -> Path:
    """The *modelled* default station set (no public station list exists)."""
    return _path(DEFAULT_STATIONS_GPKG)
