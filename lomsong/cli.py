"""``lomsong`` console script: one sub-command module per area, each with ``register``.

Errors meant for the user (bad input, missing data) are raised as :class:`UserError` or
one of the library's documented error types and printed on stderr with exit code 2 —
never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
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


def _user_error_types() -> tuple[type[BaseException], ...]:
    from geo.data import DataError
    from geo.grid import GridError

    types: list[type[BaseException]] = [UserError, DataError, GridError, FileNotFoundError]
    for mod, attr in (
        ("geo.names", "CommuneNotFound"),
        ("geo.stations", "StationFileError"),
        ("geo.dem", "DemError"),
        ("geo.workspace", "WorkspaceError"),
        ("geo.coverage", "CoverageError"),
        ("analysis.config", "ConfigError"),
        ("analysis.calibration", "CalibrationError"),
        ("analysis.measurements", "MeasurementError"),
        ("geo.correction", "CorrectionError"),
    ):
        try:
            types.append(getattr(importlib.import_module(mod), attr))
        except (ImportError, AttributeError):
            pass
    return tuple(types)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except _user_error_types() as exc:
        print(f"lomsong: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lomsong: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
