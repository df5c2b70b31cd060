"""Base-station antenna pattern: 3GPP TR 38.901 Table 7.3-1 element, with mechanical tilt.

The pattern is *relative* (0 dB on boresight, ≤ 0 elsewhere); the station's EIRP
carries the boresight gain. Omni stations (azimuth NaN) get 0 dB everywhere.

TR 38.901 V17.0.0 Table 7.3-1 (φ3dB = θ3dB = 65°, SLA_V = 30 dB, A_max = 30 dB)::

    A_V(θ'') = −min( 12 ((θ'' − 90°)/θ3dB)², SLA_V )      vertical cut, θ'' zenith angle
    A_H(φ'') = −min( 12 (φ''/φ3dB)², A_max )             horizontal cut
    A(θ'', φ'') = −min( −(A_V + A_H), A_max )             3-D pattern

Mechanical downtilt β rotates the pattern; the local angles follow TR 38.901 §7.1.3
eqs. (7.1-7) and (7.1-8) with bearing α and slant γ = 0::

    cos θ' = cos β cos θ + sin β cos(φ − α) sin θ
    φ'     = arg( cos β sin θ cos(φ − α) − sin β cos θ + j sin θ sin(φ − α) )

where θ is the zenith angle of the direction to the receiver (90° − elevation) and
φ − α the azimuth offset from the antenna's bearing. Positive β tilts the beam down.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "BEAMWIDTH_DEG",
    "FRONT_TO_BACK_DB",
    "SLA_V_DB",
    "sector_gain_db",
    "sector_gain_db_nb",
    "azimuth_offset_deg",
    "elevation_angle_deg",
]

BEAMWIDTH_DEG = 65.0  # φ3dB = θ3dB, TR 38.901 Table 7.3-1
FRONT_TO_BACK_DB = 30.0  # A_max
SLA_V_DB = 30.0  # vertical side-lobe attenuation


def azimuth_offset_deg(bearing_deg, azimuth_deg):
    """Signed angle from the antenna azimuth to a bearing, wrapped to [−180°, 180°)."""
    off = np.asarray(bearing_deg, dtype=float) - np.asarray(azimuth_deg, dtype=float)
    out = (off + 180.0) % 360.0 - 180.0
    return out[()] if np.ndim(out) == 0 else out


def elevation_angle_deg(dh_m, d_m):
    """Elevation of a target ``dh_m`` above (negative: below) the antenna at ``d_m``, degrees."""
    out = np.degrees(np.arctan2(np.asarray(dh_m, dtype=float), np.asarray(d_m, dtype=float)))
    return out[()] if np.ndim(out) == 0 else out


def sector_gain_db(
    azimuth_offset_deg,
    elevation_offset_deg,
    beamwidth_deg=BEAMWIDTH_DEG,
    front_to_back_db=FRONT_TO_BACK_DB,
    tilt_deg=0.0,
    *,
    vertical_beamwidth_deg=BEAMWIDTH_DEG,
    sla_v_db=SLA_V_DB,
):
    """Relative gain of a TR 38.901 sector antenna toward a direction (vectorised).

    Parameters
    ----------
    azimuth_offset_deg : array_like
        Bearing to the receiver minus the antenna azimuth, degrees (any wrap). NaN → omni
        (0 dB).
    elevation_offset_deg : array_like
        Elevation angle of the receiver seen from the antenna, degrees (negative below the
        horizontal).
    beamwidth_deg : float
        Horizontal half-power beamwidth φ3dB (65°).
    front_to_back_db : float
        A_max, the floor of the pattern (30 dB).
    tilt_deg : array_like
        Mechanical downtilt β, degrees, positive down.
    vertical_beamwidth_deg, sla_v_db : float
        θ3dB (65°) and SLA_V (30 dB).

    Returns
    -------
    numpy.ndarray or float
        Relative gain in dB, in [−front_to_back_db, 0]; 0 where the azimuth offset is NaN.
    """
    phi = np.radians(np.asarray(azimuth_offset_deg, dtype=float))
    theta = np.radians(90.0 - np.asarray(elevation_offset_deg, dtype=float))
    beta = np.radians(np.asarray(tilt_deg, dtype=float))
    cos_t = np.cos(beta) * np.cos(theta) + np.sin(beta) * np.cos(phi) * np.sin(theta)
    theta_l = np.degrees(np.arccos(np.clip(cos_t, -1.0, 1.0)))
    phi_l = np.degrees(
        np.arctan2(
            np.sin(theta) * np.sin(phi),
            np.cos(beta) * np.sin(theta) * np.cos(phi) - np.sin(beta) * np.cos(theta),
        )
    )
    a_v = -np.minimum(12.0 * ((theta_l - 90.0) / vertical_beamwidth_deg) ** 2, sla_v_db)
    a_h = -np.minimum(12.0 * (phi_l / beamwidth_deg) ** 2, front_to_back_db)
    gain = -np.minimum(-(a_v + a_h), front_to_back_db)
    out = np.where(np.isnan(phi), 0.0, gain)
    return out[()] if out.ndim == 0 else out


@numba.njit(cache=True)
def sector_gain_db_nb(
    azimuth_offset_deg,
    elevation_offset_deg,
    beamwidth_deg=BEAMWIDTH_DEG,
    front_to_back_db=FRONT_TO_BACK_DB,
    tilt_deg=0.0,
    vertical_beamwidth_deg=BEAMWIDTH_DEG,
    sla_v_db=SLA_V_DB,
):
    """Scalar numba version of :func:`sector_gain_db` (same arguments, positional)."""
    if math.isnan(azimuth_offset_deg):
        return 0.0
    phi = math.radians(azimuth_offset_deg)
    theta = math.radians(90.0 - elevation_offset_deg)
    beta = math.radians(tilt_deg)
    cos_t = math.cos(beta) * math.cos(theta) + math.sin(beta) * math.cos(phi) * math.sin(theta)
    cos_t = min(1.0, max(-1.0, cos_t))
    theta_l = math.degrees(math.acos(cos_t))
    phi_l = math.degrees(
        math.atan2(
            math.sin(theta) * math.sin(phi),
            math.cos(beta) * math.sin(theta) * math.cos(phi) - math.sin(beta) * math.cos(theta),
        )
    )
    a_v = -min(12.0 * ((theta_l - 90.0) / vertical_beamwidth_deg) ** 2, sla_v_db)
    a_h = -min(12.0 * (phi_l / beamwidth_deg) ** 2, front_to_back_db)
    return -min(-(a_v + a_h), front_to_back_db)
