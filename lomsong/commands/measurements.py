"""`lomsong measurements validate|import|list`: drive and walk tests.

    lomsong measurements validate gnettrack_2025-05-12.txt
    lomsong measurements validate do_song.xlsx --crs VN2000-TM3-106.15 --json
    lomsong measurements import gnettrack_2025-05-12.txt --name "QL9 05/2025"
    lomsong measurements list

Reads with :func:`geo.measurement_list.read_measurements` (G-NetTrack Pro exports,
generic CSV/XLSX, GeoJSON/KML); sets live in the workspace GeoPackage
(:meth:`geo.workspace.Workspace.load_measurements`).

Adding an action from another module (e.g. ``calibrate``)
---------------------------------------------------------
Put the module in :data:`lomsong.cli.COMMAND_MODULES` *after*
``lomsong.commands.measurements`` and, in its ``register(subparsers)``, ignore the
top-level ``subparsers`` and call :func:`add_subcommand`::

    from lomsong.commands.measurements import add_subcommand

    def register(subparsers) -> None:
        p = add_subcommand("calibrate", help="fit the model to a drive test")
        p.add_argument("file")
        p.set_defaults(func=_calibrate)

:func:`add_subcommand` returns an ordinary :class:`argparse.ArgumentParser`
(``lomsong measurements calibrate …``). The read options (``--crs``, ``--sheet``,
``--margin-km``) and ``--workspace`` can be added with
:func:`lomsong.commands._points.add_read_options` / ``add_workspace_option``.
"""

from __future__ import annotations

from lomsong.commands._points import register_point_kind

__all__ = ["register", "add_subcommand", "subparsers"]

#: The ``measurements`` command's sub-parsers once registered (``None`` before).
subparsers = None


def _read(path, **kw):
    from geo.measurement_list import read_measurements

    return read_measurements(path, **kw)


def register(parent) -> None:
    global subparsers
    subparsers = register_point_kind(
        parent, command="measurements", kind="measurements", noun="measured point",
        help_text="read, validate and keep drive-test measurements", reader=_read,
        file_noun="drive-test file")


def add_subcommand(name: str, **kwargs):
    """Add ``lomsong measurements NAME`` and return its parser (after :func:`register`).

    ``kwargs`` go to :meth:`argparse._SubParsersAction.add_parser` (``help=…``).
    """
    if subparsers is None:
        msg = ("lomsong.commands.measurements is not registered yet: list your module after it "
               "in lomsong.cli.COMMAND_MODULES")
        raise RuntimeError(msg)
    return subparsers.add_parser(name, **kwargs)
