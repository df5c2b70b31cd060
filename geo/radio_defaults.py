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
