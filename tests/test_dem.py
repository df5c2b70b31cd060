"""geo.dem: every DEM format a user has, its nominal resolution, coverage and grid sampling."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.crs import CRS

from geo.dem import (
    COARSE_RESOLUTION_M,
    Dem,
    DemError,
    check_covers,
    coverage_share,
    format_resolution,
    load_dem,
    nominal_resolution_m,
)
from geo.grid import Grid

UTM48 = "EPSG:32648"


def write_tif(path, arr, transform, crs, nodata=None, dtype="float32"):
    with rasterio.open(
        path, "w", driver="GTiff", height=arr.shape[0], width=arr.shape[1], count=1,
        dtype=dtype, crs=crs, transform=transform, nodata=nodata,
    ) as dst:
        dst.write(arr.astype(dtype), 1)
    return path


def hgt_bytes(side=1201, fill=None, void_at=None):
    """An SRTM tile: value = 10*row + col (mod 3000) unless ``fill``; big-endian int16."""
    if fill is None:
        r, c = np.mgrid[0:side, 0:side]
        arr = ((10 * r + c) % 3000).astype(">i2")
    else:
        arr = np.full((side, side), fill, dtype=">i2")
    if void_at is not None:
        arr[void_at] = -32768
    return arr.tobytes()


# ------------------------------------------------------------------ resolution
def test_projected_resolution_is_pixel_size(tmp_path):
    arr = np.arange(100, dtype=np.float32).reshape(10, 10)
    p = write_tif(tmp_path / "utm.tif", arr, Affine(30, 0, 600_000, 0, -30, 1_900_000), UTM48)
    dem = load_dem(p)
    assert dem.resolution_m == pytest.approx(30.0)
    assert not dem.is_coarse
    assert dem.describe() == "utm.tif (30 m)"
    assert dem.warning is None
    assert dem.crs == CRS.from_string(UTM48)


def test_geographic_resolution_at_data_latitude():
    """1 arc-second at 17° N: dy = R·Δφ, dx = R·cos φ·Δλ (sphere, R = 6 371 km), 0.5 % tol."""
    step = 1 / 3600
    transform = Affine(step, 0, 106.0, 0, -step, 17.0 + 0.5 * 100 * step)
    res = nominal_resolution_m((100, 100), transform, CRS.from_epsg(4326))
    r_earth = 6_371_008.8
    dy = r_earth * math.radians(step)
    dx = r_earth * math.cos(math.radians(17.0)) * math.radians(step)
    assert res == pytest.approx(math.sqrt(dx * dy), rel=5e-3)
    assert 29.5 < res < 31  # "30 m"


def test_format_resolution():
    assert format_resolution(30.2) == "30 m"
    assert format_resolution(463.3) == "463 m"
    assert format_resolution(9043) == "~9 km"
    assert format_resolution(1500) == "~1.5 km"


def test_coarse_flag_and_describe():
    step = 5 / 60
    dem = Dem.from_array(
        np.ones((4, 4)), Affine(step, 0, 106, 0, -step, 17.5), "EPSG:4326", source="relief"
    )
    assert dem.resolution_m > COARSE_RESOLUTION_M
    assert dem.is_coarse
    assert dem.describe() == "relief (~9 km) — coarse: terrain shadows only resolved at ~9 km"
    assert "DEM_WARNING" in dem.tags()


def test_key_depends_on_values_and_is_stable():
    t = Affine(100, 0, 0, 0, -100, 1000)
    a = Dem.from_array(np.zeros((5, 5)), t, UTM48)
    b = Dem.from_array(np.zeros((5, 5)), t, UTM48)
    c = Dem.from_array(np.ones((5, 5)), t, UTM48)
    assert a.key == b.key != c.key


# ------------------------------------------------------------------------ GeoTIFF
def test_geotiff_nodata_becomes_nan(tmp_path):
    arr = np.full((6, 6), 50, dtype=np.int16)
    arr[0, 0] = -9999
    p = write_tif(tmp_path / "i16.tif", arr, Affine(90, 0, 600_000, 0, -90, 1_900_000),
                  UTM48, nodata=-9999, dtype="int16")
    dem = load_dem(str(p))
    assert dem.elevation_m.dtype == np.float32
    assert np.isnan(dem.elevation_m[0, 0])
    assert dem.elevation_m[1, 1] == 50


def test_corrupt_file_is_a_dem_error(tmp_path):
    p = tmp_path / "broken.tif"
    p.write_bytes(b"II*\x00 this is not really a tiff")
    with pytest.raises(DemError, match="Expected a GeoTIFF"):
        load_dem(p)
    with pytest.raises(DemError, match="not found"):
        load_dem(tmp_path / "missing.tif")


def test_upload_bytes_and_filelike(tmp_path):
    arr = np.arange(16, dtype=np.float32).reshape(4, 4)
    p = write_tif(tmp_path / "x.tif", arr, Affine(30, 0, 600_000, 0, -30, 1_900_000), UTM48)
    data = p.read_bytes()
    from_bytes = load_dem(data)
    buf = io.BytesIO(data)
    buf.name = "my_dem.tif"  # what Streamlit's UploadedFile carries
    from_file = load_dem(buf)
    assert from_bytes.key == from_file.key == load_dem(p).key
    assert from_file.source == "my_dem.tif"


# --------------------------------------------------------------------------- SRTM
def test_hgt_srtm3_tile_geometry_values_and_void(tmp_path):
    p = tmp_path / "N16E106.hgt"
    p.write_bytes(hgt_bytes(void_at=(5, 7)))
    dem = load_dem(p)
    assert dem.shape == (1201, 1201)
    step = 1 / 1200
    # pixel-is-point: first sample centred on (106 E, 17 N)
    assert dem.transform.c == pytest.approx(106 - step / 2)
    assert dem.transform.f == pytest.approx(17 + step / 2)
    assert dem.transform.a == pytest.approx(step)
    assert np.isnan(dem.elevation_m[5, 7])
    assert dem.elevation_m[3, 4] == 34
    assert 85 < dem.resolution_m < 95
    assert dem.source == "SRTM N16E106.hgt"


def test_hgt_southern_western_name():
    dem = load_dem(_named(hgt_bytes(fill=5), "S01W072.hgt"))
    step = 1 / 1200
    assert dem.transform.c == pytest.approx(-72 - step / 2)
    assert dem.transform.f == pytest.approx(0 + step / 2)  # top of S01 is the equator


def _named(data: bytes, name: str) -> io.BytesIO:
    buf = io.BytesIO(data)
    buf.name = name
    return buf


def test_hgt_zip_and_mosaic_of_two_tiles(tmp_path):
    zpath = tmp_path / "N16E106.hgt.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("N16E106.hgt", hgt_bytes(fill=100))
    east = tmp_path / "N16E107.hgt"
    east.write_bytes(hgt_bytes(fill=200))
    dem = load_dem([zpath, east])
    # adjacent SRTM tiles share their edge column: 1201 + 1200 columns
    assert dem.shape == (1201, 2401)
    assert dem.elevation_m[600, 10] == 100
    assert dem.elevation_m[600, 2390] == 200
    assert dem.source == "SRTM (2 tiles)"


def test_hgt_wrong_size_or_name(tmp_path):
    bad = tmp_path / "N16E106.hgt"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(DemError, match=r"not an SRTM tile.*1201"):
        load_dem(bad)
    noname = tmp_path / "tile.hgt"
    noname.write_bytes(hgt_bytes(fill=1))
    with pytest.raises(DemError, match="south-west corner"):
        load_dem(noname)


def test_zip_without_raster(tmp_path):
    z = tmp_path / "stuff.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(DemError, match="holds no elevation raster"):
        load_dem(z)


# ---------------------------------------------------------------------- ASCII grid
ASC = """ncols 4
nrows 3
xllcorner {x}
yllcorner {y}
cellsize {c}
NODATA_value -9999
1 2 3 4
5 6 -9999 8
9 10 11 12
"""


def test_ascii_grid_with_prj(tmp_path):
    p = tmp_path / "dem.asc"
    p.write_text(ASC.format(x=600000, y=1900000, c=50))
    (tmp_path / "dem.prj").write_text(CRS.from_string(UTM48).to_wkt())
    dem = load_dem(p)
    assert dem.crs.to_epsg() == 32648
    assert dem.resolution_m == pytest.approx(50)
    assert np.isnan(dem.elevation_m[1, 2])
    assert dem.elevation_m[2, 3] == 12


def test_ascii_grid_without_prj(tmp_path):
    lonlat = tmp_path / "ll.asc"
    lonlat.write_text(ASC.format(x=106, y=16.5, c=0.01))
    assert load_dem(lonlat).crs.to_epsg() == 4326  # bounds look like lon/lat
    metric = tmp_path / "m.asc"
    metric.write_text(ASC.format(x=600000, y=1900000, c=50))
    with pytest.raises(DemError, match="no CRS"):
        load_dem(metric)
    assert load_dem(metric, crs=UTM48).crs.to_epsg() == 32648


# ------------------------------------------------------- mosaics in several CRSs
def test_mosaic_reprojects_to_first_crs(tmp_path):
    a = write_tif(tmp_path / "a.tif", np.full((20, 20), 10.0),
                  Affine(0.001, 0, 106.0, 0, -0.001, 17.0), "EPSG:4326")
    # a UTM tile just east of it
    x0, y0 = Grid.from_bounds((0, 0, 1, 1), 30).from_lonlat(106.02, 17.0)
    b = write_tif(tmp_path / "b.tif", np.full((20, 20), 20.0),
                  Affine(100, 0, x0, 0, -100, y0), UTM48)
    dem = load_dem([a, b])
    assert dem.crs.to_epsg() == 4326
    vals = dem.elevation_m[np.isfinite(dem.elevation_m)]
    assert set(np.unique(vals)) <= {10.0, 20.0}
    assert (vals == 10).any() and (vals == 20).any()


# ----------------------------------------------------------- grid and coverage
def test_on_grid_bilinear_is_exact_for_a_plane():
    """Bilinear interpolation reproduces a plane z = 0.01·x − 0.02·y + 500 exactly."""
    x0, y0, step = 600_000.0, 1_900_000.0, 30.0
    rows, cols = 200, 200
    xs = x0 + step * (np.arange(cols) + 0.5)
    ys = y0 - step * (np.arange(rows) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    plane = 0.01 * (gx - x0) - 0.02 * (gy - y0) + 500
    dem = Dem.from_array(plane, Affine(step, 0, x0, 0, -step, y0), UTM48)
    grid = Grid(x0 + 1000, y0 - 5000, x0 + 5000, y0 - 1000, resolution_m=100)
    out = dem.on_grid(grid)
    assert out.dtype == np.float32 and out.shape == grid.shape
    cx, cy = grid.cell_centres()
    ex = 0.01 * (cx[None, :] - x0) - 0.02 * (cy[:, None] - y0) + 500
    np.testing.assert_allclose(out, ex, rtol=1e-4)  # GDAL warper approximation
    assert dem.on_grid(grid) is out  # cached
    assert not out.flags.writeable


def test_on_grid_outside_is_nan_or_filled():
    dem = Dem.from_array(np.full((10, 10), 7.0), Affine(100, 0, 600_000, 0, -100, 1_900_000),
                         UTM48)
    grid = Grid(600_000, 1_899_000, 603_000, 1_900_000, resolution_m=100)
    out = dem.on_grid(grid)
    assert np.isnan(out[:, -5:]).all() and (out[:, :9] == 7).all()
    assert (dem.on_grid(grid, fill_value=0.0)[:, -5:] == 0).all()


def test_coverage_check_names_the_uncovered_share():
    # covers lon 106–107, lat 16–17; the area asks lon 106–108
    step = 0.01
    dem = Dem.from_array(np.ones((100, 100)), Affine(step, 0, 106, 0, -step, 17), "EPSG:4326",
                         source="tile")
    assert dem.covers((106.1, 16.1, 106.9, 16.9))
    assert not dem.covers((106, 16, 108, 17))
    assert coverage_share(dem, (106, 16, 108, 17)) == pytest.approx(0.5, abs=0.01)
    with pytest.raises(DemError, match=r"covers only 50\.0%.*50\.0% has no elevation"):
        check_covers(dem, (106, 16, 108, 17))
    grid = Grid.from_bounds((0, 0, 1, 1), 100)
    x0, y0 = grid.from_lonlat(106.3, 16.3)
    inside = Grid(x0, y0, x0 + 5000, y0 + 5000, resolution_m=100)
    assert check_covers(dem, inside) == 1.0


def test_coverage_restricted_to_area_polygon():
    import geopandas as gpd
    from shapely.geometry import box

    step = 0.01
    arr = np.ones((100, 200))
    arr[:, 100:] = np.nan  # "sea" east of 107 has no data
    dem = Dem.from_array(arr, Affine(step, 0, 106, 0, -step, 17), "EPSG:4326")
    land = gpd.GeoDataFrame(geometry=[box(106.1, 16.1, 106.9, 16.9)], crs="EPSG:4326")
    assert not dem.covers((106, 16, 108, 17))
    assert dem.covers((106, 16, 108, 17), area=land)


# ------------------------------------------------------------------ embedded
def test_embedded_relief_is_default_and_coarse():
    from geo.data import load_province, relief_dem_path

    relief_dem_path()  # data/ ships with the repo: a missing or corrupt copy must fail (#19)
    province = load_province()
    dem = load_dem()
    assert dem.is_coarse
    assert 8000 < dem.resolution_m < 10000
    assert dem.describe().startswith("embedded 5′ relief (~9 km) — coarse")
    assert check_covers(dem, tuple(province.total_bounds), area=province) > 0.99


# ---------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None)
@given(step=st.floats(0.5, 2000), factor=st.floats(0.3, 3.0))
def test_projected_resolution_property(step, factor):
    t = Affine(step, 0, 0, 0, -step * factor, 0)
    res = nominal_resolution_m((10, 10), t, CRS.from_string(UTM48))
    assert res == pytest.approx(step * math.sqrt(factor))


# ----------------------------------------------------------------------- CLI
def test_cli_dem_info(tmp_path, capsys):
    from lomsong.cli import main

    p = tmp_path / "dem.asc"
    p.write_text(ASC.format(x=600000, y=1900000, c=50))
    assert main(["dem", "info", str(p), "--dem-crs", UTM48, "--json"]) == 0
    import json

    info = json.loads(capsys.readouterr().out)
    assert info["crs"] == "EPSG:32648" and info["resolution_m"] == 50.0
    assert info["coarse"] is False and info["shape"] == [3, 4]
    assert main(["dem", "info", str(tmp_path / "nope.tif")]) == 2
    assert "not found" in capsys.readouterr().err


def test_dem_from_args_checks_coverage():
    import argparse

    from lomsong.commands.dem import add_dem_arguments, dem_from_args

    parser = argparse.ArgumentParser()
    add_dem_arguments(parser)
    args = parser.parse_args([])
    assert args.dem is None
    grid = Grid.from_bounds((0, 0, 1, 1), 100)
    x0, y0 = grid.from_lonlat(116.0, 30.0)  # far from the embedded relief
    far = Grid(x0, y0, x0 + 5000, y0 + 5000, resolution_m=100)
    with pytest.raises(DemError, match="covers only 0.0%"):
        dem_from_args(args, grid=far)


def _lonlat_tif(path, n=720, west=106.0, north=17.0, step=1 / 3600):
    z = (np.arange(n * n, dtype=np.float32).reshape(n, n) % 500.0) + 10.0
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(step, 0, west, 0, -step, north)) as ds:
        ds.write(z, 1)
    return path


def test_a_window_past_the_dems_edge_is_cut_there_not_padded(tmp_path):
    # tile 106.0–106.2 E, 16.8–17.0 N; the window asked for runs 0.05° past its east edge
    path = _lonlat_tif(tmp_path / "t.tif")
    dem = load_dem(path, bounds_lonlat=(106.15, 16.85, 106.25, 16.95))
    west, south, east, north = dem.bounds
    assert east == pytest.approx(106.2, abs=1e-9) and west < 106.15 and west > 106.14
    assert np.isfinite(dem.elevation_m).all()  # no padding of no-data cells


def test_a_window_missing_the_dem_is_refused_saying_where_each_lies(tmp_path):
    path = _lonlat_tif(tmp_path / "t.tif")
    with pytest.raises(DemError, match=r"outside the DEM \(t.tif: lon 106.000–106.200"):
        load_dem(path, bounds_lonlat=(100.0, 16.85, 100.1, 16.95))
