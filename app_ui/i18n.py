"""Every word the app shows, Vietnamese first, English second.

``t("key")`` returns the text in the language chosen in the sidebar (Vietnamese by
default); ``t("key", lang="en", n=3)`` formats placeholders. A key missing from the table
is shown as the key itself so a forgotten string is visible, never an exception.
"""

from __future__ import annotations

__all__ = ["LANGS", "DEFAULT_LANG", "STRINGS", "TERRAIN_LABELS", "t", "current_lang", "terrain_label"]

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

# key: (Vietnamese, English)
STRINGS: dict[str, tuple[str, str]] = {
    # ---- app frame
    "app_title": ("Lõm sóng Quảng Trị", "Coverage gaps — Quảng Trị"),
    "app_subtitle": (
        "Phân tích vùng lõm sóng di động và đề xuất vị trí trạm",
        "Mobile coverage-gap analysis and site proposals",
    ),
    "language": ("Ngôn ngữ / Language", "Ngôn ngữ / Language"),
    "navigation": ("Trang", "Page"),
    "page_map": ("Bản đồ", "Map"),
    "page_stations": ("Trạm", "Stations"),
    "page_gaps": ("Lõm sóng", "Gaps"),
    "page_proposals": ("Đề xuất", "Proposals"),
    "page_commune": ("Xã", "Commune profile"),
    "page_about": ("Dữ liệu", "About the data"),
    "settings": ("Thiết lập phân tích", "Analysis settings"),
    "technology": ("Công nghệ", "Technology"),
    "tech_any": ("Bất kỳ (2G–5G)", "Any (2G–5G)"),
    "threshold": ("Ngưỡng tín hiệu (dBm)", "Signal threshold (dBm)"),
    "threshold_help": (
        "Mức RSRP tối thiểu coi là có sóng. Mặc định: 5G −110 dBm, 4G −115 dBm.",
        "Minimum RSRP counted as covered. Defaults: 5G −110 dBm, 4G −115 dBm.",
    ),
    "threshold_any": (
        "\"Bất kỳ\": mỗi công nghệ dùng ngưỡng mặc định của nó.",
        "\"Any\": each technology uses its own default threshold.",
    ),
    "set_lost": (
        "Bộ trạm \"{name}\" không còn trong kho; đang dùng mạng mô phỏng.",
        "The station set \"{name}\" is no longer in the workspace; using the modelled network.",
    ),
    "indoor_margin": ("Suy hao trong nhà (dB)", "Indoor margin (dB)"),
    "indoor_margin_help": (
        "Cộng thêm suy hao xuyên tường; 0 = ngoài trời.",
        "Extra building-penetration loss; 0 = outdoors.",
    ),
    "resolution": ("Độ phân giải lưới (m)", "Grid resolution (m)"),
    "resolution_help": (
        "Lưới thô (500–1000 m) cho xem nhanh; 100 m cho kết quả cuối.",
        "Coarse grid (500–1000 m) for quick looks; 100 m for final results.",
    ),
    "budget_sites": ("Ngân sách (số trạm)", "Budget (sites)"),
    "basemap": ("Bản đồ nền OSM (cần Internet)", "OSM base map (needs Internet)"),
    "station_set_active": ("Bộ trạm đang dùng", "Station set in use"),
    "modelled_default": ("Mạng mô phỏng (mặc định)", "Modelled network (default)"),
    "modelled_banner": (
        "Mạng trạm MÔ PHỎNG — tải danh sách trạm của bạn lên để có kết quả thực",
        "MODELLED network — upload your station list for real results",
    ),
    "any_upper_bound": (
        "Mạng mô phỏng không có trạm 2G/3G/4G riêng lẻ: lõm sóng \"bất kỳ\" là cận trên.",
        "The modelled network has no stand-alone 2G/3G/4G sites: \"any\" gaps are an upper bound.",
    ),
    "footer_sources": (
        "Nguồn: ranh giới & dân số pháp lý 2025 (bản đồ sáp nhập quốc gia), WorldPop 2020 (CC BY 4.0), "
        "GSHHG 2.3.7, OSM 2017 (ODbL), GeoNames (CC BY 4.0).",
        "Sources: 2025 boundaries & legal population (national merger map), WorldPop 2020 (CC BY 4.0), "
        "GSHHG 2.3.7, OSM 2017 (ODbL), GeoNames (CC BY 4.0).",
    ),
    "footer_dem": ("Mô hình độ cao đang dùng: {dem}", "DEM in use: {dem}"),
    "footer_stations": ("Bộ trạm: {name}", "Station set: {name}"),
    "coarse_dem_warning": (
        "Mô hình độ cao thô ({res}): chỉ thấy bóng địa hình ở quy mô này. Tải DEM chi tiết hơn ở trang Dữ liệu.",
        "Coarse DEM ({res}): terrain shadows are only resolved at that scale. Upload a finer DEM on the About page.",
    ),
    "library_missing": (
        "Chức năng này chưa có trong thư viện: {what}",
        "This function is not in the library yet: {what}",
    ),
    "error_running": ("Không chạy được phân tích: {err}", "The analysis could not run: {err}"),
    # ---- progress stages
    "stage_inputs": ("Đọc dữ liệu đầu vào…", "Reading inputs…"),
    "stage_coverage": ("Tính vùng phủ sóng theo địa hình…", "Computing terrain-aware coverage…"),
    "stage_gaps": ("Tìm và xếp hạng vùng lõm sóng…", "Finding and ranking gaps…"),
    "stage_siting": ("Chọn vị trí trạm đề xuất…", "Choosing proposed sites…"),
    "stage_outputs": ("Ghi kết quả…", "Writing outputs…"),
    "stage_done": ("Xong.", "Done."),
    # ---- metrics
    "people_total": ("Dân số (WorldPop)", "People (WorldPop)"),
    "people_covered": ("Người có sóng", "People covered"),
    "people_uncovered": ("Người chưa có sóng", "People uncovered"),
    "share_covered": ("Tỷ lệ có sóng", "Share covered"),
    "share_uncovered": ("Tỷ lệ chưa có sóng", "Share uncovered"),
    "n_gaps": ("Số vùng lõm", "Gaps"),
    "n_stations": ("Số trạm", "Stations"),
    "n_proposals": ("Trạm đề xuất", "Proposed sites"),
    "people_new": ("Người được phủ thêm", "People newly covered"),
    # ---- map
    "map_title": ("Bản đồ vùng phủ và lõm sóng", "Coverage and gap map"),
    "map_hint": (
        "Nhấp vào một xã để mở hồ sơ xã. Bật/tắt lớp ở góc phải trên.",
        "Click a commune to open its profile. Toggle layers at the top right.",
    ),
    "layer_province": ("Ranh giới tỉnh", "Province outline"),
    "layer_communes": ("Xã — tỷ lệ chưa có sóng", "Communes — share uncovered"),
    "layer_rsrp": ("Cường độ tín hiệu RSRP", "Signal level RSRP"),
    "layer_gaps": ("Vùng lõm sóng", "Coverage gaps"),
    "layer_stations": ("Trạm hiện có", "Existing stations"),
    "layer_proposals": ("Trạm đề xuất", "Proposed sites"),
    "layer_fiber": ("Cáp quang", "Fiber"),
    "layer_osm": ("OpenStreetMap", "OpenStreetMap"),
    "legend_rsrp": ("RSRP (dBm)", "RSRP (dBm)"),
    "legend_uncovered": ("Tỷ lệ dân chưa có sóng", "Share of people uncovered"),
    "legend_terrain": ("Viền: loại địa hình", "Outline: terrain class"),
    "open_profile": ("Mở hồ sơ xã {name}", "Open the profile of {name}"),
    "popup_operator": ("Nhà mạng", "Operator"),
    "popup_tech": ("Công nghệ", "Technology"),
    "popup_band": ("Băng tần", "Band"),
    "popup_height": ("Độ cao anten", "Antenna height"),
    "popup_assumed": ("Giả định", "Assumed"),
    "popup_modelled": ("mô phỏng", "modelled"),
    "popup_rank": ("Hạng", "Rank"),
    "popup_cost": ("Chi phí", "Cost"),
    "popup_backhaul": ("Truyền dẫn", "Backhaul"),
    # ---- terrain
    "terrain": ("Địa hình", "Terrain"),
    "terrain_mountain": ("miền núi", "mountain"),
    "terrain_coastal": ("ven biển", "coastal"),
    "terrain_island": ("hải đảo", "island"),
    "terrain_plain": ("đồng bằng", "plain"),
    # ---- stations page
    "stations_title": ("Danh sách trạm", "Station lists"),
    "upload_label": (
        "Tải lên danh sách trạm (CSV, XLSX, GeoJSON, GPKG, SHP nén zip, KML, KMZ)",
        "Upload a station list (CSV, XLSX, GeoJSON, GPKG, zipped SHP, KML, KMZ)",
    ),
    "upload_crs": ("Hệ tọa độ của tệp (nếu là VN-2000)", "Coordinate system of the file (if VN-2000)"),
    "crs_auto": ("WGS84 / tự nhận", "WGS84 / detect"),
    "upload_sheet": ("Tên trang tính (để trống = trang đầu)", "Sheet name (blank = first sheet)"),
    "upload_unreadable": ("Không đọc được tệp: {err}", "The file could not be read: {err}"),
    "upload_no_station": (
        "Không có trạm nào dùng được trong tệp. Xem báo cáo kiểm tra bên dưới.",
        "No usable station in the file. See the validation report below.",
    ),
    "upload_summary": (
        "Đã đọc {rows} dòng: {kept} giữ nguyên, {fixed} đã sửa, {rejected} bị loại, {dups} trùng lặp.",
        "Read {rows} rows: {kept} kept, {fixed} fixed, {rejected} rejected, {dups} duplicates.",
    ),
    "report_title": ("Báo cáo kiểm tra", "Validation report"),
    "report_filter": ("Lọc theo trạng thái", "Filter by status"),
    "report_download": ("Tải báo cáo (CSV)", "Download the report (CSV)"),
    "status_kept": ("giữ nguyên", "kept"),
    "status_fixed": ("đã sửa", "fixed"),
    "status_rejected": ("bị loại", "rejected"),
    "set_name": ("Tên bộ trạm", "Name of the set"),
    "save_set": ("Lưu vào kho", "Save to the workspace"),
    "saved_set": ("Đã lưu bộ trạm \"{name}\" ({n} trạm).", "Saved the set \"{name}\" ({n} stations)."),
    "save_failed": ("Không lưu được: {err}", "Could not save: {err}"),
    "use_after_save": ("Dùng bộ này cho phân tích", "Use this set for the analysis"),
    "saved_sets": ("Các bộ trạm đã lưu", "Saved station sets"),
    "no_saved_sets": ("Chưa có bộ trạm nào được lưu.", "No station set saved yet."),
    "choose_active": ("Chọn bộ trạm cho phân tích", "Choose the set the analysis uses"),
    "compare_title": ("So sánh hai bộ trạm", "Compare two station sets"),
    "compare_before": ("Trước", "Before"),
    "compare_after": ("Sau", "After"),
    "compare_run": ("So sánh", "Compare"),
    "compare_newly": ("Người được phủ thêm", "People newly covered"),
    "compare_lost": ("Người mất sóng", "People losing coverage"),
    "compare_gaps_closed": ("Vùng lõm được xóa (≥ 90% dân có sóng)", "Gaps closed (≥ 90% of people covered)"),
    "compare_gaps_before_after": ("Số vùng lõm trước → sau", "Gaps before → after"),
    "workspace_path": ("Kho dữ liệu: {path}", "Workspace: {path}"),
    "delete_set": ("Xóa bộ trạm", "Delete set"),
    "stations_preview": ("Xem trước các trạm", "Station preview"),
    # ---- gaps page
    "gaps_title": ("Vùng lõm sóng xếp hạng", "Ranked coverage gaps"),
    "filter_terrain": ("Loại địa hình", "Terrain class"),
    "filter_commune": ("Xã", "Commune"),
    "filter_min_people": ("Số người tối thiểu", "Minimum people"),
    "gaps_select_hint": (
        "Chọn một dòng để phóng bản đồ tới vùng lõm đó.",
        "Select a row to zoom the map to that gap.",
    ),
    "download_gpkg": ("Tải GeoPackage", "Download GeoPackage"),
    "download_geojson": ("Tải GeoJSON", "Download GeoJSON"),
    "download_csv": ("Tải CSV", "Download CSV"),
    "no_gaps": ("Không có vùng lõm nào khớp bộ lọc.", "No gap matches the filters."),
    # ---- proposals page
    "proposals_title": ("Đề xuất vị trí trạm mới", "Proposed new sites"),
    "budget_kind": ("Ngân sách tính theo", "Budget in"),
    "budget_in_sites": ("số trạm", "sites"),
    "budget_in_vnd": ("tiền (VND)", "money (VND)"),
    "budget_vnd": ("Ngân sách (tỷ đồng)", "Budget (billion VND)"),
    "terrain_focus": ("Ưu tiên địa hình", "Terrain focus"),
    "curve_title": ("Số người được phủ theo số trạm", "People covered vs number of sites"),
    "curve_x": ("Số trạm đề xuất", "Proposed sites"),
    "curve_y": ("Người có sóng", "People covered"),
    "download_report": ("Tải báo cáo in (HTML)", "Download the printable report (HTML)"),
    "download_xlsx": ("Tải danh sách ưu tiên (Excel)", "Download the priority list (Excel)"),
    "download_results_gpkg": ("Tải kết quả (GeoPackage)", "Download results (GeoPackage)"),
    "no_proposals": ("Chưa có trạm đề xuất.", "No proposed site."),
    "make_report": ("Tạo báo cáo", "Build the report"),
    # ---- commune page
    "commune_title": ("Hồ sơ xã", "Commune profile"),
    "choose_commune": ("Chọn xã", "Choose a commune"),
    "predecessors": ("Đơn vị trước sáp nhập", "Pre-merger units"),
    "population_legal": ("Dân số pháp lý", "Legal population"),
    "population_worldpop": ("Dân số mô hình (WorldPop)", "Modelled population (WorldPop)"),
    "population_diff": ("Chênh lệch", "Difference"),
    "data_flags": ("Ghi chú chất lượng dữ liệu", "Data-quality notes"),
    "no_flags": ("Không có ghi chú.", "No notes."),
    "kind": ("Loại đơn vị", "Unit type"),
    "area_legal": ("Diện tích pháp lý", "Legal area"),
    "admin_centre": ("Trụ sở", "Seat"),
    "commune_gaps": ("Vùng lõm trong xã", "Gaps in the commune"),
    "commune_proposals": ("Trạm đề xuất trong xã", "Proposed sites in the commune"),
    "lom_song_flag": ("Xã lõm sóng", "Coverage-gap commune"),
    "yes": ("có", "yes"),
    "no": ("không", "no"),
    # ---- about page
    "about_title": ("Về dữ liệu và mô hình", "About the data and models"),
    "about_sources": ("Nguồn dữ liệu", "Data sources"),
    "about_models": ("Mô hình và giả định", "Models and assumptions"),
    "about_modelled": ("Những gì là mô phỏng", "What is modelled"),
    "about_modelled_text": (
        "- **Mạng trạm mặc định là MÔ PHỎNG**: 2.445 cột của Viettel, VNPT, MobiFone (1.491 ở Quảng Bình cũ theo số công bố), 4G trên mọi trạm, 5G trên 527 trạm (số tỉnh công bố) ở băng tần của từng nhà mạng, "
        "đặt theo trụ sở xã, điểm dân cư, quốc lộ và phân bố dân cư — không phải vị trí trạm thật.\n"
        "- Trụ sở xã không có tọa độ được mô phỏng bằng tâm dân cư.\n"
        "- Dân số theo ô lưới lấy từ WorldPop 2020 (mô hình), tổng theo xã khác dân số pháp lý.\n"
        "- Chi phí trạm và truyền dẫn là số liệu định hướng, không phải báo giá.",
        "- **The default station set is MODELLED**: 2,445 masts of Viettel, VNPT and MobiFone (former Quảng Bình's "
        "published 1,491; former Quảng Trị's derived), 4G on every station, 5G on 527 (the province's published "
        "count) at each operator's band, placed at commune seats, settlements, roads and by population — not real "
        "station positions.\n"
        "- Commune seats without coordinates are modelled as the population-weighted centre.\n"
        "- People per grid cell come from WorldPop 2020 (a model); commune sums differ from the legal population.\n"
        "- Site and backhaul costs are planning figures, not quotations.",
    ),
    "about_models_text": (
        "- Suy hao đường truyền: 3GPP TR 38.901 RMa/UMa, COST-231 Hata, không gian tự do.\n"
        "- Địa hình: tầm nhìn thẳng trên DEM với độ cong Trái Đất (k = 4/3), nhiễu xạ theo ITU-R P.526.\n"
        "- Dân số theo ô: WorldPop 2020 chia lại về lưới phân tích (giữ nguyên tổng).\n"
        "- Vùng lõm: ô có dân dưới ngưỡng tín hiệu, gom cụm bằng DBSCAN.\n"
        "- Đề xuất trạm: phủ tối đa tham lam. Với ngân sách theo số trạm, đảm bảo ≥ 1 − 1/e (≈ 63%) của tối ưu; "
        "với ngân sách theo đồng, tham lam + trạm đơn tốt nhất chỉ đảm bảo ½(1 − 1/e) (≈ 32%), trừ khi chạy "
        "phép liệt kê một phần (≥ 1 − 1/e); báo cáo ghi rõ mức bảo đảm và, khi bài toán đủ nhỏ, khoảng cách tới tối ưu chính xác.",
        "- Path loss: 3GPP TR 38.901 RMa/UMa, COST-231 Hata, free space.\n"
        "- Terrain: line of sight over the DEM with Earth curvature (k = 4/3), diffraction per ITU-R P.526.\n"
        "- People per cell: WorldPop 2020 regridded onto the analysis grid (totals kept).\n"
        "- Gaps: populated cells below the signal threshold, clustered with DBSCAN.\n"
        "- Site proposals: greedy maximum coverage. With a budget in sites it reaches ≥ 1 − 1/e (≈ 63%) of the "
        "optimum; with a budget in VND, greedy + the best single site only guarantees ½(1 − 1/e) (≈ 32%) unless "
        "the partial enumeration runs (≥ 1 − 1/e); the report states the guarantee and, for small instances, "
        "the gap to the exact optimum.",
    ),
    "about_dem": ("Mô hình độ cao (DEM)", "Elevation model (DEM)"),
    "dem_in_use": ("Đang dùng: {dem}", "In use: {dem}"),
    "dem_upload": (
        "Tải DEM chi tiết hơn (GeoTIFF, .hgt, .hgt.zip) — dùng cho phiên này và lưu trong kho",
        "Upload a finer DEM (GeoTIFF, .hgt, .hgt.zip) — used for this session and kept in the workspace",
    ),
    "dem_loaded": ("Đã nạp DEM: {dem}", "DEM loaded: {dem}"),
    "dem_failed": ("Không dùng được DEM: {err}", "The DEM cannot be used: {err}"),
    "dem_reset": ("Quay lại DEM mặc định", "Back to the embedded DEM"),
    "dem_saved_list": ("DEM đã lưu trong kho", "DEMs kept in the workspace"),
    "dem_use": ("Dùng DEM này", "Use this DEM"),
    "provenance": ("Nguồn gốc dữ liệu (PROVENANCE.md)", "Data provenance (PROVENANCE.md)"),
    "provenance_missing": ("Chưa có tệp data/PROVENANCE.md.", "data/PROVENANCE.md is not there yet."),
    "run_settings": ("Thiết lập lần chạy", "Run settings"),
    # ---- villages (thôn/bản) page
    "page_villages": ("Thôn/bản", "Villages"),
    "villages_title": ("Thôn/bản chưa có sóng", "Villages without signal"),
    "villages_caption": (
        "Tiêu chí (công văn 1603/BTTTT-CVT): thôn chưa có sóng khi trung tâm thôn không có sóng và "
        "dưới 50% dân có sóng; có sóng khi trung tâm có sóng và từ 90% dân có sóng; còn lại là có "
        "sóng một phần. Số dân là WorldPop gán cho thôn gần nhất trong xã (trong 2 km) — mô hình. "
        "\"Cụm dân cư\" là cụm mô phỏng nơi có dân mà không có điểm thôn.",
        "Criterion (letter 1603/BTTTT-CVT): a village has no signal when its centre has none and "
        "fewer than 50% of its people are covered; covered when its centre is and at least 90% of "
        "its people are; otherwise partial. People are WorldPop assigned to the nearest village "
        "of the commune (within 2 km) — modelled. \"Cụm dân cư\" are modelled settlement "
        "clusters where people live with no village point.",
    ),
    "villages_source_embedded": (
        "Danh sách: GeoNames + OpenStreetMap (tọa độ phần lớn làm tròn đến phút, ±1,3 km) và cụm "
        "dân cư mô phỏng. Tải danh sách thôn của tỉnh để có kết quả thật.",
        "List: GeoNames + OpenStreetMap (most points rounded to whole minutes, ±1.3 km) and "
        "modelled settlement clusters. Upload the province's village list for real results.",
    ),
    "villages_source_user": ("Danh sách: {name} (tải lên) và cụm dân cư mô phỏng.",
                             "List: {name} (uploaded) and modelled settlement clusters."),
    "villages_upload": ("Tải danh sách thôn (CSV/XLSX/GeoJSON/KML)",
                        "Upload a village list (CSV/XLSX/GeoJSON/KML)"),
    "villages_upload_report": ("Đọc {rows_read} dòng: giữ {kept}, sửa {fixed}, loại {rejected}.",
                               "Read {rows_read} rows: kept {kept}, fixed {fixed}, rejected {rejected}."),
    "villages_upload_error": ("Không đọc được danh sách thôn: {error}",
                              "The village list cannot be read: {error}"),
    "villages_use_embedded": ("Dùng danh sách có sẵn", "Use the embedded list"),
    "villages_saved": ("Danh sách thôn đã lưu", "Saved village lists"),
    "villages_embedded_option": ("— danh sách có sẵn —", "— the embedded list —"),
    "villages_save": ("Lưu vào kho", "Save to the workspace"),
    "villages_saved_ok": ("Đã lưu danh sách \"{name}\".", "Saved the list \"{name}\"."),
    "villages_status": ("Tình trạng", "Status"),
    "villages_search": ("Tìm thôn/bản hoặc xã", "Search a village or commune"),
    "villages_none": ("Không có thôn/bản nào khớp bộ lọc.", "No village matches the filters."),
    "villages_total": ("Số thôn/bản", "Villages"),
    "villages_no_signal": ("Chưa có sóng", "No signal"),
    "villages_partial": ("Có sóng một phần", "Partial"),
    "villages_covered": ("Có sóng", "Covered"),
    "villages_clusters": ("trong đó {n} cụm mô phỏng", "of which {n} modelled clusters"),
    "villages_download": ("Tải danh sách (CSV)", "Download the list (CSV)"),
    "layer_villages": ("Thôn/bản", "Villages"),
    "status_no_signal": ("chưa có sóng", "no signal"),
    "status_partial": ("có sóng một phần", "partial"),
    "status_covered": ("có sóng", "covered"),
}

TERRAIN_LABELS = ("mountain", "coastal", "island", "plain")


def current_lang() -> str:
    """The language chosen in the sidebar (``vi`` unless changed)."""
    try:
        import streamlit as st

        lang = st.session_state.get("lang", DEFAULT_LANG) if st.runtime.exists() else DEFAULT_LANG
    except Exception:  # outside a Streamlit run
        lang = DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, **fields) -> str:
    """The text for ``key`` in ``lang`` (default: the session's), with ``fields`` filled in."""
    lang = lang or current_lang()
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[LANGS.index(lang)] if lang in LANGS else pair[0]
    return text.format(**fields) if fields else text


def terrain_label(terrain: str, lang: str | None = None) -> str:
    """``mountain`` → ``miền núi`` (or the English word)."""
    key = f"terrain_{terrain}"
    return t(key, lang) if key in STRINGS else str(terrain)

# Drive tests (#17): app_ui/pages/measurements.py
STRINGS.update({
    "page_measurements": ("Đo kiểm", "Drive tests"),
    "dt_title": ("Đo kiểm so với mô hình", "Drive test against the model"),
    "dt_intro": (
        "Tải tệp đo kiểm (G-NetTrack Pro, CSV/XLSX, GeoJSON/KML): mỗi điểm đo được so với mức "
        "tín hiệu mô hình dự báo tại đó. Sai lệch = mô hình − đo (dương: mô hình lạc quan).",
        "Upload a drive test (G-NetTrack Pro, CSV/XLSX, GeoJSON/KML): each measured point is "
        "compared with the level the model predicts there. Residual = model − measured "
        "(positive: the model is optimistic).",
    ),
    "dt_upload": ("Tệp đo kiểm", "Drive-test file"),
    "dt_no_reader": ("Chưa có bộ đọc tệp đo kiểm.", "The drive-test reader is not available."),
    "dt_summary": (
        "{rows} dòng đã đọc — {kept} giữ, {fixed} đã sửa, {rejected} bị loại.",
        "{rows} rows read — {kept} kept, {fixed} fixed, {rejected} rejected.",
    ),
    "dt_none_usable": ("Không có điểm đo dùng được.", "No usable measured point."),
    "dt_overall": ("Toàn bộ", "Overall"),
    "dt_grouping": ("Thống kê theo", "Statistics by"),
    "dt_by_technology": ("công nghệ", "technology"),
    "dt_by_operator": ("nhà mạng", "operator"),
    "dt_by_terrain": ("địa hình", "terrain class"),
    "dt_by_los": ("tầm nhìn thẳng / bị che", "line of sight / obstructed"),
    "dt_by_distance_band": ("khoảng cách tới trạm", "distance band"),
    "dt_points": ("Điểm đo", "Measured points"),
    "dt_measured": ("Đo", "Measured"),
    "dt_model": ("mô hình", "model"),
    "dt_clusters": ("Mô hình báo có sóng, đo kiểm không", "Model says covered, drive test says no"),
    "dt_clusters_line": (
        "Mô hình báo có sóng nhưng đo kiểm không: {n} cụm.",
        "The model says covered, the drive test says no: {n} cluster(s).",
    ),
    "dt_no_clusters": (
        "Không có cụm nào mô hình báo có sóng mà đo kiểm không có.",
        "No cluster where the model says covered and the drive test says no.",
    ),
    "dt_legend": (
        "Màu điểm: đỏ = mô hình cao hơn đo (lạc quan), xanh = thấp hơn, trắng = trong ±3 dB. "
        "Viền đỏ: cụm mô hình báo có sóng mà đo kiểm không.",
        "Point colour: red = model above the measurement (optimistic), blue = below, white = "
        "within ±3 dB. Red outlines: clusters where the model says covered and the drive test says no.",
    ),
    "dt_calibrate": ("Hiệu chỉnh mô hình", "Calibrate the model"),
    "dt_already_calibrated": (
        "Kết quả này đã dùng hiệu chỉnh {name}; chọn «không hiệu chỉnh» để khớp lại.",
        "This result already uses calibration {name}; choose 'no calibration' to fit again.",
    ),
    "dt_fit": (
        "RMSE {before} dB → {after} dB (kiểm định chéo {cv} dB) trên {n} điểm.",
        "RMSE {before} dB → {after} dB ({cv} dB cross-validated) on {n} points.",
    ),
    "dt_cal_name": ("Tên hiệu chỉnh", "Calibration name"),
    "dt_cal_save": ("Lưu hiệu chỉnh vào kho", "Save the calibration in the workspace"),
    "dt_cal_saved": ("Đã lưu hiệu chỉnh {name}.", "Calibration {name} saved."),
    "dt_apply": ("Hiệu chỉnh áp dụng cho vùng phủ", "Calibration applied to coverage"),
    "dt_apply_none": ("không hiệu chỉnh", "no calibration"),
    "calibration_banner": (
        "Vùng phủ đã hiệu chỉnh theo đo kiểm: {name} (vẫn là mô phỏng).",
        "Coverage calibrated to a drive test: {name} (still modelled).",
    ),
})
