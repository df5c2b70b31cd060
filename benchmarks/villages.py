"""Benchmark of the village stage: status of every village, people per village, the objective.

    python benchmarks/villages.py                 # 100 m, 5G, the embedded villages (4G reaches ~100 % on the modelled network)
    python benchmarks/villages.py --smoke         # 1000 m: a quick CI check

Prints the seconds of the village stage (people per village, centres, status) on a run's cached
coverage, of the greedy proposals by villages and by people for the same pool (and the villages
each serves), the village counts by status, and the people assigned / scattered. Target on 2
cores: the village stage ≤ 10 s at 100 m.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _run_args import parse_run_args, run_parser  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = run_parser(__doc__)
    args = parse_run_args(ap, argv)

    from analysis.pipeline import (
        coverage_stage,
        gaps_stage,
        prepare_inputs,
        siting_stage,
        villages_stage,
    )
    from geo.coverage import CoverageConfig

    print(f"villages benchmark: {args.resolution:g} m, tech {args.tech}, budget {args.budget}, "
          f"{os.cpu_count()} CPUs")
    t = time.perf_counter()
    inputs = prepare_inputs(args.resolution)
    coverage = coverage_stage(inputs, None, CoverageConfig())
    gaps = gaps_stage(inputs, coverage, args.tech)
    print(f"  inputs + coverage + gaps: {time.perf_counter() - t:8.1f} s")
    t = time.perf_counter()
    v = villages_stage(inputs, coverage, gaps)
    print(f"  village stage:            {time.perf_counter() - t:8.1f} s")
    s = v.summary
    print(f"  villages {s['villages_total']} in {s['villages_communes']} communes "
          f"({s['villages_modelled_clusters']} modelled clusters, {s['villages_rounded_centres']} "
          f"rounded centres): {s['villages_no_signal']} no signal, {s['villages_partial']} partial, "
          f"{s['villages_covered']} covered")
    print(f"  people in villages {s['villages_people']:,.0f}, scattered "
          f"{s['villages_people_scattered']:,.0f}")
    for objective in ("people", "villages"):
        t = time.perf_counter()
        out = siting_stage(inputs, coverage, gaps, budget_sites=args.budget, exact_check=False,
                           objective=objective, villages=v)
        dt = time.perf_counter() - t
        p = out.proposals
        print(f"  objective {objective:8s}: {dt:6.1f} s (pool cached after the first), "
              f"{len(p)} sites serve {int(p['villages_new'].sum())} villages, cover "
              f"{p['people_new'].sum():,.0f} people")
    return 0


if __name__ == "__main__":
    sys.exit(main())
