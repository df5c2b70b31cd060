"""Diffraction loss over terrain: knife edge, Deygout (three edges) and Bullington.

Sources: Recommendation ITU-R P.526-15 (10/2019), "Propagation by diffraction":
eq. (26) Fresnel–Kirchhoff parameter v, eq. (31) the knife-edge loss approximation
J(v); the Deygout construction limited to three edges with the empirical correction
of earlier P.526 editions (P.526-7 §4.5.1; Deygout 1966); the Bullington construction
of P.526-15 §4.5.1 (equivalent single knife edge, eqs. (48)–(54)). See
``docs/models.md``.

Profiles are given as distances from the transmitter (m, increasing, first = transmitter,
last = receiver) and ground heights above sea level (m). Antenna heights are above
local ground. The Earth's curvature enters through the effective radius
``a_e = k · 6371 km`` (default k = 4/3) as the bulge ``d1·d2 / (2 a_e)`` added to each
intermediate point.

The ``*_nb`` functions are ``numba.njit`` versions on float64 arrays, callable from
other jitted kernels; they perform no argument checks.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from geo.constants import EARTH_RADIUS_M, K_FACTOR, SPEED_OF_LIGHT_M_S

__all__ = [
    "EARTH_RADIUS_M",
    "K_FACTOR",
    "KNIFE_EDGE_V_MIN",
    "knife_edge_loss_db",
    "knife_edge_loss_db_nb",
    "fresnel_v",
    "fresnel_v_nb",
    "profile_is_los",
    "profile_is_los_nb",
    "deygout_loss_db",
    "deygout_loss_db_nb",
    "bullington_loss_db",
    "bullington_loss_db_nb",
]

KNIFE_EDGE_V_MIN = -0.78  # P.526-15 eq. (31): J(v) = 0 for v <= -0.78


# --------------------------------------------------------------------------- knife edge
def knife_edge_loss_db(v):
    """Single knife-edge diffraction loss J(v), ITU-R P.526-15 eq. (31).

    Parameters
    ----------
    v : array_like
        Dimensionless Fresnel–Kirchhoff diffraction parameter (:func:`fresnel_v`).

    Returns
    -------
    numpy.ndarray or float
        ``J(v) = 6.9 + 20 log10( sqrt((v − 0.1)² + 1) + v − 0.1 )`` dB for
        ``v > −0.78``, else 0 dB. J(0) = 6.03 dB (grazing incidence).
    """
    v = np.asarray(v, dtype=float)
    vv = np.maximum(v, KNIFE_EDGE_V_MIN)  # keep the log's argument positive
    j = 6.9 + 20.0 * np.log10(np.sqrt((vv - 0.1) ** 2 + 1.0) + vv - 0.1)
    out = np.where(v > KNIFE_EDGE_V_MIN, j, 0.0)
    return out[()] if out.ndim == 0 else out


@numba.njit(cache=True, fastmath=False)
def knife_edge_loss_db_nb(v):
    """Scalar numba version of :func:`knife_edge_loss_db`."""
    if v <= KNIFE_EDGE_V_MIN:
        return 0.0
    return 6.9 + 20.0 * math.log10(math.sqrt((v - 0.1) ** 2 + 1.0) + v - 0.1)


def fresnel_v(h_m, d1_m, d2_m, wavelength_m):
    """Fresnel–Kirchhoff diffraction parameter, ITU-R P.526-15 eq. (26).

    Parameters
    ----------
    h_m : array_like
        Height of the obstacle's top above the straight line joining the two ends of the
        path (negative when below the line), m.
    d1_m, d2_m : array_like
        Distances from the two ends of the path to the obstacle, m (> 0).
    wavelength_m : array_like
        Wavelength, m.

    Returns
    -------
    numpy.ndarray or float
        ``v = h · sqrt( (2/λ) (1/d1 + 1/d2) )``.
    """
    h = np.asarray(h_m, dtype=float)
    d1 = np.asarray(d1_m, dtype=float)
    d2 = np.asarray(d2_m, dtype=float)
    lam = np.asarray(wavelength_m, dtype=float)
    out = h * np.sqrt(2.0 / lam * (1.0 / d1 + 1.0 / d2))
    return out[()] if np.ndim(out) == 0 else out


@numba.njit(cache=True)
def fresnel_v_nb(h_m, d1_m, d2_m, wavelength_m):
    """Scalar numba version of :func:`fresnel_v`."""
    return h_m * math.sqrt(2.0 / wavelength_m * (1.0 / d1_m + 1.0 / d2_m))


# --------------------------------------------------------------------------- profiles
@numba.njit(cache=True)
def _bulged(distances_m, heights_m, a_e_m):
    """Heights with the Earth bulge x (D − x) / (2 a_e) added, so rays are straight lines."""
    n = distances_m.shape[0]
    x0 = distances_m[0]
    total = distances_m[n - 1] - x0
    g = np.empty(n)
    for i in range(n):
        x = distances_m[i] - x0
        g[i] = heights_m[i] + x * (total - x) / (2.0 * a_e_m)
    return g


@numba.njit(cache=True)
def _max_v(x, g, i0, i1, h0, h1, lam):
    """Largest Fresnel v among points strictly between i0 and i1 (index -1 when none).

    ``h0``/``h1`` are the heights (bulged frame) of the sub-path's two ends.
    """
    best = -np.inf
    arg = -1
    xa = x[i0]
    xb = x[i1]
    span = xb - xa
    if span <= 0.0:
        return best, arg
    for i in range(i0 + 1, i1):
        d1 = x[i] - xa
        d2 = xb - x[i]
        if d1 <= 0.0 or d2 <= 0.0:
            continue
        line = h0 + (h1 - h0) * d1 / span
        v = (g[i] - line) * math.sqrt(2.0 / lam * (1.0 / d1 + 1.0 / d2))
        if v > best:
            best = v
            arg = i
    return best, arg


@numba.njit(cache=True)
def profile_is_los_nb(distances_m, heights_m, h_tx_m, h_rx_m, k_factor):
    """Numba version of :func:`profile_is_los` (float64 1-D arrays; no checks)."""
    n = distances_m.shape[0]
    g = _bulged(distances_m, heights_m, k_factor * EARTH_RADIUS_M)
    htx = g[0] + h_tx_m
    hrx = g[n - 1] + h_rx_m
    span = distances_m[n - 1] - distances_m[0]
    for i in range(1, n - 1):
        line = htx + (hrx - htx) * (distances_m[i] - distances_m[0]) / span
        if g[i] > line:
            return False
    return True


@numba.njit(cache=True)
def deygout_loss_db_nb(distances_m, heights_m, h_tx_m, h_rx_m, f_mhz, k_factor, max_edges, correction):
    """Numba version of :func:`deygout_loss_db` (float64 1-D arrays; no checks)."""
    n = distances_m.shape[0]
    if n < 3:
        return 0.0
    lam = SPEED_OF_LIGHT_M_S / (f_mhz * 1e6)
    g = _bulged(distances_m, heights_m, k_factor * EARTH_RADIUS_M)
    htx = g[0] + h_tx_m
    hrx = g[n - 1] + h_rx_m
    vp, p = _max_v(distances_m, g, 0, n - 1, htx, hrx, lam)
    if p < 0 or vp <= KNIFE_EDGE_V_MIN:
        return 0.0
    lp = knife_edge_loss_db_nb(vp)
    if max_edges < 3:
        return lp
    vt, t = _max_v(distances_m, g, 0, p, htx, g[p], lam)
    vr, r = _max_v(distances_m, g, p, n - 1, g[p], hrx, lam)
    jt = knife_edge_loss_db_nb(vt) if t >= 0 else 0.0
    jr = knife_edge_loss_db_nb(vr) if r >= 0 else 0.0
    tt = 1.0 - math.exp(-lp / 6.0)
    c = 0.0
    if correction:
        c = 10.0 + 0.04 * (distances_m[n - 1] - distances_m[0]) / 1000.0
    return lp + tt * (jt + jr + c)


@numba.njit(cache=True)
def bullington_loss_db_nb(distances_m, heights_m, h_tx_m, h_rx_m, f_mhz, k_factor, correction):
    """Numba version of :func:`bullington_loss_db` (float64 1-D arrays; no checks)."""
    n = distances_m.shape[0]
    if n < 3:
        return 0.0
    lam = SPEED_OF_LIGHT_M_S / (f_mhz * 1e6)
    ce = 1.0 / (k_factor * EARTH_RADIUS_M / 1000.0)  # effective curvature, 1/km
    d = (distances_m[n - 1] - distances_m[0]) / 1000.0
    hts = heights_m[0] + h_tx_m
    hrs = heights_m[n - 1] + h_rx_m
    stim = -np.inf
    srim = -np.inf
    for i in range(1, n - 1):
        di = (distances_m[i] - distances_m[0]) / 1000.0
        if di <= 0.0 or di >= d:
            continue
        hb = heights_m[i] + 500.0 * ce * di * (d - di)
        stim = max(stim, (hb - hts) / di)  # eq. (49)
        srim = max(srim, (hb - hrs) / (d - di))  # eq. (53)
    if stim == -np.inf:
        return 0.0
    s_tr = (hrs - hts) / d  # eq. (50)
    if stim < s_tr:
        vmax = -np.inf
        for i in range(1, n - 1):
            di = (distances_m[i] - distances_m[0]) / 1000.0
            if di <= 0.0 or di >= d:
                continue
            hb = heights_m[i] + 500.0 * ce * di * (d - di)
            v = (hb - (hts * (d - di) + hrs * di) / d) * math.sqrt(
                0.002 * d / (lam * di * (d - di))
            )  # eq. (51)
            vmax = max(vmax, v)
        luc = knife_edge_loss_db_nb(vmax)  # eq. (52)
    else:
        db = (hrs - hts + srim * d) / (stim + srim)  # eq. (54)
        vb = (hts + stim * db - (hts * (d - db) + hrs * db) / d) * math.sqrt(
            0.002 * d / (lam * db * (d - db))
        )  # eq. (55)
        luc = knife_edge_loss_db_nb(vb)  # eq. (56)
    if correction:
        return luc + (1.0 - math.exp(-luc / 6.0)) * (10.0 + 0.02 * d)  # eq. (57)
    return luc


def _profile(distances_m, heights_m, f_mhz, k_factor):
    d = np.ascontiguousarray(distances_m, dtype=np.float64)
    h = np.ascontiguousarray(heights_m, dtype=np.float64)
    if d.ndim != 1 or h.shape != d.shape:
        msg = (
            f"distances_m and heights_m must be 1-D arrays of the same length; "
            f"got shapes {d.shape} and {h.shape}."
        )
        raise ValueError(msg)
    if d.size < 2:
        msg = f"A terrain profile needs at least 2 points (transmitter, receiver); got {d.size}."
        raise ValueError(msg)
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(h))):
        msg = "distances_m and heights_m must be finite (fill DEM nodata before profiling)."
        raise ValueError(msg)
    if np.any(np.diff(d) <= 0):
        i = int(np.flatnonzero(np.diff(d) <= 0)[0])
        msg = f"distances_m must increase strictly; distances_m[{i + 1}]={d[i + 1]:g} <= {d[i]:g}."
        raise ValueError(msg)
    if not f_mhz > 0:
        msg = f"f_mhz={f_mhz!r} must be > 0."
        raise ValueError(msg)
    if not k_factor > 0:
        msg = f"k_factor={k_factor!r} must be > 0 (4/3 for the standard atmosphere)."
        raise ValueError(msg)
    return d, h


def profile_is_los(distances_m, heights_m, h_tx_m, h_rx_m, k_factor=K_FACTOR):
    """True when no profile point rises above the antenna-to-antenna ray.

    Heights get the Earth bulge x(D − x)/(2 a_e), a_e = k · 6371 km; the ray may still
    graze the first Fresnel zone (the diffraction functions account for that).
    Arguments as :func:`deygout_loss_db`.
    """
    d, h = _profile(distances_m, heights_m, 1.0, k_factor)
    return bool(profile_is_los_nb(d, h, float(h_tx_m), float(h_rx_m), float(k_factor)))


def deygout_loss_db(
    distances_m,
    heights_m,
    h_tx_m,
    h_rx_m,
    f_mhz,
    k_factor=K_FACTOR,
    max_edges=3,
    correction=True,
):
    """Diffraction loss over a terrain profile, Deygout construction limited to three edges.

    Parameters
    ----------
    distances_m : array_like
        Distance of each profile point from the transmitter, m, strictly increasing
        (first point = transmitter site, last = receiver site).
    heights_m : array_like
        Ground height of each point above sea level, m.
    h_tx_m, h_rx_m : float
        Antenna heights above the ground at the two ends, m.
    f_mhz : float
        Frequency, MHz.
    k_factor : float
        Effective Earth-radius factor (a_e = k · 6371 km; 4/3 standard atmosphere).
    max_edges : {1, 3}
        1: principal edge only (a single knife edge); 3: Deygout's three edges.
    correction : bool
        Apply the empirical multi-edge correction C (see Notes).

    Returns
    -------
    float
        Diffraction loss in dB (≥ 0), to be added to the LOS/free-space path loss.

    Notes
    -----
    Heights get the Earth bulge x(D − x)/(2 a_e). The principal edge p is the point of
    largest v (ITU-R P.526-15 eq. (26)) relative to the transmitter–receiver ray; the
    secondary edges t and r are the points of largest v on the sub-paths
    transmitter → p and p → receiver. Then (Deygout 1966, three-edge form of earlier
    ITU-R P.526 editions)::

        L = J(v_p) + T [J(v_t) + J(v_r) + C]     for v_p > −0.78, else 0
        T = 1 − exp(−J(v_p)/6),  C = 10.0 + 0.04 D   (D path length in km)

    With ``correction=False`` C = 0, and a profile with a single obstacle gives exactly
    the single knife-edge loss J(v). ``max_edges=1`` returns J(v_p).
    """
    if max_edges not in (1, 3):
        msg = f"max_edges={max_edges!r} is not supported; expected 1 or 3."
        raise ValueError(msg)
    d, h = _profile(distances_m, heights_m, f_mhz, k_factor)
    return float(
        deygout_loss_db_nb(
            d, h, float(h_tx_m), float(h_rx_m), float(f_mhz), float(k_factor), int(max_edges),
            bool(correction),
        )
    )


def bullington_loss_db(
    distances_m,
    heights_m,
    h_tx_m,
    h_rx_m,
    f_mhz,
    k_factor=K_FACTOR,
    correction=True,
):
    """Diffraction loss over a terrain profile, Bullington equivalent knife edge.

    ITU-R P.526-15 §4.5.1, eqs. (49)–(57) (the same construction is the Bullington
    part of ITU-R P.1812 / P.452's delta-Bullington method).

    Parameters
    ----------
    distances_m, heights_m, h_tx_m, h_rx_m, f_mhz, k_factor
        As :func:`deygout_loss_db`.
    correction : bool
        Apply eq. (57), ``L = L_uc + (1 − exp(−L_uc/6)) (10 + 0.02 d)``; False returns L_uc.

    Returns
    -------
    float
        Diffraction loss in dB (≥ 0).

    Notes
    -----
    With effective curvature C_e = 1/a_e (km⁻¹), d, d_i in km, heights above sea level
    (antenna heights added at the ends: h_ts, h_rs):

    * S_tim = max[(h_i + 500 C_e d_i (d − d_i) − h_ts)/d_i], S_tr = (h_rs − h_ts)/d;
    * S_tim < S_tr (line of sight): v_max = max over points of the eq. (51) v;
      L_uc = J(v_max);
    * otherwise S_rim = max[(h_i + 500 C_e d_i (d − d_i) − h_rs)/(d − d_i)],
      d_b = (h_rs − h_ts + S_rim d)/(S_tim + S_rim), the equivalent edge at d_b with
      v_b = (h_ts + S_tim d_b − (h_ts (d − d_b) + h_rs d_b)/d) √(0.002 d/(λ d_b (d − d_b)));
      L_uc = J(v_b).
    """
    d, h = _profile(distances_m, heights_m, f_mhz, k_factor)
    return float(
        bullington_loss_db_nb(
            d, h, float(h_tx_m), float(h_rx_m), float(f_mhz), float(k_factor), bool(correction)
        )
    )
