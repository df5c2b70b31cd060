"""`lomsong stations …`: validate, import, list, export, rename, delete, opencellid.

Exit codes: 0 when the file gave at least one usable station (or the workspace action
succeeded), 2 when none or the file cannot be read — with one sentence on stderr, never
a traceback.
"""

from __future__ import annotations

import json
import sys

__all__ = ["register", "add_station_arguments"]


def add_station_arguments(parser, *, required: bool = True) -> None:
    """Add ``--stations FILE | --default``, ``--crs`` and ``--sheet`` to a sub-command's parser.

    The one definition of the station-list options for every command that takes a
    station list (``coverage``, ``run`` …), like
    :func:`lomsong.commands.dem.add_dem_arguments` for the DEM.
    """
    src = parser.add_mutually_exclusive_group(required=required)
    src.add_argument("--stations", metavar="FILE",
                     help="station list (CSV/XLSX/GeoJSON/GPKG/SHP zip/KML/KMZ/OpenCelliD CSV)")
    src.add_argument("--default", action="store_true",
                     help="the embedded MODELLED reference network (2,445 masts of 3 operators, 4G on "
                          "all, 5G on 527; results are indicative)")
    parser.add_argument("--crs", help="CRS of X/Y columns in the station file (e.g. 3405, "
                                      "VN2000-TM3-106.15)")
    parser.add_argument("--sheet", help="worksheet of an Excel station file (or GeoPackage layer; "
                                        "default: the first with a header row)")


def _add_read_options(p) -> None:
    p.add_argument("--crs", default=None,
                   help="coordinate system of X/Y columns: EPSG code (3405/3406 = VN-2000 UTM) "
                        "or VN2000-TM3-106.00 / VN2000-TM3-106.15; default WGS 84 lon/lat")
    p.add_argument("--sheet", default=None, help="Excel sheet (or GeoPackage layer) to read")
    p.add_argument("--margin-km", type=float, default=30.0,
                   help="reject stations farther than this outside the province (default 30)")


def _add_workspace(p) -> None:
    p.add_argument("--workspace", default=None,
                   help="workspace GeoPackage (default $LOMSONG_WORKSPACE or ./workspace/lomsong.gpkg)")


def register(subparsers) -> None:
    p = subparsers.add_parser("stations", help="read, validate and keep station lists")
    sub = p.add_subparsers(dest="stations_command", metavar="ACTION")

    v = sub.add_parser("validate", help="validate a station file and print the report")
    v.add_argument("file")
    _add_read_options(v)
    v.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    v.add_argument("--lang", choices=("vi", "en"), default="en", help="language of the problems")
    v.set_defaults(func=_validate)

    i = sub.add_parser("import", help="validate a station file and save it in the workspace")
    i.add_argument("file")
    i.add_argument("--name", required=True, help="name of the station set")
    i.add_argument("--replace", action="store_true", help="replace a set of the same name")
    _add_read_options(i)
    _add_workspace(i)
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_import)

    ls = sub.add_parser("list", help="list the station sets in the workspace")
    _add_workspace(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)

    e = sub.add_parser("export", help="export a station set (.csv, .xlsx, .gpkg, .geojson)")
    e.add_argument("name")
    e.add_argument("file")
    _add_workspace(e)
    e.set_defaults(func=_export)

    r = sub.add_parser("rename", help="rename a station set")
    r.add_argument("old")
    r.add_argument("new")
    _add_workspace(r)
    r.set_defaults(func=_rename)

    d = sub.add_parser("delete", help="delete a station set")
    d.add_argument("name")
    _add_workspace(d)
    d.set_defaults(func=_delete)

    o = sub.add_parser("opencellid", help="download OpenCelliD cells of the province (needs a token)")
    o.add_argument("--token", required=True, help="OpenCelliD API token")
    o.add_argument("--mcc", type=int, default=452, help="mobile country code (default 452, Viet Nam)")
    o.add_argument("--refresh", action="store_true", help="download again even if cached")
    o.add_argument("--no-merge", action="store_true", help="keep every cell as its own station")
    o.add_argument("--url", default=None, help="override the download URL (tests, mirrors)")
    o.add_argument("--cache", default=None, help="cache folder")
    o.add_argument("--name", default=None, help="also save the result in the workspace under NAME")
    o.add_argument("--margin-km", type=float, default=30.0)
    _add_workspace(o)
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=_opencellid)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _print_report(st, lang: str = "en", out=None) -> None:
    out = out or sys.stdout
    s = st.summary()
    if st.modelled:
        print("NOTE: modelled reference network — upload your station list for real results", file=out)
    print(
        f"{st.source_name or 'input'}: {s['rows_read']} rows read — {s['kept']} kept, "
        f"{s['fixed']} fixed, {s['rejected']} rejected; {s['duplicates']} duplicates flagged; "
        f"{s['stations']} stations usable",
        file=out,
    )
    from lomsong.commands._points import print_issues, print_notes

    print_notes(st.notes, lang, out)
    print_issues(st.issues(), lang, out)


def _read(args):
    from geo.stations import read_stations

    return read_stations(args.file, crs=args.crs, sheet=args.sheet, margin_km=args.margin_km)


def _validate(args) -> int:
    st = _read(args)
    if args.json:
        print(json.dumps(st.to_json_dict(), ensure_ascii=False, indent=1))
    else:
        _print_report(st, args.lang)
    return 0 if st.usable else 2


def _workspace(args):
    from geo.workspace import Workspace

    return Workspace(args.workspace)


def _import(args) -> int:
    st = _read(args)
    if not st.usable:
        _print_report(st, out=sys.stderr)
        print("lomsong: error: no usable station in the file; nothing saved.", file=sys.stderr)
        return 2
    meta = _workspace(args).save(st, args.name, replace=args.replace)
    if args.json:
        print(json.dumps(meta, ensure_ascii=False, indent=1))
    else:
        _print_report(st)
        print(f"Saved as {meta['name']!r} in {_workspace(args).path} ({meta['created_utc']}).")
    return 0


def _list(args) -> int:
    df = _workspace(args).list_sets()
    if args.json:
        print(json.dumps(df.to_dict("records"), ensure_ascii=False, indent=1, default=str))
        return 0
    if df.empty:
        print("No station sets saved yet (lomsong stations import FILE --name NAME).")
        return 0
    for r in df.itertuples(index=False):
        tag = " [modelled]" if r.modelled else ""
        print(f"{r.name}{tag}\t{r.created_utc}\t{r.n_stations} stations\t"
              f"{r.kept} kept/{r.fixed} fixed/{r.rejected} rejected\t{r.source_name}")
    return 0


def _export(args) -> int:
    path = _workspace(args).export(args.name, args.file)
    print(f"Exported {args.name!r} to {path}")
    return 0


def _rename(args) -> int:
    _workspace(args).rename(args.old, args.new)
    print(f"Renamed {args.old!r} to {args.new!r}")
    return 0


def _delete(args) -> int:
    _workspace(args).delete(args.name)
    print(f"Deleted {args.name!r}")
    return 0


def _opencellid(args) -> int:
    from geo.opencellid import read_opencellid
    st = read_opencellid(args.token, args.mcc, cache=args.cache, base_url=args.url,
                         refresh=args.refresh, margin_km=args.margin_km,
                         merge_cells=not args.no_merge, progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(st.to_json_dict(), ensure_ascii=False, indent=1))
    else:
        _print_report(st)
    if args.name and st.usable:
        _workspace(args).save(st, args.name, replace=True)
        if not args.json:
            print(f"Saved as {args.name!r}.")
    return 0 if st.usable else 2
