"""How station windows combine: :class:`MosaicSpec` and :class:`Mosaic` (best level, best
server, server count and the tiled power sums of each interference group).

The combination is associative and commutative, so :func:`geo.coverage.compute` (serial or
threads) and :mod:`analysis.distributed` (tiles on a Dask cluster) give the same arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from geo.coverage.config import _Q_NONE
from geo.coverage.kernels import (
    _POWER_UNIT_DBM,
    _group_total_kernel,
    _merge_kernel,
    _power_kernel,
)
from geo.coverage.window import WindowResult

# Power sums are kept per tile of the whole grid (global tiling), allocated only where an
# interference group reaches: on a 30 m province a full int64 grid per (technology,
# operator, band) group would take ~0.34 GB each.
_POWER_TILE = 256


@dataclass(frozen=True)
class MosaicSpec:
    """How windows combine: covered level and interference group per station.

    Attributes
    ----------
    thr_q : dict
        Covered level per technology, 0.01 dB (counted in ``n_servers``).
    power_group : numpy.ndarray or None
        int32 interference group per station row (stations of one operator and band
        share a group); None: no power sums (``CoverageConfig.sinr=False``).
    """

    thr_q: Mapping[str, int]
    power_group: np.ndarray | None = None


@dataclass
class Mosaic:
    """Combined windows over rows ``r0…`` and columns ``c0…`` of a grid.

    Per technology: ``best`` (int16 0.01 dB), ``server`` (int32 station row), ``count``
    (uint16 stations at or above the covered level); per technology and interference
    group: ``power`` (int64, linear sum of the group's received power in 1e-16 mW), kept as
    ``{(tile_row, tile_col): array}`` tiles of :data:`_POWER_TILE` cells of the whole grid,
    only where the group reaches (:meth:`power_array` gives it dense). The
    combination — higher level, lower station row on ties, counts and powers added — is
    associative and commutative, so any tiling of the grid and any order of windows give
    the same arrays, bit for bit.
    """

    spec: MosaicSpec
    r0: int
    c0: int
    shape: tuple[int, int]
    best: dict[str, np.ndarray] = field(default_factory=dict)
    server: dict[str, np.ndarray] = field(default_factory=dict)
    count: dict[str, np.ndarray] = field(default_factory=dict)
    power: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def empty(cls, spec: MosaicSpec, shape: tuple[int, int], r0: int = 0, c0: int = 0,
              technologies: Sequence[str] = ()) -> Mosaic:
        """A mosaic with no window yet (``technologies`` allocated now, others lazily)."""
        m = cls(spec, int(r0), int(c0), (int(shape[0]), int(shape[1])))
        for t in technologies:
            m._arrays(t)
        return m

    def _arrays(self, tech: str):
        if tech not in self.best:
            self.best[tech] = np.full(self.shape, _Q_NONE, dtype=np.int16)
            self.server[tech] = np.full(self.shape, -1, dtype=np.int32)
            self.count[tech] = np.zeros(self.shape, dtype=np.uint16)
            self.power[tech] = {}
        return self.best[tech], self.server[tech], self.count[tech]

    def _power_tile(self, tech: str, group: int, key: tuple[int, int]) -> np.ndarray:
        tiles = self.power[tech].setdefault(group, {})
        if key not in tiles:
            tiles[key] = np.zeros((_POWER_TILE, _POWER_TILE), dtype=np.int64)
        return tiles[key]

    def _add_power(self, tech: str, group: int, q: np.ndarray, a0: int, b0: int) -> None:
        """Add window ``q`` (grid rows ``a0…``, columns ``b0…``) into the group's tiles."""
        size = _POWER_TILE
        a1, b1 = a0 + q.shape[0], b0 + q.shape[1]
        for ti in range(a0 // size, (a1 - 1) // size + 1):
            r0, r1 = max(a0, ti * size), min(a1, (ti + 1) * size)
            for tj in range(b0 // size, (b1 - 1) // size + 1):
                c0, c1 = max(b0, tj * size), min(b1, (tj + 1) * size)
                sub = np.ascontiguousarray(q[r0 - a0:r1 - a0, c0 - b0:c1 - b0])
                _power_kernel(sub, r0 - ti * size, c0 - tj * size,
                              self._power_tile(tech, group, (ti, tj)))

    def power_array(self, tech: str, group: int) -> np.ndarray:
        """The group's power sum as one int64 array over this mosaic (zeros where unreached)."""
        out = np.zeros(self.shape, dtype=np.int64)
        for p, sl, psl in _tile_slices(self.power[tech].get(group, {}), self.r0, self.c0,
                                       self.shape):
            out[sl] += p[psl]
        return out

    def add(self, pos: int, tech: str, result: WindowResult) -> None:
        """Fold one station's window (cropped to this mosaic)."""
        h, w = result.q.shape
        a0, a1 = max(self.r0, result.r_lo), min(self.r0 + self.shape[0], result.r_lo + h)
        b0, b1 = max(self.c0, result.c_lo), min(self.c0 + self.shape[1], result.c_lo + w)
        best, server, count = self._arrays(tech)
        if a0 >= a1 or b0 >= b1:
            return
        q = result.q
        if (a0, a1, b0, b1) != (result.r_lo, result.r_lo + h, result.c_lo, result.c_lo + w):
            q = np.ascontiguousarray(q[a0 - result.r_lo:a1 - result.r_lo,
                                       b0 - result.c_lo:b1 - result.c_lo])
        _merge_kernel(q, a0 - self.r0, b0 - self.c0, pos, int(self.spec.thr_q[tech]),
                      best, server, count, None)
        groups = self.spec.power_group
        if groups is not None:
            self._add_power(tech, int(groups[pos]), q, a0, b0)

    def fold(self, tile: Mosaic) -> None:
        """Fold another mosaic lying inside this one, as :meth:`add` would have."""
        r, c = tile.r0 - self.r0, tile.c0 - self.c0
        for t in tile.best:
            best, server, count = self._arrays(t)
            _fold_tile(r, c, tile.best[t], tile.server[t], tile.count[t], best, server, count)
            for g, tiles in tile.power[t].items():
                for key, p in tiles.items():
                    self._power_tile(t, g, key)[...] += p

    def is_empty(self) -> bool:
        return not self.best


def _fold_tile(r0: int, c0: int, best_t: np.ndarray, server_t: np.ndarray,
               count_t: np.ndarray, best: np.ndarray, server: np.ndarray,
               count: np.ndarray) -> None:
    """Fold a combined tile into the province arrays, as :func:`_merge_kernel` would.

    Keeps the higher level, the lower station row on equal levels, and adds counts — an
    associative, commutative combination, so any tiling and order give the same arrays.
    """
    sl = (slice(r0, r0 + best_t.shape[0]), slice(c0, c0 + best_t.shape[1]))
    b, s = best[sl], server[sl]
    take = (best_t > b) | ((best_t == b) & (server_t < s))
    b[take] = best_t[take]
    s[take] = server_t[take]
    count[sl] += count_t


def _tile_slices(tiles: Mapping[tuple[int, int], np.ndarray], r0: int, c0: int,
                 shape: tuple[int, int]):
    """``(tile, mosaic slice, tile slice)`` of each power tile overlapping a mosaic."""
    size = _POWER_TILE
    for (ti, tj), p in tiles.items():
        a0, a1 = max(r0, ti * size), min(r0 + shape[0], (ti + 1) * size)
        b0, b1 = max(c0, tj * size), min(c0 + shape[1], (tj + 1) * size)
        if a0 < a1 and b0 < b1:
            yield (p, (slice(a0 - r0, a1 - r0), slice(b0 - c0, b1 - c0)),
                   (slice(a0 - ti * size, a1 - ti * size), slice(b0 - tj * size, b1 - tj * size)))


def _best_group_total_dbm(server: np.ndarray, power: Mapping[int, Mapping],
                          power_group: np.ndarray, r0: int = 0, c0: int = 0) -> np.ndarray:
    """Per cell, the summed power (dBm) of the best server's interference group.

    ``power``: per group, the :class:`Mosaic`'s tiles (global tiling); ``r0, c0``: where
    ``server`` lies in the grid.
    """
    out = np.full(server.shape, np.nan, dtype=np.float32)
    groups = np.ascontiguousarray(power_group, dtype=np.int32)
    for g, tiles in power.items():
        for p, sl, psl in _tile_slices(tiles, r0, c0, server.shape):
            part = out[sl].copy()
            _group_total_kernel(np.ascontiguousarray(server[sl]), groups, int(g),
                                np.ascontiguousarray(p[psl]), _POWER_UNIT_DBM, part)
            out[sl] = part
    power.clear()  # read once: the province holds only the best server's group total
    return out
