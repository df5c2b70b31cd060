"""Terrain classes are plausible on communes everyone knows."""

from __future__ import annotations

import pytest

from geo.landform import LandformConfig, terrain_classes
from geo.names import find_commune

MOUNTAIN = ["Khe Sanh", "Lao Bảo", "Hướng Lập", "Hướng Phùng", "A Dơi", "Lìa", "Tân Lập",
            "Đakrông", "Tà Rụt", "La Lay", "Minh Hóa", "Dân Hóa", "Kim Điền", "Trường Sơn",
            "Thượng Trạch"]
SEA = ["Cửa Tùng", "Cửa Việt", "Nam Cửa Việt", "Mỹ Thủy", "Đồng Hới"]
INLAND_PLAIN = ["Đông Hà", "Cam Lộ", "Triệu Phong"]


@pytest.fixture(scope="module")
def classes(communes):
    return communes.join(terrain_classes(communes))


@pytest.mark.parametrize("name", MOUNTAIN)
def test_trường_sơn_communes_are_mountain(classes, name):
    assert find_commune(name, classes)["terrain"] == "mountain"


@pytest.mark.parametrize("name", SEA)
def test_sea_communes_are_coastal(classes, name):
    assert find_commune(name, classes)["terrain"] == "coastal"


@pytest.mark.parametrize("name", INLAND_PLAIN)
def test_lowland_inland_communes_are_plain(classes, name):
    assert find_commune(name, classes)["terrain"] == "plain"


def test_con_co_is_the_only_island(classes):
    assert classes.loc[classes["terrain"] == "island", "name"].tolist() == ["Cồn Cỏ"]


def test_thresholds_drive_the_classes(communes):
    strict = terrain_classes(communes, config=LandformConfig(mountain_mean_m=10_000,
                                                            mountain_share=2.0))
    assert "mountain" not in set(strict["terrain"])
