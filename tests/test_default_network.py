"""The modelled reference network: rules on small synthetic inputs, facts on the embedded set."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import LineString, Point, box

from geo.default_network import (
    NR_BAND_MHZ,
    OPERATOR_SHARES,
    PUBLISHED,
    assign_operators,
    former_province,
    largest_remainder,
    mast_quota,
    model_default_network,
    published_comparison,
)
from geo.stations import MODELLED_NOTE, STATION_COLUMNS, load_default_stations

RES_DEG = 0.01
ORIGIN = (106.50, 17.00)  # top-left corner of the raster


def _inputs():
    # two "Quảng Bình" communes (codes < 19333) and one "Quảng Trị" commune, 0.1° wide each
    c1 = box(106.50, 16.90, 106.60, 17.00)
    c2 = box(106.60, 16.90, 106.70, 17.00)
    c3 = box(106.70, 16.90, 106.80, 17.00)
    communes = gpd.GeoDataFrame({"code": ["19000", "19001", "19400"],
                                 "kind": ["xã", "xã", "phường"]},
                                geometry=[c1, c2, c3], crs="EPSG:4326")
    seats = gpd.GeoDataFrame({"code": ["19001", "19000", "19400"]},
                             geometry=[Point(106.65, 16.95), Point(106.55, 16.95), Point(106.75, 16.95)],
                             crs="EPSG:4326")
    counts = np.full((10, 30), -99999.0, dtype=np.float32)
    counts[0:10, 0:10] = 10.0  # commune 1: 1000 people, uniform
    counts[0:10, 10:20] = 0.0  # commune 2: nobody
    counts[2:5, 23:26] = 300.0  # commune 3: one town of 2700
    transform = Affine(RES_DEG, 0, ORIGIN[0], 0, -RES_DEG, ORIGIN[1])
    return communes, seats, counts, transform


def test_largest_remainder_known_answers():
    assert largest_remainder(np.array([5.0, 3.0, 2.0]), 7).tolist() == [4, 2, 1]
    assert largest_remainder(np.array([50.0, 30.0, 20.0]), 7).tolist() == [4, 2, 1]
    assert largest_remainder(np.array([1.0, 1.0, 1.0]), 2).tolist() == [1, 1, 0]  # ties: first
    assert largest_remainder(np.array([0.0, 0.0]), 5).tolist() == [0, 0]
    # the 527 5G stations by the modelled shares 50/30/20 → 263.5, 158.1, 105.4 → 264, 158, 105
    assert largest_remainder(np.array([0.5, 0.3, 0.2]), 527).tolist() == [264, 158, 105]


def test_mast_quota_known_answer():
    # by hand: ½(600/800 + 4000/8000) = ½(0.75 + 0.5) = 0.625 → 1491 × 0.625 = 931.875 → 932
    q = mast_quota({"Quảng Bình": 800.0, "Quảng Trị": 600.0}, {"Quảng Bình": 8000.0, "Quảng Trị": 4000.0})
    assert q == {"Quảng Bình": 1491, "Quảng Trị": 932}


def test_former_province_by_code():
    assert former_province(["18859", "19330", "19333", "19742"]).tolist() == [
        "Quảng Bình", "Quảng Bình", "Quảng Trị", "Quảng Trị"]


def test_assign_operators_shares_and_shared_seats():
    tiers = pd.Series(["seat"] * 3 + ["fill"] * 100)
    t = assign_operators(tiers, OPERATOR_SHARES)
    assert t[:3] == [("Viettel", "VNPT", "MobiFone")] * 3
    single = pd.Series([x[0] for x in t[3:]]).value_counts().to_dict()
    assert single == {"Viettel": 50, "VNPT": 30, "MobiFone": 20}


def test_network_counts_tiers_operators_bands():
    communes, seats, counts, transform = _inputs()
    quota = {"Quảng Bình": 8, "Quảng Trị": 5}
    g = model_default_network(communes, seats, counts, transform, quota=quota, n_5g=4)
    assert g.crs.to_epsg() == 4326
    assert list(g.columns[: len(STATION_COLUMNS)]) == list(STATION_COLUMNS)
    assert (g["mast_id"] == g["site_id"]).all()
    masts = g.groupby("mast_id").first()
    assert masts["former_province"].value_counts().to_dict() == {"Quảng Bình": 8, "Quảng Trị": 5}
    # one shared mast exactly at each seat, carrying the three operators
    seat = g[g["placement"] == "seat"]
    assert seat.groupby("mast_id")["operator"].nunique().eq(3).all()
    for code, pt in zip(seats["code"], seats.geometry, strict=True):
        assert seat.loc[seat["commune_code"] == code].geometry.iloc[0].distance(pt) < 1e-9
    # every (mast, operator) has 4G; 5G on exactly n_5g stations at the operator's band
    four = g[g["technology"] == "4G"]
    assert len(four) == len(g.groupby(["mast_id", "operator"]))
    nr = g[g["technology"] == "5G"]
    assert len(nr) == 4
    assert all(b == NR_BAND_MHZ[o] for o, b in zip(nr["operator"], nr["band_mhz"], strict=True))
    # LTE 1800 at seats and in the ward (phường); 900 on fill masts of the xã communes
    assert set(four.loc[four["placement"] == "seat", "band_mhz"]) == {1800.0}
    fill_xa = four[(four["placement"] == "fill") & (four["commune_code"] != "19400")]
    assert set(fill_xa["band_mhz"]) == {900.0}
    assert not set(g["technology"]) & {"2G", "3G"}
    assert g["modelled"].all() and (g["note"] == MODELLED_NOTE).all()
    assert all("height_m" in a and "eirp_dbm" in a for a in g["assumed"])


def test_fill_follows_people_and_stays_inside():
    communes, seats, counts, transform = _inputs()
    g = model_default_network(communes, seats, counts, transform,
                              quota={"Quảng Bình": 8, "Quảng Trị": 5}, n_5g=0)
    polys = dict(zip(communes["code"], communes.geometry, strict=True))
    masts = g.groupby("mast_id").first()
    for code, pt in zip(masts["commune_code"], gpd.GeoSeries(masts.geometry), strict=True):
        assert polys[code].contains(pt)
    # nobody lives in commune 19001: only its seat mast stands there
    assert (masts["commune_code"] == "19001").sum() == 1
    # Quảng Trị's 4 fill masts all stand in its one town (cells 23–26 × rows 2–5)
    town = box(106.73, 16.95, 106.76, 16.98).buffer(1e-9)
    fill_qt = masts[(masts["placement"] == "fill") & (masts["commune_code"] == "19400")]
    assert len(fill_qt) == 4 and all(town.contains(p) for p in gpd.GeoSeries(fill_qt.geometry))
    xy = {(round(p.x, 9), round(p.y, 9)) for p in gpd.GeoSeries(masts.geometry)}
    assert len(xy) == len(masts)


def test_settlements_and_roads_tiers():
    communes, seats, counts, transform = _inputs()
    places = gpd.GeoDataFrame({"name": ["A", "B"], "place": ["village", "town"]},
                              geometry=[Point(106.58, 16.92), Point(106.551, 16.951)], crs="EPSG:4326")
    roads = gpd.GeoDataFrame({"loai_duong": ["Đường chính", "Đường sắt"]},
                             geometry=[LineString([(106.52, 16.99), (106.68, 16.99)]),
                                       LineString([(106.52, 16.91), (106.68, 16.91)])], crs="EPSG:4326")
    g = model_default_network(communes, seats, counts, transform, places=places, roads=roads,
                              quota={"Quảng Bình": 12, "Quảng Trị": 3}, n_5g=0)
    masts = g.groupby("mast_id").first()
    st = masts[masts["placement"] == "settlement"]
    assert len(st) == 1  # B is 100 m from a seat: within the 1 km spacing, skipped
    road = gpd.GeoSeries(masts.loc[masts["placement"] == "road"].geometry, crs="EPSG:4326")
    assert len(road) >= 2 and (road.y > 16.98).all()  # the railway gets none


def test_deterministic():
    communes, seats, counts, transform = _inputs()
    kw = dict(quota={"Quảng Bình": 8, "Quảng Trị": 5}, n_5g=3)
    a = model_default_network(communes, seats, counts, transform, **kw)
    b = model_default_network(communes, seats, counts, transform, **kw)
    assert a.equals(b)


def test_quota_fewer_than_communes():
    communes, seats, counts, transform = _inputs()
    with pytest.raises(ValueError, match="fewer than the 3 communes"):
        model_default_network(communes, seats, counts, transform, quota={"Quảng Bình": 1, "Quảng Trị": 1})


def test_embedded_network_agrees_with_published_facts():
    g = load_default_stations().stations
    assert g["modelled"].all()
    masts = g.groupby("mast_id").first()
    assert len(masts) >= 2000
    assert (masts["former_province"] == "Quảng Bình").sum() == PUBLISHED.masts_quang_binh
    assert (g["technology"] == "5G").sum() == PUBLISHED.sites_5g
    assert set(g["operator"]) == {"Viettel", "VNPT", "MobiFone"}
    assert (g.groupby("mast_id")["operator"].nunique() > 1).sum() == 78  # the seats
    table = published_comparison(g).set_index("quantity")
    assert table.loc["masts, former Quảng Bình", "modelled"] == 1491
    assert table.loc["5G stations, province", "published"] == 527


def test_load_default_stations_says_modelled(tmp_path, monkeypatch):
    communes, seats, counts, transform = _inputs()
    g = model_default_network(communes, seats, counts, transform,
                              quota={"Quảng Bình": 3, "Quảng Trị": 2}, n_5g=0)
    path = tmp_path / "stations_modelled.gpkg"
    g.to_file(path, layer="stations", driver="GPKG")
    import geo.data

    monkeypatch.setattr(geo.data, "default_stations_path", lambda: path)
    st = load_default_stations()
    assert st.modelled and st.summary()["modelled"]
    assert len(st.stations) == len(g) and st.stations["modelled"].all()
    assert (st.report["code"] == "modelled").all()
    assert "upload your station list" in st.report["problem_en"].iloc[0]
    assert "mô phỏng" in st.report["problem_vi"].iloc[0]
