"""Vietnamese text in the pre-Unicode font encodings TCVN3 (ABC) and VNI-Windows.

Private to the point-list readers. Provincial spreadsheets typed with the ``.VnTime``
(TCVN3, TCVN 5712:1993 VN3) or ``VNI-Times`` fonts store Vietnamese letters as Latin-1
code points: ``"Kinh ®é"`` is *Kinh độ* in TCVN3, ``"Quaûng Trò"`` *Quảng Trị* in VNI.
Read as Windows-1252 they name no column and every row says "No coordinates". Both
mappings are fixed tables; :func:`detect_legacy` recognises either from characters
that never sit inside words in Western or Windows-1258 text, and
:func:`legacy_to_unicode` converts to NFC Unicode.

TCVN3 has no precomposed capitals with tone marks (those were a second "H" font), so
such capitals come out lower case.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["detect_legacy", "legacy_to_unicode", "LEGACY_NAMES"]

LEGACY_NAMES = {"tcvn3": "TCVN3 (ABC, .VnTime)", "vni": "VNI-Windows"}

# TCVN3 (VN3): code point (as read in Latin-1) -> letter.
_TCVN3 = {
    0xB8: "á", 0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB9: "ạ",
    0xA8: "ă", 0xBE: "ắ", 0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xC6: "ặ",
    0xA9: "â", 0xCA: "ấ", 0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCB: "ậ",
    0xAE: "đ",
    0xD0: "é", 0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD1: "ẹ",
    0xAA: "ê", 0xD5: "ế", 0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD6: "ệ",
    0xDD: "í", 0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDE: "ị",
    0xE3: "ó", 0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE4: "ọ",
    0xAB: "ô", 0xE8: "ố", 0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE9: "ộ",
    0xAC: "ơ", 0xED: "ớ", 0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xEE: "ợ",
    0xF3: "ú", 0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF4: "ụ",
    0xAD: "ư", 0xF8: "ứ", 0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF9: "ự",
    0xFD: "ý", 0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFE: "ỵ",
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
}
_TCVN3_TABLE = str.maketrans({chr(k): v for k, v in _TCVN3.items()})

# VNI-Windows: a base letter followed by a mark character (as read in Latin-1).
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_TONES = {"ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT}
_CIRC_MARKS = {"â": "", "á": _ACUTE, "à": _GRAVE, "å": _HOOK, "ã": _TILDE, "ä": _DOT}
_BREVE_MARKS = {"ê": "", "é": _ACUTE, "è": _GRAVE, "ú": _HOOK, "ü": _TILDE, "ë": _DOT}


def _vni_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}

    def put(base_in: str, base_out: str, extra: str, marks: dict[str, str]):
        for upper in (False, True):
            b_in = base_in.upper() if upper else base_in
            for mark, tone in marks.items():
                for m in {mark, mark.upper()}:
                    out = unicodedata.normalize("NFC", base_out + extra + tone)
                    pairs[b_in + m] = out.upper() if upper else out

    for v in "aeouy":
        put(v, v, "", _TONES)
    put("ô", "o", _HORN, _TONES)  # ô alone is ơ in VNI
    put("ö", "u", _HORN, _TONES)  # ö alone is ư
    for v in "aeo":
        put(v, v, _CIRC, _CIRC_MARKS)
    put("a", "a", _BREVE, _BREVE_MARKS)
    return pairs


_VNI_SINGLE = {"ñ": "đ", "Ñ": "Đ", "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư", "æ": "ỉ", "Æ": "Ỉ",
               "ó": "ĩ", "Ó": "Ĩ", "ò": "ị", "Ò": "Ị", "î": "ỵ", "Î": "Ỵ"}
_VNI = {**_vni_pairs(), **_VNI_SINGLE}
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI, key=len, reverse=True)))

# Characters that sit inside words only in the legacy encodings.
_TCVN3_MARK = re.compile(r"(?<=[A-Za-z])[\u00a1-\u00be]|[\u00a1-\u00be](?=[A-Za-z])")
_VNI_MARK = re.compile(r"(?<=[A-Za-z])[öñïûøäåëÖÑÏÛØÄÅË]|[ñÑ](?=[A-Za-z])")
MIN_HITS = 2


def detect_legacy(text: str) -> str | None:
    """``"tcvn3"``, ``"vni"`` or ``None`` for text decoded as Latin-1 / Windows-125x.

    Counts characters that only a legacy font encoding puts inside words: TCVN3's
    letters at ``¡``…``¾`` (``®`` = đ, ``¸`` = á …) and VNI's ``ñ`` (đ), ``ö`` (ư),
    ``ø``/``û``/``ï``/``ä`` tone marks after a vowel. Neither occurs in Vietnamese
    written in Windows-1258 or Unicode.
    """
    sample = text[:200_000]
    if not any(ord(c) > 0x7F for c in sample[:20_000]) and not any(ord(c) > 0x7F for c in sample):
        return None
    if any(ord(c) > 0xFF for c in sample):
        return None  # real Unicode beyond Latin-1: not a legacy font text
    tcvn = len(_TCVN3_MARK.findall(sample))
    vni = len(_VNI_MARK.findall(sample))
    if max(tcvn, vni) < MIN_HITS:
        return None
    return "tcvn3" if tcvn >= vni else "vni"


def legacy_to_unicode(text: str, encoding: str) -> str:
    """Convert TCVN3 or VNI text (as read in Latin-1) to NFC Unicode."""
    if encoding == "tcvn3":
        out = text.translate(_TCVN3_TABLE)
    elif encoding == "vni":
        out = _VNI_RE.sub(lambda m: _VNI[m.group(0)], text)
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}")
    return unicodedata.normalize("NFC", out)
