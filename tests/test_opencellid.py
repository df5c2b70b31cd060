"""OpenCelliD download against a local HTTP server; the real service is never contacted."""

from __future__ import annotations

import gzip
import http.server
import threading
import urllib.parse

import pytest
from _stations_helpers import BOUNDARY, opencellid_gzip_bytes

from geo.opencellid import (
    OpenCellIdError,
    clip_to_province,
    download_country,
    download_url,
    read_opencellid,
)
from lomsong.cli import main


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""
    status = 200
    requests: list[str] = []
    ranges: list[str | None] = []
    cut_after: int | None = None  # send only this many bytes of a body, then hang up

    def do_GET(self):  # noqa: N802 - http.server API
        type(self).requests.append(self.path)
        type(self).ranges.append(self.headers.get("Range"))
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if q.get("token") != ["GOOD"]:
            body, status = b"INVALID_TOKEN", 200  # OpenCelliD answers errors as text
        else:
            body, status = type(self).body, type(self).status
        rng = self.headers.get("Range")
        if rng and status == 200 and body != b"INVALID_TOKEN":
            start = int(rng.split("=")[1].rstrip("-"))
            body, status = body[start:], 206
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = type(self).cut_after
        self.wfile.write(body if cut is None else body[:cut])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.body = opencellid_gzip_bytes(extra_far_rows=50)
    _Handler.status = 200
    _Handler.requests = []
    _Handler.ranges = []
    _Handler.cut_after = None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/ocid/downloads"
    httpd.shutdown()
    httpd.server_close()


def test_download_url_format():
    url = download_url("T0K", 452, "http://x/ocid/downloads")
    assert url == "http://x/ocid/downloads?token=T0K&type=mcc&file=452.csv.gz"


def test_download_cache_and_read(server, tmp_path):
    cache = tmp_path / "cache"
    p = download_country("GOOD", 452, cache=cache, base_url=server, progress=False)
    assert p == cache / "452.csv.gz" and p.read_bytes()[:2] == b"\x1f\x8b"
    assert "token=GOOD" in _Handler.requests[0] and "file=452.csv.gz" in _Handler.requests[0]
    download_country("GOOD", 452, cache=cache, base_url=server, progress=False)
    assert len(_Handler.requests) == 1  # served from the cache
    download_country("GOOD", 452, cache=cache, base_url=server, progress=False, refresh=True)
    assert len(_Handler.requests) == 2
    assert not list(cache.glob("*.part"))
    assert "GOOD" not in " ".join(x.name for x in cache.iterdir())  # the token is never on disk

    st = read_opencellid("GOOD", cache=cache, base_url=server, boundary=BOUNDARY, progress=False)
    s = st.summary()
    # 7 published rows + 50 far ones; clipping keeps the 6 in/near the box
    assert s["rows_read"] == 6 and s["rejected"] == 0
    assert len(st.stations) == 4 and st.source_format == "opencellid"
    assert any("57 cells" in n for n in st.notes)


def test_bad_token_clear_error(server, tmp_path):
    with pytest.raises(OpenCellIdError, match="INVALID_TOKEN"):
        download_country("BAD", cache=tmp_path, base_url=server, progress=False)
    assert not list(tmp_path.iterdir())


def test_http_error(server, tmp_path):
    _Handler.status = 503
    with pytest.raises(OpenCellIdError, match="HTTP 503"):
        download_country("GOOD", cache=tmp_path, base_url=server, progress=False)


def test_offline_clear_error_and_stale_cache_fallback(tmp_path):
    dead = "http://127.0.0.1:9/ocid/downloads"  # discard port: connection refused
    with pytest.raises(OpenCellIdError, match="Cannot reach OpenCelliD"):
        download_country("GOOD", cache=tmp_path, base_url=dead, progress=False, timeout_s=5)
    (tmp_path / "452.csv.gz").write_bytes(opencellid_gzip_bytes())
    p = download_country("GOOD", cache=tmp_path, base_url=dead, refresh=True, progress=False,
                         timeout_s=5)
    assert p.exists()


def test_missing_token():
    with pytest.raises(OpenCellIdError, match="token"):
        download_country("  ")


def test_clip_damaged_gzip(tmp_path):
    bad = tmp_path / "452.csv.gz"
    bad.write_bytes(gzip.compress(b"radio,mcc\n")[:10])
    with pytest.raises(OpenCellIdError, match="damaged"):
        clip_to_province(bad, tmp_path / "out.csv", boundary=BOUNDARY)


def test_cli_opencellid(server, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LOMSONG_CACHE_DIR", str(tmp_path / "c"))
    rc = main(["stations", "opencellid", "--token", "GOOD", "--url", server, "--json"])
    out = capsys.readouterr().out
    assert rc == 0 and '"format": "opencellid"' in out
    rc = main(["stations", "opencellid", "--token", "BAD", "--url", server, "--refresh"])
    err = capsys.readouterr().err
    assert rc == 2 and "INVALID_TOKEN" in err and "Traceback" not in err


# ------------------------------------------------ one downloader: length check, resume (#12)
def test_a_cut_off_transfer_is_never_cached_as_complete_and_resumes(server, tmp_path):
    full = _Handler.body
    _Handler.cut_after = len(full) // 2  # Content-Length says all, half arrives
    with pytest.raises(OpenCellIdError, match="broke off after"):
        download_country("GOOD", cache=tmp_path, base_url=server, progress=False)
    assert not (tmp_path / "452.csv.gz").exists()  # not taken as the export
    assert (tmp_path / "452.csv.gz.part").stat().st_size == len(full) // 2
    _Handler.cut_after = None
    p = download_country("GOOD", cache=tmp_path, base_url=server, progress=False)
    assert p.read_bytes() == full  # resumed, whole
    assert _Handler.ranges == [None, f"bytes={len(full) // 2}-"]
    assert not list(tmp_path.glob("*.part"))
    assert "GOOD" not in " ".join(x.name for x in tmp_path.iterdir())


def test_the_error_for_a_cut_off_transfer_does_not_show_the_token(server, tmp_path):
    _Handler.cut_after = 10
    with pytest.raises(OpenCellIdError) as info:
        download_country("GOOD", cache=tmp_path, base_url=server, progress=False)
    assert "GOOD" not in str(info.value) and "token=" not in str(info.value)


def test_the_country_file_is_clipped_once(server, tmp_path, monkeypatch):
    from geo import opencellid

    calls = []
    real = opencellid.clip_to_province

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(opencellid, "clip_to_province", counting)
    cache = tmp_path / "cache"
    first = read_opencellid("GOOD", cache=cache, base_url=server, boundary=BOUNDARY,
                            progress=False)
    again = read_opencellid("GOOD", cache=cache, base_url=server, boundary=BOUNDARY,
                            progress=False)
    assert len(calls) == 1
    assert first.summary()["rows_read"] == again.summary()["rows_read"] == 6
    assert first.notes == again.notes  # the counts come back with the clipped file
    read_opencellid("GOOD", cache=cache, base_url=server, boundary=BOUNDARY, progress=False,
                    margin_km=5.0)  # another area: clipped anew
    assert len(calls) == 2
    read_opencellid("GOOD", cache=cache, base_url=server, boundary=BOUNDARY, progress=False,
                    refresh=True)  # a new download: clipped anew
    assert len(calls) == 3
