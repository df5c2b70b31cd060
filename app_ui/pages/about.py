"""Dữ liệu / About the data: sources, licences, dates, models, what is modelled; the DEM."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_ui import state
from app_ui.i18n import t

__all__ = ["render", "provenance_text"]

PROVENANCE = Path(__file__).resolve().parents[2] / "data" / "PROVENANCE.md"
DEM_TYPES = ["tif", "tiff", "hgt", "zip", "asc"]


def provenance_text() -> str | None:
    """``data/PROVENANCE.md`` (sources, licences, dates), or None when it is missing."""
    try:
        return PROVENANCE.read_text(encoding="utf-8")
    except OSError:
        return None


def _dem_section() -> None:
    from geo.dem import DemError, load_dem

    st.header(t("about_dem"))
    dem = state.active_dem()
    st.write(t("dem_in_use", dem=dem.describe()))
    if dem.is_coarse:
        st.warning(t("coarse_dem_warning", res=dem.resolution_label))
    up = st.file_uploader(t("dem_upload"), type=DEM_TYPES, key="dem_upload")
    if up is not None:
        marker = (up.name, up.size)
        if st.session_state.get("_dem_done") != marker:
            try:
                new = load_dem(up)  # refuses uploads over geo.dem.MAX_UPLOAD_BYTES before reading
            except DemError as exc:
                st.error(t("dem_failed", err=str(exc)))
            except Exception as exc:  # any unreadable upload: a message, never a traceback
                st.error(t("dem_failed", err=f"{type(exc).__name__}: {exc}"))
            else:
                path = state.save_uploaded_dem(up.name, up.getvalue())
                st.session_state["dem_path"] = str(path)
                st.session_state["_dem_done"] = marker
                st.success(t("dem_loaded", dem=new.describe()))
                st.rerun()
    saved = state.saved_dems()
    if saved:
        st.subheader(t("dem_saved_list"))
        current = st.session_state.get("dem_path")
        names = [p.name for p in saved]
        idx = names.index(Path(current).name) if current and Path(current).name in names else None
        choice = st.selectbox(t("dem_use"), names, index=idx, key="dem_choice")
        if choice and (not current or Path(current).name != choice):
            st.session_state["dem_path"] = str(saved[names.index(choice)])
            st.rerun()
    if st.session_state.get("dem_path") and st.button(t("dem_reset")):
        st.session_state["dem_path"] = None
        st.session_state.pop("dem_choice", None)
        st.rerun()


def render() -> None:
    st.header(t("about_title"))
    st.subheader(t("about_modelled"))
    st.markdown(t("about_modelled_text"))
    st.subheader(t("about_models"))
    st.markdown(t("about_models_text"))
    _dem_section()
    st.header(t("about_sources"))
    text = provenance_text()
    if text is None:
        st.info(t("provenance_missing"))
    else:
        with st.expander(t("provenance"), expanded=True):
            st.markdown(text)
