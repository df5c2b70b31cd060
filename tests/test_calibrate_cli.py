"""`lomsong measurements calibrate` and `--calibration` on `coverage` (#17), end to end."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from analysis.calibration import load_calibration
from analysis.measurements import measurement_grid
from geo.coverage import CoverageConfig, clear_cache, compute
from geo.data import load_communes
from geo.stations import read_stations
from lomsong.cli import main

# two 4G masts near Đông Hà (inside the province), flat earth for speed
STATIONS = [("QT001", "Viettel", "4G", 107.10, 16.80, 30, 1800),
            ("QT002", "Viettel", "4G", 107.00, 16.75, 30, 1800)]
OFFSET_DB, SIGMA_DB, N = -5.0, 3.0, 400


def _write_stations(path):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["station_id", "operator", "technology", "lon", "lat", "height_m", "band_mhz"])
        w.writerows(STATIONS)
    return path


@pytest.fixture(scope="module")
def drive_test(tmp_path_factory):
    """A drive test made from the engine's own prediction, −5 dB and σ = 3 dB, + 3 bad rows."""
    import geopandas as gpd
    from shapely.geometry import Point

    tmp = tmp_path_factory.mktemp("dt")
    stations = _write_stations(tmp / "sites.csv")
    rng = np.random.default_rng(0)
    lon = 107.05 + rng.uniform(-0.08, 0.08, 3 * N)
    lat = 16.78 + rng.uniform(-0.05, 0.05, 3 * N)
    pts = gpd.GeoDataFrame({"technology": ["4G"] * lon.size, "rsrp_dbm": -100.0},
                           geometry=[Point(a, b) for a, b in zip(lon, lat, strict=True)],
                           crs="EPSG:4326")
    grid = measurement_grid(pts, 100.0)
    cov = compute(read_stations(stations).stations, grid, None,
                  CoverageConfig(terrain=False, technologies=("4G",)), communes=load_communes())
    x, y = grid.from_lonlat(lon, lat)
    r, c = grid.rowcol(np.asarray(x), np.asarray(y))
    level = cov.rsrp_dbm["4G"][r, c] + OFFSET_DB + rng.normal(0, SIGMA_DB, lon.size)
    ok = np.flatnonzero(np.isfinite(level) & (level > -150.0))[:N]  # within reach and range
    assert ok.size == N
    lon, lat, level = lon[ok], lat[ok], level[ok]
    path = tmp / "drive.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Kinh độ", "Vĩ độ", "Mạng", "Nhà mạng", "RSRP"])
        for a, b, v in zip(lon, lat, level, strict=True):
            w.writerow([f"{a:.6f}", f"{b:.6f}", "4G", "Viettel", f"{v:.1f}"])
        w.writerow([f"{lon[0]:.6f}", f"{lat[0]:.6f}", "4G", "Viettel", "-20"])  # too strong
        w.writerow([f"{lon[1]:.6f}", f"{lat[1]:.6f}", "4G", "Viettel", ""])  # no level
        w.writerow(["abc", f"{lat[2]:.6f}", "4G", "Viettel", "-90"])  # no position
    return tmp, stations, path


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_calibrate_recovers_the_offset_and_reports_rows_exactly(drive_test, capsys):
    tmp, stations, path = drive_test
    ws = tmp / "ws.gpkg"
    code, out, err = _run(capsys, "measurements", "calibrate", str(path), "--stations",
                          str(stations), "--tech", "4g", "--terrain", "off", "--no-slope",
                          "--save", "dt", "--workspace", str(ws), "--json")
    assert code == 0, err
    j = json.loads(out)
    assert (j["rows_read"], j["kept"], j["fixed"], j["rejected"]) == (N + 3, N, 0, 3)
    # the three bad rows, exactly: file rows N+2 (level), N+3 (no level), N+4 (position)
    rejected = {i["row"]: i for i in j["issues"] if i["status"] == "rejected"}
    assert sorted(rejected) == [N + 2, N + 3, N + 4]
    assert "reporting range" in rejected[N + 2]["problem_en"]
    assert rejected[N + 3]["problem_en"] == "No signal level (RSRP)"
    assert j["points_used"] == N
    # the offset is recovered within 4 standard errors (σ/√N = 0.15 dB)
    assert j["offset_db"] == pytest.approx(OFFSET_DB, abs=0.6)
    assert j["bias_db_before"] == pytest.approx(-OFFSET_DB, abs=0.6)
    assert j["rmse_db_after"] == pytest.approx(SIGMA_DB, abs=0.4)
    assert j["rmse_db_cv"] >= j["rmse_db_after"] - 1e-9
    assert "slope_db_per_decade" not in j
    assert j["saved"] == "dt"
    cal = load_calibration("dt", ws)
    assert len(cal.measurement_sha256) == 64 and cal.source["terrain"] is False


def test_too_few_points_exit_2_with_the_count(drive_test, tmp_path, capsys):
    tmp, stations, path = drive_test
    few = tmp_path / "few.csv"
    few.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:11]) + "\n",
                   encoding="utf-8")
    code, _, err = _run(capsys, "measurements", "calibrate", str(few), "--stations",
                        str(stations), "--terrain", "off")
    assert code == 2
    assert "at least 30" in err and "4G: 10" in err


def test_coverage_applies_and_names_the_calibration(drive_test, tmp_path, capsys):
    tmp, stations, path = drive_test
    ws = tmp / "ws-cov.gpkg"
    assert _run(capsys, "measurements", "calibrate", str(path), "--stations", str(stations),
                "--terrain", "off", "--no-slope", "--save", "minus5", "--workspace", str(ws))[0] == 0
    base = ["coverage", "--stations", str(stations), "--tech", "4g", "--terrain", "off",
            "--resolution", "500", "--no-progress"]
    clear_cache()
    assert _run(capsys, *base, "--out", str(tmp_path / "a"))[0] == 0
    code, out, err = _run(capsys, *base, "--calibration", "minus5", "--workspace", str(ws),
                          "--out", str(tmp_path / "b"))
    assert code == 0, err
    a = json.loads((tmp_path / "a" / "coverage_summary.json").read_text())
    b = json.loads((tmp_path / "b" / "coverage_summary.json").read_text())
    assert a["calibration"] is None and b["calibration"].startswith("minus5 (4G -5.")
    assert "calibrated with minus5" in out
    # a −5 dB correction shrinks coverage
    assert b["area_covered_km2"] < a["area_covered_km2"]
    code, _, err = _run(capsys, *base, "--calibration", "nope", "--workspace", str(ws),
                        "--out", str(tmp_path / "c"))
    assert code == 2 and "No calibration named 'nope'" in err
