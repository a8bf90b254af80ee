"""ROUGE-1/2 counts exactly as ROUGE-1.5.5 computes them with ``-m -s`` (the settings tilse and news-tls use).

Timeline summarisation is scored with the alignment-based ROUGE of Martschat & Markert (2017) as implemented
in the ``tilse`` package, which runs the ROUGE-1.5.5 Perl script with Porter stemming (``-m``), stopword
removal (``-s``, the SMART list) and raw counts (``-t 2``). This module reproduces that script's n-gram
counting without Perl or temporary files:

* text: each sentence lower-cased (ASCII), ``-`` padded with spaces, every character outside
  ``[A-Za-z0-9-]`` turned into a space, sentences joined by spaces (so bigrams cross sentence ends);
* tokens: SMART stopwords dropped, tokens not starting with ``[a-z0-9$]`` dropped, tokens longer than three
  characters stemmed (WordNet 2.0 exception forms first, then ROUGE's own Porter stemmer);
* hits: clipped n-gram overlap, summed over the reference summaries (model-average formula ``-f A``).

The stopword list and the exception forms ship in ``evaluate/labels`` (copied from ROUGE-1.5.5's ``data``).

>>> counts = rouge_counts(["Timeline summarization ."], [["timeline summarization is awesome ."]], 1)
>>> counts.hits, counts.peer, counts.model
(2, 2, 3)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LABELS = Path(__file__).parent / "labels"


@dataclass(frozen=True, slots=True)
class RougeCounts:
    """``hits`` over ``peer`` n-grams is precision, over ``model`` n-grams recall (ROUGE's H, P and M counts)."""

    hits: int
    peer: int
    model: int


@cache
def _stopwords() -> frozenset[str]:
    lines = (LABELS / "rouge_smart_stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("# "))


@cache
def _exceptions() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (LABELS / "rouge_wordnet_exceptions.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            form, base = line.split(" ", 1)
            out[form] = base
    return out


# ------------------------------------------------------------------------------ Porter stemmer (ROUGE's Perl one)
_c = "[^aeiou]"
_v = "[aeiouy]"
_C = f"{_c}[^aeiouy]*"
_V = f"{_v}[aeiou]*"
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?$")
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")
_VOWEL_IN_STEM = re.compile(f"^({_C})?{_v}")
_CVC = re.compile(f"^{_C}{_v}[^aeiouwxy]$")
_STEP2 = {"ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize", "bli": "ble",
          "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize", "ation": "ate", "ator": "ate",
          "alism": "al", "iveness": "ive", "fulness": "ful", "ousness": "ous", "aliti": "al", "iviti": "ive",
          "biliti": "ble", "logi": "log"}
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}
_STEP2_RE = re.compile("(" + "|".join(_STEP2) + ")$")
_STEP3_RE = re.compile("(" + "|".join(_STEP3) + ")$")
_STEP4_RE = re.compile("(al|ance|ence|er|ic|able|ible|ant|ement|ou|ism|ate|iti|ous|ive|ize)$")


def porter_stem(word: str) -> str:
    """Porter (1980) as in ROUGE-1.5.5's Perl code, whose step 4 tries ``-ment``/``-ent`` after ``-ement``."""
    if len(word) < 3:
        return word
    initial_y = word[0] == "y"
    if initial_y:
        word = "Y" + word[1:]
    if (m := re.search("(ss|i)es$", word)) or (m := re.search("([^s])s$", word)):
        word = word[: m.start()] + m.group(1)
    if word.endswith("eed"):
        if _MGR0.search(word[:-3]):
            word = word[:-1]
    elif m := re.search("(ed|ing)$", word):
        stem = word[: m.start()]
        if _VOWEL_IN_STEM.search(stem):
            word = stem
            if re.search("(at|bl|iz)$", word):
                word += "e"
            elif re.search(r"([^aeiouylsz])\1$", word):
                word = word[:-1]
            elif _CVC.search(word):
                word += "e"
    if word.endswith("y") and _VOWEL_IN_STEM.search(word[:-1]):
        word = word[:-1] + "i"
    for pattern, table in ((_STEP2_RE, _STEP2), (_STEP3_RE, _STEP3)):
        if m := pattern.search(word):
            stem = word[: m.start()]
            if _MGR0.search(stem):
                word = stem + table[m.group(1)]
    if m := _STEP4_RE.search(word):
        stem = word[: m.start()]
        if _MGR1.search(stem):
            word = stem
    if word.endswith("ment") and _MGR1.search(word[:-4]):
        word = word[:-4]
    if word.endswith("ent"):
        if _MGR1.search(word[:-3]):
            word = word[:-3]
    elif m := re.search("(s|t)(ion)$", word):
        stem = word[: m.start()] + m.group(1)
        if _MGR1.search(stem):
            word = stem
    if word.endswith("e"):
        stem = word[:-1]
        if _MGR1.search(stem) or (_MEQ1.search(stem) and not _CVC.search(stem)):
            word = stem
    if word.endswith("ll") and _MGR1.search(word):
        word = word[:-1]
    if initial_y:
        word = "y" + word[1:]
    return word


# ------------------------------------------------------------------------------ tokens and counts
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NON_WORD = re.compile(r"[^A-Za-z0-9\-]")
_TOKEN_START = re.compile(r"^[a-z0-9$]")


@cache
def _morph_stem(token: str) -> str:
    return _exceptions().get(token) or porter_stem(token)


def rouge_tokens(sentences: Sequence[str]) -> list[str]:
    """The token sequence ROUGE-1.5.5 builds from a summary's sentences (see the module docstring)."""
    lines = []
    for sentence in sentences:
        # tilse writes each sentence into an HTML line that ROUGE reads up to the first "<", "^" escaped
        text = " ".join(sentence.split()).replace("^", "&circ;").split("<", 1)[0]
        if text:
            lines.append(text.translate(_ASCII_LOWER))
    if not lines:
        return []
    text = _NON_WORD.sub(" ", " ".join(lines).replace("-", " - "))
    stopwords = _stopwords()
    tokens = []
    for token in text.split():
        if token in stopwords or not _TOKEN_START.match(token):
            continue
        tokens.append(_morph_stem(token) if len(token) > 3 else token)
    return tokens


def ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def rouge_counts(peer: Sequence[str], models: Sequence[Sequence[str]], n: int) -> RougeCounts:
    """ROUGE-N hit, peer and model counts of one summary against reference summaries (``-f A -t 2``)."""
    peer_grams = ngrams(rouge_tokens(peer), n)
    peer_total = sum(peer_grams.values())
    hits = model_total = 0
    for model in models:
        model_grams = ngrams(rouge_tokens(model), n)
        hits += sum(min(count, peer_grams[gram]) for gram, count in model_grams.items() if gram in peer_grams)
        model_total += sum(model_grams.values())
    return RougeCounts(hits, peer_total * len(models), model_total)
