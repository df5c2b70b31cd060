"""The app's disk cache cannot run code (issue #12, serious 1) and round-trips stage results."""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from app_ui import disk_cache
from app_ui.state import ResultStore


class _Plant:
    """A pickle that, when unpickled, creates the file ``marker`` (the attack)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _assert_same(a, b, path="value"):
    assert type(a) is type(b), (path, type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), path
    elif isinstance(a, gpd.GeoDataFrame):
        from geopandas.testing import assert_geodataframe_equal

        assert_geodataframe_equal(a, b, check_dtype=True, check_crs=True)
        assert a.attrs.keys() == b.attrs.keys(), path
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
        assert a.attrs.keys() == b.attrs.keys(), path
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _assert_same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, (path, a, b)


# ------------------------------------------------------------------ nothing on disk runs code
def test_a_planted_pickle_in_the_cache_folder_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    cache = tmp_path / "cache"
    store = ResultStore(disk_dir=cache)
    key = ("inputs", 1000, "dem")
    path = store._disk_path(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps(_Plant(marker)))  # where the store will look for the key
    (cache / (path.stem + ".pkl")).write_bytes(pickle.dumps(_Plant(marker)))  # the old name

    assert store.get_or_compute(key, lambda: {"people": 5}, persist=True) == {"people": 5}
    assert not marker.exists()


def test_a_pickled_object_array_inside_an_npz_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    store = ResultStore(disk_dir=tmp_path / "cache")
    key = ("coverage", "k")
    path = store._disk_path(key)
    path.parent.mkdir(parents=True)
    payload = np.empty(1, dtype=object)
    payload[0] = _Plant(marker)
    manifest = json.dumps({"format": disk_cache.FORMAT, "value": {"t": "nd", "a": "a0"}}).encode()
    with open(path, "wb") as f:
        np.savez(f, a0=payload, __manifest__=np.frombuffer(manifest, np.uint8), allow_pickle=True)

    assert store.get_or_compute(key, lambda: 7, persist=True) == 7
    assert not marker.exists()


def _write_manifest(path, value_node):
    manifest = json.dumps({"format": disk_cache.FORMAT, "value": value_node}).encode()
    with zipfile.ZipFile(path, "w") as z:
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(manifest, np.uint8), allow_pickle=False)
        z.writestr("__manifest__.npy", buf.getvalue())


@pytest.mark.parametrize(("module", "name"), [
    ("os", "system"), ("subprocess", "Popen"), ("builtins", "eval"),
    ("geo.dem", "load_dem"),  # a library function, not a dataclass
    ("geo.dem", "DemError"),  # a library class, not a dataclass
    ("geo..dem", "Dem"), ("geo.dem", "Dem.__init__"), ("analysis.pipeline", "__builtins__"),
])
def test_a_manifest_naming_anything_but_a_library_dataclass_is_refused(tmp_path, module, name):
    path = tmp_path / "x.npz"
    _write_manifest(path, {"t": "dc", "module": module, "name": name, "f": {}})
    with pytest.raises(disk_cache.Undecodable):
        disk_cache.load(path)


def test_writing_refuses_what_it_cannot_read_back_safely(tmp_path):
    for value in (np.array([object()], dtype=object), lambda: 1, _Plant("x"), {1, 2}):
        with pytest.raises(disk_cache.Unencodable):
            disk_cache.dump({"v": value}, tmp_path / "x.npz")
    store = ResultStore(disk_dir=tmp_path / "cache")
    assert store.get_or_compute(("k",), lambda: {1, 2}, persist=True) == {1, 2}  # memory only
    assert not list((tmp_path / "cache").glob("*"))


# ------------------------------------------------------------------ what it stores comes back
def test_round_trip_of_every_kind_the_stage_results_hold(tmp_path):
    from geo.grid import Grid

    gdf = gpd.GeoDataFrame(
        {"name": ["Đông Hà", "Cồn Cỏ", None], "n": np.array([1, 2, 3], np.int64),
         "x": [0.5, np.nan, 2.0], "ok": [True, False, True], "flags": [["a"], [], ["b", "c"]],
         "kind": pd.Categorical(["x", "y", "x"])},
        geometry=[shapely.Point(106.1, 16.8), None, shapely.LineString([(0, 0), (1, 1)])],
        crs="EPSG:4326", index=pd.Index([10, 20, 30], name="row"),
    )
    gdf.attrs["note"] = "modelled"
    df = pd.DataFrame({"k": [1.0, 2.0]})
    grid = Grid(500_000.0, 1_900_000.0, 500_400.0, 1_900_300.0, resolution_m=100.0)
    value = {
        "grid": grid, "gdf": gdf, "df": df, ("tuple", 1): (1, 2.5, "x"), 3: None,
        "arr": np.arange(6, dtype=np.float32).reshape(2, 3), "scalar": np.float64(1.5),
        "nan": float("nan"), "geom": shapely.Point(1, 2), "series": pd.Series([1, 2], name="s"),
        "nested": [{"a": [np.int32(3)]}],
    }
    disk_cache.dump(value, tmp_path / "v.npz")
    back = disk_cache.load(tmp_path / "v.npz")
    _assert_same(value, back)
    assert back["gdf"].attrs == {"note": "modelled"} and back["gdf"]["flags"].iloc[2] == ["b", "c"]
    assert back["grid"].key() == grid.key()


def test_the_app_stage_results_round_trip_through_the_store(tmp_path):
    """Every stage the app persists (inputs, coverage, gaps, siting) comes back equal."""
    from analysis import pipeline
    from geo.coverage import CoverageConfig
    from geo.stations import load_default_stations

    inputs = pipeline.prepare_inputs(1000)
    coverage = pipeline.coverage_stage(inputs, load_default_stations(),
                                       CoverageConfig(technologies=("5G",)))
    gaps = pipeline.gaps_stage(inputs, coverage, "5G")
    siting = pipeline.siting_stage(inputs, coverage, gaps, budget_sites=3, exact_check=False)
    first = ResultStore(disk_dir=tmp_path)
    for name, value in (("inputs", inputs), ("coverage", coverage), ("gaps", gaps),
                        ("siting", siting)):
        first.get_or_compute((name,), lambda v=value: v, persist=True)
    files = sorted(p.suffix for p in tmp_path.iterdir())
    assert files == [".npz"] * 4

    def boom():
        raise AssertionError("recomputed although cached on disk")

    again = ResultStore(disk_dir=tmp_path)
    for name, value in (("inputs", inputs), ("coverage", coverage), ("gaps", gaps),
                        ("siting", siting)):
        _assert_same(value, again.get_or_compute((name,), boom, persist=True), name)


def test_no_module_of_the_product_unpickles():
    """Issue #12: no pickle/joblib/dill/shelve/torch.load, every np.load refuses pickles."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    bad = re.compile(r"\b(import pickle|from pickle|pickle\.load|joblib|import dill|shelve|"
                     r"torch\.load|cloudpickle|read_pickle)\b")
    offenders = []
    for folder in ("geo", "analysis", "app_ui", "lomsong", "benchmarks"):
        for path in (root / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.name}: {m.group(0)}" for m in bad.finditer(text)]
            for m in re.finditer(r"np\.load\(([^)]*)\)", text):
                if "allow_pickle=False" not in m.group(1):
                    offenders.append(f"{path.name}: {m.group(0)}")
    offenders += [f"app.py: {m.group(0)}" for m in bad.finditer((root / "app.py").read_text())]
    assert offenders == []


def test_a_compressed_member_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "bomb.npz"
    manifest = json.dumps({"format": disk_cache.FORMAT, "value": {"t": "nd", "a": "a0"}}).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(manifest, np.uint8), allow_pickle=False)
        z.writestr("__manifest__.npy", buf.getvalue())
        big = io.BytesIO()
        np.save(big, np.zeros(20_000_000, np.uint8), allow_pickle=False)  # 20 MB → ~20 kB
        z.writestr("a0.npy", big.getvalue())
    assert path.stat().st_size < 200_000
    with pytest.raises(disk_cache.Undecodable, match="unexpected member"):
        disk_cache.load(path)


# ------------------------------------------------------------------ files of older code
@pytest.mark.parametrize("name", ["Coverage", "CoverageConfig", "WindowResult", "MosaicSpec"])
def test_a_class_named_at_the_engines_old_module_path_is_refused(tmp_path, name):
    """geo/coverage.py became the package geo/coverage/: a manifest naming a class by its
    old module ``geo.coverage`` (where it is now only re-exported) is Undecodable — a miss."""
    path = tmp_path / "old.npz"
    _write_manifest(path, {"t": "dc", "module": "geo.coverage", "name": name, "f": {}})
    with pytest.raises(disk_cache.Undecodable, match="not a library dataclass"):
        disk_cache.load(path)


def test_a_stage_cached_by_the_single_module_engine_is_recomputed_not_an_error(tmp_path):
    from geo.coverage import CoverageConfig

    key = ("coverage-config",)
    ResultStore(disk_dir=tmp_path).get_or_compute(key, lambda: CoverageConfig(load=0.3),
                                                  persist=True)
    (path,) = tmp_path.glob("*.npz")
    with np.load(path, allow_pickle=False) as npz:
        members = {k: npz[k] for k in npz.files}
    text = members["__manifest__"].tobytes().decode()
    assert '"module":"geo.coverage.config"' in text  # what this code records
    old = text.replace('"module":"geo.coverage.config"', '"module":"geo.coverage"')
    members["__manifest__"] = np.frombuffer(old.encode(), np.uint8)
    with open(path, "wb") as f:  # the same file as the engine before the split wrote it
        np.savez(f, allow_pickle=False, **members)

    calls = []
    fresh = ResultStore(disk_dir=tmp_path).get_or_compute(
        key, lambda: calls.append(1) or CoverageConfig(load=0.7), persist=True)
    assert calls == [1] and fresh == CoverageConfig(load=0.7)


def test_the_code_fingerprint_covers_modules_of_subpackages(tmp_path, monkeypatch):
    """Editing geo/coverage/engine.py must invalidate the app's disk cache like editing a
    top-level module does (the fingerprint once read geo/*.py only)."""
    from app_ui import state

    engine = tmp_path / "geo" / "coverage" / "engine.py"
    engine.parent.mkdir(parents=True)
    engine.write_text("A = 1\n")
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "x.py").write_text("B = 2\n")
    monkeypatch.setattr(state, "__file__", str(tmp_path / "app_ui" / "state.py"))
    before = state.code_version()
    assert state.code_version() == before
    engine.write_text("A = 10\n")
    assert state.code_version() != before
