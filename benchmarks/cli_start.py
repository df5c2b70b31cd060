"""How fast the commands people type answer, against the interpreter's own start (issue #12).

    python benchmarks/cli_start.py            # 5 runs of each, median wall time
    python benchmarks/cli_start.py --smoke    # 1 run of each: a quick CI check

Each case is a fresh ``python`` process (what a user waits for): the bare interpreter,
``import pandas`` (the floor of anything that reads a table with it), ``lomsong --help``,
``lomsong commune "minh hoa"`` and ``lomsong info --json``, with an empty download cache:
the first run of each is shown apart (the first commune lookup writes the lookup table that
later ones answer from). Prints the median seconds and the ratio to the bare interpreter.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from lomsong.cli import main; sys.exit(main())"

CASES = (
    ("python -c pass", ["-c", "pass"]),
    ("import pandas", ["-c", "import pandas"]),
    ("lomsong --help", ["-c", CLI, "--help"]),
    ('lomsong commune "minh hoa"', ["-c", CLI, "commune", "minh hoa"]),
    ("lomsong info --json", ["-c", CLI, "info", "--json"]),
)


def _time_once(args: list[str], cache: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               LOMSONG_CACHE_DIR=cache)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          check=False, timeout=300)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        msg = f"{args!r} failed ({done.returncode}): {done.stderr.decode()[-500:]}"
        raise SystemExit(msg)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--smoke", action="store_true", help="one run of each case")
    args = ap.parse_args(argv)
    runs = 1 if args.smoke else max(1, args.runs)
    print(f"cli_start: median of {runs} fresh process(es) after a first one, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    base = None
    with tempfile.TemporaryDirectory(prefix="lomsong-cli-start-") as cache:  # an empty cache
        for label, cmd in CASES:
            first = _time_once(cmd, cache)  # writes .pyc files and the commune lookup table
            median = statistics.median(_time_once(cmd, cache) for _ in range(runs))
            base = base or median
            print(f"  {label:<28} {median:6.2f} s   ×{median / base:4.1f} the bare interpreter"
                  f"   (first run {first:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
