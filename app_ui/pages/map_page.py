"""Bản đồ / Map: communes, coverage, gaps, stations, proposals, fiber — click a commune."""

from __future__ import annotations

import streamlit as st

from app_ui import runner, state
from app_ui.formatting import fmt_int, fmt_pct
from app_ui.i18n import current_lang, t

__all__ = ["render", "metrics_row", "show_map", "clicked_commune"]

MAP_HEIGHT_PX = 620


def metrics_row(res, lang: str) -> None:
    """Headline figures of a result."""
    s = res.summary
    cols = st.columns(5)
    cols[0].metric(t("people_total"), fmt_int(s.get("people_total"), lang))
    cols[1].metric(t("people_covered"), fmt_int(s.get("people_covered"), lang))
    cols[2].metric(t("share_covered"), fmt_pct(s.get("share_covered"), 1, lang))
    cols[3].metric(t("n_gaps"), fmt_int(s.get("gaps", len(res.gaps) if res.gaps is not None else None), lang))
    n_prop = len(res.proposals) if res.proposals is not None else None
    cols[4].metric(t("n_proposals"), fmt_int(n_prop, lang))


def clicked_commune(out) -> str | None:
    """The commune code of the feature the user last clicked on the map, if any."""
    if not isinstance(out, dict):
        return None
    feat = out.get("last_active_drawing")
    if not isinstance(feat, dict):
        return None
    props = feat.get("properties") or {}
    code = props.get("code")
    return str(code) if code else None


def show_map(res, settings, key: str, focus=None, height: int = MAP_HEIGHT_PX, layers=None):
    """Draw the result's map with streamlit-folium; return what the map reports back."""
    from streamlit_folium import st_folium

    m = runner.result_map(res, settings, focus=focus, layers=layers)
    return st_folium(
        m, key=key, height=height, use_container_width=True,
        returned_objects=["last_active_drawing"],
    )


def render() -> None:
    lang = current_lang()
    settings = state.get_settings()
    st.header(t("map_title"))
    res = runner.analysis(settings)
    if res is None:
        return
    metrics_row(res, lang)
    st.caption(t("map_hint"))
    out = show_map(res, settings, key="main_map")
    code = clicked_commune(out)
    if code and code != st.session_state.get("_map_clicked"):
        st.session_state["_map_clicked"] = code
        state.goto("commune", commune_code=code)
