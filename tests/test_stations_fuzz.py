"""Bounded fuzzing of every reader: only StationFileError may escape (or a valid result)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from _stations_helpers import (
    BOUNDARY,
    kml_text,
    rows_as_table,
    write_csv,
    write_geojson,
    write_gpkg,
    write_kmz,
    write_opencellid_csv,
    write_shp_zip,
    write_xlsx,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from geo.stations import StationFileError, StationSet, read_stations

FUZZ = settings(max_examples=15, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@cache
def _seed_files() -> dict[str, bytes]:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        t = Path(d)
        return {
            ".csv": write_csv(t / "a.csv", rows_as_table()).read_bytes(),
            ".xlsx": write_xlsx(t / "a.xlsx", rows_as_table(), header_row=4).read_bytes(),
            ".geojson": write_geojson(t / "a.geojson").read_bytes(),
            ".gpkg": write_gpkg(t / "a.gpkg").read_bytes(),
            ".zip": write_shp_zip(t / "a.zip").read_bytes(),
            ".kml": kml_text().encode(),
            ".kmz": write_kmz(t / "a.kmz").read_bytes(),
            ".ocid.csv": write_opencellid_csv(t / "o.csv").read_bytes(),
        }


def _try(data: bytes, name: str) -> bool:
    """Read ``data``; True when it parsed (and then every row is accounted for)."""
    buf = io.BytesIO(data)
    buf.name = name
    try:
        out = read_stations(buf, boundary=BOUNDARY)
    except StationFileError:
        return False
    assert isinstance(out, StationSet)
    s = out.summary()
    assert s["kept"] + s["fixed"] + s["rejected"] == s["rows_read"]
    return True


@pytest.mark.parametrize("ext", [".csv", ".xlsx", ".geojson", ".gpkg", ".zip", ".kml", ".kmz", ".ocid.csv"])
def test_unmutated_seeds_parse(ext):
    # the fuzzers start from these: if they did not parse, the invariant would never be checked
    assert _try(_seed_files()[ext], "upload" + (".csv" if ext == ".ocid.csv" else ext))


@hs.composite
def _mutated(draw, ext):
    data = bytearray(_seed_files()[ext])
    n = draw(hs.integers(1, 8))
    for _ in range(n):
        op = draw(hs.sampled_from(["flip", "cut", "insert"]))
        if not data:
            break
        i = draw(hs.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(hs.integers(0, 255))
        elif op == "cut":
            j = draw(hs.integers(i, min(len(data), i + 64)))
            del data[i:j]
        else:
            data[i:i] = draw(hs.binary(min_size=1, max_size=16))
    return bytes(data)


@pytest.mark.parametrize("ext", [".csv", ".xlsx", ".geojson", ".gpkg", ".zip", ".kml", ".kmz", ".ocid.csv"])
@FUZZ
@given(data=hs.data())
def test_fuzz_mutated_files(ext, data):
    blob = data.draw(_mutated(ext))
    _try(blob, "upload" + (".csv" if ext == ".ocid.csv" else ext))


@pytest.mark.parametrize("name", ["x.csv", "x.xlsx", "x.geojson", "x.kml", "x.kmz", "x.gpkg", "x.zip", "x"])
@FUZZ
@given(blob=hs.binary(min_size=0, max_size=400))
def test_fuzz_random_bytes(name, blob):
    _try(blob, name)


@FUZZ
@given(text=hs.text(max_size=300))
def test_fuzz_text_tables(text):
    _try(("Kinh độ,Vĩ độ,Công nghệ\n" + text).encode("utf-8"), "t.csv")
    _try(text.encode("utf-8", "replace"), "t.csv")


@FUZZ
@given(prefix=hs.sampled_from([b"PK\x03\x04", b"SQLite format 3\x00", b"{", b"<?xml", b"<kml>"]),
       blob=hs.binary(max_size=300))
def test_fuzz_magic_prefixes(prefix, blob):
    _try(prefix + blob, "upload")
