"""Copernicus DEM download against a local HTTP server (127.0.0.1) serving small fake tiles.

The real service is never contacted: every test points the downloader at a server started
here, which serves tiles made with rasterio in the Copernicus naming scheme and format
(COG, float32, 1°×1°, grid shifted half a pixel north-west as the real tiles are),
supports ``Range: bytes=N-`` requests, answers 404 for sea tiles and can break a transfer
off half-way.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from geo._dem_download import (
    ENV_CACHE,
    ENV_URL,
    cache_dir,
    download_copernicus,
    download_tile,
    tile_name,
    tile_url,
    tiles_for_bounds,
)
from geo.dem import DemError, load_dem

PX_PER_DEG = 60  # 1 arc-minute fake tiles: small and fast
BOUNDS = (106.2, 16.3, 107.6, 17.4)  # 4 tiles: N16/N17 × E106/E107
SEA_TILE = (17, 107)  # not served: 404


def tile_value(lat: int, lon: int) -> float:
    return float(lat * 10 + (lon - 100))


def make_tile(folder: Path, lat: int, lon: int, product: str = "glo-30") -> Path:
    name = tile_name(lat, lon, product)
    path = folder / name / f"{name}.tif"
    path.parent.mkdir(parents=True, exist_ok=True)
    n = PX_PER_DEG
    step = 1.0 / n
    arr = np.full((n, n), tile_value(lat, lon), dtype=np.float32)
    arr[0, 0] += 1  # some texture
    transform = Affine(step, 0, lon - step / 2, 0, -step, lat + 1 + step / 2)
    with rasterio.open(
        path, "w", driver="COG", height=n, width=n, count=1, dtype="float32",
        crs="EPSG:4326", transform=transform, compress="deflate",
    ) as dst:
        dst.write(arr, 1)
    return path


class TileServer:
    """A threaded http.server with Range support, 404s and one-shot truncation."""

    def __init__(self, root: Path):
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        self.truncate_once: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server API
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                file = server.root / self.path.lstrip("/")
                if not file.is_file():
                    self.send_error(404, "NoSuchKey")
                    return
                data = file.read_bytes()
                start = 0
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "image/tiff")
                self.end_headers()
                if self.path in server.truncate_once:
                    server.truncate_once.discard(self.path)
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def served(tmp_path, monkeypatch):
    root = tmp_path / "bucket"
    for lat in (16, 17):
        for lon in (106, 107):
            if (lat, lon) != SEA_TILE:
                make_tile(root, lat, lon)
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.delenv(ENV_URL, raising=False)
    with TileServer(root) as srv:
        yield srv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------- naming scheme
def test_tile_names_and_urls(monkeypatch):
    monkeypatch.delenv(ENV_URL, raising=False)
    assert tile_name(16, 106) == "Copernicus_DSM_COG_10_N16_00_E106_00_DEM"
    assert tile_name(16, 106, "glo-90") == "Copernicus_DSM_COG_30_N16_00_E106_00_DEM"
    assert tile_name(-1, -72) == "Copernicus_DSM_COG_10_S01_00_W072_00_DEM"
    assert tile_url(16, 106) == (
        "https://copernicus-dem-30m.s3.amazonaws.com/Copernicus_DSM_COG_10_N16_00_E106_00_DEM/"
        "Copernicus_DSM_COG_10_N16_00_E106_00_DEM.tif"
    )
    assert tile_url(17, 107, "glo-90").startswith("https://copernicus-dem-90m.s3.amazonaws.com/")
    monkeypatch.setenv(ENV_URL, "http://mirror.example/cop/")
    assert tile_url(16, 106).startswith("http://mirror.example/cop/Copernicus_DSM_COG_10_N16")
    with pytest.raises(DemError, match="glo-30"):
        tile_name(16, 106, "glo-10")


def test_tiles_for_bounds():
    assert tiles_for_bounds(BOUNDS) == [(16, 106), (16, 107), (17, 106), (17, 107)]
    assert tiles_for_bounds((106.0, 16.0, 107.0, 17.0)) == [(16, 106)]
    assert tiles_for_bounds((-0.5, -0.5, 0.5, 0.5)) == [(-1, -1), (-1, 0), (0, -1), (0, 0)]


def test_cache_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    assert cache_dir("glo-90") == tmp_path / "dem" / "glo-90"
    monkeypatch.delenv(ENV_CACHE)
    assert cache_dir().name == "dem"


# -------------------------------------------------------------------- download
def test_download_mosaic_clip_sea_and_cache(served, tmp_path):
    out = tmp_path / "out"
    res = download_copernicus("glo-30", out_dir=out, bounds_lonlat=BOUNDS,
                              base_url=served.url, progress=False)
    sea = tile_name(*SEA_TILE)
    assert res.missing == [sea]
    assert len(res.downloaded) == 3 and res.cached == []
    assert res.path.parent == out and res.path.exists()
    assert (tmp_path / "cache" / "dem" / "glo-30" / f"{tile_name(16, 106)}.tif").exists()

    dem = load_dem(res.path)
    assert dem.source == "Copernicus GLO-30"
    w, s, e, n = dem.bounds
    step = 1 / PX_PER_DEG
    assert w == pytest.approx(BOUNDS[0], abs=2 * step) and n == pytest.approx(BOUNDS[3], abs=2 * step)
    assert e == pytest.approx(BOUNDS[2], abs=2 * step) and s == pytest.approx(BOUNDS[1], abs=2 * step)

    def at(lon, lat):
        col, row = ~dem.transform @ (lon, lat)
        return dem.elevation_m[int(row), int(col)]

    assert at(106.5, 16.5) == tile_value(16, 106)
    assert at(107.3, 16.5) == tile_value(16, 107)
    assert at(106.5, 17.2) == tile_value(17, 106)
    assert at(107.3, 17.2) == 0.0  # sea tile filled with 0 m
    assert np.isfinite(dem.elevation_m).all()
    assert dem.covers(BOUNDS)
    with rasterio.open(res.path) as src:
        assert src.tags()["COPERNICUS_MISSING_TILES_FILLED_0M"] == sea

    # second run: every tile from the cache, only the sea tile asked again
    served.requests.clear()
    again = download_copernicus("glo-30", out_dir=out, bounds_lonlat=BOUNDS,
                                base_url=served.url, progress=False)
    assert sorted(again.cached) == sorted(res.downloaded) and again.downloaded == []
    assert [p for p, _ in served.requests] == [f"/{sea}/{sea}.tif"]


def test_resume_uses_range_request(served, tmp_path):
    name = tile_name(16, 106)
    original = (served.root / name / f"{name}.tif").read_bytes()
    dest = tmp_path / "t" / f"{name}.tif"
    dest.parent.mkdir()
    part = dest.with_name(dest.name + ".part")
    part.write_bytes(original[:1000])
    assert download_tile(tile_url(16, 106, base_url=served.url), dest)
    assert served.requests[-1][1] == "bytes=1000-"
    assert dest.read_bytes() == original
    assert not part.exists()


def test_broken_transfer_keeps_part_and_resumes(served, tmp_path):
    name = tile_name(16, 107)
    path = f"/{name}/{name}.tif"
    served.truncate_once.add(path)
    with pytest.raises(DemError, match="run the command again to resume"):
        download_copernicus("glo-30", bounds_lonlat=(107.1, 16.1, 107.9, 16.9),
                            base_url=served.url, progress=False)
    part = tmp_path / "cache" / "dem" / "glo-30" / f"{name}.tif.part"
    assert part.exists() and part.stat().st_size > 0
    have = part.stat().st_size
    res = download_copernicus("glo-30", bounds_lonlat=(107.1, 16.1, 107.9, 16.9),
                              base_url=served.url, progress=False)
    assert res.downloaded == [name]
    ranged = [r for p, r in served.requests if p == path and r]
    assert ranged == [f"bytes={have}-"]
    assert not part.exists()
    assert load_dem(res.path).source == "Copernicus GLO-30"


def test_server_url_from_environment(served, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_URL, served.url)
    res = download_copernicus("glo-30", out_dir=tmp_path / "o",
                              bounds_lonlat=(106.1, 16.1, 106.9, 16.9), progress=True)
    assert res.downloaded == [tile_name(16, 106)]


def test_only_sea_tiles_is_an_error(served):
    with pytest.raises(DemError, match="None of the 1"):
        download_copernicus("glo-90", bounds_lonlat=(106.1, 16.1, 106.9, 16.9),
                            base_url=served.url, progress=False)


def test_offline_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(DemError, match=r"cannot reach .*\(offline\?\).*pass --dem"):
        download_copernicus("glo-30", bounds_lonlat=(106.1, 16.1, 106.9, 16.9),
                            base_url=url, progress=False, timeout_s=5)


# --------------------------------------------------------------------------- CLI
def test_cli_download_and_info(served, tmp_path, capsys):
    from lomsong.cli import main

    out = tmp_path / "cli"
    # the CLI downloads over the province; shrink that to a 1-tile area for the test
    import geo._dem_download as dl

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dl, "province_bounds_lonlat", lambda margin_km=30.0: (106.1, 16.1, 106.9, 16.9))
        rc = main(["dem", "download", "--url", served.url, "--out", str(out), "--quiet"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "Copernicus GLO-30: 1 tile(s) (1 downloaded, 0 from cache)" in text
    assert "Use it with: --dem " in text
    tif = next(out.glob("copernicus_glo-30_*.tif"))
    assert main(["dem", "info", str(tif)]) == 0
    info = capsys.readouterr().out
    assert "Copernicus GLO-30 (" in info and "EPSG:4326" in info


def test_cli_download_offline_exit_2(tmp_path, monkeypatch, capsys):
    from lomsong.cli import main

    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    import geo._dem_download as dl

    monkeypatch.setattr(dl, "province_bounds_lonlat", lambda margin_km=30.0: (106.1, 16.1, 106.9, 16.9))
    rc = main(["dem", "download", "--url", f"http://127.0.0.1:{free_port()}/", "--quiet"])
    assert rc == 2
    assert "(offline?)" in capsys.readouterr().err
