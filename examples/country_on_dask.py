"""Run lomsong over many provinces (or one big station list) on a Dask cluster.

Two ways to use a cluster, both runnable here on the embedded province:

``provinces`` — one ``lomsong run`` per province, mapped over the cluster. Each task runs the
CLI in a fresh process on a worker, with ``LOMSONG_DATA_DIR`` pointing at that province's data
folder (the files ``data/build.py`` makes: communes, WorldPop, relief, roads, coast), and
returns its ``summary.json``; the client writes the national table ``country_summary.csv``.
Without ``--manifest`` the demo manifest runs the embedded Quảng Trị for 5G and 4G.

``fanout`` — one province, its per-station coverage fanned out over the cluster
(:func:`analysis.distributed.run_analysis_distributed`; the same as ``lomsong run --scheduler``).

    python examples/country_on_dask.py provinces --workers 2 --resolution 1000 --out out/country
    python examples/country_on_dask.py provinces --scheduler tcp://10.0.0.5:8786 \\
        --manifest provinces.csv --out /shared/lomsong/country
    python examples/country_on_dask.py fanout --workers 2 --resolution 1000 --out out/fanout

A manifest is a CSV with columns ``province, data_dir, stations, tech, resolution, budget``
(``data_dir`` empty = the embedded data; ``stations`` empty = the province's modelled network).
With a remote scheduler, ``--out``, every ``data_dir`` and every station file must be paths the
workers can read and write (a shared file system), and the workers need lomsong installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SUMMARY_COLUMNS = ("province", "tech", "resolution_m", "stations", "people_total",
                   "people_covered", "share_covered", "gaps", "communes_lom_song", "proposals",
                   "people_newly_covered", "cost_total_vnd", "seconds", "out")


def run_province(job: dict) -> dict:
    """Worker: ``lomsong run`` for one manifest row in a fresh process; its summary."""
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "lomsong.cli", "run", "--tech", job["tech"],
           "--resolution", str(job["resolution"]), "--budget", str(job["budget"]),
           "--out", str(out), "--quiet"]
    cmd += ["--stations", job["stations"]] if job.get("stations") else ["--default"]
    env = dict(os.environ)
    if job.get("data_dir"):
        env["LOMSONG_DATA_DIR"] = job["data_dir"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"province": job["province"], "tech": job["tech"], "error": proc.stderr[-2000:]}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"province": job["province"], **summary, "seconds": round(time.perf_counter() - t, 1),
            "out": str(out)}


def read_manifest(path: str | None, resolution: float, budget: int, out: Path) -> list[dict]:
    """Manifest rows as jobs; the demo manifest when ``path`` is None."""
    if path is None:
        rows = [{"province": "Quảng Trị", "data_dir": "", "stations": "", "tech": t,
                 "resolution": resolution, "budget": budget} for t in ("5g", "4g")]
    else:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    jobs = []
    for i, r in enumerate(rows, start=2):
        missing = {"province", "tech"} - {k for k, v in r.items() if v}
        if missing:
            msg = f"{path}: row {i} lacks {sorted(missing)}."
            raise SystemExit(msg)
        tech = str(r["tech"]).lower()
        jobs.append({
            "province": r["province"], "data_dir": r.get("data_dir") or "",
            "stations": r.get("stations") or "", "tech": tech,
            "resolution": float(r.get("resolution") or resolution),
            "budget": int(r.get("budget") or budget),
            "out": str(out / f"{r['province']}_{tech}".replace(" ", "_")),
        })
    return jobs


def provinces(args, client) -> int:
    out = Path(args.out)
    jobs = read_manifest(args.manifest, args.resolution, args.budget, out)
    print(f"{len(jobs)} province runs on {len(client.scheduler_info()['workers'])} workers")
    futures = client.map(run_province, jobs, pure=False)
    results = []
    from distributed import as_completed

    for fut in as_completed(futures):
        r = fut.result()
        results.append(r)
        state = r.get("error") or (f"{r['share_covered']:.1%} covered, {r['gaps']} gaps, "
                                    f"{r['proposals']} sites, {r['seconds']} s")
        print(f"  {r['province']} {r['tech']}: {state}", flush=True)
    results.sort(key=lambda r: (r["province"], r["tech"]))
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "country_summary.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=SUMMARY_COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(r for r in results if "error" not in r)
    ok = [r for r in results if "error" not in r]
    total = sum(r["people_total"] for r in ok if r["tech"] == ok[0]["tech"]) if ok else 0
    print(f"wrote {out / 'country_summary.csv'} ({len(ok)} runs; {total:,.0f} people in the "
          f"{ok[0]['tech'] if ok else ''} runs)")
    return 0 if len(ok) == len(results) else 1


def fanout(args, client) -> int:
    from analysis.distributed import run_analysis_distributed
    from analysis.pipeline import write_outputs

    t = time.perf_counter()
    result = run_analysis_distributed(args.stations, args.tech, args.resolution, args.budget,
                                      client=client)
    paths = write_outputs(result, args.out)
    s = result.summary
    print(f"{s['people_covered']:,.0f} of {s['people_total']:,.0f} people covered by {s['tech']}; "
          f"{s['gaps']} gaps; {s['proposals']} sites proposed; "
          f"{time.perf_counter() - t:.1f} s; outputs in {paths['summary'].parent}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("provinces", "fanout"))
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=2, help="local cluster size (default 2)")
    where.add_argument("--scheduler", help="address of a running scheduler, tcp://HOST:8786")
    ap.add_argument("--manifest", help="provinces CSV (provinces mode; default: a demo)")
    ap.add_argument("--stations", help="station file (fanout mode; default: modelled network)")
    ap.add_argument("--tech", default="5g")
    ap.add_argument("--resolution", type=float, default=1000.0)
    ap.add_argument("--budget", type=int, default=10)
    ap.add_argument("--out", default="out/country")
    args = ap.parse_args(argv)

    from analysis.distributed import dask_client

    scheduler = args.scheduler
    with dask_client(None if scheduler else args.workers, scheduler) as client:
        return provinces(args, client) if args.mode == "provinces" else fanout(args, client)


if __name__ == "__main__":
    sys.exit(main())
