"""Scale-out on Dask: per-station coverage and per-tile combination as Dask tasks.

The default analysis is single-process (a thread pool over numba kernels) and never
imports Dask. This module plugs a Dask cluster into the same engine:

* :class:`DaskExecutor` is the ``executor=`` of :func:`geo.coverage.compute`, built on the
  engine's public window API. Each group of stations sharing an antenna position (one
  line-of-sight sweep) is one task running the engine's own window task
  (:func:`geo.coverage.group_windows`); the province grid is cut into square tiles and
  each tile is one task folding, in station order, the windows that reach it into a
  :class:`geo.coverage.Mosaic` (:meth:`~geo.coverage.Mosaic.add`). The client only folds
  the finished tiles (:meth:`~geo.coverage.Mosaic.fold`). The combination — highest level,
  lowest station row on ties, counts and co-channel powers added — is associative and
  commutative (the power sums are integers), so rasters and tables are byte-for-byte those
  of the serial run.
* :func:`dask_client` opens a ``LocalCluster(n_workers=N, threads_per_worker=1)`` for
  ``lomsong run --workers N`` or connects to a running scheduler for
  ``--scheduler tcp://HOST:8786`` (any Dask deployment: Kubernetes, HPC, cloud).
* :func:`run_analysis_distributed` is :func:`analysis.pipeline.run_analysis` with the
  coverage stage on the cluster.

Memory
------
Tiles are processed in bands of tile rows, top to bottom, one band ahead of the one
being collected; a station group's windows are released once the band below its window
is reached, so the cluster holds about two bands of windows at a time, and the client the
province rasters only.

Workers need the same ``lomsong`` version installed (the tasks are functions of
:mod:`geo.coverage` and of this module); the DEM on the grid is scattered to every worker
once.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_TILE_CELLS",
    "TASKS_PER_WORKER",
    "DistributedError",
    "DaskExecutor",
    "dask_client",
    "run_analysis_distributed",
]

DEFAULT_TILE_CELLS = 512  # tile side in grid cells (51.2 km at 100 m)
TASKS_PER_WORKER = 8  # window tasks per worker when stations_per_task is automatic
MIN_STATIONS_PER_TASK = 32  # a task's scheduling overhead should stay small beside its stations
MAX_STATIONS_PER_TASK = 1024


class DistributedError(RuntimeError):
    """The Dask cluster could not be started or reached, or a task failed."""


# ------------------------------------------------------------------------------- tasks
def _batch_task(groups: Sequence[Sequence[tuple]], grid, elevation,
                config) -> list[tuple[int, str, Any, int, int]]:
    """Worker: windows of a batch of station groups, ``(pos, tech, result, row, col)`` in order.

    Each group (stations of one antenna position) is one call of the engine's own
    :func:`geo.coverage.group_windows`. With ``config.cache_dir`` (a folder every worker
    and the client can see) the windows are also written to the engine's on-disk cache,
    not to the worker's memory.
    """
    from geo.coverage import group_windows
    from geo.coverage.cache import _CACHE

    results = []
    for group in groups:
        out = group_windows(group, grid, elevation, config)
        if config.cache_dir:
            for (_, _, res), item in zip(out, group, strict=True):
                _CACHE.put(item[4], res, 0.0, config.cache_dir)
        results.extend((pos, params["technology"], res, item[2], item[3])
                       for (pos, params, res), item in zip(out, group, strict=True))
    return results


def _tile_task(bounds: tuple[int, int, int, int], spec,
               *group_results: list[tuple[int, str, Any, int, int]]):
    """Worker: fold the windows of ``group_results`` that reach the tile, in station order.

    Returns ``(mosaic, stats)``: a :class:`geo.coverage.Mosaic` over the tile (technologies
    present only) and ``(pos, n_extrapolated, cells, reach_m, model)`` of the stations whose
    antenna cell lies in this tile (so each station is reported by exactly one tile).
    """
    from geo.coverage import Mosaic

    r0, r1, c0, c1 = bounds
    mosaic = Mosaic.empty(spec, (r1 - r0, c1 - c0), r0=r0, c0=c0)
    items = sorted((item for res in group_results for item in res), key=lambda it: it[0])
    stats = []
    for pos, tech, res, row, col in items:
        if r0 <= row < r1 and c0 <= col < c1:
            stats.append((pos, int(res.n_extrapolated), int(res.q.size), float(res.reach_m),
                          str(res.model)))
        h, w = res.q.shape
        if (max(r0, res.r_lo) < min(r1, res.r_lo + h)
                and max(c0, res.c_lo) < min(c1, res.c_lo + w)):
            mosaic.add(pos, tech, res)
    return mosaic, stats


# ---------------------------------------------------------------------------- executor
class DaskExecutor:
    """Run :func:`geo.coverage.compute`'s per-station work on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client
        A connected client (:func:`dask_client`).
    tile_cells : int
        Side of the combination tiles, in grid cells.
    stations_per_task : int or None
        Stations per window task (whole antenna groups; neighbouring groups of one band of
        tiles are batched together, so a tile depends on few tasks). None: about
        :data:`TASKS_PER_WORKER` tasks per worker, within 32–1024 stations (a Dask task has
        a scheduling overhead of its own; batching keeps it small beside the stations'
        work — ``benchmarks/scale.py`` prints the times).

    Notes
    -----
    Called by :func:`geo.coverage.compute` (``executor=``) with the station groups still to
    compute; returns the combined tiles and per-station figures (contract in that
    function's docstring). ``last_run`` holds the numbers of groups, window tasks and tile
    tasks of the latest call.
    """

    def __init__(self, client, tile_cells: int = DEFAULT_TILE_CELLS,
                 stations_per_task: int | None = None) -> None:
        if int(tile_cells) < 16:
            msg = f"tile_cells={tile_cells!r}: expected at least 16 cells."
            raise DistributedError(msg)
        if stations_per_task is not None and int(stations_per_task) < 1:
            msg = f"stations_per_task={stations_per_task!r}: expected at least 1."
            raise DistributedError(msg)
        self.client = client
        self.tile_cells = int(tile_cells)
        self.stations_per_task = None if stations_per_task is None else int(stations_per_task)
        self.last_run: dict[str, int] = {}

    def _per_task(self, n_stations: int) -> int:
        if self.stations_per_task is not None:
            return self.stations_per_task
        try:
            n_workers = max(1, len(self.client.scheduler_info()["workers"]))
        except Exception:  # noqa: BLE001 - any client trouble: a safe default
            n_workers = 1
        per = math.ceil(n_stations / (TASKS_PER_WORKER * n_workers))
        return int(min(MAX_STATIONS_PER_TASK, max(MIN_STATIONS_PER_TASK, per)))

    def _batches(self, groups, bounds) -> list[tuple[list[int], tuple[int, int, int, int]]]:
        """Group indices batched by first tile row, then column; with their union window."""
        ts = self.tile_cells
        per_task = self._per_task(sum(len(g) for g in groups))
        order = sorted(range(len(groups)), key=lambda i: (bounds[i][0] // ts, bounds[i][2], i))
        batches: list[tuple[list[int], tuple[int, int, int, int]]] = []
        cur: list[int] = []
        n = 0
        for i in order:
            if cur and (bounds[i][0] // ts != bounds[cur[0]][0] // ts
                        or n + len(groups[i]) > per_task):
                batches.append((cur, _union([bounds[j] for j in cur])))
                cur, n = [], 0
            cur.append(i)
            n += len(groups[i])
        if cur:
            batches.append((cur, _union([bounds[j] for j in cur])))
        return batches

    def __call__(self, groups, *, grid, elevation, config, spec,
                 progress: Callable[[int], None] | None = None):
        from geo.coverage import group_bounds

        client = self.client
        bounds = [group_bounds(g, grid, config) for g in groups]
        batches = self._batches(groups, bounds)
        elev = None
        if elevation is not None:
            elev = client.scatter(np.ascontiguousarray(elevation), broadcast=True, hash=False)
        height, width = grid.shape
        ts = self.tile_cells
        n_bands = math.ceil(height / ts)
        n_cols = math.ceil(width / ts)
        window_futs: dict[int, Any] = {}  # batch → windows (released when no band needs them)
        submitted = 0
        n_tiles = 0
        tiles: list = []
        stats: list = []

        def submit_band(k: int) -> list:
            nonlocal submitted, n_tiles
            while submitted < len(batches) and batches[submitted][1][0] // ts <= k:
                b = submitted
                members = [groups[i] for i in batches[b][0]]
                window_futs[b] = client.submit(_batch_task, members, grid, elev, config,
                                               pure=False, priority=-k)
                submitted += 1
            r0, r1 = k * ts, min(height, (k + 1) * ts)
            live = sorted(b for b in window_futs
                          if batches[b][1][0] < r1 and batches[b][1][1] > r0)
            futs = []
            for j in range(n_cols):
                c0, c1 = j * ts, min(width, (j + 1) * ts)
                deps = [window_futs[b] for b in live
                        if batches[b][1][2] < c1 and batches[b][1][3] > c0]
                if deps:
                    futs.append(client.submit(_tile_task, (r0, r1, c0, c1), spec, *deps,
                                              pure=False, priority=-k))
            n_tiles += len(futs)
            return futs

        try:
            pending = submit_band(0) if n_bands else []
            for k in range(n_bands):
                ahead = submit_band(k + 1) if k + 1 < n_bands else []
                for mosaic, st in client.gather(pending):
                    if not mosaic.is_empty():
                        tiles.append(mosaic)
                    stats.extend(st)
                    if progress and st:
                        progress(len(st))
                pending = ahead
                for b in [b for b in window_futs if (batches[b][1][1] - 1) // ts <= k]:
                    del window_futs[b]  # windows no later band needs
        except Exception as exc:
            msg = f"A Dask coverage task failed: {type(exc).__name__}: {exc}"
            raise DistributedError(msg) from exc
        finally:
            window_futs.clear()
        # per-station figures in group order, as the serial engine reports them
        rank = {pos: n for n, g in enumerate(groups) for pos, *_ in g}
        flat = sorted(stats, key=lambda s: (rank[s[0]], s[0]))
        if len(flat) != sum(len(g) for g in groups):
            msg = (f"Dask coverage returned figures for {len(flat)} stations; "
                   f"{sum(len(g) for g in groups)} were sent.")
            raise DistributedError(msg)
        self.last_run = {"groups": len(groups), "stations": len(flat),
                         "window_tasks": len(batches), "tiles": n_tiles}
        return tiles, flat


def _union(bounds: Sequence[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return (min(b[0] for b in bounds), max(b[1] for b in bounds),
            min(b[2] for b in bounds), max(b[3] for b in bounds))


# ------------------------------------------------------------------------------ client
@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None, *,
                processes: bool = True, quiet: bool = True) -> Iterator[Any]:
    """A Dask client: a new local cluster of ``workers`` processes, or ``scheduler``'s.

    Parameters
    ----------
    workers : int, optional
        Start ``LocalCluster(n_workers=workers, threads_per_worker=1)`` (closed on exit).
    scheduler : str, optional
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786`` (left running on exit).
    processes : bool
        Local workers as processes (True) or threads of this process.
    quiet : bool
        Hide the cluster's INFO logs and its dashboard.
    """
    if (workers is None) == (scheduler is None):
        msg = "Give either a number of local workers or a scheduler address, not both/neither."
        raise DistributedError(msg)
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        msg = "Dask is not installed: pip install 'dask[distributed]'."
        raise DistributedError(msg) from exc
    if scheduler is not None:
        addr = str(scheduler)
        if "://" not in addr:
            addr = f"tcp://{addr}"
        try:
            client = Client(addr, timeout=30)
        except OSError as exc:
            msg = f"Cannot reach the Dask scheduler at {addr}: {exc}"
            raise DistributedError(msg) from exc
        try:
            yield client
        finally:
            client.close()
        return
    n = int(workers)
    if n < 1:
        msg = f"--workers must be ≥ 1, got {workers!r}."
        raise DistributedError(msg)
    kwargs: dict[str, Any] = {"n_workers": n, "threads_per_worker": 1, "processes": processes,
                              "dashboard_address": None}
    if quiet:
        import logging

        kwargs["silence_logs"] = logging.WARNING
    cluster = LocalCluster(**kwargs)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


# ---------------------------------------------------------------------------- pipeline
def run_analysis_distributed(*args, workers: int | None = None, scheduler: str | None = None,
                             client=None, tile_cells: int = DEFAULT_TILE_CELLS,
                             processes: bool = True, **kwargs):
    """:func:`analysis.pipeline.run_analysis` with the coverage stage on a Dask cluster.

    Parameters
    ----------
    *args, **kwargs
        Those of :func:`analysis.pipeline.run_analysis`.
    workers, scheduler, processes
        As :func:`dask_client` (ignored when ``client`` is given).
    client : distributed.Client, optional
        An already connected client.
    tile_cells : int
        Side of the combination tiles in grid cells.
    """
    from analysis.pipeline import run_analysis

    if client is not None:
        return run_analysis(*args, executor=DaskExecutor(client, tile_cells), **kwargs)
    with dask_client(workers, scheduler, processes=processes) as c:
        return run_analysis(*args, executor=DaskExecutor(c, tile_cells), **kwargs)
