"""geo.coverage.station_map and ``lomsong station`` (issue #13): one station's terrain maps."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import rasterio
from affine import Affine

from geo.coverage import CoverageConfig, CoverageError, StationMap, compute, station_map
from geo.dem import Dem, DemError
from geo.diffraction import bullington_loss_db
from geo.grid import Grid
from lomsong.cli import main
from tests._coverage_helpers import fractal_terrain, stations_at

X0, Y0 = 600_000.0, 1_850_000.0  # UTM 48N, in Quảng Trị's band
RES = 30.0
N = 241


def _metric_dem(z=None, res=RES):
    if z is None:
        z = fractal_terrain((N, N), 9, relief_m=600.0)
    return Dem.from_array(z, Affine(res, 0, X0, 0, -res, Y0), "EPSG:32648", source="synthetic")


def _centre_station(**extra):
    g = Grid(X0, Y0 - N * RES, X0 + N * RES, Y0, RES)
    xs, ys = g.cell_centres()
    return {"x": float(xs[N // 2]), "y": float(ys[N // 2]), "technology": "4G",
            "band_mhz": 1800.0, "height_m": 30.0, **extra}, g


def test_metric_dem_is_used_on_its_own_grid_and_equals_the_engine():
    dem = _metric_dem()
    st, g = _centre_station()
    cfg = CoverageConfig(model="38901-rma", workers=1)
    m = station_map(st, dem, radius_m=3_000.0, model="38901-rma", config=cfg)
    assert isinstance(m, StationMap)
    assert m.grid.resolution_m == RES and m.grid.crs == "EPSG:32648"
    assert m.los.shape == m.rsrp_dbm.shape == m.path_loss_db.shape == m.grid.shape
    assert "not resampled" in m.parameters["grid_rule"]
    # same numbers as the province engine on the DEM's grid (one code path)
    cov = compute(stations_at(g, [(N // 2, N // 2)], technology="4G", band_mhz=1800.0),
                  g, dem.elevation_m, CoverageConfig(model="38901-rma", workers=1,
                                                     max_radius_m=3_000.0,
                                                     reach_margin_db=1000.0))
    r0 = round((Y0 - m.grid.ymax) / RES)
    c0 = round((m.grid.xmin - X0) / RES)
    eng = cov.rsrp_dbm["4G"][r0:r0 + m.grid.height, c0:c0 + m.grid.width]
    np.testing.assert_allclose(m.rsrp_dbm, eng, atol=0.006, equal_nan=True)
    # layers: NaN outside the radius, the terrain really shadows, loss where hidden
    inside = ~np.isnan(m.path_loss_db)
    yy, xx = np.mgrid[0:m.grid.height, 0:m.grid.width]
    d = np.hypot(yy - (N // 2 - r0), xx - (N // 2 - c0)) * RES
    assert not inside[d > 3_000.0 + RES].any() and inside[d < 2_900.0].all()
    assert 0.01 < m.los[inside].mean() < 0.95
    assert (m.diffraction_db[inside & ~m.los] > 6.0).all()  # grazing or worse: J ≥ 6 dB
    assert (m.diffraction_db[inside] >= 0).all()


def test_flat_dem_diffraction_is_bullington_of_the_flat_profile():
    dem = _metric_dem(np.full((N, N), 12.0, dtype=np.float32))
    st, _ = _centre_station()
    m = station_map(st, dem, radius_m=3_000.0, model="38901-rma",
                    config=CoverageConfig(clear_model="los", obstructed_model="diffraction"))
    assert m.los[~np.isnan(m.path_loss_db)].all()
    row = round((m.grid.ymax - st["y"]) / RES - 0.5)
    col = round((st["x"] - m.grid.xmin) / RES - 0.5)
    for k in (20, 60, 95):  # straight east: the sweep samples the cell centres
        ref = bullington_loss_db(np.arange(k + 1) * RES, np.full(k + 1, 12.0), 30.0, 1.5, 1800.0)
        assert m.diffraction_db[row, col + k] == pytest.approx(ref, abs=0.01)


def test_geographic_dem_is_resampled_onto_the_analysis_frame():
    # 3″ lon/lat tile over (106.9…107.0 E, 16.9…17.0 N), a cone-shaped hill
    n = 121
    lon = 106.9 + np.arange(n) / 1200.0
    lat = 17.0 - np.arange(n) / 1200.0
    hill = 400.0 * np.clip(1 - np.hypot(*np.meshgrid(lon - 106.95, lat - 16.95)) / 0.03, 0, 1)
    dem = Dem.from_array(hill.astype(np.float32), Affine(1 / 1200, 0, 106.9, 0, -1 / 1200, 17.0),
                         "EPSG:4326", source="synthetic 3″")
    m = station_map({"lon": 106.92, "lat": 16.97, "technology": "4G", "band_mhz": 900.0,
                     "height_m": 25.0}, dem, radius_m=4_000.0, model="38901-rma")
    # the DEM's own detail (3″ ≈ 92 m → 90 m cells), not the 100 m default
    assert m.grid.crs == "EPSG:32648" and m.grid.resolution_m == 90.0
    assert m.grid.xmin % 90.0 == 0 and m.grid.ymax % 90.0 == 0  # analysis-grid aligned
    assert "resampled" in m.parameters["grid_rule"] and "90 m" in m.parameters["grid_rule"]
    inside = ~np.isnan(m.path_loss_db)
    assert (~m.los[inside]).any()  # behind the hill
    assert m.parameters["model_rule"] == "given" and m.model == "38901-rma"


def test_web_mercator_dem_is_resampled_not_taken_as_a_metric_grid():
    # EPSG:3857 "metres" are 4.6 % short at 17° N: distances on its grid would be wrong
    from pyproj import Transformer

    x0, y0 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(106.6, 17.0)
    z = fractal_terrain((N, N), 9, relief_m=600.0)
    merc = Dem.from_array(z, Affine(RES, 0, x0 - N * RES / 2, 0, -RES, y0 + N * RES / 2),
                          "EPSG:3857", source="synthetic")
    m = station_map({"lon": 106.6, "lat": 17.0, "technology": "4G", "band_mhz": 1800.0,
                     "height_m": 30.0}, merc, radius_m=2_000.0, model="38901-rma")
    assert m.grid.crs == "EPSG:32648" and "resampled" in m.parameters["grid_rule"]
    vn = Dem.from_array(z, Affine(RES, 0, X0, 0, -RES, Y0), "EPSG:3405", source="VN-2000")
    st, _ = _centre_station()
    m = station_map(st, vn, radius_m=2_000.0, model="38901-rma")
    assert "not resampled" in m.parameters["grid_rule"]  # VN-2000 / UTM 48N is metric


def test_frame_keeps_a_fine_geographic_dems_detail_and_caps_a_coarse_one():
    from geo.station_map import _frame_resolution_m

    def tile(step_deg):
        n = 40
        return Dem.from_array(np.zeros((n, n), dtype=np.float32),
                              Affine(step_deg, 0, 106.9, 0, -step_deg, 17.0), "EPSG:4326")

    assert _frame_resolution_m(tile(1 / 3600)) == 30.0     # 1″ GLO-30 / SRTM-1
    assert _frame_resolution_m(tile(1 / 1200)) == 90.0     # 3″ SRTM-3
    assert _frame_resolution_m(tile(1 / 12)) == 100.0      # 5′ relief: the default
    assert _frame_resolution_m(tile(1 / 36000)) == 30.0    # finer than 30 m: 30 m


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"radius_m": 0.0}, "radius"), ({"radius_m": 150_000.0}, "radius"),
    ({"model": "hata"}, "unknown path-loss model"),
])
def test_bad_arguments_are_refused(kwargs, match):
    st, _ = _centre_station()
    with pytest.raises(CoverageError, match=match):
        station_map(st, _metric_dem(), **kwargs)


def test_station_outside_the_dem_is_refused():
    st, _ = _centre_station()
    st["x"] += 50_000.0
    with pytest.raises(CoverageError, match="outside"):
        station_map(st, _metric_dem(), radius_m=2_000.0)


def test_cells_beyond_a_geographic_dems_edge_are_left_empty_not_sea_level():
    # a 1″ lon/lat tile ending at 107.0 E, a station 1 km inside its east edge: the frame
    # reaches 3 km past the edge, where the resampling has no terrain
    n = 900
    z = fractal_terrain((n, n), 6, relief_m=400.0) + 100.0
    dem = Dem.from_array(z, Affine(1 / 3600, 0, 106.75, 0, -1 / 3600, 17.125), "EPSG:4326")
    st = {"lon": 106.99, "lat": 17.0, "technology": "4G", "band_mhz": 1800.0, "height_m": 30.0}
    m = station_map(st, dem, radius_m=4_000.0, model="38901-rma")
    assert m.grid.resolution_m == 30.0
    xs, ys = m.grid.cell_centres()
    from pyproj import Transformer

    lon, _ = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(
        *np.meshgrid(xs, ys))
    computed = ~np.isnan(m.path_loss_db)
    assert not computed[lon > 107.0 + 1 / 3600].any()  # nothing past the edge
    assert computed[(lon < 106.995) & (np.hypot(*np.meshgrid(xs - xs.mean(), ys - ys.mean()))
                                       < 3_500.0)].all()
    assert not m.los[lon > 107.0 + 1 / 3600].any()
    beyond = m.parameters["cells_beyond_dem"]
    assert 0.25 < beyond / (beyond + computed.sum()) < 0.5  # ~ the disc's share past 1 km
    assert m.summary()["cells_beyond_dem"] == beyond


def test_a_dem_covering_the_whole_radius_has_no_cells_beyond_it():
    st, _ = _centre_station()
    m = station_map(st, _metric_dem(), radius_m=3_000.0, model="38901-rma")
    assert m.parameters["cells_beyond_dem"] == 0
    st["x"] -= 2_500.0  # 1.1 km from the metric DEM's west edge: the window is cut there
    m = station_map(st, _metric_dem(), radius_m=3_000.0, model="38901-rma")
    assert m.parameters["cells_beyond_dem"] > 0


# ----------------------------------------------------------------------------- CLI
def _cli(*args):
    return main(["station", *map(str, args)])


def _write_tif(path, z, crs="EPSG:32648", res=RES):
    profile = {"driver": "GTiff", "height": z.shape[0], "width": z.shape[1], "count": 1,
               "dtype": "float32", "transform": Affine(res, 0, X0, 0, -res, Y0)}
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z.astype(np.float32), 1)
    return path


def _lonlat_of_centre():
    from pyproj import Transformer

    st, _ = _centre_station()
    return Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(st["x"], st["y"])


def _check_outputs(folder):
    for name, nodata in (("los", 255), ("diffraction_db", None), ("path_loss_db", None),
                         ("rsrp_dbm", None)):
        with rasterio.open(folder / f"{name}.tif") as src:
            assert src.crs is not None and src.nodata is not None
            assert src.tags().get("MODELLED") == "yes"
            if nodata is not None:
                assert src.nodata == nodata
            else:
                assert math.isnan(src.nodata)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["modelled"] is True and summary["cells_within_radius"] > 0
    return summary


def test_cli_on_a_user_geotiff(tmp_path, capsys):
    path = _write_tif(tmp_path / "dem.tif", fractal_terrain((N, N), 4, relief_m=500.0))
    lon, lat = _lonlat_of_centre()
    out = tmp_path / "out"
    assert _cli("--lon", lon, "--lat", lat, "--height", 30, "--band", 1800, "--radius", 3000,
                "--model", "38901-rma", "--dem", path, "--out", out, "--json") == 0
    printed = json.loads(capsys.readouterr().out)
    summary = _check_outputs(out)
    assert printed["model"] == summary["model"] == "38901-rma"
    assert summary["grid"]["resolution_m"] == RES  # the DEM's own 30 m grid
    assert summary["station"]["technology"] == "4G"


def test_cli_on_an_hgt_tile(tmp_path):
    # SRTM3 tile N16E106: 1201 × 1201 big-endian int16, a ridge at 106.5 E
    n = 1201
    lon = 106.0 + np.arange(n) / 1200.0
    z = np.tile(np.clip(600.0 - 20_000.0 * np.abs(lon - 106.5), 0, None), (n, 1))
    (tmp_path / "N16E106.hgt").write_bytes(z.astype(">i2").tobytes())
    out = tmp_path / "out"
    assert _cli("--lon", 106.45, "--lat", 16.5, "--height", 30, "--band", 900, "--tech", "2G",
                "--radius", 8000, "--model", "38901-rma", "--dem", tmp_path / "N16E106.hgt",
                "--out", out) == 0
    summary = _check_outputs(out)
    assert summary["grid"]["crs"] == "EPSG:32648"
    assert 0.2 < summary["los_share"] < 0.9  # the ridge hides its far side


def test_cli_warns_when_the_radius_runs_past_the_dem(tmp_path, capsys):
    path = _write_tif(tmp_path / "dem.tif", fractal_terrain((N, N), 4, relief_m=500.0))
    lon, lat = _lonlat_of_centre()
    out = tmp_path / "out"
    assert _cli("--lon", lon, "--lat", lat, "--height", 30, "--band", 1800, "--radius", 6000,
                "--model", "38901-rma", "--dem", path, "--out", out) == 0
    printed = capsys.readouterr().out
    assert "beyond the DEM's edge" in printed and "ngoài DEM" in printed


def test_cli_on_the_embedded_relief(tmp_path):
    out = tmp_path / "out"
    assert _cli("--lon", 106.9, "--lat", 17.0, "--height", 30, "--band", 3500, "--radius", 5000,
                "--out", out) == 0
    summary = _check_outputs(out)
    assert summary["station"]["technology"] == "5G"  # from the band
    assert "engine rule" in summary["model_rule"]
    assert "coarse" in summary["dem"]


@pytest.mark.parametrize(("args", "match"), [
    (("--radius", 0), "radius"), (("--radius", 200_000), "radius"),
    (("--model", "okumura"), "unknown path-loss model"),
    (("--lon", 100.0), "outside the DEM"),
])
def test_cli_bad_input_exits_2_with_one_line(args, match, capsys):
    base = {"--lon": 106.9, "--lat": 17.0, "--height": 30, "--band": 1800, "--out": "/tmp/x"}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    assert _cli(*[x for kv in base.items() for x in kv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err


def test_cli_dem_without_crs_exits_2(tmp_path, capsys):
    path = _write_tif(tmp_path / "nocrs.tif", np.zeros((50, 50)), crs=None)
    lon, lat = _lonlat_of_centre()
    assert _cli("--lon", lon, "--lat", lat, "--height", 30, "--band", 1800, "--dem", path,
                "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "CRS" in err


def test_dem_error_type_is_the_documented_one():
    assert issubclass(DemError, ValueError)


def test_either_module_can_be_imported_first():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for first in ("geo.station_map", "geo.coverage"):
        code = (f"import {first}; from geo.coverage import station_map, StationMap; "
                "import geo.station_map as s; assert s.StationMap is StationMap")
        proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                              text=True, timeout=120, check=False,
                              env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
        assert proc.returncode == 0, proc.stderr[-500:]


def test_cli_reads_only_the_sites_surroundings_and_blanks_past_the_tile(tmp_path, capsys):
    # a 1″ tile 106.75–107.0 E; site 1 km inside its east edge, 4 km radius: the windowed
    # read stops at the tile's edge and the cells past it are reported, not invented
    n = 900
    z = fractal_terrain((n, n), 6, relief_m=400.0) + 100.0
    path = tmp_path / "tile.tif"
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs="EPSG:4326",
                       transform=Affine(1 / 3600, 0, 106.75, 0, -1 / 3600, 17.125)) as ds:
        ds.write(z, 1)
    out = tmp_path / "out"
    assert _cli("--lon", 106.99, "--lat", 17.0, "--height", 30, "--band", 1800, "--radius",
                4000, "--model", "38901-rma", "--dem", path, "--out", out, "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["grid"]["resolution_m"] == 30.0
    beyond = summary["cells_beyond_dem"]
    assert 0.25 < beyond / (beyond + summary["cells_within_radius"]) < 0.5
