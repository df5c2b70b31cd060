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


def _synthetic_worldpop(path, cells):
    """A 6×6 WorldPop-like counts raster of 30″ cells at 106.9 E, 16.95 N, people at ``cells``."""
    import rasterio
    from affine import Affine

    counts = np.zeros((6, 6), dtype="float32")
    for (r, c), p in cells.items():
        counts[r, c] = p
    transform = Affine(1 / 120, 0, 106.9, 0, -1 / 120, 16.95)
    with rasterio.open(path, "w", driver="GTiff", height=6, width=6, count=1, dtype="float32",
                       crs="EPSG:4326", transform=transform, nodata=-99999.0) as dst:
        dst.write(counts, 1)
    return transform


def test_regridding_puts_people_where_they_live_known_answer(tmp_path):
    # issue #19: whole-grid conservation is forced by the final rescale, so it cannot fail;
    # where the people land can. Source cell (1, 1): 1000 people on 821,390 m² (30″ × 30″ at
    # 16.942 N, R = 6,371,008.8 m: R² Δλ (sin φ1 − sin φ2), computed once by hand); (4, 3): 500.
    from pyproj import Transformer

    path = tmp_path / "wp.tif"
    transform = _synthetic_worldpop(path, {(1, 1): 1000.0, (4, 3): 500.0})
    grid = Grid.from_bounds((702_000, 1_869_000, 708_000, 1_875_500), 100.0)  # the raster + margin
    pop = population_on_grid(grid, path)
    xs, ys = grid.cell_centres()
    cx, cy = np.meshgrid(xs, ys)
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(cx, cy)
    col = np.floor((lon - transform.c) / transform.a).astype(int)
    row = np.floor((lat - transform.f) / transform.e).astype(int)
    in_a = (row == 1) & (col == 1)
    in_b = (row == 4) & (col == 3)
    assert in_a.sum() > 70 and in_b.sum() > 70  # both source cells lie on the grid
    assert pop[in_a].sum() == pytest.approx(1000.0, rel=0.03)
    assert pop[in_b].sum() == pytest.approx(500.0, rel=0.03)
    assert pop[~(in_a | in_b)].sum() == pytest.approx(0.0, abs=1e-6)  # nobody anywhere else
    # inside a source cell every target cell holds its density (nearest, finer grid), so the
    # ratio of A's cells to B's is the ratio of densities: (1000 / 821,390.2 m²) / (500 /
    # 821,499.3 m²) = 2.000266 (B's 30″ cell at 16.917 N, by hand as above)
    np.testing.assert_allclose(pop[in_a], pop[in_a][0], rtol=1e-6)
    np.testing.assert_allclose(pop[in_b], pop[in_b][0], rtol=1e-6)
    assert pop[in_a][0] / pop[in_b][0] == pytest.approx(2.000266, rel=1e-5)
    # and each holds ≈ density × 1 ha (the rescale moves it by the edge cells' share only)
    assert pop[in_a][0] == pytest.approx(1000.0 / 821_390.2 * 1e4, rel=0.03)
