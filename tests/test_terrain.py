"""Line of sight over a DEM: radial sweep vs hand-computed geometry and the R3 baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.terrain import (
    EARTH_RADIUS_M,
    K_FACTOR,
    _viewshed_r3,
    curvature_drop_m,
    sweep_window,
    viewshed,
)
from tests._coverage_helpers import fractal_terrain


def _disk(shape, row, col, radius_cells):
    rr, cc = np.mgrid[0 : shape[0], 0 : shape[1]]
    return np.hypot(rr - row, cc - col) <= radius_cells


def test_curvature_drop_known_answer():
    # δ = d² / (2 k R_e): 10 km, k = 4/3, R_e = 6371 km → 1e8 / (2 · 8 494 666.7) = 5.886 m
    assert curvature_drop_m(10_000.0) == pytest.approx(1e8 / (2 * 4 / 3 * 6_371_000.0))
    assert curvature_drop_m(10_000.0) == pytest.approx(5.886, abs=1e-3)


def test_flat_terrain_everything_in_sight_within_radius():
    z = np.full((101, 101), 12.0, dtype=np.float32)
    vis = viewshed(z, 100.0, 50, 50, 30.0, 1.5, 4_000.0)
    assert vis.shape == z.shape
    np.testing.assert_array_equal(vis, _disk(z.shape, 50, 50, 40.0))


def test_ridge_casts_a_shadow_behind_it():
    z = np.zeros((81, 81), dtype=np.float32)
    z[:, 50] = 200.0  # a north–south wall 10 cells (1 km) east of the observer
    vis = viewshed(z, 100.0, 40, 40, 30.0, 1.5, 3_900.0)
    assert vis[40, 45] and vis[40, 49]  # in front of the wall
    assert vis[40, 50]  # the crest itself
    # behind: the wall subtends (200 − 30)/1000 rad; at 3 km the ground would need ~500 m
    assert not vis[40, 51:79].any()
    assert not vis[30:51, 60].any()
    # the shadow does not wrap around: west of the observer stays visible
    assert vis[40, 5:40].all()


def test_radio_horizon_on_a_smooth_earth():
    # flat ground on the 4/3 Earth: horizon at sqrt(2 k R h1) + sqrt(2 k R h2)
    h1, h2 = 30.0, 1.5
    horizon_m = math.sqrt(2 * K_FACTOR * EARTH_RADIUS_M * h1) + math.sqrt(
        2 * K_FACTOR * EARTH_RADIUS_M * h2
    )
    assert horizon_m == pytest.approx(27_624.0, abs=5.0)  # 22 576 + 5 048 m
    res = 250.0
    z = np.zeros((3, 161), dtype=np.float32)
    vis = viewshed(z, res, 1, 0, h1, h2, 40_000.0)
    d = np.arange(161) * res
    assert vis[1, d < 0.97 * horizon_m].all()
    assert not vis[1, (d > 1.03 * horizon_m) & (d <= 40_000.0)].any()


def test_knife_edge_fresnel_parameter_known_answer():
    # one wall cell on the observer's row; target straight behind it on the same row
    res, d1, dist = 100.0, 2_000.0, 5_000.0
    h_tx, h_rx, wall = 30.0, 1.5, 60.0
    z = np.zeros((3, 61), dtype=np.float32)
    z[1, int(d1 / res)] = wall
    lam = 0.1
    v = sweep_window(z, res, 1, 0, h_tx, h_rx, 6_000.0, wavelength_m=lam)
    drop = curvature_drop_m
    # height of the wall above the straight tx–rx line (P.526 eq. 26 geometry)
    z_rx = h_rx - drop(dist)
    line = h_tx + (z_rx - h_tx) * d1 / dist
    h = wall - drop(d1) - line
    d2 = dist - d1
    expected = h * math.sqrt(2.0 / lam * (1.0 / d1 + 1.0 / d2))
    assert v[1, int(dist / res)] == pytest.approx(expected, rel=1e-4)
    assert expected > 0  # really obstructed


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sweep_agrees_with_per_pixel_baseline_on_rough_terrain(seed):
    z = fractal_terrain((161, 161), seed, relief_m=1500.0)
    # observer on the highest cell near the centre (a mast on a hill)
    r, c = np.unravel_index(np.argmax(z[60:101, 60:101]), (41, 41))
    r, c = int(r) + 60, int(c) + 60
    a = viewshed(z, 30.0, r, c, 25.0, 1.5, 1_800.0)
    b = _viewshed_r3(z, 30.0, r, c, 25.0, 1.5, 1_800.0)
    inside = _disk(z.shape, r, c, 1_800.0 / 30.0)
    agree = (a == b)[inside].mean()
    assert agree >= 0.99
    assert not a[~inside].any() and not b[~inside].any()
    assert 0.02 < b[inside].mean() < 0.98  # the test terrain really has shadows


def test_window_matches_full_array():
    z = fractal_terrain((90, 90), 7, relief_m=800.0)
    full = sweep_window(z, 100.0, 45, 45, 30.0, 1.5, 4_000.0, wavelength_m=0.2)
    part = sweep_window(z, 100.0, 45, 45, 30.0, 1.5, 4_000.0,
                        window=(slice(10, 60), slice(20, 90)), wavelength_m=0.2)
    np.testing.assert_array_equal(part, full[10:60, 20:90])


def test_nan_elevation_counts_as_sea_level():
    z = np.zeros((41, 41), dtype=np.float32)
    z[:, 30] = np.nan
    np.testing.assert_array_equal(viewshed(z, 100.0, 20, 20, 30.0, 1.5, 2_000.0),
                                  viewshed(np.nan_to_num(z), 100.0, 20, 20, 30.0, 1.5, 2_000.0))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.zeros((3, 3, 3)), 100.0, 1, 1), "2-D"),
        ((np.zeros((5, 5)), 0.0, 1, 1), "resolution_m"),
        ((np.zeros((5, 5)), 100.0, 7, 1), "outside"),
    ],
)
def test_bad_inputs_raise(args, match):
    with pytest.raises(ValueError, match=match):
        viewshed(*args, 30.0, 1.5, 1_000.0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), low=st.floats(1.0, 50.0), extra=st.floats(0.5, 200.0))
def test_raising_the_antenna_never_hides_a_cell(seed, low, extra):
    z = fractal_terrain((41, 41), seed, relief_m=400.0)
    a = viewshed(z, 100.0, 20, 20, low, 1.5, 2_000.0)
    b = viewshed(z, 100.0, 20, 20, low + extra, 1.5, 2_000.0)
    assert not (a & ~b).any()
