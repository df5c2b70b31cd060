"""People are conserved when WorldPop moves onto an analysis grid."""

from __future__ import annotations

import numpy as np
import pytest
from exactextract import exact_extract

from geo.data import worldpop_path
from geo.grid import Grid
from geo.population import cell_areas_m2, population_on_grid, rescale_to_legal


@pytest.fixture(scope="module")
def people_before(province):
    return float(exact_extract(str(worldpop_path()), province, "sum", output="pandas")["sum"].iloc[0])


@pytest.mark.parametrize("resolution_m", [100, 250, 1000])
def test_people_conserved_within_half_percent(province, people_before, resolution_m):
    grid = Grid.for_geometry(province, resolution_m, margin_m=1000)
    pop = population_on_grid(grid)
    inside = grid.burn(province) >= 0
    assert pop[inside].sum() == pytest.approx(people_before, rel=0.005)
    assert people_before == pytest.approx(1.47e6, rel=0.02)  # README of the source data
    assert (pop >= 0).all()


def test_cell_area_on_the_sphere_known_answer():
    from affine import Affine

    # a 1°×1° cell at the equator: R² · (π/180) · sin(1°), R = 6 371 km (geo.constants)
    r = 6_371_000.0
    area = cell_areas_m2(Affine(1, 0, 0, 0, -1, 1), 1)[0]
    assert area == pytest.approx(r**2 * np.pi / 180 * np.sin(np.pi / 180))


def test_rescale_to_legal_hits_each_total():
    pop = np.array([[1, 1, 0], [2, 0, 0]], dtype="float32")
    ids = np.array([[0, 0, 1], [0, 1, -1]])
    out = rescale_to_legal(pop, ids, np.array([100, 30]))
    assert out[ids == 0].sum() == pytest.approx(100)
    assert out[ids == 1].sum() == pytest.approx(30)  # no modelled people: spread evenly
    assert out[1, 2] == 0


def test_rescale_option_on_real_data(province, communes):
    grid = Grid.for_geometry(province, 1000, margin_m=1000)
    pop = population_on_grid(grid, rescale_legal=True)
    ids = grid.burn(communes)
    sums = np.bincount(ids[ids >= 0], weights=pop[ids >= 0], minlength=78)
    covered = np.bincount(ids[ids >= 0], minlength=78) > 0
    assert np.allclose(sums[covered], communes["population_legal"].to_numpy()[covered], rtol=1e-3)
