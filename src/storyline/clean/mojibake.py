"""Encoding repair: ftfy for UTF-8 mojibake, plus Cyrillic read through a Western single-byte codec.

ftfy repairs text whose UTF-8 bytes were decoded with the wrong codec (including UTF-8 read as
cp1251: "РњРѕСЃРєРІР°" → "Москва"). It cannot repair the opposite, common in scraped Russian captions:
cp1251 bytes decoded as Latin-1 or cp1252 ("Ðîññèÿ. Ìîñêâà." → "Россия. Москва."), because the
result is valid, if absurd, Latin-1. In cp1251 every Russian letter sits in 0xC0–0xFF (plus Ё/ё at
0xA8/0xB8), so such mojibake shows up as *words made only of accented Latin letters*. Real Latin-script
languages mix accented letters with ASCII ones ("été", "Größe"), so a run of such words is re-decoded
only when it is long enough and the result is entirely Cyrillic.

ftfy is the most expensive step of cleaning, so it only sees lines that could change: plain ASCII
(no "&", no control characters) has nothing for it or for the cp1251 repairs, and ftfy fixes each
line on its own anyway. Nor does a line in NFC made of ASCII, Latin-1 letters, Cyrillic and common
typographic punctuation that ftfy's own mojibake test (``is_bad``) passes: every other fixer ftfy would
apply looks for characters such a line cannot hold. The output is the same as calling ``ftfy.fix_text``
on the whole text.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
from ftfy.badness import is_bad

# Latin-1/cp1252 images of cp1251 letters: 0xC0–0xFF, ¨ ¸ (Ё ё), ² ³ ª º ¯ ¿ (Ukrainian і/І/є/Є/ї/Ї).
_MOJI_LETTERS = "\u00c0-\u00ff\u00a8\u00b8\u00b2\u00b3\u00aa\u00ba\u00af\u00bf"
_MOJI_WORD = f"(?<![A-Za-z])[{_MOJI_LETTERS}]+(?![A-Za-z])"
# Words separated by what cp1251 and Latin-1 share: spaces, digits, ASCII punctuation, « » and dashes.
_MOJI_RUN = re.compile(rf"{_MOJI_WORD}(?:[\s\d.,;:!?()\[\]'\"/«»\-\u2013\u2014\u2116\u00b9]+{_MOJI_WORD})*")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_MIN_LETTERS = 4  # "Ðîññèÿ" has 6; single accented words ("à", "él") are left alone
# UTF-8 Russian read as cp1251: lead byte 0xD0/0xD1 shows as "Р"/"С", the continuation byte as one of these.
_CONTINUATION = "\u00a0-\u00bf\u0401-\u040f\u0451-\u045f\u0490\u0491\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2116\u2122"
_UTF8_PAIR = f"[РС][{_CONTINUATION}]"
_UTF8_RUN = re.compile(rf"{_UTF8_PAIR}(?:[ \d.,;:!?()\-]*{_UTF8_PAIR})+")
_RUSSIAN_LETTER = re.compile(r"[А-Яа-яЁё]")
_FTFY_SEGMENT = 100_000  # ftfy cuts lines longer than its max_decode_length (10**6); such text goes whole
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")  # what ftfy would remove or act on (ESC)
# Characters none of ftfy's fixers other than the mojibake repair acts on: no C0/C1 controls, "&", ligatures,
# full-width forms, surrogates or invisible formatting characters (printable ASCII, Latin-1, Cyrillic, ‐–—‘’“”„•…,
# €, №, ™).
_FTFY_INERT = re.compile(r"[\t\x20-\x25\x27-\x7e\u00a0-\u00ff\u0400-\u04ff\u2010-\u2027\u20ac\u2116\u2122]*\n?")


def repair_encoding(text: str) -> str:
    """Repair mojibake: ftfy first (UTF-8 misdecodings), then cp1251 read as Latin-1/cp1252.

    >>> repair_encoding("Ðîññèÿ. Ìîñêâà. café")
    'Россия. Москва. café'
    """
    if _plain(text):
        return text  # nothing for ftfy (no mojibake, entities or control characters) nor for the cp1251 fixes
    text = _fix_lines(text)
    text = repair_utf8_as_cp1251(text)
    return repair_cp1251_as_latin(text)


def _plain(text: str) -> bool:
    return text.isascii() and "&" not in text and not _ASCII_CONTROL.search(text)


def _inert(line: str) -> bool:
    """Whether ``ftfy.fix_text`` would return ``line`` unchanged, by cheaper tests (see the module docstring)."""
    return bool(_FTFY_INERT.fullmatch(line)) and unicodedata.is_normalized("NFC", line) and not is_bad(line)


def _fix_lines(text: str) -> str:
    """``ftfy.fix_text`` called only on the lines that need it, with the same result.

    ftfy fixes each line on its own, and stops unescaping HTML entities from the first line containing "<"
    on; plain ASCII lines (no "&", no control characters) come back unchanged, so they are skipped.
    """
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    if len(lines) < 2 or any(len(line) > _FTFY_SEGMENT for line in lines):
        return ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC", fix_line_breaks=False)
    out = []
    unescape = "auto"
    for line in lines:
        if unescape == "auto" and "<" in line:
            unescape = False
        if _plain(line) or _inert(line):
            out.append(line)
        else:
            out.append(ftfy.fix_text(line, uncurl_quotes=False, normalization="NFC", fix_line_breaks=False,
                                     unescape_html=unescape))
    return "".join(out)


def repair_utf8_as_cp1251(text: str) -> str:
    """Short UTF-8 Russian read as cp1251 ("Р РѕСЃСЃРёСЏ"), which ftfy leaves when the sample is too small."""
    return _UTF8_RUN.sub(_redecode_utf8_run, text)


def _redecode_utf8_run(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        decoded = run.encode("cp1251").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return run
    letters = [ch for ch in decoded if ch.isalpha()]
    if len(letters) < 3 or any(not _RUSSIAN_LETTER.match(ch) for ch in letters):
        return run
    return decoded


def repair_cp1251_as_latin(text: str) -> str:
    """Re-decode each run of all-accented Latin words as cp1251 when the result is clearly Cyrillic."""
    return _MOJI_RUN.sub(_redecode_run, text)


def _redecode_run(match: re.Match[str]) -> str:
    run = match.group(0)
    letters = sum(1 for ch in run if ch.isalpha())
    if letters < _MIN_LETTERS:
        return run
    decoded = _decode_cp1251(run)
    if decoded is None:
        return run
    decoded_letters = [ch for ch in decoded if ch.isalpha()]
    if not decoded_letters or len(_CYRILLIC.findall(decoded)) < len(decoded_letters):
        return run
    if not _looks_russian(decoded):
        return run
    return decoded


def _decode_cp1251(run: str) -> str | None:
    for codec in ("cp1252", "latin-1"):
        try:
            return run.encode(codec).decode("cp1251")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return None


def _looks_russian(decoded: str) -> bool:
    """Vowel share of real Russian words is 35–50 %; random accented Latin maps to consonant soup or vice versa."""
    letters = [ch.lower() for ch in decoded if ch.isalpha()]
    if len(letters) < 8:
        return True  # too short to judge; the all-accented shape is the evidence
    vowels = sum(1 for ch in letters if ch in "аеёиоуыэюяіїє")
    if len(letters) < 24:  # a few words swing the share: "Кремль Кремль" has 17 % vowels
        return 0.1 <= vowels / len(letters) <= 0.75
    return 0.2 <= vowels / len(letters) <= 0.65
