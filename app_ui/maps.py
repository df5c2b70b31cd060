"""Folium maps of the analysis results that draw with no Internet at all.

Leaflet and its marker-cluster plugin are vendored under ``app_ui/static/`` and passed to
the browser as ``data:`` URLs, so a provincial office behind a firewall (or a test with no
network) still sees every layer; the OpenStreetMap base tiles are an optional extra layer.
No colour scale here needs d3 (branca colormaps would pull it from a CDN): legends are
plain HTML controls.

This module only *draws*: every number it shows comes from the library's results.
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.plugins import FastMarkerCluster
from jinja2 import Template
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.transform import array_bounds
from rasterio.warp import calculate_default_transform, reproject

from app_ui.formatting import fmt_dbm, fmt_int, fmt_num, fmt_pct, fmt_vnd
from app_ui.i18n import t, terrain_label

__all__ = [
    "STATIC_DIR",
    "TERRAIN_COLOURS",
    "UNCOVERED_BINS",
    "UNCOVERED_COLOURS",
    "MapData",
    "asset_links",
    "localize_assets",
    "rsrp_bins",
    "rsrp_rgba",
    "rsrp_overlay",
    "uncovered_colour",
    "build_map",
    "bounds_of",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
WEB_MERCATOR = CRS.from_epsg(3857)
MAX_OVERLAY_PX = 1400  # longest side of the RSRP image sent to the browser
MIN_ZOOM, MAX_ZOOM = 6, 18  # without tiles Leaflet has no zoom range: marker clusters need one
MAX_MARKERS = 20_000  # more stations than this are thinned on the map (all stay in tables)

#: Outline colour of a commune by terrain class (ColorBrewer BrBG ends + grey).
TERRAIN_COLOURS = {
    "mountain": "#8c510a",
    "coastal": "#2166ac",
    "island": "#01665e",
    "plain": "#6b6b6b",
}
#: Share of people uncovered: class upper edges and fills (ColorBrewer YlOrRd, 5 classes).
UNCOVERED_BINS = (0.05, 0.10, 0.20, 0.40, 1.0)
UNCOVERED_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_RESULT_FILL = "#d9d9d9"
#: RSRP classes relative to the threshold: below, +0–10, +10–20, +20–30, > +30 dB.
RSRP_COLOURS = ("#d7301f", "#fee08b", "#a6d96a", "#66bd63", "#1a9850")
RSRP_STEP_DB = 10.0
NO_SIGNAL_DBM = -999.0  # stands for "nothing reaches" inside the analysed area when drawing
GAP_COLOUR = "#7a0177"
PROPOSAL_COLOUR = "#0050b3"
FIBER_COLOUR = "#e66101"
TECH_COLOURS = {"5G": "#6a3d9a", "4G": "#1f78b4", "3G": "#33a02c", "2G": "#b15928"}

_ASSETS_JS = (("leaflet", "leaflet.js"), ("markercluster", "leaflet.markercluster.js"))
_ASSETS_CSS = (
    ("leaflet_css", "leaflet.css"),
    ("markercluster_css", "MarkerCluster.css"),
    ("markercluster_default_css", "MarkerCluster.Default.css"),
)


# ------------------------------------------------------------------ offline assets
@cache
def _data_url(name: str, mime: str) -> str:
    data = (STATIC_DIR / name).read_bytes()
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def asset_links() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(js, css)`` lists of ``(name, data URL)`` for the vendored Leaflet files."""
    js = [(n, _data_url(f, "text/javascript")) for n, f in _ASSETS_JS]
    css = [(n, _data_url(f, "text/css")) for n, f in _ASSETS_CSS]
    return js, css


def localize_assets(m: folium.Map) -> folium.Map:
    """Point every element of ``m`` at the vendored Leaflet files instead of CDNs.

    Only Leaflet and the marker-cluster plugin are loaded; the maps built here use
    nothing else (no Bootstrap, no Font Awesome markers, no d3 legends).
    """
    js, css = asset_links()
    leaflet_js, cluster_js = [js[0]], [js[1]]
    leaflet_css, cluster_css = [css[0]], css[1:]

    def walk(el):
        yield el
        for child in getattr(el, "_children", {}).values():
            yield from walk(child)

    for el in walk(m):
        if not hasattr(el, "default_js"):
            continue
        if el is m:
            el.default_js, el.default_css = list(leaflet_js), list(leaflet_css)
        elif isinstance(el, folium.plugins.MarkerCluster):
            el.default_js, el.default_css = list(cluster_js), list(cluster_css)
        else:
            el.default_js, el.default_css = [], []
    return m


# ------------------------------------------------------------------ colours
def uncovered_colour(share) -> str:
    """Fill colour of a commune from its share of people uncovered (grey: no result)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return NO_RESULT_FILL
    for edge, colour in zip(UNCOVERED_BINS, UNCOVERED_COLOURS, strict=True):
        if share <= edge:
            return colour
    return UNCOVERED_COLOURS[-1]


def rsrp_bins(threshold_dbm: float) -> list[tuple[float, float, str]]:
    """``(low_dbm, high_dbm, colour)`` classes: below threshold, then 10 dB steps."""
    edges = [-math.inf] + [threshold_dbm + RSRP_STEP_DB * k for k in range(4)] + [math.inf]
    return [(edges[i], edges[i + 1], RSRP_COLOURS[i]) for i in range(len(RSRP_COLOURS))]


def rsrp_rgba(
    rsrp_dbm: np.ndarray, threshold_dbm: float, alpha: int = 170, inside: np.ndarray | None = None,
) -> np.ndarray:
    """RGBA image (uint8, H×W×4) of an RSRP array.

    Without ``inside``, NaN (no signal) is transparent. With ``inside`` (a boolean mask of
    the analysed area), cells outside it are transparent and NaN cells inside it take the
    below-threshold colour: no signal at all is drawn like too weak a signal.
    """
    out = np.zeros((*rsrp_dbm.shape, 4), dtype=np.uint8)
    valid = np.isfinite(rsrp_dbm)
    level = np.where(valid, rsrp_dbm, -np.inf)
    if inside is None:
        inside = valid
    for low, high, colour in rsrp_bins(threshold_dbm):
        sel = inside & (level >= low) & (level < high)
        rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        out[sel, :3] = rgb
        out[sel, 3] = alpha
    return out


def rsrp_overlay(
    rsrp_dbm: np.ndarray, transform, crs, threshold_dbm: float, max_px: int = MAX_OVERLAY_PX,
    inside: np.ndarray | None = None,
) -> tuple[np.ndarray, list[list[float]]]:
    """An RSRP raster warped to Web Mercator for a Leaflet image overlay.

    Returns the RGBA image and its ``[[south, west], [north, east]]`` bounds; Leaflet
    stretches an image linearly in Web Mercator, so warping to EPSG:3857 first places
    every pixel where it belongs. ``inside`` (same shape, bool) limits the drawing to the
    analysed area (see :func:`rsrp_rgba`).
    """
    src = np.asarray(rsrp_dbm, dtype=np.float32)
    if inside is not None:
        # NaN inside → a level below every class edge; outside → NaN (transparent)
        src = np.where(np.asarray(inside, bool), np.nan_to_num(src, nan=NO_SIGNAL_DBM), np.nan)
        src = src.astype(np.float32)
    height, width = src.shape
    left, bottom, right, top = array_bounds(height, width, transform)
    dst_transform, dst_w, dst_h = calculate_default_transform(
        crs, WEB_MERCATOR, width, height, left, bottom, right, top
    )
    scale = max(dst_w, dst_h) / max_px
    if scale > 1:
        dst_w, dst_h = max(1, int(dst_w / scale)), max(1, int(dst_h / scale))
        dst_transform, dst_w, dst_h = calculate_default_transform(
            crs, WEB_MERCATOR, width, height, left, bottom, right, top,
            dst_width=dst_w, dst_height=dst_h,
        )
    dst = np.full((dst_h, dst_w), np.nan, dtype=np.float32)
    reproject(
        src, dst, src_transform=transform, src_crs=crs, src_nodata=np.nan,
        dst_transform=dst_transform, dst_crs=WEB_MERCATOR, dst_nodata=np.nan,
        resampling=Resampling.nearest,
    )
    w, s, e, n = array_bounds(dst_h, dst_w, dst_transform)
    lon, lat = _merc_to_lonlat(np.array([w, e]), np.array([s, n]))
    return rsrp_rgba(dst, threshold_dbm), [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


def _merc_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = 6378137.0  # EPSG:3857 sphere radius
    lon = np.degrees(x / r)
    lat = np.degrees(2 * np.arctan(np.exp(y / r)) - math.pi / 2)
    return lon, lat


# ------------------------------------------------------------------ legend control
class HtmlLegend(MacroElement):
    """A Leaflet control holding static HTML (no external script needed)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function() {
                var div = L.DomUtil.create('div', 'lomsong-legend');
                div.style.cssText = 'background: rgba(255,255,255,0.92); padding: 4px 7px;'
                    + ' font: 11px/1.2 sans-serif; border-radius: 4px;'
                    + ' box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 240px;';
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str = "bottomright"):
        super().__init__()
        self._name = "HtmlLegend"
        self.html = html_text
        self.position = position


def _swatch(colour: str, label: str, outline: bool = False) -> str:
    style = (
        f"border: 2px solid {colour}; background: transparent;" if outline else f"background: {colour};"
    )
    return (
        f'<div><span style="display:inline-block;width:12px;height:9px;{style}'
        f'margin-right:6px;vertical-align:middle"></span>{html.escape(label)}</div>'
    )


def legend_html(threshold_dbm: float | None, lang: str, show_rsrp: bool = True) -> str:
    """The legend: share uncovered, terrain outlines and (optionally) RSRP classes."""
    parts = [f"<b>{html.escape(t('legend_uncovered', lang))}</b>"]
    lows = (0.0, *UNCOVERED_BINS[:-1])
    for low, high, colour in zip(lows, UNCOVERED_BINS, UNCOVERED_COLOURS, strict=True):
        parts.append(_swatch(colour, f"{fmt_pct(low, 0, lang)}–{fmt_pct(high, 0, lang)}"))
    parts.append(f"<b>{html.escape(t('legend_terrain', lang))}</b>")
    for cls, colour in TERRAIN_COLOURS.items():
        parts.append(_swatch(colour, terrain_label(cls, lang), outline=True))
    if show_rsrp and threshold_dbm is not None:
        parts.append(f"<b>{html.escape(t('legend_rsrp', lang))}</b>")
        for low, high, colour in reversed(rsrp_bins(threshold_dbm)):
            if math.isinf(low):
                label = f"< {fmt_dbm(high, lang)}"
            elif math.isinf(high):
                label = f"≥ {fmt_dbm(low, lang)}"
            else:
                label = f"{fmt_dbm(low, lang)} … {fmt_dbm(high, lang)}"
            parts.append(_swatch(colour, label))
    return "".join(parts)


# ------------------------------------------------------------------ the map
@dataclass
class MapData:
    """What a map shows; every layer is optional.

    ``communes`` carries ``code, name, terrain`` and, when results exist,
    ``people_total, people_uncovered, share_uncovered``; ``rsrp_dbm`` is on the grid
    given by ``rsrp_transform`` / ``rsrp_crs``. All vector layers are EPSG:4326.
    """

    communes: gpd.GeoDataFrame | None = None
    province: gpd.GeoDataFrame | None = None
    rsrp_dbm: np.ndarray | None = None
    rsrp_transform: object = None
    rsrp_crs: object = None
    threshold_dbm: float | None = None
    gaps: gpd.GeoDataFrame | None = None
    stations: gpd.GeoDataFrame | None = None
    proposals: gpd.GeoDataFrame | None = None
    fiber_nodes: gpd.GeoDataFrame | None = None
    fiber_routes: gpd.GeoDataFrame | None = None
    rsrp_image: tuple | None = None  # a ready :func:`rsrp_overlay` result (cached by the caller)


def bounds_of(gdf: gpd.GeoDataFrame, pad_deg: float = 0.0) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of a layer (EPSG:4326), padded."""
    w, s, e, n = gdf.to_crs(4326).total_bounds
    return [[float(s) - pad_deg, float(w) - pad_deg], [float(n) + pad_deg, float(e) + pad_deg]]


def _has(gdf) -> bool:
    return gdf is not None and len(gdf) > 0


def _num(row, col):
    v = row.get(col) if hasattr(row, "get") else None
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _communes_layer(communes: gpd.GeoDataFrame, lang: str) -> folium.GeoJson:
    cols = ["code", "name", "terrain", "people_total", "people_uncovered", "share_uncovered"]
    gdf = communes[[c for c in cols if c in communes.columns] + ["geometry"]].copy()
    features = []
    for row in gdf.itertuples(index=False):
        d = row._asdict()
        share = d.get("share_uncovered")
        share = float(share) if share is not None and pd.notna(share) else None
        terrain = str(d.get("terrain") or "plain")
        tip = f"<b>{html.escape(str(d.get('name', '')))}</b> — {html.escape(terrain_label(terrain, lang))}"
        if share is not None:
            tip += (
                f"<br>{html.escape(t('people_uncovered', lang))}: "
                f"{fmt_int(d.get('people_uncovered'), lang)} / {fmt_int(d.get('people_total'), lang)}"
                f" ({fmt_pct(share, 1, lang)})"
            )
        features.append(
            {
                "type": "Feature",
                "geometry": d["geometry"].__geo_interface__,
                "properties": {
                    "code": str(d.get("code", "")),
                    "name": str(d.get("name", "")),
                    "fill": uncovered_colour(share),
                    "edge": TERRAIN_COLOURS.get(terrain, TERRAIN_COLOURS["plain"]),
                    "tip": tip,
                },
            }
        )
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=t("layer_communes", lang),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": f["properties"]["edge"],
            "weight": 1.6,
            "fillOpacity": 0.55,
        },
        highlight_function=lambda f: {"weight": 3.5, "fillOpacity": 0.75},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    )


def _station_popup(row: dict, lang: str) -> str:
    lines = [f"<b>{html.escape(str(row.get('station_id', '')))}</b>"]
    for key, col, fmt in (
        ("popup_operator", "operator", str),
        ("popup_tech", "technology", str),
        ("popup_band", "band_mhz", lambda v: f"{fmt_num(v, 0, lang)} MHz"),
        ("popup_height", "height_m", lambda v: f"{fmt_num(v, 0, lang)} m"),
    ):
        v = row.get(col)
        if v is not None and not (isinstance(v, float) and math.isnan(v)):
            lines.append(f"{html.escape(t(key, lang))}: {html.escape(fmt(v))}")
    assumed = row.get("assumed")
    if isinstance(assumed, str) and assumed:
        lines.append(f"{html.escape(t('popup_assumed', lang))}: {html.escape(assumed)}")
    if bool(row.get("modelled", False)):
        lines.append(f"<i>{html.escape(t('popup_modelled', lang))}</i>")
    return "<br>".join(lines)


_STATION_CALLBACK = """
function (row) {
    var m = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 5, color: '#ffffff', weight: 1, fillColor: row[3], fillOpacity: 0.95});
    m.bindPopup(row[2]);
    return m;
}
"""


def _stations_layer(stations: gpd.GeoDataFrame, lang: str) -> FastMarkerCluster:
    pts = stations.to_crs(4326)
    if len(pts) > MAX_MARKERS:
        pts = pts.iloc[:: math.ceil(len(pts) / MAX_MARKERS)]
    keep = [c for c in ("station_id", "operator", "technology", "band_mhz", "height_m",
                        "assumed", "modelled") if c in pts.columns]
    records = pts[keep].to_dict("records")
    data = [
        [round(float(g.y), 6), round(float(g.x), 6), _station_popup(r, lang),
         TECH_COLOURS.get(str(r.get("technology")), "#444444")]
        for g, r in zip(pts.geometry, records, strict=True)
        if g is not None and not g.is_empty
    ]
    return FastMarkerCluster(data, callback=_STATION_CALLBACK, name=t("layer_stations", lang))


def _gaps_layer(gaps: gpd.GeoDataFrame, lang: str) -> folium.GeoJson:
    gdf = gaps.to_crs(4326)
    tips = []
    for _, r in gdf.iterrows():
        tip = f"<b>#{fmt_int(_num(r, 'rank'), lang)}</b> — {fmt_int(_num(r, 'people_uncovered'), lang)} " + html.escape(
            t("people_uncovered", lang).lower()
        )
        if "communes" in gdf.columns:
            tip += f"<br>{html.escape(str(r['communes']))}"
        if "terrain" in gdf.columns:
            tip += f"<br>{html.escape(terrain_label(str(r['terrain']), lang))}"
        tips.append(tip)
    layer = gpd.GeoDataFrame({"tip": tips}, geometry=gdf.geometry.values, crs=4326)
    return folium.GeoJson(
        layer.__geo_interface__,
        name=t("layer_gaps", lang),
        style_function=lambda f: {
            "color": GAP_COLOUR, "weight": 1.5, "fillColor": GAP_COLOUR, "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    )


class _NumberedMarkers(MacroElement):
    """Numbered round markers with popups, in plain Leaflet (folium's Popup needs jQuery)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.rows|tojson }}.forEach(function (r) {
            var icon = L.divIcon({className: 'lomsong-rank', iconSize: [24, 24], iconAnchor: [12, 12],
                html: '<div style="background:' + {{ this.colour|tojson }} + ';color:#fff;'
                    + 'border:2px solid #fff;border-radius:50%;width:24px;height:24px;line-height:20px;'
                    + 'text-align:center;font:bold 12px sans-serif;box-shadow:0 0 3px #000">'
                    + r[2] + '</div>'});
            L.marker([r[0], r[1]], {icon: icon}).bindPopup(r[3]).bindTooltip('#' + r[2])
                .addTo({{ this._parent.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(self, rows: list, colour: str):
        super().__init__()
        self._name = "NumberedMarkers"
        self.rows = rows
        self.colour = colour


def _proposals_layer(proposals: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=t("layer_proposals", lang))
    pts = proposals.to_crs(4326)
    rows = []
    for _, r in pts.iterrows():
        g = r.geometry
        if g is None or g.is_empty:
            continue
        rank = int(_num(r, "rank")) if math.isfinite(_num(r, "rank")) else 0
        lines = [f"<b>{html.escape(t('popup_rank', lang))} {rank}</b>"]
        if "commune" in pts.columns:
            lines.append(html.escape(str(r["commune"])))
        if "people_new" in pts.columns:
            lines.append(f"{html.escape(t('people_new', lang))}: {fmt_int(_num(r, 'people_new'), lang)}")
        if "backhaul" in pts.columns:
            lines.append(f"{html.escape(t('popup_backhaul', lang))}: {html.escape(str(r['backhaul']))}")
        if "cost_vnd" in pts.columns:
            lines.append(f"{html.escape(t('popup_cost', lang))}: {fmt_vnd(_num(r, 'cost_vnd'), lang)}")
        rows.append([round(float(g.y), 6), round(float(g.x), 6), rank, "<br>".join(lines)])
    _NumberedMarkers(rows, PROPOSAL_COLOUR).add_to(fg)
    return fg


def _fiber_layer(nodes, routes, lang: str) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=t("layer_fiber", lang), show=False)
    if _has(routes):
        folium.GeoJson(
            routes.to_crs(4326)[["geometry"]].__geo_interface__,
            style_function=lambda f: {"color": FIBER_COLOUR, "weight": 2, "dashArray": "6 4"},
        ).add_to(fg)
    if _has(nodes):
        pts = nodes.to_crs(4326)
        pts = gpd.GeoDataFrame(geometry=pts.geometry.representative_point().values, crs=4326)
        folium.GeoJson(
            pts.__geo_interface__,
            marker=folium.CircleMarker(radius=3, color=FIBER_COLOUR, weight=1, fill=True,
                                       fill_color=FIBER_COLOUR, fill_opacity=1.0),
        ).add_to(fg)
    return fg


def build_map(
    data: MapData,
    lang: str = "vi",
    basemap: bool = False,
    focus: list[list[float]] | None = None,
    height_px: int = 640,
) -> folium.Map:
    """The main map: communes, RSRP overlay, gaps, stations, proposals, fiber.

    Parameters
    ----------
    data : MapData
    lang : str
        ``vi`` or ``en`` for layer names, tooltips, popups and legend.
    basemap : bool
        Add OpenStreetMap tiles (needs the Internet; the data draws without them).
    focus : bounds, optional
        ``[[south, west], [north, east]]`` to zoom to (e.g. a selected gap); default the
        province (or the communes).
    """
    m = folium.Map(
        tiles=None, control_scale=True, prefer_canvas=False, height=height_px,
        zoom_start=9, location=[17.0, 106.6],
    )
    m.options["minZoom"], m.options["maxZoom"] = MIN_ZOOM, MAX_ZOOM
    m.options["zoomSnap"] = 0.25  # fit the province snugly
    # Leaflet's keyboard handler focuses the map on mousedown; inside the Streamlit iframe
    # that scrolls the page under the pointer and the click lands elsewhere.
    m.options["keyboard"] = False
    if basemap:
        folium.TileLayer(
            "OpenStreetMap", name=t("layer_osm", lang), attr="© OpenStreetMap contributors",
        ).add_to(m)
    if _has(data.province):
        folium.GeoJson(
            data.province.to_crs(4326)[["geometry"]].__geo_interface__,
            name=t("layer_province", lang),
            style_function=lambda f: {
                "color": "#333333", "weight": 2, "fillColor": "#f2efe6", "fillOpacity": 0.6,
            },
            interactive=False,
        ).add_to(m)
    if _has(data.communes):
        _communes_layer(data.communes, lang).add_to(m)
    has_rsrp = data.rsrp_image is not None or (
        data.rsrp_dbm is not None and data.threshold_dbm is not None
    )
    if has_rsrp:
        img, bounds = data.rsrp_image or rsrp_overlay(
            data.rsrp_dbm, data.rsrp_transform, data.rsrp_crs, data.threshold_dbm
        )
        folium.raster_layers.ImageOverlay(
            img, bounds=bounds, name=t("layer_rsrp", lang), opacity=0.75, mercator_project=False,
            interactive=False, zindex=2,
        ).add_to(m)
    if _has(data.gaps):
        _gaps_layer(data.gaps, lang).add_to(m)
    if _has(data.fiber_nodes) or _has(data.fiber_routes):
        _fiber_layer(data.fiber_nodes, data.fiber_routes, lang).add_to(m)
    if _has(data.stations):
        _stations_layer(data.stations, lang).add_to(m)
    if _has(data.proposals):
        _proposals_layer(data.proposals, lang).add_to(m)
    HtmlLegend(legend_html(data.threshold_dbm, lang, has_rsrp)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if focus is None:
        for layer in (data.province, data.communes):
            if _has(layer):
                focus = bounds_of(layer)
                break
    if focus is not None:
        m.fit_bounds(focus)
    return localize_assets(m)


def feature_collection_json(gdf: gpd.GeoDataFrame) -> str:
    """A layer as GeoJSON text (EPSG:4326), for downloads."""
    return json.dumps(gdf.to_crs(4326).__geo_interface__, ensure_ascii=False, default=str)
