"""Regenerate the embedded data in ``data/`` from the public sources in ``../shared/data``.

Run from the repository root:  ``python data/build.py [--shared ../shared/data]``

Every step is deterministic; ``data/SHA256SUMS`` is rewritten at the end and
``data/PROVENANCE.md`` says where each file comes from. The project never reads
``../shared`` at run time: only this script does.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import sys
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.windows import from_bounds as window_from_bounds
from shapely.geometry import Point

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from geo.constants import ANALYSIS_CRS as UTM  # noqa: E402
from geo.names import normalize_name, to_new_style  # noqa: E402

WGS84 = "EPSG:4326"
WORLDPOP_MARGIN_M = 5_000
DEM_MARGIN_M = 30_000
# Deterministic GeoPackage timestamps so that a rebuild gives the same bytes.
os.environ.setdefault("OGR_CURRENT_DATE", "2026-11-23T00:00:00Z")

KIND_PREFIXES = (("Đặc khu ", "đặc khu"), ("Phường ", "phường"), ("Xã ", "xã"))


def _kind_and_bare(full_name: str) -> tuple[str, str]:
    for prefix, kind in KIND_PREFIXES:
        if full_name.startswith(prefix):
            return kind, full_name[len(prefix):]
    msg = f"Unknown unit type in {full_name!r}"
    raise ValueError(msg)


def _polygonal(geom):
    """make_valid may return a collection with stray lines/points: keep the polygons."""
    geom = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys)


def _area_km2(gs: gpd.GeoSeries) -> np.ndarray:
    return gs.to_crs(UTM).area.to_numpy() / 1e6


def build_communes(shared: Path, worldpop_tif: Path) -> tuple[gpd.GeoDataFrame, dict]:
    portal = pd.concat(
        [gpd.read_file(f) for f in sorted(glob.glob(str(shared / "quang-tri/sapnhap/xa*.geojson")))],
        ignore_index=True,
    )
    wards = pd.concat(
        [gpd.read_file(f) for f in sorted(glob.glob(str(shared / "quang-tri/wards/*.geojson")))],
        ignore_index=True,
    )
    joined = portal.merge(
        wards.drop(columns="geometry").rename(columns={"gisServerId": "a02_xa"}),
        on="a02_xa", how="outer", validate="one_to_one", indicator=True,
    )
    if not (joined["_merge"] == "both").all() or len(joined) != 78:
        msg = f"Join portal↔wards is not 78↔78: {joined['_merge'].value_counts().to_dict()}"
        raise SystemExit(msg)
    # IoU of the two geometry sets, unit by unit (expected 1.0).
    wg = wards.set_index("gisServerId").geometry.map(_polygonal)
    pg = joined.set_index("a02_xa").geometry.map(_polygonal)
    inter = gpd.GeoSeries([a.intersection(wg[k]) for k, a in pg.items()], crs=WGS84)
    union = gpd.GeoSeries([a.union(wg[k]) for k, a in pg.items()], crs=WGS84)
    iou = _area_km2(inter) / _area_km2(union)

    before_km2 = _area_km2(gpd.GeoSeries(joined.geometry, crs=WGS84))
    invalid = ~joined.geometry.is_valid.to_numpy()
    repaired = joined.geometry.map(_polygonal)
    rows = []
    for i, r in joined.iterrows():
        kind, bare = _kind_and_bare(r["a03_ten"])
        rows.append({
            "code": str(r["code"]).zfill(5),
            "name": to_new_style(unicodedata.normalize("NFC", r["name"])),
            "name_portal": unicodedata.normalize("NFC", bare),
            "name_en": r["nameEn"],
            "full_name": to_new_style(unicodedata.normalize("NFC", r["fullName"])),
            "kind": kind,
            "area_km2_legal": float(r["a07_dt"]),
            "population_legal": int(r["a08_ds"]),
            "predecessors_json": json.dumps(
                [p.strip() for p in str(r["a05_truocsn"]).split(",") if p.strip()],
                ensure_ascii=False,
            ),
            "admin_centre": r["a06_trungtamhc"],
            "gis_id": r["a02_xa"],
            "geometry_repaired": bool(invalid[i]),
            "geometry": repaired.iloc[i],
        })
    communes = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    communes["area_km2_drawn"] = np.round(_area_km2(communes.geometry), 3)
    after_km2 = communes["area_km2_drawn"].to_numpy()

    from exactextract import exact_extract

    wp = exact_extract(str(worldpop_tif), communes, "sum", output="pandas")
    communes["population_worldpop"] = np.round(wp["sum"].to_numpy(), 1)

    flags = []
    for _, r in communes.iterrows():
        f = []
        rel = (r["area_km2_drawn"] - r["area_km2_legal"]) / r["area_km2_legal"]
        if abs(rel) > 0.01:
            f.append(
                f"legal area {r['area_km2_legal']:g} km² differs from the drawn polygon "
                f"{r['area_km2_drawn']:.1f} km² by {rel:+.0%}"
            )
        dens = r["population_legal"] / max(r["area_km2_drawn"], 1e-9)
        ratio = r["population_legal"] / max(r["population_worldpop"], 1.0)
        if ratio < 0.2 or ratio > 5:
            f.append(
                f"legal population {r['population_legal']:,} is implausible against WorldPop 2020 "
                f"({r['population_worldpop']:,.0f}; ratio {ratio:.2f}; {dens:.1f} people/km² drawn)"
            )
        flags.append(json.dumps(f, ensure_ascii=False))
    communes["flags_json"] = flags
    checks = {
        "join": "78↔78 on gisServerId = a02_xa",
        "iou_min": float(iou.min()),
        "repaired": int(invalid.sum()),
        "repair_area_change_max": float(np.max(np.abs(after_km2 - before_km2) / before_km2)),
    }
    return communes.sort_values("code").reset_index(drop=True), checks


SEAT_RE = re.compile(
    r"^(?:UBND|Trụ sở)\s+(?:(huyện đảo|huyện|thị xã|thị trấn nông trường|thị trấn|TP|thành phố|xã|phường)\s+)?"
    r"(?P<name>.+?)\s*\(cũ\)",
    re.IGNORECASE,
)


# Seat towns of the former districts named in ``a06_trungtamhc`` ("UBND huyện X (cũ)"):
# the committee sat in the district's capital town, whose name differs from the district's.
FORMER_DISTRICT_SEATS = {
    "hướng hoá": "Khe Sanh",
    "vĩnh linh": "Hồ Xá",
    "triệu phong": "Ái Tử",
    "quảng ninh": "Quán Hàu",
    "bố trạch": "Hoàn Lão",
    "lệ thuỷ": "Kiến Giang",
    "minh hoá": "Quy Đạt",
    "tuyên hoá": "Đồng Lê",
    "đakrông": "Krông Klang",
    "cồn cỏ": "Cồn Cỏ",
}


def _seat_candidates(admin_centre: str) -> tuple[str | None, list[str]]:
    """Which former unit's committee is the seat: (its type, candidate place names)."""
    text = (admin_centre or "").strip()
    text = re.sub(r"^Thị trấn Nông trường", "UBND thị trấn nông trường", text)
    m = SEAT_RE.match(text)
    if not m:
        return None, []
    kind = (m.group(1) or "").lower() or None
    name = m.group("name")
    name = re.split(r"\s+(?:và|and)\s+", name)[0].strip()
    names = [name]
    if kind in ("huyện", "huyện đảo") and normalize_name(name) in FORMER_DISTRICT_SEATS:
        names.insert(0, FORMER_DISTRICT_SEATS[normalize_name(name)])
    return kind, names


def build_seats(communes: gpd.GeoDataFrame, shared: Path, worldpop_tif: Path) -> gpd.GeoDataFrame:
    osm = gpd.read_file(shared / "places/osm_places_2017.geojson")
    gn = gpd.read_file(shared / "places/geonames_cities500.geojson")
    # Space-insensitive keys: OSM writes "Đa Krông" for the commune "Đakrông".
    osm["key"] = osm["name"].map(lambda n: normalize_name(n).replace(" ", ""))
    gn["key"] = gn["name"].map(lambda n: normalize_name(n).replace(" ", ""))
    with rasterio.open(worldpop_tif) as src:
        counts = src.read(1)
        counts = np.where(counts == src.nodata, 0, counts)
        rows_, cols_ = np.nonzero(counts > 0)
        xs, ys = rasterio.transform.xy(src.transform, rows_, cols_)
    pop_pts = gpd.GeoDataFrame(
        {"people": counts[rows_, cols_]}, geometry=gpd.points_from_xy(xs, ys), crs=WGS84
    )
    out = []
    for _, c in communes.iterrows():
        poly = c.geometry
        near = gpd.GeoSeries([poly], crs=WGS84).to_crs(UTM).buffer(1_000).to_crs(WGS84).iloc[0]
        kind, names = _seat_candidates(c["admin_centre"])
        found = None
        for name in names:
            key = normalize_name(name).replace(" ", "")
            sources = (("geonames", gn), ("osm-2017", osm)) if kind in (
                "huyện", "thị xã", "tp", "thành phố", "huyện đảo"
            ) else (("osm-2017", osm), ("geonames", gn))
            for label, layer in sources:
                hit = layer[(layer["key"] == key) & layer.within(near)]
                if len(hit):
                    found = (label, hit.iloc[0].geometry, hit.iloc[0]["name"])
                    break
            if found:
                break
        if found:
            source, point, seat_name = found
        else:
            inside = pop_pts[pop_pts.within(poly)]
            if inside["people"].sum() > 0:
                w = inside["people"].to_numpy()
                cx = float(np.average(inside.geometry.x, weights=w))
                cy = float(np.average(inside.geometry.y, weights=w))
                point = Point(cx, cy)
                if not poly.contains(point):  # e.g. a crescent-shaped commune
                    point = inside.geometry.iloc[int(np.argmax(w))]
            else:
                point = poly.representative_point()
            source, seat_name = "modelled", None
        out.append({
            "code": c["code"], "name": c["name"], "admin_centre": c["admin_centre"],
            "seat_name": seat_name, "seat_source": source,
            "modelled": source == "modelled", "geometry": point,
        })
    return gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84)


def clip_raster(src_path: Path, dst_path: Path, bounds_4326, nodata_out: float) -> None:
    with rasterio.open(src_path) as src:
        win = window_from_bounds(*bounds_4326, transform=src.transform).round_offsets(
        ).round_lengths()
        win = win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
        data = src.read(1, window=win)
        data = np.where(data == src.nodata, nodata_out, data).astype("float32")
        profile = {
            "driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
            "dtype": "float32", "crs": src.crs, "transform": src.window_transform(win),
            "nodata": nodata_out, "compress": "deflate", "predictor": 3, "tiled": False,
        }
    with rasterio.open(dst_path, "w", **profile) as dst:
        dst.write(data, 1)


def _margin_bounds(gdf: gpd.GeoDataFrame, margin_m: float) -> tuple[float, ...]:
    utm = gdf.to_crs(UTM)
    return tuple(utm.buffer(margin_m).to_crs(WGS84).total_bounds)


def _write(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    h.update(path.read_bytes())
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--skip-stations", action="store_true",
                    help="do not (re)model the default station set")
    ap.add_argument("--stations-only", action="store_true",
                    help="only (re)model the default station set from the embedded layers")
    ap.add_argument("--only-villages", action="store_true",
                    help="rebuild villages.gpkg alone (the other files must be in --out)")
    args = ap.parse_args(argv)
    shared, out = args.shared, args.out
    if args.stations_only:
        communes = gpd.read_file(out / "communes.gpkg", layer="communes")
        seats = gpd.read_file(out / "communes.gpkg", layer="seats")
        build_default_stations(out, communes, seats, out / "worldpop_2020_1km.tif")
        _write_sums(out)
        return 0
    if not shared.exists():
        print(f"{shared} not found: the build needs the shared source data.", file=sys.stderr)
        return 2

    province = gpd.read_file(shared / "quang-tri/province.geojson")[["code", "name", "geometry"]]
    province["geometry"] = province.geometry.map(_polygonal)
    if args.only_villages:
        communes = gpd.read_file(out / "communes.gpkg", layer="communes")
        communes["code"] = communes["code"].astype(str).str.zfill(5)
        build_villages(shared, out, communes, province, out / "worldpop_2020_1km.tif")
        _write_sums(out)
        return 0

    wp_tif = out / "worldpop_2020_1km.tif"
    clip_raster(shared / "worldpop/vnm_ppp_2020_1km_Aggregated_UNadj.tif", wp_tif,
                _margin_bounds(province, WORLDPOP_MARGIN_M), -99999.0)
    print("worldpop clipped")
    dem_tif = out / "relief_5arcmin.tif"
    clip_raster(shared / "dem/coarse_relief_5arcmin.tif", dem_tif,
                _margin_bounds(province, DEM_MARGIN_M), -9999.0)
    print("relief clipped")

    communes, checks = build_communes(shared, wp_tif)
    print("communes:", len(communes), checks)
    seats = build_seats(communes, shared, wp_tif)
    print("seats:", seats["seat_source"].value_counts().to_dict())

    gpkg = out / "communes.gpkg"
    gpkg.unlink(missing_ok=True)
    _write(communes, gpkg, "communes")
    _write(province, gpkg, "province")
    _write(seats, gpkg, "seats")

    coast = out / "coastline.gpkg"
    coast.unlink(missing_ok=True)
    _write(gpd.read_file(shared / "coastline/gshhg_f_coastline.geojson"), coast, "coastline")
    _write(gpd.read_file(shared / "coastline/gshhg_f_land.geojson"), coast, "land")

    roads = out / "roads.gpkg"
    roads.unlink(missing_ok=True)
    _write(gpd.read_file(shared / "roads/national_roads_vn_legocity.geojson"), roads, "roads")

    places = out / "places.gpkg"
    places.unlink(missing_ok=True)
    osm = gpd.read_file(shared / "places/osm_places_2017.geojson")
    osm["tags_json"] = osm["tags_json"].map(
        lambda v: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    )
    _write(osm, places, "osm_places_2017")
    _write(gpd.read_file(shared / "places/geonames_cities500.geojson"), places, "geonames")

    if not args.skip_stations:
        build_default_stations(out, communes, seats, wp_tif)
    build_villages(shared, out, communes, province, wp_tif)

    _write_sums(out)
    return 0


def _write_sums(out: Path) -> None:
    files = sorted(p.name for p in out.iterdir()
                   if p.suffix in (".gpkg", ".tif") and p.is_file())
    (out / "SHA256SUMS").write_text("".join(f"{sha256(out / f)}  {f}\n" for f in files))
    print("wrote", ", ".join(files))


VILLAGES_MARGIN_M = 30_000  # village points kept around the province, for border effects
VILLAGES_CLUSTER_GRID_M = 1_000.0  # WorldPop's own cell: finer adds nothing to the clusters


def build_villages(shared: Path, out: Path, communes, province, wp_tif: Path) -> gpd.GeoDataFrame:
    """``villages.gpkg``: GeoNames + OSM settlement points (province + 30 km), merged, with the
    modelled settlement clusters where populated land has no point (see ``geo/villages.py``)."""
    from geo.coverage import GRID_MARGIN_M
    from geo.grid import Grid
    from geo.population import population_on_grid
    from geo.villages import (
        VILLAGE_COLUMNS,
        assign_communes,
        gazetteer_points,
        merge_sources,
        normalize_villages,
        settlement_clusters,
    )

    gn = gpd.read_file(shared / "places/geonames_vn_2020_places.geojson")
    osm = gpd.read_file(shared / "places/osm_places_2017.geojson")
    pts = gazetteer_points(gn, osm)
    zone = province.to_crs(UTM).buffer(VILLAGES_MARGIN_M).to_crs(WGS84).union_all()
    pts = pts[pts.within(zone)].reset_index(drop=True)
    merged = assign_communes(merge_sources(pts), communes)
    merged["modelled"] = False
    grid = Grid.for_geometry(province, VILLAGES_CLUSTER_GRID_M, margin_m=GRID_MARGIN_M)
    pop = population_on_grid(grid, path=wp_tif)
    clusters = settlement_clusters(grid, pop, grid.burn(communes), communes,
                                   merged[merged["in_province"]])
    allv = pd.concat([merged, clusters.drop(columns="people_cluster")], ignore_index=True)
    allv["village_id"] = allv["source_id"].astype(str).str.split(";").str[0]
    allv = gpd.GeoDataFrame(allv, geometry="geometry", crs=WGS84)
    allv = allv.assign(_c=allv["source"] == "cluster").sort_values(
        ["_c", "commune_code", "village_id"], kind="mergesort").drop(columns="_c")
    layer = normalize_villages(allv, source="gazetteer")[[*VILLAGE_COLUMNS, "geometry"]]
    layer = layer.drop(columns="source_row")
    path = out / "villages.gpkg"
    path.unlink(missing_ok=True)
    _write(layer.reset_index(drop=True), path, "villages")
    print("villages:", layer["source"].value_counts().to_dict(),
          "in province:", int(layer["in_province"].sum()))
    return layer


def build_default_stations(out: Path, communes, seats, wp_tif: Path) -> None:
    """The MODELLED reference network (:mod:`geo.default_network`), printed beside the
    published figures it is built from."""
    from geo.default_network import model_default_network, published_comparison

    province = gpd.read_file(out / "communes.gpkg", layer="province").union_all()
    places = gpd.read_file(out / "places.gpkg", layer="osm_places_2017")
    geonames = gpd.read_file(out / "places.gpkg", layer="geonames")
    settlements = pd.concat([places[["name", "place", "geometry"]],
                             geonames.assign(place=geonames["feature_code"])[["name", "place", "geometry"]]],
                            ignore_index=True)
    settlements = gpd.GeoDataFrame(settlements, geometry="geometry", crs=places.crs)
    settlements = settlements[settlements.within(province)]
    roads = gpd.read_file(out / "roads.gpkg", layer="roads")
    with rasterio.open(wp_tif) as src:
        counts = src.read(1)
        counts = np.where(counts == src.nodata, 0, counts)
        stations = model_default_network(communes, seats, counts, src.transform, src.crs.to_string(),
                                         places=settlements, roads=roads)
    path = out / "stations_modelled.gpkg"
    path.unlink(missing_ok=True)
    _write(stations, path, "stations")
    print("default stations:", len(stations), "rows on", stations["mast_id"].nunique(), "masts")
    print(published_comparison(stations).to_string(index=False))

if __name__ == "__main__":
    sys.exit(main())
