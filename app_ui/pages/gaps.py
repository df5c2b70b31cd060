"""Lõm sóng / Gaps: the ranked gap table, filters, zoom to a gap, downloads."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from analysis.gaps import gaps_in_commune
from app_ui import runner, state
from app_ui.formatting import display_table
from app_ui.i18n import TERRAIN_LABELS, current_lang, t, terrain_label
from app_ui.maps import bounds_of
from app_ui.pages.map_page import show_map

__all__ = ["render", "filter_gaps", "gap_table"]

GAP_COLUMNS = (
    "rank", "gap_id", "people_uncovered", "area_km2", "communes", "terrain", "elev_mean_m",
    "dist_station_km", "dist_fiber_km", "backhaul", "score",
)


def filter_gaps(gaps: gpd.GeoDataFrame, terrain=(), commune: str | None = None,
                min_people: float = 0.0) -> gpd.GeoDataFrame:
    """Rows of the gap table matching the page's filters (a view, not an analysis).

    ``commune`` is a commune *code* (:func:`analysis.gaps.gaps_in_commune`).
    """
    if gaps is None or gaps.empty:
        return gaps
    keep = pd.Series(True, index=gaps.index)
    if terrain and "terrain" in gaps.columns:
        keep &= gaps["terrain"].astype(str).isin(list(terrain))
    if commune:
        keep &= gaps.index.isin(gaps_in_commune(gaps, commune).index)
    if min_people and "people_uncovered" in gaps.columns:
        keep &= gaps["people_uncovered"].astype(float) >= float(min_people)
    out = gaps[keep.to_numpy()]
    if "rank" in out.columns:
        out = out.sort_values("rank")
    return out


def gap_table(gaps: gpd.GeoDataFrame, lang: str) -> pd.DataFrame:
    """The gap rows as shown: no geometry, numbers and words in the session's language."""
    from analysis.report import BACKHAUL_VI, GAP_HEADERS

    cols = [c for c in GAP_COLUMNS if c in gaps.columns]
    cols += [c for c in gaps.columns if c.startswith("score_") or c.startswith("w_")]
    df = pd.DataFrame(gaps[cols]).reset_index(drop=True)
    labels = {"terrain": lambda v: terrain_label(str(v), lang)}
    if lang == "vi":
        labels["backhaul"] = lambda v: BACKHAUL_VI.get(str(v), str(v))
    return display_table(df, GAP_HEADERS, lang, labels)


def render() -> None:
    lang = current_lang()
    settings = state.get_settings()
    st.header(t("gaps_title"))
    res = runner.analysis(settings, siting=False)
    if res is None:
        return
    gaps = res.gaps
    c1, c2, c3 = st.columns(3)
    terrain = c1.multiselect(t("filter_terrain"), TERRAIN_LABELS, key="gap_terrain",
                             format_func=lambda v: terrain_label(v, lang),
                             placeholder=t("choose_placeholder"))
    com = state.communes().sort_values("name")
    names = dict(zip(com["code"].astype(str), com["name"].astype(str), strict=True))
    commune = c2.selectbox(t("filter_commune"), [None, *names], key="gap_commune",
                           format_func=lambda c: "—" if c is None else f"{names[c]} ({c})")
    min_people = c3.number_input(t("filter_min_people"), min_value=0, step=50, key="gap_min_people")
    view = filter_gaps(gaps, terrain, commune, min_people)
    if view is None or view.empty:
        st.info(t("no_gaps"))
        return
    st.caption(t("weights_in_force", text=runner.weights_text(runner.analysis_config().ranking, lang)))
    st.caption(t("gaps_select_hint"))
    event = st.dataframe(
        gap_table(view, lang), hide_index=True, width="stretch", height=320,
        on_select="rerun", selection_mode="single-row", key="gap_table",
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    focus = bounds_of(view.iloc[[rows[0]]], pad_deg=0.01) if rows else None
    d1, d2, d3 = st.columns(3)
    d1.download_button(t("download_gpkg"), runner.layer_bytes(view, "gpkg", "gaps"),
                       file_name="lom_song_gaps.gpkg", mime="application/geopackage+sqlite3",
                       key="gaps_gpkg")
    d2.download_button(t("download_geojson"), runner.layer_bytes(view, "geojson", "gaps"),
                       file_name="lom_song_gaps.geojson", mime="application/geo+json",
                       key="gaps_geojson")
    d3.download_button(t("download_csv"), runner.layer_bytes(view, "csv", "gaps"),
                       file_name="lom_song_gaps.csv", mime="text/csv", key="gaps_csv")
    show_map(res, settings, key="gaps_map", focus=focus, height=480)
