"""Scalar ``numba.njit`` path-loss kernels, for use inside other jitted loops.

Same equations and the same ``strict=False`` extrapolation policy as
:func:`geo.propagation.path_loss_db` (distances clipped at the model minimum, heights
at 1 m, loss floored at free space), with **no** range checks: call them only from code
that has validated or deliberately extrapolates its inputs. Arguments are float64
scalars: ``d2d_m`` horizontal distance (m), ``f_mhz`` (MHz), ``h_bs_m``/``h_ut_m`` (m).

Which to use
------------
* ``path_loss_scalar_db(model_code, d2d_m, f_mhz, h_bs_m, h_ut_m, los, env_code)`` — the
  dispatcher (``model_code`` from :func:`geo.propagation.model_code`: 0 fspl, 1 38901-rma,
  2 38901-uma, 3 cost231-hata; ``env_code`` Hata environment 0 urban, 1 metropolitan,
  2 suburban, 3 rural, from :data:`HATA_ENV_CODES`). RMa uses h = 5 m, W = 20 m; UMa h_E = 1 m.
* or the model kernels directly: ``fspl_db``, ``rma_db``, ``uma_db``, ``hata_db``.

The tests check every kernel against the vectorised numpy implementation.
"""

from __future__ import annotations

import math

import numba

__all__ = [
    "HATA_ENV_CODES",
    "fspl_db",
    "rma_db",
    "uma_db",
    "hata_db",
    "path_loss_scalar_db",
]

C_M_S = 299_792_458.0
HATA_ENV_CODES = {"urban": 0, "metropolitan": 1, "suburban": 2, "rural": 3}
_MIN_HEIGHT_M = 1.0
_MIN_EFFECTIVE_HEIGHT_M = 0.1
_FSPL_MIN_D3D_M = 1.0
_RMA_H_M = 5.0
_RMA_W_M = 20.0
_UMA_HE_M = 1.0


@numba.njit(cache=True)
def _fspl_d3d_db(d3d_m, f_mhz):
    d = max(d3d_m, _FSPL_MIN_D3D_M)
    return 20.0 * math.log10(4.0 * math.pi * d * f_mhz * 1e6 / C_M_S)


@numba.njit(cache=True)
def fspl_db(d2d_m, f_mhz, h_bs_m, h_ut_m):
    """Free-space loss at the 3-D distance (ITU-R P.525)."""
    return _fspl_d3d_db(math.sqrt(d2d_m * d2d_m + (h_bs_m - h_ut_m) ** 2), f_mhz)


@numba.njit(cache=True)
def _rma_pl1(d, fc_ghz, h):
    a = min(0.03 * h**1.72, 10.0)
    b = min(0.044 * h**1.72, 14.77)
    return 20.0 * math.log10(40.0 * math.pi * d * fc_ghz / 3.0) + a * math.log10(d) - b + (
        0.002 * math.log10(h) * d
    )


@numba.njit(cache=True)
def rma_db(d2d_m, f_mhz, h_bs_m, h_ut_m, los):
    """TR 38.901 RMa (LOS, or NLOS = max(LOS, PL'_NLOS)); h = 5 m, W = 20 m."""
    d2d = max(d2d_m, 10.0)
    hbs = max(h_bs_m, _MIN_HEIGHT_M)
    hut = max(h_ut_m, _MIN_HEIGHT_M)
    d3d = math.sqrt(d2d * d2d + (hbs - hut) ** 2)
    fc = f_mhz / 1000.0
    h = _RMA_H_M
    w = _RMA_W_M
    d_bp = 2.0 * math.pi * hbs * hut * fc * 1e9 / C_M_S
    if d2d <= d_bp:
        pl = _rma_pl1(d3d, fc, h)
    else:
        pl = _rma_pl1(d_bp, fc, h) + 40.0 * math.log10(d3d / d_bp)
    if not los:
        lhbs = math.log10(hbs)
        nlos = (
            161.04
            - 7.1 * math.log10(w)
            + 7.5 * math.log10(h)
            - (24.37 - 3.7 * (h / hbs) ** 2) * lhbs
            + (43.42 - 3.1 * lhbs) * (math.log10(d3d) - 3.0)
            + 20.0 * math.log10(fc)
            - (3.2 * math.log10(11.75 * hut) ** 2 - 4.97)
        )
        pl = max(pl, nlos)
    return max(pl, _fspl_d3d_db(d3d, f_mhz))


@numba.njit(cache=True)
def uma_db(d2d_m, f_mhz, h_bs_m, h_ut_m, los):
    """TR 38.901 UMa (LOS, or NLOS = max(LOS, PL'_NLOS)); h_E = 1 m."""
    d2d = max(d2d_m, 10.0)
    hbs = max(h_bs_m, _MIN_HEIGHT_M)
    hut = max(h_ut_m, _MIN_HEIGHT_M)
    d3d = math.sqrt(d2d * d2d + (hbs - hut) ** 2)
    fc = f_mhz / 1000.0
    hbs_e = max(hbs - _UMA_HE_M, _MIN_EFFECTIVE_HEIGHT_M)
    hut_e = max(hut - _UMA_HE_M, _MIN_EFFECTIVE_HEIGHT_M)
    d_bp = 4.0 * hbs_e * hut_e * fc * 1e9 / C_M_S
    lf = 20.0 * math.log10(fc)
    if d2d <= d_bp:
        pl = 28.0 + 22.0 * math.log10(d3d) + lf
    else:
        pl = 28.0 + 40.0 * math.log10(d3d) + lf - 9.0 * math.log10(d_bp**2 + (hbs - hut) ** 2)
    if not los:
        pl = max(pl, 13.54 + 39.08 * math.log10(d3d) + lf - 0.6 * (hut - 1.5))
    return max(pl, _fspl_d3d_db(d3d, f_mhz))


@numba.njit(cache=True)
def hata_db(d2d_m, f_mhz, h_bs_m, h_ut_m, env_code):
    """Okumura–Hata (< 1500 MHz) / COST-231 Hata (≥ 1500 MHz) with environment code."""
    d2d = max(d2d_m, 1000.0)
    hb = max(h_bs_m, _MIN_HEIGHT_M)
    hm = max(h_ut_m, _MIN_HEIGHT_M)
    f = f_mhz
    lf = math.log10(f)
    lhb = math.log10(hb)
    if env_code == 1:
        a_hm = 3.2 * math.log10(11.75 * hm) ** 2 - 4.97
        c_m = 3.0
    else:
        a_hm = (1.1 * lf - 0.7) * hm - (1.56 * lf - 0.8)
        c_m = 0.0
    slope = (44.9 - 6.55 * lhb) * math.log10(d2d / 1000.0)
    if f < 1500.0:
        pl = 69.55 + 26.16 * lf - 13.82 * lhb - a_hm + slope
    else:
        pl = 46.3 + 33.9 * lf - 13.82 * lhb - a_hm + slope + c_m
    if env_code == 2:
        pl -= 2.0 * math.log10(f / 28.0) ** 2 + 5.4
    elif env_code == 3:
        pl += -4.78 * lf * lf + 18.33 * lf - 40.94
    d3d = math.sqrt(d2d * d2d + (hb - hm) ** 2)
    return max(pl, _fspl_d3d_db(d3d, f_mhz))


@numba.njit(cache=True)
def path_loss_scalar_db(model_code, d2d_m, f_mhz, h_bs_m, h_ut_m, los, env_code):
    """Dispatch to the model kernel by integer code (see the module docstring)."""
    if model_code == 0:
        return fspl_db(d2d_m, f_mhz, h_bs_m, h_ut_m)
    if model_code == 1:
        return rma_db(d2d_m, f_mhz, h_bs_m, h_ut_m, los)
    if model_code == 2:
        return uma_db(d2d_m, f_mhz, h_bs_m, h_ut_m, los)
    return hata_db(d2d_m, f_mhz, h_bs_m, h_ut_m, env_code)
