"""Dữ liệu / About the data: sources, licences, dates, models, what is modelled; the DEM."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analysis.formatting import localise
from app_ui import state
from app_ui.formatting import fmt_int
from app_ui.i18n import current_lang, t
from app_ui.messages import dem_text, in_lang

__all__ = ["render", "provenance_text", "download_terrain"]

PROVENANCE = Path(__file__).resolve().parents[2] / "data" / "PROVENANCE.md"
DEM_TYPES = ["tif", "tiff", "hgt", "zip", "asc"]


def provenance_text() -> str | None:
    """``data/PROVENANCE.md`` (sources, licences, dates), or None when it is missing."""
    try:
        return PROVENANCE.read_text(encoding="utf-8")
    except OSError:
        return None


def download_terrain(on_tile=None, download=None):
    """Fetch Copernicus GLO-30 over the province and keep it as this session's DEM.

    Returns ``(result, None)`` or ``(None, error text)``; ``download`` defaults to
    :func:`geo._dem_download.download_copernicus` (tests pass a stand-in).
    """
    from geo.dem import DemError

    if download is None:
        from geo._dem_download import download_copernicus as download
    try:
        result = download("glo-30", progress=False, on_tile=on_tile)
    except DemError as exc:
        return None, str(exc)
    except OSError as exc:  # a full disk or an unwritable cache folder
        return None, f"{type(exc).__name__}: {exc}"
    st.session_state["dem_path"] = str(result.path)
    return result, None


def _terrain_button(lang: str) -> None:
    """The "Tải địa hình 30 m / Get 30 m terrain" action (issue #18, item 8)."""
    if not st.button(t("dem_download"), key="dem_download", type="primary", help=t("dem_download_help")):
        done = st.session_state.pop("_dem_download_done", None)
        if done:
            st.success(done)
        return
    bar = st.progress(0.0, text=t("dem_downloading", done=0, total="…"))

    def on_tile(done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(1, total)), text=t("dem_downloading", done=done, total=total))

    result, error = download_terrain(on_tile)
    bar.empty()
    if error is not None:
        st.error(t("dem_download_offline"))
        with st.expander(t("details")):
            st.code(error, language=None)
        return
    dem = state.active_dem()
    st.session_state["_dem_download_done"] = t(
        "dem_download_done", n=fmt_int(len(result.downloaded) + len(result.cached), lang),
        cached=fmt_int(len(result.cached), lang), dem=dem_text(dem, lang))
    st.rerun()


def _dem_section() -> None:
    from geo.dem import DemError, load_dem

    lang = current_lang()
    st.header(t("about_dem"))
    dem = state.active_dem()
    st.write(t("dem_in_use", dem=dem_text(dem, lang)))
    if dem.is_coarse:
        st.warning(t("coarse_dem_warning", res=localise(dem.resolution_label, lang)))
    _terrain_button(lang)
    up = st.file_uploader(t("dem_upload"), type=DEM_TYPES, key="dem_upload")
    if up is not None:
        marker = (up.name, up.size)
        if st.session_state.get("_dem_done") != marker:
            try:
                new = load_dem(up)  # refuses uploads over geo.dem.MAX_UPLOAD_BYTES before reading
            except DemError as exc:
                _dem_error(str(exc), lang)
            except Exception as exc:  # any unreadable upload: a message, never a traceback
                _dem_error(f"{type(exc).__name__}: {exc}", lang)
            else:
                path = state.save_uploaded_dem(up.name, up.getvalue())
                st.session_state["dem_path"] = str(path)
                st.session_state["_dem_done"] = marker
                st.success(t("dem_loaded", dem=dem_text(new, lang)))
                st.rerun()
    saved = state.saved_dems()
    if saved:
        st.subheader(t("dem_saved_list"))
        current = st.session_state.get("dem_path")
        names = [p.name for p in saved]
        idx = names.index(Path(current).name) if current and Path(current).name in names else None
        choice = st.selectbox(t("dem_use"), names, index=idx, key="dem_choice",
                              placeholder=t("choose_placeholder"))
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
    st.markdown(t("provenance_vi"))
    text = provenance_text()
    if text is None:
        st.info(t("provenance_missing"))
    elif current_lang() == "vi":  # the developer file is English: offered, not embedded
        st.download_button(t("provenance_download"), text.encode("utf-8"), file_name="PROVENANCE.md",
                           mime="text/markdown", key="provenance_download")
    else:
        with st.expander(t("provenance"), expanded=False):
            st.markdown(text)


def _dem_error(err: str, lang: str) -> None:
    shown, detail = in_lang(err, lang)
    st.error(t("dem_failed", err=shown))
    if detail:
        with st.expander(t("details")):
            st.code(detail, language=None)
