"""Tests for geo.link_budget (RSRP per RE, O2I margins, uplink, shadow fading, SINR, throughput)."""

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
    o2i_penetration_loss_db,
    required_sinr_db,
    rsrp_dbm,
    shadow_margin_db,
    shadow_sigma_db,
    sinr_db,
    spectral_efficiency,
    thermal_noise_dbm,
    threshold_dbm,
    throughput_mbps,
    uplink_budget,
    uplink_rsrp_threshold_dbm,
)


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


def test_threshold_override():
    assert threshold_dbm("4G", thresholds={"4G": -120.0}) == -120.0
    assert threshold_dbm("5G", thresholds={"4G": -120.0}) == -110.0


# ---- issue 16: known answers (computed by hand, written down)
def test_spectral_efficiency_known_answers():
    # TR 36.942 Annex A.1: 0.6·log2(1+SINR), 0 below −10 dB, capped at 4.4 (LTE) / 7.40625 (NR)
    assert spectral_efficiency(0.0, "4G") == pytest.approx(0.6, abs=1e-9)
    assert spectral_efficiency(10.0, "4G") == pytest.approx(2.076, abs=5e-4)
    assert spectral_efficiency(30.0, "4G") == pytest.approx(4.4)
    assert spectral_efficiency(45.0, "5G") == pytest.approx(7.406, abs=5e-4)
    assert spectral_efficiency(-10.5, "5G") == 0.0
    # just above SINR_min: 0.6·log2(1.1) = 0.0825
    assert spectral_efficiency(-10.0, "4G") == pytest.approx(0.0825, abs=5e-4)
    got = spectral_efficiency(np.array([np.nan, 0.0]), "5G")
    assert np.isnan(got[0]) and got[1] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="4G"):
        spectral_efficiency(10.0, "3G")


@settings(max_examples=50, deadline=None)
@given(st.floats(-9.9, 40.0), st.sampled_from(["4G", "5G"]))
def test_required_sinr_inverts_efficiency(s, tech):
    eta = float(spectral_efficiency(s, tech))
    if eta < (4.4 if tech == "4G" else 7.40625) - 1e-9:
        assert required_sinr_db(eta * 1e6, 1e6, tech) == pytest.approx(s, abs=1e-6)


def test_required_sinr_refuses_impossible_rates():
    with pytest.raises(ValueError, match="top efficiency"):
        required_sinr_db(10e6, 1e6, "4G")


def test_shadow_margin_known_answers():
    # Φ⁻¹(0.9) = 1.28155 → 8 dB · 1.28155 = 10.25 dB; the median needs no margin
    assert shadow_margin_db(8.0, 0.9) == pytest.approx(10.25, abs=0.005)
    assert shadow_margin_db(6.0, 0.5) == pytest.approx(0.0, abs=1e-12)
    assert shadow_margin_db(8.0, 0.99) == pytest.approx(18.61, abs=0.01)  # 8 · 2.32635
    with pytest.raises(ValueError, match="between 0 and 1"):
        shadow_margin_db(8.0, 1.0)


def test_shadow_sigma_table():
    # TR 38.901 Table 7.4.1-1; RMa d_BP = 2π·35·1.5·3.5e9/c = 3851 m
    assert shadow_sigma_db("38901-rma", 1000.0, 3500.0, 35.0, 1.5) == 4.0
    assert shadow_sigma_db("38901-rma", 5000.0, 3500.0, 35.0, 1.5) == 6.0
    assert shadow_sigma_db("38901-rma", 5000.0, 3500.0, 35.0, 1.5, p_los=0.0) == 8.0
    assert shadow_sigma_db("38901-uma", 300.0, 3500.0, 25.0, 1.5, p_los=0.0) == 6.0
    # half LOS (4 dB) half NLOS (8 dB): sqrt(0.5·16 + 0.5·64) = 6.325
    assert shadow_sigma_db("38901-rma", 100.0, 3500.0, 35.0, 1.5, p_los=0.5) == pytest.approx(
        6.3246, abs=1e-4)


def test_uplink_budget_lte_1800_by_hand():
    # 23 dBm + 0 dBi − 3 dB body + 18 dBi BS; noise −174 + 10·log10(10·180 kHz) + 5 = −106.45 dBm;
    # 512 kbit/s over 1.8 MHz at 8 % overhead: η = 0.3092 → SINR = 2^(η/0.6) − 1 = 0.4293 = −3.67 dB;
    # sensitivity −106.45 − 3.67 + 3 = −107.12 dBm; MAPL = 23 − 3 + 18 + 107.12 = 145.12 dB
    ub = uplink_budget("4G", 1800.0)
    assert ub.noise_dbm == pytest.approx(-106.45, abs=0.005)
    assert ub.required_sinr_db == pytest.approx(-3.67, abs=0.005)
    assert ub.sensitivity_dbm == pytest.approx(-107.12, abs=0.01)
    assert ub.max_path_loss_db == pytest.approx(145.12, abs=0.01)
    # the downlink RSRP at which it fails: EIRP/RE 64 − 30.79 = 33.21 dBm → −111.91 dBm
    assert uplink_rsrp_threshold_dbm(64.0 - 10 * math.log10(1200), ub) == pytest.approx(
        -111.91, abs=0.01)


def test_hpue_only_on_n41_n77_n78():
    base = uplink_budget("5G", 3500.0).max_path_loss_db
    assert uplink_budget("5G", 3500.0, ue_power_dbm=26.0).max_path_loss_db == pytest.approx(base + 3)
    assert uplink_budget("5G", 2600.0, ue_power_dbm=26.0).ue_power_dbm == 26.0
    assert uplink_budget("4G", 1800.0, ue_power_dbm=26.0).ue_power_dbm == 23.0
    assert uplink_budget("5G", 3500.0, ue_power_dbm=20.0).ue_power_dbm == 20.0
    assert uplink_budget("2G").ue_power_dbm == 33.0


def test_noise_and_sinr():
    assert thermal_noise_dbm(15e3, 9.0) == pytest.approx(-174 + 41.761 + 9, abs=1e-3)
    # two equal co-channel servers at load 1, negligible noise → 0 dB
    two = -90.0 + 10 * math.log10(2.0)
    assert sinr_db(-90.0, two, -200.0, 1.0) == pytest.approx(0.0, abs=1e-6)
    # at load 0.5 the same cell is +3.01 dB; alone it is S/N
    assert sinr_db(-90.0, two, -200.0, 0.5) == pytest.approx(3.0103, abs=1e-4)
    assert sinr_db(-90.0, -90.0, -120.0, 1.0) == pytest.approx(30.0, abs=1e-9)


def test_throughput_known_answers():
    # NR n78 100 MHz, SINR 30 dB: 0.6·log2(1001) = 5.9802 bit/s/Hz × 100 MHz × 0.86 × 52/70
    assert throughput_mbps(30.0, "5G", 100.0, 3500.0) == pytest.approx(
        5.9802 * 100 * 0.86 * 52 / 70, rel=1e-4)
    # LTE B3 20 MHz (FDD) at the cap: 4.4 × 20 × 0.75 = 66 Mbit/s
    assert throughput_mbps(35.0, "4G", 20.0, 1800.0) == pytest.approx(66.0)
    assert throughput_mbps(-20.0, "4G", 20.0, 1800.0) == 0.0


def test_high_loss_indoor_margins_as_documented():
    # the figures geo/link_budget.py and docs/models.md §4 quote (issue 19: print, don't guess)
    got = [float(indoor_margin_db(f, "high-loss")) for f in (900.0, 1800.0, 2100.0, 2600.0, 3500.0)]
    assert got == [20.2, 23.4, 24.4, 26.0, 28.5]
