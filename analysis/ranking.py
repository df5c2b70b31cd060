"""The gap priority score: people left out, weighted by terrain priority and by cost.

Every component is a column, so a planner can see why gap 3 ranks above gap 4.

.. math::

    \\text{score} = P \\cdot w_{\\text{terrain}} \\cdot
        \\left(\\frac{C_{\\text{ref}}}{C_{\\text{est}}}\\right)^{\\alpha}

with :math:`P` the people left out (``people_uncovered``), :math:`w_{\\text{terrain}}` the
weight of the gap's terrain class (mountain/coastal/island/plain), :math:`C_{\\text{est}}` the
estimated cost in VND of one site closing it (site capex + cheapest backhaul, see
:func:`analysis.siting.backhaul_options`), :math:`C_{\\text{ref}}` a reference cost and
:math:`\\alpha` the cost weight. Neutral weights (all :math:`w = 1`, :math:`\\alpha = 0`) give
score = P: "most people first"; the default weights give mountain, coastal and island
communes priority (:class:`analysis.config.RankingWeights`), and :func:`ranking_change` shows
what that priority moves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.config import RankingWeights

__all__ = ["score_gaps", "ranking_change", "SCORE_COLUMNS"]

SCORE_COLUMNS = ("score_people", "w_terrain", "est_cost_vnd", "w_cost", "score")


def score_gaps(gaps: pd.DataFrame, weights: RankingWeights | None = None) -> pd.DataFrame:
    """Score and rank gaps.

    Parameters
    ----------
    gaps : DataFrame
        With ``gap_id``, ``people_uncovered``, ``terrain`` and, if costs are weighted,
        ``est_cost_vnd`` (missing or NaN → the reference cost, i.e. a neutral cost factor).
    weights : RankingWeights

    Returns
    -------
    A copy with ``score_people, w_terrain, est_cost_vnd, w_cost, score, rank`` added, sorted by
    ``rank`` (1 = highest score; ties broken by more people, then the lower ``gap_id``), so
    ``rank`` is a permutation of 1..n ordered by score.
    """
    weights = weights or RankingWeights()
    out = gaps.copy()
    people = out["people_uncovered"].to_numpy(dtype=np.float64)
    out["score_people"] = people
    out["w_terrain"] = np.array([weights.weight_for(t) for t in out["terrain"]], dtype=np.float64)
    if "est_cost_vnd" in out:
        cost = out["est_cost_vnd"].to_numpy(dtype=np.float64)
    else:
        cost = np.full(len(out), np.nan)
    cost = np.where(np.isfinite(cost) & (cost > 0), cost, weights.ref_cost_vnd)
    out["est_cost_vnd"] = cost
    out["w_cost"] = (weights.ref_cost_vnd / cost) ** float(weights.cost_weight)
    out["score"] = people * out["w_terrain"].to_numpy() * out["w_cost"].to_numpy()
    order = np.lexsort((out["gap_id"].to_numpy(), -people, -out["score"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1, dtype=np.int64)
    return out


def ranking_change(gaps: pd.DataFrame, weights: RankingWeights | None = None,
                   reference: RankingWeights | None = None) -> pd.DataFrame:
    """How the ranking under ``weights`` differs from the one under ``reference``.

    Returns
    -------
    DataFrame ``gap_id, people_uncovered, terrain, rank, rank_neutral, rank_change`` sorted by
    ``rank`` (``rank_change`` > 0: the gap moved up that many places), ``reference`` defaulting
    to :meth:`RankingWeights.neutral`.
    """
    reference = reference or RankingWeights.neutral()
    a = score_gaps(gaps, weights)[["gap_id", "people_uncovered", "terrain", "rank"]]
    b = score_gaps(gaps, reference)[["gap_id", "rank"]].rename(columns={"rank": "rank_neutral"})
    out = a.merge(b, on="gap_id", how="left")
    out["rank_change"] = (out["rank_neutral"] - out["rank"]).astype(np.int64)
    return out.sort_values("rank").reset_index(drop=True)
