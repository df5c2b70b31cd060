"""Numbers the way a Vietnamese reader writes them (1.234.567; 12,5%), or English ones.

Vietnamese groups thousands with ``.`` and marks decimals with ``,``; English does the
opposite. Every number the app shows goes through these functions so that one switch of
language changes them all.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = [
    "DASH",
    "fmt_int",
    "fmt_num",
    "fmt_pct",
    "fmt_vnd",
    "fmt_km",
    "fmt_dbm",
    "parse_num",
]

DASH = "–"
VND_PER_BILLION = 1e9  # 1 tỷ đồng
VND_PER_MILLION = 1e6  # 1 triệu đồng


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, Real) and math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def _localise(text: str, lang: str) -> str:
    """Swap ``,`` and ``.`` of an English-formatted number for Vietnamese."""
    if lang != "vi":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_num(value, decimals: int = 1, lang: str = "vi") -> str:
    """A number with thousands grouping and ``decimals`` decimals.

    >>> fmt_num(1234567.891, 2), fmt_num(1234567.891, 2, "en")
    ('1.234.567,89', '1,234,567.89')
    """
    if _missing(value):
        return DASH
    return _localise(f"{float(value):,.{decimals}f}", lang)


def fmt_int(value, lang: str = "vi") -> str:
    """A whole number (rounded) with thousands grouping.

    >>> fmt_int(1234567), fmt_int(1234567, "en"), fmt_int(-0.4)
    ('1.234.567', '1,234,567', '0')
    """
    if _missing(value):
        return DASH
    n = round(float(value))
    return _localise(f"{int(n) + 0:,d}", lang)


def fmt_pct(share, decimals: int = 1, lang: str = "vi") -> str:
    """A share (0–1) as a percentage.

    >>> fmt_pct(0.125), fmt_pct(0.125, lang="en"), fmt_pct(1.0, 0)
    ('12,5%', '12.5%', '100%')
    """
    if _missing(share):
        return DASH
    return _localise(f"{100.0 * float(share):,.{decimals}f}", lang) + "%"


def fmt_vnd(value, lang: str = "vi", compact: bool = True) -> str:
    """Money in đồng: ``1,5 tỷ đồng`` / ``VND 1.5 bn`` (compact) or ``1.500.000.000 ₫``.

    >>> fmt_vnd(1.5e9), fmt_vnd(1.5e9, "en"), fmt_vnd(250e6), fmt_vnd(1.5e9, compact=False)
    ('1,5 tỷ đồng', 'VND 1.5 bn', '250 triệu đồng', '1.500.000.000 ₫')
    """
    if _missing(value):
        return DASH
    v = float(value)
    if not compact:
        return fmt_int(v, lang) + " ₫"
    if abs(v) >= VND_PER_BILLION:
        num = fmt_num(v / VND_PER_BILLION, 2, lang).rstrip("0").rstrip(",.")
        return f"{num} tỷ đồng" if lang == "vi" else f"VND {num} bn"
    num = fmt_num(v / VND_PER_MILLION, 1, lang).rstrip("0").rstrip(",.")
    return f"{num} triệu đồng" if lang == "vi" else f"VND {num} m"


def fmt_km(value, lang: str = "vi", decimals: int = 1) -> str:
    """A distance in km: ``12,5 km``."""
    if _missing(value):
        return DASH
    return f"{fmt_num(value, decimals, lang)} km"


def fmt_dbm(value, lang: str = "vi") -> str:
    """A signal level: ``−110 dBm``."""
    if _missing(value):
        return DASH
    return f"{fmt_num(value, 0, lang).replace('-', '−')} dBm"


def parse_num(text: str, lang: str = "vi") -> float:
    """Read a number typed in the language's format (``1.234,5`` in Vietnamese).

    Raises ValueError with the text when it is not a number.
    """
    s = str(text).strip().replace(" ", "").replace("\u00a0", "")
    s = s.replace("₫", "").replace("đ", "")
    if lang == "vi":
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    try:
        return float(s)
    except ValueError:
        msg = f"'{text}' is not a number."
        raise ValueError(msg) from None
