"""Check that the bundled sample corpus and ``gold.json`` agree, and that the corpus still plants what it promises.

The gold file is hand-written beside a hand-written corpus; the two drift apart silently when an article is
renamed or a quote edited. This script fails loudly instead: every id exactly once, every format parses,
the minimum sizes of issue 2 hold, each labelled quote and noise string is really in its file, and the
mojibake caption is real cp1251-read-as-Latin-1 text. It reads files only; it never runs the pipeline.

    python src/storyline/samples/check_gold.py          # exit 0 and a summary, or exit 1 and the problems
"""

from __future__ import annotations

import csv
import html
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
GOLD = HERE / "gold.json"

RECORD_FIELDS = ("id", "title", "text", "date", "url", "outlet", "lang")
MIN_ARTICLES, MIN_RUSSIAN, MIN_OUTLETS, MIN_EVENTS, MIN_STORIES = 64, 20, 8, 12, 4
EVENT_SIZES = range(3, 9)  # events of 3..8 articles; size 1 is an allowed singleton
MIN_STORY_SPAN_DAYS = 90
MOJIBAKE_RUN = re.compile(r"[\u00c0-\u00ff][\u00c0-\u00ff .,/«»\-]{10,}[\u00c0-\u00ff]")
NEAR_DUPLICATE_MIN_JACCARD = 0.6


@dataclass(frozen=True, slots=True)
class Item:
    """One article as found in the corpus: where it lives and its raw text (HTML unescaped)."""

    id: str
    path: Path
    text: str
    fields: dict[str, str]


def read_corpus(root: Path, problems: list[str]) -> list[Item]:
    """Every article in ``root``: one per .txt/.html file, one per .jsonl line or .csv row."""
    items: list[Item] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        raw = path.read_text(encoding="utf-8")
        if suffix in (".txt", ".html"):
            items.append(Item(path.stem, path, html.unescape(raw), {}))
        elif suffix == ".jsonl":
            for number, line in enumerate(raw.splitlines(), 1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    problems.append(f"{path}:{number}: bad JSON ({error})")
                    continue
                items.extend(_record(path, f"line {number}", record, problems))
        elif suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as handle:
                for number, row in enumerate(csv.DictReader(handle), 2):
                    items.extend(_record(path, f"row {number}", row, problems))
        else:
            problems.append(f"{path}: unexpected file type in the corpus")
    return items


def _record(path: Path, where: str, record: dict[str, str], problems: list[str]) -> list[Item]:
    missing = [name for name in RECORD_FIELDS if not record.get(name)]
    if missing:
        problems.append(f"{path} {where}: missing fields {missing}")
        return []
    return [Item(record["id"], path, record["title"] + "\n\n" + record["text"], dict(record))]


def is_russian(text: str) -> bool:
    """Cyrillic letters outnumber Latin ones (URLs and Latin company names stay a minority)."""
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return cyrillic > latin


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + size]) for i in range(max(len(words) - size + 1, 1))}


def check(gold: dict, items: list[Item], problems: list[str]) -> dict[str, int]:
    """Append every disagreement between ``gold`` and the corpus to ``problems``; return headline counts."""
    counts = Counter(item.id for item in items)
    problems += [f"id {key!r} occurs {n} times in the corpus" for key, n in sorted(counts.items()) if n > 1]
    by_id = {item.id: item for item in items}
    corpus_ids = set(by_id)

    events: dict[str, list[str]] = gold["events"]
    stories: dict[str, list[str]] = gold["stories"]
    in_events = Counter(a for members in events.values() for a in members)
    in_stories = Counter(e for members in stories.values() for e in members)
    for key in ("outlets", "dates", "languages", "titles"):
        if set(gold[key]) != corpus_ids:
            problems.append(f"gold[{key!r}] ids differ from the corpus: "
                            f"missing {sorted(corpus_ids - set(gold[key]))}, unknown {sorted(set(gold[key]) - corpus_ids)}")
    problems += [f"article {a!r} is in {in_events[a]} events" for a in sorted(corpus_ids) if in_events[a] != 1]
    problems += [f"event member {a!r} is not in the corpus" for a in sorted(set(in_events) - corpus_ids)]
    problems += [f"event {e!r} is in {in_stories[e]} stories" for e in sorted(events) if in_stories[e] != 1]
    problems += [f"story member {e!r} is not an event" for e in sorted(set(in_stories) - set(events))]
    problems += [f"event {e!r} has {len(m)} articles" for e, m in events.items() if len(m) != 1 and len(m) not in EVENT_SIZES]

    dates = {a: date.fromisoformat(d) for a, d in gold["dates"].items() if d is not None}
    if len(dates) == len(gold["dates"]):
        problems.append("no article without a date")
    event_start = {e: min((dates[a] for a in m if a in dates), default=None) for e, m in events.items()}
    for story, members in stories.items():
        starts = [event_start[e] for e in members if e in event_start]
        if None in starts or starts != sorted(starts):
            problems.append(f"story {story!r}: events are not in date order ({starts})")
    all_dates = sorted(dates.values())
    if all_dates and (all_dates[-1] - all_dates[0]).days < MIN_STORY_SPAN_DAYS:
        problems.append("the corpus spans less than three months")

    _check_languages(gold, by_id, events, problems)
    _check_metadata(gold, by_id, problems)
    _check_quotes(gold, by_id, problems)
    _check_noise(gold, by_id, problems)

    return {
        "articles": len(corpus_ids),
        "russian": sum(1 for lang in gold["languages"].values() if lang == "ru"),
        "outlets": len(set(gold["outlets"].values())),
        "events": len(events),
        "stories": len(stories),
        "multi-event stories": sum(1 for m in stories.values() if len(m) >= 2),
        "undated articles": len(gold["dates"]) - len(dates),
        "quotes": len(gold["quotes"]),
    }


def _check_languages(gold: dict, by_id: dict[str, Item], events: dict[str, list[str]], problems: list[str]) -> None:
    for key, lang in gold["languages"].items():
        if key in by_id and (lang == "ru") != is_russian(by_id[key].text):
            problems.append(f"{key}: gold language {lang!r} does not match its text")
    if not any({gold["languages"][a] for a in m} == {"en", "ru"} for m in events.values()):
        problems.append("no event is covered in both English and Russian")


def _check_metadata(gold: dict, by_id: dict[str, Item], problems: list[str]) -> None:
    for key, item in sorted(by_id.items()):
        title = gold["titles"].get(key, "")
        if title not in item.text:
            problems.append(f"{key}: gold title not found in the article")
        if item.fields:
            if item.fields["outlet"] != gold["outlets"].get(key) or item.fields["lang"] != gold["languages"].get(key):
                problems.append(f"{key}: record outlet/lang disagree with gold")
            if not item.fields["date"].startswith(str(gold["dates"].get(key))):
                problems.append(f"{key}: record date {item.fields['date']} disagrees with gold")
        if item.path.suffix == ".html":
            site = re.search(r'property="og:site_name" content="([^"]+)"', item.text)
            published = re.search(r'property="article:published_time" content="([^"]+)"', item.text)
            if "<title>" not in item.text or not site or not published:
                problems.append(f"{key}: HTML page lacks <title>, og:site_name or article:published_time")
            elif site.group(1) != gold["outlets"][key] or not published.group(1).startswith(str(gold["dates"][key])):
                problems.append(f"{key}: HTML metadata disagrees with gold outlet/date")
    unmarked = set(gold["outlet_not_in_text"])
    for key, outlet in sorted(gold["outlets"].items()):
        names = [outlet, *gold["outlet_aliases"].get(outlet, [])]
        if key in by_id and key not in unmarked and not any(
            name in by_id[key].text or name in by_id[key].fields.values() for name in names
        ):
            problems.append(f"{key}: outlet {outlet!r} is named nowhere in the article")
    for original, copy in gold["near_duplicates"]:
        a, b = shingles(by_id[original].text), shingles(by_id[copy].text)
        if len(a & b) / len(a | b) < NEAR_DUPLICATE_MIN_JACCARD:
            problems.append(f"near-duplicate pair {original}/{copy} is not near-verbatim")
    for key, source in gold["credited_sources"].items():
        if "Based on materials from" not in by_id[key].text:
            problems.append(f"{key}: no 'Based on materials from' credit for {source}")


def _check_quotes(gold: dict, by_id: dict[str, Item], problems: list[str]) -> None:
    statements: dict[str, set[tuple[str, str]]] = {}
    people: dict[str, set[str]] = {}
    for quote in gold["quotes"]:
        item = by_id.get(quote["article_id"])
        if item is None:
            problems.append(f"quote in unknown article {quote['article_id']!r}")
            continue
        if squash(quote["text_fragment"]) not in squash(item.text):
            problems.append(f"{item.id}: quote fragment not found: {quote['text_fragment'][:60]!r}")
        if quote["speaker"].split()[-1] not in item.text:
            problems.append(f"{item.id}: speaker {quote['speaker']!r} not named in the article")
        if quote.get("statement"):
            statements.setdefault(quote["statement"], set()).add((gold["languages"][item.id], gold["outlets"][item.id]))
            people.setdefault(quote["statement"], set()).add(quote["person"])
    for statement, persons in sorted(people.items()):
        if len(persons) != 1 or len(statements[statement]) < 2:
            problems.append(f"statement {statement!r}: needs one person and two outlets, has {sorted(persons)}")
    translated = [
        s for s, seen in statements.items()
        if len({outlet for lang, outlet in seen if lang == "en"}) >= 2 and any(lang == "ru" for lang, _ in seen)
    ]
    if not translated:
        problems.append("no statement quoted by two English outlets and one Russian outlet")


def _check_noise(gold: dict, by_id: dict[str, Item], problems: list[str]) -> None:
    for key, needles in gold["must_not_appear_in_body"].items():
        problems += [f"{key}: planted noise {n!r} is missing" for n in needles if n not in by_id[key].text]
    for key in gold["repeated_headlines"]:
        if by_id[key].text.count(gold["titles"][key]) < 2:
            problems.append(f"{key}: headline is not repeated")
    for key in gold["mojibake_files"]:
        text = by_id[key].text
        runs = MOJIBAKE_RUN.findall(text)
        repaired = [run.encode("latin-1").decode("cp1251") for run in runs]
        if not any(is_russian(r) and sum(ch.isalpha() for ch in r) > 20 for r in repaired):
            problems.append(f"{key}: holds no cp1251-read-as-Latin-1 text")
        for wanted in gold["must_appear_in_body"].get(key, []):
            if wanted in text or wanted.encode("cp1251").decode("latin-1") not in text:
                problems.append(f"{key}: {wanted!r} is not present in mojibake form")


def minimums(counts: dict[str, int]) -> list[str]:
    wanted = {"articles": MIN_ARTICLES, "russian": MIN_RUSSIAN, "outlets": MIN_OUTLETS,
              "events": MIN_EVENTS, "multi-event stories": MIN_STORIES}
    return [f"only {counts[k]} {k}, need {n}" for k, n in wanted.items() if counts[k] < n]


def main() -> int:
    problems: list[str] = []
    try:
        gold = json.loads(GOLD.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        print(f"cannot read {GOLD}: {error}", file=sys.stderr)
        return 1
    items = read_corpus(CORPUS, problems)
    counts = check(gold, items, problems)
    problems += minimums(counts)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print("gold OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
