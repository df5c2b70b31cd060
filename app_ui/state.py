"""Session state and caches: what the user chose, and the library's results for it.

Nothing here analyses anything: it decides *which* library call to make for the
current settings, keeps the results so that returning to a page is instant, and
keeps per-session choices (language, active station set, uploaded DEM) apart from
other browser sessions.

- Embedded data (communes, province, terrain classes, display geometries) are shared by
  every session (``st.cache_resource``).
- Analysis results are kept in a process-wide LRU store keyed on the inputs (station-set
  hash, DEM key, settings); a lock per key lets two sessions asking for the same result
  compute it once. The store is not an ``st.cache_*`` function so that the progress bar of a
  computation can be drawn while it runs.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_ui.i18n import current_lang

__all__ = [
    "RESOLUTIONS_M",
    "DEFAULT_RESOLUTION_M",
    "TECH_CHOICES",
    "Settings",
    "LibraryMissing",
    "ResultStore",
    "default_resolution_m",
    "workspace_path",
    "workspace",
    "dem_folder",
    "get_settings",
    "communes",
    "communes_display",
    "province_display",
    "background_display",
    "active_station_set",
    "active_set_label",
    "is_modelled_active",
    "station_set_key",
    "set_technologies",
    "max_upload_mb",
    "active_dem",
    "store",
    "goto",
]

RESOLUTIONS_M = (1000, 500, 250, 100)
#: 500 m: the embedded province analyses in seconds (first page ≤ 10 s warm); 100 m is for final runs.
DEFAULT_RESOLUTION_M = 500
TECH_CHOICES = ("5G", "4G", "any")
DISPLAY_SIMPLIFY_M = 40.0  # commune outlines are simplified this much for the browser
DISPLAY_DECIMALS = 5  # ~1 m at this latitude
MAX_RESULTS = 12  # analysis results kept in memory (all sessions together)


class LibraryMissing(RuntimeError):
    """A library function the app calls is not (yet) available."""


# ----------------------------------------------------------------------- settings
def default_resolution_m() -> int:
    """``LOMSONG_APP_RESOLUTION`` (metres) or :data:`DEFAULT_RESOLUTION_M`."""
    raw = os.environ.get("LOMSONG_APP_RESOLUTION", "").strip()
    try:
        value = int(float(raw)) if raw else DEFAULT_RESOLUTION_M
    except ValueError:
        value = DEFAULT_RESOLUTION_M
    return value if 30 <= value <= 1000 else DEFAULT_RESOLUTION_M


@dataclass(frozen=True)
class Settings:
    """The sidebar's analysis settings (one immutable value per run of the script)."""

    tech: str = "5G"
    threshold_dbm: float = -110.0
    indoor_margin_db: float = 0.0
    resolution_m: int = DEFAULT_RESOLUTION_M
    budget_sites: int = 20
    budget_vnd: float | None = None
    focus: tuple[str, ...] = ()
    basemap: bool = False
    lang: str = "vi"
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("extra", None)
        return d


def default_threshold_dbm(tech: str) -> float:
    """The coverage threshold of a technology; "any" shows the 4G one (the anchor layer)."""
    from geo.radio_defaults import THRESHOLD_DBM

    return float(THRESHOLD_DBM.get(tech if tech != "any" else "4G", -110.0))


def get_settings() -> Settings:
    """The settings chosen in the sidebar for this run (defaults before it is drawn)."""
    ss = st.session_state
    tech = ss.get("tech", "5G")
    default_thr = default_threshold_dbm(tech)
    focus = tuple(sorted(ss.get("focus", ()) or ()))
    kind = ss.get("budget_kind", "sites")
    return Settings(
        tech=tech,
        threshold_dbm=float(ss.get("threshold_dbm", default_thr)),
        indoor_margin_db=float(ss.get("indoor_margin_db", 0.0)),
        resolution_m=int(ss.get("resolution_m", default_resolution_m())),
        budget_sites=int(ss.get("budget_sites", 20)),
        budget_vnd=float(ss["budget_vnd_bn"]) * 1e9 if kind == "vnd" and ss.get("budget_vnd_bn") else None,
        focus=focus,
        basemap=bool(ss.get("basemap", False)),
        lang=current_lang(),
        extra={  # optional library features (app_ui.features); part of the cache keys where used
            "operators": tuple(sorted(ss.get("operators") or ())),
            "reliability_pct": ss.get("reliability_pct"),
            "load_pct": ss.get("load_pct"),
        },
    )


# ----------------------------------------------------------------------- workspace
def workspace_path() -> Path:
    """``LOMSONG_WORKSPACE`` or ``./workspace/lomsong.gpkg``."""
    raw = os.environ.get("LOMSONG_WORKSPACE", "").strip()
    return Path(raw) if raw else Path("workspace") / "lomsong.gpkg"


def workspace():
    """The station-set workspace (:class:`geo.workspace.Workspace`)."""
    from geo.workspace import Workspace

    return Workspace(workspace_path())


def dem_folder() -> Path:
    """Where uploaded DEMs are kept: ``<workspace folder>/dem``."""
    return workspace_path().parent / "dem"


# ----------------------------------------------------------------------- embedded data
@st.cache_resource(show_spinner=False)
def _communes_cached() -> gpd.GeoDataFrame:
    from geo.data import load_communes

    return load_communes()


def communes() -> gpd.GeoDataFrame:
    """The 78 communes (a copy; EPSG:4326) as :func:`geo.data.load_communes` gives them."""
    return _communes_cached().copy()


def _display(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    import shapely

    from geo.grid import ANALYSIS_CRS

    simple = gdf.to_crs(ANALYSIS_CRS).simplify(tolerance_m).to_crs(4326)
    out = gdf.copy()
    out["geometry"] = shapely.set_precision(simple.values, 10.0**-DISPLAY_DECIMALS)
    return out


@st.cache_resource(show_spinner=False)
def _communes_display_cached() -> gpd.GeoDataFrame:
    return _display(_communes_cached(), DISPLAY_SIMPLIFY_M)


def communes_display() -> gpd.GeoDataFrame:
    """Communes with outlines simplified for the browser (display only)."""
    return _communes_display_cached().copy()


@st.cache_resource(show_spinner=False)
def province_display() -> gpd.GeoDataFrame:
    from geo.data import load_province

    return _display(load_province(), DISPLAY_SIMPLIFY_M)


@st.cache_resource(show_spinner=False)
def background_display() -> dict[str, gpd.GeoDataFrame]:
    """The offline map background (land, coastline, main roads), simplified for the browser.

    A layer that cannot be read is left out (the map still draws without it).
    """
    from geo import data

    out = {}
    for key, load, tol in (("land", data.load_land, 80.0), ("coastline", data.load_coastline, 80.0),
                           ("roads", data.load_roads, 40.0)):
        try:
            out[key] = _display(load(), tol)
        except Exception:  # an optional layer: the map draws without it
            continue
    return out


# ----------------------------------------------------------------------- stations
@st.cache_resource(show_spinner=False)
def _default_stations():
    from geo.stations import load_default_stations

    return load_default_stations()


@st.cache_resource(show_spinner=False, max_entries=16)
def _saved_set(path: str, name: str, stamp: str):
    from geo.workspace import Workspace

    return Workspace(path).load(name)


def active_set_name() -> str | None:
    """Name of the saved set the analysis uses, or None for the modelled default."""
    return st.session_state.get("active_set")


def _workspace_stamp(path: Path) -> str:
    """Size and modification time of the workspace file: a save or delete changes it."""
    try:
        st_ = path.stat()
    except OSError:
        return ""
    return f"{st_.st_size}:{st_.st_mtime_ns}"


def load_station_set(name: str | None):
    """A saved set by name (cached until the workspace file changes), or the modelled default.

    A rerun costs one ``stat`` of the workspace file: the set is not read again, and its
    content hash (:func:`station_set_key`) is computed once per loaded set.
    """
    if name is None:
        return _default_stations()
    path = workspace_path()
    return _saved_set(str(path), name, _workspace_stamp(path))


def active_station_set():
    """The StationSet the analysis uses (falls back to the default if a set vanished)."""
    name = active_set_name()
    try:
        return load_station_set(name)
    except Exception:
        if name is not None:
            st.session_state["active_set"] = None
            st.session_state["active_set_lost"] = name
        return _default_stations()


def is_modelled_active() -> bool:
    s = active_station_set()
    return bool(getattr(s, "modelled", False))


def active_set_label(lang: str | None = None) -> str:
    from app_ui.i18n import t

    name = active_set_name()
    return name if name else t("modelled_default", lang)


_MEMO: dict[tuple[int, str], tuple[weakref.ref, object]] = {}
_MEMO_LOCK = threading.Lock()


def _memo(obj, what: str, compute: Callable[[], object]):
    """``compute()`` once per live object ``obj`` (sets are cached objects: keyed by identity)."""
    k = (id(obj), what)
    with _MEMO_LOCK:
        hit = _MEMO.get(k)
        if hit is not None and hit[0]() is obj:
            return hit[1]
    value = compute()
    try:
        ref = weakref.ref(obj, lambda _r, k=k: _MEMO.pop(k, None))
    except TypeError:  # not weak-referenceable: no memo
        return value
    with _MEMO_LOCK:
        _MEMO[k] = (ref, value)
    return value


def _hash_stations(gdf) -> str:
    h = hashlib.sha256()
    h.update(str(len(gdf)).encode())
    if len(gdf):
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
        h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
        xy = gdf.geometry.get_coordinates().round(7).to_numpy()
        h.update(xy.tobytes())
    return h.hexdigest()[:20]


def station_set_key(station_set) -> str:
    """A content hash of a StationSet's stations (the cache identity of a result), computed
    once per set object."""
    return _memo(station_set, "key", lambda: _hash_stations(station_set.stations))


def set_technologies(station_set) -> frozenset[str]:
    """The technologies of a set's stations (``technology`` column), once per set object."""
    def techs():
        gdf = station_set.stations
        if "technology" not in gdf.columns:
            return frozenset()
        return frozenset(str(v) for v in gdf["technology"].dropna().unique())

    return _memo(station_set, "techs", techs)


def max_upload_mb() -> int:
    """Streamlit's upload limit (``server.maxUploadSize``, MB)."""
    try:
        return int(st.get_option("server.maxUploadSize"))
    except Exception:  # outside a Streamlit run
        return 200


# ----------------------------------------------------------------------- DEM
@st.cache_resource(show_spinner=False)
def _embedded_dem():
    from geo.dem import load_dem

    return load_dem(None)


@st.cache_resource(show_spinner=False, max_entries=4)
def _dem_from_path(path: str, mtime: float):
    from geo.dem import load_dem

    return load_dem(path)


def active_dem():
    """The DEM of this session: an uploaded one (kept in the workspace) or the embedded relief."""
    path = st.session_state.get("dem_path")
    if path and Path(path).exists():
        try:
            return _dem_from_path(path, Path(path).stat().st_mtime)
        except Exception:
            st.session_state["dem_path"] = None
    return _embedded_dem()


def save_uploaded_dem(name: str, data: bytes) -> Path:
    """Keep an uploaded DEM file in ``<workspace>/dem/`` under a content-addressed name."""
    folder = dem_folder()
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(name).name)[-120:]
    path = folder / f"{digest}_{safe}"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def saved_dems() -> list[Path]:
    folder = dem_folder()
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


# ----------------------------------------------------------------------- results store
def code_version() -> str:
    """A fingerprint of the library's source (``geo/``, ``analysis/``, their subpackages such
    as ``geo/coverage/`` included): disk caches made by other code are never reused."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    sums = root / "data" / "SHA256SUMS"  # the embedded data the results were made from
    if sums.exists():
        h.update(sums.read_bytes())
    for folder in ("geo", "analysis"):
        for path in sorted((root / folder).rglob("*.py")):
            stat = path.stat()
            name = path.relative_to(root).as_posix()
            h.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


class ResultStore:
    """A small thread-safe LRU of analysis results, shared by every session.

    With ``disk_dir``, results computed with ``persist=True`` are also written there in the
    safe cache format of :mod:`app_ui.disk_cache` (``.npz`` + JSON manifest, keyed by the
    inputs, :func:`code_version` and the format), so a restarted app starts warm. Nothing
    read from the folder can run code: no file is ever unpickled, and files that cannot be
    read — damaged, foreign, or naming anything outside the library's own dataclasses — are
    ignored and recomputed (issue #12).
    """

    def __init__(self, max_items: int = MAX_RESULTS, disk_dir: Path | None = None):
        self.max_items = max_items
        self.disk_dir = Path(disk_dir) if disk_dir else None
        self._version = code_version() if disk_dir else ""
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}

    def _disk_path(self, key: tuple) -> Path | None:
        if self.disk_dir is None:
            return None
        from app_ui.disk_cache import FORMAT

        digest = hashlib.sha256(f"{FORMAT}|{self._version}|{key!r}".encode()).hexdigest()[:32]
        return self.disk_dir / f"{digest}.npz"

    def _load(self, key: tuple):
        from app_ui import disk_cache

        path = self._disk_path(key)
        if path is None or not path.is_file():
            return None
        try:
            return disk_cache.load(path)
        except disk_cache.Undecodable:  # a damaged or foreign cache file: compute again
            return None

    def _save(self, key: tuple, value) -> None:
        from app_ui import disk_cache

        path = self._disk_path(key)
        if path is None:
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            disk_cache.dump(value, tmp)
            tmp.replace(path)
        except (disk_cache.Unencodable, OSError):  # the cache is an optimisation: never fail a page
            tmp.unlink(missing_ok=True)

    def get(self, key: tuple):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def __contains__(self, key: tuple) -> bool:
        with self._lock:
            return key in self._items

    def get_or_compute(self, key: tuple, compute: Callable[[], Any], persist: bool = False):
        hit = self.get(key)
        if hit is not None:
            return hit
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            hit = self.get(key)
            if hit is not None:
                return hit
            value = self._load(key) if persist else None
            if value is None:
                value = compute()
                if persist:
                    self._save(key, value)
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.max_items:
                    self._items.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@st.cache_resource(show_spinner=False)
def _store(disk_dir: str) -> ResultStore:
    return ResultStore(disk_dir=Path(disk_dir) if disk_dir else None)


def store() -> ResultStore:
    """The process-wide result store (disk layer in ``<workspace>/cache`` unless
    ``LOMSONG_APP_DISK_CACHE=0``)."""
    use_disk = os.environ.get("LOMSONG_APP_DISK_CACHE", "1").strip() != "0"
    return _store(str(workspace_path().parent / "cache") if use_disk else "")


# ----------------------------------------------------------------------- navigation
def goto(page: str, **state) -> None:
    """Switch to ``page`` on the next run (the sidebar radio cannot be set after it is drawn)."""
    st.session_state["_goto"] = page
    for k, v in state.items():
        st.session_state[k] = v
    st.rerun()
