"""The arguments the whole-pipeline benchmarks share (imported, not a benchmark itself).

``run.py``, ``siting_agreement.py`` and ``villages.py`` all run the pipeline at a
technology, resolution and siting budget, with ``--smoke`` = 1000 m and budget 3 for CI.
"""

from __future__ import annotations

import argparse


def run_parser(doc: str) -> argparse.ArgumentParser:
    """A parser with ``--tech``, ``--resolution``, ``--budget`` and ``--smoke``."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--tech", default="5G")
    ap.add_argument("--resolution", type=float, default=100.0)
    ap.add_argument("--budget", type=int, default=20)
    ap.add_argument("--smoke", action="store_true", help="1000 m, budget 3")
    return ap


def parse_run_args(ap: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse, then apply ``--smoke`` (1000 m, budget 3)."""
    args = ap.parse_args(argv)
    if args.smoke:
        args.resolution, args.budget = 1000.0, 3
    return args
