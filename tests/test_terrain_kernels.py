"""The Bullington sweep's inner steps (geo.terrain): hull, tangent walk, lazy hull."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.terrain import _hull_push, _rx_slope, sweep_window
from tests._coverage_helpers import fractal_terrain


def _hull(d, g):
    hd, hg = np.empty(len(d)), np.empty(len(d))
    n = 0
    for di, gi in zip(d, g, strict=True):
        n = _hull_push(hd, hg, n, di, gi)
    return hd, hg, n


@pytest.mark.parametrize("seed", range(6))
def test_tangent_walk_from_any_start_is_the_maximum_over_all_samples(seed):
    rng = np.random.default_rng(seed)
    d = np.cumsum(rng.uniform(50.0, 150.0, 120))
    g = np.cumsum(rng.normal(0.0, 20.0, 120))
    hd, hg, n = _hull(d, g)
    for _ in range(20):
        dd = d[-1] + rng.uniform(10.0, 3000.0)
        zt = rng.uniform(g.min() - 200.0, g.max() + 50.0)
        brute = np.max((g - zt) / (dd - d))  # every sample, not only the hull
        for start in (0, n // 2, n - 1, n + 5):
            s, k = _rx_slope(hd, hg, n, dd, zt, start)
            assert s == pytest.approx(brute, rel=1e-12, abs=1e-15)
            assert 0 <= k < n
            assert (hg[k] - zt) / (dd - hd[k]) == s


def test_rough_terrain_sweep_is_finite_and_obstructed_exactly_where_hidden():
    # the lazily built hull must serve every obstructed cell: v_b > 0 ⇔ tangent excess > 0
    z = fractal_terrain((161, 161), 3, relief_m=900.0)
    v = sweep_window(z, 30.0, 80, 80, 30.0, 1.5, 2400.0, wavelength_m=0.1,
                     method="bullington")
    ex = sweep_window(z, 30.0, 80, 80, 30.0, 1.5, 2400.0)
    inside = np.isfinite(ex) & (ex != -math.inf)
    assert inside.sum() > 10_000
    assert np.array_equal(v[inside] > 0, ex[inside] > 0)
    assert ((ex[inside] > 0).mean()) > 0.3  # rough: many obstructed cells
    assert np.isfinite(v[inside]).all()


def test_sweep_result_does_not_depend_on_threads():
    # the rays are walked in two phases of ranges (geo.terrain._ray_chunks) on any number of
    # threads: ties between neighbouring rays go to the same ray every time
    from geo.synthetic import fractal_relief_m

    z = fractal_relief_m((301, 301), 4, 1500.0, 1.6).astype(np.float32)
    for method in ("dominant", "bullington"):
        one = sweep_window(z, 30.0, 150, 140, 30.0, 1.5, 4_400.0, wavelength_m=1.0,
                           method=method)
        for threads in (2, 3):
            many = sweep_window(z, 30.0, 150, 140, 30.0, 1.5, 4_400.0, wavelength_m=1.0,
                                method=method, threads=threads)
            np.testing.assert_array_equal(one, many)


def test_ray_chunks_cover_the_perimeter_in_two_phases_of_non_neighbours():
    from geo.terrain import RAY_CHUNKS, _ray_chunks

    for n_perim in (8, 80, 8 * 333 * 3):
        even, odd = _ray_chunks(n_perim)
        rays = sorted(p for lo, hi in even + odd for p in range(lo, hi))
        assert rays == list(range(n_perim))
        for phase in (even, odd):
            idx = sorted(lo * RAY_CHUNKS // n_perim for lo, _ in phase)
            gaps = np.diff(idx + [idx[0] + RAY_CHUNKS])
            assert (gaps >= 2).all()  # no two ranges of a phase touch (the loop included)
