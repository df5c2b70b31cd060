"""Sidebar, banners and footer shared by every page."""

from __future__ import annotations

import streamlit as st

from app_ui import features, state
from app_ui.formatting import fmt_dbm
from app_ui.i18n import LANGS, current_lang, t
from app_ui.messages import dem_text

__all__ = ["sidebar", "banners", "footer", "show_error", "PAGE_LABELS_BILINGUAL", "align_tech_with_set",
           "page_style"]

#: Navigation labels: Vietnamese first, English after.
PAGE_LABELS_BILINGUAL = {
    "map": "Bản đồ / Map",
    "stations": "Trạm / Stations",
    "gaps": "Lõm sóng / Gaps",
    "proposals": "Đề xuất / Proposals",
    "commune": "Xã / Commune profile",
    "measurements": "Đo kiểm / Drive tests",
    "about": "Dữ liệu / About the data",
}


def _on_tech_change() -> None:
    st.session_state["threshold_dbm"] = state.default_threshold_dbm(st.session_state.get("tech", "5G"))
    st.session_state.pop("tech_switched", None)  # the user chose: no automatic switch to report


def align_tech_with_set() -> tuple[str, str, list[str]] | None:
    """Switch the analysed technology when the active set holds none of it (issue #18, item 1).

    Runs once per change of the active set, before the sidebar draws: a 4G-only list analysed
    as 5G would show "0 people covered". The analysis moves to the list's one technology (or
    "any" for several) and ``tech_switched`` keeps ``(old, new, technologies)`` for the banner.
    """
    ss = st.session_state
    name = state.active_set_name()
    if ss.get("_tech_checked_for", "\0") == name:
        return ss.get("tech_switched")
    ss["_tech_checked_for"] = name
    try:
        techs = state.set_technologies(state.active_station_set())
    except Exception:  # no set to look at: nothing to align
        return None
    tech = ss.get("tech", "5G")
    if not techs or tech == "any" or tech in techs:
        ss.pop("tech_switched", None)
        return None
    only = sorted(techs)
    new = only[0] if len(only) == 1 and only[0] in state.TECH_CHOICES else "any"
    ss["tech"] = new
    ss["threshold_dbm"] = state.default_threshold_dbm(new)
    ss["tech_switched"] = (tech, new, only)
    return ss["tech_switched"]


def page_style() -> None:
    """CSS for what Streamlit does not translate or size for phones.

    The file uploader's "Drag and drop file here / Limit 200MB / Browse files" are fixed English
    in Streamlit: their text is hidden and the session's words are drawn in its place.
    """
    lang = current_lang()
    mb = state.max_upload_mb()
    drop, browse = t("uploader_drop", lang), t("uploader_browse", lang)
    limit = t("uploader_limit", lang, mb=mb)
    st.markdown(
        f"""<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button [data-has-shortcut]::after {{ content: "{browse}"; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div > span {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: "{drop} · {limit}"; font-size: 0.85rem; }}
@media (max-width: 640px) {{  /* a phone: figures three to a row so the map is in the first view */
  h1 {{ font-size: 1.5rem !important; padding: 0.2rem 0 !important; }}
  h2 {{ font-size: 1.2rem !important; }}
  [data-testid="stHorizontalBlock"]:has([data-testid="stMetric"]) {{ gap: 0.4rem !important; }}
  [data-testid="stHorizontalBlock"]:has([data-testid="stMetric"]) > [data-testid="stColumn"] {{
    min-width: 30% !important; flex: 1 1 30% !important; }}
  [data-testid="stMetricValue"] {{ font-size: 1.15rem !important; }}
  [data-testid="stMetricLabel"] p {{ font-size: 0.75rem !important; }}
}}
</style>""",
        unsafe_allow_html=True,
    )


def sidebar(pages: dict) -> str:
    """Draw the sidebar; return the key of the page to show."""
    ss = st.session_state
    goto = ss.pop("_goto", None)
    if goto in pages:
        ss["page"] = goto
    ss.setdefault("lang", "vi")
    ss.setdefault("page", "map")
    with st.sidebar:
        st.radio(
            t("language", "vi"), LANGS, key="lang", horizontal=True,
            format_func=lambda x: {"vi": "Tiếng Việt", "en": "English"}[x],
        )
        st.radio(
            t("navigation"), list(pages), key="page",
            format_func=lambda k: PAGE_LABELS_BILINGUAL.get(k, k),
        )
        st.divider()
        st.subheader(t("settings"))
        ss.setdefault("tech", "5G")
        if "threshold_dbm" not in ss:
            _on_tech_change()
        align_tech_with_set()
        ss.setdefault("indoor_margin_db", 0.0)
        ss.setdefault("resolution_m", state.default_resolution_m())
        ss.setdefault("budget_sites", 20)
        ss.setdefault("basemap", False)  # the offline background draws everywhere; OSM needs Internet
        st.selectbox(
            t("technology"), state.TECH_CHOICES, key="tech", on_change=_on_tech_change,
            format_func=lambda x: t("tech_any") if x == "any" else x,
        )
        # "%.0f": whole numbers have no decimal mark, so nothing reads "-110.00" in Vietnamese
        st.number_input(
            t("threshold"), min_value=-140.0, max_value=-60.0, step=1.0, key="threshold_dbm",
            help=t("threshold_help"), disabled=ss.get("tech") == "any", format="%.0f",
        )
        if ss.get("tech") == "any":
            st.caption(t("threshold_any"))
        st.slider(
            t("indoor_margin"), min_value=0.0, max_value=30.0, step=1.0, key="indoor_margin_db",
            help=t("indoor_margin_help"), format="%.0f",
        )
        choices = sorted(set(state.RESOLUTIONS_M) | {int(ss["resolution_m"])}, reverse=True)
        st.selectbox(
            t("resolution"), choices, key="resolution_m", help=t("resolution_help"),
            format_func=lambda r: f"{r} m",
        )
        st.number_input(t("budget_sites"), min_value=0, max_value=500, step=1, key="budget_sites")
        features.sidebar_controls()
        st.toggle(t("basemap"), key="basemap")
        st.caption(f"{t('station_set_active')}: **{state.active_set_label()}**")
    return ss["page"]


def banners() -> None:
    """The MODELLED-network banner, the automatic technology switch and a lost set.

    The banner fails closed: when the active set cannot be checked it is shown, with why.
    """
    unknown = None
    try:
        modelled = state.is_modelled_active()
    except Exception as exc:  # cannot tell: say MODELLED rather than nothing
        modelled, unknown = True, f"{type(exc).__name__}: {exc}"
    lost = st.session_state.pop("active_set_lost", None)
    if lost:
        st.warning(t("set_lost", name=lost))
    if modelled:
        st.warning("⚠️ " + t("modelled_banner", "vi") + "  \n" + t("modelled_banner", "en"))
        if unknown:
            st.caption(t("modelled_unknown", err=unknown))
        if st.session_state.get("tech") == "any":
            st.caption(t("any_upper_bound"))
    switched = st.session_state.get("tech_switched")
    if switched:
        old, new, techs = switched
        st.info(t("tech_switched", old=old, new=t("tech_any") if new == "any" else new,
                  techs=", ".join(techs)))
    if st.session_state.get("calibration_name"):  # drive-test calibration in force (#17)
        st.info(t("calibration_banner", name=st.session_state["calibration_name"]))


def footer() -> None:
    """Data sources and the DEM in use, on every page."""
    st.divider()
    try:
        dem_line = dem_text(state.active_dem())
    except Exception as exc:  # the DEM could not be loaded: say so
        dem_line = f"? ({exc})"
    s = state.get_settings()
    st.caption(
        t("footer_sources") + "  \n" + t("footer_dem", dem=dem_line) + "  \n"
        + t("footer_stations", name=state.active_set_label())
        + f" · {s.tech} · {fmt_dbm(s.threshold_dbm, s.lang)} · {s.resolution_m} m"
    )


def show_error(exc: BaseException) -> None:
    """A user-readable error with the details folded away (the app keeps running)."""
    if isinstance(exc, state.LibraryMissing):
        st.info(t("library_missing", what=str(exc)))
        return
    st.error(t("error_running", err=f"{type(exc).__name__}: {exc}"))
    with st.expander(t("details")):
        st.exception(exc)
