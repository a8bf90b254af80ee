"""Unicode and whitespace normalisation that keeps paragraph structure.

Cleaning rules work line by line, so normalisation must never merge paragraphs: runs of blank lines
shrink to one, spaces inside a line shrink to one, and invisible characters (zero-width, controls,
BOM, soft hyphen) disappear because they break matching and tokenisation downstream.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)
# Of the invisible characters, these are worth a note on the article: they hide or reorder text (zero-width,
# bidi overrides) or are terminal/control codes. Soft hyphens and a leading BOM are routine and pass silently;
# C1 controls (U+0080-U+009F) are left out because in scraped text they are mojibake, which the repair fixes.
_SUSPICIOUS = re.compile("[\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufff9-\ufffb"
                         "\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|(?<!^)\ufeff")
_SURROGATES = re.compile("[\ud800-\udfff]")
_HSPACE = re.compile(r"[^\S\n]+")  # whitespace other than newline, incl. NBSP and thin spaces
_BLANK_RUNS = re.compile(r"\n{3,}")
# An apostrophe between letters is never a quotation mark, so unifying it is safe ("Putin’s" → "Putin's").
_APOSTROPHE = re.compile(r"(?<=\w)[\u2019\u02bc\u00b4\u0060](?=\w)")
# Typographic variants that carry no opening/closing information fold into the straight double quote.
_DOUBLE_VARIANTS = str.maketrans({"\u201f": '"', "\u2033": '"', "\u301d": '"', "\u301e": '"', "\uff02": '"'})


def count_hidden(text: str) -> int:
    """Zero-width, bidi-control and control characters that :func:`normalize_text` will remove.

    >>> count_hidden("Pes\\u200bkov\\x07 said\\u00ad")
    2
    """
    return len(_SUSPICIOUS.findall(text))


def normalize_text(text: str) -> str:
    """NFC, no invisible characters, one space between words, at most one blank line between paragraphs.

    Directional quotes (“ ” « » „) are kept: they tell quote extraction where a quote opens and closes.

    >>> normalize_text("Putin’s  “no”\\r\\n\\n\\n\\nNext line ")
    "Putin's “no”\\n\\nNext line"
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.replace("\t", " ")
    if not text.isascii():  # surrogates, NFC and the quote variants only concern non-ASCII text
        text = _SURROGATES.sub("", text)
        text = _INVISIBLE.sub("", text)
        text = unicodedata.normalize("NFC", text)
        text = _APOSTROPHE.sub("'", text)
        text = text.translate(_DOUBLE_VARIANTS)
    else:
        text = _INVISIBLE.sub("", text)
        text = _APOSTROPHE.sub("'", text)
    text = _HSPACE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()
