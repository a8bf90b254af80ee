"""Language identification with py3langid: ISO 639-1 codes, "und" when the text cannot tell.

py3langid is a small naive-Bayes model over byte n-grams: fast, offline, good on a paragraph, poor on a
few words — so short texts and low-confidence guesses say "und" instead of a confident wrong code. The
model is the library's own lazily loaded, read-only instance; results do not depend on call order.
"""

from __future__ import annotations

import math
import re

import py3langid

MIN_LETTERS = 20
MIN_CONFIDENCE = 0.7
SAMPLE_CHARS = 5000  # the first few paragraphs decide; long bodies only cost time
_LETTER = re.compile(r"[^\W\d_]")


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code or "und", probability of the top language among all).

    >>> detect_language("Пресс-секретарь президента заявил журналистам, что переговоры продолжатся.")[0]
    'ru'
    >>> detect_language("ok")
    ('und', 0.0)
    """
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return "und", 0.0
    ranking = py3langid.rank(sample)
    if not ranking:
        return "und", 0.0
    top_language, top_score = ranking[0]
    total = sum(math.exp(score - top_score) for _, score in ranking)
    probability = 1.0 / total
    if probability < MIN_CONFIDENCE:
        return "und", probability
    return str(top_language), probability
