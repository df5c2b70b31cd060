"""Gap cells, DBSCAN clusters, gap polygons and the per-commune table, on synthetic grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.config import GapConfig
from analysis.gaps import cell_xy, cluster_gap_cells, commune_table, find_gaps, gap_mask
from tests._analysis_helpers import (
    blob_population,
    commune_ids,
    disk_coverage,
    strip_communes,
    tiny_grid,
)


def _communes_df(grid, n=3):
    return pd.DataFrame(strip_communes(grid, n).drop(columns="geometry"))


def test_gap_mask_known_answer():
    pop = np.array([[0.0, 0.5, 2.0], [3.0, 3.0, 3.0]])
    covered = np.array([[False, False, False], [True, False, False]])
    cid = np.array([[0, 0, 0], [0, 0, -1]])
    m = gap_mask(pop, covered, cid, min_people_per_cell=1.0)
    # 0 people: no; 0.5 < 1: no; 2 uncovered: yes; covered: no; 3 uncovered: yes; outside: no
    assert m.tolist() == [[False, False, True], [False, True, False]]


def test_cell_threshold_from_density():
    assert GapConfig(min_density_per_km2=10).cell_threshold(100 * 100) == pytest.approx(0.1)
    assert GapConfig(min_people_per_cell=3).cell_threshold(100 * 100) == 3.0


def test_two_blobs_two_gaps_ordered_by_people():
    grid = tiny_grid(40, 60)
    pop = blob_population(grid, [(10, 10), (30, 48)], [300.0, 800.0], sigma_cells=2.0)
    covered = np.zeros(grid.shape, dtype=bool)
    cid = commune_ids(grid, 3)
    res = find_gaps(grid, pop, covered, cid, _communes_df(grid), GapConfig(min_people_per_cell=0.5))
    gaps = res.gaps
    assert len(gaps) == 2
    assert gaps["gap_id"].tolist() == [1, 2]
    # gap 1 holds the 800-people blob, in the third strip (Xã C, plain); cells < 0.5 are left out
    assert gaps["people_uncovered"].iloc[0] == pytest.approx(800, rel=0.02)
    assert gaps["people_uncovered"].iloc[1] == pytest.approx(300, rel=0.05)
    assert gaps["communes"].iloc[0] == "Xã C"
    assert gaps["terrain"].iloc[0] == "plain"
    assert gaps["terrain"].iloc[1] == "mountain"
    # the people of clusters + scattered = people in gap cells
    pop_gap = float(pop[res.mask].astype(np.float64).sum())
    assert gaps["people_uncovered"].sum() + res.people_scattered == pytest.approx(pop_gap, rel=1e-9)
    # area = cells × 0.01 km²
    assert (gaps["area_km2"] == gaps["cells"] * 0.01).all()


def test_weighted_core_known_answer():
    """A single cell of 60 people is a core (60 ≥ 50); a single cell of 10 people is scattered."""
    grid = tiny_grid(30, 30)
    pop = np.zeros(grid.shape, dtype=np.float32)
    pop[5, 5] = 60.0
    pop[25, 25] = 10.0
    labels = cluster_gap_cells(pop > 0, pop, grid, GapConfig(eps_km=0.5, min_people=50))
    assert labels[5, 5] == 0
    assert labels[25, 25] == -1
    assert (labels >= 0).sum() == 1


def test_cells_within_eps_chain_into_one_gap():
    """Cells 400 m apart with eps 500 m join; a cell 1.2 km from the rest stays apart."""
    grid = tiny_grid(10, 40)
    pop = np.zeros(grid.shape, dtype=np.float32)
    for c in (2, 6, 10, 14):
        pop[5, c] = 30.0
    pop[5, 26] = 80.0
    labels = cluster_gap_cells(pop > 0, pop, grid, GapConfig(eps_km=0.5, min_people=50, pool_fraction=0))
    chain = {int(labels[5, c]) for c in (2, 6, 10, 14)}
    assert len(chain) == 1 and -1 not in chain
    assert labels[5, 26] not in chain and labels[5, 26] >= 0
    # label 0 is the larger group (120 people) ahead of the single 80-people cell
    assert chain == {0}


def test_pooling_keeps_well_separated_clusters():
    grid = tiny_grid(60, 60, 50.0)
    pop = blob_population(grid, [(12, 12), (45, 45)], [400.0, 200.0], sigma_cells=3)
    mask = pop > 0.05
    a = cluster_gap_cells(mask, pop, grid, GapConfig(eps_km=0.4, min_people=30, pool_fraction=0))
    b = cluster_gap_cells(mask, pop, grid, GapConfig(eps_km=0.4, min_people=30, pool_fraction=0.5))
    assert a.max() == b.max() == 1
    both = (a >= 0) & (b >= 0)
    assert (a[both] == b[both]).all()


def test_hdbscan_option_runs_and_drops_small_clusters():
    grid = tiny_grid(40, 60)
    pop = blob_population(grid, [(10, 10), (30, 48)], [300.0, 20.0], sigma_cells=2.0)
    labels = cluster_gap_cells(pop > 0.2, pop, grid, GapConfig(method="hdbscan", min_people=50))
    assert labels.max() == 0  # the 20-people blob is dropped
    assert labels[10, 10] == 0


def test_polygons_contain_their_cells_and_are_valid():
    grid = tiny_grid(40, 60)
    pop = blob_population(grid, [(10, 10), (30, 48)], [300.0, 800.0], sigma_cells=2.5)
    res = find_gaps(grid, pop, np.zeros(grid.shape, bool), commune_ids(grid), _communes_df(grid),
                    GapConfig(min_people_per_cell=0.5))
    for i, geom in enumerate(res.gaps.geometry):
        assert geom.is_valid
        flat = np.flatnonzero(res.labels.ravel() == i)
        x, y = cell_xy(grid, flat)
        inside = shapely.contains_xy(geom.buffer(grid.resolution_m * 0.3), x, y)
        assert inside.all()
    # the gap's centre lies in one of its own cells
    r, c = grid.rowcol(res.gaps["x"].to_numpy(), res.gaps["y"].to_numpy())
    assert (res.labels[r, c] == np.arange(len(res.gaps))).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cover_share=st.floats(0.0, 0.9))
def test_no_gap_cell_is_covered_and_people_are_conserved(seed, cover_share):
    rng = np.random.default_rng(seed)
    grid = tiny_grid(20, 30)
    pop = (rng.random(grid.shape) ** 3 * 40).astype(np.float32)
    covered = rng.random(grid.shape) < cover_share
    cid = commune_ids(grid)
    cid[:2, :] = -1  # a strip outside every commune
    communes = _communes_df(grid)
    cfg = GapConfig(min_people_per_cell=1.0, eps_km=0.3, min_people=30)
    res = find_gaps(grid, pop, covered, cid, communes, cfg)
    assert not (res.mask & covered).any()
    assert not ((res.labels >= 0) & covered).any()
    assert not ((res.labels >= 0) & (cid < 0)).any()
    table = commune_table(pop, covered, cid, communes, res.labels, cfg)
    s = table["people_covered"] + table["people_uncovered"]
    np.testing.assert_allclose(s, table["people_total"], rtol=0.005)
    total_inside = float(pop[cid >= 0].sum())
    assert table["people_total"].sum() == pytest.approx(total_inside, rel=0.005)
    assert table["people_in_gaps"].sum() == pytest.approx(res.gaps["people_uncovered"].sum(), rel=1e-6)


def test_commune_table_lom_song_rule():
    grid = tiny_grid(40, 60)
    # strip A: a 300-people pocket (flag by pocket); strip B: 30 % of people uncovered, scattered
    # thinly (flag by share); strip C: fully covered (no flag)
    pop = blob_population(grid, [(10, 10)], [300.0], sigma_cells=2.0, floor=0.0)
    pop[:, 20:40] = 1.0
    pop[:, 40:] = 2.0
    covered = np.zeros(grid.shape, dtype=bool)
    covered[:, 40:] = True
    covered[:, 20:40] = True
    covered[::3, 20:40] = False  # every third row of strip B uncovered: 14/40 = 35 %
    covered[:, :20] |= pop[:, :20] < 0.5  # strip A: only the pocket uncovered ...
    pop[:, :20] += np.where(covered[:, :20], 5.0, 0.0)  # ... among 4,000 covered people (7 %)
    cid = commune_ids(grid)
    cfg = GapConfig(min_people_per_cell=0.5, eps_km=0.3, min_people=100)
    res = find_gaps(grid, pop, covered, cid, _communes_df(grid), cfg)
    t = commune_table(pop, covered, cid, _communes_df(grid), res.labels, cfg)
    assert t["lom_song"].tolist() == [True, True, False]
    assert "gap" in t["lom_song_reason"].iloc[0]
    assert "uncovered" not in t["lom_song_reason"].iloc[0]
    assert "uncovered" in t["lom_song_reason"].iloc[1] and "gap" not in t["lom_song_reason"].iloc[1]
    assert t["largest_gap_id"].iloc[0] == 1
    assert t["share_covered"].iloc[2] == pytest.approx(1.0)
    assert t["share_uncovered"].iloc[1] == pytest.approx(14 / 40)


def test_disk_coverage_leaves_a_ring_gap():
    grid = tiny_grid(40, 60)
    pop = blob_population(grid, [(20, 30)], [1000.0], sigma_cells=6.0)
    cov = disk_coverage(grid, [(grid.xmin + 3000, grid.ymin + 2000)], 600.0)
    res = find_gaps(grid, pop, cov.covered("4G"), commune_ids(grid), _communes_df(grid),
                    GapConfig(min_people_per_cell=0.5, eps_km=0.3, min_people=50))
    assert len(res.gaps) >= 1
    assert not ((res.labels >= 0) & cov.covered("4G")).any()


def test_uncovered_people_below_the_floor_are_counted_known_answer():
    # issue #19: the uncovered people in cells under the populated floor were in no field
    grid = tiny_grid(10, 10)
    pop = np.zeros(grid.shape)
    pop[2, 2:5] = 30.0   # 90 dense uncovered people: a gap (floor 1 person/cell, min 50)
    pop[8, 8] = 5.0      # dense but alone: scattered
    pop[0, 9] = 0.4      # under the floor, uncovered
    pop[9, 0] = 0.3      # under the floor, uncovered
    pop[5, 5] = 0.7      # under the floor but covered: not counted
    covered = np.zeros(grid.shape, dtype=bool)
    covered[5, 5] = True
    cid = np.zeros(grid.shape, dtype=np.int32)
    cfg = GapConfig(min_people_per_cell=1.0, eps_km=0.15, min_people=50)
    res = find_gaps(grid, pop, covered, cid, pd.DataFrame({"name": ["A"], "code": ["1"]}), cfg)
    assert res.gaps["people_uncovered"].sum() == pytest.approx(90.0)
    assert res.people_scattered == pytest.approx(5.0)
    assert res.people_below_floor == pytest.approx(0.7)
    uncovered = pop[~covered].sum()
    assert res.gaps["people_uncovered"].sum() + res.people_scattered + res.people_below_floor \
        == pytest.approx(uncovered)


def test_hdbscan_weights_people_not_cells():
    # issue #19: HDBSCAN ignored the people and needed 5 cells (hard-coded) to make a cluster:
    # a 4-cell hamlet of 400 people was noise. Weighted, it is a gap; 30 light cells are not.
    grid = tiny_grid(40, 40)
    pop = np.zeros(grid.shape)
    pop[5, 5:7] = 100.0
    pop[6, 5:7] = 100.0          # 4 cells, 400 people
    pop[30:33, 25:35] = 1.0      # 30 cells, 30 people (< min_people)
    mask = pop > 0
    cfg = GapConfig(min_people_per_cell=0.5, min_people=50, method="hdbscan", pool_fraction=0)
    labels = cluster_gap_cells(mask, pop, grid, cfg)
    assert (labels[5:7, 5:7] == 0).all()
    assert labels.max() == 0
    assert (labels[30:33, 25:35] == -1).all()
