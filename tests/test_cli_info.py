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
