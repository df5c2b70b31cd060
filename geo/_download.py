"""One HTTP downloader for every fetch of the product (Copernicus DEM tiles, OpenCelliD).

:func:`fetch` streams a URL to ``<dest>.part``, resumes an interrupted ``.part`` with an HTTP
``Range`` request, checks the byte count against ``Content-Length`` (a transfer cut off
early is never taken as complete: the ``.part`` is kept for the next try) and only then
renames it to ``dest``. Failures are :class:`DownloadError` with a ``kind`` the caller
turns into its own message (:mod:`geo._dem_download`, :mod:`geo.opencellid`).
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

__all__ = ["CHUNK_BYTES", "DownloadError", "fetch"]

CHUNK_BYTES = 1 << 16


class DownloadError(OSError):
    """A download failed.

    ``kind`` is ``"missing"`` (HTTP 404 / 403: no such file), ``"http"`` (another HTTP
    error, ``code`` set), ``"offline"`` (the server cannot be reached; ``reason`` set) or
    ``"broken"`` (the transfer broke off or came short; the ``.part`` is kept to resume).
    """

    def __init__(self, message: str, kind: str, code: int | None = None, reason=None):
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.reason = reason


def fetch(
    url: str,
    dest: str | Path,
    *,
    label: str | None = None,
    user_agent: str = "lomsong/0.1",
    timeout_s: float = 30.0,
    progress: bool = False,
    desc: str | None = None,
    check_start: Callable[[bytes, object], None] | None = None,
) -> Path:
    """Download ``url`` to ``dest`` through ``dest.part`` (resumed with ``Range``).

    Parameters
    ----------
    url : str
        http(s) URL. It may hold a secret (a token): messages name ``label`` instead.
    dest : path
        Final file; written only once the byte count is complete.
    label : str, optional
        What messages call the file (default ``url``).
    check_start : callable(first_bytes, response), optional
        Called with the first bytes of a transfer that starts from zero (not of a resumed
        one), to refuse an answer that is not the file (e.g. an error page sent as 200);
        it raises the caller's own error.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    DownloadError
    """
    dest = Path(dest)
    name = label or url
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 403):
            raise DownloadError(f"{name}: HTTP {exc.code}", "missing", exc.code) from exc
        if exc.code == 416 and have:  # nothing left to fetch: the part is whole
            part.replace(dest)
            return dest
        msg = f"Downloading {name} failed: HTTP {exc.code} {exc.reason}."
        raise DownloadError(msg, "http", exc.code) from exc
    except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {name}: {reason}", "offline", reason=reason) from exc
    with response:
        try:
            written, total = _stream(response, part, have, name, progress,
                                     desc or dest.stem[-24:], check_start)
        except DownloadError:
            raise  # broken off: the .part stays for the next try
        except BaseException:  # check_start refused the answer: nothing worth keeping
            part.unlink(missing_ok=True)
            raise
    if total is not None and written < total:
        msg = (
            f"Download of {name} broke off after {written:,} of {total:,} bytes; "
            "run the command again to resume."
        )
        raise DownloadError(msg, "broken")
    part.replace(dest)
    return dest


def _stream(response, part: Path, have: int, name: str, progress: bool, desc: str,
            check_start) -> tuple[int, int | None]:
    """Append (206) or write (200) the body to ``part``; (bytes now in it, expected total)."""
    status = getattr(response, "status", 200)
    length = response.headers.get("Content-Length")
    mode, start = ("ab", have) if status == 206 else ("wb", 0)  # a 200 ignored the Range
    total = start + int(length) if length is not None and length.strip().isdigit() else None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=start, unit="B", unit_scale=True, desc=desc, leave=False)
    written = start
    try:
        first = True
        with open(part, mode) as f:
            while chunk := response.read(CHUNK_BYTES):
                if first and start == 0 and check_start is not None:
                    check_start(chunk, response)
                first = False
                f.write(chunk)
                written += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        msg = (
            f"Download of {name} broke off after {written:,} bytes ({exc}); "
            "run the command again to resume."
        )
        raise DownloadError(msg, "broken") from exc
    finally:
        if bar is not None:
            bar.close()
    return written, total
