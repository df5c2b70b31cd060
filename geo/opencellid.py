"""OpenCelliD: download the per-country cell export, clip it to the province, read it.

OpenCelliD (https://opencellid.org, CC BY-SA 4.0) publishes one gzip CSV per mobile
country code for holders of a free API token: ``radio,mcc,net,area,cell,unit,lon,lat,
range,samples,changeable,created,updated,averageSignal``. :func:`download_country`
fetches it (progress bar, cache, resumable by re-running), :func:`clip_to_province`
streams it and keeps the cells within the province's bounding box grown by the margin,
and :func:`read_opencellid` does both and validates the result with
:func:`geo.stations.read_stations`, so crowd-sourced cells get the same row-by-row
report as any upload. Cell positions in OpenCelliD are *estimates* from phone
measurements, often hundreds of metres off.

The service URL is overridable (``base_url=`` or ``$LOMSONG_OPENCELLID_URL``) so tests
run against a local server; the token is never written to disk or to a log.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from geo._station_readers import OPENCELLID_COLUMNS, StationFileError
from geo.stations import DEFAULT_MARGIN_KM, StationSet, _boundary_wgs84, read_stations

__all__ = [
    "OPENCELLID_URL",
    "OpenCellIdError",
    "cache_dir",
    "download_url",
    "download_country",
    "clip_to_province",
    "read_opencellid",
]

OPENCELLID_URL = "https://opencellid.org/ocid/downloads"
DEFAULT_MCC = 452  # Viet Nam
DEFAULT_MAX_AGE_DAYS = 7.0
KM_PER_DEGREE = 111.0
CHUNK_BYTES = 1 << 16


class OpenCellIdError(StationFileError):
    """The OpenCelliD export could not be had (offline, bad token, not a gzip CSV)."""


def cache_dir() -> Path:
    """``opencellid/`` in the download cache (:func:`geo.data.cache_root`, ``$LOMSONG_CACHE_DIR``)."""
    from geo.data import cache_root

    return cache_root() / "opencellid"


def download_url(token: str, mcc: int = DEFAULT_MCC, base_url: str | None = None) -> str:
    base = base_url or os.environ.get("LOMSONG_OPENCELLID_URL") or OPENCELLID_URL
    query = urllib.parse.urlencode({"token": token, "type": "mcc", "file": f"{int(mcc)}.csv.gz"})
    return f"{base}?{query}"


def download_country(
    token: str,
    mcc: int = DEFAULT_MCC,
    *,
    cache: str | os.PathLike | None = None,
    base_url: str | None = None,
    refresh: bool = False,
    max_age_days: float = DEFAULT_MAX_AGE_DAYS,
    progress: bool = True,
    timeout_s: float = 60.0,
) -> Path:
    """Download (or reuse the cached) OpenCelliD export for one country code.

    Returns the path of ``<cache>/<mcc>.csv.gz``. A cached file younger than
    ``max_age_days`` is reused unless ``refresh``; when the download fails and a cached
    file exists (any age), that file is returned. Otherwise raises
    :class:`OpenCellIdError` with a sentence saying what to do.
    """
    if not token or not str(token).strip():
        raise OpenCellIdError("An OpenCelliD API token is needed (free at opencellid.org): --token TOKEN.")
    folder = Path(cache) if cache is not None else cache_dir()
    target = folder / f"{int(mcc)}.csv.gz"
    if target.exists() and not refresh:
        age_days = (time.time() - target.stat().st_mtime) / 86400.0
        if age_days <= max_age_days:
            return target
    folder.mkdir(parents=True, exist_ok=True)
    url = download_url(str(token).strip(), mcc, base_url)
    tmp = folder / f".{int(mcc)}.csv.gz.{os.getpid()}.part"
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "lomsong"})
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            first = resp.read(2)
            if first != b"\x1f\x8b":
                body = (first + resp.read(500)).decode("utf-8", "replace").strip()
                msg = (
                    f"OpenCelliD did not send a gzip export for MCC {mcc}: it answered "
                    f"{body[:200]!r}. Check the token and the daily download limit."
                )
                raise OpenCellIdError(msg)
            from tqdm import tqdm

            with open(tmp, "wb") as out, tqdm(
                total=total, unit="B", unit_scale=True, desc=f"OpenCelliD {mcc}",
                disable=not progress, leave=False,
            ) as bar:
                out.write(first)
                bar.update(len(first))
                while chunk := resp.read(CHUNK_BYTES):
                    out.write(chunk)
                    bar.update(len(chunk))
        os.replace(tmp, target)
        return target
    except OpenCellIdError:
        raise
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        if target.exists():
            return target
        reason = getattr(exc, "reason", exc)
        if isinstance(exc, urllib.error.HTTPError):
            msg = f"OpenCelliD refused the download (HTTP {exc.code}): check the token."
        else:
            msg = (
                f"Cannot reach OpenCelliD ({reason}); this needs an internet connection. "
                "Download the export elsewhere and upload it as a file instead."
            )
        raise OpenCellIdError(msg) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def clip_to_province(
    gz_path: str | os.PathLike,
    out_csv: str | os.PathLike,
    *,
    boundary=None,
    margin_km: float = DEFAULT_MARGIN_KM,
) -> tuple[int, int]:
    """Stream a gzip export and keep the cells within the province's box + margin.

    Writes ``out_csv`` with the standard header. Returns ``(cells_read, cells_kept)``.
    The precise province test is left to the validation that follows.
    """
    geom = _boundary_wgs84(boundary)
    minx, miny, maxx, maxy = geom.bounds
    pad = margin_km / KM_PER_DEGREE * 1.5
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    read = kept = 0
    try:
        with gzip.open(gz_path, "rt", encoding="utf-8", errors="replace", newline="") as src, \
                open(out_csv, "w", encoding="utf-8", newline="") as dst:
            reader = csv.reader(src)
            writer = csv.writer(dst)
            writer.writerow(OPENCELLID_COLUMNS)
            i_lon, i_lat = OPENCELLID_COLUMNS.index("lon"), OPENCELLID_COLUMNS.index("lat")
            for row in reader:
                if not row:
                    continue
                if row[0].strip().lower() == "radio":
                    cols = [c.strip().lower() for c in row]
                    i_lon, i_lat = cols.index("lon"), cols.index("lat")
                    continue
                read += 1
                try:
                    lon, lat = float(row[i_lon]), float(row[i_lat])
                except (ValueError, IndexError):
                    continue
                if minx <= lon <= maxx and miny <= lat <= maxy:
                    writer.writerow(row[: len(OPENCELLID_COLUMNS)])
                    kept += 1
    except (OSError, EOFError, gzip.BadGzipFile, csv.Error, UnicodeError) as exc:
        raise OpenCellIdError(f"The OpenCelliD export {gz_path} is damaged: {exc}.") from exc
    return read, kept


def read_opencellid(
    token: str,
    mcc: int = DEFAULT_MCC,
    *,
    cache: str | os.PathLike | None = None,
    base_url: str | None = None,
    refresh: bool = False,
    boundary=None,
    margin_km: float = DEFAULT_MARGIN_KM,
    merge_cells: bool = True,
    progress: bool = True,
) -> StationSet:
    """Download, clip and validate the OpenCelliD cells of the province."""
    gz = download_country(token, mcc, cache=cache, base_url=base_url, refresh=refresh,
                          progress=progress)
    clipped = gz.with_name(f"{int(mcc)}-clipped.csv")
    n_read, n_kept = clip_to_province(gz, clipped, boundary=boundary, margin_km=margin_km)
    if n_kept == 0:
        msg = (
            f"The OpenCelliD export for MCC {mcc} has {n_read:,} cells but none in or near the "
            "province."
        )
        raise OpenCellIdError(msg)
    data = clipped.read_bytes()
    st = read_stations(io.BytesIO(data), boundary=boundary, margin_km=margin_km,
                       merge_cells=merge_cells)
    st.source_name = f"opencellid-{int(mcc)}.csv.gz"
    st.notes.append(f"OpenCelliD export: {n_read:,} cells in MCC {mcc}, {n_kept:,} near the province")
    st.notes.append("OpenCelliD data © OpenCelliD contributors, CC BY-SA 4.0; positions are estimates")
    return st
