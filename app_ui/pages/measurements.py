"""Đo kiểm / Drive tests: upload a drive test, see where the model is wrong, calibrate it.

The page holds no analysis: the file goes to :func:`geo.measurement_list.read_measurements`,
the comparison to :func:`analysis.measurements.compare` on the current run's coverage, the
clusters to :func:`analysis.measurements.disagreement_clusters`, the fit to
:func:`analysis.calibration.calibrate`, and a saved calibration is applied to the app's
coverage through :func:`active_calibration` (``CoverageConfig.calibration``).
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app_ui import state
from app_ui.i18n import current_lang, t

__all__ = [
    "render",
    "UPLOAD_TYPES",
    "MAX_MAP_POINTS",
    "read_upload",
    "residual_colour",
    "stats_table",
    "residual_map",
    "active_calibration",
]

UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "geojson", "json", "gpkg", "kml", "kmz"]
MAX_MAP_POINTS = 5_000  # points drawn on the residual map (an even sample beyond this)
#: residual bins (model − measured, dB) and colours: blue = model pessimistic, red = optimistic
RESIDUAL_BINS = ((-math.inf, -10.0, "#2166ac"), (-10.0, -3.0, "#67a9cf"), (-3.0, 3.0, "#f7f7f7"),
                 (3.0, 10.0, "#ef8a62"), (10.0, math.inf, "#b2182b"))
GROUP_KEYS = ("technology", "operator", "terrain", "los", "distance_band")


def read_upload(uploaded, crs=None) -> tuple[object | None, str | None]:
    """``(PointSet, None)`` or ``(None, error message)``; never raises."""
    try:
        from geo.measurement_list import read_measurements
    except ImportError:
        return None, t("dt_no_reader")
    try:
        return read_measurements(uploaded, crs=crs), None
    except Exception as exc:  # a hostile or unreadable file: a message, not a traceback
        return None, f"{type(exc).__name__}: {exc}"


def residual_colour(residual_db) -> str:
    """Colour of a residual (model − measured, dB) on the map; grey when there is none."""
    try:
        v = float(residual_db)
    except (TypeError, ValueError):
        return "#999999"
    if not math.isfinite(v):
        return "#999999"
    for lo, hi, colour in RESIDUAL_BINS:
        if lo <= v < hi:
            return colour
    return RESIDUAL_BINS[-1][2]


def stats_table(stats: dict, grouping: str | None, lang: str) -> pd.DataFrame:
    """The comparison's statistics as shown: overall or by one grouping."""
    rows = [{"group": t("dt_overall", lang), **stats["overall"]}] if grouping is None else [
        {"group": str(r[grouping]), **{k: r[k] for k in ("n", "bias_db", "rmse_db", "sigma_db")}}
        for r in stats[f"by_{grouping}"]]
    i = 0 if lang == "vi" else 1
    names = {"group": ("Nhóm", "Group"), "n": ("Số điểm", "Points"),
             "bias_db": ("Sai lệch (dB)", "Bias (dB)"), "rmse_db": ("RMSE (dB)", "RMSE (dB)"),
             "sigma_db": ("Độ lệch chuẩn (dB)", "σ (dB)")}
    return pd.DataFrame(rows).rename(columns={k: v[i] for k, v in names.items()})


def residual_map(points, clusters=None, lang: str = "vi", basemap: bool = True,
                 max_points: int = MAX_MAP_POINTS):
    """A folium map: measured points coloured by residual, disagreement clusters outlined."""
    import folium

    from app_ui.maps import bounds_of, localize_assets

    m = folium.Map(tiles="OpenStreetMap" if basemap else None, control_scale=True,
                   prefer_canvas=True)
    shown = points if len(points) <= max_points else points.iloc[
        ::int(math.ceil(len(points) / max_points))]
    layer = folium.FeatureGroup(name=t("dt_points", lang))
    for rec in shown[["rsrp_dbm", "predicted_dbm", "residual_db", "geometry"]].itertuples(index=False):
        tip = (f"{t('dt_measured', lang)} {rec.rsrp_dbm:.0f} dBm · {t('dt_model', lang)} "
               + ("—" if not math.isfinite(rec.predicted_dbm) else f"{rec.predicted_dbm:.0f} dBm"))
        folium.CircleMarker([rec.geometry.y, rec.geometry.x], radius=3, weight=0.5, color="#333",
                            fill=True, fill_opacity=0.9, fill_color=residual_colour(rec.residual_db),
                            tooltip=tip).add_to(layer)
    layer.add_to(m)
    if clusters is not None and len(clusters):
        folium.GeoJson(clusters[["cluster_id", "n_no_service", "geometry"]].to_json(),
                       name=t("dt_clusters", lang),
                       style_function=lambda _: {"color": "#d7301f", "weight": 2, "fill": False},
                       tooltip=folium.GeoJsonTooltip(["cluster_id", "n_no_service"])).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if len(points):
        m.fit_bounds(bounds_of(points, pad_deg=0.005))
    return localize_assets(m)


def active_calibration():
    """The saved calibration the app applies (a :class:`geo.correction.ModelCorrection`), or None."""
    name = st.session_state.get("calibration_name")
    if not name:
        return None
    from analysis.calibration import CalibrationError, load_calibration

    try:
        return load_calibration(name, state.workspace_path()).correction
    except CalibrationError:  # deleted or unusable since it was chosen: the model as is
        st.session_state["calibration_name"] = None
        return None


def _saved_calibrations() -> pd.DataFrame:
    from analysis.calibration import list_calibrations

    try:
        return list_calibrations(state.workspace_path())
    except Exception:  # an unreadable workspace: nothing to choose
        return pd.DataFrame(columns=["name"])


def _upload(lang: str):
    ss = st.session_state
    c1, c2 = st.columns([2, 1])
    from app_ui.pages.stations import CRS_CHOICES

    crs = c2.selectbox(t("upload_crs"), CRS_CHOICES, key="dt_crs",
                       format_func=lambda c: t("crs_auto") if c is None else c)
    up = c1.file_uploader(t("dt_upload"), type=UPLOAD_TYPES, key="dt_upload")
    if up is None:
        ss.pop("dt_result", None)
        return None
    marker = (getattr(up, "file_id", up.name), up.size, crs)
    if ss.get("dt_marker") != marker:
        ss["dt_marker"] = marker
        ss["dt_result"] = read_upload(up, crs=crs)
    points, error = ss["dt_result"]
    if error is not None:
        st.error(t("upload_unreadable", err=error))
        return None
    s = points.summary()
    st.info(t("dt_summary", lang, rows=s["rows_read"], kept=s["kept"], fixed=s["fixed"],
              rejected=s["rejected"]))
    if not points.usable:
        st.error(t("dt_none_usable", lang))
        return None
    issues = points.issues()
    if len(issues):
        col = "problem_vi" if lang == "vi" else "problem_en"
        with st.expander(t("report_title")):
            st.dataframe(issues[["row", "column", "value", "status", col]], hide_index=True,
                         width="stretch", height=220)
    return points


def _comparison(points, settings):
    from app_ui import runner

    inputs, coverage, _ = runner._coverage_of(state.active_set_name(), settings)
    from analysis.measurements import compare, disagreement_clusters

    key = ("dt_compare", st.session_state.get("dt_marker"), repr(coverage.config),
           state.station_set_key(state.active_station_set()), int(settings.resolution_m))
    if st.session_state.get("dt_compare_key") != key:
        cmp_ = compare(points, coverage, elevation_m=inputs.dem_on_grid, communes=inputs.communes)
        st.session_state["dt_compare"] = (cmp_, disagreement_clusters(cmp_))
        st.session_state["dt_compare_key"] = key
    return st.session_state["dt_compare"]


def _calibrate_section(cmp_, points, lang: str) -> None:
    from analysis.calibration import CalibrationError, calibrate, save_calibration

    st.subheader(t("dt_calibrate", lang))
    if cmp_.calibration:
        st.caption(t("dt_already_calibrated", lang, name=cmp_.calibration))
        return
    try:
        cal = calibrate(cmp_, measurement_hash=getattr(points, "source_sha256", "") or "")
    except CalibrationError as exc:
        st.warning(str(exc))
        return
    o = cal.overall
    st.write(t("dt_fit", lang, before=o["rmse_db_before"], after=o["rmse_db_after"],
               cv=o["rmse_db_cv"], n=o["points_used"]))
    st.dataframe(pd.DataFrame([vars(f) for f in cal.fits + cal.class_fits]), hide_index=True,
                 width="stretch")
    name = st.text_input(t("dt_cal_name", lang), key="dt_cal_name")
    if st.button(t("dt_cal_save", lang), key="dt_cal_save", disabled=not name.strip()):
        try:
            save_calibration(cal, state.workspace_path(), name=name.strip(), replace=True)
            st.success(t("dt_cal_saved", lang, name=name.strip()))
        except CalibrationError as exc:
            st.error(str(exc))


def _apply_section(lang: str) -> None:
    saved = _saved_calibrations()
    names = [None, *saved["name"].astype(str).tolist()]
    ss = st.session_state
    if ss.get("calibration_name") not in names:
        ss["calibration_name"] = None
    st.selectbox(t("dt_apply", lang), names, key="calibration_name",
                 format_func=lambda n: t("dt_apply_none", lang) if n is None else n)


def render() -> None:
    lang = current_lang()
    settings = state.get_settings()
    st.header(t("dt_title"))
    st.caption(t("dt_intro"))
    points = _upload(lang)
    if points is None:
        _apply_section(lang)
        return
    cmp_, clusters = _comparison(points, settings)
    grouping = st.selectbox(t("dt_grouping", lang), [None, *GROUP_KEYS], key="dt_grouping",
                            format_func=lambda g: t("dt_overall", lang) if g is None
                            else t(f"dt_by_{g}", lang))
    st.dataframe(stats_table(cmp_.stats, grouping, lang), hide_index=True, width="stretch")
    n = len(clusters)
    st.write(t("dt_clusters_line", lang, n=n) if n else t("dt_no_clusters", lang))
    if n:
        st.dataframe(pd.DataFrame(clusters.drop(columns="geometry")), hide_index=True,
                     width="stretch")
    from streamlit_folium import st_folium

    st_folium(residual_map(cmp_.compared if len(cmp_.compared) else cmp_.points, clusters, lang,
                           settings.basemap), key="dt_map", height=520, use_container_width=True,
              returned_objects=[])
    st.caption(t("dt_legend", lang))
    _calibrate_section(cmp_, points, lang)
    _apply_section(lang)  # after the fit, so a calibration saved in this run is listed
