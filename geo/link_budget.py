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

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from geo.propagation import SPEED_OF_LIGHT_M_S
from geo.radio_defaults import (
    GOOD_MARGIN_DB,
    HPUE_POWER_DBM,
    SHADOW_SIGMA_DB,
    SHANNON_ALPHA,
    SHANNON_SINR_MIN_DB,
    TDD_DL_SHARE,
    THERMAL_NOISE_DBM_HZ,
    THRESHOLD_DBM,
    defaults_for,
    hpue_allowed,
    is_tdd,
    service_defaults,
)

__all__ = [
    "rsrp_dbm",
    "max_path_loss_db",
    "o2i_penetration_loss_db",
    "indoor_margin_db",
    "INDOOR_MARGIN_DB",
    "threshold_dbm",
    "eirp_per_re_dbm",
    "thermal_noise_dbm",
    "spectral_efficiency",
    "required_sinr_db",
    "throughput_mbps",
    "sinr_db",
    "shadow_margin_db",
    "shadow_sigma_db",
    "UplinkBudget",
    "uplink_budget",
    "uplink_rsrp_threshold_dbm",
]

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
    out = (
        np.asarray(eirp_per_re_dbm(eirp_dbm, subcarriers), dtype=float)
        + np.asarray(antenna_rel_db, dtype=float)
        - np.asarray(path_loss_db, dtype=float)
        - np.asarray(extra_loss_db, dtype=float)
    )
    return out[()] if out.ndim == 0 else out


def eirp_per_re_dbm(eirp_dbm, subcarriers):
    """EIRP of one resource element: ``EIRP − 10 log10(N_RE)`` (dBm; N_RE ≥ 1)."""
    n = np.asarray(subcarriers, dtype=float)
    if np.any(n < 1):
        msg = f"subcarriers must be >= 1; got {n[n < 1].flat[0]:g}."
        raise ValueError(msg)
    out = np.asarray(np.asarray(eirp_dbm, dtype=float) - 10.0 * np.log10(n))
    return out[()] if out.ndim == 0 else out


def max_path_loss_db(eirp_dbm, subcarriers, threshold_dbm, extra_loss_db=0.0):
    """Maximum allowable path loss: the PL at which :func:`rsrp_dbm` equals the threshold."""
    out = np.asarray(
        np.asarray(eirp_per_re_dbm(eirp_dbm, subcarriers), dtype=float)
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
# 900 MHz ≈ 12.2, 1800 ≈ 13.3, 2100 ≈ 13.6, 2600 ≈ 13.9, 3500 ≈ 14.4; high-loss buildings,
# rural: 20.2, 23.4, 24.4, 26.0, 28.5 (``indoor_margin_db(f, "high-loss")``).
INDOOR_MARGIN_DB: dict[float, float] = {
    f: float(indoor_margin_db(f)) for f in (900.0, 1800.0, 2100.0, 2600.0, 3500.0)
}


def threshold_dbm(technology, indoor_margin_db=0.0, good=False,
                  thresholds: Mapping[str, float] | None = None):
    """Coverage threshold of a technology (radio_defaults), raised by a margin, dBm.

    ``good=True`` adds ``GOOD_MARGIN_DB`` (10 dB) for the "good coverage" level;
    ``thresholds`` overrides :data:`geo.radio_defaults.THRESHOLD_DBM` per technology.
    """
    tech = str(technology).upper()
    if tech not in THRESHOLD_DBM:
        msg = f"Unknown technology {technology!r}; expected one of {', '.join(THRESHOLD_DBM)}."
        raise ValueError(msg)
    base = float(thresholds[tech]) if thresholds and tech in thresholds else THRESHOLD_DBM[tech]
    return base + float(indoor_margin_db) + (GOOD_MARGIN_DB if good else 0.0)


# ----------------------------------------------------------------------------- service
def thermal_noise_dbm(bandwidth_hz, noise_figure_db=0.0):
    """Thermal noise in a bandwidth: ``−174 dBm/Hz + 10 log10(B) + NF`` (dBm)."""
    b = np.asarray(bandwidth_hz, dtype=float)
    if np.any(b <= 0):
        msg = f"bandwidth_hz must be > 0; got {b[b <= 0].flat[0]:g}."
        raise ValueError(msg)
    out = np.asarray(THERMAL_NOISE_DBM_HZ + 10.0 * np.log10(b) + np.asarray(noise_figure_db))
    return out[()] if out.ndim == 0 else out


def _max_efficiency(technology) -> float:
    top = service_defaults(technology).max_efficiency
    if top is None:
        msg = (f"No data rate is modelled for {technology!r}: spectral efficiency exists for "
               "4G (LTE) and 5G (NR) only.")
        raise ValueError(msg)
    return float(top)


def spectral_efficiency(sinr_db, technology):
    """Attenuated Shannon bound of 3GPP TR 36.942 Annex A.1, bit/s/Hz.

    Parameters
    ----------
    sinr_db : array_like
        SINR, dB (NaN passes through as NaN).
    technology : {"4G", "5G"}
        Picks the top efficiency: 4.4 bit/s/Hz for LTE (the Annex's value), 7.40625 for NR
        (948/1024 × 8, top 256-QAM entry of TS 38.214 Table 5.1.3.1-2).

    Returns
    -------
    numpy.ndarray or float
        0 for SINR < SINR_min = −10 dB, else ``min(α log2(1 + SINR), max)`` with α = 0.6.
    """
    top = _max_efficiency(technology)
    dt = _float_dtype(sinr_db)
    s = np.asarray(sinr_db, dtype=dt)
    with np.errstate(over="ignore"):
        eff = dt(SHANNON_ALPHA) * np.log2(dt(1.0) + 10.0 ** (s * dt(0.1)))
    out = np.where(s < SHANNON_SINR_MIN_DB, dt(0.0), np.minimum(eff, dt(top)))
    out = np.where(np.isnan(s), dt(np.nan), out)
    return out[()] if out.ndim == 0 else out


def required_sinr_db(rate_bps, bandwidth_hz, technology, overhead=0.0):
    """SINR that carries ``rate_bps`` over ``bandwidth_hz``: the inverse of
    :func:`spectral_efficiency`, ``10 log10(2^(η/α) − 1)`` with ``η = R / (B (1 − OH))``.

    Raises ValueError where η exceeds the technology's top efficiency (no SINR suffices).
    """
    top = _max_efficiency(technology)
    eta = np.asarray(rate_bps, dtype=float) / (
        np.asarray(bandwidth_hz, dtype=float) * (1.0 - np.asarray(overhead, dtype=float)))
    if np.any(eta > top):
        msg = (f"{technology}: {float(np.max(eta)):.3f} bit/s/Hz needed, above the top "
               f"efficiency {top:g}; give more bandwidth or a lower rate.")
        raise ValueError(msg)
    out = np.asarray(10.0 * np.log10(2.0 ** (eta / SHANNON_ALPHA) - 1.0))
    out = np.maximum(out, SHANNON_SINR_MIN_DB)
    return out[()] if out.ndim == 0 else out


def throughput_mbps(sinr_db, technology, bandwidth_mhz, band_mhz=None, overhead=None):
    """Downlink user throughput at a cell, Mbit/s (single layer, the whole channel).

    ``η(SINR) × B × (1 − OH) × s_DL`` with η from :func:`spectral_efficiency`, the DL
    overhead of :data:`geo.radio_defaults.SERVICE_DEFAULTS` (TS 38.306 §4.1.2 for NR) and
    the TDD downlink share :data:`geo.radio_defaults.TDD_DL_SHARE` on TDD bands
    (:func:`geo.radio_defaults.is_tdd`; 1 on FDD bands).
    """
    sd = service_defaults(technology)
    oh = sd.overhead_dl if overhead is None else float(overhead)
    share = TDD_DL_SHARE if band_mhz is not None and is_tdd(technology, band_mhz) else 1.0
    out = np.asarray(spectral_efficiency(sinr_db, technology) * np.asarray(bandwidth_mhz, dtype=float)
                     * (1.0 - oh) * share)
    return out[()] if out.ndim == 0 else out


def sinr_db(signal_dbm, total_dbm, noise_dbm, load):
    """SINR of the best server with co-channel interference at a load factor, dB.

    ``S / (load · (T − S) + N)`` with ``S`` the best server's received power, ``T`` the
    sum (linear) of every co-channel station's received power including the best server
    (so ``T − S`` is the interference at full load), ``N`` the noise, all in the same
    bandwidth (one resource element for RSRP levels). ``load`` is the share of the
    neighbours' resource elements that transmit (0–1).
    """
    dt = _float_dtype(signal_dbm, total_dbm)
    s = np.asarray(signal_dbm, dtype=dt)
    # S / (l (T − S) + N) = 1 / (l (T/S − 1) + N/S), in dB: two powers and one log
    ratio = np.maximum(10.0 ** ((np.asarray(total_dbm, dtype=dt) - s) * dt(0.1)) - dt(1.0), dt(0.0))
    noise = 10.0 ** ((np.asarray(noise_dbm, dtype=dt) - s) * dt(0.1))
    out = np.asarray(-10.0 * np.log10(dt(load) * ratio + noise))
    return out[()] if out.ndim == 0 else out


def _float_dtype(*arrays) -> type:
    """float32 when every array input is float32 (the engine's rasters), else float64."""
    if all(getattr(a, "dtype", None) == np.float32 for a in arrays):
        return np.float32
    return np.float64


def shadow_margin_db(sigma_db, reliability):
    """Lognormal shadow-fading margin ``σ · Φ⁻¹(p)`` for a location reliability ``p``, dB.

    ``p = 0.5`` (the median) gives 0; e.g. σ = 8 dB, p = 0.9 → 10.25 dB.
    """
    from scipy.special import ndtri  # lazy: a CLI lookup never pays for scipy

    p = np.asarray(reliability, dtype=float)
    if np.any((p <= 0.0) | (p >= 1.0)):
        msg = f"reliability must be strictly between 0 and 1; got {p.flat[0]:g}."
        raise ValueError(msg)
    out = np.asarray(np.asarray(sigma_db, dtype=float) * ndtri(p))
    return out[()] if out.ndim == 0 else out


def shadow_sigma_db(model, d2d_m, f_mhz, h_bs_m, h_ut_m, p_los=None):
    """Shadow-fading σ (dB) of a path-loss model at a distance (TR 38.901 Table 7.4.1-1).

    Parameters
    ----------
    model : str
        One of ``geo.propagation.MODELS``; values in :data:`geo.radio_defaults.SHADOW_SIGMA_DB`.
    d2d_m, f_mhz, h_bs_m, h_ut_m : array_like
        Distance and link geometry; the RMa LOS σ is 4 dB before the breakpoint
        ``d_BP = 2π h_BS h_UT f / c`` (Table 7.4.1-1 note 5) and 6 dB after.
    p_los : array_like, optional
        Probability of line of sight: σ of the mixture of LOS and NLOS states,
        ``sqrt(P σ_LOS² + (1 − P) σ_NLOS²)`` (as the engine's LOS-probability blend);
        None → LOS; 0 → NLOS.
    """
    if model not in SHADOW_SIGMA_DB:
        msg = f"model={model!r}; expected one of {', '.join(SHADOW_SIGMA_DB)}."
        raise ValueError(msg)
    s = SHADOW_SIGMA_DB[model]
    d = np.asarray(d2d_m, dtype=float)
    d_bp = 2.0 * np.pi * np.asarray(h_bs_m, dtype=float) * np.asarray(h_ut_m, dtype=float) \
        * np.asarray(f_mhz, dtype=float) * 1e6 / SPEED_OF_LIGHT_M_S
    los = np.where(d <= d_bp, s["los"], s["los_after_breakpoint"])
    if p_los is None:
        out = np.asarray(los)
    else:
        p = np.clip(np.asarray(p_los, dtype=float), 0.0, 1.0)
        out = np.asarray(np.sqrt(p * los**2 + (1.0 - p) * s["nlos"] ** 2))
    return out[()] if out.ndim == 0 else out


@dataclass(frozen=True)
class UplinkBudget:
    """Uplink budget of one station (see :func:`uplink_budget`); powers dBm, gains dB."""

    technology: str
    ue_power_dbm: float
    ue_gain_dbi: float
    body_loss_db: float
    bs_gain_dbi: float
    noise_dbm: float
    required_sinr_db: float
    interference_margin_db: float

    @property
    def sensitivity_dbm(self) -> float:
        """Received level the base station needs: ``N + SINR_req + IM``."""
        return self.noise_dbm + self.required_sinr_db + self.interference_margin_db

    @property
    def max_path_loss_db(self) -> float:
        """Maximum allowable uplink path loss (the MAPL): ``P_UE + G_UE − L_body + G_BS − S``."""
        return (self.ue_power_dbm + self.ue_gain_dbi - self.body_loss_db + self.bs_gain_dbi
                - self.sensitivity_dbm)


def uplink_budget(technology, band_mhz=None, bs_gain_dbi=None, ue_power_dbm=None) -> UplinkBudget:
    """The documented uplink budget of a technology (:data:`geo.radio_defaults.SERVICE_DEFAULTS`).

    Parameters
    ----------
    technology : {"2G", "3G", "4G", "5G"}
    band_mhz : float, optional
        Picks the base-station antenna gain default (:func:`geo.radio_defaults.defaults_for`)
        and whether HPUE is allowed.
    bs_gain_dbi : float, optional
        Base-station receive antenna gain (the station's; default the technology's).
    ue_power_dbm : float, optional
        UE power; default power class 3 (23 dBm LTE/NR). Above 23 dBm on NR is allowed only
        up to 26 dBm (HPUE) and only on n41/n77/n78 (TS 38.101-1); LTE/NR elsewhere are
        capped at 23 dBm, so a 26 dBm request there uses 23.

    Notes
    -----
    Noise over the edge allocation ``−174 + 10 log10(B_edge) + NF_BS``; for LTE/NR the
    required SINR carries the edge bitrate over that allocation (:func:`required_sinr_db`
    with the UL overhead); 2G/3G use the tabled SINR.
    """
    sd = service_defaults(technology)
    tech = sd.technology
    d = defaults_for(tech, band_mhz)
    power = sd.ue_power_dbm if ue_power_dbm is None else float(ue_power_dbm)
    if tech in ("4G", "5G") and power > sd.ue_power_dbm:
        cap = HPUE_POWER_DBM if hpue_allowed(tech, d.band_mhz) else sd.ue_power_dbm
        power = min(power, cap)
    req = sd.edge_sinr_db
    if req is None:
        req = float(required_sinr_db(sd.edge_rate_kbps * 1e3, sd.edge_bandwidth_hz, tech,
                                     sd.overhead_ul))
    gain = d.antenna_gain_dbi if bs_gain_dbi is None else float(bs_gain_dbi)
    return UplinkBudget(tech, float(power), sd.ue_gain_dbi, sd.body_loss_db, float(gain),
                        float(thermal_noise_dbm(sd.edge_bandwidth_hz, sd.bs_noise_figure_db)),
                        float(req), sd.interference_margin_db)


def uplink_rsrp_threshold_dbm(eirp_per_re, budget: UplinkBudget):
    """Downlink RSRP below which the uplink of that station fails, dBm.

    Reciprocity: both links see the same path loss and antenna pattern, so at a cell
    ``PL = EIRP_RE − RSRP`` and the uplink closes iff ``PL ≤ MAPL_UL``, i.e. iff
    ``RSRP ≥ EIRP_RE − MAPL_UL``.
    """
    out = np.asarray(np.asarray(eirp_per_re, dtype=float) - budget.max_path_loss_db)
    return out[()] if out.ndim == 0 else out
