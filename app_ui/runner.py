"""Run the library's analysis for the current settings, with a progress bar, and keep it.

The app holds no analysis: :func:`analysis` calls the staged functions of
:mod:`analysis.pipeline` (inputs → coverage → gaps → siting) and wraps what they return in
:class:`Results` for the pages. Each stage's result is kept in the process-wide
:class:`app_ui.state.ResultStore` under the inputs it depends on, so a change of budget
re-runs only the siting stage and returning to a page re-runs nothing.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from app_ui import state
from app_ui.i18n import current_lang, t

__all__ = ["Results", "analysis", "compare", "outputs", "layer_bytes", "result_map", "map_data"]


@dataclass
class Results:
    """What the pages show, taken from the pipeline's result (all layers EPSG:4326)."""

    key: tuple
    summary: dict
    communes: pd.DataFrame | None = None
    gaps: gpd.GeoDataFrame | None = None
    proposals: gpd.GeoDataFrame | None = None
    curve: pd.DataFrame | None = None
    rsrp_dbm: np.ndarray | None = None
    grid: Any = None
    threshold_dbm: float | None = None
    stations: gpd.GeoDataFrame | None = None
    fiber_nodes: gpd.GeoDataFrame | None = None
    fiber_routes: gpd.GeoDataFrame | None = None
    raw: Any = field(default=None, repr=False)


def _pipeline():
    try:
        from analysis import pipeline
    except ImportError as exc:
        raise state.LibraryMissing("analysis.pipeline") from exc
    return pipeline


class _Progress:
    """A Streamlit progress bar driven by stage names and ``(done, total)`` callbacks."""

    def __init__(self, stages: list[str]):
        self.stages = stages
        self.bar = None
        self.i = 0

    def stage(self, key: str) -> None:
        if self.bar is None:
            self.bar = st.progress(0.0, text=t(key))
        self.i = self.stages.index(key) if key in self.stages else self.i
        self.bar.progress(min(1.0, self.i / max(1, len(self.stages))), text=t(key))

    def callback(self, done: int, total: int) -> None:
        if self.bar is None or total <= 0:
            return
        frac = (self.i + min(1.0, done / total)) / max(1, len(self.stages))
        self.bar.progress(min(1.0, frac), text=f"{t(self.stages[self.i])} {done}/{total}")

    def done(self) -> None:
        if self.bar is not None:
            self.bar.empty()


def analysis(settings: state.Settings, siting: bool = True) -> Results | None:
    """The results for ``settings`` on the active stations and DEM; None after an error message."""
    try:
        return _analysis(settings, siting)
    except state.LibraryMissing as exc:
        st.info(t("library_missing", what=str(exc)))
        return None


def _analysis(settings: state.Settings, siting: bool) -> Results:
    raise state.LibraryMissing("analysis.pipeline")


def compare(before: str | None, after: str | None, settings: state.Settings) -> dict | None:
    """People newly covered and gaps closed between two station sets (library comparison)."""
    try:
        raise state.LibraryMissing("analysis.pipeline.compare")
    except state.LibraryMissing as exc:
        st.info(t("library_missing", what=str(exc)))
        return None


def outputs(res: Results, settings: state.Settings) -> dict[str, bytes] | None:
    """``report.html``, ``priorities.xlsx``, ``results.gpkg`` of a result, as bytes."""
    return None


# ------------------------------------------------------------------ downloads of one layer
def layer_bytes(gdf: gpd.GeoDataFrame, kind: str, layer: str = "layer") -> bytes:
    """One layer as a GeoPackage, GeoJSON or CSV file (CSV: formulas neutralised, no geometry)."""
    from geo.workspace import sanitize_frame

    gdf = gdf.to_crs(4326) if gdf.crs is not None else gdf
    if kind == "csv":
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        buf = io.StringIO()
        sanitize_frame(table).to_csv(buf, index=False)
        return buf.getvalue().encode("utf-8-sig")
    if kind == "geojson":
        from app_ui.maps import feature_collection_json

        return feature_collection_json(gdf).encode("utf-8")
    if kind == "gpkg":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{layer}.gpkg"
            gdf.to_file(path, layer=layer, driver="GPKG")
            return path.read_bytes()
    msg = f"Unknown download kind {kind!r}; expected gpkg, geojson or csv."
    raise ValueError(msg)


# ------------------------------------------------------------------ the map of a result
def map_data(res: Results, settings: state.Settings, layers=None):
    """The :class:`app_ui.maps.MapData` of a result (communes joined to their figures)."""
    from app_ui.maps import MapData

    com = state.communes_display()
    terr = state.terrain_table()
    com["terrain"] = terr["terrain"].reindex(com.index).fillna("plain").to_numpy()
    if res.communes is not None and "code" in res.communes.columns:
        cols = [c for c in ("people_total", "people_uncovered", "share_uncovered")
                if c in res.communes.columns]
        fig = res.communes.set_index(res.communes["code"].astype(str))[cols]
        com = com.join(fig, on="code")
    return MapData(
        communes=com,
        province=state.province_display(),
        rsrp_dbm=res.rsrp_dbm,
        rsrp_transform=getattr(res.grid, "transform", None),
        rsrp_crs=getattr(res.grid, "rasterio_crs", None),
        threshold_dbm=res.threshold_dbm,
        gaps=res.gaps,
        stations=res.stations,
        proposals=res.proposals,
        fiber_nodes=res.fiber_nodes,
        fiber_routes=res.fiber_routes,
    )


@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_map(key: tuple, _res: Results, _settings: state.Settings, focus_key: str, lang: str,
                basemap: bool):
    from app_ui.maps import build_map

    focus = None if focus_key == "" else [[float(v) for v in p.split(",")] for p in focus_key.split(";")]
    return build_map(map_data(_res, _settings), lang=lang, basemap=basemap, focus=focus)


def result_map(res: Results, settings: state.Settings, focus=None, layers=None):
    """The folium map of a result (built once per result, language, base map and focus)."""
    focus_key = "" if focus is None else ";".join(",".join(f"{v:.6f}" for v in p) for p in focus)
    dem_key = getattr(state.active_dem(), "key", "")
    return _cached_map((res.key, dem_key), res, settings, focus_key, current_lang(), settings.basemap)
