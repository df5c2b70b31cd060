"""Xã / Commune profile: people, coverage, gaps, proposals, terrain, predecessors, data quality."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.gaps import gaps_in_commune
from app_ui import runner, state
from app_ui.formatting import fmt_int, fmt_num, fmt_pct
from app_ui.i18n import current_lang, t, terrain_label
from app_ui.maps import bounds_of
from app_ui.messages import flag_text

__all__ = ["render", "commune_proposals"]


def commune_proposals(proposals, code: str):
    """Proposed sites in commune ``code`` (by ``commune_code``; by name only in older tables)."""
    if proposals is None or len(proposals) == 0:
        return proposals.iloc[0:0] if proposals is not None else None
    if "commune_code" in proposals.columns:
        return proposals[proposals["commune_code"].astype(str) == str(code)]
    return proposals.iloc[0:0]


def render() -> None:
    lang = current_lang()
    ss = st.session_state
    st.header(t("commune_title"))
    com = state.communes()
    codes = com["code"].astype(str).tolist()
    names = dict(zip(codes, com["name"].astype(str), strict=True))
    current = ss.get("commune_code")
    idx = codes.index(current) if current in codes else 0
    code = st.selectbox(
        t("choose_commune"), codes, index=idx, key=f"commune_pick_{current}",
        format_func=lambda c: f"{names[c]} ({c})",
    )
    if code != current:
        ss["commune_code"] = code
    row = com[com["code"].astype(str) == code].iloc[0]
    settings = state.get_settings()
    res = runner.analysis(settings)
    ct = res.communes if res is not None else None
    crow = ct[ct["code"].astype(str) == code] if ct is not None and "code" in ct.columns else None
    terr = str(crow["terrain"].iloc[0]) if crow is not None and len(crow) and "terrain" in crow else None

    st.subheader(f"{row.get('full_name') or row['name']}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("kind"), str(row.get("kind", "")))
    c2.metric(t("terrain"), terrain_label(terr, lang) if terr else "–")
    c3.metric(t("area_legal"), f"{fmt_num(row.get('area_km2_legal'), 1, lang)} km²")
    c4.metric(t("admin_centre"), str(row.get("admin_centre") or "–")[:40])

    legal = row.get("population_legal")
    r = crow.iloc[0] if crow is not None and len(crow) else None
    # one modelled figure: the analysis grid's (the outline sum is in its help text)
    if r is not None:
        model = r.get("people_total")
        model_label = t("population_grid", res=fmt_int(settings.resolution_m, lang))
    else:
        model, model_label = row.get("population_worldpop"), t("population_worldpop")
    p1, p2, p3 = st.columns(3)
    p1.metric(t("population_legal"), fmt_int(legal, lang))
    p2.metric(model_label, fmt_int(model, lang), help=t(
        "people_total_help", res=fmt_int(settings.resolution_m, lang),
        exact=fmt_int(row.get("population_worldpop"), lang)))
    diff = (float(model) - float(legal)) / float(legal) if legal and pd.notna(model) and float(legal) > 0 else None
    p3.metric(t("population_diff"), fmt_pct(diff, 0, lang) if diff is not None else "–")
    st.markdown(f"**{t('predecessors')}:** " + (", ".join(row.get("predecessors") or []) or "–"))
    flags = row.get("flags") or []
    st.markdown(f"**{t('data_flags')}:**")
    if flags:
        st.markdown("\n".join(f"- {flag_text(f, lang)}" for f in flags))
    else:
        st.caption(t("no_flags"))

    if res is None:
        return
    if r is not None:
        m1, m2, m3 = st.columns(3)
        m1.metric(t("people_covered"), fmt_int(r.get("people_covered"), lang))
        m2.metric(t("share_uncovered"), fmt_pct(r.get("share_uncovered"), 1, lang))
        if "lom_song" in r.index:
            m3.metric(t("lom_song_flag"), t("yes") if bool(r["lom_song"]) else t("no"))
    gaps = gaps_in_commune(res.gaps, code)
    st.subheader(t("commune_gaps"))
    if gaps is None or gaps.empty:
        st.caption(t("no_gaps"))
    else:
        from app_ui.pages.gaps import gap_table

        st.dataframe(gap_table(gaps, lang), hide_index=True, width="stretch")
    props = commune_proposals(res.proposals, code)
    st.subheader(t("commune_proposals"))
    if props is None or len(props) == 0:
        st.caption(t("no_proposals"))
    else:
        from app_ui.pages.proposals import proposal_table

        st.dataframe(proposal_table(props, lang), hide_index=True, width="stretch")
    from app_ui.pages.map_page import show_map

    focus = bounds_of(com[com["code"].astype(str) == code], pad_deg=0.02)
    show_map(res, settings, key="commune_map", focus=focus, height=420)
