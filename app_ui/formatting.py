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
    "fmt_dbm",
    "parse_num",
    "display_table",
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


def _cell(col: str, value, lang: str) -> str:
    if isinstance(value, bool):
        return ("có" if value else "không") if lang == "vi" else ("yes" if value else "no")
    if not isinstance(value, Real) or isinstance(value, bool):
        return "" if value is None else str(value)
    if col.endswith("_vnd"):
        return fmt_vnd(value, lang)
    if col.startswith("share_"):
        return fmt_pct(value, 1, lang)
    if col in ("lon", "lat"):
        return fmt_num(value, 5, lang)
    if col.startswith("people") or col in ("score", "score_people", "elev_mean_m", "elev_m"):
        return fmt_int(value, lang)
    if col.startswith("w_"):
        return fmt_num(value, 2, lang)
    if col.endswith(("_km", "_km2")):
        return fmt_num(value, 1, lang)
    if isinstance(value, float) and not float(value).is_integer():
        return fmt_num(value, 1, lang)
    return fmt_int(value, lang) if col not in ("rank", "gap_id", "gaps", "largest_gap_id") else str(int(value))


def display_table(df, headers: dict | None = None, lang: str = "vi", labels: dict | None = None):
    """A table for the screen: numbers in the language's format, headers in its words.

    ``headers`` maps a column to ``(vi, en)``; ``labels`` maps a column to a function turning a
    value into its label (e.g. terrain classes). Downloads keep the raw numbers; this is only
    what a person reads.
    """
    import pandas as pd

    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        fn = (labels or {}).get(col)
        values = df[col].tolist()
        out[col] = [fn(v) if fn else _cell(col, v, lang) for v in values]
    if headers:
        i = 0 if lang == "vi" else 1
        out = out.rename(columns={c: headers[c][i] for c in out.columns if c in headers})
    return out.reset_index(drop=True)
