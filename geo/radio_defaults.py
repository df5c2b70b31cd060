"""Radio defaults: what a station is assumed to be when its list is silent.

One table, used by the station reader (to fill and flag ``assumed`` values) and by the
coverage engine (link budget, thresholds). Values are typical of rural macro sites in
Viet Nam and of the cited practice; every one of them is an *assumption* and is flagged
as such wherever it is used.

Sources
-------
- 3GPP TS 38.104 / TS 36.104: NR and LTE base-station classes, channel bandwidths.
- 3GPP TR 38.901 Table 7.2-1 / 7.3: antenna element pattern, 65° HPBW, 30 dB front-to-back.
- RSRP thresholds: common operator/regulator practice for coverage maps (e.g. Ofcom
  "Connected Nations" uses −105 dBm 4G outdoor/−115 indoor levels; Vietnamese operators
  and drive-test practice treat LTE RSRP ≥ −115 dBm as usable and 5G SS-RSRP ≥ −110 dBm);
  "good" is 10 dB above.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "TECHNOLOGIES",
    "RadioDefaults",
    "DEFAULTS",
    "defaults_for",
    "THRESHOLD_DBM",
    "GOOD_MARGIN_DB",
    "LIMITS",
    "THERMAL_NOISE_DBM_HZ",
    "UE_POWER_DBM",
    "HPUE_POWER_DBM",
    "HPUE_BANDS_MHZ",
    "ServiceDefaults",
    "SERVICE_DEFAULTS",
    "DATA_TECHNOLOGIES",
    "SHANNON_ALPHA",
    "SHANNON_SINR_MIN_DB",
    "TDD_DL_SHARE",
    "TDD_BANDS_MHZ",
    "DEFAULT_LOAD",
    "DEFAULT_RELIABILITY",
    "SHADOW_SIGMA_DB",
    "service_defaults",
    "is_tdd",
    "hpue_allowed",
]

TECHNOLOGIES = ("2G", "3G", "4G", "5G")


@dataclass(frozen=True)
class RadioDefaults:
    technology: str
    band_mhz: float
    height_m: float
    eirp_dbm: float  # total EIRP over the channel, main-beam direction
    bandwidth_mhz: float
    subcarriers: int  # resource elements per symbol over the channel (RSRP per RE)
    antenna_gain_dbi: float
    beamwidth_deg: float = 65.0
    front_to_back_db: float = 30.0


# technology -> default band; (technology, band) -> defaults
DEFAULTS: dict[tuple[str, float], RadioDefaults] = {
    # 5G NR n78 3.5 GHz, 100 MHz @ 30 kHz SCS = 273 PRB x 12; 64T64R AAU 200 W + ~24 dBi
    ("5G", 3500.0): RadioDefaults("5G", 3500.0, 30.0, 77.0, 100.0, 3276, 24.0),
    # 5G NR n41 2.6 GHz, 100 MHz @ 30 kHz SCS
    ("5G", 2600.0): RadioDefaults("5G", 2600.0, 30.0, 76.0, 100.0, 3276, 23.0),
    # LTE 1800 (B3), 20 MHz = 100 PRB x 12; 2x40 W + 18 dBi
    ("4G", 1800.0): RadioDefaults("4G", 1800.0, 30.0, 64.0, 20.0, 1200, 18.0),
    # LTE 900 (B8), 10 MHz = 50 PRB x 12
    ("4G", 900.0): RadioDefaults("4G", 900.0, 30.0, 61.0, 10.0, 600, 16.0),
    # UMTS 2100, 5 MHz; "RSRP" here is CPICH RSCP (CPICH ~10% of 20 W + 17 dBi)
    ("3G", 2100.0): RadioDefaults("3G", 2100.0, 30.0, 50.0, 5.0, 1, 17.0),
    # GSM 900, one 200 kHz BCCH carrier of 20 W + 16 dBi
    ("2G", 900.0): RadioDefaults("2G", 900.0, 30.0, 59.0, 0.2, 1, 16.0),
}

DEFAULT_BAND_MHZ = {"5G": 3500.0, "4G": 1800.0, "3G": 2100.0, "2G": 900.0}

# Minimum received level for "covered", per technology (dBm): 5G SS-RSRP, LTE RSRP,
# UMTS RSCP, GSM RxLev.
THRESHOLD_DBM = {"5G": -110.0, "4G": -115.0, "3G": -105.0, "2G": -100.0}
GOOD_MARGIN_DB = 10.0

# Physical plausibility limits used by validation (inclusive).
LIMITS = {
    "height_m": (1.0, 200.0),
    "band_mhz": (400.0, 7125.0),  # FR1 only: mmWave is not modelled
    "eirp_dbm": (20.0, 90.0),
    "azimuth_deg": (0.0, 360.0),
    "tilt_deg": (-20.0, 30.0),
}


def defaults_for(technology: str, band_mhz: float | None = None) -> RadioDefaults:
    """Defaults for a technology, at ``band_mhz`` if known, else its default band.

    A band not in the table takes the nearest tabled band of that technology (its
    heights and power), with ``band_mhz`` kept as given.
    """
    tech = technology.upper()
    if tech not in TECHNOLOGIES:
        msg = f"Unknown technology {technology!r}; expected one of {', '.join(TECHNOLOGIES)}."
        raise ValueError(msg)
    if band_mhz is None:
        return DEFAULTS[(tech, DEFAULT_BAND_MHZ[tech])]
    rows = [d for (t, _), d in DEFAULTS.items() if t == tech]
    best = min(rows, key=lambda d: abs(d.band_mhz - band_mhz))
    if best.band_mhz == band_mhz:
        return best
    return RadioDefaults(
        tech, float(band_mhz), best.height_m, best.eirp_dbm, best.bandwidth_mhz,
        best.subcarriers, best.antenna_gain_dbi, best.beamwidth_deg, best.front_to_back_db,
    )


# ----------------------------------------------------------------------------- service
# Uplink, shadow fading, SINR and throughput assumptions (issue 16). Every value below is
# an ASSUMPTION for a rural macro network, with its source; each is used by
# geo.link_budget and the coverage engine and reported in their outputs.

#: Thermal noise power spectral density at 290 K, dBm/Hz (kT, ITU-R P.372).
THERMAL_NOISE_DBM_HZ = -174.0

#: UE transmit power, dBm: power class 3 (23 dBm) for LTE (TS 36.101 Table 6.2.2-1) and NR
#: (TS 38.101-1 Table 6.2.1-1); UMTS class 3 24 dBm (TS 25.101 Table 6.1); GSM 900 class 4
#: 33 dBm (TS 45.005 §4.1.1).
UE_POWER_DBM = {"5G": 23.0, "4G": 23.0, "3G": 24.0, "2G": 33.0}
#: High-power UE (power class 2, 26 dBm), an option on the TDD bands n41/n77/n78
#: (TS 38.101-1 Table 6.2.1-1); ``CoverageConfig.ue_power_dbm`` chooses it.
HPUE_POWER_DBM = 26.0
#: NR bands where HPUE (26 dBm) exists, (low, high) MHz: n41 2496–2690, n77 3300–4200,
#: n78 3300–3800 (TS 38.101-1 Table 5.2-1).
HPUE_BANDS_MHZ = ((2496.0, 2690.0), (3300.0, 4200.0))


@dataclass(frozen=True)
class ServiceDefaults:
    """Uplink budget, noise and throughput assumptions of one technology (all ASSUMED).

    Attributes
    ----------
    technology : str
    ue_power_dbm : float
        UE transmit power (:data:`UE_POWER_DBM`).
    ue_gain_dbi : float
        UE antenna gain: 0 dBi (ITU-R M.2412-0 link-budget template; handset antennas are
        at best isotropic).
    body_loss_db : float
        Loss of the user's head/hand: 3 dB (common operator link-budget value, e.g. Holma &
        Toskala, *LTE for UMTS*, 2nd ed., Table 9.2; TR 38.830 uses 3 dB for handsets).
    bs_noise_figure_db : float
        Base-station receiver noise figure: 5 dB (TR 36.942 Table 4.4; TS 38.104's wide-area
        reference sensitivity assumes 5 dB).
    ue_noise_figure_db : float
        UE receiver noise figure: 9 dB LTE (TR 36.942 Table 4.3), 7 dB NR (ITU-R M.2412-0
        Table 8-2 / TR 38.802 Table A.2.1-1), 8 dB UMTS/GSM (TS 25.101, 45.005 derivations).
    subcarrier_spacing_khz : float
        Resource-element width: 15 kHz LTE, 30 kHz NR FR1 (TS 38.211 Table 4.2-1); for the
        2G/3G per-carrier levels the whole carrier (200 / 3840 kHz).
    edge_rate_kbps : float
        Cell-edge uplink bitrate the budget is written for: 512 kbit/s LTE, 1 Mbit/s NR,
        12.2 kbit/s UMTS AMR voice, one GSM voice channel.
    edge_bandwidth_hz : float
        Uplink allocation carrying that bitrate: 10 PRB (1.8 MHz) LTE, 10 PRB at 30 kHz
        (3.6 MHz) NR, the whole 3.84 Mcps carrier UMTS, 200 kHz GSM.
    edge_sinr_db : float or None
        Required SINR at the base station. None for LTE/NR: derived from the edge bitrate
        by the inverse of :func:`geo.link_budget.spectral_efficiency` (one formula).
        UMTS AMR 12.2: −18 dB (Eb/N0 ≈ 7 dB minus 25 dB processing gain, giving TS 25.104's
        −121 dBm reference sensitivity with NF 5 dB); GSM: 6 dB C/N, which with NF 5 dB
        over 200 kHz gives the −110 dBm sensitivity of common macro BTSs (TS 45.005 §6.2
        requires −104 dBm at least).
    interference_margin_db : float
        Uplink noise rise from other users: 3 dB for LTE/NR/UMTS (50 % uplink load,
        10·log10(1/(1−0.5))); 0 dB for GSM (TDMA: co-channel users are planned apart).
    overhead_dl, overhead_ul : float
        Share of resources not carrying user data: NR FR1 0.14 DL / 0.08 UL (TS 38.306
        §4.1.2); LTE 0.25 DL (PDCCH 3 of 14 symbols + CRS; Holma & Toskala §9) / 0.08 UL.
    max_efficiency : float or None
        Top of the attenuated Shannon bound, bit/s/Hz (TR 36.942 Annex A.1: 4.4 LTE;
        NR 7.40625 = 948/1024 × 8, the top 256-QAM entry of TS 38.214 Table 5.1.3.1-2);
        None: no data throughput modelled (2G/3G).
    """

    technology: str
    ue_power_dbm: float
    ue_gain_dbi: float
    body_loss_db: float
    bs_noise_figure_db: float
    ue_noise_figure_db: float
    subcarrier_spacing_khz: float
    edge_rate_kbps: float
    edge_bandwidth_hz: float
    edge_sinr_db: float | None
    interference_margin_db: float
    overhead_dl: float
    overhead_ul: float
    max_efficiency: float | None


SERVICE_DEFAULTS: dict[str, ServiceDefaults] = {
    "5G": ServiceDefaults("5G", UE_POWER_DBM["5G"], 0.0, 3.0, 5.0, 7.0, 30.0,
                          1000.0, 10 * 12 * 30e3, None, 3.0, 0.14, 0.08, 948 / 1024 * 8),
    "4G": ServiceDefaults("4G", UE_POWER_DBM["4G"], 0.0, 3.0, 5.0, 9.0, 15.0,
                          512.0, 10 * 12 * 15e3, None, 3.0, 0.25, 0.08, 4.4),
    "3G": ServiceDefaults("3G", UE_POWER_DBM["3G"], 0.0, 3.0, 5.0, 8.0, 3840.0,
                          12.2, 3.84e6, -18.0, 3.0, 0.0, 0.0, None),
    "2G": ServiceDefaults("2G", UE_POWER_DBM["2G"], 0.0, 3.0, 5.0, 8.0, 200.0,
                          13.0, 200e3, 6.0, 0.0, 0.0, 0.0, None),
}

#: Technologies with a modelled data rate (SINR, throughput).
DATA_TECHNOLOGIES = ("4G", "5G")

#: Attenuated Shannon bound of TR 36.942 Annex A.1: α and SINR_min (dB).
SHANNON_ALPHA = 0.6
SHANNON_SINR_MIN_DB = -10.0

#: Downlink share of a TDD frame: the DDDSU pattern with a 10:2:2 special slot used by
#: NR n78/n41 macro networks (3 × 14 + 10 of 70 symbols = 0.743; TS 38.213 §11.1 slot
#: formats; ASSUMED, operators choose their own). FDD bands: 1.
TDD_DL_SHARE = 52.0 / 70.0
#: TDD bands (low, high) MHz: NR n41, n77/n78, n79 (TS 38.101-1 Table 5.2-1); LTE bands
#: in Viet Nam are FDD (B1, B3, B8).
TDD_BANDS_MHZ = ((2496.0, 2690.0), (3300.0, 4200.0), (4400.0, 5000.0))

#: Default cell load (share of neighbours' resource elements transmitting), 0–1.
DEFAULT_LOAD = 0.5
#: Default cell-edge location reliability: 0.5 = the median (no shadow-fading margin).
DEFAULT_RELIABILITY = 0.5

#: Shadow-fading standard deviation σ_SF (dB) per path-loss model and LOS state:
#: TR 38.901 V17.0.0 Table 7.4.1-1 — RMa LOS 4 dB before the breakpoint, 6 dB after, NLOS
#: 8 dB; UMa LOS 4, NLOS 6. COST-231 Hata: 8 dB, the usual macro-cell value (COST 231 Final
#: Report §4.4; Holma & Toskala Table 9.2) — ASSUMED. Free space: the RMa LOS value (4 dB).
SHADOW_SIGMA_DB = {
    "38901-rma": {"los": 4.0, "los_after_breakpoint": 6.0, "nlos": 8.0},
    "38901-uma": {"los": 4.0, "los_after_breakpoint": 4.0, "nlos": 6.0},
    "cost231-hata": {"los": 8.0, "los_after_breakpoint": 8.0, "nlos": 8.0},
    "fspl": {"los": 4.0, "los_after_breakpoint": 4.0, "nlos": 4.0},
}


def service_defaults(technology: str) -> ServiceDefaults:
    """Uplink/noise/throughput assumptions of a technology (:data:`SERVICE_DEFAULTS`)."""
    tech = str(technology).upper()
    if tech not in SERVICE_DEFAULTS:
        msg = f"Unknown technology {technology!r}; expected one of {', '.join(TECHNOLOGIES)}."
        raise ValueError(msg)
    return SERVICE_DEFAULTS[tech]


def _in_bands(band_mhz: float, bands: tuple[tuple[float, float], ...]) -> bool:
    return any(lo <= float(band_mhz) <= hi for lo, hi in bands)


def is_tdd(technology: str, band_mhz: float) -> bool:
    """True for NR on a TDD band (:data:`TDD_BANDS_MHZ`); LTE/UMTS/GSM here are FDD."""
    return str(technology).upper() == "5G" and _in_bands(band_mhz, TDD_BANDS_MHZ)


def hpue_allowed(technology: str, band_mhz: float) -> bool:
    """True where a 26 dBm HPUE exists (NR n41/n77/n78, :data:`HPUE_BANDS_MHZ`)."""
    return str(technology).upper() == "5G" and _in_bands(band_mhz, HPUE_BANDS_MHZ)
