"""DEM inputs are bounded (issue #12, serious 5): zip bombs, huge declared rasters, truncated
grids and wrong CRSs end fast in a one-line DemError / exit 2. Every fixture is generated
here (never a real bomb in the repository)."""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geo import dem as dem_mod
from geo.dem import MAX_DEM_PIXELS, SRTM1_SIZE, DemError, load_dem
from lomsong.cli import main

HGT1_BYTES = 2 * SRTM1_SIZE**2


def _deflate_zeros(n_bytes: int) -> tuple[bytes, int]:
    """Raw deflate of ``n_bytes`` zero bytes and their CRC-32."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(2**22)
    out, crc, left = [], 0, n_bytes
    while left:
        piece = chunk[: min(left, len(chunk))]
        out.append(comp.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    out.append(comp.flush())
    return b"".join(out), crc


def _zip_with_sizes(name: str, deflated: bytes, crc: int, declared: int) -> bytes:
    """A one-member zip whose headers declare ``declared`` inflated bytes (lying or not)."""
    fname = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(deflated),
                        declared, len(fname), 0) + fname
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc,
                          len(deflated), declared, len(fname), 0, 0, 0, 0, 0, 0) + fname
    body = local + deflated
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(body), 0)
    return body + central + end


@pytest.fixture(scope="module")
def bomb_stream():
    """~100 MB of zeros deflated to ~100 KB (a 4.2 GB bomb has the same shape, 40× longer)."""
    return _deflate_zeros(100 * 2**20)


def _refused_fast(source, match):
    start = time.perf_counter()
    with pytest.raises(DemError, match=match) as info:
        load_dem(source)
    assert time.perf_counter() - start < 10
    assert "\n" not in str(info.value)
    return str(info.value)


def test_a_hgt_zip_declaring_4_2_gb_is_refused_before_inflating(bomb_stream, tmp_path):
    deflated, crc = bomb_stream
    data = _zip_with_sizes("N17E106.hgt", deflated, crc, declared=4_200_000_000)
    assert len(data) < 2 * 2**20  # a 2 MB file
    _refused_fast(io.BytesIO(data), "not an SRTM tile")  # an .hgt has one of two sizes
    path = tmp_path / "N17E106.hgt.zip"
    path.write_bytes(data)
    _refused_fast(path, "not an SRTM tile")


def test_a_tif_in_a_zip_declaring_4_2_gb_is_refused_before_inflating(bomb_stream):
    deflated, crc = bomb_stream
    data = _zip_with_sizes("dem.tif", deflated, crc, declared=4_200_000_000)
    _refused_fast(data, "zip bomb")


def test_a_zip_lying_about_its_size_is_refused_after_the_declared_bytes(bomb_stream):
    deflated, crc = bomb_stream  # inflates to 100 MB, declares one SRTM1 tile
    data = _zip_with_sizes("N17E106.hgt", deflated, crc, declared=HGT1_BYTES)
    _refused_fast(data, "Cannot extract N17E106.hgt")
    small = _zip_with_sizes("dem.tif", deflated, crc, declared=1000)  # declares 1 kB
    _refused_fast(small, "Cannot extract dem.tif")


def test_the_zip_budget_counts_inflated_bytes_not_headers(monkeypatch):
    raw = bytes(300_000)
    deflated, crc = _deflate_zeros(len(raw))
    monkeypatch.setattr(dem_mod, "MAX_INFLATED_BYTES", 200_000)
    honest = _zip_with_sizes("dem.tif", deflated, crc, declared=len(raw))
    _refused_fast(honest, "zip bomb")
    # many members, each under the cap, together over it
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(3):
            z.writestr(f"part{i}.tif", bytes(90_000))
    _refused_fast(buf.getvalue(), "zip bomb")


def test_a_geotiff_declaring_50000_squared_cells_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.tif"
    # 0.1 m cells over the province: 2.5 billion cells declared, nothing written (sparse)
    with rasterio.open(path, "w", driver="GTiff", width=50_000, height=50_000, count=1,
                       dtype="float32", crs="EPSG:32648", tiled=True, compress="deflate",
                       sparse_ok=True, transform=from_origin(600_000, 1_900_000, 0.1, 0.1)):
        pass
    assert path.stat().st_size < 2 * 2**20
    message = _refused_fast(path, "above the limit")
    assert f"{MAX_DEM_PIXELS:,}" in message


def test_a_big_declared_raster_is_read_only_over_the_analysis_area(tmp_path, monkeypatch):
    """A 0.01° raster of all Indochina (4,000 × 3,000 declared, over the pixel cap once it is
    lowered) yields only the window over the province plus its margin."""
    path = tmp_path / "indochina.tif"
    west, north, step = 95.0, 30.0, 0.01
    with rasterio.open(path, "w", driver="GTiff", width=4000, height=3000, count=1,
                       dtype="float32", crs="EPSG:4326", tiled=True, compress="deflate",
                       transform=from_origin(west, north, step, step)) as ds:
        ds.write(np.full((3000, 4000), 12.0, np.float32), 1)
    monkeypatch.setattr(dem_mod, "MAX_DEM_PIXELS", 1_000_000)
    dem = load_dem(path)
    rows, cols = dem.shape
    assert rows * cols <= 1_000_000
    w, s, e, n = dem.bounds
    assert 105.0 < w < 105.7 and 107.3 < e < 108.0 and 15.9 < s < 16.4 and 18.0 < n < 18.6
    assert np.nanmax(dem.elevation_m) == 12.0


def test_an_upload_over_the_size_cap_is_refused_before_it_is_read():
    class Upload(io.BytesIO):
        name = "big.tif"
        size = dem_mod.MAX_UPLOAD_BYTES + 1

        def getvalue(self):  # noqa: D102 - a Streamlit UploadedFile's API
            raise AssertionError("read although over the cap")

    _refused_fast(Upload(b""), "150 MB limit")


ASC_HEAD = "ncols 100\nnrows 100\nxllcorner 106\nyllcorner 16.5\ncellsize 0.01\nNODATA_value -9999\n"


def test_a_truncated_ascii_grid_is_a_one_line_dem_error(tmp_path, capsys):
    path = tmp_path / "trunc.asc"
    path.write_text(ASC_HEAD + " ".join(["5"] * 350) + "\n")
    message = _refused_fast(path, "truncated or corrupt")
    assert "File short" in message
    assert main(["dem", "info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def _wrong_crs_tif(path):
    """Lon/lat coordinates tagged as UTM 48N metres (lands off Africa, 1 cm cells)."""
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1,
                       dtype="float32", crs="EPSG:32648",
                       transform=from_origin(106, 17.5, 0.01, 0.01)) as ds:
        ds.write(np.full((100, 100), 50.0, np.float32), 1)
    return path


def test_dem_info_refuses_a_dem_with_a_wrong_crs_like_info_dem(tmp_path, capsys):
    path = _wrong_crs_tif(tmp_path / "wrong.tif")
    assert main(["info", "--dem", str(path)]) == 2
    capsys.readouterr()
    assert main(["dem", "info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is its CRS right?" in err and err.count("\n") == 1
    assert main(["dem", "info", str(path), "--json"]) == 2
    out = capsys.readouterr()
    assert '"error": "The DEM' in out.out and "is its CRS right?" in out.err


def test_dem_info_refuses_a_missing_crs_read_wrongly(tmp_path, capsys):
    """An .asc without .prj in lon/lat, told it is UTM metres by --dem-crs."""
    path = tmp_path / "grid.asc"
    path.write_text(ASC_HEAD + ("5 " * 100 + "\n") * 100)
    assert main(["dem", "info", str(path)]) == 0  # lon/lat bounds: taken as EPSG:4326
    capsys.readouterr()
    assert main(["dem", "info", str(path), "--dem-crs", "EPSG:32648"]) == 2
    assert "is its CRS right?" in capsys.readouterr().err
