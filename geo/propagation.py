"""Path loss: free space, 3GPP TR 38.901 RMa/UMa and COST-231 / Okumura–Hata.

One entry point, :func:`path_loss_db`, vectorised over numpy arrays (inputs broadcast
against each other). The equations, their validity ranges and sources are in
``docs/models.md``; each private function below quotes its own equation.

Units: distances in metres, frequency in MHz at the interface (GHz inside the 3GPP
formulas, as the standard writes them), losses in dB.

Validity and extrapolation
--------------------------
``strict=True`` (the default) raises :class:`ValueError` naming the parameter, the first
offending value and the model's valid range. ``strict=False`` (what the coverage engine
uses) *continues the formula* beyond its range, with three guards:

* distances are clipped from below at the model's minimum (10 m for 3GPP, 1 km for Hata,
  1 m 3-D for free space), so the loss near the mast is the loss at that minimum;
* heights are clipped from below at 1 m (and the 3GPP UMa effective heights
  ``h - h_E`` at 0.1 m) so logarithms stay finite;
* the result is never below free-space loss at the same 3-D distance.

With ``return_extrapolated=True`` the function also returns a boolean mask, True where
any input of that element lay outside the model's validity range, so the engine can
count those cells.

The coverage engine does not call these per cell: it tabulates :func:`path_loss_db` along
each station's radius once and interpolates inside its numba kernel.
"""

from __future__ import annotations

import numpy as np

from geo.constants import SPEED_OF_LIGHT_M_S

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "MODELS",
    "HATA_ENVIRONMENTS",
    "VALIDITY",
    "free_space_loss_db",
    "path_loss_db",
    "los_probability",
    "itm_point_to_point_loss_db",
]

MODELS = ("fspl", "38901-rma", "38901-uma", "cost231-hata")
HATA_ENVIRONMENTS = ("urban", "metropolitan", "suburban", "rural")

# 3GPP TR 38.901 V17.0.0 Table 7.4.1-1 defaults
RMA_DEFAULT_BUILDING_HEIGHT_M = 5.0
RMA_DEFAULT_STREET_WIDTH_M = 20.0
UMA_DEFAULT_H_E_M = 1.0

MIN_HEIGHT_M = 1.0  # extrapolation floor for antenna heights
MIN_EFFECTIVE_HEIGHT_M = 0.1  # UMa h' = h - h_E floor
FSPL_MIN_D3D_M = 1.0

# Validity ranges (inclusive), per model and parameter. ``d2d_m_nlos`` applies to NLOS
# elements only. Sources in docs/models.md.
VALIDITY: dict[str, dict[str, tuple[float, float]]] = {
    "fspl": {
        "d3d_m": (FSPL_MIN_D3D_M, np.inf),
        "f_mhz": (1e-3, np.inf),
        "h_bs_m": (0.0, np.inf),
        "h_ut_m": (0.0, np.inf),
    },
    "38901-rma": {
        "d2d_m": (10.0, 10_000.0),
        "d2d_m_nlos": (10.0, 5_000.0),
        "f_mhz": (500.0, 30_000.0),
        "h_bs_m": (10.0, 150.0),
        "h_ut_m": (1.0, 10.0),
        "h_building_m": (5.0, 50.0),
        "street_width_m": (5.0, 50.0),
    },
    "38901-uma": {
        "d2d_m": (10.0, 5_000.0),
        "d2d_m_nlos": (10.0, 5_000.0),
        "f_mhz": (500.0, 100_000.0),
        "h_bs_m": (10.0, 150.0),
        "h_ut_m": (1.5, 22.5),
    },
    "cost231-hata": {
        "d2d_m": (1_000.0, 20_000.0),
        "f_mhz": (150.0, 2_000.0),
        "h_bs_m": (30.0, 200.0),
        "h_ut_m": (1.0, 10.0),
    },
}


def _scalar_out(x: np.ndarray):
    return x[()] if x.ndim == 0 else x


def free_space_loss_db(d_m, f_mhz):
    """Free-space path loss (Friis).

    Parameters
    ----------
    d_m : array_like
        Distance in metres (> 0).
    f_mhz : array_like
        Frequency in MHz (> 0).

    Returns
    -------
    numpy.ndarray or float
        ``FSPL = 20 log10(4 pi d f / c)`` in dB
        (= 20 log10 d_m + 20 log10 f_MHz − 27.55 dB), ITU-R P.525-4 eq. (4).
    """
    d = np.asarray(d_m, dtype=float)
    f = np.asarray(f_mhz, dtype=float)
    out = 20.0 * np.log10(4.0 * np.pi * d * f * 1e6 / SPEED_OF_LIGHT_M_S)
    return _scalar_out(np.asarray(out))


# --------------------------------------------------------------------------- 3GPP RMa
def _rma_los(d2d, d3d, fc_ghz, hbs, hut, h):
    """TR 38.901 Table 7.4.1-1, RMa LOS.

    PL1(d) = 20 log10(40 pi d fc/3) + min(0.03 h^1.72, 10) log10(d)
             − min(0.044 h^1.72, 14.77) + 0.002 log10(h) d          (10 m ≤ d2D ≤ d_BP)
    PL2    = PL1(d_BP) + 40 log10(d3D / d_BP)                       (d_BP ≤ d2D ≤ 10 km)
    d_BP   = 2 pi h_BS h_UT fc / c   (fc in Hz; note 5 of the table)
    """
    d_bp = 2.0 * np.pi * hbs * hut * fc_ghz * 1e9 / SPEED_OF_LIGHT_M_S

    def pl1(d):
        return (
            20.0 * np.log10(40.0 * np.pi * d * fc_ghz / 3.0)
            + np.minimum(0.03 * h**1.72, 10.0) * np.log10(d)
            - np.minimum(0.044 * h**1.72, 14.77)
            + 0.002 * np.log10(h) * d
        )

    return np.where(d2d <= d_bp, pl1(d3d), pl1(d_bp) + 40.0 * np.log10(d3d / d_bp))


def _rma_nlos_prime(d3d, fc_ghz, hbs, hut, h, w):
    """TR 38.901 Table 7.4.1-1, RMa PL'_NLOS.

    161.04 − 7.1 log10(W) + 7.5 log10(h) − (24.37 − 3.7 (h/h_BS)^2) log10(h_BS)
    + (43.42 − 3.1 log10(h_BS)) (log10(d3D) − 3) + 20 log10(fc)
    − (3.2 (log10(11.75 h_UT))^2 − 4.97)
    """
    return (
        161.04
        - 7.1 * np.log10(w)
        + 7.5 * np.log10(h)
        - (24.37 - 3.7 * (h / hbs) ** 2) * np.log10(hbs)
        + (43.42 - 3.1 * np.log10(hbs)) * (np.log10(d3d) - 3.0)
        + 20.0 * np.log10(fc_ghz)
        - (3.2 * np.log10(11.75 * hut) ** 2 - 4.97)
    )


# --------------------------------------------------------------------------- 3GPP UMa
def _uma_los(d2d, d3d, fc_ghz, hbs, hut, h_e):
    """TR 38.901 Table 7.4.1-1, UMa LOS.

    PL1 = 28.0 + 22 log10(d3D) + 20 log10(fc)                        (10 m ≤ d2D ≤ d'_BP)
    PL2 = 28.0 + 40 log10(d3D) + 20 log10(fc)
          − 9 log10(d'_BP^2 + (h_BS − h_UT)^2)                       (d'_BP ≤ d2D ≤ 5 km)
    d'_BP = 4 h'_BS h'_UT fc / c, h' = h − h_E (note 1; h_E = 1 m)
    """
    hbs_e = np.maximum(hbs - h_e, MIN_EFFECTIVE_HEIGHT_M)
    hut_e = np.maximum(hut - h_e, MIN_EFFECTIVE_HEIGHT_M)
    d_bp = 4.0 * hbs_e * hut_e * fc_ghz * 1e9 / SPEED_OF_LIGHT_M_S
    pl1 = 28.0 + 22.0 * np.log10(d3d) + 20.0 * np.log10(fc_ghz)
    pl2 = (
        28.0
        + 40.0 * np.log10(d3d)
        + 20.0 * np.log10(fc_ghz)
        - 9.0 * np.log10(d_bp**2 + (hbs - hut) ** 2)
    )
    return np.where(d2d <= d_bp, pl1, pl2)


def _uma_nlos_prime(d3d, fc_ghz, hut):
    """TR 38.901 Table 7.4.1-1, UMa PL'_NLOS.

    13.54 + 39.08 log10(d3D) + 20 log10(fc) − 0.6 (h_UT − 1.5)
    """
    return 13.54 + 39.08 * np.log10(d3d) + 20.0 * np.log10(fc_ghz) - 0.6 * (hut - 1.5)


# --------------------------------------------------------------------------- Hata
def _hata(d_km, f, hb, hm, environment):
    """Okumura–Hata (f < 1500 MHz) / COST-231 Hata (f ≥ 1500 MHz) median loss.

    Okumura–Hata (Hata 1980):
        L_u = 69.55 + 26.16 log f − 13.82 log h_b − a(h_m) + (44.9 − 6.55 log h_b) log d
    COST-231 Hata (COST 231 final report, §4.4.3):
        L_u = 46.3 + 33.9 log f − 13.82 log h_b − a(h_m) + (44.9 − 6.55 log h_b) log d + C_m
    a(h_m) = (1.1 log f − 0.7) h_m − (1.56 log f − 0.8)       (small/medium city)
    a(h_m) = 3.2 (log 11.75 h_m)^2 − 4.97, C_m = 3 dB          ("metropolitan")
    suburban: L_u − 2 (log(f/28))^2 − 5.4;  rural (open): L_u − 4.78 (log f)^2
    + 18.33 log f − 40.94 (Hata's corrections, applied to both frequency ranges).
    f in MHz, heights in m, d in km.
    """
    lf = np.log10(f)
    lhb = np.log10(hb)
    if environment == "metropolitan":
        a_hm = 3.2 * np.log10(11.75 * hm) ** 2 - 4.97
        c_m = 3.0
    else:
        a_hm = (1.1 * lf - 0.7) * hm - (1.56 * lf - 0.8)
        c_m = 0.0
    slope = (44.9 - 6.55 * lhb) * np.log10(d_km)
    okumura = 69.55 + 26.16 * lf - 13.82 * lhb - a_hm + slope
    cost = 46.3 + 33.9 * lf - 13.82 * lhb - a_hm + slope + c_m
    loss = np.where(f < 1500.0, okumura, cost)
    if environment == "suburban":
        loss = loss - 2.0 * np.log10(f / 28.0) ** 2 - 5.4
    elif environment == "rural":
        loss = loss - 4.78 * lf**2 + 18.33 * lf - 40.94
    return loss


# --------------------------------------------------------------------------- checks
def _check_range(name, values, lo, hi, model, strict, mask):
    """Flag (and in strict mode reject) ``values`` outside ``[lo, hi]``."""
    bad = ~((values >= lo) & (values <= hi))
    if strict and np.any(bad):
        first = np.asarray(values)[bad].flat[0] if np.ndim(values) else values
        msg = (
            f"{name}={float(first):g} is outside the validity range of model {model!r}: "
            f"expected {lo:g} <= {name} <= {hi:g}. Pass strict=False to extrapolate."
        )
        raise ValueError(msg)
    return mask | bad


def path_loss_db(
    model,
    d2d_m,
    f_mhz,
    h_bs_m,
    h_ut_m,
    los=True,
    strict=True,
    *,
    h_building_m=RMA_DEFAULT_BUILDING_HEIGHT_M,
    street_width_m=RMA_DEFAULT_STREET_WIDTH_M,
    h_e_m=UMA_DEFAULT_H_E_M,
    environment="urban",
    return_extrapolated=False,
):
    """Median path loss of a propagation model, vectorised.

    Parameters
    ----------
    model : {"fspl", "38901-rma", "38901-uma", "cost231-hata"}
        Propagation model.
    d2d_m : array_like
        Horizontal (2-D) distance base station → user terminal, metres.
    f_mhz : array_like
        Carrier frequency, MHz.
    h_bs_m, h_ut_m : array_like
        Antenna heights above local ground of the base station and the user terminal, m.
    los : bool or array_like of bool
        Line of sight. 3GPP models return ``max(PL_LOS, PL'_NLOS)`` where False; free
        space and Hata ignore it (free space is LOS by definition; Hata is an
        empirical median over mixed LOS/NLOS paths).
    strict : bool
        True: raise :class:`ValueError` for inputs outside the model's validity range.
        False: extrapolate (formula continuation; see the module docstring).
    h_building_m, street_width_m : float
        RMa average building height h and street width W (TR 38.901 defaults 5 m, 20 m).
    h_e_m : float
        UMa effective environment height h_E (TR 38.901: 1 m for the default).
    environment : {"urban", "metropolitan", "suburban", "rural"}
        Hata environment correction (ignored by the other models).
    return_extrapolated : bool
        Also return the boolean mask of elements computed outside the validity range.

    Returns
    -------
    loss_db : numpy.ndarray or float
        Path loss in dB, broadcast shape of the inputs.
    extrapolated : numpy.ndarray of bool
        Only with ``return_extrapolated=True``.

    Notes
    -----
    3GPP models use the 3-D distance ``d3D = sqrt(d2D² + (h_BS − h_UT)²)`` where
    TR 38.901 Table 7.4.1-1 writes d3D; the validity ranges are on d2D. Free space uses
    d3D. Hata uses the horizontal distance in km. Equations, ranges and sources:
    ``docs/models.md``.
    """
    if model not in MODELS:
        msg = f"Unknown path-loss model {model!r}; expected one of {', '.join(MODELS)}."
        raise ValueError(msg)
    if environment not in HATA_ENVIRONMENTS:
        msg = f"Unknown Hata environment {environment!r}; expected one of {', '.join(HATA_ENVIRONMENTS)}."
        raise ValueError(msg)
    d2d, f, hbs, hut, los_b = np.broadcast_arrays(
        np.asarray(d2d_m, dtype=float),
        np.asarray(f_mhz, dtype=float),
        np.asarray(h_bs_m, dtype=float),
        np.asarray(h_ut_m, dtype=float),
        np.asarray(los, dtype=bool),
    )
    for name, arr in (("d2d_m", d2d), ("f_mhz", f), ("h_bs_m", hbs), ("h_ut_m", hut)):
        if not np.all(np.isfinite(arr)):
            msg = f"{name} contains non-finite values (NaN or inf); expected finite numbers."
            raise ValueError(msg)
    rng = VALIDITY[model]
    mask = np.zeros(d2d.shape, dtype=bool)

    if model == "fspl":
        d3d = np.sqrt(d2d**2 + (hbs - hut) ** 2)
        mask = _check_range("d2d_m", d2d, 0.0, np.inf, model, strict, mask)
        mask = _check_range("d3d_m", d3d, *rng["d3d_m"], model, strict, mask)
        mask = _check_range("f_mhz", f, *rng["f_mhz"], model, strict, mask)
        loss = free_space_loss_db(np.maximum(d3d, FSPL_MIN_D3D_M), f)
        loss = np.asarray(loss)
    else:
        lo_d, hi_d = rng["d2d_m"]
        if model in ("38901-rma", "38901-uma"):
            # LOS and NLOS elements have their own distance ranges
            nlos_hi = rng["d2d_m_nlos"][1]
            hi_arr = np.where(los_b, hi_d, nlos_hi)
            bad = ~((d2d >= lo_d) & (d2d <= hi_arr))
            if strict and np.any(bad):
                i = np.flatnonzero(bad.ravel())[0]
                kind = "LOS" if los_b.ravel()[i] else "NLOS"
                msg = (
                    f"d2d_m={d2d.ravel()[i]:g} is outside the validity range of model "
                    f"{model!r} ({kind}): expected {lo_d:g} <= d2d_m <= {hi_arr.ravel()[i]:g}. "
                    "Pass strict=False to extrapolate."
                )
                raise ValueError(msg)
            mask |= bad
        else:
            mask = _check_range("d2d_m", d2d, lo_d, hi_d, model, strict, mask)
        mask = _check_range("f_mhz", f, *rng["f_mhz"], model, strict, mask)
        mask = _check_range("h_bs_m", hbs, *rng["h_bs_m"], model, strict, mask)
        mask = _check_range("h_ut_m", hut, *rng["h_ut_m"], model, strict, mask)
        if model == "38901-rma":
            for name, val in (("h_building_m", h_building_m), ("street_width_m", street_width_m)):
                lo, hi = rng[name]
                if not lo <= val <= hi:
                    if strict:
                        msg = (
                            f"{name}={val:g} is outside the validity range of model {model!r}: "
                            f"expected {lo:g} <= {name} <= {hi:g}."
                        )
                        raise ValueError(msg)
                    mask[...] = True
        if model == "38901-uma" and strict and not (0.0 <= h_e_m < 1.5):
            msg = f"h_e_m={h_e_m:g} must satisfy 0 <= h_e_m < h_ut_m (>= 1.5 m) for '38901-uma'."
            raise ValueError(msg)

        # extrapolation guards (no-ops inside the validity range)
        d2d_c = np.maximum(d2d, lo_d)
        hbs_c = np.maximum(hbs, MIN_HEIGHT_M)
        hut_c = np.maximum(hut, MIN_HEIGHT_M)
        d3d = np.sqrt(d2d_c**2 + (hbs_c - hut_c) ** 2)
        fc_ghz = f / 1000.0
        if model == "38901-rma":
            h = max(float(h_building_m), 1.0)
            w = max(float(street_width_m), 1.0)
            loss = _rma_los(d2d_c, d3d, fc_ghz, hbs_c, hut_c, h)
            if not np.all(los_b):
                nlos = np.maximum(loss, _rma_nlos_prime(d3d, fc_ghz, hbs_c, hut_c, h, w))
                loss = np.where(los_b, loss, nlos)
        elif model == "38901-uma":
            loss = _uma_los(d2d_c, d3d, fc_ghz, hbs_c, hut_c, float(h_e_m))
            if not np.all(los_b):
                nlos = np.maximum(loss, _uma_nlos_prime(d3d, fc_ghz, hut_c))
                loss = np.where(los_b, loss, nlos)
        else:
            loss = _hata(d2d_c / 1000.0, f, hbs_c, hut_c, environment)
        if not strict:
            loss = np.maximum(loss, free_space_loss_db(d3d, f))
        loss = np.asarray(loss, dtype=float)

    loss = _scalar_out(loss)
    if return_extrapolated:
        return loss, _scalar_out(mask)
    return loss


# --------------------------------------------------------------------------- ITM reference
ITM_CLIMATES = {
    "equatorial": 1,
    "continental-subtropical": 2,
    "maritime-subtropical": 3,
    "desert": 4,
    "continental-temperate": 5,
    "maritime-temperate-land": 6,
    "maritime-temperate-sea": 7,
}


def los_probability(model: str, d2d_m, h_ut_m=1.5):
    r"""Probability that a terminal at ``d2d_m`` is in line of sight of the clutter.

    3GPP TR 38.901 Table 7.4.2-1:

    .. math::

        \Pr_{LOS}^{RMa} = \begin{cases} 1 & d_{2D} \le 10\,m \\
            \exp\!\left(-\frac{d_{2D}-10}{1000}\right) & d_{2D} > 10\,m \end{cases}

        \Pr_{LOS}^{UMa} = \left[\frac{18}{d_{2D}} + \exp\!\left(-\frac{d_{2D}}{63}\right)
            \left(1-\frac{18}{d_{2D}}\right)\right]
            \left(1 + C'(h_{UT})\tfrac{5}{4}\left(\tfrac{d_{2D}}{100}\right)^3
            \exp\!\left(-\tfrac{d_{2D}}{150}\right)\right),\quad d_{2D} > 18\,m

    with :math:`C'(h_{UT}) = 0` for :math:`h_{UT} \le 13` m, else
    :math:`((h_{UT}-13)/10)^{1.5}`. Free space is always LOS (1); COST-231 Hata is an
    all-NLOS empirical fit (0).
    """
    d = np.maximum(np.asarray(d2d_m, dtype=float), 0.0)
    if model == "38901-rma":
        p = np.where(d <= 10.0, 1.0, np.exp(-(d - 10.0) / 1000.0))
    elif model == "38901-uma":
        hut = np.asarray(h_ut_m, dtype=float)
        c = np.where(hut <= 13.0, 0.0, ((np.maximum(hut, 13.0) - 13.0) / 10.0) ** 1.5)
        ds = np.maximum(d, 18.0)
        base = 18.0 / ds + np.exp(-ds / 63.0) * (1.0 - 18.0 / ds)
        p = np.where(d <= 18.0, 1.0,
                     base * (1.0 + c * 1.25 * (ds / 100.0) ** 3 * np.exp(-ds / 150.0)))
    elif model == "fspl":
        p = np.ones_like(d)
    elif model == "cost231-hata":
        p = np.zeros_like(d)
    else:
        msg = f"Unknown path-loss model {model!r}; expected one of {', '.join(MODELS)}."
        raise ValueError(msg)
    return _scalar_out(np.clip(p, 0.0, 1.0))


def itm_point_to_point_loss_db(
    heights_m,
    distance_m,
    h_tx_m,
    h_rx_m,
    f_mhz,
    *,
    climate="equatorial",
    surface_refractivity_n=360.0,
    permittivity=15.0,
    conductivity_s_m=0.005,
    vertical_polarization=True,
    reliability=0.5,
    confidence=0.5,
):
    """Longley–Rice ITM point-to-point basic transmission loss (reference model).

    A thin wrapper over the ``itmlogic`` package (ITM 1.2.2, Hufford's algorithm), used
    to cross-check :func:`path_loss_db` + diffraction on real terrain profiles; not used
    by the coverage engine. ``itmlogic`` is imported lazily (a test extra).

    Parameters
    ----------
    heights_m : array_like
        Ground heights above sea level at equally spaced points from transmitter (first)
        to receiver (last), m.
    distance_m : float
        Path length, m (ITM: 1 km – 2000 km).
    h_tx_m, h_rx_m : float
        Antenna heights above ground, m.
    f_mhz : float
        Frequency, MHz (ITM: 20 MHz – 20 GHz).
    climate : str
        ITM radio climate (``ITM_CLIMATES``); Quảng Trị is "equatorial" (ITM climate 1).
    surface_refractivity_n : float
        N_s in N-units (ITM's suggestion for the equatorial climate: 360).
    permittivity, conductivity_s_m : float
        Ground constants (average ground: 15, 0.005 S/m).
    vertical_polarization : bool
        Polarization (mobile networks: vertical).
    reliability, confidence : float
        Time and situation quantiles (0.5, 0.5: the median).

    Returns
    -------
    loss_db : float
        Basic transmission loss, dB (free space + ITM excess attenuation).
    info : dict
        ``free_space_db``, ``mode`` (ITM's own regime: "los", "diffraction" or "scatter",
        decided on smooth-earth horizons of the effective heights), ``terrain_los`` (no
        profile point above the antenna-to-antenna ray, ITM's horizon search) and ITM's
        warning flag ``kwx`` (0 fine, 1–3 caution, 4 out of range).
    """
    from itmlogic.misc.qerfi import qerfi
    from itmlogic.preparatory_subroutines.hzns import hzns
    from itmlogic.preparatory_subroutines.qlrpfl import qlrpfl
    from itmlogic.statistics.avar import avar

    z = [float(v) for v in np.asarray(heights_m, dtype=float).ravel()]
    if len(z) < 3 or not np.all(np.isfinite(z)):
        msg = "heights_m must hold at least 3 finite heights (transmitter ... receiver)."
        raise ValueError(msg)
    if climate not in ITM_CLIMATES:
        msg = f"climate={climate!r}; expected one of {', '.join(ITM_CLIMATES)}."
        raise ValueError(msg)
    n = len(z) - 1
    prop = {
        "fmhz": float(f_mhz),
        "d": float(distance_m) / 1000.0,
        "hg": [float(h_tx_m), float(h_rx_m)],
        "ipol": 1 if vertical_polarization else 0,
        "eps": float(permittivity),
        "sgm": float(conductivity_s_m),
        "klim": ITM_CLIMATES[climate],
        "ens0": float(surface_refractivity_n),
        "lvar": 5,
        "gma": 157e-9,
        "pfl": [n, float(distance_m) / n, *z],
        "kwx": 0,
        "klimx": 0,
        "mdvarx": 11,
    }
    prop["wn"] = prop["fmhz"] / 47.7
    prop["ens"] = prop["ens0"]
    prop["gme"] = prop["gma"] * (1 - 0.04665 * np.exp(prop["ens"] / 179.3))
    zq = complex(prop["eps"], 376.62 * prop["sgm"] / prop["wn"])
    prop["zgnd"] = np.sqrt(zq - 1)
    if prop["ipol"] != 0:
        prop["zgnd"] = prop["zgnd"] / zq
    _, horizon = hzns(prop["pfl"], float(distance_m), prop["hg"], prop["gme"])
    terrain_los = bool(horizon[0] >= float(distance_m) and horizon[1] >= float(distance_m))
    prop = qlrpfl(prop)
    db = 8.685890
    fs = db * np.log(2 * prop["wn"] * prop["dist"])
    zr = qerfi([reliability])[0]
    zc = qerfi([confidence])[0]
    excess, prop = avar(zr, 0, zc, prop)
    if prop["dist"] < prop["dlsa"]:
        mode = "los"
    elif prop["dist"] <= prop["dx"]:
        mode = "diffraction"
    else:
        mode = "scatter"
    info = {"free_space_db": float(fs), "mode": mode, "terrain_los": terrain_los, "kwx": int(prop["kwx"])}
    return float(fs + excess), info
