"""The embedded data is whole, joined right and repaired without loss."""

from __future__ import annotations

import glob
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import data as gdata

UTM = "EPSG:32648"


def test_checksums_match_shipped_files():
    checked = gdata.verify_data()
    expected = {"communes.gpkg", "coastline.gpkg", "roads.gpkg", "places.gpkg",
                "worldpop_2020_1km.tif", "relief_5arcmin.tif"}
    assert expected <= set(checked)


@pytest.fixture
def data_copy(tmp_path):
    """A private copy of data/ to damage."""
    for p in gdata.data_dir().iterdir():
        if p.is_file():
            shutil.copy(p, tmp_path / p.name)
    return tmp_path


def test_corrupted_file_is_reported_by_name(data_copy):
    tmp_path = data_copy
    with open(tmp_path / "roads.gpkg", "r+b") as f:
        f.seek(2000)
        f.write(b"\x00garbage\x00")
    with pytest.raises(gdata.DataError, match="roads.gpkg: checksum"):
        gdata.verify_data(tmp_path)
    (tmp_path / "places.gpkg").unlink()
    with pytest.raises(gdata.DataError, match="places.gpkg: missing"):
        gdata.verify_data(tmp_path)


def test_loader_refuses_a_corrupted_file(data_copy, monkeypatch):
    tmp_path = data_copy
    with open(tmp_path / "worldpop_2020_1km.tif", "r+b") as f:
        f.seek(500)
        f.write(b"\xff\xfe")
    monkeypatch.setenv("LOMSONG_DATA_DIR", str(tmp_path))
    with pytest.raises(gdata.DataError, match="corrupted.*git checkout"):
        gdata.worldpop_path()
    assert gdata.relief_dem_path().exists()  # the other files are fine


def test_missing_file_error_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("LOMSONG_DATA_DIR", str(tmp_path))
    with pytest.raises(gdata.DataError, match="git checkout -- data/"):
        gdata.worldpop_path()


def test_78_units_of_the_right_kinds(communes):
    assert len(communes) == 78
    assert communes["code"].is_unique
    assert communes["code"].str.fullmatch(r"\d{5}").all()
    assert communes["kind"].value_counts().to_dict() == {"xã": 69, "phường": 8, "đặc khu": 1}
    assert communes.loc[communes["kind"] == "đặc khu", "name"].item() == "Cồn Cỏ"
    assert communes.crs.to_epsg() == 4326


def test_legal_figures_as_published(communes):
    # The portal's 78 populations sum to 1,684,985 (not the province's 1,870,845): shown as is.
    assert communes["population_legal"].sum() == 1_684_985
    assert communes["area_km2_legal"].sum() == pytest.approx(12_700.0, abs=1.0)
    phong_nha = communes.set_index("name").loc["Phong Nha"]
    assert phong_nha["area_km2_legal"] == pytest.approx(86.03)
    assert phong_nha["area_km2_drawn"] == pytest.approx(361, rel=0.01)


def test_disagreements_are_flagged_not_corrected(communes):
    area_flagged = communes["flags"].map(lambda f: any("legal area" in x for x in f))
    rel = (communes["area_km2_drawn"] - communes["area_km2_legal"]).abs() / communes["area_km2_legal"]
    assert area_flagged.sum() == 34
    assert (area_flagged == (rel > 0.01)).all()
    bac_gianh = communes.set_index("name").loc["Bắc Gianh"]
    assert bac_gianh["population_legal"] == 328
    assert any("implausible" in f for f in bac_gianh["flags"])


def test_repaired_geometries_are_valid_and_lose_no_area(communes, shared_data):
    assert communes.geometry.is_valid.all()
    assert set(communes.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    assert communes["geometry_repaired"].sum() == 3
    src = pd.concat([gpd.read_file(f) for f in glob.glob(str(shared_data / "quang-tri/sapnhap/xa*.geojson"))])
    assert (~src.geometry.is_valid).sum() == 3
    before = src.set_index("a02_xa").to_crs(UTM).area
    after = communes.set_index("gis_id").to_crs(UTM).area
    rel = (after - before.reindex(after.index)).abs() / before.reindex(after.index)
    assert rel.max() < 0.001


def test_join_is_one_to_one_with_identical_geometries(communes, shared_data):
    wards = pd.concat([gpd.read_file(f) for f in glob.glob(str(shared_data / "quang-tri/wards/*.geojson"))])
    assert len(wards) == 78
    assert set(wards["gisServerId"]) == set(communes["gis_id"])
    assert set(wards["code"].astype(str)) == set(communes["code"])
    w = wards.set_index("gisServerId").geometry.map(shapely.make_valid)
    c = communes.set_index("gis_id").geometry
    inter = gpd.GeoSeries([c[k].intersection(w[k]) for k in c.index], crs=4326).to_crs(UTM).area
    union = gpd.GeoSeries([c[k].union(w[k]) for k in c.index], crs=4326).to_crs(UTM).area
    assert np.allclose(inter / union, 1.0, atol=1e-6)


def test_province_outline_and_units_agree(communes, province):
    assert len(province) == 1
    units = communes.to_crs(UTM).union_all().area
    prov = province.to_crs(UTM).area.iloc[0]
    assert units == pytest.approx(prov, rel=0.01)


def test_seats_one_per_commune_and_labelled(communes):
    seats = gdata.load_seats()
    assert len(seats) == 78
    assert set(seats["code"]) == set(communes["code"])
    assert set(seats["seat_source"]) <= {"osm-2017", "geonames", "modelled"}
    assert (seats["modelled"] == (seats["seat_source"] == "modelled")).all()
    # a seat lies in (or within 1 km of) its own commune
    joined = seats.set_index("code").to_crs(UTM).geometry
    polys = communes.set_index("code").to_crs(UTM).geometry
    d = np.array([polys[k].distance(joined[k]) for k in polys.index])
    assert (d <= 1000).all()


def test_other_layers_load_in_wgs84():
    for layer in (gdata.load_coastline(), gdata.load_land(), gdata.load_roads(),
                  gdata.load_places("osm"), gdata.load_places("geonames")):
        assert len(layer) > 0 and layer.crs.to_epsg() == 4326
