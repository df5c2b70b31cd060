"""Station parameters: defaults filled per row, the path-loss model of each station, and
the per-station figures of its links (uplink budget, shadow σ, noise per resource element).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from geo import link_budget
from geo.coverage.config import CoverageConfig, CoverageError
from geo.propagation import los_probability
from geo.radio_defaults import TECHNOLOGIES, defaults_for, service_defaults

if TYPE_CHECKING:  # imported where used: `lomsong station` starts without it
    import geopandas as gpd

__all__ = ["station_params", "station_models"]


def _as_frame(stations) -> gpd.GeoDataFrame:
    import geopandas as gpd

    gdf = getattr(stations, "stations", stations)
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = (f"stations must be a StationSet or a GeoDataFrame; got {type(stations).__name__}.")
        raise CoverageError(msg)
    if gdf.crs is None:
        msg = "The station GeoDataFrame has no CRS; set EPSG:4326 for lon/lat points."
        raise CoverageError(msg)
    if "technology" not in gdf.columns:
        msg = "The station list has no 'technology' column (expected 2G/3G/4G/5G per row)."
        raise CoverageError(msg)
    return gdf


def station_params(row: Mapping[str, Any], config: CoverageConfig) -> dict[str, Any]:
    """Radio parameters of one station, defaults filled (model: :mod:`geo.coverage`).

    Parameters
    ----------
    row : Mapping
        One station: ``technology`` and optionally ``band_mhz`` (MHz), ``height_m`` (m
        above ground), ``eirp_dbm`` (dBm, whole channel), ``azimuth_deg`` (NaN/absent:
        omni), ``tilt_deg``, ``subcarriers`` and ``model``; missing values come from
        :func:`geo.radio_defaults.defaults_for`.
    config : CoverageConfig
        Supplies the forced ``model`` or the ``rural_model`` fallback (a row's ``model``
        wins, then ``config.model``, then the row's ``_model`` — the engine's RMa/UMa
        choice, :func:`station_models`).

    Returns
    -------
    dict
        ``technology, band_mhz, height_m, eirp_dbm, azimuth_deg`` (None: omni),
        ``tilt_deg, subcarriers, beamwidth_deg, front_to_back_db, model``.

    Raises
    ------
    CoverageError
        When the technology is not one of :data:`geo.radio_defaults.TECHNOLOGIES`.
    """
    tech = str(row.get("technology", "")).upper()
    if tech not in TECHNOLOGIES:
        msg = f"Station {row.get('station_id', '?')}: technology {tech!r} is not one of {TECHNOLOGIES}."
        raise CoverageError(msg)

    def num(name):
        return _number(row.get(name))

    band = num("band_mhz")
    d = defaults_for(tech, band)
    height = num("height_m") or d.height_m
    eirp = num("eirp_dbm")
    eirp = d.eirp_dbm if eirp is None else eirp
    az = num("azimuth_deg")
    tilt = num("tilt_deg") or 0.0
    n_re = num("subcarriers") or float(d.subcarriers)
    model = row.get("model") or config.model or row.get("_model") or config.rural_model
    return {
        "technology": tech, "band_mhz": float(d.band_mhz), "height_m": float(height),
        "eirp_dbm": float(eirp), "azimuth_deg": az, "tilt_deg": float(tilt),
        "subcarriers": float(n_re), "beamwidth_deg": float(d.beamwidth_deg),
        "front_to_back_db": float(d.front_to_back_db), "model": str(model),
    }


def station_models(gdf: gpd.GeoDataFrame, config: CoverageConfig, communes) -> list[str]:
    """Path-loss model per station, as :func:`geo.coverage.compute` chooses it.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The stations (points, any CRS).
    config : CoverageConfig
        A forced ``model``, else ``urban_model`` in wards (phường), ``rural_model`` elsewhere.
    communes : geopandas.GeoDataFrame or None
        Units with a ``kind`` column; None: the embedded communes.

    Returns
    -------
    list of str
        One model of ``geo.propagation.MODELS`` per row of ``gdf`` (the rule of
        :func:`_model_choice`, without its warning).
    """
    return _model_choice(gdf, config, communes)[0]


def _model_choice(gdf: gpd.GeoDataFrame, config: CoverageConfig,
                  communes) -> tuple[list[str], str | None]:
    """Path-loss model per station: forced, or by the kind of commune it stands in.

    Returns the models and a warning (None if all went well): when the communes cannot be
    loaded or have no ``kind`` column, every station gets the rural model and the outputs
    say so (issue 19: wards would silently lose UMa). ``communes=None``: the embedded
    ones, by :func:`geo.data.commune_kinds_at` (no geopandas read).
    """
    if config.model is not None or len(gdf) == 0:
        return _models_at_lonlat([], [], config, None, n=len(gdf))
    if communes is None:
        pts = gdf.geometry.to_crs("EPSG:4326")
    else:
        pts = gdf.geometry.to_crs(communes.crs)
    return _models_at_lonlat(pts.x.to_numpy(), pts.y.to_numpy(), config, communes)


def _models_at_lonlat(x, y, config: CoverageConfig, communes=None,
                      n: int | None = None) -> tuple[list[str], str | None]:
    """The RMa/UMa rule at points: UMa in a ward (phường), RMa elsewhere (:mod:`geo.coverage`).

    ``x, y``: lon/lat (EPSG:4326) with ``communes=None`` (the embedded communes), else in
    ``communes.crs``. The one implementation of the rule: :func:`_model_choice` (the
    engine) and :func:`geo.coverage.station_map` both call it. Returns the models and a
    warning as :func:`_model_choice`.
    """
    n = len(x) if n is None else n
    if config.model is not None:
        return [config.model] * n, None
    if n == 0:
        return [], None
    from geo.data import commune_kinds_at, kinds_within

    if communes is not None and "kind" not in communes.columns:
        return [config.rural_model] * n, (
            f"the communes have no 'kind' column; every station uses the rural model "
            f"{config.rural_model} (wards/phường get no {config.urban_model})")
    try:
        kinds = (commune_kinds_at(x, y) if communes is None else
                 kinds_within(communes.geometry.values, communes["kind"].to_numpy(), x, y))
    except Exception as exc:  # noqa: BLE001 - any failure: say so in the outputs
        return [config.rural_model] * n, (
            f"communes could not be loaded ({type(exc).__name__}: {exc}); every station "
            f"uses the rural model {config.rural_model} (wards/phường get no "
            f"{config.urban_model})")
    is_ward = [str(k).lower().startswith("phường") for k in kinds]
    return [config.urban_model if w else config.rural_model for w in is_ward], None


def _sigma_db(model: str, d_m, f_mhz, h_bs_m, config: CoverageConfig):
    """Shadow σ of a station's cells under the configured clear-path model (:mod:`geo.coverage`)."""
    p_los = (los_probability(model, d_m, config.ue_height_m)
             if config.clear_model == "los-probability" else None)
    return link_budget.shadow_sigma_db(model, d_m, f_mhz, h_bs_m, config.ue_height_m, p_los)


def _noise_per_re_dbm(tech: str) -> float:
    """UE thermal noise in one resource element: −174 + 10 log10(SCS) + NF_UE, dBm."""
    sd = service_defaults(tech)
    return float(link_budget.thermal_noise_dbm(sd.subcarrier_spacing_khz * 1e3, sd.ue_noise_figure_db))


def _number(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


@lru_cache(maxsize=256)
def _uplink_budget(tech: str, band: float, gain: float | None, power: float | None):
    return link_budget.uplink_budget(tech, band, gain, power)
