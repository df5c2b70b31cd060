"""Outputs for people: the printable priority report (HTML) and the priority workbook (XLSX).

``report.html`` is one self-contained page — maps are PNG (matplotlib) embedded as data URIs —
in Vietnamese by default with an English switch: every text is in the page in both languages
and a button toggles which is shown (and printed). ``priorities.xlsx`` holds the ranked gaps,
the proposals and the per-commune table under Vietnamese headers, as the province's departments
exchange lists: values only (no formula cells), every text cell sanitised against spreadsheet
formula injection (a text starting with ``= + - @``, tab or carriage return gets a leading
apostrophe, OWASP "CSV injection" guidance).

Both files are byte-identical for identical inputs: no timestamps, fixed document properties.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.formatting import fmt_num, fmt_pct
from analysis.gaps import gaps_in_commune
from geo.workspace import FORMULA_PREFIXES, sanitize_cell

__all__ = [
    "FORMULA_PREFIXES",
    "sanitize_text",
    "fmt_number",
    "fmt_share",
    "tables",
    "write_report_html",
    "write_priorities_xlsx",
    "GAP_HEADERS",
    "PROPOSAL_HEADERS",
    "COMMUNE_HEADERS",
    "XLSX_NUMBER_FORMATS",
    "xlsx_kind",
    "commune_headers",
    "column_notes",
    "VILLAGE_HEADERS",
]

FIXED_CREATED = dt.datetime(2025, 7, 1, 0, 0, 0)  # workbook property, fixed for reproducibility
MAX_COMMUNE_MAPS = 12
MAX_TABLE_ROWS = 50

TERRAIN_VI = {"mountain": "miền núi", "coastal": "ven biển", "island": "hải đảo", "plain": "đồng bằng"}
BACKHAUL_VI = {"fiber": "cáp quang", "microwave": "vi ba", "satellite": "vệ tinh", "none": "không có"}
SOURCE_VI = {"maximum": "điểm cao", "centre": "tâm vùng lõm", "village": "khu dân cư",
             "user": "do người dùng", "co_location": "cột của nhà mạng khác"}
KIND_VI = {"new_site": "trạm mới", "co_location": "dùng chung cột"}

# column -> (Vietnamese header, English header)
GAP_HEADERS = {
    "rank": ("Hạng", "Rank"),
    "gap_id": ("Mã vùng lõm", "Gap ID"),
    "people_uncovered": ("Số dân chưa có sóng", "People uncovered"),
    "area_km2": ("Diện tích (km²)", "Area (km²)"),
    "communes": ("Xã/phường", "Communes"),
    "terrain": ("Địa hình", "Terrain"),
    "elev_mean_m": ("Độ cao TB (m)", "Mean elevation (m)"),
    "dist_station_km": ("Cách trạm gần nhất (km)", "Distance to station (km)"),
    "dist_fiber_km": ("Cách cáp quang (km)", "Distance to fiber (km)"),
    "backhaul": ("Truyền dẫn", "Backhaul"),
    "sites_needed_est": ("Số trạm ước tính", "Sites needed (est.)"),
    "est_cost_vnd": ("Chi phí ước tính (đồng)", "Estimated cost (VND)"),
    "score_people": ("Điểm: số dân", "Score: people"),
    "w_terrain": ("Hệ số địa hình", "Terrain weight"),
    "w_cost": ("Hệ số chi phí", "Cost weight"),
    "score": ("Điểm ưu tiên", "Priority score"),
    "lon": ("Kinh độ", "Longitude"),
    "lat": ("Vĩ độ", "Latitude"),
}
PROPOSAL_HEADERS = {
    "rank": ("Thứ tự", "Rank"),
    "site_id": ("Mã trạm đề xuất", "Site ID"),
    "lon": ("Kinh độ", "Longitude"),
    "lat": ("Vĩ độ", "Latitude"),
    "commune": ("Xã/phường", "Commune"),
    "terrain": ("Địa hình", "Terrain"),
    "people_new": ("Số dân được phủ thêm", "People newly covered"),
    "people_cum": ("Cộng dồn", "Cumulative people"),
    "share_covered_after": ("Tỷ lệ phủ sau (%)", "Share covered after (%)"),
    "backhaul": ("Truyền dẫn", "Backhaul"),
    "backhaul_km": ("Chiều dài truyền dẫn (km)", "Backhaul length (km)"),
    "kind": ("Loại", "Kind"),
    "host_operator": ("Cột của nhà mạng", "Host operator"),
    "power": ("Nguồn điện", "Power"),
    "site_capex_vnd": ("Chi phí trạm/thiết bị (đồng)", "Site/equipment capex (VND)"),
    "backhaul_cost_vnd": ("Chi phí truyền dẫn (đồng)", "Backhaul cost (VND)"),
    "power_capex_vnd": ("Chi phí nguồn điện (đồng)", "Power capex (VND)"),
    "capex_vnd": ("Tổng vốn đầu tư (đồng)", "Capex total (VND)"),
    "opex_10y_vnd": ("Chi phí vận hành 10 năm (đồng)", "10-year operating cost (VND)"),
    "cost_10y_vnd": ("Tổng chi phí 10 năm (đồng)", "10-year total cost (VND)"),
    "cost_vnd": ("Tổng chi phí (đồng)", "Cost (VND)"),
    "cost_per_person_vnd": ("Chi phí/người (đồng)", "Cost per person (VND)"),
    "source": ("Nguồn vị trí", "Candidate source"),
    "gap_id": ("Vùng lõm", "Gap ID"),
}
COMMUNE_HEADERS = {
    "code": ("Mã xã", "Code"),
    "name": ("Tên xã/phường", "Name"),
    "terrain": ("Địa hình", "Terrain"),
    "people_total": ("Dân số (WorldPop)", "People (WorldPop)"),
    "people_covered": ("Số dân có sóng", "People covered"),
    "people_uncovered": ("Số dân chưa có sóng", "People uncovered"),
    "share_covered": ("Tỷ lệ có sóng (%)", "Share covered (%)"),
    "gaps": ("Số vùng lõm", "Gaps"),
    "largest_gap_id": ("Vùng lõm lớn nhất", "Largest gap"),
    "largest_gap_people": ("Số dân vùng lõm lớn nhất", "People in largest gap"),
    "lom_song": ("Lõm sóng", "Coverage gap (lõm sóng)"),
    "lom_song_reason": ("Lý do", "Reason"),
    "people_no_operator": ("Số dân không nhà mạng nào phủ", "People served by no operator"),
    "people_one_operator": ("Số dân chỉ một nhà mạng phủ", "People served by one operator only"),
}
# issue 16: people by link and by modelled data speed (present when the coverage has them)
COMMUNE_HEADERS.update({
    "people_covered_downlink": ("Số dân có sóng đường xuống", "People covered, downlink"),
    "people_covered_uplink": ("Số dân có sóng đường lên", "People covered, uplink"),
    "people_mbps_1": ("Số dân có ≥ 1 Mbit/s (mô phỏng)", "People ≥ 1 Mbit/s (modelled)"),
    "people_mbps_10": ("Số dân có ≥ 10 Mbit/s (mô phỏng)", "People ≥ 10 Mbit/s (modelled)"),
    "people_mbps_100": ("Số dân có ≥ 100 Mbit/s (mô phỏng)", "People ≥ 100 Mbit/s (modelled)"),
})
CURVE_HEADERS = {
    "sites": ("Số trạm", "Sites"),
    "people_new_cum": ("Số dân được phủ thêm", "People newly covered"),
    "people_covered": ("Số dân có sóng", "People covered"),
    "share_covered": ("Tỷ lệ có sóng (%)", "Share covered (%)"),
    "cost_vnd": ("Chi phí cộng dồn (đồng)", "Cumulative cost (VND)"),
}
VILLAGE_HEADERS = {
    "commune": ("Xã/phường", "Commune"),
    "name": ("Thôn/bản", "Village"),
    "status": ("Tình trạng", "Status"),
    "people": ("Số dân (WorldPop, mô hình)", "People (WorldPop, modelled)"),
    "share_people_covered": ("Tỷ lệ dân có sóng (%)", "Share of people covered (%)"),
    "centre_level_dbm": ("Mức tín hiệu tại trung tâm (dBm)", "Level at centre (dBm)"),
    "centre_rounded": ("Tọa độ làm tròn (xét trong bán kính)", "Rounded point (judged within radius)"),
    "centre_judged_within_m": ("Bán kính xét (m)", "Judged within (m)"),
    "nearest_station_km": ("Cách trạm gần nhất (km)", "Distance to station (km)"),
    "fiber_km": ("Cách cáp quang (km)", "Distance to fiber (km)"),
    "power": ("Điện lưới", "Grid power"),
    "terrain": ("Địa hình", "Terrain"),
    "source": ("Nguồn", "Source"),
    "village_id": ("Mã", "ID"),
    "lon": ("Kinh độ", "Longitude"),
    "lat": ("Vĩ độ", "Latitude"),
}
VILLAGE_STATUS_VI = {"no_signal": "chưa có sóng", "partial": "có sóng một phần", "covered": "có sóng"}
VILLAGE_SOURCE_VI = {"cluster": "cụm dân cư mô phỏng", "geonames": "GeoNames", "osm": "OSM",
                     "geonames+osm": "GeoNames + OSM", "user": "danh sách người dùng"}
VILLAGE_SOURCE_EN = {"cluster": "modelled cluster", "user": "user list"}
#: ``power`` of a village (grid/none) and of a proposed site (existing/grid/solar_hybrid).
POWER_VI = {"grid": "có điện lưới", "none": "chưa có điện", "existing": "điện sẵn có (cột chung)",
            "solar_hybrid": "mặt trời + ắc quy + máy phát"}
PERCENT_COLUMNS = {"share_covered", "share_covered_after", "share_people_covered"}


# ------------------------------------------------------------------------------ formatting
def sanitize_text(value) -> str:
    """Text safe for a spreadsheet cell (:func:`geo.workspace.sanitize_cell` on ``str(value)``)."""
    return sanitize_cell("" if value is None else str(value))


def fmt_number(value, decimals: int = 0, lang: str = "vi") -> str:
    """``1234567.5`` → ``1.234.568`` (vi) / ``1,234,568`` (en); NaN → ``–``.

    :func:`analysis.formatting.fmt_num` with no decimals by default (the one formatter).
    """
    return fmt_num(value, decimals, lang)


def fmt_share(value, decimals: int = 1, lang: str = "vi") -> str:
    """``0.125`` → ``12,5%`` (vi) / ``12.5%`` (en) (:func:`analysis.formatting.fmt_pct`)."""
    return fmt_pct(value, decimals, lang)


def _bi(vi: str, en: str) -> str:
    return f'<span class="vi">{html.escape(vi)}</span><span class="en">{html.escape(en)}</span>'


# --------------------------------------------------------------------------------- tables
def tables(result) -> dict[str, pd.DataFrame]:
    """Plain tables (no geometry), English column names: gaps, proposals, communes, curve."""
    gaps = pd.DataFrame(result.gaps.gaps.drop(columns=["geometry", "x", "y"], errors="ignore"))
    props = pd.DataFrame(result.siting.proposals.drop(columns=["geometry"], errors="ignore"))
    communes = pd.DataFrame(result.gaps.communes.drop(columns=["geometry"], errors="ignore"))
    out = {"gaps": gaps, "proposals": props, "communes": communes, "curve": result.siting.curve}
    if getattr(result, "villages", None) is not None:
        out["villages"] = pd.DataFrame(result.villages.table.drop(columns=["geometry"], errors="ignore"))
    return out


def _cell_text(col: str, v, lang: str) -> str:
    if isinstance(v, bool | np.bool_):
        return ("có" if v else "không") if lang == "vi" else ("yes" if v else "no")
    if col in PERCENT_COLUMNS:
        return fmt_share(v, 1, lang)
    if col == "terrain":
        return TERRAIN_VI.get(str(v), str(v)) if lang == "vi" else str(v)
    if col == "backhaul":
        return BACKHAUL_VI.get(str(v), str(v)) if lang == "vi" else str(v)
    if col == "source":
        return SOURCE_VI.get(str(v), VILLAGE_SOURCE_VI.get(str(v), str(v))) if lang == "vi" \
            else VILLAGE_SOURCE_EN.get(str(v), str(v))
    if col == "kind":
        return KIND_VI.get(str(v), str(v)) if lang == "vi" else str(v).replace("_", " ")
    if col == "status":
        return VILLAGE_STATUS_VI.get(str(v), str(v)) if lang == "vi" else str(v).replace("_", " ")
    if col == "power":
        if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("", "None"):
            return "không rõ" if lang == "vi" else "unknown"
        return POWER_VI.get(str(v), str(v)) if lang == "vi" else str(v).replace("_", " ")
    if col in ("lon", "lat"):
        return fmt_number(v, 5, lang)
    if isinstance(v, int | np.integer):
        return fmt_number(v, 0, lang)
    if isinstance(v, float | np.floating):
        nd = 0 if abs(float(v)) >= 100 or col.endswith("_vnd") else (2 if col.startswith("w_") else 1)
        return fmt_number(v, nd, lang)
    return str(v)


def _html_table(df: pd.DataFrame, headers: dict, max_rows: int | None = MAX_TABLE_ROWS) -> str:
    cols = [c for c in headers if c in df.columns]
    rows = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{_bi(*headers[c])}</th>" for c in cols)
    body = []
    for rec in rows[cols].itertuples(index=False, name=None):
        tds = []
        for c, v in zip(cols, rec, strict=True):
            vi, en = _cell_text(c, v, "vi"), _cell_text(c, v, "en")
            num = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            cls = ' class="num"' if num else ""
            tds.append(f"<td{cls}>{_bi(vi, en) if vi != en else html.escape(vi)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    more = ""
    if max_rows is not None and len(df) > max_rows:
        k = len(df) - max_rows
        more = ('<p class="more">' + _bi(f"… và {k} dòng nữa (xem priorities.xlsx)",
                                         f"… and {k} more rows (see priorities.xlsx)") + "</p>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


# ----------------------------------------------------------------------------------- maps
SIMPLIFY_DEG = 0.0003  # ≈ 30 m: outlines drawn on the maps, not used for any number


def _paths(geoms) -> list:
    """Matplotlib paths of (multi)polygons, holes included."""
    from matplotlib.path import Path as MplPath

    out = []
    for geom in geoms:
        verts, codes = [], []
        if geom is None or geom.is_empty:
            out.append(MplPath(np.zeros((1, 2))))
            continue
        polys = getattr(geom, "geoms", [geom])
        for poly in polys:
            if poly.geom_type != "Polygon":
                continue
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)[:, :2]
                if len(xy) < 3:
                    continue
                verts.append(xy)
                codes.append(np.r_[MplPath.MOVETO, np.full(len(xy) - 2, MplPath.LINETO),
                                   MplPath.CLOSEPOLY])
        if verts:
            out.append(MplPath(np.concatenate(verts), np.concatenate(codes).astype(np.uint8)))
        else:
            out.append(MplPath(np.zeros((1, 2))))
    return out


def _draw(ax, gdf, facecolor="none", edgecolor="#333", linewidth=0.5, alpha=1.0, zorder=1):
    from matplotlib.collections import PathCollection

    geoms = gdf.geometry
    coll = PathCollection(_paths(geoms), facecolors=facecolor, edgecolors=edgecolor,
                          linewidths=linewidth, alpha=alpha, zorder=zorder)
    ax.add_collection(coll)
    return coll
def _figure(figsize):
    """A figure outside pyplot: no global backend switch, no state left behind (notebooks
    that call the report keep their inline plots)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _simplified(gdf):
    out = gdf.copy()
    out[out.geometry.name] = gdf.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
    return out


def _province_map(result, communes=None) -> str:
    import matplotlib

    communes = communes if communes is not None else _simplified(result.gaps.communes)
    gaps = result.gaps.gaps
    props = result.siting.proposals
    fig, ax = _figure((7.5, 7.5))
    share_unc = (1 - communes["share_covered"].fillna(1.0)).to_numpy()
    cmap = matplotlib.colormaps["OrRd"]
    _draw(ax, communes, facecolor=cmap(share_unc), edgecolor="#555", linewidth=0.4)
    sm = matplotlib.cm.ScalarMappable(cmap=cmap, norm=matplotlib.colors.Normalize(0, 1))
    fig.colorbar(sm, ax=ax, shrink=0.6, label="share uncovered / tỷ lệ chưa có sóng")
    if len(gaps):
        _draw(ax, gaps, facecolor="none", edgecolor="#b00", linewidth=0.6, zorder=2)
    xmin, ymin, xmax, ymax = communes.total_bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    st = result.stations
    if st is not None and len(st):
        ax.scatter(st.geometry.x, st.geometry.y, s=2, c="#1f4e9c", alpha=0.5, zorder=3)
    if len(props):
        ax.scatter(props["lon"], props["lat"], s=40, marker="^", c="#0a0", edgecolor="k", zorder=4)
        for r, x, y in zip(props["rank"], props["lon"], props["lat"], strict=True):
            ax.annotate(str(r), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.set_axis_off()
    ax.set_aspect(1 / math.cos(math.radians(17.0)))
    return _png(fig)


def _curve_plot(result) -> str:

    curve = result.siting.curve
    fig, ax = _figure((6, 3.2))
    ax.plot(curve["sites"], curve["people_new_cum"], marker="o", ms=3, color="#0a0")
    ax.set_xlabel("sites / số trạm")
    ax.set_ylabel("people newly covered / số dân được phủ thêm")
    ax.grid(alpha=0.3)
    return _png(fig)


def _commune_map(result, i: int, communes=None) -> str:

    communes = communes if communes is not None else result.gaps.communes
    c = communes.iloc[[i]]
    gaps = result.gaps.gaps
    props = result.siting.proposals
    fig, ax = _figure((3.6, 3.6))
    _draw(ax, c, facecolor="#f4f1e8", edgecolor="#333", linewidth=0.8)
    xmin, ymin, xmax, ymax = c.total_bounds
    if len(gaps):
        g = gaps.cx[xmin:xmax, ymin:ymax]
        if len(g):
            _draw(ax, g, facecolor="#e66", edgecolor="#b00", linewidth=0.5, alpha=0.7, zorder=2)
    if len(props):
        p = props[(props["lon"] >= xmin) & (props["lon"] <= xmax) & (props["lat"] >= ymin) & (props["lat"] <= ymax)]
        if len(p):
            ax.scatter(p["lon"], p["lat"], s=40, marker="^", c="#0a0", edgecolor="k", zorder=4)
            for r, x, y in zip(p["rank"], p["lon"], p["lat"], strict=True):
                ax.annotate(str(r), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect(1 / math.cos(math.radians(17.0)))
    ax.set_axis_off()
    return _png(fig)


# ----------------------------------------------------------------------------------- html
CSS = """
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:2em;color:#222;max-width:1100px}
body.lang-vi .en{display:none} body.lang-en .vi{display:none}
h1{font-size:1.6em} h2{border-bottom:2px solid #b00;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0} th,td{border:1px solid #bbb;padding:2px 5px}
th{background:#eee} td.num{text-align:right} .warn{background:#fff3cd;border:1px solid #d9a400;padding:.6em}
.kpi{display:flex;gap:1.2em;flex-wrap:wrap} .kpi div{border:1px solid #ccc;padding:.5em 1em}
.kpi b{display:block;font-size:1.3em} .commune{page-break-inside:avoid;display:flex;gap:1em}
#lang{position:fixed;top:1em;right:1em} .more{font-size:.8em;color:#666}
@media print{#lang{display:none} h2{page-break-before:auto} .commune{page-break-inside:avoid}
.village-commune{page-break-before:always} .village-commune table{font-size:9pt}}
.village-commune h3{margin-bottom:.2em}
"""

JS = """
function setLang(l){document.body.className='lang-'+l;document.documentElement.lang=l;}
function toggleLang(){setLang(document.body.className==='lang-vi'?'en':'vi');}
"""


def _kpis(s: dict) -> str:
    items = [
        (("Dân số", "People"), fmt_number(s["people_total"], 0, "vi"), fmt_number(s["people_total"], 0, "en")),
        (("Có sóng", "Covered"), fmt_share(s["share_covered"], 1, "vi"), fmt_share(s["share_covered"], 1, "en")),
        (("Chưa có sóng", "Uncovered"), fmt_number(s["people_uncovered"], 0, "vi"),
         fmt_number(s["people_uncovered"], 0, "en")),
        (("Vùng lõm", "Gaps"), str(s["gaps"]), str(s["gaps"])),
        (("Xã lõm sóng", "Communes flagged"), str(s["communes_lom_song"]), str(s["communes_lom_song"])),
        (("Trạm đề xuất", "Proposed sites"), str(s["proposals"]), str(s["proposals"])),
        (("Dân được phủ thêm", "Newly covered"), fmt_number(s["people_newly_covered"], 0, "vi"),
         fmt_number(s["people_newly_covered"], 0, "en")),
        (("Tổng chi phí (tỷ đồng)", "Total cost (bn VND)"),
         fmt_number((s["cost_total_vnd"] or 0) / 1e9, 1, "vi"), fmt_number((s["cost_total_vnd"] or 0) / 1e9, 1, "en")),
        *_service_kpis(s),
    ]
    if s.get("villages_total") is not None:
        items.append((("Thôn/bản chưa có sóng", "Villages without signal"),
                      f"{s['villages_no_signal']} / {s['villages_total']}",
                      f"{s['villages_no_signal']} / {s['villages_total']}"))
    return '<div class="kpi">' + "".join(
        f"<div>{_bi(*label)}<b>{_bi(vi, en) if vi != en else html.escape(vi)}</b></div>"
        for label, vi, en in items
    ) + "</div>"


def _service_kpis(s: dict) -> list[tuple[tuple[str, str], str, str]]:
    """Issue 16 figures: people per link, people with ≥ 10 Mbit/s, reliability and load."""
    if "people_covered_uplink" not in s:
        return []
    items = [
        (("Có sóng đường xuống", "Downlink covered"), fmt_number(s["people_covered_downlink"], 0, "vi"),
         fmt_number(s["people_covered_downlink"], 0, "en")),
        (("Có sóng đường lên", "Uplink covered"), fmt_number(s["people_covered_uplink"], 0, "vi"),
         fmt_number(s["people_covered_uplink"], 0, "en")),
    ]
    by = s.get("people_by_throughput")
    if by:
        items.append((("Dân có ≥ 10 Mbit/s (mô phỏng)", "People ≥ 10 Mbit/s (modelled)"),
                      fmt_number(by["10"], 0, "vi"), fmt_number(by["10"], 0, "en")))
    rel = f"{100 * s['reliability']:.0f}% · {100 * s['load']:.0f}%"
    items.append((("Độ tin cậy vị trí · tải ô", "Location reliability · cell load"), rel, rel))
    return items


def write_report_html(result, path: str | Path, max_commune_maps: int = MAX_COMMUNE_MAPS) -> Path:
    """Write the printable, bilingual priority report."""
    path = Path(path)
    s = result.summary
    tech = result.tech
    communes = result.gaps.communes
    gaps = result.gaps.gaps
    props = result.siting.proposals
    parts = [
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">',
        f"<title>Lõm sóng {html.escape(tech)} — Quảng Trị</title><style>{CSS}</style>",
        f"<script>{JS}</script></head><body class=\"lang-vi\">",
        '<button id="lang" onclick="toggleLang()">Tiếng Việt / English</button>',
        f"<h1>{_bi(f'Báo cáo ưu tiên xóa lõm sóng {tech} — tỉnh Quảng Trị', f'Coverage-gap priority report ({tech}) — Quảng Trị province')}</h1>",
    ]
    if s.get("stations_modelled"):
        parts.append(f'<p class="warn">⚠ {_bi(s.get("warning_vi") or "", s.get("warning") or "")}</p>')
    info_vi = (f"Công nghệ {tech}; lưới {fmt_number(s['resolution_m'], 0, 'vi')} m; "
               f"mô hình độ cao: {s.get('dem')}; {s['stations']} trạm.")
    info_en = (f"Technology {tech}; grid {fmt_number(s['resolution_m'], 0, 'en')} m; "
               f"elevation model: {s.get('dem')}; {s['stations']} stations.")
    parts.append(f"<p>{_bi(info_vi, info_en)}</p>")
    for note in s.get("notes") or []:
        parts.append(f'<p class="more">{html.escape(str(note))}</p>')
    parts.append(_kpis(s))
    if s.get("people_uncovered_below_floor") is not None:
        parts.append("<p class='more'>" + _uncovered_split(s) + "</p>")

    parts.append(f"<h2>{_bi('Bản đồ', 'Map')}</h2>")
    simple = _simplified(communes)
    parts.append(f'<img alt="map" src="{_province_map(result, simple)}" style="max-width:100%">')
    parts.append(f"<p class='more'>{_bi('Màu: tỷ lệ dân chưa có sóng theo xã; viền đỏ: vùng lõm; tam giác xanh: trạm đề xuất (số = thứ tự); chấm xanh dương: trạm hiện có.', 'Shading: share of people uncovered per commune; red outlines: gaps; green triangles: proposed sites (number = rank); blue dots: existing stations.')}</p>")

    parts.append(f"<h2>{_bi('Vùng lõm sóng xếp hạng', 'Ranked coverage gaps')}</h2>")
    parts.append(f"<p class='more'>{_bi('Điểm ưu tiên = số dân chưa có sóng × hệ số địa hình × hệ số chi phí (mọi thành phần hiển thị).', 'Priority score = people uncovered × terrain weight × cost weight (every component shown).')}</p>")
    parts.append(_html_table(pd.DataFrame(gaps.drop(columns="geometry")), GAP_HEADERS))
    parts.append(_notes_html(s))
    parts.append(_ranking_change_html(result))

    parts.append(f"<h2>{_bi('Đề xuất vị trí trạm mới', 'Proposed new sites')}</h2>")
    parts.append(_html_table(pd.DataFrame(props.drop(columns="geometry")), PROPOSAL_HEADERS, None))
    parts.append(f'<img alt="curve" src="{_curve_plot(result)}">')
    if s.get("greedy_vs_exact"):
        g = s["greedy_vs_exact"]
        share = g["greedy_share_of_optimum"]
        vi = f"Kiểm tra tối ưu (MCLP chính xác): chọn tham lam đạt {fmt_share(share, 1, 'vi')} tối ưu."
        en = f"Exact MCLP check: greedy reaches {fmt_share(share, 1, 'en')} of the optimum."
        parts.append("<p class='more'>" + _bi(vi, en) + "</p>")
    parts.append(_guarantee_html(s))
    parts.append(_kind_power_html(s))
    parts.append(_operators_html(s))

    parts.append(f"<h2>{_bi('Theo xã/phường', 'By commune')}</h2>")
    parts.append(f"<p class='more'>{_bi('Quy tắc lõm sóng: xã có một vùng lõm từ 100 người trở lên, hoặc từ 10% dân chưa có sóng.', 'Lõm sóng rule: a commune with a gap of at least 100 people, or with at least 10% of its people uncovered.')}</p>")
    ct = pd.DataFrame(communes.drop(columns="geometry")).sort_values(
        ["people_uncovered", "code"], ascending=[False, True], kind="mergesort")
    parts.append(_html_table(ct, commune_headers(ct), None))

    flagged = ct[ct["lom_song"]].head(max_commune_maps)
    if len(flagged):
        parts.append(f"<h2>{_bi('Hồ sơ các xã lõm sóng', 'Profiles of flagged communes')}</h2>")
    for idx, row in flagged.iterrows():
        pos = communes.index.get_loc(idx)
        g_in = gaps_in_commune(gaps, row["code"])
        p_in = props[props["commune_code"].astype(str) == str(row["code"])] if "commune_code" in props else props.iloc[0:0]
        txt_vi = (f"{row['name']} ({TERRAIN_VI.get(row['terrain'], row['terrain'])}): "
                  f"{fmt_number(row['people_uncovered'], 0, 'vi')} / {fmt_number(row['people_total'], 0, 'vi')} "
                  f"người chưa có sóng ({fmt_share(1 - (row['share_covered'] if pd.notna(row['share_covered']) else 1), 1, 'vi')}); "
                  f"{len(g_in)} vùng lõm; {len(p_in)} trạm đề xuất.")
        txt_en = (f"{row['name']} ({row['terrain']}): "
                  f"{fmt_number(row['people_uncovered'], 0, 'en')} of {fmt_number(row['people_total'], 0, 'en')} "
                  f"people uncovered ({fmt_share(1 - (row['share_covered'] if pd.notna(row['share_covered']) else 1), 1, 'en')}); "
                  f"{len(g_in)} gaps; {len(p_in)} proposed sites.")
        parts.append(
            f'<div class="commune"><img alt="{html.escape(str(row["name"]))}" src="{_commune_map(result, pos, simple)}">'
            f"<div><h3>{html.escape(str(row['name']))}</h3><p>{_bi(txt_vi, txt_en)}</p>"
            f"{_html_table(pd.DataFrame(g_in.drop(columns='geometry')), {k: GAP_HEADERS[k] for k in ('rank', 'gap_id', 'people_uncovered', 'backhaul', 'score')}, 8)}"
            "</div></div>"
        )

    if getattr(result, "villages", None) is not None:
        parts.append(_villages_html(result))

    parts.extend(_measurements_html(result))
    parts.append(f"<h2>{_bi('Giả định', 'Assumptions')}</h2>")
    parts.append(_assumptions_html(result))
    parts.append("</body></html>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def commune_headers(df: pd.DataFrame) -> dict:
    """:data:`COMMUNE_HEADERS` plus one ``people_covered_<operator>`` column per operator."""
    out = dict(COMMUNE_HEADERS)
    for c in df.columns:
        if c.startswith("people_covered_"):
            op = c[len("people_covered_"):]
            out[c] = (f"Số dân có sóng {op}", f"People covered by {op}")
    return out


def _notes_html(s: dict) -> str:
    """The per-gap cost's site-area assumption and the fiber nodes' modelled share."""
    out = []
    if s.get("est_cost_note"):
        out.append(_bi(s.get("est_cost_note_vi") or "", s["est_cost_note"]))
    if s.get("fiber_nodes_modelled"):
        n, m = s.get("fiber_nodes") or 0, s["fiber_nodes_modelled"]
        out.append(_bi(
            f"⚠ {m}/{n} điểm cáp quang là trụ sở xã MÔ PHỎNG (không rõ vị trí thật): khoảng cách "
            "tới cáp quang và chi phí truyền dẫn dựa trên các điểm này.",
            f"⚠ {m} of {n} fiber nodes are MODELLED commune seats (true position unknown): "
            "distance to fiber and backhaul costs rest on them."))
    return "".join(f"<p class='more'>{t}</p>" for t in out)


def _ranking_change_html(result, rows: int = 15) -> str:
    """How the default mountain/coastal/island priority moves the gaps against 'most people first'."""
    from analysis.config import AnalysisConfig, RankingWeights
    from analysis.ranking import ranking_change

    gaps = result.gaps.gaps
    weights = (getattr(result, "config", None) or AnalysisConfig()).ranking
    head = f"<h3>{_bi('Ưu tiên miền núi, ven biển, hải đảo thay đổi thứ hạng', 'How the mountain/coastal/island priority changes the ranking')}</h3>"
    if weights.is_neutral:
        return head + "<p class='more'>" + _bi("Đã tắt ưu tiên địa hình: điểm = số dân chưa có sóng.",
                                                "Terrain priority is off: score = people uncovered.") + "</p>"
    if len(gaps) == 0:
        return ""
    cols = [c for c in ("gap_id", "people_uncovered", "terrain", "est_cost_vnd") if c in gaps]
    ch = ranking_change(pd.DataFrame(gaps[cols]), weights, RankingWeights.neutral())
    moved = int((ch["rank_change"] != 0).sum())
    w = ", ".join(f"{k} ×{v:g}" for k, v in sorted(weights.terrain_weight.items()))
    txt = _bi(f"Hệ số: {w}. {moved}/{len(ch)} vùng lõm đổi thứ hạng so với xếp theo số dân.",
              f"Weights: {w}. {moved} of {len(ch)} gaps change rank against 'most people first'.")
    headers = {"rank": ("Hạng (ưu tiên)", "Rank (priority)"),
               "rank_neutral": ("Hạng (theo số dân)", "Rank (people only)"),
               "rank_change": ("Thay đổi", "Change"), "gap_id": ("Mã vùng lõm", "Gap ID"),
               "people_uncovered": ("Số dân chưa có sóng", "People uncovered"), "terrain": ("Địa hình", "Terrain")}
    return head + f"<p class='more'>{txt}</p>" + _html_table(ch, headers, rows)


def _guarantee_html(s: dict) -> str:
    g = s.get("selection_guarantee")
    if not g:
        return ""
    share = fmt_share(g["guarantee"], 1, "vi"), fmt_share(g["guarantee"], 1, "en")
    return "<p class='more'>" + _bi(
        f"Phương pháp chọn: {g['method']} — bảo đảm ít nhất {share[0]} số dân của phương án tối ưu ({g['reference']}).",
        f"Selection: {g['method']} — guaranteed to reach at least {share[1]} of the optimum's people ({g['reference']}).",
    ) + "</p>"


def _split_table(split: dict, key_col: str, headers_key: tuple[str, str]) -> str:
    rows = pd.DataFrame([{key_col: k, **v} for k, v in split.items()])
    headers = {key_col: headers_key, "sites": ("Số trạm", "Sites"),
               "people_new": ("Số dân được phủ thêm", "People newly covered"),
               "capex_vnd": ("Vốn đầu tư (đồng)", "Capex (VND)"),
               "opex_10y_vnd": ("Vận hành 10 năm (đồng)", "10-year operating cost (VND)")}
    return _html_table(rows, headers, None)


def _kind_power_html(s: dict) -> str:
    """Proposals split by kind and by power option (villages by grid power: the village section)."""
    parts = []
    if s.get("proposals_by_kind"):
        parts.append(f"<h3>{_bi('Theo loại trạm', 'By kind')}</h3>")
        parts.append(_split_table(s["proposals_by_kind"], "kind", ("Loại", "Kind")))
    if s.get("proposals_by_power"):
        parts.append(f"<h3>{_bi('Theo nguồn điện', 'By power option')}</h3>")
        parts.append(_split_table(s["proposals_by_power"], "power", ("Nguồn điện", "Power")))
        src = str(s.get("power_source") or "")
        if s.get("power_modelled"):
            parts.append("<p class='more'>" + _bi(
                "⚠ Không có dữ liệu lưới điện: vị trí lưới điện là MÔ PHỎNG (coi vùng có dân là đã có điện).",
                f"⚠ No grid data: where the grid is, is MODELLED ({src}).") + "</p>")
        else:
            parts.append("<p class='more'>" + _bi(f"Lưới điện theo: {src}.", f"Grid from: {src}.") + "</p>")
    return "".join(parts)


def _operators_html(s: dict) -> str:
    ops = s.get("by_operator")
    if not ops:
        return ""
    rows = pd.DataFrame([{"operator": k, **v} for k, v in ops.items()])
    headers = {"operator": ("Nhà mạng", "Operator"), "people_covered": ("Số dân có sóng", "People covered"),
               "share_covered": ("Tỷ lệ có sóng (%)", "Share covered (%)"),
               "area_covered_km2": ("Diện tích có sóng (km²)", "Area covered (km²)")}
    no, one = s.get("people_no_operator"), s.get("people_one_operator")
    if one is None:  # no station names its operator
        return f"<h3>{_bi('Theo nhà mạng', 'By operator')}</h3>" + _html_table(rows, headers, None)
    txt = _bi(f"Không nhà mạng nào phủ: {fmt_number(no or 0, 0, 'vi')} người; chỉ một nhà mạng "
              f"(mất sóng khi một trạm hỏng): {fmt_number(one or 0, 0, 'vi')} người.",
              f"Served by no operator: {fmt_number(no or 0, 0, 'en')} people; by one only "
              f"(a single outage leaves them without service): {fmt_number(one or 0, 0, 'en')} people.")
    return f"<h3>{_bi('Theo nhà mạng', 'By operator')}</h3>" + _html_table(rows, headers, None) + f"<p>{txt}</p>"


VILLAGE_LIST_COLUMNS = ("name", "status", "people", "share_people_covered", "centre_level_dbm",
                        "centre_rounded", "nearest_station_km", "fiber_km", "power", "source",
                        "lon", "lat")


def _villages_html(result) -> str:
    """Section "Thôn/bản chưa có sóng": one printable page per commune with such villages."""
    t = pd.DataFrame(result.villages.table.drop(columns="geometry", errors="ignore"))
    s = result.villages.summary
    bad = t[t["status"].isin(["no_signal", "partial"])]
    out = [f"<h2>{_bi('Thôn/bản chưa có sóng', 'Villages without signal')}</h2>"]
    vi = (f"{fmt_number(s['villages_total'], 0, 'vi')} thôn/bản: {s['villages_no_signal']} chưa có "
          f"sóng, {s['villages_partial']} có sóng một phần. Tiêu chí (công văn 1603/BTTTT-CVT): "
          "chưa có sóng khi trung tâm thôn không có sóng và dưới 50% dân có sóng; có sóng khi trung "
          "tâm có sóng và từ 90% dân có sóng; còn lại là một phần. Số dân là WorldPop gán cho thôn "
          f"gần nhất trong xã (mô hình). {s['villages_modelled_clusters']} \"Cụm dân cư\" là cụm "
          "mô phỏng nơi có dân mà không có điểm thôn.")
    en = (f"{fmt_number(s['villages_total'], 0, 'en')} villages: {s['villages_no_signal']} without "
          f"signal, {s['villages_partial']} partial. Criterion (letter 1603/BTTTT-CVT): no signal "
          "when the village centre has none and fewer than 50% of its people are covered; covered "
          "when the centre is and at least 90% of its people are; otherwise partial. People are "
          "WorldPop assigned to the nearest village in the commune (modelled). "
          f"{s['villages_modelled_clusters']} \"Cụm dân cư\" are modelled clusters where people "
          "live with no village point.")
    out.append(f"<p>{_bi(vi, en)}</p>")
    heads = {k: VILLAGE_HEADERS[k] for k in VILLAGE_LIST_COLUMNS}
    for code, g in bad.groupby("commune_code", sort=True):
        name = str(g["commune"].iloc[0])
        n_ns, n_p = int((g["status"] == "no_signal").sum()), int((g["status"] == "partial").sum())
        out.append(
            f'<div class="village-commune"><h3>{html.escape(name)} ({html.escape(str(code))})</h3>'
            f"<p>{_bi(f'{n_ns} thôn/bản chưa có sóng, {n_p} có sóng một phần.', f'{n_ns} villages without signal, {n_p} partial.')}</p>"
            f"{_html_table(g, heads, None)}</div>"
        )
    if not len(bad):
        out.append(f"<p>{_bi('Mọi thôn/bản đều có sóng.', 'Every village has signal.')}</p>")
    return "\n".join(out)


def _uncovered_split(s: dict) -> str:
    """Where the uncovered people are: in gaps, scattered dense cells, sparse cells (#19)."""
    g, sc, fl = (s.get("people_in_gaps") or 0, s.get("people_scattered_uncovered") or 0,
                 s.get("people_uncovered_below_floor") or 0)
    vi = (f"Người chưa có sóng: {fmt_number(g, 0, 'vi')} trong vùng lõm, {fmt_number(sc, 0, 'vi')} "
          f"ở ô đông dân rải rác ngoài vùng lõm, {fmt_number(fl, 0, 'vi')} ở ô thưa dân (dưới ngưỡng "
          "dân cư của vùng lõm).")
    en = (f"People without signal: {fmt_number(g, 0, 'en')} in gaps, {fmt_number(sc, 0, 'en')} in "
          f"scattered populated cells outside gaps, {fmt_number(fl, 0, 'en')} in sparse cells (below "
          "the gaps' populated floor).")
    return _bi(vi, en)


CLUSTER_HEADERS = {
    "cluster_id": ("Cụm", "Cluster"), "technology": ("Công nghệ", "Technology"),
    "n_no_service": ("Điểm đo không có sóng", "Points without service"),
    "n_measured": ("Điểm đo", "Measured points"),
    "measured_median_dbm": ("Đo được (trung vị, dBm)", "Measured (median, dBm)"),
    "predicted_median_dbm": ("Mô hình (trung vị, dBm)", "Model (median, dBm)"),
    "lon": ("Kinh độ", "Longitude"), "lat": ("Vĩ độ", "Latitude"),
}


def _measurements_html(result) -> list[str]:
    """Drive test against the model (#17): errors, and where the model says covered but
    the drive test says no (``summary["measurements"]``, ``result.measurement_clusters``)."""
    m = (result.summary or {}).get("measurements")
    if not m:
        return []
    out = [f"<h2>{_bi('Đo kiểm so với mô hình', 'Drive test against the model')}</h2>"]
    if m.get("rmse_db") is not None:
        vi = (f"{fmt_number(m['compared'], 0, 'vi')} / {fmt_number(m['points'], 0, 'vi')} điểm đo có "
              f"dự báo; sai lệch (mô hình − đo) {fmt_number(m['bias_db'], 1, 'vi')} dB, RMSE "
              f"{fmt_number(m['rmse_db'], 1, 'vi')} dB.")
        en = (f"{fmt_number(m['compared'], 0, 'en')} of {fmt_number(m['points'], 0, 'en')} measured "
              f"points have a prediction; bias (model − measured) {fmt_number(m['bias_db'], 1, 'en')} dB, "
              f"RMSE {fmt_number(m['rmse_db'], 1, 'en')} dB.")
        out.append(f"<p>{_bi(vi, en)}</p>")
    clusters = getattr(result, "measurement_clusters", None)
    n = 0 if clusters is None else len(clusters)
    vi = (f"Mô hình báo có sóng nhưng đo kiểm không: {n} cụm." if n else
          "Không có cụm nào mô hình báo có sóng mà đo kiểm không có.")
    en = (f"The model says covered, the drive test says no: {n} cluster(s)." if n else
          "No cluster where the model says covered and the drive test says no.")
    out.append(f"<p>{_bi(vi, en)}</p>")
    if n:
        out.append(_html_table(pd.DataFrame(clusters.drop(columns="geometry")), CLUSTER_HEADERS))
    return out


def _assumption_rows(result) -> list[tuple[str, str, object, str, str]]:
    """``(Vietnamese, English, value, unit, kind)`` of each assumption; ``kind`` picks the
    number format (:data:`XLSX_NUMBER_FORMATS`), ``"text"`` for a value that is words."""
    from analysis.config import AnalysisConfig

    cfg = getattr(result, "config", None) or AnalysisConfig()
    c = cfg.costs
    site = cfg.siting.site
    cal = (getattr(getattr(result, "coverage", None), "metadata", None) or {}).get("calibration")
    calibration = [("Hiệu chỉnh theo đo kiểm (vẫn là mô phỏng)",
                    "Drive-test calibration (still modelled)", str(cal), "", "text")] if cal else []
    return calibration + [
        ("Chi phí trạm 4G", "4G site capex", float(c.capex_for("4G")), "đồng", "vnd"),
        ("Chi phí trạm 5G", "5G site capex", float(c.capex_for("5G")), "đồng", "vnd"),
        ("Cáp quang / km", "Fiber per km", float(c.fiber_per_km_vnd), "đồng", "vnd"),
        ("Cáp quang tối đa", "Fiber extension max", float(c.fiber_max_km), "km", "dec1"),
        ("Một chặng vi ba", "Microwave hop", float(c.microwave_hop_vnd), "đồng", "vnd"),
        ("Vi ba tối đa", "Microwave max range", float(c.microwave_max_km), "km", "dec1"),
        ("Vệ tinh (VSAT)", "Satellite (VSAT)", float(c.satellite_vnd), "đồng", "vnd"),
        ("Chiều cao cột đề xuất", "Proposed mast height", float(site.height_m), "m", "dec1"),
        ("Ngưỡng dân/ô", "Populated cell floor", float(cfg.gaps.min_density_per_km2), "người/km²", "dec1"),
        ("DBSCAN eps", "DBSCAN eps", float(cfg.gaps.eps_km), "km", "dec1"),
        ("DBSCAN số dân tối thiểu", "DBSCAN min people", float(cfg.gaps.min_people), "người", "int"),
        *_network_assumption_rows(result, cfg),
    ]


def _network_assumption_rows(result, cfg) -> list[tuple[str, str, object, str, str]]:
    c, pw = cfg.costs, cfg.power
    s = getattr(result, "summary", {}) or {}
    rows = [
        ("Diện tích mỗi trạm (chi phí ước tính theo vùng lõm)", "Area per site (per-gap cost estimate)",
         float(cfg.siting.site_area_km2), "km²", "dec1"),
        ("Dùng chung cột 4G", "Co-location 4G", float(c.site_capex_for("co_location", "4G")), "đồng", "vnd"),
        ("Dùng chung cột 5G", "Co-location 5G", float(c.site_capex_for("co_location", "5G")), "đồng", "vnd"),
        ("Thuê đất mỗi năm", "Land lease per year", float(c.new_site_rent_vnd_per_year), "đồng", "vnd"),
        ("Thuê cột mỗi năm", "Tower-sharing fee per year", float(c.co_location_rent_vnd_per_year), "đồng",
         "vnd"),
        ("Số giờ nắng đỉnh", "Peak sun hours", float(pw.peak_sun_hours), "kWh/m²/ngày", "dec1"),
        ("Số ngày dự phòng ắc quy", "Battery autonomy", float(pw.autonomy_days), "ngày", "dec1"),
        ("Khoảng cách tối đa nối lưới", "Grid connection max distance", float(pw.grid_max_km), "km", "dec1"),
        ("Nguồn dữ liệu lưới điện", "Grid data", str(s.get("power_source") or ""), "", "text"),
    ]
    if s.get("fiber_nodes_modelled") is not None:
        rows.append(("Điểm cáp quang mô phỏng", "Modelled fiber nodes",
                     f"{s['fiber_nodes_modelled']} / {s.get('fiber_nodes')}", "", "text"))
    return rows


_UNIT_EN = {"đồng": "VND", "người/km²": "people/km²", "người": "people", "ngày": "days",
            "kWh/m²/ngày": "kWh/m²/day"}


def _assumption_text(value, unit: str, kind: str, lang: str) -> str:
    if kind == "text":
        return str(value)
    decimals = 1 if kind == "dec1" and not float(value).is_integer() else 0
    return f"{fmt_number(value, decimals, lang)} {unit if lang == 'vi' else _UNIT_EN.get(unit, unit)}"


def _assumptions_html(result) -> str:
    rows = "".join(
        f"<tr><td>{_bi(vi, en)}</td>"
        f"<td>{_bi(_assumption_text(v, u, k, 'vi'), _assumption_text(v, u, k, 'en'))}</td></tr>"
        for vi, en, v, u, k in _assumption_rows(result))
    return f"<table>{rows}</table>"


# ----------------------------------------------------------------------------------- xlsx
#: Excel number formats. Excel draws the grouping and decimal marks of the reader's locale,
#: so a Vietnamese Excel shows 1.234.567 and 12,5% (the [$-42A] tag marks the vi-VN locale).
XLSX_NUMBER_FORMATS = {
    "int": "[$-42A]#,##0",
    "dec1": "[$-42A]#,##0.0",
    "dec2": "[$-42A]#,##0.00",
    "vnd": '[$-42A]#,##0 "₫"',
    "pct": "[$-42A]0.0%",
    "deg": "[$-42A]0.000000",
    "id": "0",
}


def xlsx_kind(col: str, value) -> str:
    """The number format (a key of :data:`XLSX_NUMBER_FORMATS`) of a column's numbers."""
    if col in PERCENT_COLUMNS or col.startswith("share_"):
        return "pct"
    if col.endswith("_vnd"):
        return "vnd"
    if col in ("lon", "lat"):
        return "deg"
    if col in ("rank", "gap_id", "largest_gap_id", "sites", "code"):
        return "id"
    if col.startswith("w_"):
        return "dec2"
    if col.endswith(("_km", "_km2")):
        return "dec1"
    if isinstance(value, int | np.integer) or col.startswith("people") or col.endswith("_m") \
            or col in ("score", "score_people", "cells", "gaps", "sites_needed_est"):
        return "int"
    return "dec1"


def _write_sheet(wb, name: str, df: pd.DataFrame, headers: dict, formats: dict,
                 notes: dict | None = None) -> None:
    ws = wb.add_worksheet(name)
    cols = [c for c in headers if c in df.columns]
    for j, c in enumerate(cols):
        ws.write_string(0, j, sanitize_text(headers[c][0]), formats["head"])
        ws.set_column(j, j, max(10, min(40, len(headers[c][0]) + 2)))
        if notes and c in notes:
            ws.write_comment(0, j, sanitize_text(notes[c]))
    for i, rec in enumerate(df[cols].itertuples(index=False, name=None), start=1):
        for j, (c, v) in enumerate(zip(cols, rec, strict=True)):
            if isinstance(v, bool | np.bool_):
                ws.write_string(i, j, "có" if v else "không")
            elif isinstance(v, int | float | np.integer | np.floating):
                fv = float(v)
                if not math.isfinite(fv):
                    ws.write_blank(i, j, None)
                else:  # a number, shown in its format (shares as fractions in a % format)
                    ws.write_number(i, j, fv, formats[xlsx_kind(c, v)])
            elif v is None or (isinstance(v, float) and math.isnan(v)):
                ws.write_blank(i, j, None)
            else:
                text = _cell_text(c, v, "vi") if c in ("terrain", "backhaul", "source", "status", "power") \
                    else str(v)
                ws.write_string(i, j, sanitize_text(text))
    ws.freeze_panes(1, 0)


def column_notes(s: dict) -> dict[str, str]:
    """Header notes (xlsx comments): the assumptions behind a column's figures."""
    notes = {}
    if s.get("est_cost_note"):
        notes["est_cost_vnd"] = f"{s.get('est_cost_note_vi') or ''} / {s['est_cost_note']}"
        notes["sites_needed_est"] = notes["est_cost_vnd"]
    if s.get("fiber_nodes_modelled"):
        fib = (f"{s['fiber_nodes_modelled']}/{s.get('fiber_nodes')} điểm cáp quang là trụ sở xã mô phỏng / "
               f"{s['fiber_nodes_modelled']} of {s.get('fiber_nodes')} fiber nodes are MODELLED commune seats")
        for c in ("dist_fiber_km", "backhaul", "backhaul_cost_vnd"):
            notes[c] = fib
    if s.get("power_modelled"):
        notes["power"] = ("Vị trí lưới điện là MÔ PHỎNG / where the grid is, is MODELLED: "
                          f"{s.get('power_source')}")
    return notes


def write_priorities_xlsx(result, path: str | Path) -> Path:
    """Write ``priorities.xlsx``: gaps, proposals, communes, curve, assumptions (Vietnamese headers).

    Every number is a number cell with a display format (:data:`XLSX_NUMBER_FORMATS`): people
    as whole numbers, money in đồng, shares as percentages; no number is stored as text.
    """
    import xlsxwriter

    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "nan_inf_to_errors": False,
    })
    wb.set_properties({"title": "Ưu tiên xóa lõm sóng — Quảng Trị", "author": "lomsong",
                       "created": FIXED_CREATED, "comments": "lomsong"})
    formats = {"head": wb.add_format({"bold": True, "bg_color": "#EEEEEE", "text_wrap": True})}
    formats.update({k: wb.add_format({"num_format": f}) for k, f in XLSX_NUMBER_FORMATS.items()})
    t = tables(result)
    notes = column_notes(result.summary)
    _write_sheet(wb, "Vùng lõm", t["gaps"], GAP_HEADERS, formats, notes)
    _write_sheet(wb, "Đề xuất trạm", t["proposals"], PROPOSAL_HEADERS, formats, notes)
    _write_sheet(wb, "Theo xã", t["communes"], commune_headers(t["communes"]), formats)
    _write_sheet(wb, "Đường cong phủ sóng", t["curve"], CURVE_HEADERS, formats)
    if "villages" in t:
        _write_sheet(wb, "Thôn bản", t["villages"], VILLAGE_HEADERS, formats)
    ws = wb.add_worksheet("Giả định")
    for j, head in enumerate(("Giả định", "Assumption", "Giá trị", "Đơn vị")):
        ws.write_string(0, j, head, formats["head"])
    ws.set_column(0, 1, 28)
    ws.set_column(2, 2, 18)
    rows = _assumption_rows(result)
    for i, (vi, en, v, unit, kind) in enumerate(rows, start=1):
        ws.write_string(i, 0, sanitize_text(vi))
        ws.write_string(i, 1, sanitize_text(en))
        if kind == "text":
            ws.write_string(i, 2, sanitize_text(v))
        else:
            ws.write_number(i, 2, float(v), formats[kind])
        ws.write_string(i, 3, sanitize_text(unit))
    s = result.summary
    if s.get("warning"):
        ws.write_string(len(rows) + 2, 0, sanitize_text(s.get("warning_vi") or ""))
        ws.write_string(len(rows) + 2, 1, sanitize_text(s["warning"]))
    wb.close()
    return path
