"""Before/after: what a new station set changes — people, gaps and villages.

A liaison uploads a revised list; the planner asks how many people it newly covers, whether
anyone loses coverage, and which gaps it closes. Everything is computed on the cells of the
common analysis grid, so the figures add up: ``people_covered_after = people_covered_before +
people_newly_covered − people_no_longer_covered``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["GAP_CLOSED_SHARE", "compare_coverage", "compare_villages", "gap_closure"]

# A gap counts as closed when at least this share of its people is covered afterwards
# (a new site rarely reaches every last house of a hamlet at the edge of its cell).
GAP_CLOSED_SHARE = 0.9


def gap_closure(
    labels_before: np.ndarray, population: np.ndarray, covered_after: np.ndarray,
    gap_ids: np.ndarray | None = None, closed_share: float = GAP_CLOSED_SHARE,
) -> pd.DataFrame:
    """Share of each earlier gap's people that the later coverage reaches.

    Parameters
    ----------
    labels_before : int array
        Gap index (0..n−1, −1 none) of each cell, from :class:`analysis.gaps.GapResult`.
    population : float array
        People per cell (same grid).
    covered_after : bool array
        Coverage of the later station set.
    gap_ids : array, optional
        ``gap_id`` of gap index ``i`` (default ``i + 1``).

    Returns
    -------
    DataFrame ``gap_id, people, people_covered_after, share_covered_after, closed``.
    """
    if not (labels_before.shape == population.shape == covered_after.shape):
        msg = (f"Arrays must share the grid: labels {labels_before.shape}, population "
               f"{population.shape}, covered {covered_after.shape}.")
        raise ValueError(msg)
    n = int(labels_before.max()) + 1 if labels_before.size and labels_before.max() >= 0 else 0
    inside = labels_before >= 0
    lab = labels_before[inside]
    pop = np.nan_to_num(population[inside].astype("float64"))
    people = np.bincount(lab, weights=pop, minlength=n)
    reached = np.bincount(lab, weights=pop * covered_after[inside], minlength=n)
    share = np.divide(reached, people, out=np.zeros(n), where=people > 0)
    ids = np.arange(1, n + 1) if gap_ids is None else np.asarray(gap_ids)
    return pd.DataFrame({
        "gap_id": ids,
        "people": people,
        "people_covered_after": reached,
        "share_covered_after": share,
        "closed": share >= closed_share,
    })


def compare_villages(villages, population: np.ndarray, covered_before: np.ndarray,
                     covered_after: np.ndarray) -> dict:
    """Villages served (status ``covered`` by the ministry's criterion) before and after.

    Parameters
    ----------
    villages : analysis.villages.VillagesOutput
        The village table of either run (the village points, people and cells do not depend on
        the stations, only their status does).
    population, covered_before, covered_after : arrays on the common grid

    Returns
    -------
    dict ``villages_total, villages_served_before, villages_served_after,
    villages_newly_served, villages_no_longer_served, villages_no_signal_before,
    villages_no_signal_after, villages_newly_served_ids`` (``served_after = served_before +
    newly_served − no_longer_served``).
    """
    from analysis.villages import village_status

    before = village_status(None, villages.centres, villages.people, population, covered_before)
    after = village_status(None, villages.centres, villages.people, population, covered_after)
    sb = before["status"].to_numpy() == "covered"
    sa = after["status"].to_numpy() == "covered"
    ids = villages.table["village_id"].astype(str).to_numpy()
    return {
        "villages_total": int(len(ids)),
        "villages_served_before": int(sb.sum()),
        "villages_served_after": int(sa.sum()),
        "villages_newly_served": int((sa & ~sb).sum()),
        "villages_no_longer_served": int((sb & ~sa).sum()),
        "villages_no_signal_before": int((before["status"] == "no_signal").sum()),
        "villages_no_signal_after": int((after["status"] == "no_signal").sum()),
        "villages_newly_served_ids": ids[sa & ~sb].tolist(),
    }


def compare_coverage(
    population: np.ndarray, covered_before: np.ndarray, covered_after: np.ndarray,
    labels_before: np.ndarray | None = None, gaps_after: int | None = None,
    closed_share: float = GAP_CLOSED_SHARE, villages=None,
) -> dict:
    """People newly covered / no longer covered, and gaps closed, between two runs.

    ``population`` should be zero outside the area of interest (the province). With
    ``villages`` (an :class:`analysis.villages.VillagesOutput`) the result also has the
    :func:`compare_villages` figures.
    """
    pop = np.nan_to_num(population.astype("float64"))
    newly = float(pop[covered_after & ~covered_before].sum())
    lost = float(pop[covered_before & ~covered_after].sum())
    out = {
        "people_covered_before": float(pop[covered_before].sum()),
        "people_covered_after": float(pop[covered_after].sum()),
        "people_newly_covered": newly,
        "people_no_longer_covered": lost,
    }
    if labels_before is not None:
        table = gap_closure(labels_before, pop, covered_after, closed_share=closed_share)
        out["gaps_before"] = len(table)
        out["gaps_closed"] = int(table["closed"].sum())
        out["gaps_closed_ids"] = table.loc[table["closed"], "gap_id"].astype(int).tolist()
    if gaps_after is not None:
        out["gaps_after"] = int(gaps_after)
    if villages is not None:
        out.update(compare_villages(villages, pop, covered_before, covered_after))
    return out
