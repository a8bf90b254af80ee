"""Names that cross English and Russian by translation, not transliteration: "Литва" is Lithuania.

Transliteration and spelling skeletons (:func:`storyline.extract.entities.name_skeleton`) join "Екабпилс"
and "Jekabpils", "Пескова" and "Peskov", but never "Литва" and "Lithuania", "США" and "the United States",
"Кремль" and "the Kremlin" or "ЕС" and "the EU". Those are the names an analyst filters by most often, so a
small table shipped with the package (``exonyms.tsv``: countries, capitals and cities in the news,
international organisations, Russian and US institutions) gives each one canonical English name, used for
its entity key whatever language the articles are in.

Russian names are looked up in the nominative (natasha lemmatises what it finds); single words also in
their case forms ("Литвы", "Литве", "Литву", "Литвой"), generated from the ending (irregular ones, "Египта",
are listed), so that a tokenizer without a morphological analyser (event grouping,
:func:`storyline.represent.pairs.script_keys`) and full-text search (:func:`spellings`) can use the table too.
A generated form that two names would share is dropped rather than guessed. The table leaves out names that
are also common words or first names (Togo, Chad, Sofia); reconciliation skips names NER tags mostly as
people, so Michael Jordan never becomes the kingdom.

>>> exonym("Литвы")
Exonym(kind='LOC', name='Lithuania')
>>> exonym("the U.S.") == exonym("США") == exonym("United States")
True
>>> exonym("Jekabpils") is None
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_TABLE = "exonyms.tsv"
_CYRILLIC = re.compile("[а-яё]")
_HUSHING = "жшчщц"  # after these a Russian ending is written -и/-ей, not -ы/-ой
_VELAR = "гкх"


@dataclass(frozen=True, slots=True)
class Exonym:
    """The canonical English name of a place or organisation, and its entity kind (``LOC`` or ``ORG``)."""

    kind: str
    name: str


def exonym(name: str) -> Exonym | None:
    """The table's entry for ``name`` (English or Russian, any case form of a Russian single word), or None."""
    return _forms().get(_normal(name))


def entries() -> list[Exonym]:
    """Every entry of the table, sorted."""
    return sorted(set(_forms().values()), key=lambda e: (e.kind, e.name))


def english_name(word: str) -> str | None:
    """The English name of a Russian word ("Литве" → "Lithuania", "США" → "United States"), or None."""
    normal = word.lower().replace("ё", "е")  # a word: the rest of _normal cannot change it (hot in grouping)
    if not _CYRILLIC.search(normal):
        return None
    found = _forms().get(normal)
    return found.name if found else None


def _normal(name: str) -> str:
    """Case, ``ё``, apostrophes, spacing and a leading "the" do not tell names apart."""
    text = unicodedata.normalize("NFKC", name).lower().replace("ё", "е").replace("’", "'")
    text = " ".join(text.split())
    return text[4:] if text.startswith("the ") else text


def spellings(entry: Exonym) -> list[str]:
    """Every way the table writes ``entry``: its English names, its Russian names and their case forms, with
    ``ё`` and with ``е`` (search tokenizers keep them apart). For searching text in both languages."""
    return list(_table()[1].get(entry, ()))


def _forms() -> dict[str, Exonym]:
    return _table()[0]


@lru_cache(maxsize=1)  # the table is package data: read once per process, never changed
def _table() -> tuple[dict[str, Exonym], dict[Exonym, tuple[str, ...]]]:
    """(every listed name and generated Russian case form, normalised → its entry; entry → its spellings).
    Listed names win over generated forms; a generated form claimed by two entries is dropped."""
    listed: dict[str, Exonym] = {}
    generated: dict[str, set[Exonym]] = {}
    written: dict[Exonym, dict[str, str]] = {}  # entry -> folded spelling -> spelling
    text = resources.files("storyline.extract").joinpath(_TABLE).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, english, others, russian, *rest = line.split("\t")
        irregular = rest[0].split(";") if rest else []
        entry = Exonym(kind, english)
        own = written.setdefault(entry, {})
        for variant in filter(None, [english, *others.split(";"), *russian.split(";"), *irregular]):
            normal = _normal(variant)
            listed[normal] = entry
            own.setdefault(variant.lower(), variant)
            if "." in normal:  # "U.S." is also written "US"
                listed.setdefault(normal.replace(".", ""), entry)
        for variant in filter(None, [] if irregular else russian.split(";")):
            if " " not in variant.strip() and not variant.isupper():
                for form in case_forms(variant.lower()):
                    generated.setdefault(_normal(form), set()).add(entry)
                    own.setdefault(form, form)
    for form, owners in generated.items():
        if form not in listed and len(owners) == 1:
            listed[form] = next(iter(owners))
    spelled = {}
    for entry, own in written.items():
        forms = {**own, **{k.replace("ё", "е"): v.replace("ё", "е") for k, v in own.items()}}
        spelled[entry] = tuple(forms[k] for k in sorted(forms) if listed.get(_normal(k)) == entry)
    return listed, spelled


def case_forms(word: str) -> list[str]:
    """Singular case forms of a Russian place name in the nominative, by its ending (the tail of a hyphenated
    name declines: "Шри-Ланке"). Regular declension only: irregular forms ("Египта") are listed in the table;
    an indeclinable name ("Токио", "Сочи") gives itself."""
    head, _, tail = word.rpartition("-")
    prefix = f"{head}-" if head else ""
    if tail.endswith("ия"):
        stem = tail[:-2]
        endings = ["ия", "ии", "ию", "ией"]
    elif tail.endswith("я"):
        stem = tail[:-1]
        endings = ["я", "и", "е", "ю", "ей"]
    elif tail.endswith("а"):
        stem = tail[:-1]
        soft = stem[-1:] in _HUSHING
        endings = ["а", "и" if soft or stem[-1:] in _VELAR else "ы", "е", "у", "ей" if soft else "ой"]
    elif tail.endswith("ы"):  # plural names: Нидерланды, Филиппины, Афины
        stem = tail[:-1]
        endings = ["ы", "", "ов", "ам", "ами", "ах"]
    elif tail.endswith("ь"):  # masculine (Израиль) or feminine (Казань): both sets, neither is a word
        stem = tail[:-1]
        endings = ["ь", "я", "ю", "ем", "е", "и", "ью"]
    elif tail.endswith("й"):
        stem = tail[:-1]
        endings = ["й", "я", "ю", "ем", "е"]
    elif tail[-1:] in "оеиуэю":
        return [word]
    else:  # a consonant: Иран, Пекин, Кипр
        stem = tail
        endings = ["", "а", "у", "ом", "е"] + (["ем"] if stem[-1:] in _HUSHING else [])
    return [f"{prefix}{stem}{ending}" for ending in endings]
