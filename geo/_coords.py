"""Coordinates as people write them: decimal marks, DMS, swapped axes, VN-2000.

Private helpers of :mod:`geo.stations`. Everything returns plain floats / numpy arrays;
no I/O.

Notes
-----
VN-2000 (the Vietnamese national datum, Decision 83/2000/QĐ-TTg) is a Transverse
Mercator system on the WGS 84 ellipsoid with a 7-parameter shift to WGS 84. National
6° zones use scale factor 0.9996 (EPSG:3405 = UTM 48N, EPSG:3406 = UTM 49N); provincial
3° zones (Circular 973/2001/TT-TCĐC) use scale factor 0.9999, false easting 500 km and a
per-province central meridian: 106°00' (Quảng Bình) and 106°15' (Quảng Trị), the two
halves of the merged province. The Helmert parameters are those EPSG uses for
VN-2000 to WGS 84 (EPSG:6960, position-vector convention as in PROJ ``+towgs84``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer

from geo.names import strip_diacritics

__all__ = [
    "CoordError",
    "VN2000_TOWGS84",
    "VN2000_TM3_ZONES",
    "resolve_crs",
    "parse_number",
    "parse_coordinate",
    "to_wgs84",
]

# EPSG:6960-style shift (metres, arc-seconds, ppm) as PROJ +towgs84 expects.
VN2000_TOWGS84 = "-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278"
TM3_SCALE = 0.9999
TM3_FALSE_EASTING_M = 500_000.0

# Provincial 3° zones for the merged Quảng Trị: central meridian in decimal degrees.
VN2000_TM3_ZONES = {
    "106.00": 106.0,  # 106°00' — former Quảng Bình
    "106.15": 106.25,  # 106°15' — former Quảng Trị
}

_EPSG_ALIASES = {
    "vn2000": "EPSG:3405",
    "vn2000utm48": "EPSG:3405",
    "vn2000utm48n": "EPSG:3405",
    "vn2000utm49": "EPSG:3406",
    "vn2000utm49n": "EPSG:3406",
    "wgs84": "EPSG:4326",
    "vn2000geographic": "EPSG:4756",
}


class CoordError(ValueError):
    """A coordinate or CRS text that cannot be understood."""


def _tm3_crs(central_meridian_deg: float) -> CRS:
    proj = (
        f"+proj=tmerc +lat_0=0 +lon_0={central_meridian_deg:.6f} +k={TM3_SCALE} "
        f"+x_0={TM3_FALSE_EASTING_M:.0f} +y_0=0 +ellps=WGS84 +towgs84={VN2000_TOWGS84} "
        "+units=m +no_defs +type=crs"
    )
    return CRS.from_proj4(proj)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", strip_diacritics(str(text)).lower())


@lru_cache(maxsize=32)
def resolve_crs(name: str | int | None) -> CRS:
    """Turn what a user types after ``--crs`` into a :class:`pyproj.CRS`.

    Accepts any EPSG code (``3405``, ``EPSG:3406``), ``VN2000`` (= EPSG:3405), and the
    provincial TM-3 zones as ``VN2000-TM3-106``, ``VN2000-TM3-106.00``,
    ``VN2000-TM3-10615``, ``VN2000-TM3-106.15`` or ``vn2000:106°15'``. ``None`` → WGS 84.
    """
    if name is None or str(name).strip() == "":
        return CRS.from_epsg(4326)
    text = str(name).strip()
    if re.fullmatch(r"\d{4,5}", text):
        text = f"EPSG:{text}"
    squashed = _squash(text)
    if squashed in _EPSG_ALIASES:
        return CRS.from_user_input(_EPSG_ALIASES[squashed])
    m = re.fullmatch(r"vn2000(?:tm3)?(?:zone)?(106)(00|0|15)?", squashed)
    if m and ("tm3" in squashed or m.group(2) is not None or squashed.endswith("106")):
        key = "106.15" if m.group(2) == "15" else "106.00"
        return _tm3_crs(VN2000_TM3_ZONES[key])
    try:
        return CRS.from_user_input(text)
    except Exception as exc:  # pyproj raises CRSError and others
        msg = (
            f"Unknown coordinate system {name!r}; expected an EPSG code (e.g. EPSG:3405 for "
            "VN-2000 UTM 48N) or VN2000-TM3-106.00 / VN2000-TM3-106.15 for the provincial zones."
        )
        raise CoordError(msg) from exc


_NUMBER_CHARS = re.compile(r"^[+-]?[\d\s.,'\u00a0\u202f]+$")
_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_HAS_SPACE = re.compile(r"[\s\u00a0\u202f']")
_SPACED = re.compile(r"[+-]?\d{1,3}([\s\u00a0\u202f']\d{3})+([.,]\d+)?")
_DOTS_COMMA = re.compile(r"[+-]?\d{1,3}(\.\d{3})+,\d+")  # 1.858.123,45
_COMMAS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_COMMAS_DOT = re.compile(r"[+-]?\d{1,3}(,\d{3})+\.\d+")  # 1,858,123.45
_DOTS = re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}")  # 1.858.123
_COMMA_DECIMAL = re.compile(r"[+-]?\d*,\d+")  # 16,8163


def parse_number(value) -> tuple[float, bool]:
    """Parse a number written with ``.`` or ``,`` as decimal mark.

    Returns ``(value, used_decimal_comma)``. Thousands separators (space, ``.`` or ``,``
    when the other mark is the decimal one, or when repeated) are removed. Raises
    :class:`CoordError` for text that is not a plain number.
    """
    if isinstance(value, bool):
        raise CoordError(f"not a number: {value!r}")
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        if not math.isfinite(v):
            raise CoordError(f"not a finite number: {value!r}")
        return v, False
    text = str(value).strip().replace("\u2212", "-")
    if _PLAIN.fullmatch(text):  # the common case, fast
        return float(text), False
    if not text or not _NUMBER_CHARS.match(text):
        raise CoordError(f"not a number: {value!r}")
    if _HAS_SPACE.search(text):
        # spaces only as thousands separators: 1 858 123,45
        if not _SPACED.fullmatch(text):
            raise CoordError(f"not a number: {value!r}")
        text = _HAS_SPACE.sub("", text)
    comma = False
    if _DOTS_COMMA.fullmatch(text):
        text, comma = text.replace(".", "").replace(",", "."), True
    elif _COMMAS.fullmatch(text) and text.count(",") > 1 or _COMMAS_DOT.fullmatch(text):
        text = text.replace(",", "")
    elif _DOTS.fullmatch(text):
        text = text.replace(".", "")
    elif _COMMA_DECIMAL.fullmatch(text):
        text, comma = text.replace(",", "."), True
    elif not _PLAIN.fullmatch(text):
        raise CoordError(f"not a number: {value!r}")
    try:
        v = float(text)
    except ValueError as exc:
        raise CoordError(f"not a number: {value!r}") from exc
    if not math.isfinite(v):
        raise CoordError(f"not a finite number: {value!r}")
    return v, comma


_HEMI = {"n": 1, "s": -1, "e": 1, "w": -1, "b": 1, "đ": 1, "d": 1, "t": -1}
_DMS_SEPARATORS = re.compile(r"[°º˚ʹ′'’″\"”:dmsh]|độ|phút|giây|do|phut|giay")


def parse_coordinate(value) -> tuple[float, str | None]:
    """Parse one latitude or longitude as written in a station list.

    Returns ``(degrees, how)`` with ``how`` ``None`` (plain decimal), ``"decimal_comma"``
    or ``"dms"``. Understands ``16.8163``, ``16,8163``, ``16°48'59"N``, ``N16°48'59.5"``,
    ``106 45 12 E``, ``106:45:12``, ``16°48.98'``, ``16 độ 48 phút 59 giây``.

    Raises :class:`CoordError` when the text is not a coordinate (minutes or seconds
    ≥ 60 included).
    """
    try:
        v, comma = parse_number(value)
        return v, ("decimal_comma" if comma else None)
    except CoordError:
        pass
    if isinstance(value, int | float | np.integer | np.floating):
        raise CoordError(f"not a coordinate: {value!r}")
    text = unicodedata.normalize("NFC", str(value)).strip().lower()
    if not text or len(text) > 60:
        raise CoordError(f"not a coordinate: {value!r}")
    sign = 1
    m = re.match(r"^([nsewbđt])\s*(?=\d)", text)
    if m:
        sign = _HEMI[m.group(1)]
        text = text[m.end():]
    m = re.search(r"(?<=[\d\s°º'’\"″”])\s*([nsewbđt]|đông|tây|bắc|nam)\s*$", text)
    if m:
        word = m.group(1)
        sign = {"đông": 1, "tây": -1, "bắc": 1, "nam": 1}.get(word, _HEMI.get(word[:1], 1))
        text = text[: m.start()]
    text = text.strip()
    if text.startswith("-"):
        sign = -sign
        text = text[1:]
    rest = _DMS_SEPARATORS.sub(" ", text)
    if re.search(r"[^\d\s.,]", rest):
        raise CoordError(f"not a coordinate: {value!r}")
    parts = rest.split()
    if not 1 <= len(parts) <= 3:
        raise CoordError(f"not a coordinate: {value!r}")
    try:
        nums = [float(p.replace(",", ".")) for p in parts]
    except ValueError as exc:
        raise CoordError(f"not a coordinate: {value!r}") from exc
    deg = nums[0]
    minutes = nums[1] if len(nums) > 1 else 0.0
    seconds = nums[2] if len(nums) > 2 else 0.0
    if minutes >= 60 or seconds >= 60 or (len(nums) > 1 and deg != int(deg)):
        raise CoordError(f"minutes/seconds out of range in {value!r}")
    out = sign * (deg + minutes / 60.0 + seconds / 3600.0)
    if not math.isfinite(out):
        raise CoordError(f"not a coordinate: {value!r}")
    return out, "dms"


@lru_cache(maxsize=16)
def _transformer(crs_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(crs_wkt), "EPSG:4326", always_xy=True)


def to_wgs84(x: np.ndarray, y: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Transform easting/northing (or lon/lat) arrays in ``crs`` to WGS 84 lon/lat.

    Points that cannot be transformed come back as NaN.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if crs.to_epsg() == 4326:
        return x.copy(), y.copy()
    with np.errstate(all="ignore"):
        lon, lat = _transformer(crs.to_wkt()).transform(x, y, errcheck=False)
    lon = np.where(np.isfinite(lon), lon, np.nan)
    lat = np.where(np.isfinite(lat), lat, np.nan)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
