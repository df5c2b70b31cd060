"""``lomsong info`` (the embedded data at a glance) and ``lomsong commune NAME``."""

from __future__ import annotations

import json
import sys

from lomsong.commands.dem import add_dem_arguments, dem_from_args

__all__ = ["register", "info_dict", "commune_dict", "fast_commune_dict"]

PROVENANCE_LINES = (
    "Communes: national 2025 administrative-unit map + national merger portal (public government data)",
    "Population: WorldPop 2020 1 km UN-adjusted (CC BY 4.0)",
    "Relief: global 5′ (~9 km) relief grid (public domain) — coarse",
    "Coastline: GSHHG 2.3.7 full resolution (LGPL-3.0+)",
    "Roads: national roads layer, producer unknown (CC BY-SA 4.0 as stated)",
    "Places: OpenStreetMap 2017 (ODbL 1.0), GeoNames (CC BY 4.0)",
    "Stations: MODELLED reference network (no public station list exists)",
)


def register(subparsers) -> None:
    p = subparsers.add_parser("info", help="summary of the embedded Quảng Trị data")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_dem_arguments(p)
    p.add_argument("--verify", action="store_true", help="check data/SHA256SUMS first")
    p.set_defaults(func=_info)

    c = subparsers.add_parser("commune", help="facts about one commune (name or 5-digit code)")
    c.add_argument("name", help='e.g. "Minh Hóa", "minh hoa", "Xã Minh Hoá" or 18901')
    c.add_argument("--json", action="store_true")
    add_dem_arguments(c)
    c.set_defaults(func=_commune)


def _load_dem(args):
    """The DEM given with ``--dem`` (checked to cover the province), or None for the embedded one."""
    if not args.dem:
        return None
    from geo.data import load_province

    return dem_from_args(args, area=load_province(), grid=_terrain_grid())


def _terrain_grid():
    from geo.data import load_province
    from geo.grid import Grid
    from geo.landform import LandformConfig

    return Grid.for_geometry(load_province(), LandformConfig().sample_resolution_m)


def _dem_description(dem) -> dict:
    if dem is not None and hasattr(dem, "describe"):
        return {"dem": dem.describe(), "dem_resolution_m": round(float(dem.resolution_m), 1),
                "dem_coarse": bool(dem.is_coarse)}
    try:
        from geo.dem import load_dem

        d = load_dem(None)
        return {"dem": d.describe(), "dem_resolution_m": round(float(d.resolution_m), 1),
                "dem_coarse": bool(d.is_coarse)}
    except ImportError:
        return {"dem": "embedded 5′ relief (~9 km) — coarse", "dem_resolution_m": 9000.0,
                "dem_coarse": True}


def _communes_with_terrain(dem=None):
    from geo.data import load_communes
    from geo.landform import terrain_classes

    c = load_communes()
    return c.join(terrain_classes(c, dem=dem))


def _commune_record(r) -> dict:
    return {
        "code": str(r["code"]),
        "name": r["name"],
        "name_en": r["name_en"],
        "kind": r["kind"],
        "terrain": r["terrain"],
        "population_legal": int(r["population_legal"]),
        "population_worldpop": round(float(r["population_worldpop"]), 1),
        "area_km2": float(r["area_km2_legal"]),
        "area_km2_drawn": float(r["area_km2_drawn"]),
        "elev_mean_m": None if r["elev_mean_m"] != r["elev_mean_m"] else float(r["elev_mean_m"]),
        "flags": list(r["flags"]),
    }


def info_dict(dem=None) -> dict:
    """Everything ``lomsong info --json`` prints."""
    c = _communes_with_terrain(dem)
    kinds = {k: int((c["kind"] == k).sum()) for k in ("xã", "phường", "đặc khu")}
    flagged = c[c["flags"].map(len) > 0]
    return {
        "province": "Quảng Trị",
        "units": len(c),
        "kinds": kinds,
        "area_km2_legal": round(float(c["area_km2_legal"].sum()), 2),
        "area_km2_drawn": round(float(c["area_km2_drawn"].sum()), 2),
        "population_legal": int(c["population_legal"].sum()),
        "population_legal_province": 1_870_845,
        "population_worldpop": round(float(c["population_worldpop"].sum()), 0),
        "terrain": {k: int((c["terrain"] == k).sum()) for k in ("mountain", "coastal", "island", "plain")},
        **_dem_description(dem),
        "provenance": list(PROVENANCE_LINES),
        "flags": [{"code": r["code"], "name": r["name"], "flags": list(r["flags"])}
                  for _, r in flagged.iterrows()],
        "communes": [_commune_record(r) for _, r in c.iterrows()],
    }


def commune_dict(name: str, dem=None) -> dict:
    """Everything ``lomsong commune NAME --json`` prints."""
    from geo.names import find_commune

    c = _communes_with_terrain(dem)
    row = find_commune(name, c)
    rec = _full_record(row)
    if isinstance(row.get("matched_former"), str):
        rec["matched_former"] = row["matched_former"]
    if dem is None:  # the embedded data: keep every record for the next lookup
        _write_lookup([_full_record(r) for _, r in c.iterrows()])
    return rec


def _full_record(row) -> dict:
    rec = _commune_record(row)
    rec.update({
        "full_name": row["full_name"],
        "name_portal": row["name_portal"],
        "predecessors": list(row["predecessors"]),
        "admin_centre": row["admin_centre"],
        "geometry_repaired": bool(row["geometry_repaired"]),
    })
    return rec


# ------------------------------------------------------------------ fast lookups
# ``lomsong commune NAME`` on the embedded data answers from a JSON table of every commune's
# record (what commune_dict returns), written by the first lookup and keyed by the data
# files and the code that makes the records: no pandas, GDAL or DEM on later lookups.
# The match itself is geo.names.find_commune_index, the one find_commune uses.
_LOOKUP_SOURCES = ("geo/names.py", "geo/landform.py", "geo/data.py", "geo/dem.py",
                   "lomsong/commands/info.py")
_LOOKUP_DATA = ("SHA256SUMS", "communes.gpkg", "relief_5arcmin.tif", "coastline.gpkg")
_LOOKUP_MAX_BYTES = 4 * 2**20  # the 78 records are ≈ 40 kB: anything far bigger is not ours


def _lookup_path():
    """``<cache>/lookup/communes-<key>.json`` for the data and code in use."""
    import hashlib
    from pathlib import Path

    from geo.data import cache_root, data_dir

    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256(str(data_dir().resolve()).encode())
    for path in [data_dir() / n for n in _LOOKUP_DATA] + [root / n for n in _LOOKUP_SOURCES]:
        try:
            st = path.stat()
        except OSError:
            return None  # a file missing: the slow path says what is wrong
        h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    h.update((data_dir() / "SHA256SUMS").read_bytes())
    return cache_root() / "lookup" / f"communes-{h.hexdigest()[:20]}.json"


def _write_lookup(records: list[dict]) -> None:
    import os

    path = _lookup_path()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:  # a read-only cache only costs speed
        pass


def fast_commune_dict(name: str) -> dict | None:
    """:func:`commune_dict` on the embedded data from the lookup table, or None when there
    is none yet (then the full path runs and writes it). A name that matches nothing raises
    the same :class:`geo.names.CommuneNotFound` as the full path."""
    from geo.names import find_commune_index

    path = _lookup_path()
    try:
        if path is None or path.stat().st_size > _LOOKUP_MAX_BYTES:
            return None
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(records, list) or len(records) == 0:
        return None
    try:
        i, former = find_commune_index(name, [r["code"] for r in records],
                                       [r["name"] for r in records],
                                       [r["predecessors"] for r in records])
    except (KeyError, TypeError):
        return None
    rec = dict(records[i])
    if former is not None:
        rec["matched_former"] = former
    return rec


def _fmt_int(n: float) -> str:
    return f"{n:,.0f}".replace(",", ".")


def _info(args) -> int:
    if args.verify:
        from geo.data import verify_data

        verify_data()
    d = info_dict(_load_dem(args))
    if args.json:
        json.dump(d, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    k = d["kinds"]
    out = [
        f"Quảng Trị — {d['units']} units ({k['xã']} xã, {k['phường']} phường, {k['đặc khu']} đặc khu)",
        f"Area: {d['area_km2_legal']:,.1f} km² legal (sum of units), {d['area_km2_drawn']:,.1f} km² drawn",
        f"Population: {_fmt_int(d['population_legal'])} legal (sum of the 78 units; the province "
        f"reports {_fmt_int(d['population_legal_province'])}), "
        f"{_fmt_int(d['population_worldpop'])} WorldPop 2020",
        "Terrain classes: " + ", ".join(f"{v} {k}" for k, v in d["terrain"].items()),
        f"DEM in use: {d['dem']}",
    ]
    if d["dem_coarse"]:
        out.append("  warning: DEM coarser than 250 m — terrain shadows are only resolved at that "
                   "scale; pass --dem with an SRTM/Copernicus DEM (`lomsong dem download`).")
    out.append("")
    out.append(f"Data-quality flags ({len(d['flags'])} units; figures shown as published, not corrected):")
    for f in d["flags"]:
        for text in f["flags"]:
            out.append(f"  {f['code']} {f['name']}: {text}")
    out.append("")
    out.append("Provenance (data/PROVENANCE.md):")
    out.extend(f"  {line}" for line in d["provenance"])
    print("\n".join(out))
    return 0


def _commune(args) -> int:
    d = None if args.dem else fast_commune_dict(args.name)
    if d is None:
        d = commune_dict(args.name, _load_dem(args))
    if args.json:
        json.dump(d, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    lines = []
    if "matched_former" in d:
        lines.append(f"'{args.name}' is the former unit {d['matched_former']}, merged on "
                     f"1 July 2025 into:")
    lines += [
        f"{d['full_name']} ({d['code']}) — {d['kind']}, {d['terrain']}",
        f"  legal area {d['area_km2']:g} km² (drawn {d['area_km2_drawn']:.1f} km²)",
        f"  legal population {_fmt_int(d['population_legal'])}; "
        f"WorldPop 2020 {_fmt_int(d['population_worldpop'])}",
        f"  seat: {d['admin_centre']}",
        "  predecessors: " + ", ".join(d["predecessors"]),
    ]
    lines += [f"  flag: {f}" for f in d["flags"]]
    print("\n".join(lines))
    return 0
