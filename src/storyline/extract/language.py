"""Language identification with py3langid: ISO 639-1 codes, "und" when the text cannot tell.

py3langid is a small naive-Bayes model over byte n-grams: fast, offline, good on a paragraph, poor on a
few words. On a headline it confuses neighbours that share an alphabet: 272 of the 12,034 Russian headlines of
ParaPhraser (2.3 %) come out Bulgarian, Macedonian, Serbian, Ukrainian or Kyrgyz, most with a probability over
0.9, and 38 of GVA's 3,039 English titles Nigerian Pidgin, Latin or Danish. A wrong code costs more than a missing
one: the article is compared with reports in its own language as if across languages, and a language outside
``Config.languages`` gets no entities or quotes. So the languages a corpus is expected to hold
(``Config.languages``) get a prior of ``PRIOR_NATS`` on the model's log-likelihood. A misread headline's evidence
for the neighbour is a few nats (ParaPhraser: median 4.0, 95th percentile 11.8, largest 24.8; GVA: largest
14.0); real Bulgarian, Ukrainian, Serbian, German or Dutch headlines lead Russian and English by 24 to 200, a
paragraph by hundreds: the prior decides close calls and nothing else. With it, 5 ParaPhraser headlines and no
GVA title are given another language. Short texts and low-confidence guesses say "und" instead of a confident
wrong code. The model is the library's own lazily loaded, read-only instance; results do not depend on call
order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection

import py3langid

from storyline.config import Config

MIN_LETTERS = 20
MIN_CONFIDENCE = 0.7
SAMPLE_CHARS = 5000  # the first few paragraphs decide; long bodies only cost time
PRIOR_NATS = 14.0
EXPECTED = Config().languages  # the default; a run passes its own config's
_LETTER = re.compile(r"[^\W\d_]")


def detect_language(text: str, expected: Collection[str] = EXPECTED) -> tuple[str, float]:
    """(ISO 639-1 code or "und", probability of the top language among all), the ``expected`` languages
    favoured by ``PRIOR_NATS`` (pass ``()`` for the model alone).

    >>> detect_language("Пресс-секретарь президента заявил журналистам, что переговоры продолжатся.")[0]
    'ru'
    >>> detect_language("Два агента ФБР погибли на учениях.")[0], detect_language("Два агента ФБР погибли на учениях.", ())[0]
    ('ru', 'bg')
    >>> detect_language("ok")
    ('und', 0.0)
    """
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return "und", 0.0
    ranking = [(language, score + PRIOR_NATS if language in expected else score)
               for language, score in py3langid.rank(sample)]
    if not ranking:
        return "und", 0.0
    top_language, top_score = max(ranking, key=lambda item: item[1])
    total = sum(math.exp(score - top_score) for _, score in ranking)
    probability = 1.0 / total
    if probability < MIN_CONFIDENCE:
        return "und", probability
    return str(top_language), probability
