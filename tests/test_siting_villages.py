"""The villages objective of site proposals (#15): villages newly served, ties by people."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.siting import (
    CandidatePool,
    VillageDemand,
    greedy_select,
    greedy_select_villages,
    villages_served_along,
)


def _pool(costs=(1e9, 1e9, 1e9)):
    people = np.array([100.0, 100.0, 10.0, 10.0, 10.0, 10.0])
    cover = [np.array([0], np.int32), np.array([2, 3, 4, 5], np.int32), np.array([1], np.int32)]
    cands = pd.DataFrame({"cand_id": [0, 1, 2], "cost_vnd": list(costs),
                          "people_reach": [people[c].sum() for c in cover]})
    pool = CandidatePool(cands, cover, people, np.arange(6), float(people.sum()), 0.0, "4G")
    demand = VillageDemand(
        target_village=np.array([0, 0, 1, 1, 2, 2]),
        centre_target=np.array([0, 2, 4]), centre_village=np.array([0, 1, 2]),
        people=np.array([200.0, 20.0, 20.0]), people_covered=np.zeros(3),
        centre_covered=np.zeros(3, dtype=bool),
    )
    return pool, demand


def test_villages_objective_prefers_serving_villages_to_people():
    pool, demand = _pool()
    assert greedy_select(pool, budget_sites=1).order == [0]  # most people: 100
    sel = greedy_select_villages(pool, demand, budget_sites=1)
    assert sel.order == [1] and sel.villages_new == [2] and sel.gains == [40.0]


def test_villages_objective_goes_on_by_people_and_counts_a_village_served_late():
    pool, demand = _pool()
    sel = greedy_select_villages(pool, demand, budget_sites=3)
    # after B, A and C add no village alone (village 0 needs its centre AND 90 % of 200):
    # tie on villages → most people → lowest index (A); then C completes village 0
    assert sel.order == [1, 0, 2]
    assert sel.villages_new == [2, 0, 1]
    assert villages_served_along(pool, demand, [0, 2, 1]) == [0, 1, 2]


def test_a_village_needs_its_centre_not_only_its_people():
    pool, demand = _pool()
    demand = VillageDemand(demand.target_village, np.array([0]), np.array([1]),  # v1's centre: target 0
                           demand.people, demand.people_covered, demand.centre_covered)
    # B covers all of v1's people but not its centre (target 0): v1 is not served by B alone
    assert villages_served_along(pool, demand, [1]) == [0]
    assert villages_served_along(pool, demand, [1, 0]) == [0, 1]


def test_already_served_villages_do_not_count_again():
    pool, demand = _pool()
    demand.people_covered[:] = [0.0, 20.0, 0.0]
    demand.centre_covered[:] = [False, True, False]
    assert villages_served_along(pool, demand, [1]) == [1]  # only village 2 is new


def test_vnd_budget_is_respected_and_ranks_per_vnd():
    pool, demand = _pool(costs=(1e9, 3e9, 1e9))
    sel = greedy_select_villages(pool, demand, budget_vnd=2e9)
    assert 1 not in sel.order  # B unaffordable
    assert sum(sel.costs_vnd) <= 2e9
    assert sel.order == [0, 2] and sel.villages_new == [0, 1]


def test_budget_required():
    pool, demand = _pool()
    with pytest.raises(ValueError, match="budget"):
        greedy_select_villages(pool, demand)


def test_village_demand_maps_centres_and_people_onto_pool_targets():
    import geopandas as gpd
    from shapely.geometry import Point

    from analysis.villages import VillagesOutput, village_demand
    from geo.villages import VillagePeople

    cell_village = np.full((1, 10), -1, dtype=np.int32)
    cell_village[0, [5, 7]] = 0
    cell_village[0, 9] = 1
    table = gpd.GeoDataFrame({"village_id": ["a", "b"], "people": [30.0, 5.0],
                              "people_covered": [10.0, 0.0], "centre_covered": [False, False]},
                             geometry=[Point(0, 0)] * 2, crs="EPSG:4326")
    vo = VillagesOutput(table, VillagePeople(cell_village, np.array([30.0, 5.0]), np.zeros(1),
                                             np.array([35.0])),
                        [np.array([7, 8]), np.array([3])], {})
    pool = CandidatePool(pd.DataFrame({"cost_vnd": []}), [], np.array([1.0, 2.0, 3.0]),
                         np.array([5, 7, 9]), 6.0, 0.0, "4G")
    d = village_demand(pool, vo)
    assert d.target_village.tolist() == [0, 0, 1]
    assert d.centre_target.tolist() == [1] and d.centre_village.tolist() == [0]  # 8 and 3: no target
    assert d.people_covered.tolist() == [10.0, 0.0] and d.share == 0.9
