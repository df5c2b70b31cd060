"""Tests for geo.link_budget (RSRP per RE, TR 38.901 O2I margins, range)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.link_budget import (
    INDOOR_MARGIN_DB,
    indoor_margin_db,
    max_path_loss_db,
    max_range_m,
    o2i_penetration_loss_db,
    rsrp_dbm,
    threshold_dbm,
)
from geo.propagation import path_loss_db


def test_rsrp_lte_by_hand():
    # 64 dBm over 1200 REs: 64 - 30.79 = 33.21 dBm per RE; minus 140 dB path loss, -3 dB pattern
    got = rsrp_dbm(64.0, 1200, 140.0, antenna_rel_db=-3.0, extra_loss_db=2.0)
    assert got == pytest.approx(64 - 10 * math.log10(1200) - 3 - 140 - 2, abs=1e-12)
    assert got == pytest.approx(-111.79, abs=0.01)


def test_rsrp_vectorised_and_validation():
    pl = np.array([100.0, 120.0])
    assert rsrp_dbm(59.0, 1, pl).tolist() == [-41.0, -61.0]
    with pytest.raises(ValueError, match="subcarriers"):
        rsrp_dbm(59.0, 0, 100.0)


def test_mapl_inverts_rsrp():
    mapl = max_path_loss_db(77.0, 3276, -110.0, extra_loss_db=5.0)
    assert rsrp_dbm(77.0, 3276, mapl, extra_loss_db=5.0) == pytest.approx(-110.0)


def test_o2i_low_loss_by_hand():
    # TR 38.901 Table 7.4.3-2 low-loss at 3.5 GHz: L_glass = 2.7, L_concrete = 19
    f = 3.5
    tw = 5 - 10 * math.log10(0.3 * 10 ** (-(2 + 0.2 * f) / 10) + 0.7 * 10 ** (-(5 + 4 * f) / 10))
    assert tw == pytest.approx(12.70, abs=0.01)
    assert o2i_penetration_loss_db(3500.0, d_2d_in_m=0.0) == pytest.approx(tw)
    assert o2i_penetration_loss_db(3500.0) == pytest.approx(tw + 0.5 * 10 / 3)
    assert o2i_penetration_loss_db(3500.0, environment="urban") == pytest.approx(tw + 0.5 * 25 / 3)
    hl = 5 - 10 * math.log10(0.7 * 10 ** (-(23 + 0.3 * f) / 10) + 0.3 * 10 ** (-(5 + 4 * f) / 10))
    assert o2i_penetration_loss_db(3500.0, "high-loss", d_2d_in_m=0.0) == pytest.approx(hl)
    assert INDOOR_MARGIN_DB[3500.0] == pytest.approx(14.4, abs=0.05)
    assert indoor_margin_db(900.0) == pytest.approx(12.2, abs=0.05)
    with pytest.raises(ValueError, match="building"):
        o2i_penetration_loss_db(900.0, "brick")


def test_threshold():
    assert threshold_dbm("5g") == -110.0
    assert threshold_dbm("4G", indoor_margin_db=10.0, good=True) == -95.0
    with pytest.raises(ValueError, match="technology"):
        threshold_dbm("6G")


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["fspl", "38901-rma", "38901-uma", "cost231-hata"]),
    st.floats(90.0, 170.0),
    st.sampled_from([900.0, 1800.0, 3500.0]),
    st.booleans(),
)
def test_max_range_solves_mapl(model, mapl, f, los):
    d = max_range_m(mapl, model, f, 30.0, 1.5, los=los)
    assert 10.0 <= d <= 40_000.0
    pl_at = path_loss_db(model, d, f, 30.0, 1.5, los=los, strict=False)
    if 10.0 < d < 40_000.0:
        assert pl_at == pytest.approx(mapl, abs=0.01)
    elif d == 40_000.0:
        assert pl_at <= mapl


def test_max_range_vectorised():
    d = max_range_m(np.array([120.0, 140.0]), "38901-rma", 1800.0, 30.0, 1.5)
    assert d.shape == (2,)
    assert d[0] < d[1]
