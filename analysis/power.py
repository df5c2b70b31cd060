"""How a proposed site is powered, and what it costs over ten years.

Three options (:data:`analysis.config.POWER_OPTIONS`):

``existing``
    A co-location uses the host mast's power; the operator pays the host for its energy at
    the grid tariff.
``grid``
    A new site within ``grid_max_km`` of the grid: a connection (``grid_connection_vnd``)
    plus a line of ``grid_km × grid_line_vnd_per_km``; energy at the grid tariff.
``solar_hybrid``
    Farther from the grid: PV + LiFePO4 battery + backup generator, as operators build
    off-grid (four solar-and-battery BTS on this province's expressway in 2023). Sized by
    :func:`solar_hybrid_sizing`.

Where the grid is (:func:`power_access`): the user's power lines (``--power-lines``) and the
villages marked ``power == "grid"`` in a village list; without either, a **modelled proxy**
(every WorldPop cell of at least ``proxy_settled_density_per_km2`` people is taken as
electrified), said so in every output (``power_source``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from analysis.config import PowerConfig

__all__ = [
    "PowerAccess",
    "solar_hybrid_sizing",
    "grid_costs",
    "existing_costs",
    "power_access",
    "power_options",
]

HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365.0
M_PER_KM = 1000.0
MODELLED_PROXY = "modelled proxy (populated land is electrified)"


@dataclass
class PowerAccess:
    """Distance to the grid on one analysis grid.

    Attributes
    ----------
    grid_km : float32 array on the grid
        Straight-line distance (km) from each cell to the nearest grid source; inf where
        no source is known.
    source : str
        Where the grid came from: ``power lines``, ``villages``, both, or the modelled proxy.
    modelled : bool
        True for the modelled proxy.
    key : str
        Hash of ``grid_km`` (for caches of what depends on it).
    """

    grid_km: np.ndarray
    source: str
    modelled: bool
    key: str = ""


def solar_hybrid_sizing(load_kw: float, cfg: PowerConfig | None = None) -> dict[str, float]:
    """Size a PV + battery + generator system for a constant ``load_kw`` and cost it.

    .. math::

        E &= 24\\,L \\quad\\text{(kWh/day)} \\\\
        P_{PV} &= \\frac{E\\,(1 - g)}{H\\,\\mathrm{PR}}, \\qquad
        B = \\frac{E\\,D}{\\mathrm{DoD}}, \\qquad
        F = \\frac{365\\,E\\,g}{\\eta_{gen}} \\quad\\text{(L/year)}

    with :math:`g` the generator's energy share, :math:`H` peak sun hours, :math:`D` days of
    autonomy. Capex = PV + battery + generator + controller; 10-year opex = fuel +
    generator maintenance + battery replacements (one per ``battery_life_years`` elapsed
    within the horizon).

    Returns
    -------
    dict
        ``energy_kwh_day, pv_kwp, battery_kwh, fuel_l_year, capex_vnd, opex_vnd`` (opex over
        ``cfg.horizon_years``).

    Examples
    --------
    >>> s = solar_hybrid_sizing(1.5)
    >>> round(s["pv_kwp"], 2), s["battery_kwh"], s["fuel_l_year"]
    (9.49, 90.0, 657.0)
    """
    cfg = cfg or PowerConfig()
    e_day = float(load_kw) * HOURS_PER_DAY
    pv_kwp = e_day * (1.0 - cfg.generator_share) / (cfg.peak_sun_hours * cfg.performance_ratio)
    battery_kwh = e_day * cfg.autonomy_days / cfg.battery_dod
    fuel = e_day * DAYS_PER_YEAR * cfg.generator_share / cfg.diesel_kwh_per_litre
    battery_vnd = battery_kwh * cfg.battery_vnd_per_kwh
    capex = pv_kwp * cfg.pv_vnd_per_kwp + battery_vnd + cfg.generator_vnd + cfg.hybrid_controller_vnd
    replacements = math.floor((cfg.horizon_years - 1e-9) / cfg.battery_life_years)
    opex = (cfg.horizon_years * (fuel * cfg.diesel_vnd_per_litre + cfg.generator_maintenance_vnd_per_year)
            + replacements * battery_vnd)
    return {"energy_kwh_day": e_day, "pv_kwp": pv_kwp, "battery_kwh": battery_kwh,
            "fuel_l_year": fuel, "capex_vnd": capex, "opex_vnd": opex}


def _energy_bill(load_kw: float, cfg: PowerConfig) -> float:
    return float(load_kw) * HOURS_PER_DAY * DAYS_PER_YEAR * cfg.horizon_years * cfg.grid_tariff_vnd_per_kwh


def grid_costs(load_kw: float, grid_km: float, cfg: PowerConfig | None = None) -> dict[str, float]:
    """Grid connection: capex = connection + line × km; opex = energy at the tariff."""
    cfg = cfg or PowerConfig()
    return {"capex_vnd": cfg.grid_connection_vnd + float(grid_km) * cfg.grid_line_vnd_per_km,
            "opex_vnd": _energy_bill(load_kw, cfg)}


def existing_costs(load_kw: float, cfg: PowerConfig | None = None) -> dict[str, float]:
    """Co-location on a powered mast: no capex; energy paid to the host at the tariff."""
    cfg = cfg or PowerConfig()
    return {"capex_vnd": 0.0, "opex_vnd": _energy_bill(load_kw, cfg)}


def _burn_lines(grid, lines) -> np.ndarray:
    from rasterio.features import rasterize

    g = lines.to_crs(grid.crs) if lines.crs is not None else lines.set_crs("EPSG:4326").to_crs(grid.crs)
    shapes = [geom for geom in g.geometry if geom is not None and not geom.is_empty]
    if not shapes:
        return np.zeros(grid.shape, dtype=bool)
    return rasterize(((s, 1) for s in shapes), out_shape=grid.shape, transform=grid.transform,
                     all_touched=True, fill=0, dtype="uint8").astype(bool)


def _burn_points(grid, points) -> np.ndarray:
    out = np.zeros(grid.shape, dtype=bool)
    if points is None or len(points) == 0:
        return out
    g = points.to_crs(grid.crs) if points.crs is not None else points.set_crs("EPSG:4326").to_crs(grid.crs)
    pts = g.geometry.representative_point()
    r, c = grid.rowcol(pts.x.to_numpy(), pts.y.to_numpy())
    ok = (r >= 0) & (r < grid.height) & (c >= 0) & (c < grid.width)
    out[r[ok], c[ok]] = True
    return out


def _village_power(villages) -> pd.Series:
    if villages is None or "power" not in villages:
        return pd.Series([], dtype=object)
    return villages["power"].map(lambda v: str(v).strip().lower() if isinstance(v, str) and v.strip() else None)


def power_access(grid, population: np.ndarray | None = None, power_lines=None, villages=None,
                 cfg: PowerConfig | None = None) -> PowerAccess:
    """Distance to the grid from power lines and grid-powered villages, else the proxy.

    Parameters
    ----------
    grid : geo.grid.Grid
    population : float array on the grid, optional
        People per cell, for the modelled proxy.
    power_lines : GeoDataFrame, optional
        Power lines (any CRS; EPSG:4326 if none).
    villages : GeoDataFrame, optional
        Village points with ``power`` = ``"grid"`` / ``"none"`` / None (unknown).
    """
    cfg = cfg or PowerConfig()
    src = np.zeros(grid.shape, dtype=bool)
    labels = []
    if power_lines is not None and len(power_lines):
        src |= _burn_lines(grid, power_lines)
        labels.append("power lines")
    vp = _village_power(villages)
    if len(vp) and (vp == "grid").any():
        src |= _burn_points(grid, villages[(vp == "grid").to_numpy()])
        labels.append("villages")
    modelled = not labels
    if modelled and population is not None:
        pop = np.nan_to_num(np.asarray(population, dtype=np.float64), nan=0.0)
        src = pop / (grid.cell_area_m2 / 1e6) >= cfg.proxy_settled_density_per_km2
    if not src.any():
        dist = np.full(grid.shape, np.inf, dtype=np.float32)
    else:
        dist = (ndimage.distance_transform_edt(~src, sampling=grid.resolution_m) / M_PER_KM).astype(np.float32)
    key = hashlib.sha256(dist.tobytes()).hexdigest()[:16]
    return PowerAccess(dist, " + ".join(labels) if labels else MODELLED_PROXY, modelled, key)


def power_options(kind, x, y, grid, access: PowerAccess | None, tech: str,
                  cfg: PowerConfig | None = None) -> pd.DataFrame:
    """Power option and costs of sites at ``x, y`` (grid CRS), one row per site.

    ``co_location`` → ``existing``; ``new_site`` → ``grid`` when the grid is within
    ``grid_max_km``, else ``solar_hybrid`` (also where ``access`` knows no grid at all).
    ``access=None``: every new site is taken as a grid connection at the grid (0 km).

    Returns
    -------
    DataFrame ``power, grid_km, power_capex_vnd, power_opex_10y_vnd, pv_kwp, battery_kwh``.
    """
    cfg = cfg or PowerConfig()
    kind = np.asarray(kind, dtype=object)
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    n = x.size
    # no access given: a standard grid-fed site at the grid (0 km); pass one to decide
    dist = np.full(n, np.inf) if access is not None else np.zeros(n)
    if access is not None and n:
        r, c = grid.rowcol(x, y)
        ok = (r >= 0) & (r < grid.height) & (c >= 0) & (c < grid.width)
        dist[ok] = access.grid_km[r[ok], c[ok]]
    load = cfg.load_for(tech)
    solar = solar_hybrid_sizing(load, cfg)
    existing = existing_costs(load, cfg)
    rows = []
    for k, d in zip(kind, dist, strict=True):
        if k == "co_location":
            rows.append(("existing", d, existing["capex_vnd"], existing["opex_vnd"], 0.0, 0.0))
        elif np.isfinite(d) and d <= cfg.grid_max_km:
            g = grid_costs(load, d, cfg)
            rows.append(("grid", d, g["capex_vnd"], g["opex_vnd"], 0.0, 0.0))
        else:
            rows.append(("solar_hybrid", d, solar["capex_vnd"], solar["opex_vnd"],
                         solar["pv_kwp"], solar["battery_kwh"]))
    df = pd.DataFrame(rows, columns=["power", "grid_km", "power_capex_vnd", "power_opex_10y_vnd",
                                     "pv_kwp", "battery_kwh"])
    df["power"] = df["power"].astype(object)
    # explicit float columns: an empty proposal list gives object columns otherwise
    for col in df.columns[1:]:
        df[col] = df[col].astype(np.float64)
    df["grid_km"] = np.where(np.isfinite(df["grid_km"]), df["grid_km"], np.nan)
    return df
