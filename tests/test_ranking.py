"""The gap priority score: neutral weights = most people first; components shown; ranks sorted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.config import RankingWeights
from analysis.ranking import SCORE_COLUMNS, ranking_change, score_gaps


def _gaps(people, terrain, cost=None):
    df = pd.DataFrame({"gap_id": np.arange(1, len(people) + 1), "people_uncovered": people,
                       "terrain": terrain})
    if cost is not None:
        df["est_cost_vnd"] = cost
    return df


def test_neutral_weights_give_most_people_first():
    g = _gaps([120.0, 900.0, 450.0], ["plain", "mountain", "coastal"], [3e9, 1e9, 2e9])
    out = score_gaps(g, RankingWeights.neutral())
    assert out["gap_id"].tolist() == [2, 3, 1]
    assert (out["score"] == out["people_uncovered"]).all()
    for col in SCORE_COLUMNS:
        assert col in out


def test_known_answer_with_province_weights():
    """score = P × w_terrain × (C_ref / C)^α, computed by hand."""
    w = RankingWeights(terrain_weight={"mountain": 1.5, "plain": 1.0}, cost_weight=0.5, ref_cost_vnd=1e9)
    g = _gaps([400.0, 500.0], ["mountain", "plain"], [4e9, 1e9])
    out = score_gaps(g, w).set_index("gap_id")
    assert out.loc[1, "score"] == pytest.approx(400 * 1.5 * (1 / 4) ** 0.5)  # 300
    assert out.loc[2, "score"] == pytest.approx(500 * 1.0 * 1.0)
    assert out.loc[2, "rank"] == 1 and out.loc[1, "rank"] == 2
    # terrain priority can lift a smaller mountain gap above a larger plain one
    out2 = score_gaps(_gaps([400.0, 500.0], ["mountain", "plain"]),
                      RankingWeights(terrain_weight={"mountain": 1.5}))
    assert out2["gap_id"].tolist() == [1, 2]
    assert out2["w_terrain"].tolist() == [1.5, 1.0]


def test_missing_cost_is_neutral():
    w = RankingWeights(cost_weight=1.0)
    out = score_gaps(_gaps([10.0], ["plain"]), w)
    assert out["w_cost"].iloc[0] == 1.0


@settings(max_examples=50, deadline=None)
@given(
    people=st.lists(st.floats(1, 1e5), min_size=1, max_size=30),
    alpha=st.floats(0, 2),
    wm=st.floats(0.5, 3),
    seed=st.integers(0, 1000),
)
def test_ranks_are_a_permutation_sorted_by_score(people, alpha, wm, seed):
    rng = np.random.default_rng(seed)
    n = len(people)
    terrain = rng.choice(["mountain", "coastal", "island", "plain"], size=n)
    cost = rng.uniform(1e9, 5e9, size=n)
    w = RankingWeights(terrain_weight={"mountain": wm, "coastal": 1.2}, cost_weight=alpha)
    out = score_gaps(_gaps(people, terrain, cost), w)
    assert sorted(out["rank"].tolist()) == list(range(1, n + 1))
    assert out["rank"].tolist() == list(range(1, n + 1))
    assert (np.diff(out["score"].to_numpy()) <= 0).all()
    assert sorted(out["gap_id"].tolist()) == list(range(1, n + 1))


def test_mountain_coastal_island_priority_is_the_default():
    """Issue #14 §5: the default ranks a 400-person mountain gap (×1.5 = 600) above a
    500-person plain gap, and an island gap of 260 (×2 = 520) between them; neutral does not."""
    g = _gaps([500.0, 400.0, 260.0], ["plain", "mountain", "island"])
    default = score_gaps(g)
    assert default["gap_id"].tolist() == [2, 3, 1]
    assert default["score"].tolist() == [600.0, 520.0, 500.0]
    assert default["w_terrain"].tolist() == [1.5, 2.0, 1.0]
    assert default["score_people"].tolist() == [400.0, 260.0, 500.0]  # the component is shown
    assert not RankingWeights().is_neutral and RankingWeights.neutral().is_neutral
    assert score_gaps(g, RankingWeights.neutral())["gap_id"].tolist() == [1, 2, 3]


def test_ranking_change_known_answer():
    g = _gaps([500.0, 400.0, 260.0], ["plain", "mountain", "island"])
    ch = ranking_change(g, RankingWeights(), RankingWeights.neutral()).set_index("gap_id")
    assert ch.loc[2, "rank"] == 1 and ch.loc[2, "rank_neutral"] == 2 and ch.loc[2, "rank_change"] == 1
    assert ch.loc[1, "rank"] == 3 and ch.loc[1, "rank_neutral"] == 1 and ch.loc[1, "rank_change"] == -2
    assert ch.loc[3, "rank_change"] == 1
