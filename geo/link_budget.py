"""Link budget: RSRP from EIRP and losses, indoor penetration margins, coverage range.

Conventions
-----------
* ``eirp_dbm`` is the **total** EIRP over the channel bandwidth in the antenna's main
  beam (the radio_defaults table and station lists give it this way).
* RSRP is the power of **one resource element** (3GPP TS 36.214 §5.1.1 / TS 38.215
  §5.1.1 SS-RSRP), so the EIRP is shared among ``subcarriers`` equal-power resource
  elements: ``RSRP = EIRP − 10 log10(N_RE) + A_rel − PL − L_extra``. For 2G (RxLev) and
  3G (CPICH RSCP) use ``subcarriers = 1`` and the EIRP of the measured carrier/channel.
* Indoor margins: the mean outdoor-to-indoor (O2I) loss of 3GPP TR 38.901 §7.4.3.1
  (building penetration through the wall + indoor distance), without its shadow fading.

Thresholds live in :mod:`geo.radio_defaults` (``THRESHOLD_DBM``, ``GOOD_MARGIN_DB``).
"""

from __future__ import annotations

import numpy as np

from geo.propagation import path_loss_db
from geo.radio_defaults import GOOD_MARGIN_DB, THRESHOLD_DBM

__all__ = [
    "rsrp_dbm",
    "max_path_loss_db",
    "o2i_penetration_loss_db",
    "indoor_margin_db",
    "INDOOR_MARGIN_DB",
    "threshold_dbm",
    "max_range_m",
    "MAX_RANGE_M",
]

MAX_RANGE_M = 40_000.0  # cap of a station's computed radius (issue 6)

# Mean indoor distance d_2D-in for the O2I loss, TR 38.901 Table 7.4.3-2: min of two
# independent U(0, 25 m) (UMa/UMi) or U(0, 10 m) (RMa) draws, whose mean is 25/3 or 10/3 m.
_MEAN_D_IN_M = {"urban": 25.0 / 3.0, "rural": 10.0 / 3.0}


def rsrp_dbm(eirp_dbm, subcarriers, path_loss_db, antenna_rel_db=0.0, extra_loss_db=0.0):
    """Reference-signal received power per resource element.

    Parameters
    ----------
    eirp_dbm : array_like
        Total EIRP over the channel, main beam, dBm.
    subcarriers : array_like
        Number of resource elements (subcarriers) sharing that EIRP in one symbol
        (e.g. 1200 for LTE 20 MHz, 3276 for NR 100 MHz at 30 kHz SCS); 1 for 2G/3G.
    path_loss_db : array_like
        Path loss (propagation + diffraction), dB.
    antenna_rel_db : array_like
        Antenna pattern relative to the main beam (≤ 0), dB.
    extra_loss_db : array_like
        Other losses (indoor penetration, body, cable not already in the EIRP), dB.

    Returns
    -------
    numpy.ndarray or float
        ``RSRP = EIRP − 10 log10(N) + A_rel − PL − L_extra`` in dBm.
    """
    n = np.asarray(subcarriers, dtype=float)
    if np.any(n < 1):
        msg = f"subcarriers must be >= 1; got {n[n < 1].flat[0]:g}."
        raise ValueError(msg)
    out = (
        np.asarray(eirp_dbm, dtype=float)
        - 10.0 * np.log10(n)
        + np.asarray(antenna_rel_db, dtype=float)
        - np.asarray(path_loss_db, dtype=float)
        - np.asarray(extra_loss_db, dtype=float)
    )
    return out[()] if out.ndim == 0 else out


def max_path_loss_db(eirp_dbm, subcarriers, threshold_dbm, extra_loss_db=0.0):
    """Maximum allowable path loss: the PL at which :func:`rsrp_dbm` equals the threshold."""
    out = (
        np.asarray(eirp_dbm, dtype=float)
        - 10.0 * np.log10(np.asarray(subcarriers, dtype=float))
        - np.asarray(extra_loss_db, dtype=float)
        - np.asarray(threshold_dbm, dtype=float)
    )
    return out[()] if out.ndim == 0 else out


def o2i_penetration_loss_db(f_mhz, building="low-loss", d_2d_in_m=None, environment="rural"):
    """Mean outdoor-to-indoor loss, 3GPP TR 38.901 §7.4.3.1 (Tables 7.4.3-1 and 7.4.3-2).

    Parameters
    ----------
    f_mhz : array_like
        Frequency, MHz.
    building : {"low-loss", "high-loss"}
        Low-loss: 30 % standard glass, 70 % concrete; high-loss: 70 % IRR glass,
        30 % concrete.
    d_2d_in_m : array_like, optional
        Indoor distance; default the mean of the standard's distribution (10/3 m rural,
        25/3 m urban).
    environment : {"rural", "urban"}
        Picks the default indoor distance.

    Returns
    -------
    numpy.ndarray or float
        ``PL_tw + PL_in`` in dB (no shadow fading), with ``PL_in = 0.5 d_2D-in`` and

        * low-loss:  ``PL_tw = 5 − 10 log10(0.3·10^(−L_glass/10) + 0.7·10^(−L_concrete/10))``
        * high-loss: ``PL_tw = 5 − 10 log10(0.7·10^(−L_IRRglass/10) + 0.3·10^(−L_concrete/10))``

        where L_glass = 2 + 0.2 f, L_IRRglass = 23 + 0.3 f, L_concrete = 5 + 4 f (f in GHz).
    """
    if building not in ("low-loss", "high-loss"):
        msg = f"building={building!r}; expected 'low-loss' or 'high-loss'."
        raise ValueError(msg)
    if environment not in _MEAN_D_IN_M:
        msg = f"environment={environment!r}; expected one of {', '.join(_MEAN_D_IN_M)}."
        raise ValueError(msg)
    f = np.asarray(f_mhz, dtype=float) / 1000.0
    l_glass = 2.0 + 0.2 * f
    l_irr = 23.0 + 0.3 * f
    l_concrete = 5.0 + 4.0 * f
    if building == "low-loss":
        tw = 5.0 - 10.0 * np.log10(0.3 * 10 ** (-l_glass / 10) + 0.7 * 10 ** (-l_concrete / 10))
    else:
        tw = 5.0 - 10.0 * np.log10(0.7 * 10 ** (-l_irr / 10) + 0.3 * 10 ** (-l_concrete / 10))
    d_in = _MEAN_D_IN_M[environment] if d_2d_in_m is None else np.asarray(d_2d_in_m, dtype=float)
    out = np.asarray(tw + 0.5 * d_in)
    return out[()] if out.ndim == 0 else out


def indoor_margin_db(f_mhz, building="low-loss", environment="rural"):
    """Indoor margin to add to a threshold (= :func:`o2i_penetration_loss_db`), rounded to 0.1 dB."""
    return np.round(o2i_penetration_loss_db(f_mhz, building, None, environment), 1)


# Reference table at the default bands (low-loss building, rural indoor distance), dB:
# 900 MHz ≈ 12.2, 1800 ≈ 13.3, 2100 ≈ 13.6, 2600 ≈ 13.9, 3500 ≈ 14.4 (high-loss buildings:
# ≈ 26–29 dB, see o2i_penetration_loss_db).
INDOOR_MARGIN_DB: dict[float, float] = {
    f: float(indoor_margin_db(f)) for f in (900.0, 1800.0, 2100.0, 2600.0, 3500.0)
}


def threshold_dbm(technology, indoor_margin_db=0.0, good=False):
    """Coverage threshold of a technology (radio_defaults), raised by a margin, dBm.

    ``good=True`` adds ``GOOD_MARGIN_DB`` (10 dB) for the "good coverage" level.
    """
    tech = str(technology).upper()
    if tech not in THRESHOLD_DBM:
        msg = f"Unknown technology {technology!r}; expected one of {', '.join(THRESHOLD_DBM)}."
        raise ValueError(msg)
    return THRESHOLD_DBM[tech] + float(indoor_margin_db) + (GOOD_MARGIN_DB if good else 0.0)


def max_range_m(
    mapl_db,
    model,
    f_mhz,
    h_bs_m,
    h_ut_m,
    los=True,
    d_max_m=MAX_RANGE_M,
    **model_kwargs,
):
    """Distance at which the model's loss reaches ``mapl_db`` (flat ground), capped.

    Bisection on log-distance over ``path_loss_db(..., strict=False)``, which is
    non-decreasing in distance. Vectorised over ``mapl_db`` and the other array
    arguments. Returns ``d_max_m`` where even that distance stays below the MAPL and
    the model's minimum distance (10 m) where the MAPL is below the loss there.

    Parameters
    ----------
    mapl_db : array_like
        Maximum allowable path loss (:func:`max_path_loss_db`), dB.
    model, f_mhz, h_bs_m, h_ut_m, los, **model_kwargs
        As :func:`geo.propagation.path_loss_db`.
    d_max_m : float
        Cap (40 km by default).

    Returns
    -------
    numpy.ndarray or float
        Range in metres (to within 0.1 %).
    """
    mapl, f, hb, hu = np.broadcast_arrays(
        np.asarray(mapl_db, dtype=float),
        np.asarray(f_mhz, dtype=float),
        np.asarray(h_bs_m, dtype=float),
        np.asarray(h_ut_m, dtype=float),
    )

    def pl(d):
        return path_loss_db(model, d, f, hb, hu, los=los, strict=False, **model_kwargs)

    lo = np.full(mapl.shape, np.log10(10.0))
    hi = np.full(mapl.shape, np.log10(d_max_m))
    for _ in range(40):  # 40 halvings of 3.6 decades: far below 0.1 %
        mid = 0.5 * (lo + hi)
        below = pl(10.0**mid) <= mapl
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    out = 10.0**lo
    out = np.where(pl(np.full(mapl.shape, d_max_m)) <= mapl, d_max_m, out)
    return out[()] if out.ndim == 0 else out
