"""People type names many ways; they must all find the same unit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.names import CommuneNotFound, find_commune, match_key, normalize_name, to_new_style


def test_the_seven_tone_mark_pairs(communes):
    differing = communes[communes["name"] != communes["name_portal"]]
    assert len(differing) == 7
    for _, row in differing.iterrows():
        assert find_commune(row["name"], communes)["code"] == row["code"]
        assert find_commune(row["name_portal"], communes)["code"] == row["code"]
        assert normalize_name(row["name"]) == normalize_name(row["name_portal"])


@pytest.mark.parametrize("query", ["Minh Hoá", "Minh Hóa", "minh hoa", "Xã Minh Hóa", "18901",
                                   "  MINH   HOÁ ", "xa minh hoa"])
def test_many_spellings_one_unit(communes, query):
    assert find_commune(query, communes)["code"] == "18901"


def test_prefixes_and_special_zone(communes):
    assert find_commune("Đặc khu Cồn Cỏ", communes)["kind"] == "đặc khu"
    assert find_commune("con co", communes)["code"] == "19742"
    assert find_commune("Phường Đồng Hới", communes)["kind"] == "phường"


def test_icelandic_eth_lookalike(communes):
    # GeoNames writes "Ðông Hà" with U+00D0, not Vietnamese Đ (U+0110)
    assert find_commune("\u00d0ông Hà", communes)["name"] == "Đông Hà"


def test_unknown_name_lists_closest(communes):
    with pytest.raises(CommuneNotFound) as err:
        find_commune("Minh Hao", communes)
    assert "Minh Hoá" in str(err.value)
    assert "Minh Hoá" in err.value.suggestions


def test_tone_style_known_answers():
    assert to_new_style("Hóa") == "Hoá"
    assert to_new_style("thủy") == "thuỷ"
    assert to_new_style("Hòa Trạch") == "Hoà Trạch"
    assert to_new_style("khỏe") == "khoẻ"
    # syllables with a final consonant or "qu" keep their only correct form
    assert to_new_style("Hoàn Lão") == "Hoàn Lão"
    assert to_new_style("quý") == "quý"
    assert match_key("Xã Đakrông") == "dakrong"


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạóòỏõọúùủũụýỳỷỹỵ ", max_size=20))
def test_normalisation_is_idempotent(text):
    once = normalize_name(text)
    assert normalize_name(once) == once
    assert to_new_style(to_new_style(text)) == to_new_style(text)


def test_spacing_variants(communes):
    assert find_commune("Xã Đa Krông", communes)["name"] == "Đakrông"


def test_former_unit_finds_its_successor(communes):
    row = find_commune("Thị trấn Quy Đạt", communes)
    assert row["code"] == "18901" and row["matched_former"] == "Thị trấn Quy Đạt"
    assert find_commune("quy dat", communes)["code"] == "18901"
    with pytest.raises(CommuneNotFound):
        find_commune("Quy Đạt", communes, include_former=False)
