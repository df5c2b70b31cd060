"""Operators: names, selection, and people served by no / one operator (#14 §2)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from analysis.operators import (
    canonical_operator,
    operator_commune_columns,
    operator_summary,
    parse_operators,
    select_operators,
)
from analysis.pipeline import other_operator_masts


def _stations():
    return gpd.GeoDataFrame(
        {"station_id": ["a", "b", "c", "d"], "mast_id": ["M1", "M1", "M2", "M3"],
         "operator": ["Viettel", "VinaPhone", "MobiFone", None], "technology": ["4G"] * 4,
         "height_m": [30.0, 30.0, 40.0, 30.0]},
        geometry=[Point(106.9, 17.0), Point(106.9, 17.0), Point(107.0, 17.1), Point(107.1, 17.2)],
        crs="EPSG:4326")


def test_names_and_aliases():
    assert canonical_operator("vinaphone") == "VNPT" and canonical_operator(" VNPT ") == "VNPT"
    assert canonical_operator("MOBIFONE") == "MobiFone" and canonical_operator(None) == "unknown"
    assert canonical_operator("Acme") == "Acme"
    assert parse_operators("VNPT, viettel") == ("VNPT", "Viettel")
    assert parse_operators("") is None and parse_operators(None) is None


def test_select_operators_and_a_clear_error():
    st = _stations()
    assert select_operators(st, "vnpt")["station_id"].tolist() == ["b"]
    assert len(select_operators(st, None)) == 4
    with pytest.raises(ValueError, match="present: MobiFone, VNPT, Viettel, unknown"):
        select_operators(st, "Gmobile")


def test_other_operator_masts_leave_out_masts_the_operator_is_on():
    st = _stations()
    masts = other_operator_masts(st, select_operators(st, "VNPT"))
    # M1 already carries VNPT: not a co-location candidate
    assert masts["mast_id"].tolist() == ["M2", "M3"]
    assert masts["operator"].tolist() == ["MobiFone", "unknown"]
    assert masts["height_m"].tolist() == [40.0, 30.0]


def test_served_by_no_and_one_operator_known_answer():
    # 2×3 grid, people 1..6; A covers the top row, B the first column
    pop = np.arange(1, 7, dtype=float).reshape(2, 3)
    a = np.array([[True, True, True], [False, False, False]])
    b = np.array([[True, False, False], [True, False, False]])
    inside = np.ones((2, 3), bool)
    s = operator_summary({"A": a, "B": b}, pop, inside, 0.01)
    assert s["by_operator"]["A"] == {"people_covered": 6.0, "share_covered": round(6 / 21, 4),
                                     "area_covered_km2": 0.0}
    assert s["by_operator"]["B"]["people_covered"] == 5.0
    # none: cells 5, 6 → 11; only one: 2, 3 (A) and 4 (B) → 9; both: 1
    assert s["people_no_operator"] == 11.0 and s["people_one_operator"] == 9.0
    cid = np.array([[0, 0, 1], [1, 1, 1]])
    cols = operator_commune_columns({"A": a, "B": b}, pop, cid, 2)
    assert cols["people_covered_A"].tolist() == [3.0, 3.0]
    assert cols["people_covered_B"].tolist() == [1.0, 4.0]
    assert cols["people_no_operator"].tolist() == [0.0, 11.0]
    assert cols["people_one_operator"].tolist() == [2.0, 7.0]


def test_no_operator_named_gives_no_one_operator_count():
    pop = np.ones((1, 2))
    s = operator_summary({"unknown": np.array([[True, False]])}, pop, np.ones((1, 2), bool), 1.0)
    assert s["people_one_operator"] is None and s["people_no_operator"] == 1.0
