"""Dask scale-out: the province on a 2-worker LocalCluster (real processes) equals the serial run.

Byte-for-byte: every raster, table, the GeoPackage, the report and the workbook; the
summary differs only in ``seconds``. Also: the executor's tile folding on a synthetic case
with ties, and that the default path never imports Dask.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

RESOLUTION_M = 1000.0
BUDGET = 3


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def cluster():
    from analysis.distributed import dask_client

    with dask_client(2, processes=True) as client:
        yield client


@pytest.fixture(scope="module")
def inputs():
    from analysis.pipeline import prepare_inputs

    return prepare_inputs(RESOLUTION_M)


def test_province_distributed_equals_serial(cluster, inputs, tmp_path):
    from analysis.distributed import DaskExecutor, run_analysis_distributed
    from analysis.pipeline import run_analysis, write_outputs
    from geo.coverage import clear_cache

    clear_cache()
    serial = run_analysis(None, "5G", RESOLUTION_M, BUDGET, inputs=inputs)
    clear_cache()  # else the second run would only read the in-memory per-station cache
    ex = DaskExecutor(cluster, tile_cells=48, stations_per_task=96)
    dist = run_analysis(None, "5G", RESOLUTION_M, BUDGET, inputs=inputs, executor=ex)
    assert dist.coverage.metadata["stations_computed"] == len(dist.stations) > 0
    assert ex.last_run["stations"] == len(dist.stations)
    assert ex.last_run["tiles"] > 4 and ex.last_run["window_tasks"] > 4  # really tiled

    for t in serial.coverage.rsrp_dbm:
        assert serial.coverage.rsrp_dbm[t].tobytes() == dist.coverage.rsrp_dbm[t].tobytes()
        assert serial.coverage.best_server[t].tobytes() == dist.coverage.best_server[t].tobytes()
        assert serial.coverage.n_servers[t].tobytes() == dist.coverage.n_servers[t].tobytes()
    md_s, md_d = serial.coverage.metadata, dist.coverage.metadata
    for k in ("cells_evaluated", "extrapolated_cells", "reach_m", "models", "stations"):
        assert md_s[k] == md_d[k], k

    write_outputs(serial, tmp_path / "serial")
    write_outputs(dist, tmp_path / "dist")
    a, b = _files(tmp_path / "serial"), _files(tmp_path / "dist")
    assert sorted(a) == sorted(b)
    assert any(k.endswith(".tif") for k in a)
    sa = json.loads(a.pop("summary.json"))
    sb = json.loads(b.pop("summary.json"))
    sa.pop("seconds")
    sb.pop("seconds")
    assert sa == sb
    for name in a:
        assert a[name] == b[name], name

    # the convenience wrapper on the same client gives the same summary
    clear_cache()
    again = run_analysis_distributed(None, "5G", RESOLUTION_M, BUDGET, inputs=inputs,
                                     client=cluster)
    s1, s2 = dict(serial.summary), dict(again.summary)
    s1.pop("seconds")
    s2.pop("seconds")
    assert s1 == s2


def test_tile_fold_matches_merge_kernel_with_ties():
    """Overlapping windows with equal levels: tiles folded in any order = serial merge."""
    from analysis.distributed import _tile_task
    from geo.coverage import Mosaic, MosaicSpec, WindowResult
    from geo.coverage.config import _Q_NONE

    rng = np.random.default_rng(7)
    shape = (40, 50)
    wins = []
    for pos in range(12):
        h, w = rng.integers(5, 25, size=2)
        r, c = rng.integers(0, shape[0] - h), rng.integers(0, shape[1] - w)
        q = rng.integers(-9000, -8990, size=(h, w)).astype(np.int16)  # many ties
        q[rng.random((h, w)) < 0.2] = _Q_NONE
        res = WindowResult(int(r), int(c), q, 0, 1000.0, "fspl")
        wins.append((pos, "5G", res, int(r + h // 2), int(c + w // 2)))
    spec = MosaicSpec({"5G": -8995}, power_group=np.arange(12, dtype=np.int32) % 3)
    serial = Mosaic.empty(spec, shape)
    for pos, tech, res, _, _ in wins:
        serial.add(pos, tech, res)

    tiles = []
    for r0 in range(0, shape[0], 16):
        for c0 in range(0, shape[1], 16):
            b = (r0, min(shape[0], r0 + 16), c0, min(shape[1], c0 + 16))
            half = len(wins) // 2
            # one tile from windows of two "tasks" given in reverse order, and two partial
            # tiles over the same cells (as cache hits + distributed work), folded later
            tiles.append(_tile_task(b, spec, wins[half:][::-1], wins[:half]))
            tiles.append(_tile_task(b, spec, wins[::3]))
            tiles.append(_tile_task(b, spec, [w for w in wins if w[0] % 3]))
    folded = Mosaic.empty(spec, shape)
    owners = []
    for mosaic, stats in tiles[::-1]:
        owners += [st[0] for st in stats]
        folded.fold(mosaic)
    np.testing.assert_array_equal(serial.best["5G"], folded.best["5G"])
    np.testing.assert_array_equal(serial.server["5G"], folded.server["5G"])
    # every window counted twice (once whole, once in the two partials)
    np.testing.assert_array_equal(2 * serial.count["5G"].astype(np.int64), folded.count["5G"])
    # power sums: integers, so exactly twice the serial sums whatever the order and tiling
    assert sorted(serial.power["5G"]) == [0, 1, 2]
    for g in serial.power["5G"]:
        p = serial.power_array("5G", g)
        np.testing.assert_array_equal(2 * p, folded.power_array("5G", g))
        assert p.max() > 0
    # each station reported once per tiling (here: by the full tiles and by the partials)
    assert sorted(owners) == sorted(2 * list(range(len(wins))))


def test_power_sum_is_the_linear_sum_of_received_power():
    """The int64 power sum of two windows is 10^(dBm/10) summed, in 1e-16 mW."""
    from geo.coverage import Mosaic, MosaicSpec, WindowResult

    spec = MosaicSpec({"4G": -11500}, power_group=np.zeros(2, dtype=np.int32))
    m = Mosaic.empty(spec, (1, 2))
    m.add(0, "4G", WindowResult(0, 0, np.array([[-9000, -10000]], np.int16), 0, 1.0, "fspl"))
    m.add(1, "4G", WindowResult(0, 0, np.array([[-9000, -12000]], np.int16), 0, 1.0, "fspl"))
    # −90 dBm twice = 2e-9 mW = 2e7 units; −100 + −120 dBm = 1e-10 + 1e-12 mW = 1.01e6 units
    np.testing.assert_array_equal(m.power_array("4G", 0), [[20_000_000, 1_010_000]])
    np.testing.assert_array_equal(m.count["4G"], [[2, 1]])


def test_default_path_does_not_import_dask():
    code = (
        "import sys\n"
        "import analysis.pipeline, geo.coverage, lomsong.cli, lomsong.commands.run\n"
        "assert not any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules), "
        "sorted(m for m in sys.modules if 'dask' in m or 'distributed' in m)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_bad_arguments():
    from analysis.distributed import DaskExecutor, DistributedError, dask_client

    with pytest.raises(DistributedError), dask_client():
        pass
    with pytest.raises(DistributedError), dask_client(2, "tcp://127.0.0.1:1"):
        pass
    with pytest.raises(DistributedError):
        DaskExecutor(None, tile_cells=4)
    with pytest.raises(DistributedError):
        DaskExecutor(None, stations_per_task=0)


def test_cli_scale_out_options(tmp_path, capsys):
    from lomsong.cli import main

    rc = main(["run", "--default", "--resolution", "1000", "--workers", "0", "--quiet",
               "--out", str(tmp_path)])
    assert rc == 2
    assert "--workers must be ≥ 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # one or the other
        main(["run", "--default", "--workers", "2", "--scheduler", "tcp://h:8786",
              "--out", str(tmp_path)])


@pytest.mark.parametrize("tile", [7, 256])
def test_tiled_power_sums_equal_a_dense_sum(monkeypatch, tile):
    """Power sums kept per tile (allocated where a group reaches) equal one dense int64 sum,
    also when windows and half-grid mosaics straddle tile borders (issue 13: 30 m memory)."""
    from geo.coverage import Mosaic, MosaicSpec, WindowResult, kernels, mosaic
    from geo.coverage.config import _Q_NONE

    monkeypatch.setattr(mosaic, "_POWER_TILE", tile)  # where Mosaic and its tiles read it
    rng = np.random.default_rng(7)
    shape = (45, 38)
    groups = np.arange(10, dtype=np.int32) % 2
    spec = MosaicSpec({"4G": -11000}, power_group=groups)
    dense = {g: np.zeros(shape, np.int64) for g in (0, 1)}
    best = np.full(shape, _Q_NONE, np.int16)
    server = np.full(shape, -1, np.int32)
    count = np.zeros(shape, np.uint16)
    serial = Mosaic.empty(spec, shape)
    wins = []
    for pos in range(10):
        h, w = rng.integers(3, 30, size=2)
        r, c = rng.integers(0, shape[0] - h), rng.integers(0, shape[1] - w)
        q = rng.integers(-12000, -7000, size=(h, w)).astype(np.int16)
        q[rng.random((h, w)) < 0.2] = _Q_NONE
        res = WindowResult(int(r), int(c), q, 0, 1000.0, "fspl")
        wins.append((pos, res))
        serial.add(pos, "4G", res)
        kernels._merge_kernel(q, int(r), int(c), pos, -11000, best, server, count, dense[groups[pos]])
    top = Mosaic.empty(spec, (20, shape[1]), r0=0, c0=0)
    bottom = Mosaic.empty(spec, (shape[0] - 20, shape[1]), r0=20, c0=0)
    for pos, res in wins:
        top.add(pos, "4G", res)
        bottom.add(pos, "4G", res)
    folded = Mosaic.empty(spec, shape)
    folded.fold(bottom)
    folded.fold(top)
    for g in (0, 1):
        np.testing.assert_array_equal(serial.power_array("4G", g), dense[g])
        np.testing.assert_array_equal(folded.power_array("4G", g), dense[g])
    np.testing.assert_array_equal(serial.best["4G"], best)
    # the best server's group total, read tile by tile, equals the dense read-out
    want = np.full(shape, np.nan, np.float32)
    for g in (0, 1):
        kernels._group_total_kernel(server, groups, g, dense[g], kernels._POWER_UNIT_DBM, want)
    got = mosaic._best_group_total_dbm(serial.server["4G"], serial.power["4G"], groups)
    np.testing.assert_array_equal(got, want)
