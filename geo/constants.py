"""Physical and geodetic constants, each named once with its unit (issue #19, "one of each").

Every module takes these from here; none types the number again.
"""

from __future__ import annotations

__all__ = ["SPEED_OF_LIGHT_M_S", "EARTH_RADIUS_M", "K_FACTOR", "ANALYSIS_CRS", "LONLAT_CRS"]

SPEED_OF_LIGHT_M_S = 299_792_458.0
"""Speed of light in vacuum, m/s (exact by the SI definition of the metre)."""

EARTH_RADIUS_M = 6_371_000.0
"""Mean Earth radius, m: the 6 371 km of ITU-R P.452 / P.526 / P.834 (a_e = k · 6 371 km).

Also used for spherical cell areas (:func:`geo.population.cell_areas_m2`); the IUGG mean
radius R₁ = 6 371 008.8 m differs by 1.4 ppm, far below any input's precision."""

K_FACTOR = 4.0 / 3.0
"""Effective Earth-radius factor of the standard atmosphere (ITU-R P.453 / P.834)."""

ANALYSIS_CRS = "EPSG:32648"
"""WGS 84 / UTM zone 48N: the metric CRS every computation runs in (covers all of Quảng Trị)."""

LONLAT_CRS = "EPSG:4326"
"""WGS 84 longitude/latitude: every input and output."""
