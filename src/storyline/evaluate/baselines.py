"""The baselines ``storyline eval`` prints beside the product, tuned on the data they are scored on.

Tuning a baseline's threshold on the evaluation file itself makes it *optimistic*: the product,
which uses one fixed configuration for all data, is compared against the best the baseline could
possibly do. Both baselines are quadratic or close to it and are meant for files of thousands of
documents, not for the million-article path.

* ``tfidf-agglomerative``: scikit-learn TF-IDF (sublinear tf, English stop words, 1-2 grams) and
  average-linkage agglomerative clustering on cosine distance.
* ``minhash-lsh``: datasketch MinHash over word 3-shingles, LSH at a Jaccard threshold, connected
  components of the candidate graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from storyline.evaluate.metrics import cluster_scores
from storyline.model import Article

TFIDF_THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.30, 0.995, 0.01))
MINHASH_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)


def _text(article: Article) -> str:
    return f"{article.title}\n{article.body}"


def tfidf_agglomerative(articles: Sequence[Article], gold: Sequence[str], target: str = "bcubed_f1") -> dict[str, Any]:
    """Best-on-this-file TF-IDF + average-linkage clustering; returns the scores and the chosen threshold.

    One dendrogram (scipy, average linkage on cosine distance — what scikit-learn's ``AgglomerativeClustering``
    computes) cut at every threshold: the n×n distance matrix is fine for files of thousands of documents,
    the TF-IDF matrix stays sparse.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 2), min_df=1).fit_transform(
        [_text(a) for a in articles]
    )
    if len(articles) < 2:
        return {**cluster_scores(gold, [0] * len(articles)), "threshold": None}
    distance = np.clip(1.0 - (matrix @ matrix.T).toarray(), 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform((distance + distance.T) / 2.0, checks=False), method="average")

    def cluster(threshold: float) -> list[int]:
        return fcluster(tree, threshold, criterion="distance").tolist()

    return _tune(cluster, TFIDF_THRESHOLDS, gold, target)


def minhash_lsh(articles: Sequence[Article], gold: Sequence[str], target: str = "bcubed_f1",
                seed: int = 1) -> dict[str, Any]:
    """Best-on-this-file datasketch MinHash LSH (connected components of the candidate pairs)."""
    from datasketch import MinHash, MinHashLSH

    from storyline.represent.minhash import shingles

    sketches = []
    for article in articles:
        sketch = MinHash(num_perm=128, seed=seed)
        sketch.update_batch([s.encode("utf-8") for s in sorted(shingles(_text(article), 3))])
        sketches.append(sketch)

    def cluster(threshold: float) -> list[int]:
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        parent = list(range(len(sketches)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, sketch in enumerate(sketches):
            for other in lsh.query(sketch):
                parent[find(i)] = find(int(other))
            lsh.insert(str(i), sketch)
        return [find(i) for i in range(len(sketches))]

    return _tune(cluster, MINHASH_THRESHOLDS, gold, target)


BASELINES: dict[str, Callable[..., dict[str, Any]]] = {
    "tfidf-agglomerative": tfidf_agglomerative,
    "minhash-lsh": minhash_lsh,
}


def _tune(cluster: Callable[[float], list[int]], thresholds: Sequence[float], gold: Sequence[str],
          target: str) -> dict[str, Any]:
    """The scores at the threshold best for ``target``; ``tuned`` also holds, per F1 measure, its best value and
    threshold (on GVA the BCubed-best threshold is far from the pairwise-best one)."""
    results = [{**cluster_scores(gold, cluster(t)), "threshold": t} for t in thresholds]
    best = max(results, key=lambda r: r[target])
    tuned = {}
    for metric in ("bcubed_f1", "pairwise_f1"):
        top = max(results, key=lambda r: r[metric])
        tuned[metric] = {"value": top[metric], "threshold": top["threshold"]}
    return {**best, "tuned": tuned}
