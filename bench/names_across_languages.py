"""How many places and organisations in Russian news get the key their English coverage uses.

    python bench/names_across_languages.py [--data-dir ../shared/data] [--json]

Runs the product's NER and store-wide reconciliation (natasha, then :func:`reconcile_entities`) over the
Russian leads of the tgcontest pair files and counts the LOC/ORG entities whose key is the key of an English
name: the table of :mod:`storyline.extract.exonyms` (Литва → loc:lithuania) or a transliteration that
happens to coincide (Новосибирск → loc:novosibirsk). A Russian entity with any other key ("loc:moskva")
is invisible to an analyst who filters English and Russian coverage by "Moscow".
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from storyline.config import Config
from storyline.evaluate.datasets import load_pairs
from storyline.extract.entities import EntityRecognizer, entity_key, reconcile_entities
from storyline.extract.exonyms import entries


def measure(data_dir: Path) -> dict[str, object]:
    articles = {}
    for name in ("ru_train_pool", "ru_exam_pool"):
        for pair in load_pairs(data_dir / "tgcontest_pairs" / f"{name}.tsv", Config(), None):
            for article in (pair.first, pair.second):
                article.lang = "ru"
                articles[article.id] = article
    corpus = [articles[key] for key in sorted(articles)]
    EntityRecognizer().annotate(corpus)
    reconcile_entities(corpus)
    entities = {e.key: e for a in corpus for e in a.entities if e.kind in ("LOC", "ORG")}
    mentions = Counter(m.entity_key for a in corpus for m in a.mentions if m.entity_key in entities)
    english = {entity_key(e.kind, e.name) for e in entries()} & set(entities)
    return {"articles": len(corpus), "entities": len(entities), "english_key": len(english),
            "mentions": sum(mentions.values()), "english_key_mentions": sum(mentions[k] for k in english),
            "names": sorted(entities[k].name for k in english)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.data_dir)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{result['articles']} Russian articles: {result['english_key']} of {result['entities']} places and "
          f"organisations carry the English key ({result['english_key_mentions']} of {result['mentions']} mentions)")
    print("  " + ", ".join(result["names"]))


if __name__ == "__main__":
    main()
