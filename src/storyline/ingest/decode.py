"""Bytes to text: recognise binaries, then pick an encoding in a fixed, explainable order.

The order is BOM, UTF-16/32 without BOM, strict UTF-8 (or UTF-8 with a few broken bytes, which become
U+FFFD), a declared charset, a Cyrillic single-byte check
(cp1251 vs koi8-r), a Western one (cp1252), then charset-normalizer. The Cyrillic check comes before the generic detector because short Russian
headlines are where detectors fail most (charset-normalizer reads "Москва. Кремль." in koi8-r as Thai),
and Russian scrapes are a first-class input here.

>>> decode_bytes("Москва. Кремль. Путин.".encode("koi8-r")).text
'Москва. Кремль. Путин.'
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from charset_normalizer import from_bytes

#: Bytes looked at to recognise a binary or an encoding; detection cost stays flat for huge files.
SAMPLE_BYTES = 256 * 1024

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG image"),
    (b"\xff\xd8\xff", 0, "JPEG image"),
    (b"GIF87a", 0, "GIF image"),
    (b"GIF89a", 0, "GIF image"),
    (b"%PDF-", 0, "PDF document"),
    (b"\x7fELF", 0, "ELF executable"),
    (b"BZh", 0, "bzip2 archive"),
    (b"\xfd7zXZ\x00", 0, "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7-zip archive"),
    (b"Rar!\x1a\x07", 0, "RAR archive"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "MS Office document"),
    (b"SQLite format 3\x00", 0, "SQLite database"),
    (b"\x00asm", 0, "WebAssembly module"),
    (b"OggS", 0, "Ogg media"),
    (b"ID3", 0, "MP3 audio"),
    (b"ftyp", 4, "MP4 media"),
    (b"WEBP", 8, "WebP image"),
    (b"WAVE", 8, "WAV audio"),
    (b"\x00\x00\x01\x00", 0, "icon image"),
    (b"II*\x00", 0, "TIFF image"),
    (b"ustar", 257, "tar archive (extract it first)"),
    (b"MM\x00*", 0, "TIFF image"),
)

# Control bytes that never occur in text (TAB, LF, VT, FF, CR and ESC excepted).
_CONTROL = frozenset(set(range(0x00, 0x09)) | set(range(0x0E, 0x1B)) | set(range(0x1C, 0x20)))
_MAX_CONTROL_RATIO = 0.05
_CYRILLIC_BYTE_RUN = re.compile(rb"[\xa3\xa8\xb3\xb8\xc0-\xff]{3,}")
# Letter frequencies of Russian prose, in percent: the right code page makes frequent letters frequent.
_RUSSIAN_FREQUENCY = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
        (10.97, 8.45, 8.01, 7.35, 6.70, 6.26, 5.47, 4.73, 4.54, 4.40, 3.49, 3.21, 2.98, 2.81, 2.62, 2.01, 1.90,
         1.74, 1.70, 1.65, 1.59, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48, 0.36, 0.32, 0.26, 0.04, 0.04),
        strict=True,
    )
)  # fmt: skip
_WESTERN_PUNCTUATION = frozenset("–—‘’‚“”„†•…‰‹›€™¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿×÷\xa0")
_BAD_CATEGORIES = frozenset({"Cc", "Co", "Cn", "Cs"})
_TEXT_WHITESPACE = frozenset("\t\n\r\x0b\x0c")
_CYRILLIC_CODECS = frozenset({"cp1251", "koi8-r", "koi8-u", "iso8859-5", "cp866", "mac-cyrillic"})
_WIDE_CODECS = (("utf-32-le", 4, True), ("utf-32-be", 4, False), ("utf-16-le", 2, True), ("utf-16-be", 2, False))


_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub_text(text: str) -> str:
    """Text with lone surrogates (JSON ``"\\ud800"``, bytes kept by ``surrogateescape``) as U+FFFD.

    Such strings cannot be encoded as UTF-8, so SQLite, JSON export and the terminal would fail on them.

    >>> scrub_text("caf\\udce9") == "caf\\ufffd"
    True
    """
    if text.isascii():  # the common case, checked at C speed
        return text
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def scrub_name(name: str) -> str:
    """A file name or id safe to store and print: bytes that were not UTF-8 become ``\\xNN``, so names stay
    distinct and the user can still tell which file it was.

    >>> import os
    >>> print(scrub_name(os.fsdecode(b"caf\\xe9.txt")))
    caf\\xe9.txt
    """
    if not _SURROGATE.search(name):
        return name
    return _SURROGATE.sub(
        lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}" if "\udc80" <= m.group() <= "\udcff" else "\ufffd", name
    )


class UndecodableError(ValueError):
    """The bytes are not text we can read; ``str(error)`` is the one-line reason for the user."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text (NUL characters removed) and the codec name that produced it."""

    text: str
    encoding: str


def binary_kind(sample: bytes) -> str | None:
    """Name the binary format of ``sample`` ("PNG image", "binary data"), or ``None`` for text-like bytes.

    gzip, zip and WARC are containers, not binaries: the caller opens them before calling this.
    """
    for magic, offset, name in _MAGIC:
        if sample[offset : offset + len(magic)] == magic:
            return name
    if sample.startswith(b"MZ") and b"\x00" in sample[:64]:
        return "Windows executable"
    if bom_encoding(sample) or utf16_without_bom(sample):
        return None
    head = sample[:8192]
    controls = sum(1 for byte in head if byte in _CONTROL)
    # a few stray controls are text with noise (kept for the cleaner); many are a binary format
    if head and (controls >= 8 or controls > 0.3 * len(head)) and controls > _MAX_CONTROL_RATIO * len(head):
        return "binary data"
    return None


def bom_encoding(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def utf16_without_bom(sample: bytes) -> str | None:
    """Recognise BOM-less UTF-16/32 by a nearly constant high-byte column (ASCII: 0x00, Cyrillic: 0x04)."""
    head = sample[:8192]
    for name, width, little in _WIDE_CODECS:
        usable = len(head) - len(head) % width
        wide = usable >= 4 * width and _high_column_skewed(head[:usable], width, little)
        if wide and _plausible(head[:usable].decode(name, errors="replace")):
            return name
    return None


def _high_column_skewed(data: bytes, width: int, little: bool) -> bool:
    if width == 4:
        highs = (data[2::4], data[3::4]) if little else (data[0::4], data[1::4])
        return all(column.count(0) == len(column) for column in highs)
    column = data[1::2] if little else data[0::2]
    if 0 not in column:
        return False
    top_two = sorted((column.count(value) for value in set(column)), reverse=True)[:2]
    return sum(top_two) >= 0.95 * len(column)


def _plausible(text: str, tolerance: float = 0.02) -> bool:
    """True when almost no character is a control, private-use, unassigned or replacement character."""
    if not text:
        return False
    bad = sum(
        1
        for char in text
        if char == "\ufffd" or (unicodedata.category(char) in _BAD_CATEGORIES and char not in _TEXT_WHITESPACE)
    )
    return bad <= tolerance * len(text)


def _utf8_prefix_ok(sample: bytes, complete: bool) -> bool:
    """Strict UTF-8, allowing a multi-byte character cut at the end of a sample."""
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        return not complete and error.start >= len(sample) - 3 and error.reason == "unexpected end of data"


def utf8_with_few_errors(sample: bytes) -> bool:
    """UTF-8 with a few corrupt bytes (a truncated copy, a stray Latin-1 byte): read it as UTF-8.

    Valid multi-byte characters are strong evidence of UTF-8 — single-byte Cyrillic or Latin text almost
    never forms them — so when they outnumber the invalid sequences twenty to one, the invalid bytes are
    damage, replaced by U+FFFD, rather than a sign of another encoding that would garble the rest.

    >>> utf8_with_few_errors("Пресс-секретарь заявил, что переговоры продолжатся.".encode() + b"\\xff")
    True
    >>> utf8_with_few_errors("Café, crème brûlée".encode("latin-1"))
    False
    """
    text = sample.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid_wide = sum(1 for char in text if char > "\x7f") - invalid
    return invalid > 0 and valid_wide >= 16 and invalid * 20 <= valid_wide


def cyrillic_single_byte(sample: bytes) -> str | None:
    """cp1251 or koi8-r when the high bytes form Russian-looking words, else ``None``.

    Both code pages put Cyrillic in 0xC0-0xFF with the cases swapped, so the right one is the decoding
    where letters inside words are lowercase and frequent Russian letters dominate.
    """
    high = sum(1 for byte in sample if byte >= 0x80)
    if high < 3:
        return None
    in_runs = sum(len(match.group()) for match in _CYRILLIC_BYTE_RUN.finditer(sample))
    if in_runs < 0.6 * high:
        return None
    scores = {name: _russian_score(sample.decode(name, errors="replace")) for name in ("cp1251", "koi8-r")}
    return max(scores, key=lambda name: (scores[name], name == "cp1251"))


def _russian_score(text: str) -> float:
    """Mean letter frequency, plus a small bonus for lowercase letters inside words.

    Frequency decides (it holds for ALL-CAPS headlines too); case only breaks near-ties.
    """
    letters = [(i, char) for i, char in enumerate(text) if "\u0400" <= char <= "\u04ff"]
    if not letters:
        return 0.0
    frequency = sum(_RUSSIAN_FREQUENCY.get(char.lower(), 0.0) for _, char in letters) / len(letters)
    inner_lower = sum(1 for i, char in letters if char.islower() or (i > 0 and not text[i - 1].isalpha()))
    return frequency / 5.5 + 0.1 * inner_lower / len(letters)


def western_single_byte(sample: bytes) -> str | None:
    """cp1252 when every non-ASCII byte is a Latin letter or common punctuation there (French, German, Spanish...).

    Detectors pick cp1250 for short Western texts ("voilà" becomes "voilŕ"); this check keeps them right.
    """
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return None
    wide = [char for char in text if ord(char) > 0x7F]
    ascii_letters = sum(1 for char in text if char.isascii() and char.isalpha())
    if not wide or ascii_letters < 2 * len(wide):  # Western prose is mostly ASCII letters
        return None
    latin = all(char in _WESTERN_PUNCTUATION or unicodedata.name(char, "").startswith("LATIN") for char in wide)
    return "cp1252" if latin else None


def detect_encoding(sample: bytes, *, complete: bool = True, declared: str | None = None) -> str:
    """Choose the codec for bytes whose prefix is ``sample``; raises :class:`UndecodableError`.

    ``complete`` says whether ``sample`` is the whole input (a cut multi-byte character is then an
    error). ``declared`` is an encoding the container named (HTTP header, ``<meta charset>``); scraped
    pages often declare Latin-1 while serving cp1251, so Russian-looking bytes outrank a non-Cyrillic
    declaration, and UTF-8 that decodes cleanly outranks any declaration.
    """
    found = bom_encoding(sample) or utf16_without_bom(sample)
    if found:
        return found
    if _utf8_prefix_ok(sample, complete) or utf8_with_few_errors(sample):
        return "utf-8"
    name = _codec_name(declared) if declared else None
    if name == "utf-8" or (name and not _plausible(sample.decode(name, errors="replace"))):
        name = None
    if name in _CYRILLIC_CODECS:
        return name
    single_byte = cyrillic_single_byte(sample) or name or western_single_byte(sample)
    if single_byte:
        return single_byte
    best = from_bytes(sample).best()
    if best is None or not _plausible(str(best)):
        raise UndecodableError("not valid UTF-8 and no encoding decodes it sensibly")
    return _codec_name(best.encoding) or best.encoding


def mostly_utf8_lines(sample: bytes) -> bool:
    """True when lines with valid non-ASCII UTF-8 are at least as many as invalid ones.

    Dumps merged from several scrapers mix a few cp1251 lines into a UTF-8 file; reading the file as
    UTF-8 and repairing those lines one by one keeps both kinds right.
    """
    valid = invalid = 0
    for line in sample.split(b"\n")[:-1] or [sample]:
        if max(line, default=0) < 0x80:
            continue
        try:
            line.decode("utf-8")
            valid += 1
        except UnicodeDecodeError:
            invalid += 1
    return valid > 0 and valid >= invalid


def decode_bytes(data: bytes, *, declared: str | None = None) -> Decoded:
    """Decode a whole input (one article); NUL characters are dropped, other controls kept for the cleaner."""
    kind = binary_kind(data[:SAMPLE_BYTES])
    if kind:
        raise UndecodableError(f"binary file ({kind}), not articles")
    encoding = detect_encoding(data[:SAMPLE_BYTES], complete=len(data) <= SAMPLE_BYTES, declared=declared)
    bom = next((len(mark) for mark, name in _BOMS if name == encoding and data.startswith(mark)), 0)
    text = data[bom:].decode(encoding, errors="replace")
    return Decoded(text.replace("\x00", ""), encoding)


def _codec_name(label: str) -> str | None:
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def declared_html_charset(sample: bytes) -> str | None:
    """The ``<meta charset>`` (or http-equiv content-type charset) of an HTML page's head, if any."""
    match = _META_CHARSET.search(sample[:4096])
    return match.group(1).decode("ascii") if match else None
