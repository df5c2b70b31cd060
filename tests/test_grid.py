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
