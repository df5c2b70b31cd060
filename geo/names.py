"""Commune names a person can type: Unicode, tone-mark placement, case, prefixes.

Vietnamese is written with the tone mark of ``oa``, ``oe`` and ``uy`` either on the
first vowel ("old style": *Hóa*, *Thủy*, *Hòa*) or on the second ("new style":
*Hoá*, *Thuỷ*, *Hoà*); both are in official use, and the two source data sets of this
province disagree on 7 names. Matching therefore normalises:

1. Unicode NFC (and the look-alike ``Ð`` U+00D0 to ``Đ``),
2. tone marks to the new style (:func:`to_new_style`),
3. case, spacing and the unit prefix (``Xã``, ``Phường``, ``Đặc khu``, ``Thị trấn``),
4. as a last resort, diacritics altogether ("minh hoa").
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

__all__ = [
    "CommuneNotFound",
    "to_new_style",
    "strip_diacritics",
    "normalize_name",
    "match_key",
    "find_commune",
    "closest_names",
]

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
# An old-style tone on the first vowel of a syllable-final oa/oe/uy ("qu" + y excluded:
# there the u is part of the consonant and the tone is on y in both styles).
_OLD_OA_OE = re.compile(rf"([oO])([{_TONES}])([aAeE])(?![^\W\d_])")
_OLD_UY = re.compile(rf"(?<![qQ])([uU])([{_TONES}])([yY])(?![^\W\d_])")
_PREFIXES = (
    "dac khu", "đặc khu", "thi tran", "thị trấn", "phuong", "phường", "xa", "xã",
    "thi xa", "thị xã", "tp", "thanh pho", "thành phố",
)
_PREFIX_RE = re.compile(
    r"^(?:" + "|".join(sorted((re.escape(p) for p in _PREFIXES), key=len, reverse=True))
    + r")\s+"
)


class CommuneNotFound(LookupError):
    """No commune matches the name given; the message lists the closest names."""

    def __init__(self, query: str, suggestions: Iterable[str] = (), ambiguous: bool = False):
        self.query = query
        self.suggestions = list(suggestions)
        if ambiguous:
            msg = f"'{query}' matches several communes: {', '.join(self.suggestions)}. Be more specific."
        elif self.suggestions:
            msg = f"No commune named '{query}'. Closest names: {', '.join(self.suggestions)}."
        else:
            msg = f"No commune named '{query}'."
        super().__init__(msg)

    def __str__(self) -> str:  # LookupError would quote the message
        return self.args[0]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", str(text).replace("\u00d0", "Đ").replace("\u00f0", "đ"))


def to_new_style(text: str) -> str:
    """Move old-style tone marks of ``oa``/``oe``/``uy`` onto the second vowel, NFC.

    >>> to_new_style("Minh Hóa"), to_new_style("Mỹ Thủy"), to_new_style("Hòa Trạch")
    ('Minh Hoá', 'Mỹ Thuỷ', 'Hoà Trạch')
    """
    d = unicodedata.normalize("NFD", _nfc(text))
    d = _OLD_OA_OE.sub(r"\1\3\2", d)
    d = _OLD_UY.sub(r"\1\3\2", d)
    return unicodedata.normalize("NFC", d)


def strip_diacritics(text: str) -> str:
    """ASCII-fold Vietnamese: drop every combining mark, ``đ`` → ``d``."""
    d = unicodedata.normalize("NFD", _nfc(text).replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in d if unicodedata.category(ch) != "Mn")


def normalize_name(text: str) -> str:
    """Key with diacritics kept: NFC, new-style tones, lower case, no unit prefix."""
    t = to_new_style(text).lower().strip()
    t = re.sub(r"[\s_\-]+", " ", t)
    t = _PREFIX_RE.sub("", t)
    return t.strip()


def match_key(text: str) -> str:
    """Key without diacritics: ``"Xã Minh Hóa"`` → ``"minh hoa"``."""
    return re.sub(r"[^a-z0-9 ]", "", strip_diacritics(normalize_name(text))).strip()


def closest_names(query: str, names: Iterable[str], n: int = 5) -> list[str]:
    """Up to ``n`` names most like ``query`` (diacritic-insensitive)."""
    names = list(names)
    keys = {match_key(nm): nm for nm in names}
    hits = difflib.get_close_matches(match_key(query), list(keys), n=n, cutoff=0.5)
    return [keys[h] for h in hits]


def find_commune(
    query: str | int, communes: pd.DataFrame | None = None, include_former: bool = True,
) -> pd.Series:
    """The one commune row that ``query`` names.

    Accepts the 5-digit national code, or the name in any tone-mark style, case, with
    or without diacritics, spaces (``Đa Krông`` = ``Đakrông``) or the
    ``Xã``/``Phường``/``Đặc khu`` prefix. With ``include_former``, the name of a
    pre-merger unit (e.g. ``Thị trấn Quy Đạt``) finds the commune that absorbed it; the
    returned row then has ``matched_former`` set to that unit's name.

    Raises
    ------
    CommuneNotFound
        With the closest names when nothing matches, or the candidates when a
        diacritic-free query matches several units.

    Examples
    --------
    >>> find_commune("minh hoa")["code"]
    '18901'
    """
    if communes is None:
        from geo.data import load_communes

        communes = load_communes()
    q = str(query).strip()
    if not q:
        raise CommuneNotFound(q, [])
    if re.fullmatch(r"\d{1,5}", q):
        hit = communes[communes["code"].astype(str).str.zfill(5) == q.zfill(5)]
        if len(hit) == 1:
            return hit.iloc[0]
        raise CommuneNotFound(q, [])
    names = communes["name"].astype(str)
    exact = communes[names.map(normalize_name) == normalize_name(q)]
    if len(exact) == 1:
        return exact.iloc[0]
    for key in (match_key, _tight_key):
        loose = communes[names.map(key) == key(q)]
        if len(loose) == 1:
            return loose.iloc[0]
        if len(loose) > 1:
            raise CommuneNotFound(q, loose["name"].tolist(), ambiguous=True)
    if include_former and "predecessors" in communes.columns:
        hits = [(i, former) for i, units in communes["predecessors"].items()
                for former in (units or []) if _tight_key(former) == _tight_key(q)]
        if len({i for i, _ in hits}) == 1:
            row = communes.loc[hits[0][0]].copy()
            row["matched_former"] = hits[0][1]
            return row
        if hits:
            raise CommuneNotFound(q, [f"{communes.loc[i, 'name']} ({f})" for i, f in hits],
                                  ambiguous=True)
    raise CommuneNotFound(q, closest_names(q, names))


def _tight_key(text: str) -> str:
    """:func:`match_key` without spaces: ``"Đa Krông"`` = ``"Đakrông"``."""
    return match_key(text).replace(" ", "")
