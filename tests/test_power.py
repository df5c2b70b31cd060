"""Power options of proposed sites: the sizing by hand, grid distance rules, cost sums (#14 §4)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from analysis.config import CostConfig, PowerConfig
from analysis.power import (
    existing_costs,
    grid_costs,
    power_access,
    power_options,
    solar_hybrid_sizing,
)
from tests._analysis_helpers import tiny_grid


def test_solar_hybrid_sizing_by_hand_for_a_4g_site():
    """1.5 kW all day, 4.3 peak sun hours, PR 0.75, 2 days at 80 % DoD, 15 % from the genset:
    E = 36 kWh/day; PV = 36·0.85/(4.3·0.75) = 9.488 kWp; battery = 36·2/0.8 = 90 kWh;
    fuel = 36·365·0.15/3 = 657 L/yr.
    capex = 9.48837·15 M + 90·6 M + 150 M + 50 M = 882,325,581 VND;
    10-year opex = 10·(657·21,000 + 10 M) + one battery (540 M) = 777,970,000 VND."""
    s = solar_hybrid_sizing(1.5, PowerConfig())
    assert s["energy_kwh_day"] == 36.0
    assert s["pv_kwp"] == pytest.approx(9.48837, abs=1e-5)
    assert s["battery_kwh"] == pytest.approx(90.0)
    assert s["fuel_l_year"] == pytest.approx(657.0)
    assert s["capex_vnd"] == pytest.approx(882_325_581.4, abs=1.0)
    assert s["opex_vnd"] == pytest.approx(777_970_000.0, abs=1.0)


def test_battery_replacements_follow_the_horizon():
    one = solar_hybrid_sizing(1.5, PowerConfig(horizon_years=10, battery_life_years=8))
    two = solar_hybrid_sizing(1.5, PowerConfig(horizon_years=17, battery_life_years=8))
    none = solar_hybrid_sizing(1.5, PowerConfig(horizon_years=8, battery_life_years=8))
    batt = 90 * 6e6
    fuel_year = 657 * 21_000 + 10e6
    assert one["opex_vnd"] == pytest.approx(10 * fuel_year + batt)
    assert two["opex_vnd"] == pytest.approx(17 * fuel_year + 2 * batt)
    assert none["opex_vnd"] == pytest.approx(8 * fuel_year)  # replaced at year 8: outside


def test_grid_and_existing_costs_by_hand():
    # 1.2 km line: 100 M + 1.2 × 400 M = 580 M; energy 36 kWh × 365 × 10 × 2,900 = 381,060,000
    g = grid_costs(1.5, 1.2)
    assert g["capex_vnd"] == pytest.approx(580e6)
    assert g["opex_vnd"] == pytest.approx(381_060_000.0)
    e = existing_costs(1.5)
    assert e == {"capex_vnd": 0.0, "opex_vnd": pytest.approx(381_060_000.0)}


def test_power_lines_decide_grid_or_solar():
    grid = tiny_grid(20, 20, 100.0)
    y0 = grid.ymax - 50.0  # a line along the top row
    line = gpd.GeoDataFrame(geometry=[LineString([(grid.xmin, y0), (grid.xmin + 2000, y0)])], crs=grid.crs)
    acc = power_access(grid, power_lines=line)
    assert acc.source == "power lines" and not acc.modelled
    x = grid.xmin + 550.0
    near, far = grid.ymax - 550.0, grid.ymax - 1950.0  # 0.5 km and 1.9 km from the line
    df = power_options(["new_site", "new_site", "co_location"], [x, x, x], [near, far, far], grid, acc, "4G",
                       PowerConfig(grid_max_km=1.0))
    assert df["power"].tolist() == ["grid", "solar_hybrid", "existing"]
    assert df["grid_km"].iloc[0] == pytest.approx(0.5)
    assert df["power_capex_vnd"].iloc[0] == pytest.approx(100e6 + 0.5 * 400e6)
    assert df["power_capex_vnd"].iloc[1] == pytest.approx(solar_hybrid_sizing(1.5)["capex_vnd"])
    assert df["power_capex_vnd"].iloc[2] == 0.0
    assert df["pv_kwp"].iloc[1] > 0 and df["battery_kwh"].iloc[1] == pytest.approx(90.0)


def test_villages_and_the_modelled_proxy():
    grid = tiny_grid(20, 20, 100.0)
    vx, vy = grid.xmin + 150.0, grid.ymax - 150.0
    villages = gpd.GeoDataFrame({"name": ["A", "B", "C"], "power": ["grid", "none", None]},
                                geometry=[Point(vx, vy), Point(vx + 1000, vy), Point(vx, vy - 1000)],
                                crs=grid.crs)
    acc = power_access(grid, villages=villages)
    assert acc.source == "villages" and acc.grid_km[1, 1] == 0.0
    assert acc.grid_km[1, 11] == pytest.approx(1.0)  # village B has no grid: 1 km to A
    # no lines, no villages: the proxy (cells of ≥ 100 people/km² = 1 person per 100 m cell)
    pop = np.zeros(grid.shape, dtype=np.float32)
    pop[10, 10] = 5.0
    pop[0, 0] = 0.5  # too sparse to count
    proxy = power_access(grid, population=pop)
    assert proxy.modelled and "modelled proxy" in proxy.source
    assert proxy.grid_km[10, 10] == 0.0 and proxy.grid_km[10, 13] == pytest.approx(0.3)
    assert proxy.grid_km[0, 0] == pytest.approx(np.hypot(10, 10) * 0.1, rel=1e-6)


def test_no_access_means_a_standard_grid_site():
    grid = tiny_grid(5, 5, 100.0)
    df = power_options(["new_site"], [grid.xmin + 50], [grid.ymax - 50], grid, None, "5G")
    assert df["power"].tolist() == ["grid"] and df["power_capex_vnd"].iloc[0] == 100e6


def test_co_location_cost_never_above_new_site_for_every_tech():
    c = CostConfig()
    for tech in ("4G", "5G", "any"):
        assert c.site_capex_for("co_location", tech) < c.site_capex_for("new_site", tech)
    with pytest.raises(ValueError, match="site kind"):
        c.site_capex_for("tower", "4G")


def test_no_proposals_give_an_empty_float_table():
    """Regression: a run with no proposals (every village covered) crashed on object columns."""
    grid = tiny_grid(20, 20, 100.0)
    acc = power_access(grid, power_lines=None)
    df = power_options([], [], [], grid, acc, "4G")
    assert len(df) == 0
    assert df["grid_km"].dtype == np.float64 and df["power_capex_vnd"].dtype == np.float64
