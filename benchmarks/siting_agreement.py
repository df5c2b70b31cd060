"""Check on the province: do the site proposals gain the people they claim?

    python benchmarks/siting_agreement.py             # 100 m, 5G, budget 20, the embedded network
    python benchmarks/siting_agreement.py --smoke     # 1000 m, budget 3: a quick CI check

Runs coverage, gaps and site proposals, then adds the proposed sites to the station list and
recomputes the coverage. Prints the people the proposals claim (the sum of ``people_new``),
the people among the targets (populated, uncovered cells before) that the recomputed coverage
covers (both links at the chosen reliability, ``Coverage.covered``), the downlink-only figure
for comparison, and the relative difference claim vs recomputed (expected ≈ 0: candidates are
judged by ``geo.coverage.station_covered_window``, the rule of ``Coverage.covered``; it can
differ slightly where two proposals overlap). ``--gap-metric throughput --min-mbps N`` judges
"served" by the modelled throughput (``analysis.pipeline.served_mask``); candidates are still
judged by their own throughput alone (their SNR), so the interference between proposals of one
operator can make the claim exceed what the recomputation serves.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _run_args import parse_run_args, run_parser  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = run_parser(__doc__)
    ap.add_argument("--reliability", type=float, default=0.5)
    ap.add_argument("--gap-metric", choices=("coverage", "throughput"), default="coverage")
    ap.add_argument("--min-mbps", type=float, default=10.0)
    args = parse_run_args(ap, argv)

    from dataclasses import replace

    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from analysis.config import AnalysisConfig
    from analysis.pipeline import (
        _stations_frame,
        coverage_stage,
        gaps_stage,
        prepare_inputs,
        served_mask,
        siting_stage,
    )
    from geo.coverage import CoverageConfig

    t0 = time.perf_counter()
    config = AnalysisConfig()
    config = replace(config, gaps=replace(config.gaps, metric=args.gap_metric, min_mbps=args.min_mbps))
    cov_cfg = CoverageConfig(reliability=args.reliability)
    inputs = prepare_inputs(args.resolution)
    stations, _ = _stations_frame(None)
    cov = coverage_stage(inputs, stations, cov_cfg)
    gaps = gaps_stage(inputs, cov, args.tech, config)
    props = siting_stage(inputs, cov, gaps, budget_sites=args.budget, config=config,
                         exact_check=False).proposals
    site = config.siting.site
    rows = [site.station_for(gaps.tech, r.lon, r.lat, r.site_id) for r in props.itertuples()]
    new = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=gpd.points_from_xy(props["lon"], props["lat"]),
                           crs="EPSG:4326").to_crs(stations.crs)
    after = coverage_stage(inputs, pd.concat([stations, new], ignore_index=True), cov_cfg)
    pop = np.nan_to_num(inputs.population.astype(np.float64), nan=0.0)
    targets = (inputs.commune_id >= 0) & (pop > 0) & ~gaps.covered
    claimed = float(props["people_new"].sum())
    gained = float(pop[targets & served_mask(after, gaps.tech, config.gaps)].sum())
    downlink = float(pop[targets & after.covered_downlink(gaps.tech)].sum())
    diff = (claimed - gained) / gained if gained > 0 else 0.0
    print(f"siting agreement: {args.resolution:g} m, {gaps.tech}, budget {args.budget}, "
          f"reliability {args.reliability:g}, gap metric {args.gap_metric}"
          + (f" ≥ {args.min_mbps:g} Mbit/s" if args.gap_metric == "throughput" else "")
          + f", {len(props)} proposals")
    print(f"  people the proposals claim (sum people_new)        {claimed:12,.0f}")
    print(f"  recomputed with the proposals added (served)       {gained:12,.0f}")
    print(f"  recomputed, downlink only (for comparison)         {downlink:12,.0f}")
    print(f"  claim vs recomputed                                {100 * diff:+11.2f} %")
    print(f"  seconds                                            {time.perf_counter() - t0:12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
