"""Bản đồ / Map: communes, coverage, gaps, stations, proposals, fiber — click a commune."""

from __future__ import annotations

import streamlit as st

from app_ui import runner, state
from app_ui.formatting import fmt_dbm, fmt_int, fmt_pct
from app_ui.i18n import current_lang, t

__all__ = ["render", "metrics_row", "show_map", "clicked_commune"]

MAP_HEIGHT_PX = 620


def people_total_help(res, lang: str) -> str:
    """Why the people figure depends on the grid, stated once (issue #18, item 6)."""
    res_m = getattr(res.grid, "resolution_m", None)
    return t("people_total_help", lang, res=fmt_int(res_m, lang), exact=fmt_int(res.people_total_exact, lang))


def zero_reason(res, settings, lang: str) -> str | None:
    """Why a result covers nobody, or None when it covers someone (never a bare zero)."""
    s = res.summary
    if s.get("people_covered") is None or float(s.get("people_covered") or 0) > 0:
        return None
    tech = res.shown_tech or settings.tech
    if settings.tech != "any" and res.set_technologies and settings.tech not in res.set_technologies:
        return t("zero_no_tech", lang, tech=settings.tech)
    n = len(res.stations) if res.stations is not None else 0
    return t("zero_no_reach", lang, thr=fmt_dbm(res.threshold_dbm, lang), n=fmt_int(n, lang), tech=tech)


def metrics_row(res, lang: str, settings=None) -> None:
    """Headline figures of a result (and why, when nobody is covered)."""
    s = res.summary
    if settings is not None:
        reason = zero_reason(res, settings, lang)
        if reason:
            st.warning(reason)
    cols = st.columns(5)
    cols[0].metric(t("people_total"), fmt_int(s.get("people_total"), lang), help=people_total_help(res, lang))
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
    metrics_row(res, lang, settings)
    st.caption(t("map_hint"))
    out = show_map(res, settings, key="main_map")
    code = clicked_commune(out)
    if code and code != st.session_state.get("_map_clicked"):
        st.session_state["_map_clicked"] = code
        state.goto("commune", commune_code=code)
