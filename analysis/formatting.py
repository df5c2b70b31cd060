"""Numbers the way a Vietnamese reader writes them (``1.234.567``; ``12,5%``), or English ones.

The one number formatter of the product: the printable report (:mod:`analysis.report`) and
the app (:mod:`app_ui.formatting`) both call it. Vietnamese groups thousands with ``.`` and
marks decimals with ``,`` (TCVN 6909 / Decree 30/2020/NĐ-CP administrative style); English
does the opposite.

Examples
--------
>>> fmt_num(1234567.891, 2), fmt_num(1234567.891, 2, "en")
('1.234.567,89', '1,234,567.89')
>>> fmt_pct(0.125), fmt_int(None)
('12,5%', '–')
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["DASH", "LANGS", "is_missing", "localise", "fmt_num", "fmt_int", "fmt_pct"]

DASH = "–"
LANGS = ("vi", "en")


def is_missing(value) -> bool:
    """True for None, NaN and ±infinity (shown as :data:`DASH`)."""
    if value is None:
        return True
    try:
        return bool(isinstance(value, Real) and not math.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def localise(text: str, lang: str) -> str:
    """Swap ``,`` and ``.`` of an English-formatted number for Vietnamese (``lang="vi"``)."""
    if lang != "vi":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_num(value, decimals: int = 1, lang: str = "vi") -> str:
    """A number with thousands grouping and ``decimals`` decimals.

    None / NaN / infinity give :data:`DASH`; a value that is not a number is returned as text.

    >>> fmt_num(1234.5), fmt_num("abc"), fmt_num(float("nan"))
    ('1.234,5', 'abc', '–')
    """
    if is_missing(value):
        return DASH
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return localise(f"{v:,.{decimals}f}", lang)


def fmt_int(value, lang: str = "vi") -> str:
    """A whole number (rounded half to even) with thousands grouping.

    >>> fmt_int(1234567), fmt_int(1234567, "en"), fmt_int(-0.4)
    ('1.234.567', '1,234,567', '0')
    """
    if is_missing(value):
        return DASH
    try:
        n = round(float(value))
    except (TypeError, ValueError):
        return str(value)
    return localise(f"{int(n) + 0:,d}", lang)


def fmt_pct(share, decimals: int = 1, lang: str = "vi") -> str:
    """A share (0–1) as a percentage.

    >>> fmt_pct(0.125), fmt_pct(0.125, lang="en"), fmt_pct(1.0, 0)
    ('12,5%', '12.5%', '100%')
    """
    if is_missing(share):
        return DASH
    try:
        v = 100.0 * float(share)
    except (TypeError, ValueError):
        return DASH
    return localise(f"{v:,.{decimals}f}", lang) + "%"
