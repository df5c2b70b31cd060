"""Tests for geo.antenna (3GPP TR 38.901 Table 7.3-1 element pattern)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.antenna import (
    azimuth_offset_deg,
    elevation_angle_deg,
    sector_gain_db,
    sector_gain_db_nb,
)


def test_boresight_is_zero():
    assert sector_gain_db(0.0, 0.0) == pytest.approx(0.0, abs=1e-12)


def test_half_power_points_are_minus_3db():
    # A_H(φ3dB/2) = -12 (1/2)^2 = -3 dB
    assert sector_gain_db(32.5, 0.0) == pytest.approx(-3.0, abs=1e-9)
    assert sector_gain_db(-32.5, 0.0) == pytest.approx(-3.0, abs=1e-9)
    assert sector_gain_db(0.0, -32.5) == pytest.approx(-3.0, abs=1e-9)


def test_back_lobe_is_front_to_back():
    assert sector_gain_db(180.0, 0.0) == pytest.approx(-30.0)
    assert sector_gain_db(90.0, 0.0) == pytest.approx(-12 * (90 / 65) ** 2)  # -23.0 dB
    assert sector_gain_db(90.0, 0.0, front_to_back_db=20.0) == pytest.approx(-20.0)


def test_separable_without_tilt():
    phi, el = 20.0, -10.0
    expected = -min(12 * (phi / 65) ** 2 + 12 * (el / 65) ** 2, 30.0)
    assert sector_gain_db(phi, el) == pytest.approx(expected, abs=1e-9)


def test_tilt_moves_the_beam_down():
    assert sector_gain_db(0.0, -6.0, tilt_deg=6.0) == pytest.approx(0.0, abs=1e-9)
    assert sector_gain_db(0.0, 0.0, tilt_deg=6.0) == pytest.approx(-12 * (6 / 65) ** 2, abs=1e-9)


def test_omni_is_zero():
    g = sector_gain_db(np.array([np.nan, 0.0, 90.0]), np.array([-20.0, 0.0, 0.0]))
    np.testing.assert_allclose(g, [0.0, 0.0, -12 * (90 / 65) ** 2], atol=1e-12)
    assert sector_gain_db_nb(np.nan, -20.0) == 0.0
    assert sector_gain_db_nb(90.0, 0.0) == pytest.approx(-23.006, abs=1e-3)


def test_tilt_off_boresight_known_answers():
    # Computed once by hand from TR 38.901 eqs. (7.1-7), (7.1-8) and Table 7.3-1:
    # β = 10°, φ = 60°, 5° below the horizon (θ = 95°): cos θ' = cos10·cos95 + sin10·cos60·sin95
    # = 0.000662 → θ' = 89.962°; φ' = atan2(sin95·sin60, cos10·sin95·cos60 − sin10·cos95)
    # = 59.625°; A = −12·(59.625/65)² − 12·(0.038/65)² = −10.0973 dB (untilted: −10.296 dB)
    assert sector_gain_db(60.0, -5.0, tilt_deg=10.0) == pytest.approx(-10.0973, abs=1e-4)
    assert sector_gain_db_nb(60.0, -5.0, 65.0, 30.0, 10.0) == pytest.approx(-10.0973, abs=1e-4)
    # β = 8°, on the boresight azimuth, 20° below: θ' = 110° − 8° = 102° → −12·(12/65)² = −0.409
    assert sector_gain_db(0.0, -20.0, tilt_deg=8.0) == pytest.approx(-0.4090, abs=1e-4)
    # behind the antenna the tilt lifts the beam: θ' = 110 + 8 = 118°, φ' = 180° → floor 30 dB
    assert sector_gain_db(180.0, -20.0, tilt_deg=8.0) == pytest.approx(-30.0)


def test_helpers():
    assert azimuth_offset_deg(10.0, 350.0) == pytest.approx(20.0)
    assert azimuth_offset_deg(350.0, 10.0) == pytest.approx(-20.0)
    assert elevation_angle_deg(-30.0, 30.0) == pytest.approx(-45.0)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-360, 360),
    st.floats(-89, 89),
    st.floats(-10, 20),
    st.floats(30, 120),
    st.floats(10, 40),
)
def test_bounds_and_numba_match(phi, el, tilt, bw, ftb):
    g = sector_gain_db(phi, el, bw, ftb, tilt)
    assert -ftb - 1e-9 <= g <= 1e-12
    assert sector_gain_db_nb(phi, el, bw, ftb, tilt) == pytest.approx(g, abs=1e-9)


def test_vectorised_shape():
    phi = np.linspace(-180, 180, 37)[:, None]
    el = np.linspace(-60, 10, 8)[None, :]
    g = sector_gain_db(phi, el, tilt_deg=4.0)
    assert g.shape == (37, 8)
    assert g.max() <= 0.0
