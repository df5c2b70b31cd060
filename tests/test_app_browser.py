"""End to end in headless Chromium: the real ``streamlit run app.py`` on a free port.

One server for the module (1000 m grid), one browser. The desktop test waits for the map
(offline: no request leaves the machine), checks the legend (≥ 12 px, clear of the layer
control), clicks a commune and sees the feedback before the rerun ends, reads every page in
Vietnamese for English UI text, uploads a 4G-only list and ends on a non-zero 4G result with
the message saying why, builds the report and opens the xlsx (numbers are numbers) and the
GeoPackage. The phone test opens the app at 390 px: sidebar closed, the map in the first view.
Screenshots of every step go to ``test-artifacts/`` (git-ignored); with
``LOMSONG_UPDATE_SCREENSHOT=1`` the province-zoom map screenshots (desktop and phone) also
replace ``docs/screenshot-map.png`` and ``docs/screenshot-phone.png``.

Uses the Debian ``chromium`` (``/usr/bin/chromium``) through Playwright; never downloads a
browser.
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
PHONE_SHOT = ROOT / "docs" / "screenshot-phone.png"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
FOLIUM_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
STATION_CSV = (  # a 4G-only list: the app analyses 5G until it sees it
    "Mã trạm,Nhà mạng,Công nghệ,Kinh độ,Vĩ độ,Độ cao anten (m),Băng tần (MHz)\n"
    "QT-DHA-01,Viettel,4G,107.10,16.80,35,1800\n"
    "QT-DHA-02,Viettel,4G,107.12,16.82,35,1800\n"
    "QT-QTR-01,VinaPhone,4G,107.19,16.75,35,1800\n"
    "QB-DHO-01,MobiFone,4G,106.62,17.47,35,1800\n"
    "QB-LTH-01,Viettel,4G,106.80,17.21,35,1800\n"
    "QT-BAD-01,Viettel,4G,,16.9,30,1800\n"
)
#: English that must not show in Vietnamese mode (seen in issue #18, or Streamlit defaults).
ENGLISH_STRINGS = (
    "Choose options", "Choose an option", "Browse files", "Drag and drop", "per file", "Upload",
    "coarse", "embedded", "legal area", "differs from", "microwave", "band_mhz", "eirp_dbm",
    "height_m", "People", "Share", "Download", "Coverage", "Stations", "Proposed", "Commune",
    "terrain shadows", "Signal", "Legend", "Gaps",
)
#: Bilingual on purpose (Vietnamese first).
BILINGUAL = ("Bản đồ / Map", "Trạm / Stations", "Lõm sóng / Gaps", "Đề xuất / Proposals",
             "Xã / Commune profile", "Dữ liệu / About the data", "Ngôn ngữ / Language",
             "Đo kiểm / Drive tests",
             "MODELLED network — upload your station list for real results", "English",
             "OpenStreetMap")
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
        LOMSONG_CACHE_DIR=str(tmp / "cache"),
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


def _keep_for_docs(shot: Path, target: Path) -> None:
    if os.environ.get("LOMSONG_UPDATE_SCREENSHOT") == "1":
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, target)


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
    page.wait_for_timeout(1200)  # the overlay image and markers settle
    return frame


def _map_frame(page):
    return next(f for f in page.frames if "streamlit_folium" in f.url)


_FIND_GAP = """
() => {
    // a point on a hatched gap (drawn above the communes) and the commune beneath it
    const out = [];
    document.querySelectorAll('.leaflet-lomsong-gaps-pane path[fill="url(#lomsong-hatch)"]').forEach(p => {
        const r = p.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (x < 60 || y < 60 || x > window.innerWidth - 400 || y > window.innerHeight - 300) return;
        if (document.elementFromPoint(x, y) !== p) return;
        const c = window.lomsongCommuneAt(window.map.containerPointToLatLng([x, y]));
        if (c) out.push({x: x, y: y, name: c.feature.properties.name, area: r.width * r.height});
    });
    out.sort((a, b) => b.area - a.area);
    return out.length ? out[0] : null;
}
"""

_STATION_OVER_COMMUNE = """
() => {
    // a station dot at province zoom: what lies under its centre is the commune, not the dot
    const dots = document.querySelectorAll('.leaflet-lomsong-stations-pane path');
    for (const d of dots) {
        const r = d.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (x < 60 || y < 60 || x > window.innerWidth - 260 || y > window.innerHeight - 60) continue;
        const hit = document.elementFromPoint(x, y);
        return {dots: dots.length, hitIsDot: hit === d,
                hitIsCommune: !!(hit && hit.classList.contains('leaflet-interactive') && hit !== d)};
    }
    return {dots: dots.length};
}
"""

_LEGEND_GEOMETRY = """
() => {
    const legend = document.querySelector('.lomsong-legend');
    const layers = document.querySelector('.leaflet-control-layers');
    const zoom = document.querySelector('.leaflet-control-zoom');
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const sizes = [...legend.querySelectorAll('*')].filter(e => e.childNodes.length && e.innerText)
        .map(e => parseFloat(getComputedStyle(e).fontSize));
    return {legend: box(legend), layers: box(layers), zoom: box(zoom), minFont: Math.min(...sizes),
            layersCollapsed: !layers.classList.contains('leaflet-control-layers-expanded'),
            legendOpen: legend.querySelector('details').open};
}
"""


def _overlap(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def _english_on(page) -> list[str]:
    """Known English strings and English words in labels on the page and in the map."""
    texts = [page.locator('[data-testid="stMain"]').inner_text(),
             page.locator('[data-testid="stSidebar"]').inner_text()]
    texts += page.locator('[data-testid="stWidgetLabel"]').all_inner_texts()
    texts += page.locator('[data-baseweb="select"]').all_inner_texts()  # placeholders of selects
    for frame in page.frames:
        if "streamlit_folium" in frame.url:
            texts.append(frame.locator("body").inner_text())
    bad = []
    for text in texts:
        for ok in BILINGUAL:
            text = text.replace(ok, "")
        bad += [s for s in ENGLISH_STRINGS if s in text]
    return sorted(set(bad))


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_desktop_in_chromium(server, browser):
    url, tmp = server
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    local = ("http://127.0.0.1", "data:", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))

    # 1. the map draws offline: communes, signal raster, hatched gaps, legend, layer control
    page.goto(url, timeout=60_000)
    frame = _wait_map(page)
    _wait_idle(page)
    assert frame.locator(".leaflet-container").count() == 1
    n_paths = frame.locator("path.leaflet-interactive").count()
    assert n_paths >= 78, n_paths  # 78 communes (+ gaps)
    assert frame.locator("img.leaflet-image-layer").count() == 1  # the signal raster
    assert frame.locator('path[fill="url(#lomsong-hatch)"]').count() >= 1  # hatched gaps
    layers = frame.locator(".leaflet-control-layers").inner_text()
    from app_ui import features

    if features.has_load():  # the engine models data speed: its layer is one click away
        assert "Tốc độ dữ liệu (Mbit/s, mô hình)" in layers, layers
    page.get_by_text("Mạng trạm MÔ PHỎNG").first.wait_for(timeout=10_000)
    geo = _map_frame(page).evaluate(_LEGEND_GEOMETRY)
    assert geo["minFont"] >= 12, geo
    assert not _overlap(geo["legend"], geo["layers"]) and not _overlap(geo["legend"], geo["zoom"]), geo
    assert not geo["layersCollapsed"] and geo["legendOpen"]  # a laptop: both open
    dots = _map_frame(page).evaluate(_STATION_OVER_COMMUNE)
    assert dots["dots"] > 100 and dots.get("hitIsDot") is False, dots  # stations let clicks through
    shot = _shot(page, "01_map")
    map_shot = ARTIFACTS / "screenshot-map.png"
    page.locator(FOLIUM_IFRAME).first.screenshot(path=str(map_shot))
    _keep_for_docs(map_shot, README_SHOT)
    assert shot.exists()
    assert not outside, outside  # nothing asked of the Internet: the background is offline
    assert not _english_on(page), _english_on(page)

    # 2. a click — here on a gap drawn above a commune — shows feedback at once, then opens
    #    the profile of the commune under it
    target = _map_frame(page).evaluate(_FIND_GAP)
    assert target is not None, "no gap lies clear of the controls"
    box = page.locator(FOLIUM_IFRAME).first.bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    busy = _map_frame(page).evaluate(
        "() => new Promise(r => setTimeout(() => { const b = document.querySelector('.lomsong-busy');"
        " r(b ? b.textContent : null); }, 50))")  # 50 ms: the feedback is there before any rerun
    profile_shown = page.get_by_role("heading", name="Hồ sơ xã").count()
    assert busy == f"Đang mở hồ sơ xã {target['name']}…" and profile_shown == 0, (busy, profile_shown)
    page.get_by_text("Hồ sơ xã", exact=True).wait_for(timeout=60_000)
    _wait_idle(page)
    page.get_by_role("heading", name=target["name"]).first.wait_for(timeout=30_000)
    _wait_map(page)
    _shot(page, "02_commune_profile")
    assert not _english_on(page), _english_on(page)

    # 3. every other page in Vietnamese
    for label, heading in (("Lõm sóng / Gaps", "Vùng lõm sóng xếp hạng"),
                           ("Dữ liệu / About the data", "Về dữ liệu và mô hình")):
        _sidebar_page(page, label)
        page.get_by_text(heading, exact=True).first.wait_for(timeout=ANALYSIS_S * 1000)
        _wait_idle(page)
        assert not _english_on(page), (label, _english_on(page))
    page.get_by_role("button", name="Tải địa hình 30 m").wait_for()

    # 4. a 4G-only list: saved, used, and the analysis moves to 4G and says so
    _sidebar_page(page, "Trạm / Stations")
    page.get_by_text("Danh sách trạm", exact=True).wait_for(timeout=30_000)
    _wait_idle(page)
    assert not _english_on(page), _english_on(page)  # the uploader in Vietnamese too
    csv_path = tmp / "tram_4g_thang7.csv"
    csv_path.write_text(STATION_CSV, encoding="utf-8")
    page.locator('input[type="file"]').first.set_input_files(str(csv_path))
    page.get_by_text("Đã đọc 6 dòng").wait_for(timeout=60_000)
    page.get_by_text("Báo cáo kiểm tra").wait_for()
    _wait_idle(page)
    assert not _english_on(page), _english_on(page)  # the report names columns in Vietnamese
    _shot(page, "03_upload_report")
    name_box = page.get_by_label("Tên bộ trạm")
    name_box.fill("Viettel 4G tháng 7")
    name_box.press("Enter")
    _wait_idle(page)
    page.get_by_role("button", name="Lưu vào kho").click()
    page.get_by_text('Đã lưu bộ trạm "Viettel 4G tháng 7"').wait_for(timeout=60_000)
    page.get_by_text("phân tích đã chuyển sang 4G").first.wait_for(timeout=30_000)
    _wait_idle(page)
    from geo.workspace import Workspace

    assert Workspace(tmp / "ws" / "lomsong.gpkg").names() == ["Viettel 4G tháng 7"]
    _sidebar_page(page, "Bản đồ / Map")
    _wait_map(page)
    _wait_idle(page)
    covered = int(_metric(page, "Người có sóng").replace(".", ""))
    assert covered > 1000, covered  # a 4G result, not "0 people covered"
    page.get_by_text("phân tích đã chuyển sang 4G").first.wait_for()
    assert page.get_by_text("Mạng trạm MÔ PHỎNG").count() == 0  # a real set is active
    _shot(page, "04_4g_result")

    # 5. proposals: the workbook's numbers are numbers; the GeoPackage opens
    _sidebar_page(page, "Đề xuất / Proposals")
    page.get_by_text("Đề xuất vị trí trạm mới").wait_for(timeout=30_000)
    button = page.get_by_role("button", name="Tải GeoPackage")
    button.wait_for(timeout=ANALYSIS_S * 1000)
    _wait_idle(page)
    assert not _english_on(page), _english_on(page)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    gpkg = ARTIFACTS / "de_xuat_tram.gpkg"
    info.value.save_as(str(gpkg))
    page.get_by_role("button", name="Tạo báo cáo").click()
    xlsx_button = page.get_by_role("button", name="Tải danh sách ưu tiên (Excel)")
    xlsx_button.wait_for(timeout=ANALYSIS_S * 1000)
    _wait_idle(page)
    _shot(page, "05_proposals")
    with page.expect_download(timeout=60_000) as info:
        xlsx_button.click()
    xlsx = ARTIFACTS / "danh_sach_uu_tien.xlsx"
    info.value.save_as(str(xlsx))

    import geopandas as gpd
    import openpyxl
    import pyogrio

    assert [layer for layer, _ in pyogrio.list_layers(gpkg)] == ["proposals"]
    gdf = gpd.read_file(gpkg, layer="proposals")
    assert len(gdf) >= 1 and gdf.crs.to_epsg() == 4326
    assert list(gdf["rank"]) == list(range(1, len(gdf) + 1))
    assert (gdf["people_new"] > 0).all()
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Đề xuất trạm"]
    heads = [c.value for c in ws[1]]
    people = [ws.cell(row=i, column=heads.index("Số dân được phủ thêm") + 1) for i in range(2, ws.max_row + 1)]
    assert people and all(isinstance(c.value, int | float) and c.number_format.endswith("#,##0") for c in people)
    costs = [r[2] for r in wb["Giả định"].iter_rows(min_row=2, values_only=True) if r[0] and r[3]]
    assert len(costs) >= 11 and all(isinstance(v, int | float) for v in costs)  # a unit: a number
    assert not errors, errors
    page.close()


def test_phone_first_view_shows_the_map_with_the_sidebar_closed(server, browser):
    url, _ = server
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                              is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.goto(url, timeout=60_000)
    _wait_map(page)
    _wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sb = sidebar.bounding_box() if sidebar.count() else None
    assert sb is None or sb["x"] + sb["width"] <= 1 or not sidebar.is_visible(), sb  # closed
    iframe = page.locator(FOLIUM_IFRAME).first
    box = iframe.bounding_box()  # no scrolling: the first view
    assert box["width"] >= 330 and box["y"] + 300 <= 844, box  # ≥ 300 px of map on the first screen
    geo = _map_frame(page).evaluate(_LEGEND_GEOMETRY)
    assert geo["layersCollapsed"] and not geo["legendOpen"], geo  # the map is not covered
    assert not _overlap(geo["legend"], geo["layers"]), geo
    shot = ARTIFACTS / "screenshot-phone.png"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))  # the first view, as a phone shows it
    _keep_for_docs(shot, PHONE_SHOT)
    ctx.close()
