"""Village lists ("danh sách thôn, bản") as a province or operator keeps them.

One kind of :mod:`geo.pointlist`: the shared reader does the file, the encodings, the
header (Vietnamese or English, after a title row), the coordinates (decimal degrees,
DMS, VN-2000 x/y with ``crs``) and the row report; this module reads a village's own
cells and checks it against its commune:

- ``name`` (tên thôn / thôn / bản / làng / xóm), ``village_id`` (mã thôn, else STT,
  else ``row<N>``);
- ``commune`` / ``commune_code`` resolved to one of the 78 current units with
  :func:`geo.names.find_commune` (any spelling, tone-mark style, a former unit's name or
  the 5-digit code); a point that lies outside its named commune by more than
  :data:`OUTSIDE_COMMUNE_TOLERANCE_M` is **flagged** in the report, never moved; a
  row without a commune takes the commune its point lies in (``commune_source =
  "position"``);
- ``people`` (dân số / số dân / nhân khẩu): a number ≥ 0 and ≤
  :data:`MAX_VILLAGE_PEOPLE`, ``1.234`` read as 1,234 people; an unreadable or
  impossible count is dropped to NaN (the row is ``fixed`` and says so) — the village
  itself is kept;
- ``power``: ``"grid"`` / ``"none"`` / ``None`` from ``có điện`` / ``chưa có điện`` /
  yes / no / 1 / 0 (the ministry counts villages with and without grid power apart).

Examples
--------
>>> from geo.village_list import read_villages                 # doctest: +SKIP
>>> v = read_villages("thon_ban.csv")                          # doctest: +SKIP
>>> v.gdf[["name", "commune", "people", "power"]].head()       # doctest: +SKIP
"""

from __future__ import annotations

import re

import numpy as np
import shapely

from geo._station_readers import squash_header
from geo.constants import ANALYSIS_CRS
from geo.pointlist import (
    DEFAULT_MARGIN_KM,
    TO_METRIC,
    PointKind,
    PointSet,
    Row,
    blank,
    number_with_unit,
    read_points,
    text_value,
)

__all__ = [
    "VILLAGE_COLUMNS",
    "VILLAGE_ALIASES",
    "VILLAGES",
    "MAX_VILLAGE_PEOPLE",
    "OUTSIDE_COMMUNE_TOLERANCE_M",
    "parse_power",
    "read_villages",
]

VILLAGE_COLUMNS = ("village_id", "name", "commune", "commune_code", "people", "power", "source_row")
MAX_VILLAGE_PEOPLE = 100_000  # far above any thôn/bản; a typo or a commune total beyond it
# Commune polygons are drawn to ~100 m; a village point this far outside its commune is flagged.
OUTSIDE_COMMUNE_TOLERANCE_M = 200.0

VILLAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "lon": ("kinhdo", "lon", "long", "longitude", "lng", "x", "toadox", "kinhdox", "easting"),
    "lat": ("vido", "lat", "latitude", "y", "toadoy", "vidoy", "northing"),
    "village_id": ("mathon", "mathonban", "villageid", "mavillage", "ma", "id", "code", "stt", "tt"),
    "name": (
        "tenthon", "tenthonban", "thonban", "thon", "ban", "tenban", "village", "villagename",
        "name", "ten", "lang", "tenlang", "xom", "tenxom", "diadanh", "tendiadanh", "thonbanlang",
        "thonbantodanpho", "todanpho",
    ),
    "commune": ("xa", "phuong", "xaphuong", "tenxa", "tenxaphuong", "commune", "ward", "phuongxa",
                "xaphuongdackhu", "communename"),
    "commune_code": ("maxa", "maxaphuong", "communecode", "madonvi", "madvhc", "communeid"),
    "people": ("danso", "sodan", "nhankhau", "sonhankhau", "sokhau", "people", "population",
               "pop", "dansonguoi", "songuoi"),
    "power": ("dien", "codien", "dienluoi", "luoidien", "tinhtrangdien", "power", "electricity",
              "grid", "gridpower", "codienluoi", "dienluoiquocgia"),
}

_MESSAGES = {
    "no_name": ("Thiếu tên thôn; đặt tên «{fixed}»", "No village name; named '{fixed}'"),
    "people_ignored": (
        "Dân số «{value}» không đọc được hoặc không hợp lý (0–{hi:,}); để trống",
        "Population '{value}' unreadable or impossible (0–{hi:,}); left blank",
    ),
    "people_thousands": ("Dân số «{value}» đọc là {fixed} người", "Population '{value}' read as {fixed} people"),
    "bad_power": (
        "Không hiểu tình trạng điện «{value}» (cần «có điện»/«chưa có điện»); để trống",
        "Cannot read the power status '{value}' (expected 'có điện'/'chưa có điện'); left blank",
    ),
    "outside_commune": (
        "Điểm nằm ngoài xã «{value}» {km:.1f} km (trong {inside}); giữ nguyên vị trí — hãy kiểm tra",
        "The point lies {km:.1f} km outside its commune '{value}' (in {inside}); position kept — please check",
    ),
    "commune_conflict": (
        "Mã xã {code} và tên xã «{value}» chỉ hai đơn vị khác nhau; dùng mã",
        "Commune code {code} and commune name '{value}' name different units; the code is used",
    ),
}

_POWER_NONE = ("chuacodien", "khongcodien", "kocodien", "chuaco", "khongdien", "chuadien", "khong",
               "chua", "no", "n", "0", "false", "none", "off", "ko", "k")
_POWER_GRID = ("codien", "codienluoi", "dienluoi", "luoidien", "luoiquocgia", "co", "yes", "y", "1",
               "true", "x", "grid", "dien", "daco", "dacodien", "on")


def parse_power(v) -> tuple[str | None, bool]:
    """``("grid" | "none" | None, understood)`` for a grid-power cell.

    ``có điện`` / yes / 1 / x → ``"grid"``; ``chưa có điện`` / không / no / 0 → ``"none"``;
    blank → ``(None, True)``; anything else → ``(None, False)``.
    """
    if blank(v):
        return None, True
    if isinstance(v, bool):
        return ("grid" if v else "none"), True
    if isinstance(v, int | float | np.integer | np.floating) and float(v) in (0.0, 1.0):
        return ("grid" if float(v) == 1.0 else "none"), True
    s = squash_header(v)
    if s in _POWER_NONE or s.startswith(("chuaco", "khongco")):
        return "none", True
    if s in _POWER_GRID or s.startswith("codien"):
        return "grid", True
    return None, False


def _people(r: Row, v, col: str) -> float:
    if blank(v):
        return float("nan")
    if isinstance(v, str) and re.fullmatch(r"\s*\d{1,3}(\.\d{3})+\s*", v):
        n = float(v.replace(".", ""))
        r.add("people_thousands", col, v, "fix", fixed=f"{n:,.0f}")
        return n
    val, _, err = number_with_unit(v)
    if err or val is None or not 0 <= val <= MAX_VILLAGE_PEOPLE:
        r.add("people_ignored", col, v, "fix", hi=MAX_VILLAGE_PEOPLE)
        return float("nan")
    return float(val)


def _parse_village(r: Row, cells) -> None:
    """The village's own cells: id, name, commune, people, power."""
    vid, _ = cells.get("village_id")
    r.rec["village_id"] = f"row{r.rn}" if blank(vid) else text_value(vid, 200)
    name, cname = cells.get("name")
    if blank(name):
        fixed = f"Thôn (dòng {r.rn})"
        r.add("no_name", cname or "name", "", "fix", fixed=fixed)
        r.rec["name"] = fixed
    else:
        r.rec["name"] = text_value(name, 200).strip()
    com, _ = cells.get("commune")
    code, _ = cells.get("commune_code")
    r.rec["commune"] = None if blank(com) else text_value(com, 200).strip()
    r.rec["commune_given"] = r.rec["commune"]
    r.rec["_commune_code_given"] = None if blank(code) else text_value(code, 20).strip()
    r.rec["_commune_col"] = cells.header("commune")
    vp, cp = cells.get("people")
    r.rec["people"] = _people(r, vp, cp)
    vw, cw = cells.get("power")
    power, ok = parse_power(vw)
    if not ok:
        r.add("bad_power", cw, vw)
    r.rec["power"] = power


# ---------------------------------------------------------------------------- communes


def _load_communes():
    try:
        from geo.data import load_communes

        return load_communes()
    except Exception:
        return None


_METRIC_CACHE: dict = {}


def _metric_communes(communes):
    """Commune polygons in EPSG:32648, simplified to 10 m and prepared, with their STRtree (cached).

    10 m is far inside the :data:`OUTSIDE_COMMUNE_TOLERANCE_M` and makes the point-in-commune
    test of a long list fast.
    """
    key = tuple(communes["code"].astype(str))
    hit = _METRIC_CACHE.get(key)
    if hit is None:
        metric = shapely.simplify(communes.to_crs(ANALYSIS_CRS).geometry.values, 10.0)
        shapely.prepare(metric)
        hit = (metric, shapely.STRtree(metric))
        _METRIC_CACHE.clear()
        _METRIC_CACHE[key] = hit
    return hit


def _resolve(query, communes, cache: dict) -> dict | None:
    """``{"code", "name"}`` of the commune ``query`` names (any spelling or the code), cached."""
    from geo.names import CommuneNotFound, find_commune

    if query not in cache:
        try:
            hit = find_commune(query, communes)
            cache[query] = {"code": str(hit["code"]), "name": str(hit["name"])}
        except CommuneNotFound:
            cache[query] = None
    return cache[query]


def _named_commune(r: Row, communes, cache: dict) -> dict | None:
    """The commune the row names (code first, then name); notes unknown or conflicting names."""
    name, code = r.rec.get("commune"), r.rec.get("_commune_code_given")
    by_code = _resolve(code, communes, cache) if code else None
    by_name = _resolve(name, communes, cache) if name else None
    if code and by_code is None and not name:
        r.add("unknown_commune", "commune_code", code)
    if name and by_name is None and by_code is None:
        r.add("unknown_commune", r.rec.get("_commune_col") or "commune", name)
    if by_code is not None and by_name is not None and by_code["code"] != by_name["code"]:
        r.add("commune_conflict", r.rec.get("_commune_col") or "commune", name, code=by_code["code"])
    return by_code if by_code is not None else by_name


def _check_communes(rows: list[Row]) -> list[str]:
    """Step after locating: commune names → codes, point-in-commune check, commune from position."""
    live = [r for r in rows if not r.fatal and r.xy is not None]
    communes = _load_communes()
    if communes is None:
        for r in live:
            r.rec["commune_code"] = r.rec.pop("_commune_code_given", None)
            r.rec["commune_source"] = "file" if r.rec.get("commune") else None
        return ["Các xã không đọc được; tên xã giữ nguyên, không kiểm tra vị trí / "
                "The communes could not be loaded; commune names kept as given, positions not checked"]
    if not live:
        return []
    metric, tree = _metric_communes(communes)
    x, y = TO_METRIC.transform(np.array([r.xy[0] for r in live]), np.array([r.xy[1] for r in live]))
    pts = shapely.points(x, y)
    pi, ci = tree.query(pts, predicate="intersects")
    inside_of = np.full(len(live), -1)
    inside_of[pi] = ci
    cache: dict = {}
    codes = communes["code"].astype(str).to_numpy()
    index_of = {c: i for i, c in enumerate(codes)}
    names = communes["name"].astype(str).to_numpy()
    away: list[tuple[int, int]] = []  # (row k, named commune j) where the point is not in j
    for k, r in enumerate(live):
        named = _named_commune(r, communes, cache)
        here = int(inside_of[k])
        if named is not None:
            r.rec["commune_code"] = str(named["code"])
            r.rec["commune"] = str(named["name"])  # the spelling as given stays in commune_given
            r.rec["commune_source"] = "file"
            j = index_of[str(named["code"])]
            if here != j:
                away.append((k, j))
        elif r.rec.get("commune") or r.rec.get("_commune_code_given"):
            r.rec["commune_code"] = None
            r.rec["commune_source"] = "file"
        elif here >= 0:
            r.rec["commune_code"] = codes[here]
            r.rec["commune"] = str(communes["name"].iloc[here])
            r.rec["commune_source"] = "position"
        else:
            r.rec["commune_code"] = None
            r.rec["commune_source"] = None
    _flag_outside_communes(live, away, pts, metric, names, inside_of)
    return []


def _flag_outside_communes(live, away, pts, metric, names, inside_of) -> None:
    """Flag (never move) points farther than the tolerance outside their named commune."""
    if not away:
        return
    ks = np.array([k for k, _ in away])
    js = np.array([j for _, j in away])
    dist = shapely.distance(pts[ks], metric[js])
    for k, j, d in zip(ks, js, dist, strict=True):
        if d <= OUTSIDE_COMMUNE_TOLERANCE_M:
            continue
        here = int(inside_of[k])
        inside = names[here] if here >= 0 else "ngoài tỉnh / outside the province"
        r = live[k]
        r.add("outside_commune", r.rec.get("_commune_col") or "commune", names[j],
              km=float(d) / 1000.0, inside=inside)


def _record(r: Row) -> dict:
    rec = {k: v for k, v in r.rec.items() if not k.startswith("_")}
    rec.setdefault("commune_code", None)
    rec.setdefault("commune_source", None)
    rec.setdefault("commune_given", None)
    return rec


VILLAGES = PointKind(
    name="villages",
    aliases=VILLAGE_ALIASES,
    columns=VILLAGE_COLUMNS,
    parse_row=_parse_village,
    finish=_check_communes,
    record=_record,
    dtypes={"people": "float64", **dict.fromkeys(
        ("village_id", "name", "commune", "commune_code", "power", "commune_source", "commune_given"),
        object)},
    messages=_MESSAGES,
    text_fields=("name", "village_id", "commune"),
)


def read_villages(path_or_file, *, crs=None, sheet: str | None = None, boundary=None,
                  margin_km: float = DEFAULT_MARGIN_KM) -> PointSet:
    """Read and validate a village list ("danh sách thôn").

    Parameters
    ----------
    path_or_file : str, Path, bytes or binary file-like
        CSV/TSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile or KML/KMZ.
    crs : str or int, optional
        CRS of x/y columns (``3405``, ``VN2000-TM3-106.15`` …); WGS 84 when omitted.
    sheet : str, optional
        Excel sheet (or GeoPackage layer).
    boundary, margin_km
        Province outline (default the embedded one) and how far outside it a village
        may lie (default 30 km).

    Returns
    -------
    PointSet
        ``.gdf`` (EPSG:4326) columns ``village_id, name, commune, commune_code, people
        (float, NaN when not given), power ("grid" | "none" | None), source_row,
        geometry`` then ``commune_source`` (``"file"``/``"position"``), ``commune_given``
        (the commune as the file spells it) and the file's extra columns; ``.report`` the
        row report (``outside_commune`` lines flag points outside their named commune).

    Raises
    ------
    geo.pointlist.PointFileError
        The file cannot be read at all.
    """
    return read_points(path_or_file, VILLAGES, crs=crs, sheet=sheet, boundary=boundary,
                       margin_km=margin_km)
