"""One shared thread pool per thread count, for kernels that release the GIL.

The province engine runs stations in parallel (its own pool in :mod:`geo.coverage`); one
station alone (:func:`geo.coverage.station_map`) splits its own work — rays of the sweep,
rows of the RSRP window — over these threads instead. The numba kernels are compiled
with ``nogil=True``, so the threads run at the same time.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["pool", "single_site_threads"]

_POOLS: dict[int, ThreadPoolExecutor] = {}
_LOCK = threading.Lock()
_MIN_CELLS_PER_THREAD = 20_000  # below this a thread costs more than it saves (a 5 km window at 90 m: 12,000 cells)


def pool(threads: int) -> ThreadPoolExecutor:
    """The shared pool of ``threads`` workers (made on first use, kept for the process)."""
    with _LOCK:
        if threads not in _POOLS:
            _POOLS[threads] = ThreadPoolExecutor(max_workers=threads,
                                                 thread_name_prefix="lomsong-kernel")
        return _POOLS[threads]


def single_site_threads(cells: int, workers: int | None = None) -> int:
    """Threads worth using on one site's window of ``cells`` cells (1 on small windows)."""
    cap = workers or os.cpu_count() or 1
    return max(1, min(cap, cells // _MIN_CELLS_PER_THREAD))
