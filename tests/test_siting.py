"""Site proposals: lazy greedy vs brute force and the spopt MCLP, costs, candidates, invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis.config import CostConfig, GapConfig, SiteSpec, SitingConfig
from analysis.gaps import find_gaps
from analysis.siting import (
    EARTH_RADIUS_M,
    K_FACTOR,
    FiberAccess,
    backhaul_options,
    build_pool,
    exact_budgeted,
    exact_mclp,
    generate_candidates,
    greedy_select,
    los_clear,
    merged_demands,
    proposals_table,
    selection_guarantee,
)
from tests._analysis_helpers import (
    blob_population,
    commune_ids,
    disk_coverage,
    make_disk_window,
    random_pool,
    strip_communes,
    tiny_grid,
)

ONE_MINUS_INV_E = 1 - 1 / np.e


def _covered_people(pool, chosen):
    done = np.zeros(pool.target_people.size, bool)
    for j in chosen:
        done[pool.cover[j]] = True
    return float(pool.target_people[done].sum())


def _brute_force(pool, k):
    return max(_covered_people(pool, c) for c in itertools.combinations(range(len(pool.cover)), k))


def _naive_greedy(pool, k):
    done = np.zeros(pool.target_people.size, bool)
    out = []
    for _ in range(k):
        gains = [pool.target_people[c[~done[c]]].sum() for c in pool.cover]
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        out.append(j)
        done[pool.cover[j]] = True
    return out


@pytest.mark.parametrize("seed", range(12))
def test_greedy_reaches_one_minus_inv_e_of_brute_force(seed):
    rng = np.random.default_rng(seed)
    pool = random_pool(rng, n_cand=9, n_targets=40, p_cover=0.25)
    for k in (1, 2, 3):
        sel = greedy_select(pool, budget_sites=k)
        opt = _brute_force(pool, k)
        assert sel.people_new >= ONE_MINUS_INV_E * opt - 1e-9
        assert sel.people_new <= opt + 1e-9
        assert sel.people_new == pytest.approx(_covered_people(pool, sel.order))


@pytest.mark.parametrize("seed", range(6))
def test_lazy_greedy_equals_plain_greedy(seed):
    rng = np.random.default_rng(100 + seed)
    pool = random_pool(rng, n_cand=25, n_targets=200, p_cover=0.1)
    sel = greedy_select(pool, budget_sites=8)
    assert sel.order == _naive_greedy(pool, 8)
    assert (np.diff(sel.gains) <= 1e-9).all()  # submodular: gains never grow


@pytest.mark.parametrize("seed", range(4))
def test_exact_mclp_matches_brute_force_and_bounds_greedy(seed):
    rng = np.random.default_rng(200 + seed)
    pool = random_pool(rng, n_cand=8, n_targets=30, p_cover=0.3)
    k = 3
    people, chosen = exact_mclp(pool, k)
    assert len(chosen) <= k
    assert people == pytest.approx(_brute_force(pool, k))
    assert greedy_select(pool, budget_sites=k).people_new >= ONE_MINUS_INV_E * people - 1e-9


def test_budget_in_vnd_is_respected_and_prefers_cheap_people():
    rng = np.random.default_rng(7)
    costs = rng.uniform(1e9, 3e9, size=15)
    pool = random_pool(rng, n_cand=15, n_targets=100, p_cover=0.15, costs=costs)
    budget = 5e9
    sel = greedy_select(pool, budget_vnd=budget)
    assert sum(sel.costs_vnd) <= budget
    assert sel.people_new > 0
    # both budgets: the tighter binds
    sel2 = greedy_select(pool, budget_sites=1, budget_vnd=budget)
    assert len(sel2.order) == 1


def test_budget_required():
    with pytest.raises(ValueError, match="budget"):
        greedy_select(random_pool(np.random.default_rng(0), 3, 5), None, None)


def test_los_clear_earth_bulge_known_answer():
    """Flat ground, two 10 m masts 30 km apart: mid-path bulge = 15 km·15 km/(2·k·R) ≈ 13.2 m > 10 m."""
    grid = tiny_grid(10, 400, 100.0)
    bulge = 15_000 * 15_000 / (2 * K_FACTOR * EARTH_RADIUS_M)
    assert bulge == pytest.approx(13.245, abs=0.01)
    x0, y = grid.xmin + 2_000, grid.ymin + 500
    assert not los_clear(None, grid, x0, y, 10, x0 + 30_000, y, 10)
    assert los_clear(None, grid, x0, y, 20, x0 + 30_000, y, 20)


def test_los_blocked_by_a_ridge():
    grid = tiny_grid(10, 100, 100.0)
    dem = np.zeros(grid.shape, dtype=np.float32)
    dem[:, 50] = 200.0
    y = grid.ymin + 500
    assert not los_clear(dem, grid, grid.xmin + 1000, y, 40, grid.xmin + 9000, y, 30)
    assert los_clear(dem * 0.1, grid, grid.xmin + 1000, y, 40, grid.xmin + 9000, y, 30)


def test_backhaul_options_known_answers():
    grid = tiny_grid(10, 300, 100.0)
    costs = CostConfig(fiber_per_km_vnd=80e6, fiber_max_km=10, microwave_hop_vnd=300e6,
                       microwave_max_km=15, satellite_vnd=500e6)
    xs, _ = grid.cell_centres()
    node = np.array([[grid.xmin + 50, grid.ymin + 450]])
    dist_km = np.broadcast_to(np.abs(xs - node[0, 0]) / 1000, grid.shape).astype(np.float32)
    fiber = FiberAccess(distance_km=dist_km, nodes_xy=node)
    y = grid.ymin + 450
    pts_x = grid.xmin + 50 + np.array([2_000.0, 8_000.0, 20_000.0])
    out = backhaul_options(pts_x, np.full(3, y), grid, None, fiber, costs, 40)
    # 2 km of fiber = 160 M < 300 M microwave
    assert out["backhaul"].iloc[0] == "fiber"
    assert out["backhaul_cost_vnd"].iloc[0] == pytest.approx(2 * 80e6)
    # 8 km fiber = 640 M; a 8 km microwave hop in line of sight = 300 M
    assert out["backhaul"].iloc[1] == "microwave"
    assert out["backhaul_km"].iloc[1] == pytest.approx(8.0)
    # 20 km: beyond fiber and microwave range → satellite
    assert out["backhaul"].iloc[2] == "satellite"
    assert out["backhaul_cost_vnd"].iloc[2] == 500e6
    # a ridge between site 2 and the node blocks the hop → satellite (fiber 640 M is dearer)
    dem = np.zeros(grid.shape, dtype=np.float32)
    dem[:, 40] = 500.0
    out2 = backhaul_options(pts_x[1:2], np.full(1, y), grid, dem, fiber, costs, 40)
    assert out2["backhaul"].iloc[0] == "satellite"


def _scene():
    """Three villages, one existing station covering the first; a hill beside the second."""
    grid = tiny_grid(60, 90, 100.0)
    pop = blob_population(grid, [(15, 15), (40, 45), (20, 75)], [600.0, 900.0, 400.0], 2.5)
    st_xy = [(grid.xmin + 1550, grid.ymax - 1550)]
    cov = disk_coverage(grid, st_xy, 800.0)
    dem = np.zeros(grid.shape, dtype=np.float32)
    rr, cc = np.mgrid[0:60, 0:90]
    dem += 300 * np.exp(-((rr - 44) ** 2 + (cc - 50) ** 2) / 30.0)
    communes = strip_communes(grid, 3)
    cid = commune_ids(grid, 3)
    cdf = pd.DataFrame(communes.drop(columns="geometry"))
    res = find_gaps(grid, pop, cov.covered("4G"), cid, cdf,
                    GapConfig(min_people_per_cell=0.5, eps_km=0.4, min_people=50), dem)
    return grid, pop, cov, dem, cid, cdf, res


def test_candidates_include_hill_tops_centres_and_user_points():
    grid, pop, cov, dem, cid, cdf, res = _scene()
    user = pd.DataFrame({"lon": grid.to_lonlat(np.array([grid.xmin + 4550.0]), np.array([grid.ymax - 550.0]))[0],
                         "lat": grid.to_lonlat(np.array([grid.xmin + 4550.0]), np.array([grid.ymax - 550.0]))[1],
                         "name": ["mast of another operator"]})
    cands = generate_candidates(grid, res.labels, res.gaps, cid, dem, SitingConfig(), user,
                                population=pop)
    assert set(cands["source"]) >= {"centre", "maximum", "user", "village"}
    # village peaks lie in gap cells
    v = cands[cands["source"] == "village"]
    assert (res.labels[v["row"], v["col"]] >= 0).all()
    top = cands[cands["source"] == "maximum"]
    assert ((top["row"] == 44) & (top["col"] == 50)).any()  # the hill top
    assert cands["source"].iloc[0] == "user"
    assert not cands.duplicated(["row", "col"]).any()


def test_adding_proposed_sites_never_increases_uncovered_people():
    grid, pop, cov, dem, cid, cdf, res = _scene()
    cands = generate_candidates(grid, res.labels, res.gaps, cid, dem, SitingConfig())
    radius = 700.0
    pool = build_pool(grid, cands, pop, cov.covered("4G"), cid, cdf, "4G", None, dem, None,
                      SitingConfig(site=SiteSpec(height_m=40)), CostConfig(),
                      rsrp_window=make_disk_window(radius))
    sel = greedy_select(pool, budget_sites=3)
    props, curve = proposals_table(pool, sel, grid)
    assert props["rank"].tolist() == list(range(1, len(props) + 1))
    assert (curve["people_covered"].diff().dropna() >= 0).all()
    # recompute coverage with existing + proposed sites: uncovered falls step by step, by people_new
    inside = cid >= 0
    st_xy = [(grid.xmin + 1550, grid.ymax - 1550)]
    before = float(pop[inside & ~cov.covered("4G")].astype(float).sum())
    prev = before
    for k in range(1, len(sel.order) + 1):
        xy = st_xy + [tuple(pool.candidates.loc[j, ["x", "y"]]) for j in sel.order[:k]]
        covered = disk_coverage(grid, st_xy, 800.0).covered("4G")
        covered |= disk_coverage(grid, xy[1:], radius).covered("4G")
        unc = float(pop[inside & ~covered].astype(float).sum())
        assert unc <= prev + 1e-6
        assert before - unc == pytest.approx(props["people_cum"].iloc[k - 1], rel=1e-6)
        prev = unc
    assert props["share_covered_after"].is_monotonic_increasing
    # cost sums: capex = site + backhaul + power; the budget spends capex; 10 years add opex
    assert np.allclose(props["capex_vnd"],
                       props["site_capex_vnd"] + props["backhaul_cost_vnd"] + props["power_capex_vnd"])
    assert (props["cost_vnd"] == props["capex_vnd"]).all()
    assert np.allclose(props["cost_10y_vnd"], props["capex_vnd"] + props["opex_10y_vnd"])
    assert set(props["kind"]) == {"new_site"} and set(props["power"]) <= {"grid", "solar_hybrid"}


def test_candidate_whose_uplink_fails_covers_nothing():
    """Issue 16 rule in the pool: at −100 dBm the downlink closes (threshold −115 dBm); with a
    23 dBm UE the uplink closes too (RSRP needed ≈ −111.9 dBm), with a −10 dBm UE it does not
    (≈ −78.9 dBm), so the candidate covers nothing; the old RSRP-only rule counted every target
    in its disk either way."""
    from geo.coverage import CoverageConfig, station_covered_window

    grid, pop, cov, dem, cid, cdf, res = _scene()
    cands = generate_candidates(grid, res.labels, res.gaps, cid, dem, SitingConfig())
    disk = make_disk_window(700.0, level_dbm=-100.0)
    args = (grid, cands, pop, cov.covered("4G"), cid, cdf, "4G")
    dl_only = CoverageConfig(uplink=False)
    both = CoverageConfig()
    weak_ue = CoverageConfig(ue_power_dbm=-10.0)
    assert weak_ue.covered_threshold_dbm("4G") <= -100.0  # the downlink alone closes
    pool_dl = build_pool(*args, dl_only, dem, rsrp_window=disk)
    pool_ul = build_pool(*args, weak_ue, dem, rsrp_window=disk)
    pool_both = build_pool(*args, both, dem, rsrp_window=disk)
    assert pool_dl.candidates["people_reach"].sum() > 0
    for a, b in zip(pool_dl.cover, pool_both.cover, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(len(c) == 0 for c in pool_ul.cover)
    assert (pool_ul.candidates["people_reach"] == 0).all()
    assert pool_dl.key != pool_ul.key
    # the pool's rule is the engine's station_covered_window, cell for cell
    st = SitingConfig().site.station_for("4G", *grid.to_lonlat(cands["x"].iloc[0], cands["y"].iloc[0]), "C0")
    st.update({"x": float(cands["x"].iloc[0]), "y": float(cands["y"].iloc[0])})
    (rs, cs), hit = station_covered_window(st, grid, dem, dl_only, rsrp_window=disk)
    tid = np.full(grid.shape, -1)
    tid.ravel()[pool_dl.target_flat] = np.arange(pool_dl.target_flat.size)
    ids = tid[rs, cs][hit]
    np.testing.assert_array_equal(pool_dl.cover[0], np.unique(ids[ids >= 0]))


def test_candidate_serves_only_where_it_would_be_the_best_server():
    """Coverage.covered judges a cell by its best server: where today's best level (−90 dBm,
    a server whose links fail there) beats the candidate's −100 dBm, the UE camps on the
    stronger cell and the candidate serves nothing; elsewhere in its disk it serves."""
    from geo.coverage import CoverageConfig

    grid, pop, cov, dem, cid, cdf, res = _scene()
    cands = generate_candidates(grid, res.labels, res.gaps, cid, dem, SitingConfig())
    disk = make_disk_window(700.0, level_dbm=-100.0)
    args = (grid, cands, pop, cov.covered("4G"), cid, cdf, "4G", CoverageConfig(), dem)
    alone = build_pool(*args, rsrp_window=disk)
    best = np.full(grid.shape, np.nan, dtype=np.float32)
    best[:, : grid.width // 2] = -90.0  # a stronger (failing) server over the west half
    best[:, grid.width // 2:] = -120.0  # a weaker one over the east half
    shared = build_pool(*args, rsrp_window=disk, best_rsrp_dbm=best)
    west = (np.arange(grid.height * grid.width) % grid.width) < grid.width // 2
    for a, b in zip(alone.cover, shared.cover, strict=True):
        keep = a[~west[alone.target_flat[a]]]
        np.testing.assert_array_equal(b, keep)
    assert sum(len(c) for c in shared.cover) < sum(len(c) for c in alone.cover)
    assert sum(len(c) for c in shared.cover) > 0
    assert shared.key != alone.key


def test_candidate_on_the_throughput_metric_needs_its_own_rate():
    """At −100 dBm alone a 4G 1800 site has SNR > 23 dB per RE → η capped at 4.4 bit/s/Hz →
    4.4 × 20 MHz × (1 − 0.25) = 66 Mbit/s: it serves targets at ≥ 50 Mbit/s, none at ≥ 70."""
    from geo import link_budget
    from geo.coverage import CoverageConfig

    grid, pop, cov, dem, cid, cdf, res = _scene()
    cands = generate_candidates(grid, res.labels, res.gaps, cid, dem, SitingConfig())
    disk = make_disk_window(700.0, level_dbm=-100.0)
    args = (grid, cands, pop, cov.covered("4G"), cid, cdf, "4G", CoverageConfig(), dem)
    assert float(link_budget.throughput_mbps(30.0, "4G", 20.0, 1800.0)) == pytest.approx(66.0)
    plain = build_pool(*args, rsrp_window=disk)
    at_50 = build_pool(*args, rsrp_window=disk, min_mbps=50.0)
    at_70 = build_pool(*args, rsrp_window=disk, min_mbps=70.0)
    for a, b in zip(plain.cover, at_50.cover, strict=True):
        np.testing.assert_array_equal(a, b)
    assert plain.candidates["people_reach"].sum() > 0
    assert all(len(c) == 0 for c in at_70.cover)
    assert len({plain.key, at_50.key, at_70.key}) == 3


def test_candidates_in_wards_get_the_engines_urban_model():
    """The model a candidate is judged with is the one geo.coverage gives a station there."""
    grid, pop, cov, dem, cid, cdf, res = _scene()
    cands = generate_candidates(grid, res.labels, res.gaps, cid, dem, SitingConfig())
    seen = {}
    disk = make_disk_window(700.0)

    def spy(station, grid_, elev=None, config=None):
        seen[station["station_id"]] = station.get("model")
        return disk(station, grid_, elev, config)

    communes = strip_communes(grid, 3)
    communes["kind"] = ["Xã", "Phường", "Xã"]
    pool = build_pool(grid, cands, pop, cov.covered("4G"), cid, cdf, "4G", None, dem,
                      rsrp_window=spy, model_communes=communes)
    strip = cid[pool.candidates["row"], pool.candidates["col"]]
    got = [seen[f"C{int(i)}"] for i in pool.candidates["cand_id"]]
    assert got == ["38901-uma" if k == 1 else "38901-rma" for k in strip]
    assert 1 in set(strip) and set(strip) - {1}
    seen.clear()
    build_pool(grid, cands, pop, cov.covered("4G"), cid, cdf, "4G", None, dem, rsrp_window=spy)
    assert set(seen.values()) == {None}  # no communes: the engine's default (rural) model


def test_focus_restricts_targets():
    grid, pop, cov, dem, cid, cdf, res = _scene()
    cands = generate_candidates(grid, res.labels, res.gaps, cid, dem, SitingConfig())
    focus = np.isin(cid, [0])  # the mountain strip only
    pool = build_pool(grid, cands, pop, cov.covered("4G"), cid, cdf, "4G", target_mask=focus,
                      rsrp_window=make_disk_window(700.0))
    assert (cid.ravel()[pool.target_flat] == 0).all()


# ------------------------------------------------------------ VND budgets (issue #19)
HALF_ONE_MINUS_INV_E = ONE_MINUS_INV_E / 2


def _brute_force_vnd(pool, budget_vnd, budget_sites=None):
    cost = pool.candidates["cost_vnd"].to_numpy()
    n = len(pool.cover)
    best = 0.0
    kmax = n if budget_sites is None else budget_sites
    for k in range(1, kmax + 1):
        for c in itertools.combinations(range(n), k):
            if cost[list(c)].sum() <= budget_vnd:
                best = max(best, _covered_people(pool, c))
    return best


def test_greedy_plus_best_single_can_fall_below_one_minus_inv_e_under_a_vnd_budget():
    """The claim "≥ 1 − 1/e" is false for a VND budget: a cheap site with a high ratio uses
    the money a better pair needed. Known instance, budget 20 bn: the optimum is sites 1 + 2
    (200 people, 20 bn); greedy takes site 0 first (11 people per bn against 10), then only one
    of 1, 2 fits: 111 people = 0.555 of the optimum; the best single site has 100."""
    people = np.array([11.0, 100.0, 100.0])
    cover = [np.array([0], np.int32), np.array([1], np.int32), np.array([2], np.int32)]
    cands = pd.DataFrame({"cand_id": [0, 1, 2], "cost_vnd": [1e9, 10e9, 10e9],
                          "people_reach": [11.0, 100.0, 100.0]})
    from analysis.siting import CandidatePool

    pool = CandidatePool(cands, cover, people, np.arange(3), 211.0, 0.0, "4G")
    plain = greedy_select(pool, budget_vnd=20e9)
    assert plain.people_new == 111.0
    assert _brute_force_vnd(pool, 20e9) == 200.0
    assert plain.people_new / 200.0 < ONE_MINUS_INV_E
    full = greedy_select(pool, budget_vnd=20e9, max_seed_sets=100)
    assert full.people_new == 200.0 and sorted(full.order) == [1, 2]
    assert exact_budgeted(pool, 20e9) == (200.0, [1, 2])


@pytest.mark.parametrize("seed", range(10))
def test_vnd_budget_bounds_and_exact_against_brute_force(seed):
    rng = np.random.default_rng(300 + seed)
    costs = rng.uniform(0.5e9, 3e9, size=8)
    pool = random_pool(rng, n_cand=8, n_targets=30, p_cover=0.3, costs=costs)
    for budget in (2e9, 4e9, 7e9):
        opt = _brute_force_vnd(pool, budget)
        plain = greedy_select(pool, budget_vnd=budget)
        enum = greedy_select(pool, budget_vnd=budget, max_seed_sets=10_000)
        exact, chosen = exact_budgeted(pool, budget)
        assert sum(plain.costs_vnd) <= budget and sum(enum.costs_vnd) <= budget
        assert plain.people_new >= HALF_ONE_MINUS_INV_E * opt - 1e-9
        assert enum.people_new >= ONE_MINUS_INV_E * opt - 1e-9
        assert enum.people_new >= plain.people_new - 1e-9 or enum.people_new >= opt - 1e-9
        assert exact == pytest.approx(opt)
        assert costs[chosen].sum() <= budget + 1e-6
        # both budgets bind
        opt2 = _brute_force_vnd(pool, budget, budget_sites=2)
        assert exact_budgeted(pool, budget, budget_sites=2)[0] == pytest.approx(opt2)
        assert len(greedy_select(pool, budget_sites=2, budget_vnd=budget, max_seed_sets=10_000).order) <= 2


def test_selection_guarantee_says_which_bound_holds():
    pool = random_pool(np.random.default_rng(1), n_cand=30, n_targets=50, costs=np.full(30, 1e9))
    assert selection_guarantee(pool, budget_sites=5)["guarantee"] == pytest.approx(0.6321, abs=1e-4)
    # 30 affordable: C(30,1)+C(30,2)+C(30,3) = 30 + 435 + 4060 = 4525 seed sets
    g = selection_guarantee(pool, budget_vnd=5e9, max_seed_sets=4524)
    assert g["guarantee"] == pytest.approx(0.3161, abs=1e-4)
    assert selection_guarantee(pool, budget_vnd=5e9, max_seed_sets=4525)["guarantee"] == pytest.approx(0.6321, abs=1e-4)


def test_merged_demands_count_known_answer():
    # targets 0,1 covered by {0}; 2 by {0,1}; 3 by {1}; 4 by nobody → 3 demands
    from analysis.siting import CandidatePool

    cover = [np.array([0, 1, 2], np.int32), np.array([2, 3], np.int32)]
    people = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    pool = CandidatePool(pd.DataFrame({"cost_vnd": [1.0, 1.0], "people_reach": [6.0, 7.0]}), cover,
                         people, np.arange(5), 15.0, 0.0, "4G")
    rows, w = merged_demands(pool)
    assert [r.tolist() for r in rows] == [[0], [0, 1], [1]]
    assert w.tolist() == [3.0, 3.0, 4.0]


# ------------------------------------------------------------ sharing (issue #14 §3)
def test_co_location_candidates_from_other_operators_masts_and_never_cost_more():
    grid, pop, cov, dem, cid, cdf, res = _scene()
    gx, gy = float(res.gaps["x"].iloc[0]), float(res.gaps["y"].iloc[0])
    lon, lat = grid.to_lonlat(np.array([gx, grid.xmin + 50.0]), np.array([gy, grid.ymin + 50.0]))
    masts = pd.DataFrame({"lon": lon, "lat": lat, "mast_id": ["M1", "M2"],
                          "operator": ["Viettel", "MobiFone"], "height_m": [30.0, 30.0]})
    cfg = SitingConfig(co_location_search_km=1.0)
    cands = generate_candidates(grid, res.labels, res.gaps, cid, dem, cfg, shared_masts=masts)
    co = cands[cands["source"] == "co_location"]
    assert co["host_mast_id"].tolist() == ["M1"]  # M2 is far from every gap: left out
    assert co["host_operator"].tolist() == ["Viettel"] and co["mast_height_m"].tolist() == [30.0]
    pool = build_pool(grid, cands, pop, cov.covered("4G"), cid, cdf, "4G", None, dem, None, cfg,
                      CostConfig(), rsrp_window=make_disk_window(700.0))
    c = pool.candidates
    j = int(co.index[0])
    assert c.loc[j, "kind"] == "co_location" and c.loc[j, "power"] == "existing"
    assert c.loc[j, "backhaul"] == "shared" and c.loc[j, "backhaul_cost_vnd"] == 0.0
    assert (c.loc[c["kind"] == "new_site", "cost_vnd"] > c.loc[j, "cost_vnd"]).all()
    # a new site in the very same cell serves the same people; the co-location wins
    twin = pd.concat([cands, cands.loc[[j]].assign(source="centre", cand_id=len(cands),
                                                    host_mast_id="", host_operator="",
                                                    mast_height_m=np.nan)], ignore_index=True)
    twin_pool = build_pool(grid, twin, pop, cov.covered("4G"), cid, cdf, "4G", None, dem, None, cfg,
                           CostConfig(), rsrp_window=make_disk_window(700.0))
    a, b = twin_pool.candidates.iloc[j], twin_pool.candidates.iloc[-1]
    assert a["people_reach"] == b["people_reach"] and a["cost_vnd"] < b["cost_vnd"]
    assert a["cost_10y_vnd"] <= b["cost_10y_vnd"]
    sel = greedy_select(twin_pool, budget_sites=1)
    assert sel.order == [j] or twin_pool.candidates.iloc[sel.order[0]]["people_reach"] > a["people_reach"]


@pytest.mark.parametrize("tech", ["4G", "5G", "any"])
@pytest.mark.parametrize("power", ["grid_0km", "grid_2km", "solar"])
def test_co_location_never_costs_more_than_the_equivalent_new_site(tech, power):
    from analysis.config import PowerConfig
    from analysis.power import grid_costs, solar_hybrid_sizing

    c, p = CostConfig(), PowerConfig()
    load = p.load_for(tech)
    new_power = {"grid_0km": grid_costs(load, 0.0, p), "grid_2km": grid_costs(load, 2.0, p),
                 "solar": solar_hybrid_sizing(load, p)}[power]
    for backhaul in (0.0, c.microwave_hop_vnd, c.satellite_vnd, c.fiber_max_km * c.fiber_per_km_vnd):
        new = c.site_capex_for("new_site", tech) + backhaul + new_power["capex_vnd"]
        co = c.site_capex_for("co_location", tech)  # shared backhaul, existing power
        assert co <= new


def test_the_app_states_the_true_bound_for_a_vnd_budget():
    """Issue #19: app_ui/i18n.py claimed "≥ 1 − 1/e" for every budget."""
    from app_ui.i18n import STRINGS

    vi, en = STRINGS["about_models_text"]
    assert "½(1 − 1/e)" in en and "VND" in en and "½(1 − 1/e)" in vi
