"""A fitted correction of the propagation model: offset and log-distance slope per technology.

Drive tests say how far the model's RSRP is from what phones measure. The correction
fitted to them (:mod:`analysis.calibration`) is added to the model's RSRP:

.. math::

    \\mathrm{RSRP}_{cal}(d) = \\mathrm{RSRP}_{model}(d) + a + b \\log_{10}(d' / d_0),
    \\qquad d' = \\max(d, d_{min})

with ``a`` the offset (dB), ``b`` the slope (dB per decade of distance, 0 when not
fitted), ``d`` the horizontal distance between the station's cell and the terminal's
cell (m; the distance the engine uses), ``d_0`` = :data:`REFERENCE_DISTANCE_M` (1 km)
and ``d_min`` = :data:`MIN_DISTANCE_M` (100 m, so the log stays bounded in the
station's own cell). A negative ``b`` steepens the decay — the path-loss exponent grows
by ``−b / 10``. This is the offset-and-slope "model tuning" of planning tools
(Int. J. Antennas Propag. 2012, 754158).

One function, :func:`correction_db`, computes it; the fit and the coverage engine
(:class:`geo.coverage.CoverageConfig` ``calibration``) both call it, so what is fitted
is exactly what is applied.

Calibrated coverage is still MODELLED: the correction makes the model agree on average
with the measured points, it does not measure anything elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from geo.radio_defaults import TECHNOLOGIES

__all__ = [
    "REFERENCE_DISTANCE_M",
    "MIN_DISTANCE_M",
    "MAX_OFFSET_DB",
    "MAX_SLOPE_DB_PER_DECADE",
    "ModelCorrection",
    "CorrectionError",
    "correction_db",
    "log_distance",
]

REFERENCE_DISTANCE_M = 1_000.0  # d0: the offset is the correction at 1 km
MIN_DISTANCE_M = 100.0  # d_min: closer than this, the correction of 100 m
MAX_OFFSET_DB = 40.0  # a correction beyond ±40 dB means the inputs are wrong, not the model
MAX_SLOPE_DB_PER_DECADE = 40.0


class CorrectionError(ValueError):
    """An invalid model correction (unknown technology, non-finite or absurd values)."""


def log_distance(d_m) -> np.ndarray:
    """``log10(max(d, d_min) / d0)``, the regressor of the slope (float64 array)."""
    d = np.asarray(d_m, dtype=np.float64)
    return np.log10(np.maximum(d, MIN_DISTANCE_M) / REFERENCE_DISTANCE_M)


def correction_db(d_m, offset_db: float, slope_db_per_decade: float = 0.0) -> np.ndarray:
    """The correction (dB) added to the model's RSRP at horizontal distance ``d_m``.

    Parameters
    ----------
    d_m : array_like
        Horizontal distance station → terminal, m.
    offset_db : float
        ``a``: the correction at :data:`REFERENCE_DISTANCE_M`.
    slope_db_per_decade : float
        ``b``: change of the correction per tenfold distance.

    Returns
    -------
    numpy.ndarray
        ``a + b · log10(max(d, 100 m) / 1 km)``, dB.

    Examples
    --------
    >>> float(correction_db(10_000.0, -3.0, -5.0))
    -8.0
    """
    return float(offset_db) + float(slope_db_per_decade) * log_distance(d_m)


@dataclass(frozen=True)
class ModelCorrection:
    """Per-technology offset and slope, with the name and source they came from.

    Parameters
    ----------
    name : str
        The calibration's name (it is printed in every output that used it).
    per_technology : Mapping
        ``{tech: (offset_db, slope_db_per_decade)}``; technologies not listed are not
        corrected.
    source_sha256 : str
        SHA-256 of the measurement set it was fitted to.
    """

    name: str
    per_technology: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    source_sha256: str = ""

    def __post_init__(self) -> None:
        for tech, pair in self.per_technology.items():
            if tech not in TECHNOLOGIES:
                msg = f"Calibration {self.name!r}: technology {tech!r} is not one of {TECHNOLOGIES}."
                raise CorrectionError(msg)
            try:
                a, b = (float(v) for v in pair)
            except (TypeError, ValueError):
                msg = (f"Calibration {self.name!r}, {tech}: expected (offset_db, "
                       f"slope_db_per_decade), got {pair!r}.")
                raise CorrectionError(msg) from None
            if not (math.isfinite(a) and abs(a) <= MAX_OFFSET_DB):
                msg = f"Calibration {self.name!r}, {tech}: offset {a!r} dB outside ±{MAX_OFFSET_DB:g} dB."
                raise CorrectionError(msg)
            if not (math.isfinite(b) and abs(b) <= MAX_SLOPE_DB_PER_DECADE):
                msg = (f"Calibration {self.name!r}, {tech}: slope {b!r} dB/decade outside "
                       f"±{MAX_SLOPE_DB_PER_DECADE:g}.")
                raise CorrectionError(msg)

    def covers(self, tech: str) -> bool:
        """True when ``tech`` has a correction."""
        return tech in self.per_technology

    def correction_db(self, tech: str, d_m) -> np.ndarray:
        """The correction of ``tech`` at ``d_m`` (zeros for an uncorrected technology)."""
        if tech not in self.per_technology:
            return np.zeros_like(np.asarray(d_m, dtype=np.float64))
        a, b = self.per_technology[tech]
        return correction_db(d_m, a, b)

    def key(self, tech: str) -> str:
        """What a coverage window of ``tech`` depends on (for the engine's cache key)."""
        if tech not in self.per_technology:
            return "none"
        a, b = self.per_technology[tech]
        return f"a{float(a):.4f}|b{float(b):.4f}"

    def describe(self) -> str:
        """One line naming the calibration and its values, for outputs."""
        parts = []
        for tech in sorted(self.per_technology):
            a, b = self.per_technology[tech]
            parts.append(f"{tech} {float(a):+.1f} dB" + (f", {float(b):+.1f} dB/decade" if b else ""))
        return f"{self.name} ({'; '.join(parts) or 'no technology'})"
