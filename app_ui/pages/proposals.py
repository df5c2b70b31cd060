"""Đề xuất / Proposals: budget, terrain focus, the coverage curve, ranked sites, report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_ui import runner, state
from app_ui.formatting import display_table, fmt_int, fmt_pct, fmt_vnd
from app_ui.i18n import TERRAIN_LABELS, current_lang, t, terrain_label

__all__ = ["render", "proposal_table"]

PROPOSAL_COLUMNS = (
    "rank", "site_id", "commune", "terrain", "lon", "lat", "people_new", "people_cum",
    "share_covered_after", "backhaul", "cost_vnd", "cost_per_person_vnd",
)


def proposal_table(proposals: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ranked sites as shown: numbers and words in the session's language."""
    from analysis.report import BACKHAUL_VI, PROPOSAL_HEADERS

    cols = [c for c in PROPOSAL_COLUMNS if c in proposals.columns]
    df = pd.DataFrame(proposals[cols]).reset_index(drop=True)
    labels = {"terrain": lambda v: terrain_label(str(v), lang)}
    if lang == "vi":
        labels["backhaul"] = lambda v: BACKHAUL_VI.get(str(v), str(v))
    return display_table(df, PROPOSAL_HEADERS, lang, labels)


def _controls(lang: str) -> None:
    ss = st.session_state
    ss.setdefault("budget_kind", "sites")
    c1, c2, c3 = st.columns(3)
    c1.radio(t("budget_kind"), ("sites", "vnd"), key="budget_kind", horizontal=True,
             format_func=lambda k: t(f"budget_in_{k}"))
    if ss["budget_kind"] == "vnd":
        ss.setdefault("budget_vnd_bn", 30.0)
        c2.number_input(t("budget_vnd"), min_value=0.0, max_value=100_000.0, step=5.0,
                        key="budget_vnd_bn", format="%.0f")
    else:
        c2.metric(t("budget_sites"), fmt_int(ss.get("budget_sites", 20), lang))
    c3.multiselect(t("terrain_focus"), [c for c in TERRAIN_LABELS if c != "plain"], key="focus",
                   format_func=lambda v: terrain_label(v, lang), placeholder=t("choose_placeholder"))
    st.caption(f"{t('technology')}: **{ss.get('tech', '5G')}**")
    st.caption(t("weights_in_force", text=runner.weights_text(runner.analysis_config().ranking, lang)))


def render() -> None:
    lang = current_lang()
    st.header(t("proposals_title"))
    _controls(lang)
    settings = state.get_settings()
    res = runner.analysis(settings, siting=True)
    if res is None:
        return
    props = res.proposals
    if props is None or len(props) == 0:
        st.info(t("no_proposals"))
    else:
        s = res.summary
        c1, c2, c3 = st.columns(3)
        c1.metric(t("n_proposals"), fmt_int(len(props), lang))
        new = s.get("people_newly_covered", props["people_new"].sum() if "people_new" in props else None)
        c2.metric(t("people_new"), fmt_int(new, lang))
        if "cost_vnd" in props.columns:
            c3.metric(t("popup_cost"), fmt_vnd(props["cost_vnd"].sum(), lang))
        if res.curve is not None and len(res.curve):
            st.subheader(t("curve_title"))
            curve = res.curve.rename(columns={"sites": t("curve_x"), "people_covered": t("curve_y")})
            st.altair_chart(_curve_chart(curve, t("curve_x"), t("curve_y"), lang),
                            width="stretch")
        st.dataframe(proposal_table(props, lang), hide_index=True, width="stretch", height=320)
        if "share_covered_after" in props.columns:
            st.caption(f"{t('share_covered')}: {fmt_pct(s.get('share_covered'), 1, lang)} → "
                       f"{fmt_pct(props['share_covered_after'].iloc[-1], 1, lang)}")
    if props is not None and len(props):
        q1, q2 = st.columns(2)
        q1.download_button(t("download_gpkg"), runner.layer_bytes(props, "gpkg", "proposals"),
                           file_name="de_xuat_tram.gpkg", mime="application/geopackage+sqlite3",
                           key="proposals_gpkg")
        q2.download_button(t("download_csv"), runner.layer_bytes(props, "csv", "proposals"),
                           file_name="de_xuat_tram.csv", mime="text/csv", key="proposals_csv")
    d1, d2, d3 = st.columns(3)
    outputs = runner.outputs(res, settings)
    if outputs is not None:
        if outputs.get("report.html") is not None:
            d1.download_button(t("download_report"), outputs["report.html"], file_name="bao_cao_lom_song.html",
                               mime="text/html", key="dl_report")
        if outputs.get("priorities.xlsx") is not None:
            d2.download_button(
                t("download_xlsx"), outputs["priorities.xlsx"], file_name="danh_sach_uu_tien.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_xlsx",
            )
        if outputs.get("results.gpkg") is not None:
            d3.download_button(t("download_results_gpkg"), outputs["results.gpkg"],
                               file_name="ket_qua_lom_song.gpkg", mime="application/geopackage+sqlite3",
                               key="dl_gpkg")
    from app_ui.pages.map_page import show_map

    show_map(res, settings, key="proposals_map", height=480)


def _curve_chart(curve, x: str, y: str, lang: str):
    """People covered vs number of sites; Vietnamese axis numbers (1.234.567) in Vietnamese."""
    import altair as alt

    label = "replace(format(datum.value, ',d'), /,/g, '.')" if lang == "vi" else None
    y_axis = alt.Axis(labelExpr=label) if label else alt.Axis(format=",d")
    return (
        alt.Chart(curve)
        .mark_line(point=True)
        .encode(x=alt.X(f"{x}:Q", axis=alt.Axis(format="d", tickMinStep=1)),
                y=alt.Y(f"{y}:Q", axis=y_axis))
        .properties(height=260)
    )
