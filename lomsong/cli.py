"""``lomsong`` console script: one sub-command module per area, each with ``register``.

Errors meant for the user (bad input, missing data) are raised as :class:`UserError` or
one of the library's documented error types and printed on stderr with exit code 2 —
never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

__all__ = ["main", "UserError"]

# Each module defines ``register(subparsers)`` adding its sub-command(s); a sub-command
# sets ``func`` (args -> int exit code) with ``set_defaults``.
COMMAND_MODULES = (
    "lomsong.commands.info",
    "lomsong.commands.stations",
    "lomsong.commands.villages",
    "lomsong.commands.measurements",
    "lomsong.commands.dem",
    "lomsong.commands.coverage",
    "lomsong.commands.run",
    "lomsong.commands.station",
    "lomsong.commands.calibrate",  # after lomsong.commands.measurements: joins its sub-commands
)


class UserError(Exception):
    """A problem the user can fix; printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lomsong",
        description="Mobile coverage-gap (lõm sóng) analysis for Quảng Trị.",
    )
    parser.add_argument("--version", action="version", version="lomsong 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


#: The library's documented error types a user can fix (module, class). They are looked up
#: only in modules already imported — an exception cannot come from a module never loaded —
#: so that an error message does not import the whole library (``lomsong commune`` stays fast).
USER_ERROR_TYPES = (
    ("geo.data", "DataError"),
    ("geo.grid", "GridError"),
    ("geo.names", "CommuneNotFound"),
    ("geo.stations", "StationFileError"),
    ("geo.dem", "DemError"),
    ("geo.workspace", "WorkspaceError"),
    ("geo.coverage", "CoverageError"),
    ("analysis.config", "ConfigError"),
    ("analysis.calibration", "CalibrationError"),
    ("analysis.measurements", "MeasurementError"),
    ("geo.correction", "CorrectionError"),
)


def _is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, UserError | FileNotFoundError):
        return True
    for mod, attr in USER_ERROR_TYPES:
        cls = getattr(sys.modules.get(mod), attr, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False


#: Exit code when the reader of stdout went away (``lomsong … | head``): 128 + SIGPIPE,
#: what a shell reports for any program stopped that way.
EXIT_BROKEN_PIPE = 141


def main(argv: list[str] | None = None) -> int:
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        print(f"lomsong: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lomsong: interrupted", file=sys.stderr)
        return 130


def _discard_stdout() -> None:
    """Point stdout at the null device so the interpreter's final flush cannot fail again
    (the recipe of the Python docs, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by an object without a fd
        pass


if __name__ == "__main__":
    sys.exit(main())
