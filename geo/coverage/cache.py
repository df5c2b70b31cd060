"""The per-station window cache: in memory (LRU, bounded by bytes) and optionally on disk
(``.npz`` read with ``allow_pickle=False``), keyed by station, grid, DEM and physics."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from geo.coverage.config import CoverageConfig
from geo.coverage.window import WindowResult
from geo.grid import Grid


class _LruCache:
    """Per-station results, bounded by bytes; optional on-disk mirror."""

    def __init__(self) -> None:
        self._data: OrderedDict[str, WindowResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, cache_dir: str | None) -> WindowResult | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
                return hit
        if cache_dir:
            path = Path(cache_dir) / f"{key}.npz"
            if path.exists():
                try:
                    with np.load(path, allow_pickle=False) as z:
                        meta = json.loads(str(z["meta"]))
                        return WindowResult(meta["r_lo"], meta["c_lo"], z["q"],
                                              meta["n_ext"], meta["reach_m"], meta["model"])
                except (OSError, ValueError, KeyError):
                    return None
        return None

    def put(self, key: str, value: WindowResult, max_mb: float, cache_dir: str | None) -> None:
        limit = max_mb * 1e6
        if value.nbytes <= limit:
            with self._lock:
                old = self._data.pop(key, None)
                if old is not None:
                    self._bytes -= old.nbytes
                self._data[key] = value
                self._bytes += value.nbytes
                while self._bytes > limit and self._data:
                    _, ev = self._data.popitem(last=False)
                    self._bytes -= ev.nbytes
        if cache_dir:
            folder = Path(cache_dir)
            folder.mkdir(parents=True, exist_ok=True)
            meta = json.dumps({"r_lo": value.r_lo, "c_lo": value.c_lo, "n_ext": value.n_extrapolated,
                               "reach_m": value.reach_m, "model": value.model})
            tmp = folder / f"{key}.tmp.npz"
            np.savez(tmp, q=value.q, meta=np.array(meta))
            os.replace(tmp, folder / f"{key}.npz")

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)


_CACHE = _LruCache()


def clear_cache() -> None:
    """Empty the in-memory per-station cache (the on-disk one is left alone)."""
    _CACHE.clear()


def _station_key(params: dict, row: int, col: int, grid: Grid, dem_key: str,
                 config: CoverageConfig) -> str:
    text = json.dumps([params, row, col, grid.key(), dem_key,
                       config.physics_key(params["technology"])], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()
