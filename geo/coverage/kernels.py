"""The engine's numba kernels (``cache=True, nogil=True``: they run on threads).

:func:`_rsrp_kernel` (one station's RSRP window from its tables), :func:`_merge_kernel` and
:func:`_power_kernel` (fold a window into the province arrays and power sums),
:func:`_link_state_kernel` and :func:`_group_total_kernel` (per-cell service rasters).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from geo.coverage.tables import _J_N, _J_STEPS_PER_UNIT, _J_TABLE, _J_V_MIN, _JC_TABLE, _NO_OUT
from geo.diffraction import knife_edge_loss_db_nb

_POWER_UNIT_DBM = -160.0  # int64 power sums count 1e-16 mW: 0 dBm = 1e16, −135 dBm = 316
# linear power of every int16 level from −180 dBm to 0 dBm, in 1e-16 mW (a lookup beats
# a power per cell in the serial merge); lower levels add nothing (< 1e-18 mW)
_POWER_Q_MIN = -18000
_POWER_TABLE = np.floor(10.0 ** ((np.arange(-18000, 1) * 0.01 - _POWER_UNIT_DBM) / 10.0)
                        + 0.5).astype(np.int64)


@numba.njit(cache=True, nogil=True)
def _rsrp_kernel(v, has_v, v_r_off, v_c_off, v_scale, row, col, r_lo, c_lo, res_m, reach_m,
                 eirp_re_dbm, step_m,
                 pl_los, pl_nlos, ext_los, ext_nlos, el_idx, gain, az0_deg, nlos_floor, out,
                 bullington=False, want_loss=False, pl_out=_NO_OUT, diff_out=_NO_OUT,
                 i_lo=0, i_hi=-1):
    """RSRP (int16, 0.01 dB) of one station over its window; returns extrapolated count.

    ``v`` (when ``has_v``) is the sweep's Fresnel parameter at λ = 1 m over a window that
    contains this one at offset (``v_r_off``, ``v_c_off``); ``v_scale`` = λ^−1/2.
    ``bullington``: ``v`` is the Bullington one (every cell with v > −0.78 gets
    ``L_uc = J(v)`` and the eq. (57) correction); else the dominant edge's (obstructed
    cells get J(v)). ``want_loss``: also write the total path loss and the terrain
    diffraction loss (float32 dB, NaN outside reach) into ``pl_out`` / ``diff_out``.
    Only window rows ``i_lo ≤ i < i_hi`` (``i_hi`` < 0: to the end) are written, so row
    ranges may run on several threads.
    """
    wr, wc = out.shape
    if i_hi < 0 or i_hi > wr:
        i_hi = wr
    n_tab = pl_los.shape[0]
    n_az = gain.shape[1]
    sectored = n_az > 1
    az_steps = n_az / 360.0
    n_ext = 0
    reach2 = (reach_m / res_m) ** 2
    for i in range(i_lo, i_hi):
        di = r_lo + i - row
        for j in range(wc):
            dj = c_lo + j - col
            d2 = float(di * di + dj * dj)
            if d2 > reach2:
                out[i, j] = -32768
                if want_loss:
                    pl_out[i, j] = np.nan
                    diff_out[i, j] = np.nan
                continue
            vv = -np.inf
            if has_v:
                vv = v[i + v_r_off, j + v_c_off] * v_scale
                if vv != vv:
                    out[i, j] = -32768
                    if want_loss:
                        pl_out[i, j] = np.nan
                        diff_out[i, j] = np.nan
                    continue
            dist_m = math.sqrt(d2) * res_m
            x = dist_m / step_m
            k = int(x)
            if k >= n_tab - 1:
                k = n_tab - 2
            w = x - k
            kn = k + 1 if w > 0.5 else k
            pl = (1.0 - w) * pl_los[k] + w * pl_los[k + 1]
            ext = ext_los[kn]
            g = 0.0
            if sectored:
                az = math.degrees(math.atan2(float(dj), float(-di))) - az0_deg + 180.0
                ia = int(math.floor(az * az_steps + 0.5)) % n_az
                g = gain[el_idx[kn], ia]
            l_d = 0.0
            if vv > 0.0 or (bullington and vv > _J_V_MIN):
                # terrain diffraction: J(v) of the dominant edge, or Bullington's L_uc
                xv = (vv - _J_V_MIN) * _J_STEPS_PER_UNIT
                kv = int(xv)
                if kv < _J_N - 1:
                    wv = xv - kv
                    l_d = (1.0 - wv) * _J_TABLE[kv] + wv * _J_TABLE[kv + 1]
                    c57 = (1.0 - wv) * _JC_TABLE[kv] + wv * _JC_TABLE[kv + 1]
                else:
                    l_d = knife_edge_loss_db_nb(vv)
                    c57 = 1.0 - math.exp(-l_d / 6.0)
                if bullington:  # ITU-R P.526-15 eq. (57), d in km
                    l_d += c57 * (10.0 + 0.00002 * dist_m)
                pl += l_d
            if vv > 0.0:  # terrain in the way
                if nlos_floor:
                    pn = (1.0 - w) * pl_nlos[k] + w * pl_nlos[k + 1]
                    if pn > pl:
                        pl = pn
                    ext = ext_nlos[kn]
            if ext:
                n_ext += 1
            if want_loss:
                pl_out[i, j] = pl
                diff_out[i, j] = l_d
            q = (eirp_re_dbm - pl + g) * 100.0
            if q < -32767.0:
                q = -32767.0
            elif q > 32767.0:
                q = 32767.0
            out[i, j] = np.int16(math.floor(q + 0.5))
    return n_ext


@numba.njit(cache=True, nogil=True)
def _merge_kernel(q, r_lo, c_lo, idx, thr_q, best, server, count, power=None):
    """Fold one station window into the province arrays (max, best server, count).

    ``power`` (int64, optional): the linear sum of received power of the station's
    interference group in units of :data:`_POWER_UNIT_DBM` (capped at 0 dBm per station),
    accumulated beside the best level (issue 16: one more array). Integers, so the sum is
    exactly the same in any order and tiling (serial, threads, Dask).
    """
    wr, wc = q.shape
    for i in range(wr):
        gi = r_lo + i
        for j in range(wc):
            x = q[i, j]
            if x == -32768:
                continue
            gj = c_lo + j
            b = best[gi, gj]
            if x > b or (x == b and idx < server[gi, gj]):
                best[gi, gj] = x
                server[gi, gj] = idx
            if x >= thr_q:
                count[gi, gj] += 1
            if power is not None:
                k = x - _POWER_Q_MIN
                if k > 0:
                    power[gi, gj] += _POWER_TABLE[min(k, _POWER_TABLE.size - 1)]


@numba.njit(cache=True, nogil=True)
def _power_kernel(q, r_lo, c_lo, power):
    """Add the linear received power of window ``q`` into ``power`` at (``r_lo``, ``c_lo``)."""
    wr, wc = q.shape
    for i in range(wr):
        for j in range(wc):
            x = q[i, j]
            if x == -32768:
                continue
            k = x - _POWER_Q_MIN
            if k > 0:
                power[r_lo + i, c_lo + j] += _POWER_TABLE[min(k, _POWER_TABLE.size - 1)]


_DL_OK, _UL_OK, _DL_LIMITS, _NO_SIGNAL = 1, 2, 4, 8  # bits of the link-state raster


@numba.njit(cache=True, nogil=True)
def _link_state_kernel(rsrp, server, ul_thr, dl_thr, indoor_db, margin, has_margin, uplink, out):
    """Per cell, which links of the best server close (bits :data:`_DL_OK`, :data:`_UL_OK`),
    whether the downlink has the smaller margin (:data:`_DL_LIMITS`) or no station reaches it
    (:data:`_NO_SIGNAL`). Downlink: RSRP ≥ ``dl_thr`` (threshold + indoor) + margin; uplink:
    RSRP ≥ ``ul_thr[server]`` + indoor + margin (:func:`geo.link_budget.uplink_rsrp_threshold_dbm`)."""
    h, w = rsrp.shape
    for i in range(h):
        for j in range(w):
            x = rsrp[i, j]
            if x != x:
                out[i, j] = _NO_SIGNAL
                continue
            m = margin[i, j] if has_margin else 0.0
            dl = x - (dl_thr + m)
            ul = x - (ul_thr[server[i, j]] + indoor_db + m) if uplink else np.inf
            st = 0
            if dl >= 0.0:
                st |= _DL_OK
            if ul >= 0.0:
                st |= _UL_OK
            if dl <= ul:
                st |= _DL_LIMITS
            out[i, j] = st


@numba.njit(cache=True, nogil=True)
def _group_total_kernel(server, power_group, group, power, unit_dbm, out):
    """Write ``10 log10(power) + unit`` (dBm) where the best server belongs to ``group``."""
    h, w = server.shape
    for i in range(h):
        for j in range(w):
            s = server[i, j]
            if s >= 0 and power_group[s] == group:
                p = power[i, j]
                out[i, j] = 10.0 * math.log10(p) + unit_dbm if p > 0 else -np.inf
