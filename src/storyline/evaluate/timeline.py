"""``storyline eval-timeline`` and ``storyline eval --task stories``: timelines and stories on Timeline17.

**Timelines** follow the news-tls evaluation (Gholipour Ghalandari & Ifrim 2020) step by step: for each gold
timeline, the articles of its story published within the gold date range are summarised into a timeline
with as many dates as the gold one and ``round(mean sentences per gold date)`` sentences per date
(:func:`storyline.group.timeline.summarize_dates`). Scores per timeline are Date P/R (exact days) and the
alignment-based ROUGE-1/2 "align+ m:1" of Martschat & Markert (2017), computed like ``tilse``'s
``evaluate_align_date_content_costs_many_to_one``: every predicted date is aligned to the reference date of
least cost (date distance × (1 − approximate ROUGE-1 F of the two summaries)) and vice versa for recall,
ROUGE counts of each aligned pair are weighted by 1 / (1 + days apart). As in news-tls, precision and recall
are averaged over timelines and F is computed from the averages.

**Stories** cluster every article of a labelled file into stories with the product path (near-duplicates,
events, stories) and score them against a gold field with BCubed and friends.

>>> result = evaluate_timelines(Path("../shared/data/timeline17/articles.jsonl"),
...                             Path("../shared/data/timeline17/timelines.jsonl"))   # doctest: +SKIP
>>> print(format_timeline_report(result))                                            # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import resource
import string
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from storyline.config import Config
from storyline.evaluate.rouge import rouge_counts
from storyline.group.timeline import DatedText, split_sentences, summarize_dates

Timeline = Mapping[date, Sequence[str]]
MEASURES = ("rouge_1", "rouge_2")


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


# ---------------------------------------------------------------------------------------------- metrics
def date_scores(predicted: Timeline, reference: Timeline) -> dict[str, float]:
    """Precision, recall and F1 of the predicted days against the reference days."""
    shared = len(set(predicted) & set(reference))
    p = shared / len(predicted) if predicted else 0.0
    r = shared / len(reference) if reference else 0.0
    return {"precision": p, "recall": r, "f_score": _f1(p, r)}


def approximate_rouge1(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """tilse's content cost: ROUGE-1 F over whitespace tokens, no stemming or stopwords.

    As in tilse 0.2.1, a token is dropped when it is a substring of ``string.punctuation`` (".", "(", "-.").
    """
    pred = Counter(tok for s in predicted for tok in s.split() if tok not in string.punctuation)
    ref = Counter(tok for s in reference for tok in s.split() if tok not in string.punctuation)
    match = sum(min(count, ref[tok]) for tok, count in pred.items())
    p = match / sum(pred.values()) if pred else 0
    r = match / sum(ref.values()) if ref else 0
    return 0 if p + r == 0 else 2 * p * r / (p + r)


def align_rouge(predicted: Timeline, reference: Timeline) -> dict[str, dict[str, float]]:
    """ROUGE-1/2 precision, recall and F of ``predicted`` against one reference timeline ("align+ m:1")."""
    pred_dates = sorted(predicted)
    ref_dates = sorted(reference)
    if not pred_dates or not ref_dates:
        return {m: {"precision": 0.0, "recall": 0.0, "f_score": 0.0} for m in MEASURES}
    pred = {d: [s.strip() for s in predicted[d]] for d in pred_dates}
    ref = {d: [s.strip() for s in reference[d]] for d in ref_dates}
    costs = [[_cost(p, r, pred[p], ref[r]) for r in ref_dates] for p in pred_dates]
    to_ref = [min(range(len(ref_dates)), key=lambda j, row=row: (row[j], j)) for row in costs]
    to_pred = [min(range(len(pred_dates)), key=lambda i, j=j: (costs[i][j], i)) for j in range(len(ref_dates))]
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])  # prec num/denom, rec num/denom
    for i, j in enumerate(to_ref):
        _accumulate(sums, pred_dates[i], ref_dates[j], pred, ref, recall=False)
    for j, i in enumerate(to_pred):
        _accumulate(sums, pred_dates[i], ref_dates[j], pred, ref, recall=True)
    out = {}
    for measure in MEASURES:
        p_num, p_den, r_num, r_den = sums[measure]
        p = p_num / p_den if p_den else 0.0
        r = r_num / r_den if r_den else 0.0
        out[measure] = {"precision": p, "recall": r, "f_score": _f1(p, r)}
    return out


def _cost(p: date, r: date, pred: Sequence[str], ref: Sequence[str]) -> float:
    date_factor = 1 - 1 / (abs(p.toordinal() - r.toordinal()) + 1)
    return date_factor * (1 - approximate_rouge1(pred, ref))


def _accumulate(sums: dict[str, list[float]], p: date, r: date, pred: Mapping[date, list[str]],
                ref: Mapping[date, list[str]], *, recall: bool) -> None:
    weight = 1 / (abs(p.toordinal() - r.toordinal()) + 1)
    for n, measure in enumerate(MEASURES, start=1):
        counts = rouge_counts(pred[p], [ref[r]], n)
        if recall:
            sums[measure][2] += weight * counts.hits
            sums[measure][3] += counts.model
        else:
            sums[measure][0] += weight * counts.hits
            sums[measure][1] += counts.peer


# ---------------------------------------------------------------------------------------------- Timeline17
def load_timeline_data(articles_path: Path, timelines_path: Path) -> tuple[dict[str, list[DatedText]], list[dict]]:
    """Articles grouped by story (``topic``) and the gold timelines, each with its story and date map."""
    by_topic: dict[str, list[DatedText]] = defaultdict(list)
    topic_of_dir: dict[str, str] = {}
    with open(articles_path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            try:
                published = date.fromisoformat(str(record["time"])[:10])
                topic = str(record["topic"])
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{articles_path}:{number}: needs 'topic' and an ISO 'time' ({exc})") from None
            if record.get("topic_dir"):
                topic_of_dir[str(record["topic_dir"])] = topic
            by_topic[topic].append(DatedText(published, split_sentences(record.get("text") or ""),
                                             record.get("title") or ""))
    timelines = []
    with open(timelines_path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            name = str(record.get("topic_dir") or record.get("topic") or f"timeline{number}")
            topic = topic_of_dir.get(name) or str(record.get("topic") or (record.get("keywords") or [name])[0])
            dates = {date.fromisoformat(d[:10]): list(sents) for d, sents in record["timeline"]}
            timelines.append({"name": f"{name}#{record.get('timeline_idx', 0)}", "topic": topic, "dates": dates})
    return dict(by_topic), timelines


def evaluate_timelines(articles_path: Path, timelines_path: Path, *, topics: Sequence[str] | None = None,
                       limit: int | None = None) -> dict[str, Any]:
    """Date-F1 and align+ m:1 ROUGE-1/2 of our timelines against every gold timeline (news-tls protocol)."""
    clock = time.perf_counter()
    articles, gold = load_timeline_data(Path(articles_path), Path(timelines_path))
    if topics is not None:
        gold = [g for g in gold if g["topic"] in topics]
    gold = gold[:limit] if limit else gold
    if not gold:
        raise ValueError(f"no gold timelines to evaluate in {timelines_path}")
    rows = []
    for timeline in gold:
        reference: dict[date, list[str]] = timeline["dates"]
        start, end = min(reference), max(reference)
        docs = [d for d in articles.get(timeline["topic"], []) if start <= d.published <= end]
        n_sentences = max(1, round(sum(len(s) for s in reference.values()) / len(reference)))
        predicted = summarize_dates(docs, len(reference), n_sentences, start, end)
        rouge = align_rouge(predicted, reference)
        rows.append({"timeline": timeline["name"], "topic": timeline["topic"], "articles": len(docs),
                     "gold_dates": len(reference), "dates": len(predicted), "sentences_per_date": n_sentences,
                     "date": date_scores(predicted, reference), **rouge})
    average = {}
    for key in ("date", *MEASURES):
        p = sum(r[key]["precision"] for r in rows) / len(rows)
        rec = sum(r[key]["recall"] for r in rows) / len(rows)
        average[key] = {"precision": p, "recall": rec, "f_score": _f1(p, rec)}
    return {"articles": str(articles_path), "timelines": str(timelines_path), "n_timelines": len(rows),
            "average": average, "per_timeline": rows, "seconds": time.perf_counter() - clock}


def format_timeline_report(result: dict[str, Any]) -> str:
    """One line per gold timeline, then the averages beside the published DATEWISE/CLUST anchors."""
    lines = [f"{result['timelines']}  ({result['n_timelines']} gold timelines, {result['seconds']:.1f} s)",
             f"  {'timeline':28}{'arts':>6}{'dates':>9}{'k':>3}{'Date-F1':>9}{'AR1-F':>8}{'AR2-F':>8}"]
    for row in result["per_timeline"]:
        lines.append(f"  {row['timeline']:28}{row['articles']:>6}{row['dates']:>5}/{row['gold_dates']:<3}"
                     f"{row['sentences_per_date']:>3}{row['date']['f_score']:>9.3f}{row['rouge_1']['f_score']:>8.3f}"
                     f"{row['rouge_2']['f_score']:>8.3f}")
    avg = result["average"]
    lines.append(f"  {'average (F of mean P, R)':28}{'':>18}{avg['date']['f_score']:>9.3f}"
                 f"{avg['rouge_1']['f_score']:>8.3f}{avg['rouge_2']['f_score']:>8.3f}")
    lines.append(f"  {'anchors on full T17: DATEWISE':46}{0.544:>9.3f}{0.120:>8.3f}{0.035:>8.3f}")
    lines.append(f"  {'                     CLUST':46}{0.407:>9.3f}{0.082:>8.3f}{0.020:>8.3f}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- stories
def evaluate_stories_file(path: Path, gold_field: str = "topic", config: Config | None = None,
                          limit: int | None = None) -> dict[str, Any]:
    """Cluster every article of a labelled JSONL file into stories; BCubed, pairwise, ARI/AMI against ``gold_field``.

    Record ids need not be unique (Timeline17 repeats them across outlets): each article gets the id
    ``<line>:<record id>``, which no gold label can leak into. Unless ``config.use_ner`` is off (``--fast``),
    entities are recognised first, as the product's pipeline does: story linking weighs places and people
    (NER time is part of ``build_s``).
    """
    from storyline.evaluate.datasets import iter_records, record_document, to_article
    from storyline.evaluate.metrics import cluster_scores
    from storyline.group.dedup import find_duplicates
    from storyline.group.events import group_events
    from storyline.group.stories import link_stories

    config = config or Config()
    path = Path(path)
    clock = time.perf_counter()
    articles, gold = [], []
    for number, record in enumerate(iter_records(path, limit), start=1):
        if gold_field not in record:
            raise KeyError(f"{path}:{number}: no gold field {gold_field!r} (fields: {', '.join(sorted(record))})")
        doc = record_document(record, f"{path}:{number}")
        doc.doc_id = f"{number}:{doc.doc_id}"
        articles.append(to_article(doc, config))
        gold.append(str(record[gold_field]))
    if config.use_ner:  # stories weigh entities (places, people) as ``storyline run`` gives them; events do not
        from storyline.extract.entities import EntityRecognizer, reconcile_entities

        EntityRecognizer(config).annotate(articles)
        reconcile_entities(articles)
    build_s = time.perf_counter() - clock
    from storyline.evaluate.runner import make_embedder

    embedder = make_embedder(config)  # the grouping's embedder, article vectors kept for the stories
    clock = time.perf_counter()
    duplicates = find_duplicates(articles, config)
    for article in articles:
        article.duplicate_of = duplicates.get(article.id)
    events, _ = group_events(articles, config, embedder)
    stories = link_stories(events, {a.id: a for a in articles}, config, embedder)
    seconds = time.perf_counter() - clock
    story_of = {aid: story.id for story in stories for aid in story.article_ids}
    event_of = {aid: event.id for event in events for aid in event.article_ids}
    predicted = [story_of.get(a.id) or event_of[a.id] for a in articles]
    return {
        "file": str(path), "task": "stories", "gold": gold_field, "n_docs": len(articles), "n_events": len(events),
        **cluster_scores(gold, predicted),
        "docs_per_s": len(articles) / seconds if seconds > 0 else math.inf, "seconds": seconds, "build_s": build_s,
        "overall_docs_per_s": len(articles) / (seconds + build_s) if seconds + build_s > 0 else math.inf,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "embeddings": embedder is not None,
    }
