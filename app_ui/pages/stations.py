"""Trạm / Stations: upload, validation report, save to the workspace, choose, compare."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from app_ui import runner, state
from app_ui.formatting import display_table, fmt_int
from app_ui.i18n import current_lang, t
from app_ui.messages import column_label, file_error_text

__all__ = ["render", "UPLOAD_TYPES", "CRS_CHOICES", "read_upload", "report_view", "report_csv"]

UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "geojson", "json", "gpkg", "zip", "kml", "kmz"]
#: Coordinate systems a liaison's X/Y columns may be in (None = WGS84 lon/lat, detected).
CRS_CHOICES = (None, "EPSG:3405", "EPSG:3406", "VN2000-TM3-106.00", "VN2000-TM3-106.15")
STATUSES = ("kept", "fixed", "rejected")
#: Report columns as shown (Vietnamese, English).
REPORT_HEADERS = {
    "row": ("Dòng", "Row"), "column": ("Cột", "Column"), "value": ("Giá trị", "Value"),
    "status": ("Kết quả", "Outcome"), "problem": ("Vấn đề", "Problem"),
}
#: Saved-set table columns as shown (Vietnamese, English).
SET_HEADERS = {
    "name": ("Tên bộ trạm", "Name"), "created_utc": ("Lưu lúc (UTC)", "Saved (UTC)"),
    "created_by": ("Người lưu", "Saved by"), "source_name": ("Tệp gốc", "Source file"),
    "source_format": ("Định dạng", "Format"), "rows_read": ("Số dòng đọc", "Rows read"),
    "kept": ("Giữ nguyên", "Kept"), "fixed": ("Đã sửa", "Fixed"), "rejected": ("Bị loại", "Rejected"),
    "duplicates": ("Trùng lặp", "Duplicates"), "n_stations": ("Số trạm", "Stations"),
    "modelled": ("Mô phỏng", "Modelled"),
}


def read_upload(uploaded, crs=None, sheet: str | None = None) -> tuple[object | None, str | None]:
    """``(StationSet, None)`` or ``(None, error message)``; never raises.

    The file goes to :func:`geo.stations.read_stations` as it came (bytes with its name).
    """
    from geo.stations import StationFileError, read_stations

    try:
        return read_stations(uploaded, crs=crs, sheet=sheet or None), None
    except StationFileError as exc:
        return None, str(exc)
    except Exception as exc:  # anything else a hostile file provokes: still a message
        return None, f"{type(exc).__name__}: {exc}"


def report_view(report: pd.DataFrame, statuses, lang: str) -> pd.DataFrame:
    """The report lines of the chosen statuses, with the problem in the session's language."""
    if report is None or report.empty:
        return pd.DataFrame(columns=["row", "column", "value", "status", "problem"])
    view = report[report["status"].isin(list(statuses))] if statuses else report
    problem = view["problem_vi"] if lang == "vi" else view["problem_en"]
    out = pd.DataFrame({
        "row": view["row"], "column": view["column"].map(lambda c: column_label(c, lang)),
        "value": view["value"],
        "status": view["status"].map(lambda s: t(f"status_{s}", lang) if s in STATUSES else s),
        "problem": problem,
    })
    return out.reset_index(drop=True)


def report_csv(report: pd.DataFrame) -> bytes:
    """The full report as CSV (UTF-8 with BOM for Excel), spreadsheet formulas neutralised."""
    from geo.workspace import sanitize_frame

    buf = io.StringIO()
    sanitize_frame(report).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


def _summary_line(station_set, lang: str) -> str:
    s = station_set.summary()
    return t(
        "upload_summary", lang, rows=fmt_int(s["rows_read"], lang), kept=fmt_int(s["kept"], lang),
        fixed=fmt_int(s["fixed"], lang), rejected=fmt_int(s["rejected"], lang),
        dups=fmt_int(s["duplicates"], lang),
    )


def _upload_section(lang: str) -> None:
    ss = st.session_state
    flash = ss.pop("_flash", None)
    if flash:
        st.success(flash)
    c1, c2 = st.columns([2, 1])
    with c2:
        crs = st.selectbox(
            t("upload_crs"), CRS_CHOICES, key="upload_crs",
            format_func=lambda c: t("crs_auto") if c is None else c,
        )
        sheet = st.text_input(t("upload_sheet"), key="upload_sheet")
    with c1:
        up = st.file_uploader(t("upload_label"), type=UPLOAD_TYPES, key="station_upload")
    if up is None:
        ss.pop("upload_result", None)
        return
    marker = (up.file_id if hasattr(up, "file_id") else up.name, up.size, crs, sheet)
    if ss.get("upload_marker") != marker:
        station_set, error = read_upload(up, crs=crs, sheet=sheet)
        ss["upload_marker"] = marker
        ss["upload_result"] = (station_set, error, up.name)
    station_set, error, name = ss["upload_result"]
    if error is not None:
        shown, detail = file_error_text(error, lang)
        st.error(t("upload_unreadable", err=shown))
        if detail:
            with st.expander(t("details")):
                st.code(detail, language=None)
        return
    if not station_set.usable:
        st.error(t("upload_no_station"))
    else:
        st.success(_summary_line(station_set, lang))
    st.subheader(t("report_title"))
    statuses = st.multiselect(
        t("report_filter"), STATUSES, default=list(STATUSES), key="report_status",
        format_func=lambda s: t(f"status_{s}"), placeholder=t("choose_placeholder"),
    )
    i = 0 if lang == "vi" else 1
    view = report_view(station_set.report, statuses, lang)
    st.dataframe(view.rename(columns={k: v[i] for k, v in REPORT_HEADERS.items()}), hide_index=True,
                 width="stretch", height=260)
    st.download_button(
        t("report_download"), report_csv(station_set.report),
        file_name=f"bao_cao_kiem_tra_{name.rsplit('.', 1)[0]}.csv", mime="text/csv",
        key="report_download",
    )
    if station_set.usable:
        with st.expander(t("stations_preview")):
            gdf = station_set.stations
            preview = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).head(500)
            st.dataframe(preview.rename(columns=lambda c: column_label(c, lang)), hide_index=True,
                         width="stretch")
        default_name = name.rsplit(".", 1)[0]
        set_name = st.text_input(t("set_name"), value=default_name, key="set_name")
        use_it = st.checkbox(t("use_after_save"), value=True, key="use_after_save")
        if st.button(t("save_set"), type="primary", key="save_set"):
            try:
                meta = state.workspace().save(station_set, set_name)
            except Exception as exc:
                st.error(t("save_failed", err=str(exc)))
            else:
                ss["last_saved"] = meta["name"]
                ss["_flash"] = t("saved_set", name=meta["name"], n=fmt_int(meta["stations"], lang))
                if use_it:  # rerun so the sidebar (drawn above) takes the new set and its technology
                    ss["active_set"] = meta["name"]
                    st.rerun()
                st.success(ss.pop("_flash"))


def _sets_section(lang: str) -> None:
    ss = st.session_state
    st.header(t("saved_sets"))
    st.caption(t("workspace_path", path=str(state.workspace_path())))
    try:
        sets = state.workspace().list_sets()
    except Exception as exc:
        st.error(str(exc))
        return
    if sets.empty:
        st.info(t("no_saved_sets"))
    else:
        shown = sets.drop(columns=["source_sha256"], errors="ignore")
        st.dataframe(display_table(shown, SET_HEADERS, lang), hide_index=True, width="stretch")
    options = [None, *sets["name"].tolist()]
    current = ss.get("active_set")
    idx = options.index(current) if current in options else 0
    choice = st.selectbox(
        t("choose_active"), options, index=idx, key=f"active_choice_{len(options)}_{current}",
        format_func=lambda n: t("modelled_default") if n is None else n,
    )
    if choice != current:
        ss["active_set"] = choice
        st.rerun()
    if len(options) > 1:
        _compare_section(options, lang)


def _compare_section(options: list, lang: str) -> None:
    st.header(t("compare_title"))
    c1, c2 = st.columns(2)
    fmt = lambda n: t("modelled_default") if n is None else n  # noqa: E731
    before = c1.selectbox(t("compare_before"), options, index=0, key="compare_before", format_func=fmt)
    after = c2.selectbox(t("compare_after"), options, index=len(options) - 1, key="compare_after",
                         format_func=fmt)
    if st.button(t("compare_run"), key="compare_run"):
        st.session_state["compare_pair"] = (before, after)
    pair = st.session_state.get("compare_pair")
    if pair and pair == (before, after):
        result = runner.compare(before, after, state.get_settings())
        if result is None:
            return
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("compare_newly"), fmt_int(result["people_newly_covered"], lang))
        m2.metric(t("compare_lost"), fmt_int(result["people_no_longer_covered"], lang))
        m3.metric(t("compare_gaps_closed"), fmt_int(result["gaps_closed"], lang))
        m4.metric(t("compare_gaps_before_after"),
                  f"{fmt_int(result['gaps_before'], lang)} → {fmt_int(result['gaps_after'], lang)}")


def render() -> None:
    lang = current_lang()
    st.header(t("stations_title"))
    _upload_section(lang)
    _sets_section(lang)
