"""Fast commune lookup (geo.data.commune_kinds_at) and the one RMa/UMa rule on it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import geo.data
from geo.coverage import CoverageConfig
from geo.coverage.params import _model_choice, _models_at_lonlat
from geo.data import DataError, commune_kinds_at, load_communes

ROOT = Path(__file__).resolve().parent.parent


def _sjoin_kinds(lon, lat):
    """Independent answer: geopandas' spatial join with the communes (the former rule)."""
    import geopandas as gpd

    communes = load_communes()
    pts = gpd.GeoDataFrame({"_pos": np.arange(len(lon))},
                           geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(pts, communes[["kind", "geometry"]], how="left", predicate="within")
    joined = joined.drop_duplicates("_pos").sort_values("_pos")
    return joined["kind"].fillna("").astype(str).to_numpy()


def test_kinds_equal_the_spatial_join_on_every_commune_and_a_lattice():
    communes = load_communes()
    inner = communes.representative_point()
    rng = np.random.default_rng(7)
    lon = np.concatenate([inner.x, rng.uniform(106.0, 107.6, 400)])
    lat = np.concatenate([inner.y, rng.uniform(16.0, 18.2, 400)])
    got = commune_kinds_at(lon, lat)
    assert list(got[: len(communes)]) == list(communes["kind"])
    assert list(got) == list(_sjoin_kinds(lon, lat))
    assert "" in set(got)  # points at sea / outside the province: no commune


def test_known_points():
    # Đông Hà centre (a ward, phường), a rural point in the west (a commune, xã), and the
    # Gulf of Guinea (no commune): the kinds the engine's RMa/UMa rule reads
    kinds = commune_kinds_at([107.1, 106.6, 0.0], [16.81, 17.0, 0.0])
    assert list(kinds) == ["phường", "xã", ""]


def test_rule_is_one_function_for_the_engine_and_station_map():
    import geopandas as gpd

    cfg = CoverageConfig()
    lon, lat = [107.1, 106.6], [16.81, 17.0]
    models, warn = _models_at_lonlat(lon, lat, cfg)
    assert warn is None
    assert models == [cfg.urban_model, cfg.rural_model]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(32648)
    assert _model_choice(pts, cfg, None) == (models, None)
    assert _model_choice(pts, cfg, load_communes()) == (models, None)  # given communes


def test_corrupted_communes_file_is_refused(tmp_path, monkeypatch):
    src = geo.data.data_dir()
    for name in ("communes.gpkg", "SHA256SUMS"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    data = bytearray((tmp_path / "communes.gpkg").read_bytes())
    data[-100] ^= 0xFF
    (tmp_path / "communes.gpkg").write_bytes(bytes(data))
    monkeypatch.setenv("LOMSONG_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="corrupted"):
        commune_kinds_at([106.6], [17.0])
    models, warn = _models_at_lonlat([106.6], [17.0], CoverageConfig())
    assert models == [CoverageConfig().rural_model]
    assert "could not be loaded" in warn


def test_station_command_does_not_import_geopandas(tmp_path):
    code = ("import sys; from lomsong.cli import main; rc = main(['station', '--lon', '106.6',"
            " '--lat', '17.0', '--height', '30', '--band', '1800', '--radius', '3000',"
            f" '--out', {str(tmp_path)!r}]); print('GPD', 'geopandas' in sys.modules);"
            " sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
                         timeout=300, check=True).stdout
    assert "38901-rma" in out
    assert "GPD False" in out
