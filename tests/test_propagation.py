"""Known-answer and property tests for geo.propagation.

Expected values are computed here, in plain ``math``, from the cited equations
(TR 38.901 V17 Table 7.4.1-1; Hata 1980; COST 231 final report §4.4; ITU-R P.525),
not taken from the function under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.propagation import (
    MODELS,
    SPEED_OF_LIGHT_M_S,
    VALIDITY,
    free_space_loss_db,
    path_loss_db,
)

C = 299_792_458.0


def test_speed_of_light():
    assert SPEED_OF_LIGHT_M_S == C


# ----------------------------------------------------------------------------- FSPL
def test_fspl_1km_1800mhz():
    # ITU-R P.525: L = 32.45 + 20 log10(f_MHz) + 20 log10(d_km)
    assert free_space_loss_db(1000.0, 1800.0) == pytest.approx(97.55, abs=0.01)
    assert path_loss_db("fspl", 1000.0, 1800.0, 1.5, 1.5) == pytest.approx(97.55, abs=0.01)


def test_fspl_uses_3d_distance():
    d3d = math.hypot(1000.0, 30.0 - 1.5)
    expected = 20 * math.log10(4 * math.pi * d3d * 900e6 / C)
    assert path_loss_db("fspl", 1000.0, 900.0, 30.0, 1.5) == pytest.approx(expected, abs=1e-9)


def test_fspl_6db_per_octave():
    a = free_space_loss_db(np.array([1000.0, 2000.0]), 900.0)
    assert a[1] - a[0] == pytest.approx(20 * math.log10(2), abs=1e-9)


# ----------------------------------------------------------------------------- RMa
def _rma_pl1(d3d, fc, h=5.0):
    return (
        20 * math.log10(40 * math.pi * d3d * fc / 3)
        + min(0.03 * h**1.72, 10) * math.log10(d3d)
        - min(0.044 * h**1.72, 14.77)
        + 0.002 * math.log10(h) * d3d
    )


def test_rma_los_below_breakpoint():
    hbs, hut, fc = 35.0, 1.5, 3.5
    d_bp = 2 * math.pi * hbs * hut * fc * 1e9 / C  # ~3851 m
    assert 3800 < d_bp < 3900
    d2d = 1000.0
    d3d = math.hypot(d2d, hbs - hut)
    expected = _rma_pl1(d3d, fc)
    got = path_loss_db("38901-rma", d2d, 3500.0, hbs, hut)
    assert got == pytest.approx(expected, abs=1e-9)
    assert got == pytest.approx(105.46, abs=0.01)  # 103.33 + 1.43 - 0.70 + 1.40


def test_rma_los_above_breakpoint():
    hbs, hut, fc = 35.0, 1.5, 3.5
    d_bp = 2 * math.pi * hbs * hut * fc * 1e9 / C
    d2d = 8000.0
    d3d = math.hypot(d2d, hbs - hut)
    expected = _rma_pl1(d_bp, fc) + 40 * math.log10(d3d / d_bp)
    assert path_loss_db("38901-rma", d2d, 3500.0, hbs, hut) == pytest.approx(expected, abs=1e-9)


def test_rma_nlos():
    hbs, hut, fc, h, w = 35.0, 1.5, 3.5, 5.0, 20.0
    d2d = 2000.0
    d3d = math.hypot(d2d, hbs - hut)
    nlos_prime = (
        161.04
        - 7.1 * math.log10(w)
        + 7.5 * math.log10(h)
        - (24.37 - 3.7 * (h / hbs) ** 2) * math.log10(hbs)
        + (43.42 - 3.1 * math.log10(hbs)) * (math.log10(d3d) - 3)
        + 20 * math.log10(fc)
        - (3.2 * math.log10(11.75 * hut) ** 2 - 4.97)
    )
    los = _rma_pl1(d3d, fc)
    assert nlos_prime > los
    assert path_loss_db("38901-rma", d2d, 3500.0, hbs, hut, los=False) == pytest.approx(
        max(los, nlos_prime), abs=1e-9
    )


# ----------------------------------------------------------------------------- UMa
def test_uma_los_and_nlos():
    hbs, hut, fc = 25.0, 1.5, 3.5
    d_bp = 4 * (hbs - 1) * (hut - 1) * fc * 1e9 / C  # d'_BP with h_E = 1 m, ~560 m
    assert 555 < d_bp < 565
    d2d = 500.0
    d3d = math.hypot(d2d, hbs - hut)
    los = 28.0 + 22 * math.log10(d3d) + 20 * math.log10(fc)
    nlos = 13.54 + 39.08 * math.log10(d3d) + 20 * math.log10(fc) - 0.6 * (hut - 1.5)
    assert path_loss_db("38901-uma", d2d, 3500.0, hbs, hut) == pytest.approx(los, abs=1e-9)
    got = path_loss_db("38901-uma", d2d, 3500.0, hbs, hut, los=False)
    assert got == pytest.approx(max(los, nlos), abs=1e-9)
    assert got == pytest.approx(129.92, abs=0.05)
    # beyond the breakpoint
    d2d = 2000.0
    d3d = math.hypot(d2d, hbs - hut)
    los2 = 28.0 + 40 * math.log10(d3d) + 20 * math.log10(fc) - 9 * math.log10(d_bp**2 + (hbs - hut) ** 2)
    assert path_loss_db("38901-uma", d2d, 3500.0, hbs, hut) == pytest.approx(los2, abs=1e-9)


def test_uma_continuous_at_breakpoint():
    hbs, hut, f = 25.0, 1.5, 3500.0
    d_bp = 4 * (hbs - 1) * (hut - 1) * 3.5e9 / C
    a, b = path_loss_db("38901-uma", np.array([d_bp - 1e-6, d_bp + 1e-6]), f, hbs, hut)
    assert a == pytest.approx(b, abs=1e-3)


# ----------------------------------------------------------------------------- Hata
def _a_hm(f, hm):
    return (1.1 * math.log10(f) - 0.7) * hm - (1.56 * math.log10(f) - 0.8)


def test_okumura_hata_900():
    f, hb, hm, d = 900.0, 30.0, 1.5, 5.0
    expected = (
        69.55 + 26.16 * math.log10(f) - 13.82 * math.log10(hb) - _a_hm(f, hm)
        + (44.9 - 6.55 * math.log10(hb)) * math.log10(d)
    )
    assert expected == pytest.approx(151.02, abs=0.05)
    assert path_loss_db("cost231-hata", d * 1000, f, hb, hm) == pytest.approx(expected, abs=1e-9)
    rural = expected - 4.78 * math.log10(f) ** 2 + 18.33 * math.log10(f) - 40.94
    got = path_loss_db("cost231-hata", d * 1000, f, hb, hm, environment="rural")
    assert got == pytest.approx(rural, abs=1e-9)
    sub = expected - 2 * math.log10(f / 28) ** 2 - 5.4
    got = path_loss_db("cost231-hata", d * 1000, f, hb, hm, environment="suburban")
    assert got == pytest.approx(sub, abs=1e-9)


def test_cost231_hata_1800():
    f, hb, hm, d = 1800.0, 40.0, 1.5, 3.0
    base = (
        46.3 + 33.9 * math.log10(f) - 13.82 * math.log10(hb) - _a_hm(f, hm)
        + (44.9 - 6.55 * math.log10(hb)) * math.log10(d)
    )
    assert path_loss_db("cost231-hata", d * 1000, f, hb, hm) == pytest.approx(base, abs=1e-9)
    a_large = 3.2 * math.log10(11.75 * hm) ** 2 - 4.97
    metro = base + _a_hm(f, hm) - a_large + 3.0
    got = path_loss_db("cost231-hata", d * 1000, f, hb, hm, environment="metropolitan")
    assert got == pytest.approx(metro, abs=1e-9)


# ----------------------------------------------------------------------------- validity
@pytest.mark.parametrize(
    ("model", "kwargs", "param"),
    [
        ("38901-rma", dict(d2d_m=5.0, f_mhz=900, h_bs_m=30, h_ut_m=1.5), "d2d_m"),
        ("38901-rma", dict(d2d_m=12_000.0, f_mhz=900, h_bs_m=30, h_ut_m=1.5), "d2d_m"),
        ("38901-rma", dict(d2d_m=1000.0, f_mhz=300, h_bs_m=30, h_ut_m=1.5), "f_mhz"),
        ("38901-rma", dict(d2d_m=1000.0, f_mhz=900, h_bs_m=5, h_ut_m=1.5), "h_bs_m"),
        ("38901-rma", dict(d2d_m=1000.0, f_mhz=900, h_bs_m=30, h_ut_m=12), "h_ut_m"),
        ("38901-uma", dict(d2d_m=6000.0, f_mhz=3500, h_bs_m=25, h_ut_m=1.5), "d2d_m"),
        ("38901-uma", dict(d2d_m=600.0, f_mhz=3500, h_bs_m=25, h_ut_m=1.0), "h_ut_m"),
        ("cost231-hata", dict(d2d_m=500.0, f_mhz=900, h_bs_m=30, h_ut_m=1.5), "d2d_m"),
        ("cost231-hata", dict(d2d_m=5000.0, f_mhz=2600, h_bs_m=30, h_ut_m=1.5), "f_mhz"),
        ("cost231-hata", dict(d2d_m=5000.0, f_mhz=900, h_bs_m=20, h_ut_m=1.5), "h_bs_m"),
        ("fspl", dict(d2d_m=0.0, f_mhz=900, h_bs_m=1.5, h_ut_m=1.5), "d3d_m"),
    ],
)
def test_strict_rejects_out_of_range(model, kwargs, param):
    with pytest.raises(ValueError, match=param) as err:
        path_loss_db(model, **kwargs)
    assert "expected" in str(err.value)
    loss, ext = path_loss_db(model, **kwargs, strict=False, return_extrapolated=True)
    assert np.isfinite(loss)
    assert bool(ext)


def test_rma_nlos_range_is_5km():
    assert np.isfinite(path_loss_db("38901-rma", 8000.0, 900, 30, 1.5, los=True))
    with pytest.raises(ValueError, match="NLOS"):
        path_loss_db("38901-rma", 8000.0, 900, 30, 1.5, los=False)


def test_unknown_model_and_nan():
    with pytest.raises(ValueError, match="Unknown path-loss model"):
        path_loss_db("okumura", 1000.0, 900, 30, 1.5)
    with pytest.raises(ValueError, match="non-finite"):
        path_loss_db("fspl", np.nan, 900, 30, 1.5)


def test_extrapolation_mask_elementwise_and_fspl_floor():
    d = np.array([5.0, 1000.0, 50_000.0])
    loss, ext = path_loss_db("38901-rma", d, 900, 30, 1.5, strict=False, return_extrapolated=True)
    assert ext.tolist() == [True, False, True]
    # below the minimum distance the loss is the loss at the minimum (clip)
    assert loss[0] == pytest.approx(path_loss_db("38901-rma", 10.0, 900, 30, 1.5))
    # beyond the maximum: formula continuation, still growing
    assert loss[2] > path_loss_db("38901-rma", 10_000.0, 900, 30, 1.5)
    hata = path_loss_db("cost231-hata", np.array([10.0, 100.0]), 900, 30, 1.5, strict=False)
    fs = free_space_loss_db(np.hypot([1000.0, 1000.0], 28.5), 900)
    assert np.all(hata >= fs - 1e-9)


def test_broadcasting_and_los_array():
    d = np.linspace(100, 4000, 12).reshape(3, 4)
    los = np.zeros((3, 4), dtype=bool)
    los[0] = True
    out = path_loss_db("38901-uma", d, 3500.0, 25.0, 1.5, los=los)
    assert out.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert out[i, j] == pytest.approx(
                path_loss_db("38901-uma", d[i, j], 3500.0, 25.0, 1.5, los=bool(los[i, j]))
            )


# ----------------------------------------------------------------------------- properties
@st.composite
def _cases(draw):
    model = draw(st.sampled_from([m for m in MODELS if m != "fspl"]))
    v = VALIDITY[model]
    los = draw(st.booleans())
    d_hi = v["d2d_m_nlos"][1] if (not los and "d2d_m_nlos" in v) else v["d2d_m"][1]
    d1 = draw(st.floats(v["d2d_m"][0], d_hi))
    d2 = draw(st.floats(v["d2d_m"][0], d_hi))
    f_lo, f_hi = v["f_mhz"]
    f1 = draw(st.floats(f_lo, min(f_hi, 7125.0)))
    f2 = draw(st.floats(f_lo, min(f_hi, 7125.0)))
    hbs = draw(st.floats(max(v["h_bs_m"][0], 1.0), v["h_bs_m"][1]))
    hut = draw(st.floats(*v["h_ut_m"]))
    return model, los, sorted((d1, d2)), sorted((f1, f2)), hbs, hut


@settings(max_examples=300, deadline=None)
@given(_cases())
def test_loss_grows_with_distance_and_frequency(case):
    model, los, (d1, d2), (f1, f2), hbs, hut = case
    pl = lambda d, f: path_loss_db(model, d, f, hbs, hut, los=los)  # noqa: E731
    assert pl(d2, f1) >= pl(d1, f1) - 1e-9
    assert pl(d1, f2) >= pl(d1, f1) - 1e-9


@settings(max_examples=200, deadline=None)
@given(_cases())
def test_nlos_never_below_los(case):
    model, _, (d1, _d2), (f1, _f2), hbs, hut = case
    d1 = min(d1, 5000.0)
    assert path_loss_db(model, d1, f1, hbs, hut, los=False) >= path_loss_db(
        model, d1, f1, hbs, hut, los=True
    ) - 1e-9


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(MODELS),
    st.floats(0.0, 80_000.0),
    st.floats(100.0, 7125.0),
    st.floats(1.0, 200.0),
    st.floats(1.0, 30.0),
    st.booleans(),
)
def test_non_strict_always_finite_and_above_free_space(model, d, f, hbs, hut, los):
    loss = path_loss_db(model, d, f, hbs, hut, los=los, strict=False)
    assert np.isfinite(loss)
    assert loss >= free_space_loss_db(max(math.hypot(d, hbs - hut), 1.0), f) - 1e-9


def test_los_probability_known_answers():
    # TR 38.901 Table 7.4.2-1
    from geo.propagation import los_probability

    assert los_probability("38901-rma", 10.0) == 1.0
    assert los_probability("38901-rma", 1010.0) == pytest.approx(math.exp(-1.0))
    assert los_probability("38901-uma", 18.0) == 1.0
    assert los_probability("38901-uma", 100.0, 1.5) == pytest.approx(
        18 / 100 + math.exp(-100 / 63) * (1 - 18 / 100))
    c = ((23.0 - 13.0) / 10.0) ** 1.5
    base = 18 / 100 + math.exp(-100 / 63) * (1 - 18 / 100)
    assert los_probability("38901-uma", 100.0, 23.0) == pytest.approx(
        base * (1 + c * 1.25 * 1.0 * math.exp(-100 / 150)))
    assert los_probability("fspl", 5000.0) == 1.0
    assert los_probability("cost231-hata", 5000.0) == 0.0
    d = np.linspace(20, 20_000, 50)
    assert np.all(np.diff(los_probability("38901-rma", d)) < 0)


# ----------------------------------------------------------------------------- numeric anchors
# issue #19: numbers worked out once by hand (4–6 digit logs, written down below), not the
# formula re-typed, so a coefficient typo in the code cannot pass unnoticed.
def test_rma_nlos_numeric_anchor():
    # h_BS 35 m, h_UT 1.5 m, 3.5 GHz, h 5 m, W 20 m, d2D 2 km → d3D = 2000.2805 m:
    # 161.04 − 7.1·1.30103 + 7.5·0.69897 − (24.37 − 3.7·0.020408)·1.544068
    # + (43.42 − 3.1·1.544068)·(3.301091 − 3) + 20·0.544068 − (3.2·1.246129² − 4.97)
    # = 161.04 − 9.23731 + 5.24228 − 37.51156 + 11.63218 + 10.88136 + 0.00092 = 142.048 dB
    # (above the LOS PL1 of 113.02 dB, so PL_NLOS = PL'_NLOS)
    assert path_loss_db("38901-rma", 2000.0, 3500.0, 35.0, 1.5, los=False) == pytest.approx(
        142.048, abs=0.01)
    assert path_loss_db("38901-rma", 2000.0, 3500.0, 35.0, 1.5, los=True) == pytest.approx(
        113.018, abs=0.01)


@pytest.mark.parametrize(("environment", "expected_db"), [
    # 1800 MHz, h_b 40 m, h_m 1.5 m, 3 km; log f = 3.255273, log h_b = 1.602060:
    # a(h_m) = (1.1·3.255273 − 0.7)·1.5 − (1.56·3.255273 − 0.8) = 0.042974
    # slope = (44.9 − 6.55·1.602060)·log 3 = 34.406507·0.477121 = 16.416064
    # urban: 46.3 + 110.353755 − 22.140469 − 0.042974 + 16.416064 = 150.886 dB
    ("urban", 150.886),
    # metropolitan: a = 3.2·(log 17.625)² − 4.97 = −0.000918, C_m = 3 → 153.930 dB
    ("metropolitan", 153.930),
    # suburban: 150.886376 − 2·(log 64.285714)² − 5.4 = 150.886376 − 6.538560 − 5.4 = 138.948
    ("suburban", 138.948),
    # rural: 150.886376 − 4.78·10.596802 + 18.33·3.255273 − 40.94 = 118.963
    ("rural", 118.963),
])
def test_cost231_hata_1800_numeric_anchors(environment, expected_db):
    got = path_loss_db("cost231-hata", 3000.0, 1800.0, 40.0, 1.5, environment=environment)
    assert got == pytest.approx(expected_db, abs=0.01)
