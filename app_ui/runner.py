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

__all__ = ["Results", "analysis", "compare", "outputs", "layer_bytes", "result_map", "map_data",
           "analysis_config", "weights_text"]


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
    overlay_key: tuple | None = None
    inside: np.ndarray | None = field(default=None, repr=False)  # cells inside the communes
    throughput_mbps: np.ndarray | None = field(default=None, repr=False)  # when the engine has it
    villages: gpd.GeoDataFrame | None = None  # when the village layer has landed
    measurements: gpd.GeoDataFrame | None = None  # drive-test residuals, when present
    shown_tech: str | None = None  # the technology drawn on the map
    set_technologies: frozenset = frozenset()
    people_total_exact: float | None = None  # WorldPop summed on the commune outlines


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

    def pipeline(self, stage: str, done: int, total: int) -> None:
        """The pipeline's ``progress(stage, done, total)`` callback."""
        key = _STAGE_TEXT.get(stage, "stage_inputs")
        if key in self.stages and (self.bar is None or self.stages.index(key) != self.i):
            self.stage(key)
        self.callback(done, total)

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


_STAGE_TEXT = {
    "inputs": "stage_inputs", "coverage": "stage_coverage", "gaps": "stage_gaps",
    "candidates": "stage_siting", "selection": "stage_siting", "outputs": "stage_outputs",
}


def _techs_for(tech: str) -> tuple[str, ...] | None:
    """Technologies the coverage engine computes for a gap technology (None: all)."""
    return None if tech == "any" else (tech,)


def coverage_config(settings: state.Settings, service: bool = True):
    """The engine's configuration for the sidebar settings (``service=False``: without the
    reliability / load sliders, which :meth:`geo.coverage.Coverage.with_service` applies)."""
    from app_ui.features import coverage_overrides
    from geo.coverage import CoverageConfig
    from geo.radio_defaults import THRESHOLD_DBM

    thresholds = dict(THRESHOLD_DBM)
    if settings.tech != "any":
        thresholds[settings.tech] = float(settings.threshold_dbm)
    return CoverageConfig(
        indoor_margin_db=float(settings.indoor_margin_db), thresholds_dbm=thresholds,
        technologies=_techs_for(settings.tech),
        calibration=_calibration(), **(coverage_overrides(settings.extra) if service else {}),
    )


def analysis_config():
    """The :class:`analysis.config.AnalysisConfig` the app's analysis runs with (the library's
    default: the pipeline stages get no other)."""
    from analysis.config import AnalysisConfig

    return AnalysisConfig()


def weights_text(weights, lang: str) -> str:
    """The ranking weights in force, in words (issue #18, item 9)."""
    from app_ui.formatting import fmt_num
    from app_ui.i18n import terrain_label

    terrain = {k: float(v) for k, v in dict(weights.terrain_weight).items()}
    neutral = all(v == 1.0 for v in terrain.values()) and float(weights.cost_weight) == 0.0
    if neutral:
        return t("weights_neutral", lang)
    items = ", ".join(f"{terrain_label(k, lang)} ×{fmt_num(v, 1, lang)}" for k, v in terrain.items())
    parts = [t("weights_terrain", lang, items=items)]
    if float(weights.cost_weight):
        parts.append(t("weights_cost", lang, a=fmt_num(weights.cost_weight, 1, lang)))
    return "; ".join(parts)


def _calibration():
    """The drive-test calibration chosen on the Drive tests page (None: the model as is)."""
    from app_ui.pages.measurements import active_calibration

    return active_calibration()


def _stage_inputs(settings, dem, progress):
    pipeline = _pipeline()
    key = ("inputs", int(settings.resolution_m), getattr(dem, "key", ""))
    return key, state.store().get_or_compute(
        key, lambda: pipeline.prepare_inputs(settings.resolution_m, dem, progress=progress),
        persist=True,
    )


def _stage_coverage(settings, inputs, ikey, station_set, progress):
    from app_ui.features import coverage_overrides, operators_chosen

    pipeline = _pipeline()
    cfg = coverage_config(settings, service=False)
    ops = operators_chosen(settings.extra)
    kwargs = {"operators": ops} if ops else {}
    key = ("coverage", ikey, state.station_set_key(station_set), repr(cfg), tuple(ops or ()))
    base = state.store().get_or_compute(
        key, lambda: pipeline.coverage_stage(inputs, station_set, cfg, progress=progress, **kwargs),
        persist=True,
    )
    # the reliability / load sliders act on the kept rasters: no station is computed again
    service = {k: v for k, v in coverage_overrides(settings.extra).items()
               if getattr(base.config, k, None) != v}
    if not service or not hasattr(base, "with_service"):
        return key, base
    skey = (*key, tuple(sorted(service.items())))
    return skey, state.store().get_or_compute(skey, lambda: base.with_service(**service))


def _stage_gaps(settings, inputs, coverage, ckey):
    pipeline = _pipeline()
    key = ("gaps", ckey, settings.tech)
    return key, state.store().get_or_compute(
        key, lambda: pipeline.gaps_stage(inputs, coverage, settings.tech), persist=True,
    )


def _stage_siting(settings, inputs, coverage, gaps_out, gkey, progress):
    pipeline = _pipeline()
    budget_sites = None if settings.budget_vnd is not None else int(settings.budget_sites)
    focus = list(settings.focus) or None
    key = ("siting", gkey, budget_sites, settings.budget_vnd, tuple(settings.focus))
    return key, state.store().get_or_compute(
        key, lambda: pipeline.siting_stage(
            inputs, coverage, gaps_out, budget_sites=budget_sites, budget_vnd=settings.budget_vnd,
            focus=focus, progress=progress, exact_check=False,
        ),
        persist=True,
    )


def _analysis(settings: state.Settings, siting: bool) -> Results:
    pipeline = _pipeline()
    station_set = state.active_station_set()
    dem = state.active_dem()
    stages = ["stage_inputs", "stage_coverage", "stage_gaps"] + (["stage_siting"] if siting else [])
    bar = _Progress(stages)
    try:
        inputs, coverage, gkey, gaps_out = _through_gaps(settings, station_set, dem, bar)
        skey, sit = (None, None)
        if siting:
            skey, sit = _stage_siting(settings, inputs, coverage, gaps_out, gkey, bar.pipeline)
    finally:
        bar.done()
    gdf = station_set.stations
    modelled = bool(getattr(station_set, "modelled", False))
    if sit is not None:
        summary = pipeline.summary_dict(
            inputs, gaps_out, sit, settings.tech, modelled, len(gdf), 0.0, coverage,
            None if settings.budget_vnd is not None else settings.budget_sites,
            settings.budget_vnd, list(settings.focus) or None,
        )
        raw = pipeline.AnalysisResult(inputs, coverage, gdf, modelled, settings.tech, gaps_out, sit,
                                      summary, {})
    else:
        summary = pipeline.coverage_summary(gaps_out)
        raw = None
    shown = settings.tech if settings.tech != "any" else (
        "4G" if "4G" in coverage.rsrp_dbm else next(iter(sorted(coverage.rsrp_dbm)), None)
    )
    rsrp = coverage.rsrp_dbm.get(shown) if shown else None
    thr = coverage.config.covered_threshold_dbm(shown) if shown else None
    from app_ui.features import residuals_of, throughput_of, villages_of
    nodes = getattr(getattr(inputs, "fiber_reach", None), "nodes", None)
    fiber_nodes = fiber_routes = None
    if nodes is not None and len(nodes):
        kind = nodes.geometry.geom_type.astype(str)
        fiber_nodes = nodes[kind.str.contains("Point").to_numpy()]
        fiber_routes = nodes[kind.str.contains("Line").to_numpy()]
    return Results(
        key=skey or gkey, summary=summary, communes=gaps_out.communes, gaps=gaps_out.gaps,
        proposals=sit.proposals if sit is not None else None,
        curve=sit.curve if sit is not None else None, rsrp_dbm=rsrp, grid=inputs.grid,
        threshold_dbm=thr, stations=gdf, fiber_nodes=fiber_nodes, fiber_routes=fiber_routes,
        raw=raw, overlay_key=gkey, inside=inputs.commune_id >= 0,
        throughput_mbps=throughput_of(coverage, shown), villages=villages_of(raw, gaps_out, sit),
        measurements=residuals_of(raw, coverage), shown_tech=shown,
        set_technologies=state.set_technologies(station_set),
        people_total_exact=_people_exact(),
    )


def _people_exact() -> float | None:
    """WorldPop 2020 summed on the exact commune outlines (``population_worldpop``, built once
    by ``data/build.py``): the figure ``lomsong info`` prints."""
    try:
        return float(state.communes()["population_worldpop"].sum())
    except Exception:  # an older communes file without the column
        return None


def _coverage_of(name: str | None, settings: state.Settings):
    station_set = state.load_station_set(name)
    dem = state.active_dem()
    bar = _Progress(["stage_inputs", "stage_coverage", "stage_gaps"])
    try:
        inputs, coverage, _, gaps_out = _through_gaps(settings, station_set, dem, bar)
    finally:
        bar.done()
    return inputs, coverage, gaps_out


def _through_gaps(settings: state.Settings, station_set, dem, bar: _Progress):
    """Inputs, coverage and gaps stages (each cached); returns the gaps stage's key too."""
    ikey, inputs = _stage_inputs(settings, dem, bar.pipeline)
    ckey, coverage = _stage_coverage(settings, inputs, ikey, station_set, bar.pipeline)
    gkey, gaps_out = _stage_gaps(settings, inputs, coverage, ckey)
    return inputs, coverage, gkey, gaps_out


def compare(before: str | None, after: str | None, settings: state.Settings) -> dict | None:
    """People newly covered / no longer covered and gaps before → after, for two station sets.

    The figures come from :func:`analysis.compare.compare_coverage` on the two runs' coverage
    masks and the earlier run's gap labels (a gap is closed when ≥ 90 % of its people are
    covered afterwards).
    """
    try:
        inputs, cov_a, gaps_a = _coverage_of(before, settings)
        _, cov_b, gaps_b = _coverage_of(after, settings)
    except state.LibraryMissing as exc:
        st.info(t("library_missing", what=str(exc)))
        return None
    from analysis.compare import compare_coverage

    pop = np.where(inputs.commune_id >= 0, np.nan_to_num(inputs.population), 0.0)
    return compare_coverage(pop, gaps_a.covered, gaps_b.covered,
                            labels_before=gaps_a.result.labels, gaps_after=len(gaps_b.gaps))


def outputs(res: Results, settings: state.Settings) -> dict[str, bytes] | None:
    """``report.html``, ``priorities.xlsx``, ``results.gpkg`` of a result, as bytes.

    Built by :func:`analysis.pipeline.write_outputs` on request (a button), then kept.
    """
    if res.raw is None:
        return None
    key = ("outputs", res.key)
    have = state.store().get(key)
    if have is None:
        if not st.button(t("make_report"), key="make_report"):
            return None
        pipeline = _pipeline()
        bar = _Progress(["stage_outputs"])
        bar.stage("stage_outputs")

        def build():
            with tempfile.TemporaryDirectory() as tmp:
                paths = pipeline.write_outputs(res.raw, tmp, progress=lambda s, d, n: bar.callback(d, n),
                                               geotiffs=False)
                return {
                    "report.html": Path(paths["report"]).read_bytes(),
                    "priorities.xlsx": Path(paths["xlsx"]).read_bytes(),
                    "results.gpkg": Path(paths["gpkg"]).read_bytes(),
                }

        try:
            have = state.store().get_or_compute(key, build)
        finally:
            bar.done()
    return have


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
    if res.communes is not None and "code" in res.communes.columns:
        cols = [c for c in ("terrain", "people_total", "people_uncovered", "share_uncovered")
                if c in res.communes.columns]
        fig = res.communes.set_index(res.communes["code"].astype(str))[cols]
        com = com.join(fig, on="code")
    overlay = None
    if res.rsrp_dbm is not None and res.threshold_dbm is not None and res.grid is not None:
        from app_ui.maps import rsrp_overlay

        overlay = state.store().get_or_compute(
            ("overlay", res.overlay_key, res.threshold_dbm),
            lambda: rsrp_overlay(res.rsrp_dbm, res.grid.transform, res.grid.rasterio_crs,
                                 res.threshold_dbm, inside=res.inside),
        )
    speed = None
    if res.throughput_mbps is not None and res.grid is not None:
        from app_ui.maps import speed_overlay

        speed = state.store().get_or_compute(
            ("speed_overlay", res.overlay_key),
            lambda: speed_overlay(res.throughput_mbps, res.grid.transform, res.grid.rasterio_crs,
                                  inside=res.inside),
        )
    return MapData(
        communes=com,
        province=state.province_display(),
        background=state.background_display(),
        speed_image=speed,
        villages=res.villages if res.villages is not None else _village_points(settings),
        measurements=res.measurements,
        rsrp_image=overlay,
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


def _village_points(settings: state.Settings):
    """The villages of the session's analysis as map points (``analysis.villages.village_markers``),
    or None while the village layer is not in the library or cannot be computed."""
    try:
        from analysis.villages import village_markers
        from app_ui.pages.villages import villages_for
    except ImportError:
        return None
    try:
        table = getattr(villages_for(settings), "table", None)
    except Exception:  # the village stage failed: the map draws without villages
        return None
    if table is None or len(table) == 0:
        return None
    m = village_markers(table, lang=current_lang())
    return gpd.GeoDataFrame(m, geometry=gpd.points_from_xy(m["lon"], m["lat"]), crs=4326)


def result_map(res: Results, settings: state.Settings, focus=None, layers=None):
    """The folium map of a result.

    Built afresh on every run (streamlit-folium alters a map while sending it, so a map object
    must not be sent twice); the expensive part, the RSRP image, is kept per result.
    """
    from app_ui.maps import build_map

    return build_map(map_data(res, settings), lang=current_lang(), basemap=settings.basemap,
                     focus=focus)
