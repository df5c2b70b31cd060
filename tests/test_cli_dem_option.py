"""Every command's --dem is the same option: loaded, and refused when it misses the province."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from lomsong.cli import main


@pytest.fixture(scope="module")
def corner_dem(tmp_path_factory):
    """A DEM over the province's north-west corner only."""
    path = tmp_path_factory.mktemp("dem") / "corner.tif"
    with rasterio.open(path, "w", driver="GTiff", height=50, width=50, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(106.0, 18.0, 0.01, 0.01)) as dst:
        dst.write(np.full((1, 50, 50), 100.0, dtype="float32"))
    return str(path)


@pytest.mark.parametrize("cmd", [
    ["run", "--default", "--resolution", "1000", "--quiet", "--out", "OUT"],
    ["coverage", "--default", "--resolution", "1000", "--no-progress", "--out", "OUT"],
    ["info"],
    ["commune", "Minh Hóa"],
])
def test_dem_missing_most_of_the_province_is_refused(cmd, corner_dem, tmp_path, capsys):
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in cmd]
    assert main([*argv, "--dem", corner_dem]) == 2
    err = capsys.readouterr().err
    assert "has no elevation data" in err and "lomsong dem download" in err
