"""Library and data texts that come in English only, shown in the session's language.

The library's validation report already carries ``problem_vi`` / ``problem_en``; a few other
texts do not yet: whole-file errors (:class:`geo.stations.StationFileError`), the commune
data-quality notes written by ``data/build.py`` and the DEM description. Each known sentence
has a pattern here and a Vietnamese template; numbers inside it are re-written in the
Vietnamese format. A sentence no pattern knows is shown under a Vietnamese lead-in, with the
English kept as the detail (never dropped, never a half-English sentence alone).
"""

from __future__ import annotations

import re

from analysis.formatting import localise
from app_ui.i18n import current_lang, t

__all__ = ["in_lang", "flag_text", "file_error_text", "dem_text", "column_label"]

_NUM = r"[-+]?[\d,]*\.?\d+"

#: (pattern, Vietnamese template); groups are numbers or file names from the sentence.
_PATTERNS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(p), vi) for p, vi in (
        (rf"^legal area ({_NUM}) km² differs from the drawn polygon ({_NUM}) km² by ({_NUM})%$",
         "diện tích pháp lý {0} km² khác diện tích ranh giới vẽ {1} km² ({2}%)"),
        (rf"^legal population ({_NUM}) is implausible against WorldPop 2020 \(({_NUM}); ratio ({_NUM}); "
         rf"({_NUM}) people/km² drawn\)$",
         "dân số pháp lý {0} không hợp lý so với WorldPop 2020 ({1}; tỷ lệ {2}; {3} người/km² theo ranh giới vẽ)"),
        (r"^The file is not a readable table \(binary content\).*$",
         "Tệp không phải là bảng đọc được (nội dung nhị phân): hãy tải lên CSV, Excel (.xlsx), GeoJSON, "
         "GeoPackage, Shapefile nén zip hoặc KML/KMZ."),
        (r"^The file ?(.*?) is empty\.$", "Tệp {0} trống, không có dữ liệu."),
        (r"^The file looks like a zip archive but is damaged\.$", "Tệp có vẻ là tệp nén zip nhưng bị hỏng."),
        (r"^The file is named (\S+) but is not a valid \S+ file.*$",
         "Tệp mang đuôi {0} nhưng không phải tệp {0} hợp lệ (có thể bị hỏng)."),
        (r"^The zip archive holds no Excel sheet, KML or Shapefile.*$",
         "Tệp zip không chứa trang Excel, KML hay Shapefile (.shp) nào để đọc trạm."),
        (rf"^The file is larger than the ({_NUM}) MB limit.*$",
         "Tệp lớn hơn giới hạn {0} MB; hãy tách tệp hoặc chỉ giữ các cột cần thiết."),
        (r"^This is a password-protected \(encrypted\) Excel workbook or an old \.xls file.*$",
         "Đây là tệp Excel có mật khẩu hoặc tệp .xls cũ; hãy bỏ mật khẩu và lưu thành .xlsx (hoặc CSV) "
         "rồi tải lên lại."),
        (r"^The file is encrypted \(password-protected\).*$",
         "Tệp được mã hóa (có mật khẩu); hãy bỏ mật khẩu rồi tải lên lại."),
        (r"^Refusing a compressed file.*$", "Từ chối tệp nén giải nén ra quá lớn (có thể là \"bom zip\")."),
        (r"^The file says it is (\S+) but is not valid \S+ text\.$",
         "Tệp ghi là mã {0} nhưng nội dung không phải văn bản {0} hợp lệ."),
    )
)

#: Station-table column names the validation report may name, in Vietnamese.
COLUMN_LABELS_VI = {
    "station_id": "mã trạm", "operator": "nhà mạng", "technology": "công nghệ", "lon": "kinh độ",
    "lat": "vĩ độ", "x": "tọa độ X", "y": "tọa độ Y", "height_m": "độ cao anten (m)",
    "band_mhz": "băng tần (MHz)", "eirp_dbm": "công suất EIRP (dBm)", "azimuth_deg": "góc phương vị (°)",
    "tilt_deg": "góc ngẩng (°)", "sectors": "số sector", "beamwidth_deg": "độ rộng búp sóng (°)",
    "site_id": "mã vị trí", "status": "trạng thái", "name": "tên", "commune": "xã",
    "geometry": "hình học", "row": "dòng", "file": "tệp", "source_row": "dòng trong tệp",
    "assumed": "giá trị giả định", "modelled": "mô phỏng",
}


def _vi_number(text: str) -> str:
    return localise(text, "vi") if re.fullmatch(_NUM, text or "") else text


def _translate(text: str) -> str | None:
    for pattern, vi in _PATTERNS:
        m = pattern.match(text.strip())
        if m:
            return vi.format(*(_vi_number(g or "").strip() for g in m.groups()))
    return None


def in_lang(text: str, lang: str | None = None) -> tuple[str, str | None]:
    """``(shown, detail)``: an English library sentence in ``lang``.

    English: the sentence itself and no detail. Vietnamese: its translation and no detail,
    or, for a sentence no pattern knows, a Vietnamese lead-in and the English as detail.
    """
    lang = lang or current_lang()
    text = str(text)
    if lang != "vi":
        return text, None
    vi = _translate(text)
    if vi is not None:
        return vi, None
    return t("untranslated_detail", "vi"), text


def flag_text(flag: str, lang: str | None = None) -> str:
    """A commune data-quality note (``data/build.py``) in ``lang`` (English kept in brackets
    for a note no pattern knows)."""
    shown, detail = in_lang(flag, lang)
    return shown if detail is None else f"{shown} ({detail})"


def file_error_text(message: str, lang: str | None = None) -> tuple[str, str | None]:
    """A whole-file station error in ``lang``: ``(message, English detail or None)``."""
    return in_lang(message, lang)


def dem_text(dem, lang: str | None = None) -> str:
    """The DEM in use in one line, like :meth:`geo.dem.Dem.describe` but in ``lang``."""
    lang = lang or current_lang()
    if lang != "vi":
        return dem.describe()
    from geo.dem import EMBEDDED_SOURCE

    source = str(dem.source)
    if source == EMBEDDED_SOURCE:
        source = "địa hình nhúng sẵn 5′"
    res = str(dem.resolution_label)
    text = f"{source} ({localise(res, 'vi')})"
    if dem.is_coarse:
        text += f" — thô: chỉ thấy bóng địa hình ở quy mô ~{localise(res.lstrip('~'), 'vi')}"
    return text


def column_label(column: str, lang: str | None = None) -> str:
    """A station-table column name as a reader says it (``band_mhz`` → ``băng tần (MHz)``)."""
    lang = lang or current_lang()
    if lang != "vi":
        return str(column)
    parts = [p.strip() for p in str(column).split(",")]
    return ", ".join(COLUMN_LABELS_VI.get(p, p) for p in parts)
