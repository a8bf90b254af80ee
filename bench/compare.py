"""storyline against what users would use instead, on the same synthetic stream, in one run.

    python bench/compare.py --docs 5000 20000 [--probe] [--limit-s 600] [--methods M…] [--workers N] [--json]

Methods, each run in its own subprocess (so peak memory is its own and a 10-minute limit can stop it):

* ``storyline`` — the product's pipeline (``--fast`` lexical mode unless ``--full``) into a fresh SQLite store:
  ingest → clean → extract → group → store, everything timed.
* ``storyline-incremental`` — the same through ``storyline ingest --incremental`` (stored, then grouped oldest
  first; bounded memory, near-copies within the hot window, no stories): what loads a million articles on a
  laptop.
* ``storyline-grouping`` — the grouping of ``ingest --incremental`` alone (near-copies, events, evidence, in
  batches of ``batch_size`` in date order, one process, no store) over the same cleaned articles the baselines
  get, cleaning untimed: the like-for-like row against them.
* ``tfidf-agglomerative`` — scikit-learn TF-IDF (sublinear, 1-2 grams) + average-linkage agglomerative
  clustering on cosine distance, the usual baseline. Its distance threshold is tuned once on the smallest size
  (optimistic for the baseline) and then fixed. Input is the same cleaned article text storyline extracts,
  and cleaning is *not* timed for the baselines (again in their favour).
* ``minhash-lsh`` — datasketch MinHash (128 permutations, word 3-shingles) + MinHashLSH, connected components
  of the candidate pairs; threshold tuned the same way.

``--workers N`` gives storyline N processes (its ``--workers`` option; the baselines have no such option and
run in one). ``--probe`` keeps doubling the size after the listed ones until a method fails or exceeds the time limit,
which finds "the largest size each can handle". The table gives time, peak RSS and BCubed F1 per method and
size, and the ratio of each baseline to storyline.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BASELINES = ("tfidf-agglomerative", "minhash-lsh")  # tuned on the smallest size; storyline has no threshold
METHODS = ("storyline", "storyline-incremental", "storyline-grouping", *BASELINES)
TFIDF_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MINHASH_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _peak_rss_mb() -> float:
    """Of this process or the largest of its finished children (storyline's ``--workers``)."""
    own, children = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return max(own, children) / 1024


def _corpus(workdir: Path, docs: int, seed: int) -> Path:
    from generate import write_jsonl

    path = workdir / f"stream-{docs}-{seed}.jsonl"
    if not path.exists():
        with path.open("w", encoding="utf-8") as handle:
            write_jsonl(docs, handle, seed)
    return path


def _gold(corpus: Path) -> dict[str, str]:
    with corpus.open(encoding="utf-8") as handle:
        return {r["id"]: r["event"] for r in map(json.loads, handle)}


def _articles(corpus: Path) -> list:
    """The corpus cleaned and extracted by storyline (``--fast``), as every method but the first two gets it."""
    from storyline.config import Config
    from storyline.ingest import iter_documents
    from storyline.pipeline import build_articles

    return build_articles(list(iter_documents([corpus])), Config(fast=True))[0]


def _texts(corpus: Path) -> tuple[list[str], list[str]]:
    """Cleaned title + body of each article (not timed)."""
    articles = _articles(corpus)
    return [a.id for a in articles], [f"{a.title}\n{a.body}" for a in articles]


def _group_only(articles: list) -> dict[str, str]:
    """What ``ingest --incremental --fast`` does to each batch between storing it and writing its events."""
    from storyline.config import Config
    from storyline.group.dedup import CopyIndex
    from storyline.group.events import EventIndex, canonical_key

    config = Config(fast=True)
    copies, index = CopyIndex(config, window_days=config.horizon_days), EventIndex(config)
    ordered = sorted(articles, key=canonical_key)
    event_of: dict[str, str] = {}
    for lo in range(0, len(ordered), config.batch_size):
        batch = ordered[lo : lo + config.batch_size]
        marked, _ = copies.mark(batch)
        for article in batch:
            article.duplicate_of = marked.get(article.id)
        event_of.update(index.insert(batch))
        index.evidence([a.id for a in batch])
    return event_of


def _run_storyline(corpus: Path, workdir: Path, full: bool, incremental: bool = False,
                   workers: int = 1) -> dict[str, str | None]:
    from storyline.config import Config
    from storyline.pipeline import ingest_incremental, run_pipeline
    from storyline.store import SQLiteStore

    db = workdir / f"compare-{corpus.stem}{'-incremental' if incremental else ''}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with SQLiteStore(db) as store:
        if incremental:  # the archive path: stored, then grouped oldest first (no stories)
            ingest_incremental([corpus], store, Config(fast=not full, workers=workers))
        else:
            run_pipeline([corpus], store, Config(fast=not full, workers=workers))
        return store.event_assignments()


def _tfidf_labels(texts: list[str], threshold: float) -> list[int]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1).fit_transform(texts)
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                    distance_threshold=threshold)
    return model.fit_predict(matrix.toarray()).tolist()


def _minhash_labels(texts: list[str], threshold: float) -> list[int]:
    from datasketch import MinHash, MinHashLSH

    from storyline.represent.minhash import shingles

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, text in enumerate(texts):
        sketch = MinHash(num_perm=128, seed=1)
        sketch.update_batch([s.encode("utf-8") for s in sorted(shingles(text, 3))])
        for other in lsh.query(sketch):
            parent[find(i)] = find(int(other))
        lsh.insert(str(i), sketch)
    return [find(i) for i in range(len(texts))]


def one(method: str, corpus: Path, workdir: Path, threshold: float | None, full: bool,
        workers: int = 1) -> dict[str, object]:
    """Run one method on one corpus in this process and return its figures (called in a subprocess)."""
    from storyline.evaluate.metrics import cluster_scores

    gold = _gold(corpus)
    if method == "storyline-grouping":
        articles = _articles(corpus)
        started = time.perf_counter()
        predicted = _group_only(articles)
        seconds = time.perf_counter() - started
    elif method.startswith("storyline"):
        started = time.perf_counter()
        predicted = _run_storyline(corpus, workdir, full, incremental=method == "storyline-incremental",
                                   workers=workers)
        seconds = time.perf_counter() - started
    else:
        ids, texts = _texts(corpus)
        cluster = _tfidf_labels if method == "tfidf-agglomerative" else _minhash_labels
        started = time.perf_counter()
        labels = cluster(texts, threshold if threshold is not None else 0.5)
        seconds = time.perf_counter() - started
        predicted = {aid: str(label) for aid, label in zip(ids, labels, strict=True)}
    ids = sorted(gold)
    scores = cluster_scores([gold[i] for i in ids], [predicted.get(i, "missing:" + i) for i in ids],
                            chance_adjusted=False)
    return {"method": method, "docs": len(gold), "seconds": round(seconds, 1), "peak_rss_mb": round(_peak_rss_mb()),
            "bcubed_f1": round(scores["bcubed_f1"], 4), "threshold": threshold}


def tune(method: str, corpus: Path) -> float:
    """The baseline's best threshold on this corpus (used once, on the smallest size)."""
    from storyline.evaluate.metrics import cluster_scores

    gold = _gold(corpus)
    ids, texts = _texts(corpus)
    cluster = _tfidf_labels if method == "tfidf-agglomerative" else _minhash_labels
    grid = TFIDF_GRID if method == "tfidf-agglomerative" else MINHASH_GRID
    truth = [gold[i] for i in ids]
    return max(grid, key=lambda t: (cluster_scores(truth, cluster(texts, t))["bcubed_f1"], -t))


def _subprocess(args: list[str], limit_s: float) -> dict[str, object] | None:
    try:
        done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=limit_s)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-2000:])
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--probe", action="store_true", help="keep doubling until each method fails or times out")
    parser.add_argument("--limit-s", type=float, default=600.0, help="time limit per method and size")
    parser.add_argument("--full", action="store_true", help="storyline with embeddings and NER (default: --fast)")
    parser.add_argument("--workers", type=int, default=1, help="storyline's --workers (the baselines run in one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threshold", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--tune", choices=BASELINES, help=argparse.SUPPRESS)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS),
                        help="which to run (default: all; storyline is the reference of the time ratios)")
    args = parser.parse_args(argv)
    if args.tune:
        print(json.dumps({"threshold": tune(args.tune, args.corpus)}))
        return 0
    if args.one:
        print(json.dumps(one(args.one, args.corpus, args.corpus.parent, args.threshold, args.full, args.workers)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        sizes = sorted(args.docs)
        smallest = _corpus(workdir, sizes[0], args.seed)
        thresholds: dict[str, float | None] = {m: None for m in METHODS if m not in BASELINES}
        for method in [m for m in BASELINES if m in args.methods]:
            tuned = _subprocess(["--tune", method, "--corpus", str(smallest)], args.limit_s)
            thresholds[method] = float(tuned["threshold"]) if tuned else 0.5
        rows: list[dict[str, object]] = []
        alive = set(args.methods)
        size_iter = list(sizes)
        while size_iter:
            docs = size_iter.pop(0)
            corpus = _corpus(workdir, docs, args.seed)
            for method in METHODS:
                if method not in alive or (method == "storyline-grouping" and args.full):  # its articles are --fast
                    continue
                extra = (["--full"] if args.full else []) + ["--workers", str(args.workers)]
                threshold = [] if thresholds[method] is None else ["--threshold", str(thresholds[method])]
                result = _subprocess(["--one", method, "--corpus", str(corpus), *threshold, *extra], args.limit_s)
                if result is None:
                    alive.discard(method)
                    result = {"method": method, "docs": docs, "seconds": f">{args.limit_s:.0f} or failed",
                              "peak_rss_mb": "-", "bcubed_f1": "-", "threshold": thresholds[method]}
                rows.append(result)
            if args.probe and not size_iter and alive:
                size_iter.append(docs * 2)
    _with_ratios(rows)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        cols = ["docs", "method", "seconds", "peak_rss_mb", "bcubed_f1", "time_vs_storyline", "threshold"]
        print(" | ".join(f"{c:>19}" for c in cols))
        for row in rows:
            print(" | ".join(f"{row.get(c, '')!s:>19}" for c in cols))
    return 0


def _with_ratios(rows: list[dict[str, object]]) -> None:
    ours = {r["docs"]: r["seconds"] for r in rows if r["method"] == "storyline"}
    for row in rows:
        base = ours.get(row["docs"])
        if isinstance(base, float) and isinstance(row["seconds"], float) and base > 0:
            row["time_vs_storyline"] = f"{row['seconds'] / base:.1f}x"


if __name__ == "__main__":
    sys.exit(main())
