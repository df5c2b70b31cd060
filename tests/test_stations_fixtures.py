"""The committed sample files (also uploaded by the app's browser test) read as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.stations import read_stations

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stations"


@pytest.mark.parametrize(
    ("name", "first_row"),
    [("tram_bts_mau.xlsx", 5), ("tram_bts_windows1258.csv", 2)],
)
def test_sample_files(name, first_row):
    st = read_stations(FIXTURES / name)
    s = st.summary()
    assert s["rows_read"] == 13
    assert (s["kept"], s["fixed"], s["rejected"], s["duplicates"]) == (0, 8, 5, 1)
    # 3 sectors + 1 + 1 + 1 + 3 technologies + 1 + 1 + 1 = 12 stations
    assert s["stations"] == 12
    codes = st.report.groupby("row")["code"].apply(set)
    r = first_row
    assert "sectors" in codes[r]
    assert "decimal_comma" in codes[r + 1]
    assert "dms" in codes[r + 2]
    assert "swapped" in codes[r + 3]
    assert "split_technology" in codes[r + 4]
    assert "impossible" in codes[r + 5] and "impossible" in codes[r + 6]
    assert "duplicate" in codes[r + 8]
    assert "outside" in codes[r + 9] and "outside" in codes[r + 10]
    assert "no_coordinates" in codes[r + 12]
    assert set(st.stations["operator"]) == {"Viettel", "VinaPhone", "MobiFone", "Gmobile"}
    assert "Đông Hà" in set(st.stations["commune"])
    assert "Tên trạm" in st.stations.columns
