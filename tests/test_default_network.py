"""The modelled reference network on small synthetic communes and a synthetic raster."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import Point, Polygon, box

from geo.default_network import largest_remainder, model_default_network
from geo.stations import MODELLED_NOTE, STATION_COLUMNS, load_default_stations

RES_DEG = 0.01
ORIGIN = (106.50, 17.00)  # top-left corner of the raster


def _inputs():
    # three communes side by side (0.1° ≈ 11 km each) + an L-shaped (concave) fourth
    c1 = box(106.50, 16.90, 106.60, 17.00)
    c2 = box(106.60, 16.90, 106.70, 17.00)
    c3 = box(106.70, 16.90, 106.80, 17.00)
    c4 = Polygon([(106.50, 16.80), (106.80, 16.80), (106.80, 16.83), (106.53, 16.83),
                  (106.53, 16.90), (106.50, 16.90)])
    communes = gpd.GeoDataFrame({"code": ["00001", "00002", "00003", "00004"]},
                                geometry=[c1, c2, c3, c4], crs="EPSG:4326")
    seats = gpd.GeoDataFrame({"code": ["00002", "00001", "00003", "00004"]},
                             geometry=[Point(106.65, 16.95), Point(106.55, 16.95),
                                       Point(106.75, 16.95), Point(106.515, 16.85)],
                             crs="EPSG:4326")
    counts = np.full((20, 30), -99999.0, dtype=np.float32)  # nodata everywhere …
    counts[0:10, 0:10] = 10.0  # commune 1: 100 cells x 10 = 1000 people
    counts[0:10, 10:20] = 0.0  # commune 2: nobody
    counts[2:5, 23:26] = 300.0  # commune 3: 9 cells x 300 = 2700 people, one town
    counts[10:20, 0:3] = 5.0  # commune 4 (its vertical arm): 30 cells x 5 = 150
    counts[17:20, 3:30] = 5.0  # commune 4 (its bottom arm): 81 cells x 5 = 405
    transform = Affine(RES_DEG, 0, ORIGIN[0], 0, -RES_DEG, ORIGIN[1])
    return communes, seats, counts, transform


def test_largest_remainder_known_answers():
    assert largest_remainder(np.array([5.0, 3.0, 2.0]), 7).tolist() == [4, 2, 1]
    # quotas 3.5, 2.1, 1.4 → floors 3, 2, 1; the one left goes to the .5
    assert largest_remainder(np.array([50.0, 30.0, 20.0]), 7).tolist() == [4, 2, 1]
    assert largest_remainder(np.array([1.0, 1.0, 1.0]), 2).tolist() == [1, 1, 0]  # ties: first
    assert largest_remainder(np.array([0.0, 0.0]), 5).tolist() == [0, 0]
    w = np.random.default_rng(1).random(50)
    assert largest_remainder(w, 449).sum() == 449


def test_counts_one_per_seat_and_two_rows_per_site():
    communes, seats, counts, transform = _inputs()
    n_sites = 4 + 17
    g = model_default_network(communes, seats, counts, transform, n_sites=n_sites, seed=0)
    assert len(g) == 2 * n_sites
    assert g.crs.to_epsg() == 4326
    assert list(g.columns[: len(STATION_COLUMNS)]) == list(STATION_COLUMNS)
    assert g["site_id"].nunique() == n_sites
    per_site = g.groupby("site_id")["technology"].apply(sorted)
    assert all(v == ["4G", "5G"] for v in per_site)
    nr = g[g["technology"] == "5G"]
    assert set(nr["band_mhz"]) == {3500.0} and set(g.loc[g["technology"] == "4G", "band_mhz"]) == {1800.0}
    assert g["modelled"].all() and (g["note"] == MODELLED_NOTE).all()
    assert g["operator"].eq("modelled").all()
    assert all("height_m" in a and "eirp_dbm" in a for a in g["assumed"])
    # one site exactly at each seat
    seat_sites = nr[nr["placement"] == "seat"]
    assert sorted(seat_sites["commune_code"]) == ["00001", "00002", "00003", "00004"]
    for code, pt in zip(seats["code"], seats.geometry, strict=True):
        got = seat_sites.loc[seat_sites["commune_code"] == code].geometry.iloc[0]
        assert got.distance(pt) < 1e-9
    # the 17 others by population share 1000 : 0 : 2700 : 555 → 4, 0, 11, 2
    extra = nr[nr["placement"] != "seat"].groupby("commune_code").size().to_dict()
    assert extra == {"00001": 4, "00003": 11, "00004": 2}


def test_every_site_inside_its_commune_and_distinct():
    communes, seats, counts, transform = _inputs()
    g = model_default_network(communes, seats, counts, transform, n_sites=4 + 17, seed=0)
    polys = dict(zip(communes["code"], communes.geometry, strict=True))
    nr = g[g["technology"] == "5G"]
    for code, pt in zip(nr["commune_code"], nr.geometry, strict=True):
        assert polys[code].contains(pt), code
    xy = {(round(p.x, 9), round(p.y, 9)) for p in nr.geometry}
    assert len(xy) == len(nr)  # commune 3's 11 sites on its 9 town cells: subdivided, no stacking


def test_deterministic_and_seed_matters():
    communes, seats, counts, transform = _inputs()
    a = model_default_network(communes, seats, counts, transform, n_sites=21, seed=0)
    b = model_default_network(communes, seats, counts, transform, n_sites=21, seed=0)
    assert a.equals(b)
    assert a.geometry.geom_equals_exact(b.geometry, 0).all()
    c = model_default_network(communes, seats, counts, transform, n_sites=21, seed=5)
    assert len(c) == len(a)


def test_sites_follow_population():
    """k-means sites sit where people live: commune 1 is uniform, so its 4 sites spread;
    commune 3's 11 sites all lie in its one town (cells 23–26 × rows 2–5)."""
    communes, seats, counts, transform = _inputs()
    g = model_default_network(communes, seats, counts, transform, n_sites=21, seed=0)
    town = box(106.73, 16.95, 106.76, 16.98)
    km = g[(g["technology"] == "5G") & (g["placement"] != "seat") & (g["commune_code"] == "00003")]
    assert all(town.buffer(1e-9).contains(p) for p in km.geometry)


def test_too_few_sites_and_seat_outside():
    communes, seats, counts, transform = _inputs()
    with pytest.raises(ValueError, match="fewer than the 4 communes"):
        model_default_network(communes, seats, counts, transform, n_sites=3)
    seats2 = seats.copy()
    seats2.loc[0, "geometry"] = Point(100.0, 10.0)  # a seat outside its commune
    g = model_default_network(communes, seats2, counts, transform, n_sites=4)
    moved = g[(g["commune_code"] == "00002") & (g["technology"] == "5G")]
    assert communes.geometry.iloc[1].contains(moved.geometry.iloc[0])
    assert "representative point" in moved["placement"].iloc[0]


def test_load_default_stations_says_modelled(tmp_path, monkeypatch):
    communes, seats, counts, transform = _inputs()
    g = model_default_network(communes, seats, counts, transform, n_sites=8)
    path = tmp_path / "stations_modelled.gpkg"
    g.to_file(path, layer="stations", driver="GPKG")
    import geo.data

    monkeypatch.setattr(geo.data, "default_stations_path", lambda: path)
    st = load_default_stations()
    assert st.modelled and st.summary()["modelled"]
    assert len(st.stations) == 16 and st.stations["modelled"].all()
    assert (st.report["code"] == "modelled").all()
    assert "upload your station list" in st.report["problem_en"].iloc[0]
    assert "mô phỏng" in st.report["problem_vi"].iloc[0]
    s = st.summary()
    assert s["rows_read"] == 8 and s["kept"] == 8
