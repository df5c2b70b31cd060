"""Villages (#15): the layer, the modelled clusters, people per village, status by the criterion.

Known answers are computed by hand and written down; the synthetic grids come from
``tests/_analysis_helpers.py`` (3 vertical strip communes on a 100 m grid).
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.villages import (
    centre_cells,
    prepare_villages,
    status_of,
    village_markers,
    village_table,
    villages_summary,
)
from geo.villages import (
    ASSIGN_MAX_M,
    assign_communes,
    assign_people,
    gazetteer_points,
    is_minute_rounded,
    merge_sources,
    normalize_villages,
    rounding_uncertainty_m,
    settlement_clusters,
    village_key,
)
from tests._analysis_helpers import commune_ids, strip_communes, tiny_grid

WGS84 = "EPSG:4326"


def _pts(grid, xy, **cols):
    lon, lat = grid.to_lonlat(np.array([p[0] for p in xy], float), np.array([p[1] for p in xy], float))
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)


def _cell_xy(grid, r, c):
    return grid.xmin + 100.0 * (c + 0.5), grid.ymax - 100.0 * (r + 0.5)


# ------------------------------------------------------------------ names, rounding
@pytest.mark.parametrize(("name", "key"), [
    ("Làng Huo Ha", "huo ha"), ("Thôn Thương Trạch", "thuong trach"), ("Bản Cà Roòng", "ca roong"),
    ("Xóm Năm", "nam"), ("  Khe Sanh ", "khe sanh"), ("Ấp Đông", "dong"),
])
def test_village_key(name, key):
    assert village_key(name) == key


def test_minute_rounding_detected_and_its_error_known_answer():
    # 106.43333 = 106°26′ (GeoNames' 5 decimals); 106.43500 is not a whole minute
    assert is_minute_rounded(np.array([106.43333, 106.435]), np.array([17.78333, 17.78333])).tolist() \
        == [True, False]
    # half-diagonal of a 1′ cell at 17° N: 926 m × √(1 + cos²17°) = 926 × 1.383656 = 1281.3 m
    assert rounding_uncertainty_m(np.array([17.0]))[0] == pytest.approx(1281.3, abs=0.1)
    assert rounding_uncertainty_m(np.array([0.0]))[0] == pytest.approx(926 * np.sqrt(2), abs=0.01)


# ------------------------------------------------------------------------- merging
def _gazetteer(gn_rows, osm_rows):
    gn = gpd.GeoDataFrame(
        {"name": [r[0] for r in gn_rows], "geonameid": [r[1] for r in gn_rows],
         "feature_code": [r[2] for r in gn_rows]},
        geometry=[Point(r[3], r[4]) for r in gn_rows], crs=WGS84)
    osm = gpd.GeoDataFrame(
        {"name": [r[0] for r in osm_rows], "osm_id": [r[1] for r in osm_rows],
         "place": ["village"] * len(osm_rows)},
        geometry=[Point(r[2], r[3]) for r in osm_rows], crs=WGS84)
    return gazetteer_points(gn, osm)


def test_same_name_within_the_distance_merges_keeping_both_ids():
    pts = _gazetteer(
        [("Làng Huo Ha", 1, "PPL", 106.7, 16.65),          # minute-rounded
         ("Tà Cơn", 2, "PPL", 106.75, 16.7),
         ("Làng Bỏ", 3, "PPLQ", 106.8, 16.7)],              # abandoned: left out
        [("Huo Ha", 10, 106.705, 16.655),                    # ≈ 0.75 km away: same place
         ("Tà Cơn", 11, 106.78, 16.7)],                      # ≈ 3.2 km away: not merged
    )
    assert "geonames:3" not in set(pts["source_id"])
    out = merge_sources(pts)
    assert len(out) == 3
    merged = out[out["source"] == "geonames+osm"]
    assert len(merged) == 1
    row = merged.iloc[0]
    assert row["source_id"] == "geonames:1;osm:node/10"
    assert row["name"] == "Làng Huo Ha"
    # the OSM position (finer) is kept, with its uncertainty (0)
    assert (row.geometry.x, row.geometry.y) == (106.705, 16.655)
    assert row["position_uncertainty_m"] == 0.0
    assert sorted(out.loc[out["source"] != "geonames+osm", "source_id"]) == ["geonames:2", "osm:node/11"]


def test_rounded_geonames_point_carries_its_uncertainty():
    pts = _gazetteer([("Thôn A", 1, "PPL", 106.7, 16.65), ("Thôn B", 2, "PPL", 106.71234, 16.65)], [])
    u = dict(zip(pts["source_id"], pts["position_uncertainty_m"], strict=True))
    assert u["geonames:1"] == pytest.approx(np.round(rounding_uncertainty_m(np.array([16.65]))[0]))
    assert u["geonames:2"] == 0.0


def test_assign_communes_outside_is_flagged_not_moved():
    grid = tiny_grid(10, 30)
    communes = strip_communes(grid, 3)
    inside = _pts(grid, [_cell_xy(grid, 5, 25)], name=["in C"])
    far = gpd.GeoDataFrame({"name": ["far"]}, geometry=[Point(105.0, 15.0)], crs=WGS84)
    out = assign_communes(pd.concat([inside, far], ignore_index=True), communes)
    assert out["commune_code"].tolist() == ["00003", ""]
    assert out["in_province"].tolist() == [True, False]
    assert out.geometry.iloc[1].equals(Point(105.0, 15.0))


# ------------------------------------------------------------------------- people
def _village_frame(grid, cells_codes):
    xy = [_cell_xy(grid, r, c) for r, c, _ in cells_codes]
    return normalize_villages(_pts(grid, xy, name=[f"V{i}" for i in range(len(xy))],
                                   commune_code=[code for _, _, code in cells_codes]))


def test_people_go_to_the_nearest_village_of_their_own_commune():
    grid = tiny_grid(10, 60)  # 3 strips of 20 columns
    cid = commune_ids(grid, 3)
    communes = pd.DataFrame({"code": ["00001", "00002", "00003"], "name": ["A", "B", "C"]})
    pop = np.zeros(grid.shape)
    pop[5, 19] = 10.0   # last column of A, next to B's village
    pop[5, 2] = 7.0     # near A's village
    pop[5, 45] = 3.0    # in C, which has no village: scattered
    villages = _village_frame(grid, [(5, 0, "00001"), (5, 20, "00002")])
    vp = assign_people(grid, pop, cid, villages, communes)
    # A's village is 1.9 km from (5, 19), B's is 0.1 km, but B is another commune
    assert vp.people.tolist() == [17.0, 0.0]
    assert vp.scattered.tolist() == [0.0, 0.0, 3.0]
    assert vp.cell_village[5, 19] == 0 and vp.cell_village[5, 45] == -1


def test_people_beyond_the_distance_stay_scattered():
    grid = tiny_grid(10, 60)
    cid = np.zeros(grid.shape, dtype=np.int32)
    communes = pd.DataFrame({"code": ["00001"], "name": ["A"]})
    pop = np.zeros(grid.shape)
    pop[5, 20] = 4.0   # 2.0 km from the village at column 0: within (≤ ASSIGN_MAX_M)
    pop[5, 21] = 6.0   # 2.1 km: scattered
    vp = assign_people(grid, pop, cid, _village_frame(grid, [(5, 0, "00001")]), communes)
    assert ASSIGN_MAX_M == 2000.0
    assert vp.people.tolist() == [4.0]
    assert vp.scattered.tolist() == [6.0]


def test_villages_plus_scattered_equal_each_commune_total():
    rng = np.random.default_rng(3)
    grid = tiny_grid(40, 60)
    cid = commune_ids(grid, 3)
    cid[:3, :] = -1  # a strip outside the province
    communes = pd.DataFrame({"code": ["00001", "00002", "00003"], "name": ["A", "B", "C"]})
    pop = rng.gamma(0.3, 20.0, size=grid.shape)
    pop[rng.random(grid.shape) < 0.5] = 0.0
    villages = _village_frame(grid, [(rng.integers(0, 40), rng.integers(0, 40), f"0000{rng.integers(1, 3)}")
                                     for _ in range(12)])
    vp = assign_people(grid, pop, cid, villages, communes)
    code_row = {"00001": 0, "00002": 1, "00003": 2}
    per = np.bincount([code_row[c] for c in villages["commune_code"]], weights=vp.people, minlength=3)
    np.testing.assert_allclose(per + vp.scattered, vp.commune_total, rtol=1e-12)
    np.testing.assert_allclose(vp.commune_total, [pop[(cid == k)].sum() for k in range(3)], rtol=1e-12)
    assert vp.scattered[2] == pytest.approx(pop[cid == 2].sum())  # commune C has no village


# ------------------------------------------------------------------------ clusters
def test_clusters_where_populated_land_has_no_point():
    grid = tiny_grid(30, 90)
    cid = commune_ids(grid, 3)
    communes = pd.DataFrame({"code": ["00001", "00002", "00003"], "name": ["Xã A", "Xã B", "Xã C"]})
    pop = np.zeros(grid.shape)
    pop[10:13, 5:8] = 20.0     # A: near its village point → no cluster
    pop[10:13, 40:43] = 30.0   # B: 270 people, no point → one cluster at (11, 41)
    pop[20, 70] = 0.2          # C: 0.2 people in one cell, below the floor
    villages = _village_frame(grid, [(11, 6, "00001")])
    cl = settlement_clusters(grid, pop, cid, communes, villages)
    assert cl["commune_code"].tolist() == ["00002", "00003"]
    b = cl.iloc[0]
    assert b["name"] == "Cụm dân cư 1 — Xã B"
    assert b["source"] == "cluster" and bool(b["modelled"]) and b["source_id"] == "cluster:00002-1"
    assert b["people_cluster"] == pytest.approx(270.0)
    x, y = grid.from_lonlat(np.array([b.geometry.x]), np.array([b.geometry.y]))
    assert grid.rowcol(x, y) == (np.array([11]), np.array([41]))
    # C: sparse people only, yet a populated commune gets one village (at its populated cell)
    assert cl.iloc[1]["name"] == "Cụm dân cư 1 — Xã C"


def test_long_cluster_gets_several_centres_so_its_ends_are_not_scattered():
    grid = tiny_grid(10, 90)
    cid = np.zeros(grid.shape, dtype=np.int32)
    communes = pd.DataFrame({"code": ["00001"], "name": ["A"]})
    pop = np.zeros(grid.shape)
    pop[5, 5:85] = 10.0  # an 8 km road village
    cl = settlement_clusters(grid, pop, cid, communes, None)
    assert len(cl) >= 2
    vp = assign_people(grid, pop, cid, normalize_villages(cl), communes)
    assert vp.scattered[0] == pytest.approx(0.0)
    assert cl["name"].tolist()[:2] == ["Cụm dân cư 1 — A", "Cụm dân cư 2 — A"]


# -------------------------------------------------------------------------- status
def test_status_by_the_criterion_known_table():
    centre = np.array([True, True, False, False, True, False, True, False])
    share = np.array([0.9, 0.89, 0.49, 0.5, np.nan, np.nan, 0.0, 1.0])
    assert status_of(centre, share).tolist() == [
        "covered", "partial", "no_signal", "partial", "covered", "no_signal", "partial", "partial"]


def test_centre_cells_disc_known_answer():
    grid = tiny_grid(20, 20)
    x, y = _cell_xy(grid, 10, 10)
    own, disc = centre_cells(grid, np.array([x, x]), np.array([y, y]), np.array([0.0, 150.0]))
    assert own.tolist() == [10 * 20 + 10]
    # cell centres within 150 m of a cell centre: itself, 4 neighbours at 100 m, 4 at 141 m
    assert sorted(disc.tolist()) == sorted(
        (10 + dr) * 20 + 10 + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1))


def _status_case():
    grid = tiny_grid(20, 60)
    cid = commune_ids(grid, 3)
    communes = pd.DataFrame({"code": ["00001", "00002", "00003"], "name": ["A", "B", "C"],
                             "terrain": ["mountain", "plain", "coastal"]})
    pop = np.zeros(grid.shape)
    pop[10, 5] = 100.0  # A: the village cell
    pop[10, 25], pop[10, 27] = 60.0, 40.0  # B
    pop[10, 45], pop[12, 45] = 50.0, 50.0  # C
    covered = np.zeros(grid.shape, dtype=bool)
    covered[10, 5] = True                     # A: centre + 100 % → covered
    covered[10, 27] = True                    # B: centre not covered, 40 % → no_signal
    covered[12, 45] = True                    # C: rounded point at (10,45) judged within 300 m
    v = _village_frame(grid, [(10, 5, "00001"), (10, 25, "00002"), (10, 45, "00003")])
    v["position_uncertainty_m"] = [0.0, 0.0, 300.0]
    v["power"] = ["grid", "none", None]
    level = np.where(covered, -80.0, -130.0).astype(np.float32)
    return grid, cid, communes, pop, covered, v, level


def test_village_table_statuses_rounded_centre_and_context():
    grid, cid, communes, pop, covered, v, level = _status_case()
    st_xy = np.array([_cell_xy(grid, 10, 0)])
    fiber = np.full(grid.shape, 2.5)
    out = village_table(grid, v, pop, cid, communes, covered, level, st_xy, fiber)
    t = out.table.set_index("name")
    assert t.loc["V0", "status"] == "covered"
    assert t.loc["V1", "status"] == "no_signal"
    assert t.loc["V1", "share_people_covered"] == pytest.approx(0.4)
    # C's own cell is not covered, the best cell within 300 m is (12, 45) at 200 m: covered
    assert bool(t.loc["V2", "centre_covered"]) and bool(t.loc["V2", "centre_rounded"])
    assert t.loc["V2", "centre_judged_within_m"] == 300.0
    assert t.loc["V2", "status"] == "partial"  # centre covered, 50 % of people
    assert t.loc["V2", "centre_level_dbm"] == pytest.approx(-80.0)
    assert t.loc["V1", "centre_level_dbm"] == pytest.approx(-130.0)
    assert t.loc["V0", "nearest_station_km"] == pytest.approx(0.5)
    assert t.loc["V2", "fiber_km"] == 2.5
    assert t.loc["V0", "terrain"] == "mountain"
    assert t["people"].sum() == pytest.approx(300.0)
    s = out.summary
    assert (s["villages_total"], s["villages_no_signal"], s["villages_partial"], s["villages_covered"]) \
        == (3, 1, 1, 1)
    assert s["villages_by_power"]["none"] == {"total": 1, "no_signal": 1, "partial": 0, "covered": 0}
    assert s["villages_by_power"]["grid"]["covered"] == 1
    assert s["villages_by_power"]["unknown"]["partial"] == 1
    assert out.table.crs.to_epsg() == 4326


def test_village_summary_states_the_metric_it_was_judged_on():
    grid, cid, communes, pop, covered, v, level = _status_case()
    s = village_table(grid, v, pop, cid, communes, covered).summary
    assert (s["villages_metric"], s["villages_min_mbps"]) == ("coverage", None)
    s = village_table(grid, v, pop, cid, communes, covered, metric="throughput", min_mbps=10).summary
    assert (s["villages_metric"], s["villages_min_mbps"]) == ("throughput", 10.0)
    with pytest.raises(ValueError, match="min_mbps"):
        village_table(grid, v, pop, cid, communes, covered, metric="throughput")
    with pytest.raises(ValueError, match="'coverage' or 'throughput'"):
        village_table(grid, v, pop, cid, communes, covered, metric="sinr")


def test_unrounded_point_is_judged_at_its_own_cell():
    grid, cid, communes, pop, covered, v, level = _status_case()
    v["position_uncertainty_m"] = 0.0
    t = village_table(grid, v, pop, cid, communes, covered).table.set_index("name")
    assert not bool(t.loc["V2", "centre_covered"])
    assert t.loc["V2", "status"] == "partial"  # 50 % covered: not "fewer than half"


def test_cell_map_follows_the_sorted_table():
    grid, cid, communes, pop, covered, v, level = _status_case()
    out = village_table(grid, v, pop, cid, communes, covered)
    cv = out.people.cell_village
    for i, row in out.table.iterrows():
        assert pop[cv == i].sum() == pytest.approx(row["people"])


def test_no_power_split_when_unknown_everywhere():
    t = pd.DataFrame({"status": ["covered"], "power": [None], "source": ["osm"],
                      "centre_rounded": [False], "commune_code": ["1"], "people": [3.0]})
    assert villages_summary(t)["villages_by_power"] is None


def test_markers_colour_by_status_and_label_modelled():
    t = pd.DataFrame({"lon": [1.0, 2.0], "lat": [3.0, 4.0], "status": ["no_signal", "covered"],
                      "name": ["Cụm dân cư 1 — A", "Bản X"], "commune": ["A", "A"],
                      "people": [120.0, 50.0], "modelled": [True, False]})
    m = village_markers(t, statuses=["no_signal"])
    assert m["colour"].tolist() == ["#D55E00"]
    assert "(mô phỏng)" in m["tooltip"].iloc[0]
    assert "(modelled)" in village_markers(t, lang="en")["tooltip"].iloc[0]


# --------------------------------------------------------------- user list wins
def test_user_list_kept_and_clusters_added_only_where_it_has_no_point():
    grid = tiny_grid(30, 90)
    cid = commune_ids(grid, 3)
    communes = strip_communes(grid, 3)
    pop = np.zeros(grid.shape)
    pop[10:13, 5:8] = 20.0
    pop[10:13, 40:43] = 30.0
    user = _pts(grid, [_cell_xy(grid, 11, 6)], name=["Thôn Một"], commune=[""], people=[812],
                power=["none"])
    layer = prepare_villages(user, communes, grid=grid, population=pop, commune_id=cid)
    assert layer["source"].tolist() == ["user", "cluster"]
    assert layer.iloc[0]["commune_code"] == "00001"  # from where its point lies
    assert layer.iloc[0]["people_stated"] == 812 and layer.iloc[0]["power"] == "none"
    assert layer.iloc[1]["commune_code"] == "00002"


# -------------------------------------------------------------- embedded layer
def test_embedded_villages_cover_every_commune_with_ids_and_licences():
    from geo.data import load_communes, load_villages, verify_data

    assert "villages.gpkg" in verify_data()
    v = load_villages()
    communes = load_communes()
    assert set(v["commune_code"]) == set(communes["code"])  # all 78
    assert v["village_id"].is_unique
    assert set(v["source"]) <= {"geonames", "osm", "geonames+osm", "cluster"}
    assert (v["modelled"] == (v["source"] == "cluster")).all()
    real = v[v["source"] != "cluster"]
    assert real["source_id"].str.match(r"^(geonames:\d+|osm:node/\d+)(;osm:node/\d+)?$").all()
    assert v.loc[v["source"] == "cluster", "name"].str.startswith("Cụm dân cư ").all()
    assert (v["position_uncertainty_m"] > 0).sum() > 500  # most GeoNames points are rounded
    allv = load_villages(in_province_only=False)
    assert (~allv["in_province"]).sum() > 0  # the 30 km margin


def test_provenance_names_the_village_sources_and_licences():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "data" / "PROVENANCE.md").read_text(encoding="utf-8")
    i = text.index("`villages.gpkg`")
    section = text[i:i + 3000]
    for needle in ("CC BY 4.0", "ODbL", "luuthi/bank-demo", "CartONG/mainfo", "2 km", "cluster"):
        assert needle in section, needle


def test_listed_villages_outside_every_commune_are_counted_not_dropped_quietly():
    grid, cid, communes, pop, covered, v, level = _status_case()
    v["in_province"] = [True, True, False]
    out = village_table(grid, v, pop, cid, communes, covered)
    assert len(out.table) == 2
    assert out.summary["villages_outside_province"] == 1


def test_embedded_villages_rebuild_byte_identical(shared_data, tmp_path):
    # data/build.py --only-villages from the public sources gives the shipped file
    import hashlib
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for name in ("communes.gpkg", "worldpop_2020_1km.tif"):
        shutil.copy(root / "data" / name, tmp_path / name)
    subprocess.run([sys.executable, str(root / "data" / "build.py"), "--only-villages",
                    "--shared", str(shared_data), "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=300)

    def sha(p):
        return hashlib.sha256(p.read_bytes()).hexdigest()

    assert sha(tmp_path / "villages.gpkg") == sha(root / "data" / "villages.gpkg")


def test_same_source_duplicates_at_one_point_merge_others_stay():
    pts = _gazetteer([("Tà Cơn", 1, "PPL", 106.7, 16.65), ("Làng Tà Cơn", 2, "PPL", 106.7, 16.65),
                      ("Làng Ta Tục", 3, "PPL", 106.7, 16.65), ("Tà Cơn", 4, "PPL", 106.71, 16.65)], [])
    out = merge_sources(pts)
    ids = sorted(out["source_id"])
    # 1 and 2 are one name at one point; 3 is another name; 4 is 1 km away in the same source
    assert ids == ["geonames:1;geonames:2", "geonames:3", "geonames:4"]


# --------------------------------------------------- colour-blind-safe status colours
# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear sRGB
_DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                          [-0.011820, 0.042940, 0.968881]])
_PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]])


def _lab(hex_colour: str, sim: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of an sRGB hex colour as seen through the simulation matrix ``sim``."""
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    rgb_to_xyz = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                           [0.0193339, 0.1191920, 0.9503041]])
    xyz = rgb_to_xyz @ np.clip(sim @ lin, 0.0, 1.0) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _min_delta_e(colours, sim) -> float:
    labs = [_lab(c, sim) for c in colours]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(labs, 2))


def test_status_colours_stay_distinct_for_colour_blind_readers():
    """Every pair of status colours ≥ 30 ΔE*ab apart, normal vision and simulated deuteranopia
    and protanopia; the former red/orange/green (≈ 21 under deuteranopia) and the Okabe–Ito
    orange for 'partial' (≈ 18) fall short. One constant for the app's maps."""
    from analysis.villages import STATUS_COLOURS, STATUSES
    from app_ui.maps import VILLAGE_COLOURS

    colours = [STATUS_COLOURS[s] for s in STATUSES]
    for sim in (np.eye(3), _DEUTERANOPIA, _PROTANOPIA):
        assert _min_delta_e(colours, sim) >= 30.0
    # known answer, computed once: vermillion vs yellow under deuteranopia
    deu = np.linalg.norm(_lab("#D55E00", _DEUTERANOPIA) - _lab("#F0E442", _DEUTERANOPIA))
    assert deu == pytest.approx(33.6, abs=0.1)
    assert _min_delta_e(["#c0392b", "#e67e22", "#27ae60"], _DEUTERANOPIA) < 30.0
    assert _min_delta_e(["#D55E00", "#E69F00", "#009E73"], _DEUTERANOPIA) < 30.0
    assert VILLAGE_COLOURS is STATUS_COLOURS
