"""Folium maps of the analysis results that draw with no Internet at all.

Leaflet and its marker-cluster plugin are vendored under ``app_ui/static/`` and passed to
the browser as ``data:`` URLs, so a provincial office behind a firewall (or a test with no
network) still sees every layer. The default background is drawn from the embedded data
(land and sea, the province outline, coastline, main roads); the OpenStreetMap tiles are a
second base layer one click away in the layer control.

Cartography (issue #18, item 2), bottom to top: background; the optional commune choropleth
(share uncovered, ColorBrewer YlOrBr); the modelled signal (or data speed) as a continuous
raster in a colour-blind-safe sequential palette (viridis / cividis, Nuñez et al. 2018); the
commune outlines, always (they take the clicks); coverage gaps as outlined, hatched polygons,
with a ring at each gap's centre so small gaps show at province zoom; small neutral station
dots (they let clicks through to the communes until zoomed in); distinct numbered squares for
proposals; villages and drive-test residuals in Okabe–Ito / ColorBrewer RdBu colours.
Legends are HTML controls at ≥ 12 px in the bottom-left corner (the layer control is top
right), folded on narrow screens, as is the layer control.

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
from folium.template import Template as FoliumTemplate
from jinja2 import Template
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.transform import array_bounds
from rasterio.warp import calculate_default_transform, reproject

from analysis.villages import STATUS_COLOURS
from app_ui.formatting import fmt_dbm, fmt_int, fmt_num, fmt_pct, fmt_vnd
from app_ui.i18n import t, terrain_label

__all__ = [
    "STATIC_DIR",
    "UNCOVERED_BINS",
    "UNCOVERED_COLOURS",
    "SIGNAL_SPAN_DB",
    "SPEED_RANGE_MBPS",
    "VILLAGE_COLOURS",
    "RESIDUAL_BINS_DB",
    "RESIDUAL_COLOURS",
    "MapData",
    "asset_links",
    "localize_assets",
    "palette_lut",
    "continuous_rgba",
    "rsrp_rgba",
    "speed_rgba",
    "raster_overlay",
    "rsrp_overlay",
    "uncovered_colour",
    "residual_colour",
    "legend_html",
    "build_map",
    "bounds_of",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
WEB_MERCATOR = CRS.from_epsg(3857)
MAX_OVERLAY_PX = 1400  # longest side of the RSRP image sent to the browser
MIN_ZOOM, MAX_ZOOM = 6, 18  # without tiles Leaflet has no zoom range: marker clusters need one
MAX_MARKERS = 5_000  # more points than this are thinned on the map (all stay in tables)

#: Share of people uncovered: class upper edges and fills (ColorBrewer YlOrBr, 5 classes).
UNCOVERED_BINS = (0.05, 0.10, 0.20, 0.40, 1.0)
UNCOVERED_COLOURS = ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404")
NO_RESULT_FILL = "#d9d9d9"
#: The signal raster spans threshold … threshold + this (dB), in :data:`SIGNAL_PALETTE`.
SIGNAL_SPAN_DB = 40.0
SIGNAL_PALETTE = "viridis"  # perceptually uniform, colour-blind safe (van der Walt & Smith 2015)
#: Data speed drawn on a log scale between these (Mbit/s), in :data:`SPEED_PALETTE`.
SPEED_RANGE_MBPS = (1.0, 100.0)
SPEED_PALETTE = "cividis"  # optimised for colour-vision deficiency (Nuñez et al. 2018)
BELOW_COLOUR = "#9e9e9e"  # below the threshold / under 1 Mbit/s, inside the analysed area
RASTER_ALPHA = 200
BELOW_ALPHA = 110  # the "below threshold" grey lets the background show through
NO_SIGNAL_DBM = -999.0  # stands for "nothing reaches" inside the analysed area when drawing
OUTLINE_COLOUR = "#3d3d3d"
GAP_COLOUR = "#c51b7d"  # PiYG magenta: apart from viridis, YlOrBr and the neutral stations
STATION_COLOUR = "#4d4d4d"
PROPOSAL_COLOUR = "#08306b"
FIBER_COLOUR = "#e66101"
SEA_COLOUR = "#dce9f2"
LAND_COLOUR = "#f3f1ea"
PROVINCE_FILL = "#ffffff"
ROAD_COLOUR = "#b8a89a"
COAST_COLOUR = "#7fa7c4"
#: Village status → colour: the one constant of :data:`analysis.villages.STATUS_COLOURS`
#: (Okabe–Ito, colour-blind safe).
VILLAGE_COLOURS = STATUS_COLOURS
VILLAGE_OTHER = "#999999"
#: Drive-test residual (measured − modelled, dB) class edges and colours (ColorBrewer RdBu).
RESIDUAL_BINS_DB = (-10.0, -3.0, 3.0, 10.0)
RESIDUAL_COLOURS = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")
PASSIVE_BELOW_ZOOM = 12  # stations let clicks through to the communes below this zoom
NARROW_PX = 700  # a map narrower than this starts with the layer control and legend folded

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


def residual_colour(residual_db) -> str:
    """Colour of a drive-test point from its residual (measured − modelled, dB)."""
    try:
        v = float(residual_db)
    except (TypeError, ValueError):
        return VILLAGE_OTHER
    if not math.isfinite(v):
        return VILLAGE_OTHER
    i = int(np.searchsorted(np.asarray(RESIDUAL_BINS_DB), v, side="right"))
    return RESIDUAL_COLOURS[i]


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb[:3])


def _rgb(colour: str) -> list[int]:
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


@cache
def palette_lut(name: str, n: int = 256) -> np.ndarray:
    """``n`` × 3 uint8 colours of a matplotlib sequential palette (``viridis``, ``cividis``)."""
    from matplotlib import colormaps

    cmap = colormaps[name].resampled(n)
    return np.round(cmap(np.arange(n))[:, :3] * 255).astype(np.uint8)


def continuous_rgba(
    values: np.ndarray, low: float, high: float, palette: str, inside: np.ndarray | None = None,
    log: bool = False, alpha: int = RASTER_ALPHA,
) -> np.ndarray:
    """RGBA image (uint8, H×W×4) of a continuous raster in a sequential palette.

    ``low`` … ``high`` spans the palette (clipped beyond ``high``); values below ``low`` take
    :data:`BELOW_COLOUR`. Without ``inside``, NaN is transparent; with ``inside`` (the analysed
    area, bool) cells outside it are transparent and NaN inside it counts as below ``low``.
    ``log``: the palette runs over ``log10`` of the values (data speed).
    """
    v = np.asarray(values, dtype=np.float64)
    valid = np.isfinite(v)
    area = valid if inside is None else np.asarray(inside, dtype=bool)
    out = np.zeros((*v.shape, 4), dtype=np.uint8)
    lut = palette_lut(palette)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = (math.log10(low), math.log10(high)) if log else (low, high)
        x = np.log10(np.where(v > 0, v, np.nan)) if log else v
        frac = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        above = area & valid & (v >= low)
    idx = np.round(np.nan_to_num(frac) * (len(lut) - 1)).astype(np.intp)
    out[above, :3] = lut[idx[above]]
    below = area & ~above
    out[below, :3] = _rgb(BELOW_COLOUR)
    out[above, 3] = alpha
    out[below, 3] = min(alpha, BELOW_ALPHA)
    return out


def rsrp_rgba(
    rsrp_dbm: np.ndarray, threshold_dbm: float, alpha: int = RASTER_ALPHA,
    inside: np.ndarray | None = None,
) -> np.ndarray:
    """The signal raster: viridis from the threshold to threshold + :data:`SIGNAL_SPAN_DB`,
    grey below it (:func:`continuous_rgba`)."""
    return continuous_rgba(rsrp_dbm, threshold_dbm, threshold_dbm + SIGNAL_SPAN_DB, SIGNAL_PALETTE,
                           inside=inside, alpha=alpha)


def speed_rgba(mbps: np.ndarray, inside: np.ndarray | None = None, alpha: int = RASTER_ALPHA) -> np.ndarray:
    """The data-speed raster: cividis over log 1–100 Mbit/s, grey under 1 Mbit/s."""
    return continuous_rgba(mbps, *SPEED_RANGE_MBPS, SPEED_PALETTE, inside=inside, log=True, alpha=alpha)


def raster_overlay(
    values: np.ndarray, transform, crs, to_rgba, max_px: int = MAX_OVERLAY_PX,
    inside: np.ndarray | None = None, outside_value: float = NO_SIGNAL_DBM,
) -> tuple[np.ndarray, list[list[float]]]:
    """A grid raster warped to Web Mercator for a Leaflet image overlay.

    Returns the RGBA image (``to_rgba(warped)``) and its ``[[south, west], [north, east]]``
    bounds; Leaflet stretches an image linearly in Web Mercator, so warping to EPSG:3857 first
    places every pixel where it belongs. ``inside`` (same shape, bool) limits the drawing to
    the analysed area: NaN inside becomes ``outside_value`` (drawn as "below"), outside NaN.
    """
    src = np.asarray(values, dtype=np.float32)
    if inside is not None:
        src = np.where(np.asarray(inside, bool), np.nan_to_num(src, nan=outside_value), np.nan)
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
    return to_rgba(dst), [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


def rsrp_overlay(
    rsrp_dbm: np.ndarray, transform, crs, threshold_dbm: float, max_px: int = MAX_OVERLAY_PX,
    inside: np.ndarray | None = None,
) -> tuple[np.ndarray, list[list[float]]]:
    """The signal raster for the map (:func:`raster_overlay` with :func:`rsrp_rgba`)."""
    return raster_overlay(rsrp_dbm, transform, crs, lambda a: rsrp_rgba(a, threshold_dbm),
                          max_px=max_px, inside=inside)


def speed_overlay(mbps: np.ndarray, transform, crs, max_px: int = MAX_OVERLAY_PX,
                  inside: np.ndarray | None = None) -> tuple[np.ndarray, list[list[float]]]:
    """The data-speed raster for the map (:func:`raster_overlay` with :func:`speed_rgba`)."""
    return raster_overlay(mbps, transform, crs, speed_rgba, max_px=max_px, inside=inside,
                          outside_value=0.0)


def _merc_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = 6378137.0  # EPSG:3857 sphere radius
    lon = np.degrees(x / r)
    lat = np.degrees(2 * np.arctan(np.exp(y / r)) - math.pi / 2)
    return lon, lat


# ------------------------------------------------------------------ legend and map behaviour
class HtmlLegend(MacroElement):
    """A Leaflet control holding static HTML, folded (a <details>) on narrow maps."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function() {
                var div = L.DomUtil.create('div', 'lomsong-legend');
                div.style.cssText = 'background: rgba(255,255,255,0.94); padding: 5px 8px;'
                    + ' font: 12px/1.35 sans-serif; border-radius: 4px; color: #222;'
                    + ' box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 250px;'
                    + ' max-height: calc(100vh - 150px); overflow-y: auto;';
                var open = window.innerWidth >= {{ this.narrow_px }} ? ' open' : '';
                div.innerHTML = '<details' + open + '><summary style="cursor:pointer;font-weight:bold">'
                    + {{ this.title|tojson }} + '</summary>' + {{ this.html|tojson }} + '</details>';
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, title: str = "", position: str = "bottomleft",
                 narrow_px: int = NARROW_PX):
        super().__init__()
        self._name = "HtmlLegend"
        self.html = html_text
        self.title = title
        self.position = position
        self.narrow_px = narrow_px


class _MapBehaviour(MacroElement):
    """Hatch pattern for gaps, sea colour, click feedback, stations passive at low zoom."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .leaflet-container { background: {{ this.sea }}; }
          .lomsong-passive .leaflet-lomsong-stations-pane path { pointer-events: none !important; }
          .lomsong-busy { position: absolute; left: 50%; top: 12px; transform: translateX(-50%);
            z-index: 1000; background: #08306b; color: #fff; font: bold 14px/1.3 sans-serif;
            padding: 8px 14px; border-radius: 4px; box-shadow: 0 1px 6px rgba(0,0,0,.4);
            pointer-events: none; }
          .leaflet-control-layers { font: 13px/1.4 sans-serif; }
          .leaflet-control-layers-toggle { width: 40px; height: 40px; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            window.map = map;
            var svgns = 'http://www.w3.org/2000/svg';
            var defs = document.createElementNS(svgns, 'svg');
            defs.setAttribute('width', '0'); defs.setAttribute('height', '0');
            defs.style.position = 'absolute';
            defs.innerHTML = '<defs><pattern id="lomsong-hatch" patternUnits="userSpaceOnUse" '
                + 'width="7" height="7" patternTransform="rotate(45)">'
                + '<rect width="7" height="7" fill="{{ this.gap }}" fill-opacity="0.18"></rect>'
                + '<line x1="0" y1="0" x2="0" y2="7" stroke="{{ this.gap }}" stroke-width="3"></line>'
                + '</pattern></defs>';
            map.getContainer().appendChild(defs);
            function passive() {
                var c = map.getContainer();
                if (map.getZoom() < {{ this.passive_below }}) { c.classList.add('lomsong-passive'); }
                else { c.classList.remove('lomsong-passive'); }
            }
            map.on('zoomend', passive);
            map.whenReady(passive);
            // a click on a gap (drawn above the communes) selects the commune under it
            function inside(pt, ring) {
                var x = pt.lng, y = pt.lat, hit = false;
                for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
                    var xi = ring[i].lng, yi = ring[i].lat, xj = ring[j].lng, yj = ring[j].lat;
                    if (((yi > y) !== (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi)) { hit = !hit; }
                }
                return hit;
            }
            function rings(latlngs) {  // outer rings of a (multi)polygon's latlngs
                if (!latlngs.length) { return []; }
                if (latlngs[0].lat !== undefined) { return [latlngs]; }
                if (latlngs[0][0] && latlngs[0][0].lat !== undefined) { return [latlngs[0]]; }
                return latlngs.map(function (p) { return p[0]; });
            }
            window.lomsongCommuneAt = function (latlng) {
                var found = null;
                map.eachLayer(function (l) {
                    if (found || !l.feature || !l.feature.properties || !l.feature.properties.code
                        || !l.getLatLngs || l.options.interactive === false) { return; }
                    if (!l.getBounds().contains(latlng)) { return; }
                    if (rings(l.getLatLngs()).some(function (r) { return inside(latlng, r); })) { found = l; }
                });
                return found;
            };
            window.lomsongForward = function (e) {
                var commune = window.lomsongCommuneAt(e.latlng);
                // after the gap's own click has run its course, so the commune is the last clicked
                if (commune) {
                    setTimeout(function () { commune.fire('click', {latlng: e.latlng}, true); }, 0);
                }
            };
            window.lomsongBusy = function(text) {
                var old = document.querySelector('.lomsong-busy');
                if (old) { old.remove(); }
                var div = document.createElement('div');
                div.className = 'lomsong-busy';
                div.textContent = text;
                map.getContainer().appendChild(div);
                map.getContainer().style.cursor = 'progress';
            };
        })();
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "MapBehaviour"
        self.sea = SEA_COLOUR
        self.gap = GAP_COLOUR
        self.passive_below = PASSIVE_BELOW_ZOOM


class _LayerControl(folium.LayerControl):
    """folium's layer control, collapsed when the map is narrower than :data:`NARROW_PX`."""

    _template = FoliumTemplate(
        """
        {% macro script(this,kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
            };
            let {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                Object.assign({{ this.options|tojavascript }},
                              {collapsed: window.innerWidth < {{ this.narrow_px }}})
            ).addTo({{this._parent.get_name()}});
        {% endmacro %}
        """
    )

    def __init__(self, position: str = "topright", narrow_px: int = NARROW_PX):
        super().__init__(position=position, collapsed=False)
        self.narrow_px = narrow_px


def _swatch(colour: str, label: str, kind: str = "fill") -> str:
    styles = {
        "fill": f"background: {colour};",
        "outline": f"border: 2px solid {colour}; background: transparent;",
        "hatch": (f"border: 2px solid {colour}; background: repeating-linear-gradient(45deg, {colour} 0 2px,"
                  " transparent 2px 5px);"),
        "dot": f"background: {colour}; border-radius: 50%; width: 8px; height: 8px; border: 1px solid #fff;",
        "square": f"background: {colour}; border: 2px solid #fff; box-shadow: 0 0 2px #000;",
    }
    return (
        f'<div><span style="display:inline-block;width:14px;height:11px;{styles[kind]}'
        f'margin-right:6px;vertical-align:middle"></span>{html.escape(label)}</div>'
    )


def _gradient(palette: str, labels: list[str]) -> str:
    lut = palette_lut(palette, 8)
    stops = ", ".join(_hex(c) for c in lut)
    ticks = "".join(f"<span>{html.escape(x)}</span>" for x in labels)
    return (
        f'<div style="height:12px;margin:3px 0 1px;background:linear-gradient(to right, {stops})"></div>'
        f'<div style="display:flex;justify-content:space-between">{ticks}</div>'
    )


def legend_html(threshold_dbm: float | None, lang: str, show_rsrp: bool = True, *,
                gaps: bool = True, stations: bool = True, proposals: bool = True,
                choropleth: bool = True, speed: bool = False, villages=None,
                residuals: bool = False) -> str:
    """The legend of the layers drawn (each part only when its layer is there)."""
    parts = []
    if show_rsrp and threshold_dbm is not None:
        parts.append(f"<b>{html.escape(t('legend_signal', lang))}</b>")
        ticks = [fmt_dbm(threshold_dbm + k, lang) for k in (0.0, SIGNAL_SPAN_DB / 2, SIGNAL_SPAN_DB)]
        ticks[-1] = "≥ " + ticks[-1]
        parts.append(_gradient(SIGNAL_PALETTE, ticks))
        parts.append(_swatch(BELOW_COLOUR, t("legend_below", lang, thr=fmt_dbm(threshold_dbm, lang))))
    if speed:
        parts.append(f"<b>{html.escape(t('layer_throughput', lang))}</b>")
        lo, hi = SPEED_RANGE_MBPS
        parts.append(_gradient(SPEED_PALETTE, [fmt_num(lo, 0, lang), fmt_num(math.sqrt(lo * hi), 0, lang),
                                               "≥ " + fmt_num(hi, 0, lang)]))
    if gaps:
        parts.append(_swatch(GAP_COLOUR, t("legend_gaps", lang), "hatch"))
    if stations:
        parts.append(_swatch(STATION_COLOUR, t("legend_stations", lang), "dot"))
    if proposals:
        parts.append(_swatch(PROPOSAL_COLOUR, t("legend_proposals", lang), "square"))
    if villages:
        parts.append(f"<b>{html.escape(t('layer_villages', lang))}</b>")
        for status, colour in villages:
            parts.append(_swatch(colour, _status_label(status, lang), "dot"))
    if residuals:
        parts.append(f"<b>{html.escape(t('layer_residuals', lang))}</b>")
        edges = (-math.inf, *RESIDUAL_BINS_DB, math.inf)
        for i, colour in enumerate(RESIDUAL_COLOURS):
            lo, hi = edges[i], edges[i + 1]
            label = (f"< {fmt_num(hi, 0, lang)}" if math.isinf(lo) else
                     f"≥ {fmt_num(lo, 0, lang)}" if math.isinf(hi) else
                     f"{fmt_num(lo, 0, lang)} … {fmt_num(hi, 0, lang)}")
            parts.append(_swatch(colour, label + " dB", "dot"))
    if choropleth:
        parts.append(f"<b>{html.escape(t('legend_uncovered', lang))}</b>")
        lows = (0.0, *UNCOVERED_BINS[:-1])
        for low, high, colour in zip(lows, UNCOVERED_BINS, UNCOVERED_COLOURS, strict=True):
            parts.append(_swatch(colour, f"{fmt_pct(low, 0, lang)}–{fmt_pct(high, 0, lang)}"))
    return "".join(parts)


def _status_label(status: str, lang: str) -> str:
    from app_ui.i18n import STRINGS

    key = f"status_{status}"  # the village page's words (no_signal, partial, covered)
    return t(key, lang) if key in STRINGS else str(status)


# ------------------------------------------------------------------ the map
@dataclass
class MapData:
    """What a map shows; every layer is optional.

    ``communes`` carries ``code, name, terrain`` and, when results exist,
    ``people_total, people_uncovered, share_uncovered``; ``rsrp_dbm`` is on the grid
    given by ``rsrp_transform`` / ``rsrp_crs``. ``background`` maps ``land``, ``coastline``,
    ``roads`` to layers of the offline background. All vector layers are EPSG:4326.
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
    speed_image: tuple | None = None  # a ready :func:`speed_overlay` result, when the engine has speeds
    background: dict | None = None
    villages: gpd.GeoDataFrame | None = None  # ``status`` column: no_signal / partial / served
    measurements: gpd.GeoDataFrame | None = None  # drive-test points with ``residual_db``


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


def _commune_features(communes: gpd.GeoDataFrame, lang: str) -> list[dict]:
    cols = ["code", "name", "terrain", "people_total", "people_uncovered", "share_uncovered"]
    gdf = communes[[c for c in cols if c in communes.columns] + ["geometry"]]
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
        features.append({
            "type": "Feature",
            "geometry": d["geometry"].__geo_interface__,
            "properties": {"code": str(d.get("code", "")), "name": str(d.get("name", "")),
                           "fill": uncovered_colour(share), "tip": tip},
        })
    return features


def _choropleth_layer(features: list[dict], lang: str) -> folium.GeoJson:
    """Communes shaded by share uncovered: optional (off at first), under the signal raster."""
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=t("layer_choropleth", lang), show=False, pane="lomsong-choropleth", interactive=False,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "weight": 0, "fillOpacity": 0.8},
    )


_COMMUNE_CLICK = """
function (feature, layer) {
    layer.on('click', function () {
        if (window.lomsongBusy) {
            window.lomsongBusy(%s.replace('{name}', feature.properties.name));
        }
    });
}
"""


def _outlines_layer(features: list[dict], lang: str) -> folium.GeoJson:
    """Commune outlines, always drawn; a transparent fill takes the clicks (with feedback)."""
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=t("layer_outlines", lang), control=False,
        style_function=lambda f: {"color": OUTLINE_COLOUR, "weight": 1.2, "fillColor": "#ffffff",
                                  "fillOpacity": 0.0},
        highlight_function=lambda f: {"weight": 3.0, "fillOpacity": 0.12},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        on_each_feature=folium.JsCode(_COMMUNE_CLICK % json.dumps(t("click_opening", lang, name="{name}"))),
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
        from app_ui.messages import column_label

        lines.append(f"{html.escape(t('popup_assumed', lang))}: {html.escape(column_label(assumed, lang))}")
    if bool(row.get("modelled", False)):
        lines.append(f"<i>{html.escape(t('popup_modelled', lang))}</i>")
    return "<br>".join(lines)


class _PointLayer(MacroElement):
    """Circle markers ``[lat, lon, colour, popup]`` in a pane, in plain Leaflet (no jQuery)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.rows|tojson }}.forEach(function (r) {
            L.circleMarker([r[0], r[1]], {radius: {{ this.radius }}, color: {{ this.stroke|tojson }},
                weight: {{ this.weight }}, fillColor: r[2], fillOpacity: {{ this.opacity }},
                pane: {{ this.pane|tojson }}})
                .bindPopup(r[3]).addTo({{ this._parent.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(self, rows: list, pane: str, radius: float = 3.5, stroke: str = "#ffffff",
                 weight: float = 1.0, opacity: float = 0.95):
        super().__init__()
        self._name = "PointLayer"
        self.rows = rows
        self.pane = pane
        self.radius = radius
        self.stroke = stroke
        self.weight = weight
        self.opacity = opacity


def _points(gdf: gpd.GeoDataFrame, colour_of, popup_of, limit: int = MAX_MARKERS) -> list:
    pts = gdf.to_crs(4326)
    if len(pts) > limit:
        pts = pts.iloc[:: math.ceil(len(pts) / limit)]
    records = pd.DataFrame(pts.drop(columns=pts.geometry.name)).to_dict("records")
    return [
        [round(float(g.y), 6), round(float(g.x), 6), colour_of(r), popup_of(r)]
        for g, r in zip(pts.geometry, records, strict=True)
        if g is not None and not g.is_empty
    ]


def _stations_layer(stations: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """Small neutral dots; passive (clicks go to the communes) below :data:`PASSIVE_BELOW_ZOOM`."""
    fg = folium.FeatureGroup(name=t("layer_stations", lang))
    keep = [c for c in ("station_id", "operator", "technology", "band_mhz", "height_m",
                        "assumed", "modelled") if c in stations.columns]
    rows = _points(stations[keep + [stations.geometry.name]], lambda r: STATION_COLOUR,
                   lambda r: _station_popup(r, lang))
    # small and light: a dense network must not hide the signal and gaps beneath
    _PointLayer(rows, "lomsong-stations", radius=2.0, weight=0.5, opacity=0.75).add_to(fg)
    return fg


def _village_colour(r: dict) -> str:
    colour = r.get("colour")
    if isinstance(colour, str) and colour.startswith("#"):
        return colour  # the village module's own colours (analysis.villages.village_markers)
    return VILLAGE_COLOURS.get(str(r.get("status")), VILLAGE_OTHER)


def _villages_layer(villages: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """Villages by status (optional layer, off at first: hundreds of points)."""
    fg = folium.FeatureGroup(name=t("layer_villages", lang), show=False)

    def popup(r):
        if isinstance(r.get("tooltip"), str):
            return html.escape(r["tooltip"])
        name = html.escape(str(r.get("name", r.get("label", ""))))
        return f"<b>{name}</b><br>{html.escape(_status_label(str(r.get('status', '')), lang))}"

    rows = _points(villages, _village_colour, popup)
    _PointLayer(rows, "lomsong-stations", radius=4.0, stroke="#222222").add_to(fg)
    return fg


def _residuals_layer(points: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=t("layer_residuals", lang), show=False)
    rows = _points(points, lambda r: residual_colour(r.get("residual_db")),
                   lambda r: f"{fmt_num(_num(r, 'residual_db'), 1, lang)} dB")
    _PointLayer(rows, "lomsong-stations", radius=3.0, stroke="#222222").add_to(fg)
    return fg


def _gaps_layer(gaps: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """Hatched, outlined gap polygons and a ring at each gap's centre (visible at any zoom)."""
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
    fg = folium.FeatureGroup(name=t("layer_gaps", lang))
    layer = gpd.GeoDataFrame({"tip": tips}, geometry=gdf.geometry.values, crs=4326)
    folium.GeoJson(
        layer.__geo_interface__, pane="lomsong-gaps",
        on_each_feature=folium.JsCode(
            "function (feature, layer) { layer.on('click', function (e) {"
            " if (window.lomsongForward) { window.lomsongForward(e); } }); }"),
        style_function=lambda f: {
            "color": GAP_COLOUR, "weight": 2.0, "fillColor": "url(#lomsong-hatch)", "fillOpacity": 1.0,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(fg)
    centres = [[round(float(p.y), 6), round(float(p.x), 6)]
               for p in gdf.geometry.representative_point() if p is not None and not p.is_empty]
    _Rings(centres).add_to(fg)
    return fg


class _Rings(MacroElement):
    """Hollow rings of a fixed screen size (gap centres), never taking clicks."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.rows|tojson }}.forEach(function (r) {
            L.circleMarker(r, {radius: 6, color: {{ this.colour|tojson }}, weight: 2, fill: false,
                interactive: false, pane: 'lomsong-gaps'}).addTo({{ this._parent.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(self, rows: list):
        super().__init__()
        self._name = "Rings"
        self.rows = rows
        self.colour = GAP_COLOUR


class _NumberedMarkers(MacroElement):
    """Numbered square markers with popups, in plain Leaflet (folium's Popup needs jQuery)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.rows|tojson }}.forEach(function (r) {
            var icon = L.divIcon({className: 'lomsong-rank', iconSize: [22, 22], iconAnchor: [11, 11],
                html: '<div style="background:' + {{ this.colour|tojson }} + ';color:#fff;'
                    + 'border:2px solid #fff;border-radius:3px;width:22px;height:22px;line-height:18px;'
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


def _backhaul_label(value, lang: str) -> str:
    from analysis.report import BACKHAUL_VI

    return BACKHAUL_VI.get(str(value), str(value)) if lang == "vi" else str(value)


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
            lines.append(f"{html.escape(t('popup_backhaul', lang))}: "
                         f"{html.escape(_backhaul_label(r['backhaul'], lang))}")
        if "cost_vnd" in pts.columns:
            lines.append(f"{html.escape(t('popup_cost', lang))}: {fmt_vnd(_num(r, 'cost_vnd'), lang)}")
        rows.append([round(float(g.y), 6), round(float(g.x), 6), rank, "<br>".join(lines)])
    _NumberedMarkers(rows, PROPOSAL_COLOUR).add_to(fg)
    return fg


def _fiber_layer(nodes, routes, lang: str) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=t("layer_fiber", lang), show=False)
    if _has(routes):
        folium.GeoJson(
            routes.to_crs(4326)[["geometry"]].__geo_interface__, pane="lomsong-gaps", interactive=False,
            style_function=lambda f: {"color": FIBER_COLOUR, "weight": 2, "dashArray": "6 4"},
        ).add_to(fg)
    if _has(nodes):
        pts = nodes.to_crs(4326)
        pts = gpd.GeoDataFrame(geometry=pts.geometry.representative_point().values, crs=4326)
        folium.GeoJson(
            pts.__geo_interface__, pane="lomsong-gaps", interactive=False,
            marker=folium.CircleMarker(radius=3, color=FIBER_COLOUR, weight=1, fill=True,
                                       fill_color=FIBER_COLOUR, fill_opacity=1.0),
        ).add_to(fg)
    return fg


def _background_layer(data: MapData, lang: str, show: bool) -> folium.FeatureGroup:
    """The offline base layer: land, roads, coastline and the province (a base layer)."""
    fg = folium.FeatureGroup(name=t("layer_background", lang), overlay=False, show=show)
    bg = data.background or {}
    layers = (
        ("land", {"color": LAND_COLOUR, "weight": 0, "fillColor": LAND_COLOUR, "fillOpacity": 1.0}),
        ("province", None),
        ("roads", {"color": ROAD_COLOUR, "weight": 1.2, "fill": False}),
        ("coastline", {"color": COAST_COLOUR, "weight": 1.0, "fill": False}),
    )
    for key, style in layers:
        gdf = data.province if key == "province" else bg.get(key)
        if not _has(gdf):
            continue
        if key == "province":
            style = {"color": "#222222", "weight": 2.5, "fillColor": PROVINCE_FILL, "fillOpacity": 1.0}
        folium.GeoJson(
            gdf.to_crs(4326)[["geometry"]].__geo_interface__, pane="lomsong-background",
            interactive=False, style_function=lambda f, s=style: s,
        ).add_to(fg)
    return fg


def _panes(m: folium.Map) -> None:
    for name, z, events in (
        ("lomsong-background", 200, False), ("lomsong-choropleth", 300, False),
        ("lomsong-raster", 350, False), ("lomsong-gaps", 420, True), ("lomsong-stations", 450, True),
    ):
        folium.map.CustomPane(name, z_index=z, pointer_events=events).add_to(m)


def build_map(
    data: MapData,
    lang: str = "vi",
    basemap: bool = False,
    focus: list[list[float]] | None = None,
    height_px: int = 640,
) -> folium.Map:
    """The map: background, choropleth, signal raster, outlines, gaps, stations, proposals.

    Parameters
    ----------
    data : MapData
    lang : str
        ``vi`` or ``en`` for layer names, tooltips, popups and legend.
    basemap : bool
        Start on the OpenStreetMap tiles (needs the Internet) instead of the offline
        background; either is one click away in the layer control.
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
    _panes(m)
    _MapBehaviour().add_to(m)
    _background_layer(data, lang, show=not basemap).add_to(m)
    folium.TileLayer(
        "OpenStreetMap", name=t("layer_osm", lang), attr="© OpenStreetMap contributors",
        overlay=False, show=basemap,
    ).add_to(m)
    features = _commune_features(data.communes, lang) if _has(data.communes) else []
    choropleth = bool(features) and _has(data.communes) and "share_uncovered" in data.communes.columns
    if choropleth:
        _choropleth_layer(features, lang).add_to(m)
    has_rsrp = data.rsrp_image is not None or (
        data.rsrp_dbm is not None and data.threshold_dbm is not None
    )
    if has_rsrp:
        img, bounds = data.rsrp_image or rsrp_overlay(
            data.rsrp_dbm, data.rsrp_transform, data.rsrp_crs, data.threshold_dbm
        )
        folium.raster_layers.ImageOverlay(
            img, bounds=bounds, name=t("layer_rsrp", lang), opacity=0.85, mercator_project=False,
            interactive=False, pane="lomsong-raster",
        ).add_to(m)
    if data.speed_image is not None:
        img, bounds = data.speed_image
        folium.raster_layers.ImageOverlay(
            img, bounds=bounds, name=t("layer_throughput", lang), opacity=0.85, mercator_project=False,
            interactive=False, pane="lomsong-raster", show=False,
        ).add_to(m)
    if features:
        _outlines_layer(features, lang).add_to(m)
    if _has(data.gaps):
        _gaps_layer(data.gaps, lang).add_to(m)
    if _has(data.fiber_nodes) or _has(data.fiber_routes):
        _fiber_layer(data.fiber_nodes, data.fiber_routes, lang).add_to(m)
    if _has(data.stations):
        _stations_layer(data.stations, lang).add_to(m)
    statuses = None
    if _has(data.villages) and "status" in data.villages.columns:
        _villages_layer(data.villages, lang).add_to(m)
        statuses = sorted({(str(r["status"]), _village_colour(r)) for r in
                           pd.DataFrame(data.villages.drop(columns=data.villages.geometry.name))
                           .to_dict("records") if r.get("status") is not None})
    if _has(data.measurements) and "residual_db" in data.measurements.columns:
        _residuals_layer(data.measurements, lang).add_to(m)
    if _has(data.proposals):
        _proposals_layer(data.proposals, lang).add_to(m)
    HtmlLegend(
        legend_html(data.threshold_dbm, lang, has_rsrp, gaps=_has(data.gaps), stations=_has(data.stations),
                    proposals=_has(data.proposals), choropleth=choropleth,
                    speed=data.speed_image is not None, villages=statuses,
                    residuals=_has(data.measurements)),
        title=t("legend_toggle", lang),
    ).add_to(m)
    _LayerControl(position="topright").add_to(m)
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
