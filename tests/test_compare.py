"""Before/after comparison: the figures add up and gaps close when their people are reached."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.compare import compare_coverage, compare_villages, gap_closure


def test_known_answer_small_grid():
    pop = np.array([[10, 0, 5], [1, 2, 3]], dtype=float)
    before = np.array([[True, False, False], [False, True, False]])
    after = np.array([[True, True, True], [False, False, False]])
    labels = np.array([[-1, -1, 0], [1, -1, 1]])
    d = compare_coverage(pop, before, after, labels)
    assert d["people_newly_covered"] == 5  # cell (0, 2); cell (0, 1) has no people
    assert d["people_no_longer_covered"] == 2
    assert d["people_covered_after"] == d["people_covered_before"] + 5 - 2
    assert d["gaps_before"] == 2 and d["gaps_closed"] == 1 and d["gaps_closed_ids"] == [1]


def test_gap_closed_at_the_share():
    pop = np.array([[9.0, 1.0]])
    labels = np.array([[0, 0]])
    t = gap_closure(labels, pop, np.array([[True, False]]))
    assert t["share_covered_after"].item() == pytest.approx(0.9) and bool(t["closed"].item())
    t = gap_closure(labels, pop, np.array([[True, False]]), closed_share=0.95)
    assert not bool(t["closed"].item())


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="share the grid"):
        gap_closure(np.zeros((2, 2), int), np.zeros((2, 3)), np.zeros((2, 2), bool))


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (6, 7), elements=st.floats(0, 100)),
       arrays(np.bool_, (6, 7)), arrays(np.bool_, (6, 7)))
def test_balance_always_holds(pop, before, after):
    d = compare_coverage(pop, before, after)
    assert d["people_covered_after"] == pytest.approx(
        d["people_covered_before"] + d["people_newly_covered"] - d["people_no_longer_covered"])
    assert compare_coverage(pop, before, before)["people_newly_covered"] == 0


def test_villages_newly_served_known_answer():
    # three villages on a 1-row grid: V0 served before and after, V1 served only after,
    # V2 (centre covered, 1 of 4 people) partial → covered after; V3 loses its signal
    import geopandas as gpd
    from shapely.geometry import Point

    from analysis.villages import VillagesOutput
    from geo.villages import VillagePeople

    pop = np.array([[10.0, 10.0, 1.0, 3.0, 5.0]])
    cell_village = np.array([[0, 1, 2, 2, 3]], dtype=np.int32)
    people = VillagePeople(cell_village, np.array([10.0, 10.0, 4.0, 5.0]), np.zeros(1), np.array([29.0]))
    centres = [np.array([0]), np.array([1]), np.array([2]), np.array([4])]
    table = gpd.GeoDataFrame({"village_id": ["a", "b", "c", "d"]}, geometry=[Point(0, 0)] * 4,
                             crs="EPSG:4326")
    v = VillagesOutput(table=table, people=people, centres=centres, summary={})
    before = np.array([[True, False, True, False, True]])
    after = np.array([[True, True, True, True, False]])
    out = compare_villages(v, pop, before, after)
    assert out == {
        "villages_total": 4, "villages_served_before": 2, "villages_served_after": 3,
        "villages_newly_served": 2, "villages_no_longer_served": 1,
        "villages_no_signal_before": 1, "villages_no_signal_after": 1,
        "villages_newly_served_ids": ["b", "c"],
    }
    full = compare_coverage(pop, before, after, villages=v)
    assert full["villages_newly_served"] == 2
    assert full["villages_served_after"] == full["villages_served_before"] + 2 - 1
