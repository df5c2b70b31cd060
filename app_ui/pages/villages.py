"""Thôn/bản / Villages: every village's status by the ministry's criterion, a table and a map.

The analysis is :func:`analysis.pipeline.villages_stage` on the session's cached stages; this
page only filters and shows it. :func:`villages_layer` (a folium layer of markers coloured by
status) and :func:`analysis.villages.village_markers` are what the map and commune pages call.
"""

from __future__ import annotations

import hashlib

import folium
import pandas as pd
import streamlit as st

from analysis.villages import STATUS_COLOURS, STATUSES, village_markers
from app_ui import runner, state
from app_ui.formatting import display_table, fmt_int
from app_ui.i18n import current_lang, t, terrain_label

__all__ = ["render", "filter_villages", "village_display", "villages_layer", "villages_for",
           "VILLAGE_PAGE_COLUMNS"]

VILLAGE_PAGE_COLUMNS = (
    "commune", "name", "status", "people", "share_people_covered", "centre_level_dbm",
    "centre_rounded", "nearest_station_km", "fiber_km", "power", "terrain", "source",
)
UPLOAD_KEY = "villages_upload"


def filter_villages(table: pd.DataFrame, statuses=(), commune: str | None = None,
                    query: str = "") -> pd.DataFrame:
    """Rows matching the page's filters (a view): statuses, one commune, a name search that
    ignores case, diacritics and the leading Thôn/Bản/Làng (``"ka xeng"`` finds *Bản Ka Xeng*)."""
    from geo.names import match_key
    from geo.villages import village_key

    if table is None or table.empty:
        return table
    keep = pd.Series(True, index=table.index)
    if statuses:
        keep &= table["status"].isin(list(statuses))
    if commune:
        keep &= table["commune"].astype(str) == str(commune)
    q = match_key(query or "")
    if q:
        names = table["name"].map(lambda n: match_key(str(n)) + " | " + village_key(str(n)))
        communes = table["commune"].map(lambda n: match_key(str(n)))
        keep &= names.str.contains(q, regex=False) | communes.str.contains(q, regex=False)
    return table[keep.to_numpy()]


def village_display(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The village rows as shown: no geometry, words and numbers in the session's language."""
    from analysis.report import VILLAGE_HEADERS, _cell_text

    cols = [c for c in VILLAGE_PAGE_COLUMNS if c in table.columns]
    labels = {
        "status": lambda v: t(f"status_{v}", lang),
        "terrain": lambda v: terrain_label(str(v), lang),
        "power": lambda v: _cell_text("power", v, lang),
        "source": lambda v: _cell_text("source", v, lang),
    }
    df = pd.DataFrame(table[cols]).reset_index(drop=True)
    if "share_people_covered" in df:
        df["share_people_covered"] = df["share_people_covered"].astype(float)
    return display_table(df, VILLAGE_HEADERS, lang, labels)


def villages_layer(table: pd.DataFrame, lang: str = "vi", statuses=None) -> folium.FeatureGroup:
    """A map layer: one circle per village, coloured by status (:data:`STATUS_COLOURS`)."""
    group = folium.FeatureGroup(name=t("layer_villages", lang), show=True)
    for _, m in village_markers(table, statuses, lang).iterrows():
        folium.CircleMarker(
            location=[float(m["lat"]), float(m["lon"])], radius=5, color="#333333", weight=0.6,
            fill=True, fill_color=m["colour"], fill_opacity=0.9, tooltip=str(m["tooltip"]),
        ).add_to(group)
    return group


def _uploaded():
    """(name, bytes hash, PointSet) of the village list uploaded in this session, or None."""
    return st.session_state.get("_villages_list")


def _read_upload(file) -> None:
    from geo.village_list import read_villages

    data = file.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    have = _uploaded()
    if have and have[1] == digest:
        return
    import io

    buf = io.BytesIO(data)
    buf.name = file.name
    try:
        vs = read_villages(buf)
    except Exception as exc:  # the reader's errors are the user's to fix: say which
        st.error(t("villages_upload_error", error=str(exc)))
        return
    st.session_state["_villages_list"] = (file.name, digest, vs)


def _saved_sets() -> list[str]:
    try:
        return state.workspace().list_point_sets("villages")["name"].astype(str).tolist()
    except Exception:  # an unreadable workspace must not hide the embedded list
        return []


def _choose_saved(names: list[str]) -> None:
    """A saved village set chosen in the workspace becomes the session's list."""
    choice = st.selectbox(t("villages_saved"), [None, *names], key="villages_saved",
                          format_func=lambda n: t("villages_embedded_option") if n is None else n)
    have = _uploaded()
    if choice is None or (have and have[1] == f"workspace:{choice}"):
        return
    vs = state.workspace().load_villages(choice)
    st.session_state["_villages_list"] = (choice, f"workspace:{choice}", vs)


def villages_for(settings):
    """The village stage of the session's analysis (cached), on the uploaded list if any."""
    pipeline = runner._pipeline()
    bar = runner._Progress(["stage_inputs", "stage_coverage", "stage_gaps"])
    try:
        inputs, coverage, gkey, gaps_out = runner._through_gaps(
            settings, state.active_station_set(), state.active_dem(), bar)
    finally:
        bar.done()
    up = _uploaded()
    key = ("villages", gkey, up[1] if up else "embedded")
    return state.store().get_or_compute(
        key, lambda: pipeline.villages_stage(inputs, coverage, gaps_out, up[2] if up else None))


def _metrics(summary: dict, lang: str) -> None:
    cols = st.columns(4)
    cols[0].metric(t("villages_total"), fmt_int(summary["villages_total"], lang),
                   help=t("villages_clusters", n=fmt_int(summary["villages_modelled_clusters"], lang)))
    cols[1].metric(t("villages_no_signal"), fmt_int(summary["villages_no_signal"], lang))
    cols[2].metric(t("villages_partial"), fmt_int(summary["villages_partial"], lang))
    cols[3].metric(t("villages_covered"), fmt_int(summary["villages_covered"], lang))


def render() -> None:
    lang = current_lang()
    settings = state.get_settings()
    st.header(t("villages_title"))
    st.caption(t("villages_caption"))
    up = st.file_uploader(t("villages_upload"), type=["csv", "xlsx", "xls", "geojson", "json", "kml",
                                                    "kmz", "gpkg"], key=UPLOAD_KEY)
    if up is not None:
        _read_upload(up)
    saved = _saved_sets()
    if saved:
        _choose_saved(saved)
    have = _uploaded()
    if have:
        st.info(t("villages_source_user", name=have[0]) + " "
                + t("villages_upload_report", **{k: have[2].summary()[k] for k in
                                                 ("rows_read", "kept", "fixed", "rejected")}))
        b1, b2 = st.columns(2)
        if not str(have[1]).startswith("workspace:") and b1.button(t("villages_save"),
                                                                  key="villages_save"):
            state.workspace().save_points(have[2], have[0].rsplit(".", 1)[0], kind="villages",
                                          replace=True)
            st.success(t("villages_saved_ok", name=have[0].rsplit(".", 1)[0]))
        if b2.button(t("villages_use_embedded"), key="villages_embedded"):
            st.session_state.pop("_villages_list", None)
            st.session_state.pop("villages_saved", None)
            st.rerun()
    else:
        st.caption(t("villages_source_embedded"))
    res = runner.analysis(settings, siting=False)
    if res is None:
        return
    out = villages_for(settings)
    _metrics(out.summary, lang)
    table = out.table
    c1, c2, c3 = st.columns(3)
    statuses = c1.multiselect(t("villages_status"), list(STATUSES), default=["no_signal", "partial"],
                              key="villages_status", format_func=lambda s: t(f"status_{s}", lang))
    names = sorted(table["commune"].astype(str).unique().tolist())
    commune = c2.selectbox(t("filter_commune"), [None, *names], key="villages_commune",
                           format_func=lambda n: "—" if n is None else n)
    query = c3.text_input(t("villages_search"), key="villages_query")
    view = filter_villages(table, statuses, commune, query)
    if view is None or view.empty:
        st.info(t("villages_none"))
        return
    st.dataframe(village_display(view, lang), hide_index=True, width="stretch", height=360)
    st.download_button(t("villages_download"),
                       pd.DataFrame(view.drop(columns="geometry")).to_csv(index=False).encode("utf-8"),
                       file_name="thon_ban.csv", mime="text/csv", key="villages_csv")
    from streamlit_folium import st_folium

    from app_ui.maps import bounds_of

    m = runner.result_map(res, settings, focus=bounds_of(view, pad_deg=0.02))
    villages_layer(view, lang).add_to(m)
    legend = " ".join(f'<span style="color:{STATUS_COLOURS[s]}">●</span> {t(f"status_{s}", lang)}'
                      for s in STATUSES)
    st.markdown(legend, unsafe_allow_html=True)
    st_folium(m, key="villages_map", height=520, use_container_width=True, returned_objects=[])
