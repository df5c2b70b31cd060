"""What the point-list commands share: `lomsong villages …`, `lomsong measurements …`.

``register_point_kind`` adds ``validate FILE``, ``import FILE --name NAME`` and ``list``
under one command for one kind of :mod:`geo.pointlist`, and returns that command's
sub-parsers object so a later module can add more actions to it. Exit codes: 0 when the
file gave at least one usable point (or the workspace action succeeded), 2 when none or
the file cannot be read — one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

__all__ = ["register_point_kind", "print_report", "add_read_options", "add_workspace_option"]


def add_read_options(p, noun: str = "point") -> None:
    """``--crs``, ``--sheet`` and ``--margin-km`` for a sub-command that reads a point list."""
    p.add_argument("--crs", default=None,
                   help="coordinate system of X/Y columns: EPSG code (3405/3406 = VN-2000 UTM) "
                        "or VN2000-TM3-106.00 / VN2000-TM3-106.15; default WGS 84 lon/lat")
    p.add_argument("--sheet", default=None, help="Excel sheet (or GeoPackage layer) to read")
    p.add_argument("--margin-km", type=float, default=30.0,
                   help=f"reject {noun}s farther than this outside the province (default 30)")


def add_workspace_option(p) -> None:
    p.add_argument("--workspace", default=None,
                   help="workspace GeoPackage (default $LOMSONG_WORKSPACE or ./workspace/lomsong.gpkg)")


def _legacy_line(notes, lang: str) -> str | None:
    from geo._station_readers import legacy_note

    pair = legacy_note(list(notes))
    if pair is None:
        return None
    return pair[0] if lang == "vi" else pair[1]


def print_issues(issues, lang: str = "en", out=None) -> None:
    """The report's problem lines as a table: row, status, column, problem."""
    out = out or sys.stdout
    if issues.empty:
        return
    col = "problem_vi" if lang == "vi" else "problem_en"
    width_col = min(24, max(6, int(issues["column"].astype(str).str.len().max())))
    print(f"{'row':>7}  {'status':<8}  {'column':<{width_col}}  problem", file=out)
    for rec in issues.itertuples(index=False):
        column = str(rec.column)[:width_col]
        print(f"{rec.row:>7}  {rec.status:<8}  {column:<{width_col}}  {getattr(rec, col)}", file=out)


def print_notes(notes, lang: str = "en", out=None) -> None:
    """Set-wide warnings: a legacy encoding converted, the province outline not read."""
    from geo.pointlist import BBOX_NOTE, BBOX_NOTE_VI

    out = out or sys.stdout
    line = _legacy_line(notes, lang)
    if line:
        print(f"NOTE: {line}", file=out)
    if BBOX_NOTE in notes:
        print(f"WARNING: {BBOX_NOTE_VI if lang == 'vi' else BBOX_NOTE}", file=out)
    for n in notes:
        if " / " in n and not n.startswith(("encoding=", "delimiter=")) and n != BBOX_NOTE:
            print(f"NOTE: {n}", file=out)


def print_report(ps, noun: str, lang: str = "en", out=None) -> None:
    """One summary line, the set-wide notes, then every problem line."""
    out = out or sys.stdout
    s = ps.summary()
    print(f"{ps.source_name or 'input'}: {s['rows_read']} rows read — {s['kept']} kept, "
          f"{s['fixed']} fixed, {s['rejected']} rejected; {s.get('flagged', 0)} flagged; "
          f"{s['points']} {noun}s usable", file=out)
    print_notes(ps.notes, lang, out)
    print_issues(ps.issues(), lang, out)


def register_point_kind(subparsers, *, command: str, kind: str, noun: str, help_text: str,
                        reader: Callable, file_noun: str | None = None):
    """Add ``lomsong COMMAND validate|import|list`` for one point kind; return its sub-parsers.

    ``noun`` names one point ("village"), ``file_noun`` the file ("village list").
    """
    file_noun = file_noun or f"{noun} list"
    p = subparsers.add_parser(command, help=help_text)
    sub = p.add_subparsers(dest=f"{command}_command", metavar="ACTION")

    def read(args):
        return reader(args.file, crs=args.crs, sheet=args.sheet, margin_km=args.margin_km)

    def workspace(args):
        from geo.workspace import Workspace

        return Workspace(args.workspace)

    def validate(args) -> int:
        ps = read(args)
        if args.json:
            print(json.dumps(ps.to_json_dict(), ensure_ascii=False, indent=1))
        else:
            print_report(ps, noun, args.lang)
        return 0 if ps.usable else 2

    def do_import(args) -> int:
        ps = read(args)
        if not ps.usable:
            print_report(ps, noun, out=sys.stderr)
            print(f"lomsong: error: no usable {noun} in the file; nothing saved.", file=sys.stderr)
            return 2
        meta = workspace(args).save_points(ps, args.name, kind=kind, replace=args.replace)
        if args.json:
            print(json.dumps(meta, ensure_ascii=False, indent=1))
        else:
            print_report(ps, noun)
            print(f"Saved as {meta['name']!r} in {workspace(args).path} ({meta['created_utc']}).")
        return 0

    def do_list(args) -> int:
        df = workspace(args).list_point_sets(kind)
        if args.json:
            print(json.dumps(df.to_dict("records"), ensure_ascii=False, indent=1, default=str))
            return 0
        if df.empty:
            print(f"No {kind} sets saved yet (lomsong {command} import FILE --name NAME).")
            return 0
        for r in df.itertuples(index=False):
            print(f"{r.name}\t{r.created_utc}\t{r.n_points} {noun}s\t"
                  f"{r.kept} kept/{r.fixed} fixed/{r.rejected} rejected\t{r.source_name}")
        return 0

    v = sub.add_parser("validate", help=f"validate a {file_noun} and print the report")
    v.add_argument("file")
    add_read_options(v, noun)
    v.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    v.add_argument("--lang", choices=("vi", "en"), default="en", help="language of the problems")
    v.set_defaults(func=validate)

    i = sub.add_parser("import", help=f"validate a {file_noun} and save it in the workspace")
    i.add_argument("file")
    i.add_argument("--name", required=True, help=f"name of the {kind} set")
    i.add_argument("--replace", action="store_true", help="replace a set of the same name")
    add_read_options(i, noun)
    add_workspace_option(i)
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=do_import)

    ls = sub.add_parser("list", help=f"list the {kind} sets in the workspace")
    add_workspace_option(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=do_list)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
    return sub
