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
import urllib.parse
from pathlib import Path

from geo._download import DownloadError
from geo._station_readers import OPENCELLID_COLUMNS, StationFileError
from geo.stations import DEFAULT_MARGIN_KM, StationSet, _boundary_wgs84, read_stations

__all__ = [
    "OPENCELLID_URL",
    "OpenCellIdError",
    "cache_dir",
    "download_url",
    "download_country",
    "clip_to_province",
    "clipped_export",
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
    url = download_url(str(token).strip(), mcc, base_url)
    try:
        _fetch(url, target, mcc, timeout_s, progress)
    except DownloadError as exc:
        if target.exists():
            return target  # offline, refused or cut off: the cached export (any age) serves
        raise _download_error(exc, mcc) from exc
    return target


def _fetch(url: str, target: Path, mcc: int, timeout_s: float, progress: bool) -> None:
    """The shared downloader (``.part`` + Range + byte count); the answer must be a gzip."""
    from geo._download import fetch

    def gzip_or_refuse(first: bytes, response) -> None:
        if first[:2] != b"\x1f\x8b":
            body = (first + response.read(500)).decode("utf-8", "replace").strip()
            msg = (
                f"OpenCelliD did not send a gzip export for MCC {mcc}: it answered "
                f"{body[:200]!r}. Check the token and the daily download limit."
            )
            raise OpenCellIdError(msg)

    fetch(url, target, label=f"the OpenCelliD export {int(mcc)}.csv.gz", user_agent="lomsong",
          timeout_s=timeout_s, progress=progress, desc=f"OpenCelliD {mcc}",
          check_start=gzip_or_refuse)


def _download_error(exc, mcc: int) -> OpenCellIdError:
    """The user's sentence for a failed download (never naming the token-bearing URL)."""
    if exc.kind in ("missing", "http"):
        return OpenCellIdError(f"OpenCelliD refused the download (HTTP {exc.code}): check the token.")
    if exc.kind == "offline":
        return OpenCellIdError(
            f"Cannot reach OpenCelliD ({exc.reason}); this needs an internet connection. "
            "Download the export elsewhere and upload it as a file instead."
        )
    return OpenCellIdError(f"{exc} (MCC {int(mcc)}; the partial file is kept and resumed).")


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


def clipped_export(gz: Path, mcc: int = DEFAULT_MCC, *, boundary=None,
                   margin_km: float = DEFAULT_MARGIN_KM) -> tuple[Path, int, int]:
    """The province's cells of a country export, clipped once per export and area.

    The clipped CSV and its counts are kept beside the export (``<mcc>-clipped-<key>.csv``
    and ``.json``; ``key`` from the area and margin) and reused while the export is the
    same file (size and modification time); a new download is clipped again.

    Returns
    -------
    (path, cells_read, cells_kept)
    """
    import hashlib
    import json

    bounds = _boundary_wgs84(boundary).bounds
    key = hashlib.sha256(repr((tuple(round(v, 7) for v in bounds), float(margin_km))).encode())
    stem = f"{int(mcc)}-clipped-{key.hexdigest()[:12]}"
    out, meta_path = gz.with_name(f"{stem}.csv"), gz.with_name(f"{stem}.json")
    stat = gz.stat()
    source = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("source") == source and out.exists():
            return out, int(meta["cells_read"]), int(meta["cells_kept"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no or unreadable record: clip
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        n_read, n_kept = clip_to_province(gz, tmp, boundary=boundary, margin_km=margin_km)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    meta_path.write_text(json.dumps({"source": source, "cells_read": n_read,
                                     "cells_kept": n_kept}), encoding="utf-8")
    return out, n_read, n_kept


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
    clipped, n_read, n_kept = clipped_export(gz, mcc, boundary=boundary, margin_km=margin_km)
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
