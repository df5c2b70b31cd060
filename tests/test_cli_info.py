"""`lomsong info` and `lomsong commune` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from lomsong.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "lomsong.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_info_json_has_the_facts(capsys):
    assert main(["info", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["units"] == 78
    assert d["kinds"] == {"xã": 69, "phường": 8, "đặc khu": 1}
    assert d["population_legal"] == 1_684_985
    assert 1.4e6 < d["population_worldpop"] < 1.55e6
    assert len(d["communes"]) == 78
    for c in d["communes"]:
        assert set(c) >= {"code", "name", "kind", "terrain", "population_legal", "area_km2"}
        assert isinstance(c["code"], str) and len(c["code"]) == 5
        assert c["terrain"] in {"mountain", "coastal", "island", "plain"}
    assert sum(c["population_legal"] for c in d["communes"]) == d["population_legal"]
    assert "dem" in d and d["dem_coarse"] is True


def test_info_text_lists_flags_and_dem(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "78 units (69 xã, 8 phường, 1 đặc khu)" in out
    assert "Bắc Gianh" in out and "implausible" in out
    assert "DEM in use" in out and "coarser than 250 m" in out


def test_commune_json(capsys):
    assert main(["commune", "Minh Hóa", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["code"] == "18901" and d["terrain"] == "mountain"
    assert "Thị trấn Quy Đạt" in d["predecessors"]


def test_unknown_commune_exits_2_with_closest_names():
    r = run_cli("commune", "Minh Hao")
    assert r.returncode == 2
    assert "Minh Hoá" in r.stderr
    assert "Traceback" not in r.stderr


def test_commune_by_former_unit_name(capsys):
    assert main(["commune", "Thị trấn Quy Đạt"]) == 0
    out = capsys.readouterr().out
    assert "former unit Thị trấn Quy Đạt" in out and "Xã Minh Hoá (18901)" in out


# ------------------------------------------------------------------ fast lookups (#12)
_PROBE = ("import sys\nfrom lomsong.cli import main\nrc = main(sys.argv[1:])\n"
          "print('HEAVY' if {'pandas', 'geopandas', 'rasterio', 'numpy'} & set(sys.modules) "
          "else 'LIGHT', file=sys.stderr)\nsys.exit(rc)\n")


def _probe(tmp_path, *args):
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, LOMSONG_CACHE_DIR=str(tmp_path), PYTHONPATH=str(root))
    return subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=root)


def test_a_commune_lookup_answers_without_pandas_once_the_table_is_written(tmp_path):
    first = _probe(tmp_path, "commune", "minh hoa", "--json")
    assert first.returncode == 0 and first.stderr.strip().endswith("HEAVY")  # builds the table
    assert len(list((tmp_path / "lookup").glob("communes-*.json"))) == 1
    for i, args in enumerate((("commune", "minh hoa", "--json"), ("commune", "Thị trấn Quy Đạt"),
                              ("commune", "18901"), ("commune", "Minh Hao"))):
        fast = _probe(tmp_path, *args)
        slow = _probe(tmp_path / f"empty{i}", *args)  # an empty cache: the full path
        assert fast.stderr.strip().endswith("LIGHT"), args
        assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout), args
        assert fast.stderr.replace("LIGHT", "") == slow.stderr.replace("HEAVY", ""), args
    assert json.loads(first.stdout)["code"] == "18901"


def test_a_changed_data_file_is_not_answered_from_an_old_table(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from lomsong.commands import info

    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parent.parent / "data", data)
    monkeypatch.setenv("LOMSONG_DATA_DIR", str(data))
    monkeypatch.setenv("LOMSONG_CACHE_DIR", str(tmp_path / "cache"))
    assert info.fast_commune_dict("minh hoa") is None  # no table yet
    info.commune_dict("minh hoa")
    assert info.fast_commune_dict("minh hoa")["code"] == "18901"
    with open(data / "communes.gpkg", "ab") as f:
        f.write(b"\0")
    assert info.fast_commune_dict("minh hoa") is None  # the full path runs (and says why)
