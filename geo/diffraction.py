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

__all__ = [
    "EARTH_RADIUS_M",
    "K_FACTOR",
    "KNIFE_EDGE_V_MIN",
    "knife_edge_loss_db",
    "knife_edge_loss_db_nb",
    "fresnel_v",
    "fresnel_v_nb",
]

EARTH_RADIUS_M = 6_371_000.0
K_FACTOR = 4.0 / 3.0
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
