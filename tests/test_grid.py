"""The analysis grid: bounds, resolution limits, burning and GeoTIFF output."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from geo.grid import Grid, GridError, write_geotiff


@pytest.mark.parametrize("bad", [29.9, 1001, 0, -100, "abc"])
def test_resolution_outside_30_1000_is_refused(bad):
    with pytest.raises(GridError, match="resolution|number"):
        Grid.from_bounds((0, 0, 1000, 1000), bad)


def test_bounds_snap_outward_to_whole_cells():
    g = Grid.from_bounds((150, 220, 1010, 990), 100)
    assert g.bounds == (100, 200, 1100, 1000)
    assert g.shape == (8, 10)
    xs, ys = g.cell_centres()
    assert xs[0] == 150 and ys[0] == 950


def test_burn_known_areas():
    g = Grid.from_bounds((0, 0, 1000, 1000), 100)
    squares = gpd.GeoDataFrame(geometry=[box(0, 0, 500, 1000), box(500, 0, 800, 300)],
                               crs="EPSG:32648")
    ids = g.burn(squares)
    assert (ids == 0).sum() == 50 and (ids == 1).sum() == 9 and (ids == -1).sum() == 41


def test_burn_requires_crs():
    g = Grid.from_bounds((0, 0, 1000, 1000), 100)
    with pytest.raises(GridError, match="CRS"):
        g.burn(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]))


def test_geotiff_round_trip(tmp_path):
    g = Grid.from_bounds((500_000, 1_800_000, 501_000, 1_801_000), 100)
    arr = np.arange(100, dtype="float32").reshape(10, 10)
    arr[0, 0] = np.nan
    p = write_geotiff(tmp_path / "a.tif", arr, g, tags={"dem": "test"})
    with rasterio.open(p) as src:
        assert src.crs.to_epsg() == 32648
        assert src.transform == g.transform
        assert src.compression is not None
        assert src.tags()["dem"] == "test"
        back = src.read(1)
    assert np.isnan(back[0, 0]) and back[9, 9] == 99


def test_lonlat_round_trip():
    g = Grid.from_bounds((600_000, 1_800_000, 700_000, 1_900_000), 1000)
    x, y = g.from_lonlat(106.8, 17.0)
    lon, lat = g.to_lonlat(x, y)
    assert lon == pytest.approx(106.8) and lat == pytest.approx(17.0)


# ------------------------------------------------------------------ one commune raster (#12)
def test_commune_id_raster_is_burned_once_per_grid_and_shared(monkeypatch, communes):
    from analysis import pipeline
    from geo import grid as grid_mod
    from geo.coverage import CoverageConfig, analysis_grid
    from geo.stations import load_default_stations

    grid_mod._COMMUNE_IDS.clear()
    burns = []
    real_burn = grid_mod.Grid.burn

    def counting_burn(self, gdf, *args, **kwargs):
        if "population_legal" in gdf.columns:  # a commune layer
            burns.append(self.key())
        return real_burn(self, gdf, *args, **kwargs)

    monkeypatch.setattr(grid_mod.Grid, "burn", counting_burn)
    inputs = pipeline.prepare_inputs(1000, rescale_to_legal=True)  # population, terrain, ids
    coverage = pipeline.coverage_stage(inputs, load_default_stations(),
                                       CoverageConfig(technologies=("4G",)))
    coverage.per_commune(inputs.communes, inputs.population)
    # one rasterisation per grid: the analysis grid (ids, rescale, coverage, per-commune
    # table) and the terrain classes' sampling grid
    assert burns.count(analysis_grid(1000).key()) == 1
    assert len(burns) == len(set(burns))
    ids = grid_mod.commune_id_raster(inputs.grid, communes)
    assert ids is inputs.commune_id and not ids.flags.writeable
    assert np.array_equal(ids, real_burn(inputs.grid, communes))


def test_commune_id_raster_known_answer_and_keys():
    import geopandas as gpd
    from shapely.geometry import box

    from geo.grid import Grid, commune_id_raster

    g = Grid(0.0, 0.0, 400.0, 200.0, resolution_m=100.0)
    two = gpd.GeoDataFrame({"code": ["a", "b"]},
                           geometry=[box(0, 0, 200, 200), box(200, 0, 300, 100)], crs=g.crs)
    ids = commune_id_raster(g, two)
    assert ids.dtype == np.int32
    assert ids.tolist() == [[0, 0, -1, -1], [0, 0, 1, -1]]  # row 0 is the northern row
    moved = two.set_geometry([box(0, 0, 100, 100), box(300, 0, 400, 200)])
    assert commune_id_raster(g, moved).tolist() == [[-1, -1, -1, 1], [0, -1, -1, 1]]
    assert commune_id_raster(g, two) is ids  # cached per (grid, layer)
    finer = Grid(0.0, 0.0, 400.0, 200.0, resolution_m=50.0)
    assert commune_id_raster(finer, two).shape == (4, 8)


def test_no_module_rasterises_the_communes_itself():
    """#12: every commune raster comes from geo.grid.commune_id_raster (one per grid)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = [f"{p.relative_to(root)}" for folder in ("geo", "analysis", "lomsong", "app_ui")
             for p in (root / folder).rglob("*.py")
             if re.search(r"\.burn\(\s*communes\b", p.read_text(encoding="utf-8"))
             and p.name != "grid.py"]
    assert found == []
