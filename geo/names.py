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
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is not needed to match names (``lomsong commune`` starts fast)
    import pandas as pd

__all__ = [
    "CommuneNotFound",
    "to_new_style",
    "strip_diacritics",
    "normalize_name",
    "match_key",
    "find_commune",
    "find_commune_index",
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
    predecessors = (communes["predecessors"].tolist()
                    if include_former and "predecessors" in communes.columns else None)
    i, former = find_commune_index(query, communes["code"].astype(str).tolist(),
                                   communes["name"].astype(str).tolist(), predecessors)
    row = communes.iloc[i]
    if former is not None:
        row = row.copy()
        row["matched_former"] = former
    return row


def find_commune_index(
    query: str | int, codes: Sequence[str], names: Sequence[str],
    predecessors: Sequence[Sequence[str] | None] | None = None,
) -> tuple[int, str | None]:
    """The decision of :func:`find_commune` over plain lists (no pandas needed).

    Parameters
    ----------
    query : str or int
    codes, names : sequences of str
        One per commune, in the same order.
    predecessors : sequence of lists of str, optional
        Former units per commune; None does not match former names.

    Returns
    -------
    (position, matched former unit or None)

    Raises
    ------
    CommuneNotFound
    """
    q = str(query).strip()
    if not q:
        raise CommuneNotFound(q, [])
    if re.fullmatch(r"\d{1,5}", q):
        hit = [i for i, code in enumerate(codes) if str(code).zfill(5) == q.zfill(5)]
        if len(hit) == 1:
            return hit[0], None
        raise CommuneNotFound(q, [])
    exact = [i for i, nm in enumerate(names) if normalize_name(nm) == normalize_name(q)]
    if len(exact) == 1:
        return exact[0], None
    for key in (match_key, _tight_key):
        loose = [i for i, nm in enumerate(names) if key(nm) == key(q)]
        if len(loose) == 1:
            return loose[0], None
        if len(loose) > 1:
            raise CommuneNotFound(q, [names[i] for i in loose], ambiguous=True)
    if predecessors is not None:
        hits = [(i, former) for i, units in enumerate(predecessors)
                for former in (units or []) if _tight_key(former) == _tight_key(q)]
        if len({i for i, _ in hits}) == 1:
            return hits[0]
        if hits:
            raise CommuneNotFound(q, [f"{names[i]} ({f})" for i, f in hits], ambiguous=True)
    raise CommuneNotFound(q, closest_names(q, names))


def _tight_key(text: str) -> str:
    """:func:`match_key` without spaces: ``"Đa Krông"`` = ``"Đakrông"``."""
    return match_key(text).replace(" ", "")
