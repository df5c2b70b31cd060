"""End to end in headless Chromium: the real ``streamlit run app.py`` on a free port.

Waits for the map, checks the Leaflet map and the communes layer are drawn (offline: the
test machine reaches no tile server), clicks a commune to open its profile, uploads a
station CSV, reads the validation report, saves the set, switches to the Proposals page,
downloads the GeoPackage and opens it with geopandas. Screenshots of every step go to
``test-artifacts/`` (git-ignored); with ``LOMSONG_UPDATE_SCREENSHOT=1`` the map screenshot
also replaces the README's ``docs/screenshot-map.png``.

Uses the Debian ``chromium`` (``/usr/bin/chromium``) through Playwright; never downloads a
browser. Runs at a coarse 1000 m grid to stay within a few minutes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
README_SHOT = ROOT / "docs" / "screenshot-map.png"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
FOLIUM_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
STATION_CSV = (
    "Mã trạm,Nhà mạng,Công nghệ,Kinh độ,Vĩ độ,Độ cao anten (m),Băng tần (MHz)\n"
    "QT-DHA-01,Viettel,5G,107.10,16.80,30,3500\n"
    "QT-DHA-02,Viettel,4G,107.10,16.80,30,1800\n"
    "QT-QTR-01,VinaPhone,5G,107.19,16.75,35,3500\n"
    "QB-DHO-01,MobiFone,5G,106.62,17.47,30,3500\n"
    "QB-LTH-01,Viettel,5G,106.80,17.21,30,3500\n"
    "QT-BAD-01,Viettel,5G,,16.9,30,3500\n"
)
STARTUP_S = 60
ANALYSIS_S = 240


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (install the Debian 'chromium' package; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("app")
    port = _free_port()
    env = dict(os.environ)
    env.update(
        LOMSONG_WORKSPACE=str(tmp / "ws" / "lomsong.gpkg"), LOMSONG_APP_RESOLUTION="1000",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    log = open(tmp / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("streamlit did not start:\n" + (tmp / "streamlit.log").read_text()[-3000:])
        time.sleep(0.5)
    yield url, tmp
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def _sidebar_page(page, label: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True).click()


def _wait_idle(page, timeout_s: float = ANALYSIS_S) -> None:
    """Wait until the script has finished running (no 'Running…' status widget)."""
    page.wait_for_timeout(500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_s * 1000)


def _wait_map(page):
    frame = page.frame_locator(FOLIUM_IFRAME).first
    frame.locator(".leaflet-container").wait_for(state="attached", timeout=ANALYSIS_S * 1000)
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(1500)  # tiles (none reachable) and clusters settle
    return frame


_FIND_CLICKABLE = """
() => {
    const out = [];
    window.map.eachLayer(l => {
        if (!l.feature || !l.feature.properties || !l.feature.properties.code || !l._path) return;
        const r = l._path.getBoundingClientRect();
        for (const [fx, fy] of [[0.5, 0.5], [0.4, 0.6], [0.6, 0.4], [0.5, 0.3], [0.5, 0.7]]) {
            const x = r.left + fx * r.width, y = r.top + fy * r.height;
            if (x < 60 || y < 60 || x > window.innerWidth - 260 || y > window.innerHeight - 60) continue;
            if (document.elementFromPoint(x, y) === l._path) {
                out.push({code: l.feature.properties.code, name: l.feature.properties.name, x: x, y: y,
                          area: r.width * r.height});
                break;
            }
        }
    });
    out.sort((a, b) => b.area - a.area);
    return out.length ? out[0] : null;
}
"""


def _clickable_commune(page):
    """A commune polygon and a point on it that no marker, gap or control covers."""
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    return frame.evaluate(_FIND_CLICKABLE)


def test_end_to_end_in_chromium(server, browser):
    url, tmp = server
    page = browser.new_page(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # 1. the map draws, with the 78 communes, and no tile server reachable
    page.goto(url, timeout=60_000)
    frame = _wait_map(page)
    assert frame.locator(".leaflet-container").count() == 1
    n_paths = frame.locator("path.leaflet-interactive").count()
    assert n_paths >= 78, n_paths  # 78 communes (+ gaps)
    assert frame.locator(".lomsong-legend").count() == 1
    assert frame.locator("img.leaflet-image-layer").count() == 1  # the RSRP overlay
    assert frame.locator(".leaflet-control-layers").count() == 1
    page.get_by_text("Mạng trạm MÔ PHỎNG").first.wait_for(timeout=10_000)
    _shot(page, "01_map")
    map_shot = ARTIFACTS / "screenshot-map.png"
    page.locator('[data-testid="stMain"]').screenshot(path=str(map_shot))
    if os.environ.get("LOMSONG_UPDATE_SCREENSHOT") == "1":
        README_SHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(map_shot, README_SHOT)
    assert not errors, errors

    # 2. clicking a commune (where nothing lies above it) opens its profile
    target = _clickable_commune(page)
    assert target is not None, "no commune polygon is clickable on the map"
    box = page.locator(FOLIUM_IFRAME).first.bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    page.get_by_text("Hồ sơ xã", exact=True).wait_for(timeout=60_000)
    _wait_idle(page)
    page.get_by_role("heading", name=target["name"]).first.wait_for(timeout=30_000)  # that commune
    _shot(page, "02_commune_profile")

    # 3. upload a station list: the validation report shows the rejected row
    _sidebar_page(page, "Trạm / Stations")
    csv_path = tmp / "tram_bts_thang7.csv"
    csv_path.write_text(STATION_CSV, encoding="utf-8")
    page.locator('input[type="file"]').first.set_input_files(str(csv_path))
    page.get_by_text("Đã đọc 6 dòng").wait_for(timeout=60_000)
    page.get_by_text("Báo cáo kiểm tra").wait_for()
    _wait_idle(page)
    _shot(page, "03_upload_report")

    # 4. save it into the workspace; it becomes the active set
    name_box = page.get_by_label("Tên bộ trạm")
    name_box.fill("Viettel tháng 7")
    name_box.press("Enter")
    _wait_idle(page)
    page.get_by_role("button", name="Lưu vào kho").click()
    page.get_by_text('Đã lưu bộ trạm "Viettel tháng 7"').wait_for(timeout=60_000)
    _wait_idle(page)
    _shot(page, "04_saved")
    from geo.workspace import Workspace

    assert Workspace(tmp / "ws" / "lomsong.gpkg").names() == ["Viettel tháng 7"]

    # 5. proposals for the uploaded set; download the GeoPackage and open it
    _sidebar_page(page, "Đề xuất / Proposals")
    page.get_by_text("Đề xuất vị trí trạm mới").wait_for(timeout=30_000)
    button = page.get_by_role("button", name="Tải GeoPackage")
    button.wait_for(timeout=ANALYSIS_S * 1000)
    _wait_idle(page)
    assert page.get_by_text("Mạng trạm MÔ PHỎNG").count() == 0  # a real set is active
    _shot(page, "05_proposals")
    with page.expect_download(timeout=60_000) as info:
        button.click()
    target = ARTIFACTS / "de_xuat_tram.gpkg"
    info.value.save_as(str(target))

    import geopandas as gpd
    import pyogrio

    assert [layer for layer, _ in pyogrio.list_layers(target)] == ["proposals"]
    gdf = gpd.read_file(target, layer="proposals")
    assert len(gdf) >= 1 and gdf.crs.to_epsg() == 4326
    assert list(gdf["rank"]) == list(range(1, len(gdf) + 1))
    assert (gdf["people_new"] > 0).all()
    assert not errors, errors
    page.close()
