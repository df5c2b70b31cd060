"""Benchmark of the point-list readers at the size limit: time and peak memory.

    python benchmarks/readers.py                 # a 499,000-row station CSV (inside the 500,000 limit)
    python benchmarks/readers.py --rows 100000   # another size
    python benchmarks/readers.py --kind villages # the village or measurement reader
    python benchmarks/readers.py --smoke         # 5,000 rows: a quick CI check

Writes a synthetic list (realistic cells: Vietnamese headers, decimal commas on a tenth
of the rows, a few bad rows) to a temporary folder, reads it in a fresh child process
and prints the rows, the wall and CPU seconds (CPU time is the steadier figure on a shared
machine) and the child's peak resident memory. Target on 2
cores (issue #12): 499,000 station rows in ≤ 20 s and ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 20.0
TARGET_GB = 1.5

_HEADERS = {
    "stations": "Mã trạm,Nhà mạng,Công nghệ,Kinh độ,Vĩ độ,Độ cao anten,Hướng\n",
    "villages": "Mã thôn,Tên thôn,Xã,Dân số,Điện,Kinh độ,Vĩ độ\n",
    "measurements": "Thời gian,Nhà mạng,Mạng,RSRP,Cell ID,Kinh độ,Vĩ độ\n",
}


def write_list(path: Path, kind: str, n_rows: int, seed: int = 1) -> None:
    """A synthetic list of ``kind`` with ``n_rows`` data rows inside the province."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lon = rng.uniform(106.6, 107.1, n_rows)
    lat = rng.uniform(16.7, 17.3, n_rows)
    ops = np.array(["Viettel", "VinaPhone", "MobiFone"])[rng.integers(0, 3, n_rows)]
    techs = np.array(["4G", "5G", "3G", "2G"])[rng.integers(0, 4, n_rows)]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(_HEADERS[kind])
        for i in range(n_rows):
            x, y = f"{lon[i]:.6f}", f"{lat[i]:.6f}"
            if i % 10 == 3:
                x, y = f'"{x.replace(".", ",")}"', f'"{y.replace(".", ",")}"'
            if i % 1000 == 7:
                x = "abc"
            if kind == "stations":
                f.write(f"BTS{i},{ops[i]},{techs[i]},{x},{y},{30 + i % 20},{(i * 37) % 360}\n")
            elif kind == "villages":
                f.write(f"T{i},Thôn {i},Hướng Lập,{100 + i % 900},{'có điện' if i % 5 else 'chưa có điện'},{x},{y}\n")
            else:
                f.write(f"2025-05-12 10:{i % 60:02d}:00,{ops[i]},{techs[i]},{-70 - i % 50},{i},{x},{y}\n")


_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
kind, path = sys.argv[1], sys.argv[2]
if kind == "stations":
    from geo.stations import read_stations as read
elif kind == "villages":
    from geo.village_list import read_villages as read
else:
    from geo.measurement_list import read_measurements as read
t = time.perf_counter()
ru0 = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = ru0.ru_utime + ru0.ru_stime
s = read(path)
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
summ = s.summary()
print(json.dumps({{"seconds": dt, "cpu_s": ru.ru_utime + ru.ru_stime - cpu0, "peak_mb": ru.ru_maxrss / 1024.0,
                  "summary": summ}}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=499_000)
    ap.add_argument("--kind", choices=tuple(_HEADERS), default="stations")
    ap.add_argument("--smoke", action="store_true", help="5,000 rows")
    args = ap.parse_args(argv)
    n = 5_000 if args.smoke else args.rows
    with tempfile.TemporaryDirectory(prefix="lomsong-bench-") as tmp:
        path = Path(tmp) / f"{args.kind}.csv"
        write_list(path, args.kind, n)
        size_mb = path.stat().st_size / 2**20
        out = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT)), args.kind, str(path)],
                             capture_output=True, text=True, check=False, env={**os.environ})
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return 1
    res = json.loads(out.stdout.strip().splitlines()[-1])
    s = res["summary"]
    print(f"{args.kind}: {n:,} rows ({size_mb:.1f} MB CSV) read in {res['seconds']:.1f} s "
          f"({res['cpu_s']:.1f} s CPU), peak memory {res['peak_mb'] / 1024:.2f} GB")
    print(f"  rows_read {s['rows_read']:,}, kept {s['kept']:,}, fixed {s['fixed']:,}, "
          f"rejected {s['rejected']:,}")
    if s["kept"] + s["fixed"] + s["rejected"] != s["rows_read"] or s["rows_read"] != n:
        print("  ERROR: kept + fixed + rejected != rows read", file=sys.stderr)
        return 1
    if not args.smoke:
        ok = res["seconds"] <= TARGET_S and res["peak_mb"] / 1024 <= TARGET_GB
        print(f"  target ≤ {TARGET_S:g} s and ≤ {TARGET_GB:g} GB: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
