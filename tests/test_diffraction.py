"""Known-answer tests for geo.diffraction (ITU-R P.526-15)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.diffraction import (
    fresnel_v,
    fresnel_v_nb,
    knife_edge_loss_db,
    knife_edge_loss_db_nb,
)


def _j(v):
    # P.526-15 eq. (31)
    return 6.9 + 20 * math.log10(math.sqrt((v - 0.1) ** 2 + 1) + v - 0.1) if v > -0.78 else 0.0


def test_knife_edge_grazing_is_6db():
    assert knife_edge_loss_db(0.0) == pytest.approx(6.03, abs=0.01)


def test_knife_edge_threshold():
    assert knife_edge_loss_db(-0.78) == 0.0
    assert knife_edge_loss_db(-5.0) == 0.0
    # just above the threshold the approximation is ~0 dB (continuous to within 0.01 dB)
    assert abs(knife_edge_loss_db(-0.7799)) < 0.01


def test_knife_edge_v1_by_hand():
    # sqrt(0.81 + 1) = 1.34536; + 0.9 = 2.24536; 20 log10 = 7.026; + 6.9 = 13.93 dB
    assert knife_edge_loss_db(1.0) == pytest.approx(13.93, abs=0.01)
    # large v: J ~ 13 + 20 log10 v (P.526 Fig. 23 asymptote)
    assert knife_edge_loss_db(10.0) == pytest.approx(13 + 20, abs=0.2)


def test_knife_edge_vectorised_matches_scalar():
    v = np.linspace(-3, 5, 41)
    got = knife_edge_loss_db(v)
    assert got.shape == v.shape
    for vi, gi in zip(v, got, strict=True):
        assert gi == pytest.approx(_j(vi), abs=1e-12)
        assert knife_edge_loss_db_nb(vi) == pytest.approx(_j(vi), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.floats(-10, 50), st.floats(-10, 50))
def test_knife_edge_monotone(a, b):
    lo, hi = sorted((a, b))
    assert knife_edge_loss_db(hi) >= knife_edge_loss_db(lo)


def test_fresnel_v_by_hand():
    # h = 10 m, d1 = d2 = 1 km, 900 MHz: v = 10 sqrt(2/0.3331 * 0.002) = 1.0958
    lam = 299_792_458.0 / 900e6
    v = fresnel_v(10.0, 1000.0, 1000.0, lam)
    assert v == pytest.approx(10 * math.sqrt(2 / lam * 2e-3), rel=1e-12)
    assert v == pytest.approx(1.0958, abs=1e-3)
    assert fresnel_v_nb(10.0, 1000.0, 1000.0, lam) == pytest.approx(v, rel=1e-12)
    assert fresnel_v(-10.0, 1000.0, 1000.0, lam) == pytest.approx(-v)


# ----------------------------------------------------------------------------- profiles
from geo.diffraction import bullington_loss_db, deygout_loss_db  # noqa: E402

FLAT_K = 1e12  # effectively flat Earth: the bulge x(D-x)/(2 a_e) vanishes
LAM_900 = 299_792_458.0 / 900e6


def _single_edge_profile(edge_h, n=101, total=10_000.0):
    x = np.linspace(0.0, total, n)
    h = np.zeros(n)
    h[n // 2] = edge_h
    return x, h


@pytest.mark.parametrize("edge_h", [20.0, 35.0, 60.0])
def test_single_edge_equals_knife_edge(edge_h):
    x, h = _single_edge_profile(edge_h)
    v = (edge_h - 20.0) * math.sqrt(2 / LAM_900 * (1 / 5000 + 1 / 5000))
    j = _j(v)
    for fn in (deygout_loss_db, bullington_loss_db):
        got = fn(x, h, 20.0, 20.0, 900.0, k_factor=FLAT_K, correction=False)
        assert got == pytest.approx(j, abs=1e-9)
    assert deygout_loss_db(x, h, 20.0, 20.0, 900.0, k_factor=FLAT_K, max_edges=1) == pytest.approx(j)


def test_grazing_single_edge_is_6db():
    x, h = _single_edge_profile(20.0)
    got = deygout_loss_db(x, h, 20.0, 20.0, 900.0, k_factor=FLAT_K, correction=False)
    assert got == pytest.approx(6.03, abs=0.01)


def test_single_edge_with_p526_correction():
    x, h = _single_edge_profile(35.0)
    v = 15.0 * math.sqrt(2 / LAM_900 * (2 / 5000))
    j = _j(v)
    # Deygout: J + T (0 + 0 + C), T = 1 - exp(-J/6), C = 10 + 0.04 D_km
    expected_d = j + (1 - math.exp(-j / 6)) * (10 + 0.04 * 10)
    assert deygout_loss_db(x, h, 20.0, 20.0, 900.0, k_factor=FLAT_K) == pytest.approx(expected_d)
    # Bullington eq. (57): Luc + (1 - exp(-Luc/6)) (10 + 0.02 d)
    expected_b = j + (1 - math.exp(-j / 6)) * (10 + 0.02 * 10)
    assert bullington_loss_db(x, h, 20.0, 20.0, 900.0, k_factor=FLAT_K) == pytest.approx(expected_b)


def test_deygout_two_edges_by_hand():
    x = np.arange(0.0, 10_001.0, 500.0)
    h = np.zeros_like(x)
    h[x == 3000.0] = 60.0
    h[x == 7000.0] = 40.0
    lam = 299_792_458.0 / 1800e6
    # principal: the 3 km edge, 50 m above the 10 m - 10 m ray
    vp = 50.0 * math.sqrt(2 / lam * (1 / 3000 + 1 / 7000))
    v7 = 30.0 * math.sqrt(2 / lam * (1 / 7000 + 1 / 3000))
    assert vp > v7
    # secondary on p -> rx: ray from (3000, 60) to (10000, 10) is 60 - 50*4/7 at 7 km
    vr = (40.0 - (60.0 - 50.0 * 4000 / 7000)) * math.sqrt(2 / lam * (1 / 4000 + 1 / 3000))
    jp, jr = _j(vp), _j(vr)
    t = 1 - math.exp(-jp / 6)
    expected = jp + t * (jr + 10 + 0.04 * 10)
    got = deygout_loss_db(x, h, 10.0, 10.0, 1800.0, k_factor=FLAT_K)
    assert got == pytest.approx(expected, abs=1e-9)
    got_nc = deygout_loss_db(x, h, 10.0, 10.0, 1800.0, k_factor=FLAT_K, correction=False)
    assert got_nc == pytest.approx(jp + t * jr, abs=1e-9)


def test_bullington_two_hills_by_hand():
    # flat Earth; tx 10 m, rx 20 m antennas on 0 m ground; hills (1 km, 50 m), (3 km, 60 m)
    x = np.array([0.0, 1000.0, 3000.0, 4000.0])
    h = np.array([0.0, 50.0, 60.0, 0.0])
    lam = 299_792_458.0 / 1000e6
    stim = max((50 - 10) / 1.0, (60 - 10) / 3.0)  # m/km, eq. (49)
    srim = max((50 - 20) / 3.0, (60 - 20) / 1.0)  # eq. (53)
    d = 4.0
    db = (20 - 10 + srim * d) / (stim + srim)  # eq. (54) = 2.125 km
    vb = (10 + stim * db - (10 * (d - db) + 20 * db) / d) * math.sqrt(0.002 * d / (lam * db * (d - db)))
    luc = _j(vb)
    got = bullington_loss_db(x, h, 10.0, 20.0, 1000.0, k_factor=FLAT_K, correction=False)
    assert got == pytest.approx(luc, abs=1e-9)
    got = bullington_loss_db(x, h, 10.0, 20.0, 1000.0, k_factor=FLAT_K)
    assert got == pytest.approx(luc + (1 - math.exp(-luc / 6)) * (10 + 0.02 * d), abs=1e-9)


def test_clear_flat_path_no_loss_and_earth_bulge():
    x = np.linspace(0.0, 40_000.0, 401)
    h = np.zeros_like(x)
    for fn in (deygout_loss_db, bullington_loss_db):
        # 60 m masts: the ground stays outside the first Fresnel zone (v < -0.78)
        assert fn(x, h, 60.0, 60.0, 900.0, k_factor=FLAT_K) == 0.0
        # 4/3 Earth: mid-path bulge 20 km^2 / (2 * 8494 km) = 23.5 m > 10 m antennas
        assert fn(x, h, 10.0, 10.0, 900.0) > 6.0
    bulge = 20_000.0**2 / (2 * 4 / 3 * 6_371_000.0)
    assert bulge == pytest.approx(23.55, abs=0.01)


def test_profile_validation():
    with pytest.raises(ValueError, match="increase"):
        deygout_loss_db([0, 10, 10, 30], [0, 0, 0, 0], 10, 10, 900)
    with pytest.raises(ValueError, match="same length"):
        bullington_loss_db([0, 10, 20], [0, 0], 10, 10, 900)
    with pytest.raises(ValueError, match="finite"):
        deygout_loss_db([0, 10, 20], [0, np.nan, 0], 10, 10, 900)
    with pytest.raises(ValueError, match="max_edges"):
        deygout_loss_db([0, 10, 20], [0, 0, 0], 10, 10, 900, max_edges=2)
    assert deygout_loss_db([0, 100], [0, 0], 10, 10, 900) == 0.0


@st.composite
def _profiles(draw):
    n = draw(st.integers(3, 40))
    step = draw(st.floats(30.0, 500.0))
    heights = draw(st.lists(st.floats(0.0, 800.0), min_size=n, max_size=n))
    htx = draw(st.floats(1.0, 60.0))
    hrx = draw(st.floats(1.0, 20.0))
    f = draw(st.sampled_from([900.0, 1800.0, 3500.0]))
    return np.arange(n) * step, np.array(heights), htx, hrx, f


@settings(max_examples=150, deadline=None)
@given(_profiles())
def test_profile_properties(prof):
    x, h, htx, hrx, f = prof
    d3 = deygout_loss_db(x, h, htx, hrx, f)
    d1 = deygout_loss_db(x, h, htx, hrx, f, max_edges=1)
    b = bullington_loss_db(x, h, htx, hrx, f)
    assert d3 >= d1 >= 0.0
    assert b >= 0.0
    # reciprocity: reversing the path swaps the ends
    xr = x[-1] - x[::-1]
    assert deygout_loss_db(xr, h[::-1], hrx, htx, f) == pytest.approx(d3, abs=1e-6)
    assert bullington_loss_db(xr, h[::-1], hrx, htx, f) == pytest.approx(b, abs=1e-6)
    # raising the transmitter never increases the principal-edge loss
    assert deygout_loss_db(x, h, htx + 10.0, hrx, f, max_edges=1) <= d1 + 1e-9
