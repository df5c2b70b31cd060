"""Sidebar, banners and footer shared by every page."""

from __future__ import annotations

import streamlit as st

from app_ui import state
from app_ui.formatting import fmt_dbm
from app_ui.i18n import LANGS, t

__all__ = ["sidebar", "banners", "footer", "show_error", "PAGE_LABELS_BILINGUAL"]

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
        ss.setdefault("indoor_margin_db", 0.0)
        ss.setdefault("resolution_m", state.default_resolution_m())
        ss.setdefault("budget_sites", 20)
        ss.setdefault("basemap", True)
        st.selectbox(
            t("technology"), state.TECH_CHOICES, key="tech", on_change=_on_tech_change,
            format_func=lambda x: t("tech_any") if x == "any" else x,
        )
        st.number_input(
            t("threshold"), min_value=-140.0, max_value=-60.0, step=1.0, key="threshold_dbm",
            help=t("threshold_help"), disabled=ss.get("tech") == "any",
        )
        if ss.get("tech") == "any":
            st.caption(t("threshold_any"))
        st.slider(
            t("indoor_margin"), min_value=0.0, max_value=30.0, step=1.0, key="indoor_margin_db",
            help=t("indoor_margin_help"),
        )
        choices = sorted(set(state.RESOLUTIONS_M) | {int(ss["resolution_m"])}, reverse=True)
        st.selectbox(
            t("resolution"), choices, key="resolution_m", help=t("resolution_help"),
            format_func=lambda r: f"{r} m",
        )
        st.number_input(t("budget_sites"), min_value=0, max_value=500, step=1, key="budget_sites")
        st.toggle(t("basemap"), key="basemap")
        st.caption(f"{t('station_set_active')}: **{state.active_set_label()}**")
    return ss["page"]


def banners() -> None:
    """The MODELLED-network banner (whenever the default set is active) and DEM warning."""
    try:
        modelled = state.is_modelled_active()
    except Exception:  # no default set available: nothing to warn about
        modelled = False
    lost = st.session_state.pop("active_set_lost", None)
    if lost:
        st.warning(t("set_lost", name=lost))
    if modelled:
        st.warning("⚠️ " + t("modelled_banner", "vi") + "  \n" + t("modelled_banner", "en"))
        if st.session_state.get("tech") == "any":
            st.caption(t("any_upper_bound"))
    if st.session_state.get("calibration_name"):  # drive-test calibration in force (#17)
        st.info(t("calibration_banner", name=st.session_state["calibration_name"]))


def footer() -> None:
    """Data sources and the DEM in use, on every page."""
    st.divider()
    try:
        dem = state.active_dem()
        dem_text = dem.describe()
    except Exception as exc:  # the DEM could not be loaded: say so
        dem_text = f"? ({exc})"
    s = state.get_settings()
    st.caption(
        t("footer_sources") + "  \n" + t("footer_dem", dem=dem_text) + "  \n"
        + t("footer_stations", name=state.active_set_label())
        + f" · {s.tech} · {fmt_dbm(s.threshold_dbm, s.lang)} · {s.resolution_m} m"
    )


def show_error(exc: BaseException) -> None:
    """A user-readable error with the details folded away (the app keeps running)."""
    if isinstance(exc, state.LibraryMissing):
        st.info(t("library_missing", what=str(exc)))
        return
    st.error(t("error_running", err=f"{type(exc).__name__}: {exc}"))
    with st.expander("Chi tiết / Details"):
        st.exception(exc)
