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
