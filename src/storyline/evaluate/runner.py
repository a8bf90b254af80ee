"""``storyline eval``: score the product's grouping on a labelled file, with a baseline beside it.

The product path is the one ``storyline run`` takes: records become Articles (see
:mod:`storyline.evaluate.datasets`), near-duplicates are marked, then :func:`group_events` runs with
the given configuration and, unless ``config.fast``, the multilingual embedder — every feature the grouping
uses (it uses no NER entities, see :mod:`storyline.represent.pairs`). There are no per-dataset switches.
``docs_per_s`` times dedup + furniture + features + embeddings + blocking + clustering; ``build_s`` (the
cleaning/extraction stage, not grouping) is reported apart, and ``overall_docs_per_s`` includes it.

``pairs`` files are scored the way the product would see them: all texts of the file are grouped
together, a pair is "same event" when both land in one event, and ROC-AUC is that of the pair score.

>>> result = evaluate_file(Path("../shared/data/gvc/docs.jsonl"), gold="event_id")   # doctest: +SKIP
>>> print(format_result(result))                                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
import resource
import time
from pathlib import Path
from typing import Any

from storyline.config import Config
from storyline.evaluate.baselines import BASELINES
from storyline.evaluate.datasets import load_labelled, load_pairs
from storyline.evaluate.metrics import cluster_scores, pair_scores
from storyline.group.dedup import find_duplicates
from storyline.group.events import group_events, score_article_pairs
from storyline.model import Article
from storyline.represent.embed import CachedEmbedder, Embedder, MemoryFeatures, cached

TASKS = ("events", "pairs", "stories")
FLOORS = Path(__file__).with_name("floors.json")  # CI quality gate (tests/test_eval_gate.py, bench/eval_all.py)


def make_embedder(config: Config) -> CachedEmbedder | None:
    """The embedder the pipeline uses (single-threaded USE, see :mod:`storyline.represent.embed`), loaded:
    throughput is measured without the one-off model load."""
    if not config.use_embeddings:
        return None
    embedder = Embedder()
    embedder.encode(["warm up"])
    return cached(embedder, MemoryFeatures())  # article vectors kept, as a store keeps them: stories reuse them


def evaluate_file(
    path: Path,
    gold: str,
    task: str = "events",
    baseline: str | None = None,
    config: Config | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Score the product (and optionally a baseline) on one file; returns a flat JSON-able dict."""
    path = Path(path)
    config = config or Config()
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if baseline is not None and baseline not in BASELINES:
        raise ValueError(f"unknown baseline {baseline!r}; choose one of {', '.join(sorted(BASELINES))}")
    if task == "pairs":
        return _evaluate_pairs(path, config, limit)
    clock = time.perf_counter()
    data = load_labelled(path, gold, config, limit)
    build_s = time.perf_counter() - clock
    embedder = make_embedder(config)
    clock = time.perf_counter()
    events, _ = _group(data.articles, config, embedder)
    event_of = {aid: event.id for event in events for aid in event.article_ids}
    predicted = [event_of[a.id] for a in data.articles]
    if task == "stories":
        predicted = _story_labels(data.articles, events, config, embedder)
    seconds = time.perf_counter() - clock
    result: dict[str, Any] = {
        "file": str(path),
        "task": task,
        "gold": gold,
        "n_docs": len(data.articles),
        **cluster_scores(data.gold, predicted),
        "docs_per_s": len(data.articles) / seconds if seconds > 0 else math.inf,
        "seconds": seconds,
        "build_s": build_s,
        "overall_docs_per_s": len(data.articles) / (seconds + build_s) if seconds + build_s > 0 else math.inf,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "embeddings": embedder is not None,
    }
    if baseline is not None:
        clock = time.perf_counter()
        scored = BASELINES[baseline](data.articles, data.gold)
        result["baseline"] = {"name": baseline, **scored, "seconds": time.perf_counter() - clock}
    return result


def _group(articles: list[Article], config: Config, embedder: CachedEmbedder | None) -> tuple[list, dict]:
    duplicates = find_duplicates(articles, config)
    for article in articles:
        article.duplicate_of = duplicates.get(article.id)
    return group_events(articles, config, embedder)


def _story_labels(articles: list[Article], events: list, config: Config, embedder: CachedEmbedder | None) -> list[str]:
    from storyline.group.stories import link_stories

    by_id = {a.id: a for a in articles}
    stories = link_stories(events, by_id, config, embedder)
    story_of_event = {eid: story.id for story in stories for eid in story.event_ids}
    label = {aid: story_of_event.get(e.id, e.id) for e in events for aid in e.article_ids}
    return [label[a.id] for a in articles]


def _evaluate_pairs(path: Path, config: Config, limit: int | None) -> dict[str, Any]:
    pairs = load_pairs(path, config, limit)
    unique = {a.id: a for p in pairs for a in (p.first, p.second)}
    embedder = make_embedder(config)
    clock = time.perf_counter()
    events, _ = _group(list(unique.values()), config, embedder)
    seconds = time.perf_counter() - clock
    event_of = {aid: event.id for event in events for aid in event.article_ids}
    predicted = [event_of[p.first.id] == event_of[p.second.id] for p in pairs]
    scores = score_article_pairs(list(unique.values()), [(p.first.id, p.second.id) for p in pairs], config, embedder)
    loose = ({"loose": pair_scores([bool(p.loose) for p in pairs], predicted, scores)}
             if any(p.loose is not None for p in pairs) else {})
    return {
        "file": str(path),
        "task": "pairs",
        **pair_scores([p.same for p in pairs], predicted, scores),
        **loose,
        "docs_per_s": len(unique) / seconds if seconds > 0 else math.inf,
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "embeddings": embedder is not None,
    }


_ROWS = (
    ("BCubed P / R / F1", ("bcubed_p", "bcubed_r", "bcubed_f1")),
    ("pairwise P / R / F1", ("pairwise_p", "pairwise_r", "pairwise_f1")),
    ("ARI / AMI", ("ari", "ami")),
    ("clusters predicted / gold", ("n_pred", "n_gold")),
)


def _cell(result: dict[str, Any], keys: tuple[str, ...]) -> str:
    return " / ".join(f"{result[k]:.4f}" if isinstance(result[k], float) else str(result[k]) for k in keys)


def format_result(result: dict[str, Any]) -> str:
    """A small aligned table: ours, and the baseline beside it when one ran."""
    if result["task"] == "pairs":
        return (
            f"{result['file']}  ({result['n_pairs']} pairs, {result['n_positive']} same-event)\n"
            f"  positive P / R / F1   {result['p']:.4f} / {result['r']:.4f} / {result['f1']:.4f}\n"
            f"  ROC-AUC of the score  {result['roc_auc']:.4f}\n"
            + (f"  same or loosely same  P / R / F1 {_cell(result['loose'], ('p', 'r', 'f1'))}, ROC-AUC "
               f"{result['loose']['roc_auc']:.4f} ({result['loose']['n_positive']} pairs)\n" if "loose" in result else "")
            + f"  speed                 {result['docs_per_s']:.0f} docs/s "
            f"({'with' if result['embeddings'] else 'no'} embeddings), peak RSS {result['peak_rss_mb']:.0f} MB"
        )
    base = result.get("baseline")
    header = f"{'':28}{'storyline':>34}" + (f"{base['name'] + ' (t=' + str(base['threshold']) + ')':>40}" if base else "")
    lines = [f"{result['file']}  task={result['task']}  gold={result['gold']}  docs={result['n_docs']}", header]
    for label, keys in _ROWS:
        line = f"  {label:26}{_cell(result, keys):>34}"
        if base:
            line += f"{_cell(base, keys):>40}"
        lines.append(line)
    lines.append(
        f"  {'speed':26}{result['docs_per_s']:>22.0f} docs/s grouping ({'with' if result['embeddings'] else 'no'} "
        f"embeddings), {result['overall_docs_per_s']:.0f} docs/s with cleaning/extraction, "
        f"peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    if base:
        tuned = base.get("tuned", {}).get("pairwise_f1")
        if tuned:
            lines.append(f"  {'baseline tuned for pairwise':26}{tuned['value']:>34.4f} (t={tuned['threshold']})")
        lines.append(f"  {'baseline time':26}{base['seconds']:>22.1f} s (thresholds tuned on this file)")
    return "\n".join(lines)
