"""`lomsong villages validate|import|list`: the user's village list ("danh sách thôn").

    lomsong villages validate danh_sach_thon.xlsx --crs VN2000-TM3-106.15
    lomsong villages import danh_sach_thon.xlsx --name "Thôn 2025"
    lomsong villages list

Reads with :func:`geo.village_list.read_villages`; sets live in the workspace
GeoPackage beside station sets (:meth:`geo.workspace.Workspace.load_villages`).
"""

from __future__ import annotations

from lomsong.commands._points import register_point_kind

__all__ = ["register", "subparsers"]

#: The ``villages`` command's sub-parsers once registered (to add an action from another module).
subparsers = None


def _read(path, **kw):
    from geo.village_list import read_villages

    return read_villages(path, **kw)


def register(parent) -> None:
    global subparsers
    subparsers = register_point_kind(
        parent, command="villages", kind="villages", noun="village",
        help_text="read, validate and keep village lists (danh sách thôn, bản)", reader=_read)
