"""Multi-obstacle (Bullington) diffraction inside the radial sweep (issue #13, #19).

The engine's terrain loss must equal ITU-R P.526-15 §4.5.1 eqs. (49)–(57)
(:func:`geo.diffraction.bullington_loss_db`) on the sweep's own discretised profile.
Rays through cell centres are rebuilt here independently (samples at each major-axis
crossing, linear interpolation on the minor axis, the documented profile of
:mod:`geo.terrain`) and compared cell by cell.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.coverage import CoverageConfig, compute
from geo.diffraction import bullington_loss_db, knife_edge_loss_db
from geo.grid import Grid
from geo.terrain import curvature_drop_m, sweep_window
from tests._coverage_helpers import fractal_terrain, small_grid, stations_at

C_M_S = 299_792_458.0
# directions (d_row, d_col) per step whose rays pass exactly through cell centres
_DIRECTIONS = [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1),
               (1, 0.5), (0.5, 1), (-1, 0.5), (-0.5, -1), (0.5, -1), (-1, -0.5)]


def _ray_profiles(z, res_m, r0, c0, max_d_m):
    """(row, col, distances_m, heights_m) of every cell hit exactly by a sampled ray."""
    n_r, n_c = z.shape
    out = []
    for a, b in _DIRECTIONS:
        step_m = math.hypot(a, b) * res_m
        for big_t in range(2, 10_000):
            fr, fc = r0 + a * big_t, c0 + b * big_t
            if fr != int(fr) or fc != int(fc):
                continue
            ri, ci = int(fr), int(fc)
            if not (0 <= ri < n_r and 0 <= ci < n_c):
                break
            dd = math.hypot(ri - r0, ci - c0) * res_m
            if dd > max_d_m:
                break
            ds, hs = [0.0], [float(z[r0, c0])]
            for t in range(1, big_t):
                rr, cc = r0 + a * t, c0 + b * t
                if abs(a) >= abs(b):
                    c_ = math.floor(cc)
                    w = cc - c_
                    zg = (1 - w) * z[int(rr), c_] + w * z[int(rr), min(c_ + 1, n_c - 1)]
                else:
                    r_ = math.floor(rr)
                    w = rr - r_
                    zg = (1 - w) * z[r_, int(cc)] + w * z[min(r_ + 1, n_r - 1), int(cc)]
                ds.append(step_m * t)
                hs.append(float(zg))
            ds.append(dd)
            hs.append(float(z[ri, ci]))
            out.append((ri, ci, np.array(ds), np.array(hs)))
    return out


@pytest.mark.parametrize(("seed", "relief_m"), [(3, 800.0), (11, 800.0), (5, 40.0)])
def test_sweep_v_is_bullington_on_its_own_profile(seed, relief_m):
    res, h_tx, h_rx, lam = 30.0, 30.0, 1.5, 0.1
    z = fractal_terrain((301, 301), seed, relief_m=relief_m)
    r0 = c0 = 150
    max_d = 4_400.0  # radius 148 cells: the half-slope rays exist
    v = sweep_window(z, res, r0, c0, h_tx, h_rx, max_d, wavelength_m=lam, method="bullington")
    f_mhz = C_M_S / lam / 1e6
    err, hidden = [], []
    for ri, ci, ds, hs in _ray_profiles(z, res, r0, c0, max_d):
        ref = bullington_loss_db(ds, hs, h_tx, h_rx, f_mhz, correction=False)
        eng = float(knife_edge_loss_db(v[ri, ci])) if np.isfinite(v[ri, ci]) else 0.0
        err.append(eng - ref)
        hidden.append(v[ri, ci] > 0)
    err = np.abs(err)
    assert len(err) > 1000
    assert 0.05 < np.mean(hidden) < 0.9  # the terrain really shadows
    assert np.median(err) <= 0.5 and np.percentile(err, 99) <= 3.0
    assert np.median(err) < 0.01  # in fact exact up to float32 rounding


def test_engine_diffraction_equals_bullington_with_eq57():
    from geo.coverage.params import station_params
    from geo.coverage.window import _compute_station

    res = 30.0
    grid = small_grid(301, 301, res)
    z = fractal_terrain(grid.shape, 5, relief_m=800.0)
    r0 = c0 = 150
    cfg = CoverageConfig(model="38901-rma", clear_model="los", obstructed_model="diffraction",
                         max_radius_m=4_400.0, workers=1)
    params = station_params({"technology": "4G", "band_mhz": 1800.0, "height_m": 30.0}, cfg)
    res_ = _compute_station(params, r0, c0, grid, z, cfg, with_loss=True)
    err = []
    for ri, ci, ds, hs in _ray_profiles(z, res, r0, c0, 0.98 * res_.reach_m):
        d_db = res_.diffraction_db[ri - res_.r_lo, ci - res_.c_lo]
        ref = bullington_loss_db(ds, hs, 30.0, cfg.ue_height_m, 1800.0)  # eq. (57) included
        err.append(d_db - ref)
    err = np.abs(err)
    assert len(err) > 500
    assert np.median(err) <= 0.5 and np.percentile(err, 99) <= 3.0


def _grazing(config, below_m):
    res, d1, dist, h_tx, h_rx = 100.0, 2_000.0, 4_000.0, 30.0, 1.5
    grid = small_grid(21, 61, res)
    r0, c0 = 10, 5
    z = np.zeros(grid.shape, dtype=np.float32)
    z_rx = h_rx - curvature_drop_m(dist)
    line = h_tx + (z_rx - h_tx) * d1 / dist
    z[:, c0 + int(d1 / res)] = line + curvature_drop_m(d1) - below_m
    stations = stations_at(grid, [(r0, c0)], technology="4G", band_mhz=1800.0)
    on = compute(stations, grid, z, config).rsrp_dbm["4G"]
    off = compute(stations, grid, z, CoverageConfig(**{**_KW, "terrain": False})).rsrp_dbm["4G"]
    target = c0 + int(dist / res)
    return float(off[r0, target] - on[r0, target])


_KW = {"model": "38901-rma", "clear_model": "los", "obstructed_model": "diffraction",
       "max_radius_m": 5_000.0, "workers": 1}


def test_grazing_path_below_the_ray_known_answer():
    # issue #19: a wall top 0.05 m *below* the 4 km antenna–handset ray at 2 km, 1800 MHz.
    # By hand: λ = 0.16655 m, v = −0.05·sqrt(2/λ·(1/2000 + 1/2000)) = −0.005479;
    # P.526 eq. (31) J(v) = 6.9 + 20 log10(sqrt(1.011126) − 0.105479) = 5.986 dB;
    # eq. (57): + (1 − e^(−5.986/6))·(10 + 0.02·4) = + 6.363 dB → 12.35 dB.
    assert _grazing(CoverageConfig(**_KW), 0.05) == pytest.approx(12.35, abs=0.05)
    # the single-edge option keeps the former behaviour: a clear path costs nothing
    assert _grazing(CoverageConfig(**_KW, diffraction_model="knife-edge"), 0.05) == 0.0
    # 20 m below (v = −2.2): the wall no longer counts; what is left is the flat ground
    # 100 m in front of the 1.5 m handset (v = −0.72, L = 0.98 dB with eq. (57)) — the
    # Bullington value of the bare flat profile
    flat = bullington_loss_db(np.arange(41) * 100.0, np.zeros(41), 30.0, 1.5, 1800.0)
    assert flat == pytest.approx(0.98, abs=0.01)
    assert _grazing(CoverageConfig(**_KW), 20.0) == pytest.approx(flat, abs=0.02)


def test_two_ridges_cost_more_than_the_higher_one():
    # P.526-15 §4.5.1 by hand: Tx 30 m at 0, ridges of 120 m at 3 km and 100 m at 6 km,
    # Rx 1.5 m at 9 km, 900 MHz (λ = 0.33310 m), a_e = 8494.67 km (C_e = 1.17721e-4/km):
    # S_tim = (121.0595 − 30)/3 = 30.353, S_rim = (101.0595 − 1.5)/3 = 33.186,
    # d_b = (1.5 − 30 + 33.186·9)/63.539 = 4.2521 km, h_b = 159.064 − 16.535 = 142.529 m,
    # v_b = 142.529·sqrt(0.018/(0.3331·4.2521·4.7479)) = 7.3739, J = 30.197 dB,
    # eq. (57): + (1 − e^(−5.033))·10.18 = 10.114 → 40.31 dB (one ridge alone: 37.74 dB)
    d = np.array([0.0, 3_000.0, 6_000.0, 9_000.0])
    h = np.array([0.0, 120.0, 100.0, 0.0])
    assert bullington_loss_db(d, h, 30.0, 1.5, 900.0) == pytest.approx(40.31, abs=0.01)
    one = bullington_loss_db(d[[0, 1, 3]], h[[0, 1, 3]], 30.0, 1.5, 900.0)
    assert one == pytest.approx(37.74, abs=0.01)
    res = 100.0
    z = np.zeros((3, 101), dtype=np.float32)
    z[1, 30], z[1, 60] = 120.0, 100.0
    v = sweep_window(z, res, 1, 0, 30.0, 1.5, 9_500.0, wavelength_m=C_M_S / 900e6,
                     method="bullington")
    prof_d = np.arange(91) * res
    ref = bullington_loss_db(prof_d, z[1, :91].astype(float), 30.0, 1.5, 900.0, correction=False)
    assert float(knife_edge_loss_db(v[1, 90])) == pytest.approx(ref, abs=0.01)


def test_unknown_sweep_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        sweep_window(np.zeros((5, 5)), 100.0, 2, 2, 30.0, 1.5, 200.0, wavelength_m=1.0,
                     method="deygout")


def test_v_floor_changes_no_loss_at_or_above_its_band():
    # v ∝ λ^−1/2: a floor of −0.78·sqrt(λ) at one band changes no J(v) at that band or at
    # any higher one (smaller λ, more negative v) — so the engine floors a shared sweep
    # at the group's lowest band
    res, lam = 30.0, C_M_S / 900e6
    z = fractal_terrain((201, 201), 8, relief_m=300.0)
    exact = sweep_window(z, res, 100, 100, 30.0, 1.5, 2_900.0, wavelength_m=1.0,
                         method="bullington")
    fast = sweep_window(z, res, 100, 100, 30.0, 1.5, 2_900.0, wavelength_m=1.0,
                        method="bullington", v_floor=-0.78 * math.sqrt(lam))
    ok = np.isfinite(exact)
    for band_lam in (lam, C_M_S / 1.8e9, C_M_S / 3.5e9):
        a = knife_edge_loss_db(exact[ok] / math.sqrt(band_lam))
        b = knife_edge_loss_db(fast[ok] / math.sqrt(band_lam))
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert (fast[ok] != exact[ok]).any()  # the skip did happen


def test_shared_sweep_is_floored_at_the_groups_lowest_band():
    # a 900 MHz and a 3.5 GHz antenna on one mast share one sweep: the 900 MHz window must
    # be the one it gets alone (a floor at 3.5 GHz once cost a cell here 3.8 dB at 900 MHz)
    from geo.coverage import group_windows
    from geo.coverage.params import station_params
    from geo.coverage.window import _compute_station

    z = fractal_terrain((401, 401), 8, relief_m=1000.0)
    grid = Grid(500_000.0, 1_800_000.0, 500_000.0 + 401 * 30.0, 1_800_000.0 + 401 * 30.0, 30.0)
    cfg = CoverageConfig(model="38901-rma", max_radius_m=5_900.0, reach_margin_db=1000.0)
    low = station_params({"technology": "4G", "band_mhz": 900.0, "height_m": 30.0}, cfg)
    high = station_params({"technology": "5G", "band_mhz": 3500.0, "height_m": 30.0}, cfg)
    shared = group_windows([(0, high, 200, 200, None), (1, low, 200, 200, None)], grid, z, cfg)
    alone = _compute_station(low, 200, 200, grid, z, cfg)
    np.testing.assert_array_equal(shared[1][2].q, alone.q)


def test_station_window_does_not_depend_on_threads():
    # one site alone splits its RSRP window's rows over threads (station_map)
    from geo.coverage.params import station_params
    from geo.coverage.window import _compute_station

    z = fractal_terrain((201, 201), 5, relief_m=800.0)
    grid = Grid(500_000.0, 1_800_000.0, 500_000.0 + 201 * 30.0, 1_800_000.0 + 201 * 30.0, 30.0)
    cfg = CoverageConfig(model="38901-rma", max_radius_m=2_900.0, reach_margin_db=1000.0)
    params = station_params({"technology": "4G", "band_mhz": 1800.0, "height_m": 30.0,
                             "azimuth_deg": 120.0}, cfg)
    one = _compute_station(params, 100, 90, grid, z, cfg, with_loss=True)
    many = _compute_station(params, 100, 90, grid, z, cfg, with_loss=True, threads=3)
    np.testing.assert_array_equal(one.q, many.q)
    np.testing.assert_array_equal(one.path_loss_db, many.path_loss_db)
    np.testing.assert_array_equal(one.diffraction_db, many.diffraction_db)
    assert one.n_extrapolated == many.n_extrapolated
